// What a page walk needs to know about the processor, as plain data: mmu/ sits below cpu/ and
// never includes a cpu/ header, so the CPU copies CR0/CR3/CR4/EFER/CPL/RFLAGS.AC in here.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include <array>
#include <cstdint>

namespace hvlab::mmu {

// The hvlab CPU model's address widths. CPUID.80000008H:EAX reports exactly these
// (cpu/system/cpuid_model.cpp); every reserved-bit check of the walker is derived from them.
inline constexpr unsigned kMaxPhysAddrBits = 39; // MAXPHYADDR
inline constexpr unsigned kLinearAddrBits = 48;  // 4-level paging only (no LA57)

// Which paging structures translate linear addresses (SDM Vol. 3A, Paging Modes and Control
// Bits): chosen by CR0.PG, CR4.PAE and EFER.LME.
enum class PagingMode : uint8_t { None, Bits32, Pae, Level4 };

struct PagingContext {
    uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
    // PAE paging reads its four PDPTEs from registers loaded at MOV CR3 time, not from memory
    // on each walk (SDM Vol. 3A, PDPTE Registers).
    std::array<uint64_t, 4> pdpte{};
    uint8_t cpl = 0;
    bool ac = false; // RFLAGS.AC: lets explicit supervisor accesses reach user pages under SMAP

    // Bit numbers match cpu/cpu_state.hpp (spelled here so mmu/ stays below cpu/).
    bool pg() const { return cr0 >> 31 & 1; }
    bool wp() const { return cr0 >> 16 & 1; }
    bool pse() const { return cr4 >> 4 & 1; }
    bool pae() const { return cr4 >> 5 & 1; }
    bool pge() const { return cr4 >> 7 & 1; }
    bool pcide() const { return cr4 >> 17 & 1; }
    bool smep() const { return cr4 >> 20 & 1; }
    bool smap() const { return cr4 >> 21 & 1; }
    bool lme() const { return efer >> 8 & 1; }
    bool nxe() const { return efer >> 11 & 1; }
    uint16_t pcid() const { return pcide() ? cr3 & 0xFFF : 0; }

    PagingMode mode() const {
        if (!pg()) return PagingMode::None;
        if (!pae()) return PagingMode::Bits32;
        return lme() ? PagingMode::Level4 : PagingMode::Pae;
    }
};

} // namespace hvlab::mmu

// Intel SDM, Dec 2023 (Order 325462-081).
#include "machine/loader/entry_state.hpp"

#include "common/error.hpp"
#include "machine/loader/multiboot_info.hpp"

#include <array>

namespace hvlab::machine {

namespace {
using namespace cpu;

// Segment access rights in the CpuState/VMCS layout: type | S | DPL | P | L | D/B | G.
// The accessed bit (type bit 0) is set because loading a segment sets it.
constexpr uint32_t kCode32Attr = 0xB | 0x10 | 0x80 | (1u << 14) | (1u << 15);
constexpr uint32_t kData32Attr = 0x3 | 0x10 | 0x80 | (1u << 14) | (1u << 15);
constexpr uint32_t kCode64Attr = 0xB | 0x10 | 0x80 | (1u << 13) | (1u << 15);
constexpr uint16_t kCodeSel = 0x08, kDataSel = 0x10;

// QEMU's multiboot option ROM GDT, byte for byte: null, 32-bit code, 32-bit data, 16-bit
// conforming code, 16-bit data (SDM Vol. 3A, "Segment Descriptors").
constexpr std::array<uint64_t, 5> kMultibootGdt = {0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF,
                                                   0x00009E000000FFFF, 0x000092000000FFFF};
// Long mode: null, 64-bit code (L = 1, D = 0), data.
constexpr std::array<uint64_t, 3> kElf64Gdt = {0, 0x00AF9B000000FFFF, 0x00CF93000000FFFF};

template <size_t N>
void write_gdt(CpuState& cpu, mmu::PhysBus& bus, const std::array<uint64_t, N>& gdt) {
    if (!bus.write_bytes(Hpa(kGdtAddr), gdt.data(), sizeof(gdt)))
        throw UserError("RAM is too small for the boot GDT at 0x8000");
    cpu.gdtr = {kGdtAddr, static_cast<uint32_t>(sizeof(gdt) - 1)};
}

void flat_segments(CpuState& cpu, uint32_t code_attr) {
    for (unsigned s = ES; s <= GS; ++s)
        cpu.seg[s] = {kDataSel, 0, 0xFFFF'FFFF, kData32Attr};
    cpu.seg[CS] = {kCodeSel, 0, 0xFFFF'FFFF, code_attr};
}

// Common to both protocols: general registers cleared, IF = 0 and DF = 0 (the ROM ran CLI and
// CLD), the real-mode IVT left in IDTR as the BIOS had it, no pending blocking.
void reset_common(CpuState& cpu) {
    cpu.gpr = {};
    cpu.rflags = rflags::kFixed1;
    cpu.idtr = {0, 0x3FF};
    cpu.activity = CpuState::Activity::Active;
    cpu.sti_shadow = cpu.movss_shadow = cpu.nmi_blocked = false;
}

// Identity map of 0-4 GiB: PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB
// pages (SDM Vol. 3A, "4-Level Paging and 5-Level Paging"): present, writable, PS for leaves.
void write_identity_map(mmu::PhysBus& bus) {
    constexpr uint64_t kPresentWritable = 0x3, kPageSize = 0x80;
    const uint64_t pdpt = kPml4Addr + 0x1000, pd = kPml4Addr + 0x2000;
    std::array<uint64_t, 512 * 6> t{}; // PML4, PDPT, PD0..PD3
    t[0] = pdpt | kPresentWritable;
    for (uint64_t i = 0; i < 4; ++i)
        t[512 + i] = (pd + i * 0x1000) | kPresentWritable;
    for (uint64_t j = 0; j < 4 * 512; ++j)
        t[1024 + j] = (j << 21) | kPresentWritable | kPageSize;
    if (!bus.write_bytes(Hpa(kPml4Addr), t.data(), sizeof(t)))
        throw UserError("RAM is too small for the boot page tables at 0x1000");
}
} // namespace

void enter_multiboot(CpuState& cpu, mmu::PhysBus& bus, uint32_t entry, uint32_t info) {
    write_gdt(cpu, bus, kMultibootGdt);
    reset_common(cpu);
    flat_segments(cpu, kCode32Attr);
    cpu.gpr[RAX] = kBootloaderMagic;
    cpu.gpr[RBX] = info;
    cpu.gpr[RCX] = entry;
    cpu.gpr[RSP] = kStackTop;
    cpu.rip = entry;
    // The ROM wrote CR0 = 1; ET is fixed to 1 (SDM Vol. 3A, "Control Registers"), and the
    // write also cleared CD and NW.
    cpu.cr0 = cr0::PE | cr0::ET;
    cpu.cr3 = cpu.cr4 = 0;
    cpu.efer = 0;
}

void enter_elf64(CpuState& cpu, mmu::PhysBus& bus, uint64_t entry, uint64_t info) {
    write_identity_map(bus);
    write_gdt(cpu, bus, kElf64Gdt);
    reset_common(cpu);
    flat_segments(cpu, kCode64Attr);
    cpu.gpr[RAX] = kBootloaderMagic;
    cpu.gpr[RBX] = info;
    cpu.gpr[RDI] = info; // first argument in the System V AMD64 calling convention
    // RSP = 16n - 8 as if the entry had been CALLed (System V AMD64 ABI stack alignment), and
    // the "return address" there is 0.
    const uint64_t zero = 0;
    bus.write_bytes(Hpa(kStackTop - 8), &zero, sizeof zero);
    cpu.gpr[RSP] = kStackTop - 8;
    cpu.rip = entry;
    // IA-32e mode active (SDM Vol. 3A, "Initializing IA-32e Mode"): PAE paging with CR3 at
    // the PML4, EFER.LME and EFER.LMA, CR0.PG.
    cpu.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::PG;
    cpu.cr3 = kPml4Addr;
    cpu.cr4 = cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT;
    cpu.efer = efer::LME | efer::LMA | efer::NXE;
}

} // namespace hvlab::machine

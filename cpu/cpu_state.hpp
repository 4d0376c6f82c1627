// Architectural state of one logical processor (SDM Vol. 1, Basic Execution Environment;
// Vol. 3A, System Architecture Overview). Plain data: the interpreter, the system layer, the
// VMX layer, snapshots and the inspector all read and write this one struct.
#pragma once
#include "cpu/vmx/vmx_cpu_state.hpp"

#include <array>
#include <cstdint>

namespace hvlab::cpu {

// General-purpose register numbers, in the encoding order of ModRM.reg / REX.
enum Gpr : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
// Segment register numbers, in the encoding order of the sreg field of MOV Sreg.
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS };

// RFLAGS bits (SDM Vol. 1, EFLAGS Register).
namespace rflags {
inline constexpr uint64_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
                          TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11,
                          IOPL = 3u << 12, NT = 1u << 14, RF = 1u << 16, VM = 1u << 17,
                          AC = 1u << 18, VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
inline constexpr uint64_t kFixed1 = 1u << 1; // bit 1 always reads as 1
inline constexpr uint64_t kArith = CF | PF | AF | ZF | SF | OF;
} // namespace rflags

namespace cr0 {
inline constexpr uint64_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4,
                          NE = 1u << 5, WP = 1u << 16, AM = 1u << 18, NW = 1u << 29,
                          CD = 1u << 30, PG = 1u << 31;
}
namespace cr4 {
inline constexpr uint64_t VME = 1u << 0, PVI = 1u << 1, TSD = 1u << 2, DE = 1u << 3,
                          PSE = 1u << 4, PAE = 1u << 5, MCE = 1u << 6, PGE = 1u << 7,
                          PCE = 1u << 8, OSFXSR = 1u << 9, OSXMMEXCPT = 1u << 10,
                          UMIP = 1u << 11, LA57 = 1u << 12, VMXE = 1u << 13, SMXE = 1u << 14,
                          FSGSBASE = 1u << 16, PCIDE = 1u << 17, OSXSAVE = 1u << 18,
                          SMEP = 1u << 20, SMAP = 1u << 21, PKE = 1u << 22;
}
namespace efer {
inline constexpr uint64_t SCE = 1u << 0, LME = 1u << 8, LMA = 1u << 10, NXE = 1u << 11;
}

// A segment register with its hidden (descriptor-cache) part. `attr` uses the layout of the
// VMCS guest access-rights fields (SDM Vol. 3C, Guest Register State): bits 3:0 type, 4 S,
// 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable. So VM entry/exit copy it unchanged.
struct Segment {
    uint16_t selector = 0;
    uint64_t base = 0;
    uint32_t limit = 0xFFFF; // byte-granular (already scaled by G)
    uint32_t attr = 0x93;    // present, writable data, DPL 0

    uint8_t type() const { return attr & 0xF; }
    bool s() const { return attr & (1u << 4); }
    uint8_t dpl() const { return (attr >> 5) & 3; }
    bool present() const { return attr & (1u << 7); }
    bool l() const { return attr & (1u << 13); }
    bool db() const { return attr & (1u << 14); }
    bool g() const { return attr & (1u << 15); }
    bool unusable() const { return attr & (1u << 16); }
};
inline constexpr uint32_t kSegUnusable = 1u << 16;

struct DescriptorTable {
    uint64_t base = 0;
    uint32_t limit = 0xFFFF;
};

// Execution mode, derived from CR0.PE, EFER.LMA, CS.L and CS.D (SDM Vol. 3A, IA-32e Mode).
enum class CpuMode : uint8_t {
    Real,        // CR0.PE=0: not supported by hvlab (no real-mode issue); kept for reporting
    Protected16, // CS.D=0 in protected mode
    Protected32, // CS.D=1 in protected mode
    Compat16,    // IA-32e, CS.L=0, CS.D=0
    Compat32,    // IA-32e, CS.L=0, CS.D=1
    Long64,      // IA-32e, CS.L=1
};

struct Xmm {
    uint64_t lo = 0, hi = 0;
};

// x87/SSE state that FXSAVE/FXRSTOR move (SDM Vol. 1, FXSAVE area layout).
struct FpuState {
    uint16_t fcw = 0x037F, fsw = 0, ftw = 0; // ftw in the FXSAVE abridged form (1 bit/register)
    uint16_t fop = 0;
    uint64_t fip = 0, fdp = 0;
    std::array<std::array<uint8_t, 16>, 8> st{}; // 80-bit registers, 16-byte slots
    uint32_t mxcsr = 0x1F80;
};

// Model-specific registers that are plain storage. Their read/write rules live in cpu/msr.cpp.
struct MsrState {
    uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0;
    uint64_t kernel_gs_base = 0;
    uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
    uint64_t tsc_aux = 0;
    uint64_t tsc_adjust = 0; // TSC = virtual clock + tsc_adjust (IA32_TSC writes set this)
    uint64_t pat = 0x0007040600070406ull; // power-up value (SDM Vol. 3A, IA32_PAT MSR)
    uint64_t apic_base = 0xFEE00900;       // BSP, xAPIC enabled, base 0xFEE00000
    // Fast strings, BTS/PEBS unavailable (RO), MONITOR FSM enabled (cpu/system/cpu_model.hpp).
    uint64_t misc_enable = 0x4'1801;
    uint64_t feature_control = 0;
    uint64_t debugctl = 0;
    uint64_t mtrr_def_type = 0;
};

struct CpuState {
    std::array<uint64_t, 16> gpr{};
    uint64_t rip = 0;
    uint64_t rflags = rflags::kFixed1;
    std::array<Segment, 6> seg{};
    Segment ldtr{0, 0, 0xFFFF, 0x82}, tr{0, 0, 0xFFFF, 0x8B};
    DescriptorTable gdtr, idtr;
    uint64_t cr0 = cr0::ET | cr0::CD | cr0::NW, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
    uint64_t efer = 0, xcr0 = 1;
    std::array<uint64_t, 8> dr{0, 0, 0, 0, 0, 0, 0xFFFF0FF0, 0x400};
    std::array<Xmm, 16> xmm{};
    FpuState fpu;
    MsrState msr;
    // PAE paging's PDPTE registers, loaded by MOV CR3 (and CR0/CR4 writes entering PAE paging)
    // and used by every PAE walk instead of memory (SDM Vol. 3A, PDPTE Registers).
    std::array<uint64_t, 4> pdpte{};

    // Non-register state (SDM Vol. 3C, Guest Non-Register State): VM entry/exit save and
    // load these too.
    enum class Activity : uint8_t { Active = 0, Hlt = 1, Shutdown = 2, WaitForSipi = 3 };
    Activity activity = Activity::Active;
    bool sti_shadow = false;    // blocking by STI: interrupts held for one instruction
    bool movss_shadow = false;  // blocking by MOV SS / POP SS
    bool nmi_blocked = false;   // set on NMI delivery, cleared by IRET
    bool monitor_armed = false; // MONITOR armed the address-range monitor; MWAIT disarms it

    // VMX operation and the current VMCS (cpu/vmx/vmx_cpu_state.hpp).
    vmx::VmxCpuState vmx;

    // CPL is held in CS.RPL (SDM Vol. 3A, "Privilege Levels"): for a non-conforming code
    // segment it equals CS.DPL; a conforming segment keeps the caller's CPL, which may be
    // numerically greater than its DPL ("Accessing Nonconforming/Conforming Code Segments").
    uint8_t cpl() const {
        const Segment& cs = seg[CS];
        return (cs.attr & 0x1C) == 0x1C ? cs.selector & 3 : cs.dpl();
    }
    bool long_mode_active() const { return efer & efer::LMA; }
    CpuMode mode() const {
        if (!(cr0 & cr0::PE)) return CpuMode::Real;
        if (efer & efer::LMA) {
            if (seg[CS].l()) return CpuMode::Long64;
            return seg[CS].db() ? CpuMode::Compat32 : CpuMode::Compat16;
        }
        return seg[CS].db() ? CpuMode::Protected32 : CpuMode::Protected16;
    }
};

} // namespace hvlab::cpu

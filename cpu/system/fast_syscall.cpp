// SYSCALL/SYSRET, SYSENTER/SYSEXIT and SWAPGS (SDM Vol. 2B, SYSCALL; SYSRET; SYSENTER;
// SYSEXIT; SWAPGS). These load flat, fixed CS/SS caches without reading descriptors.
// Intel SDM, Dec 2023 (Order 325462-081).
#include "common/bits.hpp"
#include "cpu/system.hpp"

#include <utility>

namespace hvlab::cpu {

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

// Flat segments as SYSCALL/SYSENTER and their returns load them: base 0, limit 4 GiB, G = 1;
// code type 11 (execute/read, accessed), stack type 3 (read/write, accessed).
Segment flat_code(uint16_t sel, uint8_t dpl, bool long64) {
    Segment s;
    s.selector = sel;
    s.base = 0;
    s.limit = 0xFFFF'FFFF;
    s.attr = 0xB | (1u << 4) | (uint32_t{dpl} << 5) | (1u << 7) | (1u << 15) |
             (long64 ? (1u << 13) : (1u << 14));
    return s;
}

Segment flat_stack(uint16_t sel, uint8_t dpl) {
    Segment s;
    s.selector = sel;
    s.base = 0;
    s.limit = 0xFFFF'FFFF;
    s.attr = 0x3 | (1u << 4) | (uint32_t{dpl} << 5) | (1u << 7) | (1u << 14) | (1u << 15);
    return s;
}

bool in_64bit_mode(const CpuState& s) { return s.mode() == CpuMode::Long64; }

} // namespace

// SYSCALL: Intel allows it only in 64-bit mode with EFER.SCE.
Fault syscall(SystemContext& c, uint64_t next_rip) {
    CpuState& s = c.s;
    if (!in_64bit_mode(s) || !(s.efer & efer::SCE)) return fault(UD);
    const auto sel = static_cast<uint16_t>(bits(s.msr.star, 47, 32));
    s.gpr[RCX] = next_rip;
    s.gpr[R11] = s.rflags & ~rflags::RF;
    s.rflags = (s.rflags & ~s.msr.sfmask & ~rflags::RF) | rflags::kFixed1;
    s.rip = s.msr.lstar;
    s.seg[CS] = flat_code(sel & 0xFFFC, 0, true);
    s.seg[SS] = flat_stack(static_cast<uint16_t>(sel + 8), 0);
    return kNoFault;
}

// SYSRET: CPL 0 in 64-bit mode; with REX.W to 64-bit code at STAR[63:48]+16, else to
// compatibility mode at STAR[63:48]; SS is STAR[63:48]+8. A non-canonical RCX is #GP(0) on
// Intel (before any state changes).
Fault sysret(SystemContext& c, unsigned opsize) {
    CpuState& s = c.s;
    if (!in_64bit_mode(s) || !(s.efer & efer::SCE)) return fault(UD);
    if (s.cpl() != 0) return kGp0;
    const bool to64 = opsize == 8;
    if (to64 && !is_canonical48(s.gpr[RCX])) return kGp0;
    const auto base = static_cast<uint16_t>(bits(s.msr.star, 63, 48));
    s.rip = to64 ? s.gpr[RCX] : s.gpr[RCX] & 0xFFFF'FFFF;
    s.rflags = (s.gpr[R11] & 0x3C'7FD7) | rflags::kFixed1;
    s.seg[CS] = flat_code(static_cast<uint16_t>((to64 ? base + 16 : base) | 3), 3, to64);
    s.seg[SS] = flat_stack(static_cast<uint16_t>((base + 8) | 3), 3);
    return kNoFault;
}

// SYSENTER: #GP(0) if IA32_SYSENTER_CS[15:2] = 0; clears VM, IF and RF; 64-bit code when
// IA-32e mode is active.
Fault sysenter(SystemContext& c) {
    CpuState& s = c.s;
    const auto cs = static_cast<uint16_t>(s.msr.sysenter_cs);
    if (!(s.cr0 & cr0::PE) || (cs & 0xFFFC) == 0) return kGp0;
    const bool lma = s.long_mode_active();
    s.rflags &= ~(rflags::VM | rflags::IF | rflags::RF);
    s.seg[CS] = flat_code(cs & 0xFFFC, 0, lma);
    s.seg[SS] = flat_stack(static_cast<uint16_t>((cs & 0xFFFC) + 8), 0);
    s.rip = lma ? s.msr.sysenter_eip : s.msr.sysenter_eip & 0xFFFF'FFFF;
    s.gpr[RSP] = lma ? s.msr.sysenter_esp : s.msr.sysenter_esp & 0xFFFF'FFFF;
    return kNoFault;
}

// SYSEXIT: CPL 0; with REX.W to 64-bit code at SYSENTER_CS+32 (RIP = RDX, RSP = RCX, both
// canonical), else to 32-bit code at SYSENTER_CS+16; SS is the CS selector + 8.
Fault sysexit(SystemContext& c, unsigned opsize) {
    CpuState& s = c.s;
    const auto cs = static_cast<uint16_t>(s.msr.sysenter_cs);
    if (!(s.cr0 & cr0::PE) || (cs & 0xFFFC) == 0 || s.cpl() != 0) return kGp0;
    const bool to64 = opsize == 8;
    if (to64 && (!is_canonical48(s.gpr[RDX]) || !is_canonical48(s.gpr[RCX]))) return kGp0;
    const auto new_cs = static_cast<uint16_t>((cs + (to64 ? 32 : 16)) | 3);
    s.seg[CS] = flat_code(new_cs, 3, to64);
    s.seg[SS] = flat_stack(static_cast<uint16_t>(new_cs + 8), 3);
    s.rip = to64 ? s.gpr[RDX] : s.gpr[RDX] & 0xFFFF'FFFF;
    s.gpr[RSP] = to64 ? s.gpr[RCX] : s.gpr[RCX] & 0xFFFF'FFFF;
    return kNoFault;
}

Fault swapgs(SystemContext& c) {
    CpuState& s = c.s;
    if (!in_64bit_mode(s)) return fault(UD);
    if (s.cpl() != 0) return kGp0;
    std::swap(s.seg[GS].base, s.msr.kernel_gs_base);
    return kNoFault;
}

} // namespace hvlab::cpu

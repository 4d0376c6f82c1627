// Flag instructions, NOPs, SETcc, HLT, CPUID, RDTSC/RDTSCP, RDPID, UD0/UD1/UD2.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/nonroot_exits.hpp"

namespace hvlab::cpu {

namespace {

Fault exec_nop(Exec&, const DecodedInsn&) { return kNoFault; }
Fault exec_ud(Exec&, const DecodedInsn&) { return fault(UD); }

template <uint64_t Clear, uint64_t Set, uint64_t Toggle> Fault exec_flag(Exec& x, const DecodedInsn&) {
    uint64_t& f = (Clear | Set | Toggle) & rflags::kArith ? flags(x) : x.s.rflags;
    f = ((f & ~Clear) | Set) ^ Toggle;
    return kNoFault;
}

// CLI/STI: allowed when CPL <= IOPL, else #GP(0) (SDM Vol. 2A, CLI; Vol. 2B, STI; the VME/PVI
// virtual-interrupt forms are not modelled: hvlab has no virtual-8086 mode).
bool iopl_allows(const Exec& x) { return x.s.cpl() <= ((x.s.rflags & rflags::IOPL) >> 12); }

Fault exec_cli(Exec& x, const DecodedInsn&) {
    if (!iopl_allows(x)) return fault_ec(GP, 0);
    x.s.rflags &= ~rflags::IF;
    return kNoFault;
}

// STI: when it sets IF, events stay blocked until after the next instruction
// (SDM Vol. 3A, "Interrupt Blocking").
Fault exec_sti(Exec& x, const DecodedInsn&) {
    if (!iopl_allows(x)) return fault_ec(GP, 0);
    if (!(x.s.rflags & rflags::IF)) {
        x.inhibit_events(true);
    }
    x.s.rflags |= rflags::IF;
    x.request_event_poll();
    return kNoFault;
}

Fault exec_setcc(Exec& x, const DecodedInsn& d) {
    return write_rm(x, d, 1, condition_true(x, d.opcode & 0xF) ? 1 : 0);
}

// HLT: CPL 0 only (SDM Vol. 2A, HLT).
Fault exec_hlt(Exec& x, const DecodedInsn& d) {
    if (x.s.cpl() != 0) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_hlt(x, d)) return f;
    x.request_halt();
    return kNoFault;
}

Fault exec_cpuid(Exec& x, const DecodedInsn& d) {
    if (x.s.vmx.non_root) return vmx::exit_on_cpuid(x, d);
    const auto r = cpuid(x.s, static_cast<uint32_t>(x.s.gpr[RAX]), static_cast<uint32_t>(x.s.gpr[RCX]));
    x.s.gpr[RAX] = r.eax, x.s.gpr[RBX] = r.ebx, x.s.gpr[RCX] = r.ecx, x.s.gpr[RDX] = r.edx;
    return kNoFault;
}

// RDTSC: #GP(0) if CR4.TSD and CPL > 0 (SDM Vol. 2B, RDTSC).
Fault rdtsc_common(Exec& x, const DecodedInsn& d, bool rdtscp) {
    if ((x.s.cr4 & cr4::TSD) && x.s.cpl() != 0) return fault_ec(GP, 0);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_rdtsc(x, d, rdtscp)) return f;
    const uint64_t t = read_tsc(x.sys());
    x.s.gpr[RAX] = t & 0xFFFFFFFF;
    x.s.gpr[RDX] = t >> 32;
    return kNoFault;
}

Fault exec_rdtsc(Exec& x, const DecodedInsn& d) { return rdtsc_common(x, d, false); }

// RDTSCP: #UD unless CPUID.80000001H:EDX.RDTSCP[bit 27].
Fault exec_rdtscp(Exec& x, const DecodedInsn& d) {
    if (!((cpuid(x.s, 0x80000001, 0).edx >> 27) & 1)) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::rdtscp_undefined(x)) return f;
    if (Fault f = rdtsc_common(x, d, true)) return f;
    x.s.gpr[RCX] = x.s.msr.tsc_aux & 0xFFFFFFFF;
    return kNoFault;
}

// MONITOR/MWAIT: #UD unless CPUID.01H:ECX.MONITOR[bit 3] and CPL 0 (SDM Vol. 2B, MONITOR,
// MWAIT); in VMX non-root operation "MONITOR exiting"/"MWAIT exiting" come right after those
// checks, before the ECX and address checks.
bool monitor_allowed(const Exec& x) {
    return ((cpuid(x.s, 1, 0).ecx >> 3) & 1) && x.s.cpl() == 0;
}

// MONITOR: arms the monitor at DS:rAX (segment override allowed), checked as a one-byte read:
// segment limit/null/canonical faults and #PF; ECX (extensions) must be 0.
Fault exec_monitor(Exec& x, const DecodedInsn& d) {
    if (!monitor_allowed(x)) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_monitor(x, d)) return f;
    if ((x.s.gpr[RCX] & 0xFFFFFFFF) != 0) return fault_ec(GP, 0);
    uint64_t lin;
    const uint64_t offset = x.s.gpr[RAX] & size_mask(d.addrsize);
    if (Fault f = segment_linear(x, d.seg, offset, 1, AccessKind::Read, lin)) return f;
    x.materialize_flags();
    const Translation t = x.mem.translate(x.s, Gva(lin), AccessKind::Read);
    if (t.fault) return t.fault;
    x.s.monitor_armed = true;
    return kNoFault;
}

// MWAIT: ECX[0] (interrupts as break events even when masked) is the only extension (CPUID
// leaf 5 ECX = 3); other ECX bits are #GP(0). hvlab leaves the optimized state at once (an
// "implementation-dependent event"), so MWAIT disarms the monitor and continues.
Fault exec_mwait(Exec& x, const DecodedInsn& d) {
    if (!monitor_allowed(x)) return fault(UD);
    if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_mwait(x, d)) return f;
    if ((x.s.gpr[RCX] & 0xFFFFFFFE) != 0) return fault_ec(GP, 0);
    x.s.monitor_armed = false;
    return kNoFault;
}

// RDPID: IA32_TSC_AUX into a 64-bit (64-bit mode) or 32-bit register; #UD unless
// CPUID.(EAX=7,ECX=0):ECX.RDPID[bit 22] (SDM Vol. 2B, RDPID).
Fault exec_rdpid(Exec& x, const DecodedInsn& d) {
    if (!((cpuid(x.s, 7, 0).ecx >> 22) & 1)) return fault(UD);
    // "RDPID. If the 'enable RDTSCP' VM-execution control is 0, RDPID causes an invalid-opcode
    // exception (#UD)" (SDM Vol. 3C, Changes to Instruction Behavior in VMX Non-Root Operation).
    if (x.s.vmx.non_root) if (Fault f = vmx::rdtscp_undefined(x)) return f;
    set_reg(x, d, d.rm, x.is64 ? 8 : 4, x.s.msr.tsc_aux);
    return kNoFault;
}

constexpr uint64_t CF = rflags::CF, DF = rflags::DF;
constexpr uint32_t CC = rowf::PlusCC;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext          mnemonic  operands flags handler
    {Map::One, 0xF8, Pfx::Any, kAnyExt, "clc", "", 0, exec_flag<CF, 0, 0>},
    {Map::One, 0xF9, Pfx::Any, kAnyExt, "stc", "", 0, exec_flag<0, CF, 0>},
    {Map::One, 0xF5, Pfx::Any, kAnyExt, "cmc", "", 0, exec_flag<0, 0, CF>},
    {Map::One, 0xFC, Pfx::Any, kAnyExt, "cld", "", 0, exec_flag<DF, 0, 0>},
    {Map::One, 0xFD, Pfx::Any, kAnyExt, "std", "", 0, exec_flag<0, DF, 0>},
    {Map::One, 0xFA, Pfx::Any, kAnyExt, "cli", "", 0, exec_cli},
    {Map::One, 0xFB, Pfx::Any, kAnyExt, "sti", "", 0, exec_sti},
    {Map::One, 0xF4, Pfx::Any, kAnyExt, "hlt", "", 0, exec_hlt},
    {Map::Two, 0x90, Pfx::Any, kAnyExt, "setcc", "Eb", CC, exec_setcc},
    {Map::Two, 0xA2, Pfx::Any, kAnyExt, "cpuid", "", 0, exec_cpuid},
    {Map::Two, 0x31, Pfx::Any, kAnyExt, "rdtsc", "", 0, exec_rdtsc},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xF9), "rdtscp", "", 0, exec_rdtscp},
    {Map::Two, 0xC7, Pfx::F3, slash_reg(7), "rdpid", "Ry", 0, exec_rdpid},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC8), "monitor", "", 0, exec_monitor},
    {Map::Two, 0x01, Pfx::Any, modrm_is(0xC9), "mwait", "", 0, exec_mwait},
    {Map::Two, 0x0B, Pfx::Any, kAnyExt, "ud2", "", 0, exec_ud},
    {Map::Two, 0xB9, Pfx::Any, kAnyExt, "ud1", "Gv,Ev", 0, exec_ud},
    {Map::Two, 0xFF, Pfx::Any, kAnyExt, "ud0", "Gv,Ev", 0, exec_ud},
    // Hint NOPs and reserved-NOP space (SDM Vol. 2B, NOP; "Opcode Map", 0F 18..0F 1F);
    // ENDBR32/64 are NOPs on a processor without CET.
    {Map::Two, 0x1E, Pfx::F3, modrm_is(0xFA), "endbr64", "", 0, exec_nop},
    {Map::Two, 0x1E, Pfx::F3, modrm_is(0xFB), "endbr32", "", 0, exec_nop},
    {Map::Two, 0x18, Pfx::Any, kMemOnly, "prefetch", "Mb", 0, exec_nop},
    {Map::Two, 0x18, Pfx::Any, kRegOnly, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x0D, Pfx::Any, kMemOnly, "prefetchw", "Mb", 0, exec_nop},
    {Map::Two, 0x19, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1A, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1B, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1C, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1D, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1E, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
    {Map::Two, 0x1F, Pfx::Any, kAnyExt, "nop", "Ev", 0, exec_nop},
};

} // namespace

std::span<const OpcodeRow> misc_rows() { return kRows; }

} // namespace hvlab::cpu

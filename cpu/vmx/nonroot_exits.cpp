// Instruction-caused VM exits (SDM Vol. 3C, "Instructions That Cause VM Exits Unconditionally",
// "Instructions That Cause VM Exits Conditionally"; the formats of the exit qualification and
// instruction-information fields are in "Exit Qualification for VM Exits" and "Information for
// VM Exits Due to Instruction Execution"). Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/vmx/nonroot_exits.hpp"

#include "cpu/vmx/bitmap_exits.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/cr_access_exits.hpp"
#include "cpu/vmx/exit_qualification.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vm_exit.hpp"

#include <array>

namespace hvlab::cpu::vmx {

namespace {

const VmxCpuState& vmx_of(const Exec& x) {
    return x.s.vmx;
}
uint64_t field(const Exec& x, uint32_t encoding) {
    return x.s.vmx.vmcs.get(encoding);
}

// Every instruction-caused exit reports the instruction's length ("VM-exit instruction
// length": "for VM exits caused by instruction execution ... the length in bytes").
Fault instruction_exit(Exec& x, const DecodedInsn& d, ExitReason reason, uint64_t qualification = 0,
                       uint32_t info = 0, uint64_t guest_linear = 0) {
    x.materialize_flags(); // the exit saves RFLAGS
    ExitInfo e;
    e.reason = static_cast<uint32_t>(reason);
    e.qualification = qualification;
    e.instruction_length = d.length;
    e.instruction_info = info;
    e.guest_linear = guest_linear;
    return request_vm_exit(x.s, e);
}

// "For an instruction with a memory operand, the exit qualification receives the value of the
// instruction's displacement field, sign-extended to 64 bits"; 0 for a register operand.
uint64_t displacement_qualification(const DecodedInsn& d) {
    return d.mem() ? static_cast<uint64_t>(d.disp) : 0;
}

// Linear address of seg:offset as the instruction would form it (no checks: the exit comes
// before them).
uint64_t linear_of(const Exec& x, unsigned seg, uint64_t offset) {
    const uint64_t base = x.s.seg[seg].base;
    if (x.is64) return offset + (seg >= FS ? base : 0);
    return (base + offset) & 0xFFFFFFFFull;
}

uint8_t address_size_code(unsigned bytes) {
    return bytes == 2 ? 0 : bytes == 4 ? 1 : 2;
}

// The 4 KiB bitmap at a physical address (not translated through EPT: SDM "I/O-Bitmap
// Addresses", "MSR-Bitmap Address"). RAM is used in place; anything else reads as the bus
// reads it.
Bitmap4K bitmap_at(Exec& x, uint64_t pa, std::array<uint8_t, 4096>& scratch) {
    if (x.bus.is_ram(Hpa(pa), 4096)) return Bitmap4K(x.bus.ram_ptr(Hpa(pa)), 4096);
    for (unsigned i = 0; i < 4096; ++i)
        scratch[i] = static_cast<uint8_t>(x.bus.read(Hpa(pa + i), 1));
    return Bitmap4K(scratch);
}

} // namespace

OperandInfo operand_info(const DecodedInsn& d) {
    OperandInfo op;
    op.address_size = address_size_code(d.addrsize);
    op.is_register = !d.mem();
    op.segment = d.seg;
    op.scaling = d.scale;
    if (d.mem()) {
        if (d.index != kNoReg) op.index = d.index;
        if (d.base != kNoReg && d.base != kRipBase) op.base = d.base;
    }
    return op;
}

Fault exit_on_cpuid(Exec& x, const DecodedInsn& d) {
    return instruction_exit(x, d, ExitReason::Cpuid);
}

Fault exit_on_invd(Exec& x, const DecodedInsn& d) {
    return instruction_exit(x, d, ExitReason::Invd);
}

Fault exit_on_xsetbv(Exec& x, const DecodedInsn& d) {
    return instruction_exit(x, d, ExitReason::Xsetbv);
}

Fault exit_on_hlt(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.hlt_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Hlt);
}

Fault exit_on_rdpmc(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.rdpmc_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Rdpmc);
}

Fault exit_on_pause(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.pause_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Pause);
}

// "For MWAIT, the exit qualification ... is set either to 0 (if address-range monitoring
// hardware is not armed) or to 1 (if address-range monitoring hardware is armed)."
Fault exit_on_mwait(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.mwait_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Mwait, x.s.monitor_armed ? 1 : 0);
}

Fault exit_on_monitor(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.monitor_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Monitor);
}

Fault exit_on_wbinvd(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc2.wbinvd_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Wbinvd);
}

// "RDTSCP. If the 'enable RDTSCP' VM-execution control is 0, RDTSCP causes an invalid-opcode
// exception (#UD)" (Changes to Instruction Behavior in VMX Non-Root Operation).
Fault rdtscp_undefined(const Exec& x) {
    return vmx_of(x).proc2.enable_rdtscp() ? kNoFault : fault(UD);
}

Fault exit_on_rdtsc(Exec& x, const DecodedInsn& d, bool rdtscp) {
    if (!vmx_of(x).proc.rdtsc_exiting()) return kNoFault;
    return instruction_exit(x, d, rdtscp ? ExitReason::Rdtscp : ExitReason::Rdtsc);
}

Fault exit_on_invlpg(Exec& x, const DecodedInsn& d, uint64_t linear) {
    if (!vmx_of(x).proc.invlpg_exiting()) return kNoFault;
    // "INVLPG: the linear-address operand of the instruction" (exit qualification).
    return instruction_exit(x, d, ExitReason::Invlpg, x.is64 ? linear : linear & 0xFFFFFFFFull);
}

// "INVPCID. If the 'enable INVPCID' VM-execution control is 0, INVPCID causes an
// invalid-opcode exception (#UD)."
Fault invpcid_undefined(const Exec& x) {
    return vmx_of(x).proc2.enable_invpcid() ? kNoFault : fault(UD);
}

// "INVPCID. The instruction causes a VM exit if the 'INVLPG exiting' and 'enable INVPCID'
// VM-execution controls are both 1." Reg2 is the register holding the type.
Fault exit_on_invpcid(Exec& x, const DecodedInsn& d) {
    if (!vmx_of(x).proc.invlpg_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::Invpcid, displacement_qualification(d),
                            instruction_info_invalidation(operand_info(d), d.reg));
}

namespace {

Fault cr_exit(Exec& x, const DecodedInsn& d, const CrAccessQualification& q, uint64_t linear = 0) {
    return instruction_exit(x, d, ExitReason::CrAccess, q.encode(), 0, linear);
}

struct CrControl {
    uint64_t mask, shadow;
};
CrControl cr_control(const Exec& x, unsigned cr) {
    if (cr == 0) return {field(x, vmcs::CR0_GUEST_HOST_MASK), field(x, vmcs::CR0_READ_SHADOW)};
    return {field(x, vmcs::CR4_GUEST_HOST_MASK), field(x, vmcs::CR4_READ_SHADOW)};
}

// Bits owned by the host keep their value: "MOV to CR0 ... does not modify any bit of CR0
// corresponding to a bit set in the CR0 guest/host mask" (and likewise CR4, CLTS, LMSW).
uint64_t keep_host_owned(uint64_t value, uint64_t current, uint64_t mask) {
    return (value & ~mask) | (current & mask);
}

} // namespace

Fault mov_to_cr(Exec& x, const DecodedInsn& d, unsigned cr, uint64_t& value) {
    const VmxCpuState& v = vmx_of(x);
    const CrAccessQualification q{static_cast<uint8_t>(cr), CrAccessType::MovToCr, false, d.rm, 0};
    switch (cr) {
    case 0:
    case 4: {
        const CrControl c = cr_control(x, cr);
        if (mov_to_cr0_cr4_causes_exit(value, c.mask, c.shadow)) return cr_exit(x, d, q);
        value = keep_host_owned(value, cr == 0 ? x.s.cr0 : x.s.cr4, c.mask);
        // "VMX-Fixed Bits in CR0"/"in CR4" stay enforced in VMX operation: a guest write that
        // would give an unsupported value is #GP(0) (SDM Vol. 3C, "Restrictions on VMX
        // Operation").
        const VmxCapabilities& caps = hvlab_vmx_capabilities();
        const uint64_t bad = cr == 0
                                 ? fixed_bit_violations(value, caps.cr0_fixed0, caps.cr0_fixed1)
                                 : fixed_bit_violations(value, caps.cr4_fixed0, caps.cr4_fixed1);
        if (bad) return fault_ec(GP, 0);
        return kNoFault;
    }
    case 3: {
        const std::array<uint64_t, 4> targets{
            field(x, vmcs::CR3_TARGET_VALUE0), field(x, vmcs::CR3_TARGET_VALUE1),
            field(x, vmcs::CR3_TARGET_VALUE2), field(x, vmcs::CR3_TARGET_VALUE3)};
        const auto count = static_cast<uint32_t>(field(x, vmcs::CR3_TARGET_COUNT));
        if (mov_to_cr3_causes_exit(v.proc, value, count, targets)) return cr_exit(x, d, q);
        return kNoFault;
    }
    case 8:
        if (mov_to_cr8_causes_exit(v.proc)) return cr_exit(x, d, q);
        return kNoFault;
    default: return kNoFault;
    }
}

Fault mov_from_cr(Exec& x, const DecodedInsn& d, unsigned cr, uint64_t& value) {
    const VmxCpuState& v = vmx_of(x);
    const CrAccessQualification q{static_cast<uint8_t>(cr), CrAccessType::MovFromCr, false, d.rm,
                                  0};
    switch (cr) {
    case 0:
    case 4: {
        const CrControl c = cr_control(x, cr);
        value = shadowed_cr_read(value, c.mask, c.shadow);
        return kNoFault;
    }
    case 3:
        if (mov_from_cr3_causes_exit(v.proc)) return cr_exit(x, d, q);
        return kNoFault;
    case 8:
        if (mov_from_cr8_causes_exit(v.proc)) return cr_exit(x, d, q);
        return kNoFault;
    default: return kNoFault;
    }
}

Fault clts(Exec& x, const DecodedInsn& d, uint64_t& new_cr0) {
    const CrControl c = cr_control(x, 0);
    if (clts_causes_exit(c.mask, c.shadow))
        return cr_exit(x, d, {0, CrAccessType::Clts, false, 0, 0});
    new_cr0 = keep_host_owned(new_cr0, x.s.cr0, c.mask);
    return kNoFault;
}

Fault lmsw(Exec& x, const DecodedInsn& d, uint16_t lmsw_source, uint64_t& new_cr0) {
    const CrControl c = cr_control(x, 0);
    if (lmsw_causes_exit(lmsw_source, c.mask, c.shadow)) {
        // "Guest-linear address: for LMSW with a memory operand, the linear address of that
        // operand" (VM-exit information fields).
        const uint64_t linear = d.mem() ? linear_of(x, d.seg, effective_address(x, d)) : 0;
        return cr_exit(x, d, {0, CrAccessType::Lmsw, d.mem(), 0, lmsw_source}, linear);
    }
    new_cr0 = keep_host_owned(new_cr0, x.s.cr0, c.mask);
    return kNoFault;
}

Fault exit_on_mov_dr(Exec& x, const DecodedInsn& d, bool from_dr) {
    if (!vmx_of(x).proc.mov_dr_exiting()) return kNoFault;
    const MovDrQualification q{static_cast<uint8_t>(d.reg & 7), from_dr, d.rm};
    return instruction_exit(x, d, ExitReason::MovDr, q.encode());
}

Fault exit_on_io(Exec& x, const DecodedInsn& d, uint16_t port, unsigned size, bool in, bool string,
                 bool immediate) {
    const VmxCpuState& v = vmx_of(x);
    if (!v.proc.use_io_bitmaps() && !v.proc.unconditional_io_exiting()) return kNoFault;
    if (v.proc.use_io_bitmaps()) {
        std::array<uint8_t, 4096> sa, sb;
        const Bitmap4K a = bitmap_at(x, field(x, vmcs::IO_BITMAP_A), sa);
        const Bitmap4K b = bitmap_at(x, field(x, vmcs::IO_BITMAP_B), sb);
        if (!io_causes_exit(v.proc, a, b, port, size)) return kNoFault;
    }
    const IoQualification q{size, in, string, string && d.rep != 0, immediate, port};
    if (!string) return instruction_exit(x, d, ExitReason::IoInstruction, q.encode());
    // INS writes ES:rDI, OUTS reads seg:rSI: the guest-linear address of that operand, and
    // the instruction information (IA32_VMX_BASIC[54] = 1) with its address size and segment.
    const unsigned seg = in ? unsigned{ES} : unsigned{d.seg};
    const uint64_t offset = x.s.gpr[in ? RDI : RSI] & size_mask(d.addrsize);
    return instruction_exit(
        x, d, ExitReason::IoInstruction, q.encode(),
        instruction_info_ins_outs(address_size_code(d.addrsize), static_cast<uint8_t>(seg)),
        linear_of(x, seg, offset));
}

Fault exit_on_msr(Exec& x, const DecodedInsn& d, bool write) {
    const VmxCpuState& v = vmx_of(x);
    const auto msr = static_cast<uint32_t>(x.s.gpr[RCX]);
    std::array<uint8_t, 4096> scratch;
    const Bitmap4K bitmap = v.proc.use_msr_bitmaps()
                                ? bitmap_at(x, field(x, vmcs::MSR_BITMAP), scratch)
                                : Bitmap4K(scratch);
    if (!msr_access_causes_exit(v.proc, bitmap, msr, write)) return kNoFault;
    return instruction_exit(x, d, write ? ExitReason::Wrmsr : ExitReason::Rdmsr);
}

Fault exit_on_descriptor_table(Exec& x, const DecodedInsn& d, DescriptorTableInstruction which) {
    if (!vmx_of(x).proc2.descriptor_table_exiting()) return kNoFault;
    return instruction_exit(
        x, d, ExitReason::GdtrIdtrAccess, displacement_qualification(d),
        instruction_info_descriptor_table(operand_info(d), d.opsize != 2, which));
}

Fault exit_on_ldtr_tr(Exec& x, const DecodedInsn& d, LdtrTrInstruction which) {
    if (!vmx_of(x).proc2.descriptor_table_exiting()) return kNoFault;
    return instruction_exit(x, d, ExitReason::LdtrTrAccess, displacement_qualification(d),
                            instruction_info_ldtr_tr(operand_info(d), d.mem() ? 0 : d.rm, which));
}

} // namespace hvlab::cpu::vmx

// INVEPT and INVVPID. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction
// Reference" (INVEPT, INVVPID: Operation) and "Invalidation of Cached Mappings".
#include "cpu/vmx/invalidation.hpp"

#include "common/bits.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/entry_check.hpp"

#include <string_view>

namespace hvlab::cpu::vmx {
namespace {

constexpr auto kBadOperand = VmInstructionError::InvalidInveptInvvpidOperand; // error 28

// INVEPT type 1 "IF EPTP is invalid (see Section 26.2.1.1) THEN VMfail(28)": the EPTP rules of
// the VM-entry control checks, reused from the check table.
bool eptp_valid(uint64_t eptp) {
    VmcsSnapshot s;
    s.facts.maxphyaddr = model::kMaxPhysAddrBits;
    s.ctl.proc2 = ProcBased2(ProcBased2::kEnableEpt);
    s.ctl.ept_pointer = eptp;
    for (const ControlCheck& check : control_checks()) {
        if (!check.id.starts_with("eptp_")) continue;
        if (check.violation(s, hvlab_vmx_capabilities())) return false;
    }
    return true;
}

} // namespace

// "IF IA32_VMX_EPT_VPID_CAP[24 + INVEPT_TYPE] = 0 THEN VMfail(Invalid operand to INVEPT/
// INVVPID)": bit 25 single-context (type 1), bit 26 all-context (type 2).
VmxOutcome invept_type_check(const CpuState& s, uint64_t type) {
    const EptVpidCap& cap = hvlab_vmx_capabilities().ept_vpid;
    const bool supported =
        (type == 1 && cap.invept_single_context) || (type == 2 && cap.invept_all_context);
    return supported ? VmxOutcome::succeed() : vm_fail(s, kBadOperand);
}

// "IF IA32_VMX_EPT_VPID_CAP[40 + INVVPID_TYPE] = 0 THEN VMfail(...)": bits 40-43, types 0-3.
VmxOutcome invvpid_type_check(const CpuState& s, uint64_t type) {
    const EptVpidCap& cap = hvlab_vmx_capabilities().ept_vpid;
    const bool supported = (type == 0 && cap.invvpid_individual_address) ||
                           (type == 1 && cap.invvpid_single_context) ||
                           (type == 2 && cap.invvpid_all_context) ||
                           (type == 3 && cap.invvpid_single_context_retaining_globals);
    return supported ? VmxOutcome::succeed() : vm_fail(s, kBadOperand);
}

// INVEPT: type 1 invalidates mappings derived from the EPTP's EPT PML4 (after the EPTP checks);
// type 2 those of every EPTP. Bits 127:64 of the descriptor are reserved and ignored by the
// Operation section.
VmxOutcome invept(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t /*desc_hi*/) {
    if (VmxOutcome o = invept_type_check(c.s, type); o.kind != VmxOutcome::Succeed) return o;
    if (type == 1 && !eptp_valid(desc_lo)) return vm_fail(c.s, kBadOperand);
    c.mem.invept(static_cast<unsigned>(type), desc_lo);
    return VmxOutcome::succeed();
}

// INVVPID: "IF INVVPID_DESC[63:16] != 0 THEN VMfail"; type 0 needs a non-zero VPID and a
// canonical linear address, types 1 and 3 a non-zero VPID; type 2 invalidates every VPID
// except 0000H.
VmxOutcome invvpid(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t desc_hi) {
    if (VmxOutcome o = invvpid_type_check(c.s, type); o.kind != VmxOutcome::Succeed) return o;
    if (desc_lo >> 16) return vm_fail(c.s, kBadOperand);
    const auto vpid = static_cast<uint16_t>(desc_lo);
    switch (type) {
    case 0:
        if (vpid == 0 || !is_canonical48(desc_hi)) return vm_fail(c.s, kBadOperand);
        break;
    case 1:
    case 3:
        if (vpid == 0) return vm_fail(c.s, kBadOperand);
        break;
    default: break;
    }
    c.mem.invvpid(static_cast<unsigned>(type), vpid, Gva(desc_hi));
    return VmxOutcome::succeed();
}

} // namespace hvlab::cpu::vmx

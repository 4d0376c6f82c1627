// VM entry: VMLAUNCH and VMRESUME after their #UD / VM-exit / #GP checks. Intel SDM, Dec 2023
// (Order 325462-081), Vol. 3C, VMLAUNCH/VMRESUME Operation and chapter "VM Entries".
//
// The steps (docs/vmx-design.md, "Wiring VMLAUNCH/VMRESUME"): the instruction's own checks
// (VMfailInvalid, errors 26, 4, 5); snapshot the VMCS and run the ordered check table
// (VMfailValid 7/8, or a VM-entry-failure exit with reason 33); load the guest state; the
// VM-entry MSR-load list (exit reason 34); then non-root operation with the guest's VPID and
// EPTP, and the event side (finish_vm_entry_events).
#pragma once
#include "cpu/system.hpp"
#include "cpu/vmx/vmx_operation.hpp"

namespace hvlab::cpu::vmx {

struct VmEntryResult {
    enum Kind : uint8_t {
        Entered,     // in non-root operation (or already back in root: an injected event
                     // caused a VM exit during its delivery)
        VmFail,      // VMfailInvalid / VMfailValid: `outcome` says which; nothing else changed
        FailureExit, // VM-entry failure (reason 33/34 with bit 31): host state loaded
        Aborted,     // the failure exit ended in a VMX abort (shutdown)
    };
    Kind kind = Entered;
    VmxOutcome outcome;
};

VmEntryResult vm_entry(SystemContext& c, bool launch);

} // namespace hvlab::cpu::vmx

// VMX-abort indicators: the nonzero value a logical processor writes to dword 1 of the VMCS
// region when a VM exit cannot complete, before it enters the shutdown state. Intel SDM,
// Dec 2023 (Order 325462-081), Vol. 3C, "VMX Aborts".
#pragma once
#include <cstdint>

namespace hvlab::cpu::vmx {

enum class VmxAbortIndicator : uint32_t {
    SavingGuestMsrs = 1,      // "There was a failure in saving guest MSRs"
    HostPdpteCheck = 2,       // "Host checking of the page-directory-pointer-table entries failed"
    CurrentVmcsCorrupted = 3, // "The current VMCS has been corrupted ..."
    LoadingHostMsrs = 4,      // "There was a failure on loading host MSRs"
    MachineCheck = 5,         // "There was a machine-check event during VM exit"
    LongModeToLegacyHost = 6, // "in IA-32e mode before the VM exit and the 'host address-space
                              // size' VM-exit control was 0"
};

} // namespace hvlab::cpu::vmx

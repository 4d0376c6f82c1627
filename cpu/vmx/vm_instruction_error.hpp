// VM-instruction error numbers, stored in the VM-instruction error field (0x4400) by
// VMfailValid. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VM-Instruction Error Numbers".
#pragma once
#include <cstdint>
#include <string_view>

namespace hvlab::cpu::vmx {

enum class VmInstructionError : uint32_t {
    VmcallInVmxRoot = 1,
    VmclearInvalidAddress = 2,
    VmclearVmxonPointer = 3,
    VmlaunchNonClearVmcs = 4,
    VmresumeNonLaunchedVmcs = 5,
    VmresumeAfterVmxoff = 6,
    EntryInvalidControlField = 7,
    EntryInvalidHostStateField = 8,
    VmptrldInvalidAddress = 9,
    VmptrldVmxonPointer = 10,
    VmptrldWrongRevision = 11,
    UnsupportedVmcsComponent = 12,
    VmwriteReadOnlyComponent = 13,
    VmxonInVmxRoot = 15,
    EntryInvalidExecutiveVmcsPointer = 16,
    EntryNonLaunchedExecutiveVmcs = 17,
    EntryExecutiveVmcsNotVmxonPointer = 18,
    VmcallNonClearVmcs = 19,
    VmcallInvalidExitControls = 20,
    VmcallWrongMsegRevision = 22,
    VmxoffUnderDualMonitor = 23,
    VmcallInvalidSmmMonitorFeatures = 24,
    EntryInvalidExecutiveControls = 25,
    EntryEventsBlockedByMovSs = 26,
    InvalidInveptInvvpidOperand = 28,
};

// The SDM's description, e.g. "VM entry with invalid control field(s)"; "" if undefined.
std::string_view vm_instruction_error_name(uint32_t number);

} // namespace hvlab::cpu::vmx

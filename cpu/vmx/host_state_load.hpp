// The second half of every VM exit, shared by perform_vm_exit and by VM entries that fail
// after the guest state was checked (exit reasons 33 and 34): load the host state from the
// VMCS, process the VM-exit MSR-load list, and on a failure there perform a VMX abort.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Loading Host State", "Loading MSRs",
// "VMX Aborts".
#pragma once
#include "cpu/system.hpp"
#include "cpu/vmx/msr_list.hpp"
#include "cpu/vmx/vmx_abort.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace hvlab::cpu::vmx {

// Loads host CR0/CR3/CR4, DR7, the MSRs the exit controls name, segment and descriptor-table
// registers, RIP/RSP/RFLAGS and (PAE hosts) the PDPTEs from the current VMCS, then the
// VM-exit MSR-load list. `was_ia32e` is IA32_EFER.LMA before the exit. Returns the VMX-abort
// indicator if the exit cannot complete (the caller then calls vmx_abort).
std::optional<VmxAbortIndicator> load_host_state(SystemContext& c, bool was_ia32e);

// Writes the indicator into dword 1 of the current VMCS region and puts the processor in the
// shutdown state (SDM Vol. 3C, "VMX Aborts"): only a reset leaves it.
void vmx_abort(SystemContext& c, VmxAbortIndicator indicator);

// An MSR list (VM-entry MSR-load, VM-exit MSR-store or MSR-load) read from guest-physical
// = host-physical memory: 16-byte entries at `address`; at most one entry past the limit.
std::vector<MsrListEntry> read_msr_list(SystemContext& c, uint64_t address, uint32_t count);

// Loads the entries in order as WRMSR at CPL 0 would; stops at the first entry that breaks a
// rule of "Loading MSRs" (or whose WRMSR faults) and returns it. Earlier entries stay loaded.
std::optional<MsrListViolation> load_msr_list(SystemContext& c,
                                              const std::vector<MsrListEntry>& entries);

// RDMSR/WRMSR as the processor does them for the MSR lists: at CPL 0 whatever the CPL of
// the state (the lists are processed in the middle of a VM entry or exit).
Fault read_msr_as_cpl0(SystemContext& c, uint32_t index, uint64_t& value);
Fault write_msr_as_cpl0(SystemContext& c, uint32_t index, uint64_t value);

} // namespace hvlab::cpu::vmx

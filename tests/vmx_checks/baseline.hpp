// A valid VMCS like the one a teaching hypervisor sets up: a 64-bit host and a 64-bit guest
// with EPT, VPID, I/O and MSR bitmaps, PAT/EFER load and save. Every VM-entry check passes on
// it; each negative test breaks exactly one rule from here.
#pragma once
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/vmcs_snapshot.hpp"
#include "cpu/vmx/vmcs_store.hpp"

namespace hvlab::test_vmx {

inline constexpr uint64_t kCurrentVmcs = 0x9000;

// The VMCS, written field by field through VMWRITE semantics.
cpu::vmx::VmcsStore baseline_vmcs();
// load_snapshot(baseline_vmcs()) plus the processor facts of a 64-bit VMX root.
cpu::vmx::VmcsSnapshot baseline_snapshot();

// Turns a valid 64-bit guest into a valid 32-bit protected-mode guest with PAE paging (EPT
// on, so the PDPTEs come from the VMCS).
void make_protected32_guest(cpu::vmx::VmcsSnapshot& s);
// Turns a valid 32-bit protected-mode guest into a valid virtual-8086 guest.
void make_v86_guest(cpu::vmx::VmcsSnapshot& s);
// A 32-bit VMX root: processor outside IA-32e mode, host address-space size 0.
void make_32bit_host(cpu::vmx::VmcsSnapshot& s);

} // namespace hvlab::test_vmx

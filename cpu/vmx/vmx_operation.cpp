// VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMREAD, VMWRITE after their front-end checks.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "VMX Instruction Reference".
#include "cpu/vmx/vmx_operation.hpp"

#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "cpu/vmx/vmcs_store.hpp"

#include <array>
#include <cstring>

namespace hvlab::cpu::vmx {
namespace {

using Region = std::array<uint8_t, kVmcsRegionSize>;

// The 4 KiB VMCS region at a physical address, through the bus (RAM, MMIO or unassigned).
void read_region(mmu::PhysBus& bus, uint64_t addr, Region& out) {
    if (bus.read_bytes(Hpa(addr), out.data(), out.size())) return;
    for (size_t off = 0; off < out.size(); off += 8) {
        const uint64_t q = bus.read(Hpa(addr + off), 8);
        std::memcpy(out.data() + off, &q, 8);
    }
}

// Writes back bytes [8, end of the field block): the launch state, layout tag and fields.
// Dwords 0 and 1 (revision identifier, abort indicator) belong to software.
void write_region_body(mmu::PhysBus& bus, uint64_t addr, const Region& r) {
    constexpr size_t kEnd = kRegionFieldsOffset + kSupportedFieldCount * 8;
    if (bus.write_bytes(Hpa(addr + 8), r.data() + 8, kEnd - 8)) return;
    for (size_t off = 8; off < kEnd; off += 8) {
        uint64_t q;
        std::memcpy(&q, r.data() + off, 8);
        bus.write(Hpa(addr + off), 8, q);
    }
}

// Revision identifier check of VMXON and VMPTRLD: bits 30:0 must be hvlab's, bit 31 (shadow
// VMCS) clear since VMCS shadowing is not supported.
bool revision_matches(mmu::PhysBus& bus, uint64_t addr) {
    const auto dword0 = static_cast<uint32_t>(bus.read(Hpa(addr), 4));
    return dword0 == hvlab_vmx_capabilities().basic.revision_id;
}

constexpr uint64_t kFeatureControlLock = 1u << 0, kFeatureControlVmxOutsideSmx = 1u << 2;

} // namespace

VmxOutcome vm_fail(const CpuState& s, VmInstructionError e) {
    return s.vmx.current_vmcs != kInvalidVmcsPointer ? VmxOutcome::fail_valid(e)
                                                     : VmxOutcome::fail_invalid();
}

uint64_t outcome_arith_flags(const VmxOutcome& o) {
    switch (o.kind) {
    case VmxOutcome::Succeed: return 0;
    case VmxOutcome::FailInvalid: return rflags::CF;
    case VmxOutcome::FailValid: return rflags::ZF;
    }
    return 0;
}

void record_outcome(CpuState& s, const VmxOutcome& o) {
    if (o.kind == VmxOutcome::FailValid) s.vmx.vmcs.set(vmcs::VM_INSTRUCTION_ERROR, o.error);
}

bool valid_vmcs_pointer(uint64_t addr) {
    return (addr & 0xFFF) == 0 && (addr >> model::kMaxPhysAddrBits) == 0;
}

// SDM Vol. 3C, VMXON, Operation: "IF (CPL > 0) or (in A20M mode) or (the values of CR0 and
// CR4 are not supported in VMX operation) or (bit 0 (lock bit) of IA32_FEATURE_CONTROL MSR is
// clear) or (outside SMX operation and bit 2 of IA32_FEATURE_CONTROL MSR is clear) THEN
// #GP(0)". hvlab has no A20M and no SMX.
Fault vmxon_privilege_checks(const CpuState& s) {
    const VmxCapabilities& caps = hvlab_vmx_capabilities();
    if (s.cpl() != 0) return fault_ec(GP, 0);
    if (fixed_bit_violations(s.cr0, caps.cr0_fixed0, caps.cr0_fixed1) ||
        fixed_bit_violations(s.cr4, caps.cr4_fixed0, caps.cr4_fixed1))
        return fault_ec(GP, 0);
    if (!(s.msr.feature_control & kFeatureControlLock) ||
        !(s.msr.feature_control & kFeatureControlVmxOutsideSmx))
        return fault_ec(GP, 0);
    return kNoFault;
}

// "IF addr is not 4KB-aligned or addr sets any bits beyond the physical-address width THEN
// VMfailInvalid; ELSE rev := 32 bits located at physical address addr; IF rev[30:0] != VMCS
// revision identifier supported by processor OR rev[31] = 1 THEN VMfailInvalid; ELSE
// current-VMCS pointer := FFFFFFFF_FFFFFFFFH; enter VMX operation; block INIT signals; block
// and disable A20M; clear address-range monitoring; ... VMsucceed". hvlab has no A20M.
VmxOutcome vmxon(SystemContext& c, uint64_t vmxon_pointer) {
    if (!valid_vmcs_pointer(vmxon_pointer)) return VmxOutcome::fail_invalid();
    if (!revision_matches(c.mem.bus(), vmxon_pointer)) return VmxOutcome::fail_invalid();
    VmxCpuState& v = c.s.vmx;
    v = VmxCpuState{};
    v.operation = true;
    v.vmxon_pointer = vmxon_pointer;
    v.current_vmcs = kInvalidVmcsPointer;
    c.s.monitor_armed = false; // "clear address-range monitoring"
    return VmxOutcome::succeed();
}

// SDM Vol. 3C, VMXOFF: "leave VMX operation; unblock INIT; ...; clear address-range
// monitoring; VMsucceed". The cached VMCS is not written back: software must VMCLEAR first
// ("Software Use of Virtual-Machine Control Structures"), and forgetting it stays visible.
VmxOutcome vmxoff(SystemContext& c) {
    VmxCpuState& v = c.s.vmx;
    v.operation = false;
    v.non_root = false;
    v.current_vmcs = kInvalidVmcsPointer;
    c.s.monitor_armed = false; // "clear address-range monitoring"
    return VmxOutcome::succeed();
}

// SDM Vol. 3C, VMCLEAR: error 2 for a bad address, 3 for the VMXON pointer; then "ensure that
// data for VMCS referenced by the operand is in memory; initialize implementation-specific
// data in VMCS region; launch state of VMCS referenced by the operand := clear; IF operand addr
// = current-VMCS pointer THEN current-VMCS pointer := FFFFFFFF_FFFFFFFFH".
VmxOutcome vmclear(SystemContext& c, uint64_t vmcs_pointer) {
    CpuState& s = c.s;
    if (!valid_vmcs_pointer(vmcs_pointer))
        return vm_fail(s, VmInstructionError::VmclearInvalidAddress);
    if (vmcs_pointer == s.vmx.vmxon_pointer)
        return vm_fail(s, VmInstructionError::VmclearVmxonPointer);
    mmu::PhysBus& bus = c.mem.bus();
    Region region;
    read_region(bus, vmcs_pointer, region);
    if (vmcs_pointer == s.vmx.current_vmcs) {
        save_vmcs_region(s.vmx.vmcs, region);
        s.vmx.current_vmcs = kInvalidVmcsPointer;
    }
    write_launch_state(region, LaunchState::Clear);
    write_region_body(bus, vmcs_pointer, region);
    return VmxOutcome::succeed();
}

// SDM Vol. 3C, VMPTRLD: error 9 for a bad address, 10 for the VMXON pointer, 11 for a wrong
// revision identifier (or the shadow-VMCS indicator); then "current-VMCS pointer := addr".
// hvlab caches one VMCS: loading another one first writes the cached one back, as a
// processor that runs out of VMCS cache space does; loading the current one again keeps
// the cache.
VmxOutcome vmptrld(SystemContext& c, uint64_t vmcs_pointer) {
    CpuState& s = c.s;
    if (!valid_vmcs_pointer(vmcs_pointer))
        return vm_fail(s, VmInstructionError::VmptrldInvalidAddress);
    if (vmcs_pointer == s.vmx.vmxon_pointer)
        return vm_fail(s, VmInstructionError::VmptrldVmxonPointer);
    mmu::PhysBus& bus = c.mem.bus();
    if (!revision_matches(bus, vmcs_pointer))
        return vm_fail(s, VmInstructionError::VmptrldWrongRevision);
    if (vmcs_pointer == s.vmx.current_vmcs) return VmxOutcome::succeed();
    Region region;
    if (s.vmx.current_vmcs != kInvalidVmcsPointer) {
        read_region(bus, s.vmx.current_vmcs, region);
        save_vmcs_region(s.vmx.vmcs, region);
        write_region_body(bus, s.vmx.current_vmcs, region);
    }
    read_region(bus, vmcs_pointer, region);
    s.vmx.vmcs = load_vmcs_region(region);
    s.vmx.current_vmcs = vmcs_pointer;
    return VmxOutcome::succeed();
}

// SDM Vol. 3C, VMREAD: VMfailInvalid without a current VMCS, error 12 for an encoding that
// names no supported field (including any encoding with bits 63:32 set).
VmxOutcome vmread(const CpuState& s, uint64_t encoding, uint64_t& value) {
    if (s.vmx.current_vmcs == kInvalidVmcsPointer) return VmxOutcome::fail_invalid();
    const auto v = encoding >> 32 ? std::nullopt : s.vmx.vmcs.read(static_cast<uint32_t>(encoding));
    if (!v) return VmxOutcome::fail_valid(VmInstructionError::UnsupportedVmcsComponent);
    value = *v;
    return VmxOutcome::succeed();
}

// SDM Vol. 3C, VMWRITE: VMfailInvalid without a current VMCS, error 12 for an unsupported
// encoding, 13 for a VM-exit information field (IA32_VMX_MISC[29] = 0).
VmxOutcome vmwrite_check(const CpuState& s, uint64_t encoding) {
    if (s.vmx.current_vmcs == kInvalidVmcsPointer) return VmxOutcome::fail_invalid();
    if (encoding >> 32 || !lookup_field(static_cast<uint32_t>(encoding)))
        return VmxOutcome::fail_valid(VmInstructionError::UnsupportedVmcsComponent);
    if (is_read_only(static_cast<uint32_t>(encoding)))
        return VmxOutcome::fail_valid(VmInstructionError::VmwriteReadOnlyComponent);
    return VmxOutcome::succeed();
}

VmxOutcome vmwrite(CpuState& s, uint64_t encoding, uint64_t value) {
    const VmxOutcome check = vmwrite_check(s, encoding);
    if (check.kind != VmxOutcome::Succeed) return check;
    s.vmx.vmcs.write(static_cast<uint32_t>(encoding), value);
    return VmxOutcome::succeed();
}

} // namespace hvlab::cpu::vmx

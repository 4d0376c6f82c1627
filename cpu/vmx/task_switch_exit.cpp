// Task-switch VM exits. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Task Switches" in
// "Other Changes in VMX Non-Root Operation": "Task switches are not allowed in VMX non-root
// operation. Any attempt to effect a task switch in VMX non-root operation causes a VM exit.
// However, the following checks are performed (in the order indicated), possibly resulting
// in a fault, before there is any possibility of a VM exit due to task switch": the privilege
// checks of the instruction or event, the new TSS selector, the TSS descriptor read, then its
// type, P bit, S bit and limit. The faults are those of the TASK-GATE and TASK-STATE-SEGMENT
// paths of JMP, CALL, IRET and INT n (Vol. 2A).
#include "cpu/vmx/task_switch_exit.hpp"

#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vm_exit.hpp"

namespace hvlab::cpu::vmx {

using namespace sys;

namespace {

constexpr bool is_tss_type(uint8_t t) {
    using namespace desc_type;
    return t == kTss16Avail || t == kTss16Busy || t == kTssAvail || t == kTssBusy;
}

// The minimum TSS limits: 67H for a 32-bit TSS, 2BH for a 16-bit one (Vol. 3A, "TSS
// Descriptor": a smaller limit is #TS(TSS selector) at a task switch).
constexpr uint32_t minimum_tss_limit(uint8_t type) {
    return (type & 8) ? 0x67 : 0x2B;
}

// Checks 2-4 on the TSS to switch to: a GDT selector within the GDT limit, a TSS descriptor
// that is available (CALL, JMP, task gates) or busy (IRET), present, with a large enough
// limit. Selector and type errors are `bad` (#GP, or #TS for IRET), a not-present TSS #NP.
Fault check_new_tss(SystemContext& c, uint16_t sel, bool busy, uint8_t bad, uint32_t ext) {
    const uint32_t err = selector_error(sel, ext);
    if (in_ldt(sel)) return fault_ec(bad, err);
    const DescriptorFetch f = fetch_descriptor(c, sel);
    if (f.fault) return f.fault;
    if (!f.in_limit) return fault_ec(bad, err);
    const Descriptor& d = f.d;
    if (d.s() || !is_tss_type(d.type()) || bool(d.type() & 2) != busy) return fault_ec(bad, err);
    if (!d.present()) return fault_ec(NP, err);
    if (d.limit() < minimum_tss_limit(d.type())) return fault_ec(TS, err);
    return kNoFault;
}

Fault exit(SystemContext& c, uint16_t sel, TaskSwitchSource source) {
    ExitInfo e;
    e.reason = static_cast<uint32_t>(ExitReason::TaskSwitch);
    e.qualification = sel | (uint64_t{static_cast<uint8_t>(source)} << 30);
    return request_vm_exit(c.s, e);
}

} // namespace

bool is_task_switch_target(const Descriptor& d) {
    return !d.s() && (is_tss_type(d.type()) || d.type() == desc_type::kTaskGate);
}

Fault task_switch_far_transfer(SystemContext& c, uint16_t sel, const Descriptor& d, bool is_call) {
    const CpuState& s = c.s;
    const uint32_t err = selector_error(sel);
    // "IF task gate DPL < CPL or task gate DPL < RPL THEN #GP(task gate selector)"; the same
    // for a TSS descriptor named directly.
    if (d.dpl() < s.cpl() || d.dpl() < rpl_of(sel)) return fault_ec(GP, err);
    uint16_t tss_sel = sel;
    if (d.type() == desc_type::kTaskGate) {
        if (!d.present()) return fault_ec(NP, err);
        tss_sel = d.gate_selector();
    }
    if (Fault f = check_new_tss(c, tss_sel, false, GP, 0)) return f;
    return exit(c, tss_sel, is_call ? TaskSwitchSource::Call : TaskSwitchSource::Jmp);
}

Fault task_switch_iret(SystemContext& c) {
    // "Read TSS back-link selector from current TSS"; IRET's TSS faults are #TS.
    uint16_t back_link = 0;
    if (Fault f = read_system(c, system_linear(c.s, c.s.tr.base, 0), &back_link, 2)) return f;
    if (Fault f = check_new_tss(c, back_link, true, TS, 0)) return f;
    return exit(c, back_link, TaskSwitchSource::Iret);
}

Fault task_switch_idt_gate(SystemContext& c, uint16_t tss_sel, uint32_t ext) {
    if (Fault f = check_new_tss(c, tss_sel, false, GP, ext)) return f;
    return exit(c, tss_sel, TaskSwitchSource::IdtTaskGate);
}

} // namespace hvlab::cpu::vmx

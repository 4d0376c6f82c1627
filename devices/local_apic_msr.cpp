// IA32_APIC_BASE (MSR 0x1B) and IA32_TSC_DEADLINE (MSR 0x6E0) of the local APIC.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Local APIC Status and Location",
// "Enabling or Disabling the Local APIC", "x2APIC State Transitions", "TSC-Deadline Mode".
#include "devices/local_apic.hpp"

#include "devices/local_apic_regs.hpp"

#include <utility>

namespace hvlab::devices {

using namespace lapic;

bool LocalApic::globally_enabled() const {
    return apic_base_ & kApicBaseEnable;
}

uint64_t LocalApic::mmio_base() const {
    return apic_base_ & kApicBaseAddressMask;
}

void LocalApic::set_base_listener(std::function<void(uint64_t)> listener) {
    base_listener_ = std::move(listener);
}

void LocalApic::notify_base_change() {
    if (base_listener_) base_listener_(apic_base_);
}

// IA32_APIC_BASE: bit 8 BSP (read-only), bit 10 EXTD, bit 11 EN, bits MAXPHYADDR-1:12 base.
// Bits 7:0, 9 and MAXPHYADDR and above are reserved: #GP(0). hvlab's CPUID does not advertise
// x2APIC, so EXTD is reserved too; that also covers every x2APIC row of the "x2APIC State
// Transitions" table (disabled -> x2APIC, xAPIC -> invalid EN=0/EXTD=1: #GP). The xAPIC rows
// all succeed: xAPIC -> disabled, disabled -> xAPIC, and a base change while enabled.
// Clearing EN returns the APIC to its power-up state ("prior initialization to the APIC may be
// lost"), and the page reads as absent until EN is set again.
bool LocalApic::write_apic_base(uint64_t value) {
    const uint64_t writable = kApicBaseAddressMask | kApicBaseEnable;
    if (value & ~(writable | kApicBaseBsp)) return false;
    const bool was_enabled = globally_enabled();
    const uint64_t next = (value & writable) | (apic_base_ & kApicBaseBsp);
    if (was_enabled && !(next & kApicBaseEnable)) reset_registers();
    const bool changed = next != apic_base_;
    apic_base_ = next;
    if (changed) notify_base_change();
    return true;
}

bool LocalApic::read_msr(uint32_t index, uint64_t& value) {
    switch (index) {
    case kMsrApicBase: value = apic_base_; return true;
    case kMsrTscDeadline:
        timer_.catch_up();
        value = timer_.tsc_deadline(); // 0 outside TSC-deadline mode
        return true;
    default: return false;
    }
}

bool LocalApic::write_msr(uint32_t index, uint64_t value, bool& gp) {
    gp = false;
    switch (index) {
    case kMsrApicBase: gp = !write_apic_base(value); return true;
    case kMsrTscDeadline:
        if (globally_enabled()) timer_.write_tsc_deadline(value); // any 64-bit value is legal
        return true;
    default: return false;
    }
}

void LocalApic::timer_fired(uint64_t deadline) {
    timer_.fired(deadline);
}

} // namespace hvlab::devices

#include "ui/gui/exit_timeline.hpp"

#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/gui/exit_decode.hpp"

namespace hvlab::gui {

void ExitTimeline::record(ExitRecord r, const cpu::vmx::VmcsStore& vmcs) {
    ++reason_counts_[r.reason & 0xFFFF];
    records_.push_back(std::move(r));
    vmcs_.append(vmcs);
}

bool ExitTimeline::passes(const ExitRecord& r) const {
    return (filter_reason_ == kAny || static_cast<int>(r.reason & 0xFFFF) == filter_reason_) &&
           (filter_guest_ == kAny || r.guest == filter_guest_);
}

void ExitTimeline::set_filter(int reason, int guest) {
    if (reason == filter_reason_ && guest == filter_guest_) return;
    filter_reason_ = reason;
    filter_guest_ = guest;
    visible_.clear();
    visible_scanned_ = 0;
}

const std::vector<uint32_t>& ExitTimeline::visible() {
    for (; visible_scanned_ < records_.size(); ++visible_scanned_)
        if (passes(records_[visible_scanned_]))
            visible_.push_back(static_cast<uint32_t>(visible_scanned_));
    return visible_;
}

void ExitTimeline::fill_synthetic(size_t count) {
    namespace f = cpu::vmx::vmcs;
    // Reasons a teaching hypervisor sees most: CPUID, I/O, CR access, EPT violation, VMCALL,
    // HLT, external interrupt.
    static constexpr uint32_t kReasons[] = {10, 30, 28, 48, 18, 12, 1};
    cpu::vmx::VmcsStore v = records_.empty() ? cpu::vmx::VmcsStore{} : vmcs_at(size() - 1);
    uint64_t time = records_.empty() ? 0 : records_.back().time;
    for (size_t i = 0; i < count; ++i) {
        ExitRecord r;
        time += 1000 + (i * 7919) % 5000;
        r.time = time;
        r.reason = kReasons[(i * 31 + i / 7) % std::size(kReasons)];
        r.guest = static_cast<int>(i & 1);
        r.guest_rip = 0x400000 + ((i * 2654435761u) & 0xFFFF);
        r.qualification = r.reason == 30 ? (0x3F8ull << 16) : r.reason == 28 ? 0x30 : 0;
        r.gpr[0] = i;
        v.set(f::VM_EXIT_REASON, r.reason);
        v.set(f::EXIT_QUALIFICATION, r.qualification);
        v.set(f::GUEST_RIP, r.guest_rip);
        v.set(f::GUEST_RSP, 0x7000 - (i & 0xFF) * 8);
        v.set(f::VM_EXIT_INSTRUCTION_LEN, 2 + (i & 1));
        r.decoded = decode_exit(r.reason, r.qualification, v, r.gpr);
        record(std::move(r), v);
    }
}

void ExitTimeline::clear() {
    records_.clear();
    vmcs_.clear();
    reason_counts_.clear();
    visible_.clear();
    visible_scanned_ = 0;
    selected = -1;
}

} // namespace hvlab::gui

#include "ui/gui/vmcs_history.hpp"

namespace hvlab::gui {

using cpu::vmx::all_fields;

void VmcsHistory::append(const cpu::vmx::VmcsStore& vmcs) {
    change_begin_.push_back(static_cast<uint32_t>(changes_.size()));
    if (count_ % kKeyframeEvery == 0) {
        keyframes_.push_back(vmcs);
    } else {
        const auto fields = all_fields();
        for (size_t i = 0; i < fields.size(); ++i) {
            const uint64_t v = vmcs.get(fields[i].encoding);
            if (v != last_.get(fields[i].encoding))
                changes_.push_back({static_cast<uint16_t>(i), v});
        }
        if (vmcs.launch_state != last_.launch_state)
            changes_.push_back({UINT16_MAX, static_cast<uint64_t>(vmcs.launch_state)});
    }
    last_ = vmcs;
    ++count_;
}

cpu::vmx::VmcsStore VmcsHistory::at(size_t index) const {
    const size_t key = index / kKeyframeEvery;
    cpu::vmx::VmcsStore v = keyframes_[key];
    const auto fields = all_fields();
    const size_t end =
        index + 1 < change_begin_.size() ? change_begin_[index + 1] : changes_.size();
    for (size_t c = change_begin_[key * kKeyframeEvery]; c < end; ++c) {
        const Change& ch = changes_[c];
        if (ch.field == UINT16_MAX)
            v.launch_state = static_cast<cpu::vmx::LaunchState>(ch.value);
        else
            v.set(fields[ch.field].encoding, ch.value);
    }
    return v;
}

void VmcsHistory::clear() {
    keyframes_.clear();
    changes_.clear();
    change_begin_.clear();
    last_ = {};
    count_ = 0;
}

} // namespace hvlab::gui

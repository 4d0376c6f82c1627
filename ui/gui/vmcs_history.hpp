// The VMCS as it was at every recorded VM exit, stored cheaply: a full copy every
// kKeyframeEvery exits and, in between, only the fields that changed since the exit before.
// 100,000 exits of a typical hypervisor cost a few MB instead of 100 MB of full copies.
#pragma once
#include "cpu/vmx/vmcs_store.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::gui {

class VmcsHistory {
  public:
    static constexpr size_t kKeyframeEvery = 64;

    void append(const cpu::vmx::VmcsStore& vmcs);
    size_t size() const { return count_; }
    // The VMCS at record `index` (0-based); index < size().
    cpu::vmx::VmcsStore at(size_t index) const;
    void clear();

  private:
    struct Change {
        uint16_t field; // dense index into cpu::vmx::all_fields()
        uint64_t value;
    };
    std::vector<cpu::vmx::VmcsStore> keyframes_;
    std::vector<Change> changes_;
    std::vector<uint32_t> change_begin_; // per record: first index into changes_
    cpu::vmx::VmcsStore last_;
    size_t count_ = 0;
};

} // namespace hvlab::gui

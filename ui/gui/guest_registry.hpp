// Names the guests of a hypervisor run: each distinct current-VMCS pointer seen at a VM entry
// is one guest, numbered in order of first entry ("guest 0", "guest 1", ...).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::gui {

class GuestRegistry {
  public:
    // The id of the guest with this VMCS, registering it on first sight.
    int id_for(uint64_t vmcs_pointer);
    // The id, or -1 if never entered.
    int find(uint64_t vmcs_pointer) const;
    size_t size() const { return vmcs_.size(); }
    uint64_t vmcs_of(int id) const { return vmcs_[static_cast<size_t>(id)]; }
    // "guest 1", or "guest 1 (pv)" with a label; "host" for -1.
    std::string name(int id) const;
    // A label for guest `id` (from the command line), before or after it is first entered.
    void set_label(size_t id, std::string label);

  private:
    std::vector<uint64_t> vmcs_;
    std::vector<std::string> labels_;
};

} // namespace hvlab::gui

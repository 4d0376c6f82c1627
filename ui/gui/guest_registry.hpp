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
    std::string name(int id) const; // "guest 1" / "host" for -1

  private:
    std::vector<uint64_t> vmcs_;
};

} // namespace hvlab::gui

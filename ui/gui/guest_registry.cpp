#include "ui/gui/guest_registry.hpp"

namespace hvlab::gui {

int GuestRegistry::find(uint64_t vmcs_pointer) const {
    for (size_t i = 0; i < vmcs_.size(); ++i)
        if (vmcs_[i] == vmcs_pointer) return static_cast<int>(i);
    return -1;
}

int GuestRegistry::id_for(uint64_t vmcs_pointer) {
    const int id = find(vmcs_pointer);
    if (id >= 0) return id;
    vmcs_.push_back(vmcs_pointer);
    return static_cast<int>(vmcs_.size() - 1);
}

std::string GuestRegistry::name(int id) const {
    if (id < 0) return "host";
    std::string n = "guest " + std::to_string(id);
    const size_t i = static_cast<size_t>(id);
    if (i < labels_.size() && !labels_[i].empty()) n += " (" + labels_[i] + ")";
    return n;
}

void GuestRegistry::set_label(size_t id, std::string label) {
    if (labels_.size() <= id) labels_.resize(id + 1);
    labels_[id] = std::move(label);
}

} // namespace hvlab::gui

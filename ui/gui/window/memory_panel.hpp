// Memory: hex and ASCII by guest-virtual, guest-physical or host-physical address, with goto.
// Bytes that changed between the previous stop and this one (the last writes) are
// highlighted: each visible row remembers what it held when the machine last stopped.
#pragma once
#include "ui/gui/memory_reader.hpp"
#include "ui/gui/window/panel.hpp"

#include <array>
#include <unordered_map>

namespace hvlab::gui {

class MemoryPanel : public Panel {
  public:
    MemoryPanel(ImVec2 pos, ImVec2 size) : Panel("memory", "Memory", pos, size) {}
    void draw(Session& s) override;
    void go_to(AddressKind kind, uint64_t address);

  private:
    struct Row {
        uint64_t generation = ~0ull;
        std::array<uint8_t, 16> at_stop{}, previous{};
        bool valid_at_stop = false, has_previous = false;
    };
    static constexpr uint64_t kSpan = 0x10000; // scrollable bytes from `base_`
    AddressKind kind_ = AddressKind::Linear;
    uint64_t base_ = 0;
    bool scroll_to_top_ = true;
    char input_[20] = "0";
    std::unordered_map<uint64_t, Row> rows_;
};

} // namespace hvlab::gui

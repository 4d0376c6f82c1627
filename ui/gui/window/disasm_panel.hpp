// Disassembly (Capstone) around RIP, or from an address the user enters, with the images'
// symbols as labels and a breakpoint gutter: click the gutter to toggle a breakpoint on the
// instruction's guest-virtual address.
#pragma once
#include "ui/gui/window/panel.hpp"

#include <vector>

namespace hvlab::gui {

class DisasmPanel : public Panel {
  public:
    DisasmPanel(ImVec2 pos, ImVec2 size) : Panel("disasm", "Disassembly", pos, size) {}
    void draw(Session& s) override;

  private:
    void refresh(Session& s, uint64_t center);
    std::vector<DisasmLine> lines_;
    uint64_t cached_center_ = ~0ull, cached_generation_ = ~0ull;
    uint64_t cached_clock_ = ~0ull;
    bool follow_rip_ = true;
    char goto_[20] = "";
    uint64_t goto_addr_ = 0;
};

} // namespace hvlab::gui

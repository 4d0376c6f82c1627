// Breakpoints: add by guest-virtual or guest-physical address, VM-exit reason or I/O port,
// with an optional "stop from the Nth hit"; the list shows hit counts and enables/deletes.
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class BreakpointsPanel : public Panel {
  public:
    BreakpointsPanel(ImVec2 pos, ImVec2 size) : Panel("breakpoints", "Breakpoints", pos, size) {}
    void draw(Session& s) override;

  private:
    int kind_ = 0;
    char value_[32] = "";
    int from_hit_ = 1;
    std::string error_;
};

} // namespace hvlab::gui

// Console: the serial output, one tab per writer (the host or hypervisor, and each guest),
// plus all of it interleaved. Reads the recorded lines only: opening it never drains a FIFO.
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class ConsolePanel : public Panel {
  public:
    ConsolePanel(ImVec2 pos, ImVec2 size) : Panel("console", "Console", pos, size) {}
    void draw(Session& s) override;
};

} // namespace hvlab::gui

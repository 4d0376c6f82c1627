// VM-exit timeline: every exit with instruction count, guest, reason, decoded qualification
// and guest RIP; filter by reason and guest; select an exit to see the VMCS and registers as
// they were then; "break on this reason" toggles an exit-reason breakpoint. Only the visible
// rows are drawn (ImGuiListClipper), so 100,000 exits stay smooth.
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class TimelinePanel : public Panel {
  public:
    TimelinePanel(ImVec2 pos, ImVec2 size) : Panel("timeline", "VM-exit timeline", pos, size) {}
    void draw(Session& s) override;
    bool scroll_to_selected = false;

  private:
    void filters(Session& s);
    bool follow_ = true;
};

} // namespace hvlab::gui

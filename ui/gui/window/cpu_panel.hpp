// CPU: GPRs, RIP, RFLAGS by flag, segment registers with their hidden parts, descriptor
// tables, CR0/2/3/4/8, EFER, key MSRs and the VMX state. Values the last command changed are
// highlighted. With an exit selected in the timeline, it can show the guest registers saved
// at that exit instead.
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class CpuPanel : public Panel {
  public:
    CpuPanel(ImVec2 pos, ImVec2 size) : Panel("cpu", "CPU", pos, size) {}
    void draw(Session& s) override;

  private:
    void draw_live(Session& s);
    void draw_at_exit(Session& s, size_t index);
    bool show_exit_ = true;
};

} // namespace hvlab::gui

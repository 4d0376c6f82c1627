// VMCS: every supported field of the current VMCS (or of the VMCS as it was at the exit
// selected in the timeline), grouped as the SDM groups them (Vol. 3C, "Organization of VMCS
// Data"): control fields, guest-state area, host-state area, VM-exit information. Control
// words are decoded bit by bit by name; fields changed since the previous exit are
// highlighted.
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class VmcsPanel : public Panel {
  public:
    VmcsPanel(ImVec2 pos, ImVec2 size) : Panel("vmcs", "VMCS", pos, size) {}
    void draw(Session& s) override;
    bool only_changed = false;
};

} // namespace hvlab::gui

// VM-entry failure: the failed check by name, its SDM section and the offending values, from
// the named check table (cpu/vmx/entry_check.hpp), plus where that check sits in the ordered
// table the processor walks (controls, then host state, then guest state).
#pragma once
#include "ui/gui/window/panel.hpp"

namespace hvlab::gui {

class EntryFailurePanel : public Panel {
  public:
    EntryFailurePanel(ImVec2 pos, ImVec2 size) : Panel("failure", "VM-entry failure", pos, size) {}
    void draw(Session& s) override;

  private:
    size_t scrolled_to_ = 0; // failures count when the check list last scrolled to the hit
};

} // namespace hvlab::gui

// Page walk: for a guest-virtual address, the walk of the running context's paging
// structures and, under EPT, the EPT walk of every guest-physical address the walk used (the
// 2D walk, SDM Vol. 3C, "Guest-Physical Address Translation"): each entry's address, value and
// permission bits, and where the walk stopped and why. Built by LinearMemory::walk_2d, which
// has no side effects (no A/D updates, no TLB fill, no exit).
#pragma once
#include "ui/gui/window/panel.hpp"

#include "mmu/walk_2d.hpp"

namespace hvlab::gui {

class PageWalkPanel : public Panel {
  public:
    PageWalkPanel(ImVec2 pos, ImVec2 size) : Panel("pagewalk", "Page walk", pos, size) {}
    void draw(Session& s) override;
    void walk(uint64_t linear, int kind);

  private:
    uint64_t linear_ = 0;
    int kind_ = 0; // 0 read, 1 write, 2 execute
    char input_[20] = "";
    bool have_address_ = false;
};

} // namespace hvlab::gui

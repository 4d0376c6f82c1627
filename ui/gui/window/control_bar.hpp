// The run controls and the status line, docked at the top of the window: run, pause, step,
// step over, run to the next VM exit / entry, run until an exit reason, run N instructions;
// then mode and CPL, VMX root or non-root, the running guest, instruction count and speed.
#pragma once
#include "ui/gui/session.hpp"

namespace hvlab::gui {

class ControlBar {
  public:
    static constexpr float kHeight = 58;
    // speed_mips < 0 hides the speed (script mode: screenshots must not depend on the host).
    void draw(Session& s, float y, float width, double speed_mips);

  private:
    int reason_ = 10; // CPUID
    int count_ = 1000;
};

} // namespace hvlab::gui

// One inspector window (STYLE.md, ui/gui: one window is one class in one file). The app owns
// the panels, places them on first use, and calls draw() between ImGui::Begin and End.
// Panels read the machine only through the Session (peek-style reads, never side effects).
#pragma once
#include "ui/gui/session.hpp"

#include <imgui.h>

namespace hvlab::gui {

class Panel {
  public:
    Panel(const char* name, const char* title, ImVec2 pos, ImVec2 size)
        : name_(name), title_(title), default_pos_(pos), default_size_(size) {}
    virtual ~Panel() = default;

    const char* name() const { return name_; }   // the script's name: "cpu", "vmcs", ...
    const char* title() const { return title_; } // the window title
    ImVec2 default_pos() const { return default_pos_; }
    ImVec2 default_size() const { return default_size_; }

    virtual void draw(Session& s) = 0;

    bool open = true;
    bool focus_next = false;        // bring to front on the next frame (script `open PANEL`)
    ImVec2 last_pos{}, last_size{}; // where it was drawn last (screenshots of one panel)

  private:
    const char* name_;
    const char* title_;
    ImVec2 default_pos_, default_size_;
};

} // namespace hvlab::gui

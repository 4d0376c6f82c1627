// The inspector window: SDL2 + OpenGL 3 + Dear ImGui. Each frame it lets the session run one
// slice (sized to keep the window responsive, so the guest runs at full speed between frames)
// and draws the control bar and the panels. The script mode drives the same frame function.
#pragma once
#include "ui/gui/session.hpp"
#include "ui/gui/window/control_bar.hpp"
#include "ui/gui/window/panel.hpp"

#include <memory>
#include <string>
#include <vector>

struct SDL_Window;

namespace hvlab::gui {

class MemoryPanel;
class PageWalkPanel;
class TimelinePanel;

struct AppOptions {
    int width = 1600, height = 1000;
    bool script_mode = false; // no imgui.ini, no vsync, no host speed on screen
};

class App {
  public:
    App(Session& session, const AppOptions& options);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Interactive loop until the window closes.
    void run();
    // One frame: input, a run slice if the session is busy, drawing, swap. Returns the
    // frame's duration in milliseconds (host time; never guest-visible).
    double frame(bool swap = true);
    // Host cost of the last frame: main-thread CPU time of building the UI (ImGui, panels)
    // and of the whole frame, in milliseconds. Wall time on a loaded host mostly measures
    // waiting for a core; these measure what the inspector itself costs.
    double last_build_cpu_ms() const { return build_cpu_ms_; }
    double last_frame_cpu_ms() const { return frame_cpu_ms_; }

    Session& session() { return session_; }
    Panel* panel(const std::string& name);
    const std::vector<std::unique_ptr<Panel>>& panels() const { return panels_; }
    MemoryPanel& memory() { return *memory_; }
    PageWalkPanel& page_walk() { return *page_walk_; }
    TimelinePanel& timeline() { return *timeline_; }
    void resize(int width, int height);
    // Renders a frame and saves it (or one panel's rectangle) as PNG.
    void screenshot(const std::string& path, const std::string& panel_name);
    bool quit_requested() const { return quit_; }

  private:
    void handle_events();
    void key(int sym);
    void draw_menu();
    void draw_panels();

    Session& session_;
    AppOptions options_;
    SDL_Window* window_ = nullptr;
    void* gl_context_ = nullptr;
    ControlBar controls_;
    std::vector<std::unique_ptr<Panel>> panels_;
    MemoryPanel* memory_ = nullptr;
    PageWalkPanel* page_walk_ = nullptr;
    TimelinePanel* timeline_ = nullptr;
    uint64_t slice_ = 200'000; // instructions per frame while running, adapted to ~12 ms
    double mips_ = 0;
    double build_cpu_ms_ = 0, frame_cpu_ms_ = 0;
    bool quit_ = false;
};

} // namespace hvlab::gui

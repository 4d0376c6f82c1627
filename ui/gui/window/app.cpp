#include "ui/gui/window/app.hpp"

#include "common/error.hpp"
#include "ui/gui/window/breakpoints_panel.hpp"
#include "ui/gui/window/console_panel.hpp"
#include "ui/gui/window/cpu_panel.hpp"
#include "ui/gui/window/disasm_panel.hpp"
#include "ui/gui/window/entry_failure_panel.hpp"
#include "ui/gui/window/memory_panel.hpp"
#include "ui/gui/window/page_walk_panel.hpp"
#include "ui/gui/window/screenshot.hpp"
#include "ui/gui/window/timeline_panel.hpp"
#include "ui/gui/window/vmcs_panel.hpp"

#include <SDL.h>
#include <SDL_opengl.h>
#include <algorithm>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <chrono>
#include <ctime>
#include <imgui.h>

namespace hvlab::gui {
namespace {

using machine::event_bit;
using machine::EventType;

constexpr float kMenuHeight = 20;
constexpr double kSliceTargetMs = 12; // leaves room for drawing within a 60 Hz frame

// CPU time of the calling thread (the GL driver may render in its own threads).
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

App::App(Session& session, const AppOptions& options) : session_(session), options_(options) {
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0)
        throw UserError(std::string("cannot open a window (SDL: ") + SDL_GetError() + ")");
    // OpenGL 3.0 with GLSL 130: what Mesa's llvmpipe offers under Xvfb, and any desktop GPU.
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    window_ = SDL_CreateWindow("hvlab inspector", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                               options_.width, options_.height,
                               SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!window_)
        throw UserError(std::string("cannot open a window (SDL: ") + SDL_GetError() + ")");
    gl_context_ = SDL_GL_CreateContext(window_);
    if (!gl_context_)
        throw UserError(std::string("cannot create an OpenGL 3 context (SDL: ") + SDL_GetError() +
                        ")");
    SDL_GL_MakeCurrent(window_, gl_context_);
    SDL_GL_SetSwapInterval(options_.script_mode ? 0 : 1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = options_.script_mode ? nullptr : "hvlab-gui.ini";
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0;
    ImGui_ImplSDL2_InitForOpenGL(window_, gl_context_);
    ImGui_ImplOpenGL3_Init("#version 130");

    // Default layout: three columns, two rows, under the menu and the control bar.
    const float top = kMenuHeight + ControlBar::kHeight;
    const float w = static_cast<float>(options_.width),
                h = static_cast<float>(options_.height) - top;
    const float c1 = w * 0.30f, c2 = w * 0.30f, c3 = w - c1 - c2, r1 = h * 0.5f, r2 = h - r1;
    auto add = [&](auto panel, bool open) {
        panel->open = open;
        auto* raw = panel.get();
        panels_.push_back(std::move(panel));
        return raw;
    };
    add(std::make_unique<CpuPanel>(ImVec2(0, top), ImVec2(c1, r1)), true);
    add(std::make_unique<ConsolePanel>(ImVec2(0, top + r1), ImVec2(c1, r2)), true);
    add(std::make_unique<DisasmPanel>(ImVec2(c1, top), ImVec2(c2, r1)), true);
    memory_ = add(std::make_unique<MemoryPanel>(ImVec2(c1, top + r1), ImVec2(c2, r2)), true);
    timeline_ = add(std::make_unique<TimelinePanel>(ImVec2(c1 + c2, top), ImVec2(c3, r1)), true);
    add(std::make_unique<VmcsPanel>(ImVec2(c1 + c2, top + r1), ImVec2(c3, r2)), true);
    add(std::make_unique<EntryFailurePanel>(ImVec2(c1, top + r1), ImVec2(c2, r2)), false);
    page_walk_ =
        add(std::make_unique<PageWalkPanel>(ImVec2(c1, top), ImVec2(c2 + 80, r1 + r2)), false);
    add(std::make_unique<BreakpointsPanel>(ImVec2(0, top + r1), ImVec2(c1, r2)), false);
}

App::~App() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    if (gl_context_) SDL_GL_DeleteContext(gl_context_);
    if (window_) SDL_DestroyWindow(window_);
    SDL_Quit();
}

Panel* App::panel(const std::string& name) {
    for (auto& p : panels_)
        if (name == p->name()) return p.get();
    return nullptr;
}

void App::resize(int width, int height) {
    SDL_SetWindowSize(window_, width, height);
}

void App::key(int sym) {
    Session& s = session_;
    if (sym == SDLK_ESCAPE || sym == SDLK_F6) return s.pause();
    if (s.busy()) return;
    switch (sym) {
    case SDLK_F5: s.run_free(); break;
    case SDLK_F11: s.step(1); break;
    case SDLK_F10: s.step_over(); break;
    case SDLK_F8: s.run_to_event(event_bit(EventType::VmExit)); break;
    case SDLK_F9:
        s.run_to_event(event_bit(EventType::VmEntry) | event_bit(EventType::VmEntryFailure));
        break;
    default: break;
    }
}

void App::handle_events() {
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        ImGui_ImplSDL2_ProcessEvent(&e);
        if (e.type == SDL_QUIT) quit_ = true;
        if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE) quit_ = true;
        if (e.type == SDL_KEYDOWN && !ImGui::GetIO().WantCaptureKeyboard) key(e.key.keysym.sym);
    }
}

void App::draw_menu() {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("View")) {
        for (auto& p : panels_)
            ImGui::MenuItem(p->title(), nullptr, &p->open);
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        ImGui::TextUnformatted("F5 run, Esc pause, F11 step, F10 step over,");
        ImGui::TextUnformatted("F8 next VM exit, F9 next VM entry.");
        ImGui::TextUnformatted("Click a timeline row to see the VMCS and registers then.");
        ImGui::EndMenu();
    }
    ImGui::EndMainMenuBar();
}

void App::draw_panels() {
    for (auto& p : panels_) {
        if (!p->open) continue;
        ImGui::SetNextWindowPos(p->default_pos(), ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(p->default_size(), ImGuiCond_FirstUseEver);
        if (p->focus_next) {
            ImGui::SetNextWindowFocus();
            p->focus_next = false;
        }
        if (ImGui::Begin(p->title(), &p->open)) p->draw(session_);
        p->last_pos = ImGui::GetWindowPos();
        p->last_size = ImGui::GetWindowSize();
        ImGui::End();
    }
}

double App::frame(bool swap) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu_ms();
    handle_events();
    if (session_.busy()) {
        const uint64_t before = session_.machine().now();
        const auto r0 = std::chrono::steady_clock::now();
        session_.advance(slice_);
        const double ms = std::max(ms_since(r0), 0.01);
        mips_ = static_cast<double>(session_.machine().now() - before) / (ms * 1000.0);
        // Size the next slice to take about kSliceTargetMs of host time.
        const double scaled = static_cast<double>(slice_) * kSliceTargetMs / ms;
        slice_ = static_cast<uint64_t>(std::clamp(scaled, 1e4, 5e7));
    }
    const double build0 = thread_cpu_ms();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    draw_menu();
    controls_.draw(session_, kMenuHeight, ImGui::GetIO().DisplaySize.x,
                   options_.script_mode ? -1.0 : mips_);
    draw_panels();
    ImGui::Render();
    build_cpu_ms_ = thread_cpu_ms() - build0;
    const ImGuiIO& io = ImGui::GetIO();
    glViewport(0, 0, static_cast<int>(io.DisplaySize.x * io.DisplayFramebufferScale.x),
               static_cast<int>(io.DisplaySize.y * io.DisplayFramebufferScale.y));
    glClearColor(0.08f, 0.08f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (swap) SDL_GL_SwapWindow(window_);
    frame_cpu_ms_ = thread_cpu_ms() - cpu0;
    return ms_since(t0);
}

void App::run() {
    while (!quit_) {
        if (!session_.busy()) SDL_WaitEventTimeout(nullptr, 100); // idle: no busy loop
        frame();
    }
}

void App::screenshot(const std::string& path, const std::string& panel_name) {
    // Two frames: the first lays out windows opened by the script, the second is captured.
    frame();
    frame(false);
    const ImGuiIO& io = ImGui::GetIO();
    const float sx = io.DisplayFramebufferScale.x, sy = io.DisplayFramebufferScale.y;
    const int fw = static_cast<int>(io.DisplaySize.x * sx),
              fh = static_cast<int>(io.DisplaySize.y * sy);
    int x = 0, y = 0, w = fw, h = fh;
    if (!panel_name.empty()) {
        const Panel* p = panel(panel_name);
        if (!p) throw UserError("screenshot: no panel named '" + panel_name + "'");
        x = static_cast<int>(p->last_pos.x * sx);
        y = static_cast<int>(p->last_pos.y * sy);
        w = static_cast<int>(p->last_size.x * sx);
        h = static_cast<int>(p->last_size.y * sy);
    }
    save_screenshot(path, fw, fh, x, y, w, h);
    SDL_GL_SwapWindow(window_);
}

} // namespace hvlab::gui

#include "ui/gui/window/console_panel.hpp"

#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {
namespace {

// Draws the lines whose source passes `want` (-2: every source) with a clipped list.
void lines(Session& s, int want) {
    const auto& all = s.console().lines();
    std::vector<size_t> idx;
    if (want != -2) idx = s.console().lines_of(want);
    const size_t n = want == -2 ? all.size() : idx.size();
    ImGui::BeginChild("text", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(n));
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const ConsoleLine& l =
                all[want == -2 ? static_cast<size_t>(i) : idx[static_cast<size_t>(i)]];
            ImGui::TextColored(kDim, "%10" PRIu64, l.time);
            ImGui::SameLine();
            if (want == -2) {
                ImGui::TextColored(kAccent, "%-14s", s.guests().name(l.source).c_str());
                ImGui::SameLine();
            }
            ImGui::TextUnformatted(l.text.c_str());
        }
    }
    if (s.busy()) ImGui::SetScrollHereY(1.0f);
    ImGui::EndChild();
}

} // namespace

void ConsolePanel::draw(Session& s) {
    if (!ImGui::BeginTabBar("consoles")) return;
    if (ImGui::BeginTabItem("all")) {
        lines(s, -2);
        ImGui::EndTabItem();
    }
    for (int src : s.console().sources()) {
        const std::string name = s.guests().name(src);
        if (ImGui::BeginTabItem(name.c_str())) {
            lines(s, src);
            ImGui::EndTabItem();
        }
    }
    ImGui::EndTabBar();
}

} // namespace hvlab::gui

// Small drawing helpers shared by the panels: hex text, the "changed" highlight colour.
#pragma once
#include <imgui.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace hvlab::gui {

inline const ImVec4 kChanged{1.0f, 0.75f, 0.2f, 1.0f}; // changed by the last command
inline const ImVec4 kDim{0.55f, 0.55f, 0.6f, 1.0f};    // unreadable, reserved, zero
inline const ImVec4 kAccent{0.4f, 0.8f, 1.0f, 1.0f};   // current RIP, selection
inline const ImVec4 kError{1.0f, 0.35f, 0.35f, 1.0f};  // failures, breakpoints

// "NAME 0000000000001234" with the value highlighted when `changed`.
inline void reg_text(const char* name, uint64_t value, bool changed, int digits = 16) {
    ImGui::TextUnformatted(name);
    ImGui::SameLine(72);
    if (changed) ImGui::PushStyleColor(ImGuiCol_Text, kChanged);
    ImGui::Text("%0*" PRIx64, digits, value);
    if (changed) ImGui::PopStyleColor();
}

} // namespace hvlab::gui

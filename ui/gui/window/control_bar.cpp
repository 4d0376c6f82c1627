#include "ui/gui/window/control_bar.hpp"

#include "cpu/vmx/exit_reason.hpp"
#include "ui/gui/exit_decode.hpp"
#include "ui/gui/window/ui_style.hpp"

#include <imgui.h>

namespace hvlab::gui {
namespace {

using machine::event_bit;
using machine::EventType;

const char* mode_text(const cpu::CpuState& c) {
    switch (c.mode()) {
    case cpu::CpuMode::Long64: return "long mode (64-bit)";
    case cpu::CpuMode::Compat16:
    case cpu::CpuMode::Compat32: return "long mode (compatibility)";
    case cpu::CpuMode::Real: return "real mode";
    default: return "protected mode";
    }
}

} // namespace

void ControlBar::draw(Session& s, float y, float width, double speed_mips) {
    ImGui::SetNextWindowPos(ImVec2(0, y));
    ImGui::SetNextWindowSize(ImVec2(width, kHeight));
    ImGui::Begin("controls", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    const bool busy = s.busy();
    if (busy) {
        if (ImGui::Button("Pause")) s.pause();
    } else if (ImGui::Button("Run")) {
        s.run_free();
    }
    ImGui::SameLine();
    ImGui::BeginDisabled(busy);
    if (ImGui::Button("Step")) s.step(1);
    ImGui::SameLine();
    if (ImGui::Button("Step over")) s.step_over();
    ImGui::SameLine();
    if (ImGui::Button("Next VM exit")) s.run_to_event(event_bit(EventType::VmExit));
    ImGui::SameLine();
    if (ImGui::Button("Next VM entry"))
        s.run_to_event(event_bit(EventType::VmEntry) | event_bit(EventType::VmEntryFailure));
    ImGui::SameLine();
    if (ImGui::Button("Run until")) s.run_until_exit(static_cast<uint32_t>(reason_));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(190);
    const std::string label = exit_reason_label(static_cast<uint32_t>(reason_));
    if (ImGui::BeginCombo("##until", label.c_str())) {
        for (uint32_t r = 0; r < 80; ++r) {
            if (cpu::vmx::exit_reason_name(r).empty()) continue;
            if (ImGui::Selectable(exit_reason_label(r).c_str(), reason_ == static_cast<int>(r)))
                reason_ = static_cast<int>(r);
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button("Run N")) s.run_count(static_cast<uint64_t>(count_));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110);
    ImGui::InputInt("##n", &count_, 0);
    if (count_ < 1) count_ = 1;
    ImGui::EndDisabled();

    // Status line.
    const cpu::CpuState& c = s.state();
    const char* vmx = !c.vmx.operation ? "VMX off" : c.vmx.non_root ? "VMX non-root" : "VMX root";
    const int guest = s.current_guest();
    char speed[48] = "";
    if (speed_mips >= 0) std::snprintf(speed, sizeof speed, ", %.1f MIPS", busy ? speed_mips : 0.0);
    ImGui::Text("%s, CPL %u | %s%s%s | instruction %" PRIu64 "%s | %s%s", mode_text(c), c.cpl(),
                vmx, guest >= 0 ? ", " : "", guest >= 0 ? s.guests().name(guest).c_str() : "",
                s.machine().now(), speed, busy ? "running" : "", busy ? "" : s.stop_text().c_str());
    ImGui::End();
}

} // namespace hvlab::gui

#include "ui/gui/window/timeline_panel.hpp"

#include "ui/gui/exit_decode.hpp"
#include "ui/gui/window/ui_style.hpp"

#include <string>

namespace hvlab::gui {

void TimelinePanel::filters(Session& s) {
    ExitTimeline& t = s.timeline();
    int reason = t.filter_reason(), guest = t.filter_guest();
    const std::string reason_label = reason == ExitTimeline::kAny
                                         ? "any reason"
                                         : exit_reason_label(static_cast<uint32_t>(reason));
    ImGui::SetNextItemWidth(220);
    if (ImGui::BeginCombo("##reason", reason_label.c_str())) {
        if (ImGui::Selectable("any reason", reason == ExitTimeline::kAny))
            reason = ExitTimeline::kAny;
        for (const auto& [r, n] : t.reason_counts()) {
            const std::string label = exit_reason_label(r) + " (" + std::to_string(n) + ")";
            if (ImGui::Selectable(label.c_str(), reason == static_cast<int>(r)))
                reason = static_cast<int>(r);
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120);
    const std::string guest_label =
        guest == ExitTimeline::kAny ? "any guest" : s.guests().name(guest);
    if (ImGui::BeginCombo("##guest", guest_label.c_str())) {
        if (ImGui::Selectable("any guest", guest == ExitTimeline::kAny)) guest = ExitTimeline::kAny;
        for (size_t g = 0; g < s.guests().size(); ++g)
            if (ImGui::Selectable(s.guests().name(static_cast<int>(g)).c_str(),
                                  guest == static_cast<int>(g)))
                guest = static_cast<int>(g);
        ImGui::EndCombo();
    }
    t.set_filter(reason, guest);
    ImGui::SameLine();
    ImGui::Checkbox("follow", &follow_);
    if (t.selected >= 0) {
        const uint32_t r = t.at(static_cast<size_t>(t.selected)).reason & 0xFFFF;
        bool on = s.breakpoints().has(BreakKind::ExitReason, r);
        ImGui::SameLine();
        if (ImGui::Checkbox("break on this reason", &on))
            s.breakpoints().toggle(BreakKind::ExitReason, r);
        ImGui::SameLine();
        if (ImGui::SmallButton("deselect")) t.selected = -1;
    }
}

void TimelinePanel::draw(Session& s) {
    filters(s);
    ExitTimeline& t = s.timeline();
    const std::vector<uint32_t>& rows = t.visible();
    ImGui::Text("%zu exits, %zu shown, %" PRIu64 " VM entries", t.size(), rows.size(),
                s.vm_entries());
    // Fixed columns with horizontal scrolling: the decoded qualification is long.
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                                  ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("exits", 6, flags)) return;
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed, 44);
    ImGui::TableSetupColumn("instr.", ImGuiTableColumnFlags_WidthFixed, 64);
    ImGui::TableSetupColumn("guest", ImGuiTableColumnFlags_WidthFixed, 52);
    ImGui::TableSetupColumn("reason", ImGuiTableColumnFlags_WidthFixed, 150);
    ImGui::TableSetupColumn("qualification", ImGuiTableColumnFlags_WidthFixed, 330);
    ImGui::TableSetupColumn("guest RIP", ImGuiTableColumnFlags_WidthFixed, 125);
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(rows.size()));
    int selected_row = -1;
    if (scroll_to_selected && t.selected >= 0) {
        const auto it =
            std::lower_bound(rows.begin(), rows.end(), static_cast<uint32_t>(t.selected));
        if (it != rows.end() && *it == static_cast<uint32_t>(t.selected)) {
            selected_row = static_cast<int>(it - rows.begin());
            clip.ForceDisplayRangeByIndices(selected_row, selected_row + 1);
        }
    }
    while (clip.Step()) {
        for (int row = clip.DisplayStart; row < clip.DisplayEnd; ++row) {
            const uint32_t i = rows[static_cast<size_t>(row)];
            const ExitRecord& r = t.at(i);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            char id[24];
            std::snprintf(id, sizeof id, "%u", i + 1);
            if (ImGui::Selectable(id, t.selected == static_cast<int>(i),
                                  ImGuiSelectableFlags_SpanAllColumns))
                t.selected = t.selected == static_cast<int>(i) ? -1 : static_cast<int>(i);
            if (row == selected_row) {
                ImGui::SetScrollHereY(0.5f);
                scroll_to_selected = false;
            }
            ImGui::TableNextColumn();
            ImGui::Text("%" PRIu64, r.time);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(s.guests().name(r.guest).c_str());
            ImGui::TableNextColumn();
            if (r.reason >> 31) ImGui::PushStyleColor(ImGuiCol_Text, kError);
            ImGui::TextUnformatted(exit_reason_label(r.reason).c_str());
            if (r.reason >> 31) ImGui::PopStyleColor();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(r.decoded.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%016" PRIx64, r.guest_rip);
            if (ImGui::IsItemHovered()) {
                const std::string sym = s.symbols(r.guest).describe(r.guest_rip);
                if (!sym.empty()) ImGui::SetTooltip("%s", sym.c_str());
            }
        }
    }
    if (follow_ && s.busy() && t.selected < 0) ImGui::SetScrollHereY(1.0f);
    ImGui::EndTable();
}

} // namespace hvlab::gui

#include "ui/gui/window/breakpoints_panel.hpp"

#include "ui/gui/script.hpp"
#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {

void BreakpointsPanel::draw(Session& s) {
    ImGui::SetNextItemWidth(150);
    ImGui::Combo("##kind", &kind_, "address (GVA)\0address (GPA)\0VM-exit reason\0I/O port\0");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(160);
    ImGui::InputText("##value", value_, sizeof value_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(80);
    ImGui::InputInt("from hit", &from_hit_);
    if (from_hit_ < 1) from_hit_ = 1;
    ImGui::SameLine();
    if (ImGui::Button("Add")) {
        const BreakKind kind = static_cast<BreakKind>(kind_);
        uint64_t v = 0;
        uint32_t reason = 0;
        bool ok;
        if (kind == BreakKind::ExitReason) {
            ok = parse_exit_reason(value_, reason);
            v = reason;
        } else {
            ok = parse_number(value_, v) || parse_number(std::string("0x") + value_, v);
            if (kind == BreakKind::IoPort && v > 0xFFFF) ok = false;
        }
        error_ = ok ? "" : "not a valid value for this kind";
        if (ok) s.breakpoints().add(kind, v, static_cast<uint64_t>(from_hit_));
    }
    if (!error_.empty()) ImGui::TextColored(kError, "%s", error_.c_str());
    ImGui::TextColored(kDim, "addresses in hex; exit reasons by number or SDM name");

    auto& list = s.breakpoints().list();
    if (!ImGui::BeginTable("bps", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
        return;
    ImGui::TableSetupColumn("on");
    ImGui::TableSetupColumn("breakpoint", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("hits");
    ImGui::TableSetupColumn("");
    ImGui::TableHeadersRow();
    int remove = -1;
    for (size_t i = 0; i < list.size(); ++i) {
        Breakpoint& b = list[i];
        ImGui::PushID(static_cast<int>(i));
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Checkbox("##on", &b.enabled);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(b.describe().c_str());
        ImGui::TableNextColumn();
        if (b.stop_from > 1)
            ImGui::Text("%" PRIu64 " (stops from %" PRIu64 ")", b.hits, b.stop_from);
        else
            ImGui::Text("%" PRIu64, b.hits);
        ImGui::TableNextColumn();
        if (ImGui::SmallButton("delete")) remove = static_cast<int>(i);
        ImGui::PopID();
    }
    ImGui::EndTable();
    if (remove >= 0) s.breakpoints().remove(static_cast<size_t>(remove));
}

} // namespace hvlab::gui

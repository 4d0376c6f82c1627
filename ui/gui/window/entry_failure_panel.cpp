#include "ui/gui/window/entry_failure_panel.hpp"

#include "cpu/vmx/entry_check.hpp"
#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {

void EntryFailurePanel::draw(Session& s) {
    const auto& failures = s.entry_failures();
    if (failures.empty()) {
        ImGui::TextColored(kDim, "No VM entry has failed in this run.");
    } else {
        const EntryFailureRecord& f = failures.back();
        ImGui::TextColored(kError, "VM entry failed at instruction %" PRIu64 " (%s)", f.time,
                           s.guests().name(f.guest).c_str());
        ImGui::Text("check:   %s", f.check_id.c_str());
        ImGui::TextWrapped("section: %s",
                           f.section.empty() ? "(not in the check tables)" : f.section.c_str());
        if (f.result >> 31)
            ImGui::Text("result:  VM-entry failure exit, reason 0x%08x", f.result);
        else if (f.result)
            ImGui::Text("result:  VMfailValid, VM-instruction error %u", f.result);
        ImGui::TextWrapped("values:  %s", f.detail.c_str());
        if (failures.size() > 1 && ImGui::TreeNode("earlier failures")) {
            for (size_t i = failures.size() - 1; i-- > 0;)
                ImGui::BulletText("%" PRIu64 ": %s", failures[i].time,
                                  failures[i].check_id.c_str());
            ImGui::TreePop();
        }
    }
    ImGui::Separator();
    static const std::vector<cpu::vmx::CheckDescription> checks = cpu::vmx::list_entry_checks();
    const std::string failed = failures.empty() ? "" : failures.back().check_id;
    if (!ImGui::CollapsingHeader("The ordered VM-entry checks",
                                 failed.empty() ? 0 : ImGuiTreeNodeFlags_DefaultOpen))
        return;
    ImGui::BeginChild("checks");
    for (size_t i = 0; i < checks.size(); ++i) {
        const auto& c = checks[i];
        const bool hit = c.id == failed;
        if (hit) ImGui::PushStyleColor(ImGuiCol_Text, kError);
        ImGui::Text("%3zu %.*s  -> %s", i + 1, static_cast<int>(c.id.size()), c.id.data(),
                    c.failure.c_str());
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%.*s", static_cast<int>(c.section.size()), c.section.data());
        if (hit) {
            ImGui::PopStyleColor();
            if (scrolled_to_ != failures.size()) { // once per new failure
                ImGui::SetScrollHereY(0.5f);
                scrolled_to_ = failures.size();
            }
        }
    }
    ImGui::EndChild();
}

} // namespace hvlab::gui

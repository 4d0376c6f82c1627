#include "ui/gui/window/vmcs_panel.hpp"

#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/gui/control_bits.hpp"
#include "ui/gui/window/ui_style.hpp"

#include <string>

namespace hvlab::gui {
namespace {

using cpu::vmx::FieldGroup;
using cpu::vmx::FieldInfo;
using cpu::vmx::FieldWidth;
using cpu::vmx::VmcsStore;

int hex_digits(FieldWidth w) {
    switch (w) {
    case FieldWidth::Bits16: return 4;
    case FieldWidth::Bits32: return 8;
    default: return 16;
    }
}

void control_bits(uint32_t encoding, uint64_t value, uint64_t previous) {
    for (unsigned bit = 0; bit < 32; ++bit) {
        const bool set = value >> bit & 1, changed = (value ^ previous) >> bit & 1;
        if (!set && !changed) continue;
        std::string_view name = control_bit_name(encoding, bit);
        if (name.empty()) name = "reserved (default1)";
        ImGui::PushStyleColor(ImGuiCol_Text, changed ? kChanged : ImVec4(1, 1, 1, 1));
        ImGui::BulletText("%2u %s%.*s", bit, set ? "" : "(cleared) ", static_cast<int>(name.size()),
                          name.data());
        ImGui::PopStyleColor();
    }
}

void group(FieldGroup g, const VmcsStore& v, const VmcsStore* prev, bool only_changed) {
    static const char* const kTitles[4] = {"Control fields", "VM-exit information fields",
                                           "Guest-state area", "Host-state area"};
    if (!ImGui::CollapsingHeader(kTitles[static_cast<int>(g)], ImGuiTreeNodeFlags_DefaultOpen))
        return;
    if (!ImGui::BeginTable(kTitles[static_cast<int>(g)], 3,
                           ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg))
        return;
    for (const FieldInfo& f : cpu::vmx::all_fields()) {
        if (f.group() != g) continue;
        const uint64_t value = v.get(f.encoding);
        const uint64_t before = prev ? prev->get(f.encoding) : value;
        const bool changed = value != before;
        if (only_changed && !changed) continue;
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(kDim, "%04x", f.encoding);
        ImGui::TableNextColumn();
        if (changed) ImGui::PushStyleColor(ImGuiCol_Text, kChanged);
        const bool decoded = is_control_word(f.encoding);
        bool expanded = false;
        if (decoded)
            expanded = ImGui::TreeNodeEx(
                f.name.data(), ImGuiTreeNodeFlags_SpanFullWidth | ImGuiTreeNodeFlags_DefaultOpen,
                "%.*s", static_cast<int>(f.name.size()), f.name.data());
        else
            ImGui::Text("%.*s", static_cast<int>(f.name.size()), f.name.data());
        ImGui::TableNextColumn();
        ImGui::Text("%0*" PRIx64, hex_digits(f.width()), value);
        if (changed) {
            ImGui::SameLine();
            ImGui::Text("(was %" PRIx64 ")", before);
            ImGui::PopStyleColor();
        }
        if (expanded) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TableNextColumn();
            control_bits(f.encoding, value, before);
            ImGui::TreePop();
        }
    }
    ImGui::EndTable();
}

} // namespace

void VmcsPanel::draw(Session& s) {
    ExitTimeline& t = s.timeline();
    const cpu::CpuState& c = s.state();
    VmcsStore v, prev;
    bool have_prev = false;
    if (t.selected >= 0) {
        const size_t i = static_cast<size_t>(t.selected);
        v = t.vmcs_at(i);
        ImGui::TextColored(kAccent, "As at VM exit #%zu (%s)", i + 1,
                           s.guests().name(t.at(i).guest).c_str());
        for (size_t j = i; j-- > 0;) { // the same VMCS's previous exit
            if (t.at(j).guest != t.at(i).guest) continue;
            prev = t.vmcs_at(j);
            have_prev = true;
            break;
        }
    } else if (c.vmx.current_vmcs != cpu::vmx::kInvalidVmcsPointer) {
        v = c.vmx.vmcs;
        ImGui::Text("Current VMCS at %016" PRIx64 ", launch state %s", c.vmx.current_vmcs,
                    v.launch_state == cpu::vmx::LaunchState::Launched ? "launched" : "clear");
        const int guest = s.guests().find(c.vmx.current_vmcs);
        for (size_t j = t.size(); j-- > 0;) {
            if (t.at(j).guest != guest) continue;
            prev = t.vmcs_at(j);
            have_prev = true;
            break;
        }
    } else {
        ImGui::TextColored(kDim, "No current VMCS (VMPTRLD has not run).");
        if (!t.size()) return;
        v = t.vmcs_at(t.size() - 1);
        ImGui::TextColored(kDim, "Showing the VMCS at the last exit.");
    }
    ImGui::SameLine();
    ImGui::Checkbox("only changed", &only_changed);
    ImGui::TextColored(kDim, "highlighted: changed since the previous exit");
    ImGui::BeginChild("fields");
    for (FieldGroup g : {FieldGroup::Control, FieldGroup::GuestState, FieldGroup::HostState,
                         FieldGroup::ExitInformation})
        group(g, v, have_prev ? &prev : nullptr, only_changed);
    ImGui::EndChild();
}

} // namespace hvlab::gui

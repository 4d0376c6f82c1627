#include "ui/gui/window/memory_panel.hpp"

#include "ui/gui/script.hpp"
#include "ui/gui/window/ui_style.hpp"

#include <cctype>

namespace hvlab::gui {

void MemoryPanel::go_to(AddressKind kind, uint64_t address) {
    rows_.clear(); // the "last writes" of another view do not apply here
    kind_ = kind;
    base_ = address & ~0xFull;
    std::snprintf(input_, sizeof input_, "%" PRIx64, address);
    scroll_to_top_ = true;
}

void MemoryPanel::draw(Session& s) {
    int k = static_cast<int>(kind_);
    ImGui::SetNextItemWidth(80);
    if (ImGui::Combo("##kind", &k, "GVA\0GPA\0HPA\0")) go_to(static_cast<AddressKind>(k), base_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(160);
    if (ImGui::InputText("goto (hex)", input_, sizeof input_,
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
        uint64_t a;
        if (parse_number(std::string("0x") + input_, a)) go_to(kind_, a);
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("RSP")) go_to(AddressKind::Linear, s.state().gpr[cpu::RSP]);
    const uint64_t eptp = kind_ == AddressKind::GuestPhysical ? inspected_eptp(s.state()) : 0;
    if (kind_ == AddressKind::GuestPhysical && eptp)
        ImGui::TextColored(
            kDim, "guest-physical through the current VMCS's EPT (EPTP %016" PRIx64 ")", eptp);
    else if (kind_ == AddressKind::GuestPhysical)
        ImGui::TextColored(kDim, "no EPT in the current VMCS: guest-physical = host-physical");

    ImGui::BeginChild("hex");
    if (scroll_to_top_) {
        ImGui::SetScrollY(0);
        scroll_to_top_ = false;
    }
    ImGuiListClipper clip;
    clip.Begin(static_cast<int>(kSpan / 16));
    const bool stopped = !s.busy();
    while (clip.Step()) {
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const uint64_t a = base_ + static_cast<uint64_t>(i) * 16;
            std::array<uint8_t, 16> now{};
            bool valid[16];
            read_memory(s.machine(), kind_, a, now.data(), valid, 16, eptp);
            Row& row = rows_[a];
            if (stopped && row.generation != s.generation()) {
                row.previous = row.at_stop;
                row.has_previous = row.generation != ~0ull && row.valid_at_stop;
                row.at_stop = now;
                row.valid_at_stop = valid[0];
                row.generation = s.generation();
            }
            ImGui::Text("%016" PRIx64 " ", a);
            for (unsigned b = 0; b < 16; ++b) {
                ImGui::SameLine(0, b == 8 ? 10 : 6);
                if (!valid[b]) {
                    ImGui::TextColored(kDim, "??");
                    continue;
                }
                const bool changed = stopped && row.has_previous && row.previous[b] != now[b];
                if (changed)
                    ImGui::TextColored(kChanged, "%02x", now[b]);
                else
                    ImGui::Text("%02x", now[b]);
            }
            char ascii[17];
            for (unsigned b = 0; b < 16; ++b)
                ascii[b] = valid[b] && std::isprint(now[b]) ? static_cast<char>(now[b]) : '.';
            ascii[16] = 0;
            ImGui::SameLine(0, 12);
            ImGui::TextUnformatted(ascii);
        }
    }
    ImGui::EndChild();
}

} // namespace hvlab::gui

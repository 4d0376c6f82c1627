#include "ui/gui/window/disasm_panel.hpp"

#include "ui/gui/script.hpp"
#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {

void DisasmPanel::refresh(Session& s, uint64_t center) {
    // Re-disassemble only when the view moved or the machine ran (code may have changed).
    const uint64_t clock = s.machine().now();
    if (center == cached_center_ && s.generation() == cached_generation_ && clock == cached_clock_)
        return;
    cached_center_ = center;
    cached_generation_ = s.generation();
    cached_clock_ = clock;
    machine::Machine& m = s.machine();
    const CodeReader read = [&m](uint64_t a, uint8_t* d, unsigned n) {
        return m.cpu().memory().peek(m.cpu().state(), Gva(a), d, n);
    };
    lines_ = s.disassembler().around(read, center, s.state().mode(), 12, 40);
}

void DisasmPanel::draw(Session& s) {
    const cpu::CpuState& c = s.state();
    const uint64_t rip = c.seg[cpu::CS].base + c.rip;
    ImGui::Checkbox("follow RIP", &follow_rip_);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(160);
    if (ImGui::InputText("goto", goto_, sizeof goto_, ImGuiInputTextFlags_EnterReturnsTrue)) {
        uint64_t a;
        if (parse_number(goto_, a) || parse_number(std::string("0x") + goto_, a)) {
            goto_addr_ = a;
            follow_rip_ = false;
        }
    }
    // While the machine runs, the view follows RIP only between frames of slices.
    refresh(s, follow_rip_ ? rip : goto_addr_);
    Breakpoints& bps = s.breakpoints();
    ImGui::BeginChild("code");
    for (const DisasmLine& l : lines_) {
        if (const machine::Symbol* sym = s.symbols(s.current_guest()).at(l.address))
            ImGui::TextColored(kAccent, "%s:", sym->name.c_str());
        ImGui::PushID(static_cast<int>(l.address));
        const bool has_bp = bps.has(BreakKind::Linear, l.address);
        ImGui::PushStyleColor(ImGuiCol_Text, has_bp ? kError : kDim);
        if (ImGui::SmallButton(has_bp ? "o" : ".")) bps.toggle(BreakKind::Linear, l.address);
        ImGui::PopStyleColor();
        ImGui::SameLine();
        const bool at_rip = l.address == rip;
        if (at_rip) ImGui::PushStyleColor(ImGuiCol_Text, kAccent);
        // Up to 7 opcode bytes, so the mnemonic stays in view in a narrow panel.
        char hex[32] = "";
        for (unsigned b = 0; b < l.length && b < 7; ++b)
            std::snprintf(hex + 3 * b, sizeof hex - 3 * b, "%02x ", l.bytes[b]);
        ImGui::Text("%s%012" PRIx64 " %-21s%s %s", at_rip ? ">" : " ", l.address, hex,
                    l.length > 7 ? "+" : " ", l.text.c_str());
        if (at_rip) {
            ImGui::PopStyleColor();
            if (follow_rip_ && s.busy()) ImGui::SetScrollHereY(0.3f);
        }
        ImGui::PopID();
    }
    ImGui::EndChild();
}

} // namespace hvlab::gui

#include "ui/gui/window/cpu_panel.hpp"

#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/gui/exit_decode.hpp"
#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {
namespace {

const char* mode_name(cpu::CpuMode m) {
    switch (m) {
    case cpu::CpuMode::Real: return "real";
    case cpu::CpuMode::Protected16: return "protected 16";
    case cpu::CpuMode::Protected32: return "protected 32";
    case cpu::CpuMode::Compat16: return "compatibility 16";
    case cpu::CpuMode::Compat32: return "compatibility 32";
    case cpu::CpuMode::Long64: return "64-bit";
    }
    return "?";
}

void gprs(const std::array<uint64_t, 16>& now, const std::array<uint64_t, 16>& before) {
    if (!ImGui::BeginTable("gpr", 2)) return;
    for (unsigned i = 0; i < 8; ++i) {
        for (unsigned col = 0; col < 2; ++col) {
            ImGui::TableNextColumn();
            const unsigned r = i + col * 8;
            reg_text(gpr_name(r), now[r], now[r] != before[r]);
        }
    }
    ImGui::EndTable();
}

// SDM Vol. 1, "EFLAGS Register": the status, control and system flags by name.
void flags(uint64_t now, uint64_t before) {
    struct Flag {
        const char* name;
        unsigned bit;
    };
    static constexpr Flag kFlags[] = {{"CF", 0},  {"PF", 2},   {"AF", 4},   {"ZF", 6},
                                      {"SF", 7},  {"TF", 8},   {"IF", 9},   {"DF", 10},
                                      {"OF", 11}, {"NT", 14},  {"RF", 16},  {"VM", 17},
                                      {"AC", 18}, {"VIF", 19}, {"VIP", 20}, {"ID", 21}};
    reg_text("RFLAGS", now, now != before);
    for (const Flag& f : kFlags) {
        const bool set = now >> f.bit & 1, changed = (now ^ before) >> f.bit & 1;
        ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_Text, changed ? kChanged : set ? ImVec4(1, 1, 1, 1) : kDim);
        ImGui::TextUnformatted(f.name);
        ImGui::PopStyleColor();
    }
    ImGui::SameLine();
    ImGui::Text("IOPL=%u", static_cast<unsigned>(now >> 12 & 3));
}

void segment_row(const char* name, const cpu::Segment& s, const cpu::Segment& b) {
    const bool changed =
        s.selector != b.selector || s.base != b.base || s.limit != b.limit || s.attr != b.attr;
    ImGui::TableNextRow();
    if (changed) ImGui::PushStyleColor(ImGuiCol_Text, kChanged);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(name);
    ImGui::TableNextColumn();
    ImGui::Text("%04x", s.selector);
    ImGui::TableNextColumn();
    ImGui::Text("%016" PRIx64, s.base);
    ImGui::TableNextColumn();
    ImGui::Text("%08x", s.limit);
    ImGui::TableNextColumn();
    if (s.unusable())
        ImGui::TextUnformatted("unusable");
    else
        ImGui::Text("type=%x %s DPL=%u %s%s%s%s", s.type(), s.s() ? "S" : "sys", s.dpl(),
                    s.present() ? "P" : "NP", s.l() ? " L" : "", s.db() ? " D/B" : "",
                    s.g() ? " G" : "");
    if (changed) ImGui::PopStyleColor();
}

void segments(const cpu::CpuState& s, const cpu::CpuState& b) {
    if (!ImGui::BeginTable("seg", 5, ImGuiTableFlags_SizingFixedFit)) return;
    static const char* const kNames[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (unsigned i = 0; i < 6; ++i)
        segment_row(kNames[i], s.seg[i], b.seg[i]);
    segment_row("LDTR", s.ldtr, b.ldtr);
    segment_row("TR", s.tr, b.tr);
    ImGui::EndTable();
}

} // namespace

void CpuPanel::draw(Session& s) {
    const int sel = s.timeline().selected;
    if (sel >= 0) {
        ImGui::Checkbox("show the guest registers at the selected exit", &show_exit_);
        if (show_exit_) return draw_at_exit(s, static_cast<size_t>(sel));
    }
    draw_live(s);
}

void CpuPanel::draw_live(Session& s) {
    const cpu::CpuState& c = s.state();
    const cpu::CpuState& b = s.before();
    ImGui::Text("mode %s, CPL %u, %s", mode_name(c.mode()), c.cpl(),
                !c.vmx.operation ? "VMX off"
                : c.vmx.non_root ? "VMX non-root"
                                 : "VMX root");
    gprs(c.gpr, b.gpr);
    reg_text("RIP", c.rip, c.rip != b.rip);
    flags(c.rflags, b.rflags);
    ImGui::Separator();
    segments(c, b);
    ImGui::Text("GDTR %016" PRIx64 " limit %04x   IDTR %016" PRIx64 " limit %04x", c.gdtr.base,
                c.gdtr.limit, c.idtr.base, c.idtr.limit);
    ImGui::Separator();
    if (ImGui::BeginTable("cr", 2)) {
        const struct {
            const char* name;
            uint64_t now, before;
        } regs[] = {{"CR0", c.cr0, b.cr0},
                    {"CR2", c.cr2, b.cr2},
                    {"CR3", c.cr3, b.cr3},
                    {"CR4", c.cr4, b.cr4},
                    {"CR8", c.cr8, b.cr8},
                    {"EFER", c.efer, b.efer},
                    {"XCR0", c.xcr0, b.xcr0},
                    {"DR7", c.dr[7], b.dr[7]},
                    {"LSTAR", c.msr.lstar, b.msr.lstar},
                    {"STAR", c.msr.star, b.msr.star},
                    {"KGSBASE", c.msr.kernel_gs_base, b.msr.kernel_gs_base},
                    {"APICBASE", c.msr.apic_base, b.msr.apic_base},
                    {"PAT", c.msr.pat, b.msr.pat},
                    {"FEATCTL", c.msr.feature_control, b.msr.feature_control},
                    {"VMXON", c.vmx.vmxon_pointer, b.vmx.vmxon_pointer},
                    {"VMCS", c.vmx.current_vmcs, b.vmx.current_vmcs}};
        for (const auto& r : regs) {
            ImGui::TableNextColumn();
            reg_text(r.name, r.now, r.now != r.before);
        }
        ImGui::EndTable();
    }
}

void CpuPanel::draw_at_exit(Session& s, size_t index) {
    namespace f = cpu::vmx::vmcs;
    const ExitRecord& r = s.timeline().at(index);
    const cpu::vmx::VmcsStore v = s.timeline().vmcs_at(index);
    ImGui::TextColored(kAccent, "Guest registers at VM exit #%zu (%s), instruction %" PRIu64,
                       index + 1, s.guests().name(r.guest).c_str(), r.time);
    // Highlight against the same guest's previous exit: what the guest did in between.
    std::array<uint64_t, 16> prev = r.gpr;
    for (size_t i = index; i-- > 0;) {
        if (s.timeline().at(i).guest == r.guest) {
            prev = s.timeline().at(i).gpr;
            break;
        }
    }
    gprs(r.gpr, prev);
    reg_text("RIP", v.get(f::GUEST_RIP), false);
    flags(v.get(f::GUEST_RFLAGS), v.get(f::GUEST_RFLAGS));
    ImGui::Separator();
    if (ImGui::BeginTable("gcr", 2)) {
        const struct {
            const char* name;
            uint32_t enc;
        } regs[] = {{"CR0", f::GUEST_CR0},        {"CR3", f::GUEST_CR3},
                    {"CR4", f::GUEST_CR4},        {"EFER", f::GUEST_IA32_EFER},
                    {"DR7", f::GUEST_DR7},        {"CS.base", f::GUEST_CS_BASE},
                    {"GDTR", f::GUEST_GDTR_BASE}, {"IDTR", f::GUEST_IDTR_BASE}};
        for (const auto& g : regs) {
            ImGui::TableNextColumn();
            reg_text(g.name, v.get(g.enc), false);
        }
        ImGui::EndTable();
    }
    ImGui::Text("CS %04x  SS %04x  DS %04x  TR %04x",
                static_cast<unsigned>(v.get(f::GUEST_CS_SELECTOR)),
                static_cast<unsigned>(v.get(f::GUEST_SS_SELECTOR)),
                static_cast<unsigned>(v.get(f::GUEST_DS_SELECTOR)),
                static_cast<unsigned>(v.get(f::GUEST_TR_SELECTOR)));
}

} // namespace hvlab::gui

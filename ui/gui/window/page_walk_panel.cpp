#include "ui/gui/window/page_walk_panel.hpp"

#include "ui/gui/script.hpp"
#include "ui/gui/window/ui_style.hpp"

namespace hvlab::gui {
namespace {

const char* level_name(mmu::PagingMode mode, unsigned level) {
    if (mode == mmu::PagingMode::Bits32) return level == 2 ? "PDE" : "PTE";
    switch (level) {
    case 4: return "PML4E";
    case 3: return "PDPTE";
    case 2: return "PDE";
    default: return "PTE";
    }
}

const char* walk_stop(mmu::WalkStop s) {
    switch (s) {
    case mmu::WalkStop::Translated: return "translated";
    case mmu::WalkStop::NotPresent: return "not present (P = 0)";
    case mmu::WalkStop::Reserved: return "reserved bit set";
    case mmu::WalkStop::Denied: return "access denied by the rights";
    case mmu::WalkStop::GpaRefused: return "EPT refused the guest-physical access to this entry";
    }
    return "?";
}

const char* ept_stop(mmu::EptStop s) {
    switch (s) {
    case mmu::EptStop::Translated: return "translated";
    case mmu::EptStop::NotPresent: return "not present (bits 2:0 = 000b): EPT violation";
    case mmu::EptStop::Misconfigured: return "EPT misconfiguration";
    case mmu::EptStop::Denied: return "access denied: EPT violation";
    }
    return "?";
}

// SDM Vol. 3A, "Formats of Paging Structures": P, R/W, U/S, PWT, PCD, A, D, PS, G, XD.
void guest_entry_bits(uint64_t e) {
    ImGui::Text("%s %s %s %s%s%s%s%s%s", (e & 1) ? "P" : "-", (e >> 1 & 1) ? "RW" : "R-",
                (e >> 2 & 1) ? "U" : "S", (e >> 5 & 1) ? "A " : "", (e >> 6 & 1) ? "D " : "",
                (e >> 7 & 1) ? "PS " : "", (e >> 8 & 1) ? "G " : "", (e >> 3 & 1) ? "PWT " : "",
                (e >> 63 & 1) ? "XD" : "");
}

// SDM Vol. 3C, "Format of EPT Paging-Structure Entries": R, W, X, memory type, IPAT, A, D.
void ept_table(const mmu::EptWalkRecord& w, const char* id) {
    ImGui::TextColored(kDim, "  EPT walk of GPA %016" PRIx64 ": %s", w.gpa.value, ept_stop(w.stop));
    if (!ImGui::BeginTable(id, 4, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
        return;
    for (unsigned i = 0; i < w.depth; ++i) {
        const mmu::EptStep& st = w.steps[i];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Text("    EPT %s", level_name(mmu::PagingMode::Level4, st.level));
        ImGui::TableNextColumn();
        ImGui::Text("HPA %016" PRIx64, st.entry_addr.value);
        ImGui::TableNextColumn();
        ImGui::Text("%016" PRIx64, st.entry);
        ImGui::TableNextColumn();
        const uint64_t e = st.entry;
        ImGui::Text("%c%c%c%s%s", (e & 1) ? 'R' : '-', (e >> 1 & 1) ? 'W' : '-',
                    (e >> 2 & 1) ? 'X' : '-', (e >> 7 & 1) ? " large" : "",
                    (e >> 8 & 1) ? " A" : "");
    }
    ImGui::EndTable();
    if (w.reached_leaf())
        ImGui::Text("    -> HPA %016" PRIx64 " (%" PRIu64 " KiB page, memory type %u)",
                    w.physical.value, w.page_size >> 10, w.memory_type);
}

} // namespace

void PageWalkPanel::walk(uint64_t linear, int kind) {
    linear_ = linear;
    kind_ = kind;
    have_address_ = true;
    std::snprintf(input_, sizeof input_, "%" PRIx64, linear);
}

void PageWalkPanel::draw(Session& s) {
    ImGui::SetNextItemWidth(170);
    if (ImGui::InputText("GVA (hex)", input_, sizeof input_,
                         ImGuiInputTextFlags_EnterReturnsTrue)) {
        uint64_t a;
        if (parse_number(std::string("0x") + input_, a)) walk(a, kind_);
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    ImGui::Combo("access", &kind_, "read\0write\0execute\0");
    ImGui::SameLine();
    if (ImGui::SmallButton("RIP")) walk(s.state().seg[cpu::CS].base + s.state().rip, 2);
    if (!have_address_) {
        ImGui::TextColored(kDim, "Enter a guest-virtual address.");
        return;
    }
    cpu::CpuState& c = s.machine().cpu().state();
    const mmu::Walk2dRecord w =
        s.machine().cpu().memory().walk_2d(c, Gva(linear_), static_cast<cpu::AccessKind>(kind_));
    ImGui::Text("context: %s, CR3 %016" PRIx64 "%s",
                c.vmx.non_root ? s.guests().name(s.current_guest()).c_str()
                               : "host (VMX root or no VMX)",
                c.cr3, w.ept ? ", EPT on" : "");
    // The walk is the running context's: a guest's 2D walk needs that guest to be running.
    if (!c.vmx.non_root && c.vmx.operation)
        ImGui::TextColored(kDim, "VMX root: this is the hypervisor's walk; Next VM entry to walk "
                                 "the guest's addresses through its EPT");
    const mmu::WalkRecord& g = w.guest;
    if (g.mode == mmu::PagingMode::None) {
        ImGui::Text("paging off: linear = %s-physical", w.ept ? "guest" : "host");
    }
    for (unsigned i = 0; i < g.depth; ++i) {
        const mmu::WalkStep& st = g.steps[i];
        ImGui::PushID(static_cast<int>(i));
        ImGui::Text("%-5s %s %016" PRIx64 " = %016" PRIx64, level_name(g.mode, st.level),
                    st.from_register ? "PDPTE register  " : (w.ept ? "at GPA" : "at PA "),
                    st.entry_addr.value, st.entry);
        ImGui::SameLine();
        guest_entry_bits(st.entry);
        if (w.ept && w.step_walked[i]) ept_table(w.step_ept[i], "ept");
        ImGui::PopID();
    }
    if (g.stop == mmu::WalkStop::Translated || g.stop == mmu::WalkStop::Denied) {
        ImGui::Text("-> %s %016" PRIx64 ", %" PRIu64 " KiB page, %s%s%s", w.ept ? "GPA" : "PA",
                    g.physical.value, g.page_size >> 10, g.rights.user ? "user" : "supervisor",
                    g.rights.writable ? ", writable" : "", g.rights.nx ? ", no-execute" : "");
    }
    if (g.stop != mmu::WalkStop::Translated)
        ImGui::TextColored(kError, "stopped at level %u: %s (#PF error code 0x%x)", g.stop_level,
                           walk_stop(g.stop), g.error_code);
    if (w.ept && w.final_walked) {
        ImGui::Separator();
        ImGui::Text("final guest-physical address:");
        ept_table(w.final_ept, "final");
    }
    if (w.ok())
        ImGui::TextColored(kAccent, "GVA %016" PRIx64 " -> HPA %016" PRIx64, linear_,
                           w.ept ? w.host_physical.value : g.physical.value);
}

} // namespace hvlab::gui

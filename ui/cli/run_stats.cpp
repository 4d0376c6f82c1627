#include "ui/cli/run_stats.hpp"

#include "cpu/cpu.hpp"
#include "cpu/vmx/exit_reason.hpp"

#include <cstdlib>

namespace hvlab::ui {

RunStats::GuestStats& RunStats::guest_for(uint64_t vmcs) {
    for (GuestStats& g : guests_)
        if (g.vmcs == vmcs) return g;
    guests_.push_back(GuestStats{});
    guests_.back().vmcs = vmcs;
    return guests_.back();
}

// "hv: guest NAME: ... VMCS 0xADDR ..." names the guest whose VMCS is at ADDR.
void RunStats::note_announcement(std::string_view line) {
    constexpr std::string_view kPrefix = "hv: guest ", kVmcs = "VMCS 0x";
    if (line.substr(0, kPrefix.size()) != kPrefix) return;
    const size_t colon = line.find(':', kPrefix.size());
    const size_t at = line.find(kVmcs);
    if (colon == std::string_view::npos || at == std::string_view::npos) return;
    const std::string hex(line.substr(at + kVmcs.size(), 16));
    names_[std::strtoull(hex.c_str(), nullptr, 16)] =
        std::string(line.substr(kPrefix.size(), colon - kPrefix.size()));
}

void RunStats::on_event(const machine::Event& e) {
    ++counts_[static_cast<unsigned>(e.type)];
    switch (e.type) {
    case machine::EventType::VmEntry:
    case machine::EventType::VmEntryFailure: {
        const uint64_t vmcs = cpu_ ? cpu_->state().vmx.current_vmcs : 0;
        if (last_exited_ >= 0)
            guests_[static_cast<size_t>(last_exited_)].root_insns += e.time - since_;
        GuestStats& g = guest_for(vmcs);
        const int index = static_cast<int>(&g - guests_.data());
        if (e.type == machine::EventType::VmEntryFailure) {
            ++g.entry_failures;
            last_exited_ = index; // the root goes on working for it
        } else {
            ++g.entries;
            in_guest_ = index;
            last_exited_ = -1;
        }
        since_ = e.time;
        break;
    }
    case machine::EventType::VmExit:
        if (in_guest_ >= 0) {
            GuestStats& g = guests_[static_cast<size_t>(in_guest_)];
            g.non_root_insns += e.time - since_;
            ++g.exits;
            ++g.exits_by_reason[e.code & 0xFFFF];
            last_exited_ = in_guest_;
            in_guest_ = -1;
            since_ = e.time;
        }
        break;
    case machine::EventType::SerialOutput: note_announcement(e.text); break;
    default: break;
    }
}

void RunStats::print_vmx(std::FILE* out) const {
    std::fprintf(out,
                 "hvlab: --- VMX, per guest (VMCS); instructions in non-root operation and in "
                 "root operation after the guest's exits (root: virtual time, so it\n"
                 "hvlab: includes any time the root spent halted before the next entry) ---\n");
    std::fprintf(out, "hvlab: %-10s %-12s %9s %9s %15s %15s\n", "guest", "VMCS", "entries", "exits",
                 "non-root insns", "root insns");
    for (const GuestStats& g : guests_) {
        const auto n = names_.find(g.vmcs);
        std::fprintf(
            out, "hvlab: %-10s 0x%-10llx %9llu %9llu %15llu %15llu\n",
            n == names_.end() ? "-" : n->second.c_str(), static_cast<unsigned long long>(g.vmcs),
            static_cast<unsigned long long>(g.entries), static_cast<unsigned long long>(g.exits),
            static_cast<unsigned long long>(g.non_root_insns),
            static_cast<unsigned long long>(g.root_insns));
        for (const auto& [reason, count] : g.exits_by_reason)
            std::fprintf(out, "hvlab:     %-28.*s %llu\n",
                         static_cast<int>(cpu::vmx::exit_reason_name(reason).size()),
                         cpu::vmx::exit_reason_name(reason).data(),
                         static_cast<unsigned long long>(count));
        if (g.entry_failures)
            std::fprintf(out, "hvlab:     %-28s %llu\n", "VM-entry failures",
                         static_cast<unsigned long long>(g.entry_failures));
    }
}

void RunStats::print(std::FILE* out, machine::Machine& m, const machine::MachineStop& stop) const {
    static const char* const kCause[] = {"instruction limit", "debug-exit", "shutdown",
                                         "halted forever", "watched event"};
    std::fprintf(out, "hvlab: --- run summary ---\n");
    std::fprintf(out, "hvlab: ended by          %s", kCause[static_cast<unsigned>(stop.cause)]);
    if (stop.cause == machine::StopCause::DebugExit)
        std::fprintf(out, " (exit status %d)", stop.exit_status & 0xFF);
    std::fprintf(out, "\nhvlab: virtual time      %llu instructions\n",
                 static_cast<unsigned long long>(m.now()));
    for (size_t t = 0; t < counts_.size(); ++t)
        if (counts_[t])
            std::fprintf(out, "hvlab: %-18s %llu\n", machine::kEventTypeNames[t],
                         static_cast<unsigned long long>(counts_[t]));
    if (!guests_.empty()) print_vmx(out);
}

} // namespace hvlab::ui

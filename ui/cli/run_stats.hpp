// `hvlab run --stats`: a summary of the run printed at the end (events by class, instructions,
// how the run ended) and, when the guest used VT-x, a table per VMCS: entries, VM exits by
// basic reason, and instructions in VMX non-root operation and in VMX root operation after
// that guest's exits. A guest is identified by its VMCS pointer (deterministic); a name comes
// from the hypervisor's console when it announces "hv: guest NAME: ... VMCS 0xADDR ..."
// (hypervisor/main.c does).
#pragma once
#include "machine/event_bus.hpp"
#include "machine/machine.hpp"

#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hvlab::ui {

class RunStats : public machine::EventSink {
  public:
    // `cpu` (optional) tells which VMCS is current at each VM entry.
    explicit RunStats(const cpu::Cpu* cpu = nullptr) : cpu_(cpu) {}
    void on_event(const machine::Event& e) override;
    void print(std::FILE* out, machine::Machine& m, const machine::MachineStop& stop) const;

  private:
    struct GuestStats {
        uint64_t vmcs = 0;
        uint64_t entries = 0, entry_failures = 0, exits = 0;
        uint64_t non_root_insns = 0, root_insns = 0;
        std::map<uint32_t, uint64_t> exits_by_reason;
    };
    GuestStats& guest_for(uint64_t vmcs);
    void note_announcement(std::string_view line);
    void print_vmx(std::FILE* out) const;

    const cpu::Cpu* cpu_;
    std::array<uint64_t, static_cast<size_t>(machine::EventType::Count)> counts_{};
    std::vector<GuestStats> guests_; // in order of first VM entry
    std::map<uint64_t, std::string> names_;
    int in_guest_ = -1;    // index of the guest in VMX non-root operation, or -1
    int last_exited_ = -1; // the guest whose exit the root is handling
    uint64_t since_ = 0;   // time of the last VM entry or exit
};

} // namespace hvlab::ui

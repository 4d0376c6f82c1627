// One inspected machine: boots it from the run options, records what the panels show (VM
// exits, entries, failures, consoles, recent events) from the event stream, and runs it toward
// a goal (run, step, step over, next VM exit/entry, until an exit reason, N instructions) in
// slices through Machine::run (ARCHITECTURE.md, Execution model). No ImGui in here: the GUI,
// the script mode and the tests drive the same object.
#pragma once
#include "machine/machine.hpp"
#include "machine/trace_writer.hpp"
#include "ui/cli/run_options.hpp"
#include "ui/cli/run_stats.hpp"
#include "ui/gui/breakpoints.hpp"
#include "ui/gui/console_log.hpp"
#include "ui/gui/disassembler.hpp"
#include "ui/gui/exit_timeline.hpp"
#include "ui/gui/guest_registry.hpp"
#include "ui/gui/symbol_table.hpp"

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace hvlab::gui {

// A VM entry that failed, as the event stream reported it, with the check's SDM section
// from the named check table (cpu/vmx/entry_check.hpp).
struct EntryFailureRecord {
    uint64_t time = 0;
    std::string check_id;
    std::string section;
    std::string detail; // the diagnostic: result, check, section, offending field values
    uint32_t result = 0;
    int guest = -1;
};

enum class GoalKind : uint8_t {
    None,       // paused
    Free,       // run until a breakpoint or the end
    Count,      // run until the clock reaches `until`
    Event,      // run until an event in `events` (next VM exit, next VM entry, ...)
    ExitReason, // run until a VM exit with basic reason `exit_reason`
    StepOver,   // run until RIP == return_rip with RSP back at (or above) rsp
};

class Session : public machine::EventSink {
  public:
    explicit Session(const ui::RunOptions& options);
    ~Session() override;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    machine::Machine& machine() { return *machine_; }
    const cpu::CpuState& state() const { return machine_->cpu().state(); }
    // The CPU state when the last command began: the panels highlight what changed.
    const cpu::CpuState& before() const { return before_; }
    // Symbols of the code a context runs: the boot image's for the host (VMX root or no VMX),
    // the k-th module's for guest k. hvlab's teaching hypervisor starts its guests in module
    // order (hypervisor/README.md), which is what makes module k guest k.
    const SymbolTable& symbols(int guest = -1) const;
    const Disassembler& disassembler() const { return disasm_; }
    ExitTimeline& timeline() { return timeline_; }
    Breakpoints& breakpoints() { return breakpoints_; }
    const ConsoleLog& console() const { return console_; }
    const GuestRegistry& guests() const { return guests_; }
    const std::vector<EntryFailureRecord>& entry_failures() const { return failures_; }
    const std::deque<std::string>& recent_events() const { return recent_; }
    uint64_t vm_entries() const { return entries_; }
    // The guest running now (non-root), or -1.
    int current_guest() const;

    // --- Commands ---------------------------------------------------------------------
    void step(uint64_t n); // exactly n instructions now (breakpoints do not stop it)
    void step_over();      // over a CALL at RIP; otherwise one step
    void run_free();
    void run_count(uint64_t n); // N instructions, stopping at breakpoints
    void run_to_event(machine::EventMask events);
    void run_until_exit(uint32_t basic_reason);
    void pause();

    bool busy() const { return goal_.kind != GoalKind::None; }
    bool ended() const { return ended_; }
    // Runs at most `budget` instructions toward the current goal.
    void advance(uint64_t budget);
    // Script mode: advances until the goal is reached or the machine ends.
    void finish();
    // Why the last command ended ("VM exit 3: CPUID", "breakpoint gva 0x1000", ...).
    const std::string& stop_text() const { return stop_text_; }
    // Bumped whenever a command ends: panels refresh their cached views.
    uint64_t generation() const { return generation_; }
    // How the machine ended, when ended(); for the exit status and --stats.
    const machine::MachineStop& final_stop() const { return final_stop_; }
    void print_stats() const;

    void on_event(const machine::Event& e) override;

  private:
    void begin(GoalKind kind);
    void end_goal(std::string why);
    void run_slice(uint64_t budget);
    void step_checked(uint64_t budget);
    bool address_breakpoint_hit();
    void machine_stopped(const machine::MachineStop& stop);
    void subscribe();
    machine::EventMask stop_mask() const;
    uint64_t cap() const { return options_.max_insns ? options_.max_insns : UINT64_MAX; }
    void record_exit(const machine::Event& e);
    void record_entry_failure(const machine::Event& e);
    int serial_source() const;

    ui::RunOptions options_;
    std::unique_ptr<devices::ByteSink> serial_;
    std::unique_ptr<machine::Machine> machine_;
    SymbolTable symbols_;                     // the boot image's
    std::vector<SymbolTable> module_symbols_; // one per module, in command-line order
    Disassembler disasm_;
    ExitTimeline timeline_;
    Breakpoints breakpoints_;
    ConsoleLog console_;
    GuestRegistry guests_;
    std::vector<EntryFailureRecord> failures_;
    std::deque<std::string> recent_;
    uint64_t entries_ = 0;
    int last_exit_guest_ = -1; // guest of the latest exit while the host handles it
    uint32_t last_exit_reason_ = 0;
    bool in_guest_ = false;

    struct Goal {
        GoalKind kind = GoalKind::None;
        uint64_t until = UINT64_MAX;
        machine::EventMask events = 0;
        uint32_t exit_reason = 0;
        uint64_t return_rip = 0, rsp = 0;
    } goal_;
    std::string pending_stop_; // set by on_event when the goal or a breakpoint is met
    bool first_instruction_ = false;
    uint64_t begin_clock_ = 0;
    bool subscribed_io_ = false;
    cpu::CpuState before_;
    bool ended_ = false;
    machine::MachineStop final_stop_;
    std::string stop_text_ = "paused at the entry point";
    uint64_t generation_ = 0;

    // The CLI's observers, so `-d`, `--trace` and `--stats` work as with `hvlab run`.
    std::FILE* trace_file_ = nullptr;
    std::unique_ptr<machine::TraceWriter> trace_;
    std::unique_ptr<machine::EventSink> log_;
    ui::RunStats stats_;
};

} // namespace hvlab::gui

#include "ui/gui/session.hpp"

#include "common/error.hpp"
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "ui/cli/options.hpp"
#include "ui/cli/serial_sinks.hpp"
#include "ui/gui/exit_decode.hpp"

#include <cerrno>
#include <cstring>

namespace hvlab::gui {
namespace {

using machine::event_bit;
using machine::EventType;

constexpr size_t kRecentEvents = 256;

// The events the inspector records; PortIo only while an I/O breakpoint exists (it is the
// one frequent class, and nobody listening costs nothing).
constexpr machine::EventMask kRecorded =
    event_bit(EventType::VmEntry) | event_bit(EventType::VmEntryFailure) |
    event_bit(EventType::VmExit) | event_bit(EventType::SerialOutput) |
    event_bit(EventType::Exception) | event_bit(EventType::Interrupt) |
    event_bit(EventType::Unassigned) | event_bit(EventType::Halt) | event_bit(EventType::Shutdown) |
    event_bit(EventType::DebugExit);

class StderrLog : public machine::EventSink {
  public:
    void on_event(const machine::Event& e) override {
        std::fprintf(stderr, "hvlab: %s\n", machine::format_event(e).c_str());
    }
};

// The SDM section of a named VM-entry check, from the check tables.
std::string section_of(std::string_view id) {
    for (const auto& c : cpu::vmx::control_checks())
        if (c.id == id) return std::string(c.section);
    for (const auto& c : cpu::vmx::host_checks())
        if (c.id == id) return std::string(c.section);
    for (const auto& c : cpu::vmx::guest_checks())
        if (c.id == id) return std::string(c.section);
    if (id.rfind("msr_load", 0) == 0) return "SDM Vol. 3C, Loading MSRs";
    return "";
}

} // namespace

Session::Session(const ui::RunOptions& options) : options_(options) {
    const machine::MachineConfig config = ui::machine_config(options_);
    const machine::EventMask log_mask =
        options_.log_classes.empty() ? 0 : ui::parse_event_classes(options_.log_classes);
    const machine::EventMask trace_mask = ui::parse_event_classes(options_.trace_classes);
    serial_ = ui::open_serial_sink(options_.serial.empty() ? "none" : options_.serial);
    try {
        machine_ = std::make_unique<machine::Machine>(config, *serial_);
    } catch (const std::bad_alloc&) {
        throw UserError("cannot allocate " + options_.mem + " of guest RAM");
    }
    const machine::BootSpec spec = ui::boot_spec(options_);
    const machine::BootInfo info = machine_->boot(spec);
    symbols_.add(info.symbols);
    for (const machine::ModuleSpec& m : spec.modules) {
        module_symbols_.emplace_back().add_elf_file(m.path);
        // `name=NAME` in a module's arguments names the guest (hypervisor/README.md, Guests).
        const size_t at = (" " + m.args).find(" name=");
        if (at != std::string::npos) {
            const std::string rest = m.args.substr(at + 5);
            guests_.set_label(module_symbols_.size() - 1, rest.substr(0, rest.find(' ')));
        }
    }

    if (log_mask) {
        log_ = std::make_unique<StderrLog>();
        machine_->events().subscribe(log_.get(), log_mask);
    }
    if (!options_.trace_path.empty()) {
        trace_file_ = std::fopen(options_.trace_path.c_str(), "w");
        if (!trace_file_)
            throw UserError("cannot open trace file '" + options_.trace_path +
                            "': " + std::strerror(errno));
        trace_ = std::make_unique<machine::TraceWriter>(trace_file_);
        machine_->events().subscribe(trace_.get(), trace_mask);
    }
    if (options_.stats) machine_->events().subscribe(&stats_, machine::kAllEvents);
    subscribe();
    before_ = state();
}

Session::~Session() {
    if (trace_) {
        machine_->flush_serial();
        trace_.reset();
        std::fclose(trace_file_);
    }
}

void Session::subscribe() {
    machine_->events().unsubscribe(this);
    subscribed_io_ = breakpoints_.any(BreakKind::IoPort);
    machine_->events().subscribe(this,
                                 kRecorded | (subscribed_io_ ? event_bit(EventType::PortIo) : 0));
}

const SymbolTable& Session::symbols(int guest) const {
    if (guest >= 0 && static_cast<size_t>(guest) < module_symbols_.size())
        return module_symbols_[static_cast<size_t>(guest)];
    return symbols_;
}

int Session::current_guest() const {
    return state().vmx.non_root ? guests_.find(state().vmx.current_vmcs) : -1;
}

// --- Recording ------------------------------------------------------------------------

void Session::on_event(const machine::Event& e) {
    switch (e.type) {
    case EventType::VmEntry:
        ++entries_;
        in_guest_ = true;
        guests_.id_for(state().vmx.current_vmcs);
        break;
    case EventType::VmExit: record_exit(e); break;
    case EventType::VmEntryFailure: record_entry_failure(e); break;
    case EventType::SerialOutput: console_.add(e.time, serial_source(), e.text); break;
    case EventType::PortIo: {
        const int b = breakpoints_.hit(BreakKind::IoPort, e.code);
        if (b >= 0 && pending_stop_.empty())
            pending_stop_ = "breakpoint " + breakpoints_.list()[static_cast<size_t>(b)].describe();
        return; // too frequent for the recent-events list
    }
    default: break;
    }
    recent_.push_back(machine::format_event(e));
    if (recent_.size() > kRecentEvents) recent_.pop_front();
    if (!busy() || !pending_stop_.empty()) return;
    if (goal_.kind == GoalKind::Event && (goal_.events & event_bit(e.type)))
        pending_stop_ = recent_.back();
    if (goal_.kind == GoalKind::ExitReason && e.type == EventType::VmExit &&
        (e.code & 0xFFFF) == goal_.exit_reason)
        pending_stop_ = recent_.back();
}

void Session::record_exit(const machine::Event& e) {
    namespace f = cpu::vmx::vmcs;
    const cpu::CpuState& s = state();
    ExitRecord r;
    r.time = e.time;
    r.reason = e.code;
    r.qualification = e.value;
    r.guest_rip = e.addr;
    r.guest_physical = e.extra;
    r.guest = guests_.id_for(s.vmx.current_vmcs);
    // A VM exit leaves the guest's GPRs in place except RSP, which the VMCS saved.
    r.gpr = s.gpr;
    r.gpr[cpu::RSP] = s.vmx.vmcs.get(f::GUEST_RSP);
    r.decoded = decode_exit(r.reason, r.qualification, s.vmx.vmcs, r.gpr);
    in_guest_ = false;
    last_exit_guest_ = r.guest;
    last_exit_reason_ = r.reason & 0xFFFF;
    const int b = breakpoints_.hit(BreakKind::ExitReason, r.reason & 0xFFFF);
    if (b >= 0 && pending_stop_.empty())
        pending_stop_ = "breakpoint " + breakpoints_.list()[static_cast<size_t>(b)].describe();
    timeline_.record(std::move(r), s.vmx.vmcs);
}

void Session::record_entry_failure(const machine::Event& e) {
    EntryFailureRecord f;
    f.time = e.time;
    f.check_id = e.name ? e.name : "";
    f.section = section_of(f.check_id);
    f.detail = std::string(e.text);
    f.result = e.code;
    f.guest = guests_.find(state().vmx.current_vmcs);
    failures_.push_back(std::move(f));
}

// Serial lines belong to the guest that is running; in VMX root they belong to the guest
// whose exit the hypervisor is handling when that exit is its console path (an OUT to a COM
// port, or a VMCALL of a paravirtual guest), and to the host otherwise.
int Session::serial_source() const {
    if (state().vmx.non_root) return guests_.find(state().vmx.current_vmcs);
    using cpu::vmx::ExitReason;
    if (!in_guest_ && last_exit_guest_ >= 0 &&
        (last_exit_reason_ == static_cast<uint32_t>(ExitReason::IoInstruction) ||
         last_exit_reason_ == static_cast<uint32_t>(ExitReason::Vmcall))) {
        const ExitTimeline& t = timeline_;
        const uint64_t q = t.size() ? t.at(t.size() - 1).qualification : 0;
        const unsigned port = q >> 16 & 0xFFFF;
        if (last_exit_reason_ == static_cast<uint32_t>(ExitReason::Vmcall) ||
            (port >= 0x3F8 && port <= 0x3FF) || (port >= 0x2F8 && port <= 0x2FF))
            return last_exit_guest_;
    }
    return -1;
}

// --- Run control ----------------------------------------------------------------------

void Session::begin(GoalKind kind) {
    before_ = state();
    begin_clock_ = machine_->now();
    pending_stop_.clear();
    first_instruction_ = true;
    goal_ = {};
    goal_.kind = kind;
    if (ended_) end_goal("the machine has ended: " + final_stop_.why);
}

void Session::end_goal(std::string why) {
    goal_ = {};
    stop_text_ = std::move(why);
    ++generation_;
}

void Session::step(uint64_t n) {
    begin(GoalKind::Count);
    if (!busy()) return;
    const uint64_t until = std::min(cap(), machine_->now() + n);
    const machine::MachineStop stop = machine_->run({until, 0});
    if (stop.cause != machine::StopCause::Budget) return machine_stopped(stop);
    if (machine_->now() >= cap()) return machine_stopped(stop);
    end_goal("stepped " + std::to_string(n) + (n == 1 ? " instruction" : " instructions"));
}

void Session::step_over() {
    const cpu::CpuState& s = state();
    const uint64_t rip = s.seg[cpu::CS].base + s.rip;
    const DisasmLine l = disasm_.decode(
        [this](uint64_t a, uint8_t* d, unsigned n) {
            return machine_->cpu().memory().peek(state(), Gva(a), d, n);
        },
        rip, s.mode());
    if (!l.is_call) return step(1);
    begin(GoalKind::StepOver);
    goal_.return_rip = s.rip + l.length;
    goal_.rsp = s.gpr[cpu::RSP];
}

void Session::run_free() {
    begin(GoalKind::Free);
}

void Session::run_count(uint64_t n) {
    begin(GoalKind::Count);
    goal_.until = machine_->now() + n;
}

void Session::run_to_event(machine::EventMask events) {
    begin(GoalKind::Event);
    goal_.events = events;
}

void Session::run_until_exit(uint32_t basic_reason) {
    begin(GoalKind::ExitReason);
    goal_.exit_reason = basic_reason;
}

void Session::pause() {
    if (busy()) end_goal("paused");
}

machine::EventMask Session::stop_mask() const {
    machine::EventMask m = goal_.events;
    if (goal_.kind == GoalKind::ExitReason || breakpoints_.any(BreakKind::ExitReason))
        m |= event_bit(EventType::VmExit);
    if (breakpoints_.any(BreakKind::IoPort)) m |= event_bit(EventType::PortIo);
    return m;
}

void Session::machine_stopped(const machine::MachineStop& stop) {
    machine_->flush_serial();
    ended_ = true;
    final_stop_ = stop;
    if (stop.cause == machine::StopCause::Budget) {
        final_stop_.why = "instruction limit " + std::to_string(cap()) + " reached";
    } else if (stop.cause == machine::StopCause::DebugExit) {
        final_stop_.why = "debug-exit, status " + std::to_string(stop.exit_status & 0xFF);
    }
    end_goal("ended: " + final_stop_.why);
}

void Session::advance(uint64_t budget) {
    if (!busy()) return;
    if (breakpoints_.any(BreakKind::IoPort) != subscribed_io_) subscribe();
    const bool stepping = goal_.kind == GoalKind::StepOver || breakpoints_.any(BreakKind::Linear) ||
                          breakpoints_.any(BreakKind::GuestPhysical);
    if (stepping)
        step_checked(budget);
    else
        run_slice(budget);
}

// Fast path: one Machine::run over the slice, stopping on the events the goal and the
// event breakpoints need.
void Session::run_slice(uint64_t budget) {
    const uint64_t now = machine_->now();
    const uint64_t until = std::min({goal_.until, cap(), now + budget});
    const machine::MachineStop stop = machine_->run({until, stop_mask()});
    first_instruction_ = false;
    if (!pending_stop_.empty()) return end_goal(pending_stop_);
    switch (stop.cause) {
    case machine::StopCause::Event: return; // an event we watch, but not one that stops
    case machine::StopCause::Budget:
        if (machine_->now() >= cap()) return machine_stopped(stop);
        if (machine_->now() >= goal_.until)
            return end_goal("ran " + std::to_string(machine_->now() - begin_clock_) +
                            " instructions");
        return;
    default: return machine_stopped(stop);
    }
}

// Slow path for address breakpoints and step-over: one instruction per Machine::run, with
// RIP checked at every instruction boundary.
void Session::step_checked(uint64_t budget) {
    for (uint64_t i = 0; i < budget && busy(); ++i) {
        if (!first_instruction_ && address_breakpoint_hit()) return;
        first_instruction_ = false;
        const uint64_t until = std::min({goal_.until, cap(), machine_->now() + 1});
        const machine::MachineStop stop = machine_->run({until, stop_mask()});
        if (!pending_stop_.empty()) return end_goal(pending_stop_);
        if (stop.cause != machine::StopCause::Budget && stop.cause != machine::StopCause::Event)
            return machine_stopped(stop);
        if (machine_->now() >= cap()) return machine_stopped(stop);
        const cpu::CpuState& s = state();
        if (goal_.kind == GoalKind::StepOver && s.rip == goal_.return_rip &&
            s.gpr[cpu::RSP] >= goal_.rsp)
            return end_goal("stepped over the call");
        if (machine_->now() >= goal_.until)
            return end_goal("ran " + std::to_string(machine_->now() - begin_clock_) +
                            " instructions");
    }
}

bool Session::address_breakpoint_hit() {
    const cpu::CpuState& s = state();
    const uint64_t linear = s.seg[cpu::CS].base + s.rip;
    int b = breakpoints_.hit(BreakKind::Linear, linear);
    if (b < 0 && breakpoints_.any(BreakKind::GuestPhysical)) {
        const mmu::WalkRecord w =
            machine_->cpu().memory().walk(s, Gva(linear), cpu::AccessKind::Execute);
        if (w.reached_leaf()) b = breakpoints_.hit(BreakKind::GuestPhysical, w.physical.value);
    }
    if (b < 0) return false;
    end_goal("breakpoint " + breakpoints_.list()[static_cast<size_t>(b)].describe());
    return true;
}

void Session::finish() {
    while (busy())
        advance(1'000'000);
}

void Session::print_stats() const {
    if (options_.stats) stats_.print(stderr, *machine_, final_stop_);
}

} // namespace hvlab::gui

#include "ui/cli/run_command.hpp"

#include "common/error.hpp"
#include "machine/machine.hpp"
#include "machine/trace_writer.hpp"
#include "ui/cli/exit_codes.hpp"
#include "ui/cli/options.hpp"
#include "ui/cli/serial_sinks.hpp"
#include "ui/cli/run_options.hpp"
#include "ui/cli/run_stats.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace hvlab::ui {
namespace {

// -d: events printed to stderr as they happen, in the trace format.
class StderrLog : public machine::EventSink {
  public:
    void on_event(const machine::Event& e) override {
        std::fprintf(stderr, "hvlab: %s\n", machine::format_event(e).c_str());
    }
};

// A failed VM entry is always reported, as one line on stderr: the architected result, the
// named check, its SDM section and the offending field values (issue #5, Must show).
class EntryFailureLog : public machine::EventSink {
  public:
    void on_event(const machine::Event& e) override {
        std::fprintf(stderr, "hvlab: %.*s\n", static_cast<int>(e.text.size()), e.text.data());
    }
};

int exit_status_for(const machine::MachineStop& stop) {
    switch (stop.cause) {
    case machine::StopCause::DebugExit: return stop.exit_status & 0xFF;
    case machine::StopCause::Shutdown: return kExitShutdown;
    case machine::StopCause::Budget: return kExitInsnLimit;
    case machine::StopCause::HaltedForever: return kExitHaltedForever;
    case machine::StopCause::Event: return kExitInternalError; // run() had no stop_on mask
    }
    return kExitInternalError;
}

int run(const RunOptions& o) {
    const machine::MachineConfig config = machine_config(o);
    const machine::EventMask log_mask = o.log_classes.empty() ? 0 : parse_event_classes(o.log_classes);
    const machine::EventMask trace_mask = parse_event_classes(o.trace_classes);
    std::unique_ptr<devices::ByteSink> serial = open_serial_sink(o.serial);

    std::unique_ptr<machine::Machine> m;
    try {
        m = std::make_unique<machine::Machine>(config, *serial);
    } catch (const std::bad_alloc&) {
        throw UserError("cannot allocate " + o.mem + " of guest RAM");
    }
    m->boot(boot_spec(o));

    StderrLog log;
    if (log_mask) m->events().subscribe(&log, log_mask);
    EntryFailureLog entry_failures;
    m->events().subscribe(&entry_failures, machine::event_bit(machine::EventType::VmEntryFailure));
    std::FILE* trace_file = nullptr;
    std::unique_ptr<machine::TraceWriter> trace;
    if (!o.trace_path.empty()) {
        trace_file = std::fopen(o.trace_path.c_str(), "w");
        if (!trace_file)
            throw UserError("cannot open trace file '" + o.trace_path + "': " + std::strerror(errno));
        trace = std::make_unique<machine::TraceWriter>(trace_file);
        m->events().subscribe(trace.get(), trace_mask);
    }
    RunStats stats(&m->cpu()); // which VMCS is current at each VM entry
    if (o.stats) m->events().subscribe(&stats, machine::kAllEvents);

    machine::RunLimit limit;
    if (o.max_insns) limit.until = o.max_insns;
    const machine::MachineStop stop = m->run(limit);
    m->flush_serial();
    std::fflush(stdout);

    switch (stop.cause) {
    case machine::StopCause::Shutdown:
        std::fprintf(stderr, "hvlab: machine shutdown (%s) at instruction %llu\n", stop.why.c_str(),
                     static_cast<unsigned long long>(m->now()));
        break;
    case machine::StopCause::Budget:
        std::fprintf(stderr, "hvlab: instruction limit %llu reached\n",
                     static_cast<unsigned long long>(o.max_insns));
        break;
    case machine::StopCause::HaltedForever:
        std::fprintf(stderr, "hvlab: guest halted with no wake-up source at instruction %llu\n",
                     static_cast<unsigned long long>(m->now()));
        break;
    default: break;
    }
    if (o.stats) stats.print(stderr, *m, stop);
    if (trace) {
        trace.reset();
        std::fclose(trace_file);
    }
    return exit_status_for(stop);
}

} // namespace

void add_run_command(CLI::App& app, int* exit_status) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* run_cmd = app.add_subcommand("run", "Boot a Multiboot (v1) or ELF64 image headless");
    add_run_options(*run_cmd, *o);
    run_cmd->callback([o, exit_status] { *exit_status = run(*o); });
}

} // namespace hvlab::ui

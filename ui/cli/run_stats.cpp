#include "ui/cli/run_stats.hpp"

namespace hvlab::ui {

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
}

} // namespace hvlab::ui

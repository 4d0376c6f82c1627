// Running one bench program on hvlab and on Unicorn 2.0.1 in this process, with host timing
// (allowed here: bench output is not guest-visible) and the memory hvlab uses beyond guest RAM.
#pragma once
#include "ui/cli/bench_workloads.hpp"

#include <cstdint>
#include <string>

namespace hvlab::ui {

struct BenchResult {
    double seconds = 0;     // wall clock
    double cpu_seconds = 0; // CPU time of this thread (robust on a busy machine)
    uint64_t instructions = 0;
    uint64_t rax = 0;            // final RAX: both emulators must agree
    int64_t extra_rss_bytes = 0; // hvlab only: VmRSS growth minus the guest RAM touched
    std::string error;           // empty on success
};

BenchResult run_on_hvlab(const BenchProgram& p);
BenchResult run_on_unicorn(const BenchProgram& p);

} // namespace hvlab::ui

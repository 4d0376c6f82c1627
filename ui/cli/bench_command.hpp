// `hvlab bench`: fixed guest workloads on hvlab and on Unicorn 2.0.1 in the same process; prints
// MIPS for both, the ratio and hvlab's memory use beyond guest RAM.
#pragma once
#include <CLI/CLI.hpp>

namespace hvlab::ui {

void add_bench_command(CLI::App& app);

} // namespace hvlab::ui

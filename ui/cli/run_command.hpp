// `hvlab run IMAGE [options]`: boot a Multiboot or ELF64 image headless; the guest's serial
// output goes to stdout (or --serial), diagnostics to stderr.
#pragma once
#include <CLI/CLI.hpp>

namespace hvlab::ui {

// Adds the subcommand; when it runs, it stores the process exit status in *exit_status.
void add_run_command(CLI::App& app, int* exit_status);

} // namespace hvlab::ui

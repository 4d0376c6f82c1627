// `hvlab trace diff A B`: print the first divergence of two event traces with context;
// exit 0 if identical, 1 if they differ, 2 if a file cannot be read.
#pragma once
#include <CLI/CLI.hpp>

namespace hvlab::ui {

void add_trace_command(CLI::App& app, int* exit_status);

} // namespace hvlab::ui

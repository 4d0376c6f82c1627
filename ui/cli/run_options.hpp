// The options of `hvlab run IMAGE [options]`, shared with the inspector (`hvlab-gui IMAGE
// [the same options]`) so both boot the same machine from the same command line.
#pragma once
#include "machine/loader/boot_loader.hpp"
#include "machine/machine.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::ui {

struct RunOptions {
    std::string image;
    std::string mem = "256M";
    std::string append;
    std::vector<std::string> modules;
    std::vector<std::string> initrd;
    std::string serial;
    std::string log_classes;
    std::string trace_path;
    std::string trace_classes = "exception,interrupt,unassigned,serial,vmentry,vmentry-fail,"
                                "vmexit,dma,iommu-fault,halt,shutdown,debug-exit";
    uint64_t max_insns = 0;
    bool stats = false;
};

// Adds IMAGE and every run option to a (sub)command; values land in *o.
void add_run_options(CLI::App& cmd, RunOptions& o);

// What to boot and on which board, from the options (throws UserError on a bad -m).
machine::BootSpec boot_spec(const RunOptions& o);
machine::MachineConfig machine_config(const RunOptions& o);

} // namespace hvlab::ui

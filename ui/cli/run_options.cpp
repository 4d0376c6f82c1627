#include "ui/cli/run_options.hpp"

#include "ui/cli/options.hpp"

namespace hvlab::ui {

void add_run_options(CLI::App& cmd, RunOptions& o) {
    cmd.add_option("image", o.image, "Kernel image (Multiboot ELF32/a.out kludge, or ELF64)")
        ->required();
    cmd.add_option("-m,--mem", o.mem, "Guest RAM size, QEMU syntax (default 256M)");
    cmd.add_option("--append", o.append, "Kernel command line (after the image's name)");
    cmd.add_option("--module", o.modules, "Multiboot module: \"FILE [ARGS]\" (repeatable)");
    cmd.add_option("--initrd", o.initrd, "QEMU form of modules: \"FILE [ARGS],FILE2 ...\"");
    cmd.add_option("--serial", o.serial, "COM1 output: stdio (default), none, or FILE");
    cmd.add_option("-d", o.log_classes, "Log event classes to stderr: " + event_class_list());
    cmd.add_option("--trace", o.trace_path, "Write the versioned event trace to FILE");
    cmd.add_option("--trace-events", o.trace_classes, "Event classes the trace records");
    cmd.add_option("--max-insns", o.max_insns, "Stop after N instructions (exit status 6)")
        ->check(CLI::PositiveNumber);
    cmd.add_flag("--stats", o.stats, "Print a summary of the run to stderr");
}

machine::BootSpec boot_spec(const RunOptions& o) {
    machine::BootSpec spec;
    spec.image_path = o.image;
    spec.append = o.append;
    for (const std::string& m : o.modules) {
        const size_t sp = m.find(' ');
        spec.modules.push_back(sp == std::string::npos
                                   ? machine::ModuleSpec{m, ""}
                                   : machine::ModuleSpec{m.substr(0, sp), m.substr(sp + 1)});
    }
    for (const std::string& list : o.initrd)
        for (auto& m : machine::parse_initrd_list(list))
            spec.modules.push_back(m);
    return spec;
}

machine::MachineConfig machine_config(const RunOptions& o) {
    machine::MachineConfig config;
    config.ram_bytes = parse_memory_size(o.mem);
    return config;
}

} // namespace hvlab::ui

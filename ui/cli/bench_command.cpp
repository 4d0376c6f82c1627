#include "ui/cli/bench_command.hpp"

#include "common/error.hpp"
#include "ui/cli/bench_runners.hpp"
#include "ui/cli/bench_workloads.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace hvlab::ui {

namespace {

struct BenchOptions {
    std::string workload = "all";
    uint64_t insns = 50'000'000;
};

double mips(const BenchResult& r) {
    return r.seconds > 0 ? r.instructions / r.seconds / 1e6 : 0;
}
double cpu_mips(const BenchResult& r) {
    return r.cpu_seconds > 0 ? r.instructions / r.cpu_seconds / 1e6 : 0;
}

void print_row(const BenchWorkload& w, const BenchResult& hv, const BenchResult& uc) {
    std::printf("%-9s %13llu %10.1f %12.1f %8.2fx %9.2fx %10.1f  %s\n", w.name,
                static_cast<unsigned long long>(hv.instructions), mips(hv), mips(uc),
                mips(uc) > 0 ? mips(hv) / mips(uc) : 0.0,
                cpu_mips(uc) > 0 ? cpu_mips(hv) / cpu_mips(uc) : 0.0,
                hv.extra_rss_bytes / 1048576.0, w.description);
    if (!hv.error.empty()) std::printf("          error: %s\n", hv.error.c_str());
    if (!uc.error.empty()) std::printf("          error: %s\n", uc.error.c_str());
    if (hv.error.empty() && uc.error.empty() && hv.rax != uc.rax)
        std::printf("          warning: final RAX differs (hvlab %#llx, Unicorn %#llx)\n",
                    static_cast<unsigned long long>(hv.rax),
                    static_cast<unsigned long long>(uc.rax));
}

// Unicorn has no VMX: hvlab's exits per second and the cost of one round trip (exit, handler,
// VMRESUME, the guest's loop) in instructions of hvlab's own ALU loop (CPU time).
void print_vm_exit_row(const BenchWorkload& w, const BenchProgram& p, const BenchResult& hv,
                       double alu_cpu_mips) {
    const double exits_per_s =
        hv.cpu_seconds > 0 ? static_cast<double>(p.vm_exits) / hv.cpu_seconds : 0;
    const double cost = exits_per_s > 0 ? alu_cpu_mips * 1e6 / exits_per_s : 0;
    std::printf("%-9s %13llu %10.1f %12s %9s %10s %10.1f  %s\n", w.name,
                static_cast<unsigned long long>(hv.instructions), mips(hv), "n/a", "", "",
                hv.extra_rss_bytes / 1048576.0, w.description);
    std::printf(
        "          %.0f VM exits/s (CPU time); one round trip costs %.0f ALU-loop instructions\n",
        exits_per_s, cost);
    if (!hv.error.empty()) std::printf("          error: %s\n", hv.error.c_str());
    std::fflush(stdout);
}

void run_bench(const BenchOptions& o) {
    std::vector<const BenchWorkload*> chosen;
    std::string names;
    for (const BenchWorkload& w : bench_workloads()) {
        names += std::string(" ") + w.name;
        if (o.workload == "all" || o.workload == w.name) chosen.push_back(&w);
    }
    if (chosen.empty())
        throw UserError("unknown workload '" + o.workload + "' (known:" + names + ", all)");
    std::printf("%-9s %13s %10s %12s %9s %10s %10s  %s\n", "workload", "instructions", "hvlab MIPS",
                "Unicorn MIPS", "ratio", "CPU ratio", "extra MiB", "what");
    double alu_cpu_mips = 0; // hvlab's ALU loop, the unit of the VM-exit round-trip cost
    for (const BenchWorkload* w : chosen) {
        const BenchProgram p = w->build(o.insns);
        const BenchResult hv = run_on_hvlab(p);
        if (p.vm_exits) {
            if (alu_cpu_mips == 0)
                alu_cpu_mips = cpu_mips(run_on_hvlab(bench_workloads()[0].build(o.insns)));
            print_vm_exit_row(*w, p, hv, alu_cpu_mips);
            continue;
        }
        const BenchResult uc = run_on_unicorn(p);
        if (std::string(w->name) == "alu") alu_cpu_mips = cpu_mips(hv);
        print_row(*w, hv, uc);
        std::fflush(stdout);
    }
    std::printf("ratio = hvlab MIPS / Unicorn MIPS (wall clock); CPU ratio = the same with each "
                "side's thread CPU "
                "time (steadier on a busy machine); extra MiB = hvlab's VmRSS growth minus the "
                "guest RAM the workload touches; repmovsb counts one instruction per byte moved\n");
}

} // namespace

void add_bench_command(CLI::App& app) {
    auto opts = std::make_shared<BenchOptions>();
    CLI::App* cmd =
        app.add_subcommand("bench", "run guest workloads on hvlab and on Unicorn, print MIPS");
    cmd->add_option("--workload", opts->workload, "alu, memwalk, callret, repmovsb, vmexit or all");
    cmd->add_option("--insns", opts->insns, "instructions per workload (approximately)")
        ->check(CLI::Range(uint64_t{1000}, uint64_t{1} << 40));
    cmd->callback([opts] { run_bench(*opts); });
}

} // namespace hvlab::ui

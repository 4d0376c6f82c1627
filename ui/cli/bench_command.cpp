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

double mips(const BenchResult& r) { return r.seconds > 0 ? r.instructions / r.seconds / 1e6 : 0; }

void print_row(const BenchWorkload& w, const BenchResult& hv, const BenchResult& uc) {
    std::printf("%-9s %13llu %10.1f %12.1f %8.2fx %10.1f  %s\n", w.name,
                static_cast<unsigned long long>(hv.instructions), mips(hv), mips(uc),
                mips(uc) > 0 ? mips(hv) / mips(uc) : 0.0, hv.extra_rss_bytes / 1048576.0, w.description);
    if (!hv.error.empty()) std::printf("          error: %s\n", hv.error.c_str());
    if (!uc.error.empty()) std::printf("          error: %s\n", uc.error.c_str());
    if (hv.error.empty() && uc.error.empty() && hv.rax != uc.rax)
        std::printf("          warning: final RAX differs (hvlab %#llx, Unicorn %#llx)\n",
                    static_cast<unsigned long long>(hv.rax), static_cast<unsigned long long>(uc.rax));
}

void run_bench(const BenchOptions& o) {
    std::vector<const BenchWorkload*> chosen;
    std::string names;
    for (const BenchWorkload& w : bench_workloads()) {
        names += std::string(" ") + w.name;
        if (o.workload == "all" || o.workload == w.name) chosen.push_back(&w);
    }
    if (chosen.empty()) throw UserError("unknown workload '" + o.workload + "' (known:" + names + ", all)");
    std::printf("%-9s %13s %10s %12s %9s %10s  %s\n", "workload", "instructions", "hvlab MIPS",
                "Unicorn MIPS", "ratio", "extra MiB", "what");
    for (const BenchWorkload* w : chosen) {
        const BenchProgram p = w->build(o.insns);
        const BenchResult hv = run_on_hvlab(p);
        const BenchResult uc = run_on_unicorn(p);
        print_row(*w, hv, uc);
        std::fflush(stdout);
    }
    std::printf("ratio = hvlab MIPS / Unicorn MIPS; extra MiB = hvlab's VmRSS growth minus the "
                "guest RAM the workload touches; repmovsb counts one instruction per byte moved\n");
}

} // namespace

void add_bench_command(CLI::App& app) {
    auto opts = std::make_shared<BenchOptions>();
    CLI::App* cmd = app.add_subcommand("bench", "run guest workloads on hvlab and on Unicorn, print MIPS");
    cmd->add_option("--workload", opts->workload, "alu, memwalk, callret, repmovsb or all");
    cmd->add_option("--insns", opts->insns, "instructions per workload (approximately)")
        ->check(CLI::Range(uint64_t{1000}, uint64_t{1} << 40));
    cmd->callback([opts] { run_bench(*opts); });
}

} // namespace hvlab::ui

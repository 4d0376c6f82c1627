// hvlab-difftest: run N instructions of random (or all directed) streams on hvlab and on
// Unicorn and report every difference. Exit status 0 = no mismatch, 1 = mismatches, 2 = error.
#include "tools/harness/diff_engine.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    using namespace hvlab::tools;
    CLI::App app{"hvlab differential test against Unicorn 2.0.1"};
    DiffOptions opt;
    unsigned mode_bits = 64;
    app.add_option("--count", opt.count, "instructions to compare (random streams)");
    app.add_option("--seed", opt.seed, "master seed (printed; streams derive from it)");
    app.add_option("--mode", mode_bits, "64 (long mode) or 32 (protected mode)")
        ->check(CLI::IsMember({32u, 64u}));
    app.add_flag("--directed", opt.directed, "run every template with edge-value operands");
    app.add_option("--rounds", opt.directed_rounds, "streams per template with --directed");
    app.add_option("--raw-percent", opt.raw_percent, "share of raw random instructions")
        ->check(CLI::Range(0u, 100u));
    app.add_option("--max-reports", opt.max_reports, "mismatches printed in full");
    app.add_flag("--verbose", opt.verbose, "print each mismatch as it is found");
    app.add_flag("--trace", opt.trace, "print every instruction before it runs");
    app.add_option("--progress", opt.progress,
                   "print a progress line to stderr every N instructions");
    app.add_option("--first-stream", opt.first_stream, "random mode: start at this stream index");
    CLI11_PARSE(app, argc, argv);
    opt.mode = mode_bits == 64 ? Mode::Long64 : Mode::Protected32;
    try {
        std::printf("hvlab-difftest: mode %u, seed %llu, %s\n", mode_bits,
                    static_cast<unsigned long long>(opt.seed),
                    opt.directed ? "directed" : ("count " + std::to_string(opt.count)).c_str());
        DiffEngine engine(opt.mode);
        const DiffReport rep = engine.run(opt);
        if (!opt.verbose)
            for (const Mismatch& m : rep.details)
                std::printf("%s\n", m.describe(opt.mode).c_str());
        std::printf("%s", rep.summary().c_str());
        return rep.mismatches ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hvlab-difftest: %s\n", e.what());
        return 2;
    }
}

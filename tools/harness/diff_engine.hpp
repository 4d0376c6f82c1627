// The differential engine: generates streams, runs them instruction by instruction on hvlab
// and on Unicorn from identical states, and compares outcome, GPRs, RIP, RFLAGS (minus the
// bits the SDM leaves undefined for that instruction), XMM registers and the test regions.
#pragma once
#include "tools/harness/arch_state.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hvlab::tools {

struct DiffOptions {
    Mode mode = Mode::Long64;
    uint64_t seed = 1;
    uint64_t count = 10'000;      // instructions to compare (random mode)
    bool directed = false;        // run every template with edge-value operands instead
    unsigned directed_rounds = 8; // streams per template in directed mode
    unsigned raw_percent = 15;    // share of raw random instructions in random streams
    unsigned max_reports = 20;    // mismatches kept in full
    bool verbose = false;
    bool trace = false;        // print every instruction before it runs (debugging a crash)
    uint64_t progress = 0;     // print a progress line to stderr every this many instructions
    uint64_t first_stream = 0; // random mode: start at this stream index (replaying a long run)
};

struct Mismatch {
    uint64_t stream_seed = 0;
    uint64_t stream_index = 0;
    unsigned step = 0;
    std::string bytes;  // hex
    std::string disasm; // Capstone's text
    std::string origin; // templates of the stream
    std::string pre_state;
    std::vector<std::string> diffs;

    std::string describe(Mode mode) const;
};

struct DiffReport {
    uint64_t streams = 0;
    uint64_t compared = 0; // instructions executed on both sides and compared
    uint64_t exceptions_matched = 0;
    uint64_t skipped = 0;    // instructions not comparable (see skip_reasons)
    uint64_t privileged = 0; // instructions of privileged templates compared (issue #4)
    std::map<std::string, uint64_t> sdm_checked; // checked against an SDM rule, not Unicorn
    uint64_t mismatches = 0;
    std::map<std::string, uint64_t> skip_reasons;
    std::map<std::string, uint64_t> mismatch_by_mnemonic;
    std::vector<Mismatch> details;

    std::string summary() const;
};

class DiffEngine {
  public:
    explicit DiffEngine(Mode mode);
    ~DiffEngine();

    DiffReport run(const DiffOptions& opt);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace hvlab::tools

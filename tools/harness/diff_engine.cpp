#include "tools/harness/diff_engine.hpp"

#include "tools/harness/disassembler.hpp"
#include "tools/harness/flag_rules.hpp"
#include "tools/harness/guest_layout.hpp"
#include "tools/harness/hvlab_features.hpp"
#include "tools/harness/hvlab_runner.hpp"
#include "tools/harness/insn_filter.hpp"
#include "tools/harness/insn_templates.hpp"
#include "tools/harness/raw_generator.hpp"
#include "tools/harness/unicorn_runner.hpp"

#include <cstdio>
#include <cstring>

namespace hvlab::tools {

namespace {

std::string hex(const uint8_t* p, size_t n) {
    std::string s;
    char buf[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        if (i) s += ' ';
        s += buf;
    }
    return s;
}

const char* kind_name(StepOutcome::Kind k) {
    switch (k) {
    case StepOutcome::Kind::Retired: return "retired";
    case StepOutcome::Kind::Exception: return "exception";
    case StepOutcome::Kind::NotComparable: return "not comparable";
    case StepOutcome::Kind::Shutdown: return "shutdown";
    }
    return "?";
}

std::string outcome_text(const StepOutcome& o) {
    std::string s = kind_name(o.kind);
    if (o.kind == StepOutcome::Kind::Exception) s += " #" + std::to_string(o.vector);
    if (o.alt_vector >= 0) s += " (or #" + std::to_string(o.alt_vector) + ")";
    return s;
}

bool is_rep(const cs_insn* insn) {
    if (!insn) return false;
    const uint8_t p = insn->detail->x86.prefix[0];
    return p == X86_PREFIX_REP || p == X86_PREFIX_REPNE;
}

} // namespace

struct DiffEngine::Impl {
    Mode mode;
    UnicornRunner uc;
    HvlabRunner hv;
    Disassembler dis;
    HvlabFeatures features = HvlabFeatures::query();
    std::vector<const InsnTemplate*> templates;

    explicit Impl(Mode m) : mode(m), uc(m), hv(m), dis(m) {
        for (const InsnTemplate& t : insn_templates())
            if (!t.needs_bmi || (features.bmi1 && features.bmi2)) templates.push_back(&t);
    }

    Stream random_stream(uint64_t seed, unsigned raw_percent);
    Stream directed_stream(uint64_t seed, const InsnTemplate& t);
    void run_stream(const Stream& s, uint64_t seed, uint64_t index, const DiffOptions& opt,
                    DiffReport& rep);
    // Returns false when the stream must stop (fault, mismatch, not comparable).
    bool compare_step(const ArchState& pre, const cs_insn* insn, Mismatch& m, DiffReport& rep);
    void compare_memory(std::vector<std::string>& diffs);
    template <class Runner> StepOutcome step_whole(Runner& r, uint64_t rip, bool rep);
};

Stream DiffEngine::Impl::random_stream(uint64_t seed, unsigned raw_percent) {
    StreamBuilder b(mode, seed, false);
    const unsigned n = 8 + static_cast<unsigned>(b.rng().below(24));
    std::string origin;
    for (unsigned i = 0; i < n; ++i) {
        if (b.rng().chance(raw_percent)) {
            emit_raw_insn(b, dis, features);
            origin += "raw;";
        } else {
            const InsnTemplate& t = *templates[b.rng().below(templates.size())];
            instantiate(b, t);
            origin += std::string(t.name) + ";";
        }
    }
    return b.finish(origin);
}

Stream DiffEngine::Impl::directed_stream(uint64_t seed, const InsnTemplate& t) {
    StreamBuilder b(mode, seed, true);
    for (unsigned i = 0; i < 6; ++i) instantiate(b, t);
    return b.finish(std::string("directed: ") + t.name);
}

template <class Runner> StepOutcome DiffEngine::Impl::step_whole(Runner& r, uint64_t rip, bool rep) {
    StepOutcome o = r.step();
    // A REP string instruction may retire one iteration per step: run it to completion on
    // both sides, so the comparison does not depend on that choice.
    for (unsigned n = 0; rep && o.kind == StepOutcome::Kind::Retired && r.read().rip == rip && n < 100'000; ++n)
        o = r.step();
    return o;
}

void DiffEngine::Impl::compare_memory(std::vector<std::string>& diffs) {
    for (const layout::Region& region : layout::kRegions) {
        const uint8_t* ref = uc.region(region.base);
        for (uint64_t off = 0; off < region.size; off += layout::kPage) {
            const uint8_t* mine = hv.page(region.base + off);
            if (!mine || std::memcmp(mine, ref + off, layout::kPage) == 0) continue;
            for (uint64_t i = 0; i < layout::kPage; ++i) {
                if (mine[i] == ref[off + i]) continue;
                char buf[96];
                std::snprintf(buf, sizeof buf, "mem[%llx]: hvlab=%02x unicorn=%02x",
                              static_cast<unsigned long long>(region.base + off + i), mine[i], ref[off + i]);
                diffs.push_back(buf);
                break;
            }
        }
    }
}

bool DiffEngine::Impl::compare_step(const ArchState& pre, const cs_insn* insn, Mismatch& m,
                                    DiffReport& rep) {
    const UndefinedParts undef = insn ? undefined_parts(*insn, pre) : UndefinedParts{};
    const bool rep_prefix = is_rep(insn);
    const StepOutcome ou = step_whole(uc, pre.rip, rep_prefix);
    const StepOutcome oh = step_whole(hv, pre.rip, rep_prefix);
    if (ou.kind == StepOutcome::Kind::NotComparable) {
        ++rep.skipped;
        ++rep.skip_reasons[ou.note];
        return false;
    }
    ++rep.compared;
    if (ou.kind != StepOutcome::Kind::Retired || oh.kind != StepOutcome::Kind::Retired) {
        if (ou.kind == StepOutcome::Kind::Exception && oh.kind == StepOutcome::Kind::Exception &&
            ou.accepts(oh.vector)) {
            ++rep.exceptions_matched;
            return false;
        }
        m.diffs.push_back("outcome: hvlab=" + outcome_text(oh) + " unicorn=" + outcome_text(ou));
        return false;
    }
    m.diffs = diff_states(hv.read(), uc.read(), mode, undef.flags, undef.skip_gpr);
    if (!undef.memory_undefined) compare_memory(m.diffs);
    return m.diffs.empty() && !undef.memory_undefined;
}

void DiffEngine::Impl::run_stream(const Stream& s, uint64_t seed, uint64_t index,
                                  const DiffOptions& opt, DiffReport& rep) {
    uc.load(s);
    hv.load(s);
    ++rep.streams;
    const unsigned max_steps = s.insn_count * 2 + 16;
    for (unsigned step = 0; step < max_steps; ++step) {
        const ArchState pre = uc.read();
        if (pre.rip == s.end_rip) return;
        const uint8_t* code = nullptr;
        size_t avail = 0;
        for (const layout::Region& r : layout::kRegions) {
            if (!r.contains(pre.rip)) continue;
            code = uc.region(r.base) + (pre.rip - r.base);
            avail = std::min<uint64_t>(15, r.base + r.size - pre.rip);
        }
        const cs_insn* insn = code ? dis.decode(code, avail, pre.rip) : nullptr;
        if (insn) {
            const char* why = not_comparable_reason(*insn);
            if (!why) why = features.missing_for(*insn);
            if (why) {
                ++rep.skipped;
                ++rep.skip_reasons[why];
                return;
            }
        }
        Mismatch m;
        m.stream_seed = seed;
        m.stream_index = index;
        m.step = step;
        m.bytes = code ? hex(code, insn ? insn->size : avail) : "(outside the test regions)";
        m.disasm = dis.text(insn);
        m.pre_state = format_state(pre, mode);
        const std::string mnemonic = insn ? insn->mnemonic : "(unknown)";
        const bool go_on = compare_step(pre, insn, m, rep);
        if (!m.diffs.empty()) {
            ++rep.mismatches;
            ++rep.mismatch_by_mnemonic[mnemonic];
            m.origin = s.origin;
            if (rep.details.size() < opt.max_reports) rep.details.push_back(std::move(m));
            if (opt.verbose) std::fprintf(stderr, "%s\n", rep.details.back().describe(mode).c_str());
            return;
        }
        if (!go_on) return;
    }
}

DiffEngine::DiffEngine(Mode mode) : impl_(std::make_unique<Impl>(mode)) {}
DiffEngine::~DiffEngine() = default;

DiffReport DiffEngine::run(const DiffOptions& opt) {
    DiffReport rep;
    uint64_t index = 0;
    if (opt.directed) {
        for (const InsnTemplate* t : impl_->templates) {
            for (unsigned r = 0; r < opt.directed_rounds; ++r, ++index) {
                const uint64_t seed = stream_seed(opt.seed, index);
                impl_->run_stream(impl_->directed_stream(seed, *t), seed, index, opt, rep);
            }
        }
        return rep;
    }
    while (rep.compared < opt.count) {
        const uint64_t seed = stream_seed(opt.seed, index);
        impl_->run_stream(impl_->random_stream(seed, opt.raw_percent), seed, index, opt, rep);
        ++index;
    }
    return rep;
}

std::string Mismatch::describe(Mode mode) const {
    (void)mode;
    std::string s = "MISMATCH stream " + std::to_string(stream_index) + " (stream seed 0x";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(stream_seed));
    s += buf;
    s += ") step " + std::to_string(step) + ": " + disasm + "  [" + bytes + "]\n";
    for (const std::string& d : diffs) s += "  " + d + "\n";
    s += "  state before:\n" + pre_state;
    s += "  stream: " + origin.substr(0, 400) + "\n";
    return s;
}

std::string DiffReport::summary() const {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "streams %llu, compared %llu instructions (%llu matching exceptions), skipped "
                  "%llu, mismatches %llu\n",
                  static_cast<unsigned long long>(streams), static_cast<unsigned long long>(compared),
                  static_cast<unsigned long long>(exceptions_matched),
                  static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(mismatches));
    std::string s = buf;
    for (const auto& [why, n] : skip_reasons) s += "  skipped " + std::to_string(n) + ": " + why + "\n";
    for (const auto& [mn, n] : mismatch_by_mnemonic)
        s += "  mismatches in " + mn + ": " + std::to_string(n) + "\n";
    return s;
}

} // namespace hvlab::tools

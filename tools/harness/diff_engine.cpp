// SDM rules cited here: Intel SDM, Dec 2023 (Order 325462-081).
#include "tools/harness/diff_engine.hpp"

#include "common/bits.hpp"

#include "tools/harness/disassembler.hpp"
#include "tools/harness/flag_rules.hpp"
#include "tools/harness/guest_layout.hpp"
#include "tools/harness/hvlab_features.hpp"
#include "tools/harness/hvlab_runner.hpp"
#include "tools/harness/insn_filter.hpp"
#include "tools/harness/insn_templates.hpp"
#include "tools/harness/lock_rule.hpp"
#include "tools/harness/raw_generator.hpp"
#include "tools/harness/sdm_rules.hpp"
#include "tools/harness/system_regs.hpp"
#include "tools/harness/system_rules.hpp"
#include "tools/harness/unicorn_runner.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

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

// Prefixes, then an SSE mandatory prefix (66/F2/F3) among them and the 0F escape.
bool sse_escape(const uint8_t* b) {
    bool mandatory = false;
    size_t i = 0;
    for (; i < 14; ++i) {
        const uint8_t p = b[i];
        if (p == 0x66 || p == 0xF2 || p == 0xF3)
            mandatory = true;
        else if (!(p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65 ||
                   p == 0x67 || (p & 0xF0) == 0x40))
            break;
    }
    return mandatory && b[i] == 0x0F;
}

// A 66h, F2h or F3h among the legacy prefixes (Capstone 4 does not always report F2h/F3h).
bool has_sse_prefix(const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const uint8_t p = b[i];
        if (p == 0x66 || p == 0xF2 || p == 0xF3) return true;
        if (!(p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65 ||
              p == 0x67 || p == 0xF0 || (p & 0xF0) == 0x40))
            return false;
    }
    return false;
}

// PUNPCKLQDQ/PUNPCKHQDQ (66 0F 6C/6D) and CVT(T)PD2DQ/CVTDQ2PD (66/F2/F3 0F E6) have no NP
// form: without the prefix they are #UD, not the alignment rule (Capstone 4 decodes them with
// REX.W, e.g. `2E 67 49 0F 6D 85 ..`, `67 4F 0F E6 A6 ..`). Capstone 4 does not report a
// mandatory F2h/F3h, hence the bytes.
bool prefix_only_form_without_prefix(const cs_insn& insn, const uint8_t* code) {
    const cs_x86& x = insn.detail->x86;
    if (x.opcode[0] != 0x0F || !(x.opcode[1] == 0x6C || x.opcode[1] == 0x6D || x.opcode[1] == 0xE6))
        return false;
    return code && !has_sse_prefix(code, insn.size);
}

// F2h/F3h before a string opcode (MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS).
bool rep_string_bytes(const uint8_t* b, size_t n) {
    bool rep = false;
    for (size_t i = 0; i < n; ++i) {
        const uint8_t p = b[i];
        if (p == 0xF2 || p == 0xF3)
            rep = true;
        else if (p == 0x66 || p == 0x67 || p == 0xF0 || p == 0x26 || p == 0x2E || p == 0x36 ||
                 p == 0x3E || p == 0x64 || p == 0x65 || (p & 0xF0) == 0x40)
            continue;
        else
            return rep && ((p >= 0xA4 && p <= 0xA7) || (p >= 0xAA && p <= 0xAF) ||
                           (p >= 0x6C && p <= 0x6F));
    }
    return false;
}

bool has_f2_prefix(const uint8_t* b, size_t n) {
    for (size_t i = 0;
         i < n && (b[i] == 0xF2 || b[i] == 0xF3 || b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF0 ||
                   b[i] == 0x26 || b[i] == 0x2E || b[i] == 0x36 || b[i] == 0x3E || b[i] == 0x64 ||
                   b[i] == 0x65 || (b[i] & 0xF0) == 0x40);
         ++i)
        if (b[i] == 0xF2) return true;
    return false;
}

bool rep_store_into_code(const cs_insn& insn, const ArchState& pre) {
    const std::string_view mn = insn.mnemonic;
    if (mn.find("stos") == mn.npos && mn.find("movs") == mn.npos) return false;
    const bool a32 = insn.detail->x86.addr_size == 4;
    const uint64_t rdi = a32 ? pre.gpr[7] & 0xFFFF'FFFF : pre.gpr[7];
    const uint64_t count = a32 ? pre.gpr[1] & 0xFFFF'FFFF : pre.gpr[1];
    const uint64_t span =
        count > (uint64_t{1} << 40) ? uint64_t{1} << 43 : count * 8; // either direction
    const uint64_t lo = rdi > span ? rdi - span : 0, hi = rdi + span + 8;
    return hi > layout::kCode.base && lo < layout::kCode.base + layout::kCode.size;
}

bool gpr_only_extension(const cs_insn& insn) {
    if (insn.id == X86_INS_ADCX || insn.id == X86_INS_ADOX) return true;
    for (unsigned i = 0; i < insn.detail->groups_count; ++i)
        if (insn.detail->groups[i] == X86_GRP_BMI || insn.detail->groups[i] == X86_GRP_BMI2)
            return true;
    return false;
}

bool is_branch(const cs_insn* insn) {
    if (!insn) return false;
    for (unsigned i = 0; i < insn->detail->groups_count; ++i) {
        const uint8_t g = insn->detail->groups[i];
        if (g == X86_GRP_JUMP || g == X86_GRP_CALL || g == X86_GRP_RET ||
            g == X86_GRP_BRANCH_RELATIVE)
            return true;
    }
    return false;
}

} // namespace

struct DiffEngine::Impl {
    Mode mode;
    UnicornRunner uc;
    HvlabRunner hv;
    Disassembler dis;
    HvlabFeatures features = HvlabFeatures::query();
    std::vector<const InsnTemplate*> templates;
    uint64_t fs_base = 0, gs_base = 0; // of the stream being run
    const Stream* stream = nullptr;    // the stream being run

    explicit Impl(Mode m) : mode(m), uc(m), hv(m), dis(m) {
        uc.init_system(HvlabRunner::initial_system(m));
        for (const InsnTemplate& t : insn_templates())
            if (!t.needs_bmi || (features.bmi1() && features.bmi2())) templates.push_back(&t);
    }

    Stream random_stream(uint64_t seed, unsigned raw_percent);
    Stream directed_stream(uint64_t seed, const InsnTemplate& t);
    void run_stream(const Stream& s, uint64_t seed, uint64_t index, const DiffOptions& opt,
                    DiffReport& rep);
    // Returns false when the stream must stop (fault, mismatch, not comparable).
    bool compare_step(const ArchState& pre, const cs_insn* insn, const uint8_t* code, Mismatch& m,
                      DiffReport& rep);
    void check_sdm_fault(Mismatch& m, DiffReport& rep, const char* rule, const ArchState& pre,
                         int alt_vector = -1, int vector = -1);
    uint64_t segment_base(const cs_insn& insn) const;
    bool delivery_not_comparable(const StepOutcome& oh, const ArchState& pre, DiffReport& rep);
    int alignment_alt_vector(const cs_insn& insn, const ArchState& pre) const;
    const char* unicorn_artifact(const ArchState& pre, const cs_insn* insn, const uint8_t* code,
                                 const StepOutcome& ou, const StepOutcome& oh);
    void check_bls_carry(const cs_insn& insn, const ArchState& pre, UndefinedParts& undef,
                         Mismatch& m, DiffReport& rep);
    void adopt_undefined(const UndefinedParts& undef);
    bool rcp_rsqrt_tiny(const cs_insn& insn, const ArchState& pre);
    bool two_nan_operands(const cs_insn& insn, const ArchState& pre);
    bool non_canonical_indirect_target(const cs_insn& insn, const ArchState& pre);
    bool operand_bytes(const cs_insn& insn, const ArchState& pre, unsigned i, uint8_t (&out)[16]);
    bool ldmxcsr_reserved(const cs_insn& insn, const ArchState& pre);
    bool operand_value(const cs_insn& insn, const ArchState& pre, unsigned i, uint64_t& v);
    void check_bmi_sdm(const cs_insn& insn, const ArchState& pre, UndefinedParts& undef,
                       Mismatch& m, DiffReport& rep);
    bool read_memory_operand(const cs_insn& insn, const ArchState& pre, uint64_t& value, unsigned& size,
                 bool unicorn_side = false);
    bool stmxcsr_denormal_only(const cs_insn& insn, const ArchState& pre);
    void check_lock_neg_flags(const cs_insn& insn, const ArchState& pre, UndefinedParts& undef,
                              Mismatch& m, DiffReport& rep);
    const char* skip_reason(const cs_insn* insn, const uint8_t* code, const ArchState& pre,
                            bool privileged) const;
    bool sse_enabled();
    bool lxdt_non_canonical(const cs_insn& insn, const ArchState& pre);
    void compare_system(std::vector<std::string>& diffs);
    int cr0_source(const cs_insn* insn) const;
    void cr0_read_fixup(const cs_insn* insn, Mismatch& m, DiffReport& rep);
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
    for (unsigned i = 0; i < 6; ++i)
        instantiate(b, t);
    return b.finish(std::string("directed: ") + t.name);
}

template <class Runner>
StepOutcome DiffEngine::Impl::step_whole(Runner& r, uint64_t rip, bool rep) {
    StepOutcome o = r.step();
    // A REP string instruction may retire one iteration per step: run it to completion on
    // both sides, so the comparison does not depend on that choice.
    for (unsigned n = 0;
         rep && o.kind == StepOutcome::Kind::Retired && r.read().rip == rip && n < 100'000; ++n)
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
                              static_cast<unsigned long long>(region.base + off + i), mine[i],
                              ref[off + i]);
                diffs.push_back(buf);
                break;
            }
        }
    }
}

bool DiffEngine::Impl::compare_step(const ArchState& pre, const cs_insn* insn, const uint8_t* code,
                                    Mismatch& m, DiffReport& rep) {
    UndefinedParts undef = insn ? undefined_parts(*insn, pre) : UndefinedParts{};
    // Capstone 4 leaves prefix[0] empty for F2h on MOVS (observed: `F2 A5` ran as REP on both
    // emulators), so the bytes decide too.
    const bool rep_prefix = is_rep(insn) || (code && rep_string_bytes(code, 15));
    // MOV CR0, r in 64-bit mode: Unicorn gets the value without PG (system_regs.hpp), or it
    // would turn on paging without page tables; the register itself is put back afterwards.
    const int cr0_src = cr0_source(insn);
    if (cr0_src >= 0) uc.write_gpr(static_cast<unsigned>(cr0_src), pre.gpr[cr0_src] & ~kCr0Pg);
    const StepOutcome ou = step_whole(uc, pre.rip, rep_prefix);
    if (cr0_src >= 0) uc.write_gpr(static_cast<unsigned>(cr0_src), pre.gpr[cr0_src]);
    if (ou.kind == StepOutcome::Kind::NotComparable) {
        // The stream ends here whatever hvlab does, so hvlab is not run: in 32-bit mode a REP
        // string instruction with a random ECX that leaves the test regions would otherwise
        // run up to 4 Gi iterations on hvlab (its bus accepts every physical address) while
        // Unicorn stopped at the first unmapped byte (this made 32-bit runs ~20x slower).
        ++rep.skipped;
        ++rep.skip_reasons[ou.note];
        return false;
    }
    const StepOutcome oh = step_whole(hv, pre.rip, rep_prefix);
    if (delivery_not_comparable(oh, pre, rep)) return false;
    if (const char* why = unicorn_artifact(pre, insn, code, ou, oh)) {
        ++rep.skipped;
        ++rep.skip_reasons[why];
        return false;
    }
    if (insn && insn->id == X86_INS_NEG && insn->detail->x86.prefix[0] == X86_PREFIX_LOCK &&
        oh.kind == StepOutcome::Kind::Retired)
        check_lock_neg_flags(*insn, pre, undef, m, rep);
    const bool ud_h = oh.kind == StepOutcome::Kind::Exception && oh.vector == 6;
    const bool ud_u = ou.kind == StepOutcome::Kind::Exception && ou.vector == 6;
    if (!insn && ud_h != ud_u) {
        // Neither Capstone nor one of the emulators knows the encoding: no referee.
        ++rep.skipped;
        ++rep.skip_reasons["unknown to Capstone, and only one emulator raises #UD"];
        return false;
    }
    if (!insn && code && oh.kind == StepOutcome::Kind::Exception && oh.vector == 13 &&
        ou.kind == StepOutcome::Kind::Exception && ou.vector == 14 && sse_escape(code)) {
        // An SSE encoding Capstone 4 cannot decode (observed: `F2 67 0F E6 94 ..`, CVTPD2DQ
        // with a misaligned, unmapped m128): hvlab's #GP(0) is the alignment rule, which
        // Unicorn never checks (U5), and without Capstone the harness cannot apply that rule.
        ++rep.skipped;
        ++rep.skip_reasons["SSE encoding unknown to Capstone: hvlab #GP (alignment), Unicorn #PF "
                           "(no alignment check)"];
        return false;
    }
    if (!insn && code && oh.kind == StepOutcome::Kind::Exception && oh.vector == 13 &&
        ou.kind == StepOutcome::Kind::Retired && sse_escape(code)) {
        // The same with a mapped operand (observed: `66 2E 3E 4B 0F 6C 22`, PUNPCKLQDQ with a
        // misaligned m128): Unicorn never checks alignment (U5).
        ++rep.skipped;
        ++rep.skip_reasons["SSE encoding unknown to Capstone: hvlab #GP (alignment), Unicorn runs "
                           "it (no alignment check)"];
        return false;
    }
    if (ou.kind == StepOutcome::Kind::Exception && (ou.vector == 7 || ou.vector == 6) && insn &&
        gpr_only_extension(*insn) && !sse_enabled()) {
        // BMI1/BMI2 (SDM Vol. 2, "Exception Conditions for VEX-Encoded GPR Instructions", Table
        // 2-29) and ADCX/ADOX ("ADCX": #UD only for LOCK or no ADX) have no CR0.EM/TS or
        // CR4.OSFXSR conditions: they do not touch SSE state. Unicorn 2.0.1 decodes them on
        // its SSE path and raises #UD (EM = 1, OSFXSR = 0) or #NM (TS = 1).
        ++rep.skipped;
        ++rep.skip_reasons["BMI1/BMI2/ADX with CR0.EM/TS set or CR4.OSFXSR clear: no #UD/#NM per "
                           "the SDM, Unicorn 2.0.1 raises them"];
        return false;
    }
    ++rep.compared;
    if (ou.kind == StepOutcome::Kind::Exception && ou.vector == 7 &&
        oh.kind == StepOutcome::Kind::Exception && oh.vector == 6 &&
        ((hv.read_system().cr0 & 4) || !(hv.read_system().cr4 & (1u << 9)))) {
        // Legacy SSE with CR0.EM = 1 and CR0.TS = 1: #UD ("If CR0.EM[bit 2] = 1", SDM Vol. 2,
        // Table 2-18 and the other SSE exception classes; Vol. 3A "Effect of CR0.EM/TS on
        // SSE"); Unicorn 2.0.1 checks TS first and raises #NM.
        ++rep.sdm_checked["SSE with CR0.EM = 1: #UD (not #NM)"];
        ++rep.exceptions_matched;
        return false;
    }
    if (ou.kind != StepOutcome::Kind::Retired || oh.kind != StepOutcome::Kind::Retired) {
        if (ou.kind == StepOutcome::Kind::Exception && oh.kind == StepOutcome::Kind::Exception &&
            ou.accepts(oh.vector)) {
            ++rep.exceptions_matched;
            return false;
        }
        m.diffs.push_back("outcome: hvlab=" + outcome_text(oh) + " unicorn=" + outcome_text(ou));
        return false;
    }
    if (insn && two_nan_operands(*insn, pre)) {
        ++rep.skipped;
        ++rep.skip_reasons["SSE arithmetic with two NaN operands in a lane: hardware and hvlab "
                           "return the first "
                           "source's NaN, Unicorn 2.0.1 the one with the larger significand"];
        return false;
    }
    if (insn && rcp_rsqrt_tiny(*insn, pre)) {
        ++rep.skipped;
        ++rep.skip_reasons["RCPPS/RCPSS/RSQRTPS/RSQRTSS with a denormal input or a tiny result: "
                           "SDM flushes, Unicorn 2.0.1 does not"];
        return false;
    }
    if (insn &&
        (insn->id == X86_INS_BLSI || insn->id == X86_INS_BLSMSK || insn->id == X86_INS_BLSR))
        check_bls_carry(*insn, pre, undef, m, rep);
    if (insn && (insn->id == X86_INS_PDEP || insn->id == X86_INS_PEXT || insn->id == X86_INS_BZHI ||
                 insn->id == X86_INS_BEXTR))
        check_bmi_sdm(*insn, pre, undef, m, rep);
    cr0_read_fixup(insn, m, rep);
    if (insn && mode == Mode::Long64 && insn->id == X86_INS_CMPXCHG &&
        insn->detail->x86.op_count == 2 && insn->detail->x86.operands[0].type == X86_OP_REG &&
        insn->detail->x86.operands[0].size == 4 &&
        capstone_gpr(insn->detail->x86.operands[0].reg) != 0 && (hv.read().rflags & 0x40)) {
        // CMPXCHG r32, r32 that succeeds: the accumulator is not written ("CMPXCHG",
        // Operation), so RAX[63:32] stay; Unicorn 2.0.1 zero-extends RAX (observed: `0F B1 CF`).
        undef.skip_gpr |= 1u;
        ++rep.sdm_checked["CMPXCHG r32 success leaves RAX alone"];
        if (hv.read().gpr[0] != pre.gpr[0])
            m.diffs.push_back("rax: hvlab changed it on a successful CMPXCHG r32 (SDM: unchanged)");
        uc.write_gpr(0, hv.read().gpr[0]);
    }
    uint64_t rsp = 0;
    const bool ret_imm = insn && ret_imm_rsp(*insn, pre, mode, rsp);
    if (ret_imm) {
        undef.skip_gpr |= 1u << 4; // Unicorn's RSP is wrong: checked against the SDM
        ++rep.sdm_checked["RET imm16 stack adjustment"];
        if (hv.read().gpr[4] != rsp) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "rsp: hvlab=%llx SDM=%llx",
                          static_cast<unsigned long long>(hv.read().gpr[4]),
                          static_cast<unsigned long long>(rsp));
            m.diffs.push_back(buf);
        }
    }
    if (insn && stmxcsr_denormal_only(*insn, pre)) {
        // The MXCSRs differ from here on: end the stream after the other comparisons.
        ++rep.sdm_checked["MXCSR.DE after a denormal operand (Unicorn never sets it)"];
        undef.memory_undefined = true;
    }
    std::vector<std::string> d =
        diff_states(hv.read(), uc.read(), mode, undef.flags, undef.skip_gpr);
    m.diffs.insert(m.diffs.end(), d.begin(), d.end());
    if (!ret_imm) adopt_undefined(undef);
    if (!undef.memory_undefined) compare_memory(m.diffs);
    if (!stream->privileged.empty()) compare_system(m.diffs);
    // After RET imm16 the two RSPs differ by Unicorn's error: end the stream there.
    return m.diffs.empty() && !undef.memory_undefined && !ret_imm;
}

// Where the SDM demands a fault that Unicorn does not raise (lock_rule.hpp, sdm_rules.hpp),
// the SDM is the reference: #UD for the LOCK rule, #GP(0) for SSE alignment.
// 32-bit mode with ESP < 16: delivering any exception pushes a frame that would wrap past the
// 4-GiB limit of the flat stack segment, which is #SS (SDM Vol. 3A, "Limit Checking"), then #DF,
// then a triple fault: hvlab shuts down. Unicorn delivers no exceptions, so only the delivery
// differs; the instruction's own outcome cannot be read from hvlab. Counted as skipped.
bool DiffEngine::Impl::delivery_not_comparable(const StepOutcome& oh, const ArchState& pre,
                                               DiffReport& rep) {
    if (oh.kind == StepOutcome::Kind::Shutdown && !stream->privileged.empty()) {
        // A branch into a LGDT/LIDT template after its SGDT/SIDT leaves a random GDTR/IDTR
        // loaded; hvlab then cannot deliver the next exception (Unicorn delivers none).
        const SystemRegs now = hv.read_system(), init = HvlabRunner::initial_system(mode);
        if (now.gdtr_base != init.gdtr_base || now.gdtr_limit != init.gdtr_limit ||
            now.idtr_base != init.idtr_base || now.idtr_limit != init.idtr_limit) {
            ++rep.skipped;
            ++rep.skip_reasons["exception delivery through a GDT/IDT the stream loaded (hvlab "
                               "shuts down; Unicorn delivers none)"];
            return true;
        }
    }
    if (oh.kind != StepOutcome::Kind::Shutdown || mode != Mode::Protected32 ||
        (pre.gpr[4] & 0xFFFF'FFFF) >= 16)
        return false;
    ++rep.skipped;
    ++rep.skip_reasons
          ["32-bit, ESP < 16: hvlab cannot push the exception frame (#SS, #DF, triple fault)"];
    return true;
}

void DiffEngine::Impl::check_sdm_fault(Mismatch& m, DiffReport& rep, const char* rule,
                                       const ArchState& pre, int alt_vector, int vector) {
    if (vector < 0) // #UD for the LOCK rule and the rules that say so, else #GP(0)
        vector = std::strcmp(rule, "LOCK") == 0 || std::strstr(rule, "#UD") ? 6 : 13;
    const StepOutcome oh = hv.step();
    if (delivery_not_comparable(oh, pre, rep)) return;
    ++rep.compared;
    ++rep.sdm_checked[rule];
    if (oh.kind == StepOutcome::Kind::Exception &&
        (oh.vector == vector || oh.vector == alt_vector)) {
        ++rep.exceptions_matched;
        return;
    }
    m.diffs.push_back("outcome: hvlab=" + outcome_text(oh) + " SDM (" + rule +
                      " rule)=exception #" + std::to_string(vector));
}

// A misaligned operand whose address is also non-canonical: the SDM does not order #GP(0)
// (alignment) against #SS(0) (non-canonical stack reference), so #SS is accepted too.
int DiffEngine::Impl::alignment_alt_vector(const cs_insn& insn, const ArchState& pre) const {
    uint64_t ea = 0;
    unsigned size = 0;
    // 32-bit mode: a 16-byte operand that wraps past the 4-GiB limit of the flat segment is
    // also a limit violation, #SS(0) for SS (SDM Vol. 3A, "Limit Checking"); the SDM does
    // not order it against the alignment #GP(0).
    if (mode == Mode::Protected32)
        return memory_offset(insn, pre, ea, size) && (ea & 0xFFFF'FFFF) + 16 > (uint64_t{1} << 32)
                   ? 12
                   : -1;
    if (mode != Mode::Long64 || !memory_offset(insn, pre, ea, size)) return -1;
    uint64_t seg = 0;
    if (insn.detail->x86.prefix[1] == X86_PREFIX_FS) seg = fs_base;
    if (insn.detail->x86.prefix[1] == X86_PREFIX_GS) seg = gs_base;
    return is_canonical48(seg + ea) ? -1 : 12;
}

// Outcomes that come from how Unicorn runs, not from the instruction.
const char* DiffEngine::Impl::unicorn_artifact(const ArchState& pre, const cs_insn* insn,
                                               const uint8_t* code, const StepOutcome& ou,
                                               const StepOutcome& oh) {
    if (ou.kind == StepOutcome::Kind::NotComparable) return ou.note.c_str();
    // A store into the executing translation block (even of unchanged bytes): QEMU restarts
    // the block and Unicorn reports the instruction as not yet executed.
    if (code && ou.kind == StepOutcome::Kind::Retired && uc.read_rip() == pre.rip &&
        hv.read().rip != pre.rip && !is_rep(insn) && !is_branch(insn))
        return "store into the executing code page (Unicorn restarts the instruction)";
    // CMPS/MOVS touch two memory operands; which one faults first is not architectural.
    if (insn && ou.kind == StepOutcome::Kind::Exception &&
        oh.kind == StepOutcome::Kind::Exception && !ou.accepts(oh.vector)) {
        const std::string_view mn = insn->mnemonic;
        if (mn.find("cmps") != mn.npos || mn.find("movs") != mn.npos)
            return "CMPS/MOVS with two faulting operands: the order of the accesses is not "
                   "architectural";
    }
    return nullptr;
}

// The value of the memory operand of `insn` in hvlab's memory (within one page, identity
// mapped: the test regions).
bool DiffEngine::Impl::read_memory_operand(const cs_insn& insn, const ArchState& pre, uint64_t& value,
                               unsigned& size, bool unicorn_side) {
    uint64_t ea = 0;
    if (!memory_offset(insn, pre, ea, size) || size == 0 || size > 8) return false;
    uint64_t seg = 0;
    if (insn.detail->x86.prefix[1] == X86_PREFIX_FS) seg = fs_base;
    if (insn.detail->x86.prefix[1] == X86_PREFIX_GS) seg = gs_base;
    const uint64_t linear = seg + ea;
    value = 0;
    for (unsigned i = 0; i < size; ++i) { // byte by byte: the operand may cross a page
        const uint64_t a = linear + i;
        if (!layout::kData.contains(a) && !layout::kStack.contains(a) && !layout::kCode.contains(a))
            return false;
        const uint64_t page_base = a & ~(layout::kPage - 1);
        const uint8_t* page = hv.page(page_base);
        if (unicorn_side) {
            const layout::Region& r = layout::kData.contains(a)    ? layout::kData
                                      : layout::kStack.contains(a) ? layout::kStack
                                                                   : layout::kCode;
            page = uc.region(r.base) + (page_base - r.base);
        }
        if (!page) return false;
        value |= uint64_t{page[a & (layout::kPage - 1)]} << (8 * i);
    }
    return true;
}

// STMXCSR after an SSE operation on a denormal input: hvlab has set MXCSR.DE ("Denormal Operand
// Exception (#D)", SDM Vol. 1, 11.5.2.2; tests/cpu_simd check it), Unicorn 2.0.1 never sets it
// (U53). True if the two stored images differ in DE alone, hvlab's being set.
bool DiffEngine::Impl::stmxcsr_denormal_only(const cs_insn& insn, const ArchState& pre) {
    uint64_t mine = 0, ref = 0;
    unsigned size = 0;
    if (insn.id != X86_INS_STMXCSR || !read_memory_operand(insn, pre, mine, size) ||
        !read_memory_operand(insn, pre, ref, size, true))
        return false;
    constexpr uint64_t kDe = 0x2;
    return (mine & kDe) && !(ref & kDe) && (mine & ~kDe) == ref;
}

// After a step whose flags or destination the SDM leaves undefined, both sides continue from
// Unicorn's choice, so that a later instruction is not blamed for it.
void DiffEngine::Impl::adopt_undefined(const UndefinedParts& undef) {
    if (!undef.flags && !undef.skip_gpr) return;
    const ArchState ref = uc.read();
    cpu::CpuState& st = hv.cpu().state();
    st.rflags = (st.rflags & ~undef.flags) | (ref.rflags & undef.flags);
    for (unsigned i = 0; i < 16; ++i)
        if (undef.skip_gpr & (1u << i)) st.gpr[i] = ref.gpr[i];
}

// BLSI/BLSMSK/BLSR: "CF is set if the source is not zero" (BLSI) / "is zero" (BLSMSK, BLSR)
// (SDM Vol. 2, "BLSI", "BLSMSK", "BLSR"). Unicorn 2.0.1 gets CF wrong (observed: BLSI of a
// non-zero source leaves CF = 0), so CF is checked against the SDM instead.
void DiffEngine::Impl::check_bls_carry(const cs_insn& insn, const ArchState& pre,
                                       UndefinedParts& undef, Mismatch& m, DiffReport& rep) {
    const cs_x86& x = insn.detail->x86;
    if (x.op_count < 2) return;
    uint64_t src = 0;
    unsigned size = x.operands[1].size;
    if (x.operands[1].type == X86_OP_REG) {
        const int g = capstone_gpr(x.operands[1].reg);
        if (g < 0) return;
        src = pre.gpr[static_cast<unsigned>(g)];
    } else if (!read_memory_operand(insn, pre, src, size)) {
        return;
    }
    if (size < 8) src &= (1ull << (size * 8)) - 1;
    const bool cf = insn.id == X86_INS_BLSI ? src != 0 : src == 0;
    undef.flags |= 1; // CF: checked here
    ++rep.sdm_checked["BLSI/BLSMSK/BLSR carry"];
    if ((hv.read().rflags & 1) != (cf ? 1u : 0u))
        m.diffs.push_back(std::string("rflags.CF: hvlab=") + ((hv.read().rflags & 1) ? "1" : "0") +
                          " SDM=" + (cf ? "1" : "0"));
}

// LDMXCSR m32 with a bit set outside MXCSR_MASK (hvlab: 0x0000FFFF): "#GP(0) For an attempt
// to set reserved bits in MXCSR" (SDM Vol. 2, LDMXCSR). Unicorn 2.0.1 loads it (observed:
// `0F AE 57 F1` retired). hvlab is checked against the SDM's #GP(0) instead.
bool DiffEngine::Impl::ldmxcsr_reserved(const cs_insn& insn, const ArchState& pre) {
    uint64_t v = 0;
    unsigned size = 0;
    return read_memory_operand(insn, pre, v, size) && size == 4 && (v & ~uint64_t{0xFFFF}) != 0;
}

// RCPPS/RCPSS/RSQRTPS/RSQRTSS: "Tiny results ... are always flushed to 0.0, with the sign of
// the operand", and denormal inputs are treated as zeros of the same sign (SDM Vol. 2, "RCPPS",
// "RSQRTPS"; hvlab does both). Unicorn 2.0.1 computes the exact quotient with denormals
// (observed: `0F 53 E2` gave 0xFE818672 for a denormal lane where the SDM gives -inf; `0F 53
// BC ..` gave the denormal 0x0028D3D9 where the SDM gives 0). Such inputs are skipped: a lane
// with a denormal source, or for RCP a finite source with |x| >= 2^126 (result tiny or at the
// boundary). Other lanes are compared as usual (Unicorn's exact result is what hvlab computes).
bool DiffEngine::Impl::rcp_rsqrt_tiny(const cs_insn& insn, const ArchState& pre) {
    const bool rcp = insn.id == X86_INS_RCPPS || insn.id == X86_INS_RCPSS;
    if (!rcp && insn.id != X86_INS_RSQRTPS && insn.id != X86_INS_RSQRTSS) return false;
    const bool scalar = insn.id == X86_INS_RCPSS || insn.id == X86_INS_RSQRTSS;
    const cs_x86& x = insn.detail->x86;
    if (x.op_count < 2) return false;
    uint32_t lanes[4] = {};
    const unsigned n = scalar ? 1 : 4;
    if (x.operands[1].type == X86_OP_REG) {
        const int r = static_cast<int>(x.operands[1].reg) - X86_REG_XMM0;
        if (r < 0 || r > 15) return false;
        for (unsigned i = 0; i < n; ++i)
            lanes[i] =
                static_cast<uint32_t>(pre.xmm[static_cast<unsigned>(r)][i / 2] >> (32 * (i % 2)));
    } else {
        uint64_t ea = 0;
        unsigned size = 0;
        if (!memory_offset(insn, pre, ea, size)) return false;
        uint64_t seg = 0;
        if (x.prefix[1] == X86_PREFIX_FS) seg = fs_base;
        if (x.prefix[1] == X86_PREFIX_GS) seg = gs_base;
        for (unsigned b = 0; b < 4 * n; ++b) {
            const uint64_t a = seg + ea + b;
            if (!layout::kData.contains(a) && !layout::kStack.contains(a) &&
                !layout::kCode.contains(a))
                return false;
            const uint8_t* page = hv.page(a & ~(layout::kPage - 1));
            if (!page) return false;
            lanes[b / 4] |= uint32_t{page[a & (layout::kPage - 1)]} << (8 * (b % 4));
        }
    }
    for (unsigned i = 0; i < n; ++i) {
        const uint32_t e = (lanes[i] >> 23) & 0xFF, mant = lanes[i] & 0x7FFFFF;
        if (e == 0 && mant != 0) return true;
        if (rcp && e >= 253 && e != 255) return true;
    }
    return false;
}

// Near CALL/JMP r/m64 in 64-bit mode whose target is not canonical: the SDM ("CALL",
// Operation: "IF tempRIP is not canonical THEN #GP(0)" before the return address is pushed;
// "JMP" likewise) faults at the branch. Unicorn 2.0.1 pushes first (observed: `41 FF D4` with
// RSP in the code page retired, `67 FF 52 E6` with RSP unmapped gave #PF).
bool DiffEngine::Impl::non_canonical_indirect_target(const cs_insn& insn, const ArchState& pre) {
    if (mode != Mode::Long64 || (insn.id != X86_INS_CALL && insn.id != X86_INS_JMP)) return false;
    const cs_x86& x = insn.detail->x86;
    if (x.opcode[0] != 0xFF || x.op_count != 1 || x.prefix[2] == 0x66) return false;
    uint64_t target = 0;
    if (x.operands[0].type == X86_OP_REG) {
        const int r = capstone_gpr(x.operands[0].reg);
        if (r < 0) return false;
        target = pre.gpr[static_cast<unsigned>(r)];
    } else {
        unsigned size = 0;
        if (x.operands[0].type != X86_OP_MEM || !read_memory_operand(insn, pre, target, size) || size != 8)
            return false;
    }
    return !is_canonical48(target);
}

// The 16 bytes of XMM or memory operand i before the instruction (memory: test regions only).
bool DiffEngine::Impl::operand_bytes(const cs_insn& insn, const ArchState& pre, unsigned i,
                                     uint8_t (&out)[16]) {
    const cs_x86& x = insn.detail->x86;
    if (i >= x.op_count) return false;
    if (x.operands[i].type == X86_OP_REG) {
        const int r = static_cast<int>(x.operands[i].reg) - X86_REG_XMM0;
        if (r < 0 || r > 15) return false;
        std::memcpy(out, pre.xmm[static_cast<unsigned>(r)].data(), 16);
        return true;
    }
    uint64_t ea = 0;
    unsigned size = 0;
    if (x.operands[i].type != X86_OP_MEM || !memory_offset(insn, pre, ea, size)) return false;
    const uint64_t base = segment_base(insn) + ea;
    for (unsigned b = 0; b < 16; ++b) {
        const uint64_t a = base + b;
        if (!layout::kData.contains(a) && !layout::kStack.contains(a) &&
            !layout::kCode.contains(a)) {
            out[b] = 0; // past the operand's end (scalar forms), or unmapped: then it faults anyway
            continue;
        }
        const uint8_t* page = hv.page(a & ~(layout::kPage - 1));
        out[b] = page ? page[a & (layout::kPage - 1)] : 0;
    }
    return true;
}

// ADD/SUB/MUL/DIV PS/SS/PD/SD with both operands NaN in a lane: the SDM ("SIMD
// Floating-Point Exceptions", Table 4-7 of Vol. 1) returns the first source's NaN (quieted),
// which hvlab does (checked against the host CPU in tests/cpu_simd); Unicorn 2.0.1 returns the
// NaN with the larger significand (observed: `0F 58 E2`, lane 1: 0xFFE8F1C2 vs 0xFFFFFFFF).
bool DiffEngine::Impl::two_nan_operands(const cs_insn& insn, const ArchState& pre) {
    const std::string_view mn = insn.mnemonic;
    if (mn.size() != 5 || !(mn.starts_with("add") || mn.starts_with("sub") ||
                            mn.starts_with("mul") || mn.starts_with("div")))
        return false;
    const bool dbl = mn[4] == 'd', scalar = mn[3] == 's';
    if (mn[3] != 'p' && mn[3] != 's') return false;
    uint8_t a[16], b[16];
    if (!operand_bytes(insn, pre, 0, a) || !operand_bytes(insn, pre, 1, b)) return false;
    const unsigned lanes = scalar ? 1 : dbl ? 2 : 4;
    for (unsigned l = 0; l < lanes; ++l) {
        bool nan_a, nan_b;
        if (dbl) {
            uint64_t x, y;
            std::memcpy(&x, a + 8 * l, 8);
            std::memcpy(&y, b + 8 * l, 8);
            nan_a = (x & 0x7FF0'0000'0000'0000ull) == 0x7FF0'0000'0000'0000ull &&
                    (x & 0xF'FFFF'FFFF'FFFFull);
            nan_b = (y & 0x7FF0'0000'0000'0000ull) == 0x7FF0'0000'0000'0000ull &&
                    (y & 0xF'FFFF'FFFF'FFFFull);
        } else {
            uint32_t x, y;
            std::memcpy(&x, a + 4 * l, 4);
            std::memcpy(&y, b + 4 * l, 4);
            nan_a = (x & 0x7F80'0000u) == 0x7F80'0000u && (x & 0x7F'FFFFu);
            nan_b = (y & 0x7F80'0000u) == 0x7F80'0000u && (y & 0x7F'FFFFu);
        }
        if (nan_a && nan_b) return true;
    }
    return false;
}

// Value of register or memory operand i (zero-extended to its size), from the state before.
bool DiffEngine::Impl::operand_value(const cs_insn& insn, const ArchState& pre, unsigned i,
                                     uint64_t& v) {
    const cs_x86& x = insn.detail->x86;
    if (i >= x.op_count) return false;
    unsigned size = x.operands[i].size;
    if (x.operands[i].type == X86_OP_REG) {
        const int g = capstone_gpr(x.operands[i].reg);
        if (g < 0) return false;
        v = pre.gpr[static_cast<unsigned>(g)];
    } else if (x.operands[i].type != X86_OP_MEM || !read_memory_operand(insn, pre, v, size)) {
        return false;
    }
    if (size < 8) v &= (1ull << (size * 8)) - 1;
    return true;
}

// PDEP, PEXT, BZHI, BEXTR: Unicorn 2.0.1 computes wrong results (observed, e.g. `bzhi ebp,
// edx, eax` with index 0x4b >= 32 gives 0x7ffffeff where the SDM gives the source unchanged,
// 0xfffffeff; PDEP/PEXT wrong for most masks), whereas hvlab matches the real host CPU (BMI1/
// BMI2) for all four (tests/cpu_simd "bmi vs host CPU"). So the destination and the defined
// flags are checked against the SDM's operation (SDM Vol. 2, "PDEP", "PEXT", "BZHI",
// "BEXTR"); both emulators then continue from Unicorn's values, like undefined results.
void DiffEngine::Impl::check_bmi_sdm(const cs_insn& insn, const ArchState& pre,
                                     UndefinedParts& undef, Mismatch& m, DiffReport& rep) {
    const cs_x86& x = insn.detail->x86;
    if (x.op_count != 3 || x.operands[0].type != X86_OP_REG) return;
    const int dst = capstone_gpr(x.operands[0].reg);
    const unsigned bits = x.operands[0].size * 8u;
    uint64_t a = 0, b = 0;
    if (dst < 0 || (bits != 32 && bits != 64) || !operand_value(insn, pre, 1, a) ||
        !operand_value(insn, pre, 2, b))
        return;
    uint64_t r = 0, flags = 0, checked = 0;
    const uint64_t CF = 1, ZF = 0x40, SF = 0x80, OF = 0x800;
    switch (insn.id) {
    case X86_INS_PDEP: // PDEP r, src (VEX.vvvv), mask (r/m); flags unaffected
        for (unsigned i = 0, k = 0; i < bits; ++i)
            if ((b >> i) & 1) r |= ((a >> k++) & 1) << i;
        break;
    case X86_INS_PEXT: // PEXT r, src (VEX.vvvv), mask (r/m); flags unaffected
        for (unsigned i = 0, k = 0; i < bits; ++i)
            if ((b >> i) & 1) r |= ((a >> i) & 1) << k++;
        break;
    case X86_INS_BZHI: { // BZHI r, src (r/m), index (VEX.vvvv)[7:0]
        const unsigned n = b & 0xFF;
        r = n < bits ? (a & ((1ull << n) - 1)) : a;
        if (n > bits - 1) flags |= CF;
        if (r == 0) flags |= ZF;
        if ((r >> (bits - 1)) & 1) flags |= SF;
        checked = CF | ZF | SF | OF; // OF cleared; AF, PF undefined
        break;
    }
    case X86_INS_BEXTR: { // BEXTR r, src (r/m), control (VEX.vvvv): start [7:0], length [15:8]
        const unsigned start = b & 0xFF, len = (b >> 8) & 0xFF;
        const uint64_t shifted = start < bits ? a >> start : 0;
        r = len < 64 ? shifted & ((1ull << len) - 1) : shifted;
        if (r == 0) flags |= ZF;
        checked = CF | ZF | OF; // CF, OF cleared; AF, SF, PF undefined
        break;
    }
    default: return;
    }
    undef.skip_gpr |= 1u << dst;
    undef.flags |= checked;
    ++rep.sdm_checked["PDEP/PEXT/BZHI/BEXTR result"];
    const ArchState& h = hv.read();
    char buf[160];
    if (h.gpr[dst] != r) {
        std::snprintf(buf, sizeof buf, "destination: hvlab=%016llx SDM=%016llx",
                      static_cast<unsigned long long>(h.gpr[dst]),
                      static_cast<unsigned long long>(r));
        m.diffs.push_back(buf);
    }
    if ((h.rflags & checked) != flags) {
        std::snprintf(buf, sizeof buf, "rflags (CF/ZF/SF/OF as defined): hvlab=%llx SDM=%llx",
                      static_cast<unsigned long long>(h.rflags & checked),
                      static_cast<unsigned long long>(flags));
        m.diffs.push_back(buf);
    }
}

void DiffEngine::Impl::check_lock_neg_flags(const cs_insn& insn, const ArchState& pre,
                                            UndefinedParts& undef, Mismatch& m, DiffReport& rep) {
    uint64_t result = 0;
    unsigned size = 0;
    if (!read_memory_operand(insn, pre, result, size)) return;
    undef.flags |= 0x8D5; // Unicorn's are wrong; the SDM's are checked here instead
    ++rep.sdm_checked["LOCK NEG flags"];
    const uint64_t want = neg_flags(result, size);
    if ((hv.read().rflags & 0x8D5) != want) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "rflags: hvlab=%llx SDM (NEG of stored result)=%llx",
                      static_cast<unsigned long long>(hv.read().rflags & 0x8D5),
                      static_cast<unsigned long long>(want));
        m.diffs.push_back(buf);
    }
}

uint64_t DiffEngine::Impl::segment_base(const cs_insn& insn) const {
    if (insn.detail->x86.prefix[1] == X86_PREFIX_FS) return fs_base;
    if (insn.detail->x86.prefix[1] == X86_PREFIX_GS) return gs_base;
    return 0;
}

// The SSE fault rules (alignment, LDMXCSR) apply only when SSE instructions get that far:
// CR0.EM = 1 or CR4.OSFXSR = 0 is #UD and CR0.TS = 1 is #NM first (SDM Vol. 2, Table 2-18).
bool DiffEngine::Impl::sse_enabled() {
    if (stream->privileged.empty()) return true; // only privileged templates change CR0/CR4
    const SystemRegs sys = hv.read_system();
    return !(sys.cr0 & 0xC) && (sys.cr4 & (1u << 9));
}

// LGDT/LIDT in 64-bit mode whose 8-byte base (at offset 2 of the operand) is not canonical.
bool DiffEngine::Impl::lxdt_non_canonical(const cs_insn& insn, const ArchState& pre) {
    if (mode != Mode::Long64 || (insn.id != X86_INS_LGDT && insn.id != X86_INS_LIDT)) return false;
    uint64_t ea = 0;
    unsigned size = 0;
    if (!memory_offset(insn, pre, ea, size)) return false;
    uint64_t base = 0;
    for (unsigned i = 0; i < 8; ++i) {
        const uint64_t a = ea + 2 + i;
        const uint8_t* page =
            layout::kData.contains(a) || layout::kStack.contains(a) || layout::kCode.contains(a)
                ? hv.page(a & ~(layout::kPage - 1))
                : nullptr;
        if (!page) return false; // the access itself faults: compared as usual
        base |= uint64_t{page[a & (layout::kPage - 1)]} << (8 * i);
    }
    return !is_canonical48(base);
}

// System registers and port writes, in streams with privileged templates.
void DiffEngine::Impl::compare_system(std::vector<std::string>& diffs) {
    std::vector<std::string> d = diff_system(hv.read_system(), uc.read_system(), mode);
    diffs.insert(diffs.end(), d.begin(), d.end());
    const std::vector<PortAccess>& ph = hv.port_log();
    const std::vector<PortAccess>& pu = uc.port_log();
    if (ph == pu) return;
    char buf[160];
    for (size_t i = 0; i < std::max(ph.size(), pu.size()); ++i) {
        const PortAccess none{};
        const PortAccess& a = i < ph.size() ? ph[i] : none;
        const PortAccess& b = i < pu.size() ? pu[i] : none;
        if (a == b) continue;
        std::snprintf(buf, sizeof buf, "port access %zu: hvlab=%s %x/%u %x unicorn=%s %x/%u %x", i,
                      a.out ? "out" : "in", a.port, a.size, a.value, b.out ? "out" : "in", b.port,
                      b.size, b.value);
        diffs.push_back(buf);
        return;
    }
}

// The source GPR of MOV CR0, r in 64-bit mode, else -1.
int DiffEngine::Impl::cr0_source(const cs_insn* insn) const {
    if (!insn || mode != Mode::Long64 || insn->id != X86_INS_MOV) return -1;
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 2 || x.operands[0].type != X86_OP_REG || x.operands[0].reg != X86_REG_CR0 ||
        x.operands[1].type != X86_OP_REG)
        return -1;
    return capstone_gpr(x.operands[1].reg);
}

// MOV r, CR0 and SMSW r32/r64 in 64-bit mode read CR0.PG, which is 1 in IA-32e mode (SDM
// Vol. 3A, "IA-32e Mode Operation") but 0 in Unicorn's paging-less long mode: hvlab's bit is
// checked against the SDM, and Unicorn's register gets it so the stream continues alike.
void DiffEngine::Impl::cr0_read_fixup(const cs_insn* insn, Mismatch& m, DiffReport& rep) {
    if (!insn || mode != Mode::Long64 || (insn->id != X86_INS_MOV && insn->id != X86_INS_SMSW))
        return;
    const cs_x86& x = insn->detail->x86;
    if (x.op_count < 1 || x.operands[0].type != X86_OP_REG) return;
    if (insn->id == X86_INS_MOV &&
        (x.op_count != 2 || x.operands[1].type != X86_OP_REG || x.operands[1].reg != X86_REG_CR0))
        return;
    if (insn->id == X86_INS_SMSW && x.operands[0].size < 4) return;
    const int dst = capstone_gpr(x.operands[0].reg);
    if (dst < 0) return;
    ++rep.sdm_checked["CR0.PG = 1 in IA-32e mode (MOV from CR0, SMSW r32/r64)"];
    const uint64_t h = hv.read().gpr[static_cast<unsigned>(dst)];
    if (!(h & kCr0Pg))
        m.diffs.push_back("cr0 read: hvlab's value has PG = 0 in IA-32e mode (SDM: 1)");
    uc.write_gpr(static_cast<unsigned>(dst), uc.read().gpr[static_cast<unsigned>(dst)] | kCr0Pg);
}

const char* DiffEngine::Impl::skip_reason(const cs_insn* insn, const uint8_t* code,
                                          const ArchState& pre, bool privileged) const {
    // Unicorn stops after the instruction without raising the single-step trap.
    if (pre.rflags & 0x100) return "RFLAGS.TF set: Unicorn does not deliver single-step #DB";
    if (!insn) {
        if (code && segment_move_unknown_to_capstone(code, 15, mode == Mode::Long64))
            return "MOV to/from a segment register that Capstone 4 cannot decode (selectors differ "
                   "by design)";
        if (code && two_segment_overrides(code, 15))
            return "two different segment overrides (SDM: only one per group is useful)";
        return nullptr;
    }
    if (!privileged)
        if (const char* why = not_comparable_reason(*insn)) return why;
    // NP 0F AE /2, /3 (LDMXCSR, STMXCSR m32) with 66h/F2h/F3h: "NP" prefixes cause #UD or
    // give another instruction (SDM Vol. 2, 3.1.1.2); hvlab raises #UD, Unicorn 2.0.1 runs it.
    // CLFLUSH (NP 0F AE /7) with 66h is CLFLUSHOPT (not advertised by hvlab), with F2h/F3h
    // undefined: Capstone 4 still says clflush, Unicorn 2.0.1 retires it, hvlab raises #UD.
    // F2 0F D6 is MOVDQ2Q mm, xmm (register only): with a memory operand #UD on hvlab, while
    // Capstone 4 and Unicorn 2.0.1 take it as MOVQ m64, xmm (observed: `36 F2 67 48 0F D6 09`).
    if (insn->id == X86_INS_MOVQ && code && insn->detail->x86.opcode[0] == 0x0F &&
        insn->detail->x86.opcode[1] == 0xD6 && has_f2_prefix(code, insn->size))
        return "F2 0F D6 (MOVDQ2Q, register only) with a memory operand: hvlab raises #UD, Unicorn "
               "2.0.1 runs MOVQ";
    // REP STOS/MOVS into the code region: Unicorn re-translates after each store into the
    // executing page (U14) and stops early; hvlab completes the string.
    if ((is_rep(insn) || (code && rep_string_bytes(code, insn->size))) &&
        rep_store_into_code(*insn, pre))
        return "REP STOS/MOVS storing into the code region (Unicorn restarts, U14)";
    if (insn->id == X86_INS_CLFLUSH && code && has_sse_prefix(code, insn->size))
        return "CLFLUSH with 66h/F2h/F3h (CLFLUSHOPT or undefined): hvlab raises #UD, Unicorn "
               "2.0.1 retires it";
    if ((insn->id == X86_INS_LDMXCSR || insn->id == X86_INS_STMXCSR) && code &&
        has_sse_prefix(code, insn->size))
        return "NP LDMXCSR/STMXCSR with 66h/F2h/F3h: hvlab raises #UD, Unicorn 2.0.1 executes it";
    // "NP 0F AE E8" LFENCE (and MFENCE, SFENCE): with 66h/F2h/F3h the encoding is another
    // instruction or #UD (SDM Vol. 2, 3.1.1.2); F3 0F AE /5 with mod = 11 is INCSSP, #UD while
    // CR4.CET = 0 (SDM "INCSSP"). hvlab raises #UD; Unicorn 2.0.1 runs LFENCE (observed
    // `36 F3 0F AE E8`).
    if ((insn->id == X86_INS_LFENCE || insn->id == X86_INS_MFENCE ||
         insn->id == X86_INS_SFENCE) &&
        code && has_sse_prefix(code, insn->size))
        return "LFENCE/MFENCE/SFENCE with 66h/F2h/F3h (INCSSP or undefined): hvlab raises #UD, "
               "Unicorn 2.0.1 runs the fence";
    if (prefix_not_allowed(*insn))
        return "undefined prefix/form (NP MOVNTI with 66/F2/F3, MOVLPD/MOVHPD register form): "
               "Unicorn 2.0.1 runs it";
    if (mode == Mode::Long64 && mov_imm_with_rex_r(*insn))
        return "C6/C7 /0 with REX.R: hardware runs MOV, Unicorn 2.0.1 raises #UD";
    if (opsize_prefixed_enter(*insn, code))
        return "ENTER with 66h: the host writes BP only, Unicorn 2.0.1 all of RBP";
    if (const char* why = features.missing_for(*insn, mode == Mode::Long64)) return why;
    if (mode == Mode::Long64 && misplaced_rex(code, insn->size))
        return "REX before a legacy prefix: ignored per the SDM, applied by Unicorn 2.0.1";
    if (mmx_form(*insn)) return "MMX-register form (no 66h): outside hvlab's CPU model (no MMX)";
    if (legacy_cmp_high_predicate(*insn, code))
        return "legacy CMPPS/CMPPD/CMPSS/CMPSD with imm8 > 7: hardware uses imm8[2:0], Unicorn "
               "2.0.1 raises #UD";
    // LAHF/SAHF with a REX prefix (64-bit mode): the operand is AH whatever the REX ("LAHF":
    // AH <- EFLAGS(SF:ZF:0:AF:0:PF:1:CF); there is no ModRM for REX to change). Verified on the
    // host: `4A 9F` wrote AH and left RSP alone, `48 9E` with AH = D7h loaded SF ZF AF PF CF.
    // Unicorn 2.0.1 uses SPL instead (observed: `4A 9F` stored the flags into RSP[7:0], `43 49
    // 9E` loaded the flags from SPL). hvlab uses AH. Skipped.
    if (mode == Mode::Long64 && (insn->id == X86_INS_LAHF || insn->id == X86_INS_SAHF) &&
        insn->detail->x86.rex)
        return "LAHF/SAHF with REX: SDM and host use AH, Unicorn 2.0.1 uses SPL";
    if (mode == Mode::Long64 && unicorn_rip_relative_imm8(*insn))
        return "SHLD/SHRD/RORX imm8 with a RIP-relative operand: Unicorn 2.0.1 omits the imm8 from "
               "the address";
    if (mode == Mode::Long64 && opsize_prefixed_near_branch(*insn, code))
        return "66h on a near branch in 64-bit mode: Intel ignores it, Unicorn decodes rel16";
    return undefined_prefix_combination(*insn, code);
}

void DiffEngine::Impl::run_stream(const Stream& s, uint64_t seed, uint64_t index,
                                  const DiffOptions& opt, DiffReport& rep) {
    uc.load(s);
    hv.load(s);
    fs_base = s.fs_base;
    gs_base = s.gs_base;
    stream = &s;
    if (opt.trace) { // the whole stream, for replaying a crash of either emulator in isolation
        std::fprintf(stderr, "stream %llu code:", static_cast<unsigned long long>(index));
        for (uint64_t a = layout::kCode.base; a < s.end_rip; ++a)
            std::fprintf(stderr, " %02x", s.code[a - layout::kCode.base]);
        std::fprintf(stderr, "\n");
    }
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
        if (const char* why = skip_reason(insn, code, pre, s.is_privileged_at(pre.rip))) {
            ++rep.skipped;
            ++rep.skip_reasons[why];
            return;
        }
        Mismatch m;
        m.stream_seed = seed;
        m.stream_index = index;
        m.step = step;
        m.bytes = code ? hex(code, insn ? insn->size : avail) : "(outside the test regions)";
        m.disasm = dis.text(insn);
        m.pre_state = format_state(pre, mode);
        const std::string mnemonic = insn ? insn->mnemonic : "(unknown)";
        if (opt.trace)
            std::fprintf(stderr, "stream %llu step %u: %s [%s]\n",
                         static_cast<unsigned long long>(index), step, m.disasm.c_str(),
                         m.bytes.c_str());
        bool go_on = false;
        SystemWriteRule sys_rule = insn && s.is_privileged_at(pre.rip)
                                       ? classify_system_write(*insn, pre, hv.read_system(), mode)
                                       : SystemWriteRule{};
        if (insn && s.is_privileged_at(pre.rip) && lxdt_non_canonical(*insn, pre))
            sys_rule = {SystemWriteRule::Kind::Skip,
                        "LGDT/LIDT of a non-canonical base in 64-bit mode: the SDM does not say; "
                        "hvlab raises #GP(0), Unicorn 2.0.1 loads it"};
        if (sys_rule.kind == SystemWriteRule::Kind::Skip) {
            ++rep.skipped;
            ++rep.skip_reasons[sys_rule.why];
            return;
        }
        if (insn && s.is_privileged_at(pre.rip)) ++rep.privileged;
        if (sys_rule.kind == SystemWriteRule::Kind::MustGp)
            check_sdm_fault(m, rep, sys_rule.why, pre);
        else if (code && lock_prefix_must_fault(code, avail, mode))
            check_sdm_fault(m, rep, "LOCK", pre);
        else if (insn && amd_svm_instruction(*insn))
            check_sdm_fault(m, rep, "AMD SVM instruction on an Intel model: #UD", pre);
        else if (int v = -1, alt = -1; insn && clflush_must_fault(*insn, pre, segment_base(*insn),
                                                                  mode == Mode::Long64, v, alt))
            check_sdm_fault(
                m, rep,
                "CLFLUSH of an unmapped or non-canonical address (Unicorn does not translate it)",
                pre, alt, v);
        else if (insn && non_canonical_indirect_target(*insn, pre))
            check_sdm_fault(m, rep,
                            "near CALL/JMP to a non-canonical target: #GP(0) before the push", pre);
        else if (insn && undefined_sse_form(*insn))
            check_sdm_fault(m, rep, "66h RCPPS/RSQRTPS (blank in the opcode map): #UD", pre);
        else if (insn && sse_alignment_must_fault(*insn, pre) && sse_enabled() &&
                 !prefix_only_form_without_prefix(*insn, code))
            check_sdm_fault(m, rep, "SSE alignment", pre, alignment_alt_vector(*insn, pre));
        else if (insn && insn->id == X86_INS_LDMXCSR && ldmxcsr_reserved(*insn, pre) &&
                 sse_enabled())
            check_sdm_fault(m, rep, "LDMXCSR reserved bits", pre);
        else if (insn && mode == Mode::Protected32 && code_segment_write(*insn))
            check_sdm_fault(m, rep, "code-segment write", pre, -1,
                            sse_unavailable_vector(*insn, hv.read_system().cr0,
                                                   hv.read_system().cr4));
        else
            go_on = compare_step(pre, insn, code, m, rep);
        if (!m.diffs.empty()) {
            ++rep.mismatches;
            ++rep.mismatch_by_mnemonic[mnemonic];
            m.origin = s.origin;
            if (rep.details.size() < opt.max_reports) rep.details.push_back(std::move(m));
            if (opt.verbose)
                std::fprintf(stderr, "%s\n", rep.details.back().describe(mode).c_str());
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
                const Stream s = impl_->directed_stream(seed, *t);
                if (s.unicorn_safe)
                    impl_->run_stream(s, seed, index, opt, rep);
                else
                    ++rep.skip_reasons["stream contains bytes that abort Unicorn (lock_rule.hpp)"];
            }
        }
        return rep;
    }
    uint64_t next_progress = opt.progress;
    index = opt.first_stream; // streams are independent: a long run can be replayed from here
    while (rep.compared < opt.count) {
        if (opt.progress && rep.compared >= next_progress) {
            std::fprintf(stderr,
                         "[progress] %llu instructions compared, %llu streams, %llu mismatches, "
                         "cpu %.1f s\n",
                         static_cast<unsigned long long>(rep.compared),
                         static_cast<unsigned long long>(rep.streams),
                         static_cast<unsigned long long>(rep.mismatches),
                         static_cast<double>(std::clock()) / CLOCKS_PER_SEC);
            next_progress += opt.progress;
        }
        const uint64_t seed = stream_seed(opt.seed, index);
        const Stream s = impl_->random_stream(seed, opt.raw_percent);
        if (s.unicorn_safe)
            impl_->run_stream(s, seed, index, opt, rep);
        else
            ++rep.skip_reasons["stream contains bytes that abort Unicorn (lock_rule.hpp)"];
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
    for (const std::string& d : diffs)
        s += "  " + d + "\n";
    s += "  state before:\n" + pre_state;
    s += "  stream: " + origin.substr(0, 400) + "\n";
    return s;
}

std::string DiffReport::summary() const {
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "streams %llu, compared %llu instructions (%llu matching exceptions), skipped "
        "%llu, mismatches %llu\n",
        static_cast<unsigned long long>(streams), static_cast<unsigned long long>(compared),
        static_cast<unsigned long long>(exceptions_matched),
        static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(mismatches));
    std::string s = buf;
    s += "  privileged instructions compared (MOV CR/DR, descriptor tables, MSRs, flags, I/O): " +
         std::to_string(privileged) + "\n";
    for (const auto& [rule, n] : sdm_checked)
        s += "  checked against the SDM " + rule +
             " rule instead of Unicorn: " + std::to_string(n) + "\n";
    for (const auto& [why, n] : skip_reasons)
        s += "  skipped " + std::to_string(n) + ": " + why + "\n";
    for (const auto& [mn, n] : mismatch_by_mnemonic)
        s += "  mismatches in " + mn + ": " + std::to_string(n) + "\n";
    return s;
}

} // namespace hvlab::tools

// x87 control state: FNINIT, FLDCW/FNSTCW, FNSTSW (AX and m16), FNCLEX, FWAIT, FNSTENV/FLDENV.
// hvlab has no x87 arithmetic (CPUID.01H:EDX.FPU = 0); these instructions exist so that system
// software can initialise, save and restore the x87 state that FXSAVE/FXRSTOR carry. Every other
// D8..DF encoding has no row and raises #UD.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, the instruction page of each, and Vol. 1,
// "Saving the x87 FPU's State with FSTENV/FNSTENV and FSAVE/FNSAVE" (environment layouts).
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

// FNINIT: FCW=037FH, FSW=0, all registers empty, pointers and opcode cleared (SDM Vol. 2A,
// FINIT/FNINIT, "Operation"). TOP becomes 0; the register contents stay where they are.
Fault exec_fninit(Exec& x, const DecodedInsn&) {
    if (Fault f = x87_check(x, false)) return f;
    FpuState& f = x.s.fpu;
    f.fcw = kFcwInit;
    set_fpu_top(f, 0);
    f.fsw = 0;
    f.ftw = 0;
    f.fop = 0;
    f.fip = f.fdp = 0;
    return kNoFault;
}

// FNCLEX: clears the exception flags, SF, ES and B (SDM Vol. 2A, FCLEX/FNCLEX).
Fault exec_fnclex(Exec& x, const DecodedInsn&) {
    if (Fault f = x87_check(x, false)) return f;
    x.s.fpu.fsw &= ~(kFswExceptions | kFswSF | kFswES | kFswB);
    return kNoFault;
}

Fault exec_fnstcw(Exec& x, const DecodedInsn& d) {
    if (Fault f = x87_check(x, false)) return f;
    return write_mem(x, d.seg, effective_address(x, d), 2, x.s.fpu.fcw);
}

// FLDCW is a waiting instruction: a pending exception is taken first.
Fault exec_fldcw(Exec& x, const DecodedInsn& d) {
    if (Fault f = x87_check(x, true)) return f;
    uint64_t v;
    if (Fault f = read_mem(x, d.seg, effective_address(x, d), 2, v)) return f;
    FpuState& f = x.s.fpu;
    f.fcw = canonical_fcw(v);
    f.fsw = summarize_fsw(f.fsw, f.fcw);
    return kNoFault;
}

Fault exec_fnstsw_mem(Exec& x, const DecodedInsn& d) {
    if (Fault f = x87_check(x, false)) return f;
    return write_mem(x, d.seg, effective_address(x, d), 2, x.s.fpu.fsw);
}

Fault exec_fnstsw_ax(Exec& x, const DecodedInsn&) {
    if (Fault f = x87_check(x, false)) return f;
    set_reg(x, RAX, 2, x.s.fpu.fsw, false);
    return kNoFault;
}

// FWAIT: #NM only when CR0.MP and CR0.TS are both set; then a pending exception
// (SDM Vol. 3A, "Device-Not-Available Exception (#NM)", table of EM/MP/TS actions).
Fault exec_fwait(Exec& x, const DecodedInsn&) {
    if ((x.s.cr0 & (cr0::MP | cr0::TS)) == (cr0::MP | cr0::TS)) return fault(NM);
    if ((x.s.fpu.fsw & kFswES) && (x.s.cr0 & cr0::NE)) return fault(MF);
    return kNoFault;
}

// The full tag word from the abridged one: empty (11), or by the register's contents zero (01),
// special (10: NaN, infinity, denormal, unnormal) or valid (00). Physical register p holds
// ST((p - TOP) mod 8) (SDM Vol. 1, "x87 FPU Tag Word"; FXSAVE, "abridged tag word").
uint16_t full_tag_word(const FpuState& f) {
    const unsigned top = (f.fsw >> 11) & 7;
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; ++p) {
        unsigned tag = 3;
        if (f.ftw & (1u << p)) {
            const auto& r = f.st[(p - top) & 7];
            uint64_t mant;
            std::memcpy(&mant, r.data(), 8);
            const unsigned exp = (r[8] | (r[9] << 8)) & 0x7FFF;
            if (exp == 0x7FFF)
                tag = 2;
            else if (exp == 0)
                tag = mant == 0 ? 1 : 2;
            else
                tag = (mant >> 63) ? 0 : 2;
        }
        tw |= static_cast<uint16_t>(tag << (2 * p));
    }
    return tw;
}

uint8_t abridged_tag_word(uint16_t full) {
    uint8_t t = 0;
    for (unsigned p = 0; p < 8; ++p)
        if (((full >> (2 * p)) & 3) != 3) t |= static_cast<uint8_t>(1u << p);
    return t;
}

// The protected-mode environment: 28 bytes (32-bit operand size; unused upper halves read as
// FFFFH like on hardware) or 14 bytes (16-bit). The instruction pointer's selector word also
// holds the last opcode in bits 26:16 of the 32-bit form.
unsigned env_size(const DecodedInsn& d) {
    return d.opsize == 2 ? 14 : 28;
}

// The environment's linear address: the segment checks of all n bytes, then #AC(0) when
// alignment checking is on (CPL 3, CR0.AM, RFLAGS.AC) and the area is not aligned to its fields
// (FSTENV/FNSTENV and FLDENV, "Protected Mode Exceptions": "#AC(0) If alignment checking is
// enabled and an unaligned memory reference is made while the current privilege level is 3",
// SDM Vol. 2A). The fields are doublewords in the 28-byte format and words in the 14-byte one;
// an Intel processor checks exactly that (+4 is accepted, +2 is #AC for the 28-byte format).
Fault env_linear(Exec& x, const DecodedInsn& d, unsigned n, AccessKind kind, uint64_t& lin) {
    if (Fault f = segment_linear(x, d.seg, effective_address(x, d), n, kind, lin)) return f;
    if (x.ac_check && (lin & (n == 28 ? 3 : 1))) return fault_ec(AC, 0);
    return kNoFault;
}

void build_env(const FpuState& f, unsigned size, uint8_t* e) {
    const uint32_t ip = static_cast<uint32_t>(f.fip), dp = static_cast<uint32_t>(f.fdp);
    const uint16_t cs = static_cast<uint16_t>(f.fip >> 32), ds = static_cast<uint16_t>(f.fdp >> 32);
    if (size == 14) {
        const uint16_t w[7] = {f.fcw, f.fsw, full_tag_word(f), uint16_t(ip), cs, uint16_t(dp), ds};
        std::memcpy(e, w, sizeof w);
        return;
    }
    const uint32_t w[7] = {0xFFFF0000u | f.fcw,
                           0xFFFF0000u | f.fsw,
                           0xFFFF0000u | full_tag_word(f),
                           ip,
                           cs | (uint32_t(f.fop & 0x7FF) << 16),
                           dp,
                           0xFFFF0000u | ds};
    std::memcpy(e, w, sizeof w);
}

// FNSTENV stores the environment, then masks all exceptions (SDM Vol. 2A, FSTENV/FNSTENV). With
// every exception masked none is pending any more: ES and B clear ("Error summary status" is
// set only for an unmasked exception flag, SDM Vol. 1, "x87 FPU Status Register"; an Intel
// processor reports FSW.ES = 0 after FNSTENV).
Fault exec_fnstenv(Exec& x, const DecodedInsn& d) {
    if (Fault f = x87_check(x, false)) return f;
    uint8_t e[28];
    const unsigned n = env_size(d);
    build_env(x.s.fpu, n, e);
    uint64_t lin;
    if (Fault f = env_linear(x, d, n, AccessKind::Write, lin)) return f;
    if (Fault f = write_linear(x, lin, e, n)) return f;
    FpuState& f = x.s.fpu;
    f.fcw |= kFswExceptions; // the six mask bits of FCW sit where the flags sit in FSW
    f.fsw = summarize_fsw(f.fsw, f.fcw);
    return kNoFault;
}

// FLDENV (waiting): loads FCW, FSW, the tag word and the pointers. A new TOP re-labels the
// registers (set_fpu_top).
Fault exec_fldenv(Exec& x, const DecodedInsn& d) {
    if (Fault f = x87_check(x, true)) return f;
    uint8_t e[28];
    const unsigned n = env_size(d);
    uint64_t lin;
    if (Fault f = env_linear(x, d, n, AccessKind::Read, lin)) return f;
    if (Fault f = read_linear(x, lin, e, n)) return f;
    FpuState& f = x.s.fpu;
    if (n == 14) {
        uint16_t w[7];
        std::memcpy(w, e, sizeof w);
        f.fcw = canonical_fcw(w[0]);
        set_fpu_top(f, (w[1] >> 11) & 7);
        f.fsw = summarize_fsw(w[1], f.fcw);
        f.ftw = abridged_tag_word(w[2]);
        f.fip = w[3] | (uint64_t(w[4]) << 32);
        f.fdp = w[5] | (uint64_t(w[6]) << 32);
        return kNoFault;
    }
    uint32_t w[7];
    std::memcpy(w, e, sizeof w);
    f.fcw = canonical_fcw(w[0] & 0xFFFF);
    set_fpu_top(f, (w[1] >> 11) & 7);
    f.fsw = summarize_fsw(static_cast<uint16_t>(w[1]), f.fcw);
    f.ftw = abridged_tag_word(static_cast<uint16_t>(w[2]));
    f.fip = w[3] | (uint64_t(w[4] & 0xFFFF) << 32);
    f.fop = (w[4] >> 16) & 0x7FF;
    f.fdp = w[5] | (uint64_t(w[6] & 0xFFFF) << 32);
    return kNoFault;
}

// Every other ESC (D8..DF) encoding, on hvlab's CPU model, which has no x87 FPU
// (CPUID.01H:EDX.FPU = 0, docs/cpu-model.md; issue #3 asks for the x87 control state only): the
// CR0.EM/TS check that every x87 instruction makes comes first, so with EM=1 (the setting for a
// processor without an FPU) or TS=1 it is #NM and an OS can emulate the FPU or switch its state
// lazily (SDM Vol. 3A, "Interrupt 7--Device Not Available Exception (#NM)": "the processor
// executed an x87 FPU floating-point instruction while the EM flag in control register CR0 was
// set"; "Action Taken By x87 FPU Instructions for Different Combinations of EM, MP, and TS");
// with both clear the encoding is #UD, as any instruction the model does not have.
Fault exec_esc_without_fpu(Exec& x, const DecodedInsn&) {
    if (Fault f = x87_check(x, false)) return f;
    return fault(UD);
}

const OpcodeRow kRows[] = {
    // map       op    pfx       ext             mnemonic   operands flags handler
    {Map::One, 0x9B, Pfx::Any, kAnyExt, "wait", "", 0, exec_fwait},
    {Map::One, 0xD9, Pfx::Any, slash_mem(4), "fldenv", "M", 0, exec_fldenv},
    {Map::One, 0xD9, Pfx::Any, slash_mem(5), "fldcw", "Mw", 0, exec_fldcw},
    {Map::One, 0xD9, Pfx::Any, slash_mem(6), "fnstenv", "M", 0, exec_fnstenv},
    {Map::One, 0xD9, Pfx::Any, slash_mem(7), "fnstcw", "Mw", 0, exec_fnstcw},
    {Map::One, 0xDB, Pfx::Any, modrm_is(0xE2), "fnclex", "", 0, exec_fnclex},
    {Map::One, 0xDB, Pfx::Any, modrm_is(0xE3), "fninit", "", 0, exec_fninit},
    {Map::One, 0xDD, Pfx::Any, slash_mem(7), "fnstsw", "Mw", 0, exec_fnstsw_mem},
    {Map::One, 0xDF, Pfx::Any, modrm_is(0xE0), "fnstsw", "AX", 0, exec_fnstsw_ax},
    // Last in each bucket (rows of equal prefix rank keep their order): the rest of D8..DF,
    // unnamed so that decode_info() reports no mnemonic for them.
    {Map::One, 0xD8, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xD9, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDA, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDB, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDC, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDD, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDE, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
    {Map::One, 0xDF, Pfx::Any, kAnyExt, "", "Ev", 0, exec_esc_without_fpu},
};

} // namespace

std::span<const OpcodeRow> x87_control_rows() {
    return kRows;
}

} // namespace hvlab::cpu

// SSE/SSE2 floating point: ADD/SUB/MUL/DIV/MIN/MAX/SQRT in the PS/PD/SS/SD forms,
// CMPPS/CMPPD/CMPSS/CMPSD, UCOMISS/UCOMISD/COMISS/COMISD, and the conversions CVTSI2SS/SD,
// CVT(T)SS2SI/CVT(T)SD2SI, CVTSS2SD/CVTSD2SS, CVTDQ2PS, CVT(T)PS2DQ, CVTDQ2PD, CVT(T)PD2DQ,
// CVTPS2PD, CVTPD2PS, and the approximations RCPPS/RCPSS/RSQRTPS/RSQRTSS.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 1, "SIMD Floating-Point Exceptions" and "Rules for
// Handling NaNs" ("Operand and Result Handling of NaNs" table); Vol. 2, each instruction page.
//
// How: x86 rules that differ between hosts (NaN selection and quieting, the default NaN, DAZ,
// FTZ, the denormal-operand flag, invalid operations) are decided here in software; the correctly
// rounded IEEE 754 result and the overflow/underflow/inexact flags come from host arithmetic
// under the guest's MXCSR.RC (<cfenv>). Limit (documented in cpu/NOTES-cpu2.md): a host that
// detects tininess before rounding (e.g. AArch64) can differ in UE for results at the edge of
// the normal range.
#include "cpu/sse_helpers.hpp"

#include <bit>
#include <cfenv>
#include <cmath>
#include <limits>

namespace hvlab::cpu {

namespace {

// MXCSR fields (SDM Vol. 1, "MXCSR Control/Status Register").
constexpr uint32_t kIE = 0x01, kDE = 0x02, kZE = 0x04, kOE = 0x08, kUE = 0x10, kPE = 0x20;
constexpr uint32_t kDAZ = 0x40, kFTZ = 0x8000, kMaskShift = 7;

template <class F> struct Bits;
template <> struct Bits<float> {
    using U = uint32_t;
    static constexpr U kSign = 0x80000000u, kExp = 0x7F800000u, kQuiet = 0x00400000u;
    static constexpr U kDefaultNaN = 0xFFC00000u; // "QNaN floating-point indefinite"
};
template <> struct Bits<double> {
    using U = uint64_t;
    static constexpr U kSign = 0x8000000000000000ull, kExp = 0x7FF0000000000000ull,
                       kQuiet = 0x0008000000000000ull;
    static constexpr U kDefaultNaN = 0xFFF8000000000000ull;
};

template <class F> using U = typename Bits<F>::U;
template <class F> U<F> to_bits(F f) {
    return std::bit_cast<U<F>>(f);
}
template <class F> F from_bits(U<F> u) {
    return std::bit_cast<F>(u);
}
template <class F> bool is_nan(U<F> u) {
    return (u & ~Bits<F>::kSign) > Bits<F>::kExp;
}
template <class F> bool is_snan(U<F> u) {
    return is_nan<F>(u) && !(u & Bits<F>::kQuiet);
}
template <class F> bool is_denormal(U<F> u) {
    return (u & Bits<F>::kExp) == 0 && (u & ~Bits<F>::kSign & ~Bits<F>::kExp) != 0;
}

// Host rounding mode for MXCSR.RC (bits 14:13: nearest, down, up, toward zero).
int host_rounding(uint32_t mxcsr) {
    static constexpr int kModes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    return kModes[(mxcsr >> 13) & 3];
}

enum class Op : uint8_t { Add, Sub, Mul, Div, Min, Max, Sqrt };

// Runs the host operation under the guest rounding mode and collects OE/UE/PE. The operands
// pass through volatile so that the compiler cannot fold or move the operation across the
// rounding-mode change.
template <class F> F host_op(Op op, F a, F b, uint32_t mxcsr, uint32_t& flags) {
    const int saved = std::fegetround();
    std::fesetround(host_rounding(mxcsr));
    std::feclearexcept(FE_ALL_EXCEPT);
    volatile F va = a, vb = b;
    volatile F r;
    switch (op) {
    case Op::Add: r = va + vb; break;
    case Op::Sub: r = va - vb; break;
    case Op::Mul: r = va * vb; break;
    case Op::Div: r = va / vb; break;
    default: r = std::sqrt(static_cast<F>(vb)); break;
    }
    const int raised = std::fetestexcept(FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT | FE_DIVBYZERO);
    std::fesetround(saved);
    if (raised & FE_OVERFLOW) flags |= kOE;
    if (raised & FE_UNDERFLOW) flags |= kUE;
    if (raised & FE_INEXACT) flags |= kPE;
    if (raised & FE_DIVBYZERO) flags |= kZE;
    return r;
}

// Whether the finite value v has a significand of at most digits<F> bits, whatever its exponent.
template <class F> bool fits_unbounded(long double v) {
    int e;
    const long double m = std::ldexp(std::frexp(v, &e), std::numeric_limits<F>::digits);
    return m == std::trunc(m);
}

// Whether the result of `op`, rounded to the precision of F with an unbounded exponent, is
// inexact. That is the precision exception of a result whose overflow or underflow exception is
// unmasked: the processor then delivers no masked result and reports PE only for this rounding
// (SDM Vol. 1, "Numeric Overflow Exception (#O)", "Numeric Underflow Exception (#U)": with the
// exception unmasked the destination is left unchanged and the handler sees the result with an
// unbounded exponent; checked against hardware). The operation is repeated in long double, whose
// wider exponent range cannot overflow or underflow for float/double operands: if that rounding
// is inexact so is the narrower one, else the long double value is the exact result.
static_assert(std::numeric_limits<long double>::digits > std::numeric_limits<double>::digits &&
                  std::numeric_limits<long double>::max_exponent > 2200,
              "the unbounded-exponent rounding needs a wider long double");
template <class F> bool inexact_unbounded(Op op, F a, F b) {
    std::feclearexcept(FE_INEXACT);
    volatile long double va = a, vb = b;
    volatile long double r;
    switch (op) {
    case Op::Add: r = va + vb; break;
    case Op::Sub: r = va - vb; break;
    case Op::Mul: r = va * vb; break;
    case Op::Div: r = va / vb; break;
    default: r = std::sqrt(static_cast<long double>(vb)); break;
    }
    const bool inexact = std::fetestexcept(FE_INEXACT);
    return inexact || !fits_unbounded<F>(r);
}

// With OE or UE unmasked and raised, PE follows the unbounded-exponent rounding.
inline void unmasked_post_precision(uint32_t mxcsr, uint32_t& post, bool inexact_unbounded) {
    if (!(post & ~(mxcsr >> kMaskShift) & (kOE | kUE))) return;
    post = (post & ~kPE) | (inexact_unbounded ? kPE : 0);
}

// The x86 NaN result of a two-operand operation: the first operand if it is a NaN, else the
// second, quieted; an SNaN operand raises IE (SDM Vol. 1, "Operand and Result Handling of NaNs").
template <class F> U<F> nan_result(U<F> a, U<F> b, bool a_used, uint32_t& flags) {
    if ((a_used && is_snan<F>(a)) || is_snan<F>(b)) flags |= kIE;
    if (a_used && is_nan<F>(a)) return a | Bits<F>::kQuiet;
    return b | Bits<F>::kQuiet;
}

// The invalid operations that produce the default NaN: inf - inf (add/sub), 0 * inf, 0/0,
// inf/inf, the square root of a negative non-zero number.
template <class F> bool invalid_operation(Op op, F a, F b) {
    switch (op) {
    case Op::Add: return std::isinf(a) && std::isinf(b) && std::signbit(a) != std::signbit(b);
    case Op::Sub: return std::isinf(a) && std::isinf(b) && std::signbit(a) == std::signbit(b);
    case Op::Mul: return (a == 0 && std::isinf(b)) || (std::isinf(a) && b == 0);
    case Op::Div: return (a == 0 && b == 0) || (std::isinf(a) && std::isinf(b));
    case Op::Sqrt: return b < 0;
    default: return false;
    }
}

// MIN/MAX: a NaN in either operand, or two zeros, return the second operand unchanged; any NaN
// is IE (SDM Vol. 2B, MINSD/MAXSD, "Operation").
template <class F> U<F> min_max(Op op, U<F> ua, U<F> ub, uint32_t& flags) {
    if (is_nan<F>(ua) || is_nan<F>(ub)) {
        flags |= kIE;
        return ub;
    }
    const F a = from_bits<F>(ua), b = from_bits<F>(ub);
    if (op == Op::Min) return a < b ? ua : ub;
    return a > b ? ua : ub;
}

// DAZ turns denormal operands into zeros of the same sign before anything else.
template <class F> U<F> apply_daz(U<F> u, uint32_t mxcsr) {
    return ((mxcsr & kDAZ) && is_denormal<F>(u)) ? (u & Bits<F>::kSign) : u;
}

// One lane: src1 `ua` (unused by SQRT), src2 `ub`; flags accumulate into `flags`.
template <class F> U<F> fp_lane(Op op, U<F> ua, U<F> ub, uint32_t mxcsr, uint32_t& flags) {
    const bool a_used = op != Op::Sqrt;
    ua = apply_daz<F>(ua, mxcsr), ub = apply_daz<F>(ub, mxcsr);
    if (op == Op::Min || op == Op::Max) {
        if ((is_denormal<F>(ua) || is_denormal<F>(ub)) && !is_nan<F>(ua) && !is_nan<F>(ub))
            flags |= kDE;
        return min_max<F>(op, ua, ub, flags);
    }
    if ((a_used && is_nan<F>(ua)) || is_nan<F>(ub)) return nan_result<F>(ua, ub, a_used, flags);
    const F a = from_bits<F>(ua), b = from_bits<F>(ub);
    if (invalid_operation<F>(op, a, b)) {
        flags |= kIE;
        return Bits<F>::kDefaultNaN;
    }
    // Divide-by-zero has priority over the denormal operand of the dividend (checked against
    // hardware: x / 0 with a denormal x reports ZE alone).
    const bool divide_by_zero = op == Op::Div && b == 0;
    if (!divide_by_zero && ((a_used && is_denormal<F>(ua)) || is_denormal<F>(ub))) flags |= kDE;
    uint32_t post = 0;
    U<F> r = to_bits<F>(host_op<F>(op, a, b, mxcsr, post));
    // FTZ with underflow masked: a tiny result becomes a signed zero, flagging UE and PE
    // (SDM Vol. 1, "Flush-To-Zero").
    if ((mxcsr & kFTZ) && (mxcsr & (kUE << kMaskShift)) && is_denormal<F>(r)) {
        r &= Bits<F>::kSign;
        post |= kUE | kPE;
    }
    // With UE unmasked, a tiny result is reported even when exact.
    if (!(mxcsr & (kUE << kMaskShift)) && is_denormal<F>(r)) post |= kUE;
    if (post & (kOE | kUE)) unmasked_post_precision(mxcsr, post, inexact_unbounded<F>(op, a, b));
    flags |= post;
    return r;
}

// Unmasked exceptions: MXCSR records the flags, the destination is not written and the fault
// is #XM, or #UD when CR4.OSXMMEXCPT=0 (SDM Vol. 3A, "SIMD Floating-Point Exception (#XM)").
// IE, DE and ZE are pre-computation exceptions: when one of them (in any lane) is unmasked, the
// processor takes #XM before the computation, so the post-computation flags OE, UE and PE of
// the other lanes are not recorded (SDM Vol. 1, "SSE, SSE2, and SSE3 Exceptions", the procedure
// for unmasked exceptions: the processor "checks for post-computation exceptions" only "upon
// returning from the exception handler (or if no pre-computation exceptions were detected)").
Fault commit_flags(Exec& x, uint32_t flags) {
    constexpr uint32_t kPreComputation = kIE | kDE | kZE;
    const uint32_t unmasked = flags & ~(x.s.fpu.mxcsr >> kMaskShift) & 0x3F;
    if (unmasked & kPreComputation) flags &= kPreComputation;
    x.s.fpu.mxcsr |= flags;
    if (!unmasked) return kNoFault;
    return fault((x.s.cr4 & cr4::OSXMMEXCPT) ? XM : UD);
}

// Packed (Lanes = 16 / sizeof(F)) or scalar (Lanes = 1; the other lanes of xmm1 are kept).
template <class F, unsigned Lanes, Op O> Fault exec_fp_arith(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    Xmm src;
    if constexpr (Lanes == 1) {
        uint64_t v;
        if (Fault f = read_xmm_rm_low(x, d, sizeof(F), v)) return f;
        src = Xmm{v, 0};
    } else if (Fault f = read_xmm_rm(x, d, Align::A16, src)) {
        return f;
    }
    Xmm r = xmm(x, d.reg);
    uint32_t flags = 0;
    for (unsigned i = 0; i < Lanes; ++i)
        set_lane<U<F>>(r, i,
                       fp_lane<F>(O, lane<U<F>>(r, i), lane<U<F>>(src, i), x.s.fpu.mxcsr, flags));
    if (Fault f = commit_flags(x, flags)) return f;
    xmm(x, d.reg) = r;
    return kNoFault;
}

// RCPPS/RCPSS and RSQRTPS/RSQRTSS (SDM Vol. 2B, RCPPS, RSQRTPS): approximations with relative
// error <= 1.5 * 2^-12 and no SIMD floating-point exceptions. hvlab returns the correctly
// rounded 1/x and 1/sqrt(x) (as QEMU does), which lies within that bound; the special cases
// follow the SDM: +-0 and denormals (treated as 0) give +-inf, +-inf gives +-0, a negative
// operand of RSQRT gives the QNaN indefinite, NaNs are returned quieted, and tiny RCP results
// are flushed to 0 with the operand's sign. MXCSR (DAZ, RC, flags) plays no part.
uint32_t rcp_lane(uint32_t u) {
    const uint32_t sign = u & Bits<float>::kSign;
    if (is_nan<float>(u)) return u | Bits<float>::kQuiet;
    if ((u & ~Bits<float>::kSign) == 0 || is_denormal<float>(u)) return sign | 0x7F80'0000;
    const volatile float a = from_bits<float>(u);
    if (std::isinf(a)) return sign;
    const volatile float r = 1.0f / a;
    const uint32_t ur = to_bits<float>(r);
    return is_denormal<float>(ur) ? sign : ur;
}

uint32_t rsqrt_lane(uint32_t u) {
    const uint32_t sign = u & Bits<float>::kSign;
    if (is_nan<float>(u)) return u | Bits<float>::kQuiet;
    if ((u & ~Bits<float>::kSign) == 0 || is_denormal<float>(u)) return sign | 0x7F80'0000;
    if (sign) return Bits<float>::kDefaultNaN;
    const volatile float a = from_bits<float>(u);
    if (std::isinf(a)) return 0;
    const volatile float root = std::sqrt(static_cast<float>(a));
    const volatile float r = 1.0f / root;
    return to_bits<float>(r);
}

template <unsigned Lanes, uint32_t (*Approx)(uint32_t)>
Fault exec_fp_approx(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    Xmm src;
    if constexpr (Lanes == 1) {
        uint64_t v;
        if (Fault f = read_xmm_rm_low(x, d, 4, v)) return f;
        src = Xmm{v, 0};
    } else if (Fault f = read_xmm_rm(x, d, Align::A16, src)) {
        return f;
    }
    Xmm r = Lanes == 1 ? xmm(x, d.reg) : src;
    for (unsigned i = 0; i < Lanes; ++i)
        set_lane<uint32_t>(r, i, Approx(lane<uint32_t>(src, i)));
    xmm(x, d.reg) = r;
    return kNoFault;
}

// CMPPS/CMPPD/CMPSS/CMPSD predicate imm8[2:0]: EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD. LT/LE and
// their negations signal IE for any NaN, the others only for an SNaN (SDM Vol. 2A, CMPPS,
// "Comparison Predicate for CMPPS" table; legacy encodings use only imm8[2:0]).
template <class F> U<F> cmp_lane(unsigned pred, U<F> ua, U<F> ub, uint32_t mxcsr, uint32_t& flags) {
    ua = apply_daz<F>(ua, mxcsr), ub = apply_daz<F>(ub, mxcsr);
    const bool unordered = is_nan<F>(ua) || is_nan<F>(ub);
    const bool signals_qnan = pred == 1 || pred == 2 || pred == 5 || pred == 6;
    if (unordered && (signals_qnan || is_snan<F>(ua) || is_snan<F>(ub))) flags |= kIE;
    if (!unordered && (is_denormal<F>(ua) || is_denormal<F>(ub))) flags |= kDE;
    const F a = from_bits<F>(ua), b = from_bits<F>(ub);
    bool r = false;
    switch (pred) {
    case 0: r = !unordered && a == b; break;
    case 1: r = !unordered && a < b; break;
    case 2: r = !unordered && a <= b; break;
    case 3: r = unordered; break;
    case 4: r = unordered || a != b; break;
    case 5: r = unordered || !(a < b); break;
    case 6: r = unordered || !(a <= b); break;
    default: r = !unordered; break;
    }
    return r ? static_cast<U<F>>(~U<F>{0}) : U<F>{0};
}

template <class F, unsigned Lanes> Fault exec_fp_cmp(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    Xmm src;
    if constexpr (Lanes == 1) {
        uint64_t v;
        if (Fault f = read_xmm_rm_low(x, d, sizeof(F), v)) return f;
        src = Xmm{v, 0};
    } else if (Fault f = read_xmm_rm(x, d, Align::A16, src)) {
        return f;
    }
    Xmm r = xmm(x, d.reg);
    uint32_t flags = 0;
    const unsigned pred = d.imm & 7;
    for (unsigned i = 0; i < Lanes; ++i)
        set_lane<U<F>>(
            r, i, cmp_lane<F>(pred, lane<U<F>>(r, i), lane<U<F>>(src, i), x.s.fpu.mxcsr, flags));
    if (Fault f = commit_flags(x, flags)) return f;
    xmm(x, d.reg) = r;
    return kNoFault;
}

// UCOMIS*/COMIS*: ZF,PF,CF = 111 unordered, 000 greater, 001 less, 100 equal; OF=SF=AF=0.
// UCOMI raises IE only for an SNaN, COMI for any NaN.
template <class F, bool Signaling> Fault exec_comis(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_xmm_rm_low(x, d, sizeof(F), v)) return f;
    const uint32_t mxcsr = x.s.fpu.mxcsr;
    const U<F> ua = apply_daz<F>(lane<U<F>>(xmm(x, d.reg), 0), mxcsr);
    const U<F> ub = apply_daz<F>(static_cast<U<F>>(v), mxcsr);
    uint32_t flags = 0;
    uint64_t zpc;
    if (is_nan<F>(ua) || is_nan<F>(ub)) {
        if (Signaling || is_snan<F>(ua) || is_snan<F>(ub)) flags |= kIE;
        zpc = rflags::ZF | rflags::PF | rflags::CF;
    } else {
        if (is_denormal<F>(ua) || is_denormal<F>(ub)) flags |= kDE;
        const F a = from_bits<F>(ua), b = from_bits<F>(ub);
        zpc = a > b ? 0 : a < b ? rflags::CF : rflags::ZF;
    }
    if (Fault f = commit_flags(x, flags)) return f;
    set_arith_flags(x, zpc);
    return kNoFault;
}

// --- conversions: one lane each, then the scalar and packed forms --------------------------

// A signed integer, rounded by MXCSR.RC (PE if inexact).
template <class F> U<F> int_to_fp(int64_t n, uint32_t mxcsr, uint32_t& flags) {
    const int saved = std::fegetround();
    std::fesetround(host_rounding(mxcsr));
    std::feclearexcept(FE_INEXACT);
    volatile int64_t vn = n;
    volatile F r = static_cast<F>(vn);
    if (std::fetestexcept(FE_INEXACT)) flags |= kPE;
    std::fesetround(saved);
    return to_bits<F>(r);
}

// Rounded by MXCSR.RC, or toward zero, to a signed integer of `bits`; NaN or out of range gives
// the integer indefinite (only the sign bit) with IE. No denormal-operand exception here (the
// instruction pages list Invalid and Precision only).
template <class F>
uint64_t fp_to_int(U<F> u, unsigned bits, bool truncate, uint32_t mxcsr, uint32_t& flags) {
    u = apply_daz<F>(u, mxcsr);
    const uint64_t indefinite = uint64_t{1} << (bits - 1);
    if (is_nan<F>(u)) {
        flags |= kIE;
        return indefinite;
    }
    const F f = from_bits<F>(u);
    const int saved = std::fegetround();
    std::fesetround(truncate ? FE_TOWARDZERO : host_rounding(mxcsr));
    volatile F vf = f;
    const F rounded = std::nearbyint(static_cast<F>(vf));
    std::fesetround(saved);
    const long double lim = std::ldexp(1.0L, static_cast<int>(bits) - 1);
    if (static_cast<long double>(rounded) >= lim || static_cast<long double>(rounded) < -lim) {
        flags |= kIE;
        return indefinite;
    }
    if (rounded != f) flags |= kPE;
    return static_cast<uint64_t>(static_cast<int64_t>(rounded)) &
           (bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1);
}

// Single to double is exact (an SNaN is quieted with IE, the payload moves up).
uint64_t float_to_double(uint32_t u, uint32_t mxcsr, uint32_t& flags) {
    u = apply_daz<float>(u, mxcsr);
    if (is_nan<float>(u)) {
        if (is_snan<float>(u)) flags |= kIE;
        return (uint64_t(u & 0x80000000u) << 32) | 0x7FF8000000000000ull |
               (uint64_t(u & 0x003FFFFF) << 29);
    }
    if (is_denormal<float>(u)) flags |= kDE;
    return to_bits<double>(static_cast<double>(from_bits<float>(u)));
}

// Double to single rounds by MXCSR.RC and keeps the top 22 payload bits of a NaN.
uint32_t double_to_float(uint64_t u, uint32_t mxcsr, uint32_t& flags) {
    u = apply_daz<double>(u, mxcsr);
    if (is_nan<double>(u)) {
        if (is_snan<double>(u)) flags |= kIE;
        return uint32_t(u >> 32 & 0x80000000u) | 0x7FC00000u | uint32_t((u >> 29) & 0x003FFFFF);
    }
    if (is_denormal<double>(u)) flags |= kDE;
    const int saved = std::fegetround();
    std::fesetround(host_rounding(mxcsr));
    std::feclearexcept(FE_ALL_EXCEPT);
    volatile double vd = from_bits<double>(u);
    volatile float vf = static_cast<float>(vd);
    const int raised = std::fetestexcept(FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT);
    std::fesetround(saved);
    uint32_t r = to_bits<float>(vf);
    uint32_t post = 0;
    if (raised & FE_OVERFLOW) post |= kOE;
    if (raised & FE_UNDERFLOW) post |= kUE;
    if (raised & FE_INEXACT) post |= kPE;
    if ((mxcsr & kFTZ) && (mxcsr & (kUE << kMaskShift)) && is_denormal<float>(r)) {
        r &= 0x80000000u;
        post |= kUE | kPE;
    }
    // As for the arithmetic (fp_lane): with UE unmasked a tiny result is reported even when
    // exact (SDM Vol. 1, "Numeric Underflow Exception (#U)"; CVTSD2SS and CVTPD2PS are listed
    // there), and with OE/UE unmasked PE follows the unbounded-exponent rounding.
    if (!(mxcsr & (kUE << kMaskShift)) && is_denormal<float>(r)) post |= kUE;
    if (post & (kOE | kUE))
        unmasked_post_precision(mxcsr, post, !fits_unbounded<float>(from_bits<double>(u)));
    flags |= post;
    return r;
}

// CVTSI2SS/CVTSI2SD xmm, r/m32/64: the low lane; the other lanes are kept.
template <class F> Fault exec_cvtsi2fp(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_rm(x, d, d.opsize, v)) return f;
    uint32_t flags = 0;
    const U<F> r = int_to_fp<F>(static_cast<int64_t>(sext(v, d.opsize)), x.s.fpu.mxcsr, flags);
    if (Fault f = commit_flags(x, flags)) return f;
    set_lane<U<F>>(xmm(x, d.reg), 0, r);
    return kNoFault;
}

// CVTPI2PS xmm, m64 and CVTPI2PD xmm, m64: two packed doublewords from memory. Only the
// memory forms exist here: with an MMX-register source they are MMX instructions, and hvlab
// advertises no MMX, so those rows are absent (#UD). The memory forms touch no MMX state (SDM
// Vol. 2A, CVTPI2PS: the x87-to-MMX transition happens only for an MMX register operand).
// CVTPI2PS rounds by MXCSR.RC and writes only the low quadword; CVTPI2PD is exact and writes
// the whole register.
template <class F> Fault exec_cvtpi2fp(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_xmm_rm_low(x, d, 8, v)) return f;
    uint32_t flags = 0;
    const U<F> lo = int_to_fp<F>(static_cast<int32_t>(v), x.s.fpu.mxcsr, flags);
    const U<F> hi = int_to_fp<F>(static_cast<int32_t>(v >> 32), x.s.fpu.mxcsr, flags);
    if (Fault f = commit_flags(x, flags)) return f;
    Xmm& r = xmm(x, d.reg);
    set_lane<U<F>>(r, 0, lo);
    set_lane<U<F>>(r, 1, hi);
    return kNoFault;
}

// CVT(T)SS2SI/CVT(T)SD2SI r32/64, xmm/m32/64.
template <class F, bool Truncate> Fault exec_cvtfp2si(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_xmm_rm_low(x, d, sizeof(F), v)) return f;
    uint32_t flags = 0;
    const uint64_t r =
        fp_to_int<F>(static_cast<U<F>>(v), 8 * d.opsize, Truncate, x.s.fpu.mxcsr, flags);
    if (Fault f = commit_flags(x, flags)) return f;
    set_reg(x, d, d.reg, d.opsize, r);
    return kNoFault;
}

Fault exec_cvtss2sd(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_xmm_rm_low(x, d, 4, v)) return f;
    uint32_t flags = 0;
    const uint64_t r = float_to_double(static_cast<uint32_t>(v), x.s.fpu.mxcsr, flags);
    if (Fault f = commit_flags(x, flags)) return f;
    xmm(x, d.reg).lo = r;
    return kNoFault;
}

Fault exec_cvtsd2ss(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_xmm_rm_low(x, d, 8, v)) return f;
    uint32_t flags = 0;
    const uint32_t r = double_to_float(v, x.s.fpu.mxcsr, flags);
    if (Fault f = commit_flags(x, flags)) return f;
    set_lane<uint32_t>(xmm(x, d.reg), 0, r);
    return kNoFault;
}

// The packed source: m64 for the widening forms (two lanes in), else an aligned m128.
Fault read_packed_source(Exec& x, const DecodedInsn& d, bool m64, Xmm& v) {
    if (!m64) return read_xmm_rm(x, d, Align::A16, v);
    uint64_t lo;
    if (Fault f = read_xmm_rm_low(x, d, 8, lo)) return f;
    v = Xmm{lo, 0};
    return kNoFault;
}

enum class Pcvt : uint8_t { Dq2Ps, Ps2Dq, Tps2Dq, Dq2Pd, Pd2Dq, Tpd2Dq, Ps2Pd, Pd2Ps };

// Packed conversions. The narrowing forms (PD -> DQ/PS) fill the low 64 bits and clear the high
// 64 (SDM Vol. 2A, CVTPD2DQ, CVTPD2PS, ...).
template <Pcvt K> Fault exec_cvt_packed(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    constexpr bool kWidening = K == Pcvt::Dq2Pd || K == Pcvt::Ps2Pd;
    Xmm s;
    if (Fault f = read_packed_source(x, d, kWidening, s)) return f;
    const uint32_t m = x.s.fpu.mxcsr;
    uint32_t flags = 0;
    Xmm r{0, 0};
    for (unsigned i = 0; i < 4; ++i) {
        if constexpr (K == Pcvt::Dq2Ps)
            set_lane<uint32_t>(r, i, int_to_fp<float>(lane<int32_t>(s, i), m, flags));
        if constexpr (K == Pcvt::Ps2Dq || K == Pcvt::Tps2Dq)
            set_lane<uint32_t>(
                r, i,
                uint32_t(fp_to_int<float>(lane<uint32_t>(s, i), 32, K == Pcvt::Tps2Dq, m, flags)));
        if (i >= 2) continue;
        if constexpr (K == Pcvt::Dq2Pd)
            set_lane<uint64_t>(r, i, int_to_fp<double>(lane<int32_t>(s, i), m, flags));
        if constexpr (K == Pcvt::Pd2Dq || K == Pcvt::Tpd2Dq)
            set_lane<uint32_t>(
                r, i,
                uint32_t(fp_to_int<double>(lane<uint64_t>(s, i), 32, K == Pcvt::Tpd2Dq, m, flags)));
        if constexpr (K == Pcvt::Ps2Pd)
            set_lane<uint64_t>(r, i, float_to_double(lane<uint32_t>(s, i), m, flags));
        if constexpr (K == Pcvt::Pd2Ps)
            set_lane<uint32_t>(r, i, double_to_float(lane<uint64_t>(s, i), m, flags));
    }
    if (Fault f = commit_flags(x, flags)) return f;
    xmm(x, d.reg) = r;
    return kNoFault;
}

constexpr uint32_t S32 = rowf::Size32;

#define HVLAB_FP_ROWS(op, name, O)                                                                 \
    {Map::Two, op, Pfx::NP, kAnyExt, name "ps", "Vps,Wps", 0, exec_fp_arith<float, 4, O>},         \
        {Map::Two, op, Pfx::P66, kAnyExt, name "pd", "Vpd,Wpd", 0, exec_fp_arith<double, 2, O>},   \
        {Map::Two, op, Pfx::F3, kAnyExt, name "ss", "Vss,Wss", 0, exec_fp_arith<float, 1, O>}, {   \
        Map::Two, op, Pfx::F2, kAnyExt, name "sd", "Vsd,Wsd", 0, exec_fp_arith<double, 1, O>       \
    }

const OpcodeRow kRows[] = {
    // map       op    pfx      ext      mnemonic    operands   flags handler
    HVLAB_FP_ROWS(0x51, "sqrt", Op::Sqrt),
    {Map::Two, 0x52, Pfx::NP, kAnyExt, "rsqrtps", "Vps,Wps", 0, exec_fp_approx<4, rsqrt_lane>},
    {Map::Two, 0x52, Pfx::F3, kAnyExt, "rsqrtss", "Vss,Wss", 0, exec_fp_approx<1, rsqrt_lane>},
    {Map::Two, 0x53, Pfx::NP, kAnyExt, "rcpps", "Vps,Wps", 0, exec_fp_approx<4, rcp_lane>},
    {Map::Two, 0x53, Pfx::F3, kAnyExt, "rcpss", "Vss,Wss", 0, exec_fp_approx<1, rcp_lane>},
    HVLAB_FP_ROWS(0x58, "add", Op::Add),
    HVLAB_FP_ROWS(0x59, "mul", Op::Mul),
    HVLAB_FP_ROWS(0x5C, "sub", Op::Sub),
    HVLAB_FP_ROWS(0x5D, "min", Op::Min),
    HVLAB_FP_ROWS(0x5E, "div", Op::Div),
    HVLAB_FP_ROWS(0x5F, "max", Op::Max),
    {Map::Two, 0xC2, Pfx::NP, kAnyExt, "cmpps", "Vps,Wps,Ib", 0, exec_fp_cmp<float, 4>},
    {Map::Two, 0xC2, Pfx::P66, kAnyExt, "cmppd", "Vpd,Wpd,Ib", 0, exec_fp_cmp<double, 2>},
    {Map::Two, 0xC2, Pfx::F3, kAnyExt, "cmpss", "Vss,Wss,Ib", 0, exec_fp_cmp<float, 1>},
    {Map::Two, 0xC2, Pfx::F2, kAnyExt, "cmpsd", "Vsd,Wsd,Ib", 0, exec_fp_cmp<double, 1>},
    {Map::Two, 0x2E, Pfx::NP, kAnyExt, "ucomiss", "Vss,Wss", 0, exec_comis<float, false>},
    {Map::Two, 0x2E, Pfx::P66, kAnyExt, "ucomisd", "Vsd,Wsd", 0, exec_comis<double, false>},
    {Map::Two, 0x2F, Pfx::NP, kAnyExt, "comiss", "Vss,Wss", 0, exec_comis<float, true>},
    {Map::Two, 0x2F, Pfx::P66, kAnyExt, "comisd", "Vsd,Wsd", 0, exec_comis<double, true>},
    {Map::Two, 0x2A, Pfx::NP, kMemOnly, "cvtpi2ps", "Vps,Mq", 0, exec_cvtpi2fp<float>},
    {Map::Two, 0x2A, Pfx::P66, kMemOnly, "cvtpi2pd", "Vpd,Mq", 0, exec_cvtpi2fp<double>},
    {Map::Two, 0x2A, Pfx::F3, kAnyExt, "cvtsi2ss", "Vss,Ey", S32, exec_cvtsi2fp<float>},
    {Map::Two, 0x2A, Pfx::F2, kAnyExt, "cvtsi2sd", "Vsd,Ey", S32, exec_cvtsi2fp<double>},
    {Map::Two, 0x2C, Pfx::F3, kAnyExt, "cvttss2si", "Gy,Wss", S32, exec_cvtfp2si<float, true>},
    {Map::Two, 0x2C, Pfx::F2, kAnyExt, "cvttsd2si", "Gy,Wsd", S32, exec_cvtfp2si<double, true>},
    {Map::Two, 0x2D, Pfx::F3, kAnyExt, "cvtss2si", "Gy,Wss", S32, exec_cvtfp2si<float, false>},
    {Map::Two, 0x2D, Pfx::F2, kAnyExt, "cvtsd2si", "Gy,Wsd", S32, exec_cvtfp2si<double, false>},
    {Map::Two, 0x5A, Pfx::F3, kAnyExt, "cvtss2sd", "Vsd,Wss", 0, exec_cvtss2sd},
    {Map::Two, 0x5A, Pfx::F2, kAnyExt, "cvtsd2ss", "Vss,Wsd", 0, exec_cvtsd2ss},
    {Map::Two, 0x5A, Pfx::NP, kAnyExt, "cvtps2pd", "Vpd,Wps", 0, exec_cvt_packed<Pcvt::Ps2Pd>},
    {Map::Two, 0x5A, Pfx::P66, kAnyExt, "cvtpd2ps", "Vps,Wpd", 0, exec_cvt_packed<Pcvt::Pd2Ps>},
    {Map::Two, 0x5B, Pfx::NP, kAnyExt, "cvtdq2ps", "Vps,Wdq", 0, exec_cvt_packed<Pcvt::Dq2Ps>},
    {Map::Two, 0x5B, Pfx::P66, kAnyExt, "cvtps2dq", "Vdq,Wps", 0, exec_cvt_packed<Pcvt::Ps2Dq>},
    {Map::Two, 0x5B, Pfx::F3, kAnyExt, "cvttps2dq", "Vdq,Wps", 0, exec_cvt_packed<Pcvt::Tps2Dq>},
    {Map::Two, 0xE6, Pfx::F3, kAnyExt, "cvtdq2pd", "Vpd,Wq", 0, exec_cvt_packed<Pcvt::Dq2Pd>},
    {Map::Two, 0xE6, Pfx::P66, kAnyExt, "cvttpd2dq", "Vdq,Wpd", 0, exec_cvt_packed<Pcvt::Tpd2Dq>},
    {Map::Two, 0xE6, Pfx::F2, kAnyExt, "cvtpd2dq", "Vdq,Wpd", 0, exec_cvt_packed<Pcvt::Pd2Dq>},
};

#undef HVLAB_FP_ROWS

} // namespace

std::span<const OpcodeRow> sse_float_rows() {
    return kRows;
}

} // namespace hvlab::cpu

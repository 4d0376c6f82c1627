// SSE2 packed shifts: PSLLW/D/Q, PSRLW/D/Q, PSRAW/D by xmm/m128 or by imm8 (66 0F 71/72/73
// /2 /4 /6), and the byte shifts PSRLDQ (/3) and PSLLDQ (/7).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, PSLLW/PSLLD/PSLLQ, PSRLW/PSRLD/PSRLQ,
// PSRAW/PSRAD/PSRAQ, PSLLDQ, PSRLDQ.
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

enum class Shift : uint8_t { Left, Right, Arith };

// The count is the whole unsigned 64-bit value (low quadword of the source, or imm8): a logical
// shift by more than the lane width minus one gives zero, an arithmetic one fills with the sign.
template <class T, Shift S> Xmm shift_lanes(const Xmm& a, uint64_t count) {
    constexpr unsigned kBits = 8 * sizeof(T);
    Xmm r;
    for (unsigned i = 0; i < lanes<T>(); ++i) {
        const T v = lane<T>(a, i);
        T out;
        if constexpr (S == Shift::Arith) {
            using Signed = std::make_signed_t<T>;
            const unsigned n = count > kBits - 1 ? kBits - 1 : static_cast<unsigned>(count);
            out = static_cast<T>(static_cast<Signed>(v) >> n);
        } else if (count > kBits - 1) {
            out = 0;
        } else {
            out = S == Shift::Left ? T(v << count) : T(v >> count);
        }
        set_lane<T>(r, i, out);
    }
    return r;
}

template <class T, Shift S> Xmm op_shift_xmm(const Xmm& a, const Xmm& b) {
    return shift_lanes<T, S>(a, b.lo);
}

// Immediate forms: the register in ModRM.rm is both source and destination.
template <class T, Shift S> Fault exec_shift_imm(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    Xmm& r = xmm(x, d.rm);
    r = shift_lanes<T, S>(r, d.imm & 0xFF);
    return kNoFault;
}

// PSLLDQ/PSRLDQ: shift the whole register by imm8 bytes; a count above 15 clears it.
template <bool Left> Fault exec_shift_bytes(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    Xmm& r = xmm(x, d.rm);
    const unsigned n = d.imm & 0xFF;
    Xmm out{0, 0};
    for (unsigned i = 0; i < 16; ++i) {
        const int from = Left ? int(i) - int(n) : int(i + n);
        if (from >= 0 && from < 16) set_lane<uint8_t>(out, i, lane<uint8_t>(r, unsigned(from)));
    }
    r = out;
    return kNoFault;
}

constexpr Shift L = Shift::Left, R = Shift::Right, A = Shift::Arith;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext          mnemonic  operands flags handler
    {Map::Two, 0x71, Pfx::P66, slash_reg(2), "psrlw", "Ux,Ib", 0, exec_shift_imm<uint16_t, R>},
    {Map::Two, 0x71, Pfx::P66, slash_reg(4), "psraw", "Ux,Ib", 0, exec_shift_imm<uint16_t, A>},
    {Map::Two, 0x71, Pfx::P66, slash_reg(6), "psllw", "Ux,Ib", 0, exec_shift_imm<uint16_t, L>},
    {Map::Two, 0x72, Pfx::P66, slash_reg(2), "psrld", "Ux,Ib", 0, exec_shift_imm<uint32_t, R>},
    {Map::Two, 0x72, Pfx::P66, slash_reg(4), "psrad", "Ux,Ib", 0, exec_shift_imm<uint32_t, A>},
    {Map::Two, 0x72, Pfx::P66, slash_reg(6), "pslld", "Ux,Ib", 0, exec_shift_imm<uint32_t, L>},
    {Map::Two, 0x73, Pfx::P66, slash_reg(2), "psrlq", "Ux,Ib", 0, exec_shift_imm<uint64_t, R>},
    {Map::Two, 0x73, Pfx::P66, slash_reg(3), "psrldq", "Ux,Ib", 0, exec_shift_bytes<false>},
    {Map::Two, 0x73, Pfx::P66, slash_reg(6), "psllq", "Ux,Ib", 0, exec_shift_imm<uint64_t, L>},
    {Map::Two, 0x73, Pfx::P66, slash_reg(7), "pslldq", "Ux,Ib", 0, exec_shift_bytes<true>},
    {Map::Two, 0xD1, Pfx::P66, kAnyExt, "psrlw", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint16_t, R>>},
    {Map::Two, 0xD2, Pfx::P66, kAnyExt, "psrld", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint32_t, R>>},
    {Map::Two, 0xD3, Pfx::P66, kAnyExt, "psrlq", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint64_t, R>>},
    {Map::Two, 0xE1, Pfx::P66, kAnyExt, "psraw", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint16_t, A>>},
    {Map::Two, 0xE2, Pfx::P66, kAnyExt, "psrad", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint32_t, A>>},
    {Map::Two, 0xF1, Pfx::P66, kAnyExt, "psllw", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint16_t, L>>},
    {Map::Two, 0xF2, Pfx::P66, kAnyExt, "pslld", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint32_t, L>>},
    {Map::Two, 0xF3, Pfx::P66, kAnyExt, "psllq", "Vx,Wx", 0,
     exec_xmm_op<op_shift_xmm<uint64_t, L>>},
};

} // namespace

std::span<const OpcodeRow> sse_shift_rows() {
    return kRows;
}

} // namespace hvlab::cpu

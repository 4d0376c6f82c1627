// SSE/SSE2 shuffles, interleaves and packs: PSHUFD/PSHUFHW/PSHUFLW, SHUFPS/SHUFPD,
// PUNPCKL/H BW/WD/DQ/QDQ and UNPCKL/H PS/PD, PACKSSWB/PACKSSDW/PACKUSWB, PINSRW/PEXTRW.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, the instruction page of each.
#include "cpu/sse_helpers.hpp"

#include <algorithm>
#include <limits>

namespace hvlab::cpu {

namespace {

// Lane i of the result = lane ((imm >> (2*i)) & 3) of the source; the destination is not read.
Xmm op_pshufd(const Xmm&, const Xmm& b, uint8_t imm) {
    Xmm r;
    for (unsigned i = 0; i < 4; ++i)
        set_lane<uint32_t>(r, i, lane<uint32_t>(b, (imm >> (2 * i)) & 3));
    return r;
}
// PSHUFHW shuffles words 7..4 and copies the low quadword; PSHUFLW the reverse.
template <bool High> Xmm op_pshufw(const Xmm&, const Xmm& b, uint8_t imm) {
    Xmm r = b;
    const unsigned base = High ? 4 : 0;
    for (unsigned i = 0; i < 4; ++i)
        set_lane<uint16_t>(r, base + i, lane<uint16_t>(b, base + ((imm >> (2 * i)) & 3)));
    return r;
}
// SHUFPS: the two low dwords come from the destination, the two high ones from the source.
Xmm op_shufps(const Xmm& a, const Xmm& b, uint8_t imm) {
    Xmm r;
    set_lane<uint32_t>(r, 0, lane<uint32_t>(a, imm & 3));
    set_lane<uint32_t>(r, 1, lane<uint32_t>(a, (imm >> 2) & 3));
    set_lane<uint32_t>(r, 2, lane<uint32_t>(b, (imm >> 4) & 3));
    set_lane<uint32_t>(r, 3, lane<uint32_t>(b, (imm >> 6) & 3));
    return r;
}
Xmm op_shufpd(const Xmm& a, const Xmm& b, uint8_t imm) {
    return {(imm & 1) ? a.hi : a.lo, (imm & 2) ? b.hi : b.lo};
}

// Interleave the low (High=false) or high halves: r = a0 b0 a1 b1 ... in lanes of type T.
template <class T, bool High> Xmm op_unpack(const Xmm& a, const Xmm& b) {
    constexpr unsigned kHalf = lanes<T>() / 2;
    const unsigned from = High ? kHalf : 0;
    Xmm r;
    for (unsigned i = 0; i < kHalf; ++i) {
        set_lane<T>(r, 2 * i, lane<T>(a, from + i));
        set_lane<T>(r, 2 * i + 1, lane<T>(b, from + i));
    }
    return r;
}

// Narrow the signed lanes of a (low half of the result) then b (high half) with saturation to
// the range of Out.
template <class In, class Out> Xmm op_pack(const Xmm& a, const Xmm& b) {
    constexpr unsigned kIn = lanes<In>();
    Xmm r;
    for (unsigned i = 0; i < 2 * kIn; ++i) {
        const int64_t v = i < kIn ? lane<In>(a, i) : lane<In>(b, i - kIn);
        const int64_t c = std::clamp<int64_t>(v, std::numeric_limits<Out>::min(),
                                              std::numeric_limits<Out>::max());
        set_lane<Out>(r, i, static_cast<Out>(c));
    }
    return r;
}

// PINSRW xmm, r32/m16, imm8: word (imm8 & 7) <- the low word of the source.
Fault exec_pinsrw(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    uint64_t v;
    if (Fault f = read_rm(x, d, 2, v)) return f;
    set_lane<uint16_t>(xmm(x, d.reg), d.imm & 7, static_cast<uint16_t>(v));
    return kNoFault;
}

// PEXTRW r32/64, xmm, imm8: word (imm8 & 7), zero-extended.
Fault exec_pextrw(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    set_reg(x, d, d.reg, d.opsize, lane<uint16_t>(xmm(x, d.rm), d.imm & 7));
    return kNoFault;
}

constexpr uint32_t S32 = rowf::Size32;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic      operands        flags handler
    {Map::Two, 0x14, Pfx::NP, kAnyExt, "unpcklps", "Vps,Wps", 0,
     exec_xmm_op<op_unpack<uint32_t, false>>},
    {Map::Two, 0x14, Pfx::P66, kAnyExt, "unpcklpd", "Vpd,Wpd", 0,
     exec_xmm_op<op_unpack<uint64_t, false>>},
    {Map::Two, 0x15, Pfx::NP, kAnyExt, "unpckhps", "Vps,Wps", 0,
     exec_xmm_op<op_unpack<uint32_t, true>>},
    {Map::Two, 0x15, Pfx::P66, kAnyExt, "unpckhpd", "Vpd,Wpd", 0,
     exec_xmm_op<op_unpack<uint64_t, true>>},
    {Map::Two, 0x60, Pfx::P66, kAnyExt, "punpcklbw", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint8_t, false>>},
    {Map::Two, 0x61, Pfx::P66, kAnyExt, "punpcklwd", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint16_t, false>>},
    {Map::Two, 0x62, Pfx::P66, kAnyExt, "punpckldq", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint32_t, false>>},
    {Map::Two, 0x63, Pfx::P66, kAnyExt, "packsswb", "Vx,Wx", 0,
     exec_xmm_op<op_pack<int16_t, int8_t>>},
    {Map::Two, 0x67, Pfx::P66, kAnyExt, "packuswb", "Vx,Wx", 0,
     exec_xmm_op<op_pack<int16_t, uint8_t>>},
    {Map::Two, 0x68, Pfx::P66, kAnyExt, "punpckhbw", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint8_t, true>>},
    {Map::Two, 0x69, Pfx::P66, kAnyExt, "punpckhwd", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint16_t, true>>},
    {Map::Two, 0x6A, Pfx::P66, kAnyExt, "punpckhdq", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint32_t, true>>},
    {Map::Two, 0x6B, Pfx::P66, kAnyExt, "packssdw", "Vx,Wx", 0,
     exec_xmm_op<op_pack<int32_t, int16_t>>},
    {Map::Two, 0x6C, Pfx::P66, kAnyExt, "punpcklqdq", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint64_t, false>>},
    {Map::Two, 0x6D, Pfx::P66, kAnyExt, "punpckhqdq", "Vx,Wx", 0,
     exec_xmm_op<op_unpack<uint64_t, true>>},
    {Map::Two, 0x70, Pfx::P66, kAnyExt, "pshufd", "Vx,Wx,Ib", 0, exec_xmm_op_imm<op_pshufd>},
    {Map::Two, 0x70, Pfx::F3, kAnyExt, "pshufhw", "Vx,Wx,Ib", 0, exec_xmm_op_imm<op_pshufw<true>>},
    {Map::Two, 0x70, Pfx::F2, kAnyExt, "pshuflw", "Vx,Wx,Ib", 0, exec_xmm_op_imm<op_pshufw<false>>},
    {Map::Two, 0xC4, Pfx::P66, kAnyExt, "pinsrw", "Vdq,Ry/Mw,Ib", 0, exec_pinsrw},
    {Map::Two, 0xC5, Pfx::P66, kRegOnly, "pextrw", "Gd,Udq,Ib", S32, exec_pextrw},
    {Map::Two, 0xC6, Pfx::NP, kAnyExt, "shufps", "Vps,Wps,Ib", 0, exec_xmm_op_imm<op_shufps>},
    {Map::Two, 0xC6, Pfx::P66, kAnyExt, "shufpd", "Vpd,Wpd,Ib", 0, exec_xmm_op_imm<op_shufpd>},
};

} // namespace

std::span<const OpcodeRow> sse_shuffle_rows() {
    return kRows;
}

} // namespace hvlab::cpu

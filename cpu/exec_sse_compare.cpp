// SSE/SSE2 integer compares, minimum/maximum and sign-mask extraction: PCMPEQB/W/D,
// PCMPGTB/W/D, PMINUB/PMAXUB/PMINSW/PMAXSW, PMOVMSKB, MOVMSKPS, MOVMSKPD.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, the instruction page of each.
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

// Each lane becomes all ones when the comparison holds, else zero.
template <class T> Xmm op_pcmpeq(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return p == q ? T(~T(0)) : T(0); });
}
// PCMPGT compares signed lanes.
template <class T> Xmm op_pcmpgt(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return p > q ? T(~T(0)) : T(0); });
}
template <class T> Xmm op_pmin(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return q < p ? q : p; });
}
template <class T> Xmm op_pmax(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return q > p ? q : p; });
}

// The sign bit of each lane of type T of the source register, packed into the low bits of a
// 32- or 64-bit GPR; the rest of the register is zeroed (SDM Vol. 2B, PMOVMSKB; MOVMSKPS).
template <class T> Fault exec_sign_mask(Exec& x, const DecodedInsn& d) {
    if (Fault f = sse_check(x)) return f;
    const Xmm& s = xmm(x, d.rm);
    uint64_t m = 0;
    for (unsigned i = 0; i < lanes<T>(); ++i)
        m |= uint64_t(lane<T>(s, i) >> (8 * sizeof(T) - 1)) << i;
    set_reg(x, d, d.reg, d.opsize, m);
    return kNoFault;
}

constexpr uint32_t S32 = rowf::Size32;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic   operands   flags handler
    {Map::Two, 0x50, Pfx::NP, kRegOnly, "movmskps", "Gy,Ups", S32, exec_sign_mask<uint32_t>},
    {Map::Two, 0x50, Pfx::P66, kRegOnly, "movmskpd", "Gy,Upd", S32, exec_sign_mask<uint64_t>},
    {Map::Two, 0x64, Pfx::P66, kAnyExt, "pcmpgtb", "Vx,Wx", 0, exec_xmm_op<op_pcmpgt<int8_t>>},
    {Map::Two, 0x65, Pfx::P66, kAnyExt, "pcmpgtw", "Vx,Wx", 0, exec_xmm_op<op_pcmpgt<int16_t>>},
    {Map::Two, 0x66, Pfx::P66, kAnyExt, "pcmpgtd", "Vx,Wx", 0, exec_xmm_op<op_pcmpgt<int32_t>>},
    {Map::Two, 0x74, Pfx::P66, kAnyExt, "pcmpeqb", "Vx,Wx", 0, exec_xmm_op<op_pcmpeq<uint8_t>>},
    {Map::Two, 0x75, Pfx::P66, kAnyExt, "pcmpeqw", "Vx,Wx", 0, exec_xmm_op<op_pcmpeq<uint16_t>>},
    {Map::Two, 0x76, Pfx::P66, kAnyExt, "pcmpeqd", "Vx,Wx", 0, exec_xmm_op<op_pcmpeq<uint32_t>>},
    {Map::Two, 0xD7, Pfx::P66, kRegOnly, "pmovmskb", "Gy,Ux", S32, exec_sign_mask<uint8_t>},
    {Map::Two, 0xDA, Pfx::P66, kAnyExt, "pminub", "Vx,Wx", 0, exec_xmm_op<op_pmin<uint8_t>>},
    {Map::Two, 0xDE, Pfx::P66, kAnyExt, "pmaxub", "Vx,Wx", 0, exec_xmm_op<op_pmax<uint8_t>>},
    {Map::Two, 0xEA, Pfx::P66, kAnyExt, "pminsw", "Vx,Wx", 0, exec_xmm_op<op_pmin<int16_t>>},
    {Map::Two, 0xEE, Pfx::P66, kAnyExt, "pmaxsw", "Vx,Wx", 0, exec_xmm_op<op_pmax<int16_t>>},
};

} // namespace

std::span<const OpcodeRow> sse_compare_rows() {
    return kRows;
}

} // namespace hvlab::cpu

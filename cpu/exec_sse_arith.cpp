// SSE2 packed integer arithmetic: PADDB/W/D/Q, PSUBB/W/D/Q, the saturating PADDUSB/W, PADDSB/W,
// PSUBUSB/W, PSUBSB/W, the multiplies PMULLW/PMULHW/PMULHUW/PMULUDQ/PMADDWD, PAVGB/W, PSADBW.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, the instruction page of each.
#include "cpu/sse_helpers.hpp"

#include <algorithm>
#include <limits>

namespace hvlab::cpu {

namespace {

// Wrapping add/subtract: unsigned lanes so that overflow is defined.
template <class T> Xmm op_padd(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return T(p + q); });
}
template <class T> Xmm op_psub(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return T(p - q); });
}

// Saturating forms: the exact result clamped to the lane type's range (signed for PADDS/PSUBS,
// unsigned for PADDUS/PSUBUS).
template <class T> T saturate(int32_t v) {
    return static_cast<T>(
        std::clamp<int32_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}
template <class T> Xmm op_padds(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return saturate<T>(int32_t(p) + int32_t(q)); });
}
template <class T> Xmm op_psubs(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return saturate<T>(int32_t(p) - int32_t(q)); });
}

// PMULLW: low 16 bits of each product. PMULHW/PMULHUW: high 16 bits, signed/unsigned.
Xmm op_pmullw(const Xmm& a, const Xmm& b) {
    return map_lanes<uint16_t>(a, b,
                               [](uint16_t p, uint16_t q) { return uint16_t(uint32_t(p) * q); });
}
Xmm op_pmulhw(const Xmm& a, const Xmm& b) {
    return map_lanes<int16_t>(a, b,
                              [](int16_t p, int16_t q) { return int16_t((int32_t(p) * q) >> 16); });
}
Xmm op_pmulhuw(const Xmm& a, const Xmm& b) {
    return map_lanes<uint16_t>(
        a, b, [](uint16_t p, uint16_t q) { return uint16_t((uint32_t(p) * q) >> 16); });
}

// PMULUDQ: the unsigned 32-bit lanes 0 and 2 multiplied into two 64-bit products.
Xmm op_pmuludq(const Xmm& a, const Xmm& b) {
    return {(a.lo & 0xFFFFFFFF) * (b.lo & 0xFFFFFFFF), (a.hi & 0xFFFFFFFF) * (b.hi & 0xFFFFFFFF)};
}

// PMADDWD: adjacent signed word products summed into doublewords; the one overflowing case
// (all four words 8000H) wraps to 80000000H as the SDM's Operation section says.
Xmm op_pmaddwd(const Xmm& a, const Xmm& b) {
    Xmm r;
    for (unsigned i = 0; i < 4; ++i) {
        const int64_t s = int64_t(lane<int16_t>(a, 2 * i)) * lane<int16_t>(b, 2 * i) +
                          int64_t(lane<int16_t>(a, 2 * i + 1)) * lane<int16_t>(b, 2 * i + 1);
        set_lane<uint32_t>(r, i, static_cast<uint32_t>(s));
    }
    return r;
}

// PAVGB/PAVGW: unsigned average rounded up, (a + b + 1) >> 1 without overflow.
template <class T> Xmm op_pavg(const Xmm& a, const Xmm& b) {
    return map_lanes<T>(a, b, [](T p, T q) { return T((uint32_t(p) + q + 1) >> 1); });
}

// PSADBW: per 64-bit half, the sum of absolute byte differences in bits 15:0, the rest zero.
Xmm op_psadbw(const Xmm& a, const Xmm& b) {
    uint64_t sum[2] = {0, 0};
    for (unsigned i = 0; i < 16; ++i) {
        const int diff = int(lane<uint8_t>(a, i)) - int(lane<uint8_t>(b, i));
        sum[i / 8] += static_cast<uint64_t>(diff < 0 ? -diff : diff);
    }
    return {sum[0], sum[1]};
}

const OpcodeRow kRows[] = {
    // map       op    pfx       ext      mnemonic   operands flags handler
    {Map::Two, 0xD4, Pfx::P66, kAnyExt, "paddq", "Vx,Wx", 0, exec_xmm_op<op_padd<uint64_t>>},
    {Map::Two, 0xD5, Pfx::P66, kAnyExt, "pmullw", "Vx,Wx", 0, exec_xmm_op<op_pmullw>},
    {Map::Two, 0xD8, Pfx::P66, kAnyExt, "psubusb", "Vx,Wx", 0, exec_xmm_op<op_psubs<uint8_t>>},
    {Map::Two, 0xD9, Pfx::P66, kAnyExt, "psubusw", "Vx,Wx", 0, exec_xmm_op<op_psubs<uint16_t>>},
    {Map::Two, 0xDC, Pfx::P66, kAnyExt, "paddusb", "Vx,Wx", 0, exec_xmm_op<op_padds<uint8_t>>},
    {Map::Two, 0xDD, Pfx::P66, kAnyExt, "paddusw", "Vx,Wx", 0, exec_xmm_op<op_padds<uint16_t>>},
    {Map::Two, 0xE0, Pfx::P66, kAnyExt, "pavgb", "Vx,Wx", 0, exec_xmm_op<op_pavg<uint8_t>>},
    {Map::Two, 0xE3, Pfx::P66, kAnyExt, "pavgw", "Vx,Wx", 0, exec_xmm_op<op_pavg<uint16_t>>},
    {Map::Two, 0xE4, Pfx::P66, kAnyExt, "pmulhuw", "Vx,Wx", 0, exec_xmm_op<op_pmulhuw>},
    {Map::Two, 0xE5, Pfx::P66, kAnyExt, "pmulhw", "Vx,Wx", 0, exec_xmm_op<op_pmulhw>},
    {Map::Two, 0xE8, Pfx::P66, kAnyExt, "psubsb", "Vx,Wx", 0, exec_xmm_op<op_psubs<int8_t>>},
    {Map::Two, 0xE9, Pfx::P66, kAnyExt, "psubsw", "Vx,Wx", 0, exec_xmm_op<op_psubs<int16_t>>},
    {Map::Two, 0xEC, Pfx::P66, kAnyExt, "paddsb", "Vx,Wx", 0, exec_xmm_op<op_padds<int8_t>>},
    {Map::Two, 0xED, Pfx::P66, kAnyExt, "paddsw", "Vx,Wx", 0, exec_xmm_op<op_padds<int16_t>>},
    {Map::Two, 0xF4, Pfx::P66, kAnyExt, "pmuludq", "Vx,Wx", 0, exec_xmm_op<op_pmuludq>},
    {Map::Two, 0xF5, Pfx::P66, kAnyExt, "pmaddwd", "Vx,Wx", 0, exec_xmm_op<op_pmaddwd>},
    {Map::Two, 0xF6, Pfx::P66, kAnyExt, "psadbw", "Vx,Wx", 0, exec_xmm_op<op_psadbw>},
    {Map::Two, 0xF8, Pfx::P66, kAnyExt, "psubb", "Vx,Wx", 0, exec_xmm_op<op_psub<uint8_t>>},
    {Map::Two, 0xF9, Pfx::P66, kAnyExt, "psubw", "Vx,Wx", 0, exec_xmm_op<op_psub<uint16_t>>},
    {Map::Two, 0xFA, Pfx::P66, kAnyExt, "psubd", "Vx,Wx", 0, exec_xmm_op<op_psub<uint32_t>>},
    {Map::Two, 0xFB, Pfx::P66, kAnyExt, "psubq", "Vx,Wx", 0, exec_xmm_op<op_psub<uint64_t>>},
    {Map::Two, 0xFC, Pfx::P66, kAnyExt, "paddb", "Vx,Wx", 0, exec_xmm_op<op_padd<uint8_t>>},
    {Map::Two, 0xFD, Pfx::P66, kAnyExt, "paddw", "Vx,Wx", 0, exec_xmm_op<op_padd<uint16_t>>},
    {Map::Two, 0xFE, Pfx::P66, kAnyExt, "paddd", "Vx,Wx", 0, exec_xmm_op<op_padd<uint32_t>>},
};

} // namespace

std::span<const OpcodeRow> sse_arith_rows() {
    return kRows;
}

} // namespace hvlab::cpu

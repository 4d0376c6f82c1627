// SSE/SSE2 bitwise logic: PAND/PANDN/POR/PXOR and their floating-point-typed twins
// ANDPS/ANDPD/ANDNPS/ANDNPD/ORPS/ORPD/XORPS/XORPD (all 128 bits; the type only names the domain).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction page of each.
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

Xmm op_and(const Xmm& a, const Xmm& b) {
    return {a.lo & b.lo, a.hi & b.hi};
}
// ANDN: NOT(destination) AND source.
Xmm op_andn(const Xmm& a, const Xmm& b) {
    return {~a.lo & b.lo, ~a.hi & b.hi};
}
Xmm op_or(const Xmm& a, const Xmm& b) {
    return {a.lo | b.lo, a.hi | b.hi};
}
Xmm op_xor(const Xmm& a, const Xmm& b) {
    return {a.lo ^ b.lo, a.hi ^ b.hi};
}

const OpcodeRow kRows[] = {
    // map       op    pfx       ext      mnemonic  operands   flags handler
    {Map::Two, 0x54, Pfx::NP, kAnyExt, "andps", "Vps,Wps", 0, exec_xmm_op<op_and>},
    {Map::Two, 0x54, Pfx::P66, kAnyExt, "andpd", "Vpd,Wpd", 0, exec_xmm_op<op_and>},
    {Map::Two, 0x55, Pfx::NP, kAnyExt, "andnps", "Vps,Wps", 0, exec_xmm_op<op_andn>},
    {Map::Two, 0x55, Pfx::P66, kAnyExt, "andnpd", "Vpd,Wpd", 0, exec_xmm_op<op_andn>},
    {Map::Two, 0x56, Pfx::NP, kAnyExt, "orps", "Vps,Wps", 0, exec_xmm_op<op_or>},
    {Map::Two, 0x56, Pfx::P66, kAnyExt, "orpd", "Vpd,Wpd", 0, exec_xmm_op<op_or>},
    {Map::Two, 0x57, Pfx::NP, kAnyExt, "xorps", "Vps,Wps", 0, exec_xmm_op<op_xor>},
    {Map::Two, 0x57, Pfx::P66, kAnyExt, "xorpd", "Vpd,Wpd", 0, exec_xmm_op<op_xor>},
    {Map::Two, 0xDB, Pfx::P66, kAnyExt, "pand", "Vx,Wx", 0, exec_xmm_op<op_and>},
    {Map::Two, 0xDF, Pfx::P66, kAnyExt, "pandn", "Vx,Wx", 0, exec_xmm_op<op_andn>},
    {Map::Two, 0xEB, Pfx::P66, kAnyExt, "por", "Vx,Wx", 0, exec_xmm_op<op_or>},
    {Map::Two, 0xEF, Pfx::P66, kAnyExt, "pxor", "Vx,Wx", 0, exec_xmm_op<op_xor>},
};

} // namespace

std::span<const OpcodeRow> sse_logic_rows() {
    return kRows;
}

} // namespace hvlab::cpu

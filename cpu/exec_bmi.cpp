// BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR) and BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX,
// SHRX): VEX-encoded general-purpose bit operations. VEX.L=1 is #UD (rowf::VexL0); VEX.W
// selects 64-bit operands in 64-bit mode only (rowf::Size32). Undefined flags: AF is cleared;
// PF follows the result for ANDN/BEXTR and is cleared for BLSI/BLSMSK/BLSR/BZHI (see
// cpu/NOTES-cpu2.md).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction page of each.
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

constexpr unsigned bits_of(unsigned size) {
    return 8 * size;
}

uint64_t vvvv_value(const Exec& x, const DecodedInsn& d) {
    return get_reg(x, d.vvvv, d.opsize, true);
}

// SF/ZF from the result with CF given and OF cleared; AF cleared, PF from the result or cleared.
void put_bmi_flags(Exec& x, uint64_t r, unsigned size, bool cf, bool pf_from_result) {
    uint64_t f = szp_flags(r, size);
    if (!pf_from_result) f &= ~rflags::PF;
    if (cf) f |= rflags::CF;
    set_arith_flags(x, f);
}

// ANDN r, vvvv, r/m: NOT(vvvv) AND r/m.
Fault exec_andn(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const uint64_t r = ~vvvv_value(x, d) & src & size_mask(d.opsize);
    set_reg(x, d, d.reg, d.opsize, r);
    put_bmi_flags(x, r, d.opsize, false, true);
    return kNoFault;
}

// BEXTR r, r/m, vvvv: LEN bits (vvvv[15:8]) from START (vvvv[7:0]), zero beyond the operand.
Fault exec_bextr(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const uint64_t ctl = vvvv_value(x, d);
    const unsigned start = ctl & 0xFF, len = (ctl >> 8) & 0xFF;
    uint64_t r = start >= bits_of(d.opsize) ? 0 : src >> start;
    if (len < 64) r &= (uint64_t{1} << len) - 1;
    set_reg(x, d, d.reg, d.opsize, r);
    put_bmi_flags(x, r, d.opsize, false, true);
    return kNoFault;
}

enum class Blsx : uint8_t { Blsr, Blsmsk, Blsi };

// BLSR: src & (src-1), CF = (src == 0). BLSMSK: src ^ (src-1), CF = (src == 0), ZF = 0.
// BLSI: src & -src, CF = (src != 0). Destination is VEX.vvvv.
template <Blsx Op> Fault exec_blsx(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const uint64_t m = size_mask(d.opsize);
    uint64_t r;
    bool cf;
    if constexpr (Op == Blsx::Blsr)
        r = src & (src - 1), cf = src == 0;
    else if constexpr (Op == Blsx::Blsmsk)
        r = src ^ (src - 1), cf = src == 0;
    else
        r = src & (0 - src), cf = src != 0;
    r &= m;
    set_reg(x, d, d.vvvv, d.opsize, r);
    put_bmi_flags(x, r, d.opsize, cf, false);
    return kNoFault;
}

// BZHI r, r/m, vvvv: clear bits N and up, N = vvvv[7:0]; CF = (N > operand size - 1).
Fault exec_bzhi(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const unsigned n = vvvv_value(x, d) & 0xFF;
    const bool out_of_range = n >= bits_of(d.opsize);
    const uint64_t r = out_of_range ? src : src & ((uint64_t{1} << n) - 1);
    set_reg(x, d, d.reg, d.opsize, r);
    put_bmi_flags(x, r, d.opsize, out_of_range, false);
    return kNoFault;
}

// PDEP: deposit the low bits of vvvv at the set bit positions of the mask (r/m).
Fault exec_pdep(Exec& x, const DecodedInsn& d) {
    uint64_t mask;
    if (Fault f = read_rm(x, d, d.opsize, mask)) return f;
    const uint64_t src = vvvv_value(x, d);
    uint64_t r = 0;
    unsigned k = 0;
    for (unsigned i = 0; i < bits_of(d.opsize); ++i)
        if ((mask >> i) & 1) r |= ((src >> k++) & 1) << i;
    set_reg(x, d, d.reg, d.opsize, r);
    return kNoFault;
}

// PEXT: gather the bits of vvvv at the set bit positions of the mask into the low bits.
Fault exec_pext(Exec& x, const DecodedInsn& d) {
    uint64_t mask;
    if (Fault f = read_rm(x, d, d.opsize, mask)) return f;
    const uint64_t src = vvvv_value(x, d);
    uint64_t r = 0;
    unsigned k = 0;
    for (unsigned i = 0; i < bits_of(d.opsize); ++i)
        if ((mask >> i) & 1) r |= ((src >> i) & 1) << k++;
    set_reg(x, d, d.reg, d.opsize, r);
    return kNoFault;
}

// MULX r_hi, r_lo(vvvv), r/m: unsigned rDX * r/m, no flags. The low half is written first, so
// when both destinations name one register it receives the high half (SDM Vol. 2B, MULX).
Fault exec_mulx(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const uint64_t a = get_reg(x, RDX, d.opsize, true);
    uint64_t lo, hi;
    if (d.opsize == 8) {
        const unsigned __int128 p = static_cast<unsigned __int128>(a) * src;
        lo = static_cast<uint64_t>(p), hi = static_cast<uint64_t>(p >> 64);
    } else {
        const uint64_t p = a * src;
        lo = p & 0xFFFFFFFF, hi = p >> 32;
    }
    set_reg(x, d, d.vvvv, d.opsize, lo);
    set_reg(x, d, d.reg, d.opsize, hi);
    return kNoFault;
}

// RORX r, r/m, imm8: rotate right by imm8 mod operand size, no flags; VEX.vvvv must be 1111b.
Fault exec_rorx(Exec& x, const DecodedInsn& d) {
    if (d.vvvv != 0) return fault(UD);
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const unsigned w = bits_of(d.opsize), n = d.imm & (w - 1);
    const uint64_t r = n == 0 ? src : ((src >> n) | (src << (w - n))) & size_mask(d.opsize);
    set_reg(x, d, d.reg, d.opsize, r);
    return kNoFault;
}

enum class Shx : uint8_t { Shl, Shr, Sar };

// SHLX/SHRX/SARX r, r/m, vvvv: count = vvvv mod operand size, no flags.
template <Shx Op> Fault exec_shx(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const unsigned n = vvvv_value(x, d) & (bits_of(d.opsize) - 1);
    uint64_t r;
    if constexpr (Op == Shx::Shl)
        r = src << n;
    else if constexpr (Op == Shx::Shr)
        r = src >> n;
    else
        r = static_cast<uint64_t>(static_cast<int64_t>(sext(src, d.opsize)) >> n);
    set_reg(x, d, d.reg, d.opsize, r & size_mask(d.opsize));
    return kNoFault;
}

constexpr uint32_t F = rowf::VexL0 | rowf::Size32;

const OpcodeRow kRows[] = {
    // map           op    pfx       ext        mnemonic  operands          flags handler
    {Map::Vex0F38, 0xF2, Pfx::NP, kAnyExt, "andn", "Gy,By,Ey", F, exec_andn},
    {Map::Vex0F38, 0xF3, Pfx::NP, slash(1), "blsr", "By,Ey", F, exec_blsx<Blsx::Blsr>},
    {Map::Vex0F38, 0xF3, Pfx::NP, slash(2), "blsmsk", "By,Ey", F, exec_blsx<Blsx::Blsmsk>},
    {Map::Vex0F38, 0xF3, Pfx::NP, slash(3), "blsi", "By,Ey", F, exec_blsx<Blsx::Blsi>},
    {Map::Vex0F38, 0xF5, Pfx::NP, kAnyExt, "bzhi", "Gy,Ey,By", F, exec_bzhi},
    {Map::Vex0F38, 0xF5, Pfx::F3, kAnyExt, "pext", "Gy,By,Ey", F, exec_pext},
    {Map::Vex0F38, 0xF5, Pfx::F2, kAnyExt, "pdep", "Gy,By,Ey", F, exec_pdep},
    {Map::Vex0F38, 0xF6, Pfx::F2, kAnyExt, "mulx", "By,Gy,Ey", F, exec_mulx},
    {Map::Vex0F38, 0xF7, Pfx::NP, kAnyExt, "bextr", "Gy,Ey,By", F, exec_bextr},
    {Map::Vex0F38, 0xF7, Pfx::P66, kAnyExt, "shlx", "Gy,Ey,By", F, exec_shx<Shx::Shl>},
    {Map::Vex0F38, 0xF7, Pfx::F3, kAnyExt, "sarx", "Gy,Ey,By", F, exec_shx<Shx::Sar>},
    {Map::Vex0F38, 0xF7, Pfx::F2, kAnyExt, "shrx", "Gy,Ey,By", F, exec_shx<Shx::Shr>},
    {Map::Vex0F3A, 0xF0, Pfx::F2, kAnyExt, "rorx", "Gy,Ey,Ib", F, exec_rorx},
};

} // namespace

std::span<const OpcodeRow> bmi_only_rows() {
    return kRows;
}

} // namespace hvlab::cpu

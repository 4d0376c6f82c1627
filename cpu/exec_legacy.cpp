// Legacy instructions that exist only outside 64-bit mode: DAA DAS AAA AAS AAM AAD (BCD),
// BOUND, ARPL and SALC. Undefined flags follow QEMU (cpu/UNDEFINED_FLAGS.md).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

uint64_t al(const Exec& x) {
    return x.s.gpr[RAX] & 0xFF;
}

// DAA/DAS: SDM "Operation"; OF (undefined) is cleared.
template <bool Sub> Fault exec_daa(Exec& x, const DecodedInsn&) {
    uint64_t& f = flags(x);
    const uint64_t old_al = al(x);
    const bool old_cf = f & rflags::CF;
    uint64_t a = old_al;
    bool cf = false, af = false;
    if ((a & 0xF) > 9 || (f & rflags::AF)) {
        cf = old_cf || (Sub ? a < 6 : a + 6 > 0xFF);
        a = (Sub ? a - 6 : a + 6) & 0xFF;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        a = (Sub ? a - 0x60 : a + 0x60) & 0xFF;
        cf = true;
    } else if (!Sub) {
        cf = false;
    }
    set_reg(x, RAX, 1, a, false);
    put_arith_flags(f, szp_flags(a, 1) | (cf ? rflags::CF : 0) | (af ? rflags::AF : 0));
    return kNoFault;
}

// AAA/AAS: CF and AF defined; OF SF ZF PF (undefined) are left unchanged.
template <bool Sub> Fault exec_aaa(Exec& x, const DecodedInsn&) {
    uint64_t& f = flags(x);
    uint64_t ax = x.s.gpr[RAX] & 0xFFFF;
    const bool adjust = (ax & 0xF) > 9 || (f & rflags::AF);
    if (adjust) ax = Sub ? ((ax - 6) & 0xFFFF) - 0x100 : ax + 0x106;
    ax &= 0xFF0F;
    set_reg(x, RAX, 2, ax, false);
    f = adjust ? (f | rflags::CF | rflags::AF) : (f & ~(rflags::CF | rflags::AF));
    return kNoFault;
}

// AAM imm8: #DE for a zero base. AAD imm8. SF ZF PF from AL; OF AF CF (undefined) cleared.
Fault exec_aam(Exec& x, const DecodedInsn& d) {
    const uint64_t base = d.imm & 0xFF;
    if (base == 0) return fault(DE);
    const uint64_t a = al(x);
    set_reg(x, RAX, 2, ((a / base) << 8) | (a % base), false);
    set_arith_flags(x, szp_flags(a % base, 1));
    return kNoFault;
}

Fault exec_aad(Exec& x, const DecodedInsn& d) {
    const uint64_t a = (al(x) + ((x.s.gpr[RAX] >> 8) & 0xFF) * (d.imm & 0xFF)) & 0xFF;
    set_reg(x, RAX, 2, a, false);
    set_arith_flags(x, szp_flags(a, 1));
    return kNoFault;
}

// BOUND r, m: #BR unless lower <= index <= upper, all signed (SDM Vol. 2A, BOUND).
Fault exec_bound(Exec& x, const DecodedInsn& d) {
    const unsigned n = d.opsize;
    const uint64_t ea = effective_address(x, d);
    uint64_t lo, hi;
    if (Fault f = read_mem(x, d.seg, ea, n, lo)) return f;
    if (Fault f = read_mem(x, d.seg, (ea + n) & size_mask(d.addrsize), n, hi)) return f;
    const int64_t i = int64_t(sext(get_reg(x, d, d.reg, n), n));
    if (i < int64_t(sext(lo, n)) || i > int64_t(sext(hi, n))) return fault(BR);
    return kNoFault;
}

// ARPL r/m16, r16: raise the destination's RPL to the source's (SDM Vol. 2A, ARPL).
Fault exec_arpl(Exec& x, const DecodedInsn& d) {
    const uint64_t ea = d.mem() ? effective_address(x, d) : 0;
    uint64_t dst;
    if (d.mod == 3) {
        dst = get_reg(x, d, d.rm, 2);
    } else if (Fault f = read_mem(x, d.seg, ea, 2, dst)) {
        return f;
    }
    const uint64_t src_rpl = get_reg(x, d, d.reg, 2) & 3;
    const bool raise = (dst & 3) < src_rpl;
    if (raise) {
        const uint64_t v = (dst & ~uint64_t{3}) | src_rpl;
        if (d.mod == 3) {
            set_reg(x, d, d.rm, 2, v);
        } else if (Fault f = write_mem(x, d.seg, ea, 2, v)) {
            return f;
        }
    }
    uint64_t& f = flags(x);
    f = (f & ~rflags::ZF) | (raise ? rflags::ZF : 0);
    return kNoFault;
}

// SALC (D6): AL = FFH if CF = 1, else 00H; no flag changes. The SDM's one-byte opcode map
// leaves D6 blank, but every Intel processor executes it outside 64-bit mode (Intel's name for
// it is SALC; QEMU and Bochs implement it too); in 64-bit mode it is #UD.
Fault exec_salc(Exec& x, const DecodedInsn&) {
    set_reg(x, RAX, 1, carry_flag(x) ? 0xFF : 0, false);
    return kNoFault;
}

constexpr uint32_t I64 = rowf::Inv64;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::One, 0x27, Pfx::Any, kAnyExt, "daa", "", I64, exec_daa<false>},
    {Map::One, 0x2F, Pfx::Any, kAnyExt, "das", "", I64, exec_daa<true>},
    {Map::One, 0x37, Pfx::Any, kAnyExt, "aaa", "", I64, exec_aaa<false>},
    {Map::One, 0x3F, Pfx::Any, kAnyExt, "aas", "", I64, exec_aaa<true>},
    {Map::One, 0xD4, Pfx::Any, kAnyExt, "aam", "Ib", I64, exec_aam},
    {Map::One, 0xD5, Pfx::Any, kAnyExt, "aad", "Ib", I64, exec_aad},
    {Map::One, 0x62, Pfx::Any, kMemOnly, "bound", "Gv,Ma", I64, exec_bound},
    {Map::One, 0x63, Pfx::Any, kAnyExt, "arpl", "Ew,Gw", I64, exec_arpl},
    {Map::One, 0xD6, Pfx::Any, kAnyExt, "salc", "", I64, exec_salc},
};

} // namespace

std::span<const OpcodeRow> legacy_rows() {
    return kRows;
}

} // namespace hvlab::cpu

// Data movement: MOV (all forms incl. moffs and Sreg), MOVZX/MOVSX/MOVSXD, LEA, XCHG, BSWAP,
// CMOVcc, CBW..CQO, LAHF/SAHF, XLAT, MOVBE, LDS/LES/LSS/LFS/LGS.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/nonroot_exits.hpp"

namespace hvlab::cpu {

namespace {

Fault exec_mov_rm_reg(Exec& x, const DecodedInsn& d) {
    return write_rm(x, d, d.opsize, get_reg(x, d, d.reg, d.opsize));
}

Fault exec_mov_reg_rm(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = read_rm(x, d, d.opsize, v)) return f;
    set_reg(x, d, d.reg, d.opsize, v);
    return kNoFault;
}

Fault exec_mov_rm_imm(Exec& x, const DecodedInsn& d) { return write_rm(x, d, d.opsize, d.imm); }

Fault exec_mov_reg_imm(Exec& x, const DecodedInsn& d) {
    set_reg(x, d, d.reg, d.opsize, d.imm);
    return kNoFault;
}

// A0..A3: the offset is the moffs field, wrapped to the address size.
Fault exec_mov_acc_moffs(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    const uint64_t ea = static_cast<uint64_t>(d.disp) & size_mask(d.addrsize);
    if (Fault f = read_mem(x, d.seg, ea, d.opsize, v)) return f;
    set_reg(x, RAX, d.opsize, v, false);
    return kNoFault;
}

Fault exec_mov_moffs_acc(Exec& x, const DecodedInsn& d) {
    const uint64_t ea = static_cast<uint64_t>(d.disp) & size_mask(d.addrsize);
    return write_mem(x, d.seg, ea, d.opsize, get_reg(x, RAX, d.opsize, false));
}

// MOV r/m, Sreg: a register destination gets the selector zero-extended; memory gets 16 bits
// (SDM Vol. 2B, MOV, "Move to/from Segment Registers").
Fault exec_mov_rm_sreg(Exec& x, const DecodedInsn& d) {
    const unsigned sreg = d.reg & 7;
    if (sreg > GS) return fault(UD);
    const uint16_t sel = x.s.seg[sreg].selector;
    if (d.mod == 3) {
        set_reg(x, d, d.rm, d.opsize == 2 ? 2 : d.opsize, sel);
        return kNoFault;
    }
    return write_mem(x, d.seg, effective_address(x, d), 2, sel);
}

// MOV Sreg, r/m: CS is not a valid destination; MOV SS blocks events for one instruction
// (SDM Vol. 3A, "Interrupt Blocking" / MOV, "Operation").
Fault exec_mov_sreg_rm(Exec& x, const DecodedInsn& d) {
    const unsigned sreg = d.reg & 7;
    if (sreg > GS || sreg == CS) return fault(UD);
    uint64_t sel;
    if (Fault f = read_rm(x, d, 2, sel)) return f;
    auto c = x.sys();
    if (Fault f = load_segment(c, static_cast<SegReg>(sreg), static_cast<uint16_t>(sel))) return f;
    x.after_system_op();
    if (sreg == SS) {
        x.inhibit_events(false);
    }
    return kNoFault;
}

// LDS/LES/LSS/LFS/LGS: offset then selector from memory (SDM Vol. 2A, LDS/LES/LFS/LGS/LSS).
template <SegReg S> Fault exec_load_far_pointer(Exec& x, const DecodedInsn& d) {
    if (d.mod == 3) return fault(UD);
    const uint64_t ea = effective_address(x, d);
    uint64_t off, sel;
    if (Fault f = read_mem(x, d.seg, ea, d.opsize, off)) return f;
    if (Fault f = read_mem(x, d.seg, (ea + d.opsize) & size_mask(d.addrsize), 2, sel)) return f;
    auto c = x.sys();
    if (Fault f = load_segment(c, S, static_cast<uint16_t>(sel))) return f;
    x.after_system_op();
    set_reg(x, d, d.reg, d.opsize, off);
    return kNoFault;
}

// MOVZX/MOVSX/MOVSXD. MOVSXD with a 16-bit operand size is "MOVSXD r16, r/m16": the source is
// a word, not a doubleword (SDM Vol. 2B, MOVSX/MOVSXD).
template <unsigned SrcSize, bool Signed> Fault exec_movx(Exec& x, const DecodedInsn& d) {
    const unsigned n = SrcSize < d.opsize ? SrcSize : d.opsize;
    uint64_t v;
    if (Fault f = read_rm(x, d, n, v)) return f;
    if (Signed) v = sext(v, n);
    set_reg(x, d, d.reg, d.opsize, v);
    return kNoFault;
}

// MOVSXD (63 /r, 64-bit mode): the source is r/m16 with a 16-bit operand size, else r/m32,
// sign-extended to the operand size (SDM Vol. 2B, MOVSX/MOVSXD).
Fault exec_movsxd(Exec& x, const DecodedInsn& d) {
    const unsigned src = d.opsize == 2 ? 2 : 4;
    uint64_t v;
    if (Fault f = read_rm(x, d, src, v)) return f;
    set_reg(x, d, d.reg, d.opsize, sext(v, src));
    return kNoFault;
}

// LEA: the effective address, truncated or zero-extended to the operand size; register
// operand -> #UD (SDM Vol. 2A, LEA).
Fault exec_lea(Exec& x, const DecodedInsn& d) {
    if (d.mod == 3) return fault(UD);
    set_reg(x, d, d.reg, d.opsize, effective_address(x, d));
    return kNoFault;
}

// XCHG with memory is always locked (SDM Vol. 2B, XCHG).
Fault exec_xchg_rm(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t r = get_reg(x, d, d.reg, size);
    if (d.mod == 3) {
        const uint64_t v = get_reg(x, d, d.rm, size);
        set_reg(x, d, d.rm, size, r);
        set_reg(x, d, d.reg, size, v);
        return kNoFault;
    }
    const uint64_t ea = effective_address(x, d);
    uint64_t v;
    if (Fault f = read_mem_rmw(x, d.seg, ea, size, v)) return f;
    if (Fault f = write_mem(x, d.seg, ea, size, r)) return f;
    set_reg(x, d, d.reg, size, v);
    return kNoFault;
}

Fault exec_xchg_acc(Exec& x, const DecodedInsn& d) {
    const unsigned size = d.opsize;
    const uint64_t a = get_reg(x, RAX, size, false);
    set_reg(x, RAX, size, get_reg(x, d, d.reg, size), false);
    set_reg(x, d, d.reg, size, a);
    return kNoFault;
}

// PAUSE is a hint (a NOP here), but "PAUSE exiting" makes it exit in VMX non-root operation.
Fault exec_pause(Exec& x, const DecodedInsn& d) {
    if (x.s.vmx.non_root) return vmx::exit_on_pause(x, d);
    return kNoFault;
}

// 90 without REX.B is NOP even in 64-bit mode (no zero-extension of EAX); 49 90 is XCHG R8.
Fault exec_xchg_or_nop(Exec& x, const DecodedInsn& d) {
    if (d.reg == RAX) return kNoFault;
    return exec_xchg_acc(x, d);
}

// BSWAP with a 16-bit operand is undefined; hvlab clears the low 16 bits as Intel CPUs do.
Fault exec_bswap(Exec& x, const DecodedInsn& d) {
    const uint64_t v = x.s.gpr[d.reg];
    switch (d.opsize) {
    case 8: x.s.gpr[d.reg] = __builtin_bswap64(v); break;
    case 4: x.s.gpr[d.reg] = __builtin_bswap32(static_cast<uint32_t>(v)); break;
    default: set_reg(x, d, d.reg, 2, 0); break;
    }
    return kNoFault;
}

// CMOVcc: the source is read (and may fault) even if the condition is false; a 32-bit
// destination is zero-extended either way in 64-bit mode (SDM Vol. 2A, CMOVcc).
Fault exec_cmov(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = read_rm(x, d, d.opsize, v)) return f;
    const unsigned cc = d.opcode & 0xF;
    if (condition_true(x, cc)) {
        set_reg(x, d, d.reg, d.opsize, v);
    } else if (d.opsize == 4) {
        set_reg(x, d, d.reg, 4, get_reg(x, d, d.reg, 4));
    }
    return kNoFault;
}

// CBW/CWDE/CDQE: sign-extend the lower half of rAX into rAX.
Fault exec_cbw(Exec& x, const DecodedInsn& d) {
    const unsigned half = d.opsize / 2;
    set_reg(x, RAX, d.opsize, sext(get_reg(x, RAX, half, false), half), false);
    return kNoFault;
}

// CWD/CDQ/CQO: rDX = sign of rAX.
Fault exec_cwd(Exec& x, const DecodedInsn& d) {
    const bool neg = get_reg(x, RAX, d.opsize, false) & sign_bit(d.opsize);
    set_reg(x, RDX, d.opsize, neg ? ~uint64_t{0} : 0, false);
    return kNoFault;
}

// LAHF/SAHF: AH <-> SF ZF AF PF CF (bit 1 reads 1) (SDM Vol. 2A, LAHF; Vol. 2B, SAHF).
constexpr uint64_t kAhFlags = rflags::SF | rflags::ZF | rflags::AF | rflags::PF | rflags::CF;

// In 64-bit mode LAHF/SAHF exist only if CPUID.80000001H:ECX.LAHF-SAHF[bit 0] says so.
bool lahf_allowed(const Exec& x) { return !x.is64 || (cpuid(x.s, 0x80000001, 0).ecx & 1); }

Fault exec_lahf(Exec& x, const DecodedInsn&) {
    if (!lahf_allowed(x)) return fault(UD);
    set_reg(x, 4, 1, (flags(x) & kAhFlags) | rflags::kFixed1, false);
    return kNoFault;
}

Fault exec_sahf(Exec& x, const DecodedInsn&) {
    if (!lahf_allowed(x)) return fault(UD);
    const uint64_t ah = get_reg(x, 4, 1, false);
    uint64_t& f = flags(x);
    f = (f & ~kAhFlags) | (ah & kAhFlags);
    return kNoFault;
}

// XLAT: AL = [seg:rBX + zero-extended AL] (SDM Vol. 2B, XLAT/XLATB).
Fault exec_xlat(Exec& x, const DecodedInsn& d) {
    const uint64_t ea = (x.s.gpr[RBX] + (x.s.gpr[RAX] & 0xFF)) & size_mask(d.addrsize);
    uint64_t v;
    if (Fault f = read_mem(x, d.seg, ea, 1, v)) return f;
    set_reg(x, RAX, 1, v, false);
    return kNoFault;
}

uint64_t byte_swap(uint64_t v, unsigned size) {
    switch (size) {
    case 8: return __builtin_bswap64(v);
    case 4: return __builtin_bswap32(static_cast<uint32_t>(v));
    default: return __builtin_bswap16(static_cast<uint16_t>(v));
    }
}

// MOVBE: memory operand only (SDM Vol. 2B, MOVBE).
Fault exec_movbe_load(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = read_mem(x, d.seg, effective_address(x, d), d.opsize, v)) return f;
    set_reg(x, d, d.reg, d.opsize, byte_swap(v, d.opsize));
    return kNoFault;
}

Fault exec_movbe_store(Exec& x, const DecodedInsn& d) {
    const uint64_t v = byte_swap(get_reg(x, d, d.reg, d.opsize), d.opsize);
    return write_mem(x, d.seg, effective_address(x, d), d.opsize, v);
}

constexpr uint32_t I64 = rowf::Inv64, R = rowf::PlusR;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic  operands  flags handler
    {Map::One, 0x88, Pfx::Any, kAnyExt, "mov", "Eb,Gb", 0, exec_mov_rm_reg},
    {Map::One, 0x89, Pfx::Any, kAnyExt, "mov", "Ev,Gv", 0, exec_mov_rm_reg},
    {Map::One, 0x8A, Pfx::Any, kAnyExt, "mov", "Gb,Eb", 0, exec_mov_reg_rm},
    {Map::One, 0x8B, Pfx::Any, kAnyExt, "mov", "Gv,Ev", 0, exec_mov_reg_rm},
    // MOV r/m, Sreg for ES CS SS DS FS GS; MOV Sreg, r/m for all but CS (sreg 6, 7: #UD).
    {Map::One, 0x8C, Pfx::Any, slash(0), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8C, Pfx::Any, slash(1), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8C, Pfx::Any, slash(2), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8C, Pfx::Any, slash(3), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8C, Pfx::Any, slash(4), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8C, Pfx::Any, slash(5), "mov", "Ev,Sw", 0, exec_mov_rm_sreg},
    {Map::One, 0x8E, Pfx::Any, slash(0), "mov", "Sw,Ew", 0, exec_mov_sreg_rm},
    {Map::One, 0x8E, Pfx::Any, slash(2), "mov", "Sw,Ew", 0, exec_mov_sreg_rm},
    {Map::One, 0x8E, Pfx::Any, slash(3), "mov", "Sw,Ew", 0, exec_mov_sreg_rm},
    {Map::One, 0x8E, Pfx::Any, slash(4), "mov", "Sw,Ew", 0, exec_mov_sreg_rm},
    {Map::One, 0x8E, Pfx::Any, slash(5), "mov", "Sw,Ew", 0, exec_mov_sreg_rm},
    {Map::One, 0xA0, Pfx::Any, kAnyExt, "mov", "AL,Ob", 0, exec_mov_acc_moffs},
    {Map::One, 0xA1, Pfx::Any, kAnyExt, "mov", "rAX,Ov", 0, exec_mov_acc_moffs},
    {Map::One, 0xA2, Pfx::Any, kAnyExt, "mov", "Ob,AL", 0, exec_mov_moffs_acc},
    {Map::One, 0xA3, Pfx::Any, kAnyExt, "mov", "Ov,rAX", 0, exec_mov_moffs_acc},
    {Map::One, 0xB0, Pfx::Any, kAnyExt, "mov", "Zb,Ib", R, exec_mov_reg_imm},
    {Map::One, 0xB8, Pfx::Any, kAnyExt, "mov", "Zv,Iv", R, exec_mov_reg_imm},
    {Map::One, 0xC6, Pfx::Any, slash(0), "mov", "Eb,Ib", 0, exec_mov_rm_imm},
    {Map::One, 0xC7, Pfx::Any, slash(0), "mov", "Ev,Iz", 0, exec_mov_rm_imm},
    {Map::One, 0xC4, Pfx::Any, kMemOnly, "les", "Gz,Mp", I64, exec_load_far_pointer<ES>},
    {Map::One, 0xC5, Pfx::Any, kMemOnly, "lds", "Gz,Mp", I64, exec_load_far_pointer<DS>},
    {Map::Two, 0xB2, Pfx::Any, kMemOnly, "lss", "Gv,Mp", 0, exec_load_far_pointer<SS>},
    {Map::Two, 0xB4, Pfx::Any, kMemOnly, "lfs", "Gv,Mp", 0, exec_load_far_pointer<FS>},
    {Map::Two, 0xB5, Pfx::Any, kMemOnly, "lgs", "Gv,Mp", 0, exec_load_far_pointer<GS>},
    {Map::Two, 0xB6, Pfx::Any, kAnyExt, "movzx", "Gv,Eb", 0, exec_movx<1, false>},
    {Map::Two, 0xB7, Pfx::Any, kAnyExt, "movzx", "Gv,Ew", 0, exec_movx<2, false>},
    {Map::Two, 0xBE, Pfx::Any, kAnyExt, "movsx", "Gv,Eb", 0, exec_movx<1, true>},
    {Map::Two, 0xBF, Pfx::Any, kAnyExt, "movsx", "Gv,Ew", 0, exec_movx<2, true>},
    {Map::One, 0x63, Pfx::Any, kAnyExt, "movsxd", "Gv,Ed", rowf::Only64, exec_movsxd},
    {Map::One, 0x8D, Pfx::Any, kMemOnly, "lea", "Gv,M", 0, exec_lea},
    {Map::One, 0x86, Pfx::Any, kAnyExt, "xchg", "Eb,Gb", rowf::Lock, exec_xchg_rm},
    {Map::One, 0x87, Pfx::Any, kAnyExt, "xchg", "Ev,Gv", rowf::Lock, exec_xchg_rm},
    {Map::One, 0x90, Pfx::F3, kAnyExt, "pause", "", 0, exec_pause},
    {Map::One, 0x90, Pfx::Any, kAnyExt, "xchg", "Zv,rAX", R, exec_xchg_or_nop},
    {Map::Two, 0xC8, Pfx::Any, kAnyExt, "bswap", "Zv", R, exec_bswap},
    {Map::Two, 0x40, Pfx::Any, kAnyExt, "cmovcc", "Gv,Ev", rowf::PlusCC, exec_cmov},
    {Map::One, 0x98, Pfx::Any, kAnyExt, "cwde", "", 0, exec_cbw},
    {Map::One, 0x99, Pfx::Any, kAnyExt, "cdq", "", 0, exec_cwd},
    {Map::One, 0x9E, Pfx::Any, kAnyExt, "sahf", "", 0, exec_sahf},
    {Map::One, 0x9F, Pfx::Any, kAnyExt, "lahf", "", 0, exec_lahf},
    {Map::One, 0xD7, Pfx::Any, kAnyExt, "xlatb", "", 0, exec_xlat},
    {Map::Three38, 0xF0, Pfx::Any, kMemOnly, "movbe", "Gv,Mv", 0, exec_movbe_load},
    {Map::Three38, 0xF1, Pfx::Any, kMemOnly, "movbe", "Mv,Gv", 0, exec_movbe_store},
};

} // namespace

std::span<const OpcodeRow> mov_rows() { return kRows; }

} // namespace hvlab::cpu

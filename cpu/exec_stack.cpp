// Stack instructions: PUSH/POP (all forms), PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

// PUSH r: PUSH RSP pushes the value RSP had before the instruction.
Fault exec_push_reg(Exec& x, const DecodedInsn& d) {
    return push(x, d.opsize, get_reg(x, d, d.reg, d.opsize));
}

Fault exec_pop_reg(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = pop(x, d.opsize, v)) return f;
    set_reg(x, d, d.reg, d.opsize, v);
    return kNoFault;
}

Fault exec_push_imm(Exec& x, const DecodedInsn& d) { return push(x, d.opsize, d.imm); }

Fault exec_push_rm(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = read_rm(x, d, d.opsize, v)) return f;
    return push(x, d.opsize, v);
}

// POP r/m: an RSP-based destination address is computed after RSP is incremented
// (SDM Vol. 2B, POP, "Operation"). Nothing changes if the store faults.
Fault exec_pop_rm(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = peek_stack(x, d.opsize, 0, v)) return f;
    const uint64_t old_sp = x.s.gpr[RSP];
    set_sp(x, old_sp + d.opsize);
    if (Fault f = write_rm(x, d, d.opsize, v)) {
        x.s.gpr[RSP] = old_sp;
        return f;
    }
    return kNoFault;
}

// PUSH Sreg: with a 32/64-bit operand size hvlab pushes the selector zero-extended (one of the
// two behaviours the SDM allows; the one QEMU/Unicorn implement).
template <SegReg S> Fault exec_push_sreg(Exec& x, const DecodedInsn& d) {
    return push(x, d.opsize, x.s.seg[S].selector);
}

// POP Sreg loads through the descriptor checks; POP SS blocks events for one instruction.
// The pop moves SP/ESP/RSP by the stack-address size in force before the load (SDM Vol. 2B,
// POP, "Operation"): POP SS may load a stack segment with another B bit.
template <SegReg S> Fault exec_pop_sreg(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = peek_stack(x, d.opsize, 0, v)) return f;
    const unsigned as = stack_addr_size(x);
    auto c = x.sys();
    if (Fault f = load_segment(c, S, static_cast<uint16_t>(v))) return f;
    x.after_system_op();
    set_reg(x, RSP, as, x.s.gpr[RSP] + d.opsize, true);
    if (S == SS) {
        x.inhibit_events(false);
    }
    return kNoFault;
}

// PUSHA/PUSHAD: AX CX DX BX (original) SP BP SI DI; all stores checked first, slot by slot:
// with a 16-bit stack SP wraps at 64 KiB between the pushes (SDM Vol. 2B, PUSHA/PUSHAD).
Fault exec_pusha(Exec& x, const DecodedInsn& d) {
    const unsigned n = d.opsize;
    const unsigned as = stack_addr_size(x);
    const uint64_t sp = x.s.gpr[RSP];
    for (unsigned i = 1; i <= 8; ++i)
        if (Fault f = probe_write(x, SS, (sp - i * n) & size_mask(as), n)) return f;
    for (unsigned r = RAX; r <= RDI; ++r) {
        const uint64_t v = r == RSP ? sp : x.s.gpr[r];
        if (Fault f = write_mem(x, SS, (sp - (r + 1) * n) & size_mask(as), n, v)) return f;
    }
    set_sp(x, sp - 8 * n);
    return kNoFault;
}

// POPA/POPAD: the saved SP is discarded.
Fault exec_popa(Exec& x, const DecodedInsn& d) {
    const unsigned n = d.opsize;
    uint64_t v[8];
    for (unsigned i = 0; i < 8; ++i)
        if (Fault f = peek_stack(x, n, i * n, v[i])) return f;
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned r = RDI - i;
        if (r != RSP) set_reg(x, r, n, v[i], false);
    }
    set_sp(x, x.s.gpr[RSP] + 8 * n);
    return kNoFault;
}

// PUSHF: the image has VM and RF clear (SDM Vol. 2B, PUSHF/PUSHFD/PUSHFQ).
Fault exec_pushf(Exec& x, const DecodedInsn& d) {
    return push(x, d.opsize, flags(x) & ~(rflags::VM | rflags::RF));
}

// POPF: which bits may change depends on CPL and IOPL; VIP, VIF and VM never change here and RF
// is cleared (SDM Vol. 2B, POPF/POPFD/POPFQ, "Operation" for protected mode).
Fault exec_popf(Exec& x, const DecodedInsn& d) {
    uint64_t v;
    if (Fault f = pop(x, d.opsize, v)) return f;
    using rflags::IF, rflags::IOPL, rflags::RF, rflags::kFixed1;
    uint64_t changeable = rflags::kArith | rflags::TF | rflags::DF | rflags::NT | rflags::AC |
                          rflags::ID | IF | IOPL;
    const unsigned cpl = x.s.cpl();
    const unsigned iopl = (x.s.rflags & IOPL) >> 12;
    if (cpl > 0) changeable &= ~IOPL;
    if (cpl > iopl) changeable &= ~IF;
    if (d.opsize == 2) changeable &= 0xFFFF;
    const uint64_t old = flags(x);
    x.s.rflags = ((old & ~changeable) | (v & changeable) | kFixed1) & ~RF;
    // Events may unmask (IF), SMAP checks change (AC), single-stepping starts (TF).
    if ((x.s.rflags ^ old) & (IF | rflags::AC | rflags::TF)) x.after_system_op();
    return kNoFault;
}

// ENTER imm16, imm8: nesting level modulo 32. Every value is read and the whole frame checked
// before anything is written (SDM Vol. 2A, ENTER, "Operation"), with the result of the SDM's
// sequential push/read order.
Fault exec_enter(Exec& x, const DecodedInsn& d) {
    const unsigned n = d.opsize;
    const uint64_t m = size_mask(stack_addr_size(x));
    const uint64_t size = d.imm & 0xFFFF;
    const unsigned level = d.imm2 & 31;
    const uint64_t sp0 = x.s.gpr[RSP];
    uint64_t vals[33];
    unsigned count = 0;
    vals[count++] = get_reg(x, RBP, n, false);
    const uint64_t frame_temp = (sp0 - n) & m;
    if (level > 0) {
        uint64_t bp = x.s.gpr[RBP];
        for (unsigned i = 1; i < level; ++i) {
            // In the SDM's order the push of slot i precedes the read of the next frame
            // pointer: its fault comes first (observed: RSP unmapped, RBP non-canonical gave
            // #SS for the read instead of #PF for the first push).
            if (Fault f = probe_write(x, SS, (sp0 - i * n) & m, n)) return f;
            bp = (bp - n) & m;
            if (Fault f = read_mem(x, SS, bp, n, vals[count])) return f;
            // The SDM's pushes happen in order, so a frame pointer read from a slot this ENTER
            // has already pushed (e.g. RBP = RSP: [RBP - n] is the RBP just pushed) sees the
            // pushed value. Nothing is written yet: overlay the pending writes byte by byte.
            // (Verified on the host: enter 0x58, 2 with RBP = RSP copies the pushed RBP.)
            for (unsigned k = 0; k < n; ++k) {
                const uint64_t a = (bp + k) & m;
                for (unsigned j = 0; j < count; ++j) {
                    const uint64_t off = (a - (sp0 - (j + 1) * n)) & m;
                    if (off >= n) continue;
                    const uint64_t byte = (vals[j] >> (8 * off)) & 0xFF;
                    vals[count] = (vals[count] & ~(0xFFull << (8 * k))) | (byte << (8 * k));
                    break;
                }
            }
            ++count;
        }
        vals[count++] = frame_temp;
    }
    // Slot by slot: on a 16-bit stack the pushes wrap SP at 64 KiB one by one.
    for (unsigned i = 1; i <= count; ++i)
        if (Fault f = probe_write(x, SS, (sp0 - i * n) & m, n)) return f;
    for (unsigned i = 0; i < count; ++i)
        if (Fault f = write_mem(x, SS, (sp0 - (i + 1) * n) & m, n, vals[i])) return f;
    set_reg(x, RBP, n, frame_temp, false);
    set_sp(x, sp0 - count * n - size);
    return kNoFault;
}

// LEAVE: rSP = rBP, then pop rBP (SDM Vol. 2A, LEAVE).
Fault exec_leave(Exec& x, const DecodedInsn& d) {
    const uint64_t m = size_mask(stack_addr_size(x));
    const uint64_t bp = x.s.gpr[RBP] & m;
    uint64_t v;
    if (Fault f = read_mem(x, SS, bp, d.opsize, v)) return f;
    set_sp(x, bp + d.opsize);
    set_reg(x, RBP, d.opsize, v, false);
    return kNoFault;
}

constexpr uint32_t D64 = rowf::Def64, I64 = rowf::Inv64, R = rowf::PlusR;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::One, 0x50, Pfx::Any, kAnyExt, "push", "Zv", R | D64, exec_push_reg},
    {Map::One, 0x58, Pfx::Any, kAnyExt, "pop", "Zv", R | D64, exec_pop_reg},
    {Map::One, 0x6A, Pfx::Any, kAnyExt, "push", "Ib", D64, exec_push_imm},
    {Map::One, 0x68, Pfx::Any, kAnyExt, "push", "Iz", D64, exec_push_imm},
    {Map::One, 0xFF, Pfx::Any, slash(6), "push", "Ev", D64, exec_push_rm},
    {Map::One, 0x8F, Pfx::Any, slash(0), "pop", "Ev", D64, exec_pop_rm},
    {Map::One, 0x06, Pfx::Any, kAnyExt, "push", "ES", I64, exec_push_sreg<ES>},
    {Map::One, 0x0E, Pfx::Any, kAnyExt, "push", "CS", I64, exec_push_sreg<CS>},
    {Map::One, 0x16, Pfx::Any, kAnyExt, "push", "SS", I64, exec_push_sreg<SS>},
    {Map::One, 0x1E, Pfx::Any, kAnyExt, "push", "DS", I64, exec_push_sreg<DS>},
    {Map::Two, 0xA0, Pfx::Any, kAnyExt, "push", "FS", D64, exec_push_sreg<FS>},
    {Map::Two, 0xA8, Pfx::Any, kAnyExt, "push", "GS", D64, exec_push_sreg<GS>},
    {Map::One, 0x07, Pfx::Any, kAnyExt, "pop", "ES", I64, exec_pop_sreg<ES>},
    {Map::One, 0x17, Pfx::Any, kAnyExt, "pop", "SS", I64, exec_pop_sreg<SS>},
    {Map::One, 0x1F, Pfx::Any, kAnyExt, "pop", "DS", I64, exec_pop_sreg<DS>},
    {Map::Two, 0xA1, Pfx::Any, kAnyExt, "pop", "FS", D64, exec_pop_sreg<FS>},
    {Map::Two, 0xA9, Pfx::Any, kAnyExt, "pop", "GS", D64, exec_pop_sreg<GS>},
    {Map::One, 0x60, Pfx::Any, kAnyExt, "pushal", "", I64, exec_pusha},
    {Map::One, 0x61, Pfx::Any, kAnyExt, "popal", "", I64, exec_popa},
    {Map::One, 0x9C, Pfx::Any, kAnyExt, "pushfq", "", D64, exec_pushf},
    {Map::One, 0x9D, Pfx::Any, kAnyExt, "popfq", "", D64, exec_popf},
    {Map::One, 0xC8, Pfx::Any, kAnyExt, "enter", "Iw,Ib", D64, exec_enter},
    {Map::One, 0xC9, Pfx::Any, kAnyExt, "leave", "", D64, exec_leave},
};

} // namespace

std::span<const OpcodeRow> stack_rows() { return kRows; }

} // namespace hvlab::cpu

// Control transfer: Jcc, JMP, CALL, RET (near and far), LOOP/LOOPE/LOOPNE, JrCXZ, INT n,
// INT3, INTO, INT1, IRET.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A/2B, the instruction pages of each.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"

namespace hvlab::cpu {

namespace {

// The target of a near branch, checked before anything else changes: canonical in 64-bit mode,
// within the CS limit elsewhere, where it also wraps to the operand size.
Fault near_target(Exec& x, uint64_t target, unsigned opsize, uint64_t& out) {
    if (x.is64) {
        if (!is_canonical48(target)) return fault_ec(GP, 0);
        out = target;
        return kNoFault;
    }
    target &= size_mask(opsize == 2 ? 2 : 4);
    if (target > x.s.seg[CS].limit) return fault_ec(GP, 0);
    out = target;
    return kNoFault;
}

Fault exec_jcc(Exec& x, const DecodedInsn& d) {
    if (!condition_true(x, d.opcode & 0xF)) return kNoFault;
    return branch_to(x, x.s.rip + d.imm, d.opsize);
}

Fault exec_jmp_rel(Exec& x, const DecodedInsn& d) {
    return branch_to(x, x.s.rip + d.imm, d.opsize);
}

Fault exec_jmp_rm(Exec& x, const DecodedInsn& d) {
    uint64_t t;
    if (Fault f = read_rm(x, d, d.opsize, t)) return f;
    return branch_to(x, t, d.opsize);
}

Fault call_near(Exec& x, const DecodedInsn& d, uint64_t target) {
    uint64_t t;
    if (Fault f = near_target(x, target, d.opsize, t)) return f;
    if (Fault f = push(x, d.opsize, x.s.rip)) return f;
    x.s.rip = t;
    return kNoFault;
}

Fault exec_call_rel(Exec& x, const DecodedInsn& d) { return call_near(x, d, x.s.rip + d.imm); }

Fault exec_call_rm(Exec& x, const DecodedInsn& d) {
    uint64_t t;
    if (Fault f = read_rm(x, d, d.opsize, t)) return f;
    return call_near(x, d, t);
}

// RET / RET imm16: pop the target, then release imm16 more bytes.
Fault exec_ret(Exec& x, const DecodedInsn& d) {
    uint64_t v, t;
    if (Fault f = peek_stack(x, d.opsize, 0, v)) return f;
    if (Fault f = near_target(x, v, d.opsize, t)) return f;
    const uint16_t release = d.row->op == 0xC2 ? static_cast<uint16_t>(d.imm) : 0;
    set_sp(x, x.s.gpr[RSP] + d.opsize + release);
    x.s.rip = t;
    return kNoFault;
}

// LOOP/LOOPE/LOOPNE: the counter is CX, ECX or RCX by address size (SDM Vol. 2A, LOOP/LOOPcc).
template <int Kind> Fault exec_loop(Exec& x, const DecodedInsn& d) {
    const uint64_t count = (x.s.gpr[RCX] - 1) & size_mask(d.addrsize);
    bool taken = count != 0;
    if (Kind == 1) taken = taken && condition_true(x, 4);  // LOOPE: ZF=1
    if (Kind == 0) taken = taken && condition_true(x, 5);  // LOOPNE: ZF=0
    if (taken) {
        uint64_t t;
        if (Fault f = near_target(x, x.s.rip + d.imm, d.opsize, t)) return f;
        x.s.rip = t;
    }
    set_reg(x, RCX, d.addrsize, count, false);
    return kNoFault;
}

Fault exec_jrcxz(Exec& x, const DecodedInsn& d) {
    if ((x.s.gpr[RCX] & size_mask(d.addrsize)) != 0) return kNoFault;
    return branch_to(x, x.s.rip + d.imm, d.opsize);
}

// Far transfers are the system layer's (descriptor checks, call gates, privilege changes).
Fault exec_jmp_far_ptr(Exec& x, const DecodedInsn& d) {
    auto c = x.sys();
    x.after_system_op();
    return far_jump(c, d.imm2, d.imm, d.opsize);
}

Fault exec_call_far_ptr(Exec& x, const DecodedInsn& d) {
    auto c = x.sys();
    x.after_system_op();
    return far_call(c, d.imm2, d.imm, d.opsize, x.s.rip);
}

// FF /3, FF /5: m16:16, m16:32 or m16:64 (offset first, selector after it).
Fault read_far_pointer(Exec& x, const DecodedInsn& d, uint16_t& sel, uint64_t& off) {
    if (d.mod == 3) return fault(UD);
    const uint64_t ea = effective_address(x, d);
    uint64_t s;
    if (Fault f = read_mem(x, d.seg, ea, d.opsize, off)) return f;
    if (Fault f = read_mem(x, d.seg, (ea + d.opsize) & size_mask(d.addrsize), 2, s)) return f;
    sel = static_cast<uint16_t>(s);
    return kNoFault;
}

Fault exec_jmp_far_mem(Exec& x, const DecodedInsn& d) {
    uint16_t sel;
    uint64_t off;
    if (Fault f = read_far_pointer(x, d, sel, off)) return f;
    auto c = x.sys();
    x.after_system_op();
    return far_jump(c, sel, off, d.opsize);
}

Fault exec_call_far_mem(Exec& x, const DecodedInsn& d) {
    uint16_t sel;
    uint64_t off;
    if (Fault f = read_far_pointer(x, d, sel, off)) return f;
    auto c = x.sys();
    x.after_system_op();
    return far_call(c, sel, off, d.opsize, x.s.rip);
}

Fault exec_ret_far(Exec& x, const DecodedInsn& d) {
    auto c = x.sys();
    x.after_system_op();
    const uint16_t release = d.row->op == 0xCA ? static_cast<uint16_t>(d.imm) : 0;
    return far_return(c, d.opsize, release);
}

Fault exec_iret(Exec& x, const DecodedInsn& d) {
    auto c = x.sys();
    x.after_system_op();
    x.rf_loaded = true; // RF comes from the popped image, not cleared at retirement
    return iret(c, d.opsize);
}

// Software interrupts are delivered here, as traps: the pushed RIP is the next instruction.
// RIP holds the INT instruction during delivery so a fault while delivering reports it.
Fault software_event(Exec& x, EventKind kind, uint8_t vector) {
    const uint64_t next = x.s.rip;
    x.s.rip = x.insn_rip;
    auto c = x.sys();
    x.after_system_op();
    const DeliveryOutcome o = deliver_event(c, kind, vector, false, 0, next);
    if (o == DeliveryOutcome::Shutdown) x.request_shutdown();
    // Delivery through a gate clears TF after saving it: the handler is not traced, and the
    // single-step trap of the INT instruction itself is not taken (it resumes after IRET)
    // (SDM Vol. 3A, "Flag Usage By Exception- or Interrupt-Handler Procedure"; Vol. 3B,
    // "Single-Step Exception Condition").
    if (o == DeliveryOutcome::Delivered) x.tf_active = false;
    // An exit (INT3/INTO/INT1 in the exception bitmap, or one during the delivery) saves the
    // instruction's own RIP, as a fault does: the run loop performs it.
    if (o == DeliveryOutcome::VmExit) return vm_exit_fault();
    return kNoFault;
}

Fault exec_int(Exec& x, const DecodedInsn& d) {
    return software_event(x, EventKind::SoftwareInterrupt, static_cast<uint8_t>(d.imm));
}
Fault exec_int3(Exec& x, const DecodedInsn&) {
    return software_event(x, EventKind::SoftwareException, BP);
}
Fault exec_int1(Exec& x, const DecodedInsn&) {
    return software_event(x, EventKind::PrivSoftwareException, DB);
}
// INTO: #OF only when OF=1 (SDM Vol. 2A, INT n/INTO/INT3/INT1).
Fault exec_into(Exec& x, const DecodedInsn&) {
    if (!(flags(x) & rflags::OF)) return kNoFault;
    return software_event(x, EventKind::SoftwareException, OF);
}

constexpr uint32_t F64 = rowf::Force64, I64 = rowf::Inv64, CC = rowf::PlusCC;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic  operands flags     handler
    {Map::One, 0x70, Pfx::Any, kAnyExt, "jcc", "Jb", CC | F64, exec_jcc},
    {Map::Two, 0x80, Pfx::Any, kAnyExt, "jcc", "Jz", CC | F64, exec_jcc},
    {Map::One, 0xEB, Pfx::Any, kAnyExt, "jmp", "Jb", F64, exec_jmp_rel},
    {Map::One, 0xE9, Pfx::Any, kAnyExt, "jmp", "Jz", F64, exec_jmp_rel},
    {Map::One, 0xFF, Pfx::Any, slash(4), "jmp", "Ev", F64, exec_jmp_rm},
    {Map::One, 0xE8, Pfx::Any, kAnyExt, "call", "Jz", F64, exec_call_rel},
    {Map::One, 0xFF, Pfx::Any, slash(2), "call", "Ev", F64, exec_call_rm},
    {Map::One, 0xC3, Pfx::Any, kAnyExt, "ret", "", F64, exec_ret},
    {Map::One, 0xC2, Pfx::Any, kAnyExt, "ret", "Iw", F64, exec_ret},
    {Map::One, 0xE0, Pfx::Any, kAnyExt, "loopne", "Jb", F64, exec_loop<0>},
    {Map::One, 0xE1, Pfx::Any, kAnyExt, "loope", "Jb", F64, exec_loop<1>},
    {Map::One, 0xE2, Pfx::Any, kAnyExt, "loop", "Jb", F64, exec_loop<2>},
    {Map::One, 0xE3, Pfx::Any, kAnyExt, "jrcxz", "Jb", F64, exec_jrcxz},
    {Map::One, 0xEA, Pfx::Any, kAnyExt, "ljmp", "Ap", I64, exec_jmp_far_ptr},
    {Map::One, 0x9A, Pfx::Any, kAnyExt, "lcall", "Ap", I64, exec_call_far_ptr},
    {Map::One, 0xFF, Pfx::Any, slash_mem(3), "lcall", "Mp", 0, exec_call_far_mem},
    {Map::One, 0xFF, Pfx::Any, slash_mem(5), "ljmp", "Mp", 0, exec_jmp_far_mem},
    {Map::One, 0xCB, Pfx::Any, kAnyExt, "retf", "", 0, exec_ret_far},
    {Map::One, 0xCA, Pfx::Any, kAnyExt, "retf", "Iw", 0, exec_ret_far},
    {Map::One, 0xCF, Pfx::Any, kAnyExt, "iretd", "", 0, exec_iret},
    {Map::One, 0xCC, Pfx::Any, kAnyExt, "int3", "", 0, exec_int3},
    {Map::One, 0xCD, Pfx::Any, kAnyExt, "int", "Ib", 0, exec_int},
    {Map::One, 0xCE, Pfx::Any, kAnyExt, "into", "", I64, exec_into},
    {Map::One, 0xF1, Pfx::Any, kAnyExt, "int1", "", 0, exec_int1},
};

} // namespace

std::span<const OpcodeRow> branch_rows() { return kRows; }

} // namespace hvlab::cpu

// Far JMP, far CALL and far RET in protected and IA-32e mode, directly to code segments and
// through call gates (SDM Vol. 2A, CALL—Call Procedure; JMP—Jump; RET—Return from Procedure;
// Vol. 3A, Calling Privileged Code Segments; Call Gates; 64-Bit Mode Call Gates).
// Intel SDM, Dec 2023 (Order 325462-081).
//
// Task gates and TSS descriptors as far-transfer targets (a task switch) raise #GP(selector):
// hvlab does not implement hardware task switching (it does not exist in IA-32e mode, where
// the SDM makes these #GP too). In VMX non-root operation they are a task-switch VM exit
// (cpu/vmx/task_switch_exit.hpp). Each transfer works on a copy of the state and commits it only
// when every check and stack access has succeeded, so a fault leaves the registers unchanged.
#include "cpu/system/segment_checks.hpp"
#include "cpu/system/stack.hpp"
#include "cpu/vmx/task_switch_exit.hpp"

namespace hvlab::cpu {

using namespace sys;

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

uint64_t size_mask(unsigned size) { return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

// A direct JMP/CALL to a code segment: conforming needs DPL <= CPL; non-conforming needs
// RPL <= CPL and DPL = CPL.
Fault check_direct_code(const CpuState& s, uint16_t sel, const Descriptor& d) {
    const uint32_t err = selector_error(sel);
    if (bad_ia32e_code(s, d)) return fault_ec(GP, err);
    if (d.conforming() ? d.dpl() > s.cpl() : (rpl_of(sel) > s.cpl() || d.dpl() != s.cpl()))
        return fault_ec(GP, err);
    if (!d.present()) return fault_ec(NP, err);
    return kNoFault;
}

// What a far transfer lands in: the code descriptor, its selector, the entry RIP, and, for a
// call gate, the gate's operand size.
struct Target {
    DescriptorFetch code;
    uint16_t sel = 0;
    uint64_t rip = 0;
    bool gate = false;
    unsigned gate_size = 0;
    unsigned gate_params = 0; // legacy call gates: stack parameters to copy
};

bool is_call_gate(const Descriptor& d) {
    return !d.s() && (d.type() == desc_type::kCallGate || d.type() == desc_type::kCallGate16);
}

// Gate checks: DPL >= CPL and DPL >= RPL, present, a 64-bit gate in IA-32e mode; then the
// code segment it names. A CALL may go to a more privileged non-conforming segment, a JMP may
// not (SDM Vol. 3A, Accessing a Code Segment Through a Call Gate).
Fault resolve_gate(SystemContext& c, uint16_t sel, DescriptorFetch g, bool is_call, Target& t) {
    const CpuState& s = c.s;
    const uint32_t err = selector_error(sel);
    if (s.long_mode_active()) {
        if (g.d.type() != desc_type::kCallGate) return fault_ec(GP, err);
        g = fetch_descriptor(c, sel, true);
        if (g.fault) return g.fault;
        if (!g.in_limit || !g.d.wide_type_clear()) return fault_ec(GP, err);
    }
    if (g.d.dpl() < s.cpl() || rpl_of(sel) > g.d.dpl()) return fault_ec(GP, err);
    if (!g.d.present()) return fault_ec(NP, err);
    t.sel = g.d.gate_selector();
    if (is_null_selector(t.sel)) return kGp0;
    const uint32_t cerr = selector_error(t.sel);
    t.code = fetch_descriptor(c, t.sel);
    if (t.code.fault) return t.code.fault;
    const Descriptor& d = t.code.d;
    if (!t.code.in_limit || !d.is_code()) return fault_ec(GP, cerr);
    const bool dpl_ok = (d.conforming() || is_call) ? d.dpl() <= s.cpl() : d.dpl() == s.cpl();
    if (!dpl_ok) return fault_ec(GP, cerr);
    // In IA-32e mode the target must be 64-bit code; checked before presence (SDM Vol. 2A,
    // CALL / JMP, "CALL-GATE": the LMA check precedes "code segment not present -> #NP").
    if (s.long_mode_active() && !d.code64()) return fault_ec(GP, cerr);
    if (!d.present()) return fault_ec(NP, cerr);
    t.gate = true;
    t.gate_params = s.long_mode_active() ? 0 : g.d.gate_params();
    t.gate_size = s.long_mode_active() ? 8 : g.d.type() == desc_type::kCallGate16 ? 2 : 4;
    t.rip = s.long_mode_active() ? g.d.gate_offset_wide()
                                 : g.d.gate_offset() & size_mask(t.gate_size);
    return kNoFault;
}

Fault resolve_target(SystemContext& c, uint16_t sel, uint64_t offset, unsigned opsize,
                     bool is_call, Target& t) {
    if (is_null_selector(sel)) return kGp0;
    const uint32_t err = selector_error(sel);
    DescriptorFetch f = fetch_descriptor(c, sel);
    if (f.fault) return f.fault;
    if (!f.in_limit) return fault_ec(GP, err);
    if (f.d.is_code()) {
        if (Fault x = check_direct_code(c.s, sel, f.d)) return x;
        t.code = f;
        t.sel = sel;
        t.rip = offset & size_mask(opsize);
    } else if (is_call_gate(f.d)) {
        if (Fault x = resolve_gate(c, sel, f, is_call, t)) return x;
    } else if (c.s.vmx.non_root && !c.s.long_mode_active() && vmx::is_task_switch_target(f.d)) {
        // A task switch in VMX non-root operation is a VM exit after its checks.
        return vmx::task_switch_far_transfer(c, sel, f.d, is_call);
    } else {
        return fault_ec(GP, err); // data, LDT, TSS, task gate, interrupt gate
    }
    if (!rip_ok(c.s, t.code.d, t.rip)) return kGp0;
    return kNoFault;
}

Segment code_segment(const Target& t, uint8_t cpl) {
    return make_segment(static_cast<uint16_t>((t.sel & ~3) | cpl), t.code.d);
}

// The stack of privilege level dpl from the current TSS (SDM Vol. 3A, Stack Switching;
// 64-Bit Mode Stack Switching): RSPn in a 64-bit TSS, SSn:ESPn in a 32-bit one, SSn:SPn in a
// 16-bit one. A TSS too short for the field is #TS(TSS selector).
Fault read_tss_stack(SystemContext& c, unsigned dpl, uint32_t ext, uint16_t& ss, uint64_t& rsp) {
    const CpuState& s = c.s;
    // TR always holds a busy TSS: type 3 (16-bit) or 11 (32/64-bit); bit 3 tells them apart.
    const bool tss16 = !s.long_mode_active() && !(s.tr.type() & 8);
    const unsigned width = s.long_mode_active() ? 8 : tss16 ? 2 : 4;
    const uint64_t off = tss16 ? 2 + 4 * dpl : 4 + 8 * dpl;
    const uint64_t last = s.long_mode_active() ? off + 7 : off + 2 * width - 1;
    if (last > s.tr.limit) return fault_ec(TS, selector_error(s.tr.selector, ext));
    rsp = 0;
    ss = 0;
    if (Fault f = read_system(c, system_linear(s, s.tr.base, off), &rsp, width)) return f;
    if (s.long_mode_active()) return kNoFault;
    return read_system(c, system_linear(s, s.tr.base, off + width), &ss, 2);
}

// CALL through a gate to a more privileged level: switch to the TSS stack, push the caller's
// SS:ESP, copy the gate's parameters (legacy gates only), then CS:EIP.
Fault call_inner(SystemContext& c, const Target& t, uint64_t next_rip) {
    const CpuState& s = c.s;
    const uint8_t dpl = t.code.d.dpl();
    const unsigned sz = t.gate_size;
    CpuState n = s;
    n.seg[CS] = code_segment(t, dpl);
    uint16_t ss_sel = 0;
    uint64_t new_rsp = 0;
    if (Fault f = read_tss_stack(c, dpl, 0, ss_sel, new_rsp)) return f;
    StackPointer sp;
    DescriptorFetch ssf;
    if (s.long_mode_active()) {
        if (!is_canonical48(new_rsp)) return fault_ec(SS_, 0);
        n.seg[SS] = null_segment(dpl);
        n.seg[SS].attr |= uint32_t{dpl} << 5;
        sp.flat64 = true;
    } else {
        if (Fault f = check_stack_segment(c, ss_sel, dpl, TS, 0, ssf)) return f;
        if (Fault f = mark_accessed(c, ssf)) return f;
        n.seg[SS] = make_segment(ss_sel, ssf.d);
        sp.ss_error = selector_error(ss_sel);
    }
    sp.ss = n.seg[SS];
    sp.rsp = new_rsp;
    // SDM Vol. 2A, CALL, Operation: "IF stack limit does not allow push of parameters and
    // return address THEN #SS(SS selector)" before the parameters are copied; the frame is
    // then written as one (sys::push_frame), so a fault leaves nothing on the new stack.
    const unsigned params = t.gate_params & 31;
    if (Fault f = frame_room(sp, 4 + params, sz)) return f;
    uint64_t items[4 + 31];
    unsigned count = 0;
    items[count++] = s.seg[SS].selector;
    items[count++] = s.gpr[RSP];
    const StackPointer old = current_stack(s);
    for (unsigned i = params; i-- > 0;) {
        uint64_t param = 0;
        if (Fault f = peek_stack(c, s, old, uint64_t{i} * sz, sz, param)) return f;
        items[count++] = param;
    }
    items[count++] = s.seg[CS].selector;
    items[count++] = next_rip;
    if (Fault f = push_frame(c, n, sp, items, count, sz)) return f;
    n.gpr[RSP] = sp.rsp;
    n.rip = t.rip;
    c.s = n;
    return kNoFault;
}

// A CALL that stays at the current level: push CS and the return address (operand size of
// the instruction, or of the gate).
Fault call_same(SystemContext& c, const Target& t, unsigned size, uint64_t next_rip) {
    CpuState n = c.s;
    StackPointer sp = current_stack(n);
    // SDM Vol. 2A, CALL: "IF stack not large enough for a 6-byte [8-byte] return address THEN
    // #SS(0)": CS and the return address are written as one frame.
    const uint64_t items[2] = {n.seg[CS].selector, next_rip};
    if (Fault f = push_frame(c, n, sp, items, 2, size)) return f;
    n.gpr[RSP] = sp.rsp;
    n.seg[CS] = code_segment(t, c.s.cpl());
    n.rip = t.rip;
    c.s = n;
    return kNoFault;
}

} // namespace

Fault far_jump(SystemContext& c, uint16_t selector, uint64_t offset, unsigned opsize) {
    Target t;
    if (Fault f = resolve_target(c, selector, offset, opsize, false, t)) return f;
    if (Fault f = mark_accessed(c, t.code)) return f;
    c.s.seg[CS] = code_segment(t, c.s.cpl());
    c.s.rip = t.rip;
    return kNoFault;
}

Fault far_call(SystemContext& c, uint16_t selector, uint64_t offset, unsigned opsize,
               uint64_t next_rip) {
    Target t;
    if (Fault f = resolve_target(c, selector, offset, opsize, true, t)) return f;
    if (Fault f = mark_accessed(c, t.code)) return f;
    const bool inner = t.gate && !t.code.d.conforming() && t.code.d.dpl() < c.s.cpl();
    if (inner) return call_inner(c, t, next_rip);
    return call_same(c, t, t.gate ? t.gate_size : opsize, next_rip);
}

namespace sys {

// The CS a RET/IRET returns to: RPL >= CPL; conforming needs DPL <= RPL, non-conforming
// DPL = RPL (SDM Vol. 2B, RET, "RETURN-TO-SAME-PRIVILEGE-LEVEL" and outer level).
Fault check_return_code(SystemContext& c, uint16_t sel, DescriptorFetch& f) {
    if (is_null_selector(sel)) return kGp0;
    const uint32_t err = selector_error(sel);
    f = fetch_descriptor(c, sel);
    if (f.fault) return f.fault;
    if (!f.in_limit || !f.d.is_code() || rpl_of(sel) < c.s.cpl()) return fault_ec(GP, err);
    if (bad_ia32e_code(c.s, f.d)) return fault_ec(GP, err);
    if (f.d.conforming() ? f.d.dpl() > rpl_of(sel) : f.d.dpl() != rpl_of(sel))
        return fault_ec(GP, err);
    if (!f.d.present()) return fault_ec(NP, err);
    return kNoFault;
}

// The SS a return to an outer level (or any IRET in 64-bit mode) pops. A null SS is allowed
// only when returning to 64-bit code at RPL < 3 (SDM Vol. 2A, IRET; Vol. 2B, RET).
Fault check_return_stack(SystemContext& c, uint16_t ss_sel, uint16_t cs_sel,
                         const Descriptor& cs, DescriptorFetch& f, Segment& out) {
    const uint8_t rpl = rpl_of(cs_sel);
    if (is_null_selector(ss_sel)) {
        if (!lands_in_64bit(c.s, cs) || rpl == 3 || rpl_of(ss_sel) != rpl) return kGp0;
        out = null_segment(ss_sel);
        out.attr |= uint32_t{rpl} << 5;
        f = DescriptorFetch{};
        return kNoFault;
    }
    if (Fault x = check_stack_segment(c, ss_sel, rpl, GP, 0, f)) return x;
    out = make_segment(ss_sel, f.d);
    return kNoFault;
}

// The new RSP after a return: 64 bits for 64-bit code, else as wide as the new SS.B says.
uint64_t returned_rsp(const CpuState& old, const Segment& ss, bool to64, uint64_t value) {
    if (to64 || ss.db()) return to64 ? value : value & 0xFFFF'FFFF;
    return (old.gpr[RSP] & ~0xFFFFull) | (value & 0xFFFF);
}

} // namespace sys

Fault far_return(SystemContext& c, unsigned opsize, uint16_t pop_bytes) {
    const CpuState& s = c.s;
    StackPointer sp = current_stack(s);
    uint64_t rip = 0, cs_raw = 0;
    if (Fault f = peek_stack(c, s, sp, 0, opsize, rip)) return f;
    if (Fault f = peek_stack(c, s, sp, opsize, opsize, cs_raw)) return f;
    const auto cs_sel = static_cast<uint16_t>(cs_raw);
    DescriptorFetch cf;
    if (Fault f = check_return_code(c, cs_sel, cf)) return f;
    CpuState n = s;
    const bool outer = rpl_of(cs_sel) > s.cpl();
    if (!rip_ok(s, cf.d, rip)) return kGp0;
    if (!outer) {
        release(sp, 2 * uint64_t{opsize} + pop_bytes);
        n.gpr[RSP] = sp.rsp;
    } else {
        uint64_t new_rsp = 0, ss_raw = 0;
        const uint64_t base = 2 * uint64_t{opsize} + pop_bytes;
        if (Fault f = peek_stack(c, s, sp, base, opsize, new_rsp)) return f;
        if (Fault f = peek_stack(c, s, sp, base + opsize, opsize, ss_raw)) return f;
        DescriptorFetch sf;
        Segment ss;
        if (Fault f = check_return_stack(c, static_cast<uint16_t>(ss_raw), cs_sel, cf.d, sf, ss))
            return f;
        if (sf.in_limit)
            if (Fault f = mark_accessed(c, sf)) return f;
        if (sf.in_limit) ss = make_segment(ss.selector, sf.d);
        n.seg[SS] = ss;
        n.gpr[RSP] = returned_rsp(s, ss, lands_in_64bit(s, cf.d), new_rsp + pop_bytes);
    }
    if (Fault f = mark_accessed(c, cf)) return f;
    n.seg[CS] = make_segment(cs_sel, cf.d);
    n.rip = rip;
    if (outer) null_inaccessible_data_segments(n, rpl_of(cs_sel));
    c.s = n;
    return kNoFault;
}

} // namespace hvlab::cpu

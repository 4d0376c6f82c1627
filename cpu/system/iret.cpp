// IRET/IRETD/IRETQ in protected mode, compatibility mode and 64-bit mode
// (SDM Vol. 2A, IRET/IRETD/IRETQ—Interrupt Return). Intel SDM, Dec 2023 (Order 325462-081).
//
// Not modelled, each a #GP(0) instead of the SDM's behaviour: a nested-task return (NT = 1)
// outside IA-32e mode, which would be a task switch (a VM exit in VMX non-root operation), and
// a return to virtual-8086 mode (VM = 1 in the popped EFLAGS at CPL 0). In IA-32e mode NT = 1
// is #GP(0) by the SDM itself.
#include "cpu/system/segment_checks.hpp"
#include "cpu/system/stack.hpp"
#include "cpu/vmx/nonroot_events.hpp"
#include "cpu/vmx/task_switch_exit.hpp"

namespace hvlab::cpu {

using namespace sys;

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

// Which RFLAGS bits IRET may change at the current CPL and IOPL: IF only if CPL <= IOPL,
// IOPL/VIF/VIP only at CPL 0; a 16-bit IRET changes only FLAGS[15:0].
uint64_t iret_flag_mask(const CpuState& s, unsigned opsize) {
    namespace f = rflags;
    uint64_t m = f::kArith | f::TF | f::DF | f::NT | f::RF | f::AC | f::ID;
    const unsigned iopl = (s.rflags & f::IOPL) >> 12;
    if (s.cpl() <= iopl) m |= f::IF;
    if (s.cpl() == 0) m |= f::IOPL | f::VIF | f::VIP;
    return opsize == 2 ? m & 0xFFFF : m;
}

struct IretFrame {
    uint64_t rip = 0, cs = 0, flags = 0, rsp = 0, ss = 0;
};

Fault pop_frame(SystemContext& c, const StackPointer& sp, unsigned opsize, bool with_stack,
                IretFrame& fr) {
    const CpuState& s = c.s;
    if (Fault f = peek_stack(c, s, sp, 0, opsize, fr.rip)) return f;
    if (Fault f = peek_stack(c, s, sp, opsize, opsize, fr.cs)) return f;
    if (Fault f = peek_stack(c, s, sp, 2 * opsize, opsize, fr.flags)) return f;
    if (!with_stack) return kNoFault;
    if (Fault f = peek_stack(c, s, sp, 3 * opsize, opsize, fr.rsp)) return f;
    return peek_stack(c, s, sp, 4 * opsize, opsize, fr.ss);
}

} // namespace

Fault iret(SystemContext& c, unsigned opsize) {
    // IRET ends NMI blocking even when it faults (SDM Vol. 3A, NMI Handling While Processing
    // an NMI); in VMX non-root operation the NMI controls decide what it unblocks.
    if (c.s.vmx.non_root) vmx::iret_unblocks_nmis(c.s);
    else c.s.nmi_blocked = false;
    const CpuState& s = c.s;
    if (s.rflags & rflags::NT) {
        // A nested-task return outside IA-32e mode is a task switch: a VM exit in VMX
        // non-root operation (cpu/vmx/task_switch_exit.hpp).
        if (s.vmx.non_root && !s.long_mode_active()) return vmx::task_switch_iret(c);
        return kGp0;
    }
    StackPointer sp = current_stack(s);
    IretFrame fr;
    // In 64-bit mode IRET always pops SS:RSP; elsewhere only on a privilege change, which is
    // known once CS is popped (SDM Vol. 2A, IRET, IA-32e-MODE and PROTECTED-MODE-RETURN).
    const bool from64 = s.mode() == CpuMode::Long64;
    if (Fault f = pop_frame(c, sp, opsize, from64, fr)) return f;
    const auto cs_sel = static_cast<uint16_t>(fr.cs);
    if (!s.long_mode_active() && opsize == 4 && (fr.flags & rflags::VM) && s.cpl() == 0)
        return kGp0; // return to virtual-8086 mode: not modelled
    DescriptorFetch cf;
    if (Fault f = check_return_code(c, cs_sel, cf)) return f;
    const bool outer = rpl_of(cs_sel) > s.cpl();
    const bool pops_stack = from64 || outer;
    if (pops_stack && !from64)
        if (Fault f = pop_frame(c, sp, opsize, true, fr)) return f;
    const uint64_t rip = opsize == 2 ? fr.rip & 0xFFFF : opsize == 4 ? fr.rip & 0xFFFF'FFFF : fr.rip;
    if (!rip_ok(s, cf.d, rip)) return kGp0;
    CpuState n = s;
    if (pops_stack) {
        DescriptorFetch sf;
        Segment ss;
        if (Fault f = check_return_stack(c, static_cast<uint16_t>(fr.ss), cs_sel, cf.d, sf, ss))
            return f;
        if (sf.in_limit) {
            if (Fault f = mark_accessed(c, sf)) return f;
            ss = make_segment(ss.selector, sf.d);
        }
        n.seg[SS] = ss;
        n.gpr[RSP] = returned_rsp(s, ss, lands_in_64bit(s, cf.d), fr.rsp);
    } else {
        release(sp, 3 * uint64_t{opsize});
        n.gpr[RSP] = sp.rsp;
    }
    if (Fault f = mark_accessed(c, cf)) return f;
    const uint64_t mask = iret_flag_mask(s, opsize);
    n.rflags = (s.rflags & ~mask) | (fr.flags & mask) | rflags::kFixed1;
    n.seg[CS] = make_segment(cs_sel, cf.d);
    n.rip = rip;
    if (outer) null_inaccessible_data_segments(n, rpl_of(cs_sel));
    c.s = n;
    return kNoFault;
}

} // namespace hvlab::cpu

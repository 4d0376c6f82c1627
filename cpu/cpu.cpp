// The run loop: fetch through the decoded-instruction cache, execute, retire, and deliver
// faults and external events between instructions.
// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/cpu.hpp"

#include "cpu/debug_breakpoints.hpp"
#include "cpu/decode_cache.hpp"
#include "cpu/decoder.hpp"
#include "cpu/exec_context.hpp"
#include "cpu/system.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/nonroot_events.hpp"
#include "cpu/vmx/vm_exit.hpp"

#include <algorithm>

namespace hvlab::cpu {

struct Cpu::Impl {
    Exec x;
    DecodeCache cache;
    DecodedInsn scratch; // an instruction that crosses a page or comes from non-RAM
    CpuMode mode = CpuMode::Real;
    // The page RIP is fetching from: linear page -> host-physical page.
    uint64_t fetch_lpage = ~uint64_t{0};
    uint64_t fetch_ppage = 0;
    uint8_t* fetch_host = nullptr;
    uint64_t cs_base = 0, cs_limit = 0; // CS outside 64-bit mode, for the fetch fast path

    Impl(CpuState& s, LinearMemory& mem, CpuEnv& env, mmu::PhysBus& bus, uint64_t& clock)
        : x{s, mem, env, bus, clock} {}

    // Fetches and decodes the instruction at RIP, through the cache. Returns the decoded form
    // or a fault (#PF on fetch, #GP past the CS limit or beyond 15 bytes, #UD).
    Fault fetch(const DecodedInsn*& out);
    RunResult run_loop(uint64_t max_insns);
    bool before_instruction(RunResult& r);
    int instruction_breakpoint(RunResult& r);
    bool debug_trap(RunResult& r);
    bool debug_exception(RunResult& r, uint64_t bits);
    bool after_instruction(RunResult& r);
    void refresh_attention();
    bool stop_after_event(RunResult& r);
    bool vmx_boundary(RunResult& r);
    Cpu* owner = nullptr;
    uint64_t run_limit = 0; // max_insns of the current run()
};

namespace {

void drop_page_hook(void* cpu, uint64_t page) { static_cast<Cpu*>(cpu)->code_page_written(page); }

} // namespace

Cpu::Cpu(mmu::PhysBus& bus, CpuEnv& env)
    : mem_(bus), impl_(std::make_unique<Impl>(state_, mem_, env, bus, clock_)) {
    impl_->owner = this;
    impl_->x.code_page_written_hook = drop_page_hook;
    impl_->x.hook_arg = this;
}

Cpu::~Cpu() = default;

void Cpu::invalidate_caches() {
    impl_->cache.clear();
    impl_->x.flush_fast();
    impl_->fetch_lpage = ~uint64_t{0};
    impl_->x.after_system_op();
    mem_.flush_all();
}

void Cpu::code_page_written(uint64_t page_number) {
    impl_->cache.drop_page(page_number);
}

namespace {

// Linear address of the next instruction byte; outside 64-bit mode EIP must lie within the CS
// limit (SDM Vol. 3A, "Limit Checking"). In 64-bit mode a fetch from a non-canonical address
// (sequential execution off the end of the lower half, or an instruction straddling it) is
// #GP(0), not a page walk (SDM Vol. 1, "Canonical Addressing").
Fault fetch_linear(Exec& x, uint64_t rip, uint64_t& lin) {
    if (x.is64) {
        if (!is_canonical48(rip)) return fault_ec(GP, 0);
        lin = rip;
        return kNoFault;
    }
    if (rip > x.s.seg[CS].limit) return fault_ec(GP, 0);
    lin = (x.s.seg[CS].base + rip) & 0xFFFFFFFFull;
    return kNoFault;
}

} // namespace

Fault Cpu::Impl::fetch(const DecodedInsn*& out) {
    Impl& m = *this;
    Exec& x = m.x;
    uint64_t lin;
    if (Fault f = fetch_linear(x, x.s.rip, lin)) return f;
    if ((lin >> 12) != m.fetch_lpage) {
        Translation t = x.mem.translate(x.s, Gva(lin), AccessKind::Execute);
        if (t.fault) return t.fault;
        m.fetch_lpage = lin >> 12;
        m.fetch_ppage = t.physical.value >> 12;
        m.fetch_host = t.host ? t.host - (lin & 0xFFF) : nullptr;
        // A page whose code mark was cleared behind our back may hold stale entries.
        if (m.fetch_host && !x.bus.is_code_page(m.fetch_ppage)) m.cache.drop_page(m.fetch_ppage);
    }
    const uint64_t pa = (m.fetch_ppage << 12) | (lin & 0xFFF);
    const uint64_t tag = DecodeCache::tag_of(pa, m.mode);
    DecodeCache::Entry& e = m.cache.slot(pa);
    if (e.tag == tag) {
        out = &e.insn;
        return kNoFault;
    }
    // Miss: gather up to 15 bytes, from the next page only if the instruction needs them.
    uint8_t buf[kMaxInsnLength];
    const unsigned off = lin & 0xFFF;
    const unsigned in_page = std::min<unsigned>(kMaxInsnLength, 0x1000 - off);
    if (m.fetch_host) {
        std::memcpy(buf, m.fetch_host + off, in_page);
    } else {
        for (unsigned i = 0; i < in_page; ++i)
            buf[i] = static_cast<uint8_t>(x.bus.read(Hpa(pa + i), 1));
    }
    e.tag = ~uint64_t{0}; // the slot is rewritten: it no longer holds what its tag says
    DecodedInsn& d = (m.fetch_host && in_page == kMaxInsnLength) ? e.insn : m.scratch;
    auto st = decode(buf, in_page, m.mode, d);
    bool cacheable = m.fetch_host != nullptr;
    if (st == DecodeInfo::Status::Truncated) {
        uint64_t lin2;
        if (Fault f = fetch_linear(x, x.s.rip + in_page, lin2)) return f;
        Translation t2 = x.mem.translate(x.s, Gva(lin2), AccessKind::Execute);
        if (t2.fault) return t2.fault;
        for (unsigned i = in_page; i < kMaxInsnLength; ++i)
            buf[i] = t2.host ? t2.host[i - in_page]
                             : static_cast<uint8_t>(x.bus.read(t2.physical + (i - in_page), 1));
        st = decode(buf, kMaxInsnLength, m.mode, m.scratch);
        out = &m.scratch;
        cacheable = false;
    } else {
        if (&d != &e.insn && st == DecodeInfo::Status::Ok && cacheable) {
            e.insn = d; // short tail of a page, but the instruction fit
        }
        out = cacheable ? &e.insn : &m.scratch;
        // Over 15 bytes with the 16th byte on the next page: fetching that byte comes first,
        // so a fault on that page wins over the #GP(0) for the length (SDM Vol. 3A, "Priority
        // Among Simultaneous Exceptions and Interrupts": code page faults before decode faults).
        if (st == DecodeInfo::Status::TooLong && in_page == kMaxInsnLength &&
            off + kMaxInsnLength == 0x1000) {
            uint64_t lin2;
            if (Fault f = fetch_linear(x, x.s.rip + kMaxInsnLength, lin2)) return f;
            Translation t2 = x.mem.translate(x.s, Gva(lin2), AccessKind::Execute);
            if (t2.fault) return t2.fault;
        }
    }
    switch (st) {
    case DecodeInfo::Status::Ok: break;
    case DecodeInfo::Status::Undefined: return fault(UD);
    default: return fault_ec(GP, 0); // TooLong (SDM Vol. 2A, "Instruction Format")
    }
    // The whole instruction must lie within the CS limit.
    if (!x.is64 && x.s.rip + out->length - 1 > x.s.seg[CS].limit) return fault_ec(GP, 0);
    if (cacheable) {
        if (!x.bus.is_code_page(m.fetch_ppage)) {
            x.bus.mark_code_page(m.fetch_ppage);
            // Stores to this page must now take the slow path that notices code writes.
            x.wfast.flush();
        }
        e.tag = tag;
    }
    return kNoFault;
}

namespace {

// Delivers a fault raised by the instruction at x.insn_rip (RIP is restored to it first, so the
// handler returns to the faulting instruction). Returns false on shutdown.
// In VMX non-root operation the fault may cause a VM exit instead (exception bitmap), and the
// monitor trap flag makes an MTF VM exit pending once the fault has been delivered (SDM Vol.
// 3C, "Monitor Trap Flag"). CR2 is loaded by the delivery of a #PF (SDM Vol. 3A, "Page-Fault
// Exception (#PF)"), not when the #PF exits.
bool deliver_fault(Exec& x, uint64_t clock, const Fault& f) {
    x.materialize_flags();
    x.s.rip = x.insn_rip;
    // "For any fault-class exception except a debug exception generated in response to an
    // instruction breakpoint, the value pushed for RF is 1" (SDM Vol. 3A, "EFLAGS Register"
    // / Vol. 3B, "Debug Exceptions"), so the handler's IRET re-executes the instruction
    // without re-triggering an instruction breakpoint. Delivery clears RF in RFLAGS; a VM
    // exit saves it as 1, as the SDM says for exits caused by a fault.
    x.s.rflags |= rflags::RF;
    SystemContext c{x.s, x.mem, x.env, clock};
    x.after_system_op();
    const DeliveryOutcome o = cpu::deliver_fault(c, f, x.insn_rip);
    x.s.vmx.nmi_unblocked_by_iret = false;
    if (o == DeliveryOutcome::VmExit) {
        vmx::perform_pending_exit(c);
        return x.s.activity != CpuState::Activity::Shutdown;
    }
    if (o == DeliveryOutcome::Delivered && x.s.vmx.non_root && x.s.vmx.proc.monitor_trap_flag())
        x.s.vmx.mtf_pending = true;
    return o == DeliveryOutcome::Delivered;
}

// The instruction at x.insn_rip (or an EPT access it made) causes a VM exit: like a fault, it
// does not retire and RIP is restored to it; then the exit is performed (SDM Vol. 3C, "VM
// Exits"). EPT exits keep their details in LinearMemory, the others in s.vmx.pending_exit.
// Returns false if the exit ended in a VMX abort (shutdown).
bool perform_instruction_vm_exit(Exec& x, uint64_t clock) {
    x.materialize_flags();
    vmx::ExitInfo info;
    if (!x.mem.take_ept_exit(info)) info = x.s.vmx.pending_exit;
    // A task switch by CALL, JMP or IRET is found deep in the system layer, which does not
    // know the instruction's length; RIP still points past the instruction here (SDM Vol.
    // 3C, "VM-Exit Instruction Length").
    if (info.reason == static_cast<uint32_t>(vmx::ExitReason::TaskSwitch) &&
        !info.instruction_length)
        info.instruction_length = static_cast<uint32_t>(x.s.rip - x.insn_rip);
    x.s.rip = x.insn_rip;
    // In the MOV-SS shadow the debug exceptions MOV SS held back (data/I/O breakpoint hits,
    // the single step) become the guest's pending debug exceptions and never reach the host
    // (SDM Vol. 3C, "Saving Non-Register State": bit 12 for a matched enabled breakpoint,
    // bits 3:0 the breakpoints, BS only with RFLAGS.TF = 1).
    constexpr uint64_t kPendingEnabledBreakpoint = 1u << 12;
    uint64_t pending_debug = 0;
    if (x.s.movss_shadow && (x.debug_hits || x.tf_active))
        pending_debug = (x.debug_hits & dr6::kBreakpointBits
                             ? kPendingEnabledBreakpoint | (x.debug_hits & dr6::kBreakpointBits)
                             : 0) |
                        (x.tf_active ? dr6::BS : 0);
    x.debug_hits = 0;
    SystemContext c{x.s, x.mem, x.env, clock};
    x.after_system_op();
    vmx::perform_vm_exit(c, info);
    if (pending_debug) x.s.vmx.vmcs.set(vmx::vmcs::GUEST_PENDING_DBG_EXCEPTIONS, pending_debug);
    return x.s.activity != CpuState::Activity::Shutdown;
}

// NMI, then maskable interrupts, at an instruction boundary (SDM Vol. 3A, "Priority Among
// Simultaneous Exceptions and Interrupts"; "Interrupt Blocking" for the STI/MOV SS shadows).
// Returns +1 if an event was delivered, 0 if none, -1 on shutdown.
int deliver_pending_event(Exec& x, uint64_t clock) {
    CpuState& s = x.s;
    x.materialize_flags();
    SystemContext c{s, x.mem, x.env, clock};
    if (!s.nmi_blocked && !s.movss_shadow && x.env.nmi_pending()) {
        x.env.acknowledge_nmi();
        s.activity = CpuState::Activity::Active;
        x.after_system_op();
        const auto o = deliver_event(c, EventKind::Nmi, NMI, false, 0, s.rip);
        s.nmi_blocked = true;
        return o == DeliveryOutcome::Delivered ? 1 : -1;
    }
    if ((s.rflags & rflags::IF) && !s.sti_shadow && !s.movss_shadow) {
        const int v = x.env.pending_interrupt();
        if (v >= 0) {
            x.env.acknowledge_interrupt(static_cast<uint8_t>(v));
            s.activity = CpuState::Activity::Active;
            x.after_system_op();
            const auto o = deliver_event(c, EventKind::ExternalInterrupt,
                                         static_cast<uint8_t>(v), false, 0, s.rip);
            return o == DeliveryOutcome::Delivered ? 1 : -1;
        }
    }
    return 0;
}

} // namespace

RunResult Cpu::run(uint64_t max_insns) {
    const RunResult r = impl_->run_loop(max_insns);
    impl_->x.materialize_flags(); // the state is visible again outside the interpreter
    return r;
}

// VMX non-root operation at an instruction boundary: the exits and events in priority order
// (cpu/vmx/nonroot_events.hpp), then the HLT state, in which the VMX-preemption timer keeps
// counting: the halted guest skips virtual time up to its deadline within this run's budget
// (the machine bounds the budget by its next timer, so no device event is passed over).
// Returns false if run() must return `r`.
bool Cpu::Impl::vmx_boundary(RunResult& r) {
    CpuState& s = x.s;
    const bool poll = x.poll_events;
    x.poll_events = false;
    x.materialize_flags();
    SystemContext c{s, x.mem, x.env, x.clock};
    switch (vmx::boundary_events(c, poll)) {
    case vmx::BoundaryOutcome::Shutdown:
        s.activity = CpuState::Activity::Shutdown;
        r.reason = StopReason::Shutdown;
        return false;
    case vmx::BoundaryOutcome::Exited:
    case vmx::BoundaryOutcome::Delivered:
        x.after_system_op();
        return before_instruction(r); // at the host or the handler: new mode, maybe more events
    case vmx::BoundaryOutcome::None: break;
    }
    if (s.activity != CpuState::Activity::Hlt) return true;
    x.poll_events = true;
    if (s.vmx.preemption_armed) {
        const uint64_t room = run_limit - r.retired;
        if (s.vmx.preemption_deadline - x.clock <= room) {
            x.clock = s.vmx.preemption_deadline;
            return before_instruction(r);
        }
        x.clock += room;
        r.reason = StopReason::Budget;
        return false;
    }
    r.reason = StopReason::Halted;
    return false;
}

// Work between instructions: re-derive the mode after a system operation, and deliver NMI or
// interrupts when something could have raised one (run() entry, a device access, a system
// operation, a change of IF or of the shadows). Returns false if run() must return `r`.
bool Cpu::Impl::before_instruction(RunResult& r) {
    CpuState& s = x.s;
    if (x.state_changed) {
        x.state_changed = false;
        mode = s.mode();
        x.is64 = mode == CpuMode::Long64;
        x.ac_check = (s.cr0 & cr0::AM) && (s.rflags & rflags::AC) && s.cpl() == 3;
        cs_base = s.seg[CS].base;
        cs_limit = s.seg[CS].limit;
        x.debug_armed = breakpoints_enabled(s);
        x.flush_fast();
        fetch_lpage = ~uint64_t{0};
    }
    if (s.vmx.non_root && (x.poll_events || vmx::boundary_watch(s))) [[unlikely]] {
        if (!vmx_boundary(r)) return false;
    } else if (x.poll_events) {
        x.poll_events = false;
        const int ev = deliver_pending_event(x, x.clock);
        if (ev < 0) {
            s.activity = CpuState::Activity::Shutdown;
            r.reason = StopReason::Shutdown;
            return false;
        }
        if (ev > 0) return before_instruction(r); // at the handler: new mode, maybe more events
        if (s.activity == CpuState::Activity::Hlt) {
            x.poll_events = true;
            r.reason = StopReason::Halted;
            return false;
        }
    }
    x.rf_at_start = s.rflags & rflags::RF;
    if (x.debug_armed && !x.rf_at_start) [[unlikely]] {
        const int bp = instruction_breakpoint(r);
        if (bp < 0) return false;
        if (bp > 0) return before_instruction(r); // at the #DB handler (or the host)
    }
    x.tf_active = s.rflags & rflags::TF;
    refresh_attention();
    return true;
}

// An enabled instruction breakpoint at RIP: a fault-class #DB before the instruction, with
// B0-B3 in DR6 (SDM Vol. 3B, "Instruction-Breakpoint Exception Condition"); RF = 1 in the
// handler's IRET image suppresses it for one instruction.
// Returns +1 if a #DB was delivered or exited, 0 if none, -1 on shutdown.
int Cpu::Impl::instruction_breakpoint(RunResult& r) {
    const CpuState& s = x.s;
    const uint64_t linear = x.is64 ? s.rip : (cs_base + s.rip) & 0xFFFFFFFFull;
    const uint32_t hits = instruction_breakpoint_hits(s, linear);
    if (!hits) return 0;
    return debug_exception(r, hits) ? 1 : -1;
}

// The trap-class #DB after an instruction: single-step (BS) and data or I/O breakpoints
// (B0-B3) as one exception (SDM Vol. 3B, "Debug Exceptions"). The pushed RIP is the next
// instruction. Returns false on shutdown.
bool Cpu::Impl::debug_trap(RunResult& r) {
    const uint64_t bits = x.debug_hits | (x.tf_active ? dr6::BS : 0);
    x.debug_hits = 0;
    return debug_exception(r, bits);
}

// Delivers a #DB at the current RIP with `bits` (DR6 format: breakpoint hits replace B0-B3,
// BS is added). In non-root operation the exception bitmap may turn it into a VM exit whose
// qualification holds the bits, with DR6 unchanged (SDM Vol. 3C, "Exit Qualification for
// Debug Exceptions"). Returns false on shutdown.
bool Cpu::Impl::debug_exception(RunResult& r, uint64_t bits) {
    CpuState& s = x.s;
    x.materialize_flags();
    SystemContext c{s, x.mem, x.env, x.clock};
    x.after_system_op();
    DeliveryOutcome o = DeliveryOutcome::VmExit;
    if (s.vmx.non_root && vmx::event_causes_exit(s, EventKind::Exception, DB, 0)) {
        vmx::request_event_exit(s, EventKind::Exception, DB, false, 0, bits, 0);
    } else {
        if (bits & dr6::kBreakpointBits) s.dr[6] &= ~dr6::kBreakpointBits;
        s.dr[6] |= bits;
        o = deliver_event(c, EventKind::Exception, DB, false, 0, s.rip);
    }
    if (o == DeliveryOutcome::VmExit) vmx::perform_pending_exit(c);
    if (o == DeliveryOutcome::Shutdown || s.activity == CpuState::Activity::Shutdown) {
        s.activity = CpuState::Activity::Shutdown;
        r.reason = StopReason::Shutdown;
        return false;
    }
    return true;
}

// Work after an instruction retired: shutdown, the STI / MOV SS shadows (they cover exactly
// the next instruction: SDM Vol. 3A, "Interrupt Blocking"), the single-step trap, HLT and stop
// requests. Returns false if run() must return `r`.
bool Cpu::Impl::after_instruction(RunResult& r) {
    CpuState& s = x.s;
    s.vmx.nmi_unblocked_by_iret = false;
    // RF is cleared when an instruction completes, unless it loaded RF itself (IRET, or the
    // VM entry that loaded the guest's RFLAGS) (SDM Vol. 3A, "EFLAGS Register").
    if (x.rf_at_start && !x.rf_loaded && !s.vmx.entry_in_progress) s.rflags &= ~rflags::RF;
    x.rf_at_start = x.rf_loaded = false;
    if (x.shutdown) {
        x.shutdown = false;
        s.activity = CpuState::Activity::Shutdown;
        r.reason = StopReason::Shutdown;
        return false;
    }
    if (s.sti_shadow || s.movss_shadow) {
        s.sti_shadow = s.movss_shadow = false;
        x.poll_events = true;
    }
    if (x.inhibit_next) {
        (x.inhibit_is_sti ? s.sti_shadow : s.movss_shadow) = true;
        x.inhibit_next = false;
    }
    if (s.vmx.entry_in_progress) [[unlikely]] {
        // The VMLAUNCH/VMRESUME that entered the guest: the MTF exit comes after the guest's
        // first instruction (SDM Vol. 3C, "Monitor Trap Flag"), and the entry instruction's
        // own single-step trap is not delivered into the guest.
        s.vmx.entry_in_progress = false;
        x.tf_active = false;
    } else if (s.vmx.non_root && s.vmx.proc.monitor_trap_flag()) [[unlikely]] {
        // The MTF VM exit after the instruction, before its single-step trap; after HLT the
        // guest is saved in the HLT state (SDM Vol. 3C, "Monitor Trap Flag").
        if (x.halt) s.activity = CpuState::Activity::Hlt;
        x.halt = false;
        x.materialize_flags();
        SystemContext c{s, x.mem, x.env, x.clock};
        x.after_system_op();
        vmx::mtf_exit(c, x.tf_active);
        x.tf_active = false;
        // Data or I/O breakpoint hits of the instruction become pending debug exceptions
        // of the guest as well (SDM Vol. 3C, "Monitor Trap Flag").
        if (x.debug_hits) {
            const uint64_t pending = s.vmx.vmcs.get(vmx::vmcs::GUEST_PENDING_DBG_EXCEPTIONS);
            s.vmx.vmcs.set(vmx::vmcs::GUEST_PENDING_DBG_EXCEPTIONS, pending | x.debug_hits);
            x.debug_hits = 0;
        }
    }
    // MOV SS and POP SS inhibit debug exceptions until after the next instruction (SDM Vol.
    // 3A, "Interrupt Blocking"): s.movss_shadow is set here only if this instruction was one
    // of them. The single-step trap then comes after the next instruction (TF is still set)
    // and data breakpoint hits are kept for it.
    if ((x.tf_active || x.debug_hits) && !s.movss_shadow) {
        if (!debug_trap(r)) return false;
    }
    if (x.halt) {
        x.halt = false;
        s.activity = CpuState::Activity::Hlt;
        x.poll_events = true; // wakes at once if an interrupt is already pending
    }
    if (x.stop || owner->stop_requested_) {
        x.stop = false;
        owner->stop_requested_ = false;
        r.reason = StopReason::Requested;
        refresh_attention();
        return false;
    }
    refresh_attention();
    return true;
}

// A VM exit or a delivered fault skips after_instruction(); a listener of its event (the
// machine's "stop on the next VM exit / exception") may have asked to stop: honour it here,
// before the next instruction, so the inspector shows the state right after the event.
bool Cpu::Impl::stop_after_event(RunResult& r) {
    if (!owner->stop_requested_) return false;
    owner->stop_requested_ = false;
    r.reason = StopReason::Requested;
    return true;
}

void Cpu::Impl::refresh_attention() {
    const CpuState& s = x.s;
    x.attention = x.state_changed | x.poll_events | x.tf_active | s.sti_shadow | s.movss_shadow |
                  x.inhibit_next | x.halt | x.stop | x.shutdown |
                  x.debug_armed | x.rf_at_start | (x.debug_hits != 0) |
                  (s.vmx.non_root && vmx::boundary_watch(s));
}

RunResult Cpu::Impl::run_loop(uint64_t max_insns) {
    CpuState& s = x.s;
    RunResult r;
    run_limit = max_insns;
    owner->stop_requested_ = false;
    x.poll_events = x.state_changed = x.attention = true;
    if (s.activity == CpuState::Activity::Shutdown) {
        r.reason = StopReason::Shutdown;
        return r;
    }
    while (r.retired < max_insns) {
        if (x.attention && !before_instruction(r)) [[unlikely]]
            return r;
        const uint64_t rip = s.rip;
        x.insn_rip = rip;
        const DecodedInsn* d = nullptr;
        Fault f;
        // Fast path: same page as the last fetch, decoded before (outside 64-bit mode also
        // far enough from the CS limit that no byte of the instruction can cross it).
        if (x.is64) [[likely]] {
            if ((rip >> 12) == fetch_lpage) {
                const uint64_t pa = (fetch_ppage << 12) | (rip & 0xFFF);
                DecodeCache::Entry& e = cache.slot(pa);
                if (e.tag == DecodeCache::tag_of(pa, CpuMode::Long64)) d = &e.insn;
            }
        } else if (rip + kMaxInsnLength - 1 <= cs_limit) {
            const uint64_t lin = (rip + cs_base) & 0xFFFFFFFFull;
            if ((lin >> 12) == fetch_lpage) {
                const uint64_t pa = (fetch_ppage << 12) | (lin & 0xFFF);
                DecodeCache::Entry& e = cache.slot(pa);
                if (e.tag == DecodeCache::tag_of(pa, mode)) d = &e.insn;
            }
        }
        if (!d) f = fetch(d);
        if (!f) {
            s.rip = rip + d->length;
            f = d->handler(x, *d);
        }
        if (f) [[unlikely]] {
            if (is_vm_exit(f)) {
                // A VM exit counts as one step of virtual time and of the budget, so that
                // step() stops at the host RIP and a guest that exits on every instruction
                // still advances the clock (timers, preemption timer).
                const bool ok = perform_instruction_vm_exit(x, x.clock);
                ++r.retired;
                ++x.clock;
                if (!ok) {
                    r.reason = StopReason::Shutdown;
                    return r;
                }
                if (stop_after_event(r)) return r;
                continue;
            }
            if (!deliver_fault(x, x.clock, f)) {
                s.activity = CpuState::Activity::Shutdown;
                r.reason = StopReason::Shutdown;
                return r;
            }
            if (stop_after_event(r)) return r;
            continue;
        }
        ++r.retired;
        ++x.clock;
        if (!x.is64) s.rip &= 0xFFFFFFFFull; // EIP wraps outside 64-bit mode
        if (x.attention && !after_instruction(r)) [[unlikely]]
            return r;
    }
    r.reason = StopReason::Budget;
    return r;
}

} // namespace hvlab::cpu

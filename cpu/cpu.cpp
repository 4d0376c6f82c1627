// The run loop: fetch through the decoded-instruction cache, execute, retire, and deliver
// faults and external events between instructions.
// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/cpu.hpp"

#include "cpu/decode_cache.hpp"
#include "cpu/decoder.hpp"
#include "cpu/exec_context.hpp"
#include "cpu/system.hpp"

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

    Impl(CpuState& s, LinearMemory& mem, CpuEnv& env, mmu::PhysBus& bus, uint64_t& clock)
        : x{s, mem, env, bus, clock} {}

    // Fetches and decodes the instruction at RIP, through the cache. Returns the decoded form
    // or a fault (#PF on fetch, #GP past the CS limit or beyond 15 bytes, #UD).
    Fault fetch(const DecodedInsn*& out);
};

namespace {

void drop_page_hook(void* cpu, uint64_t page) { static_cast<Cpu*>(cpu)->code_page_written(page); }

} // namespace

Cpu::Cpu(mmu::PhysBus& bus, CpuEnv& env)
    : mem_(bus), env_(env), impl_(std::make_unique<Impl>(state_, mem_, env, bus, clock_)) {
    impl_->x.code_page_written_hook = drop_page_hook;
    impl_->x.hook_arg = this;
}

Cpu::~Cpu() = default;

void Cpu::invalidate_caches() {
    impl_->cache.clear();
    impl_->x.flush_fast();
    impl_->fetch_lpage = ~uint64_t{0};
    impl_->x.state_changed = true;
    impl_->x.poll_events = true;
    mem_.flush_all();
}

void Cpu::code_page_written(uint64_t page_number) {
    impl_->cache.drop_page(page_number);
}

namespace {

// Linear address of the next instruction byte; outside 64-bit mode EIP must lie within the CS
// limit (SDM Vol. 3A, "Limit Checking").
Fault fetch_linear(Exec& x, uint64_t rip, uint64_t& lin) {
    if (x.is64) {
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
            for (auto& w : x.wfast) w = Exec::PageEntry{};
        }
        e.tag = tag;
    }
    return kNoFault;
}

namespace {

// Delivers a fault raised by the instruction at x.insn_rip (RIP is restored to it first, so the
// handler returns to the faulting instruction). Returns false on shutdown.
bool deliver_fault(Exec& x, uint64_t clock, const Fault& f) {
    x.s.rip = x.insn_rip;
    if (f.vector == PF) x.s.cr2 = f.cr2; // SDM Vol. 3A, "Page-Fault Exception (#PF)"
    SystemContext c{x.s, x.mem, x.env, clock};
    x.after_system_op();
    return deliver_event(c, EventKind::Exception, f.vector, f.has_error_code, f.error_code,
                         x.insn_rip) == DeliveryOutcome::Delivered;
}

// NMI, then maskable interrupts, at an instruction boundary (SDM Vol. 3A, "Priority Among
// Simultaneous Exceptions and Interrupts"; "Interrupt Blocking" for the STI/MOV SS shadows).
// Returns +1 if an event was delivered, 0 if none, -1 on shutdown.
int deliver_pending_event(Exec& x, uint64_t clock) {
    CpuState& s = x.s;
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
    Impl& m = *impl_;
    Exec& x = m.x;
    RunResult r;
    stop_requested_ = false;
    x.poll_events = true;
    x.state_changed = true;
    if (state_.activity == CpuState::Activity::Shutdown) {
        r.reason = StopReason::Shutdown;
        return r;
    }
    while (r.retired < max_insns) {
        if (x.state_changed) {
            x.state_changed = false;
            m.mode = state_.mode();
            x.is64 = m.mode == CpuMode::Long64;
            x.flush_fast();
            m.fetch_lpage = ~uint64_t{0};
        }
        if (x.poll_events) {
            // Events are polled only when something could have raised one: run() entry, a
            // device access, a system operation, or a change of IF or the shadows.
            x.poll_events = state_.sti_shadow || state_.movss_shadow;
            const int ev = deliver_pending_event(x, clock_);
            if (ev < 0) {
                state_.activity = CpuState::Activity::Shutdown;
                r.reason = StopReason::Shutdown;
                return r;
            }
            if (ev > 0) continue; // re-derive the mode at the handler
            if (state_.activity == CpuState::Activity::Hlt) {
                x.poll_events = true;
                r.reason = StopReason::Halted;
                return r;
            }
        }
        x.insn_rip = state_.rip;
        const DecodedInsn* d;
        const uint64_t tf = state_.rflags & rflags::TF;
        Fault f = m.fetch(d);
        if (!f) {
            state_.rip = x.insn_rip + d->length;
            f = d->handler(x, *d);
        }
        if (f) [[unlikely]] {
            if (!deliver_fault(x, clock_, f)) {
                state_.activity = CpuState::Activity::Shutdown;
                r.reason = StopReason::Shutdown;
                return r;
            }
            continue;
        }
        ++r.retired;
        ++clock_;
        if (!x.is64) state_.rip &= 0xFFFFFFFFull; // EIP wraps outside 64-bit mode
        if (x.inhibit_next | state_.sti_shadow | state_.movss_shadow | x.halt | x.stop |
            x.shutdown | stop_requested_ | (tf != 0)) [[unlikely]] {
            if (x.shutdown) {
                x.shutdown = false;
                state_.activity = CpuState::Activity::Shutdown;
                r.reason = StopReason::Shutdown;
                return r;
            }
            // The STI / MOV SS shadow covers exactly the next instruction (SDM Vol. 3A,
            // "Interrupt Blocking").
            state_.sti_shadow = state_.movss_shadow = false;
            if (x.inhibit_next) {
                (x.inhibit_is_sti ? state_.sti_shadow : state_.movss_shadow) = true;
                x.inhibit_next = false;
                x.poll_events = true;
            }
            if (tf) {
                // Single-step trap after the instruction (SDM Vol. 3A, "Single-Step Exception
                // Condition").
                state_.dr[6] |= 1u << 14; // DR6.BS
                SystemContext c{state_, mem_, env_, clock_};
                x.after_system_op();
                if (deliver_event(c, EventKind::Exception, DB, false, 0, state_.rip) !=
                    DeliveryOutcome::Delivered) {
                    state_.activity = CpuState::Activity::Shutdown;
                    r.reason = StopReason::Shutdown;
                    return r;
                }
            }
            if (x.halt) {
                x.halt = false;
                state_.activity = CpuState::Activity::Hlt;
                x.poll_events = true;
                // Wake at once if an interrupt is already pending.
                continue;
            }
            if (x.stop || stop_requested_) {
                x.stop = false;
                stop_requested_ = false;
                r.reason = StopReason::Requested;
                return r;
            }
        }
    }
    r.reason = StopReason::Budget;
    return r;
}

} // namespace hvlab::cpu

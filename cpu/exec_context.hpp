// What every instruction handler works on: the architectural state, linear memory, the
// machine's CpuEnv, and the interpreter's per-page fast paths. Plus the small helpers that
// handlers share: registers by operand size, effective addresses, segmented memory access,
// the stack. Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "common/bits.hpp"
#include "cpu/cpu_env.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/debug_breakpoints.hpp"
#include "cpu/decoded_insn.hpp"
#include "cpu/fault.hpp"
#include "cpu/flags.hpp"
#include "cpu/linear_memory.hpp"
#include "cpu/system.hpp"
#include "mmu/phys_bus.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace hvlab::cpu {

class Cpu;

// Lazy arithmetic flags: the hot ALU handlers record their operands and result instead of
// computing CF PF AF ZF SF OF; the flags are computed when something reads them. While `op` is
// not None the six arithmetic bits of CpuState::rflags are stale; every other bit is always
// current. Readers use flags(x) / carry_flag(x) / condition_true(x, cc); x.sys() and the run
// loop materialize before anything outside the interpreter can see the state.
enum class LazyOp : uint8_t { None, Add, Sub, Logic, Inc, Dec, Mul };
struct LazyFlags {
    uint64_t a = 0, b = 0, r = 0; // Inc/Dec: b is the preserved CF; Mul: b is the overflow
    LazyOp op = LazyOp::None;
    uint8_t size = 8;
};

struct Exec {
    Exec(CpuState& st, LinearMemory& m, CpuEnv& e, mmu::PhysBus& b, uint64_t& c)
        : s(st), mem(m), env(e), bus(b), clock(c) {}

    CpuState& s;
    LinearMemory& mem;
    CpuEnv& env;
    mmu::PhysBus& bus;
    uint64_t& clock;

    bool is64 = false;       // CpuMode::Long64 (cached by the run loop)
    bool ac_check = false;   // CR0.AM, RFLAGS.AC and CPL 3: misaligned data accesses are #AC
    uint64_t insn_rip = 0;   // RIP of the instruction being executed
    // Anything below needs the run loop's attention: it then checks each of them. Handlers set
    // them through the methods further down, which also set `attention`.
    bool attention = true;
    // The run loop re-derives the mode, flushes the fast paths and polls CpuEnv for events.
    bool state_changed = true;
    bool poll_events = true; // poll CpuEnv for NMI/interrupts after this instruction
    bool halt = false;       // HLT executed
    bool stop = false;       // end the run after this instruction
    bool shutdown = false;   // event delivery by this instruction ended in shutdown
    bool inhibit_next = false; // STI / MOV SS / POP SS: set the matching shadow after retiring
    bool inhibit_is_sti = false;
    bool tf_active = false;  // RFLAGS.TF at the start of this instruction: #DB after it
    // Debug registers (SDM Vol. 3B, "Debug Exceptions"): while DR7 enables a breakpoint,
    // fetches are checked before each instruction and data/I/O accesses take the slow path,
    // which records the B0-B3 bits they hit for a #DB trap after the instruction.
    bool debug_armed = false;
    uint32_t debug_hits = 0;
    // RFLAGS.RF when the instruction began: it suppresses instruction breakpoints for that
    // instruction and is cleared when it retires, unless the instruction loaded RF itself
    // (IRET, VM entry) (SDM Vol. 3B, "Debug Control Register (DR7)" / EFLAGS RF).
    bool rf_at_start = false;
    bool rf_loaded = false;

    // Fast path: linear page -> host pointer, for pages already translated for that access
    // kind at the current paging state and CPL. Flushed whenever state_changed is set. An
    // entry's tag is the linear page address ORed with the table's generation (1..0xFFF), so a
    // flush is one increment; tag 0 never matches.
    struct PageEntry {
        uint64_t tag = 0;
        uint8_t* host = nullptr; // host address of the page's first byte
    };
    struct FastPages {
        static constexpr unsigned kEntries = 4096;
        std::array<PageEntry, kEntries> e{};
        uint64_t gen = 1;

        uint64_t tag_of(uint64_t linear) const { return (linear & ~uint64_t{0xFFF}) | gen; }
        const PageEntry& slot(uint64_t linear) const { return e[(linear >> 12) % kEntries]; }
        bool hit(uint64_t linear) const { return slot(linear).tag == tag_of(linear); }
        void fill(uint64_t linear, uint8_t* page_host) {
            e[(linear >> 12) % kEntries] = {tag_of(linear), page_host};
        }
        void flush() {
            gen = (gen + 1) & 0xFFF;
            if (gen == 0) {
                for (auto& x : e) x = PageEntry{};
                gen = 1;
            }
        }
    };
    FastPages rfast, wfast;
    // Called when a page becomes a code page: stores to it must take the slow path.
    void (*code_page_written_hook)(void* cpu, uint64_t page) = nullptr;
    void* hook_arg = nullptr;

    LazyFlags lf;

    // Context for a system operation; the state it sees has its flags computed.
    SystemContext sys() {
        materialize_flags();
        return SystemContext{s, mem, env, clock};
    }
    void materialize_flags() {
        if (lf.op == LazyOp::None) return;
        uint64_t f = 0;
        switch (lf.op) {
        case LazyOp::None: break;
        case LazyOp::Add: f = add_flags(lf.a, lf.b, lf.r, false, lf.size); break;
        case LazyOp::Sub: f = sub_flags(lf.a, lf.b, lf.r, false, lf.size); break;
        case LazyOp::Logic: f = logic_flags(lf.r, lf.size); break;
        case LazyOp::Inc:
            f = (add_flags(lf.a, 1, lf.r, false, lf.size) & ~rflags::CF) | (lf.b ? rflags::CF : 0);
            break;
        case LazyOp::Dec:
            f = (sub_flags(lf.a, 1, lf.r, false, lf.size) & ~rflags::CF) | (lf.b ? rflags::CF : 0);
            break;
        case LazyOp::Mul:
            f = szp_flags(lf.r, lf.size) | (lf.b ? rflags::CF | rflags::OF : 0);
            break;
        }
        put_arith_flags(s.rflags, f);
        lf.op = LazyOp::None;
    }
    void flush_fast() {
        rfast.flush();
        wfast.flush();
    }
    // A system operation may have changed CPL, mode, paging or segments.
    void after_system_op() { state_changed = poll_events = attention = true; }
    // An I/O access to `port` happened: record the I/O breakpoints it hits.
    void note_io_access(uint16_t port, unsigned size) {
        if (debug_armed) debug_hits |= io_breakpoint_hits(s, port, size);
    }
    // A device was accessed or IF changed: look for NMI/interrupts before the next instruction.
    void request_event_poll() { poll_events = attention = true; }
    // STI / MOV SS / POP SS: block events until after the next instruction.
    void inhibit_events(bool by_sti) {
        inhibit_next = attention = true;
        inhibit_is_sti = by_sti;
    }
    void request_halt() { halt = attention = true; }
    void request_shutdown() { shutdown = attention = true; }
};

// --- flags --------------------------------------------------------------------------------

// RFLAGS with current arithmetic flags (for reading or modifying them in place).
inline uint64_t& flags(Exec& x) {
    x.materialize_flags();
    return x.s.rflags;
}

inline void set_flags_lazy(Exec& x, LazyOp op, uint64_t a, uint64_t b, uint64_t r, unsigned size) {
    x.lf.a = a, x.lf.b = b, x.lf.r = r, x.lf.op = op, x.lf.size = static_cast<uint8_t>(size);
}

// Replace all six arithmetic flags with already computed values.
inline void set_arith_flags(Exec& x, uint64_t f) {
    x.lf.op = LazyOp::None;
    put_arith_flags(x.s.rflags, f);
}

inline bool carry_flag(Exec& x) {
    const LazyFlags& l = x.lf;
    const uint64_t m = size_mask(l.size);
    switch (l.op) {
    case LazyOp::None: return x.s.rflags & rflags::CF;
    case LazyOp::Add: return (l.r & m) < (l.a & m);
    case LazyOp::Sub: return (l.a & m) < (l.b & m);
    case LazyOp::Logic: return false;
    case LazyOp::Inc:
    case LazyOp::Dec:
    case LazyOp::Mul: return l.b != 0;
    }
    return false;
}

// Condition code cc (Jcc/SETcc/CMOVcc). ZF/NZ need no materialization.
inline bool condition_true(Exec& x, unsigned cc) {
    if ((cc & 0xE) == 4 && x.lf.op != LazyOp::None)
        return ((x.lf.r & size_mask(x.lf.size)) == 0) != bool(cc & 1);
    return condition(flags(x), cc);
}

// --- registers ------------------------------------------------------------------------------

// Byte registers 4..7 are AH, CH, DH, BH without REX and SPL, BPL, SIL, DIL with it
// (SDM Vol. 1, "General-Purpose Registers in 64-Bit Mode").
inline uint64_t get_reg(const Exec& x, unsigned n, unsigned size, bool rex) {
    const uint64_t v = x.s.gpr[n & 15];
    switch (size) {
    case 1:
        if (!rex && n >= 4 && n < 8) return (x.s.gpr[n - 4] >> 8) & 0xFF;
        return v & 0xFF;
    case 2: return v & 0xFFFF;
    case 4: return v & 0xFFFFFFFF;
    default: return v;
    }
}

// 32-bit writes zero-extend to 64 bits; 8- and 16-bit writes keep the other bits
// (SDM Vol. 1, "General-Purpose Registers in 64-Bit Mode").
inline void set_reg(Exec& x, unsigned n, unsigned size, uint64_t v, bool rex) {
    uint64_t& r = x.s.gpr[n & 15];
    switch (size) {
    case 1:
        if (!rex && n >= 4 && n < 8) {
            uint64_t& h = x.s.gpr[n - 4];
            h = (h & ~uint64_t{0xFF00}) | ((v & 0xFF) << 8);
        } else {
            r = (r & ~uint64_t{0xFF}) | (v & 0xFF);
        }
        break;
    case 2: r = (r & ~uint64_t{0xFFFF}) | (v & 0xFFFF); break;
    case 4: r = v & 0xFFFFFFFF; break;
    default: r = v; break;
    }
}

inline uint64_t get_reg(const Exec& x, const DecodedInsn& d, unsigned n, unsigned size) {
    return get_reg(x, n, size, d.rex != 0);
}
inline void set_reg(Exec& x, const DecodedInsn& d, unsigned n, unsigned size, uint64_t v) {
    set_reg(x, n, size, v, d.rex != 0);
}

// --- addresses ------------------------------------------------------------------------------

// Effective address (offset within the segment), wrapped to the address size
// (SDM Vol. 1, "Specifying an Offset"). RIP-relative uses the next instruction's RIP.
inline uint64_t effective_address(const Exec& x, const DecodedInsn& d) {
    uint64_t a = static_cast<uint64_t>(d.disp);
    if (d.base != kNoReg) a += d.base == kRipBase ? x.s.rip : x.s.gpr[d.base];
    if (d.index != kNoReg) a += x.s.gpr[d.index] << d.scale;
    return a & size_mask(d.addrsize);
}

// Segmentation: offset -> linear address with the limit/type/canonical checks
// (memory_access.cpp). kind: Read, Write or Execute.
Fault segment_linear_slow(Exec& x, unsigned seg, uint64_t offset, unsigned size, AccessKind kind,
                          uint64_t& linear);

inline Fault segment_linear(Exec& x, unsigned seg, uint64_t offset, unsigned size,
                            AccessKind kind, uint64_t& linear) {
    if (x.is64 && seg < FS && !x.ac_check) {
        // 64-bit mode: ES/CS/SS/DS have base 0 and no limit; a non-canonical address faults
        // with #SS(0) for stack references, else #GP(0)
        // (SDM Vol. 3A, "Segmentation in IA-32e Mode"; Vol. 1, "Canonical Addressing").
        if (is_canonical48(offset) && is_canonical48(offset + size - 1)) {
            linear = offset;
            return kNoFault;
        }
    }
    return segment_linear_slow(x, seg, offset, size, kind, linear);
}

// --- linear memory --------------------------------------------------------------------------

// memcpy with a size known only at run time, without a call or REP MOVS for the common sizes.
inline void copy_small(void* dst, const void* src, unsigned size) {
    switch (size) {
    case 1: std::memcpy(dst, src, 1); break;
    case 2: std::memcpy(dst, src, 2); break;
    case 4: std::memcpy(dst, src, 4); break;
    case 8: std::memcpy(dst, src, 8); break;
    default: std::memcpy(dst, src, size); break;
    }
}

Fault read_linear_slow(Exec& x, uint64_t linear, void* dst, unsigned size);
Fault write_linear_slow(Exec& x, uint64_t linear, const void* src, unsigned size);
Fault read_linear_rmw_slow(Exec& x, uint64_t linear, void* dst, unsigned size);

inline Fault read_linear(Exec& x, uint64_t linear, void* dst, unsigned size) {
    const auto& e = x.rfast.slot(linear);
    if (e.tag == x.rfast.tag_of(linear) && (linear & 0xFFF) + size <= 0x1000) {
        copy_small(dst, e.host + (linear & 0xFFF), size);
        return kNoFault;
    }
    return read_linear_slow(x, linear, dst, size);
}

inline Fault write_linear(Exec& x, uint64_t linear, const void* src, unsigned size) {
    const auto& e = x.wfast.slot(linear);
    if (e.tag == x.wfast.tag_of(linear) && (linear & 0xFFF) + size <= 0x1000) {
        copy_small(e.host + (linear & 0xFFF), src, size);
        return kNoFault;
    }
    return write_linear_slow(x, linear, src, size);
}

// Host pointer to the byte at `linear` for a bulk access of plain RAM within one page, or
// nullptr when the slow path must be taken (fault, MMIO, or a code page for writes). Never
// raises a fault: the caller falls back to element-wise accesses, which report it.
uint8_t* host_for_bulk(Exec& x, uint64_t linear, AccessKind kind);

// Checks that a write of `size` bytes at seg:offset would succeed (segment and paging),
// without writing. For instructions that must fault before changing anything.
Fault probe_write(Exec& x, unsigned seg, uint64_t offset, unsigned size);

// --- segmented memory -----------------------------------------------------------------------

// Reads 1, 2, 4 or 8 bytes, zero-extended into v.
inline Fault read_mem(Exec& x, unsigned seg, uint64_t offset, unsigned size, uint64_t& v) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Read, lin)) return f;
    v = 0;
    return read_linear(x, lin, &v, size);
}

inline Fault write_mem(Exec& x, unsigned seg, uint64_t offset, unsigned size, uint64_t v) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Write, lin)) return f;
    return write_linear(x, lin, &v, size);
}

// The read of a read-modify-write destination (ADD m, r; XCHG; CMPXCHG; shifts; BTS...): the
// access is checked as a write before anything is read, so a not-present, read-only or
// supervisor page faults with W/R = 1, and an EPT violation reports a data write. The W/R flag
// "describes the access causing the page-fault exception" (SDM Vol. 3A, 4.7 "Page-Fault
// Exceptions"), and a read-modify-write is one write access on Intel processors (Bochs models
// it the same way; QEMU's TCG reads first and reports W/R = 0). `size` is 1 to 16 bytes.
inline Fault read_mem_rmw(Exec& x, unsigned seg, uint64_t offset, void* dst, unsigned size) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Write, lin)) return f;
    const auto& e = x.wfast.slot(lin);
    if (e.tag == x.wfast.tag_of(lin) && (lin & 0xFFF) + size <= 0x1000) {
        copy_small(dst, e.host + (lin & 0xFFF), size);
        return kNoFault;
    }
    return read_linear_rmw_slow(x, lin, dst, size);
}
inline Fault read_mem_rmw(Exec& x, unsigned seg, uint64_t offset, unsigned size, uint64_t& v) {
    v = 0;
    return read_mem_rmw(x, seg, offset, &v, size);
}

// Any size up to 16 bytes (m128, m80, pseudo-descriptors).
inline Fault read_mem_bytes(Exec& x, unsigned seg, uint64_t offset, void* dst, unsigned size) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Read, lin)) return f;
    return read_linear(x, lin, dst, size);
}
inline Fault write_mem_bytes(Exec& x, unsigned seg, uint64_t offset, const void* src,
                             unsigned size) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Write, lin)) return f;
    return write_linear(x, lin, src, size);
}

// --- ModRM operands -------------------------------------------------------------------------

inline Fault read_rm(Exec& x, const DecodedInsn& d, unsigned size, uint64_t& v) {
    if (d.mod == 3) {
        v = get_reg(x, d, d.rm, size);
        return kNoFault;
    }
    return read_mem(x, d.seg, effective_address(x, d), size, v);
}

inline Fault write_rm(Exec& x, const DecodedInsn& d, unsigned size, uint64_t v) {
    if (d.mod == 3) {
        set_reg(x, d, d.rm, size, v);
        return kNoFault;
    }
    return write_mem(x, d.seg, effective_address(x, d), size, v);
}

// --- stack ----------------------------------------------------------------------------------

// Stack address size: 64 in 64-bit mode, else SS.B (SDM Vol. 1, "Address-Size Attributes for
// Stack Accesses").
inline unsigned stack_addr_size(const Exec& x) {
    if (x.is64) return 8;
    return x.s.seg[SS].db() ? 4 : 2;
}

// RSP updated with only the stack-address-size bits changing.
inline void set_sp(Exec& x, uint64_t v) {
    const unsigned as = stack_addr_size(x);
    set_reg(x, RSP, as, v, true);
}

inline Fault push(Exec& x, unsigned size, uint64_t v) {
    const unsigned as = stack_addr_size(x);
    const uint64_t sp = (x.s.gpr[RSP] - size) & size_mask(as);
    if (Fault f = write_mem(x, SS, sp, size, v)) return f;
    set_sp(x, sp);
    return kNoFault;
}

// Reads the top of stack at `depth` bytes above RSP without popping.
inline Fault peek_stack(Exec& x, unsigned size, uint64_t depth, uint64_t& v) {
    const unsigned as = stack_addr_size(x);
    return read_mem(x, SS, (x.s.gpr[RSP] + depth) & size_mask(as), size, v);
}

inline Fault pop(Exec& x, unsigned size, uint64_t& v) {
    if (Fault f = peek_stack(x, size, 0, v)) return f;
    set_sp(x, x.s.gpr[RSP] + size);
    return kNoFault;
}

// --- control transfer -----------------------------------------------------------------------

// A near branch target: wrapped to the operand size outside 64-bit mode; in 64-bit mode it must
// be canonical, and the CS limit applies elsewhere (SDM Vol. 2A, JMP, "Near jump").
Fault branch_to(Exec& x, uint64_t target, unsigned opsize);

} // namespace hvlab::cpu

// String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE, DF and the
// address-size rules. A REP instruction runs up to kRepChunk elements per retirement and then
// re-executes itself, so a huge count cannot hold the run loop (the registers always show the
// progress, as after an interrupted REP on hardware).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2B, "REP/REPE/REPZ/REPNE/REPNZ" and the pages of
// each string instruction.
#include "cpu/exec_context.hpp"
#include "cpu/opcode_row.hpp"
#include "cpu/vmx/nonroot_exits.hpp"

#include <algorithm>
#include <cstring>

namespace hvlab::cpu {

namespace {

constexpr uint64_t kRepChunk = 4096;

enum class Str : uint8_t { Movs, Cmps, Stos, Lods, Scas, Ins, Outs };

// rSI/rDI/rCX of the address size.
uint64_t areg(const Exec& x, const DecodedInsn& d, unsigned r) {
    return x.s.gpr[r] & size_mask(d.addrsize);
}
void set_areg(Exec& x, const DecodedInsn& d, unsigned r, uint64_t v) {
    set_reg(x, r, d.addrsize, v, true);
}

// One element. The source segment may be overridden; ES:rDI may not.
template <Str Op> Fault element(Exec& x, const DecodedInsn& d) {
    // INS/OUTS move at most 32 bits (REX.W does not widen them).
    const unsigned n = (Op == Str::Ins || Op == Str::Outs) && d.opsize == 8 ? 4 : d.opsize;
    const int64_t step = (x.s.rflags & rflags::DF) ? -int64_t(n) : int64_t(n);
    uint64_t v = 0;
    if constexpr (Op == Str::Movs) {
        if (Fault f = read_mem(x, d.seg, areg(x, d, RSI), n, v)) return f;
        if (Fault f = write_mem(x, ES, areg(x, d, RDI), n, v)) return f;
    } else if constexpr (Op == Str::Stos) {
        if (Fault f = write_mem(x, ES, areg(x, d, RDI), n, get_reg(x, RAX, n, false))) return f;
    } else if constexpr (Op == Str::Lods) {
        if (Fault f = read_mem(x, d.seg, areg(x, d, RSI), n, v)) return f;
        set_reg(x, RAX, n, v, false);
    } else if constexpr (Op == Str::Cmps) {
        uint64_t b;
        if (Fault f = read_mem(x, d.seg, areg(x, d, RSI), n, v)) return f;
        if (Fault f = read_mem(x, ES, areg(x, d, RDI), n, b)) return f;
        set_flags_lazy(x, LazyOp::Sub, v, b, (v - b) & size_mask(n), n);
    } else if constexpr (Op == Str::Scas) {
        uint64_t b;
        if (Fault f = read_mem(x, ES, areg(x, d, RDI), n, b)) return f;
        const uint64_t a = get_reg(x, RAX, n, false);
        set_flags_lazy(x, LazyOp::Sub, a, b, (a - b) & size_mask(n), n);
    } else if constexpr (Op == Str::Ins) {
        // The store is checked before the port is read: a port read may have side effects.
        const uint16_t port = static_cast<uint16_t>(x.s.gpr[RDX]);
        auto c = x.sys();
        if (Fault f = check_io_permission(c, port, n)) return f;
        if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_io(x, d, port, n, true, true, false)) return f;
        if (Fault f = probe_write(x, ES, areg(x, d, RDI), n)) return f;
        v = x.env.port_in(port, n);
        x.note_io_access(port, n);
        x.request_event_poll();
        if (Fault f = write_mem(x, ES, areg(x, d, RDI), n, v)) return f;
    } else if constexpr (Op == Str::Outs) {
        const uint16_t port = static_cast<uint16_t>(x.s.gpr[RDX]);
        auto c = x.sys();
        if (Fault f = check_io_permission(c, port, n)) return f;
        if (x.s.vmx.non_root) if (Fault f = vmx::exit_on_io(x, d, port, n, false, true, false)) return f;
        if (Fault f = read_mem(x, d.seg, areg(x, d, RSI), n, v)) return f;
        x.env.port_out(port, n, static_cast<uint32_t>(v));
        x.note_io_access(port, n);
        x.request_event_poll();
    }
    constexpr bool uses_si = Op == Str::Movs || Op == Str::Cmps || Op == Str::Lods || Op == Str::Outs;
    constexpr bool uses_di = Op != Str::Lods && Op != Str::Outs;
    if (uses_si) set_areg(x, d, RSI, areg(x, d, RSI) + step);
    if (uses_di) set_areg(x, d, RDI, areg(x, d, RDI) + step);
    return kNoFault;
}

// REP MOVS/STOS with DF=0 over plain RAM: whole runs within one source and one destination
// page at a time. Returns the number of elements done (0 when the slow path must do the next
// one: a page edge inside an element, a fault to report, MMIO, a code page, or an overlap
// where a forward element-by-element copy differs from a block copy).
template <Str Op> uint64_t bulk_run(Exec& x, const DecodedInsn& d, uint64_t max_elems) {
    const unsigned n = d.opsize;
    const uint64_t count = areg(x, d, RCX);
    const uint64_t di = areg(x, d, RDI);
    const uint64_t dst_base = x.is64 ? 0 : x.s.seg[ES].base;
    const uint64_t dst_room = (0x1000 - ((dst_base + di) & 0xFFF)) / n;
    uint64_t elems = std::min<uint64_t>({count, max_elems, dst_room});
    uint64_t si = 0;
    if constexpr (Op == Str::Movs) {
        si = areg(x, d, RSI);
        const uint64_t src_base = x.is64 && d.seg < FS ? 0 : x.s.seg[d.seg].base;
        elems = std::min<uint64_t>(elems, (0x1000 - ((src_base + si) & 0xFFF)) / n);
    }
    if (elems < 2) return 0;
    // Stay inside the address-size wrap.
    const uint64_t room = (size_mask(d.addrsize) - std::max(di, si)) / n; // after the first
    if (room < elems - 1) elems = room + 1;
    if (elems < 2) return 0;
    const unsigned bytes = static_cast<unsigned>(elems * n);
    uint64_t dlin, slin = 0;
    if (segment_linear(x, ES, di, bytes, AccessKind::Write, dlin)) return 0;
    uint8_t* dst = host_for_bulk(x, dlin, AccessKind::Write);
    if (!dst) return 0;
    if constexpr (Op == Str::Movs) {
        if (segment_linear(x, d.seg, si, bytes, AccessKind::Read, slin)) return 0;
        const uint8_t* src = host_for_bulk(x, slin, AccessKind::Read);
        if (!src) return 0;
        if (dst > src && dst < src + bytes) return 0; // forward copy replicates: slow path
        std::memmove(dst, src, bytes);
        set_areg(x, d, RSI, si + bytes);
    } else {
        const uint64_t v = get_reg(x, RAX, n, false);
        if (n == 1) {
            std::memset(dst, static_cast<int>(v), bytes);
        } else {
            for (unsigned i = 0; i < bytes; i += n) std::memcpy(dst + i, &v, n);
        }
    }
    set_areg(x, d, RDI, di + bytes);
    set_areg(x, d, RCX, count - elems);
    return elems;
}

// The REP instruction stops with iterations left and runs again from RIP = the instruction.
// An interrupt or a trap-class exception (single step, data breakpoint) taken after any
// iteration but the last pushes RF = 1, so the re-executed instruction does not report its
// instruction breakpoint again (SDM Vol. 3B, "Instruction-Breakpoint Exception Condition", the
// RF rules): RF is set now and kept at retirement; the next chunk starts with RF = 1 and
// clears it when it retires. Pending interrupts are looked for before the next chunk ("a
// repeating string operation can be suspended by an exception or interrupt": SDM Vol. 2B,
// REP), which also makes the run loop see RF at the start of that chunk.
void continue_later(Exec& x) {
    x.s.rip = x.insn_rip;
    x.s.rflags |= rflags::RF;
    x.rf_loaded = true;
    x.request_event_poll();
}

template <Str Op> Fault exec_string(Exec& x, const DecodedInsn& d) {
    if (!d.rep) return element<Op>(x, d);
    // With the VMX monitor trap flag, an MTF VM exit comes after each iteration (SDM Vol. 3C,
    // "Monitor Trap Flag"), and with RFLAGS.TF a single-step #DB does (SDM Vol. 3B,
    // "Single-Step Exception Condition": a repeated string instruction is stepped one
    // iteration at a time, RIP staying at the instruction while iterations remain): one
    // element per retirement then.
    const uint64_t chunk =
        x.tf_active || (x.s.vmx.non_root && x.s.vmx.proc.monitor_trap_flag()) ? 1 : kRepChunk;
    if constexpr (Op == Str::Movs || Op == Str::Stos) {
        if (!(x.s.rflags & rflags::DF)) {
            // Up to kRepChunk elements per retirement, as in the element-wise loop below.
            uint64_t done = 0;
            while (done < chunk) {
                const uint64_t count = areg(x, d, RCX);
                if (count == 0) return kNoFault;
                const uint64_t k = bulk_run<Op>(x, d, chunk - done);
                if (k == 0) break;
                done += k;
            }
            if (done == chunk) {
                if (areg(x, d, RCX) != 0) continue_later(x);
                return kNoFault;
            }
        }
    }
    constexpr bool compares = Op == Str::Cmps || Op == Str::Scas;
    for (uint64_t i = 0; i < chunk; ++i) {
        const uint64_t count = areg(x, d, RCX);
        if (count == 0) return kNoFault;
        if (Fault f = element<Op>(x, d)) return f;
        set_areg(x, d, RCX, count - 1);
        // REPE stops when ZF=0, REPNE when ZF=1; F2/F3 mean plain REP for the others.
        if (compares && condition_true(x, d.rep == 0xF3 ? 5 : 4)) return kNoFault;
        // A data breakpoint traps after the iteration that hit it, with RIP still at the
        // string instruction if elements remain (SDM Vol. 3B, "Data Memory and I/O
        // Breakpoint Exception Conditions").
        if (x.debug_hits) break;
    }
    if (areg(x, d, RCX) != 0) continue_later(x); // continue with the next chunk
    return kNoFault;
}

constexpr uint32_t B = rowf::Byte;

const OpcodeRow kRows[] = {
    // map       op    pfx       ext       mnemonic operands flags handler
    {Map::One, 0xA4, Pfx::Any, kAnyExt, "movsb", "Yb,Xb", 0, exec_string<Str::Movs>},
    {Map::One, 0xA5, Pfx::Any, kAnyExt, "movsd", "Yv,Xv", 0, exec_string<Str::Movs>},
    {Map::One, 0xA6, Pfx::Any, kAnyExt, "cmpsb", "Xb,Yb", 0, exec_string<Str::Cmps>},
    {Map::One, 0xA7, Pfx::Any, kAnyExt, "cmpsd", "Xv,Yv", 0, exec_string<Str::Cmps>},
    {Map::One, 0xAA, Pfx::Any, kAnyExt, "stosb", "Yb,AL", 0, exec_string<Str::Stos>},
    {Map::One, 0xAB, Pfx::Any, kAnyExt, "stosd", "Yv,rAX", 0, exec_string<Str::Stos>},
    {Map::One, 0xAC, Pfx::Any, kAnyExt, "lodsb", "AL,Xb", 0, exec_string<Str::Lods>},
    {Map::One, 0xAD, Pfx::Any, kAnyExt, "lodsd", "rAX,Xv", 0, exec_string<Str::Lods>},
    {Map::One, 0xAE, Pfx::Any, kAnyExt, "scasb", "AL,Yb", 0, exec_string<Str::Scas>},
    {Map::One, 0xAF, Pfx::Any, kAnyExt, "scasd", "rAX,Yv", 0, exec_string<Str::Scas>},
    {Map::One, 0x6C, Pfx::Any, kAnyExt, "insb", "Yb,DX", B, exec_string<Str::Ins>},
    {Map::One, 0x6D, Pfx::Any, kAnyExt, "insd", "Yz,DX", 0, exec_string<Str::Ins>},
    {Map::One, 0x6E, Pfx::Any, kAnyExt, "outsb", "DX,Xb", B, exec_string<Str::Outs>},
    {Map::One, 0x6F, Pfx::Any, kAnyExt, "outsd", "DX,Xz", 0, exec_string<Str::Outs>},
};

} // namespace

std::span<const OpcodeRow> string_rows() { return kRows; }

} // namespace hvlab::cpu

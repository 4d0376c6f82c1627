// Segmented and linear data accesses of the interpreter: segment limit/type checks, then the
// per-page host-pointer fast path with its slow refill through LinearMemory::translate.
// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/debug_breakpoints.hpp"
#include "cpu/exec_context.hpp"

namespace hvlab::cpu {

namespace {

// A segment-check failure: #SS(0) for the stack segment, #GP(0) otherwise
// (SDM Vol. 3A, "Limit Checking" and "Type Checking").
Fault segment_fault(unsigned seg) {
    return fault_ec(seg == SS ? SS_ : GP, 0);
}

constexpr unsigned kTypeCode = 8, kTypeExpandDownOrConforming = 4, kTypeWriteOrRead = 2;

} // namespace

// Alignment checking: with CR0.AM, RFLAGS.AC and CPL 3 an unaligned 2/4/8-byte data access is
// #AC(0) (SDM Vol. 3A, "Alignment Check Exception (#AC)").
static Fault alignment_check(const Exec& x, uint64_t linear, unsigned size) {
    if (x.ac_check && (size == 2 || size == 4 || size == 8) && (linear & (size - 1)))
        return fault_ec(AC, 0);
    return kNoFault;
}

static Fault segment_linear_checked(Exec& x, unsigned seg, uint64_t offset, unsigned size,
                                    AccessKind kind, uint64_t& linear);

Fault segment_linear_slow(Exec& x, unsigned seg, uint64_t offset, unsigned size, AccessKind kind,
                          uint64_t& linear) {
    if (Fault f = segment_linear_checked(x, seg, offset, size, kind, linear)) return f;
    return alignment_check(x, linear, size);
}

static Fault segment_linear_checked(Exec& x, unsigned seg, uint64_t offset, unsigned size,
                                    AccessKind kind, uint64_t& linear) {
    const Segment& sg = x.s.seg[seg];
    if (x.is64) {
        // Only FS and GS have a base in 64-bit mode; the result must be canonical
        // (SDM Vol. 3A, "Segmentation in IA-32e Mode").
        const uint64_t lin = offset + (seg >= FS ? sg.base : 0);
        if (!is_canonical48(lin) || !is_canonical48(lin + size - 1)) return segment_fault(seg);
        linear = lin;
        return kNoFault;
    }
    if (sg.unusable()) return segment_fault(seg);
    const uint8_t type = sg.type();
    if (type & kTypeCode) {
        // Code segments: never writable; readable only with R=1 (SDM Vol. 3A, "Type Checking").
        if (kind == AccessKind::Write) return segment_fault(seg);
        if (kind == AccessKind::Read && !(type & kTypeWriteOrRead)) return segment_fault(seg);
    } else if (kind == AccessKind::Write && !(type & kTypeWriteOrRead)) {
        return segment_fault(seg);
    }
    const uint64_t last = offset + size - 1;
    const bool expand_down = !(type & kTypeCode) && (type & kTypeExpandDownOrConforming);
    if (expand_down) {
        // Valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (SDM Vol. 3A, "Limit Checking").
        const uint64_t upper = sg.db() ? 0xFFFFFFFFull : 0xFFFFull;
        if (offset <= sg.limit || last > upper) return segment_fault(seg);
    } else if (last > sg.limit) {
        return segment_fault(seg);
    }
    linear = (sg.base + offset) & 0xFFFFFFFFull;
    return kNoFault;
}

namespace {

// Copies part of an access that lies within one page.
void read_piece(Exec& x, const Translation& t, void* dst, unsigned n) {
    if (t.host) {
        std::memcpy(dst, t.host, n);
        return;
    }
    // Not plain RAM: MMIO or unassigned. Device reads may raise interrupts.
    x.request_event_poll();
    auto* out = static_cast<uint8_t*>(dst);
    if (n == 1 || n == 2 || n == 4 || n == 8) {
        const uint64_t v = x.bus.read(t.physical, n);
        std::memcpy(out, &v, n);
        return;
    }
    for (unsigned i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(x.bus.read(t.physical + i, 1));
}

void write_piece(Exec& x, const Translation& t, const void* src, unsigned n) {
    if (!t.host) {
        x.request_event_poll();
        const auto* in = static_cast<const uint8_t*>(src);
        if (n == 1 || n == 2 || n == 4 || n == 8) {
            uint64_t v = 0;
            std::memcpy(&v, in, n);
            x.bus.write(t.physical, n, v);
            return;
        }
        for (unsigned i = 0; i < n; ++i)
            x.bus.write(t.physical + i, 1, in[i]);
        return;
    }
    std::memcpy(t.host, src, n);
    const uint64_t page = t.physical.value >> 12;
    if (x.bus.is_code_page(page)) {
        // Self-modifying code: drop decoded instructions of this page before the next fetch.
        x.bus.notify_code_write(page);
        if (x.code_page_written_hook) x.code_page_written_hook(x.hook_arg, page);
    }
}

// The linear address of the part of an access that crosses into the next page. Outside 64-bit
// mode linear addresses are 32 bits wide, so an access that runs past 4 GiB continues at linear
// 0 (SDM Vol. 3A, 3.4 "Logical and Linear Addresses"; also in compatibility mode, where the
// translation is 4-level paging of a 32-bit linear address).
uint64_t second_page_linear(const Exec& x, uint64_t linear, unsigned first) {
    const uint64_t a = linear + first;
    return x.is64 ? a : a & 0xFFFF'FFFFull;
}

} // namespace

Fault read_linear_slow(Exec& x, uint64_t linear, void* dst, unsigned size) {
    const unsigned off = linear & 0xFFF;
    const unsigned first = off + size <= 0x1000 ? size : 0x1000 - off;
    Translation a = x.mem.translate(x.s, Gva(linear), AccessKind::Read);
    if (a.fault) return a.fault;
    if (x.debug_armed) x.debug_hits |= data_breakpoint_hits(x.s, linear, size, false);
    if (first == size) {
        if (a.host && !x.debug_armed) x.rfast.fill(linear, a.host - off);
        read_piece(x, a, dst, size);
        return kNoFault;
    }
    Translation b =
        x.mem.translate(x.s, Gva(second_page_linear(x, linear, first)), AccessKind::Read);
    if (b.fault) return b.fault;
    read_piece(x, a, dst, first);
    read_piece(x, b, static_cast<uint8_t*>(dst) + first, size - first);
    return kNoFault;
}

Fault read_linear_rmw_slow(Exec& x, uint64_t linear, void* dst, unsigned size) {
    // Both pages are checked for writing first (read_mem_rmw), then read as usual; the write
    // that follows finds them in the TLB.
    const unsigned off = linear & 0xFFF;
    const unsigned first = off + size <= 0x1000 ? size : 0x1000 - off;
    if (Translation a = x.mem.translate(x.s, Gva(linear), AccessKind::Write); a.fault)
        return a.fault;
    if (first < size) {
        if (Translation b =
                x.mem.translate(x.s, Gva(second_page_linear(x, linear, first)), AccessKind::Write);
            b.fault)
            return b.fault;
    }
    return read_linear_slow(x, linear, dst, size);
}

Fault write_linear_slow(Exec& x, uint64_t linear, const void* src, unsigned size) {
    const unsigned off = linear & 0xFFF;
    const unsigned first = off + size <= 0x1000 ? size : 0x1000 - off;
    // Both pages are translated before anything is written: no partial writes on a fault.
    Translation a = x.mem.translate(x.s, Gva(linear), AccessKind::Write);
    if (a.fault) return a.fault;
    if (first == size) {
        if (x.debug_armed) x.debug_hits |= data_breakpoint_hits(x.s, linear, size, true);
        if (a.host && !x.debug_armed && !x.bus.is_code_page(a.physical.value >> 12))
            x.wfast.fill(linear, a.host - off);
        write_piece(x, a, src, size);
        return kNoFault;
    }
    Translation b =
        x.mem.translate(x.s, Gva(second_page_linear(x, linear, first)), AccessKind::Write);
    if (b.fault) return b.fault;
    if (x.debug_armed) x.debug_hits |= data_breakpoint_hits(x.s, linear, size, true);
    write_piece(x, a, src, first);
    write_piece(x, b, static_cast<const uint8_t*>(src) + first, size - first);
    return kNoFault;
}

uint8_t* host_for_bulk(Exec& x, uint64_t linear, AccessKind kind) {
    if (x.debug_armed) return nullptr; // element by element, so data breakpoints are seen
    auto& fast = kind == AccessKind::Write ? x.wfast : x.rfast;
    if (fast.hit(linear)) return fast.slot(linear).host + (linear & 0xFFF);
    const Translation t = x.mem.translate(x.s, Gva(linear), kind);
    if (t.fault || !t.host) return nullptr;
    if (kind == AccessKind::Write && x.bus.is_code_page(t.physical.value >> 12)) return nullptr;
    fast.fill(linear, t.host - (linear & 0xFFF));
    return t.host;
}

Fault probe_write(Exec& x, unsigned seg, uint64_t offset, unsigned size) {
    uint64_t lin;
    if (Fault f = segment_linear(x, seg, offset, size, AccessKind::Write, lin)) return f;
    if (x.wfast.hit(lin) && (lin & 0xFFF) + size <= 0x1000) return kNoFault;
    Translation a = x.mem.translate(x.s, Gva(lin), AccessKind::Write);
    if (a.fault) return a.fault;
    const unsigned off = lin & 0xFFF;
    if (off + size > 0x1000) {
        Translation b =
            x.mem.translate(x.s, Gva(second_page_linear(x, lin, 0x1000 - off)), AccessKind::Write);
        if (b.fault) return b.fault;
    }
    return kNoFault;
}

Fault branch_to(Exec& x, uint64_t target, unsigned opsize) {
    if (x.is64) {
        if (!is_canonical48(target)) return fault_ec(GP, 0);
        x.s.rip = target;
        return kNoFault;
    }
    target &= size_mask(opsize == 2 ? 2 : 4);
    // The target must lie within the CS limit (SDM Vol. 2A, JMP, "Operation").
    if (target > x.s.seg[CS].limit) return fault_ec(GP, 0);
    x.s.rip = target;
    return kNoFault;
}

} // namespace hvlab::cpu

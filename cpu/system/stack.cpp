// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/system/stack.hpp"

#include "common/bits.hpp"

#include <algorithm>

namespace hvlab::cpu::sys {

namespace {

// The stack's address width outside 64-bit mode is SS.B (SDM Vol. 3A, Segment Descriptors,
// D/B flag for stack segments).
uint64_t width_mask(const StackPointer& sp) {
    if (sp.flat64) return ~uint64_t{0};
    return sp.ss.db() ? 0xFFFF'FFFF : 0xFFFF;
}

// SDM Vol. 3A, Limit Checking: expand-down segments allow offsets above the limit up to the
// top of the segment (FFFFH or FFFFFFFFH by the B flag).
bool within_limit(const Segment& ss, uint64_t offset, unsigned size) {
    if (ss.unusable()) return false;
    const uint64_t last = offset + size - 1;
    if (ss.type() & 4) return offset > ss.limit && last <= (ss.db() ? 0xFFFF'FFFFull : 0xFFFFull);
    return last <= ss.limit;
}

Fault locate(const StackPointer& sp, uint64_t offset, unsigned size, uint64_t& linear) {
    if (sp.flat64) {
        if (!is_canonical48(offset) || !is_canonical48(offset + size - 1))
            return fault_ec(SS_, sp.ss_error);
        linear = offset;
        return kNoFault;
    }
    if (!within_limit(sp.ss, offset, size)) return fault_ec(SS_, sp.ss_error);
    linear = (sp.ss.base + offset) & 0xFFFF'FFFF;
    return kNoFault;
}

// The linear address of each of count items pushed below sp.rsp, and the final RSP.
Fault locate_frame(const StackPointer& sp, unsigned count, unsigned size, uint64_t* linear,
                   uint64_t& rsp) {
    const uint64_t mask = width_mask(sp);
    rsp = sp.rsp;
    for (unsigned i = 0; i < count; ++i) {
        const uint64_t offset = (rsp - size) & mask;
        if (Fault f = locate(sp, offset, size, linear[i])) return f;
        rsp = (rsp & ~mask) | offset;
    }
    return kNoFault;
}

} // namespace

Fault frame_room(const StackPointer& sp, unsigned count, unsigned size) {
    if (count > kMaxFrameItems) count = kMaxFrameItems;
    uint64_t linear[kMaxFrameItems];
    uint64_t rsp = 0;
    return locate_frame(sp, count, size, linear, rsp);
}

StackPointer current_stack(const CpuState& s, uint32_t ss_error) {
    StackPointer sp;
    sp.ss = s.seg[SS];
    sp.rsp = s.gpr[RSP];
    sp.flat64 = s.mode() == CpuMode::Long64;
    sp.ss_error = ss_error;
    return sp;
}

Fault push(SystemContext& c, const CpuState& as, StackPointer& sp, uint64_t value, unsigned size) {
    const uint64_t mask = width_mask(sp);
    const uint64_t offset = (sp.rsp - size) & mask;
    uint64_t linear = 0;
    if (Fault f = locate(sp, offset, size, linear)) return f;
    if (Fault f = c.mem.write(as, Gva(linear), &value, size, sp.who)) return f;
    sp.rsp = (sp.rsp & ~mask) | offset;
    return kNoFault;
}

Fault push_frame(SystemContext& c, const CpuState& as, StackPointer& sp, const uint64_t* values,
                 unsigned count, unsigned size) {
    if (count > kMaxFrameItems) count = kMaxFrameItems; // callers never ask for more
    uint64_t linear[kMaxFrameItems];
    uint64_t rsp = sp.rsp;
    // The segment-limit (canonical) checks of the whole frame come before any paging check.
    if (Fault f = locate_frame(sp, count, size, linear, rsp)) return f;
    // Write permission for every byte, both pages of an item that crosses a page boundary
    // (outside 64-bit mode linear addresses wrap at 4 GiB).
    for (unsigned i = 0; i < count; ++i) {
        const uint64_t first = std::min<uint64_t>(size, 0x1000 - (linear[i] & 0xFFF));
        if (Fault f = c.mem.translate(as, Gva(linear[i]), AccessKind::Write, sp.who).fault)
            return f;
        if (first < size) {
            uint64_t next = linear[i] + first;
            if (!sp.flat64) next &= 0xFFFF'FFFF;
            if (Fault f = c.mem.translate(as, Gva(next), AccessKind::Write, sp.who).fault) return f;
        }
    }
    for (unsigned i = 0; i < count; ++i)
        if (Fault f = c.mem.write(as, Gva(linear[i]), &values[i], size, sp.who)) return f;
    sp.rsp = rsp;
    return kNoFault;
}

Fault peek_stack(SystemContext& c, const CpuState& as, const StackPointer& sp, uint64_t offset,
                 unsigned size, uint64_t& value) {
    const uint64_t off = (sp.rsp + offset) & width_mask(sp);
    uint64_t linear = 0;
    if (Fault f = locate(sp, off, size, linear)) return f;
    value = 0;
    return c.mem.read(as, Gva(linear), &value, size, sp.who);
}

void release(StackPointer& sp, uint64_t n) {
    const uint64_t mask = width_mask(sp);
    sp.rsp = (sp.rsp & ~mask) | ((sp.rsp + n) & mask);
}

} // namespace hvlab::cpu::sys

// Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/system/descriptor.hpp"

namespace hvlab::cpu::sys {

Segment make_segment(uint16_t sel, const Descriptor& d) {
    Segment seg;
    seg.selector = sel;
    seg.base = d.base();
    seg.limit = d.limit();
    seg.attr = d.attr();
    return seg;
}

Segment null_segment(uint16_t sel) {
    Segment seg;
    seg.selector = sel;
    seg.base = 0;
    seg.limit = 0;
    seg.attr = kSegUnusable;
    return seg;
}

uint64_t system_linear(const CpuState& s, uint64_t base, uint64_t offset) {
    const uint64_t a = base + offset;
    return s.long_mode_active() ? a : a & 0xFFFF'FFFF;
}

Fault read_system(SystemContext& c, uint64_t linear, void* dst, unsigned size) {
    return c.mem.read(c.s, Gva(linear), dst, size, Privilege::ImplicitSupervisor);
}

Fault write_system(SystemContext& c, uint64_t linear, const void* src, unsigned size) {
    return c.mem.write(c.s, Gva(linear), src, size, Privilege::ImplicitSupervisor);
}

DescriptorFetch fetch_descriptor(SystemContext& c, uint16_t sel, bool wide) {
    DescriptorFetch f;
    const CpuState& s = c.s;
    uint64_t base = s.gdtr.base, limit = s.gdtr.limit;
    if (in_ldt(sel)) {
        if (s.ldtr.unusable() || is_null_selector(s.ldtr.selector)) return f;
        base = s.ldtr.base;
        limit = s.ldtr.limit;
    }
    const uint64_t offset = sel & 0xFFF8;
    if (offset + (wide ? 15 : 7) > limit) return f;
    f.in_limit = true;
    f.linear = system_linear(s, base, offset);
    f.fault = read_system(c, f.linear, &f.d.raw, 8);
    if (!f.fault && wide) f.fault = read_system(c, system_linear(s, base, offset + 8), &f.d.raw_hi, 8);
    return f;
}

Fault mark_accessed(SystemContext& c, DescriptorFetch& f) {
    if (!f.d.s() || (f.d.raw & bit(40))) return kNoFault;
    const uint8_t type_byte = static_cast<uint8_t>(bits(f.d.raw, 47, 40) | 1);
    if (Fault x = write_system(c, f.linear + 5, &type_byte, 1)) return x;
    f.d.raw |= bit(40);
    return kNoFault;
}

DescriptorFetch fetch_idt_gate(SystemContext& c, uint8_t vector) {
    DescriptorFetch f;
    const CpuState& s = c.s;
    const unsigned size = s.long_mode_active() ? 16 : 8;
    if (uint64_t{vector} * size + size - 1 > s.idtr.limit) return f;
    f.in_limit = true;
    f.linear = system_linear(s, s.idtr.base, uint64_t{vector} * size);
    f.fault = read_system(c, f.linear, &f.d.raw, 8);
    if (!f.fault && size == 16)
        f.fault = read_system(c, system_linear(s, f.linear, 8), &f.d.raw_hi, 8);
    return f;
}

} // namespace hvlab::cpu::sys

// IN/OUT/INS/OUTS permission: allowed when CPL <= IOPL, else every bit of the access in the
// TSS I/O permission bit map must be 0 (SDM Vol. 1, I/O Privilege Level; I/O Permission Bit
// Map). Intel SDM, Dec 2023 (Order 325462-081).
#include "cpu/system/descriptor.hpp"

namespace hvlab::cpu {

using namespace sys;

// The map starts at the 16-bit offset stored at TSS+102; the bits for port p are bit p%8 of
// byte p/8, and two bytes are always read so an access may straddle a byte. Any byte beyond
// the TSS limit counts as all ones. Only a 32-bit or 64-bit TSS has a map.
Fault check_io_permission(SystemContext& c, uint16_t port, unsigned size) {
    const CpuState& s = c.s;
    const unsigned iopl = (s.rflags & rflags::IOPL) >> 12;
    if (s.cpl() <= iopl) return kNoFault;
    const Fault gp = fault_ec(GP, 0);
    const uint8_t t = s.tr.type() & 0xD; // busy and available alike
    if (s.tr.unusable() || t != desc_type::kTssAvail || s.tr.limit < 103) return gp;
    uint16_t map_base = 0;
    if (Fault f = read_system(c, system_linear(s, s.tr.base, 102), &map_base, 2)) return f;
    const uint64_t off = uint64_t{map_base} + port / 8;
    if (off + 1 > s.tr.limit) return gp;
    uint16_t map = 0;
    if (Fault f = read_system(c, system_linear(s, s.tr.base, off), &map, 2)) return f;
    const unsigned mask = ((1u << size) - 1) << (port % 8);
    return (map & mask) ? gp : kNoFault;
}

} // namespace hvlab::cpu

// Descriptor checks shared by segment loads, far transfers, IRET and event delivery.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "cpu/system/descriptor.hpp"

namespace hvlab::cpu::sys {

// A stack segment for privilege level cpl (MOV SS, POP SS, RET/IRET to an outer level,
// and the new stack of a call gate or an interrupt). `vector` is the fault for a bad selector
// or descriptor (#GP for loads and returns, #TS for stack switches); not present is #SS.
// A null selector is #vector(ext) (error code 0 + EXT).
Fault check_stack_segment(SystemContext& c, uint16_t sel, uint8_t cpl, uint8_t vector,
                          uint32_t ext, DescriptorFetch& out);

// Data segment registers that the new, less privileged level may not use are nulled on
// returns to an outer level (SDM Vol. 2A, RET / IRET: "FOR each of segment register (ES, FS,
// GS, and DS)").
void null_inaccessible_data_segments(CpuState& s, uint8_t new_cpl);

// The code segment a far transfer, return or gate lands in is valid for IA-32e mode:
// L = 1 with D = 1 is reserved (SDM Vol. 3A, Code-Segment Descriptor in 64-bit Mode).
inline bool bad_ia32e_code(const CpuState& s, const Descriptor& d) {
    return s.long_mode_active() && d.l() && d.db();
}

// Whether code executing in segment d would run in 64-bit mode.
inline bool lands_in_64bit(const CpuState& s, const Descriptor& d) {
    return s.long_mode_active() && d.l();
}

// A new RIP must be canonical (64-bit target) or within the CS limit (#GP(0) otherwise).
inline bool rip_ok(const CpuState& s, const Descriptor& d, uint64_t rip) {
    return lands_in_64bit(s, d) ? is_canonical48(rip) : rip <= d.limit();
}

// The CS a far RET or IRET pops: RPL >= CPL; conforming needs DPL <= RPL, non-conforming
// DPL = RPL; present; a valid IA-32e code segment.
Fault check_return_code(SystemContext& c, uint16_t sel, DescriptorFetch& f);
// The SS popped by a return to an outer level (or by any IRET in 64-bit mode). On success
// `out` is the segment to load (a null SS when returning to 64-bit code at RPL < 3).
Fault check_return_stack(SystemContext& c, uint16_t ss_sel, uint16_t cs_sel,
                         const Descriptor& cs, DescriptorFetch& f, Segment& out);
// The RSP after such a return: 64 bits for 64-bit code, else as wide as the new SS.B says.
uint64_t returned_rsp(const CpuState& old, const Segment& ss, bool to64, uint64_t value);

} // namespace hvlab::cpu::sys

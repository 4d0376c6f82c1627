// DR0-DR3 matching under DR7 (SDM Vol. 3B, "Debug Control Register (DR7)", "Breakpoint Field
// Recognition"). The ROM sys-exceptions checks the #DB delivery itself.
#include "cpu/debug_breakpoints.hpp"

#include <catch2/catch.hpp>

using namespace hvlab::cpu;

namespace {

// DR7 for breakpoint i: L bit, R/W and LEN fields.
uint64_t dr7_for(unsigned i, unsigned rw, unsigned len) {
    return 0x400 | (1ull << (2 * i)) | (uint64_t{rw} << (16 + 4 * i)) |
           (uint64_t{len} << (18 + 4 * i));
}

} // namespace

TEST_CASE("instruction breakpoints match the enabled execute slots only") {
    CpuState s;
    s.dr[2] = 0x401000;
    s.dr[7] = dr7_for(2, 0, 0);
    CHECK(instruction_breakpoint_hits(s, 0x401000) == 0x4);
    CHECK(instruction_breakpoint_hits(s, 0x401001) == 0);
    s.dr[7] = 0x400 | (0ull << 16); // nothing enabled
    CHECK(instruction_breakpoint_hits(s, 0x401000) == 0);
    s.dr[7] = dr7_for(2, 1, 0); // a write breakpoint never matches a fetch
    CHECK(instruction_breakpoint_hits(s, 0x401000) == 0);
}

TEST_CASE("data breakpoints: R/W 01 on writes only, 11 on reads and writes") {
    CpuState s;
    s.dr[0] = 0x2000;
    s.dr[7] = dr7_for(0, 1, 3); // write, 4 bytes
    CHECK(data_breakpoint_hits(s, 0x2000, 4, true) == 1);
    CHECK(data_breakpoint_hits(s, 0x2000, 4, false) == 0);
    s.dr[7] = dr7_for(0, 3, 3); // read or write
    CHECK(data_breakpoint_hits(s, 0x2002, 1, false) == 1);
}

TEST_CASE("data breakpoints cover the LEN-aligned range and any overlap") {
    CpuState s;
    s.dr[1] = 0x3005; // low bits ignored for an 8-byte breakpoint: covers 0x3000..0x3007
    s.dr[7] = dr7_for(1, 3, 2);
    CHECK(data_breakpoint_hits(s, 0x3000, 1, false) == 2);
    CHECK(data_breakpoint_hits(s, 0x3007, 1, false) == 2);
    CHECK(data_breakpoint_hits(s, 0x3008, 1, false) == 0);
    CHECK(data_breakpoint_hits(s, 0x2FFE, 4, true) == 2); // straddles the start
    s.dr[7] = dr7_for(1, 3, 0); // 1 byte at 0x3005
    CHECK(data_breakpoint_hits(s, 0x3004, 2, false) == 2);
    CHECK(data_breakpoint_hits(s, 0x3004, 1, false) == 0);
}

TEST_CASE("I/O breakpoints need CR4.DE") {
    CpuState s;
    s.dr[3] = 0x3F8;
    s.dr[7] = dr7_for(3, 2, 0);
    CHECK(io_breakpoint_hits(s, 0x3F8, 1) == 0);
    s.cr4 |= cr4::DE;
    CHECK(io_breakpoint_hits(s, 0x3F8, 1) == 8);
    CHECK(io_breakpoint_hits(s, 0x3F7, 2) == 8);
    CHECK(io_breakpoint_hits(s, 0x3F9, 1) == 0);
}

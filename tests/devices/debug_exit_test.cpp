// isa-debug-exit: status (v << 1) | 1 for writes of any size; reads return 0.
#include "devices/debug_exit.hpp"

#include <catch2/catch.hpp>

#include <vector>

using hvlab::devices::DebugExit;

TEST_CASE("debug-exit status is (v << 1) | 1 for every access size and offset", "[debug-exit]") {
    std::vector<int> st;
    DebugExit d([&](int s) { st.push_back(s); });
    d.port_write(0, 4, 0x10);
    d.port_write(0, 1, 0x00);
    d.port_write(1, 1, 0x7F);
    d.port_write(2, 2, 0x1234);
    d.port_write(0, 1, 0x1FF); // a byte write carries only the low byte
    REQUIRE(st.size() == 5);
    CHECK(st[0] == 0x21);
    CHECK(st[1] == 0x01);
    CHECK(st[2] == 0xFF);
    CHECK(st[3] == 0x2469);
    CHECK(st[4] == 0x1FF);
    CHECK(DebugExit::status_for(0x31) == 0x63);
}

TEST_CASE("debug-exit reads return 0, as on QEMU 7.2, and do not exit", "[debug-exit]") {
    int calls = 0;
    DebugExit d([&](int) { ++calls; });
    CHECK(d.port_read(0, 1) == 0);
    CHECK(d.port_read(2, 2) == 0);
    CHECK(d.port_read(0, 4) == 0);
    CHECK(calls == 0);
}

// fw_cfg legacy interface: select on 0x510 (16-bit), read bytes from 0x511.
#include "devices/fw_cfg.hpp"

#include <catch2/catch.hpp>

#include <vector>

using hvlab::devices::FwCfg;

namespace {
std::vector<uint8_t> read_item(FwCfg& d, uint16_t key, size_t n) {
    d.port_write(0, 2, key);
    std::vector<uint8_t> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back(static_cast<uint8_t>(d.port_read(1, 1)));
    return out;
}
uint64_t le(const std::vector<uint8_t>& b) {
    uint64_t v = 0;
    for (size_t i = 0; i < b.size(); ++i)
        v |= uint64_t{b[i]} << (8 * i);
    return v;
}
} // namespace

TEST_CASE("fw_cfg signature reads QEMU, then zeros past the end", "[fw_cfg]") {
    FwCfg d(256ull << 20, 1);
    CHECK(read_item(d, 0x0000, 6) == std::vector<uint8_t>{'Q', 'E', 'M', 'U', 0, 0});
}

TEST_CASE("fw_cfg selects key 0 at reset", "[fw_cfg]") {
    FwCfg d(256ull << 20, 1);
    CHECK(d.port_read(1, 1) == 'Q');
}

TEST_CASE("fw_cfg ID, RAM size, CPU counts and empty file directory", "[fw_cfg]") {
    FwCfg d(0x1'2345'6000ull, 3);
    CHECK(le(read_item(d, 0x0001, 4)) == 1); // traditional interface, no DMA
    CHECK(le(read_item(d, 0x0003, 8)) == 0x1'2345'6000ull);
    CHECK(le(read_item(d, 0x0005, 2)) == 3);
    CHECK(le(read_item(d, 0x000F, 2)) == 3);
    CHECK(read_item(d, 0x0019, 4) == std::vector<uint8_t>{0, 0, 0, 0});
}

TEST_CASE("fw_cfg unknown keys read 0", "[fw_cfg]") {
    FwCfg d(1 << 20, 1);
    CHECK(read_item(d, 0x1234, 3) == std::vector<uint8_t>{0, 0, 0});
    CHECK(read_item(d, 0x8003, 1) == std::vector<uint8_t>{0});
}

TEST_CASE("fw_cfg reselecting rewinds; data writes are ignored", "[fw_cfg]") {
    FwCfg d(1 << 20, 1);
    CHECK(read_item(d, 0, 2) == std::vector<uint8_t>{'Q', 'E'});
    d.port_write(1, 1, 0x55); // ignored, and the offset does not move
    CHECK(d.port_read(1, 1) == 'M');
    CHECK(read_item(d, 0, 1) == std::vector<uint8_t>{'Q'});
    CHECK(d.odd_size_accesses() == 0);
}

TEST_CASE("fw_cfg invalid access sizes read all ones and are counted", "[fw_cfg]") {
    FwCfg d(1 << 20, 1);
    CHECK(d.port_read(0, 4) == 0xFFFFFFFF);
    d.port_write(0, 4, 0x3);
    CHECK(d.peek_selector() == 0);
    CHECK(d.odd_size_accesses() == 2);
}

#include "mmu/phys_bus.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace hvlab;
using hvlab::mmu::PhysBus;

namespace {
struct RecordingMmio : mmu::MmioHandler {
    uint64_t last_offset = ~0ull, last_value = 0;
    unsigned last_size = 0;
    uint64_t mmio_read(uint64_t offset, unsigned size) override {
        last_offset = offset;
        last_size = size;
        return 0x1122334455667788ull & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
    }
    void mmio_write(uint64_t offset, unsigned size, uint64_t value) override {
        last_offset = offset;
        last_size = size;
        last_value = value;
    }
};
struct Observer : mmu::BusObserver {
    int code_writes = 0, unassigned = 0;
    uint64_t last_page = 0;
    void code_page_written(uint64_t page) override {
        ++code_writes;
        last_page = page;
    }
    void unassigned_access(Hpa, unsigned, bool, uint64_t) override { ++unassigned; }
};
} // namespace

TEST_CASE("RAM reads back what was written, little-endian, across a page boundary") {
    PhysBus bus(16 << 20);
    bus.write(Hpa(0x1FFE), 4, 0xAABBCCDD);
    CHECK(bus.read(Hpa(0x1FFE), 4) == 0xAABBCCDD);
    CHECK(bus.read(Hpa(0x2000), 1) == 0xBB);
    CHECK(bus.read(Hpa(0x1FFE), 1) == 0xDD);
}

TEST_CASE("The legacy VGA/BIOS hole and addresses beyond RAM read as all ones") {
    PhysBus bus(16 << 20);
    Observer obs;
    bus.set_observer(&obs);
    CHECK(bus.ram_ptr(Hpa(0xA0000)) == nullptr);
    CHECK(bus.read(Hpa(0xB8000), 2) == 0xFFFF);
    bus.write(Hpa(0xB8000), 2, 0x0741); // ignored
    CHECK(bus.read(Hpa(0xB8000), 2) == 0xFFFF);
    CHECK(bus.read(Hpa(16 << 20), 4) == 0xFFFFFFFF);
    CHECK(bus.read(Hpa(0x9FFFF), 1) == 0); // the last byte of conventional memory is RAM
    CHECK(obs.unassigned == 4); // two reads and a write of the hole, one read beyond RAM
}

TEST_CASE("RAM beyond the PCI hole is mapped above 4 GiB") {
    PhysBus bus((3584ull << 20) + (64ull << 20)); // 3.5 GiB + 64 MiB
    CHECK(bus.low_ram_end() == PhysBus::kPciHoleStart);
    CHECK(bus.high_ram_size() == (64ull << 20));
    CHECK(bus.ram_ptr(Hpa(0xFEE00000)) == nullptr);
    bus.write(Hpa(0x1'0000'0000), 8, 0x0123456789ABCDEFull);
    CHECK(bus.read(Hpa(0x1'0000'0000), 8) == 0x0123456789ABCDEFull);
    CHECK(bus.ram_ptr(Hpa(0x1'0000'0000 + (64ull << 20))) == nullptr);
}

TEST_CASE("MMIO regions receive offsets relative to their base and may not overlap RAM") {
    PhysBus bus(16 << 20);
    RecordingMmio dev;
    bus.map_mmio(Hpa(0xFEE00000), 0x1000, &dev, "lapic");
    CHECK(bus.read(Hpa(0xFEE00030), 4) == 0x55667788);
    CHECK(dev.last_offset == 0x30);
    bus.write(Hpa(0xFEE000B0), 4, 0);
    CHECK(dev.last_offset == 0xB0);
    CHECK(bus.mmio_at(Hpa(0xFEE00FFF)) == &dev);
    CHECK_THROWS_AS(bus.map_mmio(Hpa(0x100000), 0x1000, &dev, "bad"), std::logic_error);
    CHECK_THROWS_AS(bus.map_mmio(Hpa(0xFEE00800), 0x1000, &dev, "overlap"), std::logic_error);
}

TEST_CASE("A write to a page marked as code notifies the observer once") {
    PhysBus bus(16 << 20);
    Observer obs;
    bus.set_observer(&obs);
    bus.mark_code_page(0x100);
    bus.write(Hpa(0x100010), 1, 0x90);
    CHECK(obs.code_writes == 1);
    CHECK(obs.last_page == 0x100);
    bus.write(Hpa(0x100011), 1, 0x90); // mark cleared: the CPU re-marks when it decodes again
    CHECK(obs.code_writes == 1);
    bus.mark_code_page(0x100);
    const uint8_t bytes[2] = {0xEB, 0xFE};
    REQUIRE(bus.write_bytes(Hpa(0x100FFF), bytes, 2));
    CHECK(obs.code_writes == 2);
}

TEST_CASE("Bulk copies refuse ranges that are not entirely RAM") {
    PhysBus bus(16 << 20);
    uint8_t buf[16] = {};
    CHECK(bus.write_bytes(Hpa(0x9FFF8), buf, 8));
    CHECK_FALSE(bus.write_bytes(Hpa(0x9FFF8), buf, 16)); // runs into the 0xA0000 hole
    CHECK_FALSE(bus.read_bytes(Hpa((16 << 20) - 8), buf, 16));
}

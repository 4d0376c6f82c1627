// The rules for MMIO accesses other than an aligned 32-bit access at a 16-byte boundary.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

TEST_CASE("lapic mmio: narrow reads see the bytes of the register in the slot") {
    Rig r;
    r.wr(reg::kLdr, 0xA500'0000);
    CHECK(r.apic.mmio_read(reg::kVersion, 1) == 0x14);
    CHECK(r.apic.mmio_read(reg::kVersion + 2, 1) == 0x06);
    CHECK(r.apic.mmio_read(reg::kVersion + 2, 2) == 0x0006);
    CHECK(r.apic.mmio_read(reg::kLdr + 3, 1) == 0xA5);
    CHECK(r.apic.mmio_read(reg::kDfr + 1, 2) == 0xFFFF);
    CHECK(r.apic.odd_size_accesses() == 5);
}

TEST_CASE("lapic mmio: bytes 4-15 of a slot read 0; wide reads combine slots") {
    Rig r;
    CHECK(r.apic.mmio_read(reg::kVersion + 4, 4) == 0);
    CHECK(r.apic.mmio_read(reg::kVersion + 8, 8) == 0);
    CHECK(r.apic.mmio_read(reg::kVersion, 8) == 0x0006'0014);
    // A read straddling two slots: bytes 0x2E..0x31 = ID slot bytes 14-15 (0) and version 0-1.
    CHECK(r.apic.mmio_read(reg::kVersion - 2, 4) == 0x0014'0000);
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic mmio: narrow or unaligned writes are dropped; wide aligned ones use 32 bits") {
    Rig r;
    r.enable();
    r.apic.mmio_write(reg::kTpr, 1, 0x55);
    r.apic.mmio_write(reg::kTpr, 2, 0x55);
    r.apic.mmio_write(reg::kTpr + 4, 4, 0x55);
    r.apic.mmio_write(reg::kTpr + 1, 1, 0x55);
    CHECK(r.rd(reg::kTpr) == 0);
    r.apic.mmio_write(reg::kTpr, 8, 0xFFFF'FFFF'0000'0066);
    CHECK(r.rd(reg::kTpr) == 0x66);
    CHECK(r.apic.odd_size_accesses() == 5);
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic mmio: a dropped narrow write to EOI or ICR has no effect") {
    Rig r;
    r.enable();
    r.self_ipi(0x70);
    CHECK(r.take() == 0x70);
    r.apic.mmio_write(reg::kEoi, 1, 0);
    CHECK(r.apic.isr(0x70));
    r.apic.mmio_write(reg::kIcrLow, 2, (1u << 18) | 0x71);
    CHECK_FALSE(r.apic.irr(0x71));
    r.wr(reg::kEoi, 0);
    CHECK_FALSE(r.apic.isr(0x70));
}

TEST_CASE("lapic mmio: a narrow read of a reserved slot logs Illegal Register Address") {
    Rig r;
    r.apic.mmio_read(0x040, 1);
    CHECK(r.esr() == reg::kEsrIllegalRegister);
    r.apic.mmio_read(0x044, 4); // bytes 4-15 of a slot are not a register access
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic mmio: random accesses of every size never crash and keep invariants") {
    // Fixed seed, printed; a plain LCG so every host gives the same sequence.
    const uint64_t seed = 0x5EED'1A91C;
    INFO("seed " << std::hex << seed);
    uint64_t s = seed;
    auto next = [&] {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s >> 17;
    };
    Rig r;
    const unsigned sizes[] = {1, 2, 4, 8};
    for (int i = 0; i < 20000; ++i) {
        const uint64_t off = next() % 0x1000;
        const unsigned size = sizes[next() % 4];
        r.clock.t += next() % 5;
        if (next() & 1)
            r.apic.mmio_write(off, size, next() | (next() << 32));
        else
            r.apic.mmio_read(off, size);
        r.advance_to(r.clock.t);
        const int v = r.apic.pending_vector();
        if (v >= 0) {
            REQUIRE(v >= 16);
            REQUIRE((v & 0xF0) > (r.apic.ppr() & 0xF0));
            r.apic.acknowledge(static_cast<uint8_t>(v));
        }
        REQUIRE((r.apic.peek_register(reg::kIrrBase) & 0xFFFF) == 0);
        REQUIRE((r.apic.peek_register(reg::kIcrLow) & (1u << 12)) == 0);
        REQUIRE(r.apic.peek_register(reg::kVersion) == 0x0006'0014);
    }
}

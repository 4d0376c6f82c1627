// ICR: self-IPIs, destinations, delivery status, illegal vectors, IPIs to absent CPUs.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

namespace {
constexpr uint32_t kShSelf = 1u << 18, kShAllIncl = 2u << 18, kShAllExcl = 3u << 18;
constexpr uint32_t kLogical = 1u << 11, kLevelAssert = 1u << 14, kLevelTrig = 1u << 15;
uint32_t dm(uint32_t mode) {
    return mode << 8;
}
} // namespace

TEST_CASE("lapic ipi: a self-IPI sets IRR and reads back idle in the delivery-status bit") {
    Rig r;
    r.enable();
    r.wr(reg::kIcrLow, kShSelf | 0x91 | (1u << 12)); // delivery status is read-only
    CHECK(r.rd(reg::kIcrLow) == (kShSelf | 0x91));
    CHECK((r.rd(reg::kIcrLow) & (1u << 12)) == 0);
    CHECK(r.apic.irr(0x91));
    CHECK_FALSE(r.apic.tmr(0x91));
    CHECK(r.take() == 0x91);
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic ipi: a fixed IPI to our own APIC ID or to broadcast 0xFF reaches us") {
    Rig r; // APIC ID 0
    r.enable();
    r.wr(reg::kIcrHigh, 0x0000'0000);
    r.wr(reg::kIcrLow, 0xA0);
    CHECK(r.apic.irr(0xA0));
    r.wr(reg::kIcrHigh, 0xFF00'0000);
    r.wr(reg::kIcrLow, 0xA1);
    CHECK(r.apic.irr(0xA1));
    r.wr(reg::kIcrLow, kShAllIncl | 0xA2);
    CHECK(r.apic.irr(0xA2));
    r.wr(reg::kId, 0x0500'0000); // the ID register is what matching uses
    r.wr(reg::kIcrHigh, 0x0500'0000);
    r.wr(reg::kIcrLow, 0xA3);
    CHECK(r.apic.irr(0xA3));
}

TEST_CASE("lapic ipi: IPIs to absent CPUs are dropped without an error") {
    Rig r;
    r.enable();
    r.wr(reg::kIcrHigh, 0x0100'0000);                  // APIC ID 1 does not exist
    r.wr(reg::kIcrLow, 0xB0);                          // fixed
    r.wr(reg::kIcrLow, dm(reg::kInit) | kLevelAssert); // INIT
    r.wr(reg::kIcrLow, dm(reg::kStartup) | 0x08);      // SIPI, vector = page 8
    r.wr(reg::kIcrLow, dm(reg::kStartup) | 0x08);
    r.wr(reg::kIcrLow, kShAllExcl | 0xB1); // everyone but us: nobody
    r.wr(reg::kIcrLow, kShAllExcl | dm(reg::kInit) | kLevelAssert);
    CHECK(r.rd(reg::kIrrBase + 0x50) == 0);
    CHECK(r.apic.pending_vector() == -1);
    CHECK_FALSE(r.apic.take_init_request());
    CHECK_FALSE(r.apic.nmi_pending());
    CHECK(r.esr() == 0);
    CHECK(r.rd(reg::kIcrHigh) == 0x0100'0000);
}

TEST_CASE("lapic ipi: logical destinations in the flat and cluster models") {
    Rig r;
    r.enable();
    r.wr(reg::kLdr, 0x2400'0000); // logical ID 0x24
    r.wr(reg::kIcrHigh, 0x0100'0000);
    r.wr(reg::kIcrLow, kLogical | 0xC0); // flat: 0x01 & 0x24 = 0
    CHECK_FALSE(r.apic.irr(0xC0));
    r.wr(reg::kIcrHigh, 0x0400'0000);
    r.wr(reg::kIcrLow, kLogical | 0xC1); // flat: 0x04 & 0x24 != 0
    CHECK(r.apic.irr(0xC1));
    r.wr(reg::kDfr, 0x0FFF'FFFF); // cluster model: cluster 2, member bit 2
    r.wr(reg::kIcrHigh, 0x2400'0000);
    r.wr(reg::kIcrLow, kLogical | 0xC2);
    CHECK(r.apic.irr(0xC2));
    r.wr(reg::kIcrHigh, 0x1400'0000); // other cluster
    r.wr(reg::kIcrLow, kLogical | 0xC3);
    CHECK_FALSE(r.apic.irr(0xC3));
    r.wr(reg::kIcrHigh, 0x2100'0000); // same cluster, other member
    r.wr(reg::kIcrLow, kLogical | 0xC4);
    CHECK_FALSE(r.apic.irr(0xC4));
    r.wr(reg::kIcrHigh, 0xFF00'0000); // broadcast
    r.wr(reg::kIcrLow, kLogical | 0xC5);
    CHECK(r.apic.irr(0xC5));
}

TEST_CASE("lapic ipi: illegal vectors set Send (and for us Receive) Illegal Vector") {
    Rig r;
    r.enable();
    r.self_ipi(0x0E);
    CHECK(r.rd(reg::kIrrBase) == 0);
    CHECK(r.esr() == (reg::kEsrSendIllegalVector | reg::kEsrReceiveIllegalVector));
    r.wr(reg::kIcrHigh, 0x0700'0000); // absent CPU: only the sender's error
    r.wr(reg::kIcrLow, 0x03);
    CHECK(r.esr() == reg::kEsrSendIllegalVector);
    r.wr(reg::kIcrLow, 0x10); // 16 is legal
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic ipi: sending a lowest-priority IPI is not supported: Redirectable IPI") {
    Rig r;
    r.enable();
    r.wr(reg::kIcrLow, dm(reg::kLowestPriority) | 0x80);
    CHECK_FALSE(r.apic.irr(0x80));
    CHECK(r.esr() == reg::kEsrRedirectableIpi); // SDM Vol. 3A, "Error Handling": ESR bit 4
}

TEST_CASE("lapic ipi: the level bit decides level-triggered IPIs; invalid shorthands drop") {
    Rig r;
    r.enable();
    r.wr(reg::kIcrLow, kShSelf | kLevelTrig | kLevelAssert | 0x81); // treated as edge
    CHECK(r.apic.irr(0x81));
    CHECK_FALSE(r.apic.tmr(0x81));
    r.wr(reg::kIcrLow, kShSelf | kLevelTrig | 0x82); // de-assert: ignored
    CHECK_FALSE(r.apic.irr(0x82));
    r.wr(reg::kIcrLow, kShSelf | dm(reg::kNmi)); // NMI with the self shorthand: invalid
    CHECK_FALSE(r.apic.nmi_pending());
    r.wr(reg::kIcrLow, kShSelf | dm(reg::kInit) | kLevelAssert);
    CHECK_FALSE(r.apic.take_init_request());
    CHECK(r.esr() == 0);
}

TEST_CASE("lapic ipi: NMI and INIT addressed to our APIC ID reach the CPU side") {
    Rig r;
    r.enable();
    r.wr(reg::kIcrHigh, 0);
    r.wr(reg::kIcrLow, dm(reg::kNmi));
    CHECK(r.apic.nmi_pending());
    r.apic.acknowledge_nmi();
    CHECK_FALSE(r.apic.nmi_pending());
    r.wr(reg::kIcrLow, dm(reg::kInit) | kLevelAssert);
    CHECK(r.apic.take_init_request());
    CHECK_FALSE(r.apic.take_init_request());
    CHECK(r.apic.pending_vector() == -1);
}

TEST_CASE("lapic ipi: init() resets registers but keeps the APIC ID") {
    Rig r;
    r.enable();
    r.wr(reg::kId, 0x0900'0000);
    r.wr(reg::kTpr, 0x20);
    r.self_ipi(0x44);
    r.apic.init();
    CHECK(r.rd(reg::kId) == 0x0900'0000);
    CHECK(r.rd(reg::kTpr) == 0);
    CHECK(r.rd(reg::kSvr) == 0xFF);
    CHECK_FALSE(r.apic.irr(0x44));
    r.apic.reset();
    CHECK(r.rd(reg::kId) == 0);
}

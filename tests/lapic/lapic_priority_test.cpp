// TPR, PPR, APR, priority classes, IRR -> ISR -> EOI with nesting, CR8.
#include "lapic_rig.hpp"

#include <catch2/catch.hpp>

using namespace lapic_test;

TEST_CASE("lapic: PPR follows TPR and the highest in-service vector") {
    Rig r;
    r.enable();
    r.wr(reg::kTpr, 0x35);
    CHECK(r.rd(reg::kPpr) == 0x35); // nothing in service: PPR = TPR
    r.apic.raise(0x62, false);
    CHECK(r.take() == 0x62);
    CHECK(r.rd(reg::kPpr) == 0x60); // ISRV class 6 > TPR class 3: PPR = ISRV[7:4], low bits 0
    r.wr(reg::kTpr, 0x6A);
    CHECK(r.rd(reg::kPpr) == 0x6A); // TPR class 6 >= ISRV class 6: PPR = TPR
    r.wr(reg::kTpr, 0x00);
    r.wr(reg::kEoi, 0);
    CHECK(r.rd(reg::kPpr) == 0x00);
}

TEST_CASE("lapic: an interrupt is delivered only if its class is above PPR's class") {
    Rig r;
    r.enable();
    r.wr(reg::kTpr, 0x40);
    r.apic.raise(0x4F, false); // same class as TPR: held
    CHECK(r.apic.pending_vector() == -1);
    CHECK_FALSE(r.apic.has_pending());
    r.apic.raise(0x50, false);
    CHECK(r.apic.pending_vector() == 0x50);
    CHECK(r.apic.has_pending());
    CHECK(r.take() == 0x50);
    CHECK(r.take() == -1); // 0x4F still below PPR (0x50 in service)
    r.wr(reg::kEoi, 0);
    CHECK(r.take() == -1); // TPR 0x40 still masks class 4
    r.wr(reg::kTpr, 0x3F);
    CHECK(r.take() == 0x4F);
}

TEST_CASE("lapic: nested interrupts retire in priority order through EOI") {
    Rig r;
    r.enable();
    r.apic.raise(0x31, false);
    CHECK(r.take() == 0x31);
    // A higher class preempts the one in service; a same-or-lower class waits.
    r.apic.raise(0x35, false);
    CHECK(r.take() == -1);
    r.apic.raise(0x81, false);
    CHECK(r.take() == 0x81);
    r.apic.raise(0xC0, false);
    CHECK(r.take() == 0xC0);
    CHECK(r.rd(reg::kIsrBase + 0x10) == (1u << 0x11)); // 0x31
    CHECK(r.rd(reg::kIsrBase + 0x40) == (1u << 0x01)); // 0x81
    CHECK(r.rd(reg::kIsrBase + 0x60) == (1u << 0x00)); // 0xC0
    CHECK(r.rd(reg::kIrrBase + 0x10) == (1u << 0x15)); // 0x35 waiting
    r.wr(reg::kEoi, 0);                                // retires 0xC0, the highest in service
    CHECK_FALSE(r.apic.isr(0xC0));
    CHECK(r.apic.isr(0x81));
    CHECK(r.take() == -1);
    r.wr(reg::kEoi, 0);    // retires 0x81
    CHECK(r.take() == -1); // 0x35 is the same class as 0x31 in service
    r.wr(reg::kEoi, 0);    // retires 0x31
    CHECK(r.take() == 0x35);
    r.wr(reg::kEoi, 0);
    r.wr(reg::kEoi, 0); // EOI with nothing in service is harmless
    for (uint32_t i = 0; i < 8; ++i)
        CHECK(r.rd(reg::kIsrBase + 16 * i) == 0);
}

TEST_CASE("lapic: within one class the higher vector goes first") {
    Rig r;
    r.enable();
    r.apic.raise(0x70, false);
    r.apic.raise(0x7F, false);
    r.apic.raise(0x75, false);
    CHECK(r.take() == 0x7F);
    r.wr(reg::kEoi, 0);
    CHECK(r.take() == 0x75);
    r.wr(reg::kEoi, 0);
    CHECK(r.take() == 0x70);
}

TEST_CASE("lapic: one IRR and one ISR bit per vector; more requests collapse") {
    Rig r;
    r.enable();
    r.apic.raise(0x90, false);
    CHECK(r.take() == 0x90);
    r.apic.raise(0x90, false);
    r.apic.raise(0x90, false);
    CHECK(r.apic.irr(0x90));
    CHECK(r.apic.isr(0x90));
    CHECK(r.take() == -1); // same vector's class is in service
    r.wr(reg::kEoi, 0);
    CHECK(r.take() == 0x90);
    r.wr(reg::kEoi, 0);
    CHECK(r.take() == -1);
}

TEST_CASE("lapic: TMR records the trigger mode at acceptance") {
    Rig r;
    r.enable();
    r.apic.raise(0x41, true);
    r.apic.raise(0x42, false);
    CHECK(r.rd(reg::kTmrBase + 0x20) == (1u << 1));
    CHECK(r.apic.tmr(0x41));
    CHECK_FALSE(r.apic.tmr(0x42));
}

TEST_CASE("lapic: acknowledge of a vector that is not requested changes nothing") {
    Rig r;
    r.enable();
    r.apic.acknowledge(0x80);
    CHECK_FALSE(r.apic.isr(0x80));
    CHECK(r.rd(reg::kPpr) == 0);
}

TEST_CASE("lapic: CR8 is TPR[7:4]") {
    Rig r;
    r.enable();
    r.wr(reg::kTpr, 0xA7);
    CHECK(r.apic.read_cr8() == 0xA);
    r.apic.write_cr8(0x3);
    CHECK(r.rd(reg::kTpr) == 0x30);
    r.apic.raise(0x3F, false);
    CHECK(r.take() == -1);
    r.apic.write_cr8(0x2);
    CHECK(r.take() == 0x3F);
}

TEST_CASE("lapic: APR follows the SDM formula") {
    Rig r;
    r.enable();
    r.wr(reg::kTpr, 0x55);
    CHECK(r.rd(reg::kApr) == 0x55); // TPR >= IRRV (0) and TPR > ISRV (0)
    r.apic.raise(0x71, false);
    CHECK(r.rd(reg::kApr) == 0x70); // IRRV class 7 above TPR: max(TPR & ISRV, IRRV) = 7
    CHECK(r.take() == 0x71);
    r.wr(reg::kTpr, 0x75);
    // TPR class 7 is not above ISRV class 7: max(7 & 7, IRRV 0) = 7.
    CHECK(r.rd(reg::kApr) == 0x70);
    r.wr(reg::kTpr, 0x85);
    CHECK(r.rd(reg::kApr) == 0x85);
}

TEST_CASE("lapic: vectors 0-15 are never accepted and log Receive Illegal Vector") {
    Rig r;
    r.enable();
    for (unsigned v = 0; v < 16; ++v)
        r.apic.raise(static_cast<uint8_t>(v), false);
    CHECK(r.rd(reg::kIrrBase) == 0);
    CHECK(r.apic.pending_vector() == -1);
    CHECK(r.esr() == reg::kEsrReceiveIllegalVector);
    r.apic.raise(16, false); // the first legal vector
    CHECK(r.rd(reg::kIrrBase) == (1u << 16));
    CHECK(r.esr() == 0);
}

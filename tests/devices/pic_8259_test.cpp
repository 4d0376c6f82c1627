// The 8259A pair through its ports: initialization, masking, priority, EOI, cascade.
#include "device_test_helpers.hpp"
#include "devices/pic_8259.hpp"

#include <catch2/catch.hpp>

using hvlab::devices::Pic8259;

namespace {
struct Pic {
    Pic8259 p;
    void master(uint16_t o, uint8_t v) { p.master_ports().port_write(o, 1, v); }
    void slave(uint16_t o, uint8_t v) { p.slave_ports().port_write(o, 1, v); }
    uint8_t master_in(uint16_t o) { return static_cast<uint8_t>(p.master_ports().port_read(o, 1)); }
    uint8_t slave_in(uint16_t o) { return static_cast<uint8_t>(p.slave_ports().port_read(o, 1)); }
    // The BIOS/Linux sequence: edge, cascade, ICW4; vectors 0x20 / 0x28; slave on IR2.
    void init(uint8_t master_mask = 0, uint8_t slave_mask = 0) {
        master(0, 0x11);
        master(1, 0x20);
        master(1, 0x04);
        master(1, 0x01);
        slave(0, 0x11);
        slave(1, 0x28);
        slave(1, 0x02);
        slave(1, 0x01);
        master(1, master_mask);
        slave(1, slave_mask);
    }
};
} // namespace

TEST_CASE("PIC initialization sets vector bases and clears the mask", "[pic]") {
    Pic t;
    t.master(1, 0x5A);
    t.init();
    CHECK(t.master_in(1) == 0x00);
    CHECK(t.p.peek_master().initialized);
    CHECK(t.p.peek_master().vector_base == 0x20);
    CHECK(t.p.peek_slave().vector_base == 0x28);
    t.p.raise_irq(0);
    CHECK(t.p.pending_vector() == 0x20);
}

TEST_CASE("PIC: writing 0xFF to both masks masks everything", "[pic]") {
    Pic t;
    t.init();
    t.master(1, 0xFF);
    t.slave(1, 0xFF);
    CHECK(t.master_in(1) == 0xFF);
    CHECK(t.slave_in(1) == 0xFF);
    for (unsigned irq = 0; irq < 16; ++irq)
        t.p.raise_irq(irq);
    CHECK(t.p.pending_vector() == -1);
    // Without initialization, too (a guest that only masks the PIC).
    Pic raw;
    raw.master(1, 0xFF);
    raw.slave(1, 0xFF);
    raw.p.raise_irq(4);
    CHECK(raw.p.pending_vector() == -1);
}

TEST_CASE("PIC priority: lower IR wins, in-service blocks lower, EOI releases", "[pic]") {
    Pic t;
    t.init(0xFF & ~0x0A, 0xFF); // IRQ 1 and 3 unmasked
    t.p.raise_irq(3);
    t.p.raise_irq(1);
    t.p.raise_irq(5); // masked
    CHECK(t.p.pending_vector() == 0x21);
    CHECK(t.p.acknowledge() == 0x21);
    t.master(0, 0x0B); // OCW3: read ISR
    CHECK(t.master_in(0) == 0x02);
    t.master(0, 0x0A);                 // OCW3: read IRR
    CHECK(t.master_in(0) == 0x28);     // IRQ 3 and the masked IRQ 5 are requested
    CHECK(t.p.pending_vector() == -1); // IRQ 3 is below the in-service IRQ 1
    t.master(0, 0x20);                 // non-specific EOI
    CHECK(t.p.pending_vector() == 0x23);
    t.master(1, 0xD5); // unmask IRQ 5 as well (IRQ 1, 3 unmasked)
    CHECK(t.p.acknowledge() == 0x23);
    CHECK(t.p.pending_vector() == -1); // IRQ 5 waits for IRQ 3's EOI
    t.master(0, 0x63);                 // specific EOI for IR3
    CHECK(t.p.pending_vector() == 0x25);
}

TEST_CASE("PIC higher priority interrupts nest over a lower one in service", "[pic]") {
    Pic t;
    t.init();
    t.p.raise_irq(6);
    CHECK(t.p.acknowledge() == 0x26);
    t.p.raise_irq(4);
    CHECK(t.p.pending_vector() == 0x24);
}

TEST_CASE("PIC requests are edge-triggered", "[pic]") {
    Pic t;
    t.init();
    t.p.set_irq_level(4, true);
    CHECK(t.p.acknowledge() == 0x24);
    t.master(0, 0x20);
    t.p.set_irq_level(4, true); // still high: no new edge
    CHECK(t.p.pending_vector() == -1);
    t.p.set_irq_level(4, false);
    t.p.irq_line(4).set_level(true); // the IrqLine adapter, as the UART drives it
    CHECK(t.p.pending_vector() == 0x24);
}

TEST_CASE("PIC cascade: slave IRQs arrive through master IR2", "[pic]") {
    Pic t;
    t.init();
    t.p.raise_irq(12);
    CHECK(t.p.pending_vector() == 0x2C);
    CHECK(t.p.acknowledge() == 0x2C);
    CHECK(t.p.peek_master().isr == 0x04);
    CHECK(t.p.peek_slave().isr == 0x10);
    t.p.raise_irq(9);                  // slave IR1 outranks the in-service IR4 on the slave...
    CHECK(t.p.pending_vector() == -1); // ...but master IR2 is in service (not SFNM)
    t.slave(0, 0x20);
    t.master(0, 0x20);
    CHECK(t.p.pending_vector() == 0x29);
    t.p.raise_irq(1); // master IR1 beats the cascade IR2
    CHECK(t.p.acknowledge() == 0x21);
}

TEST_CASE("PIC slave mask blocks cascaded IRQs", "[pic]") {
    Pic t;
    t.init(0x00, 0x10);
    t.p.raise_irq(12);
    CHECK(t.p.pending_vector() == -1);
    t.slave(1, 0x00);
    CHECK(t.p.pending_vector() == 0x2C);
}

TEST_CASE("PIC INTA with nothing pending gives the spurious IRQ 7 vector", "[pic]") {
    Pic t;
    t.init();
    CHECK(t.p.acknowledge() == 0x27);
    CHECK(t.p.peek_master().isr == 0);
}

TEST_CASE("PIC auto-EOI leaves ISR clear", "[pic]") {
    Pic t;
    t.master(0, 0x11);
    t.master(1, 0x30);
    t.master(1, 0x04);
    t.master(1, 0x03); // AEOI
    t.master(1, 0x00);
    t.p.raise_irq(0);
    CHECK(t.p.acknowledge() == 0x30);
    CHECK(t.p.peek_master().isr == 0);
    t.p.raise_irq(5);
    CHECK(t.p.pending_vector() == 0x35);
}

TEST_CASE("PIC rotation makes the serviced level lowest", "[pic]") {
    Pic t;
    t.init();
    t.p.raise_irq(0);
    CHECK(t.p.acknowledge() == 0x20);
    t.master(0, 0xA0); // rotate on non-specific EOI: IR0 becomes lowest
    t.p.raise_irq(0);
    t.p.raise_irq(7);
    CHECK(t.p.pending_vector() == 0x27); // IR7 now outranks IR0
    t.master(0, 0xC4);                   // set priority: IR4 lowest, so IR5 is highest
    CHECK(t.p.pending_vector() == 0x27); // IR7 comes before IR0 (5,6,7,0,...)
}

TEST_CASE("PIC poll command returns and acknowledges the highest request", "[pic]") {
    Pic t;
    t.init();
    t.p.raise_irq(3);
    t.master(0, 0x0C); // OCW3 with P
    CHECK(t.master_in(0) == 0x83);
    CHECK(t.p.peek_master().isr == 0x08);
    t.master(0, 0x0C);
    CHECK(t.master_in(0) == 0x00);
}

TEST_CASE("PIC ELCR ports read back writable bits only", "[pic]") {
    Pic t;
    t.p.elcr_ports().port_write(0, 1, 0xFF);
    t.p.elcr_ports().port_write(1, 1, 0xFF);
    CHECK(t.p.elcr_ports().port_read(0, 1) == 0xF8);
    CHECK(t.p.elcr_ports().port_read(1, 1) == 0xDE);
    CHECK(t.p.elcr_ports().port_read(0, 2) == 0xDEF8);
}

TEST_CASE("PIC wide accesses are split and counted", "[pic]") {
    Pic t;
    t.init();
    t.p.master_ports().port_write(0, 2, 0xFB0A); // OCW3 read IRR, then IMR = 0xFB
    CHECK(t.master_in(1) == 0xFB);
    CHECK(t.p.odd_size_accesses() == 1);
}

TEST_CASE("PIC ELCR level mode: the request follows the line and survives INTA", "[pic]") {
    Pic t;
    t.init();
    t.p.elcr_ports().port_write(1, 1, 0x02); // IRQ 9 level-triggered
    t.p.set_irq_level(9, true);
    CHECK(t.p.acknowledge() == 0x29);
    t.slave(0, 0x20);
    t.master(0, 0x20);
    CHECK(t.p.pending_vector() == 0x29); // still asserted: requests again after EOI
    t.p.set_irq_level(9, false);
    CHECK(t.p.pending_vector() == -1);
    t.p.set_irq_level(4, true); // IRQ 4 stays edge-triggered
    CHECK(t.p.acknowledge() == 0x24);
    t.master(0, 0x20);
    CHECK(t.p.pending_vector() == -1);
}

TEST_CASE("PIC ICW1.LTIM puts every input of the chip in level mode", "[pic]") {
    Pic t;
    t.master(0, 0x19);
    t.master(1, 0x40);
    t.master(1, 0x04);
    t.master(1, 0x01);
    t.master(1, 0x00);
    t.p.set_irq_level(3, true);
    CHECK(t.p.acknowledge() == 0x43);
    t.master(0, 0x20);
    CHECK(t.p.pending_vector() == 0x43);
    t.p.set_irq_level(3, false);
    CHECK(t.p.pending_vector() == -1);
}

TEST_CASE("PIC ICW1 keeps a level-triggered request that is still asserted", "[pic]") {
    Pic t;
    t.p.elcr_ports().port_write(0, 1, 0x20); // IRQ 5 level-triggered
    t.p.set_irq_level(5, true);
    t.p.raise_irq(3);
    t.init();
    CHECK(t.p.peek_master().irr == 0x20); // IRQ 3's edge is forgotten, IRQ 5 still asserted
    CHECK(t.p.pending_vector() == 0x25);
}

// The two cascaded Intel 8259A programmable interrupt controllers of a PC (Intel 8259A data
// sheet, order 231468): the master on ports 0x20-0x21 with IRQ 0-7, the slave on 0xA0-0xA1
// with IRQ 8-15 cascaded into the master's IR2, plus the edge/level control registers (ELCR)
// of the PIIX/ICH on 0x4D0-0x4D1.
//
// An input is edge-triggered (a rising edge sets its IRR bit, which INTA consumes) unless its
// ELCR bit or ICW1.LTIM selects level mode (IRR follows the line and INTA leaves it set), as
// QEMU's i8259 does for ELCR (QEMU ignores LTIM; the data sheet defines it, so hvlab honours it).
// Every PC guest that uses the local APIC instead writes 0xFF to both mask registers: that just
// masks everything and the PIC never asserts INTR.
#pragma once
#include "devices/port_device.hpp"

#include <array>
#include <cstdint>

namespace hvlab::devices {

// One 8259A: its registers and the priority logic. Port and cascade wiring live in Pic8259.
class Pic8259Chip {
  public:
    struct View {
        uint8_t irr, isr, imr, vector_base, priority_add, elcr;
        bool initialized, auto_eoi, special_mask, special_fully_nested;
    };
    explicit Pic8259Chip(bool is_master, uint8_t elcr_mask);

    void write_command(uint8_t value); // A0 = 0: ICW1, OCW2, OCW3
    void write_data(uint8_t value);    // A0 = 1: ICW2-ICW4 during initialization, else OCW1
    uint8_t read_command();            // IRR, ISR or the poll word, as OCW3 selected
    uint8_t read_data() const { return imr_; }

    void set_input(unsigned ir, bool level);
    // The cascade input follows the slave's INT output: a request the slave withdraws (its line
    // drops before INTA) is withdrawn from the master too, rather than left to become a
    // spurious IRQ 15 at INTA.
    void set_cascade_input(unsigned ir, bool level);
    // The highest-priority request that may interrupt now (IRR & ~IMR beats ISR), or -1.
    int highest_request() const;
    void acknowledge(unsigned ir); // first INTA pulse: IRR -> ISR (or auto-EOI)
    uint8_t vector_for(unsigned ir) const { return static_cast<uint8_t>(vector_base_ + ir); }

    uint8_t elcr() const { return elcr_; }
    void write_elcr(uint8_t v) { elcr_ = v & elcr_mask_; }
    View view() const;

  private:
    void icw1(uint8_t value);
    void ocw2(uint8_t value);
    void ocw3(uint8_t value);
    void end_of_interrupt(unsigned ir, bool rotate);
    int priority_of(uint8_t mask) const; // 0 = highest; 8 = none in mask
    bool level_triggered(uint8_t m) const { return level_mode_ || (elcr_ & m); }

    const bool is_master_;
    const uint8_t elcr_mask_;
    uint8_t irr_ = 0, isr_ = 0, imr_ = 0, input_levels_ = 0;
    uint8_t vector_base_ = 0, priority_add_ = 0, cascade_ = 0, elcr_ = 0;
    int init_step_ = 0; // 0: operational; 2, 3, 4: the ICW expected next
    bool need_icw4_ = false, single_ = false, auto_eoi_ = false, rotate_on_aeoi_ = false;
    bool special_fully_nested_ = false, special_mask_ = false;
    bool read_isr_ = false, poll_ = false;
    bool level_mode_ = false; // ICW1.LTIM: every input level-triggered
    bool initialized_ = false;
};

class Pic8259 {
  public:
    Pic8259();
    Pic8259(const Pic8259&) = delete;
    Pic8259& operator=(const Pic8259&) = delete;

    // Map these on the port bus: master at 0x20 (2 ports), slave at 0xA0 (2), ELCR at 0x4D0 (2).
    PortDevice& master_ports() { return master_ports_; }
    PortDevice& slave_ports() { return slave_ports_; }
    PortDevice& elcr_ports() { return elcr_ports_; }
    // An IrqLine per ISA IRQ 0-15, e.g. for the UART on IRQ 4.
    IrqLine& irq_line(unsigned irq) { return lines_[irq & 15]; }

    void set_irq_level(unsigned irq, bool level); // irq 0-15; a rising edge requests
    void raise_irq(unsigned irq);                 // one edge: request, line back low

    // The vector an INTA cycle would deliver now, or -1 when INTR is not asserted.
    int pending_vector() const;
    // INTA: moves the request to in-service and returns its vector. With nothing left to
    // deliver the 8259A answers with IR7 of the chip (a spurious interrupt, ISR unchanged).
    uint8_t acknowledge();

    Pic8259Chip::View peek_master() const { return master_.view(); }
    Pic8259Chip::View peek_slave() const { return slave_.view(); }
    uint64_t odd_size_accesses() const { return odd_size_accesses_; }

  private:
    class Ports : public PortDevice {
      public:
        enum class Kind { Master, Slave, Elcr };
        Ports(Pic8259& pic, Kind kind) : pic_(pic), kind_(kind) {}
        uint32_t port_read(uint16_t offset, unsigned size) override;
        void port_write(uint16_t offset, unsigned size, uint32_t value) override;

      private:
        Pic8259& pic_;
        Kind kind_;
    };
    class Line : public IrqLine {
      public:
        void bind(Pic8259* pic, unsigned irq) { pic_ = pic, irq_ = irq; }
        void set_level(bool asserted) override { pic_->set_irq_level(irq_, asserted); }

      private:
        Pic8259* pic_ = nullptr;
        unsigned irq_ = 0;
    };

    uint8_t read_byte(Ports::Kind kind, uint16_t offset);
    void write_byte(Ports::Kind kind, uint16_t offset, uint8_t value);
    void update_cascade(); // the slave's INT output drives the master's IR2

    static constexpr unsigned kCascadeIr = 2;
    Pic8259Chip master_, slave_;
    Ports master_ports_, slave_ports_, elcr_ports_;
    std::array<Line, 16> lines_;
    uint64_t odd_size_accesses_ = 0;
};

} // namespace hvlab::devices

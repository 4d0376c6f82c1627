#include "devices/pic_8259.hpp"

namespace hvlab::devices {

// --- One chip -------------------------------------------------------------------------------

// Before ICW1 the data sheet leaves the chip's state undefined; it starts as QEMU's reset
// leaves it: nothing masked, nothing pending or in service, vector base 0, IR0 highest.
Pic8259Chip::Pic8259Chip(bool is_master, uint8_t elcr_mask)
    : is_master_(is_master), elcr_mask_(elcr_mask) {}

void Pic8259Chip::write_command(uint8_t value) {
    // Bit 4 set marks ICW1; otherwise bit 3 tells OCW3 (1) from OCW2 (0).
    if (value & 0x10)
        icw1(value);
    else if (value & 0x08)
        ocw3(value);
    else
        ocw2(value);
}

// ICW1 starts the initialization sequence. The data sheet's "Initialization Command Words":
// the mask is cleared, IR7 gets the lowest priority, special mask mode is cleared, status read
// is set to IRR, and the edge-sense latches are reset.
void Pic8259Chip::icw1(uint8_t value) {
    imr_ = isr_ = 0;
    // Edge-sense latches reset; a level-triggered (ELCR) input that is still high still
    // requests, as QEMU keeps it.
    input_levels_ &= elcr_;
    irr_ = input_levels_;
    priority_add_ = 0;
    special_mask_ = false;
    read_isr_ = poll_ = false;
    auto_eoi_ = rotate_on_aeoi_ = special_fully_nested_ = false;
    need_icw4_ = value & 0x01;
    single_ = value & 0x02;
    level_mode_ = value & 0x08;
    init_step_ = 2;
}

void Pic8259Chip::write_data(uint8_t value) {
    switch (init_step_) {
    case 2: // ICW2: T7-T3 of the vector; the low three bits come from the IR number
        vector_base_ = value & 0xF8;
        init_step_ = single_ ? (need_icw4_ ? 4 : 0) : 3;
        break;
    case 3: // ICW3: master: which IRs have slaves; slave: its cascade identity
        cascade_ = value;
        init_step_ = need_icw4_ ? 4 : 0;
        break;
    case 4: // ICW4: bit 1 AEOI, bit 4 SFNM (bit 0 uPM is 1 on every PC; 8080 mode is moot)
        auto_eoi_ = value & 0x02;
        special_fully_nested_ = value & 0x10;
        init_step_ = 0;
        break;
    default: // OCW1: the interrupt mask register
        imr_ = value;
        return;
    }
    if (init_step_ == 0) initialized_ = true;
}

// OCW2: bits 7-5 are R, SL, EOI; bits 2-0 the level for the specific forms.
void Pic8259Chip::ocw2(uint8_t value) {
    const unsigned level = value & 7;
    const int highest = priority_of(isr_);
    const unsigned highest_ir = (static_cast<unsigned>(highest) + priority_add_) & 7;
    switch (value >> 5) {
    case 0: rotate_on_aeoi_ = false; break; // clear rotate in automatic EOI mode
    case 4: rotate_on_aeoi_ = true; break;  // set rotate in automatic EOI mode
    case 1:                                 // non-specific EOI
        if (highest != 8) end_of_interrupt(highest_ir, false);
        break;
    case 5: // rotate on non-specific EOI
        if (highest != 8) end_of_interrupt(highest_ir, true);
        break;
    case 3: end_of_interrupt(level, false); break;  // specific EOI
    case 7: end_of_interrupt(level, true); break;   // rotate on specific EOI
    case 6: priority_add_ = (level + 1) & 7; break; // set priority: level becomes lowest
    default: break;                                 // 2: no operation
    }
}

void Pic8259Chip::end_of_interrupt(unsigned ir, bool rotate) {
    isr_ &= static_cast<uint8_t>(~(1u << ir));
    if (rotate) priority_add_ = (ir + 1) & 7; // the serviced level becomes the lowest
}

// OCW3: bit 2 P (poll), bits 1-0 RR/RIS (read IRR or ISR), bits 6-5 ESMM/SMM.
void Pic8259Chip::ocw3(uint8_t value) {
    if (value & 0x04) poll_ = true;
    if (value & 0x02) read_isr_ = value & 0x01;
    if (value & 0x40) special_mask_ = value & 0x20;
}

uint8_t Pic8259Chip::read_command() {
    if (poll_) {
        // Poll command: the next read is the poll word and acts as an INTA for that level.
        poll_ = false;
        const int ir = highest_request();
        if (ir < 0) return 0;
        acknowledge(static_cast<unsigned>(ir));
        return static_cast<uint8_t>(0x80 | ir);
    }
    return read_isr_ ? isr_ : irr_;
}

void Pic8259Chip::set_input(unsigned ir, bool level) {
    const uint8_t m = static_cast<uint8_t>(1u << (ir & 7));
    if (level_triggered(m)) {
        if (level)
            irr_ |= m; // level mode: the request lasts as long as the line is high
        else
            irr_ &= static_cast<uint8_t>(~m);
    } else if (level && !(input_levels_ & m)) {
        irr_ |= m; // edge mode: only a rising edge requests
    }
    if (level)
        input_levels_ |= m;
    else
        input_levels_ &= static_cast<uint8_t>(~m);
}

void Pic8259Chip::set_cascade_input(unsigned ir, bool level) {
    set_input(ir, level);
    if (!level) irr_ &= static_cast<uint8_t>(~(1u << (ir & 7)));
}

// Priorities rotate: priority 0 (highest) belongs to IR (priority_add_), and so on upwards.
int Pic8259Chip::priority_of(uint8_t mask) const {
    for (int p = 0; p < 8; ++p)
        if (mask & (1u << ((p + priority_add_) & 7))) return p;
    return 8;
}

// A request interrupts if it is unmasked and of higher priority than everything in service.
// Special mask mode lets masked in-service levels stop blocking; in special fully nested mode
// the master does not let the cascade IR block further requests from the same slave.
int Pic8259Chip::highest_request() const {
    const int request = priority_of(irr_ & ~imr_);
    if (request == 8) return -1;
    uint8_t in_service = isr_;
    if (special_mask_) in_service &= ~imr_;
    if (special_fully_nested_ && is_master_) in_service &= ~cascade_;
    if (request >= priority_of(in_service)) return -1;
    return (request + priority_add_) & 7;
}

void Pic8259Chip::acknowledge(unsigned ir) {
    const uint8_t m = static_cast<uint8_t>(1u << ir);
    if (!level_triggered(m)) irr_ &= static_cast<uint8_t>(~m); // an edge request is consumed
    if (auto_eoi_) {
        if (rotate_on_aeoi_) priority_add_ = (ir + 1) & 7;
    } else {
        isr_ |= m;
    }
}

Pic8259Chip::View Pic8259Chip::view() const {
    return {irr_,  isr_,         imr_,      vector_base_,  priority_add_,
            elcr_, initialized_, auto_eoi_, special_mask_, special_fully_nested_};
}

// --- The cascaded pair ----------------------------------------------------------------------

// ELCR masks as on the PIIX: IRQ 0, 1, 2, 8 and 13 are always edge-triggered.
Pic8259::Pic8259()
    : master_(true, 0xF8), slave_(false, 0xDE), master_ports_(*this, Ports::Kind::Master),
      slave_ports_(*this, Ports::Kind::Slave), elcr_ports_(*this, Ports::Kind::Elcr) {
    for (unsigned i = 0; i < lines_.size(); ++i)
        lines_[i].bind(this, i);
}

void Pic8259::set_irq_level(unsigned irq, bool level) {
    irq &= 15;
    if (irq < 8)
        master_.set_input(irq, level);
    else
        slave_.set_input(irq - 8, level);
    update_cascade();
}

void Pic8259::raise_irq(unsigned irq) {
    set_irq_level(irq, true);
    set_irq_level(irq, false);
}

void Pic8259::update_cascade() {
    master_.set_cascade_input(kCascadeIr, slave_.highest_request() >= 0);
}

int Pic8259::pending_vector() const {
    const int ir = master_.highest_request();
    if (ir < 0) return -1;
    if (static_cast<unsigned>(ir) != kCascadeIr) return master_.vector_for(ir);
    const int sir = slave_.highest_request();
    return slave_.vector_for(sir < 0 ? 7 : sir);
}

uint8_t Pic8259::acknowledge() {
    const int ir = master_.highest_request();
    uint8_t vector;
    if (ir < 0) {
        vector = master_.vector_for(7); // spurious IRQ 7
    } else if (static_cast<unsigned>(ir) != kCascadeIr) {
        master_.acknowledge(ir);
        vector = master_.vector_for(ir);
    } else {
        master_.acknowledge(kCascadeIr);
        const int sir = slave_.highest_request();
        if (sir >= 0) slave_.acknowledge(sir);
        vector = slave_.vector_for(sir < 0 ? 7 : sir); // spurious IRQ 15 if the slave let go
    }
    update_cascade();
    return vector;
}

uint8_t Pic8259::read_byte(Ports::Kind kind, uint16_t offset) {
    uint8_t v = 0xFF;
    switch (kind) {
    case Ports::Kind::Master: v = offset == 0 ? master_.read_command() : master_.read_data(); break;
    case Ports::Kind::Slave: v = offset == 0 ? slave_.read_command() : slave_.read_data(); break;
    case Ports::Kind::Elcr: v = offset == 0 ? master_.elcr() : slave_.elcr(); break;
    }
    update_cascade(); // a poll read acknowledges
    return v;
}

void Pic8259::write_byte(Ports::Kind kind, uint16_t offset, uint8_t value) {
    Pic8259Chip* chip = nullptr;
    switch (kind) {
    case Ports::Kind::Master: chip = &master_; break;
    case Ports::Kind::Slave: chip = &slave_; break;
    case Ports::Kind::Elcr:
        if (offset == 0)
            master_.write_elcr(value);
        else
            slave_.write_elcr(value);
        return;
    }
    if (offset == 0)
        chip->write_command(value);
    else
        chip->write_data(value);
    update_cascade();
}

// Each register is 8 bits: a wider access is split into byte accesses on consecutive ports
// (ISA bus behaviour, and QEMU's); bytes past the 2-port range read as open bus.
uint32_t Pic8259::Ports::port_read(uint16_t offset, unsigned size) {
    if (size != 1) ++pic_.odd_size_accesses_;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint16_t o = static_cast<uint16_t>(offset + i);
        v |= uint32_t{o < 2 ? pic_.read_byte(kind_, o) : uint8_t{0xFF}} << (8 * i);
    }
    return v;
}

void Pic8259::Ports::port_write(uint16_t offset, unsigned size, uint32_t value) {
    if (size != 1) ++pic_.odd_size_accesses_;
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint16_t o = static_cast<uint16_t>(offset + i);
        if (o < 2) pic_.write_byte(kind_, o, static_cast<uint8_t>(value >> (8 * i)));
    }
}

} // namespace hvlab::devices

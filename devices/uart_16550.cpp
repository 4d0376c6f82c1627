#include "devices/uart_16550.hpp"

namespace hvlab::devices {

namespace {
// IER bits: ERBFI receive data, ETBEI THR empty, ELSI receiver line status, EDSSI modem status.
constexpr uint8_t kIerErbfi = 0x01, kIerEtbei = 0x02, kIerElsi = 0x04, kIerEdssi = 0x08;
// IIR interrupt identification codes (bits 3:0); bit 0 set means "no interrupt pending".
constexpr uint8_t kIirNone = 0x01, kIirRls = 0x06, kIirRda = 0x04, kIirTimeout = 0x0C,
                  kIirThre = 0x02, kIirModem = 0x00, kIirFifoBits = 0xC0;
// LSR bits: DR data ready, OE overrun, PE parity, FE framing, BI break, THRE, TEMT, RCVR FIFO err.
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrErrorBits = 0x1E, kLsrThre = 0x20,
                  kLsrTemt = 0x40, kLsrFifoErr = 0x80;
// MCR bits: DTR, RTS, OUT1, OUT2, LOOP.
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08;
// MSR bits: deltas in 3:0 (DCTS, DDSR, TERI, DDCD), lines in 7:4 (CTS, DSR, RI, DCD).
constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
constexpr uint8_t kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08;
// With no loopback the host side of the line is "connected": carrier, data set ready and clear
// to send are asserted, as QEMU's serial reset leaves them.
constexpr uint8_t kMsrHostLines = kMsrDcd | kMsrDsr | kMsrCts;
// FCR receiver trigger levels (bits 7:6).
constexpr unsigned kTriggerLevels[4] = {1, 4, 8, 14};

// The modem input lines the guest sees for a given MCR: in loopback the outputs are wired
// back to the inputs (PC16550D, "Modem Control Register", bit 4).
uint8_t modem_lines(uint8_t mcr) {
    if (!(mcr & 0x10)) return kMsrHostLines;
    uint8_t v = 0;
    if (mcr & kMcrRts) v |= kMsrCts;
    if (mcr & kMcrDtr) v |= kMsrDsr;
    if (mcr & kMcrOut1) v |= kMsrRi;
    if (mcr & kMcrOut2) v |= kMsrDcd;
    return v;
}
} // namespace

// Reset values follow the datasheet's "UART Reset Configuration" table: IER, FCR, LCR and the
// error bits are cleared, LSR reads THRE|TEMT (nothing to send), IIR reads "none pending".
// MCR is the exception: it reads OUT2 (0x08), what a PC's firmware leaves (OUT2 gates the UART
// interrupt onto the ISA bus) and what QEMU's reset sets, so guests see the value they see
// there. The datasheet leaves the divisor latch undefined; 0 makes an unprogrammed divisor
// visible.
Uart16550::Uart16550(ByteSink& out, IrqLine* irq)
    : out_(out), irq_(irq), divisor_(0), ier_(0), lcr_(0), mcr_(kMcrOut2), scr_(0), fcr_(0),
      lsr_errors_(0), msr_deltas_(0), msr_lines_(kMsrHostLines), fifo_enabled_(false),
      thre_pending_(false) {}

uint32_t Uart16550::port_read(uint16_t offset, unsigned size) {
    if (size == 1) return read_byte(offset);
    // Every register is 8 bits wide: a wider access is split into byte accesses on consecutive
    // ports, as the ISA bus does; a byte past the register file reads as an open bus.
    ++odd_size_accesses_;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint16_t o = static_cast<uint16_t>(offset + i);
        v |= uint32_t{o < 8 ? read_byte(o) : uint8_t{0xFF}} << (8 * i);
    }
    return v;
}

void Uart16550::port_write(uint16_t offset, unsigned size, uint32_t value) {
    if (size == 1) return write_byte(offset, static_cast<uint8_t>(value));
    ++odd_size_accesses_;
    for (unsigned i = 0; i < size && i < 4; ++i) {
        const uint16_t o = static_cast<uint16_t>(offset + i);
        if (o < 8) write_byte(o, static_cast<uint8_t>(value >> (8 * i)));
    }
}

uint8_t Uart16550::read_byte(uint16_t offset) {
    switch (offset) {
    case RBR_THR_DLL: return dlab() ? static_cast<uint8_t>(divisor_) : read_rbr();
    case IER_DLM: return dlab() ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
    case IIR_FCR: return read_iir();
    case LCR: return lcr_;
    case MCR: return mcr_;
    case LSR: return read_lsr();
    case MSR: return read_msr();
    case SCR: return scr_;
    default: return 0xFF;
    }
}

void Uart16550::write_byte(uint16_t offset, uint8_t value) {
    switch (offset) {
    case RBR_THR_DLL:
        if (dlab())
            divisor_ = static_cast<uint16_t>((divisor_ & 0xFF00) | value);
        else
            write_thr(value);
        break;
    case IER_DLM:
        if (dlab()) {
            divisor_ = static_cast<uint16_t>((divisor_ & 0x00FF) | (value << 8));
        } else {
            // Enabling ETBEI while THR is empty raises the THRE interrupt at once (datasheet,
            // "Interrupt Enable Register"); the virtual THR is always empty.
            if ((value & kIerEtbei) && !(ier_ & kIerEtbei)) thre_pending_ = true;
            ier_ = value & 0x0F; // bits 7:4 are always 0
        }
        break;
    case IIR_FCR: write_fcr(value); break;
    case LCR: lcr_ = value; break;
    case MCR: write_mcr(value); break;
    case LSR: break; // LSR is read-only on the 16550 (factory test use only)
    case MSR: break; // MSR input lines are driven from outside; writes have no effect
    case SCR: scr_ = value; break;
    default: break;
    }
    update_irq();
}

void Uart16550::write_thr(uint8_t value) {
    // The byte leaves at once, so THR is empty again: the THRE interrupt is re-armed.
    if (loopback()) {
        push_rx(value);
    } else {
        out_.put(value);
    }
    thre_pending_ = true;
}

void Uart16550::write_fcr(uint8_t value) {
    // FCR0 gates the rest: with it 0 the FIFOs are off and the other bits are not programmed;
    // changing FCR0 clears both FIFOs (datasheet, "FIFO Control Register").
    const bool enable = value & 0x01;
    if (enable != fifo_enabled_) rx_.clear();
    // Resetting the transmit FIFO (bit 2, or implied by changing FCR0) empties THR, which
    // raises the THRE interrupt again; QEMU does the same.
    if ((value & 0x04) || enable != fifo_enabled_) thre_pending_ = true;
    fifo_enabled_ = enable;
    if (!enable) {
        fcr_ = 0;
        return;
    }
    if (value & 0x02) rx_.clear(); // RCVR FIFO reset (self-clearing)
    fcr_ = value & 0xC9;           // bits 1-2 self-clear; bits 5:4 reserved
}

void Uart16550::write_mcr(uint8_t value) {
    const uint8_t before = compute_msr() & 0xF0;
    mcr_ = value & 0x1F; // bits 7:5 are always 0
    const uint8_t after = modem_lines(mcr_);
    const uint8_t changed = before ^ after;
    if (changed & kMsrCts) msr_deltas_ |= kMsrDcts;
    if (changed & kMsrDsr) msr_deltas_ |= kMsrDdsr;
    if (changed & kMsrDcd) msr_deltas_ |= kMsrDdcd;
    if ((before & kMsrRi) && !(after & kMsrRi)) msr_deltas_ |= kMsrTeri; // trailing edge of RI
    msr_lines_ = after;
}

uint8_t Uart16550::read_rbr() {
    if (!rx_.empty()) {
        rbr_ = rx_.front();
        rx_.pop_front();
        update_irq();
    }
    return rbr_;
}

uint8_t Uart16550::read_iir() {
    const uint8_t v = compute_iir();
    // Reading IIR while it reports THRE is one of the two ways to clear that interrupt.
    if ((v & 0x0F) == kIirThre) {
        thre_pending_ = false;
        update_irq();
    }
    return v;
}

uint8_t Uart16550::read_lsr() {
    const uint8_t v = compute_lsr();
    lsr_errors_ = 0; // OE/PE/FE/BI clear on read, which also clears the line-status interrupt
    update_irq();
    return v;
}

uint8_t Uart16550::read_msr() {
    const uint8_t v = compute_msr();
    msr_deltas_ = 0;
    update_irq();
    return v;
}

// Interrupt priority, highest first (datasheet, "Interrupt Identification Register" table):
// receiver line status, received data available (or character timeout), THR empty, modem
// status. The virtual line has no character time, so data below the FIFO trigger level is
// reported at once as a character timeout rather than after four character times.
uint8_t Uart16550::compute_iir() const {
    uint8_t id = kIirNone;
    const unsigned trigger = kTriggerLevels[fcr_ >> 6];
    if ((ier_ & kIerElsi) && lsr_errors_)
        id = kIirRls;
    else if ((ier_ & kIerErbfi) && !rx_.empty())
        id = (!fifo_enabled_ || rx_.size() >= trigger) ? kIirRda : kIirTimeout;
    else if ((ier_ & kIerEtbei) && thre_pending_)
        id = kIirThre;
    else if ((ier_ & kIerEdssi) && msr_deltas_)
        id = kIirModem;
    return static_cast<uint8_t>(id | (fifo_enabled_ ? kIirFifoBits : 0));
}

uint8_t Uart16550::compute_lsr() const {
    uint8_t v = kLsrThre | kLsrTemt; // the virtual transmitter is never busy
    if (!rx_.empty()) v |= kLsrDr;
    v |= lsr_errors_ & kLsrErrorBits;
    if (fifo_enabled_ && (lsr_errors_ & 0x1C)) v |= kLsrFifoErr; // PE/FE/BI, not OE
    return v;
}

uint8_t Uart16550::compute_msr() const {
    return static_cast<uint8_t>(msr_lines_ | msr_deltas_);
}

bool Uart16550::receive(uint8_t byte) {
    // In loopback the serial input is disconnected from the line (datasheet, MCR bit 4).
    if (loopback()) return false;
    const bool accepted = push_rx(byte);
    update_irq();
    return accepted;
}

bool Uart16550::push_rx(uint8_t byte) {
    if (rx_.size() < rx_capacity()) {
        rx_.push_back(byte);
        return true;
    }
    // Overrun: without FIFOs the new character overwrites RBR; with FIFOs it is lost in the
    // shift register and the FIFO keeps its contents (datasheet, LSR bit 1).
    if (!fifo_enabled_) rx_.back() = byte;
    lsr_errors_ |= kLsrOe;
    return false;
}

void Uart16550::update_irq() {
    const bool level = !(compute_iir() & kIirNone);
    if (level == irq_level_) return;
    irq_level_ = level;
    if (irq_) irq_->set_level(level);
}

} // namespace hvlab::devices

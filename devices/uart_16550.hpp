// A National Semiconductor PC16550D UART ("16550A"): the register file at offsets 0-7 of its
// I/O range (COM1 is 0x3F8). Register names are the datasheet's (PC16550D Universal
// Asynchronous Receiver/Transmitter with FIFOs, National Semiconductor, 1995).
//
// The virtual line has no baud rate and is never busy: a byte written to THR reaches the sink at
// once, so THRE and TEMT read 1 again right after the write. Input arrives through receive()
// into the 16-byte RX FIFO. The interrupt output is the level of IIR's "interrupt pending", as
// QEMU's serial model drives it (not gated by MCR.OUT2), so guests validated on QEMU behave the
// same here. tests/devices/uart_qemu_oracle_test.cpp runs one register script on this model and
// on QEMU's 16550A. The two documented differences: in loopback the MSR delta bits follow the
// datasheet (QEMU never sets them), and data below the FIFO trigger level reports a character
// timeout at once (the virtual line has no character time; QEMU waits four of them).
#pragma once
#include "devices/port_device.hpp"

#include <cstdint>
#include <deque>

namespace hvlab::devices {

class Uart16550 : public PortDevice {
  public:
    // Register offsets (DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1).
    enum Reg : uint16_t {
        RBR_THR_DLL = 0,
        IER_DLM = 1,
        IIR_FCR = 2,
        LCR = 3,
        MCR = 4,
        LSR = 5,
        MSR = 6,
        SCR = 7
    };
    static constexpr unsigned kFifoDepth = 16;

    explicit Uart16550(ByteSink& out, IrqLine* irq = nullptr);

    uint32_t port_read(uint16_t offset, unsigned size) override;
    void port_write(uint16_t offset, unsigned size, uint32_t value) override;

    // Host input: queues one byte as if it arrived on the line. Returns false (and sets the
    // overrun error) when the receiver has no room, as the chip would lose the character.
    bool receive(uint8_t byte);
    bool rx_full() const { return rx_.size() >= rx_capacity(); }

    // Side-effect-free views for the inspector and tests (reading RBR, IIR, LSR or MSR through
    // port_read changes state; these never do).
    uint8_t peek_ier() const { return ier_; }
    uint8_t peek_iir() const { return compute_iir(); }
    uint8_t peek_lcr() const { return lcr_; }
    uint8_t peek_mcr() const { return mcr_; }
    uint8_t peek_lsr() const { return compute_lsr(); }
    uint8_t peek_msr() const { return compute_msr(); }
    uint8_t peek_scr() const { return scr_; }
    uint16_t peek_divisor() const { return divisor_; }
    bool peek_fifo_enabled() const { return fifo_enabled_; }
    unsigned peek_rx_count() const { return static_cast<unsigned>(rx_.size()); }
    bool peek_irq_level() const { return irq_level_; }
    // Accesses wider than one byte (split into byte accesses, as the ISA bus and QEMU do).
    uint64_t odd_size_accesses() const { return odd_size_accesses_; }

  private:
    uint8_t read_byte(uint16_t offset);
    void write_byte(uint16_t offset, uint8_t value);
    void write_thr(uint8_t value);
    bool push_rx(uint8_t byte); // into the receiver; false (and OE) on overrun
    void write_fcr(uint8_t value);
    void write_mcr(uint8_t value);
    uint8_t read_rbr();
    uint8_t read_iir();
    uint8_t read_lsr();
    uint8_t read_msr();
    uint8_t compute_iir() const;
    uint8_t compute_lsr() const;
    uint8_t compute_msr() const;
    unsigned rx_capacity() const { return fifo_enabled_ ? kFifoDepth : 1; }
    bool loopback() const { return mcr_ & 0x10; }
    bool dlab() const { return lcr_ & 0x80; }
    void update_irq();

    ByteSink& out_;
    IrqLine* irq_;
    std::deque<uint8_t> rx_;
    uint16_t divisor_;
    uint8_t rbr_ = 0; // last byte taken from the receiver (RBR re-reads it when empty)
    uint8_t ier_, lcr_, mcr_, scr_, fcr_;
    uint8_t lsr_errors_; // OE/PE/FE/BI (LSR bits 4:1), cleared by reading LSR
    uint8_t msr_deltas_; // DCTS/DDSR/TERI/DDCD (MSR bits 3:0), cleared by reading MSR
    uint8_t msr_lines_;  // CTS/DSR/RI/DCD (MSR bits 7:4) as last sampled
    bool fifo_enabled_;
    bool thre_pending_; // the THR-empty interrupt condition (cleared by IIR read or THR write)
    bool irq_level_ = false;
    uint64_t odd_size_accesses_ = 0;
};

} // namespace hvlab::devices

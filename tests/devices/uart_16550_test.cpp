// The 16550A through its register interface.
#include "device_test_helpers.hpp"
#include "devices/uart_16550.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using U = devices::Uart16550;

namespace {
struct Uart {
    RecordingSink out;
    RecordingIrq irq;
    devices::Uart16550 u{out, &irq};
    uint8_t in(uint16_t r) { return static_cast<uint8_t>(u.port_read(r, 1)); }
    void outb(uint16_t r, uint8_t v) { u.port_write(r, 1, v); }
};
} // namespace

TEST_CASE("UART reset values", "[uart]") {
    Uart t;
    CHECK(t.in(U::IER_DLM) == 0);
    CHECK(t.in(U::IIR_FCR) == 0x01);
    CHECK(t.in(U::LCR) == 0);
    CHECK(t.in(U::MCR) == 0x08); // OUT2, as QEMU (and a PC BIOS) leave it
    CHECK(t.in(U::LSR) == 0x60);
    CHECK(t.in(U::MSR) == 0xB0);
    CHECK_FALSE(t.irq.level);
}

TEST_CASE("UART THR write reaches the sink and LSR shows THRE|TEMT right after", "[uart]") {
    Uart t;
    for (char c : std::string("hi\n")) {
        t.outb(U::RBR_THR_DLL, static_cast<uint8_t>(c));
        CHECK(t.in(U::LSR) == 0x60);
    }
    CHECK(t.out.bytes == "hi\n");
}

TEST_CASE("UART divisor latch round-trips with DLAB and hides IER/RBR", "[uart]") {
    Uart t;
    t.outb(U::IER_DLM, 0x05); // IER before DLAB
    t.outb(U::LCR, 0x83);     // DLAB, 8N1
    t.outb(U::RBR_THR_DLL, 0x01);
    t.outb(U::IER_DLM, 0x02);
    CHECK(t.in(U::RBR_THR_DLL) == 0x01);
    CHECK(t.in(U::IER_DLM) == 0x02);
    CHECK(t.u.peek_divisor() == 0x0201);
    CHECK(t.out.bytes.empty()); // the DLL write was not a THR write
    t.outb(U::LCR, 0x03);
    CHECK(t.in(U::LCR) == 0x03);
    CHECK(t.in(U::IER_DLM) == 0x05);
    t.outb(U::RBR_THR_DLL, 'A');
    CHECK(t.out.bytes == "A");
    CHECK(t.u.peek_divisor() == 0x0201);
}

TEST_CASE("UART scratch register holds any value", "[uart]") {
    Uart t;
    for (int v : {0x00, 0x5A, 0xA5, 0xFF}) {
        t.outb(U::SCR, static_cast<uint8_t>(v));
        CHECK(t.in(U::SCR) == v);
    }
}

TEST_CASE("UART IER keeps only its four defined bits", "[uart]") {
    Uart t;
    t.outb(U::IER_DLM, 0xFF);
    CHECK(t.in(U::IER_DLM) == 0x0F);
}

TEST_CASE("UART received data sets DR and is read from RBR in order", "[uart]") {
    Uart t;
    CHECK(t.u.receive('x'));
    CHECK(t.in(U::LSR) == 0x61);
    CHECK(t.in(U::RBR_THR_DLL) == 'x');
    CHECK(t.in(U::LSR) == 0x60);
}

TEST_CASE("UART IIR priority: line status > RX data > THR empty > modem status", "[uart]") {
    Uart t;
    t.outb(U::MCR, 0x10);        // loopback: CTS, DSR, DCD drop (deltas DCTS, DDSR, DDCD)
    t.outb(U::IER_DLM, 0x0F);    // everything on; THR is empty, so THRE is pending
    t.outb(U::RBR_THR_DLL, 'a'); // loops back: RX data
    t.outb(U::RBR_THR_DLL, 'b'); // no FIFO: overrun
    CHECK(t.irq.level);
    CHECK(t.u.peek_iir() == 0x06);      // receiver line status
    CHECK(t.in(U::LSR) == 0x63);        // DR | OE | THRE | TEMT; reading clears OE
    CHECK(t.in(U::IIR_FCR) == 0x04);    // received data available
    CHECK(t.in(U::RBR_THR_DLL) == 'b'); // the overrun overwrote RBR
    CHECK(t.in(U::IIR_FCR) == 0x02);    // THR empty; this read clears it
    CHECK(t.in(U::IIR_FCR) == 0x00);    // modem status (bit 0 clear: pending)
    CHECK(t.irq.level);
    CHECK((t.in(U::MSR)&0x0F) == 0x0B); // DCTS, DDSR, DDCD; the read clears them
    CHECK(t.in(U::IIR_FCR) == 0x01);
    CHECK_FALSE(t.irq.level);
}

TEST_CASE("UART THRE interrupt: raised by enabling ETBEI, cleared by IIR read, re-armed by THR",
          "[uart]") {
    Uart t;
    t.outb(U::IER_DLM, 0x02);
    CHECK(t.irq.level);
    CHECK(t.in(U::IIR_FCR) == 0x02);
    CHECK_FALSE(t.irq.level);
    t.outb(U::RBR_THR_DLL, 'z');
    CHECK(t.irq.level);
    t.outb(U::IER_DLM, 0x00);
    CHECK_FALSE(t.irq.level);
}

TEST_CASE("UART peek accessors have no side effects", "[uart]") {
    Uart t;
    t.outb(U::IER_DLM, 0x03);
    t.u.receive('q');
    CHECK(t.u.peek_iir() == 0x04);
    CHECK(t.u.peek_lsr() == 0x61);
    CHECK(t.u.peek_rx_count() == 1);
    CHECK(t.u.peek_iir() == 0x04);
    CHECK(t.in(U::RBR_THR_DLL) == 'q'); // still there for the guest
    CHECK(t.u.peek_iir() == 0x02);
    CHECK(t.u.peek_iir() == 0x02); // peeking does not clear THRE like an IIR read does
}

TEST_CASE("UART FIFO: IIR bits 7:6, trigger level, timeout indication, 16-byte depth", "[uart]") {
    Uart t;
    t.outb(U::IIR_FCR, 0x41); // FIFO on, trigger level 4
    CHECK(t.in(U::IIR_FCR) == 0xC1);
    t.outb(U::IER_DLM, 0x01);
    t.u.receive('1');
    CHECK(t.u.peek_iir() == 0xCC); // below the trigger: character timeout
    for (char c : std::string("234"))
        t.u.receive(static_cast<uint8_t>(c));
    CHECK(t.u.peek_iir() == 0xC4); // at the trigger: data available
    for (int i = 4; i < 16; ++i)
        CHECK(t.u.receive('x'));
    CHECK_FALSE(t.u.receive('!')); // 17th byte: overrun, lost
    CHECK((t.in(U::LSR)&0x02) == 0x02);
    std::string got;
    while (t.in(U::LSR)&0x01)
        got += static_cast<char>(t.in(U::RBR_THR_DLL));
    CHECK(got == "1234xxxxxxxxxxxx");
    t.u.receive('r');
    t.outb(U::IIR_FCR, 0x43); // RCVR FIFO reset
    CHECK(t.u.peek_rx_count() == 0);
    t.outb(U::IIR_FCR, 0x00); // FIFO off
    CHECK(t.in(U::IIR_FCR) == 0x01);
}

TEST_CASE("UART loopback: THR goes to RBR, not the line; MSR mirrors MCR", "[uart]") {
    Uart t;
    t.outb(U::MCR, 0x10);
    CHECK((t.in(U::MSR)&0xF0) == 0x00);
    t.outb(U::MCR, 0x1F);               // DTR RTS OUT1 OUT2 -> DSR CTS RI DCD
    CHECK(t.in(U::MSR) == 0xF0 + 0x0B); // lines, and deltas DCTS DDSR DDCD
    t.outb(U::MCR, 0x1B);               // OUT1 falls: trailing edge of RI
    CHECK(t.in(U::MSR) == (0xB0 | 0x04));
    t.outb(U::RBR_THR_DLL, 'L');
    CHECK(t.out.bytes.empty());
    CHECK(t.in(U::RBR_THR_DLL) == 'L');
    CHECK_FALSE(t.u.receive('h')); // the line input is disconnected in loopback
    t.outb(U::MCR, 0x03);
    CHECK((t.in(U::MSR)&0xF0) == 0xB0);
    CHECK(t.u.receive('h'));
}

TEST_CASE("UART wider accesses are counted and split into byte accesses", "[uart]") {
    Uart t;
    t.outb(U::SCR, 0x77);
    CHECK(t.u.port_read(U::MSR, 2) == 0x77B0);
    CHECK(t.u.odd_size_accesses() == 1);
    t.u.port_write(U::LCR, 2, 0x1003); // LCR = 3, MCR = 0x10
    CHECK(t.in(U::LCR) == 0x03);
    CHECK(t.in(U::MCR) == 0x10);
    CHECK(t.u.port_read(U::SCR, 4) == 0xFFFFFF77); // past offset 7: open bus
    CHECK(t.u.odd_size_accesses() == 3);
}

TEST_CASE("UART transmit FIFO reset re-arms the THRE interrupt", "[uart]") {
    Uart t;
    t.outb(U::IER_DLM, 0x02);
    CHECK(t.in(U::IIR_FCR) == 0x02);
    CHECK(t.in(U::IIR_FCR) == 0x01);
    t.outb(U::IIR_FCR, 0x01); // enabling the FIFOs resets them
    CHECK(t.in(U::IIR_FCR) == 0xC2);
    t.outb(U::IIR_FCR, 0x05); // XMIT FIFO reset
    CHECK(t.in(U::IIR_FCR) == 0xC2);
    CHECK(t.in(U::IIR_FCR) == 0xC1);
}

// QEMU as the oracle for the 16550A register file: a tiny 32-bit Multiboot kernel runs a
// script of port writes and reads on COM2 (0x2F8) under qemu-system-x86_64 and sends every
// value it reads to COM1; the same script then runs against our Uart16550 and the values must
// match. Runs when qemu-system-x86_64 is installed; otherwise it only warns.
//
// Two documented differences are kept out of the script: MSR delta bits in loopback (the
// datasheet sets them, QEMU never does), and the character-timeout indication (QEMU raises it
// after four character times of host time, hvlab at once).
#include "device_test_helpers.hpp"
#include "devices/uart_16550.hpp"
#include "qemu_runner.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;

namespace {

enum Op : uint8_t { End = 0, Write = 1, Read = 2 };
struct Step {
    Op op;
    uint8_t reg;
    uint8_t value; // the byte written, or for a read the mask of bits compared
};

// as --32, loaded at 0x100020 (after the 32-byte Multiboot header); the script is at 0x100100:
//   mov $0x100100,%esi
//   next: lodsb; test %al,%al; jz done; mov %al,%bl; lodsb; movzbl %al,%edx; add $0x2F8,%edx
//         lodsb; cmp $1,%bl; jne rd; out %al,%dx; jmp next
//   rd:   in %dx,%al; mov $0x3F8,%dx; out %al,%dx; jmp next
//   done: mov $0x10,%al; out %al,$0xF4; 1: hlt; jmp 1b
const std::vector<uint8_t> kInterpreter = {
    0xbe, 0x00, 0x01, 0x10, 0x00, 0xac, 0x84, 0xc0, 0x74, 0x1d, 0x88, 0xc3, 0xac, 0x0f, 0xb6, 0xd0,
    0x81, 0xc2, 0xf8, 0x02, 0x00, 0x00, 0xac, 0x80, 0xfb, 0x01, 0x75, 0x03, 0xee, 0xeb, 0xe6, 0xec,
    0x66, 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xde, 0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};

std::vector<Step> script() {
    using U = devices::Uart16550;
    std::vector<Step> s;
    auto w = [&](uint8_t r, uint8_t v) { s.push_back({Write, r, v}); };
    auto r = [&](uint8_t reg, uint8_t mask = 0xFF) { s.push_back({Read, reg, mask}); };
    for (uint8_t reg = 0; reg < 8; ++reg)
        r(reg);                                                    // reset values
    w(U::LCR, 0x80), w(U::RBR_THR_DLL, 0x0C), w(U::IER_DLM, 0x01); // divisor latch
    r(U::RBR_THR_DLL), r(U::IER_DLM), w(U::LCR, 0x03), r(U::LCR), r(U::IER_DLM);
    w(U::SCR, 0x5A), r(U::SCR), w(U::SCR, 0xA5), r(U::SCR);
    w(U::IER_DLM, 0x07), r(U::IIR_FCR), r(U::IIR_FCR); // THRE on enable, cleared by the read
    w(U::MCR, 0x10), r(U::MCR), r(U::MSR, 0xF0);       // loopback
    w(U::RBR_THR_DLL, 'A'), r(U::LSR), r(U::IIR_FCR), r(U::RBR_THR_DLL), r(U::IIR_FCR),
        r(U::IIR_FCR);
    w(U::RBR_THR_DLL, 'B'), w(U::RBR_THR_DLL, 'C'); // overrun without FIFO
    r(U::IIR_FCR), r(U::LSR), r(U::IIR_FCR), r(U::RBR_THR_DLL), r(U::LSR), r(U::IIR_FCR),
        r(U::IIR_FCR);
    w(U::MCR, 0x1F), r(U::MSR, 0xF0), w(U::MCR, 0x12), r(U::MSR, 0xF0);
    w(U::IIR_FCR, 0x07), r(U::IIR_FCR); // FIFO on, trigger level 1
    w(U::RBR_THR_DLL, 'D'), r(U::IIR_FCR), r(U::LSR), r(U::RBR_THR_DLL), r(U::IIR_FCR),
        r(U::IIR_FCR);
    w(U::IIR_FCR, 0x47); // trigger level 4
    for (char c : std::string("1234"))
        w(U::RBR_THR_DLL, static_cast<uint8_t>(c));
    r(U::IIR_FCR);
    for (int i = 0; i < 4; ++i)
        r(U::RBR_THR_DLL);
    r(U::LSR), r(U::IIR_FCR), r(U::IIR_FCR);
    for (int i = 0; i < 17; ++i)
        w(U::RBR_THR_DLL, static_cast<uint8_t>('a' + i)); // FIFO overrun
    r(U::LSR), r(U::RBR_THR_DLL), w(U::IIR_FCR, 0x03), r(U::LSR), r(U::IIR_FCR);
    w(U::IIR_FCR, 0x00), r(U::IIR_FCR), r(U::IIR_FCR);
    w(U::MCR, 0x00), r(U::MSR, 0xF0), r(U::LSR);
    return s;
}

std::vector<uint8_t> run_on_model(const std::vector<Step>& steps) {
    RecordingSink out;
    devices::Uart16550 u(out);
    std::vector<uint8_t> reads;
    for (const Step& st : steps) {
        if (st.op == Write)
            u.port_write(st.reg, 1, st.value);
        else
            reads.push_back(static_cast<uint8_t>(u.port_read(st.reg, 1)));
    }
    return reads;
}

std::vector<uint8_t> kernel_body(const std::vector<Step>& steps) {
    std::vector<uint8_t> body(0xE0, 0); // code at 0x100020, the script at 0x100100
    std::copy(kInterpreter.begin(), kInterpreter.end(), body.begin());
    for (const Step& st : steps)
        body.insert(body.end(), {st.op, st.reg, st.value});
    body.push_back(End);
    return body;
}

} // namespace

TEST_CASE("UART register behaviour matches QEMU's 16550A", "[uart][qemu]") {
    if (!have_qemu()) {
        WARN("qemu-system-x86_64 not installed: UART comparison skipped");
        return;
    }
    const auto steps = script();
    const auto ours = run_on_model(steps);
    const auto qemu = run_on_qemu(kernel_body(steps), "-serial null"); // COM2 is the subject
    REQUIRE(qemu.size() == ours.size());
    size_t read = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].op != Read) continue;
        INFO("script step " << i << ", read #" << read << " of register " << int{steps[i].reg});
        CHECK((qemu[read] & steps[i].value) == (ours[read] & steps[i].value));
        ++read;
    }
}

// The local APIC as the machine wires it: the page on the physical bus follows
// IA32_APIC_BASE, the timer runs on the machine's timer queue, interrupts reach CpuEnv.
#include "devices/local_apic_regs.hpp"
#include "devices/port_device.hpp"
#include "machine/machine.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
namespace reg = hvlab::devices::lapic;

namespace {
struct NullSink : devices::ByteSink {
    void put(uint8_t) override {}
};

constexpr uint64_t kBase = 0xFEE0'0000;

uint64_t rd(machine::Machine& m, uint64_t addr) {
    return m.bus().read(Hpa(addr), 4);
}
void wr(machine::Machine& m, uint64_t addr, uint32_t v) {
    m.bus().write(Hpa(addr), 4, v);
}
} // namespace

TEST_CASE("lapic machine: the APIC page follows IA32_APIC_BASE on the physical bus") {
    NullSink sink;
    machine::Machine m(machine::MachineConfig{}, sink);
    CHECK(rd(m, kBase + reg::kVersion) == 0x0006'0014);
    uint64_t base = 0;
    REQUIRE(m.device_msr_read(reg::kMsrApicBase, base));
    CHECK(base == 0xFEE0'0900);

    CHECK(m.device_msr_write(reg::kMsrApicBase, 0xFEE0'0000)); // global disable
    CHECK(rd(m, kBase + reg::kVersion) == 0xFFFF'FFFF);        // nothing there any more

    CHECK(m.device_msr_write(reg::kMsrApicBase, 0xFED0'0800)); // re-enable elsewhere
    CHECK(rd(m, 0xFED0'0000 + reg::kVersion) == 0x0006'0014);
    CHECK(rd(m, kBase + reg::kVersion) == 0xFFFF'FFFF);

    CHECK_FALSE(m.device_msr_write(reg::kMsrApicBase, 0xFED0'0C00)); // EXTD: #GP
    CHECK(rd(m, 0xFED0'0000 + reg::kVersion) == 0x0006'0014);
}

TEST_CASE("lapic machine: the timer is armed on the machine's queue and its interrupt pends") {
    NullSink sink;
    machine::Machine m(machine::MachineConfig{}, sink);
    wr(m, kBase + reg::kSvr, 0x1FF);
    wr(m, kBase + reg::kTimerDivide, 0xB); // divide by 1
    wr(m, kBase + reg::kLvtTimer, 0x40);   // one-shot, vector 0x40
    wr(m, kBase + reg::kTimerInitialCount, 1000);
    const uint64_t due = m.now() + 1000;
    CHECK(m.timers().next_deadline() == due);
    CHECK(m.pending_interrupt() == -1);
    m.timers().fire_due(due);
    CHECK(m.pending_interrupt() == 0x40);
    m.acknowledge_interrupt(0x40);
    CHECK(m.pending_interrupt() == -1);
    CHECK(rd(m, kBase + reg::kIsrBase + 0x20) == 1u); // vector 0x40 in service
    wr(m, kBase + reg::kEoi, 0);
    CHECK(rd(m, kBase + reg::kIsrBase + 0x20) == 0u);
}

TEST_CASE("lapic machine: a self-IPI reaches the CPU interface; an NMI IPI too") {
    NullSink sink;
    machine::Machine m(machine::MachineConfig{}, sink);
    wr(m, kBase + reg::kSvr, 0x1FF);
    wr(m, kBase + reg::kIcrLow, (1u << 18) | 0x99);
    CHECK(m.pending_interrupt() == 0x99);
    wr(m, kBase + reg::kIcrHigh, 0);
    wr(m, kBase + reg::kIcrLow, 4u << 8); // NMI to APIC ID 0
    CHECK(m.nmi_pending());
    m.acknowledge_nmi();
    CHECK_FALSE(m.nmi_pending());
}

// A deadline armed in the middle of a CPU slice (WRMSR IA32_TSC_DEADLINE) fires at its own
// virtual time: the machine ends the slice that was sized before the timer existed. The guest
// spins without touching the APIC, so only the timer queue can notice the deadline.
TEST_CASE("lapic machine: a TSC deadline armed mid-slice fires on time") {
    NullSink sink;
    machine::Machine m(machine::MachineConfig{}, sink);
    wr(m, kBase + reg::kSvr, 0x1FF);
    wr(m, kBase + reg::kLvtTimer, (2u << 17) | 0x40); // TSC-deadline mode, vector 0x40
    auto put = [&](uint64_t at, uint64_t v, unsigned n) {
        for (unsigned i = 0; i < n; ++i) m.bus().write(Hpa(at + i), 1, (v >> (8 * i)) & 0xFF);
    };
    put(0x3008, 0x00CF9B000000FFFFull, 8);               // GDT[1]: flat 32-bit code
    put(0x2000 + 8 * 0x40, 0x00008E0000081100ull, 8);    // IDT[0x40]: interrupt gate to 8:0x1100
    auto& s = m.cpu().state();
    s.cr0 |= hvlab::cpu::cr0::PE;
    for (auto& seg : s.seg) seg = {0, 0, 0xFFFFFFFF, 0xC093};
    s.seg[hvlab::cpu::CS] = {8, 0, 0xFFFFFFFF, 0xC09B};
    s.gdtr = {0x3000, 0x0F};
    s.idtr = {0x2000, 0x7FF};
    s.gpr[hvlab::cpu::RSP] = 0x8000;
    s.rip = 0x1000;
    const uint8_t code[] = {
        0xB9, 0xE0, 0x06, 0x00, 0x00, // mov ecx, 0x6E0 (IA32_TSC_DEADLINE)
        0xB8, 0xF4, 0x01, 0x00, 0x00, // mov eax, 500
        0x31, 0xD2,                   // xor edx, edx
        0x0F, 0x30,                   // wrmsr
        0xFB,                         // sti
        0xEB, 0xFE,                   // spin: jmp spin
    };
    for (unsigned i = 0; i < sizeof code; ++i) put(0x1000 + i, code[i], 1);
    put(0x1100, 0xF4E6, 2); // the vector 0x40 handler: out 0xF4, al (debug-exit)
    m.cpu().invalidate_caches();
    const machine::MachineStop stop = m.run(machine::RunLimit{1'000'000, 0});
    CHECK(stop.cause == machine::StopCause::DebugExit);
    CHECK(m.now() >= 500);
    CHECK(m.now() < 510); // the interrupt at the deadline, not at the end of the old slice
}

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

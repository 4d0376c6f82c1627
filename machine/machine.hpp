// One PC-like board: RAM and the physical bus, one CPU, the legacy devices, the port bus, the
// virtual clock with device timers, and the event stream. Everything outside (CLI, GUI, tests)
// drives it through boot() and run() (ARCHITECTURE.md, Execution model).
#pragma once
#include "cpu/cpu.hpp"
#include "machine/event_bus.hpp"
#include "machine/loader/boot_loader.hpp"
#include "machine/port_bus.hpp"
#include "machine/timer_queue.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace hvlab::devices {
class ByteSink;
}

namespace hvlab::machine {

struct MachineConfig {
    uint64_t ram_bytes = 256ull << 20; // -m, default 256 MiB as QEMU
    uint16_t cpus = 1;
};

// Why run() returned.
enum class StopCause : uint8_t {
    Budget,        // reached RunLimit::until (the CLI's --max-insns)
    DebugExit,     // the guest wrote to isa-debug-exit: exit_status is (v << 1) | 1
    Shutdown,      // triple fault or another shutdown condition: `why` says which
    HaltedForever, // HLT with nothing that could ever wake the CPU (no timer, no interrupt)
    Event,         // an event in RunLimit::stop_on was emitted (e.g. "next VM exit")
};

struct RunLimit {
    uint64_t until = UINT64_MAX; // absolute virtual time (retired instructions)
    EventMask stop_on = 0;       // stop right after the instruction that emitted one of these
};

struct MachineStop {
    StopCause cause = StopCause::Budget;
    int exit_status = 0;
    std::string why;
};

class Machine : public cpu::CpuEnv, public mmu::BusObserver {
  public:
    // serial_out receives COM1's transmitted bytes (stdout, a file, a test buffer).
    Machine(const MachineConfig& config, devices::ByteSink& serial_out);
    ~Machine() override;

    BootInfo boot(const BootSpec& spec);
    MachineStop run(const RunLimit& limit);

    EventBus& events() { return events_; }
    cpu::Cpu& cpu() { return cpu_; }
    mmu::PhysBus& bus() { return bus_; }
    PortBus& ports() { return ports_; }
    TimerQueue& timers() { return timers_; }
    uint64_t now() const { return cpu_.clock(); }
    const MachineConfig& config() const { return config_; }

    // Emits the last serial line if the guest did not end it with a newline.
    void flush_serial();

    // Emits an event stamped with the current virtual time; stops run() if it was asked to.
    void emit(Event e);

    // cpu::CpuEnv
    uint32_t port_in(uint16_t port, unsigned size) override;
    void port_out(uint16_t port, unsigned size, uint32_t value) override;
    int pending_interrupt() override;
    void acknowledge_interrupt(uint8_t vector) override;
    bool nmi_pending() override;
    void acknowledge_nmi() override;
    bool init_pending() override;
    void acknowledge_init() override;
    bool device_msr_read(uint32_t index, uint64_t& value) override;
    bool device_msr_write(uint32_t index, uint64_t value) override;
    void cr8_written(uint64_t value) override;
    bool cr8_read(uint64_t& value) override;
    void tsc_written() override;
    void exception_delivered(uint8_t vector, bool has_error, uint32_t error,
                             uint64_t rip) override;
    void interrupt_delivered(uint8_t vector, uint64_t rip) override;
    void shutdown(const char* why) override;
    void vm_entered(bool launch, uint64_t guest_rip) override;
    void vm_entry_failed(std::string_view check_id, std::string_view section,
                         std::string_view diagnostic, uint32_t result) override;
    void vm_exited(const cpu::vmx::ExitInfo& info, uint64_t guest_rip) override;

    // mmu::BusObserver
    void code_page_written(uint64_t page_number) override;
    void unassigned_access(Hpa addr, unsigned size, bool write, uint64_t value) override;

  private:
    struct Devices;
    void wire_devices(devices::ByteSink& serial_out);
    void map_lapic();
    bool pic_routed() const;
    void request_stop(StopCause cause, int status, std::string why);

    MachineConfig config_;
    mmu::PhysBus bus_;
    cpu::Cpu cpu_;
    PortBus ports_;
    TimerQueue timers_;
    EventBus events_;
    std::unique_ptr<Devices> devices_;

    EventMask stop_on_ = 0;
    bool stop_pending_ = false;
    bool init_latched_ = false; // an INIT from the local APIC, held until the CPU takes it
    MachineStop stop_;
};

} // namespace hvlab::machine

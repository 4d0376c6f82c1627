// Board wiring. The address and port map of the PC we build:
//
//   I/O ports         device
//   0x0020-0x0021     8259A master PIC (guests mask it with 0xFF before using the LAPIC)
//   0x00A0-0x00A1     8259A slave PIC
//   0x00F4-0x00F7     isa-debug-exit (QEMU-compatible: exit status (v << 1) | 1)
//   0x03F8-0x03FF     COM1, 16550A UART -> serial output
//   0x04D0-0x04D1     8259 ELCR (edge/level control)
//   0x0510-0x0511     fw_cfg selector / data (QEMU-compatible legacy interface)
//   anything else     unassigned: reads all ones, writes ignored, reported as an event
//
//   Physical memory: see mmu/phys_bus.hpp (RAM with the PC holes; LAPIC 0xFEE00000 and
//   IOAPIC 0xFEC00000 are never shadowed by RAM).
#include "machine/machine.hpp"

#include "devices/debug_exit.hpp"
#include "devices/device_clock.hpp"
#include "devices/fw_cfg.hpp"
#include "devices/local_apic.hpp"
#include "devices/pic_8259.hpp"
#include "devices/uart_16550.hpp"

#include <string>

namespace hvlab::machine {

// Tees COM1's bytes to the user's sink and turns them into one SerialOutput event per line.
class SerialLineSink : public devices::ByteSink {
  public:
    SerialLineSink(devices::ByteSink& out, Machine& m) : out_(out), machine_(m) {}
    void put(uint8_t byte) override {
        out_.put(byte);
        if (byte == '\n') {
            flush();
        } else if (byte != '\r') {
            line_ += static_cast<char>(byte);
        }
    }
    void flush() {
        if (!machine_.events().wants(EventType::SerialOutput)) {
            line_.clear();
            return;
        }
        Event e;
        e.type = EventType::SerialOutput;
        e.code = 0;
        e.text = line_;
        machine_.emit(e);
        line_.clear();
    }
    bool has_partial_line() const { return !line_.empty(); }

  private:
    devices::ByteSink& out_;
    Machine& machine_;
    std::string line_;
};

// The virtual clock and one timer-queue entry, as a device sees them.
class MachineClock : public devices::DeviceClock {
  public:
    explicit MachineClock(const cpu::Cpu& c) : cpu_(c) {}
    uint64_t now() const override { return cpu_.clock(); }
    // IA32_TSC writes move the guest TSC away from the clock (cpu/system/msr.cpp).
    uint64_t tsc() const override { return cpu_.clock() + cpu_.state().msr.tsc_adjust; }

  private:
    const cpu::Cpu& cpu_;
};

// Arming a timer ends the CPU's current slice: the slice was sized to the deadlines known when
// it began, and a new, earlier deadline (a guest writing the LAPIC timer or IA32_TSC_DEADLINE)
// must fire at its own virtual time, not at the end of the old slice.
class MachineTimer : public devices::DeviceTimer {
  public:
    void bind(TimerHandle h, cpu::Cpu& cpu) {
        handle_ = h;
        cpu_ = &cpu;
    }
    void arm(uint64_t deadline) override {
        handle_.arm(deadline);
        if (cpu_) cpu_->request_stop();
    }
    void cancel() override { handle_.cancel(); }

  private:
    TimerHandle handle_;
    cpu::Cpu* cpu_ = nullptr;
};

struct Machine::Devices {
    SerialLineSink serial_sink;
    devices::Pic8259 pic;
    devices::Uart16550 com1;
    devices::DebugExit debug_exit;
    devices::FwCfg fw_cfg;
    MachineClock clock;
    MachineTimer lapic_timer;
    devices::LocalApic lapic;
    uint64_t lapic_mapped_at = kLapicUnmapped;

    static constexpr uint64_t kLapicUnmapped = ~0ull;
    static constexpr unsigned kCom1Irq = 4;

    Devices(Machine& m, devices::ByteSink& out)
        : serial_sink(out, m), com1(serial_sink, &pic.irq_line(kCom1Irq)),
          debug_exit([&m](int status) {
              Event e;
              e.type = EventType::DebugExit;
              e.code = static_cast<uint32_t>(status);
              m.emit(e);
              m.request_stop(StopCause::DebugExit, status, "debug-exit");
          }),
          fw_cfg(m.config().ram_bytes, m.config().cpus), clock(m.cpu()),
          lapic(clock, lapic_timer, /*apic_id=*/0) {}
};

Machine::Machine(const MachineConfig& config, devices::ByteSink& serial_out)
    : config_(config), bus_(config.ram_bytes), cpu_(bus_, *this) {
    bus_.set_observer(this);
    wire_devices(serial_out);
}

Machine::~Machine() = default;

void Machine::wire_devices(devices::ByteSink& serial_out) {
    devices_ = std::make_unique<Devices>(*this, serial_out);
    ports_.map(0x20, 2, &devices_->pic.master_ports(), "pic-master");
    ports_.map(0xA0, 2, &devices_->pic.slave_ports(), "pic-slave");
    ports_.map(0x4D0, 2, &devices_->pic.elcr_ports(), "pic-elcr");
    ports_.map(0xF4, 4, &devices_->debug_exit, "isa-debug-exit");
    ports_.map(0x3F8, 8, &devices_->com1, "com1");
    ports_.map(0x510, 2, &devices_->fw_cfg, "fw_cfg");

    Devices& d = *devices_;
    d.lapic_timer.bind(timers_.add([&d](uint64_t deadline) { d.lapic.timer_fired(deadline); }),
                       cpu_);
    // The LAPIC page follows IA32_APIC_BASE: relocation moves it, global disable removes it
    // (SDM Vol. 3A, "Relocating the Local APIC Registers"; a disabled APIC reads as absent).
    d.lapic.set_base_listener([this](uint64_t) { map_lapic(); });
    map_lapic();
}

void Machine::map_lapic() {
    Devices& d = *devices_;
    const uint64_t want = d.lapic.mmio_enabled() ? d.lapic.mmio_base() : Devices::kLapicUnmapped;
    if (want == d.lapic_mapped_at) return;
    if (d.lapic_mapped_at != Devices::kLapicUnmapped) bus_.unmap_mmio(&d.lapic);
    d.lapic_mapped_at = Devices::kLapicUnmapped;
    // A base that would overlap RAM or another device is accepted by the MSR but leaves the
    // page unmapped (the SDM leaves such overlaps undefined); the event log shows the accesses.
    if (want != Devices::kLapicUnmapped && bus_.can_map_mmio(Hpa(want), 0x1000)) {
        bus_.map_mmio(Hpa(want), 0x1000, &d.lapic, "lapic");
        d.lapic_mapped_at = want;
    }
    cpu_.invalidate_caches();
}

BootInfo Machine::boot(const BootSpec& spec) {
    BootInfo info = load_boot_image(spec, bus_, cpu_.state());
    // A kernel booted by QEMU -kernel finds the APIC as SeaBIOS left it (LINT0 ExtINT,
    // LINT1 NMI, software-enabled); hvlab hands over the same state so both compare equal.
    devices_->lapic.apply_bios_handoff();
    cpu_.invalidate_caches();
    return info;
}

void Machine::flush_serial() {
    if (devices_->serial_sink.has_partial_line()) devices_->serial_sink.flush();
}

void Machine::emit(Event e) {
    e.time = cpu_.clock();
    events_.emit(e);
    if (stop_on_ & event_bit(e.type)) request_stop(StopCause::Event, 0, kEventTypeNames[static_cast<unsigned>(e.type)]);
}

void Machine::request_stop(StopCause cause, int status, std::string why) {
    if (stop_pending_) return; // the first reason wins (e.g. debug-exit before a watched event)
    stop_pending_ = true;
    stop_ = {cause, status, std::move(why)};
    cpu_.request_stop();
}

MachineStop Machine::run(const RunLimit& limit) {
    stop_on_ = limit.stop_on;
    stop_pending_ = false;
    while (!stop_pending_) {
        const uint64_t now = cpu_.clock();
        if (now >= limit.until) return {StopCause::Budget, 0, "instruction limit"};
        const uint64_t deadline = std::min(limit.until, timers_.next_deadline());
        const cpu::RunResult r = cpu_.run(deadline > now ? deadline - now : 0);
        timers_.fire_due(cpu_.clock());
        if (stop_pending_) break;
        if (r.reason == cpu::StopReason::Shutdown) {
            request_stop(StopCause::Shutdown, 0, stop_.why.empty() ? "shutdown" : stop_.why);
            break;
        }
        if (r.reason == cpu::StopReason::Halted) {
            // HLT: skip virtual time to the next timer (SDM Vol. 2, HLT: resumes on an
            // interrupt, NMI, SMI, INIT or reset). With no timer and nothing pending, the CPU
            // can never wake.
            const uint64_t next = timers_.next_deadline();
            if (next == TimerQueue::kNever && pending_interrupt() < 0 && !nmi_pending())
                return {StopCause::HaltedForever, 0, "halted with no wake-up source"};
            if (next != TimerQueue::kNever && next > cpu_.clock())
                cpu_.set_clock(std::min(next, limit.until));
            timers_.fire_due(cpu_.clock());
        }
    }
    stop_on_ = 0;
    return stop_;
}

uint32_t Machine::port_in(uint16_t port, unsigned size) {
    const PortBus::Hit hit = ports_.find(port);
    uint32_t value;
    if (hit.dev) {
        value = hit.dev->port_read(hit.offset, size);
    } else {
        value = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        if (events_.wants(EventType::Unassigned)) {
            Event e;
            e.type = EventType::Unassigned;
            e.flag = true;
            e.addr = port;
            e.size = static_cast<uint8_t>(size);
            e.value = value;
            emit(e);
        }
    }
    if (events_.wants(EventType::PortIo)) {
        Event e;
        e.type = EventType::PortIo;
        e.code = port;
        e.size = static_cast<uint8_t>(size);
        e.value = value;
        emit(e);
    }
    return value;
}

void Machine::port_out(uint16_t port, unsigned size, uint32_t value) {
    if (events_.wants(EventType::PortIo)) {
        Event e;
        e.type = EventType::PortIo;
        e.code = port;
        e.size = static_cast<uint8_t>(size);
        e.write = true;
        e.value = value;
        emit(e);
    }
    const PortBus::Hit hit = ports_.find(port);
    if (hit.dev) return hit.dev->port_write(hit.offset, size, value);
    if (events_.wants(EventType::Unassigned)) {
        Event e;
        e.type = EventType::Unassigned;
        e.flag = true;
        e.write = true;
        e.addr = port;
        e.size = static_cast<uint8_t>(size);
        e.value = value;
        emit(e);
    }
}

// The LAPIC delivers its own interrupts; the 8259's INTR reaches the CPU through LINT0 in
// ExtINT mode, or directly when the LAPIC is globally disabled (SDM Vol. 3A, "Local Vector
// Table": LINT0 delivery mode ExtINT; "Enabling or Disabling the Local APIC").
bool Machine::pic_routed() const {
    const devices::LocalApic& a = devices_->lapic;
    if (!a.globally_enabled()) return true;
    const uint32_t lint0 = a.peek_register(0x350);
    const bool masked = lint0 & (1u << 16);
    const uint32_t delivery_mode = (lint0 >> 8) & 7;
    return !masked && delivery_mode == 7;
}

int Machine::pending_interrupt() {
    const int v = devices_->lapic.pending_vector();
    if (v >= 0) return v;
    return pic_routed() ? devices_->pic.pending_vector() : -1;
}

void Machine::acknowledge_interrupt(uint8_t vector) {
    if (devices_->lapic.pending_vector() == vector) return devices_->lapic.acknowledge(vector);
    devices_->pic.acknowledge();
}

bool Machine::nmi_pending() { return devices_->lapic.nmi_pending(); }

void Machine::acknowledge_nmi() { devices_->lapic.acknowledge_nmi(); }

// INIT is latched: VMX root operation blocks it and holds it pending (SDM Vol. 3C, "VMX Root
// Operation"); non-root operation takes it as a VM exit.
bool Machine::init_pending() {
    init_latched_ = init_latched_ || devices_->lapic.take_init_request();
    return init_latched_;
}

void Machine::acknowledge_init() { init_latched_ = false; }

bool Machine::device_msr_read(uint32_t index, uint64_t& value) {
    return devices_->lapic.read_msr(index, value);
}

bool Machine::device_msr_write(uint32_t index, uint64_t value) {
    bool gp = false;
    return devices_->lapic.write_msr(index, value, gp) && !gp;
}

// CR8 is an alias of TPR[7:4] (SDM Vol. 3A, "Interaction of Task Priorities between CR8 and
// APIC").
void Machine::cr8_written(uint64_t value) { devices_->lapic.write_cr8(value); }

bool Machine::cr8_read(uint64_t& value) {
    value = devices_->lapic.read_cr8();
    return true;
}

// A WRMSR to IA32_TSC moves the guest TSC; an armed TSC-deadline timer moves with it.
void Machine::tsc_written() { devices_->lapic.tsc_written(); }

void Machine::exception_delivered(uint8_t vector, bool has_error, uint32_t error, uint64_t rip) {
    Event e;
    e.type = EventType::Exception;
    e.code = vector;
    e.flag = has_error;
    e.value = error;
    e.addr = rip;
    emit(e);
}

void Machine::interrupt_delivered(uint8_t vector, uint64_t rip) {
    Event e;
    e.type = EventType::Interrupt;
    e.code = vector;
    e.addr = rip;
    emit(e);
}

void Machine::shutdown(const char* why) {
    Event e;
    e.type = EventType::Shutdown;
    e.name = why;
    emit(e);
    request_stop(StopCause::Shutdown, 0, why);
}

// VMX transitions (ARCHITECTURE.md, Observability): the trace, the statistics, the GUI and
// `hvlab run`'s one-line entry-failure diagnostic all read these events.
void Machine::vm_entered(bool launch, uint64_t guest_rip) {
    Event e;
    e.type = EventType::VmEntry;
    e.flag = launch;
    e.addr = guest_rip;
    emit(e);
}

// The check ids are string literals of the check tables, so `name` may keep pointing at them.
void Machine::vm_entry_failed(std::string_view check_id, std::string_view /*section*/,
                              std::string_view diagnostic, uint32_t result) {
    Event e;
    e.type = EventType::VmEntryFailure;
    e.name = check_id.data();
    e.code = result;
    e.text = diagnostic;
    emit(e);
}

void Machine::vm_exited(const cpu::vmx::ExitInfo& info, uint64_t guest_rip) {
    Event e;
    e.type = EventType::VmExit;
    e.code = info.reason;
    e.value = info.qualification;
    e.addr = guest_rip;
    e.extra = info.guest_physical;
    emit(e);
}

void Machine::code_page_written(uint64_t page_number) { cpu_.code_page_written(page_number); }

void Machine::unassigned_access(Hpa addr, unsigned size, bool write, uint64_t value) {
    if (!events_.wants(EventType::Unassigned)) return;
    Event e;
    e.type = EventType::Unassigned;
    e.addr = addr.value;
    e.size = static_cast<uint8_t>(size);
    e.write = write;
    e.value = value;
    emit(e);
}

} // namespace hvlab::machine

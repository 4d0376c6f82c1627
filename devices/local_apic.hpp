// The local APIC of hvlab's one CPU, in xAPIC mode: the memory-mapped register file, interrupt
// acceptance (IRR -> ISR -> EOI with TPR/PPR priorities), the LVT, the ICR (self-IPIs), the
// timer, and IA32_APIC_BASE / IA32_TSC_DEADLINE. Intel SDM, Dec 2023 (Order 325462-081),
// Vol. 3A, "Advanced Programmable Interrupt Controller (APIC)". Register map and reset values:
// devices/local_apic_regs.hpp; choices where the SDM leaves room: docs/lapic.md.
//
// The machine maps it at mmio_base() while mmio_enabled(), polls pending_vector() between
// instructions (has_pending() is the O(1) fast check), calls acknowledge() for the INTA cycle
// and timer_fired() when the DeviceTimer's deadline is reached. Other fixed-interrupt sources
// (an I/O APIC, MSIs) deliver through raise(). The 8259 in virtual-wire mode (LVT LINT0 =
// ExtINT, unmasked) bypasses IRR/ISR and priorities, so the machine routes it itself.
#pragma once
#include "devices/device_clock.hpp"
#include "devices/local_apic_timer.hpp"
#include "devices/local_apic_vector_set.hpp"
#include "mmu/phys_bus.hpp"

#include <array>
#include <cstdint>
#include <functional>

namespace hvlab::devices {

class LocalApic : public mmu::MmioHandler {
  public:
    static constexpr uint64_t kMmioSize = 0x1000;

    LocalApic(DeviceClock& clock, DeviceTimer& timer, uint8_t apic_id, bool bsp = true);

    // --- Memory-mapped interface (offset within the 4 KiB APIC page) ------------------------
    // An aligned 32-bit access at a 16-byte boundary is the architected one; other sizes and
    // offsets follow the rules in docs/lapic.md (never a crash).
    uint64_t mmio_read(uint64_t offset, unsigned size) override;
    void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;
    // The register at a 16-byte aligned offset, exactly as an aligned 32-bit MOV sees it.
    uint32_t read_register(uint32_t offset);
    void write_register(uint32_t offset, uint32_t value);
    // Side-effect-free view for the inspector and tests (no ESR update, no timer catch-up).
    uint32_t peek_register(uint32_t offset) const;
    // Accesses that were not an aligned 32-bit access at a 16-byte boundary.
    uint64_t odd_size_accesses() const { return odd_size_accesses_; }

    // --- Interrupt output --------------------------------------------------------------------
    // Highest-priority IRR vector whose priority class is above PPR's, else -1.
    int pending_vector() const;
    bool has_pending() const { return pending_vector() >= 0; }
    // INTA: the vector moves from IRR to ISR (no-op if it is not requested).
    void acknowledge(uint8_t vector);
    // A fixed interrupt message from another source (I/O APIC, MSI); level sets its TMR bit.
    void raise(uint8_t vector, bool level);
    // NMI delivered by an NMI IPI addressed to this APIC; the CPU takes it through CpuEnv.
    bool nmi_pending() const { return nmi_pending_; }
    void acknowledge_nmi() { nmi_pending_ = false; }
    // An INIT IPI addressed to this CPU: the machine resets the processor (and calls init()).
    bool take_init_request();

    // --- Priorities and CR8 (SDM Vol. 3A, "Task and Processor Priorities") -----------------
    uint8_t tpr() const { return tpr_; }
    uint8_t ppr() const;
    uint8_t apr() const;
    // CR8[3:0] is TPR[7:4]; writing CR8 clears TPR[3:0]. SDM Vol. 3A, "Interaction of Task
    // Priorities between CR8 and APIC". The CPU checks CR8's reserved bits (#GP) itself.
    uint64_t read_cr8() const { return tpr_ >> 4; }
    void write_cr8(uint64_t value) { tpr_ = static_cast<uint8_t>((value & 0xF) << 4); }

    // --- MSRs --------------------------------------------------------------------------------
    uint64_t apic_base() const { return apic_base_; }
    // WRMSR IA32_APIC_BASE; false => the caller raises #GP(0) and nothing changed.
    bool write_apic_base(uint64_t value);
    bool globally_enabled() const; // IA32_APIC_BASE.EN (also CPUID.01H:EDX.APIC[bit 9])
    bool mmio_enabled() const { return globally_enabled(); }
    uint64_t mmio_base() const;
    // Told after every change of the base address or of EN, so the machine can (re)map the page.
    void set_base_listener(std::function<void(uint64_t apic_base)> listener);
    // Claims IA32_APIC_BASE (0x1B) and IA32_TSC_DEADLINE (0x6E0); false = not this device's MSR.
    bool read_msr(uint32_t index, uint64_t& value);
    bool write_msr(uint32_t index, uint64_t value, bool& gp);

    // --- Time --------------------------------------------------------------------------------
    void timer_fired(uint64_t deadline);
    // The guest wrote IA32_TIME_STAMP_COUNTER: an armed TSC deadline moves with it.
    void tsc_written() { timer_.tsc_written(); }
    const ApicTimer& timer() const { return timer_; }

    // --- Reset -------------------------------------------------------------------------------
    // Power-up/RESET: every register to its reset value, IA32_APIC_BASE to base 0xFEE00000, EN.
    void reset();
    // INIT: as reset, but the APIC ID and IA32_APIC_BASE are kept. SDM Vol. 3A, "Local APIC
    // State After an INIT Reset ("Wait-for-SIPI" State)".
    void init();
    // The state SeaBIOS leaves on the BSP's APIC before QEMU boots a -kernel image, so a guest
    // compared with QEMU sees the same registers (seabios src/fw/smp.c, smp_scan): software
    // enabled, LINT0 = ExtINT level-triggered (0x8700, the 8259 in virtual-wire mode), LINT1 =
    // NMI level-triggered (0x8400), and ICR low = the last IPI it sent (the SIPI broadcast to
    // the APs at 0x10000: 0x000C4610; no AP exists, so it had no effect).
    void apply_bios_handoff();

    // Inspector views.
    bool irr(uint8_t v) const { return irr_.test(v); }
    bool isr(uint8_t v) const { return isr_.test(v); }
    bool tmr(uint8_t v) const { return tmr_.test(v); }
    bool software_enabled() const;
    uint8_t apic_id() const { return static_cast<uint8_t>(id_ >> 24); }

  private:
    // LVT entries in register order from 0x2F0/0x320 (index into lvt_).
    enum Lvt : unsigned { kCmci, kTimer, kThermal, kPerf, kLint0, kLint1, kError, kLvtCount };

    void reset_registers();
    uint32_t read_known(uint32_t offset, bool& known) const;
    bool write_known(uint32_t offset, uint32_t value);
    uint32_t read_slot_byte(uint64_t offset, uint32_t& cached_slot, uint32_t& cached_value);
    static int lvt_index(uint32_t offset);
    static uint32_t lvt_writable(unsigned lvt);
    void write_lvt(unsigned lvt, uint32_t value);
    void write_svr(uint32_t value);
    void write_esr();
    void write_icr_low(uint32_t value);
    void eoi();

    // Interrupt sources and errors (local_apic_delivery.cpp).
    void accept(uint8_t vector, bool level);
    void deliver_lvt(unsigned lvt);
    void timer_expired() { deliver_lvt(kTimer); }
    void signal_error(uint32_t esr_bits);
    void send_ipi(uint32_t icr_low, uint8_t destination);
    bool ipi_targets_self(uint32_t icr_low, uint8_t destination) const;
    bool matches_logical(uint8_t destination) const;
    void deliver_ipi_to_self(uint32_t icr_low);

    void notify_base_change();

    const uint8_t hw_id_;
    const bool bsp_;
    ApicTimer timer_;
    std::function<void(uint64_t)> base_listener_;

    uint64_t apic_base_ = 0;
    uint32_t id_ = 0;
    uint8_t tpr_ = 0;
    uint32_t ldr_ = 0, dfr_ = 0, svr_ = 0;
    uint32_t esr_ = 0;         // the readable ESR, latched by the last ESR write
    uint32_t esr_pending_ = 0; // errors logged since the last ESR write
    uint32_t icr_low_ = 0, icr_high_ = 0;
    std::array<uint32_t, kLvtCount> lvt_{};
    ApicVectorSet irr_, isr_, tmr_;
    bool nmi_pending_ = false;
    bool init_request_ = false;
    uint64_t odd_size_accesses_ = 0;
};

} // namespace hvlab::devices

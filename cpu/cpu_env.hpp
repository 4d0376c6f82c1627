// The one narrow interface through which cpu/ reaches the rest of the machine
// (ARCHITECTURE.md, Layers). machine/ implements it; cpu/ never includes a device header.
#pragma once
#include "cpu/fault.hpp"
#include "cpu/vmx/vmx_cpu_state.hpp"

#include <cstdint>
#include <string_view>

namespace hvlab::cpu {

class CpuEnv {
  public:
    virtual ~CpuEnv() = default;

    // Port I/O (IN/OUT/INS/OUTS), size 1, 2 or 4. A port with no device reads all ones.
    virtual uint32_t port_in(uint16_t port, unsigned size) = 0;
    virtual void port_out(uint16_t port, unsigned size, uint32_t value) = 0;

    // Maskable external interrupt: the vector the interrupt controller would deliver now, or
    // -1. acknowledge_interrupt() is the INTA cycle (moves the vector from IRR to ISR).
    virtual int pending_interrupt() { return -1; }
    virtual void acknowledge_interrupt(uint8_t /*vector*/) {}
    virtual bool nmi_pending() { return false; }
    virtual void acknowledge_nmi() {}
    // An INIT signal (e.g. an INIT IPI the local APIC sent to itself) that is latched until
    // acknowledged. Only VMX non-root operation acts on it (a VM exit, SDM Vol. 3C, "Other
    // Causes of VM Exits"); VMX root operation blocks INIT, and the INIT reset itself is not
    // modelled.
    virtual bool init_pending() { return false; }
    virtual void acknowledge_init() {}

    // MSRs that belong to a device (the local APIC's x2APIC range, IA32_TSC_DEADLINE).
    // Return false if the device does not claim the MSR.
    virtual bool device_msr_read(uint32_t /*index*/, uint64_t& /*value*/) { return false; }
    virtual bool device_msr_write(uint32_t /*index*/, uint64_t /*value*/) { return false; }

    // The guest wrote IA32_TIME_STAMP_COUNTER: a local APIC with an armed TSC deadline must
    // re-arm against the new TSC (SDM Vol. 3A, TSC-Deadline Mode).
    virtual void tsc_written() {}

    // CR8 is the local APIC's TPR[7:4] (SDM Vol. 3A, Interaction of Task Priorities between
    // CR8 and APIC). write_cr8 reports every valid MOV to CR8; MOV from CR8 asks cr8_read and
    // falls back to CpuState::cr8 when it returns false (no APIC).
    virtual void cr8_written(uint64_t /*value*/) {}
    virtual bool cr8_read(uint64_t& /*value*/) { return false; }

    // Observability (ARCHITECTURE.md, Observability): called only on the rare paths.
    virtual void exception_delivered(uint8_t /*vector*/, bool /*has_error*/, uint32_t /*error*/,
                                     uint64_t /*rip*/) {}
    virtual void interrupt_delivered(uint8_t /*vector*/, uint64_t /*rip*/) {}
    // The processor entered the shutdown state (triple fault, SDM Vol. 3A, Double Fault
    // Exception (#DF)).
    virtual void shutdown(const char* /*why*/) {}

    // VMX (ARCHITECTURE.md, Observability). vm_entered: a VMLAUNCH/VMRESUME reached non-root
    // operation at guest_rip. vm_entry_failed: the named check that failed (check_id, SDM
    // section, offending values) and the one-line diagnostic; `result` is the VM-instruction
    // error (7, 8) for VMfailValid or the full exit reason (bit 31 set) for a failure exit.
    // vm_exited: after the exit, with the guest RIP it saved.
    virtual void vm_entered(bool /*launch*/, uint64_t /*guest_rip*/) {}
    virtual void vm_entry_failed(std::string_view /*check_id*/, std::string_view /*section*/,
                                 std::string_view /*diagnostic*/, uint32_t /*result*/) {}
    virtual void vm_exited(const vmx::ExitInfo& /*info*/, uint64_t /*guest_rip*/) {}
};

} // namespace hvlab::cpu

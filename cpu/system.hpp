// System-architecture operations the interpreter calls (SDM Vol. 3A). CONTRACT between the
// interpreter (which decodes and calls these) and the system layer (cpu/system/*.cpp, which
// implements them). Each returns kNoFault or the architected fault; on a fault the state must
// be unchanged (faults are precise), except where the SDM says otherwise.
#pragma once
#include "cpu/cpu_env.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/fault.hpp"
#include "cpu/linear_memory.hpp"

#include <cstdint>

namespace hvlab::cpu {

// Everything a system operation may touch.
struct SystemContext {
    CpuState& s;
    LinearMemory& mem;
    CpuEnv& env;
    uint64_t clock; // virtual time (retired instructions) for RDTSC/IA32_TSC
};

// --- Control registers (SDM Vol. 3A, Control Registers; #GP rules of MOV to CRn) -----------
Fault write_cr0(SystemContext& c, uint64_t value); // also LMSW/CLTS go through here
Fault write_cr3(SystemContext& c, uint64_t value);
Fault write_cr4(SystemContext& c, uint64_t value);
Fault write_cr8(SystemContext& c, uint64_t value);
Fault write_xcr0(SystemContext& c, uint32_t index, uint64_t value); // XSETBV
Fault write_efer(SystemContext& c, uint64_t value);                 // via WRMSR

// INVPCID's operand checks, then the TLB invalidation (SDM Vol. 2B, INVPCID): #GP(0) for
// CPL > 0, type > 3, descriptor bits 63:12 set, a non-canonical address (type 0), or a
// non-zero PCID with CR4.PCIDE = 0 (types 0 and 1). desc_lo holds the PCID, desc_hi the
// linear address.
Fault invpcid(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t desc_hi);

// --- MSRs (RDMSR/WRMSR; an MSR hvlab does not implement raises #GP(0)) ---------------------
Fault read_msr(SystemContext& c, uint32_t index, uint64_t& value);
Fault write_msr(SystemContext& c, uint32_t index, uint64_t value);
uint64_t read_tsc(const SystemContext& c); // RDTSC/RDTSCP value

// --- CPUID: one documented CPU model that advertises exactly what hvlab implements ---------
struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};
CpuidResult cpuid(const CpuState& s, uint32_t leaf, uint32_t subleaf);

// --- Segmentation (SDM Vol. 3A, Protection; Vol. 2, MOV/POP Sreg, far JMP/CALL/RET, IRET) --
// MOV Sreg / POP Sreg / LDS.. semantics, every descriptor check with #GP/#NP/#SS/#TS codes.
Fault load_segment(SystemContext& c, SegReg reg, uint16_t selector);
Fault load_ldtr(SystemContext& c, uint16_t selector); // LLDT
Fault load_tr(SystemContext& c, uint16_t selector);   // LTR (marks the TSS busy)
// Far transfers. opsize is 2, 4 or 8. next_rip is the address of the next instruction.
Fault far_jump(SystemContext& c, uint16_t selector, uint64_t offset, unsigned opsize);
Fault far_call(SystemContext& c, uint16_t selector, uint64_t offset, unsigned opsize,
               uint64_t next_rip);
Fault far_return(SystemContext& c, unsigned opsize, uint16_t pop_bytes);
Fault iret(SystemContext& c, unsigned opsize);
Fault syscall(SystemContext& c, uint64_t next_rip);
Fault sysret(SystemContext& c, unsigned opsize);
Fault sysenter(SystemContext& c);
Fault sysexit(SystemContext& c, unsigned opsize);
Fault swapgs(SystemContext& c);
// LAR/LSL/VERR/VERW: ZF result and, for LAR/LSL, the value; never fault on a bad selector.
// A fault reading the descriptor (#PF, or an EPT VM exit) is stored in *fault (if given) and
// the result is false; the instruction then raises it instead of setting ZF.
bool lar(SystemContext& c, uint16_t selector, uint32_t& access_rights, Fault* fault = nullptr);
bool lsl(SystemContext& c, uint16_t selector, uint32_t& limit, Fault* fault = nullptr);
bool verr(SystemContext& c, uint16_t selector, Fault* fault = nullptr);
bool verw(SystemContext& c, uint16_t selector, Fault* fault = nullptr);
// I/O permission: IOPL and the TSS I/O bitmap (SDM Vol. 1, I/O Permission Bit Map).
Fault check_io_permission(SystemContext& c, uint16_t port, unsigned size);

// --- Event delivery (SDM Vol. 3A, Interrupt and Exception Handling) ------------------------
enum class EventKind : uint8_t {
    Exception,        // fault or trap raised by an instruction or memory access
    ExternalInterrupt,
    Nmi,
    SoftwareInterrupt, // INT n
    SoftwareException, // INT3, INTO
    PrivSoftwareException, // INT1 (ICEBP)
};
// VmExit (VMX non-root operation only): the event, or an exception or EPT access during its
// delivery, causes a VM exit instead (exception bitmap, "NMI exiting", triple fault). The
// exit is in s.vmx.pending_exit and s.vmx.idt_vectoring_*, s.rip is the guest RIP it saves,
// and the caller performs it (cpu/vmx/vm_exit.hpp).
enum class DeliveryOutcome : uint8_t { Delivered, Shutdown, VmExit };
// Delivers through the IDT (interrupt/trap gates, 32/64-bit, IST, stack switch on privilege
// change). rip_for_push is the RIP saved on the stack: the faulting instruction for faults,
// the next instruction for traps and software interrupts. A fault during delivery is
// combined per the double-fault rules (benign/contributory/page-fault classes); a fault while
// delivering #DF is a triple fault: returns Shutdown and calls env.shutdown().
// For INT n/INT3/INTO/INT1, s.rip must still hold the instruction's own address: a fault
// raised while delivering them (e.g. #GP(vector*8+2)) saves that RIP, as the SDM requires.
DeliveryOutcome deliver_event(SystemContext& c, EventKind kind, uint8_t vector,
                              bool has_error_code, uint32_t error_code, uint64_t rip_for_push);
// Delivers an exception raised as a Fault value; for #PF it first loads CR2 with f.cr2
// (deliver_event itself does not know the faulting address).
DeliveryOutcome deliver_fault(SystemContext& c, const Fault& f, uint64_t rip_for_push);
// VM-entry event injection (SDM Vol. 3C, "Event Injection"): like deliver_event, but "an
// event being injected never causes a VM exit directly"; exceptions during its delivery may.
// An injected #PF does not load CR2.
DeliveryOutcome deliver_injected_event(SystemContext& c, EventKind kind, uint8_t vector,
                                       bool has_error_code, uint32_t error_code,
                                       uint64_t rip_for_push);

} // namespace hvlab::cpu

// Exceptions as values (STYLE.md, cpu/): an instruction handler or a memory access returns a
// Fault instead of throwing or longjmp-ing. The interpreter delivers it through the IDT.
#pragma once
#include <cstdint>

namespace hvlab::cpu {

// Exception vectors (SDM Vol. 3A, Exception and Interrupt Reference).
enum Vector : uint8_t {
    DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11,
    SS_ = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21,
};

struct Fault {
    static constexpr uint8_t kNone = 0xFF;
    uint8_t vector = kNone;
    bool has_error_code = false;
    uint32_t error_code = 0;
    uint64_t cr2 = 0; // the faulting linear address, for #PF only

    constexpr bool raised() const { return vector != kNone; }
    constexpr explicit operator bool() const { return raised(); }
};

inline constexpr Fault kNoFault{};
constexpr Fault fault(uint8_t vector) { return Fault{vector, false, 0, 0}; }
constexpr Fault fault_ec(uint8_t vector, uint32_t error_code) {
    return Fault{vector, true, error_code, 0};
}
constexpr Fault page_fault(uint64_t linear, uint32_t error_code) {
    return Fault{PF, true, error_code, linear};
}
// Not an exception: "this instruction or access causes a VM exit" (VMX non-root operation).
// The details are in CpuState::vmx.pending_exit (or, for EPT, LinearMemory::take_ept_exit);
// the run loop restores RIP to the instruction, as for a fault, and performs the VM exit
// instead of delivering anything through the IDT (cpu/vmx/vm_exit.hpp).
inline constexpr uint8_t kVmExitVector = 0xFE;
constexpr Fault vm_exit_fault() { return Fault{kVmExitVector, false, 0, 0}; }
constexpr bool is_vm_exit(const Fault& f) { return f.vector == kVmExitVector; }

// Whether the exception pushes an error code (SDM Vol. 3A, Exception and Interrupt Reference).
constexpr bool vector_has_error_code(uint8_t v) {
    return v == DF || v == TS || v == NP || v == SS_ || v == GP || v == PF || v == AC || v == CP;
}

} // namespace hvlab::cpu

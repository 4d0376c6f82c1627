// Encoders for the exit-qualification and interruption-information formats the VM-exit
// layer fills in. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Exit Qualification for
// Control-Register Accesses", "Exit Qualification for MOV DR", "Exit Qualification for I/O
// Instructions", "Exit Qualification for EPT Violations", "Information for VM Exits Due to
// Vectored Events" and "Information for VM Exits That Occur During Event Delivery".
#pragma once
#include <cstdint>

namespace hvlab::cpu::vmx {

// Control-register accesses: 3:0 CR number, 5:4 access type, 6 LMSW operand type
// (0 register, 1 memory), 11:8 general-purpose register (MOV CR), 31:16 LMSW source data.
enum class CrAccessType : uint8_t { MovToCr = 0, MovFromCr = 1, Clts = 2, Lmsw = 3 };
struct CrAccessQualification {
    uint8_t cr = 0;
    CrAccessType type = CrAccessType::MovToCr;
    bool lmsw_memory_operand = false;
    uint8_t gpr = 0;
    uint16_t lmsw_source = 0;
    uint64_t encode() const;
};

// MOV DR: 2:0 debug register, 4 direction (0 = MOV to DR, 1 = MOV from DR), 11:8 register.
struct MovDrQualification {
    uint8_t dr = 0;
    bool from_dr = false;
    uint8_t gpr = 0;
    uint64_t encode() const;
};

// I/O instructions: 2:0 size of access minus 1 (0, 1 or 3), 3 direction (0 OUT, 1 IN),
// 4 string instruction, 5 REP prefixed, 6 operand encoding (0 DX, 1 immediate), 31:16 port.
struct IoQualification {
    unsigned size = 1; // 1, 2 or 4 bytes
    bool in = false;
    bool string = false;
    bool rep = false;
    bool immediate = false;
    uint16_t port = 0;
    uint64_t encode() const;
};

// EPT violations: 0 data read, 1 data write, 2 instruction fetch, 3/4/5 the translation was
// readable/writable/executable (the AND over the EPT entries walked), 7 guest-linear address
// field valid, 8 (if bit 7) 1 = access to the translation of a linear address, 0 = access
// to a guest paging-structure entry, 12 NMI unblocking due to IRET. Bits 6 and 9-11 report
// features hvlab does not advertise (mode-based execute, advanced exit information) and
// stay 0.
struct EptViolationQualification {
    bool read = false, write = false, fetch = false;
    bool readable = false, writable = false, executable = false;
    bool linear_address_valid = false;
    bool translated_linear_access = false;
    bool nmi_unblocking = false;
    uint64_t encode() const;
};

// VM-exit interruption information and IDT-vectoring information: 7:0 vector, 10:8 type
// (InterruptionInfo::Type), 11 error code valid, 12 NMI unblocking due to IRET (VM-exit
// interruption information only; undefined for IDT-vectoring), 31 valid.
struct EventInformation {
    uint8_t vector = 0;
    uint8_t type = 0;
    bool error_code_valid = false;
    bool nmi_unblocking = false;
    uint32_t encode() const;
};

} // namespace hvlab::cpu::vmx

// The xAPIC register map: offsets in the 4 KiB page at the APIC base, and the bit fields hvlab
// implements. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced Programmable Interrupt
// Controller (APIC)"; the offsets are the table "Local APIC Register Address Map".
//
//   offset   register                       access  reset value
//   0x020    ID                             R/W     apic_id << 24
//   0x030    Version                        R       0x0006'0014 (version 0x14, max LVT 6)
//   0x080    TPR  task priority             R/W     0
//   0x090    APR  arbitration priority      R       computed
//   0x0A0    PPR  processor priority        R       computed
//   0x0B0    EOI                            W       (reads 0)
//   0x0D0    LDR  logical destination       R/W     0
//   0x0E0    DFR  destination format        R/W     0xFFFF'FFFF
//   0x0F0    SVR  spurious vector           R/W     0x0000'00FF (software disabled)
//   0x100..  ISR  in service (8 x 32 bits)  R       0
//   0x180..  TMR  trigger mode (8 x 32)     R       0
//   0x200..  IRR  request (8 x 32)          R       0
//   0x280    ESR  error status              R/W     0 (write latches, then read)
//   0x2F0    LVT CMCI                       R/W     0x0001'0000 (masked)
//   0x300    ICR low                        R/W     0
//   0x310    ICR high                       R/W     0
//   0x320    LVT timer                      R/W     0x0001'0000
//   0x330    LVT thermal sensor             R/W     0x0001'0000
//   0x340    LVT performance counters       R/W     0x0001'0000
//   0x350    LVT LINT0                      R/W     0x0001'0000
//   0x360    LVT LINT1                      R/W     0x0001'0000
//   0x370    LVT error                      R/W     0x0001'0000
//   0x380    timer initial count            R/W     0
//   0x390    timer current count            R       0
//   0x3E0    timer divide configuration     R/W     0 (divide by 2)
//   other    reserved: reads 0, sets ESR "Illegal Register Address"
#pragma once
#include <cstdint>

namespace hvlab::devices::lapic {

enum Reg : uint32_t {
    kId = 0x020,
    kVersion = 0x030,
    kTpr = 0x080,
    kApr = 0x090,
    kPpr = 0x0A0,
    kEoi = 0x0B0,
    kLdr = 0x0D0,
    kDfr = 0x0E0,
    kSvr = 0x0F0,
    kIsrBase = 0x100,
    kTmrBase = 0x180,
    kIrrBase = 0x200,
    kEsr = 0x280,
    kLvtCmci = 0x2F0,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
    kLvtTimer = 0x320,
    kLvtThermal = 0x330,
    kLvtPerf = 0x340,
    kLvtLint0 = 0x350,
    kLvtLint1 = 0x360,
    kLvtError = 0x370,
    kTimerInitialCount = 0x380,
    kTimerCurrentCount = 0x390,
    kTimerDivide = 0x3E0,
};

// Version register: version 0x14 (an integrated xAPIC), max LVT entry = number of LVT entries
// minus 1 = 6 (CMCI, timer, thermal, perf, LINT0, LINT1, error), bit 24 (EOI-broadcast
// suppression) clear. SDM Vol. 3A, "Local APIC Version Register".
constexpr uint32_t kVersionValue = 0x0006'0014;

// SVR fields. SDM Vol. 3A, "Spurious Interrupt".
constexpr uint32_t kSvrVector = 0xFF;
constexpr uint32_t kSvrSoftwareEnable = 1u << 8;
constexpr uint32_t kSvrFocusDisable = 1u << 9;
constexpr uint32_t kSvrWritable = kSvrVector | kSvrSoftwareEnable | kSvrFocusDisable;

// LVT fields. SDM Vol. 3A, "Local Vector Table".
constexpr uint32_t kLvtVector = 0xFF;
constexpr uint32_t kLvtDeliveryMode = 0x700; // bits 10:8
constexpr uint32_t kLvtDeliveryStatus = 1u << 12;
constexpr uint32_t kLvtPolarity = 1u << 13;
constexpr uint32_t kLvtRemoteIrr = 1u << 14;
constexpr uint32_t kLvtLevelTrigger = 1u << 15;
constexpr uint32_t kLvtMask = 1u << 16;
constexpr uint32_t kLvtTimerModeShift = 17; // bits 18:17
constexpr uint32_t kLvtTimerMode = 3u << kLvtTimerModeShift;
constexpr uint32_t kLvtReset = kLvtMask;

// The bits software may write in each LVT entry (the rest are reserved or read-only).
constexpr uint32_t kLvtTimerWritable = kLvtVector | kLvtMask | kLvtTimerMode;
constexpr uint32_t kLvtModeWritable = kLvtVector | kLvtDeliveryMode | kLvtMask; // CMCI/thermal/perf
constexpr uint32_t kLvtLintWritable =
    kLvtVector | kLvtDeliveryMode | kLvtPolarity | kLvtLevelTrigger | kLvtMask;
constexpr uint32_t kLvtErrorWritable = kLvtVector | kLvtMask;

// ESR bits for an xAPIC (bits 3:0 are the P6/Pentium APIC-bus checksum and accept errors, which
// an FSB/xAPIC never sets). SDM Vol. 3A, "Error Handling".
constexpr uint32_t kEsrRedirectableIpi = 1u << 4;
constexpr uint32_t kEsrSendIllegalVector = 1u << 5;
constexpr uint32_t kEsrReceiveIllegalVector = 1u << 6;
constexpr uint32_t kEsrIllegalRegister = 1u << 7;

// ICR fields. SDM Vol. 3A, "Interrupt Command Register (ICR)".
constexpr uint32_t kIcrVector = 0xFF;
constexpr uint32_t kIcrDeliveryModeShift = 8; // bits 10:8
constexpr uint32_t kIcrLogical = 1u << 11;
constexpr uint32_t kIcrDeliveryStatus = 1u << 12;
constexpr uint32_t kIcrLevelAssert = 1u << 14;
constexpr uint32_t kIcrLevelTrigger = 1u << 15;
constexpr uint32_t kIcrShorthandShift = 18; // bits 19:18
constexpr uint32_t kIcrLowWritable = 0x000C'CFFF;
constexpr uint32_t kIcrHighWritable = 0xFF00'0000;

// Delivery modes (ICR and LVT bits 10:8).
enum DeliveryMode : uint32_t {
    kFixed = 0,
    kLowestPriority = 1,
    kSmi = 2,
    kNmi = 4,
    kInit = 5,
    kStartup = 6,
    kExtInt = 7,
};

enum Shorthand : uint32_t {
    kNoShorthand = 0,
    kSelf = 1,
    kAllIncludingSelf = 2,
    kAllExcludingSelf = 3
};

// IA32_APIC_BASE (MSR 0x1B) fields. SDM Vol. 3A, "Local APIC Status and Location".
constexpr uint32_t kMsrApicBase = 0x1B;
constexpr uint32_t kMsrTscDeadline = 0x6E0;
constexpr uint64_t kApicBaseBsp = 1u << 8;
constexpr uint64_t kApicBaseExtd = 1u << 10;
constexpr uint64_t kApicBaseEnable = 1u << 11;
constexpr unsigned kMaxPhyAddr = 39; // hvlab's CPUID leaf 0x80000008 MAXPHYADDR
constexpr uint64_t kApicBaseAddressMask = ((uint64_t{1} << kMaxPhyAddr) - 1) & ~uint64_t{0xFFF};
constexpr uint64_t kDefaultApicBase = 0xFEE0'0000;

// Vectors 0-15 are illegal for the APIC: SDM Vol. 3A, "Error Handling" ("Receive Illegal Vector").
constexpr unsigned kFirstLegalVector = 16;

} // namespace hvlab::devices::lapic

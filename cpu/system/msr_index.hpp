// MSR indices hvlab implements, with the SDM's names (SDM Vol. 4, Model-Specific Registers).
#pragma once
#include <cstdint>

namespace hvlab::cpu::msr {

inline constexpr uint32_t kTsc = 0x10;             // IA32_TIME_STAMP_COUNTER
inline constexpr uint32_t kApicBase = 0x1B;        // IA32_APIC_BASE
inline constexpr uint32_t kFeatureControl = 0x3A;  // IA32_FEATURE_CONTROL
inline constexpr uint32_t kMtrrCap = 0xFE;         // IA32_MTRRCAP
inline constexpr uint32_t kSysenterCs = 0x174;     // IA32_SYSENTER_CS
inline constexpr uint32_t kSysenterEsp = 0x175;    // IA32_SYSENTER_ESP
inline constexpr uint32_t kSysenterEip = 0x176;    // IA32_SYSENTER_EIP
inline constexpr uint32_t kMiscEnable = 0x1A0;     // IA32_MISC_ENABLE
inline constexpr uint32_t kDebugCtl = 0x1D9;       // IA32_DEBUGCTL
inline constexpr uint32_t kPat = 0x277;            // IA32_PAT
inline constexpr uint32_t kMtrrDefType = 0x2FF;    // IA32_MTRR_DEF_TYPE
inline constexpr uint32_t kEfer = 0xC000'0080;     // IA32_EFER
inline constexpr uint32_t kStar = 0xC000'0081;     // IA32_STAR
inline constexpr uint32_t kLstar = 0xC000'0082;    // IA32_LSTAR
inline constexpr uint32_t kCstar = 0xC000'0083;    // IA32_CSTAR
inline constexpr uint32_t kFmask = 0xC000'0084;    // IA32_FMASK
inline constexpr uint32_t kFsBase = 0xC000'0100;   // IA32_FS_BASE
inline constexpr uint32_t kGsBase = 0xC000'0101;   // IA32_GS_BASE
inline constexpr uint32_t kKernelGsBase = 0xC000'0102; // IA32_KERNEL_GS_BASE
inline constexpr uint32_t kTscAux = 0xC000'0103;   // IA32_TSC_AUX

} // namespace hvlab::cpu::msr

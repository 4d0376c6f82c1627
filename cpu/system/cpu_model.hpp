// The hvlab CPU model as constants shared by CPUID, the MSR rules and the control-register
// checks, so that what CPUID advertises and what MOV CR/WRMSR accept cannot drift apart.
// docs/cpu-model.md is the prose version. Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/paging_context.hpp"

#include <cstdint>

namespace hvlab::cpu::model {

inline constexpr unsigned kMaxPhysAddrBits = mmu::kMaxPhysAddrBits; // 39
inline constexpr unsigned kLinearAddrBits = mmu::kLinearAddrBits;   // 48
inline constexpr bool kVmx = true;   // VT-x: VMX operation, CR4.VMXE, IA32_VMX_* MSRs (cpu/vmx/)
inline constexpr bool kXsave = false; // no XSAVE: CR4.OSXSAVE is reserved, XSETBV is #UD

// CR4 bits the model supports; setting any other bit is #GP(0) (SDM Vol. 3A, Control
// Registers: "reserved bits"). VME/PVI (no virtual-8086), MCE, UMIP, LA57, SMXE, OSXSAVE and
// PKE are absent because CPUID does not advertise them.
inline constexpr uint64_t kCr4Supported =
    cr4::TSD | cr4::PSE | cr4::PAE | cr4::PGE | cr4::PCE | cr4::OSFXSR | cr4::OSXMMEXCPT |
    cr4::FSGSBASE | cr4::PCIDE | cr4::SMEP | cr4::SMAP | (kVmx ? cr4::VMXE : 0);

inline constexpr uint64_t kEferSupported = efer::SCE | efer::LME | efer::LMA | efer::NXE;

// IA32_MISC_ENABLE bits a guest may write (SDM Vol. 4, IA32_MISC_ENABLE): fast strings,
// ENABLE MONITOR FSM (0 clears CPUID.01H:ECX.MONITOR, so MONITOR/MWAIT are #UD), Limit CPUID
// Maxval, XD Bit Disable. Bits 11 and 12, "Branch Trace Storage Unavailable (RO)" and
// "Processor Event Based Sampling (PEBS) Unavailable (RO)", read 1 (this model has neither)
// and ignore writes. Everything else reads 0 and is #GP to set.
inline constexpr uint64_t kMiscFastStrings = 1ull << 0;
inline constexpr uint64_t kMiscBtsUnavailable = 1ull << 11;
inline constexpr uint64_t kMiscPebsUnavailable = 1ull << 12;
inline constexpr uint64_t kMiscMonitorFsm = 1ull << 18;
inline constexpr uint64_t kMiscLimitCpuid = 1ull << 22;
inline constexpr uint64_t kMiscXdDisable = 1ull << 34;
inline constexpr uint64_t kMiscEnableWritable =
    kMiscFastStrings | kMiscMonitorFsm | kMiscLimitCpuid | kMiscXdDisable;
inline constexpr uint64_t kMiscEnableReadOnlyOnes = kMiscBtsUnavailable | kMiscPebsUnavailable;

} // namespace hvlab::cpu::model

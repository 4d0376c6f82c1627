// Typed VMX control words: one wrapper per VMCS control field, with a named predicate per
// bit, so a check reads `pin.nmi_exiting()` instead of `ctl & (1u << 3)` (STYLE.md, cpu/vmx/;
// Bochs vmx_ctrls.h). Bit positions and names follow Intel SDM, Dec 2023 (Order 325462-081),
// Vol. 3C, "VM-Execution Control Fields", "VM-Exit Controls" and "VM-Entry Controls".
#pragma once
#include <cstdint>

namespace hvlab::cpu::vmx {

// Common shape: a raw 32-bit value and a bit test. The named predicates live in the wrappers.
class ControlWord {
  public:
    constexpr ControlWord() = default;
    constexpr explicit ControlWord(uint32_t raw) : raw_(raw) {}
    constexpr uint32_t raw() const { return raw_; }
    constexpr bool has(uint32_t mask) const { return (raw_ & mask) == mask; }

  private:
    uint32_t raw_ = 0;
};

// SDM Vol. 3C, "Pin-Based VM-Execution Controls".
class PinBased : public ControlWord {
  public:
    using ControlWord::ControlWord;
    static constexpr uint32_t kExternalInterruptExiting = 1u << 0;
    static constexpr uint32_t kNmiExiting = 1u << 3;
    static constexpr uint32_t kVirtualNmis = 1u << 5;
    static constexpr uint32_t kActivatePreemptionTimer = 1u << 6;
    static constexpr uint32_t kProcessPostedInterrupts = 1u << 7;
    // Bits 1, 2 and 4 are "default1" (SDM Vol. 3D, Pin-Based VM-Execution Controls appendix).
    static constexpr uint32_t kDefault1 = (1u << 1) | (1u << 2) | (1u << 4);

    constexpr bool external_interrupt_exiting() const { return has(kExternalInterruptExiting); }
    constexpr bool nmi_exiting() const { return has(kNmiExiting); }
    constexpr bool virtual_nmis() const { return has(kVirtualNmis); }
    constexpr bool preemption_timer() const { return has(kActivatePreemptionTimer); }
};

// SDM Vol. 3C, "Primary Processor-Based VM-Execution Controls".
class ProcBased : public ControlWord {
  public:
    using ControlWord::ControlWord;
    static constexpr uint32_t kInterruptWindowExiting = 1u << 2;
    static constexpr uint32_t kUseTscOffsetting = 1u << 3;
    static constexpr uint32_t kHltExiting = 1u << 7;
    static constexpr uint32_t kInvlpgExiting = 1u << 9;
    static constexpr uint32_t kMwaitExiting = 1u << 10;
    static constexpr uint32_t kRdpmcExiting = 1u << 11;
    static constexpr uint32_t kRdtscExiting = 1u << 12;
    static constexpr uint32_t kCr3LoadExiting = 1u << 15;
    static constexpr uint32_t kCr3StoreExiting = 1u << 16;
    static constexpr uint32_t kActivateTertiaryControls = 1u << 17;
    static constexpr uint32_t kCr8LoadExiting = 1u << 19;
    static constexpr uint32_t kCr8StoreExiting = 1u << 20;
    static constexpr uint32_t kUseTprShadow = 1u << 21;
    static constexpr uint32_t kNmiWindowExiting = 1u << 22;
    static constexpr uint32_t kMovDrExiting = 1u << 23;
    static constexpr uint32_t kUnconditionalIoExiting = 1u << 24;
    static constexpr uint32_t kUseIoBitmaps = 1u << 25;
    static constexpr uint32_t kMonitorTrapFlag = 1u << 27;
    static constexpr uint32_t kUseMsrBitmaps = 1u << 28;
    static constexpr uint32_t kMonitorExiting = 1u << 29;
    static constexpr uint32_t kPauseExiting = 1u << 30;
    static constexpr uint32_t kActivateSecondaryControls = 1u << 31;
    // Bits 1, 4-6, 8, 13-16 and 26 are "default1".
    static constexpr uint32_t kDefault1 =
        (1u << 1) | (7u << 4) | (1u << 8) | (0xFu << 13) | (1u << 26);

    constexpr bool interrupt_window_exiting() const { return has(kInterruptWindowExiting); }
    constexpr bool use_tsc_offsetting() const { return has(kUseTscOffsetting); }
    constexpr bool hlt_exiting() const { return has(kHltExiting); }
    constexpr bool invlpg_exiting() const { return has(kInvlpgExiting); }
    constexpr bool mwait_exiting() const { return has(kMwaitExiting); }
    constexpr bool rdpmc_exiting() const { return has(kRdpmcExiting); }
    constexpr bool rdtsc_exiting() const { return has(kRdtscExiting); }
    constexpr bool cr3_load_exiting() const { return has(kCr3LoadExiting); }
    constexpr bool cr3_store_exiting() const { return has(kCr3StoreExiting); }
    constexpr bool cr8_load_exiting() const { return has(kCr8LoadExiting); }
    constexpr bool cr8_store_exiting() const { return has(kCr8StoreExiting); }
    constexpr bool use_tpr_shadow() const { return has(kUseTprShadow); }
    constexpr bool nmi_window_exiting() const { return has(kNmiWindowExiting); }
    constexpr bool mov_dr_exiting() const { return has(kMovDrExiting); }
    constexpr bool unconditional_io_exiting() const { return has(kUnconditionalIoExiting); }
    constexpr bool use_io_bitmaps() const { return has(kUseIoBitmaps); }
    constexpr bool monitor_trap_flag() const { return has(kMonitorTrapFlag); }
    constexpr bool use_msr_bitmaps() const { return has(kUseMsrBitmaps); }
    constexpr bool monitor_exiting() const { return has(kMonitorExiting); }
    constexpr bool pause_exiting() const { return has(kPauseExiting); }
    constexpr bool activate_secondary_controls() const { return has(kActivateSecondaryControls); }
};

// SDM Vol. 3C, "Secondary Processor-Based VM-Execution Controls". Only the bits named here
// have predicates; hvlab advertises the subset listed in docs/vmx-capabilities.md.
class ProcBased2 : public ControlWord {
  public:
    using ControlWord::ControlWord;
    static constexpr uint32_t kVirtualizeApicAccesses = 1u << 0;
    static constexpr uint32_t kEnableEpt = 1u << 1;
    static constexpr uint32_t kDescriptorTableExiting = 1u << 2;
    static constexpr uint32_t kEnableRdtscp = 1u << 3;
    static constexpr uint32_t kVirtualizeX2apicMode = 1u << 4;
    static constexpr uint32_t kEnableVpid = 1u << 5;
    static constexpr uint32_t kWbinvdExiting = 1u << 6;
    static constexpr uint32_t kUnrestrictedGuest = 1u << 7;
    static constexpr uint32_t kEnableInvpcid = 1u << 12;
    static constexpr uint32_t kEnableVmFunctions = 1u << 13;
    static constexpr uint32_t kVmcsShadowing = 1u << 14;

    constexpr bool enable_ept() const { return has(kEnableEpt); }
    constexpr bool descriptor_table_exiting() const { return has(kDescriptorTableExiting); }
    constexpr bool enable_rdtscp() const { return has(kEnableRdtscp); }
    constexpr bool enable_vpid() const { return has(kEnableVpid); }
    constexpr bool wbinvd_exiting() const { return has(kWbinvdExiting); }
    constexpr bool unrestricted_guest() const { return has(kUnrestrictedGuest); }
    constexpr bool enable_invpcid() const { return has(kEnableInvpcid); }
    constexpr bool vmcs_shadowing() const { return has(kVmcsShadowing); }
};

// SDM Vol. 3C, "Primary VM-Exit Controls".
class ExitControls : public ControlWord {
  public:
    using ControlWord::ControlWord;
    static constexpr uint32_t kSaveDebugControls = 1u << 2;
    static constexpr uint32_t kHostAddressSpaceSize = 1u << 9;
    static constexpr uint32_t kLoadPerfGlobalCtrl = 1u << 12;
    static constexpr uint32_t kAcknowledgeInterruptOnExit = 1u << 15;
    static constexpr uint32_t kSavePat = 1u << 18;
    static constexpr uint32_t kLoadPat = 1u << 19;
    static constexpr uint32_t kSaveEfer = 1u << 20;
    static constexpr uint32_t kLoadEfer = 1u << 21;
    static constexpr uint32_t kSavePreemptionTimer = 1u << 22;
    // Bits 0-8, 10, 11, 13, 14, 16 and 17 are "default1".
    static constexpr uint32_t kDefault1 = 0x1FFu | (3u << 10) | (3u << 13) | (3u << 16);

    constexpr bool save_debug_controls() const { return has(kSaveDebugControls); }
    constexpr bool host_address_space_size() const { return has(kHostAddressSpaceSize); }
    constexpr bool acknowledge_interrupt_on_exit() const {
        return has(kAcknowledgeInterruptOnExit);
    }
    constexpr bool save_ia32_pat() const { return has(kSavePat); }
    constexpr bool load_ia32_pat() const { return has(kLoadPat); }
    constexpr bool save_ia32_efer() const { return has(kSaveEfer); }
    constexpr bool load_ia32_efer() const { return has(kLoadEfer); }
    constexpr bool save_preemption_timer() const { return has(kSavePreemptionTimer); }
};

// SDM Vol. 3C, "VM-Entry Controls".
class EntryControls : public ControlWord {
  public:
    using ControlWord::ControlWord;
    static constexpr uint32_t kLoadDebugControls = 1u << 2;
    static constexpr uint32_t kIa32eModeGuest = 1u << 9;
    static constexpr uint32_t kEntryToSmm = 1u << 10;
    static constexpr uint32_t kDeactivateDualMonitor = 1u << 11;
    static constexpr uint32_t kLoadPerfGlobalCtrl = 1u << 13;
    static constexpr uint32_t kLoadPat = 1u << 14;
    static constexpr uint32_t kLoadEfer = 1u << 15;
    // Bits 0-8 and 12 are "default1".
    static constexpr uint32_t kDefault1 = 0x1FFu | (1u << 12);

    constexpr bool load_debug_controls() const { return has(kLoadDebugControls); }
    constexpr bool ia32e_mode_guest() const { return has(kIa32eModeGuest); }
    constexpr bool entry_to_smm() const { return has(kEntryToSmm); }
    constexpr bool load_ia32_pat() const { return has(kLoadPat); }
    constexpr bool load_ia32_efer() const { return has(kLoadEfer); }
};

} // namespace hvlab::cpu::vmx

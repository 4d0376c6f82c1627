// "Load, then check" (ARCHITECTURE.md, VMX; STYLE.md, cpu/vmx/): VM entry first copies the
// VMCS into this plain, typed struct, then runs the small pure checks of entry_check.hpp over
// it. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Guest-State Area", "Host-State Area",
// "VM-Execution Control Fields", "VM-Exit Control Fields" and "VM-Entry Control Fields".
#pragma once
#include "cpu/vmx/controls.hpp"
#include "cpu/vmx/vmcs_store.hpp"

#include <array>
#include <cstdint>

namespace hvlab::cpu::vmx {

// A guest segment register as the VMCS holds it. access_rights uses the VMCS layout (SDM
// Vol. 3C, "Guest Register State", access-rights format): 3:0 type, 4 S, 6:5 DPL, 7 P,
// 11:8 reserved, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable, 31:17 reserved.
struct SegmentState {
    uint16_t selector = 0;
    uint64_t base = 0;
    uint32_t limit = 0;
    uint32_t access_rights = 0;

    uint8_t type() const { return access_rights & 0xF; }
    bool s() const { return access_rights & (1u << 4); }
    uint8_t dpl() const { return (access_rights >> 5) & 3; }
    bool present() const { return access_rights & (1u << 7); }
    bool l() const { return access_rights & (1u << 13); }
    bool db() const { return access_rights & (1u << 14); }
    bool g() const { return access_rights & (1u << 15); }
    bool unusable() const { return access_rights & (1u << 16); }
    bool usable() const { return !unusable(); }
    uint8_t rpl() const { return selector & 3; }
    bool ti() const { return selector & 4; }
};

// VM-entry interruption-information field (SDM Vol. 3C, "VM-Entry Controls for Event
// Injection"): 7:0 vector, 10:8 type, 11 deliver error code, 30:12 reserved, 31 valid.
struct InterruptionInfo {
    enum Type : uint8_t {
        ExternalInterrupt = 0,
        Reserved1 = 1,
        Nmi = 2,
        HardwareException = 3,
        SoftwareInterrupt = 4,
        PrivilegedSoftwareException = 5,
        SoftwareException = 6,
        OtherEvent = 7,
    };
    uint32_t raw = 0;
    uint8_t vector() const { return raw & 0xFF; }
    uint8_t type() const { return (raw >> 8) & 7; }
    bool deliver_error_code() const { return raw & (1u << 11); }
    bool valid() const { return raw & (1u << 31); }
    bool is(uint8_t t) const { return valid() && type() == t; }
};

// Guest interruptibility-state bits (SDM Vol. 3C, "Guest Non-Register State").
namespace interruptibility {
inline constexpr uint32_t kBlockingBySti = 1u << 0, kBlockingByMovSs = 1u << 1,
                          kBlockingBySmi = 1u << 2, kBlockingByNmi = 1u << 3,
                          kEnclaveInterruption = 1u << 4;
}
enum class ActivityState : uint32_t { Active = 0, Hlt = 1, Shutdown = 2, WaitForSipi = 3 };

// Facts about the processor executing VMLAUNCH/VMRESUME that the checks depend on.
struct ProcessorFacts {
    unsigned maxphyaddr = 39;  // physical-address width (mmu::kMaxPhysAddrBits)
    unsigned linear_bits = 48; // canonical-address width (4-level paging)
    bool ia32e_mode = true;    // the processor is in IA-32e mode (host EFER.LMA) at VM entry
    bool in_smm = false;       // hvlab has no SMM: always false
    uint64_t current_vmcs_pointer = ~uint64_t{0};
    uint64_t efer_supported = 0;     // EFER bits WRMSR accepts (cpu/system/cpu_model.hpp)
    uint64_t debugctl_supported = 0; // IA32_DEBUGCTL bits WRMSR accepts: none (cpu/system/msr.cpp)
};

struct ControlState {
    PinBased pin;
    ProcBased proc;
    ProcBased2 proc2_raw; // as written in the VMCS
    ProcBased2 proc2;     // effective: 0 when "activate secondary controls" is 0
    ExitControls exit;
    EntryControls entry;
    uint32_t exception_bitmap = 0, pf_error_code_mask = 0, pf_error_code_match = 0;
    uint32_t cr3_target_count = 0;
    std::array<uint64_t, 4> cr3_targets{};
    uint64_t cr0_guest_host_mask = 0, cr4_guest_host_mask = 0;
    uint64_t cr0_read_shadow = 0, cr4_read_shadow = 0;
    uint64_t io_bitmap_a = 0, io_bitmap_b = 0, msr_bitmap = 0, tsc_offset = 0;
    uint64_t ept_pointer = 0;
    uint16_t vpid = 0;
    uint64_t exit_msr_store_addr = 0, exit_msr_load_addr = 0, entry_msr_load_addr = 0;
    uint32_t exit_msr_store_count = 0, exit_msr_load_count = 0, entry_msr_load_count = 0;
    InterruptionInfo entry_interruption;
    uint32_t entry_exception_error_code = 0;
    uint32_t entry_instruction_length = 0;
};

struct HostState {
    uint64_t cr0 = 0, cr3 = 0, cr4 = 0, rsp = 0, rip = 0;
    // ES, CS, SS, DS, FS, GS (SegReg order), then TR
    std::array<uint16_t, 6> selector{};
    uint16_t tr_selector = 0;
    uint64_t fs_base = 0, gs_base = 0, tr_base = 0, gdtr_base = 0, idtr_base = 0;
    uint32_t sysenter_cs = 0;
    uint64_t sysenter_esp = 0, sysenter_eip = 0;
    uint64_t pat = 0, efer = 0;
};

struct GuestState {
    uint64_t cr0 = 0, cr3 = 0, cr4 = 0, dr7 = 0, rsp = 0, rip = 0, rflags = 0;
    std::array<SegmentState, 6> seg{}; // ES, CS, SS, DS, FS, GS (SegReg order)
    SegmentState ldtr, tr;
    uint64_t gdtr_base = 0, idtr_base = 0;
    uint32_t gdtr_limit = 0, idtr_limit = 0;
    uint64_t debugctl = 0, pat = 0, efer = 0;
    uint32_t sysenter_cs = 0;
    uint64_t sysenter_esp = 0, sysenter_eip = 0;
    uint32_t smbase = 0;
    uint32_t activity_state = 0;
    uint32_t interruptibility = 0;
    uint64_t pending_debug_exceptions = 0;
    uint64_t vmcs_link_pointer = ~uint64_t{0};
    uint32_t preemption_timer_value = 0;
    // The PDPTEs the PDPTE checks look at: the VMCS fields when "enable EPT" is 1, otherwise
    // the four entries at CR3[31:5] in guest memory, which the caller reads and stores here
    // (SDM Vol. 3C, "Checks on Guest Page-Directory-Pointer-Table Entries").
    std::array<uint64_t, 4> pdpte{};
    // Dword 0 of the VMCS region the link pointer names, read by the caller from memory when
    // the link pointer is not FFFFFFFF_FFFFFFFFH (SDM Vol. 3C, "Checks on Guest Non-Register
    // State", VMCS link pointer).
    uint32_t vmcs_link_region_dword0 = 0;
};

struct VmcsSnapshot {
    ProcessorFacts facts;
    ControlState ctl;
    HostState host;
    GuestState guest;
};

// Copies every field the checks need out of the VMCS. Memory-derived values (PDPTEs without
// EPT, the link-pointer region's dword 0) and the processor facts are the caller's to fill.
VmcsSnapshot load_snapshot(const VmcsStore& vmcs);
// Whether the guest uses PAE paging outside IA-32e mode, so the PDPTE checks apply, and
// whether its PDPTEs come from the VMCS ("enable EPT" = 1) rather than from memory.
bool guest_uses_pae_pdptes(const VmcsSnapshot& s);
bool guest_pdptes_from_vmcs(const VmcsSnapshot& s);

} // namespace hvlab::cpu::vmx

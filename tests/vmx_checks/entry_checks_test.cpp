// One test case per VM-entry check (named after the check): start from the valid baseline, break
// exactly that rule, and assert the exact failure (VMfailValid error number, or exit reason and
// qualification) and the check's id. A final case proves every check in the tables has its case
// here.
#include "baseline.hpp"

#include "cpu/cpu_state.hpp"
#include "cpu/vmx/entry_check.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <utility>

using namespace hvlab::cpu;
using namespace hvlab::cpu::vmx;
using namespace hvlab::test_vmx;

namespace {

enum class Expect { Control7, Host8, Guest33, Pdpte33q2, NmiSti33q3, Link33q4 };

struct Violation {
    std::string_view id;
    Expect expect;
    std::function<void(VmcsSnapshot&, VmxCapabilities&)> breaks;
};

constexpr uint32_t kIntrValid = 1u << 31, kDeliverErrorCode = 1u << 11;
constexpr uint32_t intr(uint8_t type, uint8_t vector) {
    return kIntrValid | (uint32_t{type} << 8) | vector;
}

void set_pin(VmcsSnapshot& s, uint32_t on, uint32_t off = 0) {
    s.ctl.pin = PinBased((s.ctl.pin.raw() | on) & ~off);
}
void set_proc(VmcsSnapshot& s, uint32_t on, uint32_t off = 0) {
    s.ctl.proc = ProcBased((s.ctl.proc.raw() | on) & ~off);
}
void set_exit(VmcsSnapshot& s, uint32_t on, uint32_t off = 0) {
    s.ctl.exit = ExitControls((s.ctl.exit.raw() | on) & ~off);
}
void set_entry(VmcsSnapshot& s, uint32_t on, uint32_t off = 0) {
    s.ctl.entry = EntryControls((s.ctl.entry.raw() | on) & ~off);
}
void inject(VmcsSnapshot& s, uint32_t info) {
    s.ctl.entry_interruption.raw = info;
}

using S = VmcsSnapshot&;
using C = VmxCapabilities&;

// clang-format off
const Violation kViolations[] = {
    // --- VM-execution control fields ---------------------------------------------------
    {"pin_based_controls_respect_capability", Expect::Control7, [](S s, C) {
        set_pin(s, 0, 1u << 1); }}, // default1 bit forced to 1 by the TRUE MSR, left 0
    {"proc_based_controls_respect_capability", Expect::Control7, [](S s, C) {
        set_proc(s, ProcBased::kUseTprShadow); }}, // not advertised
    {"secondary_controls_respect_capability", Expect::Control7, [](S s, C) {
        s.ctl.proc2_raw = ProcBased2(s.ctl.proc2_raw.raw() | ProcBased2::kUnrestrictedGuest); }},
    {"cr3_target_count_within_limit", Expect::Control7, [](S s, C) {
        s.ctl.cr3_target_count = 5; }},
    {"io_bitmap_a_aligned", Expect::Control7, [](S s, C) { s.ctl.io_bitmap_a |= 0x800; }},
    {"io_bitmap_b_aligned", Expect::Control7, [](S s, C) { s.ctl.io_bitmap_b |= 0x4; }},
    {"io_bitmap_a_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.io_bitmap_a |= uint64_t{1} << 39; }},
    {"io_bitmap_b_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.io_bitmap_b |= uint64_t{1} << 51; }},
    {"msr_bitmap_aligned", Expect::Control7, [](S s, C) { s.ctl.msr_bitmap |= 0x10; }},
    {"msr_bitmap_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.msr_bitmap |= uint64_t{1} << 40; }},
    {"virtual_nmis_require_nmi_exiting", Expect::Control7, [](S s, C) {
        set_pin(s, 0, PinBased::kNmiExiting); }},
    {"nmi_window_exiting_requires_virtual_nmis", Expect::Control7, [](S s, C) {
        set_pin(s, 0, PinBased::kVirtualNmis);
        set_proc(s, ProcBased::kNmiWindowExiting); }},
    {"vpid_nonzero_when_enabled", Expect::Control7, [](S s, C) { s.ctl.vpid = 0; }},
    {"eptp_memory_type_supported", Expect::Control7, [](S s, C) {
        s.ctl.ept_pointer = (s.ctl.ept_pointer & ~uint64_t{7}) | 4; }}, // WT: not advertised
    {"eptp_page_walk_length_supported", Expect::Control7, [](S s, C) {
        s.ctl.ept_pointer = (s.ctl.ept_pointer & ~uint64_t{0x38}) | (4u << 3); }}, // 5 levels
    {"eptp_accessed_dirty_supported", Expect::Control7, [](S s, C c) {
        c.ept_vpid.accessed_dirty_flags = false;
        s.ctl.ept_pointer |= 1u << 6; }},
    {"eptp_reserved_bits_clear", Expect::Control7, [](S s, C) { s.ctl.ept_pointer |= 1u << 7; }},
    // --- VM-exit control fields --------------------------------------------------------
    {"exit_controls_respect_capability", Expect::Control7, [](S s, C) {
        set_exit(s, ExitControls::kLoadPerfGlobalCtrl); }},
    {"save_preemption_timer_requires_activation", Expect::Control7, [](S s, C) {
        set_exit(s, ExitControls::kSavePreemptionTimer); }},
    {"exit_msr_store_address_aligned", Expect::Control7, [](S s, C) {
        s.ctl.exit_msr_store_addr |= 8; }},
    {"exit_msr_store_area_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.exit_msr_store_addr = (uint64_t{1} << 39) - 16; }}, // last byte crosses the width
    {"exit_msr_load_address_aligned", Expect::Control7, [](S s, C) {
        s.ctl.exit_msr_load_addr |= 1; }},
    {"exit_msr_load_area_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.exit_msr_load_addr = uint64_t{1} << 45; }},
    // --- VM-entry control fields -------------------------------------------------------
    {"entry_controls_respect_capability", Expect::Control7, [](S s, C) {
        set_entry(s, EntryControls::kEntryToSmm); }},
    {"entry_interruption_type_supported", Expect::Control7, [](S s, C) {
        inject(s, intr(1, 0x20)); }},
    {"entry_interruption_vector_matches_type", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::Nmi, 3)); }},
    {"entry_deliver_error_code_set_when_required", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::HardwareException, 13)); }}, // #GP without code
    {"entry_deliver_error_code_clear_otherwise", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::HardwareException, 6) | kDeliverErrorCode); }},
    {"entry_interruption_reserved_bits_clear", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::ExternalInterrupt, 0x30) | (1u << 12)); }},
    {"entry_exception_error_code_reserved_bits_clear", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::HardwareException, 14) | kDeliverErrorCode);
        s.ctl.entry_exception_error_code = 0x10000; }},
    {"entry_instruction_length_valid", Expect::Control7, [](S s, C) {
        inject(s, intr(InterruptionInfo::SoftwareInterrupt, 0x80));
        s.ctl.entry_instruction_length = 0; }},
    {"entry_msr_load_address_aligned", Expect::Control7, [](S s, C) {
        s.ctl.entry_msr_load_addr |= 4; }},
    {"entry_msr_load_area_within_physical_address_width", Expect::Control7, [](S s, C) {
        s.ctl.entry_msr_load_addr = uint64_t{1} << 63; }},
    // --- Host control registers and MSRs -----------------------------------------------
    {"host_cr0_respects_fixed_bits", Expect::Host8, [](S s, C) { s.host.cr0 &= ~cr0::NE; }},
    {"host_cr4_respects_fixed_bits", Expect::Host8, [](S s, C) { s.host.cr4 &= ~cr4::VMXE; }},
    {"host_cr3_within_physical_address_width", Expect::Host8, [](S s, C) {
        s.host.cr3 |= uint64_t{1} << 39; }},
    {"host_sysenter_esp_canonical", Expect::Host8, [](S s, C) {
        s.host.sysenter_esp = 0x0000800000000000; }},
    {"host_sysenter_eip_canonical", Expect::Host8, [](S s, C) {
        s.host.sysenter_eip = 0xFFFF000000000000; }},
    {"host_pat_valid", Expect::Host8, [](S s, C) { s.host.pat = 0x0007040600070402; }},
    {"host_efer_reserved_bits_clear", Expect::Host8, [](S s, C) { s.host.efer |= 1u << 1; }},
    {"host_efer_lma_matches_address_space_size", Expect::Host8, [](S s, C) {
        s.host.efer &= ~efer::LMA; }},
    {"host_efer_lme_matches_address_space_size", Expect::Host8, [](S s, C) {
        s.host.efer &= ~efer::LME; }},
    // --- Host segment and descriptor-table registers -----------------------------------
    {"host_selectors_rpl_ti_clear", Expect::Host8, [](S s, C) { s.host.selector[DS] = 0x13; }},
    {"host_cs_selector_nonzero", Expect::Host8, [](S s, C) { s.host.selector[CS] = 0; }},
    {"host_tr_selector_nonzero", Expect::Host8, [](S s, C) { s.host.tr_selector = 0; }},
    {"host_ss_selector_nonzero_for_32bit_host", Expect::Host8, [](S s, C) {
        make_32bit_host(s);
        set_entry(s, 0, EntryControls::kIa32eModeGuest);
        s.host.selector[SS] = 0; }},
    {"host_fs_base_canonical", Expect::Host8, [](S s, C) { s.host.fs_base = 0x0000900000000000; }},
    {"host_gs_base_canonical", Expect::Host8, [](S s, C) { s.host.gs_base = 0x8000000000000000; }},
    {"host_gdtr_base_canonical", Expect::Host8, [](S s, C) { s.host.gdtr_base |= 1ull << 47; }},
    {"host_idtr_base_canonical", Expect::Host8, [](S s, C) { s.host.idtr_base |= 1ull << 62; }},
    {"host_tr_base_canonical", Expect::Host8, [](S s, C) { s.host.tr_base |= 1ull << 50; }},
    // --- Address-space size -------------------------------------------------------------
    {"ia32e_mode_guest_requires_ia32e_processor", Expect::Host8, [](S s, C) {
        make_32bit_host(s); }}, // the baseline guest is still IA-32e
    {"host_address_space_size_clear_outside_ia32e", Expect::Host8, [](S s, C) {
        make_32bit_host(s);
        set_entry(s, 0, EntryControls::kIa32eModeGuest);
        set_exit(s, ExitControls::kHostAddressSpaceSize); }},
    {"host_address_space_size_set_in_ia32e", Expect::Host8, [](S s, C) {
        set_exit(s, 0, ExitControls::kHostAddressSpaceSize | ExitControls::kLoadEfer);
        set_entry(s, 0, EntryControls::kIa32eModeGuest); }},
    {"host_cr4_pcide_clear_for_32bit_host", Expect::Host8, [](S s, C) {
        make_32bit_host(s);
        set_entry(s, 0, EntryControls::kIa32eModeGuest);
        s.host.cr4 |= cr4::PCIDE; }},
    {"host_rip_upper_bits_clear_for_32bit_host", Expect::Host8, [](S s, C) {
        make_32bit_host(s);
        set_entry(s, 0, EntryControls::kIa32eModeGuest);
        s.host.rip = 0x100000000; }},
    {"host_cr4_pae_set_for_64bit_host", Expect::Host8, [](S s, C) { s.host.cr4 &= ~cr4::PAE; }},
    {"host_rip_canonical_for_64bit_host", Expect::Host8, [](S s, C) {
        s.host.rip = 0x0000800000000000; }},
    // --- Guest control registers, debug registers and MSRs ------------------------------
    {"guest_cr0_respects_fixed_bits", Expect::Guest33, [](S s, C) { s.guest.cr0 &= ~cr0::PG; }},
    {"guest_cr4_respects_fixed_bits", Expect::Guest33, [](S s, C) { s.guest.cr4 &= ~cr4::VMXE; }},
    {"guest_debugctl_reserved_bits_clear", Expect::Guest33, [](S s, C) {
        set_entry(s, EntryControls::kLoadDebugControls);
        s.guest.debugctl = 1; }},
    {"ia32e_mode_guest_requires_cr4_pae", Expect::Guest33, [](S s, C) {
        s.guest.cr4 &= ~cr4::PAE; }},
    {"guest_cr4_pcide_requires_ia32e_mode_guest", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        s.guest.cr4 |= cr4::PCIDE; }},
    {"guest_cr3_within_physical_address_width", Expect::Guest33, [](S s, C) {
        s.guest.cr3 |= uint64_t{1} << 52; }},
    {"guest_dr7_upper_bits_clear", Expect::Guest33, [](S s, C) {
        set_entry(s, EntryControls::kLoadDebugControls);
        s.guest.dr7 |= uint64_t{1} << 32; }},
    {"guest_sysenter_esp_canonical", Expect::Guest33, [](S s, C) {
        s.guest.sysenter_esp = 0x1234000000000000; }},
    {"guest_sysenter_eip_canonical", Expect::Guest33, [](S s, C) {
        s.guest.sysenter_eip = 0x0000800000000000; }},
    {"guest_pat_valid", Expect::Guest33, [](S s, C) { s.guest.pat = 0x0807040600070406; }},
    {"guest_efer_reserved_bits_clear", Expect::Guest33, [](S s, C) { s.guest.efer |= 1u << 9; }},
    {"guest_efer_lma_matches_ia32e_mode_guest", Expect::Guest33, [](S s, C) {
        s.guest.efer &= ~efer::LMA; }},
    {"guest_efer_lme_matches_ia32e_mode_guest", Expect::Guest33, [](S s, C) {
        s.guest.efer &= ~efer::LME; }},
    // --- Guest segment registers ----------------------------------------------------------
    {"guest_tr_selector_ti_clear", Expect::Guest33, [](S s, C) { s.guest.tr.selector |= 4; }},
    {"guest_ldtr_selector_ti_clear", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x24, 0x8000, 0xFFF, 0x82}; }},
    {"guest_ss_rpl_equals_cs_rpl", Expect::Guest33, [](S s, C) { s.guest.seg[SS].selector |= 3; }},
    {"guest_v86_segment_base_is_selector_times_16", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        make_v86_guest(s);
        s.guest.seg[DS].base += 1; }},
    {"guest_tr_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.tr.base = 0x0001000000000000; }},
    {"guest_fs_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.seg[FS].base = 0x0000800000000000; }}, // checked even though FS is unusable
    {"guest_gs_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.seg[GS].base = 0xFF00000000000000; }},
    {"guest_ldtr_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x0000800000000000, 0xFFF, 0x82}; }},
    {"guest_cs_base_upper_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].base = 0x100000000; }},
    {"guest_ss_ds_es_base_upper_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.seg[ES].base = 0xFFFFFFFF00000000; }},
    {"guest_v86_segment_limit_is_ffff", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        make_v86_guest(s);
        s.guest.seg[SS].limit = 0xFFFFF; }},
    {"guest_v86_segment_access_rights_f3", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        make_v86_guest(s);
        s.guest.seg[GS].access_rights = 0xF2; }},
    {"guest_cs_type_valid", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights = (s.guest.seg[CS].access_rights & ~0xFu) | 0xA; }},
    {"guest_ss_type_valid", Expect::Guest33, [](S s, C) {
        s.guest.seg[SS].access_rights = (s.guest.seg[SS].access_rights & ~0xFu) | 0x1; }},
    {"guest_data_segment_type_accessed", Expect::Guest33, [](S s, C) {
        s.guest.seg[DS].access_rights &= ~1u; }},
    {"guest_data_segment_code_type_readable", Expect::Guest33, [](S s, C) {
        s.guest.seg[ES].access_rights = (s.guest.seg[ES].access_rights & ~0xFu) | 0x9; }},
    {"guest_segment_s_flag_set", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights &= ~(1u << 4); }},
    {"guest_cs_dpl_equals_ss_dpl_nonconforming", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights |= 3u << 5; }},
    {"guest_cs_dpl_at_most_ss_dpl_conforming", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights = (s.guest.seg[CS].access_rights & ~0xFu) | 0xF | (2u << 5); }},
    {"guest_ss_dpl_equals_rpl", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights = (s.guest.seg[CS].access_rights & ~0xFu) | 0xF; // conforming
        s.guest.seg[SS].access_rights |= 3u << 5; }},
    {"guest_data_segment_dpl_at_least_rpl", Expect::Guest33, [](S s, C) {
        s.guest.seg[DS].selector |= 3; }},
    {"guest_segment_present", Expect::Guest33, [](S s, C) {
        s.guest.seg[SS].access_rights &= ~(1u << 7); }},
    {"guest_segment_ar_bits_11_8_clear", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights |= 1u << 8; }},
    {"guest_cs_db_clear_in_64bit_mode", Expect::Guest33, [](S s, C) {
        s.guest.seg[CS].access_rights |= 1u << 14; }},
    {"guest_segment_limit_low_bits_require_byte_granularity", Expect::Guest33, [](S s, C) {
        s.guest.seg[DS].limit = 0xFFFFF000; }},
    {"guest_segment_large_limit_requires_page_granularity", Expect::Guest33, [](S s, C) {
        s.guest.seg[ES].access_rights &= ~(1u << 15); }},
    {"guest_segment_ar_bits_31_17_clear", Expect::Guest33, [](S s, C) {
        s.guest.seg[SS].access_rights |= 1u << 20; }},
    {"guest_tr_type_busy_tss", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        s.guest.tr.access_rights = 0x89; }}, // available, not busy
    {"guest_tr_type_busy_64bit_tss_in_ia32e", Expect::Guest33, [](S s, C) {
        s.guest.tr.access_rights = 0x83; }}, // 16-bit busy TSS in IA-32e mode
    {"guest_tr_s_flag_clear", Expect::Guest33, [](S s, C) { s.guest.tr.access_rights |= 1u << 4; }},
    {"guest_tr_present", Expect::Guest33, [](S s, C) { s.guest.tr.access_rights &= ~(1u << 7); }},
    {"guest_tr_ar_bits_11_8_clear", Expect::Guest33, [](S s, C) {
        s.guest.tr.access_rights |= 1u << 11; }},
    {"guest_tr_limit_low_bits_require_byte_granularity", Expect::Guest33, [](S s, C) {
        s.guest.tr.access_rights |= 1u << 15; }}, // limit 0x67 with G=1
    {"guest_tr_large_limit_requires_page_granularity", Expect::Guest33, [](S s, C) {
        s.guest.tr.limit = 0x100FFF; }},
    {"guest_tr_usable", Expect::Guest33, [](S s, C) { s.guest.tr.access_rights |= kSegUnusable; }},
    {"guest_tr_ar_bits_31_17_clear", Expect::Guest33, [](S s, C) {
        s.guest.tr.access_rights |= 1u << 31; }},
    {"guest_ldtr_type_is_ldt", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0xFFF, 0x83}; }},
    {"guest_ldtr_s_flag_clear", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0xFFF, 0x92}; }},
    {"guest_ldtr_present", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0xFFF, 0x02}; }},
    {"guest_ldtr_ar_bits_11_8_clear", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0xFFF, 0x282}; }},
    {"guest_ldtr_limit_low_bits_require_byte_granularity", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0x1000, 0x8082}; }},
    {"guest_ldtr_large_limit_requires_page_granularity", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0x00FFFFFF, 0x82}; }},
    {"guest_ldtr_ar_bits_31_17_clear", Expect::Guest33, [](S s, C) {
        s.guest.ldtr = {0x20, 0x8000, 0xFFF, 0x40082}; }},
    // --- Guest descriptor-table registers -------------------------------------------------
    {"guest_gdtr_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.gdtr_base = 0x0000F00000000000; }},
    {"guest_idtr_base_canonical", Expect::Guest33, [](S s, C) {
        s.guest.idtr_base = 0x8000000000007100; }},
    {"guest_gdtr_limit_upper_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.gdtr_limit = 0x10000; }},
    {"guest_idtr_limit_upper_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.idtr_limit = 0xFFFFFFFF; }},
    // --- Guest RIP and RFLAGS -------------------------------------------------------------
    {"guest_rip_upper_bits_clear_outside_64bit", Expect::Guest33, [](S s, C) {
        make_protected32_guest(s);
        s.guest.rip = 0x100000000; }},
    {"guest_rip_canonical_in_64bit", Expect::Guest33, [](S s, C) {
        s.guest.rip = 0x0000800000000000; }},
    {"guest_rflags_reserved_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.rflags |= 1u << 15; }},
    {"guest_rflags_bit1_set", Expect::Guest33, [](S s, C) { s.guest.rflags &= ~rflags::kFixed1; }},
    {"guest_rflags_vm_clear_in_ia32e_mode", Expect::Guest33, [](S s, C) {
        make_v86_guest(s); }}, // a valid v86 guest, but the IA-32e mode guest control is 1
    {"guest_rflags_if_set_for_external_interrupt", Expect::Guest33, [](S s, C) {
        inject(s, intr(InterruptionInfo::ExternalInterrupt, 0x40)); }},
    // --- Guest non-register state ---------------------------------------------------------
    {"guest_activity_state_supported", Expect::Guest33, [](S s, C) {
        s.guest.activity_state = 3; }}, // wait-for-SIPI is not advertised
    {"guest_hlt_requires_ss_dpl_zero", Expect::Guest33, [](S s, C) {
        for (unsigned n : {CS, SS, DS, ES}) {
            s.guest.seg[n].selector |= 3;
            s.guest.seg[n].access_rights |= 3u << 5;
        }
        s.guest.activity_state = 1; }},
    {"guest_blocking_requires_active_state", Expect::Guest33, [](S s, C) {
        s.guest.rflags |= rflags::IF;
        s.guest.interruptibility = interruptibility::kBlockingBySti;
        s.guest.activity_state = 1; }},
    {"guest_injected_event_allowed_in_activity_state", Expect::Guest33, [](S s, C) {
        s.guest.activity_state = 1;
        inject(s, intr(InterruptionInfo::HardwareException, 13) | kDeliverErrorCode); }},
    {"guest_interruptibility_reserved_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = 1u << 5; }},
    {"guest_blocking_not_both_sti_and_movss", Expect::Guest33, [](S s, C) {
        s.guest.rflags |= rflags::IF;
        s.guest.interruptibility = 3; }},
    {"guest_sti_blocking_requires_if", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = interruptibility::kBlockingBySti; }},
    {"guest_external_interrupt_injection_unblocked", Expect::Guest33, [](S s, C) {
        s.guest.rflags |= rflags::IF;
        s.guest.interruptibility = interruptibility::kBlockingByMovSs;
        inject(s, intr(InterruptionInfo::ExternalInterrupt, 0x40)); }},
    {"guest_nmi_injection_without_movss_blocking", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = interruptibility::kBlockingByMovSs;
        inject(s, intr(InterruptionInfo::Nmi, 2)); }},
    {"guest_smi_blocking_clear_outside_smm", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = interruptibility::kBlockingBySmi; }},
    {"guest_nmi_injection_without_sti_blocking", Expect::NmiSti33q3, [](S s, C) {
        s.guest.rflags |= rflags::IF;
        s.guest.interruptibility = interruptibility::kBlockingBySti;
        inject(s, intr(InterruptionInfo::Nmi, 2)); }},
    {"guest_virtual_nmi_injection_without_nmi_blocking", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = interruptibility::kBlockingByNmi;
        inject(s, intr(InterruptionInfo::Nmi, 2)); }}, // baseline has virtual NMIs on
    {"guest_enclave_interruption_clear", Expect::Guest33, [](S s, C) {
        s.guest.interruptibility = interruptibility::kEnclaveInterruption; }},
    {"guest_pending_debug_reserved_bits_clear", Expect::Guest33, [](S s, C) {
        s.guest.pending_debug_exceptions = 1u << 13; }},
    {"guest_pending_debug_rtm_clear", Expect::Guest33, [](S s, C) {
        s.guest.pending_debug_exceptions = 1u << 16; }},
    {"guest_pending_debug_bs_set_when_single_stepping", Expect::Guest33, [](S s, C) {
        s.guest.rflags |= rflags::IF | rflags::TF;
        s.guest.interruptibility = interruptibility::kBlockingBySti; }},
    {"guest_pending_debug_bs_clear_when_not_single_stepping", Expect::Guest33, [](S s, C) {
        s.guest.activity_state = 1; // HLT
        s.guest.pending_debug_exceptions = 1u << 14; }},
    {"guest_vmcs_link_pointer_aligned", Expect::Link33q4, [](S s, C) {
        s.guest.vmcs_link_pointer = 0xA008; }},
    {"guest_vmcs_link_pointer_within_physical_address_width", Expect::Link33q4, [](S s, C) {
        s.guest.vmcs_link_pointer = uint64_t{1} << 39; }},
    {"guest_vmcs_link_revision_matches", Expect::Link33q4, [](S s, C) {
        s.guest.vmcs_link_pointer = 0xA000;
        s.guest.vmcs_link_region_dword0 = 0x1234; }},
    {"guest_vmcs_link_shadow_indicator_matches", Expect::Link33q4, [](S s, C c) {
        s.guest.vmcs_link_pointer = 0xA000;
        s.guest.vmcs_link_region_dword0 = c.basic.revision_id | kShadowVmcsIndicator; }},
    {"guest_vmcs_link_pointer_not_current_vmcs", Expect::Link33q4, [](S s, C c) {
        s.guest.vmcs_link_pointer = kCurrentVmcs;
        s.guest.vmcs_link_region_dword0 = c.basic.revision_id; }},
    // --- Guest PDPTEs ---------------------------------------------------------------------
    {"guest_pdptes_valid", Expect::Pdpte33q2, [](S s, C) {
        make_protected32_guest(s);
        s.guest.pdpte[2] |= 1u << 2; }}, // reserved bit 2 in a present PDPTE
};
// clang-format on

void check_expectation(const EntryFailure& f, Expect e) {
    switch (e) {
    case Expect::Control7:
        REQUIRE(f.is_vmfail());
        CHECK(f.vm_instruction_error() == 7);
        CHECK(f.exit_reason() == 0);
        break;
    case Expect::Host8:
        REQUIRE(f.is_vmfail());
        CHECK(f.vm_instruction_error() == 8);
        break;
    case Expect::Guest33:
    case Expect::Pdpte33q2:
    case Expect::NmiSti33q3:
    case Expect::Link33q4: {
        REQUIRE(f.is_exit());
        CHECK(f.vm_instruction_error() == 0);
        CHECK(f.exit_reason() == (33u | 0x80000000u));
        const uint64_t qual = e == Expect::Pdpte33q2    ? 2
                              : e == Expect::NmiSti33q3 ? 3
                              : e == Expect::Link33q4   ? 4
                                                        : 0;
        CHECK(f.exit_qualification() == qual);
        break;
    }
    }
}

} // namespace

TEST_CASE("the baseline VMCS passes every VM-entry check", "[vmx][entry]") {
    const VmcsSnapshot s = baseline_snapshot();
    const auto failure = run_entry_checks(s, hvlab_vmx_capabilities());
    INFO((failure ? failure->diagnostic() : std::string("passed")));
    CHECK_FALSE(failure.has_value());
}

TEST_CASE("the variant baselines used by the negative cases are valid", "[vmx][entry]") {
    const VmxCapabilities& caps = hvlab_vmx_capabilities();
    VmcsSnapshot p32 = baseline_snapshot();
    make_protected32_guest(p32);
    auto f = run_entry_checks(p32, caps);
    INFO((f ? f->diagnostic() : std::string("protected32 passed")));
    CHECK_FALSE(f.has_value());

    VmcsSnapshot v86 = p32;
    make_v86_guest(v86);
    f = run_entry_checks(v86, caps);
    INFO((f ? f->diagnostic() : std::string("v86 passed")));
    CHECK_FALSE(f.has_value());

    VmcsSnapshot host32 = p32;
    make_32bit_host(host32);
    f = run_entry_checks(host32, caps);
    INFO((f ? f->diagnostic() : std::string("32-bit host passed")));
    CHECK_FALSE(f.has_value());
}

namespace {

void run_violation(const Violation& v) {
    VmcsSnapshot s = baseline_snapshot();
    VmxCapabilities caps = hvlab_vmx_capabilities();
    v.breaks(s, caps);
    const auto failure = run_entry_checks(s, caps);
    REQUIRE(failure.has_value());
    INFO(failure->diagnostic());
    CHECK(failure->check_id == v.id);
    check_expectation(*failure, v.expect);
    CHECK_FALSE(failure->detail.empty());
    CHECK(failure->section.starts_with("SDM Vol. 3C, "));
}

// One Catch test case (hence one ctest) per row of kViolations, named after the check.
template <size_t I> void violation_case() {
    run_violation(kViolations[I]);
}

template <size_t... I> bool register_violation_cases(std::index_sequence<I...>) {
    (Catch::AutoReg(
         Catch::makeTestInvoker(&violation_case<I>), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
         Catch::NameAndTags{Catch::StringRef(kViolations[I].id.data(), kViolations[I].id.size()),
                            "[vmx][entry][check]"}),
     ...);
    return true;
}

const bool kRegistered =
    register_violation_cases(std::make_index_sequence<std::size(kViolations)>{});

} // namespace

TEST_CASE("every check in the tables is provoked by exactly one case", "[vmx][entry]") {
    std::multiset<std::string_view> provoked;
    for (const Violation& v : kViolations)
        provoked.insert(v.id);
    const auto all = list_entry_checks();
    std::set<std::string_view> ids;
    for (const CheckDescription& d : all) {
        INFO(d.id);
        CHECK(provoked.count(d.id) == 1);
        CHECK(ids.insert(d.id).second); // ids are unique
    }
    CHECK(provoked.size() == all.size());
    CHECK(all.size() >= 100);
}

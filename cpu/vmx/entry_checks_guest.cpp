// VM-entry checks on the guest-state area; a failure is a VM-entry-failure exit with basic
// reason 33 ("VM-entry failure due to invalid guest state") and the qualification the table
// gives. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Checks on the Guest-State Area":
// "Checks on Guest Control Registers, Debug Registers, and MSRs", "Checks on Guest Segment
// Registers", "Checks on Guest Descriptor-Table Registers", "Checks on Guest RIP, RFLAGS,
// and SSP", "Checks on Guest Non-Register State", "Checks on Guest Page-Directory-Pointer-
// Table Entries". hvlab has no unrestricted guest, SMM, CET, PKRS, LBR/BTS, RTM or SGX, so
// the rules that only concern those features reduce to "the bit must be 0" or do not apply.
#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/entry_check_rules.hpp"

#include "cpu/cpu_state.hpp"

namespace hvlab::cpu::vmx {
namespace {

using namespace rules;
using S = const VmcsSnapshot&;
using C = const VmxCapabilities&;

constexpr std::string_view kRegs =
    "SDM Vol. 3C, Checks on Guest Control Registers, Debug Registers, and MSRs";
constexpr std::string_view kSegs = "SDM Vol. 3C, Checks on Guest Segment Registers";
constexpr std::string_view kTables = "SDM Vol. 3C, Checks on Guest Descriptor-Table Registers";
constexpr std::string_view kRipFlags = "SDM Vol. 3C, Checks on Guest RIP, RFLAGS, and SSP";
constexpr std::string_view kNonReg = "SDM Vol. 3C, Checks on Guest Non-Register State";
constexpr std::string_view kPdpte =
    "SDM Vol. 3C, Checks on Guest Page-Directory-Pointer-Table Entries";

constexpr std::string_view kSegNames[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
constexpr unsigned kDataSegs[] = {ES, DS, FS, GS}; // "DS, ES, FS, GS"
constexpr uint32_t kArReserved11_8 = 0xF00;
constexpr uint32_t kArReserved31_17 = 0xFFFE0000u;

bool ia32e_guest(S s) {
    return s.ctl.entry.ia32e_mode_guest();
}
bool v86_guest(S s) {
    return s.guest.rflags & rflags::VM;
}

Violation segment(std::string_view name, const SegmentState& seg) {
    return std::string("GUEST_") + std::string(name) + " selector=" + hex(seg.selector) +
           " base=" + hex(seg.base) + " limit=" + hex(seg.limit) +
           " access_rights=" + hex(seg.access_rights);
}
Violation segment(unsigned n, const SegmentState& seg) {
    return segment(kSegNames[n], seg);
}

// "If any bit in the limit field in the range 11:0 is 0, G must be 0. If any bit in the limit
// field in the range 31:20 is 1, G must be 1."
bool low_limit_bits_need_byte_granularity(const SegmentState& seg) {
    return (seg.limit & 0xFFF) != 0xFFF && seg.g();
}
bool high_limit_bits_need_page_granularity(const SegmentState& seg) {
    return (seg.limit >> 20) != 0 && !seg.g();
}

// Applies `bad` to CS and to each usable ES/SS/DS/FS/GS (outside virtual-8086 mode), as the
// SDM's access-rights bullets do, returning the first offending register.
template <class Pred> Violation code_and_usable_data(S s, Pred bad) {
    if (v86_guest(s)) return kPass;
    for (unsigned n = 0; n < 6; ++n) {
        const SegmentState& seg = s.guest.seg[n];
        if ((n == CS || seg.usable()) && bad(seg)) return segment(n, seg);
    }
    return kPass;
}

// --- Control registers, debug registers and MSRs -----------------------------------------

Violation fixed_bits(std::string_view name, uint64_t value, uint64_t fixed0, uint64_t fixed1) {
    const uint64_t bad = fixed_bit_violations(value, fixed0, fixed1);
    if (!bad) return kPass;
    return std::string(name) + "=" + hex(value) + " (bits " + hex(bad) +
           " violate FIXED0=" + hex(fixed0) + ", FIXED1=" + hex(fixed1) + ")";
}

// "The CR0 field must not set any bit to a value not supported in VMX operation."
// (The PE/PG relaxation for "unrestricted guest" does not apply: hvlab lacks that control.
// So the next SDM rule, "If bit 31 in the CR0 field (corresponding to PG) is 1, bit 0 in that
// field (PE) must also be 1", can never fail on its own: FIXED0 makes both 1.)
Violation guest_cr0_respects_fixed_bits(S s, C c) {
    return fixed_bits("GUEST_CR0", s.guest.cr0, c.cr0_fixed0, c.cr0_fixed1);
}

// "The CR4 field must not set any bit to a value not supported in VMX operation."
Violation guest_cr4_respects_fixed_bits(S s, C c) {
    return fixed_bits("GUEST_CR4", s.guest.cr4, c.cr4_fixed0, c.cr4_fixed1);
}

// "If the 'load debug controls' VM-entry control is 1, bits reserved in the IA32_DEBUGCTL MSR
// must be 0 in the field for that register."
Violation guest_debugctl_reserved_bits_clear(S s, C) {
    if (!s.ctl.entry.load_debug_controls() || !(s.guest.debugctl & ~s.facts.debugctl_supported))
        return kPass;
    return field("GUEST_IA32_DEBUGCTL", s.guest.debugctl);
}

// "If the 'IA-32e mode guest' VM-entry control is 1, bit 31 in the CR0 field (corresponding
// to CR0.PG) and bit 5 in the CR4 field (corresponding to CR4.PAE) must each be 1."
// (CR0.PG is also FIXED0, so only CR4.PAE can fail here.)
Violation ia32e_mode_guest_requires_cr4_pae(S s, C) {
    if (!ia32e_guest(s) || (s.guest.cr4 & cr4::PAE)) return kPass;
    return field("GUEST_CR4", s.guest.cr4);
}

// "If the 'IA-32e mode guest' VM-entry control is 0, bit 17 in the CR4 field (corresponding
// to CR4.PCIDE) must be 0."
Violation guest_cr4_pcide_requires_ia32e_mode_guest(S s, C) {
    if (ia32e_guest(s) || !(s.guest.cr4 & cr4::PCIDE)) return kPass;
    return fields("GUEST_CR4", s.guest.cr4, "VM_ENTRY_CONTROLS", s.ctl.entry.raw());
}

// "On processors that support Intel 64 architecture, the CR3 field must be such that bits
// 63:52 and bits in the range 51:32 beyond the processor's physical-address width are 0."
Violation guest_cr3_within_physical_address_width(S s, C) {
    if (!beyond_phys(s.guest.cr3, s.facts.maxphyaddr)) return kPass;
    return field("GUEST_CR3", s.guest.cr3);
}

// "If the 'load debug controls' VM-entry control is 1, bits 63:32 in the DR7 field must be 0."
Violation guest_dr7_upper_bits_clear(S s, C) {
    if (!s.ctl.entry.load_debug_controls() || !(s.guest.dr7 >> 32)) return kPass;
    return field("GUEST_DR7", s.guest.dr7);
}

// "On processors that support Intel 64 architecture, the IA32_SYSENTER_ESP field and the
// IA32_SYSENTER_EIP field must each contain a canonical address."
Violation guest_sysenter_esp_canonical(S s, C) {
    if (canonical(s.guest.sysenter_esp, s.facts.linear_bits)) return kPass;
    return field("GUEST_SYSENTER_ESP", s.guest.sysenter_esp);
}
Violation guest_sysenter_eip_canonical(S s, C) {
    if (canonical(s.guest.sysenter_eip, s.facts.linear_bits)) return kPass;
    return field("GUEST_SYSENTER_EIP", s.guest.sysenter_eip);
}

// "If the 'load IA32_PAT' VM-entry control is 1, the value of the field for the IA32_PAT MSR
// must be one that could be written by WRMSR without fault at CPL 0."
Violation guest_pat_valid(S s, C) {
    if (!s.ctl.entry.load_ia32_pat() || pat_valid(s.guest.pat)) return kPass;
    return field("GUEST_IA32_PAT", s.guest.pat);
}

// "If the 'load IA32_EFER' VM-entry control is 1, the following checks are performed on the
// field for the IA32_EFER MSR: Bits reserved in the IA32_EFER MSR must be 0."
Violation guest_efer_reserved_bits_clear(S s, C) {
    if (!s.ctl.entry.load_ia32_efer() || !(s.guest.efer & ~s.facts.efer_supported)) return kPass;
    return field("GUEST_IA32_EFER", s.guest.efer);
}
// "Bit 10 (corresponding to IA32_EFER.LMA) must equal the value of the 'IA-32e mode guest'
// VM-entry control."
Violation guest_efer_lma_matches_ia32e_mode_guest(S s, C) {
    if (!s.ctl.entry.load_ia32_efer() || ((s.guest.efer & efer::LMA) != 0) == ia32e_guest(s))
        return kPass;
    return fields("GUEST_IA32_EFER", s.guest.efer, "VM_ENTRY_CONTROLS", s.ctl.entry.raw());
}
// "It must also be identical to bit 8 (LME) if bit 31 in the CR0 field (corresponding to
// CR0.PG) is 1."
Violation guest_efer_lme_matches_ia32e_mode_guest(S s, C) {
    if (!s.ctl.entry.load_ia32_efer() || !(s.guest.cr0 & cr0::PG) ||
        ((s.guest.efer & efer::LME) != 0) == ia32e_guest(s))
        return kPass;
    return fields("GUEST_IA32_EFER", s.guest.efer, "VM_ENTRY_CONTROLS", s.ctl.entry.raw());
}

// --- Segment registers: selectors ----------------------------------------------------------

// "TR. The TI flag (bit 2) must be 0."
Violation guest_tr_selector_ti_clear(S s, C) {
    return s.guest.tr.ti() ? segment("TR", s.guest.tr) : kPass;
}
// "LDTR. If LDTR is usable, the TI flag (bit 2) must be 0."
Violation guest_ldtr_selector_ti_clear(S s, C) {
    return s.guest.ldtr.usable() && s.guest.ldtr.ti() ? segment("LDTR", s.guest.ldtr) : kPass;
}
// "SS. If the guest will not be virtual-8086 and the 'unrestricted guest' VM-execution
// control is 0, the RPL (bits 1:0) must equal the RPL of the selector field for CS."
Violation guest_ss_rpl_equals_cs_rpl(S s, C) {
    if (v86_guest(s) || s.guest.seg[SS].rpl() == s.guest.seg[CS].rpl()) return kPass;
    return fields("GUEST_SS_SELECTOR", s.guest.seg[SS].selector, "GUEST_CS_SELECTOR",
                  s.guest.seg[CS].selector);
}

// --- Segment registers: bases ---------------------------------------------------------------

// "CS, SS, DS, ES, FS, GS. If the guest will be virtual-8086, the address must be the
// selector field shifted left 4 bits (multiplied by 16)."
Violation guest_v86_segment_base_is_selector_times_16(S s, C) {
    if (!v86_guest(s)) return kPass;
    for (unsigned n = 0; n < 6; ++n)
        if (s.guest.seg[n].base != uint64_t{s.guest.seg[n].selector} << 4)
            return segment(n, s.guest.seg[n]);
    return kPass;
}
// "The following checks are performed on processors that support Intel 64 architecture:
// TR, FS, GS. The address must be canonical."
Violation guest_tr_base_canonical(S s, C) {
    return canonical(s.guest.tr.base, s.facts.linear_bits) ? kPass : segment("TR", s.guest.tr);
}
Violation guest_fs_base_canonical(S s, C) {
    return canonical(s.guest.seg[FS].base, s.facts.linear_bits) ? kPass
                                                                : segment(FS, s.guest.seg[FS]);
}
Violation guest_gs_base_canonical(S s, C) {
    return canonical(s.guest.seg[GS].base, s.facts.linear_bits) ? kPass
                                                                : segment(GS, s.guest.seg[GS]);
}
// "LDTR. If LDTR is usable, the address must be canonical."
Violation guest_ldtr_base_canonical(S s, C) {
    if (!s.guest.ldtr.usable() || canonical(s.guest.ldtr.base, s.facts.linear_bits)) return kPass;
    return segment("LDTR", s.guest.ldtr);
}
// "CS. Bits 63:32 of the address must be zero."
Violation guest_cs_base_upper_bits_clear(S s, C) {
    return s.guest.seg[CS].base >> 32 ? segment(CS, s.guest.seg[CS]) : kPass;
}
// "SS, DS, ES. If the register is usable, bits 63:32 of the address must be zero."
Violation guest_ss_ds_es_base_upper_bits_clear(S s, C) {
    for (unsigned n : {SS, DS, ES})
        if (s.guest.seg[n].usable() && (s.guest.seg[n].base >> 32))
            return segment(n, s.guest.seg[n]);
    return kPass;
}

// --- Segment registers: limits and access rights in virtual-8086 mode ----------------------

// "Limit fields for CS, SS, DS, ES, FS, GS. If the guest will be virtual-8086, the field
// must be 0000FFFFH."
Violation guest_v86_segment_limit_is_ffff(S s, C) {
    if (!v86_guest(s)) return kPass;
    for (unsigned n = 0; n < 6; ++n)
        if (s.guest.seg[n].limit != 0xFFFF) return segment(n, s.guest.seg[n]);
    return kPass;
}
// "If the guest will be virtual-8086, the field must be 000000F3H. This implies the
// following: Bits 3:0 (Type) must be 3, indicating an expand-up read/write accessed data
// segment. Bit 4 (S) must be 1. Bits 6:5 (DPL) must be 3. Bit 7 (P) must be 1. Bits 11:8
// (reserved), bit 12 (software available), bit 13 (reserved/L), bit 14 (D/B), bit 15 (G),
// bit 16 (unusable), and bits 31:17 (reserved) must all be 0."
Violation guest_v86_segment_access_rights_f3(S s, C) {
    if (!v86_guest(s)) return kPass;
    for (unsigned n = 0; n < 6; ++n)
        if (s.guest.seg[n].access_rights != 0xF3) return segment(n, s.guest.seg[n]);
    return kPass;
}

// --- Segment registers: access rights (not virtual-8086) ------------------------------------

// "CS. The values allowed depend on the setting of the 'unrestricted guest' VM-execution
// control: If the control is 0, the Type must be 9, 11, 13, or 15 (accessed code segment)."
Violation guest_cs_type_valid(S s, C) {
    if (v86_guest(s)) return kPass;
    const uint8_t t = s.guest.seg[CS].type();
    return (t == 9 || t == 11 || t == 13 || t == 15) ? kPass : segment(CS, s.guest.seg[CS]);
}
// "SS. If SS is usable, the Type must be 3 or 7 (read/write, accessed data segment)."
Violation guest_ss_type_valid(S s, C) {
    const SegmentState& ss = s.guest.seg[SS];
    if (v86_guest(s) || ss.unusable() || ss.type() == 3 || ss.type() == 7) return kPass;
    return segment(SS, ss);
}
// "DS, ES, FS, GS. The following checks apply if the register is usable: Bit 0 of the Type
// must be 1 (accessed)."
Violation guest_data_segment_type_accessed(S s, C) {
    if (v86_guest(s)) return kPass;
    for (unsigned n : kDataSegs) {
        const SegmentState& seg = s.guest.seg[n];
        if (seg.usable() && !(seg.type() & 1)) return segment(n, seg);
    }
    return kPass;
}
// "If bit 3 of the Type is 1 (code segment), then bit 1 of the Type must be 1 (readable)."
Violation guest_data_segment_code_type_readable(S s, C) {
    if (v86_guest(s)) return kPass;
    for (unsigned n : kDataSegs) {
        const SegmentState& seg = s.guest.seg[n];
        if (seg.usable() && (seg.type() & 8) && !(seg.type() & 2)) return segment(n, seg);
    }
    return kPass;
}
// "Bit 4 (S). If the register is CS or if the register is usable, S must be 1."
Violation guest_segment_s_flag_set(S s, C) {
    return code_and_usable_data(s, [](const SegmentState& seg) { return !seg.s(); });
}
// "Bits 6:5 (DPL). CS. If the Type is 9 or 11 (non-conforming code segment), the DPL must
// equal the DPL in the access-rights field for SS."
Violation guest_cs_dpl_equals_ss_dpl_nonconforming(S s, C) {
    const SegmentState& cs = s.guest.seg[CS];
    if (v86_guest(s) || (cs.type() != 9 && cs.type() != 11) || cs.dpl() == s.guest.seg[SS].dpl())
        return kPass;
    return fields("GUEST_CS_AR_BYTES", cs.access_rights, "GUEST_SS_AR_BYTES",
                  s.guest.seg[SS].access_rights);
}
// "If the Type is 13 or 15 (conforming code segment), the DPL cannot be greater than the DPL
// in the access-rights field for SS."
Violation guest_cs_dpl_at_most_ss_dpl_conforming(S s, C) {
    const SegmentState& cs = s.guest.seg[CS];
    if (v86_guest(s) || (cs.type() != 13 && cs.type() != 15) || cs.dpl() <= s.guest.seg[SS].dpl())
        return kPass;
    return fields("GUEST_CS_AR_BYTES", cs.access_rights, "GUEST_SS_AR_BYTES",
                  s.guest.seg[SS].access_rights);
}
// "SS. If the 'unrestricted guest' VM-execution control is 0, the DPL must equal the RPL
// from the selector field."
Violation guest_ss_dpl_equals_rpl(S s, C) {
    const SegmentState& ss = s.guest.seg[SS];
    if (v86_guest(s) || ss.dpl() == ss.rpl()) return kPass;
    return segment(SS, ss);
}
// "DS, ES, FS, GS. The DPL cannot be less than the RPL in the selector field if (1) the
// 'unrestricted guest' VM-execution control is 0; (2) the register is usable; and (3) the
// Type in the access-rights field is in the range 0 - 11 (data segment or non-conforming
// code segment)."
Violation guest_data_segment_dpl_at_least_rpl(S s, C) {
    if (v86_guest(s)) return kPass;
    for (unsigned n : kDataSegs) {
        const SegmentState& seg = s.guest.seg[n];
        if (seg.usable() && seg.type() <= 11 && seg.dpl() < seg.rpl()) return segment(n, seg);
    }
    return kPass;
}
// "Bit 7 (P). CS. Must be 1. SS, DS, ES, FS, GS. If the register is usable, P must be 1."
Violation guest_segment_present(S s, C) {
    return code_and_usable_data(s, [](const SegmentState& seg) { return !seg.present(); });
}
// "Bits 11:8 (reserved). CS. Must be 0. SS, DS, ES, FS, GS. If the register is usable, these
// bits must all be 0."
Violation guest_segment_ar_bits_11_8_clear(S s, C) {
    return code_and_usable_data(
        s, [](const SegmentState& seg) { return (seg.access_rights & kArReserved11_8) != 0; });
}
// "Bit 14 (D/B). For CS, D/B must be 0 if the guest will be IA-32e mode and the L bit
// (bit 13) in the access-rights field is 1."
Violation guest_cs_db_clear_in_64bit_mode(S s, C) {
    const SegmentState& cs = s.guest.seg[CS];
    if (v86_guest(s) || !ia32e_guest(s) || !cs.l() || !cs.db()) return kPass;
    return segment(CS, cs);
}
// "Bit 15 (G). The following checks apply if the register is CS or if the register is
// usable: If any bit in the limit field in the range 11:0 is 0, G must be 0."
Violation guest_segment_limit_low_bits_require_byte_granularity(S s, C) {
    return code_and_usable_data(s, low_limit_bits_need_byte_granularity);
}
// "If any bit in the limit field in the range 31:20 is 1, G must be 1."
Violation guest_segment_large_limit_requires_page_granularity(S s, C) {
    return code_and_usable_data(s, high_limit_bits_need_page_granularity);
}
// "Bits 31:17 (reserved). CS. Must be 0. SS, DS, ES, FS, GS. If the register is usable,
// these bits must all be 0."
Violation guest_segment_ar_bits_31_17_clear(S s, C) {
    return code_and_usable_data(
        s, [](const SegmentState& seg) { return (seg.access_rights & kArReserved31_17) != 0; });
}

// --- TR access rights -----------------------------------------------------------------------

// "TR. Bits 3:0 (Type). If the guest will not be IA-32e mode, the Type must be 3 (16-bit
// busy TSS) or 11 (32-bit busy TSS)."
Violation guest_tr_type_busy_tss(S s, C) {
    const uint8_t t = s.guest.tr.type();
    if (ia32e_guest(s) || t == 3 || t == 11) return kPass;
    return segment("TR", s.guest.tr);
}
// "If the guest will be IA-32e mode, the Type must be 11 (64-bit busy TSS)."
Violation guest_tr_type_busy_64bit_tss_in_ia32e(S s, C) {
    if (!ia32e_guest(s) || s.guest.tr.type() == 11) return kPass;
    return segment("TR", s.guest.tr);
}
// "Bit 4 (S). Must be 0."
Violation guest_tr_s_flag_clear(S s, C) {
    return s.guest.tr.s() ? segment("TR", s.guest.tr) : kPass;
}
// "Bit 7 (P). Must be 1."
Violation guest_tr_present(S s, C) {
    return s.guest.tr.present() ? kPass : segment("TR", s.guest.tr);
}
// "Bits 11:8 (reserved). Must be 0."
Violation guest_tr_ar_bits_11_8_clear(S s, C) {
    return (s.guest.tr.access_rights & kArReserved11_8) ? segment("TR", s.guest.tr) : kPass;
}
// "Bit 15 (G). If any bit in the limit field in the range 11:0 is 0, G must be 0."
Violation guest_tr_limit_low_bits_require_byte_granularity(S s, C) {
    return low_limit_bits_need_byte_granularity(s.guest.tr) ? segment("TR", s.guest.tr) : kPass;
}
// "If any bit in the limit field in the range 31:20 is 1, G must be 1."
Violation guest_tr_large_limit_requires_page_granularity(S s, C) {
    return high_limit_bits_need_page_granularity(s.guest.tr) ? segment("TR", s.guest.tr) : kPass;
}
// "Bit 16 (Unusable). Must be 0."
Violation guest_tr_usable(S s, C) {
    return s.guest.tr.unusable() ? segment("TR", s.guest.tr) : kPass;
}
// "Bits 31:17 (reserved). Must be 0."
Violation guest_tr_ar_bits_31_17_clear(S s, C) {
    return (s.guest.tr.access_rights & kArReserved31_17) ? segment("TR", s.guest.tr) : kPass;
}

// --- LDTR access rights ("The following checks on the different sub-fields apply only if
// LDTR is usable") -------------------------------------------------------------------------

template <class Pred> Violation usable_ldtr(S s, Pred bad) {
    if (s.guest.ldtr.unusable() || !bad(s.guest.ldtr)) return kPass;
    return segment("LDTR", s.guest.ldtr);
}
// "Bits 3:0 (Type). Must be 2 (LDT)."
Violation guest_ldtr_type_is_ldt(S s, C) {
    return usable_ldtr(s, [](const SegmentState& l) { return l.type() != 2; });
}
// "Bit 4 (S). Must be 0."
Violation guest_ldtr_s_flag_clear(S s, C) {
    return usable_ldtr(s, [](const SegmentState& l) { return l.s(); });
}
// "Bit 7 (P). Must be 1."
Violation guest_ldtr_present(S s, C) {
    return usable_ldtr(s, [](const SegmentState& l) { return !l.present(); });
}
// "Bits 11:8 (reserved). Must be 0."
Violation guest_ldtr_ar_bits_11_8_clear(S s, C) {
    return usable_ldtr(
        s, [](const SegmentState& l) { return (l.access_rights & kArReserved11_8) != 0; });
}
// "Bit 15 (G). If any bit in the limit field in the range 11:0 is 0, G must be 0."
Violation guest_ldtr_limit_low_bits_require_byte_granularity(S s, C) {
    return usable_ldtr(s, low_limit_bits_need_byte_granularity);
}
// "If any bit in the limit field in the range 31:20 is 1, G must be 1."
Violation guest_ldtr_large_limit_requires_page_granularity(S s, C) {
    return usable_ldtr(s, high_limit_bits_need_page_granularity);
}
// "Bits 31:17 (reserved). Must be 0."
Violation guest_ldtr_ar_bits_31_17_clear(S s, C) {
    return usable_ldtr(
        s, [](const SegmentState& l) { return (l.access_rights & kArReserved31_17) != 0; });
}

// --- Descriptor-table registers -------------------------------------------------------------

// "On processors that support Intel 64 architecture, the base-address fields must contain
// canonical addresses."
Violation guest_gdtr_base_canonical(S s, C) {
    return canonical(s.guest.gdtr_base, s.facts.linear_bits)
               ? kPass
               : field("GUEST_GDTR_BASE", s.guest.gdtr_base);
}
Violation guest_idtr_base_canonical(S s, C) {
    return canonical(s.guest.idtr_base, s.facts.linear_bits)
               ? kPass
               : field("GUEST_IDTR_BASE", s.guest.idtr_base);
}
// "Bits 31:16 of each limit field must be 0."
Violation guest_gdtr_limit_upper_bits_clear(S s, C) {
    return s.guest.gdtr_limit >> 16 ? field("GUEST_GDTR_LIMIT", s.guest.gdtr_limit) : kPass;
}
Violation guest_idtr_limit_upper_bits_clear(S s, C) {
    return s.guest.idtr_limit >> 16 ? field("GUEST_IDTR_LIMIT", s.guest.idtr_limit) : kPass;
}

// --- RIP and RFLAGS -------------------------------------------------------------------------

// "RIP. The following checks are performed on processors that support Intel 64 architecture:
// Bits 63:32 must be 0 if the 'IA-32e mode guest' VM-entry control is 0 or if the L bit
// (bit 13) in the access-rights field for CS is 0."
Violation guest_rip_upper_bits_clear_outside_64bit(S s, C) {
    if ((ia32e_guest(s) && s.guest.seg[CS].l()) || !(s.guest.rip >> 32)) return kPass;
    return fields("GUEST_RIP", s.guest.rip, "GUEST_CS_AR_BYTES", s.guest.seg[CS].access_rights);
}
// "If the processor supports N < 64 linear-address bits, bits 63:N must be identical if the
// 'IA-32e mode guest' VM-entry control is 1 and the L bit in the access-rights field for CS
// is 1."
Violation guest_rip_canonical_in_64bit(S s, C) {
    if (!ia32e_guest(s) || !s.guest.seg[CS].l() || canonical(s.guest.rip, s.facts.linear_bits))
        return kPass;
    return field("GUEST_RIP", s.guest.rip);
}
// "RFLAGS. Reserved bits 63:22 (bits 31:22 on processors that do not support Intel 64
// architecture), bit 15, bit 5 and bit 3 must be 0 in the field."
Violation guest_rflags_reserved_bits_clear(S s, C) {
    constexpr uint64_t kReserved = ~uint64_t{0x3FFFFF} | (1u << 15) | (1u << 5) | (1u << 3);
    return s.guest.rflags & kReserved ? field("GUEST_RFLAGS", s.guest.rflags) : kPass;
}
// "... and reserved bit 1 must be 1."
Violation guest_rflags_bit1_set(S s, C) {
    return s.guest.rflags & rflags::kFixed1 ? kPass : field("GUEST_RFLAGS", s.guest.rflags);
}
// "The VM flag (bit 17) must be 0 either if the 'IA-32e mode guest' VM-entry control is 1
// or if bit 0 in the CR0 field (corresponding to CR0.PE) is 0."
Violation guest_rflags_vm_clear_in_ia32e_mode(S s, C) {
    if (!v86_guest(s) || (!ia32e_guest(s) && (s.guest.cr0 & cr0::PE))) return kPass;
    return fields("GUEST_RFLAGS", s.guest.rflags, "VM_ENTRY_CONTROLS", s.ctl.entry.raw());
}
// "The IF flag (RFLAGS[bit 9]) must be 1 if the valid bit (bit 31) in the VM-entry
// interruption-information field is 1 and the interruption type (bits 10:8) is external
// interrupt."
Violation guest_rflags_if_set_for_external_interrupt(S s, C) {
    if (!s.ctl.entry_interruption.is(InterruptionInfo::ExternalInterrupt) ||
        (s.guest.rflags & rflags::IF))
        return kPass;
    return fields("GUEST_RFLAGS", s.guest.rflags, "VM_ENTRY_INTR_INFO_FIELD",
                  s.ctl.entry_interruption.raw);
}

// --- Non-register state ---------------------------------------------------------------------

bool activity_supported(uint32_t state, C c) {
    switch (static_cast<ActivityState>(state)) {
    case ActivityState::Active: return true;
    case ActivityState::Hlt: return c.misc.activity_hlt;
    case ActivityState::Shutdown: return c.misc.activity_shutdown;
    case ActivityState::WaitForSipi: return c.misc.activity_wait_for_sipi;
    }
    return false;
}
bool hlt(S s) {
    return s.guest.activity_state == static_cast<uint32_t>(ActivityState::Hlt);
}
uint32_t blocking(S s, uint32_t bits) {
    return s.guest.interruptibility & bits;
}

// "Activity state. The activity-state field must contain a value in the range 0 - 3,
// indicating an activity state supported by the implementation."
Violation guest_activity_state_supported(S s, C c) {
    if (activity_supported(s.guest.activity_state, c)) return kPass;
    return field("GUEST_ACTIVITY_STATE", s.guest.activity_state);
}
// "The activity-state field must not indicate the HLT state if the DPL (bits 6:5) in the
// access-rights field for SS is not 0."
Violation guest_hlt_requires_ss_dpl_zero(S s, C) {
    if (!hlt(s) || s.guest.seg[SS].dpl() == 0) return kPass;
    return fields("GUEST_ACTIVITY_STATE", s.guest.activity_state, "GUEST_SS_AR_BYTES",
                  s.guest.seg[SS].access_rights);
}
// "The activity-state field must indicate the active state if the interruptibility-state
// field indicates blocking by either MOV-SS or by STI (if either bit 0 or bit 1 in that field
// is 1)."
Violation guest_blocking_requires_active_state(S s, C) {
    using namespace interruptibility;
    if (s.guest.activity_state == 0 || !blocking(s, kBlockingBySti | kBlockingByMovSs))
        return kPass;
    return fields("GUEST_ACTIVITY_STATE", s.guest.activity_state, "GUEST_INTERRUPTIBILITY_INFO",
                  s.guest.interruptibility);
}
// "If the valid bit (bit 31) in the VM-entry interruption-information field is 1, the
// interruption to be delivered (as defined by interruption type and vector) must not be one
// that would normally be blocked while a logical processor is in the activity state
// corresponding to the contents of the activity-state field. ... HLT. The only events
// allowed are the following: Those with interruption type external interrupt or
// non-maskable interrupt (NMI). Those with interruption type hardware exception and vector 1
// (debug exception) or vector 18 (machine-check exception). Those with interruption type
// other event and vector 0 (pending MTF VM exit)."
Violation guest_injected_event_allowed_in_activity_state(S s, C) {
    const InterruptionInfo& i = s.ctl.entry_interruption;
    if (!i.valid() || !hlt(s)) return kPass; // active: any event; others fail above
    const bool allowed = i.type() == InterruptionInfo::ExternalInterrupt ||
                         i.type() == InterruptionInfo::Nmi ||
                         (i.type() == InterruptionInfo::HardwareException &&
                          (i.vector() == 1 || i.vector() == 18)) ||
                         (i.type() == InterruptionInfo::OtherEvent && i.vector() == 0);
    if (allowed) return kPass;
    return fields("GUEST_ACTIVITY_STATE", s.guest.activity_state, "VM_ENTRY_INTR_INFO_FIELD",
                  i.raw);
}
// "Interruptibility state. The reserved bits (bits 31:5) must be 0."
Violation guest_interruptibility_reserved_bits_clear(S s, C) {
    return s.guest.interruptibility >> 5
               ? field("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility)
               : kPass;
}
// "The field cannot indicate blocking by both STI and MOV SS (bits 0 and 1 cannot both be 1)."
Violation guest_blocking_not_both_sti_and_movss(S s, C) {
    using namespace interruptibility;
    if (blocking(s, kBlockingBySti | kBlockingByMovSs) != (kBlockingBySti | kBlockingByMovSs))
        return kPass;
    return field("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility);
}
// "Bit 0 (blocking by STI) must be 0 if the IF flag (bit 9) is 0 in the RFLAGS field."
Violation guest_sti_blocking_requires_if(S s, C) {
    if (!blocking(s, interruptibility::kBlockingBySti) || (s.guest.rflags & rflags::IF))
        return kPass;
    return fields("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility, "GUEST_RFLAGS",
                  s.guest.rflags);
}
// "Bit 0 (blocking by STI) and bit 1 (blocking by MOV-SS) must both be 0 if the valid bit
// (bit 31) in the VM-entry interruption-information field is 1 and the interruption type
// (bits 10:8) in that field has value 0, indicating external interrupt."
Violation guest_external_interrupt_injection_unblocked(S s, C) {
    using namespace interruptibility;
    if (!s.ctl.entry_interruption.is(InterruptionInfo::ExternalInterrupt) ||
        !blocking(s, kBlockingBySti | kBlockingByMovSs))
        return kPass;
    return fields("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility,
                  "VM_ENTRY_INTR_INFO_FIELD", s.ctl.entry_interruption.raw);
}
// "Bit 1 (blocking by MOV-SS) must be 0 if the valid bit (bit 31) in the VM-entry
// interruption-information field is 1 and the interruption type (bits 10:8) in that field
// has value 2, indicating non-maskable interrupt (NMI)."
Violation guest_nmi_injection_without_movss_blocking(S s, C) {
    if (!s.ctl.entry_interruption.is(InterruptionInfo::Nmi) ||
        !blocking(s, interruptibility::kBlockingByMovSs))
        return kPass;
    return fields("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility,
                  "VM_ENTRY_INTR_INFO_FIELD", s.ctl.entry_interruption.raw);
}
// "Bit 2 (blocking by SMI) must be 0 if the processor is not in SMM."
Violation guest_smi_blocking_clear_outside_smm(S s, C) {
    if (s.facts.in_smm || !blocking(s, interruptibility::kBlockingBySmi)) return kPass;
    return field("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility);
}
// "A processor may require bit 0 (blocking by STI) to be 0 if the valid bit (bit 31) in the
// VM-entry interruption-information field is 1 and the interruption type (bits 10:8) in that
// field has value 2, indicating NMI." hvlab does require it; the exit qualification is 3
// (SDM Vol. 3C, "VM-Entry Failures During or After Loading Guest State").
Violation guest_nmi_injection_without_sti_blocking(S s, C) {
    if (!s.ctl.entry_interruption.is(InterruptionInfo::Nmi) ||
        !blocking(s, interruptibility::kBlockingBySti))
        return kPass;
    return fields("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility,
                  "VM_ENTRY_INTR_INFO_FIELD", s.ctl.entry_interruption.raw);
}
// "Bit 3 (blocking by NMI) must be 0 if the 'virtual NMIs' VM-execution control is 1, the
// valid bit (bit 31) in the VM-entry interruption-information field is 1, and the
// interruption type (bits 10:8) in that field has value 2 (indicating NMI)."
Violation guest_virtual_nmi_injection_without_nmi_blocking(S s, C) {
    if (!s.ctl.pin.virtual_nmis() || !s.ctl.entry_interruption.is(InterruptionInfo::Nmi) ||
        !blocking(s, interruptibility::kBlockingByNmi))
        return kPass;
    return fields("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility,
                  "VM_ENTRY_INTR_INFO_FIELD", s.ctl.entry_interruption.raw);
}
// "If bit 4 (enclave interruption) is 1, bit 1 (blocking by MOV-SS) must be 0 and the
// processor must support for SGX by enumerating CPUID.(EAX=07H,ECX=0):EBX.SGX[bit 2] as 1."
// hvlab has no SGX, so the bit must be 0.
Violation guest_enclave_interruption_clear(S s, C) {
    if (!blocking(s, interruptibility::kEnclaveInterruption)) return kPass;
    return field("GUEST_INTERRUPTIBILITY_INFO", s.guest.interruptibility);
}

// Pending debug exceptions: 3:0 B3-B0, 12 enabled breakpoint, 14 BS, 16 RTM.
constexpr uint64_t kPendingDbgBs = 1u << 14;
constexpr uint64_t kPendingDbgRtm = 1u << 16;
// "Pending debug exceptions. Bits 11:4, bit 13, bit 15, and bits 63:17 (bits 31:17 on
// processors that do not support Intel 64 architecture) must be 0."
Violation guest_pending_debug_reserved_bits_clear(S s, C) {
    constexpr uint64_t kReserved =
        (uint64_t{0xFF} << 4) | (1u << 13) | (1u << 15) | ~uint64_t{0x1FFFF};
    const uint64_t v = s.guest.pending_debug_exceptions;
    return v & kReserved ? field("GUEST_PENDING_DBG_EXCEPTIONS", v) : kPass;
}
// "Bit 16 (RTM) ... the processor must support for RTM by enumerating
// CPUID.(EAX=07H,ECX=0):EBX[bit 11] as 1." hvlab has no RTM, so the bit must be 0.
Violation guest_pending_debug_rtm_clear(S s, C) {
    const uint64_t v = s.guest.pending_debug_exceptions;
    return v & kPendingDbgRtm ? field("GUEST_PENDING_DBG_EXCEPTIONS", v) : kPass;
}
// "The following checks are performed if any of the following holds: (1) the
// interruptibility-state field indicates blocking by STI (bit 0 in that field is 1); (2) the
// interruptibility-state field indicates blocking by MOV SS (bit 1 in that field is 1); or
// (3) the activity-state field indicates HLT."
bool bs_rules_apply(S s) {
    using namespace interruptibility;
    return blocking(s, kBlockingBySti | kBlockingByMovSs) || hlt(s);
}
bool single_stepping(S s) { // RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0
    return (s.guest.rflags & rflags::TF) && !(s.guest.debugctl & 2);
}
// "Bit 14 (BS) must be 1 if the TF flag (bit 8) in the RFLAGS field is 1 and the BTF flag
// (bit 1) in the IA32_DEBUGCTL field is 0."
Violation guest_pending_debug_bs_set_when_single_stepping(S s, C) {
    if (!bs_rules_apply(s) || !single_stepping(s) ||
        (s.guest.pending_debug_exceptions & kPendingDbgBs))
        return kPass;
    return fields("GUEST_PENDING_DBG_EXCEPTIONS", s.guest.pending_debug_exceptions, "GUEST_RFLAGS",
                  s.guest.rflags);
}
// "Bit 14 (BS) must be 0 if the TF flag (bit 8) in the RFLAGS field is 0 or the BTF flag
// (bit 1) in the IA32_DEBUGCTL field is 1."
Violation guest_pending_debug_bs_clear_when_not_single_stepping(S s, C) {
    if (!bs_rules_apply(s) || single_stepping(s) ||
        !(s.guest.pending_debug_exceptions & kPendingDbgBs))
        return kPass;
    return fields("GUEST_PENDING_DBG_EXCEPTIONS", s.guest.pending_debug_exceptions, "GUEST_RFLAGS",
                  s.guest.rflags);
}

// "VMCS link pointer. The following checks apply if the field contains a value other than
// FFFFFFFF_FFFFFFFFH:" (failures give exit qualification 4)
bool link_pointer_in_use(S s) {
    return s.guest.vmcs_link_pointer != ~uint64_t{0};
}
// "Bits 11:0 must be 0."
Violation guest_vmcs_link_pointer_aligned(S s, C) {
    if (!link_pointer_in_use(s) || !(s.guest.vmcs_link_pointer & 0xFFF)) return kPass;
    return field("VMCS_LINK_POINTER", s.guest.vmcs_link_pointer);
}
// "Bits beyond the processor's physical-address width must be 0."
Violation guest_vmcs_link_pointer_within_physical_address_width(S s, C) {
    if (!link_pointer_in_use(s) || !beyond_phys(s.guest.vmcs_link_pointer, s.facts.maxphyaddr))
        return kPass;
    return field("VMCS_LINK_POINTER", s.guest.vmcs_link_pointer);
}
// "The 4 bytes located in memory referenced by the value of the field (as a physical
// address) must satisfy the following: Bits 30:0 must contain the processor's VMCS
// revision identifier."
Violation guest_vmcs_link_revision_matches(S s, C c) {
    if (!link_pointer_in_use(s) ||
        (s.guest.vmcs_link_region_dword0 & ~kShadowVmcsIndicator) == c.basic.revision_id)
        return kPass;
    return fields("VMCS_LINK_POINTER", s.guest.vmcs_link_pointer, "link region dword 0",
                  s.guest.vmcs_link_region_dword0);
}
// "Bit 31 must contain the setting of the 'VMCS shadowing' VM-execution control."
Violation guest_vmcs_link_shadow_indicator_matches(S s, C) {
    const bool shadow = s.guest.vmcs_link_region_dword0 & kShadowVmcsIndicator;
    if (!link_pointer_in_use(s) || shadow == s.ctl.proc2.vmcs_shadowing()) return kPass;
    return fields("VMCS_LINK_POINTER", s.guest.vmcs_link_pointer, "link region dword 0",
                  s.guest.vmcs_link_region_dword0);
}
// "If the processor is not in SMM or the 'entry to SMM' VM-entry control is 1, the field
// must not contain the current VMCS pointer."
Violation guest_vmcs_link_pointer_not_current_vmcs(S s, C) {
    if (!link_pointer_in_use(s) || s.guest.vmcs_link_pointer != s.facts.current_vmcs_pointer)
        return kPass;
    return field("VMCS_LINK_POINTER", s.guest.vmcs_link_pointer);
}

// --- PDPTEs -----------------------------------------------------------------------------------

// "A VM entry that checks the validity of the PDPTEs uses the same checks that are used when
// CR3 is loaded with MOV to CR3 when PAE paging is in use." For a present PDPTE those are
// bits 2:1 and 8:5 reserved and no bit beyond MAXPHYADDR (SDM Vol. 3A, "PAE Paging").
Violation guest_pdptes_valid(S s, C) {
    if (!guest_uses_pae_pdptes(s)) return kPass;
    for (unsigned i = 0; i < 4; ++i) {
        const uint64_t e = s.guest.pdpte[i];
        const bool bad = (e & 0x1E6) || beyond_phys(e, s.facts.maxphyaddr);
        if ((e & 1) && bad)
            return std::string("GUEST_PDPTE") + char('0' + i) + "=" + hex(e) +
                   (guest_pdptes_from_vmcs(s) ? "" : " (from memory at GUEST_CR3)");
    }
    return kPass;
}

constexpr auto kDef = GuestStateQualification::Default;
constexpr auto kLink = GuestStateQualification::VmcsLinkPointer;

constexpr GuestCheck kChecks[] = {
    {"guest_cr0_respects_fixed_bits", kRegs, kDef, guest_cr0_respects_fixed_bits},
    {"guest_cr4_respects_fixed_bits", kRegs, kDef, guest_cr4_respects_fixed_bits},
    {"guest_debugctl_reserved_bits_clear", kRegs, kDef, guest_debugctl_reserved_bits_clear},
    {"ia32e_mode_guest_requires_cr4_pae", kRegs, kDef, ia32e_mode_guest_requires_cr4_pae},
    {"guest_cr4_pcide_requires_ia32e_mode_guest", kRegs, kDef,
     guest_cr4_pcide_requires_ia32e_mode_guest},
    {"guest_cr3_within_physical_address_width", kRegs, kDef,
     guest_cr3_within_physical_address_width},
    {"guest_dr7_upper_bits_clear", kRegs, kDef, guest_dr7_upper_bits_clear},
    {"guest_sysenter_esp_canonical", kRegs, kDef, guest_sysenter_esp_canonical},
    {"guest_sysenter_eip_canonical", kRegs, kDef, guest_sysenter_eip_canonical},
    {"guest_pat_valid", kRegs, kDef, guest_pat_valid},
    {"guest_efer_reserved_bits_clear", kRegs, kDef, guest_efer_reserved_bits_clear},
    {"guest_efer_lma_matches_ia32e_mode_guest", kRegs, kDef,
     guest_efer_lma_matches_ia32e_mode_guest},
    {"guest_efer_lme_matches_ia32e_mode_guest", kRegs, kDef,
     guest_efer_lme_matches_ia32e_mode_guest},
    {"guest_tr_selector_ti_clear", kSegs, kDef, guest_tr_selector_ti_clear},
    {"guest_ldtr_selector_ti_clear", kSegs, kDef, guest_ldtr_selector_ti_clear},
    {"guest_ss_rpl_equals_cs_rpl", kSegs, kDef, guest_ss_rpl_equals_cs_rpl},
    {"guest_v86_segment_base_is_selector_times_16", kSegs, kDef,
     guest_v86_segment_base_is_selector_times_16},
    {"guest_tr_base_canonical", kSegs, kDef, guest_tr_base_canonical},
    {"guest_fs_base_canonical", kSegs, kDef, guest_fs_base_canonical},
    {"guest_gs_base_canonical", kSegs, kDef, guest_gs_base_canonical},
    {"guest_ldtr_base_canonical", kSegs, kDef, guest_ldtr_base_canonical},
    {"guest_cs_base_upper_bits_clear", kSegs, kDef, guest_cs_base_upper_bits_clear},
    {"guest_ss_ds_es_base_upper_bits_clear", kSegs, kDef, guest_ss_ds_es_base_upper_bits_clear},
    {"guest_v86_segment_limit_is_ffff", kSegs, kDef, guest_v86_segment_limit_is_ffff},
    {"guest_v86_segment_access_rights_f3", kSegs, kDef, guest_v86_segment_access_rights_f3},
    {"guest_cs_type_valid", kSegs, kDef, guest_cs_type_valid},
    {"guest_ss_type_valid", kSegs, kDef, guest_ss_type_valid},
    {"guest_data_segment_type_accessed", kSegs, kDef, guest_data_segment_type_accessed},
    {"guest_data_segment_code_type_readable", kSegs, kDef, guest_data_segment_code_type_readable},
    {"guest_segment_s_flag_set", kSegs, kDef, guest_segment_s_flag_set},
    {"guest_cs_dpl_equals_ss_dpl_nonconforming", kSegs, kDef,
     guest_cs_dpl_equals_ss_dpl_nonconforming},
    {"guest_cs_dpl_at_most_ss_dpl_conforming", kSegs, kDef, guest_cs_dpl_at_most_ss_dpl_conforming},
    {"guest_ss_dpl_equals_rpl", kSegs, kDef, guest_ss_dpl_equals_rpl},
    {"guest_data_segment_dpl_at_least_rpl", kSegs, kDef, guest_data_segment_dpl_at_least_rpl},
    {"guest_segment_present", kSegs, kDef, guest_segment_present},
    {"guest_segment_ar_bits_11_8_clear", kSegs, kDef, guest_segment_ar_bits_11_8_clear},
    {"guest_cs_db_clear_in_64bit_mode", kSegs, kDef, guest_cs_db_clear_in_64bit_mode},
    {"guest_segment_limit_low_bits_require_byte_granularity", kSegs, kDef,
     guest_segment_limit_low_bits_require_byte_granularity},
    {"guest_segment_large_limit_requires_page_granularity", kSegs, kDef,
     guest_segment_large_limit_requires_page_granularity},
    {"guest_segment_ar_bits_31_17_clear", kSegs, kDef, guest_segment_ar_bits_31_17_clear},
    {"guest_tr_type_busy_tss", kSegs, kDef, guest_tr_type_busy_tss},
    {"guest_tr_type_busy_64bit_tss_in_ia32e", kSegs, kDef, guest_tr_type_busy_64bit_tss_in_ia32e},
    {"guest_tr_s_flag_clear", kSegs, kDef, guest_tr_s_flag_clear},
    {"guest_tr_present", kSegs, kDef, guest_tr_present},
    {"guest_tr_ar_bits_11_8_clear", kSegs, kDef, guest_tr_ar_bits_11_8_clear},
    {"guest_tr_limit_low_bits_require_byte_granularity", kSegs, kDef,
     guest_tr_limit_low_bits_require_byte_granularity},
    {"guest_tr_large_limit_requires_page_granularity", kSegs, kDef,
     guest_tr_large_limit_requires_page_granularity},
    {"guest_tr_usable", kSegs, kDef, guest_tr_usable},
    {"guest_tr_ar_bits_31_17_clear", kSegs, kDef, guest_tr_ar_bits_31_17_clear},
    {"guest_ldtr_type_is_ldt", kSegs, kDef, guest_ldtr_type_is_ldt},
    {"guest_ldtr_s_flag_clear", kSegs, kDef, guest_ldtr_s_flag_clear},
    {"guest_ldtr_present", kSegs, kDef, guest_ldtr_present},
    {"guest_ldtr_ar_bits_11_8_clear", kSegs, kDef, guest_ldtr_ar_bits_11_8_clear},
    {"guest_ldtr_limit_low_bits_require_byte_granularity", kSegs, kDef,
     guest_ldtr_limit_low_bits_require_byte_granularity},
    {"guest_ldtr_large_limit_requires_page_granularity", kSegs, kDef,
     guest_ldtr_large_limit_requires_page_granularity},
    {"guest_ldtr_ar_bits_31_17_clear", kSegs, kDef, guest_ldtr_ar_bits_31_17_clear},
    {"guest_gdtr_base_canonical", kTables, kDef, guest_gdtr_base_canonical},
    {"guest_idtr_base_canonical", kTables, kDef, guest_idtr_base_canonical},
    {"guest_gdtr_limit_upper_bits_clear", kTables, kDef, guest_gdtr_limit_upper_bits_clear},
    {"guest_idtr_limit_upper_bits_clear", kTables, kDef, guest_idtr_limit_upper_bits_clear},
    {"guest_rip_upper_bits_clear_outside_64bit", kRipFlags, kDef,
     guest_rip_upper_bits_clear_outside_64bit},
    {"guest_rip_canonical_in_64bit", kRipFlags, kDef, guest_rip_canonical_in_64bit},
    {"guest_rflags_reserved_bits_clear", kRipFlags, kDef, guest_rflags_reserved_bits_clear},
    {"guest_rflags_bit1_set", kRipFlags, kDef, guest_rflags_bit1_set},
    {"guest_rflags_vm_clear_in_ia32e_mode", kRipFlags, kDef, guest_rflags_vm_clear_in_ia32e_mode},
    {"guest_rflags_if_set_for_external_interrupt", kRipFlags, kDef,
     guest_rflags_if_set_for_external_interrupt},
    {"guest_activity_state_supported", kNonReg, kDef, guest_activity_state_supported},
    {"guest_hlt_requires_ss_dpl_zero", kNonReg, kDef, guest_hlt_requires_ss_dpl_zero},
    {"guest_blocking_requires_active_state", kNonReg, kDef, guest_blocking_requires_active_state},
    {"guest_injected_event_allowed_in_activity_state", kNonReg, kDef,
     guest_injected_event_allowed_in_activity_state},
    {"guest_interruptibility_reserved_bits_clear", kNonReg, kDef,
     guest_interruptibility_reserved_bits_clear},
    {"guest_blocking_not_both_sti_and_movss", kNonReg, kDef, guest_blocking_not_both_sti_and_movss},
    {"guest_sti_blocking_requires_if", kNonReg, kDef, guest_sti_blocking_requires_if},
    {"guest_external_interrupt_injection_unblocked", kNonReg, kDef,
     guest_external_interrupt_injection_unblocked},
    {"guest_nmi_injection_without_movss_blocking", kNonReg, kDef,
     guest_nmi_injection_without_movss_blocking},
    {"guest_smi_blocking_clear_outside_smm", kNonReg, kDef, guest_smi_blocking_clear_outside_smm},
    {"guest_nmi_injection_without_sti_blocking", kNonReg, GuestStateQualification::NmiWithSti,
     guest_nmi_injection_without_sti_blocking},
    {"guest_virtual_nmi_injection_without_nmi_blocking", kNonReg, kDef,
     guest_virtual_nmi_injection_without_nmi_blocking},
    {"guest_enclave_interruption_clear", kNonReg, kDef, guest_enclave_interruption_clear},
    {"guest_pending_debug_reserved_bits_clear", kNonReg, kDef,
     guest_pending_debug_reserved_bits_clear},
    {"guest_pending_debug_rtm_clear", kNonReg, kDef, guest_pending_debug_rtm_clear},
    {"guest_pending_debug_bs_set_when_single_stepping", kNonReg, kDef,
     guest_pending_debug_bs_set_when_single_stepping},
    {"guest_pending_debug_bs_clear_when_not_single_stepping", kNonReg, kDef,
     guest_pending_debug_bs_clear_when_not_single_stepping},
    {"guest_vmcs_link_pointer_aligned", kNonReg, kLink, guest_vmcs_link_pointer_aligned},
    {"guest_vmcs_link_pointer_within_physical_address_width", kNonReg, kLink,
     guest_vmcs_link_pointer_within_physical_address_width},
    {"guest_vmcs_link_revision_matches", kNonReg, kLink, guest_vmcs_link_revision_matches},
    {"guest_vmcs_link_shadow_indicator_matches", kNonReg, kLink,
     guest_vmcs_link_shadow_indicator_matches},
    {"guest_vmcs_link_pointer_not_current_vmcs", kNonReg, kLink,
     guest_vmcs_link_pointer_not_current_vmcs},
    {"guest_pdptes_valid", kPdpte, GuestStateQualification::Pdpte, guest_pdptes_valid},
};

} // namespace

std::span<const GuestCheck> guest_checks() {
    return kChecks;
}

} // namespace hvlab::cpu::vmx

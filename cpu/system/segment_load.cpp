// MOV/POP Sreg (and LDS/LES/LFS/LGS/LSS), LLDT and LTR with every descriptor check
// (SDM Vol. 2B, MOV—Move; POP; LLDT; LTR; Vol. 3A, Privilege Checking When Accessing Data
// Segments / When Loading the SS Register). Intel SDM, Dec 2023 (Order 325462-081).
//
// The interrupt shadow of MOV SS / POP SS is the interpreter's to set: LSS loads SS through
// here too and has no shadow.
#include "cpu/system/segment_checks.hpp"

namespace hvlab::cpu {

using namespace sys;

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

Fault load_null(CpuState& s, SegReg reg, uint16_t sel) {
    if (reg != SS) {
        s.seg[reg] = null_segment(sel);
        return kNoFault;
    }
    // A null SS is allowed only in 64-bit mode at CPL < 3 with RPL = CPL.
    if (s.mode() != CpuMode::Long64 || s.cpl() == 3 || rpl_of(sel) != s.cpl()) return kGp0;
    s.seg[SS] = null_segment(sel);
    s.seg[SS].attr |= uint32_t{s.cpl()} << 5;
    return kNoFault;
}

// DS/ES/FS/GS: data or readable code; for data and non-conforming code both CPL and RPL
// must be <= DPL.
Fault check_data_segment(const CpuState& s, uint16_t sel, const Descriptor& d) {
    const uint32_t err = selector_error(sel);
    if (!d.is_data() && !(d.is_code() && d.readable())) return fault_ec(GP, err);
    if (!d.conforming() && (rpl_of(sel) > d.dpl() || s.cpl() > d.dpl())) return fault_ec(GP, err);
    if (!d.present()) return fault_ec(NP, err);
    return kNoFault;
}

} // namespace

namespace sys {

Fault check_stack_segment(SystemContext& c, uint16_t sel, uint8_t cpl, uint8_t vector,
                          uint32_t ext, DescriptorFetch& out) {
    if (is_null_selector(sel)) return fault_ec(vector, ext);
    const uint32_t err = selector_error(sel, ext);
    if (rpl_of(sel) != cpl) return fault_ec(vector, err);
    out = fetch_descriptor(c, sel);
    if (out.fault) return out.fault;
    if (!out.in_limit) return fault_ec(vector, err);
    if (!out.d.writable_data() || out.d.dpl() != cpl) return fault_ec(vector, err);
    if (!out.d.present()) return fault_ec(SS_, err);
    return kNoFault;
}

void null_inaccessible_data_segments(CpuState& s, uint8_t new_cpl) {
    for (SegReg r : {ES, DS, FS, GS}) {
        const Segment& seg = s.seg[r];
        if (seg.unusable()) continue;
        const bool data_or_nonconforming = !(seg.type() & 8) || !(seg.type() & 4);
        if (data_or_nonconforming && seg.dpl() < new_cpl) s.seg[r] = null_segment(0);
    }
}

} // namespace sys

Fault load_segment(SystemContext& c, SegReg reg, uint16_t sel) {
    CpuState& s = c.s;
    if (reg == CS) return fault(UD); // MOV CS / POP CS do not exist
    if (is_null_selector(sel)) return load_null(s, reg, sel);
    DescriptorFetch f;
    if (reg == SS) {
        if (Fault x = check_stack_segment(c, sel, s.cpl(), GP, 0, f)) return x;
    } else {
        f = fetch_descriptor(c, sel);
        if (f.fault) return f.fault;
        if (!f.in_limit) return fault_ec(GP, selector_error(sel));
        if (Fault x = check_data_segment(s, sel, f.d)) return x;
    }
    if (Fault x = mark_accessed(c, f)) return x;
    s.seg[reg] = make_segment(sel, f.d);
    return kNoFault;
}

// LLDT: the selector names an LDT descriptor in the GDT; a null selector makes LDTR unusable.
Fault load_ldtr(SystemContext& c, uint16_t sel) {
    CpuState& s = c.s;
    if (s.cpl() != 0) return kGp0;
    if (is_null_selector(sel)) {
        s.ldtr = null_segment(sel);
        return kNoFault;
    }
    const uint32_t err = selector_error(sel);
    if (in_ldt(sel)) return fault_ec(GP, err);
    const bool wide = s.long_mode_active();
    DescriptorFetch f = fetch_descriptor(c, sel, wide);
    if (f.fault) return f.fault;
    if (!f.in_limit || f.d.s() || f.d.type() != desc_type::kLdt) return fault_ec(GP, err);
    if (wide && (!f.d.wide_type_clear() || !is_canonical48(f.d.base_wide())))
        return fault_ec(GP, err);
    if (!f.d.present()) return fault_ec(NP, err);
    s.ldtr = make_segment(sel, f.d);
    if (wide) s.ldtr.base = f.d.base_wide();
    return kNoFault;
}

// LTR: an available TSS in the GDT (16-bit TSSs only outside IA-32e mode); marks it busy.
Fault load_tr(SystemContext& c, uint16_t sel) {
    CpuState& s = c.s;
    if (s.cpl() != 0 || is_null_selector(sel)) return kGp0;
    const uint32_t err = selector_error(sel);
    if (in_ldt(sel)) return fault_ec(GP, err);
    const bool wide = s.long_mode_active();
    DescriptorFetch f = fetch_descriptor(c, sel, wide);
    if (f.fault) return f.fault;
    const uint8_t t = f.d.type();
    const bool available =
        !f.d.s() && (t == desc_type::kTssAvail || (!wide && t == desc_type::kTss16Avail));
    if (!f.in_limit || !available) return fault_ec(GP, err);
    if (wide && (!f.d.wide_type_clear() || !is_canonical48(f.d.base_wide())))
        return fault_ec(GP, err);
    if (!f.d.present()) return fault_ec(NP, err);
    const uint8_t busy_type_byte = static_cast<uint8_t>(bits(f.d.raw, 47, 40) | 2);
    if (Fault x = write_system(c, f.linear + 5, &busy_type_byte, 1)) return x;
    f.d.raw |= bit(41);
    s.tr = make_segment(sel, f.d);
    if (wide) s.tr.base = f.d.base_wide();
    return kNoFault;
}

} // namespace hvlab::cpu

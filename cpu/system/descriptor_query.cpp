// LAR, LSL, VERR, VERW: ask about a selector without loading it; a selector that fails a
// check clears ZF instead of faulting (SDM Vol. 2A, LAR; LSL; Vol. 2B, VERR/VERW).
// Intel SDM, Dec 2023 (Order 325462-081).
//
// A #PF while reading the descriptor table is not a ZF = 0 result: it is returned through
// `fault` and the instruction raises it ("#PF(fault-code) If a page fault occurs").
#include "cpu/system/descriptor.hpp"

namespace hvlab::cpu {

using namespace sys;

namespace {

// System types LAR accepts (SDM Vol. 2A, LAR, Table "Segment and Gate Types"): in IA-32e
// mode only the 64-bit TSSs and the 64-bit call gate ("LDT ... No" in the IA-32e column).
bool lar_system_type(bool ia32e, uint8_t t) {
    using namespace desc_type;
    if (ia32e) return t == kTssAvail || t == kTssBusy || t == kCallGate;
    return t == kTss16Avail || t == kLdt || t == kTss16Busy || t == kCallGate16 || t == kTaskGate ||
           t == kTssAvail || t == kTssBusy || t == kCallGate;
}

// LSL (SDM Vol. 2A, LSL, Table "Segment and Gate Descriptor Types"): the types with a limit;
// in IA-32e mode also type 0, "Upper 8 byte of a 16-Byte descriptor ... Yes".
bool lsl_system_type(bool ia32e, uint8_t t) {
    using namespace desc_type;
    if (ia32e) return t == 0 || t == kLdt || t == kTssAvail || t == kTssBusy;
    return t == kTss16Avail || t == kLdt || t == kTss16Busy || t == kTssAvail || t == kTssBusy;
}

// Visible at the current CPL and the selector's RPL; conforming code is always visible.
bool visible(const CpuState& s, uint16_t sel, const Descriptor& d) {
    if (d.conforming()) return true;
    return d.dpl() >= s.cpl() && d.dpl() >= rpl_of(sel);
}

bool fetch_ok(SystemContext& c, uint16_t sel, DescriptorFetch& f, Fault* fault) {
    if (is_null_selector(sel)) return false;
    f = fetch_descriptor(c, sel);
    if (f.fault && fault) *fault = f.fault;
    return !f.fault && f.in_limit;
}

} // namespace

// Access rights are the descriptor's second doubleword masked by 00F0FF00H (type, S, DPL, P,
// AVL, L, D/B, G), as QEMU returns them; Intel leaves bits 19:16 undefined.
bool lar(SystemContext& c, uint16_t sel, uint32_t& access_rights, Fault* fault) {
    DescriptorFetch f;
    if (!fetch_ok(c, sel, f, fault) || !visible(c.s, sel, f.d)) return false;
    if (!f.d.s() && !lar_system_type(c.s.long_mode_active(), f.d.type())) return false;
    access_rights = static_cast<uint32_t>(f.d.raw >> 32) & 0x00F0'FF00;
    return true;
}

bool lsl(SystemContext& c, uint16_t sel, uint32_t& limit, Fault* fault) {
    DescriptorFetch f;
    if (!fetch_ok(c, sel, f, fault) || !visible(c.s, sel, f.d)) return false;
    if (!f.d.s() && !lsl_system_type(c.s.long_mode_active(), f.d.type())) return false;
    limit = f.d.limit();
    return true;
}

bool verr(SystemContext& c, uint16_t sel, Fault* fault) {
    DescriptorFetch f;
    if (!fetch_ok(c, sel, f, fault) || !f.d.s() || !visible(c.s, sel, f.d)) return false;
    return f.d.readable();
}

bool verw(SystemContext& c, uint16_t sel, Fault* fault) {
    DescriptorFetch f;
    if (!fetch_ok(c, sel, f, fault) || !visible(c.s, sel, f.d)) return false;
    return f.d.writable_data();
}

} // namespace hvlab::cpu

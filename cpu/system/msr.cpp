// RDMSR/WRMSR: the model-specific registers hvlab implements, each with its write rule.
// An MSR that neither this table nor a device (CpuEnv::device_msr_*) claims is #GP(0)
// (SDM Vol. 2B, RDMSR / WRMSR; Vol. 4, Model-Specific Registers).
// Intel SDM, Dec 2023 (Order 325462-081).
#include "common/bits.hpp"
#include "cpu/system.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/system/msr_index.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/nonroot_events.hpp"

namespace hvlab::cpu {

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

// PAT and MTRR memory types: UC 0, WC 1, WT 4, WP 5, WB 6, and for PAT also UC- 7
// (SDM Vol. 3A, IA32_PAT MSR; MTRRdefType Register).
bool valid_pat_type(uint64_t t) { return t == 0 || t == 1 || (t >= 4 && t <= 7); }
bool valid_mtrr_type(uint64_t t) { return t == 0 || t == 1 || (t >= 4 && t <= 6); }

bool valid_pat(uint64_t v) {
    for (unsigned i = 0; i < 8; ++i)
        if (!valid_pat_type(bits(v, 8 * i + 7, 8 * i))) return false;
    return true;
}

// MTRRcap: VCNT = 0 variable ranges, no fixed ranges, no WC, no SMRR. The default type in
// MTRRdefType is therefore the type of all memory.
constexpr uint64_t kMtrrCap = 0;
constexpr uint64_t kMtrrDefTypeWritable = 0xFF | bit(11); // type, E (FE needs fixed MTRRs)

// IA32_APIC_BASE: 8 BSP (read-only), 10 EXTD (x2APIC, not in this model), 11 EN, 12+ base.
constexpr uint64_t kApicBaseBsp = bit(8), kApicBaseEn = bit(11);
constexpr uint64_t kApicBaseWritable = kApicBaseEn | mask_bits(model::kMaxPhysAddrBits - 1, 12);

// IA32_FEATURE_CONTROL: 0 lock, 2 enable VMX outside SMX (only with VMX in the model).
constexpr uint64_t kFeatureControlLock = bit(0);
constexpr uint64_t kFeatureControlWritable = kFeatureControlLock | (model::kVmx ? bit(2) : 0);

Fault write_canonical(uint64_t& reg, uint64_t v) {
    if (!is_canonical48(v)) return kGp0;
    reg = v;
    return kNoFault;
}

Fault write_low32(uint64_t& reg, uint64_t v) {
    if (v >> 32) return kGp0;
    reg = v;
    return kNoFault;
}

bool read_own(const SystemContext& c, uint32_t index, uint64_t& v) {
    const CpuState& s = c.s;
    const MsrState& m = s.msr;
    switch (index) {
    case msr::kTsc: v = read_tsc(c); return true;
    case msr::kApicBase: v = m.apic_base; return true;
    case msr::kFeatureControl: v = m.feature_control; return true;
    case msr::kSysenterCs: v = m.sysenter_cs; return true;
    case msr::kSysenterEsp: v = m.sysenter_esp; return true;
    case msr::kSysenterEip: v = m.sysenter_eip; return true;
    case msr::kMtrrCap: v = kMtrrCap; return true;
    case msr::kMiscEnable: v = m.misc_enable; return true;
    case msr::kDebugCtl: v = m.debugctl; return true;
    case msr::kPat: v = m.pat; return true;
    case msr::kMtrrDefType: v = m.mtrr_def_type; return true;
    case msr::kEfer: v = s.efer; return true;
    case msr::kStar: v = m.star; return true;
    case msr::kLstar: v = m.lstar; return true;
    case msr::kCstar: v = m.cstar; return true;
    case msr::kFmask: v = m.sfmask; return true;
    case msr::kFsBase: v = s.seg[FS].base; return true;
    case msr::kGsBase: v = s.seg[GS].base; return true;
    case msr::kKernelGsBase: v = m.kernel_gs_base; return true;
    case msr::kTscAux: v = m.tsc_aux; return true;
    default:
        // The read-only VMX capability MSRs 480H-490H exist with CPUID.1:ECX.VMX = 1
        // (SDM Vol. 3D, "VMX Capability Reporting Facility").
        if (model::kVmx && vmx::is_capability_msr(index)) {
            v = vmx::read_capability_msr(index);
            return true;
        }
        return false;
    }
}

Fault write_apic_base(SystemContext& c, uint64_t v) {
    if (v & ~(kApicBaseWritable | kApicBaseBsp)) return kGp0;
    c.s.msr.apic_base = (v & kApicBaseWritable) | (c.s.msr.apic_base & kApicBaseBsp);
    // The local APIC follows relocation and global disable; it may ignore the notice.
    c.env.device_msr_write(msr::kApicBase, c.s.msr.apic_base);
    return kNoFault;
}

// Once the lock bit is set, every write is #GP until reset (SDM Vol. 3C, Enabling and
// Entering VMX Operation).
Fault write_feature_control(MsrState& m, uint64_t v) {
    if ((m.feature_control & kFeatureControlLock) || (v & ~kFeatureControlWritable)) return kGp0;
    m.feature_control = v;
    return kNoFault;
}

Fault write_mtrr_def_type(MsrState& m, uint64_t v) {
    if ((v & ~kMtrrDefTypeWritable) || !valid_mtrr_type(v & 0xFF)) return kGp0;
    m.mtrr_def_type = v;
    return kNoFault;
}

// Disabling XD while EFER.NXE is set would leave NXE on without NX; hardware does not allow
// this combination either, so it is #GP here.
static_assert(MsrState{}.misc_enable == (model::kMiscFastStrings | model::kMiscMonitorFsm |
                                         model::kMiscEnableReadOnlyOnes),
              "the IA32_MISC_ENABLE power-up value in cpu_state.hpp");

Fault write_misc_enable(CpuState& s, uint64_t v) {
    if (v & ~(model::kMiscEnableWritable | model::kMiscEnableReadOnlyOnes)) return kGp0;
    if ((v & model::kMiscXdDisable) && (s.efer & efer::NXE)) return kGp0;
    s.msr.misc_enable = (v & model::kMiscEnableWritable) | model::kMiscEnableReadOnlyOnes;
    return kNoFault;
}

// Returns true if index is an hvlab MSR (f is then its result).
bool write_own(SystemContext& c, uint32_t index, uint64_t v, Fault& f) {
    CpuState& s = c.s;
    MsrState& m = s.msr;
    switch (index) {
    case msr::kTsc:
        m.tsc_adjust = v - c.clock;
        c.env.tsc_written();
        f = kNoFault;
        return true;
    case msr::kApicBase: f = write_apic_base(c, v); return true;
    case msr::kFeatureControl: f = write_feature_control(m, v); return true;
    case msr::kSysenterCs: f = write_low32(m.sysenter_cs, v); return true;
    case msr::kSysenterEsp: f = write_canonical(m.sysenter_esp, v); return true;
    case msr::kSysenterEip: f = write_canonical(m.sysenter_eip, v); return true;
    case msr::kMtrrCap: f = kGp0; return true; // read-only
    case msr::kMiscEnable: f = write_misc_enable(s, v); return true;
    // No LBR, BTF or BTS in this model: every DEBUGCTL bit is reserved.
    case msr::kDebugCtl: f = v ? kGp0 : kNoFault; return true;
    case msr::kPat: f = valid_pat(v) ? (m.pat = v, kNoFault) : kGp0; return true;
    case msr::kMtrrDefType: f = write_mtrr_def_type(m, v); return true;
    case msr::kEfer: f = write_efer(c, v); return true;
    case msr::kStar: m.star = v; f = kNoFault; return true;
    case msr::kLstar: f = write_canonical(m.lstar, v); return true;
    case msr::kCstar: f = write_canonical(m.cstar, v); return true;
    case msr::kFmask: f = write_low32(m.sfmask, v); return true;
    case msr::kFsBase: f = write_canonical(s.seg[FS].base, v); return true;
    case msr::kGsBase: f = write_canonical(s.seg[GS].base, v); return true;
    case msr::kKernelGsBase: f = write_canonical(m.kernel_gs_base, v); return true;
    case msr::kTscAux: f = write_low32(m.tsc_aux, v); return true;
    default: return false;
    }
}

} // namespace

// In VMX non-root operation with "use TSC offsetting", RDTSC/RDTSCP/RDMSR see the TSC offset
// added (SDM Vol. 3C, "Changes to Instruction Behavior in VMX Non-Root Operation").
uint64_t read_tsc(const SystemContext& c) {
    return c.clock + c.s.msr.tsc_adjust + vmx::guest_tsc_offset(c.s);
}

Fault read_msr(SystemContext& c, uint32_t index, uint64_t& value) {
    if (c.s.cpl() != 0) return kGp0;
    if (read_own(c, index, value)) return kNoFault;
    if (c.env.device_msr_read(index, value)) return kNoFault;
    return kGp0;
}

Fault write_msr(SystemContext& c, uint32_t index, uint64_t value) {
    if (c.s.cpl() != 0) return kGp0;
    Fault f;
    if (write_own(c, index, value, f)) return f;
    if (c.env.device_msr_write(index, value)) return kNoFault;
    return kGp0;
}

} // namespace hvlab::cpu

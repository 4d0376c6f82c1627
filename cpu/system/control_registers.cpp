// MOV to CR0/CR3/CR4/CR8, XSETBV and the EFER part of WRMSR, with every #GP rule and the TLB
// effect of each write (SDM Vol. 2B, MOV—Move to/from Control Registers; Vol. 3A, Control
// Registers; Invalidation of TLBs and Paging-Structure Caches).
// Intel SDM, Dec 2023 (Order 325462-081).
#include "common/bits.hpp"
#include "cpu/system.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "mmu/page_walk.hpp"

namespace hvlab::cpu {

namespace {

constexpr Fault kGp0 = fault_ec(GP, 0);

// CR0 bits that exist; writes to other bits of CR0[31:0] are ignored, bits 63:32 are #GP.
constexpr uint64_t kCr0Defined = cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::ET | cr0::NE |
                                 cr0::WP | cr0::AM | cr0::NW | cr0::CD | cr0::PG;

bool in_64bit_mode(const CpuState& s) {
    return s.mode() == CpuMode::Long64;
}

// PAE paging (not IA-32e) loads the PDPTE registers whenever CR3 is written or PAE paging is
// entered or reconfigured (SDM Vol. 3A, PDPTE Registers). A reserved bit is #GP(0).
bool pae_paging(uint64_t cr0v, uint64_t cr4v, uint64_t eferv) {
    return (cr0v & cr0::PG) && (cr4v & cr4::PAE) && !(eferv & efer::LME);
}

// Under EPT the PDPT's guest-physical address goes through EPT first (an EPT exit is
// vm_exit_fault(); SDM Vol. 3C, "EPT Violations").
Fault load_pdptes(SystemContext& c, uint64_t cr3v, std::array<uint64_t, 4>& out) {
    Hpa pdpt;
    if (Fault f = c.mem.guest_physical_to_host(Gpa(cr3v & 0xFFFF'FFE0), AccessKind::Read, pdpt))
        return f;
    return mmu::load_pae_pdptes_at(c.mem.bus(), pdpt, out) ? kNoFault : kGp0;
}

// In VMX operation, setting a CR0/CR4 bit that IA32_VMX_CR*_FIXED1 reports 0 or clearing one
// that FIXED0 reports 1 is #GP(0) (SDM Vol. 3C, "Restrictions on VMX Operation").
bool violates_vmx_fixed_bits(const CpuState& s, uint64_t v, uint64_t fixed0, uint64_t fixed1) {
    return s.vmx.operation && vmx::fixed_bit_violations(v, fixed0, fixed1);
}

Fault check_cr0(const CpuState& s, uint64_t v) {
    if (v >> 32) return kGp0;
    const auto& caps = vmx::hvlab_vmx_capabilities();
    if (violates_vmx_fixed_bits(s, (v & kCr0Defined) | cr0::ET, caps.cr0_fixed0, caps.cr0_fixed1))
        return kGp0;
    if ((v & cr0::PG) && !(v & cr0::PE)) return kGp0;
    if ((v & cr0::NW) && !(v & cr0::CD)) return kGp0;
    const bool enabling_pg = (v & cr0::PG) && !(s.cr0 & cr0::PG);
    if (enabling_pg && (s.efer & efer::LME)) {
        // IA-32e activation needs PAE, and (as Bochs enforces) must start in a CS with L = 0.
        if (!(s.cr4 & cr4::PAE) || s.seg[CS].l()) return kGp0;
    }
    if (!(v & cr0::PG) && (s.cr0 & cr0::PG)) {
        // Leaving IA-32e mode is only possible from compatibility mode, and CR4.PCIDE must be
        // cleared first.
        if (in_64bit_mode(s) || (s.cr4 & cr4::PCIDE)) return kGp0;
    }
    return kNoFault;
}

} // namespace

Fault write_cr0(SystemContext& c, uint64_t value) {
    CpuState& s = c.s;
    if (Fault f = check_cr0(s, value)) return f;
    const uint64_t v = (value & kCr0Defined) | cr0::ET; // ET is hardwired to 1
    const uint64_t changed = s.cr0 ^ v;
    // SDM Vol. 3A, PDPTE Registers: with PAE paging in use afterwards, a MOV to CR0 that
    // modifies CD, NW or PG loads the PDPTEs from CR3 (LMSW and CLTS modify none of them).
    std::array<uint64_t, 4> pdptes = s.pdpte;
    if (pae_paging(v, s.cr4, s.efer) && (changed & (cr0::CD | cr0::NW | cr0::PG)))
        if (Fault f = load_pdptes(c, s.cr3, pdptes)) return f;
    s.cr0 = v;
    s.pdpte = pdptes;
    if (changed & cr0::PG) {
        // SDM Vol. 3A, Initializing IA-32e Mode: LMA follows PG while LME is set.
        if ((v & cr0::PG) && (s.efer & efer::LME)) s.efer |= efer::LMA;
        if (!(v & cr0::PG)) s.efer &= ~efer::LMA;
    }
    if (changed & (cr0::PG | cr0::WP)) c.mem.paging_mode_changed();
    return kNoFault;
}

// In IA-32e mode CR3 bits 63:MAXPHYADDR are reserved, except bit 63 with CR4.PCIDE = 1, which
// asks not to flush the new PCID's entries and is not stored (SDM Vol. 3A, Invalidation of
// TLBs and Paging-Structure Caches).
Fault write_cr3(SystemContext& c, uint64_t value) {
    CpuState& s = c.s;
    const bool pcide = s.cr4 & cr4::PCIDE;
    const bool no_flush = pcide && test_bit(value, 63);
    if (no_flush) value &= ~bit(63);
    if (s.long_mode_active()) {
        if (value & mask_bits(63, model::kMaxPhysAddrBits)) return kGp0;
    } else {
        value &= 0xFFFF'FFFF;
    }
    std::array<uint64_t, 4> pdptes = s.pdpte;
    if (pae_paging(s.cr0, s.cr4, s.efer))
        if (Fault f = load_pdptes(c, value, pdptes)) return f;
    s.cr3 = value;
    s.pdpte = pdptes;
    c.mem.cr3_written(s, no_flush);
    return kNoFault;
}

namespace {

Fault check_cr4(const CpuState& s, uint64_t v) {
    if (v & ~model::kCr4Supported) return kGp0;
    const auto& caps = vmx::hvlab_vmx_capabilities();
    if (violates_vmx_fixed_bits(s, v, caps.cr4_fixed0, caps.cr4_fixed1)) return kGp0;
    if (s.long_mode_active() && !(v & cr4::PAE)) return kGp0;
    if ((v & cr4::PCIDE) && !(s.cr4 & cr4::PCIDE)) {
        // SDM Vol. 2B, MOV CR: setting PCIDE needs IA-32e mode and CR3[11:0] = 0.
        if (!s.long_mode_active() || (s.cr3 & 0xFFF)) return kGp0;
    }
    return kNoFault;
}

// CR4 bits whose change flushes the whole TLB, global entries included. PCIDE is handled
// separately: only 1 -> 0 flushes.
constexpr uint64_t kCr4FlushBits = cr4::PGE | cr4::PAE | cr4::PSE | cr4::SMEP | cr4::SMAP;

} // namespace

Fault write_cr4(SystemContext& c, uint64_t value) {
    CpuState& s = c.s;
    if (Fault f = check_cr4(s, value)) return f;
    std::array<uint64_t, 4> pdptes = s.pdpte;
    const uint64_t changed = s.cr4 ^ value;
    if (pae_paging(s.cr0, value, s.efer) &&
        (changed & (cr4::PAE | cr4::PGE | cr4::PSE | cr4::SMEP)))
        if (Fault f = load_pdptes(c, s.cr3, pdptes)) return f;
    const bool pcid_off = (changed & cr4::PCIDE) && !(value & cr4::PCIDE);
    s.cr4 = value;
    s.pdpte = pdptes;
    if ((changed & kCr4FlushBits) || pcid_off) c.mem.paging_mode_changed();
    return kNoFault;
}

// CR8 is the task-priority register's bits 7:4 (SDM Vol. 3A, Task Priority in IA-32e Mode);
// bits 63:4 are reserved.
Fault write_cr8(SystemContext& c, uint64_t value) {
    if (value & ~uint64_t{0xF}) return kGp0;
    c.s.cr8 = value;
    c.env.cr8_written(value);
    return kNoFault;
}

// XSETBV (SDM Vol. 2C, XSETBV): #UD unless CR4.OSXSAVE; #GP for CPL > 0, an ECX other than 0,
// XCR0[0] = 0, AVX without SSE, or an unsupported state component. hvlab's model has no
// XSAVE, so CR4.OSXSAVE cannot be set and this is always #UD; the checks document the rule.
Fault write_xcr0(SystemContext& c, uint32_t index, uint64_t value) {
    const CpuState& s = c.s;
    if (!(s.cr4 & cr4::OSXSAVE)) return fault(UD);
    constexpr uint64_t kSupported = 0x3; // x87 | SSE
    if (s.cpl() != 0 || index != 0) return kGp0;
    if (!(value & 1) || (value & ~kSupported)) return kGp0;
    c.s.xcr0 = value;
    return kNoFault;
}

Fault invpcid(SystemContext& c, uint64_t type, uint64_t desc_lo, uint64_t desc_hi) {
    const CpuState& s = c.s;
    if (s.cpl() != 0 || type > 3 || (desc_lo >> 12)) return kGp0;
    const auto pcid = static_cast<uint16_t>(desc_lo);
    if (type == 0 && !is_canonical48(desc_hi)) return kGp0;
    if (type <= 1 && pcid != 0 && !(s.cr4 & cr4::PCIDE)) return kGp0;
    c.mem.invpcid(s, static_cast<unsigned>(type), pcid, Gva(desc_hi));
    return kNoFault;
}

// IA32_EFER (SDM Vol. 3A, IA32_EFER MSR; Initializing IA-32e Mode): reserved bits are #GP,
// LME cannot change while paging is on, LMA is read-only (writes to it are ignored), and NXE
// is unavailable when IA32_MISC_ENABLE disables XD.
Fault write_efer(SystemContext& c, uint64_t value) {
    CpuState& s = c.s;
    if (value & ~model::kEferSupported) return kGp0;
    if ((value & efer::NXE) && (s.msr.misc_enable & model::kMiscXdDisable)) return kGp0;
    if (((value ^ s.efer) & efer::LME) && (s.cr0 & cr0::PG)) return kGp0;
    const uint64_t v = (value & ~efer::LMA) | (s.efer & efer::LMA);
    const bool nxe_changed = (v ^ s.efer) & efer::NXE;
    s.efer = v;
    if (nxe_changed) c.mem.paging_mode_changed();
    return kNoFault;
}

} // namespace hvlab::cpu

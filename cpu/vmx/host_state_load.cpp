// Loading host state at the end of a VM exit. Intel SDM, Dec 2023 (Order 325462-081),
// Vol. 3C, "Loading Host State" (control registers, debug registers and MSRs; segment and
// descriptor-table registers; RIP, RSP and RFLAGS; PDPTEs), "Loading MSRs", "VMX Aborts".
#include "cpu/vmx/host_state_load.hpp"

#include "common/bits.hpp"
#include "cpu/system/cpu_model.hpp"
#include "cpu/vmx/capabilities.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "mmu/page_walk.hpp"

#include <algorithm>

namespace hvlab::cpu::vmx {
namespace {

// Segment attributes in the VMCS access-rights layout (cpu_state.hpp, Segment::attr).
constexpr uint32_t kAttrS = 1u << 4, kAttrP = 1u << 7, kAttrL = 1u << 13, kAttrDb = 1u << 14,
                   kAttrG = 1u << 15;

// "Loading Host Segment and Descriptor-Table Registers": CS is an execute/read accessed
// code segment (type 11), DPL 0, G 1, L = host address-space size, D/B its inverse.
Segment host_code_segment(uint16_t selector, bool host64) {
    Segment s;
    s.selector = selector;
    s.base = 0;
    s.limit = 0xFFFF'FFFF;
    s.attr = 0xB | kAttrS | kAttrP | kAttrG | (host64 ? kAttrL : kAttrDb);
    return s;
}

// SS, DS, ES, FS, GS: unusable if the selector is 0; otherwise a read/write accessed data
// segment (type 3), DPL 0, D/B 1, G 1, limit FFFFFFFFH. FS and GS take their bases from the
// host-state area in every case (they are also the FS.base/GS.base MSRs).
Segment host_data_segment(uint16_t selector, uint64_t base) {
    Segment s;
    s.selector = selector;
    s.base = base;
    if (selector == 0) {
        s.limit = 0;
        s.attr = kSegUnusable;
        return s;
    }
    s.limit = 0xFFFF'FFFF;
    s.attr = 0x3 | kAttrS | kAttrP | kAttrDb | kAttrG;
    return s;
}

// Bases loaded from the host-state area are made canonical: "each of bits 63:N is set to the
// value of bit N-1" (N = 48 linear-address bits).
uint64_t canonical(uint64_t base) {
    return sign_extend(base, model::kLinearAddrBits);
}

// "Loading Host Control Registers, Debug Registers, MSRs": CR0 bits that VM exits never
// modify: ET, CD, NW, 63:32, 28:19, 17, 15:6; bits fixed in VMX operation keep their (fixed)
// value too.
constexpr uint64_t kCr0Kept = cr0::ET | cr0::CD | cr0::NW | mask_bits(63, 32) | mask_bits(28, 19) |
                              bit(17) | mask_bits(15, 6);

// RAII: the CPL the MSR lists are processed at is 0 (they are not instructions of the guest).
class Cpl0Scope {
  public:
    explicit Cpl0Scope(CpuState& s) : s_(s), saved_(s.seg[CS].attr) { s.seg[CS].attr &= ~0x60u; }
    ~Cpl0Scope() { s_.seg[CS].attr = saved_; }
    Cpl0Scope(const Cpl0Scope&) = delete;
    Cpl0Scope& operator=(const Cpl0Scope&) = delete;

  private:
    CpuState& s_;
    uint32_t saved_;
};

} // namespace

Fault read_msr_as_cpl0(SystemContext& c, uint32_t index, uint64_t& value) {
    Cpl0Scope cpl0(c.s);
    return read_msr(c, index, value);
}

Fault write_msr_as_cpl0(SystemContext& c, uint32_t index, uint64_t value) {
    Cpl0Scope cpl0(c.s);
    return write_msr(c, index, value);
}

std::vector<MsrListEntry> read_msr_list(SystemContext& c, uint64_t address, uint32_t count) {
    // An entry past the advertised limit (IA32_VMX_MISC[27:25]) fails the list, so one more
    // than the limit is all that needs reading, whatever count software wrote.
    const uint32_t limit = hvlab_vmx_capabilities().misc.max_msr_list_entries();
    count = std::min(count, limit + 1);
    std::vector<MsrListEntry> entries(count);
    mmu::PhysBus& bus = c.mem.bus();
    for (uint32_t i = 0; i < count; ++i) {
        const uint64_t a = address + 16ull * i;
        const uint64_t lo = bus.read(Hpa(a), 8);
        entries[i].index = static_cast<uint32_t>(lo);
        entries[i].reserved = static_cast<uint32_t>(lo >> 32);
        entries[i].value = bus.read(Hpa(a + 8), 8);
    }
    return entries;
}

std::optional<MsrListViolation> load_msr_list(SystemContext& c,
                                              const std::vector<MsrListEntry>& entries) {
    // The rules are checked entry by entry in list order; the WRMSR rule is the last one, so
    // the predicate performs the write: an entry is loaded once all its rules hold.
    return find_msr_load_violation(entries, hvlab_vmx_capabilities(), false,
                                   [&c](uint32_t index, uint64_t value) {
                                       return write_msr_as_cpl0(c, index, value).raised();
                                   });
}

void vmx_abort(SystemContext& c, VmxAbortIndicator indicator) {
    CpuState& s = c.s;
    // SDM Vol. 3C, "VMX Aborts": the indicator goes to dword 1 of the current VMCS region,
    // then the processor enters the shutdown state.
    if (s.vmx.current_vmcs != kInvalidVmcsPointer)
        c.mem.bus().write(Hpa(s.vmx.current_vmcs + 4), 4, static_cast<uint32_t>(indicator));
    s.vmx.non_root = false;
    s.activity = CpuState::Activity::Shutdown;
    c.env.shutdown("VMX abort");
}

std::optional<VmxAbortIndicator> load_host_state(SystemContext& c, bool was_ia32e) {
    CpuState& s = c.s;
    const VmcsStore& v = s.vmx.vmcs;
    const ExitControls exit_ctl(static_cast<uint32_t>(v.get(vmcs::VM_EXIT_CONTROLS)));
    const bool host64 = exit_ctl.host_address_space_size();
    // SDM Vol. 3C, "VMX Aborts": in IA-32e mode before the exit with a 32-bit host.
    if (was_ia32e && !host64) return VmxAbortIndicator::LongModeToLegacyHost;

    // --- Control registers, debug registers, MSRs ------------------------------------------
    s.cr0 = (v.get(vmcs::HOST_CR0) & ~kCr0Kept) | (s.cr0 & kCr0Kept);
    s.cr3 = v.get(vmcs::HOST_CR3);
    uint64_t cr4v = v.get(vmcs::HOST_CR4);
    if (host64)
        cr4v |= cr4::PAE; // "CR4.PAE is set to 1 if host address-space size is 1"
    else
        cr4v &= ~cr4::PCIDE; // "CR4.PCIDE is set to 0 if host address-space size is 0"
    s.cr4 = cr4v;
    s.dr[7] = 0x400;    // "DR7 is set to 400H"
    s.msr.debugctl = 0; // "The IA32_DEBUGCTL MSR is cleared"
    s.msr.sysenter_cs = v.get(vmcs::HOST_IA32_SYSENTER_CS) & 0xFFFF'FFFF;
    s.msr.sysenter_esp = canonical(v.get(vmcs::HOST_IA32_SYSENTER_ESP));
    s.msr.sysenter_eip = canonical(v.get(vmcs::HOST_IA32_SYSENTER_EIP));
    if (exit_ctl.load_ia32_pat()) s.msr.pat = v.get(vmcs::HOST_IA32_PAT);
    if (exit_ctl.load_ia32_efer()) {
        s.efer = v.get(vmcs::HOST_IA32_EFER);
    } else {
        // "IA32_EFER.LME and IA32_EFER.LMA are each loaded with the setting of the host
        // address-space size VM-exit control."
        s.efer = host64 ? (s.efer | efer::LME | efer::LMA) : (s.efer & ~(efer::LME | efer::LMA));
    }

    // --- Segment and descriptor-table registers --------------------------------------------
    auto sel = [&](uint32_t enc) { return static_cast<uint16_t>(v.get(enc)); };
    s.seg[CS] = host_code_segment(sel(vmcs::HOST_CS_SELECTOR), host64);
    s.seg[SS] = host_data_segment(sel(vmcs::HOST_SS_SELECTOR), 0);
    s.seg[DS] = host_data_segment(sel(vmcs::HOST_DS_SELECTOR), 0);
    s.seg[ES] = host_data_segment(sel(vmcs::HOST_ES_SELECTOR), 0);
    s.seg[FS] =
        host_data_segment(sel(vmcs::HOST_FS_SELECTOR), canonical(v.get(vmcs::HOST_FS_BASE)));
    s.seg[GS] =
        host_data_segment(sel(vmcs::HOST_GS_SELECTOR), canonical(v.get(vmcs::HOST_GS_BASE)));
    // TR: a busy 32-bit TSS (type 11), limit 67H.
    s.tr.selector = sel(vmcs::HOST_TR_SELECTOR);
    s.tr.base = canonical(v.get(vmcs::HOST_TR_BASE));
    s.tr.limit = 0x67;
    s.tr.attr = 0xB | kAttrP;
    // "LDTR ... the selector is cleared to 0000H, the segment is marked unusable".
    s.ldtr = Segment{0, 0, 0, kSegUnusable};
    s.gdtr = DescriptorTable{canonical(v.get(vmcs::HOST_GDTR_BASE)), 0xFFFF};
    s.idtr = DescriptorTable{canonical(v.get(vmcs::HOST_IDTR_BASE)), 0xFFFF};

    // --- RIP, RSP, RFLAGS ------------------------------------------------------------------
    // "RFLAGS is cleared, except bit 1, which is always set"; with a 32-bit host the upper
    // halves of RIP and RSP are cleared.
    const uint64_t width = host64 ? ~uint64_t{0} : 0xFFFF'FFFFull;
    s.rip = v.get(vmcs::HOST_RIP) & width;
    s.gpr[RSP] = v.get(vmcs::HOST_RSP) & width;
    s.rflags = rflags::kFixed1;

    // --- Non-register state ----------------------------------------------------------------
    // The host runs: active, and the STI / MOV SS shadows of the guest's last instruction do
    // not carry over (they were saved in the guest interruptibility state).
    s.activity = CpuState::Activity::Active;
    s.sti_shadow = s.movss_shadow = false;

    // --- PDPTEs ----------------------------------------------------------------------------
    // SDM Vol. 3C, "Loading Host State": a PAE host (not IA-32e) loads its PDPTEs from CR3;
    // a reserved bit there is a VMX abort.
    if (!host64 && (s.cr0 & cr0::PG) && (s.cr4 & cr4::PAE)) {
        if (!mmu::load_pae_pdptes(c.mem.bus(), s.cr3, s.pdpte))
            return VmxAbortIndicator::HostPdpteCheck;
    }

    // --- VM-exit MSR-load list (SDM Vol. 3C, "Loading MSRs") -------------------------------
    if (const uint32_t n = static_cast<uint32_t>(v.get(vmcs::VM_EXIT_MSR_LOAD_COUNT))) {
        const auto entries = read_msr_list(c, v.get(vmcs::VM_EXIT_MSR_LOAD_ADDR), n);
        if (load_msr_list(c, entries)) return VmxAbortIndicator::LoadingHostMsrs;
    }
    return std::nullopt;
}

} // namespace hvlab::cpu::vmx

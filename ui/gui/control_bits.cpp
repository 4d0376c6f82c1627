#include "ui/gui/control_bits.hpp"

#include "cpu/vmx/vmcs_fields.hpp"

#include <array>

namespace hvlab::gui {
namespace {

using Names = std::array<std::string_view, 32>;
namespace f = cpu::vmx::vmcs;

constexpr Names kPin = [] {
    Names n{};
    n[0] = "External-interrupt exiting";
    n[3] = "NMI exiting";
    n[5] = "Virtual NMIs";
    n[6] = "Activate VMX-preemption timer";
    n[7] = "Process posted interrupts";
    return n;
}();

constexpr Names kPrimary = [] {
    Names n{};
    n[2] = "Interrupt-window exiting";
    n[3] = "Use TSC offsetting";
    n[7] = "HLT exiting";
    n[9] = "INVLPG exiting";
    n[10] = "MWAIT exiting";
    n[11] = "RDPMC exiting";
    n[12] = "RDTSC exiting";
    n[15] = "CR3-load exiting";
    n[16] = "CR3-store exiting";
    n[17] = "Activate tertiary controls";
    n[19] = "CR8-load exiting";
    n[20] = "CR8-store exiting";
    n[21] = "Use TPR shadow";
    n[22] = "NMI-window exiting";
    n[23] = "MOV-DR exiting";
    n[24] = "Unconditional I/O exiting";
    n[25] = "Use I/O bitmaps";
    n[27] = "Monitor trap flag";
    n[28] = "Use MSR bitmaps";
    n[29] = "MONITOR exiting";
    n[30] = "PAUSE exiting";
    n[31] = "Activate secondary controls";
    return n;
}();

constexpr Names kSecondary = [] {
    Names n{};
    n[0] = "Virtualize APIC accesses";
    n[1] = "Enable EPT";
    n[2] = "Descriptor-table exiting";
    n[3] = "Enable RDTSCP";
    n[4] = "Virtualize x2APIC mode";
    n[5] = "Enable VPID";
    n[6] = "WBINVD exiting";
    n[7] = "Unrestricted guest";
    n[8] = "APIC-register virtualization";
    n[9] = "Virtual-interrupt delivery";
    n[10] = "PAUSE-loop exiting";
    n[11] = "RDRAND exiting";
    n[12] = "Enable INVPCID";
    n[13] = "Enable VM functions";
    n[14] = "VMCS shadowing";
    n[15] = "Enable ENCLS exiting";
    n[16] = "RDSEED exiting";
    n[17] = "Enable PML";
    n[18] = "EPT-violation #VE";
    n[19] = "Conceal VMX from PT";
    n[20] = "Enable XSAVES/XRSTORS";
    n[22] = "Mode-based execute control for EPT";
    n[23] = "Sub-page write permissions for EPT";
    n[24] = "Intel PT uses guest physical addresses";
    n[25] = "Use TSC scaling";
    n[26] = "Enable user wait and pause";
    n[28] = "Enable ENCLV exiting";
    return n;
}();

constexpr Names kExit = [] {
    Names n{};
    n[2] = "Save debug controls";
    n[9] = "Host address-space size";
    n[12] = "Load IA32_PERF_GLOBAL_CTRL";
    n[15] = "Acknowledge interrupt on exit";
    n[18] = "Save IA32_PAT";
    n[19] = "Load IA32_PAT";
    n[20] = "Save IA32_EFER";
    n[21] = "Load IA32_EFER";
    n[22] = "Save VMX-preemption timer value";
    n[23] = "Clear IA32_BNDCFGS";
    n[24] = "Conceal VMX from PT";
    n[25] = "Clear IA32_RTIT_CTL";
    n[28] = "Load CET state";
    n[29] = "Load PKRS";
    return n;
}();

constexpr Names kEntry = [] {
    Names n{};
    n[2] = "Load debug controls";
    n[9] = "IA-32e mode guest";
    n[10] = "Entry to SMM";
    n[11] = "Deactivate dual-monitor treatment";
    n[13] = "Load IA32_PERF_GLOBAL_CTRL";
    n[14] = "Load IA32_PAT";
    n[15] = "Load IA32_EFER";
    n[16] = "Load IA32_BNDCFGS";
    n[17] = "Conceal VMX from PT";
    n[18] = "Load IA32_RTIT_CTL";
    n[20] = "Load CET state";
    n[22] = "Load PKRS";
    return n;
}();

// SDM Vol. 3A, "Exception and Interrupt Reference" (vectors 0-21 and 28-30).
constexpr std::array<std::string_view, 32> kExceptions = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "",    "#TS",
    "#NP", "#SS", "#GP", "#PF", "",    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "",    "",    "",    "",    "",    "",    "#HV", "#VC", "#SX", ""};

const Names* names_for(uint32_t encoding) {
    switch (encoding) {
    case f::PIN_BASED_VM_EXEC_CONTROL: return &kPin;
    case f::CPU_BASED_VM_EXEC_CONTROL: return &kPrimary;
    case f::SECONDARY_VM_EXEC_CONTROL: return &kSecondary;
    case f::VM_EXIT_CONTROLS: return &kExit;
    case f::VM_ENTRY_CONTROLS: return &kEntry;
    default: return nullptr;
    }
}

} // namespace

bool is_control_word(uint32_t encoding) {
    return names_for(encoding) != nullptr || encoding == f::EXCEPTION_BITMAP;
}

std::string_view control_bit_name(uint32_t encoding, unsigned bit) {
    if (bit >= 32) return "";
    if (encoding == f::EXCEPTION_BITMAP) return kExceptions[bit];
    const Names* n = names_for(encoding);
    return n ? (*n)[bit] : "";
}

std::string_view exception_mnemonic(unsigned vector) {
    return vector < 32 ? kExceptions[vector] : "";
}

} // namespace hvlab::gui

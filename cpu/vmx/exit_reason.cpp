// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D, appendix "VMX Basic Exit Reasons".
#include "cpu/vmx/exit_reason.hpp"

#include <array>

namespace hvlab::cpu::vmx {
namespace {

// Indexed by basic exit reason; "" marks numbers the SDM leaves undefined (35, 38, 42, 71).
constexpr std::array<std::string_view, 78> kNames = {
    "Exception or non-maskable interrupt (NMI)",
    "External interrupt",
    "Triple fault",
    "INIT signal",
    "Start-up IPI (SIPI)",
    "I/O system-management interrupt (SMI)",
    "Other SMI",
    "Interrupt window",
    "NMI window",
    "Task switch",
    "CPUID",
    "GETSEC",
    "HLT",
    "INVD",
    "INVLPG",
    "RDPMC",
    "RDTSC",
    "RSM",
    "VMCALL",
    "VMCLEAR",
    "VMLAUNCH",
    "VMPTRLD",
    "VMPTRST",
    "VMREAD",
    "VMRESUME",
    "VMWRITE",
    "VMXOFF",
    "VMXON",
    "Control-register accesses",
    "MOV DR",
    "I/O instruction",
    "RDMSR",
    "WRMSR",
    "VM-entry failure due to invalid guest state",
    "VM-entry failure due to MSR loading",
    "",
    "MWAIT",
    "Monitor trap flag",
    "",
    "MONITOR",
    "PAUSE",
    "VM-entry failure due to machine-check event",
    "",
    "TPR below threshold",
    "APIC access",
    "Virtualized EOI",
    "Access to GDTR or IDTR",
    "Access to LDTR or TR",
    "EPT violation",
    "EPT misconfiguration",
    "INVEPT",
    "RDTSCP",
    "VMX-preemption timer expired",
    "INVVPID",
    "WBINVD or WBNOINVD",
    "XSETBV",
    "APIC write",
    "RDRAND",
    "INVPCID",
    "VMFUNC",
    "ENCLS",
    "RDSEED",
    "Page-modification log full",
    "XSAVES",
    "XRSTORS",
    "PCONFIG",
    "SPP-related event",
    "UMWAIT",
    "TPAUSE",
    "LOADIWKEY",
    "ENCLV",
    "",
    "ENQCMD PASID translation failure",
    "ENQCMDS PASID translation failure",
    "Bus lock",
    "Instruction timeout",
    "SEAMCALL",
    "TDCALL",
};

} // namespace

std::string_view exit_reason_name(uint32_t basic_reason) {
    return basic_reason < kNames.size() ? kNames[basic_reason] : std::string_view{};
}

} // namespace hvlab::cpu::vmx

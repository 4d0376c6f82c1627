/* Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D, "VMX Basic Exit Reasons". */
#include "exit_names.h"

#include "vmx_defs.h"

static const char* const names[EXIT_REASON_COUNT] = {
    [0] = "exception or NMI",
    [1] = "external interrupt",
    [2] = "triple fault",
    [7] = "interrupt window",
    [10] = "CPUID",
    [11] = "GETSEC",
    [12] = "HLT",
    [13] = "INVD",
    [18] = "VMCALL",
    [19] = "VMCLEAR",
    [20] = "VMLAUNCH",
    [21] = "VMPTRLD",
    [22] = "VMPTRST",
    [23] = "VMREAD",
    [24] = "VMRESUME",
    [25] = "VMWRITE",
    [26] = "VMXOFF",
    [27] = "VMXON",
    [28] = "CR access",
    [30] = "I/O instruction",
    [31] = "RDMSR",
    [32] = "WRMSR",
    [33] = "invalid guest state",
    [34] = "MSR loading",
    [36] = "MWAIT",
    [39] = "MONITOR",
    [48] = "EPT violation",
    [49] = "EPT misconfiguration",
    [50] = "INVEPT",
    [52] = "preemption timer",
    [53] = "INVVPID",
    [55] = "XSETBV",
};

const char* exit_reason_name(unsigned reason) {
    return reason < EXIT_REASON_COUNT && names[reason] ? names[reason] : "other";
}

/* CPUID: the host's answers, minus what the guest must not see (VMX, MONITOR/MWAIT), plus
 * the "hypervisor present" bit and the hypervisor leaves (hypervisor/hypercall.h). CPUID
 * always exits in VMX non-root operation (SDM Vol. 3C, "Instructions That Cause VM Exits
 * Unconditionally"). */
#include "exits.h"
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "vmx_ops.h"

#define CPUID1_ECX_MONITOR (1u << 3)
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define HYPERCALLS_IMPLEMENTED                                                                     \
    ((1u << HC_CONSOLE_WRITE) | (1u << HC_YIELD) | (1u << HC_TIME) | (1u << HC_SHUTDOWN))

void handle_cpuid(struct guest* g) {
    uint32_t leaf = (uint32_t)g->gpr[RAX], subleaf = (uint32_t)g->gpr[RCX], r[4];
    if (leaf == HV_CPUID_BASE) {
        r[0] = HV_CPUID_FEATURES;
        static const char signature[12] = HV_SIGNATURE;
        memcpy(&r[1], &signature[0], 4);
        memcpy(&r[2], &signature[4], 4);
        memcpy(&r[3], &signature[8], 4);
    } else if (leaf == HV_CPUID_FEATURES) {
        r[0] = HV_ABI_VERSION;
        r[1] = HYPERCALLS_IMPLEMENTED;
        r[2] = r[3] = 0;
    } else if (leaf > HV_CPUID_BASE && leaf < 0x40000100u) {
        r[0] = r[1] = r[2] = r[3] = 0; /* unused hypervisor leaves */
    } else {
        cpuid(leaf, subleaf, r);
        if (leaf == 1) {
            r[2] &= ~(CPUID1_ECX_VMX | CPUID1_ECX_MONITOR);
            r[2] |= CPUID1_ECX_HYPERVISOR;
        }
    }
    g->gpr[RAX] = r[0];
    g->gpr[RBX] = r[1];
    g->gpr[RCX] = r[2];
    g->gpr[RDX] = r[3];
    skip_instruction(g);
}

/* RDMSR and WRMSR of the MSRs the MSR bitmap traps (vmcs_setup.c lists those that run
 * natively). Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "RDMSR/WRMSR" exits; Vol. 4 for
 * the MSRs. An MSR this virtual CPU does not have raises #GP(0), as on hardware. */
#include "exits.h"
#include "guest.h"
#include "vmx_ops.h"

#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_BSP (1ull << 8)
#define MISC_ENABLE_FAST_STRINGS 1ull
#define FEATURE_CONTROL_LOCKED 1ull /* locked with VMX off: the guest cannot turn VMX on */

static int read_msr(struct guest* g, uint32_t index, uint64_t* v) {
    switch (index) {
    case MSR_EFER: *v = g->efer_shadow; return 0;
    case MSR_APIC_BASE: *v = g->lapic.base_msr; return 0;
    case MSR_TSC: *v = rdtsc() + g->tsc_offset; return 0;
    case MSR_TSC_DEADLINE: *v = g->lapic.tsc_deadline; return 0;
    case MSR_MISC_ENABLE: *v = MISC_ENABLE_FAST_STRINGS; return 0;
    case MSR_FEATURE_CONTROL: *v = FEATURE_CONTROL_LOCKED; return 0;
    default: return -1; /* including IA32_VMX_*: VMX is hidden */
    }
}

static int write_msr(struct guest* g, uint32_t index, uint64_t v) {
    switch (index) {
    case MSR_EFER: emulate_efer_write(g, v); return 0;
    case MSR_APIC_BASE:
        /* No x2APIC; the BSP flag is read-only; the base may move (the MMIO page follows). */
        if ((v & APIC_BASE_X2APIC) || (v >> 36)) return -1;
        g->lapic.base_msr = (v & ~APIC_BASE_BSP) | APIC_BASE_BSP;
        return 0;
    case MSR_TSC:
        /* The guest's TSC = host TSC + offset, and its LAPIC deadlines follow it. */
        g->tsc_offset = v - rdtsc();
        vmwrite(TSC_OFFSET, g->tsc_offset);
        return 0;
    case MSR_TSC_DEADLINE: vlapic_write_tsc_deadline(g, v); return 0;
    case MSR_MISC_ENABLE: return 0; /* the bits a guest may set change nothing here */
    default: return -1;
    }
}

void handle_rdmsr(struct guest* g) {
    uint64_t v;
    if (read_msr(g, (uint32_t)g->gpr[RCX], &v)) {
        inject_gp0(g);
        return;
    }
    g->gpr[RAX] = (uint32_t)v;
    g->gpr[RDX] = v >> 32;
    skip_instruction(g);
}

void handle_wrmsr(struct guest* g) {
    uint64_t v = (g->gpr[RDX] << 32) | (uint32_t)g->gpr[RAX];
    if (write_msr(g, (uint32_t)g->gpr[RCX], v)) {
        inject_gp0(g);
        return;
    }
    if (!(vmread(VM_ENTRY_INTERRUPTION_INFO) & INTR_INFO_VALID)) skip_instruction(g);
}

/* CR0, CR3, CR4 and EFER as the guest sees them. Without "unrestricted guest" the CPU keeps
 * CR0.PE and CR0.PG at 1 in VMX non-root operation, yet a Multiboot guest starts with paging
 * off and turns it on itself. So until it does, the guest runs on an identity map
 * (guest_load.c) with CR4.PSE, its own CR3/CR4.PAE/EFER.LME values live only in shadows,
 * and the switch happens here, on the MOV to CR0 that sets PG.
 * Intel SDM, Dec 2023 (Order 325462-081): Vol. 3C, "Exit Qualification for Control-Register
 * Accesses", "Guest/Host Masks and Read Shadows for CR0 and CR4"; Vol. 3A, "Initializing
 * IA-32e Mode" and "IA32_EFER"; Vol. 2, "MOV-Move to/from Control Registers" (the #GP
 * conditions emulated below). */
#include "exits.h"
#include "guest.h"
#include "guest_load.h"
#include "guest_memory.h"
#include "vmcs_setup.h"
#include "vmx_ops.h"

#define CR_QUAL_NUMBER(q) ((q)&0xF)
#define CR_QUAL_TYPE(q) (((q) >> 4) & 3)
#define CR_QUAL_GPR(q) (((q) >> 8) & 0xF)
#define CR_QUAL_LMSW_SOURCE(q) (((q) >> 16) & 0xFFFF)
#define CR_MOV_TO 0
#define CR_MOV_FROM 1
#define CR_CLTS 2
#define CR_LMSW 3
#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

static int paging_on(const struct guest* g) {
    return (g->cr0_shadow & CR0_PG) != 0;
}

static uint64_t get_gpr(struct guest* g, unsigned n) {
    return n == RSP ? vmread(GUEST_RSP) : g->gpr[n];
}

static void set_gpr(struct guest* g, unsigned n, uint64_t v) {
    if (n == RSP)
        vmwrite(GUEST_RSP, v);
    else
        g->gpr[n] = v;
}

/* The real CR4, EFER, CR3, entry controls and CR3 exiting for the guest's current view. */
static void apply_paging_mode(struct guest* g) {
    /* While the real CR3 is the guest's own (no CR3 exiting), it may have changed it. */
    if (!(g->proc_controls & PROC_CR3_LOAD_EXITING)) g->cr3_shadow = vmread(GUEST_CR3);
    uint64_t cr4 = g->cr4_shadow | CR4_VMXE | cr4_fixed0;
    uint64_t efer = g->efer_shadow & ~(EFER_LME | EFER_LMA);
    int long_mode = 0;
    if (paging_on(g)) {
        long_mode = (g->efer_shadow & EFER_LMA) != 0;
        if (long_mode) efer |= EFER_LME | EFER_LMA;
        vmwrite(GUEST_CR3, g->cr3_shadow);
        if ((g->cr4_shadow & CR4_PAE) && !long_mode) {
            /* PAE paging with EPT: VM entry takes the PDPTEs from the VMCS (SDM Vol. 3C,
             * "Loading Page-Directory-Pointer-Table Entries"). */
            for (int i = 0; i < 4; i++) {
                const uint64_t* p = gpa_to_host(g, (g->cr3_shadow & 0xFFFFFFE0) + 8 * i, 8);
                vmwrite(GUEST_PDPTE0 + 2 * i, p ? *p : 0);
            }
        }
    } else {
        cr4 = (cr4 & ~CR4_PAE) | CR4_PSE; /* the identity map: 32-bit paging, 4 MiB pages */
        vmwrite(GUEST_CR3, GUEST_IDENTITY_PD);
    }
    vmwrite(GUEST_CR4, cr4 & cr4_fixed1);
    vmwrite(GUEST_IA32_EFER, efer);
    vmwrite(VM_ENTRY_CONTROLS, entry_controls_base | (long_mode ? entry_control_ia32e : 0));
    set_proc_control(g, PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING, !paging_on(g));
    invvpid_single(g->vpid); /* the translations just changed under the guest */
}

static int emulate_cr0_write(struct guest* g, uint64_t v) {
    uint64_t old = g->cr0_shadow;
    v |= CR0_ET; /* ET is hardwired to 1 */
    if ((v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD))) {
        inject_gp0(g);
        return 0;
    }
    if (!(v & CR0_PE)) {
        guest_stop(g, "switched to real mode (CR0.PE = 0): that needs \"unrestricted guest\", "
                      "which this CPU does not offer");
        return -1;
    }
    if ((v & CR0_PG) && !(old & CR0_PG) && (g->efer_shadow & EFER_LME)) {
        if (!(g->cr4_shadow & CR4_PAE)) { /* IA-32e mode needs PAE first */
            inject_gp0(g);
            return 0;
        }
        g->efer_shadow |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG) && (g->efer_shadow & EFER_LMA)) {
        if (vmread(GUEST_ES_ACCESS_RIGHTS + 2 * SEG_CS) & (1u << 13)) { /* CS.L: 64-bit code */
            inject_gp0(g);
            return 0;
        }
        g->efer_shadow &= ~EFER_LMA;
    }
    g->cr0_shadow = v;
    vmwrite(CR0_READ_SHADOW, v);
    vmwrite(GUEST_CR0, (v | cr0_fixed0 | CR0_PE | CR0_PG | CR0_NE) & cr0_fixed1);
    if ((v ^ old) & CR0_PG) apply_paging_mode(g);
    return 0;
}

static void emulate_cr4_write(struct guest* g, uint64_t v) {
    /* VMXE is hidden (CPUID reports no VMX), so setting it is a reserved-bit #GP. */
    if ((v & CR4_VMXE) || (v & ~cr4_fixed1) || ((g->efer_shadow & EFER_LMA) && !(v & CR4_PAE))) {
        inject_gp0(g);
        return;
    }
    g->cr4_shadow = v;
    vmwrite(CR4_READ_SHADOW, v);
    apply_paging_mode(g);
}

void emulate_efer_write(struct guest* g, uint64_t v) {
    /* Reserved bits, or LME changed while paging is on: #GP ("IA32_EFER"). LMA is read-only
     * and keeps its value. */
    if ((v & ~(EFER_WRITABLE | EFER_LMA)) || (paging_on(g) && ((v ^ g->efer_shadow) & EFER_LME))) {
        inject_gp0(g);
        return;
    }
    g->efer_shadow = (v & EFER_WRITABLE) | (g->efer_shadow & EFER_LMA);
    apply_paging_mode(g);
}

void handle_cr_access(struct guest* g) {
    uint64_t q = vmread(EXIT_QUALIFICATION);
    unsigned cr = CR_QUAL_NUMBER(q), gpr = CR_QUAL_GPR(q);
    switch (CR_QUAL_TYPE(q)) {
    case CR_MOV_TO: {
        uint64_t v = get_gpr(g, gpr);
        if (!(g->efer_shadow & EFER_LMA)) v &= 0xFFFFFFFF; /* 32-bit operand outside 64-bit mode */
        if (cr == 0) {
            if (emulate_cr0_write(g, v)) return;
        } else if (cr == 4) {
            emulate_cr4_write(g, v);
        } else if (cr == 3) {
            g->cr3_shadow = v; /* paging is off for the guest: just remember it */
        } else {
            guest_stop(g, "unexpected MOV to CR%u exit", cr);
            return;
        }
        break;
    }
    case CR_MOV_FROM:
        if (cr != 3) {
            guest_stop(g, "unexpected MOV from CR%u exit", cr);
            return;
        }
        set_gpr(g, gpr, g->cr3_shadow);
        break;
    case CR_LMSW: /* LMSW loads PE, MP, EM, TS and cannot clear PE */
        if (emulate_cr0_write(g, (g->cr0_shadow & ~0xEull) | (g->cr0_shadow & CR0_PE) |
                                     (CR_QUAL_LMSW_SOURCE(q) & 0xF)))
            return;
        break;
    default: /* CLTS exits only if TS were host-owned; it is not */
        guest_stop(g, "unexpected CLTS exit");
        return;
    }
    /* An instruction that faults is not completed: leave RIP at it. */
    if (!(vmread(VM_ENTRY_INTERRUPTION_INFO) & INTR_INFO_VALID)) skip_instruction(g);
}

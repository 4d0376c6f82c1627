/* From a basic exit reason to its handler. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3D,
 * "VMX Basic Exit Reasons"; Vol. 3C, "Information for VM Exits During Event Delivery" (an
 * event whose delivery was cut short by the exit is delivered again at the next entry). */
#include "exits.h"
#include "guest.h"
#include "vmx_ops.h"

#define TRIPLE_FAULT_RIP_NOTE "(the guest could deliver neither the exception nor #DF)"

/* An exit during event delivery (say, an EPT violation while pushing the interrupt frame)
 * loses the event unless it is injected again. */
static void redeliver_interrupted_event(struct guest* g) {
    uint32_t info = (uint32_t)vmread(IDT_VECTORING_INFO);
    if (!(info & INTR_INFO_VALID) || g->state == GUEST_STOPPED) return;
    if (info & INTR_INFO_DELIVER_ERROR_CODE)
        vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(IDT_VECTORING_ERROR_CODE));
    /* Software interrupts and exceptions need their instruction length again. */
    vmwrite(VM_ENTRY_INSTRUCTION_LENGTH, vmread(VM_EXIT_INSTRUCTION_LENGTH));
    vmwrite(VM_ENTRY_INTERRUPTION_INFO, info & ~(1u << 12)); /* bit 12 is undefined on entry */
}

void handle_exit(struct guest* g, uint32_t reason) {
    g->exits[reason < EXIT_REASON_COUNT ? reason : 0]++;
    g->exits_total++;
    vmwrite(VM_ENTRY_INTERRUPTION_INFO, 0); /* nothing injected unless a handler says so */
    switch (reason) {
    case EXIT_EXTERNAL_INTERRUPT: handle_external_interrupt(g); break;
    case EXIT_EXCEPTION_NMI: {
        /* With an all-zero exception bitmap only NMIs exit here (NMI exiting); this machine
         * has no NMI source for the host to handle. Anything else is unexpected. */
        uint32_t info = (uint32_t)vmread(VM_EXIT_INTERRUPTION_INFO);
        if (((info >> 8) & 7) != 2)
            guest_stop(g, "unexpected exception exit, vector %u (the exception bitmap is 0)",
                       info & 0xFF);
        break;
    }
    case EXIT_TRIPLE_FAULT:
        guest_stop(g, "triple fault at RIP 0x%lx %s", (unsigned long)vmread(GUEST_RIP),
                   TRIPLE_FAULT_RIP_NOTE);
        break;
    case EXIT_INTERRUPT_WINDOW: break; /* inject.c injects before the next entry */
    case EXIT_PREEMPTION_TIMER: handle_preemption_timer(g); break; /* slice end or vtimer */
    case EXIT_CPUID: handle_cpuid(g); break;
    case EXIT_HLT: handle_hlt(g); break;
    case EXIT_INVD: skip_instruction(g); break; /* caches are coherent here: nothing to lose */
    case EXIT_VMCALL: handle_vmcall(g); break;
    case EXIT_CR_ACCESS: handle_cr_access(g); break;
    case EXIT_IO: handle_io(g); break;
    case EXIT_RDMSR: handle_rdmsr(g); break;
    case EXIT_WRMSR: handle_wrmsr(g); break;
    case EXIT_EPT_VIOLATION: handle_ept_violation(g); break;
    case EXIT_EPT_MISCONFIG:
        guest_stop(g, "EPT misconfiguration at guest-physical 0x%lx (a hypervisor bug)",
                   (unsigned long)vmread(GUEST_PHYSICAL_ADDRESS));
        break;
    case EXIT_GETSEC:
    case EXIT_MWAIT:
    case EXIT_MONITOR:
    case EXIT_INVEPT:
    case EXIT_INVVPID:
        inject_ud(g); /* features CPUID does not report to the guest */
        break;
    case EXIT_XSETBV: inject_gp0(g); break; /* XSAVE state is not virtualized */
    default:
        if (reason >= EXIT_VMCLEAR && reason <= EXIT_VMXON) {
            inject_ud(g); /* VMX instructions: VMX is hidden, so #UD as without VMX */
            break;
        }
        guest_stop(g, "unhandled VM exit, reason %u, at RIP 0x%lx", reason,
                   (unsigned long)vmread(GUEST_RIP));
    }
    redeliver_interrupted_event(g);
}

/* Event injection. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Event Injection",
 * "Interrupt-Window Exiting", and Vol. 3A, "Interrupt and Exception Handling" (an external
 * interrupt is taken only with RFLAGS.IF = 1 and outside an STI or MOV SS shadow). */
#include "exits.h"
#include "guest.h"
#include "vmx_ops.h"

void skip_instruction_length(struct guest* g, uint64_t length) {
    vmwrite(GUEST_RIP, vmread(GUEST_RIP) + length);
    uint64_t intr = vmread(GUEST_INTERRUPTIBILITY);
    if (intr & INTERRUPTIBILITY_STI_MOVSS)
        vmwrite(GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)INTERRUPTIBILITY_STI_MOVSS);
    (void)g;
}

void skip_instruction(struct guest* g) {
    skip_instruction_length(g, vmread(VM_EXIT_INSTRUCTION_LENGTH));
}

void inject_exception(struct guest* g, unsigned vector, int has_error_code, uint32_t error_code) {
    (void)g;
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    if (has_error_code) {
        info |= INTR_INFO_DELIVER_ERROR_CODE;
        vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
    }
    vmwrite(VM_ENTRY_INTERRUPTION_INFO, info);
}

void set_proc_control(struct guest* g, uint32_t bit, int on) {
    uint32_t v = on ? g->proc_controls | bit : g->proc_controls & ~bit;
    if (v != g->proc_controls) {
        g->proc_controls = v;
        vmwrite(PROC_BASED_CONTROLS, v);
    }
}

void inject_pending_interrupt(struct guest* g, uint64_t now) {
    vlapic_update_timer(g, now);
    int vector = vlapic_pending_vector(&g->lapic);
    if (vector < 0) {
        set_proc_control(g, PROC_INTERRUPT_WINDOW_EXITING, 0);
        return;
    }
    /* An exception queued by an exit handler goes first; the interrupt waits for a window. */
    int busy = (vmread(VM_ENTRY_INTERRUPTION_INFO) & INTR_INFO_VALID) != 0;
    int open = (vmread(GUEST_RFLAGS) & RFLAGS_IF) &&
               !(vmread(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_STI_MOVSS);
    if (!busy && open) {
        vlapic_accept(&g->lapic, vector);
        vmwrite(VM_ENTRY_INTERRUPTION_INFO,
                INTR_INFO_VALID | INTR_TYPE_EXTERNAL | (uint32_t)vector);
        g->injected_interrupts++;
        set_proc_control(g, PROC_INTERRUPT_WINDOW_EXITING, 0);
    } else {
        set_proc_control(g, PROC_INTERRUPT_WINDOW_EXITING, 1);
    }
}

/* A virtual xAPIC per guest: the register page is emulated on EPT violations (mmio.c
 * decodes the MOV), the timer runs on the guest's TSC, and its interrupts reach the guest by
 * event injection (inject.c). Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)". */
#ifndef HYPERVISOR_VLAPIC_H
#define HYPERVISOR_VLAPIC_H

#include <stdint.h>

#define VLAPIC_DEFAULT_BASE 0xFEE00000ull

struct guest;

struct vlapic {
    uint64_t base_msr; /* IA32_APIC_BASE as the guest sees it */
    uint32_t tpr, svr, ldr, dfr, esr, icr_low, icr_high;
    uint32_t lvt[7]; /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint32_t timer_initial, timer_divide;
    uint64_t timer_deadline; /* host TSC at which the timer fires next; 0 = not armed */
    uint64_t tsc_deadline;   /* IA32_TSC_DEADLINE (guest TSC) */
    uint32_t irr[8], isr[8]; /* 256-bit vectors */
};

void vlapic_reset(struct vlapic* a);
uint32_t vlapic_read(struct guest* g, uint32_t offset);
void vlapic_write(struct guest* g, uint32_t offset, uint32_t value);
/* The timer's due expirations become requests in IRR. */
void vlapic_update_timer(struct guest* g, uint64_t now);
/* Highest requested vector that may interrupt now (above the processor priority), or -1. */
int vlapic_pending_vector(const struct vlapic* a);
/* The CPU accepted `vector`: IRR -> ISR. */
void vlapic_accept(struct vlapic* a, int vector);
/* Host TSC of the next timer event, or 0 if none is armed. */
uint64_t vlapic_next_event(const struct vlapic* a);
void vlapic_write_tsc_deadline(struct guest* g, uint64_t guest_tsc);

#endif

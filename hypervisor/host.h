/* The hypervisor's own machine state: a GDT with a TSS (a VM exit needs a non-null host TR),
 * an IDT with a vector for its timer, and the host LAPIC's TSC-deadline timer that ends
 * time slices (an external-interrupt VM exit) and wakes the idle loop. */
#ifndef HYPERVISOR_HOST_H
#define HYPERVISOR_HOST_H

#include <stdint.h>

#define HOST_CODE_SELECTOR 0x18 /* lib/gdt.h GDT_CODE64 */
#define HOST_DATA_SELECTOR 0x10
#define HOST_TSS_SELECTOR 0x20
#define HOST_TIMER_VECTOR 0xEF

struct host_tables {
    uint64_t gdt_base, idt_base, tr_base;
};

void host_init(struct host_tables* t);
/* Arms the host timer to interrupt when the TSC reaches `tsc` (0 disarms). */
void host_timer_arm(uint64_t tsc);
/* Acknowledges a host timer interrupt (EOI). */
void host_timer_eoi(void);
/* Halts until the host timer fires; interrupts are off again on return. */
void host_idle(void);

#endif

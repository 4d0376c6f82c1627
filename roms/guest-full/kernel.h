/* guest-full: a mini-kernel that never learns whether it runs on bare hvlab or under the
 * teaching hypervisor (full virtualization). It owns its GDT with a TSS, its IDT, its page
 * tables, the LAPIC timer and the UART, and runs one user-mode task. Everything it prints is
 * independent of timing, so its output is byte-identical on bare hardware, under QEMU and
 * inside the hypervisor (tests/scripts/hypervisor_guest_full.sh checks this). */
#ifndef GUEST_FULL_KERNEL_H
#define GUEST_FULL_KERNEL_H

#include <stdint.h>

#include "lib/trap.h"

/* Selectors of the kernel's own GDT (descriptors.c). The first four equal lib/gdt.h, so the
 * exception gates that lib/trap.c installed stay valid. */
#define SEL_KERNEL_CODE 0x18
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA (0x20 | 3)
#define SEL_USER_CODE (0x28 | 3)
#define SEL_TSS 0x30

#define VECTOR_TIMER 0x20
#define VECTOR_SYSCALL 0x80
#define VECTOR_SPURIOUS 0xFF

/* System calls: INT 0x80, number in RAX, arguments in RDI and RSI, result in RAX. */
#define SYS_WRITE 1 /* (buf, len) -> len */
#define SYS_SLEEP 2 /* (ticks) -> ticks now */
#define SYS_EXIT 3  /* (status), never returns */

void descriptors_init(void);
void paging_init(void);
void lapic_timer_start(void);
void lapic_eoi(void);

/* Timer ticks since lapic_timer_start; written only by the timer interrupt. */
extern volatile uint64_t timer_ticks;
/* Sleeps with STI; HLT until timer_ticks reaches `until`. Called with interrupts off. */
void wait_for_tick(uint64_t until);

/* Runs `entry` in ring 3 on `stack_top`; returns the status the task passed to SYS_EXIT. */
uint64_t run_user_task(void (*entry)(void), void* stack_top);
/* The ring-3 program (user.c). */
void user_main(void);

/* Called by entry.S for the timer and system-call vectors. */
void interrupt_dispatch(struct trap_frame* frame);

#endif

/* The exit handlers, one file each, and the helpers they share. A handler returns nothing:
 * it updates the guest (registers, VMCS, devices) or stops it with guest_stop. */
#ifndef HYPERVISOR_EXITS_H
#define HYPERVISOR_EXITS_H

#include <stdint.h>

struct guest;

/* Dispatches the exit that just happened (exit_dispatch.c). */
void handle_exit(struct guest* g, uint32_t reason);

void handle_cpuid(struct guest* g); /* exit_cpuid.c */
void handle_io(struct guest* g);    /* exit_io.c */
void handle_rdmsr(struct guest* g); /* exit_msr.c */
void handle_wrmsr(struct guest* g);
void handle_cr_access(struct guest* g);          /* cr_emulation.c */
void handle_ept_violation(struct guest* g);      /* exit_ept.c */
void handle_vmcall(struct guest* g);             /* hypercall.c */
void handle_hlt(struct guest* g);                /* scheduler.c */
void handle_external_interrupt(struct guest* g); /* scheduler.c */
void handle_preemption_timer(struct guest* g);   /* scheduler.c */

/* Moves RIP past the instruction that exited (its length is in the VMCS) and drops the
 * STI/MOV SS interrupt shadow, which covered only that instruction (inject.c). */
void skip_instruction(struct guest* g);
void skip_instruction_length(struct guest* g, uint64_t length);
/* Queues a hardware exception for the next VM entry (inject.c). */
void inject_exception(struct guest* g, unsigned vector, int has_error_code, uint32_t error_code);
#define inject_ud(g) inject_exception((g), 6, 0, 0)
#define inject_gp0(g) inject_exception((g), 13, 1, 0)
/* Before each VM entry: the virtual LAPIC's due interrupt is injected, or the
 * interrupt-window exit is requested if the guest cannot take it yet (inject.c). */
void inject_pending_interrupt(struct guest* g, uint64_t now);
/* Sets or clears bits of the primary processor-based controls of the current VMCS. */
void set_proc_control(struct guest* g, uint32_t bit, int on);

/* EFER writes from WRMSR (cr_emulation.c, next to CR0 that it interacts with). */
void emulate_efer_write(struct guest* g, uint64_t value);

#endif

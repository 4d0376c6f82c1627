/* The scheduler: round-robin over the guests that can run, each for at most TIME_SLICE
 * ticks. The VMX-preemption timer ends a slice: at each VM entry it is set to the nearer of
 * the slice's end and the guest's next virtual LAPIC timer event, so the same exit also lets
 * the timer interrupt be injected on time. A guest in HLT waits; when every guest waits, the
 * CPU halts until the first of their timers, woken by the host LAPIC's TSC-deadline timer.
 * An external interrupt that arrives while a guest runs belongs to the host: it exits
 * (external-interrupt exiting, acknowledged on exit) and ends the slice. Intel SDM, Dec 2023
 * (Order 325462-081), Vol. 3C, "VMX-Preemption Timer", "Acknowledge Interrupt on Exit"
 * (VM-Exit Controls), "VMLAUNCH/VMRESUME". */
#include "scheduler.h"

#include "exits.h"
#include "guest.h"
#include "host.h"
#include "lib/printf.h"
#include "vmx_ops.h"

int vmx_enter(struct guest* g, int launched); /* vmx_entry.S */
extern int yield_requested;                   /* hypercall.c */

uint64_t idle_ticks, switch_count;
int exit_was_console;
static struct guest* loaded; /* the guest whose VMCS and CPU state are loaded */
static int slice_over;
static uint64_t slice_end; /* TSC at which the running guest's slice ends */

void handle_external_interrupt(struct guest* g) {
    (void)g;
    /* With "acknowledge interrupt on exit" the vector is in the exit information and the
     * host LAPIC has it in service: end the slice and EOI. */
    (void)vmread(VM_EXIT_INTERRUPTION_INFO); /* the vector: only the host timer exists */
    slice_over = 1;
    host_timer_eoi();
}

void handle_preemption_timer(struct guest* g) {
    (void)g;
    if (rdtsc() >= slice_end) slice_over = 1;
    /* otherwise the virtual LAPIC timer is due: inject.c delivers it before the next entry */
}

void handle_hlt(struct guest* g) {
    skip_instruction(g);
    if (!(vmread(GUEST_RFLAGS) & RFLAGS_IF)) {
        /* Nothing can wake it: the same as a machine halted with interrupts off. */
        guest_stop(g, "halted with interrupts disabled (HLT with RFLAGS.IF = 0)");
        return;
    }
    g->state = GUEST_BLOCKED;
}

/* MSRs, CR2 and the FPU/SSE registers are not part of the VMCS: they are swapped here. */
static const uint32_t switched_msrs[] = {MSR_KERNEL_GS_BASE, MSR_STAR,   MSR_LSTAR,
                                         MSR_CSTAR,          MSR_SFMASK, MSR_TSC_AUX};

static uint64_t* msr_slot(struct guest* g, unsigned i) {
    uint64_t* slots[] = {&g->kernel_gs_base, &g->star,   &g->lstar,
                         &g->cstar,          &g->sfmask, &g->tsc_aux};
    return slots[i];
}

static void switch_to(struct guest* g) {
    if (loaded == g) return;
    if (loaded) {
        loaded->cr2 = read_cr2();
        __asm__ volatile("fxsave64 %0" : "=m"(loaded->fpu));
        for (unsigned i = 0; i < 6; i++)
            *msr_slot(loaded, i) = rdmsr(switched_msrs[i]);
    }
    write_cr2(g->cr2);
    __asm__ volatile("fxrstor64 %0" : : "m"(g->fpu));
    for (unsigned i = 0; i < 6; i++)
        wrmsr(switched_msrs[i], *msr_slot(g, i));
    vmptrld((uint64_t)(uintptr_t)g->vmcs);
    loaded = g;
    switch_count++;
}

/* A blocked guest wakes when its virtual LAPIC has an interrupt for it. */
static int can_run(struct guest* g, uint64_t now) {
    if (g->state == GUEST_BLOCKED) {
        vlapic_update_timer(g, now);
        if (vlapic_pending_vector(&g->lapic) >= 0) g->state = GUEST_RUNNABLE;
    }
    return g->state == GUEST_RUNNABLE;
}

/* Rate 0 in IA32_VMX_MISC[4:0] would make it count at the TSC rate; the hypervisor reads the
 * rate and scales (SDM Vol. 3C, "VMX-Preemption Timer"). */
static uint32_t preemption_timer_value(struct guest* g, uint64_t now) {
    uint64_t next = slice_end, vtimer = vlapic_next_event(&g->lapic);
    if (vtimer && vtimer < next) next = vtimer;
    if (next <= now) return 0;
    uint64_t ticks = (next - now) >> (rdmsr(MSR_VMX_MISC) & 0x1F);
    return ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)ticks;
}

/* Runs g until its slice ends, it blocks or stops, or it yields. */
static void run_slice(struct guest* g) {
    slice_over = 0;
    yield_requested = 0;
    slice_end = rdtsc() + TIME_SLICE;
    while (g->state == GUEST_RUNNABLE && !slice_over && !yield_requested) {
        uint64_t now = rdtsc();
        inject_pending_interrupt(g, now);
        vmwrite(PREEMPTION_TIMER_VALUE, preemption_timer_value(g, now));
        uint64_t t0 = rdtsc();
        int err = vmx_enter(g, g->launched);
        uint64_t t1 = rdtsc();
        if (err) {
            guest_stop(g, "VM entry failed: %s, VM-instruction error %lu",
                       err == 1 ? "VMfailInvalid" : "VMfailValid",
                       (unsigned long)(err == 2 ? vmread(VM_INSTRUCTION_ERROR) : 0));
            return;
        }
        g->launched = 1;
        g->guest_ticks += t1 - t0;
        uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON);
        if (reason & 0x80000000u) {
            /* SDM Vol. 3C, "VM-Entry Failures During or After Loading Guest State". */
            guest_stop(g,
                       "VM entry failed: exit reason %u (invalid guest state), qualification %lu",
                       reason & 0xFFFF, (unsigned long)vmread(EXIT_QUALIFICATION));
            return;
        }
        exit_was_console = 0;
        handle_exit(g, reason & 0xFFFF);
        uint64_t spent = rdtsc() - t1;
        g->root_ticks += spent;
        if (exit_was_console) {
            g->console_exits++;
            g->console_root_ticks += spent;
        }
    }
}

void run_guests(void) {
    int next = 0;
    for (;;) {
        uint64_t now = rdtsc();
        struct guest* chosen = 0;
        int alive = 0;
        for (int k = 0; k < guest_count; k++) {
            struct guest* g = &guests[(next + k) % guest_count];
            if (g->state != GUEST_STOPPED) alive++;
            if (!chosen && can_run(g, now)) chosen = g;
        }
        if (!alive) return;
        if (chosen) {
            switch_to(chosen);
            run_slice(chosen);
            next = (chosen->index + 1) % guest_count;
            continue;
        }
        /* Every live guest is in HLT: sleep until the earliest virtual timer. */
        uint64_t wake = 0;
        for (int i = 0; i < guest_count; i++) {
            uint64_t t = vlapic_next_event(&guests[i].lapic);
            if (guests[i].state == GUEST_BLOCKED && t && (!wake || t < wake)) wake = t;
        }
        if (!wake) {
            for (int i = 0; i < guest_count; i++)
                if (guests[i].state == GUEST_BLOCKED)
                    guest_stop(&guests[i], "halted with no timer armed: nothing can wake it");
            continue;
        }
        host_timer_arm(wake);
        uint64_t t = rdtsc();
        while (rdtsc() < wake)
            host_idle();
        idle_ticks += rdtsc() - t;
    }
}

/* The report (see report.h). Times are TSC ticks read with RDTSC around each VM entry; on
 * hvlab one tick is one retired instruction, so they count instructions: "in guest" is VMX
 * non-root operation, "in hypervisor" the VMX-root work done for that guest's exits. */
#include "report.h"

#include "exit_names.h"
#include "guest.h"
#include "lib/printf.h"
#include "scheduler.h"

static unsigned long per_kib(uint64_t n, uint64_t bytes) {
    return bytes ? (unsigned long)((n * 1024 + bytes / 2) / bytes) : 0;
}

void report_print(void) {
    printf("hv: ---- report: %d guests, %lu guest switches, %lu ticks idle ----\n", guest_count,
           (unsigned long)switch_count, (unsigned long)idle_ticks);
    for (int i = 0; i < guest_count; i++) {
        struct guest* g = &guests[i];
        printf("hv: guest %s: %s\n", g->name, g->stop_reason);
        printf(
            "hv:   %lu VM exits, %lu interrupts injected; ticks in guest %lu, in hypervisor %lu\n",
            (unsigned long)g->exits_total, (unsigned long)g->injected_interrupts,
            (unsigned long)g->guest_ticks, (unsigned long)g->root_ticks);
        for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
            if (g->exits[r])
                printf("hv:     %-22s %lu\n", exit_reason_name(r), (unsigned long)g->exits[r]);
    }
    printf("hv: console output cost per KiB: full virtualization traps every UART register "
           "access, paravirtualization makes one hypercall per write\n");
    printf("hv:   %-12s %8s %14s %16s %22s\n", "guest", "bytes", "console exits", "VM exits/KiB",
           "hypervisor insns/KiB");
    for (int i = 0; i < guest_count; i++) {
        struct guest* g = &guests[i];
        printf("hv:   %-12s %8lu %14lu %16lu %22lu\n", g->name, (unsigned long)g->console_bytes,
               (unsigned long)g->console_exits, per_kib(g->console_exits, g->console_bytes),
               per_kib(g->console_root_ticks, g->console_bytes));
    }
}

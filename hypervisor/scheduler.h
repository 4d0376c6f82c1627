/* Round-robin scheduling of the guests' virtual CPUs on the one physical CPU. */
#ifndef HYPERVISOR_SCHEDULER_H
#define HYPERVISOR_SCHEDULER_H

#include <stdint.h>

/* Time slice in TSC ticks (= instructions on hvlab). */
#define TIME_SLICE 20000

/* Runs every guest until all have stopped. */
void run_guests(void);

/* Ticks the hypervisor spent idle (every guest halted) and switching guests. */
extern uint64_t idle_ticks, switch_count;

#endif

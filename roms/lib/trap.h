/* CPU exceptions in a ROM are bugs (in the ROM or in the CPU running it). Vectors 0..31 are
 * caught, described on the console, and the run ends with ROM_EXIT_EXCEPTION. */
#ifndef ROMS_LIB_TRAP_H
#define ROMS_LIB_TRAP_H

#include <stdint.h>

/* What lib/vectors.S pushes, lowest address first, followed by the CPU's own frame. */
struct trap_frame {
    uint64_t vector;
    uint64_t error_code; /* 0 for vectors that push none */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};

/* Loads an IDT whose gates 0..31 lead to trap_report. Called by entry32.S before kmain. */
void trap_init(void);

__attribute__((noreturn)) void trap_report(const struct trap_frame *frame);

#endif

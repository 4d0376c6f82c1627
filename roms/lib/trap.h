/* CPU exceptions 0..31. By default an exception in a ROM is a bug (in the ROM or in the CPU
 * running it): it is described on the console and the run ends with ROM_EXIT_EXCEPTION.
 * A ROM that provokes exceptions on purpose installs a handler that can resume execution. */
#ifndef ROMS_LIB_TRAP_H
#define ROMS_LIB_TRAP_H

#include <stdint.h>

/* What lib/vectors.S saves, lowest address first, then the CPU's own frame. In 64-bit mode
 * the CPU always pushes SS:RSP, so the frame has the same shape at every privilege level. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code; /* 0 for vectors that push none */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};

/* Returns 1 if it handled the exception: the registers in *frame (RIP included) are then
 * restored and IRETQ resumes there. Returns 0 to report it and end the run. A handler must
 * not use SSE registers: it runs in the middle of code that may. */
typedef int (*trap_handler_fn)(struct trap_frame* frame);

/* Loads an IDT whose gates 0..31 lead to trap_dispatch. Called by entry32.S before kmain. */
void trap_init(void);

void trap_set_handler(trap_handler_fn handler);

/* Called by lib/vectors.S for every exception. */
void trap_dispatch(struct trap_frame* frame);

__attribute__((noreturn)) void trap_report(const struct trap_frame* frame);

#endif

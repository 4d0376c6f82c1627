/* Ending a run: debug-exit, then a halt that no interrupt can wake. */
#include "debug_exit.h"

#include "io.h"

void debug_exit(uint32_t status) {
    outl(DEBUG_EXIT_PORT, status);
    rom_halt();
}

void rom_halt(void) {
    for (;;)
        __asm__ volatile("cli; hlt");
}

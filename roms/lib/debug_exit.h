/* Ending a run: QEMU's isa-debug-exit device (and hvlab's copy of it) at port 0xF4.
 * A 32-bit write of v ends the emulator with exit status (v << 1) | 1.
 * Usable from C and from assembly. */
#ifndef ROMS_LIB_DEBUG_EXIT_H
#define ROMS_LIB_DEBUG_EXIT_H

#define DEBUG_EXIT_PORT 0xF4

/* Statuses the library itself reports (process exit status in brackets). */
#define ROM_EXIT_NOT_MULTIBOOT 0x7D /* [251] EAX did not hold the Multiboot magic */
#define ROM_EXIT_NO_LONG_MODE 0x7E  /* [253] CPUID reports no long mode */
#define ROM_EXIT_EXCEPTION 0x7F     /* [255] an unexpected CPU exception (lib/trap.c) */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Writes `status` to the debug-exit port. Without that device the write is ignored, so the
 * CPU then halts for good: a run always stops here. */
__attribute__((noreturn)) void debug_exit(uint32_t status);

/* cli; hlt forever. */
__attribute__((noreturn)) void rom_halt(void);
#endif

#endif

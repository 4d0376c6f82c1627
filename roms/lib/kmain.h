/* The one function every ROM defines: entry32.S calls it in 64-bit mode with the values the
 * Multiboot loader left in EAX (magic) and EBX (boot information address). Returning halts. */
#ifndef ROMS_LIB_KMAIN_H
#define ROMS_LIB_KMAIN_H

#include <stdint.h>

void kmain(uint32_t magic, uint32_t mbinfo);

#endif

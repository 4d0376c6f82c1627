/* The real UART carries every guest's output, one line at a time, each line prefixed with
 * the guest's name; the hypervisor's own lines start with "hv: ". */
#ifndef HYPERVISOR_CONSOLE_H
#define HYPERVISOR_CONSOLE_H

#include <stdint.h>

struct guest;

void console_putc(struct guest* g, char c);
/* Writes what is left of an unfinished line (when the guest stops). */
void console_flush(struct guest* g);

#endif

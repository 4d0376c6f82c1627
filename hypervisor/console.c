/* Guest console output (see console.h). Whole lines keep the guests' output readable when
 * they run interleaved. */
#include "console.h"

#include "guest.h"
#include "lib/serial.h"

void console_flush(struct guest* g) {
    if (!g->line_len) return;
    serial_write("[", 1);
    serial_write(g->name, __builtin_strlen(g->name));
    serial_write("] ", 2);
    serial_write(g->line, g->line_len);
    if (g->line[g->line_len - 1] != '\n') serial_write("\n", 1);
    g->line_len = 0;
}

void console_putc(struct guest* g, char c) {
    g->console_bytes++;
    g->line[g->line_len++] = c;
    if (c == '\n' || g->line_len == sizeof(g->line)) console_flush(g);
}

/* printf to COM1. Conversions: %d %i %u %x %X %s %c %p %%, with the length modifiers
 * l, ll and z, the flags '0' (zero-pad) and '-' (left-justify), a field width, and for %s a
 * precision (".N" or ".*": print at most N bytes).
 * %p prints "0x" and 16 hex digits. Anything else is printed as written. */
#ifndef ROMS_LIB_PRINTF_H
#define ROMS_LIB_PRINTF_H

#include <stdarg.h>

__attribute__((format(printf, 1, 2))) int printf(const char* fmt, ...);
int vprintf(const char* fmt, va_list ap);

#endif

/* printf to COM1, and snprintf to a buffer. Conversions: %d %i %u %x %X %s %c %p %%, with the
 * length modifiers l, ll and z, the flags '0' (zero-pad) and '-' (left-justify), a field
 * width, and for %s a precision (".N" or ".*": print at most N bytes). %p prints "0x" and 16
 * hex digits. Anything else is printed as written. */
#ifndef ROMS_LIB_PRINTF_H
#define ROMS_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Return the number of bytes produced. */
__attribute__((format(printf, 1, 2))) int printf(const char* fmt, ...);
int vprintf(const char* fmt, va_list ap);

/* As in C: at most size - 1 bytes and a NUL are stored (nothing if size is 0); the return
 * value is the length the whole output would have had. */
__attribute__((format(printf, 3, 4))) int snprintf(char* buf, size_t size, const char* fmt, ...);
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);

#endif

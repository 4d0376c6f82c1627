/* The C library's memory and string functions, for ROMs with no libc. The compiler may also
 * call memcpy/memset/memmove/memcmp on its own (struct copies, zeroing). */
#ifndef ROMS_LIB_STRING_H
#define ROMS_LIB_STRING_H

#include <stddef.h>

void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);

#endif

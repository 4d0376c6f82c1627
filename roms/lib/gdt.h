/* Segment selectors of the ROMs' GDT (lib/gdt.S). Usable from C and from assembly. */
#ifndef ROMS_LIB_GDT_H
#define ROMS_LIB_GDT_H

#define GDT_CODE32 0x08 /* flat 32-bit code: the entry code before long mode */
#define GDT_DATA 0x10   /* flat writable data, for both modes */
#define GDT_CODE64 0x18 /* 64-bit code (L=1) */

#endif

/* The ROMs' global descriptor table, used from the 32-bit entry on and in 64-bit mode.
 * Intel SDM, Dec 2023 (Order 325462-081).
 * Descriptors are flat (base 0, limit 4 GiB). The accessed bit is preset so that loading a
 * segment register never writes to this table. SDM Vol. 3A, "Segment Descriptors" and
 * "Code Segment Descriptor in 64-bit Mode" (L=1, D=0). Selectors are in gdt.h. */
#include "gdt.h"

    .section .data.gdt, "aw"
    .balign 16
    .globl gdt
gdt:
    .quad 0                  /* null */
    .quad 0x00CF9B000000FFFF /* GDT_CODE32: P, DPL0, code exec/read, G, D=1 */
    .quad 0x00CF93000000FFFF /* GDT_DATA:   P, DPL0, data read/write, G, B=1 */
    .quad 0x00AF9B000000FFFF /* GDT_CODE64: P, DPL0, code exec/read, G, L=1 */
gdt_end:

    /* Pseudo-descriptor for LGDT: 16-bit limit, then the base (32 bits are read in
     * protected mode, 64 in 64-bit mode; the upper half is zero). */
    .balign 16
    .globl gdt_pointer
gdt_pointer:
    .word gdt_end - gdt - 1
    .quad gdt

    .section .note.GNU-stack, "", @progbits

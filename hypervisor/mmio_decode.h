/* Decoding the one instruction that touched an emulated MMIO page: an EPT violation says
 * where and whether it was a read or a write, but not the data or the register, so the
 * hypervisor reads the instruction at the guest's RIP. Only the MOV forms compilers use for
 * device registers are handled; anything else stops the guest with a report. */
#ifndef HYPERVISOR_MMIO_DECODE_H
#define HYPERVISOR_MMIO_DECODE_H

#include <stdint.h>

struct mmio_insn {
    unsigned length; /* bytes, to skip it */
    unsigned size;   /* access size: 1, 2, 4 or 8 */
    int is_write;
    int reg;         /* register operand (x86 number), or -1 for an immediate */
    int high_byte;   /* AH/CH/DH/BH: bits 15:8 of reg & 3 */
    int zero_extend; /* MOVZX: the load zero-extends into the whole register */
    uint64_t imm;
};

/* Decodes `bytes` (up to 15 valid). `long_mode` = 64-bit code segment. Returns 0 or -1. */
int mmio_decode(const uint8_t* bytes, unsigned avail, int long_mode, struct mmio_insn* out);

#endif

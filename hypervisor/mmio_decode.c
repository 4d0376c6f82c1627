/* MOV decoding for MMIO emulation (see mmio_decode.h). Intel SDM, Dec 2023 (Order
 * 325462-081), Vol. 2, "Instruction Format" (prefixes, REX, ModR/M, SIB, displacement) and
 * "MOV", "MOVZX". Handled: 88/89 (store register), 8A/8B (load register), C6/C7 /0 (store
 * immediate), A0-A3 (moffs), 0F B6/B7 (MOVZX load). The file is also valid C++, so that
 * tests/hypervisor can compile it. */
#include "mmio_decode.h"

/* Bytes of ModR/M, SIB and displacement that follow the opcode. */
static int modrm_length(const uint8_t* p, unsigned avail, int addr16) {
    if (avail < 1) return -1;
    unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
    if (addr16) return -1; /* 16-bit addressing: not used by any guest here */
    if (mod != 3 && rm == 4) {
        if (avail < 2) return -1;
        n++;
        if (mod == 0 && (p[1] & 7) == 5) n += 4; /* SIB without base: disp32 */
    }
    if (mod == 0 && rm == 5)
        n += 4; /* disp32 (RIP-relative in 64-bit mode) */
    else if (mod == 1)
        n += 1;
    else if (mod == 2)
        n += 4;
    if (mod == 3) return -1; /* a register operand cannot be MMIO */
    return n <= avail ? (int)n : -1;
}

int mmio_decode(const uint8_t* b, unsigned avail, int long_mode, struct mmio_insn* out) {
    unsigned i = 0, opsize16 = 0, addr_override = 0, rex = 0;
    for (; i < avail; i++) {
        uint8_t c = b[i];
        if (c == 0x66)
            opsize16 = 1;
        else if (c == 0x67)
            addr_override = 1;
        else if (c == 0x2E || c == 0x36 || c == 0x3E || c == 0x26 || c == 0x64 || c == 0x65 ||
                 c == 0xF0)
            continue;
        else
            break;
    }
    if (long_mode && i < avail && (b[i] & 0xF0) == 0x40) rex = b[i++];
    if (i >= avail) return -1;
    unsigned w = (rex >> 3) & 1, r = (rex >> 2) & 1;
    unsigned wide = w ? 8 : opsize16 ? 2 : 4;
    int addr16 = !long_mode && addr_override;
    uint8_t op = b[i++];
    out->length = out->size = 0;
    out->is_write = out->high_byte = out->zero_extend = 0;
    out->reg = -1;
    out->imm = 0;
    int n;
    switch (op) {
    case 0x88:
    case 0x89:
    case 0x8A:
    case 0x8B:
        if ((n = modrm_length(b + i, avail - i, addr16)) < 0) return -1;
        out->size = (op & 1) ? wide : 1;
        out->is_write = op <= 0x89;
        out->reg = (int)(((b[i] >> 3) & 7) | (r << 3));
        if (out->size == 1 && !rex && out->reg >= 4) { /* AH, CH, DH, BH */
            out->reg -= 4;
            out->high_byte = 1;
        }
        i += (unsigned)n;
        break;
    case 0xC6:
    case 0xC7: {
        if (((b[i] >> 3) & 7) != 0) return -1;
        if ((n = modrm_length(b + i, avail - i, addr16)) < 0) return -1;
        out->size = op == 0xC6 ? 1 : wide;
        out->is_write = 1;
        i += (unsigned)n;
        unsigned isize = out->size == 1 ? 1 : out->size == 2 ? 2 : 4;
        if (i + isize > avail) return -1;
        uint64_t imm = 0;
        for (unsigned k = 0; k < isize; k++)
            imm |= (uint64_t)b[i + k] << (8 * k);
        if (isize == 4 && out->size == 8 && (imm & 0x80000000u)) imm |= 0xFFFFFFFF00000000ull;
        out->imm = imm;
        i += isize;
        break;
    }
    case 0xA0:
    case 0xA1:
    case 0xA2:
    case 0xA3: {
        unsigned asize = long_mode ? (addr_override ? 4 : 8) : (addr_override ? 2 : 4);
        out->size = (op & 1) ? wide : 1;
        out->is_write = op >= 0xA2;
        out->reg = 0; /* AL/AX/EAX/RAX */
        i += asize;
        break;
    }
    case 0x0F:
        if (i >= avail || (b[i] != 0xB6 && b[i] != 0xB7)) return -1;
        out->size = b[i] == 0xB6 ? 1 : 2;
        i++;
        if ((n = modrm_length(b + i, avail - i, addr16)) < 0) return -1;
        out->reg = (int)(((b[i] >> 3) & 7) | (r << 3));
        out->zero_extend = 1;
        i += (unsigned)n;
        break;
    default: return -1;
    }
    if (i > avail || i > 15) return -1;
    out->length = i;
    return 0;
}

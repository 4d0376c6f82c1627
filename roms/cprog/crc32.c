/* Table-driven CRC-32, one byte per step. The table is computed at start-up, so the program
 * exercises the shift/xor loop as well as the table lookups. */
#include "crc32.h"

static uint32_t table[256];

void crc32_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        table[i] = c;
    }
}

uint32_t crc32(const void* data, size_t len) {
    const uint8_t* p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

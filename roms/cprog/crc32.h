/* CRC-32 as used by Ethernet, zlib and PNG: reflected polynomial 0xEDB88320, initial value
 * and final XOR 0xFFFFFFFF. crc32("123456789") = 0xCBF43926. */
#ifndef ROMS_CPROG_CRC32_H
#define ROMS_CPROG_CRC32_H

#include <stddef.h>
#include <stdint.h>

void crc32_init(void);
uint32_t crc32(const void* data, size_t len);

#endif

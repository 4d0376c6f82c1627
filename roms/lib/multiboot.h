/* Multiboot v1: the header a kernel carries and the boot information a loader hands it.
 * Source: "Multiboot Specification version 0.6.96", sections "Header layout",
 * "Machine state" and "Boot information format". Usable from C and from assembly. */
#ifndef ROMS_LIB_MULTIBOOT_H
#define ROMS_LIB_MULTIBOOT_H

#define MB_HEADER_MAGIC 0x1BADB002 /* in the image, first 8 KiB, 4-byte aligned */
#define MB_BOOT_MAGIC 0x2BADB002   /* in EAX at entry */

/* Header flags we request. */
#define MB_HEADER_PAGE_ALIGN (1 << 0) /* modules on 4 KiB boundaries */
#define MB_HEADER_MEMINFO (1 << 1)    /* mem_lower/upper and the memory map */
#define MB_HEADER_FLAGS (MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMINFO)

/* Boot information flags: which fields of struct mb_info are valid. */
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_BOOTDEV (1u << 1)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)

/* Memory map entry types. */
#define MB_MMAP_AVAILABLE 1
#define MB_MMAP_RESERVED 2
#define MB_MMAP_ACPI 3
#define MB_MMAP_NVS 4
#define MB_MMAP_BAD 5

#ifndef __ASSEMBLER__
#include <stdint.h>

/* All addresses are 32-bit physical; the ROMs identity-map them. */
struct mb_info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB below 1 MiB */
    uint32_t mem_upper; /* KiB above 1 MiB, up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
};

struct mb_module {
    uint32_t mod_start;
    uint32_t mod_end; /* one past the last byte */
    uint32_t cmdline;
    uint32_t reserved;
};

/* `size` counts the bytes that follow it, so the next entry is at +size+4. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
} __attribute__((packed));
#endif

#endif

/* Guest creation (see guest_load.h): options, RAM slice, ELF image, and the machine state a
 * Multiboot loader promises (Multiboot Specification 0.6.96, "Machine state" and "Boot
 * information format"): EAX = 0x2BADB002, EBX = the information, 32-bit protected mode with
 * paging off. The VMCS side of that state is in vmcs_setup.c. */
#include "guest_load.h"

#include "guest.h"
#include "lib/multiboot.h"
#include "lib/printf.h"
#include "lib/string.h"

#define DEFAULT_RAM (4ull << 20)
#define MAX_RAM (1ull << 30)
#define RAM_ALIGN (2ull << 20)
#define PDE_4M_IDENTITY 0xE7u /* P, RW, US, A, D, PS: A and D preset, nothing is written */

struct elf_phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

/* Guest RAM must not show the guest what was there before: zeroed 8 bytes per iteration
 * (REP STOSQ), since it is megabytes. */
static void zero_memory(uint64_t base, uint64_t size) {
    uint64_t count = size / 8;
    void* dst = (void*)(uintptr_t)base;
    __asm__ volatile("rep stosq" : "+D"(dst), "+c"(count) : "a"(0ull) : "memory");
}

/* The value of option "key=" in the command line, copied into out; 0 if absent. */
static int option(const char* cmdline, const char* key, char* out, size_t size) {
    size_t klen = strlen(key);
    for (const char* p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char* end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = (size_t)(end - p) - klen - 1;
            if (n >= size) n = size - 1;
            memcpy(out, p + klen + 1, n);
            out[n] = 0;
            return 1;
        }
        p = end;
    }
    return 0;
}

static uint64_t parse_size(const char* s) {
    uint64_t n = 0;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (uint64_t)(*s++ - '0');
    if (*s == 'K' || *s == 'k')
        n <<= 10, s++;
    else if (*s == 'M' || *s == 'm')
        n <<= 20, s++;
    else if (*s == 'G' || *s == 'g')
        n <<= 30, s++;
    return *s ? 0 : n;
}

/* The default name: the image's base name without ".elf". */
static void default_name(struct guest* g) {
    const char* p = g->cmdline;
    const char* end = p;
    while (*end && *end != ' ')
        end++;
    for (const char* q = p; q < end; q++)
        if (*q == '/') p = q + 1;
    if (end - p > 4 && memcmp(end - 4, ".elf", 4) == 0) end -= 4;
    size_t n = (size_t)(end - p) < sizeof(g->name) - 1 ? (size_t)(end - p) : sizeof(g->name) - 1;
    memcpy(g->name, p, n);
    g->name[n] = 0;
}

static int read_phdr(const uint8_t* img, size_t size, unsigned i, struct elf_phdr* ph) {
    int is64 = img[4] == 2;
    uint64_t phoff = is64 ? *(const uint64_t*)(img + 32) : *(const uint32_t*)(img + 28);
    uint16_t phentsize = *(const uint16_t*)(img + (is64 ? 54 : 42));
    uint64_t at = phoff + (uint64_t)i * phentsize;
    if (at + (is64 ? 56 : 32) > size) return -1;
    const uint8_t* p = img + at;
    if (is64) {
        *ph = (struct elf_phdr){*(const uint32_t*)p, *(const uint64_t*)(p + 8),
                                *(const uint64_t*)(p + 24), *(const uint64_t*)(p + 32),
                                *(const uint64_t*)(p + 40)};
    } else {
        *ph = (struct elf_phdr){*(const uint32_t*)p, *(const uint32_t*)(p + 4),
                                *(const uint32_t*)(p + 12), *(const uint32_t*)(p + 16),
                                *(const uint32_t*)(p + 20)};
    }
    return 0;
}

/* Copies the PT_LOAD segments into guest RAM at their physical addresses. */
static int load_elf(struct guest* g, const uint8_t* img, size_t size) {
    if (size < 64 ||
        memcmp(img,
               "\x7F"
               "ELF",
               4) != 0 ||
        (img[4] != 1 && img[4] != 2) || img[5] != 1) {
        printf("hv: %s: the module is not a little-endian ELF image\n", g->name);
        return -1;
    }
    int is64 = img[4] == 2;
    g->entry = is64 ? *(const uint64_t*)(img + 24) : *(const uint32_t*)(img + 24);
    uint16_t phnum = *(const uint16_t*)(img + (is64 ? 56 : 44));
    for (unsigned i = 0; i < phnum; i++) {
        struct elf_phdr ph;
        if (read_phdr(img, size, i, &ph))
            return printf("hv: %s: bad program headers\n", g->name), -1;
        if (ph.type != 1) continue; /* PT_LOAD */
        if (ph.filesz > ph.memsz || ph.offset + ph.filesz > size || ph.paddr < GUEST_RESERVED_END ||
            ph.memsz > g->ram_size || ph.paddr > g->ram_size - ph.memsz) {
            printf("hv: %s: segment at 0x%lx (+0x%lx) does not fit its %lu KiB of RAM\n", g->name,
                   (unsigned long)ph.paddr, (unsigned long)ph.memsz,
                   (unsigned long)(g->ram_size >> 10));
            return -1;
        }
        uint8_t* dst = (uint8_t*)(uintptr_t)(g->ram_host + ph.paddr);
        memcpy(dst, img + ph.offset, ph.filesz);
        memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
    }
    return 0;
}

static void add_mmap(struct mb_mmap_entry* e, uint64_t base, uint64_t length, uint32_t type) {
    *e = (struct mb_mmap_entry){sizeof(*e) - 4, base, length, type};
}

/* Multiboot information at GUEST_BOOT_INFO: memory sizes, memory map, command line. */
static uint32_t write_boot_info(struct guest* g) {
    uint8_t* base = (uint8_t*)(uintptr_t)(g->ram_host + GUEST_BOOT_INFO);
    struct mb_info* info = (struct mb_info*)base;
    struct mb_mmap_entry* map = (struct mb_mmap_entry*)(base + 0x100);
    char* cmdline = (char*)(base + 0x200);
    add_mmap(&map[0], 0, GUEST_BOOT_INFO, MB_MMAP_AVAILABLE);
    add_mmap(&map[1], GUEST_BOOT_INFO, GUEST_RESERVED_END - GUEST_BOOT_INFO, MB_MMAP_RESERVED);
    add_mmap(&map[2], GUEST_RESERVED_END, 0x9FC00 - GUEST_RESERVED_END, MB_MMAP_AVAILABLE);
    add_mmap(&map[3], 0x100000, g->ram_size - 0x100000, MB_MMAP_AVAILABLE);
    size_t n = strlen(g->cmdline);
    if (n > 0xDFF) n = 0xDFF;
    memcpy(cmdline, g->cmdline, n);
    cmdline[n] = 0;
    *info = (struct mb_info){0};
    info->flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP;
    info->mem_lower = 639;
    info->mem_upper = (uint32_t)((g->ram_size - 0x100000) >> 10);
    info->cmdline = GUEST_BOOT_INFO + 0x200;
    info->mmap_addr = GUEST_BOOT_INFO + 0x100;
    info->mmap_length = 4 * sizeof(struct mb_mmap_entry);
    return GUEST_BOOT_INFO;
}

/* While the guest believes paging is off, it really runs with 32-bit paging through this
 * identity map of 4 GiB in 4 MiB pages: VMX without "unrestricted guest" requires CR0.PG = 1
 * (SDM Vol. 3C, "VMX-Fixed Bits in CR0"). EPT still limits it to its own RAM. */
static void write_identity_pd(struct guest* g) {
    uint32_t* pd = (uint32_t*)(uintptr_t)(g->ram_host + GUEST_IDENTITY_PD);
    for (uint32_t i = 0; i < 1024; i++)
        pd[i] = (i << 22) | PDE_4M_IDENTITY;
}

int guest_load(struct guest* g, const uint8_t* start, const uint8_t* end, const char* cmdline,
               uint64_t* next_free, uint64_t host_ram_end) {
    char value[32];
    g->cmdline = cmdline;
    if (option(cmdline, "name", value, sizeof(value))) {
        memcpy(g->name, value, sizeof(g->name) - 1);
        g->name[sizeof(g->name) - 1] = 0;
    } else {
        default_name(g);
    }
    g->ram_size = DEFAULT_RAM;
    if (option(cmdline, "mem", value, sizeof(value))) {
        g->ram_size = parse_size(value);
        if (!g->ram_size || g->ram_size % RAM_ALIGN || g->ram_size > MAX_RAM) {
            printf("hv: %s: mem=%s: expected a multiple of 2M, at most 1G\n", g->name, value);
            return -1;
        }
    }
    g->ram_host = (*next_free + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);
    if (g->ram_host + g->ram_size > host_ram_end) {
        printf("hv: %s: not enough host memory for %lu KiB\n", g->name,
               (unsigned long)(g->ram_size >> 10));
        return -1;
    }
    *next_free = g->ram_host + g->ram_size;
    zero_memory(g->ram_host, g->ram_size);
    if (load_elf(g, start, (size_t)(end - start))) return -1;
    write_identity_pd(g);
    g->gpr[RAX] = MB_BOOT_MAGIC;
    g->gpr[RBX] = write_boot_info(g);
    return 0;
}

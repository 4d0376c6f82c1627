/* Multiboot boot information accessors. Layouts: Multiboot Specification 0.6.96,
 * "Boot information format". */
#include "mbinfo.h"

static const void* phys_ptr(uint32_t phys) {
    return (const void*)(uintptr_t)phys;
}

const struct mb_info* mb_info_at(uint32_t phys) {
    return phys_ptr(phys);
}

const char* mb_cmdline(const struct mb_info* mbi) {
    if ((mbi->flags & MB_INFO_CMDLINE) == 0 || mbi->cmdline == 0) return "";
    return phys_ptr(mbi->cmdline);
}

struct mb_words mb_split_cmdline(const char* cmdline) {
    const char* p = cmdline;
    while (*p == ' ')
        p++;
    const char* base = p;
    for (; *p != '\0' && *p != ' '; p++)
        if (*p == '/') base = p + 1;
    struct mb_words w = {.name = base, .name_len = (size_t)(p - base)};
    while (*p == ' ')
        p++;
    w.args = p;
    return w;
}

uint32_t mb_module_count(const struct mb_info* mbi) {
    return (mbi->flags & MB_INFO_MODS) ? mbi->mods_count : 0;
}

const struct mb_module* mb_module(const struct mb_info* mbi, uint32_t index) {
    if (index >= mb_module_count(mbi)) return NULL;
    const struct mb_module* mods = phys_ptr(mbi->mods_addr);
    return &mods[index];
}

static int mmap_contains(const struct mb_info* mbi, const struct mb_mmap_entry* e) {
    uintptr_t start = mbi->mmap_addr;
    uintptr_t end = start + mbi->mmap_length;
    uintptr_t at = (uintptr_t)e;
    /* The whole entry must fit, so a bad length cannot walk us off the end. */
    return at >= start && at + sizeof(*e) <= end;
}

const struct mb_mmap_entry* mb_mmap_first(const struct mb_info* mbi) {
    if ((mbi->flags & MB_INFO_MMAP) == 0) return NULL;
    const struct mb_mmap_entry* e = phys_ptr(mbi->mmap_addr);
    return mmap_contains(mbi, e) ? e : NULL;
}

/* `size` excludes itself, hence the + 4. */
const struct mb_mmap_entry* mb_mmap_next(const struct mb_info* mbi, const struct mb_mmap_entry* e) {
    const struct mb_mmap_entry* next = (const void*)((const char*)e + e->size + sizeof(e->size));
    return mmap_contains(mbi, next) ? next : NULL;
}

const char* mb_mmap_type_name(uint32_t type) {
    switch (type) {
    case MB_MMAP_AVAILABLE: return "available";
    case MB_MMAP_RESERVED: return "reserved";
    case MB_MMAP_ACPI: return "ACPI reclaimable";
    case MB_MMAP_NVS: return "ACPI NVS";
    case MB_MMAP_BAD: return "bad";
    default: return "unknown";
    }
}

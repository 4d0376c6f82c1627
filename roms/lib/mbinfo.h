/* Reading the Multiboot boot information: command line, modules, memory map. Every accessor
 * checks the flag that says whether its field is valid. */
#ifndef ROMS_LIB_MBINFO_H
#define ROMS_LIB_MBINFO_H

#include <stddef.h>
#include <stdint.h>

#include "multiboot.h"

/* Turns the 32-bit physical address the loader gave into a pointer (identity-mapped). */
const struct mb_info* mb_info_at(uint32_t phys);

/* The command line, or "" if the loader gave none. */
const char* mb_cmdline(const struct mb_info* mbi);

/* A command line split as QEMU and hvlab build it: the image's file name first, then the
 * arguments. `name` is the base name of the first word (no directories, so the same ROM run
 * from any path prints the same), `args` is the rest with leading spaces skipped. */
struct mb_words {
    const char* name;
    size_t name_len;
    const char* args;
};
struct mb_words mb_split_cmdline(const char* cmdline);

uint32_t mb_module_count(const struct mb_info* mbi);
const struct mb_module* mb_module(const struct mb_info* mbi, uint32_t index);

/* Memory map iteration: for (e = mb_mmap_first(mbi); e; e = mb_mmap_next(mbi, e)). */
const struct mb_mmap_entry* mb_mmap_first(const struct mb_info* mbi);
const struct mb_mmap_entry* mb_mmap_next(const struct mb_info* mbi, const struct mb_mmap_entry* e);
const char* mb_mmap_type_name(uint32_t type);

#endif

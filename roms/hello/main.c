/* hello: the first ROM. It prints what the Multiboot loader handed over (command line,
 * memory sizes, memory map, modules) so that a run exercises the loader as well as the CPU,
 * then ends through debug-exit with status HELLO_EXIT_STATUS.
 * It prints only what QEMU's -kernel loader and hvlab's report identically: no loader name,
 * no addresses the loader is free to choose, and file base names, not paths. The memory
 * sizes and map are QEMU's for -m 256 (SeaBIOS's E820 table, including its reservation below
 * the top of low RAM and QEMU's HyperTransport hole at 0xFD00000000); hvlab's loader is to
 * report the same. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/mbinfo.h"
#include "lib/printf.h"
#include "lib/serial.h"

#define HELLO_EXIT_STATUS 0x10 /* process exit status (0x10 << 1) | 1 = 33 */
#define MODULE_PREVIEW 32      /* bytes of each module's first line to print */

static void print_cmdline(const struct mb_info* mbi) {
    struct mb_words w = mb_split_cmdline(mb_cmdline(mbi));
    printf("image: %.*s\n", (int)w.name_len, w.name);
    printf("arguments: \"%s\"\n", w.args);
}

static void print_memory(const struct mb_info* mbi) {
    if (mbi->flags & MB_INFO_MEMORY)
        printf("memory: lower %u KiB, upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
    for (const struct mb_mmap_entry* e = mb_mmap_first(mbi); e; e = mb_mmap_next(mbi, e)) {
        printf("mmap: %016llx-%016llx %s\n", (unsigned long long)e->base_addr,
               (unsigned long long)(e->base_addr + e->length - 1), mb_mmap_type_name(e->type));
    }
}

/* The first line of a module's contents, at most MODULE_PREVIEW bytes of it. */
static int first_line_length(const char* data, uint32_t size) {
    int n = 0;
    while ((uint32_t)n < size && n < MODULE_PREVIEW && data[n] != '\n')
        n++;
    return n;
}

static void print_modules(const struct mb_info* mbi) {
    uint32_t count = mb_module_count(mbi);
    printf("modules: %u\n", count);
    for (uint32_t i = 0; i < count; i++) {
        const struct mb_module* m = mb_module(mbi, i);
        const char* data = (const char*)(uintptr_t)m->mod_start;
        uint32_t size = m->mod_end - m->mod_start;
        struct mb_words w = mb_split_cmdline((const char*)(uintptr_t)m->cmdline);
        printf("module %u: %.*s, %u bytes, page-aligned %s, arguments \"%s\"\n", i, (int)w.name_len,
               w.name, size, (m->mod_start & 0xFFF) ? "no" : "yes", w.args);
        printf("module %u: first line \"%.*s\"\n", i, first_line_length(data, size), data);
    }
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    serial_init();
    const struct mb_info* mbi = mb_info_at(mbinfo);
    printf("Hello from the hvlab hello ROM, running in 64-bit mode.\n");
    printf("multiboot magic: 0x%08x\n", magic);
    print_cmdline(mbi);
    print_memory(mbi);
    print_modules(mbi);
    printf("bye: debug-exit 0x%x, exit status %u\n", HELLO_EXIT_STATUS,
           (HELLO_EXIT_STATUS << 1) | 1);
    debug_exit(HELLO_EXIT_STATUS);
}

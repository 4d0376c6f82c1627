/* The teaching hypervisor: a Multiboot kernel whose modules are its guests (hypervisor/
 * README.md). It enters VMX operation, builds one VMCS and one EPT per guest, runs them
 * round-robin until all have stopped, prints a report and ends through debug-exit:
 * status 33 (0x10) if every guest finished by itself, 35 (0x11) if one had to be stopped. */
#include <stdarg.h>

#include "console.h"
#include "ept.h"
#include "guest.h"
#include "guest_load.h"
#include "host.h"
#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/mbinfo.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "report.h"
#include "scheduler.h"
#include "vmcs_setup.h"
#include "vmx_enable.h"

#define HV_EXIT_ALL_FINISHED 0x10
#define HV_EXIT_SOME_STOPPED 0x11
#define HV_EXIT_SETUP_FAILED 0x12

struct guest guests[MAX_GUESTS];
int guest_count;
static uint8_t vmcs_regions[MAX_GUESTS][4096] __attribute__((aligned(4096)));
extern char __bss_end[];

void guest_stop(struct guest* g, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->stop_reason, sizeof(g->stop_reason), fmt, ap);
    va_end(ap);
    g->state = GUEST_STOPPED;
    console_flush(g);
    printf("hv: guest %s stopped: %s\n", g->name, g->stop_reason);
}

static void fail(const char* what) {
    printf("hv: %s; stopping\n", what);
    debug_exit(HV_EXIT_SETUP_FAILED);
}

/* Guest RAM comes after everything the boot loader placed: this image, the boot
 * information, the modules and their command lines. */
static uint64_t first_free_address(const struct mb_info* mbi) {
    uint64_t end = (uint64_t)(uintptr_t)__bss_end;
    uint64_t info_end = (uint64_t)(uintptr_t)mbi + sizeof(*mbi);
    if (info_end > end) end = info_end;
    for (uint32_t i = 0; i < mb_module_count(mbi); i++) {
        const struct mb_module* m = mb_module(mbi, i);
        uint64_t cmd_end = m->cmdline + strlen((const char*)(uintptr_t)m->cmdline) + 1;
        uint64_t table_end = (uint64_t)(uintptr_t)(m + 1);
        if (m->mod_end > end) end = m->mod_end;
        if (cmd_end > end) end = cmd_end;
        if (table_end > end) end = table_end;
    }
    return end;
}

static void create_guests(const struct mb_info* mbi, const struct host_tables* host) {
    uint64_t next_free = first_free_address(mbi);
    uint64_t ram_end = (mbi->flags & MB_INFO_MEMORY) ? (uint64_t)(mbi->mem_upper + 1024) << 10 : 0;
    uint8_t initial_fpu[512] __attribute__((aligned(16)));
    __asm__ volatile("fninit; fxsave64 %0" : "=m"(initial_fpu));
    uint32_t n = mb_module_count(mbi);
    if (n == 0) fail("no guests: give each one as a Multiboot module");
    if (n > MAX_GUESTS) fail("too many guests (at most 4)");
    for (uint32_t i = 0; i < n; i++) {
        const struct mb_module* m = mb_module(mbi, i);
        struct guest* g = &guests[i];
        g->index = (int)i;
        g->vpid = (uint16_t)(i + 1);
        g->vmcs = vmcs_regions[i];
        g->exit_status = -1;
        memcpy(g->fpu, initial_fpu, sizeof(initial_fpu));
        if (guest_load(g, (const uint8_t*)(uintptr_t)m->mod_start,
                       (const uint8_t*)(uintptr_t)m->mod_end, (const char*)(uintptr_t)m->cmdline,
                       &next_free, ram_end))
            fail("a guest could not be loaded");
        vlapic_reset(&g->lapic);
        ept_build(g);
        vmcs_setup(g, host);
        guest_count++;
        /* hvlab run --stats names its per-VMCS table from this line (ui/cli/run_stats.cpp). */
        printf("hv: guest %s: %lu KiB at host 0x%lx, VMCS 0x%lx, entry 0x%lx, \"%s\"\n", g->name,
               (unsigned long)(g->ram_size >> 10), (unsigned long)g->ram_host,
               (unsigned long)(uintptr_t)g->vmcs, (unsigned long)g->entry, g->cmdline);
    }
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    serial_init();
    printf("hv: teaching hypervisor (VT-x with EPT), guests from Multiboot modules\n");
    if (vmx_enable()) fail("cannot enter VMX operation");
    struct host_tables host;
    host_init(&host);
    create_guests(mb_info_at(mbinfo), &host);
    run_guests();
    report_print();
    int all_finished = 1;
    for (int i = 0; i < guest_count; i++)
        if (guests[i].exit_status < 0) all_finished = 0;
    debug_exit(all_finished ? HV_EXIT_ALL_FINISHED : HV_EXIT_SOME_STOPPED);
}

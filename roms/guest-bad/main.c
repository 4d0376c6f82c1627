/* guest-bad: a guest that misbehaves on purpose, so that the hypervisor's isolation can be
 * seen and tested. The command line chooses how:
 *   fault=write    write to guest-physical 0x30000000, far outside the memory it was given
 *                  (the hypervisor's EPT maps only the guest's own RAM: an EPT violation)
 *   fault=triple   load an empty IDT and raise #UD: #UD cannot be delivered, the #DF that
 *                  follows cannot either, so the CPU shuts down (a triple fault;
 *                  SDM Vol. 3A, "Interrupt 8-Double Fault Exception (#DF)")
 * On bare hvlab the write lands on nothing and the guest ends normally; the triple fault
 * shuts the machine down. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/mbinfo.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"

#define WILD_ADDRESS 0x30000000ul
#define SURVIVED_STATUS 0x18   /* (0x18 << 1) | 1 = 49: the fault did not stop the guest */
#define BAD_OPTION_STATUS 0x19 /* 51 */

static int has_option(const char* args, const char* option) {
    size_t n = strlen(option);
    for (const char* p = args; *p;) {
        while (*p == ' ')
            p++;
        const char* end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) == n && memcmp(p, option, n) == 0) return 1;
        p = end;
    }
    return 0;
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    serial_init();
    struct mb_words w = mb_split_cmdline(mb_cmdline(mb_info_at(mbinfo)));
    if (has_option(w.args, "fault=write")) {
        printf("guest-bad: writing to 0x%lx, outside my memory\n", WILD_ADDRESS);
        *(volatile uint32_t*)WILD_ADDRESS = 0xBAD;
        printf("guest-bad: the write did not stop me\n");
        debug_exit(SURVIVED_STATUS);
    }
    if (has_option(w.args, "fault=triple")) {
        printf("guest-bad: empty IDT, then UD2: a triple fault\n");
        struct {
            uint16_t limit;
            uint64_t base;
        } __attribute__((packed)) empty = {0, 0};
        __asm__ volatile("lidt %0\n\tud2" : : "m"(empty));
        printf("guest-bad: still running after a triple fault\n");
        debug_exit(SURVIVED_STATUS);
    }
    printf("guest-bad: no fault= option (fault=write or fault=triple) in \"%s\"\n", w.args);
    debug_exit(BAD_OPTION_STATUS);
}

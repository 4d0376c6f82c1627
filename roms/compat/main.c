/* compat: runs 32-bit code in compatibility mode and comes back, checking that both switches
 * land where they should and that compatibility mode behaves as 32-bit code: a checksum loop
 * there must equal the same C computed in 64-bit mode, 0x40 must be INC EAX (not REX), a
 * PUSH must move ESP by 4. Transfers: CALL FAR m16:32 and RET FAR (32-bit), RET FAR with
 * REX.W, JMP FAR ptr16:32 (modes.S). Ends with debug-exit COMPAT_PASS (exit status 41) if
 * every check held, COMPAT_FAIL (3) if not. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/gdt.h"
#include "lib/kmain.h"
#include "lib/lcg.h"
#include "lib/printf.h"
#include "lib/serial.h"

#define COMPAT_PASS 0x14 /* exit status (0x14 << 1) | 1 = 41 */
#define COMPAT_FAIL 0x01 /* exit status 3 */
#define WORDS 1024
#define DATA_SEED 0x452821E638D01377ull

struct compat_observations {
    uint32_t inc40_compat;      /* EAX after "xor eax, eax; 0x40" in compatibility mode */
    uint32_t push_width_compat; /* bytes a PUSH moved ESP there */
    uint32_t cs_compat;         /* CS there */
    uint32_t inc40_64;          /* EAX after the same bytes in 64-bit mode */
};

uint32_t compat_checksum(const uint32_t* data, uint32_t count);
void compat_probe(struct compat_observations* out);

static uint32_t data[WORDS];
static int failures;

static void expect(const char* what, uint32_t got, uint32_t want) {
    printf("%-36s %08x %s\n", what, got, got == want ? "ok" : "WRONG");
    failures += got != want;
}

/* The reference for checksum32 in modes.S. */
static uint32_t checksum64(const uint32_t* d, uint32_t n) {
    uint32_t h = 0;
    for (uint32_t i = 0; i < n; i++) {
        h = (h << 5 | h >> 27) ^ d[i];
        h += i * 0x9E3779B9u;
    }
    return h;
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("compat: 64-bit mode <-> compatibility mode round trips\n");
    struct lcg g = {DATA_SEED};
    for (uint32_t i = 0; i < WORDS; i++)
        data[i] = lcg_next(&g);

    uint32_t want = checksum64(data, WORDS);
    expect("checksum in compatibility mode", compat_checksum(data, WORDS), want);
    expect("checksum of 0 words", compat_checksum(data, 0), 0);

    struct compat_observations o;
    compat_probe(&o);
    expect("0x40 in compatibility mode (INC EAX)", o.inc40_compat, 1);
    expect("PUSH width in compatibility mode", o.push_width_compat, 4);
    expect("CS in compatibility mode", o.cs_compat, GDT_CODE32);
    expect("0x40 in 64-bit mode (REX prefix)", o.inc40_64, 0);

    uint16_t cs;
    __asm__ volatile("movw %%cs, %0" : "=r"(cs));
    expect("CS back in 64-bit mode", cs, GDT_CODE64);
    if (failures == 0) {
        printf("compat: PASS\n");
        debug_exit(COMPAT_PASS);
    }
    printf("compat: FAIL (%d checks)\n", failures);
    debug_exit(COMPAT_FAIL);
}

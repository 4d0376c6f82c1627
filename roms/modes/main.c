/* modes: leaves 64-bit mode for compatibility mode and for 32-bit protected mode (IA-32e mode
 * off, paging off) and comes back, checking that each switch lands where it should and that
 * the 32-bit modes behave as 32-bit code: a checksum loop run there must equal the same C
 * computed in 64-bit mode, 0x40 must be INC EAX (not REX), a PUSH must move ESP by 4, and
 * IA32_EFER.LMA and CR0.PG must read as the mode requires. Transfers (modes.S): CALL FAR
 * m16:32 and ptr16:32, RET FAR (32-bit and REX.W), JMP FAR ptr16:32, MOV to CR0, WRMSR.
 * Ends with debug-exit MODES_PASS (exit status 41) if every check held, MODES_FAIL (3) if
 * not. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/gdt.h"
#include "lib/kmain.h"
#include "lib/lcg.h"
#include "lib/printf.h"
#include "lib/serial.h"

#define MODES_PASS 0x14 /* exit status (0x14 << 1) | 1 = 41 */
#define MODES_FAIL 0x01 /* exit status 3 */
#define WORDS 1024
#define DATA_SEED 0x452821E638D01377ull

struct compat_observations {
    uint32_t inc40_compat;      /* EAX after "xor eax, eax; 0x40" in compatibility mode */
    uint32_t push_width_compat; /* bytes a PUSH moved ESP there */
    uint32_t cs_compat;         /* CS there */
    uint32_t inc40_64;          /* EAX after the same bytes in 64-bit mode */
};

struct mode_switch_observations {
    uint32_t efer_protected; /* IA32_EFER (low half) in 32-bit protected mode */
    uint32_t cr0_protected;  /* CR0 there */
    uint32_t efer_back;      /* IA32_EFER back in 64-bit mode */
};

#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define CR0_PE (1u << 0)
#define CR0_PG (1u << 31)

uint32_t compat_checksum(const uint32_t* data, uint32_t count);
uint32_t protected_mode_checksum(const uint32_t* data, uint32_t count,
                                 struct mode_switch_observations* out);
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
    printf("modes: 64-bit mode <-> compatibility mode and 32-bit protected mode\n");
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

    struct mode_switch_observations m;
    expect("checksum in 32-bit protected mode", protected_mode_checksum(data, WORDS, &m), want);
    expect("EFER.LME|LMA in protected mode", m.efer_protected & (EFER_LME | EFER_LMA), 0);
    expect("CR0.PE|PG in protected mode", m.cr0_protected & (CR0_PE | CR0_PG), CR0_PE);
    expect("EFER.LME|LMA back in 64-bit mode", m.efer_back & (EFER_LME | EFER_LMA),
           EFER_LME | EFER_LMA);

    uint16_t cs;
    __asm__ volatile("movw %%cs, %0" : "=r"(cs));
    expect("CS back in 64-bit mode", cs, GDT_CODE64);
    if (failures == 0) {
        printf("modes: PASS\n");
        debug_exit(MODES_PASS);
    }
    printf("modes: FAIL (%d checks)\n", failures);
    debug_exit(MODES_FAIL);
}

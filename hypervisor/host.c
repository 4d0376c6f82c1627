/* Host GDT, TSS, IDT and timer (see host.h). Intel SDM, Dec 2023 (Order 325462-081),
 * Vol. 3A, "64-Bit TSS", "64-Bit Mode IDT", "TSC-Deadline Mode"; Vol. 3C, "Checks on Host
 * Segment and Descriptor-Table Registers" (TR must not be 0). */
#include "host.h"

#include "lib/string.h"
#include "vmx_defs.h"
#include "vmx_ops.h"

#define LAPIC 0xFEE00000ul
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_LVT_TIMER 0x320
#define LVT_TSC_DEADLINE (2u << 17)

struct table_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static uint64_t gdt[6] __attribute__((aligned(16))) = {
    0,
    0x00CF9B000000FFFF, /* 0x08 32-bit code (lib/entry32.S) */
    0x00CF93000000FFFF, /* 0x10 data */
    0x00AF9B000000FFFF, /* 0x18 64-bit code */
    0,                  /* 0x20 TSS (two slots) */
    0,
};
static uint8_t tss[104] __attribute__((aligned(16)));
static uint64_t idt[256][2] __attribute__((aligned(16)));

extern void host_timer_entry(void); /* vmx_entry.S */

static void lapic_write(uint32_t reg, uint32_t v) {
    *(volatile uint32_t*)(LAPIC + reg) = v;
}

void host_init(struct host_tables* t) {
    uint64_t base = (uint64_t)(uintptr_t)tss;
    *(uint16_t*)(tss + 102) = sizeof(tss); /* no I/O permission bitmap */
    gdt[4] =
        (sizeof(tss) - 1) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 | ((base >> 24) & 0xFF) << 56;
    gdt[5] = base >> 32;
    struct table_pointer g = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0; ltr %w1" : : "m"(g), "r"(HOST_TSS_SELECTOR) : "memory");

    /* Keep lib/trap.c's exception gates (a hypervisor bug is reported like a ROM's). */
    struct table_pointer old;
    __asm__ volatile("sidt %0" : "=m"(old));
    memcpy(idt, (const void*)(uintptr_t)old.base, old.limit + 1u);
    uint64_t h = (uint64_t)(uintptr_t)host_timer_entry;
    idt[HOST_TIMER_VECTOR][0] = (h & 0xFFFF) | (uint64_t)HOST_CODE_SELECTOR << 16 | 0x8Eull << 40 |
                                ((h >> 16) & 0xFFFF) << 48;
    idt[HOST_TIMER_VECTOR][1] = h >> 32;
    struct table_pointer i = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(i));

    lapic_write(LAPIC_SVR, 0x100 | 0xFF); /* software-enable the LAPIC */
    lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | HOST_TIMER_VECTOR);
    t->gdt_base = (uint64_t)(uintptr_t)gdt;
    t->idt_base = (uint64_t)(uintptr_t)idt;
    t->tr_base = base;
}

void host_timer_arm(uint64_t tsc) {
    wrmsr(MSR_TSC_DEADLINE, tsc);
}

void host_timer_eoi(void) {
    lapic_write(LAPIC_EOI, 0);
}

void host_idle(void) {
    /* STI's shadow covers HLT, so an interrupt already pending wakes HLT, not the STI. */
    __asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* The kernel's own GDT (with user segments and a TSS) and IDT (the library's exception gates
 * plus the timer, system-call and spurious vectors). Intel SDM, Dec 2023 (Order 325462-081),
 * Vol. 3A, "Segment Descriptors", "64-Bit TSS" and "64-Bit Mode IDT". */
#include <stddef.h>

#include "kernel.h"
#include "lib/string.h"

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3]; /* stacks for CPL 0-2 on a privilege change */
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

struct table_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT_DPL0 0x8E /* P, DPL 0, 64-bit interrupt gate */
#define GATE_INTERRUPT_DPL3 0xEE /* P, DPL 3: INT n allowed from ring 3 */

/* Accessed bits preset so that loading a selector never writes the table. */
static uint64_t gdt[8] __attribute__((aligned(16))) = {
    0,
    0x00CF9B000000FFFF, /* 0x08 32-bit kernel code (the library's entry code) */
    0x00CF93000000FFFF, /* 0x10 kernel data */
    0x00AF9B000000FFFF, /* 0x18 64-bit kernel code, L = 1 */
    0x00CFF3000000FFFF, /* 0x20 user data, DPL 3 */
    0x00AFFB000000FFFF, /* 0x28 64-bit user code, DPL 3 */
    0,                  /* 0x30 TSS, two slots: filled by descriptors_init */
    0,
};

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
/* The stack the CPU switches to when an interrupt arrives in ring 3 (TSS.RSP0). */
static uint8_t kernel_interrupt_stack[8192] __attribute__((aligned(16)));

extern void timer_entry(void);
extern void syscall_entry(void);
extern void spurious_entry(void);

static void set_gate(unsigned vector, void (*handler)(void), uint8_t type_attr) {
    uint64_t a = (uint64_t)(uintptr_t)handler;
    idt[vector] = (struct idt_gate){.offset_low = (uint16_t)a,
                                    .selector = SEL_KERNEL_CODE,
                                    .type_attr = type_attr,
                                    .offset_mid = (uint16_t)(a >> 16),
                                    .offset_high = (uint32_t)(a >> 32)};
}

/* SDM Vol. 3A, "TSS Descriptor in 64-bit mode": type 9 (available 64-bit TSS), 16 bytes. */
static void install_tss_descriptor(void) {
    uint64_t base = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    gdt[6] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
             ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    gdt[7] = base >> 32;
}

void descriptors_init(void) {
    tss.rsp[0] = (uint64_t)(uintptr_t)(kernel_interrupt_stack + sizeof(kernel_interrupt_stack));
    tss.iomap_base = sizeof(tss); /* no I/O permission bitmap: ring 3 gets no ports */
    install_tss_descriptor();

    struct table_pointer g = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\tmovl %2, %%eax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(g), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA), "r"(SEL_TSS)
                     : "rax", "memory");

    /* Keep the library's exception gates 0-31, which print and stop on a kernel bug. */
    struct table_pointer old;
    __asm__ volatile("sidt %0" : "=m"(old));
    memcpy(idt, (const void*)(uintptr_t)old.base, 32 * sizeof(struct idt_gate));
    set_gate(VECTOR_TIMER, timer_entry, GATE_INTERRUPT_DPL0);
    set_gate(VECTOR_SYSCALL, syscall_entry, GATE_INTERRUPT_DPL3);
    set_gate(VECTOR_SPURIOUS, spurious_entry, GATE_INTERRUPT_DPL0);
    struct table_pointer i = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(i));
}

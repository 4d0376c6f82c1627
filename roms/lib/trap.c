/* The ROMs' IDT: interrupt gates for the 32 exception vectors, and what happens when one
 * fires. Intel SDM, Dec 2023 (Order 325462-081). No external interrupt is ever enabled, so
 * the IDT ends after vector 31: any other vector raises #GP. */
#include "trap.h"

#include <stddef.h>

#include "debug_exit.h"
#include "gdt.h"
#include "printf.h"

#define NUM_VECTORS 32
#define GATE_INTERRUPT64 0x8E /* P=1, DPL=0, type 0xE: 64-bit interrupt gate */

/* SDM Vol. 3A, "64-Bit Mode IDT": a 16-byte gate with the handler address in three parts. */
struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_vectors[NUM_VECTORS];

static struct idt_gate idt[NUM_VECTORS];
static trap_handler_fn handler;

static const char* const vector_names[NUM_VECTORS] = {"#DE divide error",
                                                      "#DB debug",
                                                      "NMI",
                                                      "#BP breakpoint",
                                                      "#OF overflow",
                                                      "#BR bound range",
                                                      "#UD invalid opcode",
                                                      "#NM device not available",
                                                      "#DF double fault",
                                                      "coprocessor segment overrun",
                                                      "#TS invalid TSS",
                                                      "#NP segment not present",
                                                      "#SS stack fault",
                                                      "#GP general protection",
                                                      "#PF page fault",
                                                      "reserved",
                                                      "#MF x87 floating-point",
                                                      "#AC alignment check",
                                                      "#MC machine check",
                                                      "#XM SIMD floating-point",
                                                      "#VE virtualization",
                                                      "#CP control protection",
                                                      "reserved",
                                                      "reserved",
                                                      "reserved",
                                                      "reserved",
                                                      "reserved",
                                                      "reserved",
                                                      "#HV hypervisor injection",
                                                      "#VC VMM communication",
                                                      "#SX security",
                                                      "reserved"};

void trap_init(void) {
    for (int v = 0; v < NUM_VECTORS; v++) {
        uint64_t handler = trap_vectors[v];
        idt[v] = (struct idt_gate){
            .offset_low = (uint16_t)handler,
            .selector = GDT_CODE64,
            .type_attr = GATE_INTERRUPT64,
            .offset_mid = (uint16_t)(handler >> 16),
            .offset_high = (uint32_t)(handler >> 32),
        };
    }
    struct idt_pointer ptr = {.limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void trap_set_handler(trap_handler_fn fn) {
    handler = fn;
}

void trap_dispatch(struct trap_frame* frame) {
    if (handler != NULL && handler(frame)) return;
    trap_report(frame);
}

static uint64_t read_cr2(void) {
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    return cr2;
}

void trap_report(const struct trap_frame* f) {
    printf("\nEXCEPTION %lu (%s) error=0x%lx\n", (unsigned long)f->vector,
           vector_names[f->vector % NUM_VECTORS], (unsigned long)f->error_code);
    printf("  rip=%p cs=0x%lx rflags=0x%lx\n", (void*)f->rip, (unsigned long)f->cs,
           (unsigned long)f->rflags);
    printf("  rsp=%p ss=0x%lx cr2=%p\n", (void*)f->rsp, (unsigned long)f->ss, (void*)read_cr2());
    debug_exit(ROM_EXIT_EXCEPTION);
}

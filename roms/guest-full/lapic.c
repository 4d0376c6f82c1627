/* The local APIC timer in periodic mode. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A,
 * "APIC Timer" and "Local APIC Register Address Map". The accesses are plain 32-bit MOVs to
 * the xAPIC page, which is all a hypervisor that emulates the page has to decode. */
#include "kernel.h"
#include "lib/io.h"

#define LAPIC_BASE 0xFEE00000ul
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_DIVIDE 0x3E0

#define SVR_APIC_ENABLE 0x100
#define LVT_TIMER_PERIODIC (1u << 17)
#define DIVIDE_BY_16 0x3
/* With divide-by-16, a tick every 16 * 4096 input clocks (instructions on hvlab). */
#define TIMER_INITIAL_COUNT 4096

volatile uint64_t timer_ticks;

static void lapic_write(uint32_t reg, uint32_t value) {
    volatile uint32_t* p = (volatile uint32_t*)(LAPIC_BASE + reg);
    __asm__ volatile("movl %1, (%0)" : : "r"(p), "r"(value) : "memory");
}

void lapic_eoi(void) {
    lapic_write(LAPIC_EOI, 0);
}

/* A BIOS (SeaBIOS under QEMU) leaves the 8259 PICs programmed, with the PIT on IRQ 0 at a
 * vector that collides with the exceptions, and LINT0 in ExtINT mode: mask every PIC input so
 * that only the LAPIC timer interrupts. */
static void mask_legacy_pics(void) {
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

void lapic_timer_start(void) {
    mask_legacy_pics();
    lapic_write(LAPIC_SVR, SVR_APIC_ENABLE | VECTOR_SPURIOUS);
    lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VECTOR_TIMER);
    lapic_write(LAPIC_TIMER_INITIAL, TIMER_INITIAL_COUNT);
}

void wait_for_tick(uint64_t until) {
    /* STI's one-instruction shadow keeps the interrupt from arriving between STI and HLT. */
    while (timer_ticks < until)
        __asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* The virtual xAPIC: register file, priorities, EOI and the timer (see vlapic.h). The
 * timer's input clock is the TSC divided by the divide configuration, as on hvlab's own
 * LAPIC (docs/lapic.md), so a guest sees the same rate with or without the hypervisor; only
 * the other guests' running time is added to its wall clock. */
#include "vlapic.h"

#include "guest.h"
#include "vmx_ops.h"

#define REG_ID 0x020
#define REG_VERSION 0x030
#define REG_TPR 0x080
#define REG_APR 0x090
#define REG_PPR 0x0A0
#define REG_EOI 0x0B0
#define REG_LDR 0x0D0
#define REG_DFR 0x0E0
#define REG_SVR 0x0F0
#define REG_ISR 0x100
#define REG_TMR 0x180
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_LVT_CMCI 0x2F0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3E0

#define LVT_TIMER 1
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3u)
#define TIMER_ONE_SHOT 0
#define TIMER_PERIODIC 1
#define TIMER_TSC_DEADLINE 2
#define SVR_ENABLED (1u << 8)
#define VERSION 0x00060014u /* version 0x14, 7 LVT entries: as hvlab's own LAPIC */

void vlapic_reset(struct vlapic* a) {
    static struct vlapic zero; /* static storage: all zero (the file is also valid C++) */
    *a = zero;
    a->base_msr = VLAPIC_DEFAULT_BASE | (1u << 11) | (1u << 8); /* enabled, BSP */
    a->svr = 0xFF;
    a->dfr = 0xFFFFFFFF;
    for (int i = 0; i < 7; i++)
        a->lvt[i] = LVT_MASKED;
}

static int highest(const uint32_t v[8]) {
    for (int i = 7; i >= 0; i--)
        if (v[i]) return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

static void set_bit(uint32_t v[8], int n) {
    v[n / 32] |= 1u << (n % 32);
}

static void clear_bit(uint32_t v[8], int n) {
    v[n / 32] &= ~(1u << (n % 32));
}

/* SDM Vol. 3A, "Processor Priority Register (PPR)". */
static uint32_t ppr(const struct vlapic* a) {
    int isrv = highest(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (a->tpr & 0xF0) >= isr_class ? a->tpr : isr_class;
}

/* Divide configuration bits 3,1,0: 000 -> 2, 001 -> 4, ..., 111 -> 1 (SDM Vol. 3A, "APIC
 * Timer"). */
static uint64_t divisor(const struct vlapic* a) {
    uint32_t code = (a->timer_divide & 3) | ((a->timer_divide >> 1) & 4);
    return code == 7 ? 1 : 2ull << code;
}

static uint64_t guest_tsc(const struct guest* g, uint64_t now) {
    return now + g->tsc_offset;
}

static void fire(struct vlapic* a) {
    uint32_t lvt = a->lvt[LVT_TIMER];
    if (!(lvt & LVT_MASKED) && (a->svr & SVR_ENABLED)) set_bit(a->irr, lvt & 0xFF);
}

void vlapic_update_timer(struct guest* g, uint64_t now) {
    struct vlapic* a = &g->lapic;
    if (!a->timer_deadline || now < a->timer_deadline) return;
    fire(a);
    uint32_t mode = LVT_TIMER_MODE(a->lvt[LVT_TIMER]);
    if (mode == TIMER_PERIODIC && a->timer_initial) {
        /* Re-arm on the same grid; periods missed while the guest was not running collapse
         * into the one request already in IRR. */
        uint64_t period = (uint64_t)a->timer_initial * divisor(a);
        uint64_t missed = (now - a->timer_deadline) / period + 1;
        a->timer_deadline += missed * period;
    } else {
        a->timer_deadline = 0;
        if (mode == TIMER_TSC_DEADLINE) a->tsc_deadline = 0;
    }
}

uint64_t vlapic_next_event(const struct vlapic* a) {
    return a->timer_deadline;
}

int vlapic_pending_vector(const struct vlapic* a) {
    int v = highest(a->irr);
    if (v < 0 || !(a->svr & SVR_ENABLED)) return -1;
    return ((uint32_t)v & 0xF0) > (ppr(a) & 0xF0) ? v : -1;
}

void vlapic_accept(struct vlapic* a, int vector) {
    clear_bit(a->irr, vector);
    set_bit(a->isr, vector);
}

static uint32_t current_count(const struct guest* g) {
    const struct vlapic* a = &g->lapic;
    uint64_t now = rdtsc();
    if (!a->timer_deadline || now >= a->timer_deadline ||
        LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE)
        return 0;
    uint64_t d = divisor(a);
    return (uint32_t)((a->timer_deadline - now + d - 1) / d);
}

uint32_t vlapic_read(struct guest* g, uint32_t offset) {
    struct vlapic* a = &g->lapic;
    if (offset >= REG_ISR && offset < REG_ISR + 0x80) return a->isr[(offset - REG_ISR) >> 4];
    if (offset >= REG_TMR && offset < REG_TMR + 0x80) return 0; /* all edge-triggered */
    if (offset >= REG_IRR && offset < REG_IRR + 0x80) return a->irr[(offset - REG_IRR) >> 4];
    if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR)
        return a->lvt[1 + ((offset - REG_LVT_TIMER) >> 4)];
    switch (offset) {
    case REG_ID: return 0; /* APIC ID 0: each guest has one CPU */
    case REG_VERSION: return VERSION;
    case REG_TPR: return a->tpr;
    case REG_APR: return 0;
    case REG_PPR: return ppr(a);
    case REG_LDR: return a->ldr;
    case REG_DFR: return a->dfr;
    case REG_SVR: return a->svr;
    case REG_ESR: return a->esr;
    case REG_LVT_CMCI: return a->lvt[0];
    case REG_ICR_LOW: return a->icr_low;
    case REG_ICR_HIGH: return a->icr_high;
    case REG_TIMER_INITIAL: return a->timer_initial;
    case REG_TIMER_CURRENT: return current_count(g);
    case REG_TIMER_DIVIDE: return a->timer_divide;
    default: return 0;
    }
}

static void start_timer(struct guest* g) {
    struct vlapic* a = &g->lapic;
    if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_TSC_DEADLINE) return;
    a->timer_deadline = a->timer_initial ? rdtsc() + (uint64_t)a->timer_initial * divisor(a) : 0;
}

/* ICR with the "self" shorthand and fixed delivery: the one IPI a single CPU can send. */
static void send_ipi(struct vlapic* a) {
    uint32_t shorthand = (a->icr_low >> 18) & 3, mode = (a->icr_low >> 8) & 7;
    if (mode == 0 && (shorthand == 1 || shorthand == 2)) set_bit(a->irr, a->icr_low & 0xFF);
}

void vlapic_write(struct guest* g, uint32_t offset, uint32_t value) {
    struct vlapic* a = &g->lapic;
    if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR) {
        unsigned i = 1 + ((offset - REG_LVT_TIMER) >> 4);
        uint32_t old_mode = LVT_TIMER_MODE(a->lvt[i]);
        /* SDM Vol. 3A, "Spurious-Interrupt Vector Register": while the APIC is software-
         * disabled, the mask bits stay set. */
        a->lvt[i] = value | (a->svr & SVR_ENABLED ? 0 : LVT_MASKED);
        if (i == LVT_TIMER &&
            (old_mode == TIMER_TSC_DEADLINE) != (LVT_TIMER_MODE(value) == TIMER_TSC_DEADLINE)) {
            a->timer_deadline = 0; /* "TSC-Deadline Mode": switching modes disarms */
            a->tsc_deadline = 0;
        }
        return;
    }
    switch (offset) {
    case REG_TPR: a->tpr = value & 0xFF; break;
    case REG_EOI: {
        int v = highest(a->isr);
        if (v >= 0) clear_bit(a->isr, v);
        break;
    }
    case REG_LDR: a->ldr = value & 0xFF000000; break;
    case REG_DFR: a->dfr = value | 0x0FFFFFFF; break;
    case REG_SVR:
        a->svr = value & 0x3FF;
        if (!(value & SVR_ENABLED))
            for (int i = 0; i < 7; i++)
                a->lvt[i] |= LVT_MASKED;
        break;
    case REG_ESR: a->esr = 0; break;
    case REG_LVT_CMCI: a->lvt[0] = value; break;
    case REG_ICR_HIGH: a->icr_high = value; break;
    case REG_ICR_LOW:
        a->icr_low = value;
        send_ipi(a);
        break;
    case REG_TIMER_INITIAL:
        a->timer_initial = value;
        start_timer(g);
        break;
    case REG_TIMER_DIVIDE: a->timer_divide = value & 0xB; break;
    default: break; /* read-only or reserved: ignored */
    }
}

void vlapic_write_tsc_deadline(struct guest* g, uint64_t value) {
    struct vlapic* a = &g->lapic;
    if (LVT_TIMER_MODE(a->lvt[LVT_TIMER]) != TIMER_TSC_DEADLINE) return;
    a->tsc_deadline = value;
    if (!value) {
        a->timer_deadline = 0;
        return;
    }
    uint64_t now = rdtsc();
    uint64_t target = value - g->tsc_offset;
    a->timer_deadline = value <= guest_tsc(g, now) ? now : target;
}

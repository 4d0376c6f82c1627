/* sys-apic: the local APIC (xAPIC MMIO at 0xFEE00000) as a guest uses it: self-IPIs and their
 * priority, ISR/IRR and EOI, TPR/PPR and CR8, the timer in one-shot and periodic mode with
 * masking, HLT wake-up, the STI interrupt shadow, an interrupt taken at CPL 3 on an IST
 * stack, and NMI (self-NMI through the ICR) blocked until IRET.
 * Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced Programmable Interrupt
 * Controller (APIC)" ("Local APIC Registers", "APIC Timer", "Issuing Interprocessor
 * Interrupts", "Interrupt, Task, and Processor Priority", "Servicing Interrupts",
 * "Signaling Interrupt Servicing Completion"), "Interrupt Blocking", "NMI Handling".
 * Time is virtual on hvlab and real on QEMU: the cases print only orders and counts.
 * One line per case; ends with debug-exit SYS_PASS (43) or SYS_FAIL (3). */
#include "lib/io.h"
#include "lib/kmain.h"
#include "sys-lib/sys.h"

#define APIC_BASE 0xFEE00000ull
#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xA0
#define APIC_EOI 0xB0
#define APIC_SVR 0xF0
#define APIC_ISR 0x100
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3E0

#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define ICR_NMI (4u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_SELF (1u << 18) /* destination shorthand 01 */
#define ICR_BUSY (1u << 12) /* delivery status */
#define MSR_APIC_BASE 0x1B
#define TIMER_COUNT 2000000 /* 2 ms on QEMU (1 GHz APIC bus); 2M instructions on hvlab */
#define LONG_COUNT 50000000 /* for a wait done with HLT, which hvlab skips through */

static uint32_t apic_read(uint32_t reg) {
    return *(volatile uint32_t*)(uintptr_t)(APIC_BASE + reg);
}
static void apic_write(uint32_t reg, uint32_t v) {
    *(volatile uint32_t*)(uintptr_t)(APIC_BASE + reg) = v;
}
static int apic_bit(uint32_t base, int vector) {
    return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}
static void self_ipi(int vector) {
    apic_write(APIC_ICR_LOW, ICR_SELF | ICR_ASSERT | (uint32_t)vector);
    while (apic_read(APIC_ICR_LOW) & ICR_BUSY) {
    }
}
static void eoi(void) {
    apic_write(APIC_EOI, 0);
}
static void sti(void) {
    __asm__ volatile("sti" ::: "memory");
}
/* A few instruction boundaries with IF = 1 after a register write that unblocks an
 * interrupt: QEMU's TCG looks for interrupts only between translation blocks. */
static void settle(void) {
    for (volatile int i = 0; i < 100; i++) {
    }
}
static void cli(void) {
    __asm__ volatile("cli" ::: "memory");
}

/* The order interrupts arrived in, as text ("0x61 0x51"). */
static char order[128];
static size_t order_len;
static void log_event(const char* text) {
    for (const char* p = text; *p && order_len + 2 < sizeof order; p++)
        order[order_len++] = *p;
    order[order_len++] = ' ';
    order[order_len] = 0;
}
static void log_vector(uint64_t v) {
    char buf[8];
    snprintf(buf, sizeof buf, "0x%lx", (unsigned long)v);
    log_event(buf);
}
static void reset_log(void) {
    order_len = 0;
    order[0] = 0;
}
static void expect_order(const char* name, const char* want) {
    /* drop the trailing space */
    if (order_len) order[order_len - 1] = 0;
    sys_cases++;
    printf("%s: %s\n", name, order_len ? order : "(none)");
    if (strcmp(order_len ? order : "(none)", want) != 0) {
        printf("  WRONG: expected %s\n", want);
        sys_failures++;
    }
    reset_log();
}

/* Fixed interrupts: log the vector, whether it is in service, and EOI. */
static volatile int in_service_seen;
static volatile uint64_t last_irq_rip;
static void logging_irq(struct trap_frame* f) {
    log_vector(f->vector);
    in_service_seen = apic_bit(APIC_ISR, (int)f->vector);
    last_irq_rip = f->rip;
    eoi();
}

/* 0x51's handler sends 0x41 (a lower class): it waits in IRR until 0x51's EOI. */
static volatile int lower_pending_in_handler;
static void sends_lower_irq(struct trap_frame* f) {
    log_vector(f->vector);
    self_ipi(0x41);
    lower_pending_in_handler = apic_bit(APIC_IRR, 0x41) && !apic_bit(APIC_ISR, 0x41);
    eoi();
}

static volatile int timer_ticks;
static volatile int timer_stop_after;
static void timer_irq(struct trap_frame* f) {
    (void)f;
    timer_ticks++;
    if (timer_ticks == timer_stop_after) {
        apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x40);
        apic_write(APIC_TIMER_INITIAL, 0);
    }
    eoi();
}

static void wait_ticks(int n) {
    while (timer_ticks < n)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
}

static void apic_init(void) {
    /* The 8259 pair stays masked (SeaBIOS leaves the PIT's IRQ 0 on), and so do LINT0/1. */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    apic_write(APIC_SVR, 0x100 | 0xFF);
    apic_write(APIC_LVT_LINT0, LVT_MASKED);
    apic_write(APIC_LVT_LINT1, LVT_MASKED);
    apic_write(APIC_LVT_ERROR, LVT_MASKED);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x40);
    apic_write(APIC_TPR, 0);
    for (int v = 0x40; v < 0x80; v++)
        sys_irq[v] = logging_irq;
}

static void registers(void) {
    expect_value("ia32_apic_base (bsp, enabled, 0xfee00000)", rdmsr(MSR_APIC_BASE), 0xFEE00900);
    expect_value("apic id", apic_read(APIC_ID) >> 24, 0);
    expect_value("svr reads back", apic_read(APIC_SVR) & 0x1FF, 0x1FF);
    apic_write(APIC_TPR, 0x5A);
    expect_value("tpr 0x5a reads back", apic_read(APIC_TPR), 0x5A);
    expect_value("ppr with tpr 0x5a, nothing in service", apic_read(APIC_PPR), 0x5A);
    uint64_t cr8;
    __asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
    expect_value("cr8 = tpr[7:4]", cr8, 5);
    __asm__ volatile("mov %0, %%cr8" : : "r"(3ull));
    expect_value("mov cr8, 3: tpr", apic_read(APIC_TPR), 0x30);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_TIMER_DIVIDE, 0xB);
    expect_value("timer divide config reads back", apic_read(APIC_TIMER_DIVIDE), 0xB);
    expect_value("timer current count, stopped", apic_read(APIC_TIMER_CURRENT), 0);
}

static void ipis(void) {
    sti();
    self_ipi(0x50);
    cli();
    expect_order("self-ipi 0x50 with if=1", "0x50");
    expect_value("  0x50 in isr inside the handler", in_service_seen, 1);
    expect_value("  0x50 out of isr after eoi", apic_bit(APIC_ISR, 0x50), 0);
    expect_value("  icr delivery status idle", apic_read(APIC_ICR_LOW) & ICR_BUSY, 0);

    self_ipi(0x51);
    self_ipi(0x61);
    expect_value("if=0: 0x51 in irr", apic_bit(APIC_IRR, 0x51), 1);
    expect_value("if=0: 0x61 in irr", apic_bit(APIC_IRR, 0x61), 1);
    expect_order("if=0: nothing delivered", "(none)");
    sti();
    __asm__ volatile("nop");
    cli();
    expect_order("sti: highest priority class first", "0x61 0x51");

    /* A lower-class request stays in IRR while a higher one is in service. */
    sys_irq[0x51] = sends_lower_irq;
    sti();
    self_ipi(0x51);
    cli();
    sys_irq[0x51] = logging_irq;
    expect_order("0x41 requested inside 0x51's handler", "0x51 0x41");
    expect_value("  0x41 waited in irr until 0x51's eoi", lower_pending_in_handler, 1);

    /* Two requests for one vector while IF = 0 are one IRR bit: one delivery. */
    self_ipi(0x52);
    self_ipi(0x52);
    sti();
    __asm__ volatile("nop");
    cli();
    expect_order("0x52 requested twice with if=0", "0x52");

    /* TPR: a class at or below TPR[7:4] waits (SDM "Task Priority Register"). */
    apic_write(APIC_TPR, 0x60);
    sti();
    self_ipi(0x61);
    self_ipi(0x71);
    settle();
    cli();
    expect_order("tpr 0x60: 0x61 held, 0x71 delivered", "0x71");
    expect_value("  0x61 in irr", apic_bit(APIC_IRR, 0x61), 1);
    expect_value("  ppr", apic_read(APIC_PPR), 0x60);
    sti();
    apic_write(APIC_TPR, 0);
    settle();
    cli();
    expect_order("tpr 0: 0x61 delivered", "0x61");
}

/* STI shadow: the interrupt pending at STI is taken after the next instruction, so the saved
 * RIP is the instruction after it ("Interrupt Blocking"). */
__asm__(".pushsection .text\n"
        "sti_shadow_probe:\n"
        "sti\n"
        "sti_shadow_next: incl %eax\n"
        "sti_shadow_after: nop\n"
        "cli\n"
        "ret\n"
        ".popsection\n");
void sti_shadow_probe(void);
extern const uint8_t sti_shadow_next[], sti_shadow_after[];

static void shadows(void) {
    self_ipi(0x53);
    sti_shadow_probe();
    expect_order("pending 0x53, sti", "0x53");
    sys_cases++;
    printf("  interrupt taken after: %s\n",
           last_irq_rip == (uint64_t)(uintptr_t)sti_shadow_after  ? "the instruction after sti"
           : last_irq_rip == (uint64_t)(uintptr_t)sti_shadow_next ? "sti"
                                                                  : "elsewhere");
    if (last_irq_rip != (uint64_t)(uintptr_t)sti_shadow_after) sys_failures++;
}

static void timer(void) {
    sys_irq[0x40] = timer_irq;
    /* One-shot: one interrupt, then the count stays 0. */
    timer_ticks = 0;
    timer_stop_after = 0;
    apic_write(APIC_LVT_TIMER, 0x40);
    apic_write(APIC_TIMER_INITIAL, LONG_COUNT); /* long: QEMU's host may deschedule it */
    expect_value("one-shot: counting down", apic_read(APIC_TIMER_CURRENT) != 0, 1);
    wait_ticks(1);
    for (volatile int i = 0; i < TIMER_COUNT / 2; i++) {
    }
    expect_value("one-shot: interrupts after hlt wake-up and a wait", timer_ticks, 1);
    expect_value("one-shot: current count after expiry", apic_read(APIC_TIMER_CURRENT), 0);

    /* Periodic: reloads from the initial count; the handler stops it at the third tick. */
    timer_ticks = 0;
    timer_stop_after = 3;
    apic_write(APIC_LVT_TIMER, LVT_PERIODIC | 0x40);
    apic_write(APIC_TIMER_INITIAL, TIMER_COUNT);
    wait_ticks(3);
    for (volatile int i = 0; i < TIMER_COUNT / 2; i++) {
    }
    expect_value("periodic: interrupts until stopped", timer_ticks, 3);
    expect_value("periodic: lvt timer mode bits", apic_read(APIC_LVT_TIMER) & 0x70000, LVT_MASKED);

    /* Masked: the count runs out, nothing is requested. */
    timer_ticks = 0;
    timer_stop_after = 0;
    apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x40);
    apic_write(APIC_TIMER_INITIAL, TIMER_COUNT);
    while (apic_read(APIC_TIMER_CURRENT) != 0) {
    }
    sti();
    __asm__ volatile("nop");
    cli();
    expect_value("masked one-shot: interrupts", timer_ticks, 0);
    expect_value("masked one-shot: irr bit", apic_bit(APIC_IRR, 0x40), 0);

    /* TPR above the timer's class: the expiry waits in IRR until TPR drops. */
    apic_write(APIC_TPR, 0xF0);
    apic_write(APIC_LVT_TIMER, 0x40);
    apic_write(APIC_TIMER_INITIAL, TIMER_COUNT);
    sti();
    while (apic_read(APIC_TIMER_CURRENT) != 0) {
    }
    /* QEMU computes the count from its clock and raises the expiry a little later, from its
     * timer thread: wait (boundedly) for the request itself. */
    for (int i = 0; i < 5000000 && !apic_bit(APIC_IRR, 0x40); i++) {
    }
    settle();
    cli();
    expect_value("tpr 0xf0: timer expired, interrupts", timer_ticks, 0);
    expect_value("tpr 0xf0: timer vector in irr", apic_bit(APIC_IRR, 0x40), 1);
    sti();
    apic_write(APIC_TPR, 0);
    settle();
    cli();
    expect_value("tpr 0: timer interrupt delivered", timer_ticks, 1);
    sys_irq[0x40] = logging_irq;
}

/* An interrupt at CPL 3: a self-IPI pending while IF = 0, then IRETQ to user code with
 * IF = 1; the gate (DPL 0 is fine for hardware interrupts) uses IST3. */
static void user_interrupt(void) {
    sys_irq[0x54] = 0; /* caught: sys_try's landing records the frame */
    set_gate(0x54, GATE_INT, 0, 3, 1);
    self_ipi(0x54);
    sys_user_rflags = 0x2 | RFLAGS_IF;
    int f = user_try(USER_FN(u_read), USER_DATA);
    sys_user_rflags = 0x2;
    eoi();
    reset_gate(0x54);
    sys_irq[0x54] = logging_irq;
    expect("self-ipi pending, iretq to cpl3 with if=1", f, "int 0x54");
    expect_value("  taken before the first user instruction", sys_last.rip == USER_FN(u_read), 1);
    expect_value("  frame cs", sys_last.cs, SEL_UCODE);
    expect_value("  frame ss", sys_last.ss, SEL_UDATA);
    expect_value("  frame rflags.if", sys_last.rflags & RFLAGS_IF, RFLAGS_IF);
    expect_value("  frame on ist3",
                 phys(sys_ist_stack[2] + sizeof sys_ist_stack[2]) - sys_last.frame_address, 40);
}

/* NMI: not maskable by IF; while its handler runs, further NMIs wait until IRET. */
static volatile int nmi_depth, nmi_count, nmi_max_depth;
static void send_self_nmi(void) {
    apic_write(APIC_ICR_HIGH, 0); /* destination APIC ID 0: this CPU */
    apic_write(APIC_ICR_LOW, ICR_NMI | ICR_ASSERT);
    while (apic_read(APIC_ICR_LOW) & ICR_BUSY) {
    }
}
static void nmi_handler(struct trap_frame* f) {
    (void)f;
    nmi_depth++;
    if (nmi_depth > nmi_max_depth) nmi_max_depth = nmi_depth;
    nmi_count++;
    log_event(nmi_count == 1 ? "nmi1-in" : "nmi2-in");
    if (nmi_count == 1) {
        send_self_nmi();
        for (volatile int i = 0; i < 1000; i++) {
        }
        log_event("nmi1-out");
    } else {
        log_event("nmi2-out");
    }
    nmi_depth--;
}

static void nmis(void) {
    sys_irq[2] = nmi_handler;
    cli();
    send_self_nmi();
    for (volatile int i = 0; i < 1000; i++) {
    }
    sys_irq[2] = 0;
    expect_order("self-nmi with if=0, second nmi sent from the handler",
                 "nmi1-in nmi1-out nmi2-in nmi2-out");
    expect_value("  nmi nesting depth", nmi_max_depth, 1);
}

/* IPIs to an APIC ID nobody has (this machine has one processor, APIC ID 0): INIT, SIPI and
 * a fixed interrupt are simply not accepted by anyone; this CPU goes on (SDM Vol. 3A,
 * "Issuing Interprocessor Interrupts"; the "INIT/SIPI to absent CPUs ignored"). */
static void ipi_to_absent(uint32_t low) {
    apic_write(APIC_ICR_HIGH, 1u << 24); /* physical destination: APIC ID 1 */
    apic_write(APIC_ICR_LOW, low);
    while (apic_read(APIC_ICR_LOW) & ICR_BUSY) {
    }
    apic_write(APIC_ICR_HIGH, 0);
}

static void absent_cpus(void) {
    ipi_to_absent((5u << 8) | ICR_ASSERT); /* INIT */
    ipi_to_absent((5u << 8));              /* INIT level de-assert */
    ipi_to_absent((6u << 8) | 0x10);       /* SIPI, start at 0x10000 */
    ipi_to_absent(ICR_ASSERT | 0x55);      /* fixed, vector 0x55 */
    expect_value("init, sipi, fixed ipi to absent apic id 1: still running, id",
                 apic_read(APIC_ID) >> 24, 0);
    expect_value("  svr unchanged", apic_read(APIC_SVR) & 0x1FF, 0x1FF);
    expect_value("  0x55 not requested here", apic_bit(APIC_IRR, 0x55), 0);
}

/* Software disable (SVR bit 8 = 0): the LVT entries read masked and cannot be unmasked
 * (SDM Vol. 3A, "Local APIC State After It Has Been Software Disabled": "The mask bits for
 * all the LVT entries are set. Attempts to reset these bits will be ignored."). QEMU 7.2
 * leaves them alone, so the first three are printed, not checked here (qemu-differs). */
static void software_disable(void) {
    apic_write(APIC_LVT_TIMER, 0x40);
    apic_write(APIC_SVR, 0xFF);
    observe_value("svr.8 = 0: lvt timer reads masked", apic_read(APIC_LVT_TIMER) & LVT_MASKED);
    apic_write(APIC_LVT_TIMER, 0x40);
    observe_value("svr.8 = 0: lvt timer cannot be unmasked",
                  apic_read(APIC_LVT_TIMER) & LVT_MASKED);
    apic_write(APIC_SVR, 0x1FF);
    observe_value("svr.8 = 1: lvt timer stays masked", apic_read(APIC_LVT_TIMER) & LVT_MASKED);
    apic_write(APIC_LVT_TIMER, 0x40);
    expect_value("svr.8 = 1: lvt timer unmasks", apic_read(APIC_LVT_TIMER) & LVT_MASKED, 0);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x40);
}

static uint32_t cpuid1_edx(void) {
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

static void wr_apic_base(uint64_t v) {
    wrmsr(MSR_APIC_BASE, v);
}
static int try_apic_base(uint64_t v) {
    return sys_try(wr_apic_base, v);
}

/* Global disable through IA32_APIC_BASE.EN (SDM Vol. 3A, "Enabling or Disabling the Local
 * APIC", "State Changes From xAPIC Mode to x2APIC Mode"). Last: QEMU 7.2 cannot re-enable. */
static void global_disable(void) {
    expect("apic_base en = 0", try_apic_base(0xFEE00100), "no fault");
    expect_value("  apic_base reads", rdmsr(MSR_APIC_BASE), 0xFEE00100);
    expect_value("  cpuid.1:edx.apic", (cpuid1_edx() >> 9) & 1, 0);
    /* Disabled -> x2APIC (EN = 0, EXTD = 1) is an invalid transition: #GP(0). */
    observe("apic_base en = 0, extd = 1", try_apic_base(0xFEE00100 | (1u << 10)));
    /* Disabled -> xAPIC is allowed; QEMU keeps the APIC disabled until reset
     * (qemu-differs). */
    int f = try_apic_base(0xFEE00900);
    observe("apic_base en = 1 again", f);
    observe_value("  apic_base reads after re-enable", rdmsr(MSR_APIC_BASE));
    observe_value("  cpuid.1:edx.apic after re-enable", (cpuid1_edx() >> 9) & 1);
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    sys_init();
    printf("sys-apic: self-IPIs, priority, TPR, timer, shadows, NMI\n");
    apic_init();
    registers();
    ipis();
    shadows();
    timer();
    user_interrupt();
    nmis();
    absent_cpus();
    software_disable();
    global_disable();
    sys_finish("sys-apic");
}

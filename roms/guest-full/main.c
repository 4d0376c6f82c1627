/* guest-full: see kernel.h. Ends through debug-exit with GUEST_FULL_EXIT_STATUS. */
#include "kernel.h"
#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"

#define GUEST_FULL_EXIT_STATUS 0x15 /* process exit status (0x15 << 1) | 1 = 43 */
#define MSR_APIC_BASE 0x1B
#define CR0_PG (1ul << 31)
#define CR4_PAE (1ul << 5)
#define CR4_VMXE (1ul << 13)

static uint8_t user_stack[8192] __attribute__((aligned(16)));

static uint64_t rdmsr(uint32_t index) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

static void do_syscall(struct trap_frame* f) {
    switch (f->rax) {
    case SYS_WRITE:
        serial_write((const char*)(uintptr_t)f->rdi, f->rsi);
        f->rax = f->rsi;
        break;
    case SYS_SLEEP:
        wait_for_tick(timer_ticks + f->rdi);
        f->rax = timer_ticks;
        break;
    case SYS_EXIT: {
        extern __attribute__((noreturn)) void user_task_return(uint64_t status);
        user_task_return(f->rdi);
    }
    default: f->rax = (uint64_t)-1;
    }
}

void interrupt_dispatch(struct trap_frame* f) {
    if (f->vector == VECTOR_TIMER) {
        timer_ticks++;
        lapic_eoi();
    } else if (f->vector == VECTOR_SYSCALL) {
        do_syscall(f);
    }
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("guest-full: a kernel that does not know whether it is virtualized\n");
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    printf("kernel: CR0.PG=%d CR4.PAE=%d CR4.VMXE=%d, APIC base MSR 0x%lx\n", !!(cr0 & CR0_PG),
           !!(cr4 & CR4_PAE), !!(cr4 & CR4_VMXE), (unsigned long)rdmsr(MSR_APIC_BASE));
    descriptors_init();
    printf("kernel: own GDT (user segments, TSS) and IDT (timer, INT 0x80) loaded\n");
    paging_init();
    printf("kernel: own page tables loaded: 1 GiB for kernel and user, the LAPIC page\n");
    lapic_timer_start();
    wait_for_tick(3);
    printf("kernel: LAPIC timer on, 3 timer interrupts arrived while halted\n");
    uint64_t before = timer_ticks;
    uint64_t status = run_user_task(user_main, user_stack + sizeof(user_stack));
    printf("kernel: user task exited with status %lu after at least %s timer ticks\n",
           (unsigned long)status, timer_ticks - before >= 2 ? "2" : "NOT 2");
    /* The last line goes out with one REP OUTSB (a string I/O instruction), the rest byte by
     * byte: a hypervisor has to emulate both forms. */
    static const char done[] = "guest-full: done\n";
    const char* p = done;
    unsigned long n = sizeof(done) - 1;
    __asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(0x3F8) : "memory");
    debug_exit(GUEST_FULL_EXIT_STATUS);
}

/* guest-pv: a paravirtualized guest. It looks for the teaching hypervisor through CPUID
 * and then does all of its I/O and timekeeping through hypercalls (hypervisor/hypercall.h):
 * no UART register is touched, so a whole line of output costs one VM exit instead of two
 * per character. Without the hypervisor it says so on the UART and stops. */
#include <stdarg.h>
#include <stdint.h>

#include "hypervisor/hypercall.h"
#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/trap.h"

#define GUEST_PV_EXIT_STATUS 22   /* HC_SHUTDOWN status: the hypervisor reports it as is */
#define NO_HYPERVISOR_STATUS 0x17 /* 47 */
#define CPUID1_ECX_HYPERVISOR (1u << 31)

static void cpuid(uint32_t leaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static long hypercall(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
    return ret;
}

__attribute__((format(printf, 1, 2))) static void pv_printf(const char* fmt, ...) {
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1) n = sizeof(buf) - 1;
    hypercall(HC_CONSOLE_WRITE, (long)buf, n, 0);
}

/* 1 if CPUID reports a hypervisor with our signature; fills the signature text. */
static int find_hypervisor(char signature[13], uint32_t* max_leaf) {
    uint32_t r[4];
    cpuid(1, r);
    if (!(r[2] & CPUID1_ECX_HYPERVISOR)) return 0;
    cpuid(HV_CPUID_BASE, r);
    memcpy(signature, &r[1], 4);
    memcpy(signature + 4, &r[2], 4);
    memcpy(signature + 8, &r[3], 4);
    signature[12] = 0;
    *max_leaf = r[0];
    return memcmp(signature, HV_SIGNATURE, 12) == 0 && r[0] >= HV_CPUID_FEATURES;
}

/* Probing instructions that must fault: the exception handler resumes at the address the
 * probe stored in resume_rip (the end of the probe) and records the vector. */
static volatile uint64_t resume_rip;
static volatile int caught_vector;

static int catch_probe(struct trap_frame* f) {
    if (!resume_rip) return 0;
    caught_vector = (int)f->vector;
    f->rip = resume_rip;
    resume_rip = 0;
    return 1;
}

static const char* outcome(void) {
    return caught_vector == 13  ? "#GP"
           : caught_vector == 6 ? "#UD"
           : caught_vector < 0  ? "no fault"
                                : "?";
}

/* A guest must not see or use VMX: CPUID hides it, its MSRs and CR4.VMXE fault like on a CPU
 * without VMX, and VMXON is #UD (SDM Vol. 3C, "VMXON" and "Discovering Support for VMX"). */
static void probe_vmx_hidden(void) {
    static uint8_t region[4096] __attribute__((aligned(4096)));
    uint32_t r[4];
    uint64_t cr4;
    cpuid(1, r);
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    pv_printf("guest-pv: CPUID.01H:ECX.VMX = %u, CR4.VMXE = %u\n", (r[2] >> 5) & 1,
              (unsigned)(cr4 >> 13) & 1);
    trap_set_handler(catch_probe);
    caught_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, %0\n\trdmsr\n1:"
                     : "=m"(resume_rip)
                     : "c"(0x480)
                     : "rax", "rdx", "memory");
    pv_printf("guest-pv: RDMSR IA32_VMX_BASIC -> %s\n", outcome());
    caught_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, %0\n\t"
                     "mov %%cr4, %%rax\n\tor $0x2000, %%rax\n\tmov %%rax, %%cr4\n1:"
                     : "=m"(resume_rip)
                     :
                     : "rax", "rdx", "memory");
    pv_printf("guest-pv: MOV CR4 with VMXE set -> %s\n", outcome());
    caught_vector = -1;
    uint64_t phys = (uint64_t)(uintptr_t)region;
    __asm__ volatile("leaq 1f(%%rip), %%rdx\n\tmovq %%rdx, %0\n\tvmxon %1\n1:"
                     : "=m"(resume_rip)
                     : "m"(phys)
                     : "rdx", "memory");
    pv_printf("guest-pv: VMXON -> %s\n", outcome());
    trap_set_handler(0);
}

static uint64_t fib(unsigned n) {
    uint64_t a = 0, b = 1;
    while (n--) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    char signature[13];
    uint32_t max_leaf;
    if (!find_hypervisor(signature, &max_leaf)) {
        serial_init();
        printf("guest-pv: no teaching hypervisor (CPUID.01H:ECX[31] or the signature is "
               "missing); a paravirtualized guest cannot run here\n");
        debug_exit(NO_HYPERVISOR_STATUS);
    }
    uint32_t r[4];
    cpuid(HV_CPUID_FEATURES, r);
    pv_printf("guest-pv: hypervisor \"%s\" found, max leaf 0x%x, ABI v%u, hypercalls 0x%x\n",
              signature, max_leaf, r[0], r[1]);
    probe_vmx_hidden();
    uint64_t start = (uint64_t)hypercall(HC_TIME, 0, 0, 0);
    /* The same table guest-full's user task prints, so the two consoles carry similar text. */
    for (unsigned i = 10; i <= 90; i += 10)
        pv_printf("guest-pv: fib(%u) = %lu\n", i, fib(i));
    for (int i = 0; i < 3; i++)
        hypercall(HC_YIELD, 0, 0, 0);
    pv_printf("guest-pv: yielded the CPU 3 times\n");
    unsigned primes = 0;
    for (unsigned n = 2; n < 5000; n++) {
        unsigned d = 2;
        while (d * d <= n && n % d)
            d++;
        if (d * d > n) primes++;
    }
    pv_printf("guest-pv: %u primes below 5000\n", primes);
    uint64_t now = (uint64_t)hypercall(HC_TIME, 0, 0, 0);
    pv_printf("guest-pv: %lu ticks of virtual time passed (other guests' included)\n",
              (unsigned long)(now - start));
    /* IA32_TIME_STAMP_COUNTER is this guest's own: the hypervisor turns the write into a TSC
     * offset (SDM Vol. 3C, "Timestamp Counter Offset and Multiplier"), RDTSC and HC_TIME
     * follow it, and the other guests' TSCs do not move. */
    const uint64_t new_tsc = 1ull << 40;
    __asm__ volatile("wrmsr" : : "c"(0x10), "a"((uint32_t)new_tsc), "d"((uint32_t)(new_tsc >> 32)));
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t tsc = (uint64_t)hi << 32 | lo, time = (uint64_t)hypercall(HC_TIME, 0, 0, 0);
    pv_printf("guest-pv: WRMSR IA32_TSC = 2^40, then RDTSC and HC_TIME are 2^40 + %s\n",
              tsc >= new_tsc && time >= tsc && time - new_tsc < 100000 ? "a little" : "WRONG");
    long bad = hypercall(99, 0, 0, 0);
    long fault = hypercall(HC_CONSOLE_WRITE, 0x7FFF0000l, 16, 0);
    pv_printf("guest-pv: unknown hypercall -> %ld, write from unmapped memory -> %ld\n", bad,
              fault);
    pv_printf("guest-pv: done, shutting down through a hypercall\n");
    hypercall(HC_SHUTDOWN, GUEST_PV_EXIT_STATUS, 0, 0);
    debug_exit(0x7C); /* not reached: HC_SHUTDOWN does not return */
}

/* The ring-3 task: it can only compute and make system calls (INT 0x80); it formats with
 * snprintf, which touches no hardware. */
#include <stddef.h>

#include "kernel.h"
#include "lib/printf.h"
#include "lib/string.h"

static long syscall2(long nr, long a, long b) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "memory");
    return ret;
}

__attribute__((format(printf, 1, 2))) static void uprintf(const char* fmt, ...) {
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1) n = sizeof(buf) - 1;
    syscall2(SYS_WRITE, (long)buf, n);
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

void user_main(void) {
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    uprintf("user: hello from ring 3 (CS = 0x%x, CPL %u)\n", cs, cs & 3);
    for (unsigned i = 10; i <= 90; i += 10)
        uprintf("user: fib(%u) = %lu\n", i, fib(i));
    syscall2(SYS_SLEEP, 2, 0);
    uprintf("user: slept for 2 timer ticks\n");
    unsigned primes = 0;
    for (unsigned n = 2; n < 5000; n++) {
        unsigned d = 2;
        while (d * d <= n && n % d)
            d++;
        if (d * d > n) primes++;
    }
    uprintf("user: %u primes below 5000\n", primes);
    syscall2(SYS_EXIT, 7, 0);
    for (;;) {
    }
}

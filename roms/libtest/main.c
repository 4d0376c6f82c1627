/* libtest: checks the ROM library itself against hand-written expectations: snprintf (the
 * formatter behind printf) against the results C requires, the memory and string functions,
 * including overlapping memmove, and the Multiboot command-line splitter. Each formatted
 * string is printed, so expected.txt shows them too. Ends with debug-exit LIBTEST_PASS (exit
 * status 39) if every check held, LIBTEST_FAIL (3) if not. */
#include <stddef.h>
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/mbinfo.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"

#define LIBTEST_PASS 0x13 /* exit status (0x13 << 1) | 1 = 39 */
#define LIBTEST_FAIL 0x01 /* exit status 3 */

static int checks;
static int failures;

static void check(int ok, const char* what) {
    checks++;
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

/* Formats with snprintf, prints the result, and compares it with `want`. */
#define CHECK_FORMAT(want, ...)                                                                    \
    do {                                                                                           \
        char out[64];                                                                              \
        int n = snprintf(out, sizeof out, __VA_ARGS__);                                            \
        printf("format %-28s -> \"%s\"\n", #__VA_ARGS__, out);                                     \
        check(strcmp(out, want) == 0 && n == (int)strlen(want), "snprintf " #__VA_ARGS__);         \
    } while (0)

static void test_integers(void) {
    CHECK_FORMAT("0", "%d", 0);
    CHECK_FORMAT("-42", "%d", -42);
    CHECK_FORMAT("-2147483648", "%d", (int)INT32_MIN);
    CHECK_FORMAT("   42|", "%5d|", 42);
    CHECK_FORMAT("42   |", "%-5d|", 42);
    CHECK_FORMAT("-0042", "%05d", -42);
    CHECK_FORMAT("4294967295", "%u", 4294967295u);
    CHECK_FORMAT("beef BEEF", "%x %X", 0xbeefu, 0xbeefu);
    CHECK_FORMAT("00001234", "%08x", 0x1234u);
    CHECK_FORMAT("fedcba9876543210", "%lx", 0xfedcba9876543210ul);
    CHECK_FORMAT("18446744073709551615", "%llu", 18446744073709551615ull);
    CHECK_FORMAT("-9223372036854775808", "%lld", (long long)INT64_MIN);
    CHECK_FORMAT("12345", "%zu", (size_t)12345);
    CHECK_FORMAT("0x0000000000001000", "%p", (void*)0x1000);
}

static void test_strings(void) {
    CHECK_FORMAT("ab|   ab|ab   |", "%s|%5s|%-5s|", "ab", "ab", "ab");
    CHECK_FORMAT("abc", "%.3s", "abcdef");
    CHECK_FORMAT("ab", "%.*s", 2, "abcdef");
    CHECK_FORMAT("hi!", "%c%c%c", 'h', 'i', '!');
    CHECK_FORMAT("100%", "100%%");
}

/* C's snprintf contract: store at most size - 1 bytes plus a NUL, return the full length. */
static void test_truncation(void) {
    char buf[8];
    memset(buf, 'x', sizeof buf);
    int n = snprintf(buf, 4, "abcdef");
    printf("snprintf(buf, 4, \"abcdef\") = %d, buf \"%s\"\n", n, buf);
    check(n == 6 && strcmp(buf, "abc") == 0 && buf[4] == 'x', "snprintf truncates");
    n = snprintf(buf, 0, "xyz");
    check(n == 3 && buf[0] == 'a', "snprintf with size 0 stores nothing");
}

static void test_memory(void) {
    char s[16] = "0123456789";
    memmove(s + 2, s, 6); /* forward overlap: must copy from the end */
    check(memcmp(s, "0101234589", 10) == 0, "memmove to a higher overlapping address");
    memmove(s, s + 3, 5); /* backward overlap */
    check(memcmp(s, "1234534589", 10) == 0, "memmove to a lower overlapping address");
    memset(s + 4, '-', 3);
    check(memcmp(s, "1234---589", 10) == 0, "memset");
    check(memcmp("abc", "abd", 3) < 0 && memcmp("abd", "abc", 3) > 0, "memcmp order");
    check(memcmp("\x80", "\x7f", 1) > 0, "memcmp compares bytes as unsigned");
    check(strlen("") == 0 && strlen("hello") == 5, "strlen");
    check(strcmp("abc", "abc") == 0 && strcmp("ab", "abc") < 0 && strcmp("b", "abc") > 0, "strcmp");
    printf("memory: \"%.10s\" after memmove, memmove, memset\n", s);
}

static void check_split(const char* cmdline, const char* name, const char* args) {
    struct mb_words w = mb_split_cmdline(cmdline);
    printf("split \"%s\" -> name \"%.*s\", args \"%s\"\n", cmdline, (int)w.name_len, w.name,
           w.args);
    check(w.name_len == strlen(name) && memcmp(w.name, name, w.name_len) == 0 &&
              strcmp(w.args, args) == 0,
          "mb_split_cmdline");
}

static void test_cmdline(void) {
    check_split("roms/prebuilt/hello.elf a=1  b", "hello.elf", "a=1  b");
    check_split("  /abs/path/k.elf   x", "k.elf", "x");
    check_split("plain", "plain", "");
    check_split("", "", "");
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("libtest: the ROM library against hand-written expectations\n");
    test_integers();
    test_strings();
    test_truncation();
    test_memory();
    test_cmdline();
    if (failures == 0) {
        printf("libtest: PASS (%d checks)\n", checks);
        debug_exit(LIBTEST_PASS);
    }
    printf("libtest: FAIL (%d of %d checks)\n", failures, checks);
    debug_exit(LIBTEST_FAIL);
}

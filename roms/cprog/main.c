/* cprog: ordinary C, compiled with gcc -O2 and SSE allowed, as a test of the CPU under
 * compiled code: CRC-32 of a generated buffer, quicksort checked against insertion sort, a
 * hash table put through insert/lookup/delete, and a stable sort of 32-byte records (whole
 * struct copies, which gcc turns into 128-bit SSE moves). It prints its results, checks
 * them, and ends through debug-exit: CPROG_PASS (exit status 35) if every check held,
 * CPROG_FAIL (3) if not. All inputs come from fixed LCG seeds, so every run prints the same.
 * The expected values were also computed independently on the host (Python zlib.crc32 and
 * sorted()) when expected.txt was made. */
#include <stdint.h>

#include "cprog/crc32.h"
#include "cprog/hash_table.h"
#include "cprog/records.h"
#include "cprog/sort.h"
#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/lcg.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"

#define CPROG_PASS 0x11 /* exit status (0x11 << 1) | 1 = 35 */
#define CPROG_FAIL 0x01 /* exit status 3 */

#define CRC_SEED 0x243F6A8885A308D3ull /* digits of pi: nothing up the sleeve */
#define SORT_SEED 0x13198A2E03707344ull
#define HASH_SEED 0xA4093822299F31D0ull
#define RECORD_SEED 0x082EFA98EC4E6C89ull
#define BUFFER_SIZE 65536
#define SORT_COUNT 4000
#define SORT_RANGE 50000 /* small enough to give duplicates */
#define HASH_KEYS 3000
#define ABSENT_KEYS 1000
#define RECORD_COUNT 512

static uint8_t buffer[BUFFER_SIZE];
static uint32_t numbers[SORT_COUNT];
static uint32_t reference[SORT_COUNT];
static uint8_t deleted[HASH_KEYS];
static struct hash_table table;
static struct record records[RECORD_COUNT];
static int failures;

static void check(int ok, const char* what) {
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static void run_crc32(void) {
    crc32_init();
    uint32_t known = crc32("123456789", 9);
    printf("crc32: \"123456789\" -> %08x\n", known);
    check(known == 0xCBF43926u, "crc32 check value");

    struct lcg g = {CRC_SEED};
    for (uint32_t i = 0; i < BUFFER_SIZE; i++)
        buffer[i] = (uint8_t)(lcg_next(&g) >> 24);
    printf("crc32: %u LCG bytes -> %08x\n", BUFFER_SIZE, crc32(buffer, BUFFER_SIZE));
    printf("crc32: first half -> %08x, second half -> %08x\n", crc32(buffer, BUFFER_SIZE / 2),
           crc32(buffer + BUFFER_SIZE / 2, BUFFER_SIZE / 2));
}

/* Sum of (i + 1) * a[i]: sensitive to order as well as to contents. */
static uint64_t weighted_sum(const uint32_t* a, uint32_t n) {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += (uint64_t)(i + 1) * a[i];
    return sum;
}

static uint32_t count_distinct(const uint32_t* sorted, uint32_t n) {
    uint32_t distinct = n > 0;
    for (uint32_t i = 1; i < n; i++)
        distinct += sorted[i] != sorted[i - 1];
    return distinct;
}

static void run_sort(void) {
    struct lcg g = {SORT_SEED};
    for (uint32_t i = 0; i < SORT_COUNT; i++)
        numbers[i] = lcg_next(&g) % SORT_RANGE;
    memcpy(reference, numbers, sizeof(numbers));
    printf("sort: %u numbers below %u, unsorted weighted sum %llu\n", SORT_COUNT, SORT_RANGE,
           (unsigned long long)weighted_sum(numbers, SORT_COUNT));

    quick_sort(numbers, SORT_COUNT);
    insertion_sort(reference, SORT_COUNT);
    check(is_sorted(numbers, SORT_COUNT), "quick_sort result is sorted");
    check(memcmp(numbers, reference, sizeof(numbers)) == 0, "quick_sort == insertion_sort");
    printf("sort: min %u, median %u, max %u, distinct %u\n", numbers[0], numbers[SORT_COUNT / 2],
           numbers[SORT_COUNT - 1], count_distinct(numbers, SORT_COUNT));
    printf("sort: sorted weighted sum %llu\n",
           (unsigned long long)weighted_sum(numbers, SORT_COUNT));
}

/* Distinct, non-zero keys: multiplying by an odd constant is a bijection mod 2^32. */
static uint32_t key_of(uint32_t i) {
    return (i + 1) * 0x9E3779B1u;
}

static uint32_t value_of(uint32_t i, uint32_t generation) {
    return i * 7 + generation * 100000;
}

/* Every present key maps to its value of `generation`; deleted and absent keys are missing. */
static void check_contents(uint32_t generation, int expect_deleted) {
    uint32_t found = 0;
    uint64_t value_sum = 0;
    for (uint32_t i = 0; i < HASH_KEYS; i++) {
        uint32_t v;
        int present = hash_get(&table, key_of(i), &v);
        int expected = !(expect_deleted && deleted[i]);
        check(present == expected, "hash presence");
        if (present) {
            check(v == value_of(i, generation), "hash value");
            found++;
            value_sum += v;
        }
    }
    uint32_t absent_found = 0;
    for (uint32_t i = HASH_KEYS; i < HASH_KEYS + ABSENT_KEYS; i++) {
        uint32_t v;
        absent_found += (uint32_t)hash_get(&table, key_of(i), &v);
    }
    check(absent_found == 0, "absent keys are absent");
    printf("hash: %u found, value sum %llu, %u of %u absent keys found, count %u\n", found,
           (unsigned long long)value_sum, absent_found, ABSENT_KEYS, table.count);
}

static void run_hash_table(void) {
    hash_init(&table);
    for (uint32_t i = 0; i < HASH_KEYS; i++)
        check(hash_put(&table, key_of(i), value_of(i, 0)), "hash_put");
    check_contents(0, 0);

    struct lcg g = {HASH_SEED};
    uint32_t removed = 0;
    for (uint32_t i = 0; i < HASH_KEYS; i++) {
        deleted[i] = lcg_next(&g) % 3 == 0;
        if (deleted[i]) {
            check(hash_delete(&table, key_of(i)), "hash_delete of a present key");
            removed++;
        }
    }
    check(!hash_delete(&table, key_of(HASH_KEYS)), "hash_delete of an absent key");
    printf("hash: deleted %u keys\n", removed);
    check_contents(0, 1);

    for (uint32_t i = 0; i < HASH_KEYS; i++)
        check(hash_put(&table, key_of(i), value_of(i, 1)), "hash_put again");
    check_contents(1, 0);
    printf("hash: %u probes in all\n", table.probes);
}

static void run_records(void) {
    struct lcg g = {RECORD_SEED};
    records_fill(records, RECORD_COUNT, &g);
    printf("records: %u of %u bytes, crc32 %08x before sorting\n", RECORD_COUNT,
           (unsigned)sizeof(struct record), crc32(records, sizeof(records)));
    records_sort(records, RECORD_COUNT);
    check(records_sorted_stably(records, RECORD_COUNT), "records sorted stably");
    printf("records: first %s key %llu, last %s key %llu, crc32 %08x after\n", records[0].name,
           (unsigned long long)records[0].key, records[RECORD_COUNT - 1].name,
           (unsigned long long)records[RECORD_COUNT - 1].key, crc32(records, sizeof(records)));
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("cprog: CRC-32, sorting, a hash table and records in C (gcc -O2, SSE)\n");
    run_crc32();
    run_sort();
    run_hash_table();
    run_records();
    if (failures == 0) {
        printf("cprog: PASS\n");
        debug_exit(CPROG_PASS);
    }
    printf("cprog: FAIL (%d checks)\n", failures);
    debug_exit(CPROG_FAIL);
}

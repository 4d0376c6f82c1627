/* An array of 32-byte records sorted by key. Whole-record assignment is what makes gcc -O2
 * emit 128-bit SSE loads and stores (MOVDQU/MOVUPS) in ordinary C. */
#ifndef ROMS_CPROG_RECORDS_H
#define ROMS_CPROG_RECORDS_H

#include <stdint.h>

#include "lib/lcg.h"

struct record {
    uint64_t key;
    uint32_t id;
    uint32_t flags;
    char name[16]; /* "rec-" and the id in hex, zero-padded */
};

void records_fill(struct record* r, uint32_t n, struct lcg* g);
/* Stable insertion sort by key: equal keys keep their id order. */
void records_sort(struct record* r, uint32_t n);
/* 1 if keys ascend and, for equal keys, ids ascend. */
int records_sorted_stably(const struct record* r, uint32_t n);

#endif

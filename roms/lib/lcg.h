/* A 64-bit linear congruential generator (Knuth's MMIX constants). Fixed seeds make every
 * run of a ROM compute on the same data. */
#ifndef ROMS_LIB_LCG_H
#define ROMS_LIB_LCG_H

#include <stdint.h>

struct lcg {
    uint64_t state;
};

static inline uint32_t lcg_next(struct lcg* g) {
    g->state = g->state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g->state >> 32); /* the high half: the low bits of an LCG are weak */
}

#endif

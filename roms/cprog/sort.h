/* Two ways to sort 32-bit unsigned numbers into ascending order; the program checks that they
 * agree. */
#ifndef ROMS_CPROG_SORT_H
#define ROMS_CPROG_SORT_H

#include <stddef.h>
#include <stdint.h>

void insertion_sort(uint32_t* a, size_t n);

/* Quicksort with median-of-three pivots; ranges below a cut-off go to insertion sort, and it
 * recurses into the smaller half only, so the stack stays O(log n). */
void quick_sort(uint32_t* a, size_t n);

int is_sorted(const uint32_t* a, size_t n);

#endif

#include "sort.h"

#define INSERTION_CUTOFF 16

void insertion_sort(uint32_t* a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

static void swap(uint32_t* a, size_t i, size_t j) {
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Orders a[lo], a[mid], a[hi] and returns the median's value (left at a[mid]). */
static uint32_t median_of_three(uint32_t* a, size_t lo, size_t mid, size_t hi) {
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    return a[mid];
}

/* Hoare partition of a[0..n) (n > INSERTION_CUTOFF); returns p with a[0..p] <= a[p+1..n). */
static size_t partition(uint32_t* a, size_t n) {
    uint32_t pivot = median_of_three(a, 0, n / 2, n - 1);
    size_t i = 0, j = n - 1;
    for (;;) {
        while (a[i] < pivot)
            i++;
        while (a[j] > pivot)
            j--;
        if (i >= j) return j;
        swap(a, i, j);
        i++;
        j--;
    }
}

void quick_sort(uint32_t* a, size_t n) {
    while (n > INSERTION_CUTOFF) {
        size_t left = partition(a, n) + 1;
        size_t right = n - left;
        if (left < right) {
            quick_sort(a, left);
            a += left;
            n = right;
        } else {
            quick_sort(a + left, right);
            n = left;
        }
    }
    insertion_sort(a, n);
}

int is_sorted(const uint32_t* a, size_t n) {
    for (size_t i = 1; i < n; i++)
        if (a[i - 1] > a[i]) return 0;
    return 1;
}

/* EPT construction. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "EPT Translation
 * Mechanism" and "EPT and Memory Typing". Guest RAM is a 2 MiB-aligned slice, a whole number
 * of 2 MiB, so one PML4 page, one PDPT page and one PD page per GiB suffice: 2 MiB leaves. */
#include "ept.h"

#include "guest.h"
#include "lib/string.h"

#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXECUTE (1ull << 2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_WB (6ull << 3) /* leaf memory type: write-back, as RAM */
#define EPT_LEAF_2M (1ull << 7)
#define EPTP_WB 6ull                   /* paging-structure memory type */
#define EPTP_WALK_LENGTH_4 (3ull << 3) /* page-walk length minus one */
#define MAX_GIB 1

/* Per guest: PML4, PDPT, and one PD per GiB of guest RAM. */
static uint64_t ept_tables[MAX_GUESTS][2 + MAX_GIB][512] __attribute__((aligned(4096)));

void ept_build(struct guest* g) {
    uint64_t(*t)[512] = ept_tables[g->index];
    memset(t, 0, sizeof(ept_tables[0]));
    t[0][0] = (uint64_t)(uintptr_t)t[1] | EPT_RWX; /* PML4[0] -> PDPT: the first 512 GiB */
    for (uint64_t gpa = 0; gpa < g->ram_size; gpa += 0x200000) {
        unsigned gib = (unsigned)(gpa >> 30);
        t[1][gib] = (uint64_t)(uintptr_t)t[2 + gib] | EPT_RWX;
        t[2 + gib][(gpa >> 21) & 511] =
            (g->ram_host + gpa) | EPT_RWX | EPT_MEMTYPE_WB | EPT_LEAF_2M;
    }
    g->ept_pml4 = t[0];
}

uint64_t ept_pointer(const struct guest* g) {
    return (uint64_t)(uintptr_t)g->ept_pml4 | EPTP_WALK_LENGTH_4 | EPTP_WB;
}

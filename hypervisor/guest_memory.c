/* Guest memory access (see guest_memory.h). The walks follow Intel SDM, Dec 2023 (Order
 * 325462-081), Vol. 3A, "32-Bit Paging", "PAE Paging" and "4-Level Paging and 5-Level
 * Paging"; they read the tables and never set accessed/dirty bits (the hypervisor is not
 * the guest's CPU). */
#include "guest_memory.h"

#include "guest.h"
#include "lib/string.h"
#include "vmx_ops.h"

#define PTE_P 1ull
#define PTE_PS 0x80ull
#define ADDR_MASK 0x000FFFFFFFFFF000ull

void* gpa_to_host(const struct guest* g, uint64_t gpa, uint64_t len) {
    if (gpa >= g->ram_size || len > g->ram_size - gpa) return NULL;
    return (void*)(uintptr_t)(g->ram_host + gpa);
}

static int read_entry(const struct guest* g, uint64_t gpa, uint64_t* e) {
    const uint64_t* p = gpa_to_host(g, gpa, 8);
    if (!p) return -1;
    *e = *p;
    return (*e & PTE_P) ? 0 : -1;
}

static int walk_4level(const struct guest* g, uint64_t gva, uint64_t* gpa) {
    uint64_t table = vmread(GUEST_CR3) & ADDR_MASK, e = 0;
    for (int level = 4; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        if (read_entry(g, table + ((gva >> shift) & 511) * 8, &e)) return -1;
        if (level <= 3 && level >= 2 && (e & PTE_PS)) {
            uint64_t size = 1ull << shift;
            *gpa = (e & ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
            return 0;
        }
        table = e & ADDR_MASK;
    }
    *gpa = table | (gva & 0xFFF);
    return 0;
}

static int walk_pae(const struct guest* g, uint64_t gva, uint64_t* gpa) {
    uint64_t e = vmread(GUEST_PDPTE0 + 2 * ((gva >> 30) & 3));
    if (!(e & PTE_P)) return -1;
    if (read_entry(g, (e & ADDR_MASK) + ((gva >> 21) & 511) * 8, &e)) return -1;
    if (e & PTE_PS) {
        *gpa = (e & ADDR_MASK & ~0x1FFFFFull) | (gva & 0x1FFFFF);
        return 0;
    }
    if (read_entry(g, (e & ADDR_MASK) + ((gva >> 12) & 511) * 8, &e)) return -1;
    *gpa = (e & ADDR_MASK) | (gva & 0xFFF);
    return 0;
}

static int walk_32bit(const struct guest* g, uint64_t gva, uint64_t* gpa) {
    const uint32_t* pde =
        gpa_to_host(g, (vmread(GUEST_CR3) & 0xFFFFF000) + ((gva >> 22) & 1023) * 4, 4);
    if (!pde || !(*pde & PTE_P)) return -1;
    if ((*pde & PTE_PS) && (g->cr4_shadow & CR4_PSE)) {
        *gpa = (*pde & 0xFFC00000u) | (gva & 0x3FFFFF);
        return 0;
    }
    const uint32_t* pte = gpa_to_host(g, (*pde & 0xFFFFF000u) + ((gva >> 12) & 1023) * 4, 4);
    if (!pte || !(*pte & PTE_P)) return -1;
    *gpa = (*pte & 0xFFFFF000u) | (gva & 0xFFF);
    return 0;
}

int gva_to_gpa(const struct guest* g, uint64_t gva, uint64_t* gpa) {
    if (!(g->cr0_shadow & CR0_PG)) {
        *gpa = gva & 0xFFFFFFFF; /* paging off (as the guest sees it): linear = physical */
        return 0;
    }
    if (g->efer_shadow & EFER_LMA) return walk_4level(g, gva, gpa);
    if (g->cr4_shadow & CR4_PAE) return walk_pae(g, gva & 0xFFFFFFFF, gpa);
    return walk_32bit(g, gva & 0xFFFFFFFF, gpa);
}

/* Page by page: consecutive linear pages need not be consecutive in guest-physical memory. */
static int copy_guest(const struct guest* g, uint64_t gva, uint8_t* buf, size_t len, int to_guest) {
    while (len) {
        uint64_t gpa;
        size_t chunk = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
        if (chunk > len) chunk = len;
        if (gva_to_gpa(g, gva, &gpa)) return -1;
        uint8_t* host = gpa_to_host(g, gpa, chunk);
        if (!host) return -1;
        if (to_guest)
            memcpy(host, buf, chunk);
        else
            memcpy(buf, host, chunk);
        gva += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_guest(const struct guest* g, void* dst, uint64_t gva, size_t len) {
    return copy_guest(g, gva, dst, len, 0);
}

int copy_to_guest(const struct guest* g, uint64_t gva, const void* src, size_t len) {
    return copy_guest(g, gva, (uint8_t*)(uintptr_t)src, len, 1);
}

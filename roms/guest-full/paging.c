/* The kernel's own page tables, replacing the boot tables of lib/entry32.S: the first GiB
 * identity-mapped with 2 MiB pages that ring 3 may use, and the LAPIC's page, supervisor-only
 * and uncacheable. Nothing else is mapped, so a stray pointer faults. Intel SDM, Dec 2023
 * (Order 325462-081), Vol. 3A, "4-Level Paging and 5-Level Paging". */
#include "kernel.h"

#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_US 0x004 /* user accessible */
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS 0x080 /* 2 MiB page in a PD entry */
#define LAPIC_BASE 0xFEE00000ull
#define PAGE_2M 0x200000ull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));  /* 0 .. 1 GiB */
static uint64_t pd_mmio[512] __attribute__((aligned(4096))); /* 3 .. 4 GiB */

void paging_init(void) {
    /* U/S and R/W must be set at every level for a user write to pass (SDM Vol. 3A,
     * "Access Rights"). */
    pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_RW | PTE_US;
    pdpt[0] = (uint64_t)(uintptr_t)pd_low | PTE_P | PTE_RW | PTE_US;
    pdpt[3] = (uint64_t)(uintptr_t)pd_mmio | PTE_P | PTE_RW;
    for (uint64_t i = 0; i < 512; i++)
        pd_low[i] = i * PAGE_2M | PTE_P | PTE_RW | PTE_US | PTE_PS;
    pd_mmio[(LAPIC_BASE >> 21) & 511] = LAPIC_BASE | PTE_P | PTE_RW | PTE_PCD | PTE_PWT | PTE_PS;
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
}

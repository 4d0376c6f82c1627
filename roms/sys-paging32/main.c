/* sys-paging32: 32-bit paging (with and without CR4.PSE, 4 MiB pages) and PAE paging (2 MiB
 * pages, XD, the PDPTE registers) in 32-bit protected mode. Each case leaves 64-bit mode for
 * one access and comes back (probe32.S). Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A,
 * "32-Bit Paging", "PAE Paging" ("PDPTE Registers"), "Access Rights", "Page-Fault Exception
 * (#PF)", "Accessed and Dirty Flags".
 * One line per case; ends with debug-exit SYS_PASS (43) or SYS_FAIL (3). */
#include "lib/kmain.h"
#include "sys-lib/sys.h"

#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define TEST32 0x40000000u /* PDE 0x100 (32-bit) / PDPTE 1 (PAE) */

extern volatile uint32_t p32_cr3, p32_cr4, p32_op, p32_addr, p32_poke_addr, p32_poke_value,
    p32_reload_cr3, p32_vector, p32_error, p32_cr2, p32_value, p32_eip;
extern struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) idt32_pointer;
extern const uint8_t p32_stubs[];
void probe32(void);

static uint64_t idt32[32];

/* 32-bit paging structures: 1024 4-byte entries per table. */
__attribute__((aligned(4096))) volatile uint32_t pd32[1024], pt32_ident[1024], pt32_test[1024];
/* PAE: a 32-byte aligned PDPT of 4 entries, 512 8-byte entries per table. */
__attribute__((aligned(4096))) volatile uint64_t pae_pdpt[4], pae_pd_ident[512], pae_pd_test[512],
    pae_pd_other[512], pae_pt_test[512];
__attribute__((aligned(4096))) uint8_t page_a[4096], page_b[4096], page_c[4096], page_d[4096];
/* With CR4.PSE = 0 a PDE's PS bit is ignored: the 4 MiB frame at 4 MiB is then read as a page
 * table. Its first entry is prepared here, through the 64-bit identity mapping. */
#define FRAME_4M 0x400000u

enum { OP_READ, OP_WRITE, OP_FETCH, OP_CR3, OP_NONE };

static void run(uint32_t cr3, uint32_t cr4, uint32_t op, uint32_t addr) {
    p32_cr3 = cr3;
    p32_cr4 = cr4;
    p32_op = op;
    p32_addr = addr;
    probe32();
    p32_poke_addr = 0;
    p32_reload_cr3 = 0;
}

static void result(char* buf, size_t n) {
    if (p32_vector == 0xFF)
        snprintf(buf, n, "no fault");
    else if (p32_vector == 14)
        snprintf(buf, n, "#PF(0x%x) cr2=0x%x", p32_error, p32_cr2);
    else if (p32_vector == 13)
        snprintf(buf, n, "#GP(0x%x)", p32_error);
    else
        snprintf(buf, n, "vector %u", p32_vector);
}

static void expect32(const char* name, const char* want) {
    char got[48];
    result(got, sizeof got);
    sys_cases++;
    printf("%s: %s\n", name, got);
    if (strcmp(got, want) != 0) {
        printf("  WRONG: expected %s\n", want);
        sys_failures++;
    }
}

/* A case QEMU 7.2 gets wrong (qemu-differs): printed, expected.txt checks it. */
static void observe32(const char* name) {
    char got[48];
    result(got, sizeof got);
    sys_cases++;
    printf("%s: %s\n", name, got);
}

static void init32(void) {
    for (int v = 0; v < 32; v++) {
        uint32_t h = (uint32_t)(uintptr_t)(p32_stubs + 16 * v);
        /* 32-bit interrupt gate: P, DPL 0, type 0xE (SDM Vol. 3A, "IDT Descriptors"). */
        idt32[v] = (h & 0xFFFF) | (uint64_t)GDT_CODE32 << 16 | (uint64_t)0x8E00 << 32 |
                   (uint64_t)(h >> 16) << 48;
    }
    idt32_pointer.base = (uint32_t)(uintptr_t)idt32;
    memset(page_a, 0xC3, sizeof page_a); /* fetches return */
    memset(page_b, 0xC3, sizeof page_b);
    memset(page_c, 0xC3, sizeof page_c);
    ((volatile uint32_t*)page_a)[1] = 0xAAAAAAAA;
    ((volatile uint32_t*)page_b)[1] = 0xBBBBBBBB;
    ((volatile uint32_t*)page_c)[1] = 0xCCCCCCCC;
    /* 32-bit: 0-4 MiB identity through a page table, the test region through pt32_test. */
    for (uint32_t i = 0; i < 1024; i++)
        pt32_ident[i] = i * 4096 | 0x3;
    pd32[0] = (uint32_t)phys(pt32_ident) | 0x3;
    pd32[TEST32 >> 22] = (uint32_t)phys(pt32_test) | 0x3;
    /* PAE: 0-4 MiB identity with two 2 MiB pages. */
    pae_pd_ident[0] = 0x000000 | PTE_PS | 0x3;
    pae_pd_ident[1] = 0x200000 | PTE_PS | 0x3;
    pae_pdpt[0] = phys(pae_pd_ident) | PTE_P;
    pae_pdpt[1] = phys(pae_pd_test) | PTE_P;
    pae_pd_test[0] = phys(pae_pt_test) | 0x3;
    pae_pd_other[0] = phys(pae_pt_test) | 0x3;
}

static void paging32(void) {
    uint32_t cr3 = (uint32_t)phys(pd32);
    char name[80];
    wr_cr0(rd_cr0() | CR0_WP);
    pt32_test[1] = (uint32_t)phys(page_a) | 0x3;
    run(cr3, 0, OP_READ, TEST32 + 0x1004);
    expect32("32-bit: read through a 4k pte", "no fault");
    expect_value("32-bit: value read", p32_value, 0xAAAAAAAA);
    expect_value("32-bit: pte a/d after read", pt32_test[1] & 0x60, 0x20);
    run(cr3, 0, OP_WRITE, TEST32 + 0x1008);
    expect_value("32-bit: pte a/d after write", pt32_test[1] & 0x60, 0x60);
    expect_value("32-bit: pde accessed", pd32[TEST32 >> 22] & 0x20, 0x20);
    run(cr3, 0, OP_READ, TEST32 + 0x2004);
    expect32("32-bit: pte not present", "#PF(0x0) cr2=0x40002004");
    run(cr3, 0, OP_WRITE, 0x80000000u + 16);
    expect32("32-bit: pde not present, write", "#PF(0x2) cr2=0x80000010");
    pt32_test[3] = (uint32_t)phys(page_d) | 0x1; /* the write cases' own page */
    run(cr3, 0, OP_WRITE, TEST32 + 0x3004);
    expect32("32-bit: write to read-only, wp=1", "#PF(0x3) cr2=0x40003004");
    wr_cr0(rd_cr0() & ~CR0_WP);
    run(cr3, 0, OP_WRITE, TEST32 + 0x3004);
    expect32("32-bit: write to read-only, wp=0", "no fault");
    wr_cr0(rd_cr0() | CR0_WP);
    run(cr3, 0, OP_FETCH, TEST32 + 0x1000);
    expect32("32-bit: fetch (no xd in 32-bit paging)", "no fault");

    /* 4 MiB pages: a PDE with PS maps 4 MiB when CR4.PSE = 1 ("32-Bit Paging"). */
    uint32_t pde = (TEST32 >> 22) + 1;
    pd32[pde] = FRAME_4M | 0x80 | 0x3;
    *(volatile uint32_t*)(uintptr_t)(FRAME_4M + 0x12344) = 0x44444444;
    run(cr3, CR4_PSE, OP_READ, TEST32 + 0x400000 + 0x12344);
    expect32("32-bit pse=1: read through a 4 MiB page", "no fault");
    expect_value("32-bit pse=1: value read", p32_value, 0x44444444);
    expect_value("32-bit pse=1: 4 MiB pde a/d", pd32[pde] & 0x60, 0x20);
    /* With CR4.PSE = 0 the PS bit is ignored: the frame is a page table. */
    *(volatile uint32_t*)(uintptr_t)(FRAME_4M + 0) = (uint32_t)phys(page_c) | 0x3;
    run(cr3, 0, OP_READ, TEST32 + 0x400000 + 4);
    expect32("32-bit pse=0: ps ignored, read", "no fault");
    expect_value("32-bit pse=0: value read (frame used as a page table)", p32_value, 0xCCCCCCCC);
    /* Bit 21 of a 4 MiB PDE is reserved (PSE-36 uses bits 20:13 at most): RSVD | P. */
    pd32[pde] = FRAME_4M | 0x80 | 0x3 | (1u << 21);
    run(cr3, CR4_PSE, OP_READ, TEST32 + 0x400000);
    observe32("32-bit pse=1: 4 MiB pde reserved bit 21");
    pd32[pde] = 0;
    snprintf(name, sizeof name, "32-bit: cr2 is the 32-bit linear address");
    run(cr3, 0, OP_READ, 0xFFFFF000u);
    expect32(name, "#PF(0x0) cr2=0xfffff000");
}

static void pae(void) {
    uint32_t cr3 = (uint32_t)phys(pae_pdpt);
    pae_pt_test[1] = phys(page_a) | 0x3;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x1004);
    expect32("pae: read through a 4k pte", "no fault");
    expect_value("pae: value read", p32_value, 0xAAAAAAAA);
    pae_pt_test[2] = phys(page_b) | 0x3 | PTE_NX;
    run(cr3, CR4_PAE, OP_FETCH, TEST32 + 0x2000);
    expect32("pae: fetch from an xd page (efer.nxe = 1)", "#PF(0x11) cr2=0x40002000");
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x2004);
    expect32("pae: read from an xd page", "no fault");
    pae_pd_test[1] = FRAME_4M | PTE_PS | 0x3;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x200000 + 0x12344);
    expect32("pae: read through a 2 MiB page", "no fault");
    expect_value("pae: value read", p32_value, 0x44444444);
    /* PDPTE not present: #PF at the access. */
    pae_pdpt[2] = 0;
    run(cr3, CR4_PAE, OP_READ, 0x80000000u);
    expect32("pae: pdpte not present", "#PF(0x0) cr2=0x80000000");

    /* The PDPTE registers: loaded by MOV CR3 (and when paging is turned on), not re-read
     * from memory at each walk ("PDPTE Registers"). Changing PDPTE 1 in memory leaves the old
     * translation in force until MOV CR3. QEMU walks the PDPT in memory (qemu-differs). */
    pae_pt_test[1] = phys(page_a) | 0x3;
    pae_pd_other[0] = phys(pae_pt_test) | 0x3;
    static volatile uint64_t other_pt[512] __attribute__((aligned(4096)));
    other_pt[1] = phys(page_b) | 0x3;
    pae_pd_other[0] = phys(other_pt) | 0x3;
    p32_poke_addr = (uint32_t)phys(&pae_pdpt[1]);
    p32_poke_value = (uint32_t)phys(pae_pd_other) | 1;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x1004);
    observe_value("pae: pdpte changed in memory, no mov cr3 (pdpte register)", p32_value);
    pae_pdpt[1] = phys(pae_pd_test) | PTE_P;
    p32_poke_addr = (uint32_t)phys(&pae_pdpt[1]);
    p32_poke_value = (uint32_t)phys(pae_pd_other) | 1;
    p32_reload_cr3 = 1;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x1004);
    expect_value("pae: pdpte changed in memory, then mov cr3", p32_value, 0xBBBBBBBB);
    pae_pdpt[1] = phys(pae_pd_test) | PTE_P;

    /* Reserved bits in a PDPTE: #GP(0) when the PDPTE registers are loaded (MOV CR3 with
     * PAE paging on, or CR0.PG = 1), not a page fault. Bits 2:1 are reserved. QEMU loads no
     * PDPTE registers (qemu-differs). */
    p32_poke_addr = (uint32_t)phys(&pae_pdpt[1]);
    p32_poke_value = (uint32_t)phys(pae_pd_test) | 1 | 2;
    run(cr3, CR4_PAE, OP_CR3, 0);
    observe32("pae: mov cr3 with a reserved bit in a pdpte");
    pae_pdpt[1] = phys(pae_pd_test) | PTE_P | 2;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x1004);
    observe32("pae: cr0.pg = 1 with a reserved bit in a pdpte");
    pae_pdpt[1] = phys(pae_pd_test) | PTE_P;
    run(cr3, CR4_PAE, OP_READ, TEST32 + 0x1004);
    expect32("pae: pdpte fixed", "no fault");
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    sys_init();
    printf("sys-paging32: 32-bit paging (PSE, 4 MiB pages) and PAE paging (PDPTE registers)\n");
    init32();
    paging32();
    pae();
    sys_finish("sys-paging32");
}

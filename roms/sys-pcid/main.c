/* sys-pcid: process-context identifiers and INVPCID. Intel SDM, Dec 2023 (Order
 * 325462-081), Vol. 3A, "Process-Context Identifiers (PCIDs)", "Invalidation of TLB Entries"
 * ("Operations that Invalidate TLBs and Paging-Structure Caches"), Vol. 2A "INVPCID",
 * Vol. 2B "MOV—Move to/from Control Registers" (CR3 bit 63, CR4.PCIDE).
 * QEMU 7.2's TCG implements neither PCID nor INVPCID (qemu-skip): the expectations are the
 * SDM's rules, checked on hvlab. Where the SDM only allows a stale translation to survive
 * ("may"), the line says "kept" for hvlab's TLB, which keeps every entry it is not told to
 * drop, so that a missing invalidation shows as on hardware.
 * One line per case; ends with debug-exit SYS_PASS (43) or SYS_FAIL (3). */
#include "lib/kmain.h"
#include "sys-lib/sys.h"

#define S 10 /* the test slot */
#define NO_FLUSH (1ull << 63)

__attribute__((aligned(4096))) uint8_t page_a[4096], page_b[4096], page_c[4096], page_g[4096];

static uint64_t base;
static uint64_t mark(void) {
    return *(volatile uint64_t*)(uintptr_t)SLOT(S);
}
static uint64_t mark_g(void) {
    return *(volatile uint64_t*)(uintptr_t)SLOT(S + 1);
}
static void point(uint64_t* page) {
    test_pt[S] = phys(page) | PTE_P | PTE_W;
}

static void expect_page(const char* name, uint64_t want) {
    uint64_t got = mark();
    sys_cases++;
    printf("%s: page %c\n", name, (int)(got & 0xFF));
    if (got != want) {
        printf("  WRONG: expected page %c\n", (int)(want & 0xFF));
        sys_failures++;
    }
}
static void expect_global(const char* name, uint64_t want) {
    uint64_t got = mark_g();
    sys_cases++;
    printf("%s: page %c\n", name, (int)(got & 0xFF));
    if (got != want) {
        printf("  WRONG: expected page %c\n", (int)(want & 0xFF));
        sys_failures++;
    }
}

ASM_CASE(mov_cr4, "", "movq %rdi, %cr4");
ASM_CASE(mov_cr3, "", "movq %rdi, %cr3");

struct invpcid_desc {
    uint64_t pcid;
    uint64_t address;
} __attribute__((aligned(16)));
static struct invpcid_desc desc;
volatile uint64_t inv_type;
ASM_CASE(do_invpcid, "movq inv_type(%rip), %rax", "invpcid (%rdi), %rax");
static int invpcid(uint64_t type, uint64_t pcid, uint64_t address) {
    inv_type = type;
    desc = (struct invpcid_desc){pcid, address};
    return sys_try(do_invpcid, phys(&desc));
}

static void cr_rules(void) {
    /* CR4.PCIDE 0 -> 1 needs CR3[11:0] = 0 ("MOV to CR4": #GP(0)). */
    wr_cr3(base | 0x8); /* PWT */
    expect("set cr4.pcide with cr3[11:0] != 0", sys_try(mov_cr4, rd_cr4() | CR4_PCIDE), "#GP(0x0)");
    wr_cr3(base);
    expect("set cr4.pcide with cr3[11:0] = 0", sys_try(mov_cr4, rd_cr4() | CR4_PCIDE), "no fault");
    expect("mov cr3, pcid 1", sys_try(mov_cr3, base | 1), "no fault");
    expect_value("cr3 reads the pcid (cr3 - pml4 address)", rd_cr3() - base, 1);
    expect("mov cr3, pcid 2 | no-flush bit 63", sys_try(mov_cr3, base | 2 | NO_FLUSH), "no fault");
    expect_value("cr3 bit 63 is not kept (cr3 - pml4 address)", rd_cr3() - base, 2);
    wr_cr3(base);
}

static void tagged_tlb(void) {
    wr_cr3(base | 1);
    point((uint64_t*)page_a);
    invlpg(SLOT(S));
    expect_page("pcid 1: read", 'A');
    point((uint64_t*)page_b);
    /* MOV to CR3 without bit 63 invalidates the new PCID's entries only. */
    wr_cr3(base | 2);
    expect_page("pte -> b, switch to pcid 2 (flush pcid 2)", 'B');
    point((uint64_t*)page_c);
    wr_cr3(base | 1 | NO_FLUSH);
    expect_page("pte -> c, back to pcid 1 with no-flush (kept)", 'A');
    wr_cr3(base | 2 | NO_FLUSH);
    expect_page("pcid 2 with no-flush (kept)", 'B');
    wr_cr3(base | 1);
    expect_page("pcid 1 without no-flush: flushed", 'C');
    /* INVLPG works in the current PCID. */
    point((uint64_t*)page_a);
    invlpg(SLOT(S));
    expect_page("pte -> a, invlpg in pcid 1", 'A');
}

static void invpcid_types(void) {
    /* Make stale entries in PCIDs 1 and 2: both map A, then the PTE says C. */
    point((uint64_t*)page_a);
    wr_cr3(base | 1);
    mark();
    wr_cr3(base | 2);
    mark();
    point((uint64_t*)page_c);
    wr_cr3(base | 1 | NO_FLUSH);
    expect_page("stale a in pcid 1", 'A');
    /* Type 0: one address in one PCID (here another PCID than the current one). */
    wr_cr3(base | 2 | NO_FLUSH);
    expect("invpcid type 0 (pcid 1, the slot)", invpcid(0, 1, SLOT(S)), "no fault");
    expect_page("pcid 2 after type 0 for pcid 1 (kept)", 'A');
    wr_cr3(base | 1 | NO_FLUSH);
    expect_page("pcid 1 after type 0 for pcid 1", 'C');
    /* Type 1: a whole PCID. */
    point((uint64_t*)page_b);
    expect_page("pte -> b, pcid 1 still c", 'C');
    expect("invpcid type 1 (pcid 1)", invpcid(1, 1, 0), "no fault");
    expect_page("pcid 1 after type 1", 'B');
    /* Global translations: type 1 and type 3 keep them, type 2 drops them. */
    wr_cr4(rd_cr4() | CR4_PGE);
    test_pt[S + 1] = phys(page_a) | PTE_P | PTE_W | PTE_G;
    invlpg(SLOT(S + 1));
    expect_global("global slot: read", 'A');
    test_pt[S + 1] = phys(page_g) | PTE_P | PTE_W | PTE_G;
    invpcid(1, 1, 0);
    expect_global("global after type 1 (kept)", 'A');
    invpcid(3, 0, 0);
    expect_global("global after type 3 (kept)", 'A');
    expect_page("non-global after type 3", 'B');
    invpcid(2, 0, 0);
    expect_global("global after type 2", 'G');
    /* Type 0 on a global translation of the current PCID drops it? No: type 0 is
     * "except global translations"; INVLPG drops it. */
    test_pt[S + 1] = phys(page_a) | PTE_P | PTE_W | PTE_G;
    invpcid(0, 1, SLOT(S + 1));
    expect_global("global after type 0 (kept)", 'G');
    invlpg(SLOT(S + 1));
    expect_global("global after invlpg", 'A');
    wr_cr4(rd_cr4() & ~CR4_PGE);
}

static void invpcid_faults(void) {
    expect("invpcid type 4", invpcid(4, 0, 0), "#GP(0x0)");
    expect("invpcid type 0, non-canonical address", invpcid(0, 1, 0x0000800000000000ull),
           "#GP(0x0)");
    expect("invpcid pcid field bits 63:12 set", invpcid(1, 0x1000, 0), "#GP(0x0)");
    /* With CR4.PCIDE = 0, types 0 and 1 need PCID 0. */
    wr_cr3(base);
    wr_cr4(rd_cr4() & ~CR4_PCIDE);
    expect("pcide=0: invpcid type 1, pcid 1", invpcid(1, 1, 0), "#GP(0x0)");
    expect("pcide=0: invpcid type 1, pcid 0", invpcid(1, 0, 0), "no fault");
    expect("pcide=0: invpcid type 2", invpcid(2, 0, 0), "no fault");
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    sys_init();
    printf("sys-pcid: PCID-tagged TLB, CR3 no-flush bit, INVPCID types\n");
    page_a[0] = 'A';
    page_b[0] = 'B';
    page_c[0] = 'C';
    page_g[0] = 'G';
    base = rd_cr3() & PTE_ADDR;
    cr_rules();
    tagged_tlb();
    invpcid_types();
    invpcid_faults();
    sys_finish("sys-pcid");
}

/* sys-paging: 4-level paging as a guest sees it. Intel SDM, Dec 2023 (Order 325462-081),
 * Vol. 3A, chapter "Paging": the #PF error code (P, W/R, U/S, RSVD, I/D) and CR2 for every
 * combination of present/writable/user/NX with reads, writes and fetches at CPL 0 and 3
 * ("Access Rights", "Page-Fault Exception (#PF)"), CR0.WP, SMEP, SMAP with RFLAGS.AC and
 * STAC/CLAC, accessed and dirty flags, 2 MiB and 1 GiB pages, reserved bits, stale TLB entries
 * with and without INVLPG, MOV CR3, global pages ("Invalidation of TLB Entries"), and
 * non-canonical addresses (#GP, or #SS for a stack reference).
 * One line per case; ends with debug-exit SYS_PASS (43) or SYS_FAIL (3). */
#include "lib/kmain.h"
#include "sys-lib/sys.h"

#define MATRIX_SLOT 8
#define AD_SLOT 9
#define STALE_SLOT 10
#define GLOBAL_SLOT 11
#define RSVD_SLOT 12

/* Physical pages the cases map: byte 0 is RET (0xC3) so that a fetch returns, the qword at
 * offset 8 tells the pages apart. */
__attribute__((aligned(4096))) uint8_t page_a[4096], page_b[4096], page_c[4096];
#define MARK_A 0xAAAA0000AAAA0000ull
#define MARK_B 0xBBBB0000BBBB0000ull

volatile uint64_t sink;

static void k_read(uint64_t a) {
    sink = *(volatile uint64_t*)(uintptr_t)a;
}
static void k_write(uint64_t a) {
    *(volatile uint64_t*)(uintptr_t)a = 0x5A;
}
static void k_fetch(uint64_t a) {
    ((void (*)(void))(uintptr_t)a)();
}
static void k_read_stac(uint64_t a) {
    __asm__ volatile("stac" ::: "cc");
    sink = *(volatile uint64_t*)(uintptr_t)a;
    __asm__ volatile("clac" ::: "cc");
}
static void k_write_stac(uint64_t a) {
    __asm__ volatile("stac" ::: "cc");
    *(volatile uint64_t*)(uintptr_t)a = 0x5A;
    __asm__ volatile("clac" ::: "cc");
}

enum access { READ, WRITE, FETCH };
static const char* const access_name[] = {"read", "write", "fetch"};

static int do_access(int cpl, enum access acc, uint64_t a) {
    if (cpl == 3) {
        const uint8_t* fn = acc == READ ? u_read : acc == WRITE ? u_write : u_fetch;
        return user_try(USER_FN(fn), a);
    }
    return sys_try(acc == READ ? k_read : acc == WRITE ? k_write : k_fetch, a);
}

/* The SDM's rules ("Access Rights") for a 4 KiB page whose upper levels allow everything,
 * with CR0.WP, SMEP, SMAP and RFLAGS.AC as given: returns the #PF error code, or -1 for no
 * fault. */
static int want_error(uint64_t pte, enum access acc, int cpl, int wp, int smep, int smap, int ac) {
    int code = (acc == WRITE ? 2 : 0) | (cpl == 3 ? 4 : 0) | (acc == FETCH ? 0x10 : 0);
    if (!(pte & PTE_P)) return code;
    int user_page = (pte & PTE_U) != 0, writable = (pte & PTE_W) != 0;
    int denied;
    if (cpl == 3) {
        denied = !user_page || (acc == WRITE && !writable) || (acc == FETCH && (pte & PTE_NX));
    } else if (acc == FETCH) {
        denied = (pte & PTE_NX) || (smep && user_page);
    } else {
        denied = (acc == WRITE && !writable && wp) || (smap && user_page && !ac);
    }
    return denied ? (code | 1) : -1;
}

struct combination {
    const char* name;
    uint64_t flags;
};
static const struct combination combos[] = {
    {"not-present", 0},
    {"kernel-ro", PTE_P},
    {"kernel-rw", PTE_P | PTE_W},
    {"kernel-rw-nx", PTE_P | PTE_W | PTE_NX},
    {"user-ro", PTE_P | PTE_U},
    {"user-rw", PTE_P | PTE_W | PTE_U},
    {"user-rw-nx", PTE_P | PTE_W | PTE_U | PTE_NX},
};

static void one_case(const char* prefix, const struct combination* c, enum access acc, int cpl,
                     int wp, int smep, int smap, int ac) {
    char name[96], want[32];
    uint64_t a = SLOT(MATRIX_SLOT) + (acc == FETCH ? 0 : 8);
    map_slot(MATRIX_SLOT, phys(page_c), c->flags);
    int faulted = do_access(cpl, acc, a);
    int code = want_error(c->flags, acc, cpl, wp, smep, smap, ac);
    if (code < 0)
        snprintf(want, sizeof want, "no fault");
    else
        snprintf(want, sizeof want, "#PF(0x%x)", code);
    snprintf(name, sizeof name, "%scpl%d %s %s", prefix, cpl, access_name[acc], c->name);
    expect_cr2(name, faulted, want, a);
}

static void permission_matrix(void) {
    wr_cr0(rd_cr0() | CR0_WP);
    for (unsigned i = 0; i < sizeof combos / sizeof combos[0]; i++)
        for (int cpl = 0; cpl <= 3; cpl += 3)
            for (int acc = READ; acc <= FETCH; acc++)
                one_case("", &combos[i], acc, cpl, 1, 0, 0, 0);
    /* CR0.WP = 0: supervisor writes ignore R/W ("Access Rights": "If CR0.WP = 0, data may be
     * written to any supervisor-mode address" and, without SMAP, any user-mode address). */
    wr_cr0(rd_cr0() & ~CR0_WP);
    one_case("wp=0 ", &combos[1], WRITE, 0, 0, 0, 0, 0);
    one_case("wp=0 ", &combos[4], WRITE, 0, 0, 0, 0, 0);
    one_case("wp=0 ", &combos[4], WRITE, 3, 0, 0, 0, 0);
    wr_cr0(rd_cr0() | CR0_WP);
}

static void smep_smap(void) {
    wr_cr4(rd_cr4() | CR4_SMEP);
    one_case("smep ", &combos[5], FETCH, 0, 1, 1, 0, 0);
    one_case("smep ", &combos[2], FETCH, 0, 1, 1, 0, 0);
    one_case("smep ", &combos[5], FETCH, 3, 1, 1, 0, 0);
    one_case("smep ", &combos[5], READ, 0, 1, 1, 0, 0);
    wr_cr4(rd_cr4() & ~CR4_SMEP);

    wr_cr4(rd_cr4() | CR4_SMAP);
    one_case("smap ac=0 ", &combos[5], READ, 0, 1, 0, 1, 0);
    one_case("smap ac=0 ", &combos[5], WRITE, 0, 1, 0, 1, 0);
    one_case("smap ac=0 ", &combos[2], READ, 0, 1, 0, 1, 0);
    one_case("smap ac=0 ", &combos[5], READ, 3, 1, 0, 1, 0);
    one_case("smap ac=0 ", &combos[5], FETCH, 0, 1, 0, 1, 0); /* SMAP is about data only */

    map_slot(MATRIX_SLOT, phys(page_c), PTE_P | PTE_W | PTE_U);
    expect("smap stac read user-rw", sys_try(k_read_stac, SLOT(MATRIX_SLOT) + 8), "no fault");
    expect("smap stac write user-rw", sys_try(k_write_stac, SLOT(MATRIX_SLOT) + 8), "no fault");
    /* STAC/CLAC set and clear RFLAGS.AC (SDM Vol. 2B, "STAC", "CLAC"). */
    __asm__ volatile("stac" ::: "cc");
    uint64_t after_stac = rd_rflags() & RFLAGS_AC;
    __asm__ volatile("clac" ::: "cc");
    uint64_t after_clac = rd_rflags() & RFLAGS_AC;
    expect_value("smap rflags.ac after stac", after_stac, RFLAGS_AC);
    expect_value("smap rflags.ac after clac", after_clac, 0);
    expect_cr2("smap read after clac", sys_try(k_read, SLOT(MATRIX_SLOT) + 8), "#PF(0x1)",
               SLOT(MATRIX_SLOT) + 8);
    /* STAC at CPL 3 is #UD (SDM Vol. 2B, "STAC": "If the CPL > 0"). */
    expect("stac at cpl3", user_try(USER_FN(u_stac), 0), "#UD");
    wr_cr4(rd_cr4() & ~CR4_SMAP);
}

static uint64_t ad_bits(uint64_t e) {
    return e & (PTE_A | PTE_D);
}

static void accessed_dirty(void) {
    map_slot(AD_SLOT, phys(page_c), PTE_P | PTE_W);
    expect_value("a/d fresh pte", ad_bits(test_pt[AD_SLOT]), 0);
    k_read(SLOT(AD_SLOT) + 8);
    expect_value("a/d pte after read", ad_bits(test_pt[AD_SLOT]), PTE_A);
    k_write(SLOT(AD_SLOT) + 8);
    expect_value("a/d pte after write", ad_bits(test_pt[AD_SLOT]), PTE_A | PTE_D);
    /* A write through a translation cached by a read still sets D ("Accessed and Dirty
     * Flags": D is set on the first write to the page). */
    test_pt[AD_SLOT] &= ~PTE_D;
    invlpg(SLOT(AD_SLOT));
    k_read(SLOT(AD_SLOT) + 8);
    k_write(SLOT(AD_SLOT) + 16);
    expect_value("a/d pte write after cached read", ad_bits(test_pt[AD_SLOT]), PTE_A | PTE_D);
    /* A faulting write to a read-only page does not set D. */
    map_slot(AD_SLOT, phys(page_c), PTE_P);
    expect_cr2("a/d write to ro page", sys_try(k_write, SLOT(AD_SLOT) + 8), "#PF(0x3)",
               SLOT(AD_SLOT) + 8);
    expect_value("a/d ro pte after faulting write", test_pt[AD_SLOT] & PTE_D, 0);
    /* The PDE is a paging-structure entry: it gets A, never D. */
    test_pd[0] &= ~(PTE_A | PTE_D);
    wr_cr3(rd_cr3());
    k_read(SLOT(AD_SLOT) + 8);
    expect_value("a/d pde after walk", ad_bits(test_pd[0]), PTE_A);
}

/* 2 MiB page: PD[1] maps linear TEST_BASE + 2 MiB to physical 4 MiB (RAM no ROM uses). */
#define BIG_PHYS 0x400000ull
#define BIG_LINEAR (TEST_BASE + 0x200000)

static void large_pages(void) {
    test_pd[1] = BIG_PHYS | PTE_PS | PTE_P | PTE_W;
    invlpg(BIG_LINEAR + 0x12340);
    *(volatile uint64_t*)(uintptr_t)(BIG_LINEAR + 0x12340) = 0x2222333344445555ull;
    expect_value("2m page write seen at physical",
                 *(volatile uint64_t*)(uintptr_t)(BIG_PHYS + 0x12340), 0x2222333344445555ull);
    expect_value("2m pde a/d after write", ad_bits(test_pd[1]), PTE_A | PTE_D);
    /* Bits 20:13 of a 2 MiB PDE are reserved: RSVD with P. */
    test_pd[1] |= 1ull << 13;
    invlpg(BIG_LINEAR);
    observe("2m pde reserved bit 13 read", sys_try(k_read, BIG_LINEAR + 8));
    observe("2m pde reserved bit 13 write", sys_try(k_write, BIG_LINEAR + 8));
    test_pd[1] = 0;
    invlpg(BIG_LINEAR);
    expect_cr2("2m pde not present", sys_try(k_read, BIG_LINEAR + 0x1000), "#PF(0x0)",
               BIG_LINEAR + 0x1000);

    /* 1 GiB page: PDPT[2] maps linear 2 GiB to physical 0. */
    volatile uint64_t* pdpt = boot_pdpt();
    uint64_t saved = pdpt[2];
    pdpt[2] = 0 | PTE_PS | PTE_P | PTE_W;
    wr_cr3(rd_cr3());
    static volatile uint64_t probe = 0x1111222233334444ull;
    expect_value("1g page read alias",
                 *(volatile uint64_t*)(uintptr_t)(0x80000000ull + phys(&probe)),
                 0x1111222233334444ull);
    *(volatile uint64_t*)(uintptr_t)(0x80000000ull + phys(&probe)) = 0x7777;
    expect_value("1g page write seen at physical", probe, 0x7777);
    expect_value("1g pdpte a/d after write", ad_bits(pdpt[2]), PTE_A | PTE_D);
    pdpt[2] |= 1ull << 13; /* bits 29:13 of a 1 GiB PDPTE are reserved */
    wr_cr3(rd_cr3());
    observe("1g pdpte reserved bit 13 read", sys_try(k_read, 0x80000000ull + 16));
    pdpt[2] = saved;
    wr_cr3(rd_cr3());
}

/* Reserved-bit faults set P and RSVD: "bit 3 of the error code can be set only if bit 0 is
 * also set" (SDM Vol. 3A, "Page-Fault Exception (#PF)"). QEMU 7.2 leaves P clear, so these
 * cases are printed, not checked here: expected.txt has the SDM's codes (qemu-differs). */
static void reserved_bits(void) {
    /* Bit 51 is above MAXPHYADDR (39 on hvlab, 40 on QEMU's qemu64), so reserved. */
    map_slot(RSVD_SLOT, phys(page_a) | 1ull << 51, PTE_P | PTE_W | PTE_U);
    observe("pte reserved bit 51 cpl0 read", sys_try(k_read, SLOT(RSVD_SLOT) + 8));
    observe("pte reserved bit 51 cpl3 write", user_try(USER_FN(u_write), SLOT(RSVD_SLOT) + 8));
    observe("pte reserved bit 51 cpl0 fetch", sys_try(k_fetch, SLOT(RSVD_SLOT)));
    /* A reserved bit in a not-present entry does not matter: plain not-present fault. */
    map_slot(RSVD_SLOT, phys(page_a) | 1ull << 51, 0);
    expect_cr2("pte reserved bit 51 not present", sys_try(k_read, SLOT(RSVD_SLOT) + 8), "#PF(0x0)",
               SLOT(RSVD_SLOT) + 8);
    /* PS (bit 7) is reserved in a PML4E. PML4[1] covers linear 512 GiB. */
    volatile uint64_t* pml4 = boot_pml4();
    pml4[1] = phys(test_pd) | PTE_PS | PTE_P | PTE_W;
    wr_cr3(rd_cr3());
    observe("pml4e ps bit reserved", sys_try(k_read, 0x8000000000ull + 8));
    pml4[1] = 0;
    wr_cr3(rd_cr3());
    expect_cr2("pml4e not present", sys_try(k_read, 0x8000000000ull + 8), "#PF(0x0)",
               0x8000000000ull + 8);
    map_slot(RSVD_SLOT, 0, 0);
}

static uint64_t read_mark(int slot) {
    return *(volatile uint64_t*)(uintptr_t)(SLOT(slot) + 8);
}

static void tlb(void) {
    map_slot(STALE_SLOT, phys(page_a), PTE_P | PTE_W);
    expect_value("tlb read through a", read_mark(STALE_SLOT), MARK_A);
    test_pt[STALE_SLOT] = phys(page_b) | PTE_P | PTE_W;
    expect_value("tlb pte changed, no invlpg: stale", read_mark(STALE_SLOT), MARK_A);
    invlpg(SLOT(STALE_SLOT));
    expect_value("tlb after invlpg", read_mark(STALE_SLOT), MARK_B);
    test_pt[STALE_SLOT] = 0;
    expect_value("tlb pte cleared, no invlpg: stale", read_mark(STALE_SLOT), MARK_B);
    invlpg(SLOT(STALE_SLOT));
    expect_cr2("tlb pte cleared, after invlpg", sys_try(k_read, SLOT(STALE_SLOT) + 8), "#PF(0x0)",
               SLOT(STALE_SLOT) + 8);
    /* A page fault invalidates the faulting address's translations ("Invalidation of TLB
     * Entries"), so fixing the PTE needs no INVLPG. */
    test_pt[STALE_SLOT] = phys(page_a) | PTE_P;
    expect_cr2("tlb write to ro page", sys_try(k_write, SLOT(STALE_SLOT) + 16), "#PF(0x3)",
               SLOT(STALE_SLOT) + 16);
    test_pt[STALE_SLOT] = phys(page_a) | PTE_P | PTE_W;
    expect("tlb write after fault, pte made rw, no invlpg", sys_try(k_write, SLOT(STALE_SLOT) + 16),
           "no fault");
    test_pt[STALE_SLOT] = phys(page_b) | PTE_P | PTE_W;
    wr_cr3(rd_cr3());
    expect_value("tlb mov cr3 flushes non-global", read_mark(STALE_SLOT), MARK_B);

    /* Global pages survive MOV CR3 ("Invalidation of TLB Entries": MOV to CR3 invalidates
     * all TLB entries except global ones); INVLPG and toggling CR4.PGE remove them. */
    wr_cr4(rd_cr4() | CR4_PGE);
    map_slot(GLOBAL_SLOT, phys(page_a), PTE_P | PTE_W | PTE_G);
    expect_value("global read through a", read_mark(GLOBAL_SLOT), MARK_A);
    test_pt[GLOBAL_SLOT] = phys(page_b) | PTE_P | PTE_W | PTE_G;
    wr_cr3(rd_cr3());
    /* QEMU's TCG flushes global entries on MOV CR3 too (qemu-differs). */
    observe_value("global survives mov cr3", read_mark(GLOBAL_SLOT));
    invlpg(SLOT(GLOBAL_SLOT));
    expect_value("global after invlpg", read_mark(GLOBAL_SLOT), MARK_B);
    test_pt[GLOBAL_SLOT] = phys(page_a) | PTE_P | PTE_W | PTE_G;
    wr_cr4(rd_cr4() & ~CR4_PGE);
    wr_cr4(rd_cr4() | CR4_PGE);
    expect_value("global after cr4.pge toggle", read_mark(GLOBAL_SLOT), MARK_A);
    wr_cr4(rd_cr4() & ~CR4_PGE);
}

/* Non-canonical addresses: #GP(0), except for references through RSP or RBP, which are #SS(0)
 * (SDM Vol. 3A, "Canonical Addressing"; Vol. 2, "64-Bit Mode Exceptions" of MOV/PUSH). */
static void nc_read(uint64_t a) {
    sink = *(volatile uint64_t*)(uintptr_t)a;
}
__asm__(".pushsection .text\n"
        "nc_push: movq %rsp, %rax\n movq %rdi, %rsp\n pushq $1\n movq %rax, %rsp\n ret\n"
        "nc_rbp: pushq %rbp\n movq %rdi, %rbp\n movq (%rbp), %rax\n popq %rbp\n ret\n"
        "nc_jump: jmp *%rdi\n"
        ".popsection\n");
void nc_push(uint64_t);
void nc_rbp(uint64_t);
void nc_jump(uint64_t);
extern const uint8_t nc_jump_insn[] __asm__("nc_jump");

#define NON_CANONICAL 0x0000800000000000ull

static void non_canonical(void) {
    expect("non-canonical read", sys_try(nc_read, NON_CANONICAL), "#GP(0x0)");
    expect("non-canonical read, high half", sys_try(nc_read, 0xFFFF7FFFFFFFFFF0ull), "#GP(0x0)");
    expect_cr2("canonical high address, not mapped", sys_try(nc_read, 0xFFFF800000000000ull),
               "#PF(0x0)", 0xFFFF800000000000ull);
    /* #SS on a non-canonical stack push: the gate runs #SS on IST2 so that its own frame
     * has somewhere to go. QEMU raises #GP for these (qemu-differs). */
    set_gate(12, GATE_INT, 0, 2, 1);
    set_gate(13, GATE_INT, 0, 2, 1);
    observe("non-canonical push (rsp)", sys_try(nc_push, NON_CANONICAL + 64));
    observe("non-canonical rbp-based read", sys_try(nc_rbp, NON_CANONICAL));
    reset_gate(12);
    reset_gate(13);
    /* JMP checks its target: #GP(0) with RIP at the JMP (SDM Vol. 2A, "JMP", 64-Bit Mode
     * Exceptions). QEMU jumps and faults on the fetch, saving the target (qemu-differs). */
    int f = sys_try(nc_jump, NON_CANONICAL);
    observe("non-canonical jump target", f);
    sys_cases++;
    printf("non-canonical jump saved rip: %s\n", sys_last.rip == (uint64_t)(uintptr_t)nc_jump_insn
                                                     ? "the jump"
                                                 : sys_last.rip == NON_CANONICAL ? "the target"
                                                                                 : "elsewhere");
    /* CPL 3, the same rules. */
    expect("cpl3 non-canonical read", user_try(USER_FN(u_read), NON_CANONICAL), "#GP(0x0)");
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    sys_init();
    printf("sys-paging: #PF error codes, A/D, SMEP/SMAP, large pages, TLB\n");
    page_a[0] = page_b[0] = page_c[0] = 0xC3;
    ((volatile uint64_t*)page_a)[1] = MARK_A;
    ((volatile uint64_t*)page_b)[1] = MARK_B;
    permission_matrix();
    smep_smap();
    accessed_dirty();
    large_pages();
    reserved_bits();
    tlb();
    non_canonical();
    sys_finish("sys-paging");
}

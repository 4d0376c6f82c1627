/* vmx-ept: EPT and VPID as a guest sees them. Translation through 1 GiB, 2 MiB and 4 KiB EPT
 * pages, EPT violations (exit 48: qualification bits 0-8, guest-physical and guest-linear
 * address) for data reads, writes, fetches and guest paging-structure accesses, EPT
 * misconfigurations (exit 49), accessed and dirty flags, INVEPT, and VPID-tagged TLB
 * entries with the INVVPID types. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "The
 * Extended Page Table Mechanism (EPT)", "EPT Violations", "EPT Misconfigurations",
 * "Accessed and Dirty Flags for EPT", "Virtual Processor Identifiers (VPIDs)", "Caching
 * Translation Information", "INVEPT", "INVVPID". One line per case; ends with debug-exit 0x23
 * (status 71) when every case held, 0x01 (status 3) otherwise.
 *
 * The "stale" cases rely on something the SDM permits but does not require: a processor
 * may keep using a cached translation after software changed the paging structures, until
 * an invalidation that covers it. hvlab caches (and tags by VPID and EPTP) like hardware, so
 * a forgotten INVEPT/INVVPID is visible; those cases say so. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/vmx.h"

#define PASS_STATUS 0x23
#define G "ept"

#define EPT_R 1ull
#define EPT_W 2ull
#define EPT_X 4ull
#define EPT_RWX 7ull
#define EPT_WB (6ull << 3)
#define EPT_LEAF_LARGE (1ull << 7)
#define EPT_A (1ull << 8)
#define EPT_D (1ull << 9)
#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_G (1ull << 8)

/* A 2 MiB test region of guest-physical memory, inside the 256 MiB of RAM and unused by the
 * ROM, mapped by 4 KiB EPT pages (ept_pt). */
#define REGION 0x08000000ull
#define PAGE_UNMAPPED (REGION + 0x1000)
#define PAGE_READONLY (REGION + 0x2000)
#define PAGE_NOEXEC (REGION + 0x3000)
#define PAGE_MISCONFIG (REGION + 0x4000)
#define PAGE_DATA (REGION + 0x5000)
#define PAGE_GUEST_PT (REGION + 0x6000) /* a guest page-table page */
#define PAGE_BAD_TYPE (REGION + 0x7000)
#define PAGE_EXEC_ONLY (REGION + 0x8000)
#define PAGE_IDT (REGION + 0x9000) /* a guest IDT on a page EPT does not map */
#define HIGH_VA 0x8000000000ull    /* PML4 slot 1: translated by this ROM's own guest tables */

__attribute__((aligned(4096))) static uint64_t ept_pml4[512], ept_pdpt[512], ept_pd0[512],
    ept_pd1[512], ept_pt[512];
/* Guest page tables for HIGH_VA: PML4 (slot 0 copied from the host), PDPT, PD, PT. */
__attribute__((aligned(4096))) static uint64_t g_pml4[512], g_pdpt[512], g_pd[512], g_pt[512];
__attribute__((aligned(4096))) static uint64_t page_a[512], page_b[512];
/* A second EPT hierarchy (PML4 and PDPT of 1 GiB pages) for the EPTP-switch case. */
__attribute__((aligned(4096))) static uint64_t ept2_pml4[512], ept2_pdpt[512], ept2_pd0[512],
    ept2_pt[512];
static volatile uint64_t marker = 0x4D41524B4552ull; /* "MARKER" */

void g_read(void), g_write(void), g_jump(void);
extern char g_read_i[], g_write_i[];
__asm__(".text\n"
        "g_read:\n"
        "g_read_i:\n\tmovq (%rax), %rbx\n\tvmcall\n\tjmp g_read\n"
        "g_write:\n"
        "g_write_i:\n\tmovq %rcx, (%rax)\n\tvmcall\n\tjmp g_write\n"
        "g_jump:\n\tjmp *%rax\n");

static uint32_t reason;

static uint64_t pa(const volatile void* p) {
    return (uint64_t)(uintptr_t)p;
}

static uint64_t eptp(int ad) {
    return pa(ept_pml4) | 6 | 3 << 3 | (ad ? 1u << 6 : 0);
}

/* Identity EPT for 0-4 GiB: GiB 0 in 2 MiB pages with the test region in 4 KiB pages, the
 * others as 1 GiB pages (GiB 3, the MMIO hole, uncacheable). */
static void ept_build(void) {
    memset(ept_pml4, 0, sizeof ept_pml4);
    memset(ept_pdpt, 0, sizeof ept_pdpt);
    ept_pml4[0] = pa(ept_pdpt) | EPT_RWX;
    ept_pdpt[0] = pa(ept_pd0) | EPT_RWX;
    for (uint64_t g = 1; g < 4; g++)
        ept_pdpt[g] = g << 30 | EPT_RWX | EPT_LEAF_LARGE | (g == 3 ? 0 : EPT_WB);
    for (uint64_t j = 0; j < 512; j++)
        ept_pd0[j] = j << 21 | EPT_RWX | EPT_WB | EPT_LEAF_LARGE;
    ept_pd0[REGION >> 21] = pa(ept_pt) | EPT_RWX;
    for (uint64_t k = 0; k < 512; k++)
        ept_pt[k] = (REGION + (k << 12)) | EPT_RWX | EPT_WB;
    ept_pt[(PAGE_UNMAPPED - REGION) >> 12] = 0;
    ept_pt[(PAGE_READONLY - REGION) >> 12] = PAGE_READONLY | EPT_R | EPT_WB;
    ept_pt[(PAGE_NOEXEC - REGION) >> 12] = PAGE_NOEXEC | EPT_R | EPT_W | EPT_WB;
    ept_pt[(PAGE_MISCONFIG - REGION) >> 12] = PAGE_MISCONFIG | EPT_W | EPT_WB; /* W without R */
    ept_pt[(PAGE_BAD_TYPE - REGION) >> 12] = PAGE_BAD_TYPE | EPT_RWX | 2ull << 3;
    ept_pt[(PAGE_EXEC_ONLY - REGION) >> 12] = PAGE_EXEC_ONLY | EPT_X | EPT_WB;
    struct invept_descriptor d = {0, 0};
    vmx_invept_raw(2, &d); /* the tables changed: drop everything derived from them */
}

static uint64_t* ept_leaf(uint64_t gpa) {
    return &ept_pt[(gpa - REGION) >> 12];
}

static int use_ad;
static uint16_t vpid;
static uint64_t guest_cr3;
static void s_ept(void) {
    vmcs_set_proc2(PROC2_ENABLE_EPT);
    vmwrite(EPT_POINTER, eptp(use_ad));
}
static void s_vpid(void) {
    if (vpid) {
        vmcs_set_proc2(PROC2_ENABLE_VPID);
        vmwrite(VIRTUAL_PROCESSOR_ID, vpid);
    }
    if (guest_cr3) vmwrite(GUEST_CR3, guest_cr3);
    vmwrite(GUEST_CR4, read_cr4() | CR4_PGE);
}

/* VMCLEAR/VMPTRLD/build, `setup`, then VMLAUNCH with the given RAX/RCX. */
static void launch(void (*rip)(void), void (*setup)(void), uint64_t rax, uint64_t rcx) {
    vmcs_build(vmcs_region, rip);
    if (setup) setup();
    memset(&guest, 0, sizeof guest);
    guest.rax = rax;
    guest.rcx = rcx;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
}
/* The guest loops back to its access after VMCALL: resume it to access again. */
static void again(uint64_t rax) {
    guest.rax = rax;
    reason = vmx_resume_guest(1);
}

static void expect_read(const char* name, uint64_t want) {
    vmx_check(G, name, reason == EXIT_REASON_VMCALL && guest.rbx == want,
              "expected exit 18 and 0x%lx, got reason 0x%x and 0x%lx", (unsigned long)want, reason,
              (unsigned long)guest.rbx);
}

static void expect_violation(const char* name, uint64_t qual, uint64_t gpa, uint64_t gla) {
    uint64_t q = vmread(EXIT_QUALIFICATION), p = vmread(GUEST_PHYSICAL_ADDRESS);
    uint64_t l = vmread(GUEST_LINEAR_ADDRESS);
    /* Bits 0-8 are the ones every processor defines; 12 (NMI unblocking) is 0 here. */
    vmx_check(G, name,
              reason == EXIT_REASON_EPT_VIOLATION && (q & 0x11FF) == qual && p == gpa && l == gla,
              "expected exit 48 qual 0x%lx gpa 0x%lx gla 0x%lx, got reason 0x%x qual 0x%lx gpa "
              "0x%lx gla 0x%lx",
              (unsigned long)qual, (unsigned long)gpa, (unsigned long)gla, reason, (unsigned long)q,
              (unsigned long)p, (unsigned long)l);
}

static void translation_cases(void) {
    ept_build();
    launch(g_read, s_ept, pa(&marker), 0);
    expect_read("identity_2m_pages", marker);
    /* A 1 GiB EPT page: guest-physical GiB 1 -> host-physical GiB 0. */
    ept_pdpt[1] = 0 | EPT_RWX | EPT_WB | EPT_LEAF_LARGE;
    struct invept_descriptor d = {eptp(0), 0};
    vmx_invept_raw(1, &d);
    launch(g_read, s_ept, (1ull << 30) + pa(&marker), 0);
    expect_read("gpa_1g_page_remapped", marker);
    /* A 2 MiB EPT page: guest-physical 1 GiB + 2 MiB -> the 2 MiB block holding `marker`. */
    ept_pdpt[1] = pa(ept_pd1) | EPT_RWX;
    memset(ept_pd1, 0, sizeof ept_pd1);
    ept_pd1[1] = (pa(&marker) & ~0x1FFFFFull) | EPT_RWX | EPT_WB | EPT_LEAF_LARGE;
    vmx_invept_raw(1, &d);
    launch(g_read, s_ept, (1ull << 30) + (2ull << 20) + (pa(&marker) & 0x1FFFFF), 0);
    expect_read("gpa_2m_page_remapped", marker);
    /* A 4 KiB EPT page pointing elsewhere. */
    ept_build();
    page_a[3] = 0xAAAA;
    *ept_leaf(PAGE_DATA) = pa(page_a) | EPT_RWX | EPT_WB;
    vmx_invept_raw(2, &d);
    launch(g_read, s_ept, PAGE_DATA + 24, 0);
    expect_read("gpa_4k_page_remapped", 0xAAAA);
}

static void violation_cases(void) {
    /* Qualification: bit 0 read, 1 write, 2 fetch; bits 5:3 the R/W/X of the translation
     * (ANDed over the levels); bit 7 guest-linear address valid; bit 8 = 1 for the access to
     * the final address, 0 for an access to a guest paging-structure entry. */
    ept_build();
    launch(g_read, s_ept, PAGE_UNMAPPED + 8, 0);
    expect_violation("violation_read_not_present", 0x181, PAGE_UNMAPPED + 8, PAGE_UNMAPPED + 8);
    vmx_expect(G, "violation_guest_rip", vmread(GUEST_RIP), pa(g_read_i));
    launch(g_write, s_ept, PAGE_READONLY + 0x10, 5);
    expect_violation("violation_write_read_only", 0x18A, PAGE_READONLY + 0x10,
                     PAGE_READONLY + 0x10);
    vmx_expect(G, "violation_write_not_done",
               *(volatile uint64_t*)(uintptr_t)(PAGE_READONLY + 0x10), 0);
    launch(g_jump, s_ept, PAGE_NOEXEC, 0);
    expect_violation("violation_fetch_no_execute", 0x19C, PAGE_NOEXEC, PAGE_NOEXEC);
    /* The 2D walk: the guest's PDPT for HIGH_VA sits on an EPT-unmapped page. */
    memset(g_pml4, 0, sizeof g_pml4);
    g_pml4[0] = ((uint64_t*)(uintptr_t)(read_cr3() & ~0xFFFull))[0];
    g_pml4[1] = PAGE_UNMAPPED | PTE_P | PTE_RW;
    vmcs_build(vmcs_region, g_read);
    s_ept();
    vmwrite(GUEST_CR3, pa(g_pml4));
    memset(&guest, 0, sizeof guest);
    guest.rax = HIGH_VA + 0x20;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
    expect_violation("violation_guest_paging_structure", 0x081, PAGE_UNMAPPED, HIGH_VA + 0x20);
    /* An EPT violation while delivering an injected event: the guest IDT's page is not mapped,
     * so reading gate 6 faults; the event is reported as IDT-vectoring information ("Information
     * for VM Exits That Occur During Event Delivery"). */
    memcpy((void*)(uintptr_t)PAGE_IDT, guest_idt, 4096);
    *ept_leaf(PAGE_IDT) = 0;
    vmcs_build(vmcs_region, g_read);
    s_ept();
    vmwrite(GUEST_IDTR_BASE, PAGE_IDT);
    vmwrite(GUEST_IDTR_LIMIT, 0xFFF);
    vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6);
    memset(&guest, 0, sizeof guest);
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
    expect_violation("violation_during_event_delivery", 0x181, PAGE_IDT + 6 * 16,
                     PAGE_IDT + 6 * 16);
    vmx_expect(G, "violation_during_event_delivery_idt_vectoring", vmread(IDT_VECTORING_INFO_FIELD),
               INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6);
}

static void misconfig_cases(void) {
    ept_build();
    /* "EPT Misconfigurations": write permission without read permission. */
    launch(g_read, s_ept, PAGE_MISCONFIG, 0);
    vmx_check(G, "misconfig_write_without_read",
              reason == EXIT_REASON_EPT_MISCONFIG &&
                  vmread(GUEST_PHYSICAL_ADDRESS) == PAGE_MISCONFIG,
              "reason 0x%x gpa 0x%lx", reason, (unsigned long)vmread(GUEST_PHYSICAL_ADDRESS));
    /* A leaf with a reserved memory type (2). */
    launch(g_read, s_ept, PAGE_BAD_TYPE + 8, 0);
    vmx_check(G, "misconfig_reserved_memory_type",
              reason == EXIT_REASON_EPT_MISCONFIG &&
                  vmread(GUEST_PHYSICAL_ADDRESS) == PAGE_BAD_TYPE + 8,
              "reason 0x%x gpa 0x%lx", reason, (unsigned long)vmread(GUEST_PHYSICAL_ADDRESS));
    /* Execute-only (X without R) is a misconfiguration unless IA32_VMX_EPT_VPID_CAP[0]. */
    launch(g_read, s_ept, PAGE_EXEC_ONLY, 0);
    if (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & 1)
        expect_violation("execute_only_page", 0x1A1, PAGE_EXEC_ONLY, PAGE_EXEC_ONLY);
    else
        vmx_check(G, "execute_only_page", reason == EXIT_REASON_EPT_MISCONFIG, "reason 0x%x",
                  reason);
}

static void accessed_dirty_cases(void) {
    if (!(rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & (1ull << 21))) return;
    /* "Accessed and Dirty Flags for EPT": with EPTP[6], a read sets A in every entry used, a
     * write also sets D in the leaf; the processor never clears them. */
    ept_build();
    use_ad = 1;
    launch(g_read, s_ept, PAGE_DATA, 0);
    uint64_t leaf = *ept_leaf(PAGE_DATA);
    vmx_check(G, "ad_read_sets_accessed_only",
              reason == EXIT_REASON_VMCALL && (leaf & EPT_A) && !(leaf & EPT_D) &&
                  (ept_pml4[0] & EPT_A) && (ept_pdpt[0] & EPT_A) && (ept_pd0[REGION >> 21] & EPT_A),
              "reason 0x%x leaf 0x%lx pml4e 0x%lx", reason, (unsigned long)leaf,
              (unsigned long)ept_pml4[0]);
    launch(g_write, s_ept, PAGE_DATA + 8, 0x1234);
    leaf = *ept_leaf(PAGE_DATA);
    vmx_check(G, "ad_write_sets_dirty", reason == EXIT_REASON_VMCALL && (leaf & EPT_D),
              "reason 0x%x leaf 0x%lx", reason, (unsigned long)leaf);
    /* Guest paging-structure accesses count as writes for EPT A/D: the page holding the
     * guest's page table gets D although the guest only reads data. */
    memset(g_pml4, 0, sizeof g_pml4);
    g_pml4[0] = ((uint64_t*)(uintptr_t)(read_cr3() & ~0xFFFull))[0];
    g_pml4[1] = PAGE_GUEST_PT | PTE_P | PTE_RW;
    uint64_t* pdpt = (uint64_t*)(uintptr_t)PAGE_GUEST_PT;
    memset(pdpt, 0, 4096);
    pdpt[0] = pa(g_pd) | PTE_P | PTE_RW;
    memset(g_pd, 0, sizeof g_pd);
    g_pd[0] = pa(g_pt) | PTE_P | PTE_RW;
    memset(g_pt, 0, sizeof g_pt);
    g_pt[0] = pa(page_a) | PTE_P | PTE_RW;
    page_a[0] = 0x5151;
    *ept_leaf(PAGE_GUEST_PT) &= ~(EPT_A | EPT_D);
    vmcs_build(vmcs_region, g_read);
    s_ept();
    vmwrite(GUEST_CR3, pa(g_pml4));
    memset(&guest, 0, sizeof guest);
    guest.rax = HIGH_VA;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
    leaf = *ept_leaf(PAGE_GUEST_PT);
    vmx_check(G, "ad_guest_paging_structure_is_write",
              reason == EXIT_REASON_VMCALL && guest.rbx == 0x5151 && (leaf & EPT_A) &&
                  (leaf & EPT_D),
              "reason 0x%x value 0x%lx leaf 0x%lx", reason, (unsigned long)guest.rbx,
              (unsigned long)leaf);
    use_ad = 0;
}

/* Runs g_read on HIGH_VA through the guest tables g_pml4 -> PAGE_GUEST_PT (a PDPT page) ->
 * g_pd -> g_pt -> page_a, under EPT. */
static void read_high_through_guest_pdpt_page(void) {
    memset(g_pml4, 0, sizeof g_pml4);
    g_pml4[0] = ((uint64_t*)(uintptr_t)(read_cr3() & ~0xFFFull))[0];
    g_pml4[1] = PAGE_GUEST_PT | PTE_P | PTE_RW;
    uint64_t* pdpt = (uint64_t*)(uintptr_t)PAGE_GUEST_PT;
    memset(pdpt, 0, 4096);
    pdpt[0] = pa(g_pd) | PTE_P | PTE_RW; /* A = 0: the walk must set it */
    memset(g_pd, 0, sizeof g_pd);
    g_pd[0] = pa(g_pt) | PTE_P | PTE_RW;
    memset(g_pt, 0, sizeof g_pt);
    g_pt[0] = pa(page_a) | PTE_P | PTE_RW;
    vmcs_build(vmcs_region, g_read);
    s_ept();
    vmwrite(GUEST_CR3, pa(g_pml4));
    memset(&guest, 0, sizeof guest);
    guest.rax = HIGH_VA + 0x40;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
}

static void more_violation_cases(void) {
    /* The walk sets the accessed flag of the guest PDPTE: a write to a guest paging-structure
     * entry. EPT maps that page read-only: violation with bit 1 (write), bit 3 (readable),
     * bit 7, and bit 8 = 0 (not the final access). SDM Vol. 3A, "Accessed and Dirty Flags";
     * Vol. 3C, "EPT Violations". */
    ept_build();
    *ept_leaf(PAGE_GUEST_PT) = PAGE_GUEST_PT | EPT_R | EPT_WB;
    read_high_through_guest_pdpt_page();
    expect_violation("violation_guest_accessed_flag_write", 0x08A, PAGE_GUEST_PT, HIGH_VA + 0x40);
    /* Permissions of a 1 GiB EPT page: GiB 2 read-only, a write faults. */
    ept_build();
    ept_pdpt[2] = 2ull << 30 | EPT_R | EPT_WB | EPT_LEAF_LARGE;
    launch(g_write, s_ept, (2ull << 30) + 0x10, 1);
    expect_violation("violation_write_1g_page", 0x18A, (2ull << 30) + 0x10, (2ull << 30) + 0x10);
    /* Permissions of a 2 MiB EPT page: no execute. */
    ept_build();
    ept_pd0[(REGION >> 21) + 1] = (REGION + (2ull << 20)) | EPT_R | EPT_W | EPT_WB | EPT_LEAF_LARGE;
    launch(g_jump, s_ept, REGION + (2ull << 20) + 0x40, 0);
    expect_violation("violation_fetch_2m_page", 0x19C, REGION + (2ull << 20) + 0x40,
                     REGION + (2ull << 20) + 0x40);
}

/* Entering with another EPTP uses that EPTP's tables: cached translations are tagged with the
 * EPT root (EP4TA), so no INVEPT is needed ("Caching Translation Information"). */
static void eptp_switch_cases(void) {
    page_a[0] = 0xA;
    page_b[0] = 0xB;
    ept_build();
    *ept_leaf(PAGE_DATA) = pa(page_a) | EPT_RWX | EPT_WB;
    memcpy(ept2_pml4, ept_pml4, sizeof ept2_pml4);
    memcpy(ept2_pdpt, ept_pdpt, sizeof ept2_pdpt);
    memcpy(ept2_pd0, ept_pd0, sizeof ept2_pd0);
    ept2_pml4[0] = pa(ept2_pdpt) | EPT_RWX;
    ept2_pdpt[0] = pa(ept2_pd0) | EPT_RWX;
    memcpy(ept2_pt, ept_pt, sizeof ept2_pt);
    ept2_pd0[REGION >> 21] = pa(ept2_pt) | EPT_RWX;
    ept2_pt[(PAGE_DATA - REGION) >> 12] = pa(page_b) | EPT_RWX | EPT_WB;
    vpid = 1;
    guest_cr3 = 0;
    vmcs_build(vmcs_region, g_read);
    s_ept();
    s_vpid();
    memset(&guest, 0, sizeof guest);
    guest.rax = PAGE_DATA;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
    expect_read("eptp_first_tables", 0xA);
    vmwrite(EPT_POINTER, pa(ept2_pml4) | 6 | 3 << 3);
    again(PAGE_DATA);
    expect_read("eptp_switch_uses_new_tables", 0xB);
    vmwrite(EPT_POINTER, eptp(0));
    again(PAGE_DATA);
    expect_read("eptp_switch_back", 0xA);
    vpid = 0;
}

static void invept_cases(void) {
    /* Guest reads PAGE_DATA -> page_a; the host points the leaf at page_b. Without INVEPT the
     * guest may go on using the cached translation (hvlab does: VPID 1, so VM entry and exit
     * keep it); INVEPT single-context / all-context remove it. */
    page_a[0] = 0xA;
    page_b[0] = 0xB;
    ept_build();
    *ept_leaf(PAGE_DATA) = pa(page_a) | EPT_RWX | EPT_WB;
    vpid = 1;
    guest_cr3 = 0;
    vmcs_build(vmcs_region, g_read);
    s_ept();
    s_vpid();
    memset(&guest, 0, sizeof guest);
    guest.rax = PAGE_DATA;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
    expect_read("ept_first_read", 0xA);
    *ept_leaf(PAGE_DATA) = pa(page_b) | EPT_RWX | EPT_WB;
    again(PAGE_DATA);
    expect_read("ept_stale_without_invept", 0xA);
    struct invept_descriptor d = {eptp(0), 0};
    vmx_check(G, "invept_single_context_succeeds", vmx_classify(vmx_invept_raw(1, &d)) == VMX_OK,
              "error %u", vmx_error());
    again(PAGE_DATA);
    expect_read("invept_single_context_flushes", 0xB);
    *ept_leaf(PAGE_DATA) = pa(page_a) | EPT_RWX | EPT_WB;
    again(PAGE_DATA);
    expect_read("ept_stale_again", 0xB);
    d.eptp = 0;
    vmx_invept_raw(2, &d);
    again(PAGE_DATA);
    expect_read("invept_all_context_flushes", 0xA);
    vpid = 0;
}

/* VPID: guest paging only (no EPT), HIGH_VA -> g_pt[0] -> page_a or page_b. */
static void map_high(uint64_t* page, int global) {
    g_pt[0] = pa(page) | PTE_P | PTE_RW | (global ? PTE_G : 0);
}
static void vpid_guest(uint16_t v) {
    vmcs_build(vmcs_region, g_read);
    vpid = v;
    guest_cr3 = pa(g_pml4);
    s_vpid();
    memset(&guest, 0, sizeof guest);
    guest.rax = HIGH_VA;
    reason = vmx_enter(&guest, VMX_LAUNCH) ? 0xFFFFFFFFu : (uint32_t)vmread(VM_EXIT_REASON);
}
static int invvpid(uint64_t type, uint16_t v, uint64_t la) {
    struct invvpid_descriptor d = {v, la};
    return vmx_classify(vmx_invvpid_raw(type, &d)) == VMX_OK;
}

static void vpid_cases(void) {
    memset(g_pml4, 0, sizeof g_pml4);
    g_pml4[0] = ((uint64_t*)(uintptr_t)(read_cr3() & ~0xFFFull))[0];
    g_pml4[1] = pa(g_pdpt) | PTE_P | PTE_RW;
    memset(g_pdpt, 0, sizeof g_pdpt);
    g_pdpt[0] = pa(g_pd) | PTE_P | PTE_RW;
    memset(g_pd, 0, sizeof g_pd);
    g_pd[0] = pa(g_pt) | PTE_P | PTE_RW;
    memset(g_pt, 0, sizeof g_pt);
    page_a[0] = 0xA;
    page_b[0] = 0xB;
    invvpid(2, 0, 0);

    /* VPID disabled: every VM entry and exit flushes VPID 0's linear mappings ("VPID"). */
    map_high(page_a, 0);
    vpid_guest(0);
    map_high(page_b, 0);
    again(HIGH_VA);
    expect_read("no_vpid_entry_flushes", 0xB);

    /* VPID 1: the entry survives entry and exit; a change is not seen until INVVPID. */
    map_high(page_a, 0);
    vpid_guest(1);
    expect_read("vpid_first_read", 0xA);
    map_high(page_b, 0);
    again(HIGH_VA);
    expect_read("vpid_stale_across_exit_and_entry", 0xA);
    /* VPID 2 has its own TLB entries: it walks and sees the new mapping; VPID 1's entry is
     * still there afterwards. */
    vpid_guest(2);
    expect_read("vpid_tags_separate", 0xB);
    vpid_guest(1);
    expect_read("vpid_other_tag_kept", 0xA);
    /* INVVPID type 0 (individual address) for another address leaves HIGH_VA cached; for
     * HIGH_VA it removes it. */
    vmx_check(G, "invvpid_individual_other_address", invvpid(0, 1, HIGH_VA + 0x200000), "failed");
    again(HIGH_VA);
    expect_read("invvpid_individual_other_keeps", 0xA);
    invvpid(0, 1, HIGH_VA);
    again(HIGH_VA);
    expect_read("invvpid_individual_address_flushes", 0xB);
    /* Type 1 (single context) for VPID 2 does not touch VPID 1; for VPID 1 it does. */
    map_high(page_a, 0);
    again(HIGH_VA);
    expect_read("vpid_stale_again", 0xB);
    invvpid(1, 2, 0);
    again(HIGH_VA);
    expect_read("invvpid_single_context_other_vpid_keeps", 0xB);
    invvpid(1, 1, 0);
    again(HIGH_VA);
    expect_read("invvpid_single_context_flushes", 0xA);
    /* Type 2 (all contexts). */
    map_high(page_b, 0);
    again(HIGH_VA);
    invvpid(2, 0, 0);
    again(HIGH_VA);
    expect_read("invvpid_all_context_flushes", 0xB);
    /* Type 3 (single context, retaining globals): a global translation (CR4.PGE = 1) stays. */
    map_high(page_a, 1);
    invvpid(2, 0, 0);
    again(HIGH_VA);
    expect_read("global_entry_read", 0xA);
    map_high(page_b, 1);
    invvpid(3, 1, 0);
    again(HIGH_VA);
    expect_read("invvpid_retaining_globals_keeps_global", 0xA);
    invvpid(1, 1, 0);
    again(HIGH_VA);
    expect_read("invvpid_single_context_flushes_global", 0xB);
    vpid = 0;
    guest_cr3 = 0;
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("vmx-ept: EPT translation, violations, misconfigurations, A/D, INVEPT, VPID\n");
    if (vmx_enable() != VMX_OK) {
        printf("vmx-ept: VMXON failed\n");
        debug_exit(0x01);
    }
    translation_cases();
    violation_cases();
    more_violation_cases();
    misconfig_cases();
    accessed_dirty_cases();
    invept_cases();
    eptp_switch_cases();
    vpid_cases();
    vmx_finish("vmx-ept", PASS_STATUS);
}

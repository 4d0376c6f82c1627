/* Guest-side VMX helpers (vmx.h). Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C. */
#include "vmx.h"

#include <stdarg.h>
#include <stddef.h>

#include "debug_exit.h"
#include "gdt.h"
#include "printf.h"
#include "string.h"
#include "trap.h"

__attribute__((aligned(4096))) uint8_t vmxon_region[4096];
__attribute__((aligned(4096))) uint8_t vmcs_region[4096];
__attribute__((aligned(4096))) uint8_t vmcs_region2[4096];
__attribute__((aligned(4096))) uint8_t guest_stack[16384];
__attribute__((aligned(4096))) uint8_t guest_idt[4096];
__attribute__((aligned(16))) uint8_t vmx_tss[104];
struct guest_regs guest;
uint64_t vmx_host_rip_override;
int vmx_cases, vmx_failures;

/* ---- Outcomes ------------------------------------------------------------------------- */

enum vmx_outcome vmx_classify(uint64_t rflags) {
    switch (rflags & RFLAGS_ARITH) {
    case 0: return VMX_OK;
    case RFLAGS_CF: return VMX_FAIL_INVALID;
    case RFLAGS_ZF: return VMX_FAIL_VALID;
    default: return VMX_FLAGS_BAD;
    }
}

const char* vmx_outcome_name(enum vmx_outcome o) {
    switch (o) {
    case VMX_OK: return "VMsucceed";
    case VMX_FAIL_INVALID: return "VMfailInvalid";
    case VMX_FAIL_VALID: return "VMfailValid";
    default: return "bad flags";
    }
}

/* Sets CF PF AF ZF SF OF (and the fixed bit 1) before the instruction, reads RFLAGS after:
 * the SDM's conventions clear every one of them that the outcome does not set. The operands
 * are in registers (never RSP-relative), so the PUSH/POPF around them are harmless. */
#define SET_FLAGS "pushq $0x8D7\n\tpopfq\n\t"
#define GET_FLAGS "\n\tpushfq\n\tpopq %[fl]"

uint64_t vmx_vmxon_raw(uint64_t pa) {
    volatile uint64_t mem = pa;
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmxon (%[p])" GET_FLAGS
                     : [fl] "=r"(fl)
                     : [p] "r"(&mem)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmclear_raw(uint64_t pa) {
    volatile uint64_t mem = pa;
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmclear (%[p])" GET_FLAGS
                     : [fl] "=r"(fl)
                     : [p] "r"(&mem)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmptrld_raw(uint64_t pa) {
    volatile uint64_t mem = pa;
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmptrld (%[p])" GET_FLAGS
                     : [fl] "=r"(fl)
                     : [p] "r"(&mem)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmptrst_raw(uint64_t* out) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmptrst (%[p])" GET_FLAGS
                     : [fl] "=r"(fl)
                     : [p] "r"(out)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmread_raw(uint64_t field, uint64_t* value) {
    uint64_t fl, v = *value;
    __asm__ volatile(SET_FLAGS "vmread %[f], %[v]" GET_FLAGS
                     : [fl] "=&r"(fl), [v] "+r"(v)
                     : [f] "r"(field)
                     : "cc");
    *value = v;
    return fl;
}

uint64_t vmx_vmread_mem_raw(uint64_t field, uint64_t* value) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmread %[f], (%[p])" GET_FLAGS
                     : [fl] "=&r"(fl)
                     : [f] "r"(field), [p] "r"(value)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmwrite_raw(uint64_t field, uint64_t value) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmwrite %[v], %[f]" GET_FLAGS
                     : [fl] "=&r"(fl)
                     : [f] "r"(field), [v] "r"(value)
                     : "cc");
    return fl;
}

uint64_t vmx_vmwrite_mem_raw(uint64_t field, const uint64_t* value) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmwrite (%[p]), %[f]" GET_FLAGS
                     : [fl] "=&r"(fl)
                     : [f] "r"(field), [p] "r"(value)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_vmxoff_raw(void) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmxoff" GET_FLAGS : [fl] "=r"(fl) : : "memory", "cc");
    return fl;
}

uint64_t vmx_vmcall_raw(void) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "vmcall" GET_FLAGS : [fl] "=r"(fl) : : "memory", "cc");
    return fl;
}

uint64_t vmx_invept_raw(uint64_t type, const void* descriptor) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "invept (%[d]), %[t]" GET_FLAGS
                     : [fl] "=&r"(fl)
                     : [t] "r"(type), [d] "r"(descriptor)
                     : "memory", "cc");
    return fl;
}

uint64_t vmx_invvpid_raw(uint64_t type, const void* descriptor) {
    uint64_t fl;
    __asm__ volatile(SET_FLAGS "invvpid (%[d]), %[t]" GET_FLAGS
                     : [fl] "=&r"(fl)
                     : [t] "r"(type), [d] "r"(descriptor)
                     : "memory", "cc");
    return fl;
}

uint64_t vmread(uint64_t field) {
    uint64_t v = 0;
    if (vmx_classify(vmx_vmread_raw(field, &v)) != VMX_OK) {
        printf("BUG: VMREAD 0x%lx failed\n", (unsigned long)field);
        vmx_failures++;
    }
    return v;
}

void vmwrite(uint64_t field, uint64_t value) {
    if (vmx_vmwrite(field, value) != VMX_OK) {
        printf("BUG: VMWRITE 0x%lx = 0x%lx failed (error %u)\n", (unsigned long)field,
               (unsigned long)value, vmx_error());
        vmx_failures++;
    }
}

uint32_t vmx_error(void) {
    uint64_t v = 0;
    vmx_vmread_raw(VM_INSTRUCTION_ERROR, &v);
    return (uint32_t)v;
}

/* ---- Exception catcher ------------------------------------------------------------------ */

volatile int vmx_caught_vector = -1;
volatile uint64_t vmx_caught_error;
volatile uint64_t vmx_catch_resume;

volatile uint64_t vmx_catch_kernel_rsp;

static int catch_exception(struct trap_frame* frame) {
    if (vmx_catch_resume == 0) return 0; /* not inside VMX_TRY: a real bug, report it */
    vmx_caught_vector = (int)frame->vector;
    vmx_caught_error = frame->error_code;
    frame->rip = vmx_catch_resume;
    if (vmx_catch_kernel_rsp) { /* VMX_TRY_CPL3: resume at CPL 0 on the saved stack */
        frame->cs = GDT_CODE64;
        frame->ss = GDT_DATA;
        frame->rsp = vmx_catch_kernel_rsp;
        vmx_catch_kernel_rsp = 0;
    }
    return 1;
}

void vmx_catch_init(void) {
    trap_set_handler(catch_exception);
}

/* ---- Processor helpers ---------------------------------------------------------------- */

uint64_t rdmsr(uint32_t index) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

void wrmsr(uint32_t index, uint64_t value) {
    __asm__ volatile("wrmsr"
                     :
                     : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

uint64_t read_cr0(void) {
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
uint64_t read_cr3(void) {
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
uint64_t read_cr4(void) {
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
void write_cr0(uint64_t v) {
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
void write_cr4(uint64_t v) {
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                     : "a"(leaf), "c"(subleaf));
}

/* ---- Capabilities --------------------------------------------------------------------- */

static uint32_t true_msr(uint32_t msr) {
    if (!(rdmsr(MSR_IA32_VMX_BASIC) & (1ull << 55))) return msr;
    switch (msr) {
    case MSR_IA32_VMX_PINBASED_CTLS: return MSR_IA32_VMX_TRUE_PINBASED_CTLS;
    case MSR_IA32_VMX_PROCBASED_CTLS: return MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
    case MSR_IA32_VMX_EXIT_CTLS: return MSR_IA32_VMX_TRUE_EXIT_CTLS;
    case MSR_IA32_VMX_ENTRY_CTLS: return MSR_IA32_VMX_TRUE_ENTRY_CTLS;
    default: return msr;
    }
}

uint32_t vmx_adjust(uint32_t msr, uint32_t wanted) {
    uint64_t cap = rdmsr(true_msr(msr));
    return (wanted | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

int vmx_allowed1(uint32_t msr, uint32_t bits) {
    return ((uint32_t)(rdmsr(true_msr(msr)) >> 32) & bits) == bits;
}

uint32_t vmx_revision_id(void) {
    return (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7FFFFFFF;
}

/* ---- Host setup --------------------------------------------------------------------------- */

/* The ROMs' GDT (lib/gdt.S) plus a 64-bit TSS descriptor at HOST_TR_SEL: VM exits load a
 * TR selector that must not be 0 (SDM Vol. 3C, "Checks on Host Segment and Descriptor-Table
 * Registers"), and the guest's TR must be a busy TSS ("Checks on Guest Segment Registers"). */
extern uint64_t gdt[4];
static __attribute__((aligned(16))) uint64_t vmx_gdt[8];
/* The stack a CPL-3 case's exception switches to (TSS.RSP0). */
static __attribute__((aligned(16))) uint8_t ring0_stack[8192];
struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint8_t guest_vector_trampolines[]; /* vmx.S: 256 trampolines, 16 bytes apart */

static void load_gdt_with_tss(void) {
    static int done;
    if (done) return;
    done = 1;
    for (int i = 0; i < 4; i++)
        vmx_gdt[i] = gdt[i];
    uint64_t base = (uint64_t)(uintptr_t)vmx_tss, limit = sizeof(vmx_tss) - 1;
    vmx_tss[102] = sizeof(vmx_tss); /* I/O map base past the limit: no I/O permission bitmap */
    /* SDM Vol. 3A, "TSS Descriptor in 64-bit mode": type 9 (available), P = 1. */
    vmx_gdt[4] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
                 ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    vmx_gdt[5] = base >> 32;
    /* CPL-3 flat data and 64-bit code (DPL 3) for VMX_TRY_CPL3. */
    vmx_gdt[USER_DATA_SEL / 8] = 0x00CFF3000000FFFFull;
    vmx_gdt[USER_CODE_SEL / 8] = 0x00AFFB000000FFFFull;
    uint64_t rsp0 = (uint64_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack));
    for (int k = 0; k < 8; k++)
        vmx_tss[4 + k] = (uint8_t)(rsp0 >> (8 * k));
    struct descriptor_pointer p = {sizeof(vmx_gdt) - 1, (uint64_t)(uintptr_t)vmx_gdt};
    __asm__ volatile("lgdt %0\n\tltr %w1" : : "m"(p), "r"(HOST_TR_SEL) : "memory");

    /* SDM Vol. 3A, "64-Bit Mode IDT": interrupt gates to the guest vector trampolines. */
    for (int v = 0; v < 256; v++) {
        uint64_t h = (uint64_t)(uintptr_t)guest_vector_trampolines + 16 * (uint64_t)v;
        uint64_t* g = (uint64_t*)(guest_idt + 16 * v);
        g[0] =
            (h & 0xFFFF) | (uint64_t)GDT_CODE64 << 16 | 0x8Eull << 40 | ((h >> 16) & 0xFFFF) << 48;
        g[1] = h >> 32;
    }
}

__attribute__((aligned(4096))) uint8_t vmx_user_stack[4096];

void vmx_user_pages(void) {
    const uint64_t addr_mask = 0x000FFFFFFFFFF000ull, user = 4;
    uint64_t* pml4 = (uint64_t*)(uintptr_t)(read_cr3() & addr_mask);
    pml4[0] |= user;
    uint64_t* pdpt = (uint64_t*)(uintptr_t)(pml4[0] & addr_mask);
    pdpt[0] |= user;
    uint64_t* pd = (uint64_t*)(uintptr_t)(pdpt[0] & addr_mask);
    for (int j = 0; j < 512; j++)
        pd[j] |= user;
    __asm__ volatile("mov %%cr3, %%rax\n\tmov %%rax, %%cr3" : : : "rax", "memory");
}

void vmx_prepare(int lock_feature_control) {
    load_gdt_with_tss();
    vmx_catch_init();
    if (lock_feature_control) {
        uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
        if (!(fc & FEATURE_CONTROL_LOCK))
            wrmsr(MSR_IA32_FEATURE_CONTROL,
                  fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
    }
    /* SDM Vol. 3C, "Enabling and Entering VMX Operation" / "Restrictions on VMX Operation":
     * CR0 and CR4 must satisfy the FIXED0/FIXED1 MSRs before VMXON. */
    write_cr0((read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
    write_cr4((read_cr4() | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1));
    *(uint32_t*)vmxon_region = vmx_revision_id();
}

enum vmx_outcome vmx_enable(void) {
    vmx_prepare(1);
    return vmx_vmxon((uint64_t)(uintptr_t)vmxon_region);
}

/* ---- The minimal valid VMCS -------------------------------------------------------------- */

static uint32_t pin_wanted, proc_wanted, proc2_wanted, exit_wanted, entry_wanted;

void vmcs_set_pin(uint32_t wanted) {
    pin_wanted |= wanted;
    vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_adjust(MSR_IA32_VMX_PINBASED_CTLS, pin_wanted));
}
void vmcs_set_proc(uint32_t wanted) {
    proc_wanted |= wanted;
    vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS, proc_wanted));
}
void vmcs_set_proc2(uint32_t wanted) {
    proc2_wanted |= wanted;
    vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2, proc2_wanted));
    vmcs_set_proc(PROC_SECONDARY_CONTROLS);
}
void vmcs_set_exit(uint32_t wanted) {
    exit_wanted |= wanted;
    vmwrite(VM_EXIT_CONTROLS, vmx_adjust(MSR_IA32_VMX_EXIT_CTLS, exit_wanted));
}
void vmcs_set_entry(uint32_t wanted) {
    entry_wanted |= wanted;
    vmwrite(VM_ENTRY_CONTROLS, vmx_adjust(MSR_IA32_VMX_ENTRY_CTLS, entry_wanted));
}

static uint64_t idt_base(void) {
    struct descriptor_pointer i;
    __asm__ volatile("sidt %0" : "=m"(i));
    return i.base;
}

void vmcs_use_guest_idt(void) {
    vmwrite(GUEST_IDTR_BASE, (uint64_t)(uintptr_t)guest_idt);
    vmwrite(GUEST_IDTR_LIMIT, sizeof(guest_idt) - 1);
}

/* Controls: what the capability MSRs force, plus a 64-bit host and guest that save and load
 * EFER and PAT; nothing intercepted (SDM Vol. 3C, "VM-Execution Control Fields"). */
static void build_controls(uint64_t cr0, uint64_t cr4) {
    pin_wanted = proc_wanted = proc2_wanted = 0;
    exit_wanted = EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
                  EXIT_LOAD_PAT;
    entry_wanted = ENTRY_IA32E_MODE_GUEST | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT;
    vmcs_set_pin(0);
    vmcs_set_proc(0);
    vmcs_set_exit(0);
    vmcs_set_entry(0);
    static const uint32_t zero[] = {
        EXCEPTION_BITMAP,        PAGE_FAULT_ERROR_CODE_MASK, PAGE_FAULT_ERROR_CODE_MATCH,
        CR3_TARGET_COUNT,        VM_EXIT_MSR_STORE_COUNT,    VM_EXIT_MSR_LOAD_COUNT,
        VM_ENTRY_MSR_LOAD_COUNT, VM_ENTRY_INTR_INFO_FIELD,   CR0_GUEST_HOST_MASK,
        CR4_GUEST_HOST_MASK};
    for (size_t k = 0; k < sizeof(zero) / sizeof(zero[0]); k++)
        vmwrite(zero[k], 0);
    vmwrite(CR0_READ_SHADOW, cr0);
    vmwrite(CR4_READ_SHADOW, cr4);
    vmwrite(VMCS_LINK_POINTER, ~0ull);
}

/* Host state: the state vmx_enter's caller runs in (SDM Vol. 3C, "Host-State Area"). */
static void build_host_state(uint64_t cr0, uint64_t cr3, uint64_t cr4) {
    vmwrite(HOST_CR0, cr0);
    vmwrite(HOST_CR3, cr3);
    vmwrite(HOST_CR4, cr4);
    static const uint32_t data_sel[] = {HOST_SS_SELECTOR, HOST_DS_SELECTOR, HOST_ES_SELECTOR,
                                        HOST_FS_SELECTOR, HOST_GS_SELECTOR};
    for (size_t k = 0; k < sizeof(data_sel) / sizeof(data_sel[0]); k++)
        vmwrite(data_sel[k], GDT_DATA);
    vmwrite(HOST_CS_SELECTOR, GDT_CODE64);
    vmwrite(HOST_TR_SELECTOR, HOST_TR_SEL);
    vmwrite(HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
    vmwrite(HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmwrite(HOST_TR_BASE, (uint64_t)(uintptr_t)vmx_tss);
    vmwrite(HOST_GDTR_BASE, (uint64_t)(uintptr_t)vmx_gdt);
    vmwrite(HOST_IDTR_BASE, idt_base());
    vmwrite(HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
    vmwrite(HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
    vmwrite(HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
}

/* One guest segment register: the encodings of a register's selector, base, limit and
 * access rights are the same offset from ES's in each group ("Field Encoding in VMCS"). */
static void guest_segment(uint32_t selector_field, uint16_t sel, uint64_t base, uint32_t limit,
                          uint32_t access_rights) {
    uint32_t idx = selector_field - GUEST_ES_SELECTOR;
    vmwrite(selector_field, sel);
    vmwrite(GUEST_ES_BASE + idx, base);
    vmwrite(GUEST_ES_LIMIT + idx, limit);
    vmwrite(GUEST_ES_AR_BYTES + idx, access_rights);
}

/* Guest state: a flat 64-bit CPL-0 guest on the host's tables (SDM Vol. 3C, "Guest-State
 * Area"; access rights as in "Format of Access Rights"). */
static void build_guest_state(void (*rip)(void), uint64_t cr0, uint64_t cr3, uint64_t cr4) {
    vmwrite(GUEST_CR0, cr0);
    vmwrite(GUEST_CR3, cr3);
    vmwrite(GUEST_CR4, cr4);
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_RSP, (uint64_t)(uintptr_t)(guest_stack + sizeof(guest_stack)));
    vmwrite(GUEST_RIP, (uint64_t)(uintptr_t)rip);
    vmwrite(GUEST_RFLAGS, 0x2);
    static const uint32_t data_sel[] = {GUEST_ES_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR,
                                        GUEST_FS_SELECTOR, GUEST_GS_SELECTOR};
    for (size_t k = 0; k < sizeof(data_sel) / sizeof(data_sel[0]); k++)
        guest_segment(data_sel[k], GDT_DATA, 0, 0xFFFFFFFF, 0xC093);     /* G, D/B, P, S, RW acc. */
    guest_segment(GUEST_CS_SELECTOR, GDT_CODE64, 0, 0xFFFFFFFF, 0xA09B); /* G, L, P, S, XR acc. */
    guest_segment(GUEST_LDTR_SELECTOR, 0, 0, 0, 0x10000);                /* unusable */
    guest_segment(GUEST_TR_SELECTOR, HOST_TR_SEL, (uint64_t)(uintptr_t)vmx_tss, sizeof(vmx_tss) - 1,
                  0x8B); /* P, busy 64-bit TSS */
    /* The limits are the tables' own: after a VM exit SGDT/SIDT read FFFFH ("Loading Host
     * Segment and Descriptor-Table Registers"). lib/trap.c's IDT has 32 gates. */
    vmwrite(GUEST_GDTR_BASE, (uint64_t)(uintptr_t)vmx_gdt);
    vmwrite(GUEST_GDTR_LIMIT, sizeof(vmx_gdt) - 1);
    vmwrite(GUEST_IDTR_BASE, idt_base());
    vmwrite(GUEST_IDTR_LIMIT, 32 * 16 - 1);
    vmwrite(GUEST_IA32_DEBUGCTL, 0);
    vmwrite(GUEST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmwrite(GUEST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    static const uint32_t zero[] = {GUEST_SYSENTER_CS,           GUEST_SYSENTER_ESP,
                                    GUEST_SYSENTER_EIP,          GUEST_ACTIVITY_STATE,
                                    GUEST_INTERRUPTIBILITY_INFO, GUEST_PENDING_DBG_EXCEPTIONS};
    for (size_t k = 0; k < sizeof(zero) / sizeof(zero[0]); k++)
        vmwrite(zero[k], 0);
}

void vmcs_build(uint8_t* region, void (*rip)(void)) {
    uint64_t pa = (uint64_t)(uintptr_t)region;
    *(uint32_t*)region = vmx_revision_id();
    if (vmx_vmclear(pa) != VMX_OK || vmx_vmptrld(pa) != VMX_OK) {
        printf("BUG: VMCLEAR/VMPTRLD of the VMCS failed\n");
        vmx_failures++;
    }
    uint64_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
    build_controls(cr0, cr4);
    build_host_state(cr0, cr3, cr4);
    build_guest_state(rip, cr0, cr3, cr4);
}

uint32_t vmx_run_guest(void (*rip)(void), void (*setup)(void)) {
    vmcs_build(vmcs_region, rip);
    if (setup) setup();
    memset(&guest, 0, sizeof(guest));
    if (vmx_enter(&guest, VMX_LAUNCH) != 0) return 0xFFFFFFFFu;
    return (uint32_t)vmread(VM_EXIT_REASON);
}

uint32_t vmx_resume_guest(int skip) {
    if (skip) vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
    if (vmx_enter(&guest, VMX_RESUME) != 0) return 0xFFFFFFFFu;
    return (uint32_t)vmread(VM_EXIT_REASON);
}

/* ---- Reporting ------------------------------------------------------------------------------ */

void vmx_check(const char* group, const char* name, int ok, const char* fmt, ...) {
    vmx_cases++;
    if (ok) {
        printf("ok %s/%s\n", group, name);
        return;
    }
    vmx_failures++;
    printf("FAIL %s/%s: ", group, name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

int vmx_expect(const char* group, const char* name, uint64_t got, uint64_t want) {
    vmx_check(group, name, got == want, "expected 0x%lx got 0x%lx", (unsigned long)want,
              (unsigned long)got);
    return got == want;
}

void vmx_finish(const char* rom, uint32_t pass_status) {
    if (vmx_failures == 0) {
        printf("%s: PASS (%d cases)\n", rom, vmx_cases);
        debug_exit(pass_status);
    }
    printf("%s: FAIL (%d of %d checks failed)\n", rom, vmx_failures, vmx_cases);
    debug_exit(0x01);
}

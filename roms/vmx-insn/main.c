/* vmx-insn: the VMX instructions themselves. Capability MSR invariants, every #UD/#GP the
 * ROM can reach at CPL 0 in 64-bit mode, VMfailInvalid, and every VM-instruction error number
 * a processor without dual-monitor treatment produces (1-5, 7-13, 15, 26, 28), with the
 * RFLAGS conventions checked on every outcome. Intel SDM, Dec 2023 (Order 325462-081),
 * Vol. 3C, "VMX Instruction Reference", "VM-Instruction Error Numbers", "Conventions";
 * Vol. 3D, "VMX Capability Reporting Facility". One line per case; ends with debug-exit
 * 0x20 (status 65) when every case held, 0x01 (status 3) otherwise. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/vmx.h"

#define PASS_STATUS 0x20
#define G "insn"

#define UD 6
#define GP 13
#define PF 14

static uint64_t maxphyaddr_bit; /* 1 << MAXPHYADDR: the first address beyond the width */

/* ---- Checks -------------------------------------------------------------------------- */

static void format_outcome(char* buf, size_t n, enum vmx_outcome o, uint32_t error) {
    if (o == VMX_FAIL_VALID)
        snprintf(buf, n, "VMfailValid(%u)", error);
    else
        snprintf(buf, n, "%s", vmx_outcome_name(o));
}

/* Expects the outcome `want` (and, for VMfailValid, VM-instruction error `want_error`). */
static void expect_outcome(const char* name, uint64_t rflags, enum vmx_outcome want,
                           uint32_t want_error) {
    enum vmx_outcome got = vmx_classify(rflags);
    uint32_t error = got == VMX_FAIL_VALID ? vmx_error() : 0;
    char w[32], g[32];
    format_outcome(w, sizeof w, want, want_error);
    format_outcome(g, sizeof g, got, error);
    vmx_check(G, name, got == want && error == want_error, "expected %s got %s (rflags 0x%lx)", w,
              g, (unsigned long)rflags);
}

static const char* vector_name(int v) {
    switch (v) {
    case -1: return "no exception";
    case UD: return "#UD";
    case GP: return "#GP";
    case PF: return "#PF";
    default: return "another exception";
    }
}

static void expect_vector(const char* name, int got, int want) {
    vmx_check(G, name, got == want && (want != GP || vmx_caught_error == 0),
              "expected %s got %s (vector %d, error code 0x%lx)", vector_name(want),
              vector_name(got), got, (unsigned long)vmx_caught_error);
}

/* ---- Guests ---------------------------------------------------------------------------- */

void guest_two_vmcalls(void);
__asm__(".text\n"
        "guest_two_vmcalls:\n\t"
        "movl $0x1111, %eax\n\t"
        "vmcall\n\t"
        "movl $0x2222, %eax\n\t"
        "vmcall\n\t"
        "jmp .\n");

/* ---- Cases ------------------------------------------------------------------------------ */

static void capability_cases(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    vmx_check(G, "cpuid_vmx", (r[2] >> 5) & 1, "CPUID.1:ECX.VMX[5] is 0 (ecx 0x%x)", r[2]);
    cpuid(0x80000008, 0, r);
    maxphyaddr_bit = 1ull << (r[0] & 0xFF);

    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    vmx_check(G, "basic_revision_bit31_clear", !(basic & (1ull << 31)) && (basic & 0x7FFFFFFF),
              "IA32_VMX_BASIC 0x%lx", (unsigned long)basic);
    /* "VMX Capability Reporting Facility": bits 44:32 the region size, at most 4096. */
    uint64_t size = (basic >> 32) & 0x1FFF;
    vmx_check(G, "basic_region_size", size > 0 && size <= 4096, "region size %lu",
              (unsigned long)size);
    /* Bits 53:50: the VMCS memory type, write-back (6) on every processor so far. */
    vmx_expect(G, "basic_memory_type_wb", (basic >> 50) & 0xF, 6);

    /* Every control MSR: a control that must be 1 may be 1 (allowed-0 within allowed-1), and
     * the default1 class reads as 1 in the non-TRUE MSRs ("Pin-Based VM-Execution Controls"
     * etc. in that appendix: bits 1, 2, 4 pin-based; 1, 4-6, 8, 13-16, 26 processor-based;
     * 0-8, 10, 11, 13, 14, 16, 17 exit; 0-8, 12 entry). */
    static const struct {
        const char* name;
        uint32_t msr;
        uint32_t default1;
    } ctl[] = {
        {"pinbased_ctls_consistent", MSR_IA32_VMX_PINBASED_CTLS, 0x16},
        {"procbased_ctls_consistent", MSR_IA32_VMX_PROCBASED_CTLS, 0x0401E172},
        {"exit_ctls_consistent", MSR_IA32_VMX_EXIT_CTLS, 0x00036DFF},
        {"entry_ctls_consistent", MSR_IA32_VMX_ENTRY_CTLS, 0x000011FF},
    };
    for (unsigned k = 0; k < 4; k++) {
        uint64_t v = rdmsr(ctl[k].msr);
        uint32_t must = (uint32_t)v, may = (uint32_t)(v >> 32);
        vmx_check(G, ctl[k].name, (must & ~may) == 0 && (must & ctl[k].default1) == ctl[k].default1,
                  "MSR 0x%x = 0x%lx", ctl[k].msr, (unsigned long)v);
    }
    /* TRUE_ MSRs: same allowed-1 settings, allowed-0 may only relax default1 bits. */
    static const uint32_t pairs[4][2] = {
        {MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS},
        {MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS},
        {MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS},
        {MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS}};
    int true_ok = 1;
    if (basic & (1ull << 55)) {
        for (unsigned k = 0; k < 4; k++) {
            uint64_t a = rdmsr(pairs[k][0]), t = rdmsr(pairs[k][1]);
            if ((a >> 32) != (t >> 32) || ((uint32_t)t & ~(uint32_t)a)) true_ok = 0;
        }
    }
    vmx_check(G, "true_ctls_relax_only_default1", true_ok, "a TRUE_ MSR adds a must-be-1 bit");

    uint64_t cr0f0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0), cr0f1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    uint64_t cr4f0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0), cr4f1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    /* "VMX-Fixed Bits in CR0/CR4": a bit fixed to 1 is allowed to be 1; CR4.VMXE is fixed to 1. */
    vmx_check(G, "cr_fixed_consistent",
              !(cr0f0 & ~cr0f1) && !(cr4f0 & ~cr4f1) && (cr4f0 & CR4_VMXE) &&
                  (cr0f0 & (CR0_PE | CR0_NE | CR0_PG)) == (CR0_PE | CR0_NE | CR0_PG),
              "CR0 fixed 0x%lx/0x%lx CR4 fixed 0x%lx/0x%lx", (unsigned long)cr0f0,
              (unsigned long)cr0f1, (unsigned long)cr4f0, (unsigned long)cr4f1);

    /* IA32_VMX_VMFUNC exists only when "enable VM functions" may be 1; otherwise #GP(0). */
    if (!vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS2, 1u << 13)) {
        int v = VMX_TRY("movl $0x491, %%ecx\n\trdmsr");
        expect_vector("rdmsr_vmfunc_absent_gp", v, GP);
    }
}

static void before_vmxon_cases(void) {
    uint64_t pa = (uint64_t)(uintptr_t)vmxon_region;
    volatile uint64_t mem = pa;
    /* SDM "VMXON": CR4.VMXE = 0 gives #UD. */
    write_cr4(read_cr4() & ~CR4_VMXE);
    expect_vector("vmxon_cr4_vmxe_clear_ud", VMX_TRY("vmxon (%0)", "r"(&mem)), UD);

    /* IA32_FEATURE_CONTROL not locked (or VMXON outside SMX disabled): #GP(0). */
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    write_cr4(read_cr4() | CR4_VMXE);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        *(uint32_t*)vmxon_region = vmx_revision_id();
        expect_vector("vmxon_feature_control_unlocked_gp", VMX_TRY("vmxon (%0)", "r"(&mem)), GP);
    } else {
        vmx_check(G, "vmxon_feature_control_unlocked_gp", 0,
                  "IA32_FEATURE_CONTROL was locked at reset (0x%lx)", (unsigned long)fc);
    }
    vmx_prepare(1);
    vmx_check(G, "feature_control_locked", (rdmsr(MSR_IA32_FEATURE_CONTROL) & 5) == 5,
              "IA32_FEATURE_CONTROL 0x%lx", (unsigned long)rdmsr(MSR_IA32_FEATURE_CONTROL));
    /* SDM Vol. 4, IA32_FEATURE_CONTROL: WRMSR to it #GPs once the lock bit is set. */
    expect_vector("feature_control_write_after_lock_gp",
                  VMX_TRY("movl $0x3a, %%ecx\n\tmovl $5, %%eax\n\txorl %%edx, %%edx\n\twrmsr"), GP);

    /* Outside VMX operation, every other VMX instruction is #UD (each one's "Operation"). */
    uint64_t scratch = 0, field = GUEST_RIP;
    struct invept_descriptor ed = {0, 0};
    struct invvpid_descriptor vd = {1, 0};
    expect_vector("vmxoff_outside_vmx_ud", VMX_TRY("vmxoff"), UD);
    /* "VMXON" outside VMX operation: "IF (CPL > 0) or ... THEN #GP(0)". */
    expect_vector("vmxon_outside_vmx_cpl3_gp", VMX_TRY_CPL3("vmxon (%0)", "r"(&mem)), GP);
    expect_vector("vmclear_outside_vmx_ud", VMX_TRY("vmclear (%0)", "r"(&mem)), UD);
    expect_vector("vmptrld_outside_vmx_ud", VMX_TRY("vmptrld (%0)", "r"(&mem)), UD);
    expect_vector("vmptrst_outside_vmx_ud", VMX_TRY("vmptrst (%0)", "r"(&scratch)), UD);
    expect_vector("vmread_outside_vmx_ud", VMX_TRY("vmread %0, (%1)", "r"(field), "r"(&scratch)),
                  UD);
    expect_vector("vmwrite_outside_vmx_ud", VMX_TRY("vmwrite (%1), %0", "r"(field), "r"(&scratch)),
                  UD);
    expect_vector("vmlaunch_outside_vmx_ud", VMX_TRY("vmlaunch"), UD);
    expect_vector("vmresume_outside_vmx_ud", VMX_TRY("vmresume"), UD);
    expect_vector("vmcall_outside_vmx_ud", VMX_TRY("vmcall"), UD);
    expect_vector("invept_outside_vmx_ud", VMX_TRY("invept (%0), %1", "r"(&ed), "r"(2ull)), UD);
    expect_vector("invvpid_outside_vmx_ud", VMX_TRY("invvpid (%0), %1", "r"(&vd), "r"(2ull)), UD);

    /* "VMXON": CR0 must satisfy IA32_VMX_CR0_FIXED0 (NE is fixed to 1): #GP(0). */
    if (rdmsr(MSR_IA32_VMX_CR0_FIXED0) & CR0_NE) {
        write_cr0(read_cr0() & ~CR0_NE);
        expect_vector("vmxon_cr0_ne_clear_gp", VMX_TRY("vmxon (%0)", "r"(&mem)), GP);
        write_cr0(read_cr0() | CR0_NE);
    }
    /* A non-canonical memory operand: #GP(0); an unmapped one (the ROM maps 0-4 GiB): #PF. */
    uint64_t noncanonical = 0x0000800000000000ull, unmapped = 0x200000000ull;
    expect_vector("vmxon_noncanonical_operand_gp", VMX_TRY("vmxon (%0)", "r"(noncanonical)), GP);
    expect_vector("vmxon_unmapped_operand_pf", VMX_TRY("vmxon (%0)", "r"(unmapped)), PF);

    /* "VMXON": a VMXON pointer that is not 4 KiB aligned, sets bits beyond the physical-address
     * width, or whose region has the wrong revision identifier: VMfailInvalid. */
    expect_outcome("vmxon_unaligned_failinvalid", vmx_vmxon_raw(pa + 8), VMX_FAIL_INVALID, 0);
    expect_outcome("vmxon_beyond_maxphyaddr_failinvalid", vmx_vmxon_raw(pa | maxphyaddr_bit),
                   VMX_FAIL_INVALID, 0);
    *(uint32_t*)vmxon_region = vmx_revision_id() ^ 1;
    expect_outcome("vmxon_bad_revision_failinvalid", vmx_vmxon_raw(pa), VMX_FAIL_INVALID, 0);
    /* "... or bit 31 of the first 4 bytes of the VMXON region is 1: VMfailInvalid". */
    *(uint32_t*)vmxon_region = vmx_revision_id() | 0x80000000u;
    expect_outcome("vmxon_region_bit31_failinvalid", vmx_vmxon_raw(pa), VMX_FAIL_INVALID, 0);
    *(uint32_t*)vmxon_region = vmx_revision_id();
    expect_outcome("vmxon_succeeds", vmx_vmxon_raw(pa), VMX_OK, 0);
}

static void no_current_vmcs_cases(void) {
    uint64_t pa = (uint64_t)(uintptr_t)vmxon_region, v = 0;
    /* "VMXON" in VMX root operation without a current VMCS: VMfailInvalid. */
    expect_outcome("vmxon_in_root_no_vmcs_failinvalid", vmx_vmxon_raw(pa), VMX_FAIL_INVALID, 0);
    /* "VMPTRST": no current VMCS stores FFFFFFFF_FFFFFFFFH. */
    uint64_t ptr = 0;
    expect_outcome("vmptrst_no_vmcs_succeeds", vmx_vmptrst_raw(&ptr), VMX_OK, 0);
    vmx_expect(G, "vmptrst_no_vmcs_all_ones", ptr, ~0ull);
    expect_outcome("vmread_no_vmcs_failinvalid", vmx_vmread_raw(GUEST_RIP, &v), VMX_FAIL_INVALID,
                   0);
    expect_outcome("vmwrite_no_vmcs_failinvalid", vmx_vmwrite_raw(GUEST_RIP, 0), VMX_FAIL_INVALID,
                   0);
    expect_outcome("vmlaunch_no_vmcs_failinvalid", vmx_enter(&guest, VMX_LAUNCH), VMX_FAIL_INVALID,
                   0);
    expect_outcome("vmresume_no_vmcs_failinvalid", vmx_enter(&guest, VMX_RESUME), VMX_FAIL_INVALID,
                   0);
    /* VMfail(n) without a current VMCS is VMfailInvalid ("Conventions"). */
    expect_outcome("vmclear_unaligned_no_vmcs_failinvalid", vmx_vmclear_raw(pa + 0x800),
                   VMX_FAIL_INVALID, 0);
    expect_outcome("vmcall_no_vmcs_failinvalid", vmx_vmcall_raw(), VMX_FAIL_INVALID, 0);
}

static void vmcs_pointer_cases(void) {
    uint64_t a = (uint64_t)(uintptr_t)vmcs_region, b = (uint64_t)(uintptr_t)vmcs_region2;
    uint64_t on = (uint64_t)(uintptr_t)vmxon_region;
    *(uint32_t*)vmcs_region = vmx_revision_id();
    expect_outcome("vmclear_succeeds", vmx_vmclear_raw(a), VMX_OK, 0);
    expect_outcome("vmptrld_succeeds", vmx_vmptrld_raw(a), VMX_OK, 0);
    uint64_t ptr = 0;
    vmx_vmptrst_raw(&ptr);
    vmx_expect(G, "vmptrst_returns_current", ptr, a);

    expect_outcome("vmxon_in_root_error_15", vmx_vmxon_raw(on), VMX_FAIL_VALID, 15);
    expect_outcome("vmclear_unaligned_error_2", vmx_vmclear_raw(a + 0x10), VMX_FAIL_VALID, 2);
    expect_outcome("vmclear_beyond_maxphyaddr_error_2", vmx_vmclear_raw(b | maxphyaddr_bit),
                   VMX_FAIL_VALID, 2);
    expect_outcome("vmclear_vmxon_pointer_error_3", vmx_vmclear_raw(on), VMX_FAIL_VALID, 3);
    expect_outcome("vmptrld_unaligned_error_9", vmx_vmptrld_raw(b + 0x100), VMX_FAIL_VALID, 9);
    expect_outcome("vmptrld_beyond_maxphyaddr_error_9", vmx_vmptrld_raw(b | maxphyaddr_bit),
                   VMX_FAIL_VALID, 9);
    expect_outcome("vmptrld_vmxon_pointer_error_10", vmx_vmptrld_raw(on), VMX_FAIL_VALID, 10);
    *(uint32_t*)vmcs_region2 = vmx_revision_id() ^ 0x10;
    expect_outcome("vmptrld_bad_revision_error_11", vmx_vmptrld_raw(b), VMX_FAIL_VALID, 11);
    /* Bit 31 is the shadow-VMCS indicator; without VMCS shadowing (secondary control 14 may
     * not be 1) VMPTRLD of a shadow VMCS fails the same way. */
    if (!vmx_allowed1(MSR_IA32_VMX_PROCBASED_CTLS2, 1u << 14)) {
        *(uint32_t*)vmcs_region2 = vmx_revision_id() | 0x80000000u;
        expect_outcome("vmptrld_shadow_indicator_error_11", vmx_vmptrld_raw(b), VMX_FAIL_VALID, 11);
    }
    vmx_vmptrst_raw(&ptr);
    vmx_expect(G, "failed_vmptrld_keeps_current", ptr, a);
    uint64_t noncanonical = 0xFFFF000000000000ull, unmapped = 0x200000000ull;
    expect_vector("vmptrld_noncanonical_operand_gp", VMX_TRY("vmptrld (%0)", "r"(noncanonical)),
                  GP);
    expect_vector("vmclear_unmapped_operand_pf", VMX_TRY("vmclear (%0)", "r"(unmapped)), PF);
    expect_vector("vmptrst_unmapped_operand_pf", VMX_TRY("vmptrst (%0)", "r"(unmapped)), PF);
}

static void vmread_vmwrite_cases(void) {
    uint64_t v = 0;
    /* "VMREAD"/"VMWRITE": a field the processor does not support, a reserved encoding bit, or
     * a high access to a field that is not 64 bits: error 12. */
    expect_outcome("vmread_unsupported_field_error_12", vmx_vmread_raw(0x6FFE, &v), VMX_FAIL_VALID,
                   12);
    expect_outcome("vmwrite_unsupported_field_error_12", vmx_vmwrite_raw(0x6FFE, 0), VMX_FAIL_VALID,
                   12);
    expect_outcome("vmread_reserved_encoding_bit_error_12", vmx_vmread_raw(GUEST_RIP | 0x1000, &v),
                   VMX_FAIL_VALID, 12);
    expect_outcome("vmread_high_access_32bit_field_error_12",
                   vmx_vmread_raw(EXCEPTION_BITMAP | 1, &v), VMX_FAIL_VALID, 12);
    /* IA32_VMX_MISC[29] = 0: VM-exit information fields are read-only, error 13. */
    if (!(rdmsr(MSR_IA32_VMX_MISC) & (1ull << 29))) {
        expect_outcome("vmwrite_exit_reason_error_13", vmx_vmwrite_raw(VM_EXIT_REASON, 1),
                       VMX_FAIL_VALID, 13);
        expect_outcome("vmwrite_exit_qualification_error_13",
                       vmx_vmwrite_raw(EXIT_QUALIFICATION, 1), VMX_FAIL_VALID, 13);
    }
    expect_outcome("vmwrite_natural_succeeds", vmx_vmwrite_raw(GUEST_RIP, 0x123456789ABCull),
                   VMX_OK, 0);
    v = 0;
    expect_outcome("vmread_natural_succeeds", vmx_vmread_raw(GUEST_RIP, &v), VMX_OK, 0);
    vmx_expect(G, "vmread_natural_value", v, 0x123456789ABCull);
    /* A field narrower than the operand: VMWRITE ignores the high bits, VMREAD zero-extends. */
    vmwrite(GUEST_ES_SELECTOR, 0xFFFFFFFFFFFF1234ull);
    v = ~0ull;
    vmx_vmread_raw(GUEST_ES_SELECTOR, &v);
    vmx_expect(G, "vmwrite_16bit_truncates", v, 0x1234);
    vmwrite(EXCEPTION_BITMAP, 0xABCDEF0012345678ull);
    v = ~0ull;
    vmx_vmread_raw(EXCEPTION_BITMAP, &v);
    vmx_expect(G, "vmwrite_32bit_truncates", v, 0x12345678);
    /* The "high" access type moves bits 63:32 of a 64-bit field. */
    vmwrite(TSC_OFFSET, 0x1111222233334444ull);
    vmwrite(TSC_OFFSET | 1, 0xFFFFFFFF55556666ull);
    vmx_expect(G, "vmwrite_high_access", vmread(TSC_OFFSET), 0x5555666633334444ull);
    v = ~0ull;
    vmx_vmread_raw(TSC_OFFSET | 1, &v);
    vmx_expect(G, "vmread_high_access", v, 0x55556666);
    /* Memory operands. */
    static uint64_t mem_in = 0xFEDCBA9876ull, mem_out;
    expect_outcome("vmwrite_memory_operand", vmx_vmwrite_mem_raw(GUEST_RSP, &mem_in), VMX_OK, 0);
    expect_outcome("vmread_memory_operand", vmx_vmread_mem_raw(GUEST_RSP, &mem_out), VMX_OK, 0);
    vmx_expect(G, "vmread_memory_value", mem_out, 0xFEDCBA9876ull);
    uint64_t unmapped = 0x200000000ull, field = GUEST_RSP;
    expect_vector("vmread_unmapped_destination_pf",
                  VMX_TRY("vmread %0, (%1)", "r"(field), "r"(unmapped)), PF);
}

/* "The processor may cache the current VMCS" ("Software Use of Virtual-Machine Control
 * Structures"): VMWRITE need not reach memory before VMCLEAR, which is why software must
 * VMCLEAR a VMCS before moving or copying it. hvlab caches like hardware (its region layout,
 * docs/vmx-vmcs-layout.md, is position-independent), so the forgotten VMCLEAR is visible;
 * the SDM permits that outcome, it does not require it. */
static void vmcs_caching_cases(void) {
    uint64_t a = (uint64_t)(uintptr_t)vmcs_region, b = (uint64_t)(uintptr_t)vmcs_region2;
    *(uint32_t*)vmcs_region = vmx_revision_id();
    vmx_vmclear(a);
    vmx_vmptrld(a);
    vmwrite(GUEST_RSP, 0x1111);
    vmx_vmclear(a);
    vmx_vmptrld(a);
    vmwrite(GUEST_RSP, 0x2222); /* only in the processor's copy */
    memcpy(vmcs_region2, vmcs_region, sizeof vmcs_region2);
    vmx_vmptrld(b);
    vmx_expect(G, "vmcs_copy_without_vmclear_sees_memory", vmread(GUEST_RSP), 0x1111);
    vmx_vmptrld(a);
    vmwrite(GUEST_RSP, 0x3333);
    vmx_vmclear(a);
    memcpy(vmcs_region2, vmcs_region, sizeof vmcs_region2);
    vmx_vmptrld(b);
    vmx_expect(G, "vmcs_copy_after_vmclear_carries_data", vmread(GUEST_RSP), 0x3333);
    vmx_vmclear(b);
    vmx_vmptrld(a); /* the next cases expect a current VMCS */
}

static void launch_cases(void) {
    uint64_t a = (uint64_t)(uintptr_t)vmcs_region;
    /* "VMCALL" in VMX root operation (no dual-monitor treatment): VMfailValid(1). */
    expect_outcome("vmcall_in_root_error_1", vmx_vmcall_raw(), VMX_FAIL_VALID, 1);

    vmcs_build(vmcs_region, guest_two_vmcalls);
    expect_outcome("vmlaunch_after_mov_ss_error_26", vmx_enter(&guest, VMX_LAUNCH_AFTER_MOV_SS),
                   VMX_FAIL_VALID, 26);
    expect_outcome("vmresume_clear_vmcs_error_5", vmx_enter(&guest, VMX_RESUME), VMX_FAIL_VALID, 5);
    /* One control bit that must be 0 set to 1 (posted interrupts are not allowed-1): error 7. */
    if (!vmx_allowed1(MSR_IA32_VMX_PINBASED_CTLS, PIN_POSTED_INTERRUPTS)) {
        vmwrite(PIN_BASED_VM_EXEC_CONTROL,
                vmread(PIN_BASED_VM_EXEC_CONTROL) | PIN_POSTED_INTERRUPTS);
        expect_outcome("vmlaunch_bad_control_error_7", vmx_enter(&guest, VMX_LAUNCH),
                       VMX_FAIL_VALID, 7);
        vmcs_set_pin(0);
    }
    vmwrite(HOST_CR4, read_cr4() & ~CR4_VMXE);
    expect_outcome("vmlaunch_host_cr4_vmxe_clear_error_8", vmx_enter(&guest, VMX_LAUNCH),
                   VMX_FAIL_VALID, 8);
    vmwrite(HOST_CR4, read_cr4());

    guest.rax = 0;
    uint64_t r = vmx_enter(&guest, VMX_LAUNCH);
    vmx_check(G, "vmlaunch_runs_guest", r == 0 && guest.rax == 0x1111,
              "enter 0x%lx guest rax 0x%lx", (unsigned long)r, (unsigned long)guest.rax);
    vmx_expect(G, "vmcall_in_guest_exits_18", vmread(VM_EXIT_REASON), EXIT_REASON_VMCALL);
    vmx_expect(G, "vmcall_exit_instruction_length", vmread(VM_EXIT_INSTRUCTION_LEN), 3);
    expect_outcome("vmlaunch_launched_vmcs_error_4", vmx_enter(&guest, VMX_LAUNCH), VMX_FAIL_VALID,
                   4);
    vmwrite(GUEST_RIP, vmread(GUEST_RIP) + 3);
    r = vmx_enter(&guest, VMX_RESUME);
    vmx_check(G, "vmresume_continues_guest", r == 0 && guest.rax == 0x2222,
              "enter 0x%lx guest rax 0x%lx", (unsigned long)r, (unsigned long)guest.rax);
    /* VMCLEAR makes the launch state clear again and the current VMCS invalid. */
    expect_outcome("vmclear_current_succeeds", vmx_vmclear_raw(a), VMX_OK, 0);
    uint64_t ptr = 0;
    vmx_vmptrst_raw(&ptr);
    vmx_expect(G, "vmclear_current_invalidates_pointer", ptr, ~0ull);
    vmx_vmptrld_raw(a);
    expect_outcome("vmresume_after_vmclear_error_5", vmx_enter(&guest, VMX_RESUME), VMX_FAIL_VALID,
                   5);
    vmx_check(G, "vmcs_data_survives_vmclear",
              vmread(GUEST_RIP) == (uint64_t)(uintptr_t)guest_two_vmcalls + 13, "GUEST_RIP 0x%lx",
              (unsigned long)vmread(GUEST_RIP));
}

static void invalidation_cases(void) {
    uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    struct invept_descriptor ed = {0, 0};
    struct invvpid_descriptor vd = {1, 0};
    /* "INVEPT": a type IA32_VMX_EPT_VPID_CAP does not list is error 28; types are bit 25+type-1. */
    if (cap & (1ull << 20)) {
        expect_outcome("invept_type_0_error_28", vmx_invept_raw(0, &ed), VMX_FAIL_VALID, 28);
        expect_outcome("invept_type_3_error_28", vmx_invept_raw(3, &ed), VMX_FAIL_VALID, 28);
        if (cap & (1ull << 26))
            expect_outcome("invept_all_context_succeeds", vmx_invept_raw(2, &ed), VMX_OK, 0);
        if (cap & (1ull << 25)) {
            /* Single-context with an EPTP that VM entry would refuse (memory type 7): error 28. */
            ed.eptp = 0x1000 | 7 | (3 << 3);
            expect_outcome("invept_single_bad_eptp_error_28", vmx_invept_raw(1, &ed),
                           VMX_FAIL_VALID, 28);
            ed.eptp = 0x1000 | 6 | (3 << 3);
            expect_outcome("invept_single_context_succeeds", vmx_invept_raw(1, &ed), VMX_OK, 0);
        }
    }
    /* "INVVPID": unsupported type, reserved descriptor bits, VPID 0 for types 0/1/3, and a
     * non-canonical address for type 0: error 28. */
    if (cap & (1ull << 32)) {
        expect_outcome("invvpid_type_4_error_28", vmx_invvpid_raw(4, &vd), VMX_FAIL_VALID, 28);
        vd.vpid = 0x10001;
        expect_outcome("invvpid_reserved_bits_error_28", vmx_invvpid_raw(2, &vd), VMX_FAIL_VALID,
                       28);
        vd.vpid = 0;
        expect_outcome("invvpid_single_vpid0_error_28", vmx_invvpid_raw(1, &vd), VMX_FAIL_VALID,
                       28);
        expect_outcome("invvpid_address_vpid0_error_28", vmx_invvpid_raw(0, &vd), VMX_FAIL_VALID,
                       28);
        vd.vpid = 1;
        vd.linear_address = 0x0000800000000000ull;
        expect_outcome("invvpid_noncanonical_error_28", vmx_invvpid_raw(0, &vd), VMX_FAIL_VALID,
                       28);
        vd.linear_address = 0x1000;
        expect_outcome("invvpid_address_succeeds", vmx_invvpid_raw(0, &vd), VMX_OK, 0);
        expect_outcome("invvpid_all_context_vpid0_succeeds",
                       vmx_invvpid_raw(2, &(struct invvpid_descriptor){0, 0}), VMX_OK, 0);
    }
}

/* CPL > 0: every VMX instruction but VMCALL checks CPL after the #UD conditions and before
 * anything else ("IF CPL > 0 THEN #GP(0)" in each one's Operation); VMCALL in VMX root
 * operation too ("ELSIF CPL > 0 THEN #GP(0)"). Run at CPL 3 in VMX root operation. */
static void cpl3_cases(void) {
    uint64_t pa = (uint64_t)(uintptr_t)vmcs_region, field = GUEST_RIP;
    static uint64_t mem;
    struct invept_descriptor ed = {0, 0};
    struct invvpid_descriptor vd = {1, 0};
    mem = pa;
    expect_vector("vmxon_cpl3_gp", VMX_TRY_CPL3("vmxon (%0)", "r"(&mem)), GP);
    expect_vector("vmxoff_cpl3_gp", VMX_TRY_CPL3("vmxoff"), GP);
    expect_vector("vmclear_cpl3_gp", VMX_TRY_CPL3("vmclear (%0)", "r"(&mem)), GP);
    expect_vector("vmptrld_cpl3_gp", VMX_TRY_CPL3("vmptrld (%0)", "r"(&mem)), GP);
    expect_vector("vmptrst_cpl3_gp", VMX_TRY_CPL3("vmptrst (%0)", "r"(&mem)), GP);
    expect_vector("vmread_cpl3_gp", VMX_TRY_CPL3("vmread %0, (%1)", "r"(field), "r"(&mem)), GP);
    expect_vector("vmwrite_cpl3_gp", VMX_TRY_CPL3("vmwrite (%1), %0", "r"(field), "r"(&mem)), GP);
    expect_vector("vmlaunch_cpl3_gp", VMX_TRY_CPL3("vmlaunch"), GP);
    expect_vector("vmresume_cpl3_gp", VMX_TRY_CPL3("vmresume"), GP);
    expect_vector("vmcall_cpl3_gp", VMX_TRY_CPL3("vmcall"), GP);
    expect_vector("invept_cpl3_gp", VMX_TRY_CPL3("invept (%0), %1", "r"(&ed), "r"(2ull)), GP);
    expect_vector("invvpid_cpl3_gp", VMX_TRY_CPL3("invvpid (%0), %1", "r"(&vd), "r"(2ull)), GP);
    uint64_t ptr = 0;
    vmx_vmptrst_raw(&ptr);
    vmx_expect(G, "cpl3_faults_change_nothing", ptr, pa);
}

/* In compatibility mode (IA32_EFER.LMA = 1, CS.L = 0) every VMX instruction is #UD ("VMXOFF":
 * "IF ... (IA32_EFER.LMA = 1 and CS.L = 0) THEN #UD"). A far return enters the ROMs' 32-bit
 * code segment; the catcher resumes there and a far jump returns to 64-bit mode. */
static int vmxoff_in_compatibility_mode(void) {
    vmx_caught_vector = -1;
    __asm__ volatile("leaq 3f(%%rip), %%r11\n\t"
                     "movq %%r11, vmx_catch_resume(%%rip)\n\t"
                     "pushq $0x08\n\t"
                     "leaq 1f(%%rip), %%r11\n\t"
                     "pushq %%r11\n\t"
                     "lretq\n"
                     ".code32\n"
                     "1:\tvmxoff\n"
                     "3:\tljmp $0x18, $2f\n"
                     ".code64\n"
                     "2:\n"
                     :
                     :
                     : "r11", "memory", "cc");
    vmx_catch_resume = 0;
    return vmx_caught_vector;
}

static void vmxoff_cases(void) {
    expect_vector("vmxoff_compatibility_mode_ud", vmxoff_in_compatibility_mode(), UD);
    uint64_t ptr = 0;
    vmx_vmptrst_raw(&ptr);
    vmx_check(G, "still_in_vmx_after_compatibility_mode", ptr == (uint64_t)(uintptr_t)vmcs_region,
              "VMPTRST 0x%lx", (unsigned long)ptr);
    uint64_t pa = (uint64_t)(uintptr_t)vmxon_region, v = 0;
    expect_outcome("vmxoff_succeeds", vmx_vmxoff_raw(), VMX_OK, 0);
    uint64_t field = GUEST_RIP;
    expect_vector("vmread_after_vmxoff_ud", VMX_TRY("vmread %0, (%1)", "r"(field), "r"(&v)), UD);
    /* CR4.VMXE cannot be cleared in VMX operation, but can after VMXOFF. */
    write_cr4(read_cr4() & ~CR4_VMXE);
    vmx_check(G, "cr4_vmxe_clear_after_vmxoff", !(read_cr4() & CR4_VMXE), "CR4 0x%lx",
              (unsigned long)read_cr4());
    write_cr4(read_cr4() | CR4_VMXE);
    expect_outcome("vmxon_again_succeeds", vmx_vmxon_raw(pa), VMX_OK, 0);
    /* VMXOFF/VMXON leave no current VMCS: VMRESUME fails invalid. */
    expect_outcome("vmresume_after_vmxoff_failinvalid", vmx_enter(&guest, VMX_RESUME),
                   VMX_FAIL_INVALID, 0);
    /* "Restrictions on VMX Operation": clearing CR4.VMXE in VMX operation is #GP(0). */
    uint64_t cr4 = read_cr4() & ~CR4_VMXE;
    expect_vector("cr4_vmxe_clear_in_vmx_gp", VMX_TRY("mov %0, %%cr4", "r"(cr4)), GP);
    uint64_t cr0 = read_cr0() & ~CR0_NE;
    expect_vector("cr0_ne_clear_in_vmx_gp", VMX_TRY("mov %0, %%cr0", "r"(cr0)), GP);
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("vmx-insn: VMX instructions, faults and VM-instruction errors\n");
    vmx_catch_init();
    vmx_user_pages();
    capability_cases();
    before_vmxon_cases();
    no_current_vmcs_cases();
    vmcs_pointer_cases();
    vmread_vmwrite_cases();
    vmcs_caching_cases();
    launch_cases();
    invalidation_cases();
    cpl3_cases();
    vmxoff_cases();
    vmx_finish("vmx-insn", PASS_STATUS);
}

/* VMX operation. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Discovering Support for
 * VMX", "Enabling and Entering VMX Operation", "Restrictions on VMX Operation"; Vol. 3D,
 * "VMX Capability Reporting Facility". */
#include "vmx_enable.h"

#include "lib/debug_exit.h"
#include "lib/printf.h"
#include "vmx_defs.h"
#include "vmx_ops.h"

#define CPUID1_ECX_VMX (1u << 5)
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define VMX_BASIC_TRUE_CONTROLS (1ull << 55)
#define HV_EXIT_NO_VMX 0x7B

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));

uint32_t vmx_revision(void) {
    return (uint32_t)(rdmsr(MSR_VMX_BASIC) & 0x7FFFFFFF);
}

uint32_t vmx_adjust_controls(uint32_t msr, uint32_t wanted, uint32_t required, const char* what) {
    if (rdmsr(MSR_VMX_BASIC) & VMX_BASIC_TRUE_CONTROLS) {
        /* IA32_VMX_PINBASED_CTLS 0x481 -> IA32_VMX_TRUE_PINBASED_CTLS 0x48D, etc. */
        if (msr >= MSR_VMX_PINBASED_CTLS && msr <= MSR_VMX_ENTRY_CTLS)
            msr += MSR_VMX_TRUE_PINBASED_CTLS - MSR_VMX_PINBASED_CTLS;
    }
    uint64_t cap = rdmsr(msr);
    uint32_t allowed0 = (uint32_t)cap, allowed1 = (uint32_t)(cap >> 32);
    uint32_t value = (wanted | allowed0) & allowed1;
    if ((value & required) != required) {
        printf("hv: the CPU does not allow the %s 0x%x (capability MSR 0x%x = 0x%lx)\n", what,
               required & ~value, msr, (unsigned long)cap);
        debug_exit(HV_EXIT_NO_VMX);
    }
    return value;
}

int vmx_enable(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & CPUID1_ECX_VMX)) {
        printf("hv: no VMX: CPUID.01H:ECX.VMX[bit 5] = 0\n");
        return -1;
    }
    /* VMXON outside SMX is allowed only if IA32_FEATURE_CONTROL has lock and bit 2 set; a
     * firmware that left it unlocked lets us set them. */
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        wrmsr(MSR_FEATURE_CONTROL, fc);
    }
    if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        printf("hv: VMX is disabled by IA32_FEATURE_CONTROL (locked, bit 2 clear)\n");
        return -1;
    }
    /* "VMX-Fixed Bits in CR0/CR4": bits set in FIXED0 must be 1, bits clear in FIXED1 must
     * be 0, in VMX operation; CR4.VMXE must be 1 for VMXON. */
    write_cr0((read_cr0() | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1));
    write_cr4((read_cr4() | CR4_VMXE | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1));
    *(uint32_t*)vmxon_region = vmx_revision();
    int err = vmxon((uint64_t)(uintptr_t)vmxon_region);
    if (err) {
        printf("hv: VMXON failed (%s)\n", err == 1 ? "VMfailInvalid" : "VMfailValid");
        return -1;
    }
    return 0;
}

/* Entering VMX operation, and fitting controls to what the processor allows. */
#ifndef HYPERVISOR_VMX_ENABLE_H
#define HYPERVISOR_VMX_ENABLE_H

#include <stdint.h>

/* Checks CPUID and IA32_FEATURE_CONTROL, fixes CR0/CR4 to the VMX-fixed bits and executes
 * VMXON. Returns 0, or -1 after printing why. */
int vmx_enable(void);
/* The VMCS revision identifier (IA32_VMX_BASIC[30:0]) that every VMCS region starts with. */
uint32_t vmx_revision(void);
/* A control word adjusted through its capability MSR: allowed-0 bits forced to 1, bits
 * outside allowed-1 dropped. Every bit of `required` must survive, otherwise the hypervisor
 * stops with a message naming `what`. `msr` is the plain capability MSR; the TRUE_ one is used
 * when IA32_VMX_BASIC[55] says it exists. */
uint32_t vmx_adjust_controls(uint32_t msr, uint32_t wanted, uint32_t required, const char* what);

#endif

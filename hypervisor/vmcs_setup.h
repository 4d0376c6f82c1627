/* Building a guest's VMCS: controls, host state, and the guest state a Multiboot loader
 * leaves (32-bit protected mode, paging off as far as the guest can tell). */
#ifndef HYPERVISOR_VMCS_SETUP_H
#define HYPERVISOR_VMCS_SETUP_H

#include <stdint.h>

struct guest;
struct host_tables;

/* VMCLEAR + VMPTRLD the guest's VMCS and fill every field; it stays the current VMCS. */
void vmcs_setup(struct guest* g, const struct host_tables* host);

/* The adjusted control words, shared by every guest (vmcs_setup.c computes them once). */
extern uint32_t entry_controls_base; /* without "IA-32e mode guest" */
extern uint32_t entry_control_ia32e; /* that bit, 0 if the CPU refuses it */
/* CR0/CR4 bits the hypervisor owns (guest/host masks) and the VMX-fixed values. */
extern uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;

#endif

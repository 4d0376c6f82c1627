/* One EPT per guest: guest-physical [0, ram_size) -> the guest's host slice, nothing else.
 * Any other guest-physical access is an EPT violation (exit_ept.c). */
#ifndef HYPERVISOR_EPT_H
#define HYPERVISOR_EPT_H

#include <stdint.h>

struct guest;

void ept_build(struct guest* g);
/* The EPTP value for the VMCS. */
uint64_t ept_pointer(const struct guest* g);

#endif

/* The hypervisor's view of a guest's memory: guest-physical addresses inside the guest's
 * slice become host pointers, and guest-linear addresses are translated by walking the
 * guest's own page tables, as the CPU would. */
#ifndef HYPERVISOR_GUEST_MEMORY_H
#define HYPERVISOR_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct guest;

/* A host pointer to [gpa, gpa + len) if the whole range is guest RAM, else NULL. */
void* gpa_to_host(const struct guest* g, uint64_t gpa, uint64_t len);
/* Translates a guest-linear address with the guest's current paging mode. Returns 0 and sets
 * *gpa, or -1 if the address is not mapped (or its tables lie outside guest RAM). */
int gva_to_gpa(const struct guest* g, uint64_t gva, uint64_t* gpa);
/* Copies from guest-linear memory; -1 if any byte is not mapped to guest RAM. */
int copy_from_guest(const struct guest* g, void* dst, uint64_t gva, size_t len);
int copy_to_guest(const struct guest* g, uint64_t gva, const void* src, size_t len);

#endif

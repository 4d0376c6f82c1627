/* Creating a guest from a Multiboot module: "IMAGE [name=NAME] [mem=SIZE] [guest args]".
 * IMAGE is an ELF guest image (ELF32 or ELF64, as roms/ builds them), SIZE its RAM (default
 * 4M, a multiple of 2M, at most 1G). The whole line becomes the guest's own Multiboot
 * command line, so a guest reads its options from it. */
#ifndef HYPERVISOR_GUEST_LOAD_H
#define HYPERVISOR_GUEST_LOAD_H

#include <stdint.h>

struct guest;

/* Guest-physical layout of what the hypervisor puts below 1 MiB for the guest (reported as
 * reserved in the guest's memory map). */
#define GUEST_BOOT_INFO 0x7000   /* Multiboot information, memory map, command line */
#define GUEST_IDENTITY_PD 0x8000 /* 32-bit page directory used while "paging is off" */
#define GUEST_RESERVED_END 0x9000

/* Fills g from the module at [start, end) with command line `cmdline`; the RAM is taken from
 * *next_free (host-physical, advanced). Returns 0, or -1 after printing why. */
int guest_load(struct guest* g, const uint8_t* start, const uint8_t* end, const char* cmdline,
               uint64_t* next_free, uint64_t host_ram_end);

#endif

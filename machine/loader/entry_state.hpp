// The CPU state each boot protocol leaves at the kernel's first instruction, and the low-memory
// data (GDT, page tables, stack) that state points at. docs/boot-protocols.md is the user-facing
// description; keep the two in step.
//
//   0x1000 .. 0x7000   ELF64 only: PML4 (0x1000), PDPT (0x2000), four page directories
//                      (0x3000-0x6FFF) identity-mapping 0-4 GiB with 2 MiB pages
//   0x7000 .. 0x8000   entry stack (ESP = 0x8000 / RSP = 0x7FF8 with a zero return address)
//   0x8000 .. 0x8028   GDT
//   0x9000 .. 0x9558   memory map and Multiboot information (multiboot_info.hpp)
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>

namespace hvlab::machine {

inline constexpr uint64_t kPml4Addr = 0x1000;
inline constexpr uint64_t kStackTop = 0x8000;
inline constexpr uint64_t kGdtAddr = 0x8000;
// The image may not overlap these: the loader's data lives there at entry.
inline constexpr uint64_t kMultibootReservedStart = 0x7000; // stack, GDT, map, info
inline constexpr uint64_t kElf64ReservedStart = kPml4Addr;  // + page tables

// Multiboot: 32-bit protected mode, paging off, the flat GDT of QEMU's multiboot option ROM
// (0x08 code, 0x10 data, 0x18/0x20 16-bit), EAX = 0x2BADB002, EBX = info, ECX = entry (the
// ROM jumps through ECX), CR0 = PE|ET, IF = 0.
void enter_multiboot(cpu::CpuState& cpu, mmu::PhysBus& bus, uint32_t entry, uint32_t info);

// ELF64: long mode with the identity map above, a flat 64-bit GDT (0x08 code, 0x10 data),
// CR0 = PE|MP|ET|NE|PG, CR4 = PAE|OSFXSR|OSXMMEXCPT, EFER = LME|LMA|NXE, RDI = RBX = info,
// RAX = 0x2BADB002, IF = 0.
void enter_elf64(cpu::CpuState& cpu, mmu::PhysBus& bus, uint64_t entry, uint64_t info);

} // namespace hvlab::machine

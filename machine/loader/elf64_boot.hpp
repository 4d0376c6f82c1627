// Direct ELF64 boot: an x86-64 ELF executable (no Multiboot header needed) loaded by its
// program headers at their physical addresses and entered in 64-bit mode (entry_state.hpp,
// docs/boot-protocols.md).
#pragma once
#include "machine/loader/boot_loader.hpp"

#include <vector>

namespace hvlab::machine {

BootInfo load_elf64(const std::vector<uint8_t>& file, const BootSpec& spec, mmu::PhysBus& bus,
                    cpu::CpuState& cpu);

} // namespace hvlab::machine

// Boot loaders: put a guest image (and its modules) into RAM and give the CPU the state a
// boot loader would leave. Two protocols (docs/boot-protocols.md has the entry states):
//   - Multiboot v1 exactly as QEMU's `-kernel` implements it (hw/i386/multiboot.c and its
//     option ROM pc-bios/optionrom/multiboot.S): ELF32 images by program headers, or the
//     a.out kludge; command line, modules, memory map and boot information in low memory;
//     32-bit protected mode, paging off.
//   - Direct ELF64: an x86-64 ELF executable entered in 64-bit long mode with the first 4 GiB
//     identity-mapped, and RDI pointing at a Multiboot-style information structure.
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hvlab::machine {

struct ModuleSpec {
    std::string path;
    std::string args; // "--module FILE ARGS": the module's command line is "FILE ARGS"
};

struct BootSpec {
    std::string image_path;
    std::string append; // kernel command line (--append)
    std::vector<ModuleSpec> modules;
};

struct Symbol {
    std::string name;
    uint64_t address;
    uint64_t size;
};

struct BootInfo {
    enum class Kind { MultibootElf32, MultibootAout, Elf64 } kind;
    uint64_t entry;
    std::vector<std::pair<uint64_t, uint64_t>> loaded_ranges; // [start, end) physical
    std::vector<Symbol> symbols; // from .symtab if present (for the inspector)
};

// Loads the image (and modules) into RAM and sets the CPU's entry state. Throws
// hvlab::UserError (common/error.hpp) with one clear line for: missing/unreadable file, a file
// that is neither ELF nor Multiboot, segments overlapping the memory holes / MMIO or beyond
// RAM, a bad module.
BootInfo load_boot_image(const BootSpec& spec, mmu::PhysBus& bus, cpu::CpuState& cpu);

// QEMU's `-initrd "a arg,b"` form: modules separated by ',' (",," is a literal comma); in each,
// the file name ends at the first space and the rest is its argument string. Throws UserError
// for an empty module name.
std::vector<ModuleSpec> parse_initrd_list(const std::string& list);

} // namespace hvlab::machine

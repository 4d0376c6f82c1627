// A bounds-checked view of an ELF32 or ELF64 file (System V ABI, "Object Files"), read with the
// structures of glibc's <elf.h>. Every offset and size is checked against the file before use,
// so a truncated or hostile file gives a UserError, never an out-of-bounds read.
#pragma once
#include "machine/loader/boot_loader.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::machine {

struct ElfSegment {
    unsigned index;  // program header number, for messages
    uint64_t offset; // file offset of the data
    uint64_t vaddr, paddr;
    uint64_t filesz, memsz;
    bool executable;
};

struct ElfFile {
    bool is64;
    uint16_t machine;              // e_machine (EM_386, EM_X86_64, ...)
    uint16_t type;                 // e_type (ET_EXEC, ...)
    uint64_t entry;                // e_entry as written (a virtual address)
    std::vector<ElfSegment> loads; // PT_LOAD entries with p_memsz > 0, in file order
    std::vector<Symbol> symbols;   // named functions/objects of .symtab (empty if absent)
};

bool is_elf(const std::vector<uint8_t>& file);
// Parses the ELF header and program headers and checks each PT_LOAD against the file.
// Messages start with "<path>: ". A malformed symbol table only leaves `symbols` empty: the
// symbols are for tools and must not stop a bootable image from booting.
ElfFile parse_elf(const std::vector<uint8_t>& file, const std::string& path);
// The physical entry point: e_entry, moved from virtual to physical when it lies inside an
// executable segment whose p_vaddr differs from p_paddr (higher-half kernels), as QEMU does.
uint64_t physical_entry(const ElfFile& elf);

} // namespace hvlab::machine

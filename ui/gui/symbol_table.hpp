// Symbols of the guest images (the boot image's .symtab and every ELF module's), for the
// disassembly and the timeline: "address -> name+offset".
#pragma once
#include "machine/loader/boot_loader.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::gui {

class SymbolTable {
  public:
    void add(const std::vector<machine::Symbol>& symbols);
    // Adds the symbols of an ELF file on disk; a file that is not ELF (or has no .symtab)
    // adds nothing: symbols are a convenience and never stop the inspector.
    void add_elf_file(const std::string& path);

    // "name" or "name+0x1c" for an address inside (or just after) a symbol; "" if none.
    std::string describe(uint64_t address) const;
    // Exact match only (labels in the disassembly).
    const machine::Symbol* at(uint64_t address) const;
    size_t size() const { return symbols_.size(); }

  private:
    void sort();
    std::vector<machine::Symbol> symbols_; // sorted by address
};

} // namespace hvlab::gui

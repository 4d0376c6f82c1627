// Copies an image's pieces into RAM after checking every target range: plain RAM (not a hole,
// not MMIO, not beyond RAM), clear of the loader's own low-memory data, and clear of each other.
#pragma once
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hvlab::machine {

struct LoadPiece {
    std::string label;      // "segment 2", "a.out kludge image": names it in messages
    uint64_t addr;          // physical load address
    const uint8_t* data;    // filesz bytes from the file
    uint64_t filesz, memsz; // memsz - filesz bytes of zeros follow (bss)
};

// reserved_start .. kInfoEnd is the loader's data (entry_state.hpp). Throws UserError
// "<path>: <label> [start, end) <why>" or "<path>: <label> and <label> overlap".
void check_pieces(const std::vector<LoadPiece>& pieces, const std::string& path,
                  const mmu::PhysBus& bus, uint64_t reserved_start);
// Copies checked pieces (bss zeroed) and appends their ranges to `loaded`.
void copy_pieces(const std::vector<LoadPiece>& pieces, mmu::PhysBus& bus,
                 std::vector<std::pair<uint64_t, uint64_t>>& loaded);

} // namespace hvlab::machine

// Decoded instructions keyed by host-physical address and decode mode, so a loop is decoded
// once. Direct-mapped by the low address bits: the entries of page P live in the slot region
// (P mod kRegions), so dropping a page (self-modifying code) scans one region only.
#pragma once
#include "cpu/cpu_state.hpp"
#include "cpu/decoded_insn.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::cpu {

class DecodeCache {
  public:
    static constexpr unsigned kRegionBits = 4; // 16 page regions x 4096 slots
    static constexpr uint64_t kSlots = uint64_t{1} << (12 + kRegionBits);

    struct Entry {
        uint64_t tag = ~uint64_t{0}; // (physical << 4) | mode
        DecodedInsn insn;
    };

    DecodeCache() : entries_(kSlots) {}

    static uint64_t tag_of(uint64_t physical, CpuMode mode) {
        return (physical << 4) | static_cast<uint64_t>(mode);
    }
    Entry& slot(uint64_t physical) { return entries_[physical & (kSlots - 1)]; }

    // Drops every entry decoded from host-physical page `page`.
    void drop_page(uint64_t page) {
        Entry* region = &entries_[(page << 12) & (kSlots - 1)];
        for (unsigned i = 0; i < 4096; ++i)
            if ((region[i].tag >> 16) == page) region[i].tag = ~uint64_t{0};
    }
    void clear() {
        for (auto& e : entries_) e.tag = ~uint64_t{0};
    }

  private:
    std::vector<Entry> entries_;
};

} // namespace hvlab::cpu

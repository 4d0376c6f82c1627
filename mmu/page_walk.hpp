// The legacy page walker: linear address -> guest-physical address through 32-bit, PAE or
// 4-level paging, returning the whole walk (ARCHITECTURE.md, Memory). The same record feeds the
// TLB fill, the #PF error code and the inspector's page-walk view.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "common/address.hpp"
#include "mmu/access_rights.hpp"
#include "mmu/paging_context.hpp"
#include "mmu/phys_bus.hpp"

#include <array>
#include <cstdint>

namespace hvlab::mmu {

// One paging-structure entry the walk read. level: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE (32-bit
// paging uses levels 2 and 1; PAE uses 3..1, its level-3 entry comes from a PDPTE register).
struct WalkStep {
    unsigned level = 0;
    Gpa entry_addr{};
    uint64_t entry = 0;
    bool from_register = false; // PAE PDPTE register, not read from memory
};

enum class WalkStop : uint8_t {
    Translated, // reached a leaf and the access is allowed
    NotPresent, // P = 0 at stop_level
    Reserved,   // a reserved bit is set at stop_level
    Denied,     // leaf reached but the rights forbid the access
};

struct WalkRecord {
    PagingMode mode = PagingMode::None;
    uint64_t linear = 0;
    std::array<WalkStep, 4> steps{};
    unsigned depth = 0; // valid entries in steps
    WalkStop stop = WalkStop::Translated;
    unsigned stop_level = 0;
    // Valid when a leaf was reached (Translated or Denied):
    Gpa physical{};
    uint64_t page_size = 0; // 4 KiB, 2 MiB, 4 MiB or 1 GiB
    PageRights rights;
    bool global = false; // G = 1 in the leaf and CR4.PGE = 1
    bool dirty = false;  // D in the leaf after this walk's update
    // Valid when stop != Translated:
    uint32_t error_code = 0;

    bool ok() const { return stop == WalkStop::Translated; }
    bool reached_leaf() const { return stop == WalkStop::Translated || stop == WalkStop::Denied; }
};

struct WalkOptions {
    bool set_accessed_dirty = true; // false for side-effect-free peeks
    bool check_rights = true;       // false: report only not-present / reserved
};

// Walks ctx's paging structures for linear. With paging off, returns linear as physical.
// No EPT yet: guest-physical equals host-physical, so entries are read from bus directly.
WalkRecord walk(PhysBus& bus, const PagingContext& ctx, uint64_t linear, AccessRequest req,
                WalkOptions opt = {});

// PAE PDPTE register loading (MOV CR3, or CR0/CR4 writes that enter or change PAE paging):
// reads the four PDPTEs at CR3[31:5]. Returns false if a present one has a reserved bit set,
// which is a #GP(0) of the MOV (SDM Vol. 3A, PDPTE Registers).
bool load_pae_pdptes(PhysBus& bus, uint64_t cr3, std::array<uint64_t, 4>& out);

} // namespace hvlab::mmu

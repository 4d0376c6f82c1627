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
    Hpa entry_host{};           // where entry_addr is in host-physical memory (EPT: 2D walk)
};

enum class WalkStop : uint8_t {
    Translated, // reached a leaf and the access is allowed
    NotPresent, // P = 0 at stop_level
    Reserved,   // a reserved bit is set at stop_level
    Denied,     // leaf reached but the rights forbid the access
    GpaRefused, // the GpaTranslator refused the access to the entry at stop_level (EPT exit)
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

// The 2D walk's hook (SDM Vol. 3C, "Guest-Physical Address Translation"): under EPT every
// access the walker makes to a guest paging-structure entry uses a guest-physical address that
// must be translated first. One indirect call per entry access, none per byte; without a
// translator, guest-physical equals host-physical.
struct GpaAccess {
    Gpa gpa{};
    unsigned step = 0;  // index into WalkRecord::steps
    bool write = false; // false: reading the entry; true: writing its A/D flags
};
struct GpaTranslator {
    // Returns false to stop the walk (the translator keeps the reason, e.g. an EPT violation).
    bool (*translate)(void* self, const GpaAccess& access, Hpa& out) = nullptr;
    void* self = nullptr;
};

// Walks ctx's paging structures for linear. With paging off, returns linear as physical.
// Entries are read from guest-physical memory through gpa (host-physical = guest-physical
// when gpa is null).
WalkRecord walk(PhysBus& bus, const PagingContext& ctx, uint64_t linear, AccessRequest req,
                WalkOptions opt = {}, const GpaTranslator* gpa = nullptr);

// PAE PDPTE register loading (MOV CR3, or CR0/CR4 writes that enter or change PAE paging):
// reads the four PDPTEs at CR3[31:5]. Returns false if a present one has a reserved bit set,
// which is a #GP(0) of the MOV (SDM Vol. 3A, PDPTE Registers).
bool load_pae_pdptes(PhysBus& bus, uint64_t cr3, std::array<uint64_t, 4>& out);
// The same from the host-physical address of the 32-byte PDPT (under EPT: CR3[31:5] translated).
bool load_pae_pdptes_at(PhysBus& bus, Hpa pdpt, std::array<uint64_t, 4>& out);

} // namespace hvlab::mmu

// The 2D walk as one record, for the inspector's page-walk panel and for tests: the guest's
// own walk of a linear address and, under EPT, the EPT walk of every guest-physical address it
// used (each guest paging-structure entry, then the final guest-physical address). SDM Vol. 3C,
// "Guest-Physical Address Translation". Built without side effects (no A/D updates, no TLB
// fill) by cpu::LinearMemory::walk_2d.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "mmu/ept_walk.hpp"
#include "mmu/page_walk.hpp"

#include <array>

namespace hvlab::mmu {

struct Walk2dRecord {
    WalkRecord guest; // guest.physical is guest-physical; GpaRefused = an EPT walk refused
    bool ept = false; // EPT was in use: the EPT walks below are filled
    // EPT walk of guest.steps[i].entry_addr, for the steps read from memory (a PAE PDPTE
    // register step has none: step_walked[i] is false).
    std::array<EptWalkRecord, 4> step_ept{};
    std::array<bool, 4> step_walked{};
    // EPT walk of guest.physical; valid when final_walked (the guest walk reached its leaf).
    EptWalkRecord final_ept;
    bool final_walked = false;
    // The whole translation when everything succeeded.
    Hpa host_physical{};
    uint8_t memory_type = 0; // effective memory type of the final access (EPT only)

    bool ok() const { return guest.ok() && (!ept || (final_walked && final_ept.ok())); }
};

} // namespace hvlab::mmu

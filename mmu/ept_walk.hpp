// The EPT walker: guest-physical address -> host-physical address through the 4-level EPT
// paging structures (SDM Vol. 3C, "EPT Translation Mechanism"), returning the whole walk in
// the shape of mmu/page_walk: every level's entry, the rights, where it stopped and why. The
// same record feeds the combined TLB fill, the EPT-violation qualification, the EPT
// misconfiguration exit and the inspector's 2D page-walk view.
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "common/address.hpp"
#include "common/bits.hpp"
#include "mmu/access_rights.hpp"
#include "mmu/paging_context.hpp"
#include "mmu/phys_bus.hpp"

#include <array>
#include <cstdint>

namespace hvlab::mmu {

// Execute-only EPT translations (bits 2:0 = 100b) are not supported: such an entry is an EPT
// misconfiguration. IA32_VMX_EPT_VPID_CAP bit 0 reports this constant
// (cpu/vmx/capabilities.cpp), so the walker and the MSR cannot disagree.
inline constexpr bool kEptExecuteOnly = false;

// Memory-type encodings (SDM Vol. 3A, "Memory Types That Can Be Encoded With PAT"; EPT uses the
// same numbers, without UC-).
namespace memory_type {
inline constexpr uint8_t UC = 0, WC = 1, WT = 4, WP = 5, WB = 6, UCMinus = 7;
}

// The extended-page-table pointer (SDM Vol. 3C, "Extended-Page-Table Pointer (EPTP)"): 2:0
// memory type of the EPT paging structures, 5:3 page-walk length - 1, 6 enable A/D flags,
// MAXPHYADDR-1:12 the EPT PML4 table. VM entry has checked it (only WB/UC and length 4 pass).
struct EptPointer {
    uint64_t value = 0;
    uint8_t memory_type() const { return value & 7; }
    unsigned walk_length() const { return bits(value, 5, 3) + 1; }
    bool accessed_dirty() const { return test_bit(value, 6); }
    uint64_t pml4() const { return value & mask_bits(kMaxPhysAddrBits - 1, 12); }
};

// Bits 2:0 of EPT entries, ANDed over the entries walked (an entry that is not present
// contributes 000b): exactly bits 5:3 of an EPT-violation exit qualification.
struct EptRights {
    bool read = true, write = true, execute = true;
};

// One EPT paging-structure entry the walk read. level: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE.
struct EptStep {
    unsigned level = 0;
    Hpa entry_addr{};
    uint64_t entry = 0;
};

enum class EptStop : uint8_t {
    Translated,    // reached a leaf and the access is allowed
    NotPresent,    // bits 2:0 = 000b at stop_level: EPT violation
    Misconfigured, // EPT misconfiguration at stop_level (see misconfig)
    Denied,        // leaf reached, the rights forbid the access: EPT violation
};

// Why an entry is an EPT misconfiguration (SDM Vol. 3C, "EPT Misconfigurations").
enum class EptMisconfig : uint8_t { None, WriteWithoutRead, ExecuteOnly, ReservedBit, MemoryType };

// What the processor does with the guest-physical address (SDM Vol. 3C, "EPT Violations").
struct EptAccess {
    Access kind = Access::Read;
    // A read of a guest paging-structure entry during a linear-address translation. With EPT
    // A/D flags enabled it counts as a write for EPT violations and for the dirty flag (SDM
    // Vol. 3C, "EPT Violations"; "Accessed and Dirty Flags for EPT").
    bool paging_structure = false;
};

struct EptWalkRecord {
    Gpa gpa{};
    EptAccess access;
    std::array<EptStep, 4> steps{};
    unsigned depth = 0; // valid entries in steps
    EptStop stop = EptStop::Translated;
    unsigned stop_level = 0;
    EptMisconfig misconfig = EptMisconfig::None;
    EptRights rights;      // AND over the entries read (valid whatever the stop)
    bool as_write = false; // the access counted as a write (qualification bit 1)
    // Valid when a leaf was reached (Translated or Denied):
    Hpa physical{};
    uint64_t page_size = 0;  // 4 KiB, 2 MiB or 1 GiB
    uint8_t memory_type = 0; // EPT memory type, bits 5:3 of the leaf
    bool ignore_pat = false; // IPAT, bit 6 of the leaf
    bool dirty = false;      // EPT D flag of the leaf after this walk (A/D enabled only)

    bool ok() const { return stop == EptStop::Translated; }
    bool reached_leaf() const { return stop == EptStop::Translated || stop == EptStop::Denied; }
    bool violation() const { return stop == EptStop::NotPresent || stop == EptStop::Denied; }
};

struct EptWalkOptions {
    bool set_accessed_dirty = true; // false for side-effect-free walks (inspector, peek)
    bool check_rights = true;       // false: report only not-present / misconfiguration
};

// Walks the EPT paging structures at eptp.pml4() for gpa. EPT paging-structure entries are
// read from host-physical memory.
EptWalkRecord ept_walk(PhysBus& bus, EptPointer eptp, Gpa gpa, EptAccess access,
                       EptWalkOptions opt = {});

bool ept_allows(EptRights r, Access kind);

// The effective memory type of an access through EPT (SDM Vol. 3C, "Memory Type Used for
// Translated Guest-Physical Addresses"): UC if CR0.CD = 1; else the EPT memory type if IPAT = 1;
// else the EPT type combined with the PAT type as the MTRR type is (SDM Vol. 3A, "Selecting
// Memory Types for Pentium III and More Recent Processor Families").
uint8_t effective_memory_type(bool cr0_cd, uint8_t ept_type, bool ignore_pat, uint8_t pat_type);

} // namespace hvlab::mmu

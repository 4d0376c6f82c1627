// Linear-address access for the processor: paging (through mmu::walk), the TLB and its flush
// rules, permission checks and #PF error codes. Segmentation (segment:offset -> linear) is done
// by the caller before it gets here.
//
// CONTRACT shared by the interpreter (cpu/interpreter*, cpu/cpu.*) and the system layer
// (cpu/system/*). The public members below are the interface both sides code against; the
// implementation may add private members and inline fast paths freely.
#pragma once
#include "common/address.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/fault.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>

namespace hvlab::cpu {

enum class AccessKind : uint8_t { Read, Write, Execute };

// Who is asking: CPL-3 data/code accesses are user accesses; descriptor-table, TSS and
// exception-delivery stack accesses are "implicit supervisor" accesses whatever the CPL
// (SDM Vol. 3A, Access Rights).
enum class Privilege : uint8_t { FromCpl, ImplicitSupervisor };

struct Translation {
    Fault fault;          // raised => no translation (#PF with cr2 and error code set)
    Hpa physical{};
    uint8_t* host = nullptr; // non-null when physical is plain RAM (valid to the page end)
};

class LinearMemory {
  public:
    explicit LinearMemory(mmu::PhysBus& bus);

    mmu::PhysBus& bus() { return bus_; }

    // Translate one linear address for an access of the given kind, using the state's
    // CR0/CR3/CR4/EFER/CPL/RFLAGS.AC. Fills the TLB on a miss; sets accessed/dirty bits.
    // With paging off, linear == physical.
    Translation translate(const CpuState& s, Gva linear, AccessKind kind,
                          Privilege who = Privilege::FromCpl);

    // Whole accesses of 1..16 bytes that may cross a page boundary: both pages are translated
    // before anything is written (no partial writes on a fault).
    Fault read(const CpuState& s, Gva linear, void* dst, unsigned size,
               Privilege who = Privilege::FromCpl, AccessKind kind = AccessKind::Read);
    Fault write(const CpuState& s, Gva linear, const void* src, unsigned size,
                Privilege who = Privilege::FromCpl);

    // Side-effect-free read for tools and the inspector: no A/D updates, no TLB fill, no fault
    // delivery. Returns false if any byte is unmapped.
    bool peek(const CpuState& s, Gva linear, void* dst, unsigned size);

    // TLB maintenance (SDM Vol. 3A, Invalidation of TLBs and Paging-Structure Caches).
    void invlpg(const CpuState& s, Gva linear);          // INVLPG: all PCIDs, incl. global
    void cr3_written(const CpuState& s, bool no_flush);  // MOV CR3 (no_flush = bit 63 w/ PCIDE)
    void paging_mode_changed();                          // CR0.PG/WP, CR4.PGE/PAE/PSE/PCIDE/SMEP/SMAP, EFER.NXE/LMA
    void invpcid(const CpuState& s, unsigned type, uint16_t pcid, Gva linear);
    void flush_all();                                    // including global entries

  private:
    mmu::PhysBus& bus_;
    struct Impl;
    Impl* impl_ = nullptr; // owned; defined by the implementation
  public:
    ~LinearMemory();
    LinearMemory(const LinearMemory&) = delete;
    LinearMemory& operator=(const LinearMemory&) = delete;
};

} // namespace hvlab::cpu

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
#include "cpu/linear_memory_paging.hpp"
#include "mmu/ept_walk.hpp"
#include "mmu/page_walk.hpp"
#include "mmu/phys_bus.hpp"
#include "mmu/tlb.hpp"
#include "mmu/walk_2d.hpp"

#include <cstdint>

namespace hvlab::cpu {

enum class AccessKind : uint8_t { Read, Write, Execute };

// Who is asking: CPL-3 data/code accesses are user accesses; GDT/LDT, IDT and TSS accesses
// are "implicit supervisor" accesses whatever the CPL (SDM Vol. 3A, Access Rights). Stack
// pushes during event delivery are ordinary (explicit) accesses at the new CPL.
enum class Privilege : uint8_t { FromCpl, ImplicitSupervisor };

inline mmu::Requester requester(const CpuState& s, Privilege who) {
    if (who == Privilege::ImplicitSupervisor) return mmu::Requester::ImplicitSupervisor;
    return s.cpl() == 3 ? mmu::Requester::User : mmu::Requester::Supervisor;
}

struct Translation {
    Fault fault; // raised => no translation (#PF with cr2 and error code set)
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
    void invlpg(const CpuState& s, Gva linear);         // INVLPG: all PCIDs, incl. global
    void cr3_written(const CpuState& s, bool no_flush); // MOV CR3 (no_flush = bit 63 w/ PCIDE)
    void paging_mode_changed(); // CR0.PG/WP, CR4.PGE/PAE/PSE/PCIDE/SMEP/SMAP, EFER.NXE/LMA
    void invpcid(const CpuState& s, unsigned type, uint16_t pcid, Gva linear);
    void flush_all(); // including global entries

    // --- Additions by the system layer (cpu/linear_memory.cpp) ---------------------------
    // The side-effect-free walk for the inspector's page-walk view and for tests: no A/D
    // updates, no TLB fill.
    mmu::WalkRecord walk(const CpuState& s, Gva linear, AccessKind kind,
                         Privilege who = Privilege::FromCpl);
    // VMX non-root operation tags translations with VPID and the EPT root (0, 0 outside it).
    void set_address_space(uint16_t vpid, uint64_t ept_root);
    const mmu::Tlb& tlb() const { return tlb_; }

    // --- VMX: EPT and VPID (SDM Vol. 3C, "EPT" and "VPID"). CONTRACT between VM entry/exit
    // and INVEPT/INVVPID (cpu/vmx/, cpu/exec_vmx*.cpp) and the EPT implementation (mmu/ept_*,
    // cpu/linear_memory*.cpp). ---------------------------------------------------------------
    // VM entry calls it with the guest's VPID (0 if "enable VPID" is 0) and EPTP (ept_enabled
    // false if "enable EPT" is 0); VM exit calls it with (0, false, 0). Tags TLB entries with
    // the VPID and EPT root; it flushes nothing by itself (VPID 0 flushing is the caller's
    // job, as the SDM's "VPID" rules say).
    void set_guest_context(uint16_t vpid, bool ept_enabled, uint64_t eptp);
    // While EPT is on, every guest-physical address (including each guest paging-structure
    // entry: the 2D walk) goes through EPT. When EPT refuses an access, translate/read/write
    // return vm_exit_fault() and keep the exit's details (EPT violation with qualification
    // bits and guest-physical/linear addresses, or EPT misconfiguration) for the run loop,
    // which takes them here. Returns false if no EPT exit is pending.
    bool take_ept_exit(vmx::ExitInfo& out);
    // A guest-physical access the processor makes itself in non-root operation (e.g. PAE
    // PDPTE loads, the VMCS link region is not one). Identity when EPT is off.
    Fault guest_physical_to_host(Gpa gpa, AccessKind kind, Hpa& out);
    // INVEPT and INVVPID after their operand checks: type 1 single-context (eptp) or 2
    // global for INVEPT; types 0..3 for INVVPID (SDM Vol. 3C, "Invalidation of Cached
    // Mappings"; Vol. 2B, INVEPT/INVVPID).
    void invept(unsigned type, uint64_t eptp);
    void invvpid(unsigned type, uint16_t vpid, Gva linear);

    // --- Additions by the EPT implementation (ept helper) ----------------------------------
    // The side-effect-free 2D walk for the inspector's page-walk panel and tests: the guest
    // walk and, under EPT, the EPT walk of every guest-physical address it uses. No A/D
    // updates, no TLB fill, no exit recorded. Outside EPT it is the plain walk.
    mmu::Walk2dRecord walk_2d(const CpuState& s, Gva linear, AccessKind kind = AccessKind::Read,
                              Privilege who = Privilege::FromCpl);
    bool ept_active() const; // set_guest_context enabled EPT
    uint64_t eptp() const;   // the EPTP given to set_guest_context (0 when EPT is off)

  private:
    Translation translate_slow(const CpuState& s, Gva linear, AccessKind kind, Privilege who);
    Translation translate_unpaged(const CpuState& s, Gva linear, AccessKind kind);
    Translation translate_through_ept(const CpuState& s, Gva linear, AccessKind kind,
                                      Privilege who);
    Translation fill_tlb(const CpuState& s, Gva linear, AccessKind kind, const mmu::WalkRecord& w,
                         const mmu::EptWalkRecord* ept);
    void record_ept_exit(const mmu::EptWalkRecord& w, bool linear_valid, uint64_t linear,
                         bool translated_linear, bool nmi_unblocked);
    bool peek_translate(const CpuState& s, uint64_t linear, Hpa& out);
    void sync_generation();
    static bool guest_table_access(void* self, const mmu::GpaAccess& a, Hpa& out);
    struct TableAccess;
    mmu::TlbTag tag(const CpuState& s) const {
        mmu::TlbTag t = space_;
        t.pcid = (s.cr4 & cr4::PCIDE) ? s.cr3 & 0xFFF : 0;
        return t;
    }

    mmu::PhysBus& bus_;
    struct Impl;
    Impl* impl_ = nullptr; // owned; defined by the implementation
    mmu::Tlb tlb_;
    mmu::TlbTag space_{};

  public:
    ~LinearMemory();
    LinearMemory(const LinearMemory&) = delete;
    LinearMemory& operator=(const LinearMemory&) = delete;
};

// The TLB-hit fast path, inline so every memory access of the interpreter avoids a call.
// A host pointer is handed out for a write only if the frame is not a decoded-code page at
// this moment; otherwise the caller must store through LinearMemory::write or the bus, which
// report the write for self-modifying code (PhysBus::notify_code_write).
inline Translation LinearMemory::translate(const CpuState& s, Gva linear, AccessKind kind,
                                           Privilege who) {
    if (!(s.cr0 & cr0::PG)) return translate_unpaged(s, linear, kind);
    if (mmu::TlbEntry* e = tlb_.lookup(linear.value, tag(s))) {
        const unsigned cls = mmu::access_class(static_cast<mmu::Access>(kind), requester(s, who),
                                               s.rflags & rflags::AC);
        const bool write = kind == AccessKind::Write;
        if ((e->allowed >> cls & 1) && (!write || e->dirty)) {
            const uint64_t off = linear.value & 0xFFF;
            uint8_t* host = e->host;
            if (write && host && bus_.is_code_page(e->frame.value >> 12)) host = nullptr;
            return Translation{kNoFault, e->frame + off, host ? host + off : nullptr};
        }
    }
    return translate_slow(s, linear, kind, who);
}

} // namespace hvlab::cpu

// The translation lookaside buffer: a cache of leaf translations, tagged so that entries of
// different address spaces can live side by side (SDM Vol. 3A, Translation Lookaside Buffers
// (TLBs); Vol. 3C, VPID and EPT tagging come with VT-x).
// Intel SDM, Dec 2023 (Order 325462-081).
//
// FLUSH RULE: the TLB is never updated behind the guest's back. Changing a paging-structure
// entry in memory does not touch it; only the architected invalidations do (INVLPG, INVPCID,
// MOV CR3, MOV CR0/CR4 changes, a page fault on the address, VM transitions later). So a guest
// that forgets an invalidation keeps using the stale translation, exactly as on hardware. The
// one deliberate early drop: an entry whose rights would fault is discarded and the walk
// repeated, because a #PF invalidates that page's entries anyway (SDM Vol. 3A, Invalidation
// of TLBs and Paging-Structure Caches).
//
// Each entry caches one 4 KiB slice of a page of any size; it remembers the whole page's
// linear range so INVLPG of any address in a large page drops all its slices.
#pragma once
#include "common/address.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace hvlab::mmu {

// The address-space tag. pcid: CR3[11:0] when CR4.PCIDE = 1, else 0. vpid and ept_root are 0
// outside VMX non-root operation; ept_root is EPTP[51:12] | 1 for translations made through
// EPT. gen is the VPID's generation when the entry was made (Tlb::generation): a lookup tag
// always carries the current one, so entries of an older generation never match.
struct TlbTag {
    uint16_t pcid = 0;
    uint16_t vpid = 0;
    uint32_t gen = 0;
    uint64_t ept_root = 0;
};

struct TlbEntry {
    static constexpr uint64_t kInvalid = ~uint64_t{0};
    uint64_t vpn = kInvalid; // linear >> 12
    TlbTag tag;
    bool global = false;     // matches every PCID of its VPID/EPT root
    bool dirty = false;      // D was set in the leaf: writes may hit without a walk
    uint32_t allowed = 0;    // access classes (mmu/access_rights.hpp) this entry permits
    Hpa frame{};             // physical base of this 4 KiB slice
    uint8_t* host = nullptr; // host pointer to the frame when it is plain RAM
    uint64_t page_base = 0, page_size = 0x1000; // linear range of the whole page

    bool valid() const { return vpn != kInvalid; }
    bool matches_space(const TlbTag& t) const {
        return tag.vpid == t.vpid && tag.gen == t.gen && tag.ept_root == t.ept_root;
    }
    bool matches(uint64_t v, const TlbTag& t) const {
        return vpn == v && matches_space(t) && (global || tag.pcid == t.pcid);
    }
    bool covers(uint64_t linear) const { return linear - page_base < page_size; }
};

class Tlb {
  public:
    static constexpr unsigned kSets = 256, kWays = 4;

    TlbEntry* lookup(uint64_t linear, const TlbTag& t) {
        const uint64_t vpn = linear >> 12;
        Set& s = sets_[vpn % kSets];
        for (TlbEntry& e : s.way)
            if (e.matches(vpn, t)) return &e;
        return nullptr;
    }
    void insert(const TlbEntry& e);

    // The next five act on the VPID of their tag, for every EPT root.
    // INVLPG: entries covering linear in the current PCID, and global ones in any PCID.
    void invalidate_page(uint64_t linear, const TlbTag& t);
    // INVPCID type 0: non-global entries covering linear tagged with pcid.
    void invalidate_address_in_pcid(uint64_t linear, const TlbTag& space, uint16_t pcid);
    // MOV CR3 / INVPCID type 1: non-global entries tagged with pcid.
    void invalidate_pcid(const TlbTag& space, uint16_t pcid);
    // INVPCID type 3: every non-global entry of the address space.
    void invalidate_non_global(const TlbTag& space);
    // INVPCID type 2, CR4.PGE/PCIDE changes, CR0.PG changes: everything of the space's VPID
    // (a generation bump: the caller's tags must take the new generation).
    void invalidate_space(const TlbTag& space);
    // INVVPID (SDM Vol. 3C, "Invalidation of Cached Mappings"): entries of one VPID, for every
    // EPT root and PCID. Type 0 (one address, globals included), type 1 (everything), type 3
    // (everything but global entries).
    // Type 1 is a generation bump, O(1): it runs at every VM entry and VM exit without VPID
    // (the VPID 0000H flush), so it must not scan the TLB.
    void invalidate_vpid_address(uint64_t linear, uint16_t vpid);
    void invalidate_vpid(uint16_t vpid, bool keep_global);
    // INVVPID type 2: every VPID except 0000H.
    void invalidate_all_nonzero_vpids();
    // INVEPT: entries built through one EPT root (type 1) or through any (type 2), every VPID.
    void invalidate_ept_root(uint64_t ept_root);
    void invalidate_all_ept();
    void flush_all();

    // The current generation of a VPID's entries; tags used for lookup and insert carry it.
    uint32_t generation(uint16_t vpid) const { return vpid_gen_[vpid]; }
    // Valid and of its VPID's current generation: an entry that can still be used.
    bool live(const TlbEntry& e) const { return e.valid() && e.tag.gen == vpid_gen_[e.tag.vpid]; }

    unsigned count_valid() const; // live entries, for tests and the inspector

    template <class F> void for_each(F f) const {
        for (const Set& s : sets_)
            for (const TlbEntry& e : s.way)
                if (live(e)) f(e);
    }

  private:
    struct Set {
        std::array<TlbEntry, kWays> way{};
        uint8_t next_victim = 0; // round-robin: deterministic replacement
    };
    template <class Pred> void drop_if(Pred p) {
        for (Set& s : sets_)
            for (TlbEntry& e : s.way)
                if (e.valid() && p(e)) e = TlbEntry{};
    }
    // Drops every entry of the VPID by moving it to a new generation. When the counter wraps,
    // a scan removes the old entries so that no generation value is ever reused by them.
    void bump_generation(uint16_t vpid);
    std::array<Set, kSets> sets_{};
    std::vector<uint32_t> vpid_gen_ = std::vector<uint32_t>(65536, 0);
};

} // namespace hvlab::mmu

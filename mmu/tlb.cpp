// Intel SDM, Dec 2023 (Order 325462-081).
#include "mmu/tlb.hpp"

namespace hvlab::mmu {

void Tlb::insert(const TlbEntry& e) {
    Set& s = sets_[e.vpn % kSets];
    // Replace a translation of the same page and tag first, then an empty way, then round-robin.
    for (TlbEntry& w : s.way)
        if (w.valid() && w.vpn == e.vpn && w.matches_space(e.tag) &&
            (w.global || e.global || w.tag.pcid == e.tag.pcid)) {
            w = e;
            return;
        }
    for (TlbEntry& w : s.way)
        if (!live(w)) {
            w = e;
            return;
        }
    s.way[s.next_victim] = e;
    s.next_victim = (s.next_victim + 1) % kWays;
}

// The architectural invalidations below (INVLPG, MOV CR3, INVPCID, CR0/CR4 changes) act on the
// current VPID only, but on its entries of every EPT root (SDM Vol. 3C, "Operations that
// Invalidate Cached Mappings": "only for the current VPID (but, for combined mappings, all
// EP4TAs)"), so they compare the VPID and not the EPT root.
//
// SDM Vol. 2B, INVLPG: "invalidates any TLB entries that are for a page number corresponding
// to the linear address and that are associated with the current PCID. It also invalidates any
// global TLB entries with that page number, regardless of PCID."
void Tlb::invalidate_page(uint64_t linear, const TlbTag& t) {
    drop_if([&](const TlbEntry& e) {
        return e.covers(linear) && e.tag.vpid == t.vpid && (e.global || e.tag.pcid == t.pcid);
    });
}

void Tlb::invalidate_address_in_pcid(uint64_t linear, const TlbTag& space, uint16_t pcid) {
    drop_if([&](const TlbEntry& e) {
        return e.covers(linear) && e.tag.vpid == space.vpid && !e.global && e.tag.pcid == pcid;
    });
}

void Tlb::invalidate_pcid(const TlbTag& space, uint16_t pcid) {
    drop_if([&](const TlbEntry& e) {
        return e.tag.vpid == space.vpid && !e.global && e.tag.pcid == pcid;
    });
}

void Tlb::invalidate_non_global(const TlbTag& space) {
    drop_if([&](const TlbEntry& e) { return e.tag.vpid == space.vpid && !e.global; });
}

void Tlb::invalidate_space(const TlbTag& space) {
    bump_generation(space.vpid);
}

void Tlb::bump_generation(uint16_t vpid) {
    if (++vpid_gen_[vpid] == 0) drop_if([&](const TlbEntry& e) { return e.tag.vpid == vpid; });
}

void Tlb::invalidate_vpid_address(uint64_t linear, uint16_t vpid) {
    drop_if([&](const TlbEntry& e) { return e.covers(linear) && e.tag.vpid == vpid; });
}

void Tlb::invalidate_vpid(uint16_t vpid, bool keep_global) {
    if (!keep_global) return bump_generation(vpid);
    drop_if([&](const TlbEntry& e) { return e.tag.vpid == vpid && !e.global; });
}

void Tlb::invalidate_all_nonzero_vpids() {
    drop_if([](const TlbEntry& e) { return e.tag.vpid != 0; });
}

// ept_root 0 tags linear mappings (EPT off): INVEPT does not touch them.
void Tlb::invalidate_ept_root(uint64_t ept_root) {
    drop_if([&](const TlbEntry& e) { return e.tag.ept_root == ept_root; });
}

void Tlb::invalidate_all_ept() {
    drop_if([](const TlbEntry& e) { return e.tag.ept_root != 0; });
}

void Tlb::flush_all() {
    drop_if([](const TlbEntry&) { return true; });
}

unsigned Tlb::count_valid() const {
    unsigned n = 0;
    for_each([&](const TlbEntry&) { ++n; });
    return n;
}

} // namespace hvlab::mmu

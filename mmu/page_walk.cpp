// Intel SDM, Dec 2023 (Order 325462-081).
#include "mmu/page_walk.hpp"

#include "common/bits.hpp"

namespace hvlab::mmu {

// Linear address layouts (SDM Vol. 3A, 32-Bit Paging / PAE Paging / 4-Level Paging):
//
//   4-level  | 63..48 sign | 47..39 PML4 | 38..30 PDPT | 29..21 PD | 20..12 PT | 11..0 offset |
//   PAE      |                             31..30 PDPT | 29..21 PD | 20..12 PT | 11..0 offset |
//   32-bit   |                                   31..22 PD |  21..12 PT |        11..0 offset |
//
// Entry bits (8-byte entries; 32-bit paging uses the low 32 bits with no XD):
//   0 P present   1 R/W writable   2 U/S user   3 PWT   4 PCD   5 A accessed   6 D dirty
//   7 PS large page (PDE/PDPTE; PAT in a PTE)   8 G global (leaf)   12 PAT (large leaf)
//   MAXPHYADDR-1..12 frame   63 XD no-execute (if EFER.NXE, else reserved)
// So the index at level L is bits (12 + w*(L-1)) upward, w = 10 for 32-bit paging, else 9.

namespace {

constexpr uint64_t kP = bit(0), kRW = bit(1), kUS = bit(2), kA = bit(5), kD = bit(6), kPS = bit(7),
                   kG = bit(8), kXD = bit(63);
constexpr uint64_t kFrame4K = mask_bits(kMaxPhysAddrBits - 1, 12);
constexpr uint64_t kAboveMaxPhys = mask_bits(51, kMaxPhysAddrBits); // 4-level reserved
constexpr uint64_t kAboveMaxPhysPae = mask_bits(62, kMaxPhysAddrBits);

struct Geometry {
    unsigned top_level, entry_bytes, index_bits;
};

Geometry geometry(PagingMode m) {
    switch (m) {
    case PagingMode::Bits32: return {2, 4, 10};
    case PagingMode::Pae: return {3, 8, 9};
    default: return {4, 8, 9};
    }
}

unsigned level_shift(const Geometry& g, unsigned level) {
    return 12 + g.index_bits * (level - 1);
}

// Whether the entry at this level maps a page rather than pointing at a table.
bool is_leaf(const PagingContext& c, PagingMode m, unsigned level, uint64_t e) {
    if (level == 1) return true;
    if (!(e & kPS)) return false;
    if (m == PagingMode::Bits32) return level == 2 && c.pse();
    return level == 2 || (m == PagingMode::Level4 && level == 3);
}

// Reserved bits of a present entry (SDM Vol. 3A, the "Format of ..." tables of each mode).
// 32-bit 4 MiB pages use PSE-36: bits 20..13 give physical bits 39..32, so with
// MAXPHYADDR = 39 bit 20 is reserved, and bit 21 always is.
uint64_t reserved_mask(const PagingContext& c, PagingMode m, unsigned level, uint64_t e) {
    if (m == PagingMode::Bits32)
        return (level == 2 && is_leaf(c, m, level, e)) ? mask_bits(21, 13 + kMaxPhysAddrBits - 32)
                                                       : 0;
    uint64_t r = (m == PagingMode::Pae) ? kAboveMaxPhysPae : kAboveMaxPhys;
    if (!c.nxe()) r |= kXD;
    if (m == PagingMode::Level4 && level == 4) r |= kPS;
    if (is_leaf(c, m, level, e)) {
        if (level == 2) r |= mask_bits(20, 13); // 2 MiB page: frame starts at bit 21
        if (level == 3) r |= mask_bits(29, 13); // 1 GiB page: frame starts at bit 30
    }
    return r;
}

uint64_t leaf_physical(PagingMode m, unsigned level, uint64_t e, uint64_t linear, uint64_t size) {
    if (m == PagingMode::Bits32 && level == 2)
        return (e & 0xFFC0'0000) | (bits(e, 20, 13) << 32) | (linear & (size - 1));
    return (e & kFrame4K & ~(size - 1)) | (linear & (size - 1));
}

void accumulate(PageRights& r, PagingMode m, uint64_t e, bool nxe) {
    r.user = r.user && (e & kUS);
    r.writable = r.writable && (e & kRW);
    if (m != PagingMode::Bits32 && nxe) r.nx = r.nx || (e & kXD);
}

// A/D updates happen only for an access that succeeds (as Bochs and QEMU do), so a faulting
// access leaves the tables unchanged. PDPTE registers have no A bit. Under EPT the updates are
// guest-physical writes (SDM Vol. 3C, "EPT Violations"): every one is translated before the
// first is stored, so a refused one leaves the tables unchanged too. Returns the refused step,
// or -1.
int set_accessed_dirty(PhysBus& bus, WalkRecord& w, unsigned bytes, bool write,
                       const GpaTranslator* gpa) {
    std::array<uint64_t, 4> updated{};
    std::array<Hpa, 4> where{};
    for (unsigned i = 0; i < w.depth; ++i) {
        const WalkStep& st = w.steps[i];
        updated[i] = st.entry;
        if (st.from_register) continue;
        updated[i] |= kA;
        if (i + 1 == w.depth && write) updated[i] |= kD;
        where[i] = st.entry_host;
        if (gpa && updated[i] != st.entry &&
            !gpa->translate(gpa->self, GpaAccess{st.entry_addr, i, true}, where[i]))
            return static_cast<int>(i);
    }
    for (unsigned i = 0; i < w.depth; ++i) {
        WalkStep& st = w.steps[i];
        if (updated[i] != st.entry) bus.write(where[i], bytes, updated[i]);
        st.entry = updated[i];
    }
    w.dirty = w.steps[w.depth - 1].entry & kD;
    return -1;
}

void stop_walk(WalkRecord& w, const PagingContext& c, AccessRequest req, WalkStop why,
               unsigned level) {
    w.stop = why;
    w.stop_level = level;
    w.error_code =
        page_fault_error_code(c, req, why != WalkStop::NotPresent, why == WalkStop::Reserved);
}

} // namespace

WalkRecord walk(PhysBus& bus, const PagingContext& c, uint64_t linear, AccessRequest req,
                WalkOptions opt, const GpaTranslator* gpa) {
    WalkRecord w;
    w.mode = c.mode();
    w.linear = linear;
    if (w.mode == PagingMode::None) {
        w.physical = Gpa(linear);
        w.page_size = 0x1000;
        w.dirty = true;
        return w;
    }
    const Geometry g = geometry(w.mode);
    const uint64_t index_mask = (uint64_t{1} << g.index_bits) - 1;
    uint64_t table = (w.mode == PagingMode::Bits32) ? (c.cr3 & 0xFFFF'F000) : (c.cr3 & kFrame4K);
    for (unsigned level = g.top_level;; --level) {
        const uint64_t index = (linear >> level_shift(g, level)) & index_mask;
        WalkStep& st = w.steps[w.depth++];
        st.level = level;
        if (w.mode == PagingMode::Pae && level == 3) {
            st.entry_addr = Gpa((c.cr3 & 0xFFFF'FFE0) + 8 * (index & 3));
            st.entry = c.pdpte[index & 3];
            st.from_register = true;
        } else {
            st.entry_addr = Gpa(table + g.entry_bytes * index);
            st.entry_host = Hpa(st.entry_addr.value);
            if (gpa && !gpa->translate(gpa->self, GpaAccess{st.entry_addr, w.depth - 1, false},
                                       st.entry_host)) {
                w.stop = WalkStop::GpaRefused;
                w.stop_level = level;
                return w;
            }
            st.entry = bus.read(st.entry_host, g.entry_bytes);
        }
        if (!(st.entry & kP)) return stop_walk(w, c, req, WalkStop::NotPresent, level), w;
        if (st.entry & reserved_mask(c, w.mode, level, st.entry))
            return stop_walk(w, c, req, WalkStop::Reserved, level), w;
        if (!st.from_register) accumulate(w.rights, w.mode, st.entry, c.nxe());
        if (is_leaf(c, w.mode, level, st.entry)) {
            w.page_size = uint64_t{1} << level_shift(g, level);
            w.physical = Gpa(leaf_physical(w.mode, level, st.entry, linear, w.page_size));
            w.global = c.pge() && (st.entry & kG);
            w.dirty = st.entry & kD;
            w.stop_level = level;
            break;
        }
        table = st.entry & kFrame4K;
    }
    if (opt.check_rights && !access_allowed(c, w.rights, req))
        return stop_walk(w, c, req, WalkStop::Denied, w.stop_level), w;
    if (opt.set_accessed_dirty) {
        const int refused =
            set_accessed_dirty(bus, w, g.entry_bytes, req.kind == Access::Write, gpa);
        if (refused >= 0) {
            w.stop = WalkStop::GpaRefused;
            w.stop_level = w.steps[refused].level;
        }
    }
    return w;
}

// PDPTE register format: bit 0 P; bits 2:1, 8:5 and 63:MAXPHYADDR reserved.
bool load_pae_pdptes(PhysBus& bus, uint64_t cr3, std::array<uint64_t, 4>& out) {
    return load_pae_pdptes_at(bus, Hpa(cr3 & 0xFFFF'FFE0), out);
}

bool load_pae_pdptes_at(PhysBus& bus, Hpa pdpt, std::array<uint64_t, 4>& out) {
    constexpr uint64_t kReserved =
        mask_bits(2, 1) | mask_bits(8, 5) | mask_bits(63, kMaxPhysAddrBits);
    std::array<uint64_t, 4> v{};
    for (unsigned i = 0; i < 4; ++i) {
        v[i] = bus.read(pdpt + 8 * i, 8);
        if ((v[i] & kP) && (v[i] & kReserved)) return false;
    }
    out = v;
    return true;
}

} // namespace hvlab::mmu

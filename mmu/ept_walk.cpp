// Intel SDM, Dec 2023 (Order 325462-081).
#include "mmu/ept_walk.hpp"

namespace hvlab::mmu {

// EPT entry bits (SDM Vol. 3C, "Format of an EPT PML4 Entry (PML4E)" ... "Format of an EPT
// Page-Table Entry"):
//   0 R read   1 W write   2 X execute   5:3 memory type (leaf)   6 IPAT (leaf)
//   7 page size (PDPTE: 1 GiB, PDE: 2 MiB; reserved in the PML4E, ignored in a PTE)
//   8 accessed   9 dirty (leaf)   10 user-mode execute (ignored: no mode-based control)
//   MAXPHYADDR-1:12 address   51:MAXPHYADDR reserved   62:52 ignored   63 suppress #VE
//   (ignored: no EPT-violation #VE)
// Index of the guest-physical address at level L: bits 12 + 9*(L-1) .. 20 + 9*(L-1).

namespace {

constexpr uint64_t kR = bit(0), kW = bit(1), kX = bit(2), kPS = bit(7), kA = bit(8), kD = bit(9);
constexpr uint64_t kAddress = mask_bits(kMaxPhysAddrBits - 1, 12);
constexpr uint64_t kAboveMaxPhys = mask_bits(51, kMaxPhysAddrBits);

unsigned level_shift(unsigned level) {
    return 12 + 9 * (level - 1);
}

bool is_leaf(unsigned level, uint64_t e) {
    return level == 1 || ((level == 2 || level == 3) && (e & kPS));
}

// SDM Vol. 3C, "EPT Misconfigurations", for an entry whose bits 2:0 are not 000b.
EptMisconfig misconfiguration(unsigned level, uint64_t e) {
    if ((e & (kR | kW)) == kW) return EptMisconfig::WriteWithoutRead; // 010b and 110b
    if ((e & (kR | kW | kX)) == kX && !kEptExecuteOnly) return EptMisconfig::ExecuteOnly;
    uint64_t reserved = kAboveMaxPhys;
    if (level == 4)
        reserved |= mask_bits(7, 3);
    else if (!is_leaf(level, e))
        reserved |= mask_bits(6, 3); // bit 7 = 0 here
    else if (level == 3)
        reserved |= mask_bits(29, 12); // 1 GiB page
    else if (level == 2)
        reserved |= mask_bits(20, 12); // 2 MiB page
    if (e & reserved) return EptMisconfig::ReservedBit;
    if (is_leaf(level, e)) {
        const uint64_t mt = bits(e, 5, 3);
        if (mt == 2 || mt == 3 || mt == 7) return EptMisconfig::MemoryType;
    }
    return EptMisconfig::None;
}

void accumulate(EptRights& r, uint64_t e) {
    r.read = r.read && (e & kR);
    r.write = r.write && (e & kW);
    r.execute = r.execute && (e & kX);
}

// SDM Vol. 3C, "Accessed and Dirty Flags for EPT": A in every entry used, D in the leaf for a
// write. Like the legacy walker, only a translation that succeeds updates the flags.
void set_accessed_dirty(PhysBus& bus, EptWalkRecord& w) {
    for (unsigned i = 0; i < w.depth; ++i) {
        EptStep& st = w.steps[i];
        uint64_t e = st.entry | kA;
        if (i + 1 == w.depth && w.as_write) e |= kD;
        if (e != st.entry) bus.write(st.entry_addr, 8, e);
        st.entry = e;
    }
    w.dirty = w.steps[w.depth - 1].entry & kD;
}

} // namespace

bool ept_allows(EptRights r, Access kind) {
    switch (kind) {
    case Access::Read: return r.read;
    case Access::Write: return r.write;
    case Access::Execute: return r.execute;
    }
    return false;
}

EptWalkRecord ept_walk(PhysBus& bus, EptPointer eptp, Gpa gpa, EptAccess access,
                       EptWalkOptions opt) {
    EptWalkRecord w;
    w.gpa = gpa;
    w.access = access;
    w.as_write = access.kind == Access::Write || (access.paging_structure && eptp.accessed_dirty());
    uint64_t table = eptp.pml4();
    for (unsigned level = 4;; --level) {
        EptStep& st = w.steps[w.depth++];
        st.level = level;
        st.entry_addr = Hpa(table + 8 * ((gpa.value >> level_shift(level)) & 0x1FF));
        st.entry = bus.read(st.entry_addr, 8);
        accumulate(w.rights, st.entry);
        w.stop_level = level;
        if (!(st.entry & (kR | kW | kX))) {
            w.stop = EptStop::NotPresent;
            return w;
        }
        w.misconfig = misconfiguration(level, st.entry);
        if (w.misconfig != EptMisconfig::None) {
            w.stop = EptStop::Misconfigured;
            return w;
        }
        if (is_leaf(level, st.entry)) {
            w.page_size = uint64_t{1} << level_shift(level);
            w.physical =
                Hpa((st.entry & kAddress & ~(w.page_size - 1)) | (gpa.value & (w.page_size - 1)));
            w.memory_type = bits(st.entry, 5, 3);
            w.ignore_pat = test_bit(st.entry, 6);
            w.dirty = st.entry & kD;
            break;
        }
        table = st.entry & kAddress;
    }
    const Access needed = w.as_write ? Access::Write : access.kind;
    if (opt.check_rights && !ept_allows(w.rights, needed)) {
        w.stop = EptStop::Denied;
        return w;
    }
    if (opt.set_accessed_dirty && eptp.accessed_dirty()) set_accessed_dirty(bus, w);
    return w;
}

uint8_t effective_memory_type(bool cr0_cd, uint8_t ept_type, bool ignore_pat, uint8_t pat_type) {
    using namespace memory_type;
    if (cr0_cd) return UC;
    if (ignore_pat) return ept_type;
    // Table "Effective Page-Level Memory Types": rows are the EPT (in place of MTRR) type,
    // columns the PAT type.
    switch (pat_type) {
    case UC: return UC;
    case WC: return WC;
    case UCMinus: return ept_type == WC || ept_type == WP ? WC : UC;
    case WT: return ept_type == WT || ept_type == WB || ept_type == WP ? WT : UC;
    case WP: return ept_type == WP || ept_type == WT || ept_type == WB ? WP : UC;
    case WB: return ept_type;
    default: return UC;
    }
}

} // namespace hvlab::mmu

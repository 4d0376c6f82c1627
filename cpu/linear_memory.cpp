// LinearMemory: paging through mmu::walk, the TLB and its flush rules, and whole accesses that
// may cross a page. Intel SDM, Dec 2023 (Order 325462-081).
//
// Self-modifying code: every store that does not go through PhysBus::write checks
// PhysBus::is_code_page at the moment of the store and calls notify_code_write. translate()
// never returns a host pointer for a write to a page that is a code page at that moment; the
// TLB caches the RAM pointer, but the code-page test is made on every write hit, never cached.
#include "cpu/linear_memory.hpp"

#include <algorithm>
#include <cstring>

namespace hvlab::cpu {

// Nothing beyond the TLB yet; kept so the contract's layout does not change.
struct LinearMemory::Impl {};

LinearMemory::LinearMemory(mmu::PhysBus& bus) : bus_(bus), impl_(new Impl) {}
LinearMemory::~LinearMemory() {
    delete impl_;
}

namespace {

mmu::AccessRequest access_request(const CpuState& s, AccessKind kind, Privilege who) {
    return {static_cast<mmu::Access>(kind), requester(s, who)};
}

uint64_t wrap_linear(const CpuState& s, uint64_t a) {
    return s.long_mode_active() ? a : a & 0xFFFF'FFFF;
}

} // namespace

Translation LinearMemory::translate_unpaged(Gva linear, AccessKind kind) {
    const Hpa pa(linear.value);
    uint8_t* host = bus_.ram_ptr(pa);
    if (kind == AccessKind::Write && host && bus_.is_code_page(pa.value >> 12)) host = nullptr;
    return Translation{kNoFault, pa, host};
}

Translation LinearMemory::translate_slow(const CpuState& s, Gva linear, AccessKind kind,
                                         Privilege who) {
    const mmu::PagingContext ctx = paging_context(s);
    const mmu::WalkRecord w = mmu::walk(bus_, ctx, linear.value, access_request(s, kind, who));
    const mmu::TlbTag t = tag(s);
    if (!w.ok()) {
        // A #PF invalidates the faulting page's TLB entries (SDM Vol. 3A, Invalidation of TLBs
        // and Paging-Structure Caches).
        tlb_.invalidate_page(linear.value, t);
        return Translation{page_fault(linear.value, w.error_code), Hpa{}, nullptr};
    }
    mmu::TlbEntry e;
    e.vpn = linear.value >> 12;
    e.tag = t;
    e.global = w.global;
    e.dirty = w.dirty;
    e.allowed = mmu::allowed_classes(ctx, w.rights);
    e.frame = Hpa(w.physical.value & ~0xFFFull);
    e.host = bus_.ram_ptr(e.frame);
    e.page_base = linear.value & ~(w.page_size - 1);
    e.page_size = w.page_size;
    tlb_.insert(e);
    uint8_t* host = e.host;
    if (kind == AccessKind::Write && host && bus_.is_code_page(e.frame.value >> 12)) host = nullptr;
    const uint64_t off = linear.value & 0xFFF;
    return Translation{kNoFault, e.frame + off, host ? host + off : nullptr};
}

mmu::WalkRecord LinearMemory::walk(const CpuState& s, Gva linear, AccessKind kind, Privilege who) {
    return mmu::walk(bus_, paging_context(s), linear.value, access_request(s, kind, who),
                     {.set_accessed_dirty = false, .check_rights = true});
}

void LinearMemory::set_address_space(uint16_t vpid, uint64_t ept_root) {
    space_.vpid = vpid;
    space_.ept_root = ept_root;
}

namespace {

// Largest bus access size (8, 4, 2, 1) not exceeding n.
unsigned chunk_size(unsigned n) {
    return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

void load_piece(mmu::PhysBus& bus, const Translation& t, uint8_t* dst, unsigned n) {
    if (t.host) return void(std::memcpy(dst, t.host, n));
    for (unsigned done = 0; done < n;) {
        const unsigned c = chunk_size(n - done);
        const uint64_t v = bus.read(t.physical + done, c);
        std::memcpy(dst + done, &v, c);
        done += c;
    }
}

void store_piece(mmu::PhysBus& bus, const Translation& t, const uint8_t* src, unsigned n) {
    if (t.host) {
        std::memcpy(t.host, src, n);
        const uint64_t page = t.physical.value >> 12;
        if (bus.is_code_page(page)) bus.notify_code_write(page);
        return;
    }
    for (unsigned done = 0; done < n;) {
        const unsigned c = chunk_size(n - done);
        uint64_t v = 0;
        std::memcpy(&v, src + done, c);
        bus.write(t.physical + done, c, v);
        done += c;
    }
}

} // namespace

Fault LinearMemory::read(const CpuState& s, Gva linear, void* dst, unsigned size, Privilege who,
                         AccessKind kind) {
    const unsigned first = std::min<unsigned>(size, 0x1000 - (linear.value & 0xFFF));
    const Translation a = translate(s, linear, kind, who);
    if (a.fault) return a.fault;
    Translation b;
    if (first < size) {
        b = translate(s, Gva(wrap_linear(s, linear.value + first)), kind, who);
        if (b.fault) return b.fault;
    }
    auto* out = static_cast<uint8_t*>(dst);
    load_piece(bus_, a, out, first);
    if (first < size) load_piece(bus_, b, out + first, size - first);
    return kNoFault;
}

// Both pages are translated (and so checked) before the first byte is stored: no partial
// writes on a fault.
Fault LinearMemory::write(const CpuState& s, Gva linear, const void* src, unsigned size,
                          Privilege who) {
    const unsigned first = std::min<unsigned>(size, 0x1000 - (linear.value & 0xFFF));
    const Translation a = translate(s, linear, AccessKind::Write, who);
    if (a.fault) return a.fault;
    Translation b;
    if (first < size) {
        b = translate(s, Gva(wrap_linear(s, linear.value + first)), AccessKind::Write, who);
        if (b.fault) return b.fault;
    }
    const auto* in = static_cast<const uint8_t*>(src);
    store_piece(bus_, a, in, first);
    if (first < size) store_piece(bus_, b, in + first, size - first);
    return kNoFault;
}

// Tools must never trigger device side effects, so only RAM is peeked.
bool LinearMemory::peek(const CpuState& s, Gva linear, void* dst, unsigned size) {
    auto* out = static_cast<uint8_t*>(dst);
    for (unsigned done = 0; done < size;) {
        const uint64_t la = wrap_linear(s, linear.value + done);
        const unsigned n = std::min<unsigned>(size - done, 0x1000 - (la & 0xFFF));
        const mmu::WalkRecord w =
            mmu::walk(bus_, paging_context(s), la, {mmu::Access::Read, mmu::Requester::Supervisor},
                      {.set_accessed_dirty = false, .check_rights = false});
        if (!w.ok() || !bus_.is_ram(Hpa(w.physical.value), n)) return false;
        std::memcpy(out + done, bus_.ram_ptr(Hpa(w.physical.value)), n);
        done += n;
    }
    return true;
}

void LinearMemory::invlpg(const CpuState& s, Gva linear) {
    tlb_.invalidate_page(linear.value, tag(s));
}

// SDM Vol. 3A, Invalidation of TLBs and Paging-Structure Caches: MOV to CR3 with CR4.PCIDE = 0
// drops every non-global entry (all are PCID 0); with PCIDE = 1 and bit 63 clear it drops the
// non-global entries of the new PCID only; with bit 63 set it drops nothing.
void LinearMemory::cr3_written(const CpuState& s, bool no_flush) {
    const mmu::TlbTag t = tag(s);
    if (!(s.cr4 & cr4::PCIDE)) return tlb_.invalidate_pcid(t, 0);
    if (!no_flush) tlb_.invalidate_pcid(t, t.pcid);
}

void LinearMemory::paging_mode_changed() {
    tlb_.invalidate_space(space_);
}

// SDM Vol. 2B, INVPCID: type 0 individual address, 1 single context, 2 all contexts including
// globals, 3 all contexts except globals. The caller has already checked the operands (#GP).
void LinearMemory::invpcid(const CpuState& s, unsigned type, uint16_t pcid, Gva linear) {
    switch (type) {
    case 0: return tlb_.invalidate_address_in_pcid(linear.value, space_, pcid);
    case 1: return tlb_.invalidate_pcid(space_, pcid);
    case 2: return tlb_.invalidate_space(space_);
    case 3: return tlb_.invalidate_non_global(space_);
    default: return;
    }
}

void LinearMemory::flush_all() {
    tlb_.flush_all();
}

namespace {

// The TLB's EPT tag: the EPT PML4 address (EP4TA, EPTP bits 51:12) with bit 0 set so that a
// PML4 at host-physical 0 is still distinct from "EPT off" (tag 0).
uint64_t ept_tag(uint64_t eptp) {
    return (eptp & 0x000F'FFFF'FFFF'F000ull) | 1;
}

} // namespace

// SDM Vol. 3C, "VPID": translations made in non-root operation are tagged with the VPID (and,
// with EPT, the EP4TA), so VM entry and exit flush nothing here.
void LinearMemory::set_guest_context(uint16_t vpid, bool ept_enabled, uint64_t eptp) {
    space_.vpid = vpid;
    space_.ept_root = ept_enabled ? ept_tag(eptp) : 0;
}

bool LinearMemory::take_ept_exit(vmx::ExitInfo&) {
    return false;
}

Fault LinearMemory::guest_physical_to_host(Gpa gpa, AccessKind, Hpa& out) {
    out = Hpa(gpa.value);
    return kNoFault;
}

// SDM Vol. 3C, "Invalidation of Cached Mappings": INVEPT invalidates guest-physical and
// combined mappings of one EP4TA (type 1) or of all (type 2), whatever their VPID.
void LinearMemory::invept(unsigned type, uint64_t eptp) {
    if (type == 1) return tlb_.invalidate_ept_root(ept_tag(eptp));
    if (type == 2) return tlb_.invalidate_all_ept();
}

// SDM Vol. 3C, "Invalidation of Cached Mappings"; Vol. 2B, INVVPID: linear and combined
// mappings of the VPID, for every EP4TA and PCID.
void LinearMemory::invvpid(unsigned type, uint16_t vpid, Gva linear) {
    switch (type) {
    case 0: return tlb_.invalidate_vpid_address(linear.value, vpid);
    case 1: return tlb_.invalidate_vpid(vpid, false);
    case 2: return tlb_.invalidate_all_nonzero_vpids();
    case 3: return tlb_.invalidate_vpid(vpid, true);
    default: return;
    }
}

} // namespace hvlab::cpu

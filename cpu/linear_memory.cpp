// LinearMemory: paging through mmu::walk, the TLB and its flush rules, and whole accesses that
// may cross a page. Intel SDM, Dec 2023 (Order 325462-081).
//
// Self-modifying code: every store that does not go through PhysBus::write checks
// PhysBus::is_code_page at the moment of the store and calls notify_code_write. translate()
// never returns a host pointer for a write to a page that is a code page at that moment; the
// TLB caches the RAM pointer, but the code-page test is made on every write hit, never cached.
//
// EPT (SDM Vol. 3C, "EPT Translation Mechanism"): while set_guest_context has enabled it, a TLB
// miss is a 2D walk. mmu::walk reads every guest paging-structure entry through
// guest_table_access (an EPT walk per entry), then the final guest-physical address goes
// through EPT for the access itself. The TLB caches the combined mapping (linear -> host
// physical, guest rights AND EPT rights), tagged with the VPID and the EPT root, so a TLB hit
// costs exactly what it costs without EPT, and a missing INVEPT is as visible as on hardware.
#include "cpu/linear_memory.hpp"

#include "cpu/vmx/exit_qualification.hpp"
#include "cpu/vmx/exit_reason.hpp"

#include <algorithm>
#include <cstring>

namespace hvlab::cpu {

struct LinearMemory::Impl {
    bool ept = false;
    mmu::EptPointer eptp;
    // The EPT violation or misconfiguration the last refused access caused, until
    // take_ept_exit.
    bool exit_pending = false;
    vmx::ExitInfo exit;
};

// The guest_table_access context of one 2D walk.
struct LinearMemory::TableAccess {
    LinearMemory& mem;
    const CpuState& s;
    uint64_t linear;
    bool side_effects;         // false: inspector walk (no A/D, no exit recorded)
    mmu::Walk2dRecord* record; // non-null: keep every EPT walk for the inspector
};

LinearMemory::LinearMemory(mmu::PhysBus& bus) : bus_(bus), impl_(new Impl) {}
LinearMemory::~LinearMemory() {
    delete impl_;
}

namespace {

mmu::AccessRequest access_request(const CpuState& s, AccessKind kind, Privilege who) {
    return {static_cast<mmu::Access>(kind), requester(s, who)};
}

// Bit 12 of an EPT-violation qualification: the access belongs to an IRET that unblocked NMIs
// (SDM Vol. 3C, "Exit Qualification for EPT Violations"). It is undefined while an event is
// being delivered (IDT-vectoring information valid); hvlab writes 0 there, as for exceptions.
bool nmi_unblocking(const CpuState& s) {
    return s.vmx.nmi_unblocked_by_iret && !(s.vmx.idt_vectoring_info >> 31);
}

uint64_t wrap_linear(const CpuState& s, uint64_t a) {
    return s.long_mode_active() ? a : a & 0xFFFF'FFFF;
}

} // namespace

// Outside IA-32e mode linear addresses are 32 bits (SDM Vol. 3A, 32-Bit Paging; PAE Paging):
// the second page of an access that runs past 0xFFFFFFFF is linear page 0, and a #PF there
// reports the 32-bit address in CR2. Callers may pass linear + n unwrapped (a TLB lookup of it
// misses: entries are made from wrapped addresses), so both slow paths wrap it here.
Translation LinearMemory::translate_unpaged(const CpuState& s, Gva linear, AccessKind kind) {
    linear = Gva(wrap_linear(s, linear.value));
    // SDM Vol. 3C, "Guest-Physical Address Translation": with CR0.PG = 0 the linear address is
    // a guest-physical address, translated through EPT (and not cached in the TLB here).
    if (impl_->ept) {
        const mmu::EptWalkRecord w =
            mmu::ept_walk(bus_, impl_->eptp, Gpa(linear.value), {static_cast<mmu::Access>(kind)});
        if (!w.ok()) {
            record_ept_exit(w, true, linear.value, true, nmi_unblocking(s));
            return Translation{vm_exit_fault(), Hpa{}, nullptr};
        }
        uint8_t* host = bus_.ram_ptr(w.physical);
        if (kind == AccessKind::Write && host && bus_.is_code_page(w.physical.value >> 12))
            host = nullptr;
        return Translation{kNoFault, w.physical, host};
    }
    const Hpa pa(linear.value);
    uint8_t* host = bus_.ram_ptr(pa);
    if (kind == AccessKind::Write && host && bus_.is_code_page(pa.value >> 12)) host = nullptr;
    return Translation{kNoFault, pa, host};
}

Translation LinearMemory::translate_slow(const CpuState& s, Gva linear, AccessKind kind,
                                         Privilege who) {
    linear = Gva(wrap_linear(s, linear.value));
    if (impl_->ept) return translate_through_ept(s, linear, kind, who);
    const mmu::WalkRecord w =
        mmu::walk(bus_, paging_context(s), linear.value, access_request(s, kind, who));
    if (!w.ok()) {
        // A #PF invalidates the faulting page's TLB entries (SDM Vol. 3A, Invalidation of TLBs
        // and Paging-Structure Caches).
        tlb_.invalidate_page(linear.value, tag(s));
        return Translation{page_fault(linear.value, w.error_code), Hpa{}, nullptr};
    }
    return fill_tlb(s, linear, kind, w, nullptr);
}

// The 2D walk of a TLB miss under EPT. Order as on hardware (SDM Vol. 3C, "Guest-Physical
// Address Translation"): each guest paging-structure access is translated through EPT as the
// guest walk reaches it (an EPT exit there takes priority over a #PF further down), then the
// guest rights are checked (#PF), then the final guest-physical address goes through EPT.
Translation LinearMemory::translate_through_ept(const CpuState& s, Gva linear, AccessKind kind,
                                                Privilege who) {
    TableAccess ta{*this, s, linear.value, true, nullptr};
    const mmu::GpaTranslator through_ept{&guest_table_access, &ta};
    const mmu::WalkRecord w = mmu::walk(bus_, paging_context(s), linear.value,
                                        access_request(s, kind, who), {}, &through_ept);
    const mmu::TlbTag t = tag(s);
    if (w.stop == mmu::WalkStop::GpaRefused) {
        // An EPT violation invalidates the combined mappings of the linear address (SDM Vol.
        // 3C, "Operations that Invalidate Cached Mappings"); guest_table_access kept the exit.
        tlb_.invalidate_page(linear.value, t);
        return Translation{vm_exit_fault(), Hpa{}, nullptr};
    }
    if (!w.ok()) {
        tlb_.invalidate_page(linear.value, t);
        return Translation{page_fault(linear.value, w.error_code), Hpa{}, nullptr};
    }
    const mmu::EptWalkRecord e =
        mmu::ept_walk(bus_, impl_->eptp, w.physical, {static_cast<mmu::Access>(kind)});
    if (!e.ok()) {
        tlb_.invalidate_page(linear.value, t);
        record_ept_exit(e, true, linear.value, true, nmi_unblocking(s));
        return Translation{vm_exit_fault(), Hpa{}, nullptr};
    }
    return fill_tlb(s, linear, kind, w, &e);
}

namespace {

// The access classes (mmu/access_rights.hpp) of one access kind: kind * 6 + 0..5.
constexpr uint32_t classes_of(mmu::Access kind) {
    return uint32_t{0x3F} << (static_cast<unsigned>(kind) * 6);
}

uint32_t ept_allowed_classes(mmu::EptRights r) {
    uint32_t m = 0;
    if (r.read) m |= classes_of(mmu::Access::Read);
    if (r.write) m |= classes_of(mmu::Access::Write);
    if (r.execute) m |= classes_of(mmu::Access::Execute);
    return m;
}

} // namespace

// One TLB entry per 4 KiB slice. Under EPT it is the combined mapping: the host-physical frame,
// the guest rights AND the EPT rights, and "dirty" only if a write needs no flag update in
// either structure (guest D set, and EPT D set when EPT A/D flags are on).
Translation LinearMemory::fill_tlb(const CpuState& s, Gva linear, AccessKind kind,
                                   const mmu::WalkRecord& w, const mmu::EptWalkRecord* ept) {
    const mmu::PagingContext ctx = paging_context(s);
    mmu::TlbEntry e;
    e.vpn = linear.value >> 12;
    e.tag = tag(s);
    e.global = w.global;
    e.dirty = w.dirty;
    e.allowed = mmu::allowed_classes(ctx, w.rights);
    e.frame = Hpa(w.physical.value & ~0xFFFull);
    if (ept) {
        e.allowed &= ept_allowed_classes(ept->rights);
        e.dirty = e.dirty && (!impl_->eptp.accessed_dirty() || ept->dirty);
        e.frame = Hpa(ept->physical.value & ~0xFFFull);
    }
    e.host = bus_.ram_ptr(e.frame);
    e.page_base = linear.value & ~(w.page_size - 1);
    e.page_size = w.page_size;
    tlb_.insert(e);
    uint8_t* host = e.host;
    if (kind == AccessKind::Write && host && bus_.is_code_page(e.frame.value >> 12)) host = nullptr;
    const uint64_t off = linear.value & 0xFFF;
    return Translation{kNoFault, e.frame + off, host ? host + off : nullptr};
}

// The GpaTranslator of the 2D walk: one EPT walk per guest paging-structure access. Reading an
// entry is a data read, or a write when EPT A/D flags are on; updating its A/D flags is a data
// write (SDM Vol. 3C, "EPT Violations").
bool LinearMemory::guest_table_access(void* self, const mmu::GpaAccess& a, Hpa& out) {
    auto& ta = *static_cast<TableAccess*>(self);
    Impl& impl = *ta.mem.impl_;
    const mmu::EptAccess access{a.write ? mmu::Access::Write : mmu::Access::Read, !a.write};
    const mmu::EptWalkRecord w =
        mmu::ept_walk(ta.mem.bus_, impl.eptp, a.gpa, access,
                      {.set_accessed_dirty = ta.side_effects, .check_rights = true});
    if (ta.record && a.step < 4 && !a.write) {
        ta.record->step_ept[a.step] = w;
        ta.record->step_walked[a.step] = true;
    }
    if (!w.ok()) {
        // Bit 8 = 0: the access was to a guest paging-structure entry.
        if (ta.side_effects)
            ta.mem.record_ept_exit(w, true, ta.linear, false, nmi_unblocking(ta.s));
        return false;
    }
    out = w.physical;
    return true;
}

// SDM Vol. 3C, "Exit Qualification for EPT Violations" and "Information for VM Exits Due to
// EPT Violations/Misconfigurations": the guest-physical address of the access, the
// guest-linear address when bit 7 is set.
void LinearMemory::record_ept_exit(const mmu::EptWalkRecord& w, bool linear_valid, uint64_t linear,
                                   bool translated_linear, bool nmi_unblocked) {
    vmx::ExitInfo x;
    x.guest_physical = w.gpa.value;
    if (w.stop == mmu::EptStop::Misconfigured) {
        x.reason = static_cast<uint32_t>(vmx::ExitReason::EptMisconfiguration);
    } else {
        x.reason = static_cast<uint32_t>(vmx::ExitReason::EptViolation);
        vmx::EptViolationQualification q;
        // A paging-structure read that counts as a write sets bits 0 and 1.
        q.read = w.access.kind == mmu::Access::Read;
        q.write = w.as_write;
        q.fetch = w.access.kind == mmu::Access::Execute;
        q.readable = w.rights.read;
        q.writable = w.rights.write;
        q.executable = w.rights.execute;
        q.linear_address_valid = linear_valid;
        q.translated_linear_access = translated_linear;
        q.nmi_unblocking = nmi_unblocked;
        x.qualification = q.encode();
        if (linear_valid) x.guest_linear = linear;
    }
    impl_->exit = x;
    impl_->exit_pending = true;
}

mmu::WalkRecord LinearMemory::walk(const CpuState& s, Gva linear, AccessKind kind, Privilege who) {
    return walk_2d(s, linear, kind, who).guest;
}

namespace {

// SDM Vol. 3A, "Selecting a Memory Type from the PAT": PAT index 4*PAT + 2*PCD + PWT of the
// leaf (PAT is bit 7 of a 4 KiB PTE, bit 12 of a large-page entry).
uint8_t pat_memory_type(const CpuState& s, const mmu::WalkRecord& w) {
    const uint64_t leaf = w.steps[w.depth - 1].entry;
    const unsigned pat_bit = w.page_size == 0x1000 ? 7 : 12;
    const unsigned index =
        (test_bit(leaf, pat_bit) << 2) | (test_bit(leaf, 4) << 1) | test_bit(leaf, 3);
    return (s.msr.pat >> (8 * index)) & 7;
}

} // namespace

mmu::Walk2dRecord LinearMemory::walk_2d(const CpuState& s, Gva linear, AccessKind kind,
                                        Privilege who) {
    mmu::Walk2dRecord r;
    const mmu::WalkOptions opt{.set_accessed_dirty = false, .check_rights = true};
    const mmu::AccessRequest req = access_request(s, kind, who);
    if (!impl_->ept) {
        r.guest = mmu::walk(bus_, paging_context(s), linear.value, req, opt);
        r.host_physical = Hpa(r.guest.physical.value);
        return r;
    }
    r.ept = true;
    TableAccess ta{*this, s, linear.value, false, &r};
    const mmu::GpaTranslator through_ept{&guest_table_access, &ta};
    r.guest = mmu::walk(bus_, paging_context(s), linear.value, req, opt, &through_ept);
    if (!r.guest.reached_leaf()) return r;
    r.final_ept =
        mmu::ept_walk(bus_, impl_->eptp, r.guest.physical, {static_cast<mmu::Access>(kind)},
                      {.set_accessed_dirty = false, .check_rights = true});
    r.final_walked = true;
    if (!r.final_ept.reached_leaf()) return r;
    r.host_physical = r.final_ept.physical;
    // "If CR0.PG = 0, the PAT memory type is WB" (SDM Vol. 3C, "Memory Type Used for
    // Translated Guest-Physical Addresses").
    const uint8_t pat =
        r.guest.mode == mmu::PagingMode::None ? mmu::memory_type::WB : pat_memory_type(s, r.guest);
    r.memory_type = mmu::effective_memory_type(s.cr0 & cr0::CD, r.final_ept.memory_type,
                                               r.final_ept.ignore_pat, pat);
    return r;
}

void LinearMemory::set_address_space(uint16_t vpid, uint64_t ept_root) {
    space_.vpid = vpid;
    space_.ept_root = ept_root;
    sync_generation();
}

// Whole-VPID invalidations move the VPID to a new TLB generation (mmu/tlb.hpp); the tag of
// every later lookup must carry it.
void LinearMemory::sync_generation() {
    space_.gen = tlb_.generation(space_.vpid);
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

// Linear -> host-physical without rights checks or side effects (under EPT: a 2D walk).
bool LinearMemory::peek_translate(const CpuState& s, uint64_t linear, Hpa& out) {
    const mmu::WalkOptions opt{.set_accessed_dirty = false, .check_rights = false};
    const mmu::AccessRequest req{mmu::Access::Read, mmu::Requester::Supervisor};
    if (!impl_->ept) {
        const mmu::WalkRecord w = mmu::walk(bus_, paging_context(s), linear, req, opt);
        out = Hpa(w.physical.value);
        return w.ok();
    }
    TableAccess ta{*this, s, linear, false, nullptr};
    const mmu::GpaTranslator through_ept{&guest_table_access, &ta};
    const mmu::WalkRecord w = mmu::walk(bus_, paging_context(s), linear, req, opt, &through_ept);
    if (!w.ok()) return false;
    const mmu::EptWalkRecord e = mmu::ept_walk(bus_, impl_->eptp, w.physical, {}, {false, false});
    out = e.physical;
    return e.ok();
}

// Tools must never trigger device side effects, so only RAM is peeked.
bool LinearMemory::peek(const CpuState& s, Gva linear, void* dst, unsigned size) {
    auto* out = static_cast<uint8_t*>(dst);
    for (unsigned done = 0; done < size;) {
        const uint64_t la = wrap_linear(s, linear.value + done);
        const unsigned n = std::min<unsigned>(size - done, 0x1000 - (la & 0xFFF));
        Hpa pa;
        if (!peek_translate(s, la, pa) || !bus_.is_ram(pa, n)) return false;
        std::memcpy(out + done, bus_.ram_ptr(pa), n);
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
    sync_generation();
}

// SDM Vol. 2B, INVPCID: type 0 individual address, 1 single context, 2 all contexts including
// globals, 3 all contexts except globals. The caller has already checked the operands (#GP).
void LinearMemory::invpcid(const CpuState& s, unsigned type, uint16_t pcid, Gva linear) {
    switch (type) {
    case 0: return tlb_.invalidate_address_in_pcid(linear.value, space_, pcid);
    case 1: return tlb_.invalidate_pcid(space_, pcid);
    case 2: tlb_.invalidate_space(space_); return sync_generation();
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
// with EPT, the EP4TA), so VM entry and exit flush nothing here. The interpreter's per-page
// fast paths are flushed by the VM transition itself (it sets Exec::state_changed).
void LinearMemory::set_guest_context(uint16_t vpid, bool ept_enabled, uint64_t eptp) {
    space_.vpid = vpid;
    space_.ept_root = ept_enabled ? ept_tag(eptp) : 0;
    sync_generation();
    impl_->ept = ept_enabled;
    impl_->eptp = mmu::EptPointer{ept_enabled ? eptp : 0};
}

bool LinearMemory::ept_active() const {
    return impl_->ept;
}
uint64_t LinearMemory::eptp() const {
    return impl_->eptp.value;
}

bool LinearMemory::take_ept_exit(vmx::ExitInfo& out) {
    if (!impl_->exit_pending) return false;
    out = impl_->exit;
    impl_->exit_pending = false;
    return true;
}

// PDPTE loads by MOV CR (PAE paging) are reads that never count as writes, and their EPT
// violations leave bit 7 (guest-linear address valid) clear (SDM Vol. 3C, "EPT Violations";
// "Exit Qualification for EPT Violations").
Fault LinearMemory::guest_physical_to_host(Gpa gpa, AccessKind kind, Hpa& out) {
    if (!impl_->ept) {
        out = Hpa(gpa.value);
        return kNoFault;
    }
    const mmu::EptWalkRecord w =
        mmu::ept_walk(bus_, impl_->eptp, gpa, {static_cast<mmu::Access>(kind)});
    if (!w.ok()) {
        record_ept_exit(w, false, 0, false, false);
        return vm_exit_fault();
    }
    out = w.physical;
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
    case 1: tlb_.invalidate_vpid(vpid, false); return sync_generation();
    case 2: return tlb_.invalidate_all_nonzero_vpids();
    case 3: return tlb_.invalidate_vpid(vpid, true);
    default: return;
    }
}

} // namespace hvlab::cpu

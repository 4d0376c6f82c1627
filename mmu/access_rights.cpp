// Intel SDM, Dec 2023 (Order 325462-081).
#include "mmu/access_rights.hpp"

namespace hvlab::mmu {

namespace {

// SMAP forbids supervisor data accesses to user-mode addresses unless the access is explicit
// and RFLAGS.AC = 1 (SDM Vol. 3A, Access Rights).
bool smap_blocks(const PagingContext& c, PageRights r, AccessRequest a) {
    if (!r.user || !c.smap()) return false;
    return a.who == Requester::ImplicitSupervisor || !c.ac;
}

bool supervisor_allowed(const PagingContext& c, PageRights r, AccessRequest a) {
    switch (a.kind) {
    case Access::Read: return !smap_blocks(c, r, a);
    case Access::Write:
        // CR0.WP = 0 lets supervisor writes ignore R/W; SMAP still applies.
        return !smap_blocks(c, r, a) && (r.writable || !c.wp());
    case Access::Execute: return !r.nx && !(r.user && c.smep());
    }
    return false;
}

bool user_allowed(PageRights r, AccessRequest a) {
    if (!r.user) return false;
    if (a.kind == Access::Write) return r.writable;
    if (a.kind == Access::Execute) return !r.nx;
    return true;
}

} // namespace

bool access_allowed(const PagingContext& c, PageRights r, AccessRequest a) {
    return a.who == Requester::User ? user_allowed(r, a) : supervisor_allowed(c, r, a);
}

uint32_t allowed_classes(const PagingContext& c, PageRights r) {
    uint32_t mask = 0;
    for (Access kind : {Access::Read, Access::Write, Access::Execute})
        for (Requester who :
             {Requester::User, Requester::Supervisor, Requester::ImplicitSupervisor})
            for (bool ac : {false, true}) {
                PagingContext cc = c;
                cc.ac = ac;
                if (access_allowed(cc, r, {kind, who})) mask |= 1u << access_class(kind, who, ac);
            }
    return mask;
}

// SDM Vol. 3A, Page-Fault Exception (#PF) error code: I/D is reported only when CR4.SMEP = 1
// or (PAE/4-level paging and EFER.NXE = 1); U/S is 0 for implicit supervisor accesses even at
// CPL 3.
uint32_t page_fault_error_code(const PagingContext& c, AccessRequest a, bool present,
                               bool reserved) {
    uint32_t ec = 0;
    if (present || reserved) ec |= pf_error::P;
    if (reserved) ec |= pf_error::RSVD;
    if (a.kind == Access::Write) ec |= pf_error::WR;
    if (a.who == Requester::User) ec |= pf_error::US;
    if (a.kind == Access::Execute && (c.smep() || (c.pae() && c.nxe()))) ec |= pf_error::ID;
    return ec;
}

} // namespace hvlab::mmu

// Whether a translated access is allowed, from the rights accumulated over a page walk
// (SDM Vol. 3A, Access Rights). Shared by the walker (to decide a #PF) and the TLB (which
// precomputes, at fill time, the set of access classes an entry allows).
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "mmu/paging_context.hpp"

#include <cstdint>

namespace hvlab::mmu {

enum class Access : uint8_t { Read, Write, Execute };

// Who makes the access. CPL 3 explicit accesses are user accesses; descriptor-table, TSS and
// event-delivery stack accesses are implicit supervisor accesses whatever the CPL.
enum class Requester : uint8_t { User, Supervisor, ImplicitSupervisor };

struct AccessRequest {
    Access kind = Access::Read;
    Requester who = Requester::Supervisor;
};

// Rights combined over every level of a walk: U/S and R/W are ANDed, XD is ORed.
struct PageRights {
    bool user = true;     // a "user-mode address": U/S = 1 at every level
    bool writable = true; // R/W = 1 at every level
    bool nx = false;      // XD = 1 at some level (and EFER.NXE = 1)
};

bool access_allowed(const PagingContext& c, PageRights r, AccessRequest a);

// The access classes a TLB entry can allow: kind x requester x RFLAGS.AC (18 classes).
constexpr unsigned access_class(Access kind, Requester who, bool ac) {
    return static_cast<unsigned>(kind) * 6 + static_cast<unsigned>(who) * 2 + (ac ? 1 : 0);
}
// Bit access_class(..) is set when that class may use the page; CR0.WP, CR4.SMEP/SMAP and
// EFER.NXE are taken from c, so the TLB must be flushed when they change (it is).
uint32_t allowed_classes(const PagingContext& c, PageRights r);

// #PF error code bits (SDM Vol. 3A, Interrupt 14—Page-Fault Exception (#PF)).
namespace pf_error {
inline constexpr uint32_t P = 1u << 0;    // 0: not present; 1: protection (or reserved bit)
inline constexpr uint32_t WR = 1u << 1;   // the access was a write
inline constexpr uint32_t US = 1u << 2;   // the access was a user-mode access
inline constexpr uint32_t RSVD = 1u << 3; // a reserved bit was set in some entry
inline constexpr uint32_t ID = 1u << 4;   // instruction fetch (only if SMEP or PAE+NXE)
} // namespace pf_error

uint32_t page_fault_error_code(const PagingContext& c, AccessRequest a, bool present,
                               bool reserved);

} // namespace hvlab::mmu

// The bridge from the CPU's state to mmu/'s plain paging inputs (mmu/ never includes cpu/).
// Intel SDM, Dec 2023 (Order 325462-081).
#pragma once
#include "cpu/cpu_state.hpp"
#include "mmu/access_rights.hpp"
#include "mmu/paging_context.hpp"

namespace hvlab::cpu {

inline mmu::PagingContext paging_context(const CpuState& s) {
    mmu::PagingContext c;
    c.cr0 = s.cr0;
    c.cr3 = s.cr3;
    c.cr4 = s.cr4;
    // The walker picks 4-level paging from LME; IA-32e paging really needs LMA (= LME & PG),
    // and PG is checked first, so passing LMA's view keeps a half-switched state honest.
    c.efer = (s.efer & ~efer::LME) | ((s.efer & efer::LMA) ? efer::LME : 0);
    c.pdpte = s.pdpte;
    c.cpl = s.cpl();
    c.ac = s.rflags & rflags::AC;
    return c;
}

} // namespace hvlab::cpu

// Every combination of leaf U/S, R/W, XD x access kind x requester x CR0.WP, CR4.SMEP,
// CR4.SMAP, RFLAGS.AC, walked for real, against the rules as the SDM states them
// (SDM Vol. 3A, Access Rights), plus hand-checked error codes.
#include "cpu/linear_memory_paging.hpp"
#include "mmu/page_walk.hpp"
#include "tests/mmu/page_tables.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using mmu::Access;
using mmu::Requester;

namespace {

// The SDM's sentences, one by one.
bool sdm_allows(bool us, bool rw, bool xd, Access k, Requester who, bool wp, bool smep,
                bool smap, bool ac) {
    if (who == Requester::User) {
        // "user-mode accesses are allowed only to user-mode addresses"
        if (!us) return false;
        if (k == Access::Write) return rw;
        if (k == Access::Execute) return !xd;
        return true;
    }
    const bool smap_applies = us && smap && (who == Requester::ImplicitSupervisor || !ac);
    if (k == Access::Execute) return !xd && !(us && smep);
    if (k == Access::Read) return !smap_applies;
    if (smap_applies) return false;
    return rw || !wp;
}

} // namespace

TEST_CASE("permission matrix: every combination gives the SDM's verdict and error code",
          "[rights]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    const uint64_t la = 0x5000'0000;
    unsigned checked = 0, faults = 0;
    for (unsigned leaf = 0; leaf < 8; ++leaf) {
        const bool us = leaf & 1, rw = leaf & 2, xd = leaf & 4;
        pt.map(la, 0x30'0000, P | (us ? US : 0) | (rw ? RW : 0) | (xd ? XD : 0));
        for (Access k : {Access::Read, Access::Write, Access::Execute})
            for (Requester who :
                 {Requester::User, Requester::Supervisor, Requester::ImplicitSupervisor})
                for (unsigned ctl = 0; ctl < 16; ++ctl) {
                    const bool wp = ctl & 1, smep = ctl & 2, smap = ctl & 4, ac = ctl & 8;
                    auto s = pt.state(who == Requester::User ? 3 : 0);
                    s.cr0 = wp ? s.cr0 | cpu::cr0::WP : s.cr0 & ~cpu::cr0::WP;
                    if (smep) s.cr4 |= cpu::cr4::SMEP;
                    if (smap) s.cr4 |= cpu::cr4::SMAP;
                    if (ac) s.rflags |= cpu::rflags::AC;
                    auto w = mmu::walk(bus, cpu::paging_context(s), la, {k, who});
                    const bool expect = sdm_allows(us, rw, xd, k, who, wp, smep, smap, ac);
                    INFO("us=" << us << " rw=" << rw << " xd=" << xd << " kind="
                               << int(k) << " who=" << int(who) << " wp=" << wp
                               << " smep=" << smep << " smap=" << smap << " ac=" << ac);
                    REQUIRE(w.ok() == expect);
                    ++checked;
                    if (expect) continue;
                    ++faults;
                    uint32_t ec = mmu::pf_error::P;
                    if (k == Access::Write) ec |= mmu::pf_error::WR;
                    if (who == Requester::User) ec |= mmu::pf_error::US;
                    if (k == Access::Execute) ec |= mmu::pf_error::ID; // NXE = 1 here
                    REQUIRE(w.error_code == ec);
                }
    }
    CHECK(checked == 8 * 3 * 3 * 16);
    CHECK(faults > 100);
}

TEST_CASE("hand-checked #PF error codes", "[rights]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Level4);
    pt.map(0x1000, 0x8000, P);           // supervisor read-only
    pt.map(0x2000, 0x9000, P | RW | US); // user read-write
    pt.map(0x3000, 0xA000, P | US | XD); // user read-only no-execute
    auto k = pt.state(0);
    auto u = pt.state(3);
    auto ec = [&](const cpu::CpuState& s, uint64_t la, Access a, Requester who) {
        auto w = mmu::walk(bus, cpu::paging_context(s), la, {a, who});
        return w.ok() ? 0xFFFFu : w.error_code;
    };
    CHECK(ec(u, 0x1000, Access::Read, Requester::User) == 0x5);
    CHECK(ec(u, 0x1000, Access::Write, Requester::User) == 0x7);
    CHECK(ec(u, 0x3000, Access::Execute, Requester::User) == 0x15);
    CHECK(ec(k, 0x1000, Access::Write, Requester::Supervisor) == 0x3); // CR0.WP = 1
    auto k_nowp = k;
    k_nowp.cr0 &= ~cpu::cr0::WP;
    CHECK(ec(k_nowp, 0x1000, Access::Write, Requester::Supervisor) == 0xFFFF);
    CHECK(ec(k_nowp, 0x3000, Access::Write, Requester::Supervisor) == 0xFFFF);
    auto k_smap = k;
    k_smap.cr4 |= cpu::cr4::SMAP | cpu::cr4::SMEP;
    CHECK(ec(k_smap, 0x2000, Access::Read, Requester::Supervisor) == 0x1);
    CHECK(ec(k_smap, 0x2000, Access::Execute, Requester::Supervisor) == 0x11);
    k_smap.rflags |= cpu::rflags::AC; // STAC
    CHECK(ec(k_smap, 0x2000, Access::Write, Requester::Supervisor) == 0xFFFF);
    // Implicit supervisor accesses ignore AC and report U/S = 0 even at CPL 3.
    auto u_smap = u;
    u_smap.cr4 |= cpu::cr4::SMAP;
    u_smap.rflags |= cpu::rflags::AC;
    CHECK(ec(u_smap, 0x2000, Access::Read, Requester::ImplicitSupervisor) == 0x1);
    CHECK(ec(u_smap, 0x2000, Access::Read, Requester::User) == 0xFFFF);
    // An upper-level U/S = 0 makes the whole range supervisor-only.
    pt.map(0x4000'0000, 0xB000, P | RW | US, 1, P | RW);
    CHECK(ec(u, 0x4000'0000, Access::Read, Requester::User) == 0x5);
    // An upper-level XD applies to every page below it.
    pt.map(0x8000'0000, 0xC000, P | RW | US, 1, P | RW | US | XD);
    CHECK(ec(u, 0x8000'0000, Access::Execute, Requester::User) == 0x15);
}

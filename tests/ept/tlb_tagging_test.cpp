// The TLB under VPID and EPT: entries tagged by (VPID, EP4TA, PCID) survive VM transitions,
// INVVPID and INVEPT remove exactly what the SDM says, and a missing invalidation is visible
// (SDM Vol. 3C, "VPID", "Invalidation of Cached Mappings", "Operations that Invalidate Cached
// Mappings").
#include "tests/ept/ept_guest.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using cpu::AccessKind;

namespace {

constexpr uint64_t kLinear2 = kLinear + 0x1000;

// Whether the TLB holds a translation of la for vpid (any PCID), built with EPT (ept = true)
// or without.
bool cached(const cpu::LinearMemory& mem, uint16_t vpid, uint64_t la, bool ept) {
    bool found = false;
    mem.tlb().for_each([&](const mmu::TlbEntry& e) {
        if (e.vpn == la >> 12 && e.tag.vpid == vpid && (e.tag.ept_root != 0) == ept) found = true;
    });
    return found;
}

void touch(EptGuest& g, uint64_t la) {
    cpu::Fault f;
    g.read64(la, &f);
    REQUIRE_FALSE(f);
}

} // namespace

TEST_CASE("VPID 1 translations survive a switch to VPID 2 and back (no flush on VM transitions)",
          "[ept][vpid]") {
    for (bool ept : {false, true}) {
        INFO("EPT " << ept);
        EptGuest g;
        const uint64_t data_page = ept ? kDataHpa : kDataGpa;
        g.bus.write(Hpa(data_page), 8, 0x11);
        g.bus.write(Hpa(data_page + 0x1000), 8, 0x22);
        if (ept) g.ept.map(kDataGpa + 0x1000, kDataHpa + 0x1000, ERWX);
        g.mem.set_guest_context(1, ept, g.ept.eptp());
        CHECK(g.read64(kLinear) == 0x11);
        // The guest remaps the page without invalidating anything.
        g.pt.map(kLinear, kDataGpa + 0x1000, P | RW | US | A | D);
        g.mem.set_guest_context(2, ept, g.ept.eptp());
        CHECK(g.read64(kLinear) == 0x22);     // VPID 2 walks afresh
        g.mem.set_guest_context(0, false, 0); // VM exit to the host
        g.mem.set_guest_context(1, ept, g.ept.eptp());
        CHECK(g.read64(kLinear) == 0x11); // VPID 1's stale entry is still there
        g.mem.invvpid(1, 1, Gva(0));
        CHECK(g.read64(kLinear) == 0x22);
    }
}

TEST_CASE("INVVPID individual-address, single-context, all-context, retaining-globals",
          "[ept][vpid]") {
    EptGuest g;
    g.pt.map(kLinear2, kDataGpa, P | RW | US | A | D | G);
    g.ept.identity(0x10'0000, g.pt.next - 0x10'0000);
    g.s.cr4 |= cpu::cr4::PGE;
    for (uint16_t vpid : {0, 1, 2}) {
        g.mem.set_guest_context(vpid, false, 0);
        touch(g, kLinear);
        touch(g, kLinear2); // global
    }
    const auto state = [&] {
        std::string r;
        for (uint16_t vpid : {0, 1, 2})
            for (uint64_t la : {kLinear, kLinear2})
                r += cached(g.mem, vpid, la, false) ? '1' : '0';
        return r;
    };
    REQUIRE(state() == "111111");
    SECTION("type 0: one address of one VPID, global or not") {
        g.mem.invvpid(0, 1, Gva(kLinear2));
        CHECK(state() == "111011");
        g.mem.invvpid(0, 1, Gva(kLinear + 0xFFF));
        CHECK(state() == "110011");
    }
    SECTION("type 1: everything of one VPID") {
        g.mem.invvpid(1, 2, Gva(0));
        CHECK(state() == "111100");
    }
    SECTION("type 2: every VPID except 0") {
        g.mem.invvpid(2, 0, Gva(0));
        CHECK(state() == "110000");
    }
    SECTION("type 3: one VPID, global translations kept") {
        g.mem.invvpid(3, 1, Gva(0));
        CHECK(state() == "110111");
    }
}

TEST_CASE("INVEPT single-context and global remove combined mappings only", "[ept]") {
    EptGuest g;
    // A second EPT hierarchy with the same mappings.
    EptTables other(g.bus, 0xA0'0000);
    other.identity(0x10'0000, g.pt.next - 0x10'0000);
    other.map(kDataGpa, kDataHpa, ERWX);
    const uint64_t eptp_a = g.ept.eptp(), eptp_b = other.eptp();
    g.mem.set_guest_context(1, true, eptp_a);
    touch(g, kLinear);
    g.mem.set_guest_context(2, true, eptp_a);
    touch(g, kLinear);
    g.mem.set_guest_context(1, true, eptp_b);
    touch(g, kLinear);
    g.mem.set_guest_context(1, false, 0); // VPID 1 without EPT: a linear mapping
    touch(g, kLinear);
    REQUIRE(g.mem.tlb().count_valid() == 4);
    SECTION("type 1: the mappings of one EP4TA, for every VPID") {
        g.mem.invept(1, eptp_a | 0x40); // EPTP bits below 12 do not select the context
        unsigned ept_a = 0, ept_b = 0, linear = 0;
        g.mem.tlb().for_each([&](const mmu::TlbEntry& e) {
            if (e.tag.ept_root == 0)
                ++linear;
            else if ((e.tag.ept_root & ~1ull) == g.ept.root)
                ++ept_a;
            else
                ++ept_b;
        });
        CHECK(ept_a == 0);
        CHECK(ept_b == 1);
        CHECK(linear == 1);
    }
    SECTION("type 2: every EP4TA; linear mappings stay") {
        g.mem.invept(2, 0);
        CHECK(g.mem.tlb().count_valid() == 1);
        CHECK(cached(g.mem, 1, kLinear, false));
    }
}

TEST_CASE("A missing INVEPT is visible: the combined mapping stays until invalidated", "[ept]") {
    EptGuest g;
    g.bus.write(Hpa(kDataHpa + 0x1'0000), 8, 0x99);
    g.enter(1);
    CHECK(g.read64(kLinear) == 0x1111'2222'3333'4444ull);
    g.ept.map(kDataGpa, kDataHpa + 0x1'0000, ERWX);       // the VMM moves the guest page
    CHECK(g.read64(kLinear) == 0x1111'2222'3333'4444ull); // stale without INVEPT
    g.mem.invept(1, g.ept.eptp());
    CHECK(g.read64(kLinear) == 0x99);
    // Write-protecting through EPT is visible to writes only after INVEPT as well.
    const uint64_t v = 5;
    REQUIRE_FALSE(g.mem.write(g.s, Gva(kLinear), &v, 8)); // fills a writable entry
    g.ept.map(kDataGpa, kDataHpa + 0x1'0000, ER);
    CHECK_FALSE(g.mem.write(g.s, Gva(kLinear), &v, 8));
    g.mem.invept(2, 0);
    CHECK(cpu::is_vm_exit(g.mem.write(g.s, Gva(kLinear), &v, 8)));
}

TEST_CASE("EPT write rights are part of the cached rights", "[ept]") {
    EptGuest g(P | RW | US | A | D, ER | EX);
    g.enter(1);
    touch(g, kLinear); // a readable combined mapping is cached
    const uint64_t v = 5;
    // The TLB hit cannot allow the write: the walk repeats and EPT refuses it.
    CHECK(cpu::is_vm_exit(g.mem.write(g.s, Gva(kLinear), &v, 8)));
    cpu::vmx::ExitInfo x;
    CHECK(g.mem.take_ept_exit(x));
    CHECK(g.bus.read(Hpa(kDataHpa), 8) == 0x1111'2222'3333'4444ull);
}

TEST_CASE("EPT dirty flag: a write after a read sets it (the TLB entry is not dirty)", "[ept]") {
    EptGuest g;
    g.enter(1, true);
    touch(g, kLinear);
    CHECK((g.ept.entry(kDataGpa, 1) & (EA | ED)) == EA);
    const uint64_t v = 5;
    REQUIRE_FALSE(g.mem.write(g.s, Gva(kLinear), &v, 8));
    CHECK((g.ept.entry(kDataGpa, 1) & (EA | ED)) == (EA | ED));
}

TEST_CASE("INVLPG, MOV CR3 and INVPCID in VMX non-root operation act on the current VPID only, "
          "for every EP4TA",
          "[ept][vpid]") {
    EptGuest g;
    EptTables other(g.bus, 0xA0'0000);
    other.identity(0x10'0000, g.pt.next - 0x10'0000);
    other.map(kDataGpa, kDataHpa, ERWX);
    g.mem.set_guest_context(1, true, g.ept.eptp());
    touch(g, kLinear);
    g.mem.set_guest_context(2, true, g.ept.eptp());
    touch(g, kLinear);
    g.mem.set_guest_context(2, true, other.eptp());
    touch(g, kLinear);
    REQUIRE(g.mem.tlb().count_valid() == 3);
    SECTION("INVLPG") {
        g.mem.invlpg(g.s, Gva(kLinear));
    }
    SECTION("MOV CR3") {
        g.mem.cr3_written(g.s, false);
    }
    SECTION("INVPCID single context") {
        g.mem.invpcid(g.s, 1, 0, Gva(0));
    }
    CHECK(g.mem.tlb().count_valid() == 1);
    CHECK(cached(g.mem, 1, kLinear, true));
}

TEST_CASE("Without EPT and VPID nothing changes: no exits, VPID 0 tags", "[ept][vpid]") {
    EptGuest g;
    g.mem.set_guest_context(0, false, 0);
    CHECK(g.read64(kLinear) == 0);
    cpu::vmx::ExitInfo x;
    CHECK_FALSE(g.mem.take_ept_exit(x));
    CHECK(cached(g.mem, 0, kLinear, false));
    CHECK_FALSE(g.mem.ept_active());
    g.enter(3, true);
    CHECK(g.mem.ept_active());
    CHECK(g.mem.eptp() == g.ept.eptp(true));
}

TEST_CASE("Whole-VPID invalidation is a generation bump: old entries never match and free "
          "their ways",
          "[ept][vpid]") {
    EptGuest g;
    g.mem.set_guest_context(0, false, 0);
    CHECK(g.read64(kLinear) == 0);
    REQUIRE(cached(g.mem, 0, kLinear, false));
    const uint32_t gen = g.mem.tlb().generation(0);
    g.bus.write(Hpa(kDataGpa + 0x1000), 8, 0x77);
    g.pt.map(kLinear, kDataGpa + 0x1000, P | RW | US | A | D); // remapped, no INVLPG
    // The VPID-0000H flush of a VM entry or exit without VPID.
    g.mem.invvpid(1, 0, Gva(0));
    CHECK(g.mem.tlb().generation(0) == gen + 1);
    CHECK_FALSE(cached(g.mem, 0, kLinear, false));
    CHECK(g.mem.tlb().count_valid() == 0);
    CHECK(g.read64(kLinear) == 0x77); // a fresh walk, under the new generation
    CHECK(g.mem.tlb().count_valid() == 1);
    // Other VPIDs keep their generation and entries.
    g.mem.set_guest_context(5, false, 0);
    CHECK(g.read64(kLinear) == 0x77);
    g.mem.invvpid(1, 0, Gva(0));
    CHECK(cached(g.mem, 5, kLinear, false));
    CHECK(g.mem.tlb().generation(5) == 0);
}

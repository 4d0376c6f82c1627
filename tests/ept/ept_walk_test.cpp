// The EPT walker on its own: permissions, large pages, misconfigurations, A/D flags, memory
// types (SDM Vol. 3C, "EPT Translation Mechanism", "EPT Misconfigurations", "EPT Violations",
// "Accessed and Dirty Flags for EPT", "EPT and Memory Typing").
#include "cpu/vmx/capabilities.hpp"
#include "mmu/ept_walk.hpp"
#include "tests/ept/ept_tables.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using mmu::Access;
using mmu::EptMisconfig;
using mmu::EptStop;

namespace {

mmu::EptWalkRecord walk(mmu::PhysBus& bus, uint64_t eptp, uint64_t gpa, Access kind,
                        bool paging_structure = false) {
    return mmu::ept_walk(bus, mmu::EptPointer{eptp}, Gpa(gpa), {kind, paging_structure});
}

} // namespace

TEST_CASE("EPT walk translates a 4 KiB page and records every level", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    ept.map(0x20'3000, 0x60'5000, ERWX);
    const auto w = walk(bus, ept.eptp(), 0x20'3ABC, Access::Read);
    REQUIRE(w.ok());
    CHECK(w.physical.value == 0x60'5ABC);
    CHECK(w.page_size == 0x1000);
    REQUIRE(w.depth == 4);
    for (unsigned i = 0; i < 4; ++i)
        CHECK(w.steps[i].level == 4 - i);
    CHECK(w.steps[0].entry_addr.value == ept.root);
    CHECK(w.steps[3].entry_addr.value == ept.entry_addr(0x20'3000, 1));
    CHECK(w.memory_type == 6);
    CHECK_FALSE(w.ignore_pat);
}

TEST_CASE("EPT leaf permission combinations: not present, misconfigured or rights", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    for (uint64_t rwx = 0; rwx < 8; ++rwx) {
        INFO("bits 2:0 = " << rwx);
        ept.map(0x20'0000, 0x60'0000, rwx);
        for (Access k : {Access::Read, Access::Write, Access::Execute}) {
            const auto w = walk(bus, ept.eptp(), 0x20'0010, k);
            if (rwx == 0) {
                CHECK(w.stop == EptStop::NotPresent);
                CHECK(w.stop_level == 1);
                CHECK((!w.rights.read && !w.rights.write && !w.rights.execute));
            } else if ((rwx & 3) == 2) {
                CHECK(w.stop == EptStop::Misconfigured);
                CHECK(w.misconfig == EptMisconfig::WriteWithoutRead);
            } else if (rwx == 4) {
                // Execute-only is not advertised (IA32_VMX_EPT_VPID_CAP bit 0 = 0).
                CHECK(w.stop == EptStop::Misconfigured);
                CHECK(w.misconfig == EptMisconfig::ExecuteOnly);
            } else {
                const bool allowed = k == Access::Read    ? (rwx & 1)
                                     : k == Access::Write ? (rwx & 2)
                                                          : (rwx & 4);
                CHECK(w.ok() == allowed);
                CHECK(w.stop == (allowed ? EptStop::Translated : EptStop::Denied));
                CHECK(w.rights.read == bool(rwx & 1));
                CHECK(w.rights.write == bool(rwx & 2));
                CHECK(w.rights.execute == bool(rwx & 4));
            }
        }
    }
}

TEST_CASE("EPT rights are the AND over every level", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    ept.map(0x20'0000, 0x60'0000, ERWX);
    // The PDE pointing at the page table allows read and execute only.
    ept.set_entry(0x20'0000, 2, ept.entry(0x20'0000, 2) & ~EW);
    auto w = walk(bus, ept.eptp(), 0x20'0000, Access::Write);
    CHECK(w.stop == EptStop::Denied);
    CHECK(w.rights.read);
    CHECK_FALSE(w.rights.write);
    CHECK(w.rights.execute);
    CHECK(walk(bus, ept.eptp(), 0x20'0000, Access::Execute).ok());
    // A non-present PML4E stops the walk at level 4.
    bus.write(Hpa(ept.root), 8, 0);
    w = walk(bus, ept.eptp(), 0x20'0000, Access::Read);
    CHECK(w.stop == EptStop::NotPresent);
    CHECK(w.stop_level == 4);
    CHECK(w.depth == 1);
}

TEST_CASE("EPT 2 MiB and 1 GiB pages", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    ept.map(0x4000'0000, 0x20'0000, ERWX, 2); // 2 MiB at GPA 1 GiB
    auto w = walk(bus, ept.eptp(), 0x401F'F123, Access::Read);
    REQUIRE(w.ok());
    CHECK(w.page_size == 0x20'0000);
    CHECK(w.physical.value == 0x3F'F123);
    CHECK(w.depth == 3);
    ept.map(0x80'0000'0000, 0x4000'0000, ERWX, 3); // 1 GiB at GPA 512 GiB
    w = walk(bus, ept.eptp(), 0x80'1234'5678, Access::Write);
    REQUIRE(w.ok());
    CHECK(w.page_size == 0x4000'0000);
    CHECK(w.physical.value == 0x5234'5678);
    CHECK(w.depth == 2);
}

TEST_CASE("EPT misconfigurations: reserved bits and memory types", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    const auto misconfig = [&](uint64_t gpa) {
        const auto w = walk(bus, ept.eptp(), gpa, Access::Read);
        return w.stop == EptStop::Misconfigured ? w.misconfig : EptMisconfig::None;
    };
    SECTION("2 MiB page with bits 20:12 set") {
        ept.map(0x4000'0000, 0x20'0000 | 0x1000, ERWX, 2);
        CHECK(misconfig(0x4000'0000) == EptMisconfig::ReservedBit);
    }
    SECTION("1 GiB page with bits 29:12 set") {
        ept.map(0x80'0000'0000, 0x4000'0000 | 0x20'0000, ERWX, 3);
        CHECK(misconfig(0x80'0000'0000) == EptMisconfig::ReservedBit);
    }
    SECTION("PML4E with bit 7 set") {
        ept.map(0x20'0000, 0x60'0000, ERWX);
        bus.write(Hpa(ept.root), 8, bus.read(Hpa(ept.root), 8) | EPS);
        CHECK(misconfig(0x20'0000) == EptMisconfig::ReservedBit);
    }
    SECTION("non-leaf entry with bits 6:3 set (a memory type where none belongs)") {
        ept.map(0x20'0000, 0x60'0000, ERWX);
        ept.set_entry(0x20'0000, 2, ept.entry(0x20'0000, 2) | mt(6));
        CHECK(misconfig(0x20'0000) == EptMisconfig::ReservedBit);
    }
    SECTION("address bit above MAXPHYADDR (39)") {
        ept.map(0x20'0000, 0x60'0000 | (uint64_t{1} << 39), ERWX);
        CHECK(misconfig(0x20'0000) == EptMisconfig::ReservedBit);
    }
    SECTION("leaf memory types 2, 3 and 7 are reserved; 0, 1, 4, 5, 6 are not") {
        for (uint64_t type = 0; type < 8; ++type) {
            INFO("memory type " << type);
            ept.map(0x20'0000, 0x60'0000, ERWX, 1, mt(type));
            const bool reserved = type == 2 || type == 3 || type == 7;
            CHECK(misconfig(0x20'0000) ==
                  (reserved ? EptMisconfig::MemoryType : EptMisconfig::None));
        }
    }
    SECTION("a misconfiguration wins over a permission violation") {
        // SDM Vol. 3C, "EPT Violations": only an access whose translation causes no EPT
        // misconfiguration can be an EPT violation.
        ept.map(0x20'0000, 0x60'0000, ERWX, 1, mt(2));
        ept.set_entry(0x20'0000, 3, ept.entry(0x20'0000, 3) & ~EW); // PDPTE: no write
        const auto w = walk(bus, ept.eptp(), 0x20'0000, Access::Write);
        CHECK(w.stop == EptStop::Misconfigured);
        CHECK(w.misconfig == EptMisconfig::MemoryType);
    }
    SECTION("an X-only upper entry is misconfigured (execute-only not advertised)") {
        ept.map(0x20'0000, 0x60'0000, ERWX);
        ept.set_entry(0x20'0000, 3, ept.entry(0x20'0000, 3) & ~(ER | EW));
        const auto w = walk(bus, ept.eptp(), 0x20'0000, Access::Execute);
        CHECK(w.misconfig == EptMisconfig::ExecuteOnly);
        CHECK(w.stop_level == 3);
    }
    SECTION("bits 62:52, 63 and 11:10 are ignored") {
        ept.map(0x20'0000, 0x60'0000 | (uint64_t{0xFFF} << 52) | 0xC00, ERWX);
        CHECK(walk(bus, ept.eptp(), 0x20'0000, Access::Read).ok());
    }
}

TEST_CASE("EPT A/D flags: A on every entry used, D on the leaf for writes, only if EPTP[6]",
          "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    ept.map(0x20'0000, 0x60'0000, ERWX);
    const auto flags = [&](unsigned level) { return ept.entry(0x20'0000, level) & (EA | ED); };
    REQUIRE(walk(bus, ept.eptp(false), 0x20'0000, Access::Write).ok());
    for (unsigned l = 1; l <= 4; ++l)
        CHECK(flags(l) == 0);
    REQUIRE(walk(bus, ept.eptp(true), 0x20'0000, Access::Read).ok());
    for (unsigned l = 1; l <= 4; ++l)
        CHECK(flags(l) == EA);
    auto w = walk(bus, ept.eptp(true), 0x20'0000, Access::Write);
    REQUIRE(w.ok());
    CHECK(w.dirty);
    CHECK(flags(1) == (EA | ED));
    for (unsigned l = 2; l <= 4; ++l)
        CHECK(flags(l) == EA);
    // A refused access sets nothing.
    ept.map(0x20'1000, 0x60'1000, ER);
    CHECK(walk(bus, ept.eptp(true), 0x20'1000, Access::Write).stop == EptStop::Denied);
    CHECK((ept.entry(0x20'1000, 1) & (EA | ED)) == 0);
    // Side-effect-free walks leave the flags alone.
    ept.map(0x20'2000, 0x60'2000, ERWX);
    mmu::ept_walk(bus, mmu::EptPointer{ept.eptp(true)}, Gpa(0x20'2000), {Access::Write},
                  {.set_accessed_dirty = false, .check_rights = true});
    CHECK((ept.entry(0x20'2000, 1) & (EA | ED)) == 0);
}

TEST_CASE("Guest paging-structure accesses count as EPT writes only with A/D flags on", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    EptTables ept(bus);
    ept.map(0x10'0000, 0x10'0000, ER); // a read-only guest page table
    auto w = walk(bus, ept.eptp(false), 0x10'0000, Access::Read, true);
    CHECK(w.ok());
    CHECK_FALSE(w.as_write);
    w = walk(bus, ept.eptp(true), 0x10'0000, Access::Read, true);
    CHECK(w.stop == EptStop::Denied);
    CHECK(w.as_write);
    ept.map(0x10'0000, 0x10'0000, ER | EW);
    w = walk(bus, ept.eptp(true), 0x10'0000, Access::Read, true);
    REQUIRE(w.ok());
    CHECK((ept.entry(0x10'0000, 1) & ED) == ED); // and the EPT dirty flag is set
}

TEST_CASE("Effective memory type of an access through EPT", "[ept]") {
    using namespace mmu::memory_type;
    // IPAT: the EPT type alone.
    CHECK(mmu::effective_memory_type(false, WT, true, UC) == WT);
    // CR0.CD = 1: UC whatever the rest.
    CHECK(mmu::effective_memory_type(true, WB, true, WB) == UC);
    // Combined as the MTRR type is (SDM Vol. 3A, "Selecting Memory Types for Pentium III and
    // More Recent Processor Families").
    CHECK(mmu::effective_memory_type(false, WB, false, WB) == WB);
    CHECK(mmu::effective_memory_type(false, WB, false, UCMinus) == UC);
    CHECK(mmu::effective_memory_type(false, WC, false, UCMinus) == WC);
    CHECK(mmu::effective_memory_type(false, UC, false, WC) == WC);
    CHECK(mmu::effective_memory_type(false, WB, false, WT) == WT);
    CHECK(mmu::effective_memory_type(false, WC, false, WT) == UC);
    CHECK(mmu::effective_memory_type(false, WT, false, WP) == WP);
    CHECK(mmu::effective_memory_type(false, WP, false, WB) == WP);
    CHECK(mmu::effective_memory_type(false, UC, false, WB) == UC);
}

TEST_CASE("IA32_VMX_EPT_VPID_CAP advertises what the EPT walker implements", "[ept]") {
    const auto& caps = cpu::vmx::hvlab_vmx_capabilities().ept_vpid;
    CHECK(caps.execute_only == mmu::kEptExecuteOnly);
    CHECK(caps.page_walk_length_4);
    CHECK(caps.memory_type_uc);
    CHECK(caps.memory_type_wb);
    CHECK(caps.pde_2mb_pages);
    CHECK(caps.pdpte_1gb_pages);
    CHECK(caps.accessed_dirty_flags);
    CHECK(caps.invept_single_context);
    CHECK(caps.invept_all_context);
    CHECK(caps.invvpid_individual_address);
    CHECK(caps.invvpid_single_context);
    CHECK(caps.invvpid_all_context);
    CHECK(caps.invvpid_single_context_retaining_globals);
}

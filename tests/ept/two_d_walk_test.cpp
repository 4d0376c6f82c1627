// LinearMemory under EPT: the 2D walk, EPT-violation and misconfiguration exits with their
// qualification and address fields (SDM Vol. 3C, "Guest-Physical Address Translation", "Exit
// Qualification for EPT Violations", "Information for VM Exits Due to EPT Violations").
#include "cpu/system.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "tests/ept/ept_guest.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;
using cpu::AccessKind;

namespace {

constexpr uint64_t kQRead = 1, kQWrite = 2, kQFetch = 4, kQReadable = 8, kQWritable = 0x10,
                   kQExecutable = 0x20, kQLinearValid = 0x80, kQTranslation = 0x100;
constexpr uint32_t kViolation = static_cast<uint32_t>(cpu::vmx::ExitReason::EptViolation);
constexpr uint32_t kMisconfig = static_cast<uint32_t>(cpu::vmx::ExitReason::EptMisconfiguration);

cpu::vmx::ExitInfo take_exit(cpu::LinearMemory& mem) {
    cpu::vmx::ExitInfo x;
    REQUIRE(mem.take_ept_exit(x));
    cpu::vmx::ExitInfo again;
    CHECK_FALSE(mem.take_ept_exit(again)); // taken once
    return x;
}

} // namespace

TEST_CASE("Accesses under EPT reach the host-physical page", "[ept]") {
    EptGuest g;
    g.enter();
    cpu::Fault f;
    CHECK(g.read64(kLinear, &f) == 0x1111'2222'3333'4444ull);
    CHECK_FALSE(f);
    const auto t = g.mem.translate(g.s, Gva(kLinear + 0x123), AccessKind::Write);
    REQUIRE_FALSE(t.fault);
    CHECK(t.physical.value == kDataHpa + 0x123);
    const uint64_t v = 0xABCD;
    REQUIRE_FALSE(g.mem.write(g.s, Gva(kLinear + 8), &v, 8));
    CHECK(g.bus.read(Hpa(kDataHpa + 8), 8) == 0xABCD);
    CHECK(g.bus.read(Hpa(kDataGpa + 8), 8) == 0); // not the guest-physical address
    cpu::vmx::ExitInfo x;
    CHECK_FALSE(g.mem.take_ept_exit(x));
}

TEST_CASE("EPT violation on the final access: qualification bits 0-8 and addresses", "[ept]") {
    SECTION("read of a page that EPT does not map") {
        EptGuest g(P | RW | US | A | D, 0);
        g.enter();
        cpu::Fault f;
        g.read64(kLinear + 0x10, &f);
        REQUIRE(cpu::is_vm_exit(f));
        const auto x = take_exit(g.mem);
        CHECK(x.reason == kViolation);
        CHECK(x.qualification == (kQRead | kQLinearValid | kQTranslation));
        CHECK(x.guest_physical == kDataGpa + 0x10);
        CHECK(x.guest_linear == kLinear + 0x10);
    }
    SECTION("write to a read/execute page: nothing is written") {
        EptGuest g(P | RW | US | A | D, ER | EX);
        g.enter();
        const uint64_t v = 0xFF;
        REQUIRE(cpu::is_vm_exit(g.mem.write(g.s, Gva(kLinear), &v, 8)));
        const auto x = take_exit(g.mem);
        CHECK(x.qualification ==
              (kQWrite | kQReadable | kQExecutable | kQLinearValid | kQTranslation));
        CHECK(g.bus.read(Hpa(kDataHpa), 8) == 0x1111'2222'3333'4444ull);
    }
    SECTION("instruction fetch from a read/write page") {
        EptGuest g(P | RW | US | A | D, ER | EW);
        g.enter();
        const auto t = g.mem.translate(g.s, Gva(kLinear), AccessKind::Execute);
        REQUIRE(cpu::is_vm_exit(t.fault));
        CHECK(take_exit(g.mem).qualification ==
              (kQFetch | kQReadable | kQWritable | kQLinearValid | kQTranslation));
    }
    SECTION(
        "a misconfigured leaf is an EPT misconfiguration exit with the guest-physical address") {
        EptGuest g(P | RW | US | A | D, EW); // write without read
        g.enter();
        cpu::Fault f;
        g.read64(kLinear + 8, &f);
        REQUIRE(cpu::is_vm_exit(f));
        const auto x = take_exit(g.mem);
        CHECK(x.reason == kMisconfig);
        CHECK(x.guest_physical == kDataGpa + 8);
        CHECK(x.qualification == 0);
    }
}

TEST_CASE("2D walk: a guest PTE behind an EPT-unmapped page is a violation with bit 8 = 0",
          "[ept]") {
    for (bool ad : {false, true}) {
        INFO("EPT A/D flags " << ad);
        EptGuest g;
        const uint64_t pt_page = g.guest_table_gpa(kLinear, 1);
        g.ept.map(pt_page, 0, 0);
        g.enter(1, ad);
        cpu::Fault f;
        g.read64(kLinear, &f);
        REQUIRE(cpu::is_vm_exit(f));
        const auto x = take_exit(g.mem);
        CHECK(x.reason == kViolation);
        // With A/D flags on, paging-structure accesses are writes: bits 0 and 1 both set.
        CHECK(x.qualification == (kQRead | (ad ? kQWrite : 0) | kQLinearValid));
        CHECK(x.guest_physical == g.guest_entry_gpa(kLinear, 1));
        CHECK(x.guest_linear == kLinear);
    }
}

TEST_CASE("2D walk: read-only guest page tables are enough without EPT A/D flags", "[ept]") {
    EptGuest g;
    for (unsigned level = 1; level <= 4; ++level)
        g.ept.map(g.guest_table_gpa(kLinear, level), g.guest_table_gpa(kLinear, level), ER);
    // Guest entries already have A set where the walk needs it? The upper ones do not: A/D
    // updates are writes, so first give every level its A flag.
    for (unsigned level = 2; level <= 4; ++level)
        g.pt.set_entry(kLinear, level, g.pt.entry(kLinear, level) | A);
    SECTION("A/D off: reads of guest entries are reads") {
        g.enter(1, false);
        cpu::Fault f;
        CHECK(g.read64(kLinear, &f) == 0x1111'2222'3333'4444ull);
        CHECK_FALSE(f);
    }
    SECTION("A/D on: the same walk needs write permission on the guest tables") {
        g.enter(1, true);
        cpu::Fault f;
        g.read64(kLinear, &f);
        REQUIRE(cpu::is_vm_exit(f));
        const auto x = take_exit(g.mem);
        CHECK(x.qualification == (kQRead | kQWrite | kQReadable | kQLinearValid));
        CHECK(x.guest_physical == g.guest_entry_gpa(kLinear, 4)); // the PML4E, first used
    }
}

TEST_CASE("2D walk: guest A/D updates are EPT data writes and are all-or-nothing", "[ept]") {
    EptGuest g(P | RW | US); // leaf without A and D
    const uint64_t pt_page = g.guest_table_gpa(kLinear, 1);
    g.ept.map(pt_page, pt_page, ER | EX);
    g.enter(1, false);
    const uint64_t pml4e = g.pt.entry(kLinear, 4), pte = g.pt.entry(kLinear, 1);
    cpu::Fault f;
    g.read64(kLinear, &f);
    REQUIRE(cpu::is_vm_exit(f));
    const auto x = take_exit(g.mem);
    CHECK(x.qualification == (kQWrite | kQReadable | kQExecutable | kQLinearValid));
    CHECK(x.guest_physical == g.guest_entry_gpa(kLinear, 1));
    // No level got its A flag: the refused update was checked before any store.
    CHECK(g.pt.entry(kLinear, 4) == pml4e);
    CHECK(g.pt.entry(kLinear, 1) == pte);
    // With the table writable the same read sets A everywhere.
    g.ept.map(pt_page, pt_page, ERWX);
    g.mem.invept(2, 0);
    CHECK(g.read64(kLinear, &f) == 0x1111'2222'3333'4444ull);
    CHECK_FALSE(f);
    CHECK((g.pt.entry(kLinear, 1) & A) == A);
    CHECK((g.pt.entry(kLinear, 4) & A) == A);
}

TEST_CASE(
    "2D walk ordering: EPT exits on table accesses before #PF, #PF before the final EPT check",
    "[ept]") {
    SECTION("guest leaf not present: #PF, no EPT exit") {
        EptGuest g(0, 0);
        g.enter();
        cpu::Fault f;
        g.read64(kLinear, &f);
        CHECK(f.vector == cpu::PF);
        cpu::vmx::ExitInfo x;
        CHECK_FALSE(g.mem.take_ept_exit(x));
    }
    SECTION("guest leaf not present behind an EPT-unmapped table: the EPT exit") {
        EptGuest g(0, 0);
        g.ept.map(g.guest_table_gpa(kLinear, 1), 0, 0);
        g.enter();
        cpu::Fault f;
        g.read64(kLinear, &f);
        CHECK(cpu::is_vm_exit(f));
        CHECK(take_exit(g.mem).guest_physical == g.guest_entry_gpa(kLinear, 1));
    }
    SECTION("guest write-protection fault on an EPT-unmapped page: #PF") {
        EptGuest g(P | US | A | D, 0);
        g.enter();
        g.s.cr0 |= cpu::cr0::WP;
        const uint64_t v = 1;
        CHECK(g.mem.write(g.s, Gva(kLinear), &v, 8).vector == cpu::PF);
    }
}

TEST_CASE("walk_2d: the guest walk and every EPT walk, without side effects", "[ept]") {
    EptGuest g(P | RW | US); // leaf A/D clear: a walk with side effects would set them
    g.enter(1, true);
    const uint64_t pte = g.pt.entry(kLinear, 1);
    const uint64_t ept_pte = g.ept.entry(kDataGpa, 1);
    const auto r = g.mem.walk_2d(g.s, Gva(kLinear + 0x42), AccessKind::Write);
    REQUIRE(r.ept);
    REQUIRE(r.ok());
    CHECK(r.guest.depth == 4);
    for (unsigned i = 0; i < 4; ++i) {
        INFO("step " << i);
        CHECK(r.step_walked[i]);
        CHECK(r.step_ept[i].gpa.value == r.guest.steps[i].entry_addr.value);
        CHECK(r.step_ept[i].ok());
        CHECK(r.guest.steps[i].entry_host.value == r.step_ept[i].physical.value);
    }
    REQUIRE(r.final_walked);
    CHECK(r.final_ept.gpa.value == kDataGpa + 0x42);
    CHECK(r.host_physical.value == kDataHpa + 0x42);
    CHECK(r.memory_type == mmu::memory_type::WB); // EPT WB, guest PAT entry 0 = WB
    CHECK(g.pt.entry(kLinear, 1) == pte);
    CHECK(g.ept.entry(kDataGpa, 1) == ept_pte);
    cpu::vmx::ExitInfo x;
    CHECK_FALSE(g.mem.take_ept_exit(x));
    CHECK(g.mem.tlb().count_valid() == 0);

    SECTION("a refused table access is shown, not reported") {
        g.ept.map(g.guest_table_gpa(kLinear, 2), 0, 0);
        const auto q = g.mem.walk_2d(g.s, Gva(kLinear));
        CHECK(q.guest.stop == mmu::WalkStop::GpaRefused);
        CHECK(q.guest.stop_level == 2);
        CHECK(q.step_ept[2].stop == mmu::EptStop::NotPresent);
        CHECK_FALSE(q.final_walked);
        CHECK_FALSE(q.ok());
        CHECK_FALSE(g.mem.take_ept_exit(x));
    }
    SECTION("IPAT and the guest PAT give the effective memory type") {
        g.ept.map(kDataGpa, kDataHpa, ERWX, 1, mt(mmu::memory_type::WT) | kIpat);
        CHECK(g.mem.walk_2d(g.s, Gva(kLinear)).memory_type == mmu::memory_type::WT);
        g.ept.map(kDataGpa, kDataHpa, ERWX, 1, mt(mmu::memory_type::WB));
        g.pt.map(kLinear, kDataGpa, P | RW | US | 0x18); // PCD + PWT: PAT entry 3 = UC
        CHECK(g.mem.walk_2d(g.s, Gva(kLinear)).memory_type == mmu::memory_type::UC);
    }
}

TEST_CASE("walk_2d without EPT is the plain walk", "[ept]") {
    EptGuest g;
    const auto r = g.mem.walk_2d(g.s, Gva(kLinear + 4));
    CHECK_FALSE(r.ept);
    CHECK(r.ok());
    CHECK(r.host_physical.value == kDataGpa + 4);
}

TEST_CASE("peek and the inspector walk see through EPT", "[ept]") {
    EptGuest g;
    g.enter();
    uint64_t v = 0;
    REQUIRE(g.mem.peek(g.s, Gva(kLinear), &v, 8));
    CHECK(v == 0x1111'2222'3333'4444ull);
    CHECK(g.mem.walk(g.s, Gva(kLinear), AccessKind::Read).physical.value == kDataGpa);
    g.ept.map(kDataGpa, 0, 0);
    CHECK_FALSE(g.mem.peek(g.s, Gva(kLinear), &v, 8));
    cpu::vmx::ExitInfo x;
    CHECK_FALSE(g.mem.take_ept_exit(x));
}

TEST_CASE("guest_physical_to_host: identity without EPT, EPT exits with bit 7 clear", "[ept]") {
    EptGuest g;
    Hpa out;
    REQUIRE_FALSE(g.mem.guest_physical_to_host(Gpa(0x12'3456), AccessKind::Read, out));
    CHECK(out.value == 0x12'3456);
    g.enter();
    REQUIRE_FALSE(g.mem.guest_physical_to_host(Gpa(kDataGpa + 0x20), AccessKind::Read, out));
    CHECK(out.value == kDataHpa + 0x20);
    g.ept.map(kDataGpa, 0, 0);
    g.mem.invept(1, g.ept.eptp());
    REQUIRE(
        cpu::is_vm_exit(g.mem.guest_physical_to_host(Gpa(kDataGpa + 0x20), AccessKind::Read, out)));
    const auto x = take_exit(g.mem);
    CHECK(x.reason == kViolation);
    CHECK(x.qualification == kQRead); // no guest-linear address: a PDPTE load
    CHECK(x.guest_physical == kDataGpa + 0x20);
}

TEST_CASE("CR0.PG = 0 under EPT: the linear address is guest-physical", "[ept]") {
    EptGuest g;
    g.enter();
    g.s.cr0 &= ~cpu::cr0::PG;
    const auto t = g.mem.translate(g.s, Gva(kDataGpa + 8), AccessKind::Read);
    REQUIRE_FALSE(t.fault);
    CHECK(t.physical.value == kDataHpa + 8);
    g.ept.map(kDataGpa, 0, 0);
    REQUIRE(cpu::is_vm_exit(g.mem.translate(g.s, Gva(kDataGpa), AccessKind::Read).fault));
    CHECK(take_exit(g.mem).qualification == (kQRead | kQLinearValid | kQTranslation));
}

TEST_CASE("EPT violation of an IRET that unblocked NMIs sets qualification bit 12", "[ept]") {
    EptGuest g(P | RW | US | A | D, 0);
    g.enter();
    g.s.vmx.nmi_unblocked_by_iret = true;
    cpu::Fault f;
    g.read64(kLinear, &f);
    REQUIRE(cpu::is_vm_exit(f));
    CHECK(take_exit(g.mem).qualification == (0x1000 | kQRead | kQLinearValid | kQTranslation));
    // Undefined while an event is being delivered: hvlab writes 0.
    g.s.vmx.idt_vectoring_info = 0x8000'0B0E;
    g.read64(kLinear, &f);
    REQUIRE(cpu::is_vm_exit(f));
    CHECK(take_exit(g.mem).qualification == (kQRead | kQLinearValid | kQTranslation));
}

namespace {

struct NoDevices : cpu::CpuEnv {
    uint32_t port_in(uint16_t, unsigned) override { return 0xFFFF'FFFF; }
    void port_out(uint16_t, unsigned, uint32_t) override {}
};

} // namespace

TEST_CASE("PAE PDPTE loads by MOV CR3 go through EPT and are reads (bit 7 clear)", "[ept]") {
    mmu::PhysBus bus(16 << 20);
    PageTables pt(bus, PageTables::Pae);
    pt.map(0x40'0000, kDataGpa, P | RW | A | D);
    EptTables ept(bus);
    ept.identity(0x10'0000, pt.next - 0x10'0000);
    cpu::LinearMemory mem(bus);
    NoDevices env;
    cpu::CpuState s = pt.state(0);
    cpu::SystemContext c{s, mem, env, 0};
    // The guest's PDPT at guest-physical 0x30'0000 is host page 0x70'0000 (read-only).
    const uint64_t pdpt_gpa = 0x30'0000, pdpt_hpa = 0x70'0000;
    for (unsigned i = 0; i < 4; ++i)
        bus.write(Hpa(pdpt_hpa + 8 * i), 8, bus.read(Hpa(pt.root + 8 * i), 8));
    ept.map(pdpt_gpa, pdpt_hpa, ER);
    mem.set_guest_context(1, true, ept.eptp(true));
    s.pdpte = {};
    REQUIRE_FALSE(cpu::write_cr3(c, pdpt_gpa));
    CHECK(s.pdpte[0] == bus.read(Hpa(pt.root), 8)); // read from the host page
    CHECK(s.pdpte[0] != 0);
    ept.map(pdpt_gpa, 0, 0);
    mem.invept(2, 0);
    const cpu::Fault f = cpu::write_cr3(c, pdpt_gpa + 0x20);
    REQUIRE(cpu::is_vm_exit(f));
    const auto x = take_exit(mem);
    CHECK(x.reason == kViolation);
    CHECK(x.qualification == kQRead); // even with EPT A/D on: a read, no linear address
    CHECK(x.guest_physical == pdpt_gpa + 0x20);
    CHECK(s.cr3 == pdpt_gpa); // MOV CR3 did not complete
}

TEST_CASE("2D walk with 32-bit and PAE guest paging", "[ept]") {
    for (auto kind : {PageTables::Bits32, PageTables::Pae}) {
        INFO("guest paging " << (kind == PageTables::Pae ? "PAE" : "32-bit"));
        mmu::PhysBus bus(16 << 20);
        PageTables pt(bus, kind);
        pt.map(0x40'0000, kDataGpa, P | RW | A | D);
        EptTables ept(bus);
        ept.identity(0x10'0000, pt.next - 0x10'0000);
        ept.map(kDataGpa, kDataHpa, ERWX);
        bus.write(Hpa(kDataHpa + 4), 4, 0x5EED);
        cpu::LinearMemory mem(bus);
        const cpu::CpuState s = pt.state(0);
        mem.set_guest_context(1, true, ept.eptp());
        uint32_t v = 0;
        REQUIRE_FALSE(mem.read(s, Gva(0x40'0004), &v, 4));
        CHECK(v == 0x5EED);
        const auto r = mem.walk_2d(s, Gva(0x40'0004));
        CHECK(r.ok());
        // PAE's PDPTE comes from a register: no EPT walk for it.
        CHECK(r.step_walked[0] == (kind != PageTables::Pae));
        // The page table behind an EPT-unmapped page: the entry's own address is reported.
        const uint64_t pte_gpa = pt.entry_addr(0x40'0000, 1);
        ept.map(pte_gpa & ~0xFFFull, 0, 0);
        mem.invept(2, 0);
        REQUIRE(cpu::is_vm_exit(mem.read(s, Gva(0x40'0004), &v, 4)));
        const auto x = take_exit(mem);
        CHECK(x.qualification == (kQRead | kQLinearValid));
        CHECK(x.guest_physical == pte_gpa);
        CHECK(x.guest_linear == 0x40'0004);
    }
}

// Audit of the paging layer against the SDM (Dec 2023, Order 325462-081): Vol. 3A ch. 4
// "Paging" and ch. 2 "System Architecture Overview" (control registers). One TEST_CASE per
// rule; each comment names the SDM section and what hvlab did wrong before the fix (or that the
// test only adds coverage of a rule nothing tested).
#include "../cpu/cpu_fixture.hpp"
#include "cpu/linear_memory_paging.hpp"
#include "mmu/page_walk.hpp"
#include "tests/mmu/page_tables.hpp"
#include "tests/system/system_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::cpu;
using hvlab::test::PageTables;
using hvlab::test::SystemFixture;

namespace {

constexpr uint64_t kP = hvlab::test::P, kRW = hvlab::test::RW;
using Fixture32 = hvlab::cpu::test::CpuFixture;

bool is_gp0(Fault f) {
    return f.vector == GP && f.has_error_code && f.error_code == 0;
}

// PAE paging (CR0.PG = 1, CR4.PAE = 1, EFER.LME = 0) in a SystemFixture, 32-bit code, with
// 0x1000 -> 0x5000 mapped. Returns the PDPT's address (CR3).
uint64_t enter_pae(SystemFixture& f, PageTables& pae) {
    pae.next = 0x40'0000;
    pae.root = pae.alloc();
    pae.map(0x1000, 0x5000, kP | kRW);
    f.s = pae.state(0);
    f.s.seg[CS] = {hvlab::test::sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
    f.mem.flush_all();
    return pae.root;
}

} // namespace

// SDM Vol. 3A, 4.4.1 "PDPTE Registers": "If PAE paging would be in use following an execution
// of MOV to CR0 or MOV to CR4 and the instruction is modifying any of CR0.CD, CR0.NW, CR0.PG,
// CR4.PAE, CR4.PGE, CR4.PSE, or CR4.SMEP; then the PDPTEs are loaded from the address in CR3"
// (and a reserved bit in a present one is #GP(0), Vol. 2B MOV CR). Before the fix MOV to CR0
// reloaded them only when it set PG: toggling CD or NW under PAE paging kept the old PDPTE
// registers and never raised the #GP.
TEST_CASE("PDPTE Registers: MOV to CR0 changing CD or NW under PAE paging reloads the PDPTEs",
          "[paging][cr0][pae]") {
    SystemFixture f;
    PageTables pae(f.bus, PageTables::Pae);
    const uint64_t pdpt = enter_pae(f, pae);
    const uint64_t old0 = f.s.pdpte[0];
    REQUIRE((old0 & kP) != 0);
    const uint64_t cr0_before = f.s.cr0;

    SECTION("setting CD loads the new PDPTE 0 from memory") {
        f.bus.write(Hpa(pdpt), 8, 0x77'7000 | kP);
        REQUIRE_FALSE(write_cr0(f.c, cr0_before | cr0::CD));
        CHECK(f.s.pdpte[0] == (0x77'7000 | kP));
        // Clearing CD again reloads too.
        f.bus.write(Hpa(pdpt), 8, old0);
        REQUIRE_FALSE(write_cr0(f.c, cr0_before));
        CHECK(f.s.pdpte[0] == old0);
    }
    SECTION("a reserved bit in a present PDPTE makes the CD change #GP(0), CR0 unchanged") {
        f.bus.write(Hpa(pdpt + 8), 8, 0x9000 | kP | (1u << 5)); // bit 5 reserved
        CHECK(is_gp0(write_cr0(f.c, cr0_before | cr0::CD)));
        CHECK(f.s.cr0 == cr0_before);
        CHECK(f.s.pdpte[0] == old0);
    }
    SECTION("setting NW (with CD) also reloads") {
        REQUIRE_FALSE(write_cr0(f.c, cr0_before | cr0::CD));
        f.bus.write(Hpa(pdpt), 8, 0x66'6000 | kP);
        REQUIRE_FALSE(write_cr0(f.c, cr0_before | cr0::CD | cr0::NW));
        CHECK(f.s.pdpte[0] == (0x66'6000 | kP));
    }
    SECTION("a CR0 write that changes none of CD, NW, PG does not reload (TS, MP, AM)") {
        f.bus.write(Hpa(pdpt), 8, 0x77'7000 | kP);
        REQUIRE_FALSE(write_cr0(f.c, cr0_before | cr0::TS | cr0::MP | cr0::AM));
        CHECK(f.s.pdpte[0] == old0);
    }
}

// SDM Vol. 3A, 4.3 "32-Bit Paging" / 4.4 "PAE Paging": these modes translate 32-bit linear
// addresses, so outside IA-32e mode an access that runs past linear 0xFFFFFFFF continues at
// linear 0, and a #PF on that part loads CR2 with the 32-bit linear address (Vol. 3A,
// "Interrupt 14—Page-Fault Exception": "CR2 ... the 32-bit linear address that generated the
// exception"). Before the fix the interpreter's page-crossing access asked for linear
// 0x1_0000_0000 and the #PF reported CR2 = 0x1_0000_0000.
TEST_CASE("32-bit paging: an access wrapping past 4 GiB faults with a 32-bit CR2",
          "[paging][cr2]") {
    Fixture32 fx(hvlab::cpu::test::TestMode::Protected32);
    PageTables pt(fx.bus, PageTables::Bits32);
    pt.next = 0x80'0000;
    pt.root = pt.alloc();
    // Identity-map 4 KiB pages 0x1000..0x3FFFFF (GDT, IDT, stubs, code, stacks); leave page 0
    // not present. Map the top page 0xFFFFF000 to 0x90'0000.
    for (uint64_t a = 0x1000; a < 0x40'0000; a += 0x1000)
        pt.map(a, a, kP | kRW);
    pt.map(0xFFFF'F000, 0x90'0000, kP | kRW);
    CpuState& s = fx.s();
    s.cr3 = pt.root;
    s.cr0 |= cr0::PG;
    // DS base 0x1000: offset 0xFFFFEFFE is linear 0xFFFFFFFE, within the 4 GiB limit.
    s.seg[DS] = Segment{0x10, 0x1000, 0xFFFF'FFFF, 0xC093};
    fx.cpu.invalidate_caches();

    SECTION("read") {
        fx.load({0x8B, 0x05, 0xFE, 0xEF, 0xFF, 0xFF, 0xF4}); // mov eax, [0xFFFFEFFE]; hlt
        REQUIRE(fx.run_until_exception() == PF);
        CHECK(s.cr2 == 0);
        CHECK(fx.pushed_error_code() == 0); // not present, read, supervisor
    }
    SECTION("write") {
        fx.load({0xC7, 0x05, 0xFE, 0xEF, 0xFF, 0xFF, 0x11, 0x22, 0x33, 0x44, 0xF4});
        REQUIRE(fx.run_until_exception() == PF);
        CHECK(s.cr2 == 0);
        CHECK(fx.pushed_error_code() == 2);
        CHECK(fx.peek_val<uint16_t>(0x90'0FFE) == 0); // nothing written on the first page
    }
    SECTION("with page 0 present the access wraps onto it") {
        pt.map(0, 0xA0'0000, kP | kRW);
        fx.poke_val<uint16_t>(0x90'0FFE, 0x2211);
        fx.poke_val<uint16_t>(0xA0'0000, 0x4433);
        fx.load({0x8B, 0x05, 0xFE, 0xEF, 0xFF, 0xFF, 0xF4});
        fx.run(2);
        CHECK(fx.delivered_vector() == -1);
        CHECK(static_cast<uint32_t>(fx.reg(RAX)) == 0x44332211u);
    }
}

// Coverage (hvlab was right): SDM Vol. 3A, 4.4.1 "PDPTE Registers": a MOV to CR4 under PAE
// paging reloads the PDPTEs when it modifies PAE, PGE, PSE or SMEP, and only then (a SMAP or
// PCE change keeps the registers).
TEST_CASE("PDPTE Registers: MOV to CR4 changing PGE, PSE or SMEP under PAE paging reloads the "
          "PDPTEs, other bits do not",
          "[paging][cr4][pae]") {
    SystemFixture f;
    PageTables pae(f.bus, PageTables::Pae);
    const uint64_t pdpt = enter_pae(f, pae);
    const uint64_t old0 = f.s.pdpte[0];
    const uint64_t cr4_before = f.s.cr4;
    f.bus.write(Hpa(pdpt), 8, 0x77'7000 | kP);
    REQUIRE_FALSE(write_cr4(f.c, cr4_before | cr4::SMAP | cr4::PCE));
    CHECK(f.s.pdpte[0] == old0);
    for (uint64_t bit : {cr4::PGE, cr4::PSE, cr4::SMEP}) {
        f.bus.write(Hpa(pdpt), 8, old0);
        REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 ^ bit));
        f.bus.write(Hpa(pdpt), 8, 0x77'7000 | kP);
        REQUIRE_FALSE(write_cr4(f.c, f.s.cr4 ^ bit));
        CHECK(f.s.pdpte[0] == (0x77'7000 | kP));
    }
    // A reserved bit found by such a reload is #GP(0) and CR4 keeps its value.
    f.bus.write(Hpa(pdpt + 16), 8, 0x9000 | kP | (uint64_t{1} << 63));
    const uint64_t cr4_now = f.s.cr4;
    CHECK(is_gp0(write_cr4(f.c, cr4_now ^ cr4::PGE)));
    CHECK(f.s.cr4 == cr4_now);
}

// Coverage (hvlab was right, nothing tested it): SDM Vol. 2A, LMSW: "Only the low-order 4 bits
// of the source operand (which contains the PE, MP, EM, and TS flags) are loaded into CR0 ...
// LMSW can be used to set the PE flag but cannot clear it"; SMSW stores CR0 (all of it into a
// 64-bit register with REX.W); CLTS clears TS.
TEST_CASE("LMSW loads CR0 bits 3:0 and cannot clear PE, SMSW and CLTS", "[paging][cr0]") {
    hvlab::cpu::test::CpuFixture fx(hvlab::cpu::test::TestMode::Long64);
    CpuState& s = fx.s();
    const uint64_t before = s.cr0;
    fx.reg(RAX) = 0xFFF0 | 0xE;      // PE = 0, MP = EM = TS = 1, high bits ignored
    fx.load({0x0F, 0x01, 0xF0,       // lmsw ax
             0x48, 0x0F, 0x01, 0xE3, // smsw rbx
             0x0F, 0x06,             // clts
             0x0F, 0x01, 0xE1,       // smsw ecx
             0xF4});
    fx.run(5);
    REQUIRE(fx.delivered_vector() == -1);
    CHECK(fx.reg(RBX) == (before | cr0::MP | cr0::EM | cr0::TS));
    CHECK((s.cr0 & cr0::PE) != 0);
    CHECK(s.cr0 == (before | cr0::MP | cr0::EM));
    CHECK(static_cast<uint32_t>(fx.reg(RCX)) == static_cast<uint32_t>(s.cr0));
}

namespace {

// A Long64 CpuFixture for CPL-3 tests of implicit supervisor accesses: 0..2 MiB (GDT entries
// 0..7, IDT, stubs, TSS, kernel stack) becomes supervisor-only, user code runs at 0x201000 on
// the user 2 MiB page above, and the GDT is moved so that its entry 8 (selector 0x40, a DPL-3
// data segment) is the first byte of that user page: base 0x1FFFC0, limit 0x4F.
struct UserGdtFixture {
    Fixture32 fx{hvlab::cpu::test::TestMode::Long64};
    static constexpr uint64_t kGdtBase = 0x1F'FFC0, kUserCode = 0x20'1000;
    UserGdtFixture() {
        fx.poke_val<uint64_t>(Fixture32::kPd, 0x83); // PDE 0: P | RW | PS, supervisor
        for (unsigned i = 0; i < 8; ++i)
            fx.poke_val<uint64_t>(kGdtBase + 8 * i, fx.peek_val<uint64_t>(Fixture32::kGdt + 8 * i));
        fx.poke_val<uint64_t>(0x20'0000, 0x00CFF3000000FFFFull); // entry 8: flat data, DPL 3
        CpuState& s = fx.s();
        s.gdtr = {kGdtBase, 0x4F};
        s.seg[CS] = Segment{Fixture32::kUserCode64, 0, 0xFFFF'FFFF, 0xA0FB};
        s.seg[SS] = Segment{Fixture32::kUserData, 0, 0xFFFF'FFFF, 0xC0F3};
        s.gpr[RSP] = 0x3F'0000;
        fx.cpu.invalidate_caches();
    }
};

} // namespace

// SDM Vol. 3A, 4.6 "Access Rights": accesses to the GDT to load a segment descriptor are
// implicit supervisor-mode accesses regardless of CPL, and with CR4.SMAP = 1 "If EFLAGS.AC = 0
// or the access is implicit, data may not be read from any user-mode address"; Vol. 3A, 4.7:
// the #PF error code's U/S is 0 for a supervisor-mode access. Coverage through the interpreter
// (hvlab was right; only the walker's matrix tested it): MOV DS at CPL 3 with RFLAGS.AC = 1 and
// the descriptor on a user page is a #PF with error code 1 and CR2 = the descriptor's address.
TEST_CASE("Access Rights: a CPL-3 GDT read is an implicit supervisor access that SMAP blocks "
          "even with AC = 1",
          "[paging][smap]") {
    UserGdtFixture u;
    CpuState& s = u.fx.s();
    u.fx.reg(RAX) = 0x43;                                     // entry 8, RPL 3
    u.fx.load({0x8E, 0xD8, 0xF4}, UserGdtFixture::kUserCode); // mov ds, ax; hlt (#GP at CPL 3)
    s.rflags |= rflags::AC;
    SECTION("SMAP on: #PF, P = 1, W/R = 0, U/S = 0") {
        s.cr4 |= cr4::SMAP;
        u.fx.cpu.invalidate_caches();
        REQUIRE(u.fx.run_until_exception() == PF);
        CHECK(u.fx.pushed_error_code() == 1);
        CHECK(s.cr2 == 0x20'0000);
        CHECK(u.fx.pushed_rip(true) == UserGdtFixture::kUserCode);
    }
    SECTION("SMAP off: the descriptor loads (and its accessed bit is written)") {
        u.fx.run(1);
        CHECK(s.seg[DS].selector == 0x43);
        CHECK((u.fx.peek_val<uint64_t>(0x20'0000) >> 40 & 1) == 1);
    }
}

// Coverage (hvlab was right): SDM Vol. 3A, 4.7 "Page-Fault Exceptions", I/D flag: "This flag
// is 1 if (1) the access causing the page-fault exception was an instruction fetch; and (2)
// either (a) CR4.SMEP = 1; or (b) both (i) CR4.PAE = 1 ... and (ii) IA32_EFER.NXE = 1".
// Existing tests had NXE = 1 with PAE/4-level paging; this checks NXE = 0.
TEST_CASE("Page-Fault Exceptions: I/D is 0 for a fetch with NXE = 0 unless SMEP is on",
          "[paging][pf]") {
    for (auto kind : {PageTables::Level4, PageTables::Pae}) {
        mmu::PhysBus bus(16 << 20);
        PageTables pt(bus, kind);
        pt.map(0x40'1000, 0x5000, kP | kRW); // supervisor page
        CpuState s = pt.state(3);
        s.efer &= ~efer::NXE;
        const mmu::AccessRequest fetch{mmu::Access::Execute, mmu::Requester::User};
        auto w = mmu::walk(bus, paging_context(s), 0x40'1000, fetch);
        CHECK(w.error_code == (mmu::pf_error::P | mmu::pf_error::US));
        s.cr4 |= cr4::SMEP;
        w = mmu::walk(bus, paging_context(s), 0x40'1000, fetch);
        CHECK(w.error_code == (mmu::pf_error::P | mmu::pf_error::US | mmu::pf_error::ID));
        // Not-present: P = 0, I/D still follows the same rule.
        s.efer |= efer::NXE;
        s.cr4 &= ~cr4::SMEP;
        w = mmu::walk(bus, paging_context(s), 0x40'3000, fetch);
        CHECK(w.error_code == (mmu::pf_error::US | mmu::pf_error::ID));
    }
}

// Coverage (hvlab was right): SDM Vol. 3A, 4.4.2 (PAE, "Reserved (must be 0)" bits 62:M of a
// PDE/PTE) against 4.5.4 (4-level: bits 51:M reserved, 62:52 ignored; 62:59 are a protection
// key only with CR4.PKE, which the model does not have). M = MAXPHYADDR = 39.
TEST_CASE("Reserved bits: PTE bit 55 is reserved in PAE paging and ignored in 4-level paging",
          "[paging][rsvd]") {
    for (auto kind : {PageTables::Level4, PageTables::Pae}) {
        mmu::PhysBus bus(16 << 20);
        PageTables pt(bus, kind);
        pt.map(0x40'1000, 0x5000 | (uint64_t{1} << 55), kP | kRW);
        pt.map(0x40'2000, 0x5000 | (uint64_t{1} << 45), kP | kRW);
        const CpuState s = pt.state(0);
        const mmu::AccessRequest rd{mmu::Access::Read, mmu::Requester::Supervisor};
        auto w = mmu::walk(bus, paging_context(s), 0x40'1000, rd);
        if (kind == PageTables::Pae) {
            CHECK(w.stop == mmu::WalkStop::Reserved);
            CHECK(w.error_code == (mmu::pf_error::P | mmu::pf_error::RSVD));
        } else {
            REQUIRE(w.ok());
            CHECK(w.physical.value == 0x5000);
        }
        w = mmu::walk(bus, paging_context(s), 0x40'2000, rd); // bit 45: reserved in both
        CHECK(w.stop == mmu::WalkStop::Reserved);
    }
}

// Direct ELF64 boot: loaded bytes, long-mode entry state, identity map, info pointer.
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;

namespace {
ElfSpec basic_elf64() {
    ElfSpec s;
    s.is64 = true;
    s.machine = 62; // EM_X86_64
    s.multiboot = false;
    s.entry = 0x100000;
    s.segments.push_back({0x100000, 0x100000, pattern(0x3000, 5), 0x3000, true});
    s.segments.push_back({0x400000, 0x400000, pattern(0x10, 6), 0x2000, false});
    return s;
}
} // namespace

TEST_CASE("ELF64 image is loaded by program headers", "[loader]") {
    LoaderFixture f;
    f.fill(0x400000, 0x2000, 0xAB);
    const auto info = f.boot(f.dir.write("k64.elf", build_elf(basic_elf64())));
    CHECK(info.kind == machine::BootInfo::Kind::Elf64);
    CHECK(info.entry == 0x100000);
    CHECK(f.bytes(0x100000, 0x3000) == pattern(0x3000, 5));
    CHECK(f.bytes(0x400000, 0x10) == pattern(0x10, 6));
    CHECK(f.bytes(0x400010, 0x1FF0) == std::vector<uint8_t>(0x1FF0, 0));
}

TEST_CASE("ELF64 entry state is 64-bit long mode as documented", "[loader]") {
    LoaderFixture f;
    f.boot(f.dir.write("k64.elf", build_elf(basic_elf64())), "mode=64");
    const auto& c = f.cpu;
    CHECK(c.rip == 0x100000);
    CHECK(c.mode() == cpu::CpuMode::Long64);
    CHECK(c.cr0 == (cpu::cr0::PE | cpu::cr0::MP | cpu::cr0::ET | cpu::cr0::NE | cpu::cr0::PG));
    CHECK(c.cr4 == (cpu::cr4::PAE | cpu::cr4::OSFXSR | cpu::cr4::OSXMMEXCPT));
    CHECK(c.efer == (cpu::efer::LME | cpu::efer::LMA | cpu::efer::NXE));
    CHECK(c.cr3 == 0x1000);
    CHECK(c.rflags == 0x2);
    CHECK(c.gpr[cpu::RDI] == 0x9500);
    CHECK(c.gpr[cpu::RBX] == 0x9500);
    CHECK(c.gpr[cpu::RAX] == 0x2BADB002);
    CHECK(c.gpr[cpu::RSP] == 0x7FF8);
    CHECK(f.r64(0x7FF8) == 0);
    CHECK(c.seg[cpu::CS].selector == 0x08);
    CHECK(c.seg[cpu::CS].l());
    CHECK(!c.seg[cpu::CS].db());
    CHECK(c.seg[cpu::SS].selector == 0x10);
    CHECK(f.r64(c.gdtr.base + 8) == 0x00AF9B000000FFFFull);
    // The info structure is the same Multiboot layout.
    CHECK(f.r32(0x9500) == 0x24F);
    CHECK(f.cstr(f.r32(0x9500 + 16)) == f.dir.path("k64.elf") + " mode=64");
}

TEST_CASE("ELF64 identity map covers 0-4 GiB with 2 MiB pages", "[loader]") {
    LoaderFixture f;
    f.boot(f.dir.write("k64.elf", build_elf(basic_elf64())));
    CHECK(f.r64(0x1000) == (0x2000 | 3));
    for (uint64_t i = 0; i < 4; ++i)
        CHECK(f.r64(0x2000 + 8 * i) == ((0x3000 + 0x1000 * i) | 3));
    CHECK(f.r64(0x2000 + 8 * 4) == 0);
    // Walk three addresses by hand: low RAM, the LAPIC page, the last 2 MiB below 4 GiB.
    for (uint64_t va : {0x0ull, 0x100000ull, 0xFEE00000ull, 0xFFE00000ull}) {
        const uint64_t pdpte = f.r64(0x2000 + 8 * (va >> 30));
        const uint64_t pde = f.r64((pdpte & ~0xFFFull) + 8 * ((va >> 21) & 511));
        CHECK((pde & 0x83) == 0x83); // present, writable, 2 MiB page
        CHECK((pde & ~0x1FFFFFull) == (va & ~0x1FFFFFull));
    }
    CHECK(f.r64(0x1000 + 8) == 0); // nothing above 512 GiB
}

TEST_CASE("ELF64 segment over the page tables is refused", "[loader]") {
    LoaderFixture f;
    ElfSpec s = basic_elf64();
    s.segments[1] = {0x3000, 0x3000, pattern(0x10, 1), 0x10, false};
    const auto path = f.dir.write("pt.elf", build_elf(s));
    CHECK(f.boot_error(path) ==
          path + ": segment 1 [0x3000, 0x3010) overlaps the boot loader's data [0x1000, 0x9558)");
}

TEST_CASE("ELF64 image with a Multiboot header is refused as QEMU refuses it", "[loader]") {
    LoaderFixture f;
    ElfSpec s = basic_elf64();
    s.multiboot = true;
    const auto path = f.dir.write("mb64.elf", build_elf(s));
    CHECK(f.boot_error(path) ==
          path + ": Multiboot image is ELF64 x86-64; QEMU and hvlab load Multiboot kernels only "
                 "as ELF32 (or drop the Multiboot header for direct ELF64 entry)");
}

TEST_CASE("ELF64 that is not x86-64 or not an executable is refused", "[loader]") {
    LoaderFixture f;
    ElfSpec s = basic_elf64();
    s.machine = 183; // EM_AARCH64
    auto path = f.dir.write("arm.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": ELF64 image is not for x86-64 (e_machine 183)");
    s = basic_elf64();
    s.type = 3; // ET_DYN
    path = f.dir.write("pie.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": ELF64 image is not an executable (e_type 3); link it "
                                       "with fixed addresses (ET_EXEC)");
}

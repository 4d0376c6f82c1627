// Every image the loader must refuse, with the exact one-line message the user sees.
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace hvlab;
using namespace hvlab::test;

TEST_CASE("missing kernel image", "[loader][bad]") {
    LoaderFixture f;
    CHECK(f.boot_error(f.dir.path("nope.elf")) ==
          "cannot open kernel image '" + f.dir.path("nope.elf") + "': No such file or directory");
}

TEST_CASE("a directory is not a kernel image", "[loader][bad]") {
    LoaderFixture f;
    const std::string d = f.dir.path("");
    CHECK(f.boot_error(d) == "cannot open kernel image '" + d + "': not a regular file");
}

TEST_CASE("missing module", "[loader][bad]") {
    LoaderFixture f;
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    CHECK(f.boot_error(path, {{f.dir.path("gone.bin"), "x"}}) ==
          "cannot open module '" + f.dir.path("gone.bin") + "': No such file or directory");
}

TEST_CASE("file that is neither ELF nor Multiboot", "[loader][bad]") {
    LoaderFixture f;
    const auto path = f.dir.write("text.txt", std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'});
    CHECK(f.boot_error(path) == path + ": not a bootable image (neither a Multiboot kernel nor an "
                                       "ELF64 executable)");
    const auto empty = f.dir.write("empty", {});
    CHECK(f.boot_error(empty) == empty + ": not a bootable image (neither a Multiboot kernel nor "
                                         "an ELF64 executable)");
}

TEST_CASE("Multiboot header with a bad checksum", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.header.bad_checksum = true;
    const auto path = f.dir.write("badsum.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": Multiboot header at offset 0x200 has a bad checksum");
}

TEST_CASE("ELF32 without a Multiboot header", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.multiboot = false;
    const auto path = f.dir.write("plain32.elf", build_elf(s));
    CHECK(f.boot_error(path) ==
          path + ": ELF32 image has no Multiboot header in its first 8192 bytes");
}

TEST_CASE("segment overlapping the 0xA0000 hole", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.segments[1] = {0x9F000, 0x9F000, pattern(0x10, 1), 0x2000, false};
    const auto path = f.dir.write("vga.elf", build_elf(s));
    CHECK(f.boot_error(path) ==
          path + ": segment 1 [0x9f000, 0xa1000) overlaps the legacy hole [0xa0000, 0x100000)");
}

TEST_CASE("segment in the MMIO hole", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.segments[1] = {0xFEE00000, 0xFEE00000, pattern(0x10, 1), 0x10, false};
    const auto path = f.dir.write("lapic.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": segment 1 [0xfee00000, 0xfee00010) overlaps the MMIO "
                                       "hole [0xe0000000, 0x100000000)");
}

TEST_CASE("segment beyond the end of RAM", "[loader][bad]") {
    LoaderFixture f(256 * kMiB);
    ElfSpec s = basic_elf32();
    s.segments[0] = {0x0FFFF000, 0x0FFFF000, pattern(0x10, 1), 0x2000, true};
    s.entry = 0x0FFFF000;
    const auto path = f.dir.write("big.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": segment 0 [0xffff000, 0x10001000) lies beyond the end of "
                                       "RAM (RAM ends at 0x10000000)");
}

TEST_CASE("segment over the Multiboot information", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.segments[1] = {0x9000, 0x9000, pattern(0x10, 1), 0x10, false};
    const auto path = f.dir.write("low.elf", build_elf(s));
    CHECK(f.boot_error(path) ==
          path + ": segment 1 [0x9000, 0x9010) overlaps the boot loader's data [0x7000, 0x9558)");
}

TEST_CASE("overlapping segments", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.segments[1] = {0x101000, 0x101000, pattern(0x10, 1), 0x10, false};
    const auto path = f.dir.write("ovl.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": segment 0 and segment 1 overlap");
}

TEST_CASE("truncated program header table", "[loader][bad]") {
    LoaderFixture f;
    auto image = build_elf(basic_elf32());
    uint16_t phnum = 2000; // 2000 * 32 bytes from offset 52 runs past a 0x3100-byte file
    std::memcpy(image.data() + 44, &phnum, 2);
    image.resize(0x3100);
    const auto path = f.dir.write("trunc.elf", image);
    CHECK(f.boot_error(path) == path + ": truncated program header table (2000 entries at offset "
                                       "0x34, file is 0x3100 bytes)");
}

TEST_CASE("segment data past the end of the file", "[loader][bad]") {
    LoaderFixture f;
    auto image = build_elf(basic_elf32());
    image.resize(0x1100); // cuts segment 0 (0x1234 bytes at 0x1000)
    const auto path = f.dir.write("cut.elf", image);
    CHECK(f.boot_error(path) == path + ": segment 0 data [0x1000, 0x2234) lies past the end of the "
                                       "file (0x1100 bytes)");
}

TEST_CASE("truncated ELF header", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.is64 = true;
    s.machine = 62;
    s.multiboot = false;
    auto image = build_elf(s);
    image.resize(40); // an ELF64 header is 64 bytes
    const auto path = f.dir.write("hdr.elf", image);
    CHECK(f.boot_error(path) == path + ": truncated ELF header (40 bytes)");
}

TEST_CASE("p_filesz larger than p_memsz", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.segments[1].memsz = 0x10;
    const auto path = f.dir.write("fsz.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": segment 1 has p_filesz 0x100 > p_memsz 0x10");
}

TEST_CASE("Multiboot ELF for another machine", "[loader][bad]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.machine = 40; // EM_ARM
    const auto path = f.dir.write("arm32.elf", build_elf(s));
    CHECK(f.boot_error(path) == path + ": Multiboot ELF image is not for i386 (e_machine 40)");
}

TEST_CASE("a.out kludge with inconsistent addresses", "[loader][bad]") {
    LoaderFixture f;
    auto make = [&](MultibootHeaderSpec h) {
        std::vector<uint8_t> img(0x2000, 0x90);
        const auto b = multiboot_header(h);
        std::copy(b.begin(), b.end(), img.begin() + 0x40);
        return f.dir.write("aout.bin", img);
    };
    const uint32_t k = 1u << 16;
    auto path = make({k, false, 0x100000, 0x100040, 0, 0, 0x100000});
    CHECK(f.boot_error(path) ==
          path + ": invalid Multiboot a.out kludge: header_addr is below load_addr");
    path = make({k, false, 0x100080, 0x100000, 0, 0, 0x100000});
    CHECK(f.boot_error(path) == path + ": invalid Multiboot a.out kludge: header_addr - load_addr "
                                       "points before the start of the file");
    path = make({k, false, 0x100040, 0x100000, 0x0F0000, 0, 0x100000});
    CHECK(f.boot_error(path) ==
          path + ": invalid Multiboot a.out kludge: load_end_addr is below load_addr");
    path = make({k, false, 0x100040, 0x100000, 0x180000, 0, 0x100000});
    CHECK(f.boot_error(path) == path + ": invalid Multiboot a.out kludge: load_end_addr 0x180000 "
                                       "lies past the end of the file");
    path = make({k, false, 0x100040, 0x100000, 0x101000, 0x100800, 0x100000});
    CHECK(f.boot_error(path) ==
          path + ": invalid Multiboot a.out kludge: bss_end_addr is below load_end_addr");
    path = make({k, false, 0xA0040, 0xA0000, 0, 0, 0xA0000});
    CHECK(f.boot_error(path) == path +
                                    ": a.out kludge image [0xa0000, 0xa2000) overlaps the legacy "
                                    "hole [0xa0000, 0x100000)");
}

TEST_CASE("truncated a.out kludge header", "[loader][bad]") {
    LoaderFixture f;
    auto h = multiboot_header({1u << 16, false, 0, 0, 0, 0, 0});
    h.resize(16);
    const auto path = f.dir.write("short.bin", h);
    CHECK(f.boot_error(path) == path + ": truncated Multiboot header at offset 0x0");
}

TEST_CASE("modules that do not fit in RAM", "[loader][bad]") {
    LoaderFixture f(3 * kMiB);
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    const auto m = f.dir.write("huge.bin", std::vector<uint8_t>(2 * kMiB, 1));
    CHECK(f.boot_error(path, {{m, ""}}) ==
          path + ": boot information and modules [0x202000, 0x403000) lies beyond the end of RAM "
                 "(RAM ends at 0x300000)");
}

TEST_CASE("a refused image leaves the CPU state alone", "[loader][bad]") {
    LoaderFixture f;
    f.cpu.rip = 0x1234;
    ElfSpec s = basic_elf32();
    s.segments[1] = {0xFEE00000, 0xFEE00000, pattern(0x10, 1), 0x10, false};
    f.boot_error(f.dir.write("lapic.elf", build_elf(s)));
    CHECK(f.cpu.rip == 0x1234);
    CHECK(f.r8(0x100000) == 0); // nothing was copied either: checks come before loading
}

TEST_CASE("a refused module leaves the kernel uncopied", "[loader][bad]") {
    LoaderFixture f(3 * kMiB);
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    const auto m = f.dir.write("huge.bin", std::vector<uint8_t>(2 * kMiB, 1));
    CHECK_FALSE(f.boot_error(path, {{m, ""}}).empty());
    CHECK(f.r8(0x100000) == 0);
    CHECK(f.r32(0x9500) == 0);
}

TEST_CASE("RAM too small for the loader's own data", "[loader][bad]") {
    LoaderFixture f(0x8000);
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    CHECK(f.boot_error(path) == "RAM is too small: the boot loader's data needs [0x1000, 0x9558)");
}

// Multiboot v1 loading as QEMU's -kernel does it: loaded bytes, the information structure,
// memory map, command line, modules and the 32-bit entry state.
#include "loader_fixture.hpp"
#include "machine/loader/memory_map.hpp"
#include "machine/loader/multiboot_info.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;

namespace {
constexpr uint64_t kInfo = 0x9500;

struct MmapEntry {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
};
std::vector<MmapEntry> read_mmap(LoaderFixture& f) {
    std::vector<MmapEntry> out;
    const uint32_t len = f.r32(kInfo + 44), addr = f.r32(kInfo + 48);
    for (uint32_t o = 0; o < len; o += 24)
        out.push_back(
            {f.r32(addr + o), f.r64(addr + o + 4), f.r64(addr + o + 12), f.r32(addr + o + 20)});
    return out;
}
} // namespace

TEST_CASE("ELF32 Multiboot image is loaded by program headers with bss zeroed", "[loader]") {
    LoaderFixture f;
    f.fill(0x200000, 0x2000, 0xCC); // bss must be cleared, not left as RAM was
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    const auto info = f.boot(path);
    CHECK(info.kind == machine::BootInfo::Kind::MultibootElf32);
    CHECK(info.entry == 0x100010);
    CHECK(f.bytes(0x100000, 0x1234) == pattern(0x1234, 1));
    CHECK(f.bytes(0x200000, 0x100) == pattern(0x100, 2));
    CHECK(f.bytes(0x200100, 0x1000) == std::vector<uint8_t>(0x1000, 0));
    CHECK(f.r8(0x201100) == 0xCC); // past p_memsz: untouched
    REQUIRE(info.loaded_ranges.size() >= 2);
    CHECK(info.loaded_ranges[0] == std::make_pair<uint64_t, uint64_t>(0x100000, 0x101234));
    CHECK(info.loaded_ranges[1] == std::make_pair<uint64_t, uint64_t>(0x200000, 0x201100));
}

TEST_CASE("Multiboot entry state matches QEMU's option ROM", "[loader]") {
    LoaderFixture f;
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    f.boot(path);
    const auto& c = f.cpu;
    CHECK(c.rip == 0x100010);
    CHECK(c.gpr[cpu::RAX] == 0x2BADB002);
    CHECK(c.gpr[cpu::RBX] == kInfo);
    CHECK(c.gpr[cpu::RCX] == 0x100010);
    CHECK(c.cr0 == (cpu::cr0::PE | cpu::cr0::ET));
    CHECK(c.cr4 == 0);
    CHECK(c.efer == 0);
    CHECK(c.rflags == 0x2); // IF = 0
    CHECK(c.mode() == cpu::CpuMode::Protected32);
    CHECK(c.seg[cpu::CS].selector == 0x08);
    CHECK(c.seg[cpu::CS].limit == 0xFFFFFFFF);
    CHECK(c.seg[cpu::CS].base == 0);
    CHECK(c.seg[cpu::CS].type() == 0xB);
    for (auto s : {cpu::DS, cpu::ES, cpu::SS, cpu::FS, cpu::GS}) {
        CHECK(c.seg[s].selector == 0x10);
        CHECK(c.seg[s].limit == 0xFFFFFFFF);
        CHECK(c.seg[s].db());
    }
    CHECK(c.gdtr.limit == 0x27);
    CHECK(f.r64(c.gdtr.base + 8) == 0x00CF9A000000FFFFull);
    CHECK(f.r64(c.gdtr.base + 16) == 0x00CF92000000FFFFull);
}

TEST_CASE("Multiboot information structure has QEMU's flags, memory sizes and strings",
          "[loader]") {
    LoaderFixture f;
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    f.boot(path, "console=ttyS0 debug");
    CHECK(f.r32(kInfo + 0) == 0x24F); // MEM|BOOTDEV|CMDLINE|MODS|MMAP|LOADER_NAME
    CHECK(f.r32(kInfo + 4) == 639);
    CHECK(f.r32(kInfo + 8) == 260992); // QEMU 7.2 + SeaBIOS 1.16 report this for -m 256M
    CHECK(f.r32(kInfo + 12) == 0x8000FFFF);
    CHECK(f.cstr(f.r32(kInfo + 16)) == path + " console=ttyS0 debug");
    CHECK(f.r32(kInfo + 20) == 0);
    // The info area starts at the page after the image span [0x100000, 0x201100).
    CHECK(f.r32(kInfo + 24) == 0x100000 + 0x102000);
    CHECK(f.cstr(f.r32(kInfo + 64)) == "qemu");
    // QEMU's string layout: kernel command line first (no modules), the loader name after
    // strlen(path) + 1 + strlen(append) + 1 bytes.
    CHECK(f.r32(kInfo + 16) == 0x202000);
    CHECK(f.r32(kInfo + 64) == 0x202000 + path.size() + 1 + 19 + 1);
}

TEST_CASE("empty --append still gives QEMU's \"path \" command line", "[loader]") {
    LoaderFixture f;
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    f.boot(path);
    CHECK(f.cstr(f.r32(kInfo + 16)) == path + " ");
}

TEST_CASE("memory map for 256 MiB is SeaBIOS's E820 map", "[loader]") {
    LoaderFixture f(256 * kMiB);
    f.boot(f.dir.write("k.elf", build_elf(basic_elf32())));
    CHECK(f.r32(kInfo + 48) == 0x9000);
    const auto m = read_mmap(f);
    // As qemu-system-x86_64 -m 256M (QEMU 7.2, SeaBIOS 1.16.2, Intel CPU vendor) reports it.
    REQUIRE(m.size() == 6);
    const std::vector<std::tuple<uint64_t, uint64_t, uint32_t>> want = {
        {0, 0x9FC00, 1},         {0x9FC00, 0x400, 2},
        {0xF0000, 0x10000, 2},   {0x100000, 0xFFE0000 - 0x100000, 1},
        {0xFFE0000, 0x20000, 2}, {0xFFFC0000, 0x40000, 2}};
    for (size_t i = 0; i < m.size(); ++i) {
        CHECK(m[i].size == 20);
        CHECK(m[i].base == std::get<0>(want[i]));
        CHECK(m[i].len == std::get<1>(want[i]));
        CHECK(m[i].type == std::get<2>(want[i]));
    }
}

TEST_CASE("memory map above 4 GiB reports the RAM moved above the PCI hole", "[loader]") {
    LoaderFixture f(5 * 1024 * kMiB);
    f.boot(f.dir.write("k.elf", build_elf(basic_elf32())));
    const auto m = read_mmap(f);
    REQUIRE(m.size() == 7);
    CHECK(m[3].base == 0x100000);
    CHECK(m[3].len == 0xDFFE0000 - 0x100000);
    CHECK(m[4].base == 0xDFFE0000);
    CHECK(m[4].type == 2);
    CHECK(m[6].base == 0x100000000ull);
    CHECK(m[6].len == 5 * 1024 * kMiB - 0xE0000000ull);
    CHECK(m[6].type == 1);
    CHECK(f.r32(kInfo + 8) == (0xDFFE0000 - 0x100000) / 1024);
}

TEST_CASE("modules are page-aligned after the boot information with their strings", "[loader]") {
    LoaderFixture f;
    const auto path = f.dir.write("k.elf", build_elf(basic_elf32()));
    const auto m1 = f.dir.write("initrd.bin", pattern(5000, 9));
    const auto m2 = f.dir.write("second.bin", pattern(3, 4));
    f.boot(path, "root=/dev/ram", {{m1, "arg1 arg2"}, {m2, ""}});
    CHECK(f.r32(kInfo + 20) == 2);
    const uint32_t mods = f.r32(kInfo + 24);
    CHECK(mods == 0x202000);
    const uint32_t s1 = f.r32(mods), e1 = f.r32(mods + 4), s2 = f.r32(mods + 16),
                   e2 = f.r32(mods + 20);
    CHECK(s1 == 0x203000); // the info page, then the first module on the next page
    CHECK(e1 == s1 + 5000);
    CHECK(s2 == 0x205000); // page_align(0x203000 + 5000)
    CHECK(e2 == s2 + 3);
    CHECK(f.bytes(s1, 5000) == pattern(5000, 9));
    CHECK(f.bytes(s2, 3) == pattern(3, 4));
    CHECK(f.cstr(f.r32(mods + 8)) == m1 + " arg1 arg2");
    CHECK(f.cstr(f.r32(mods + 24)) == m2);
    CHECK(f.r32(mods + 12) == 0);
    // Strings follow the 2 module entries: module lines, then the kernel's.
    CHECK(f.r32(mods + 8) == mods + 32);
    CHECK(f.cstr(f.r32(kInfo + 16)) == path + " root=/dev/ram");
    // Loader name after QEMU's reserved command-line space (initrd string included).
    const std::string initrd = m1 + " arg1 arg2," + m2;
    CHECK(f.r32(kInfo + 64) == mods + 32 + path.size() + 1 + 13 + 1 + initrd.size() + 1);
}

TEST_CASE("a.out kludge loads from the header's addresses and wins over ELF headers", "[loader]") {
    LoaderFixture f;
    // An ELF32 file whose Multiboot header sets bit 16: QEMU ignores the program headers.
    ElfSpec s = basic_elf32();
    s.header_offset = 0x1000 + 0x20; // inside the first segment's data
    s.header = {1u << 16, false, 0x300020, 0x300000, 0x301000, 0x303000, 0x300040};
    const auto image = build_elf(s);
    // Write the header into the first segment's bytes so the loaded copy contains it.
    const auto path = f.dir.write("kludge.elf", image);
    f.fill(0x301000, 0x2000, 0xEE);
    const auto info = f.boot(path);
    CHECK(info.kind == machine::BootInfo::Kind::MultibootAout);
    CHECK(info.entry == 0x300040);
    CHECK(f.cpu.rip == 0x300040);
    // load_addr maps to file offset header_offset - (header_addr - load_addr) = 0x1000.
    CHECK(f.bytes(0x300000, 0x1000) ==
          std::vector<uint8_t>(image.begin() + 0x1000, image.begin() + 0x2000));
    CHECK(f.bytes(0x301000, 0x2000) == std::vector<uint8_t>(0x2000, 0)); // bss
    CHECK(f.r8(0x100000) == 0); // program headers were not used
    CHECK(f.r32(kInfo + 24) == 0x303000);
}

TEST_CASE("a.out kludge with load_end_addr 0 loads to the end of the file", "[loader]") {
    LoaderFixture f;
    std::vector<uint8_t> img(0x40, 0x90);
    const auto hdr = multiboot_header({1u << 16, false, 0x100000, 0x100000, 0, 0, 0x100020});
    std::copy(hdr.begin(), hdr.end(), img.begin());
    img.resize(0x1801, 0xF4);
    f.fill(0x100000, 0x2000, 0xCC);
    f.boot(f.dir.write("flat.bin", img));
    CHECK(f.bytes(0x100000, img.size()) == img);
    CHECK(f.r8(0x100000 + img.size()) == 0xCC);
    CHECK(f.cpu.rip == 0x100020);
}

TEST_CASE("higher-half ELF entry is translated to its physical address", "[loader]") {
    LoaderFixture f;
    ElfSpec s;
    s.entry = 0xC0100010;
    s.segments.push_back({0x100000, 0xC0100000, pattern(0x200, 3), 0x200, true});
    f.boot(f.dir.write("hh.elf", build_elf(s)));
    CHECK(f.cpu.rip == 0x100010);
}

TEST_CASE(".symtab symbols are returned for the inspector", "[loader]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.symbols = {{"kmain", 0x100010}, {"serial_putc", 0x100400}};
    const auto info = f.boot(f.dir.write("sym.elf", build_elf(s)));
    REQUIRE(info.symbols.size() == 2);
    CHECK(info.symbols[0].name == "kmain");
    CHECK(info.symbols[0].address == 0x100010);
    CHECK(info.symbols[1].name == "serial_putc");
    CHECK(info.symbols[1].size == 16);
}

TEST_CASE("Multiboot header is found at any 4-byte-aligned offset below 8192-48", "[loader]") {
    LoaderFixture f;
    ElfSpec s = basic_elf32();
    s.header_offset = 8192 - 52; // the last offset QEMU still examines
    CHECK_NOTHROW(f.boot(f.dir.write("late.elf", build_elf(s))));
    s.header_offset = 8192 - 48; // QEMU's loop stops before this one
    CHECK(f.boot_error(f.dir.write("toolate.elf", build_elf(s))) ==
          f.dir.path("toolate.elf") +
              ": ELF32 image has no Multiboot header in its first 8192 bytes");
}

TEST_CASE("the prebuilt hello ROM loads as an ELF32 Multiboot image", "[loader]") {
    const std::string rom = std::string(HVLAB_SOURCE_DIR) + "/roms/prebuilt/hello.elf";
    if (!std::filesystem::exists(rom)) {
        WARN("roms/prebuilt/hello.elf not present; skipped");
        return;
    }
    LoaderFixture f;
    const auto info = f.boot(rom);
    CHECK(info.kind == machine::BootInfo::Kind::MultibootElf32);
    CHECK(f.cpu.rip == info.entry);
    CHECK(f.cpu.gpr[cpu::RAX] == 0x2BADB002);
    CHECK(!info.loaded_ranges.empty());
}

TEST_CASE("memory map on a machine too small for SeaBIOS's high tables", "[loader]") {
    mmu::PhysBus bus(0x110000); // 1 MiB + 64 KiB
    const auto m = machine::e820_map(bus);
    REQUIRE(m.size() == 5);
    CHECK(m[3].base == 0x100000);
    CHECK(m[3].length == 0x10000);
    CHECK(m[3].type == machine::E820Entry::Available);
    CHECK(m[4].base == 0xFFFC0000);
    CHECK(machine::mem_upper_kib(bus) == 64);
    CHECK(machine::mem_lower_kib(bus) == 639);
}

// QEMU as the oracle for the Multiboot layout: a tiny 32-bit kernel dumps, raw to COM1, the
// information structure, the page at mods_addr (module list and every string) and the memory
// map, then exits through isa-debug-exit. The same image is loaded by hvlab's loader and the
// same bytes are compared in guest RAM. Runs when qemu-system-x86_64 is installed; otherwise
// it only warns (the CI installs QEMU).
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

using namespace hvlab;
using namespace hvlab::test;

namespace {

// as --32 of:   mov %ebx,%esi; mov $88,%ecx; call dump          (the info structure)
//               mov 24(%ebx),%esi; mov $4096,%ecx; call dump    (the page at mods_addr)
//               mov 48(%ebx),%esi; mov 44(%ebx),%ecx; call dump (the memory map)
//               mov $0x10,%al; out %al,$0xF4; 1: hlt; jmp 1b
//         dump: mov $0x3F8,%dx; 2: lodsb; out %al,%dx; loop 2b; ret
const std::vector<uint8_t> kDumpCode = {
    0x89, 0xde, 0xb9, 0x58, 0x00, 0x00, 0x00, 0xe8, 0x1f, 0x00, 0x00, 0x00, 0x8b,
    0x73, 0x18, 0xb9, 0x00, 0x10, 0x00, 0x00, 0xe8, 0x12, 0x00, 0x00, 0x00, 0x8b,
    0x73, 0x30, 0x8b, 0x4b, 0x2c, 0xe8, 0x07, 0x00, 0x00, 0x00, 0xb0, 0x10, 0xe6,
    0xf4, 0xf4, 0xeb, 0xfd, 0x66, 0xba, 0xf8, 0x03, 0xac, 0xee, 0xe2, 0xfc, 0xc3};

bool have_qemu() {
    return std::system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0;
}

// Boots under QEMU exactly as the ROM checks do (Intel vendor: no AMD HyperTransport hole).
std::vector<uint8_t> qemu_dump(const ScratchDir& dir, const std::string& kernel,
                               const std::string& append, const std::string& initrd) {
    const std::string out = dir.path("serial.out");
    std::string cmd = "timeout 60 qemu-system-x86_64 -cpu qemu64,vendor=GenuineIntel -m 256 "
                      "-display none -monitor none -no-reboot "
                      "-device isa-debug-exit,iobase=0xf4,iosize=4 -serial file:" +
                      out + " -kernel '" + kernel + "' -append '" + append + "'";
    if (!initrd.empty()) cmd += " -initrd '" + initrd + "'";
    cmd += " </dev/null >/dev/null 2>&1";
    const int rc = std::system(cmd.c_str());
    INFO(cmd);
    REQUIRE(WIFEXITED(rc));
    REQUIRE(WEXITSTATUS(rc) == 33); // debug-exit 0x10
    std::ifstream in(out, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> hvlab_dump(LoaderFixture& f) {
    std::vector<uint8_t> d = f.bytes(0x9500, 88);
    const auto page = f.bytes(f.r32(0x9500 + 24), 4096);
    const auto map = f.bytes(f.r32(0x9500 + 48), f.r32(0x9500 + 44));
    d.insert(d.end(), page.begin(), page.end());
    d.insert(d.end(), map.begin(), map.end());
    return d;
}

void compare(const std::vector<uint8_t>& qemu, const std::vector<uint8_t>& ours) {
    REQUIRE(qemu.size() == ours.size());
    for (size_t i = 0; i < qemu.size(); ++i) {
        INFO("first difference at dump offset " << i);
        REQUIRE(int{qemu[i]} == int{ours[i]});
    }
}

void check_against_qemu(const std::vector<uint8_t>& image, const std::string& name) {
    if (!have_qemu()) {
        WARN("qemu-system-x86_64 not installed: QEMU layout comparison skipped");
        return;
    }
    LoaderFixture f;
    const auto kernel = f.dir.write(name, image);
    const auto m1 = f.dir.write("m1.bin", pattern(5000, 1));
    const auto m2 = f.dir.write("m2.txt", {'m', 'o', 'd', '\n'});
    const std::string append = "console=ttyS0 x=1";
    // QEMU's -initrd form; a doubled comma is a literal comma in the first module's arguments.
    const std::string initrd = m1 + " first,,arg second," + m2;
    f.boot(kernel, append, {{m1, "first,arg second"}, {m2, ""}});
    compare(qemu_dump(f.dir, kernel, append, initrd), hvlab_dump(f));
}

} // namespace

TEST_CASE("Multiboot layout of an ELF32 kernel matches QEMU byte for byte", "[loader][qemu]") {
    ElfSpec s;
    s.entry = 0x100000;
    s.segments.push_back({0x100000, 0x100000, kDumpCode, 0x1800, true}); // with bss
    check_against_qemu(build_elf(s), "dump.elf");
}

TEST_CASE("Multiboot layout of an a.out kludge kernel matches QEMU byte for byte",
          "[loader][qemu]") {
    // Header at offset 0 with header_addr = load_addr; code right after it; 0x2345 bytes of bss.
    std::vector<uint8_t> img = multiboot_header(
        {1u << 16, false, 0x200000, 0x200000, 0, 0x200000 + 32 + 52 + 0x2345, 0x200000 + 32});
    img.insert(img.end(), kDumpCode.begin(), kDumpCode.end());
    check_against_qemu(img, "dump.bin");
}

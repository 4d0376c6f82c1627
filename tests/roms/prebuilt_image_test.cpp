// The committed ROM images (roms/prebuilt/*.elf) in the form a Multiboot v1 loader needs:
// an ELF32 i386 container (QEMU's loader refuses ELF64) holding 64-bit code, with a valid
// Multiboot header in the first 8 KiB, loaded at 1 MiB or above in disjoint segments, and
// entered in an executable one. Layouts: ELF (System V ABI, "ELF Header", "Program Header")
// and Multiboot Specification 0.6.96, "Header layout".
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint32_t kMultibootMagic = 0x1BADB002;
constexpr std::size_t kMultibootSearchBytes = 8192;
constexpr std::uint32_t kMultibootAoutKludge = 1u << 16;
constexpr std::uint32_t kMultibootRequiredMask = 0xFFFF; // bits a loader must understand
constexpr std::uint32_t kMultibootKnownRequired = 0x3;   // page-align modules, memory info
constexpr std::uint16_t kEmI386 = 3;
constexpr std::uint16_t kEtExec = 2;
constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPfExecute = 1;
constexpr std::uint32_t kLoadBase = 0x100000;

struct Segment {
    std::uint32_t offset, paddr, filesz, memsz, flags;
};

struct Image {
    std::string name;
    Bytes bytes;
};

std::uint32_t le32(const Bytes& b, std::size_t at) {
    return std::uint32_t(b.at(at)) | std::uint32_t(b.at(at + 1)) << 8 |
           std::uint32_t(b.at(at + 2)) << 16 | std::uint32_t(b.at(at + 3)) << 24;
}

std::uint16_t le16(const Bytes& b, std::size_t at) {
    return std::uint16_t(b.at(at) | b.at(at + 1) << 8);
}

std::vector<Image> prebuilt_images() {
    std::vector<Image> images;
    for (const auto& entry : fs::directory_iterator(fs::path(HVLAB_SOURCE_DIR) / "roms/prebuilt")) {
        if (entry.path().extension() != ".elf") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        images.push_back(
            {entry.path().stem().string(), Bytes(std::istreambuf_iterator<char>(in), {})});
    }
    return images;
}

// ELF32 program headers: e_phoff at 28, e_phentsize at 42, e_phnum at 44; each entry has
// p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align (4 bytes each).
std::vector<Segment> load_segments(const Bytes& b) {
    std::vector<Segment> segments;
    std::uint32_t phoff = le32(b, 28);
    std::uint16_t phentsize = le16(b, 42), phnum = le16(b, 44);
    for (std::uint16_t i = 0; i < phnum; i++) {
        std::size_t at = phoff + std::size_t(i) * phentsize;
        if (le32(b, at) != kPtLoad) continue;
        segments.push_back({le32(b, at + 4), le32(b, at + 12), le32(b, at + 16), le32(b, at + 20),
                            le32(b, at + 24)});
    }
    return segments;
}

// The Multiboot header: magic, flags, checksum, 4-byte aligned within the first 8 KiB.
std::optional<std::size_t> find_multiboot_header(const Bytes& b) {
    std::size_t end = std::min(b.size(), kMultibootSearchBytes);
    for (std::size_t at = 0; at + 12 <= end; at += 4)
        if (le32(b, at) == kMultibootMagic) return at;
    return std::nullopt;
}

} // namespace

TEST_CASE("roms/prebuilt holds the hello, cprog, libtest, modes and trap images") {
    std::vector<std::string> names;
    for (const Image& image : prebuilt_images())
        names.push_back(image.name);
    CHECK_THAT(names, Catch::Matchers::VectorContains(std::string("hello")));
    CHECK_THAT(names, Catch::Matchers::VectorContains(std::string("cprog")));
    CHECK_THAT(names, Catch::Matchers::VectorContains(std::string("libtest")));
    CHECK_THAT(names, Catch::Matchers::VectorContains(std::string("modes")));
    CHECK_THAT(names, Catch::Matchers::VectorContains(std::string("trap")));
}

TEST_CASE("every prebuilt ROM is an ELF32 little-endian i386 executable") {
    for (const Image& image : prebuilt_images()) {
        INFO("image " << image.name);
        const Bytes& b = image.bytes;
        REQUIRE(b.size() >= 52);
        CHECK(le32(b, 0) == 0x464C457F); // "\x7fELF"
        CHECK(b[4] == 1);                // ELFCLASS32
        CHECK(b[5] == 1);                // ELFDATA2LSB
        CHECK(le16(b, 16) == kEtExec);
        CHECK(le16(b, 18) == kEmI386);
        CHECK(le16(b, 42) == 32); // sizeof(Elf32_Phdr)
    }
}

TEST_CASE("every prebuilt ROM has a valid Multiboot v1 header that asks for the ELF path") {
    for (const Image& image : prebuilt_images()) {
        INFO("image " << image.name);
        auto at = find_multiboot_header(image.bytes);
        REQUIRE(at.has_value());
        std::uint32_t flags = le32(image.bytes, *at + 4);
        std::uint32_t checksum = le32(image.bytes, *at + 8);
        CHECK(std::uint32_t(kMultibootMagic + flags + checksum) == 0);
        CHECK((flags & kMultibootRequiredMask & ~kMultibootKnownRequired) == 0);
        CHECK((flags & kMultibootAoutKludge) == 0); // loaded by program headers, as QEMU does
    }
}

TEST_CASE("every prebuilt ROM loads at 1 MiB or above, in disjoint segments within the file") {
    for (const Image& image : prebuilt_images()) {
        INFO("image " << image.name);
        auto segments = load_segments(image.bytes);
        REQUIRE_FALSE(segments.empty());
        for (std::size_t i = 0; i < segments.size(); i++) {
            const Segment& s = segments[i];
            INFO("segment " << i);
            CHECK(s.paddr >= kLoadBase);
            CHECK(s.filesz <= s.memsz);
            CHECK(std::uint64_t(s.offset) + s.filesz <= image.bytes.size());
            for (std::size_t j = i + 1; j < segments.size(); j++) {
                const Segment& t = segments[j];
                bool disjoint = std::uint64_t(s.paddr) + s.memsz <= t.paddr ||
                                std::uint64_t(t.paddr) + t.memsz <= s.paddr;
                CHECK(disjoint);
            }
        }
    }
}

TEST_CASE("every prebuilt ROM's entry point lies in an executable segment's file bytes") {
    for (const Image& image : prebuilt_images()) {
        INFO("image " << image.name);
        std::uint32_t entry = le32(image.bytes, 24);
        bool inside = false;
        for (const Segment& s : load_segments(image.bytes))
            inside |= (s.flags & kPfExecute) && entry >= s.paddr && entry < s.paddr + s.filesz;
        CHECK(inside);
    }
}

TEST_CASE("every prebuilt ROM has QEMU expectations with a debug-exit status") {
    for (const Image& image : prebuilt_images()) {
        INFO("image " << image.name);
        fs::path dir = fs::path(HVLAB_SOURCE_DIR) / "roms" / image.name;
        CHECK(fs::is_regular_file(dir / "expected.txt"));
        std::ifstream in(dir / "expected-status");
        int status = -1;
        in >> status;
        // A ROM that ends in a triple fault (sys-triple) expects 4, `hvlab run`'s status for a
        // machine shutdown (roms/tools/rom-check maps QEMU's -no-reboot exit 0 to it).
        if (status == 4) continue;
        // debug-exit turns a write of v into (v << 1) | 1: always odd, 1..255 here.
        CHECK(status % 2 == 1);
        CHECK(status > 1);
        CHECK(status <= 255);
    }
}

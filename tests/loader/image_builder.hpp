// Builds small boot images in memory for the loader tests: ELF32/ELF64 files with chosen
// program headers, an optional Multiboot header and .symtab, and a.out-kludge images. Also a
// scratch directory to write them to (the loader takes a path).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace hvlab::test {

struct SegmentSpec {
    uint64_t paddr;
    uint64_t vaddr;
    std::vector<uint8_t> data; // p_filesz = data.size()
    uint64_t memsz;            // >= data.size(); the rest is bss
    bool executable = true;
};

struct MultibootHeaderSpec {
    uint32_t flags = 0;
    bool bad_checksum = false;
    // a.out kludge fields (used when flags has bit 16)
    uint32_t header_addr = 0, load_addr = 0, load_end_addr = 0, bss_end_addr = 0, entry_addr = 0;
};

struct ElfSpec {
    bool is64 = false;
    uint16_t machine = 3; // EM_386
    uint16_t type = 2;    // ET_EXEC
    uint64_t entry = 0;
    std::vector<SegmentSpec> segments;
    bool multiboot = true;
    MultibootHeaderSpec header;
    uint32_t header_offset = 0x200; // where the Multiboot header goes in the file
    std::vector<std::pair<std::string, uint64_t>> symbols; // written as STT_FUNC into .symtab
};

// Segment data starts at file offset 0x1000, each segment on its own 4 KiB-aligned offset.
std::vector<uint8_t> build_elf(const ElfSpec& spec);
// The 32-byte Multiboot header (magic, flags, checksum and the five kludge words).
std::vector<uint8_t> multiboot_header(const MultibootHeaderSpec& h);
// Bytes 0..n-1 of a recognizable pattern (seeded so segments differ).
std::vector<uint8_t> pattern(size_t n, uint8_t seed);

class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const;
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

  private:
    std::filesystem::path dir_;
};

} // namespace hvlab::test

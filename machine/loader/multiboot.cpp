#include "machine/loader/multiboot.hpp"

#include "common/error.hpp"
#include "machine/loader/elf_file.hpp"
#include "machine/loader/entry_state.hpp"
#include "machine/loader/multiboot_info.hpp"
#include "machine/loader/segment_loader.hpp"

#include <algorithm>
#include <cstdio>
#include <elf.h>

namespace hvlab::machine {

namespace {

uint32_t le32(const std::vector<uint8_t>& f, uint64_t off) {
    return uint32_t{f[off]} | uint32_t{f[off + 1]} << 8 | uint32_t{f[off + 2]} << 16 |
           uint32_t{f[off + 3]} << 24;
}

std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

struct Image {
    BootInfo::Kind kind;
    uint64_t low, high, entry;
    std::vector<LoadPiece> pieces;
    std::vector<Symbol> symbols;
};

// The ELF path: QEMU's load_elf() for EM_386 by physical addresses, then the whole span
// [lowest p_paddr, highest p_paddr + p_memsz) is the kernel.
Image elf_image(const std::vector<uint8_t>& file, const std::string& path) {
    const ElfFile elf = parse_elf(file, path);
    if (elf.machine == EM_X86_64)
        throw UserError(path + ": Multiboot image is ELF64 x86-64; QEMU and hvlab load Multiboot "
                               "kernels only as ELF32 (or drop the Multiboot header for direct "
                               "ELF64 entry)");
    if (elf.is64 || elf.machine != EM_386)
        throw UserError(path + ": Multiboot ELF image is not for i386 (e_machine " +
                        std::to_string(elf.machine) + ")");
    Image img{
        BootInfo::Kind::MultibootElf32, ~uint64_t{0}, 0, physical_entry(elf), {}, elf.symbols};
    for (const ElfSegment& s : elf.loads) {
        img.pieces.push_back({"segment " + std::to_string(s.index), s.paddr, file.data() + s.offset,
                              s.filesz, s.memsz});
        img.low = std::min(img.low, s.paddr);
        img.high = std::max(img.high, s.paddr + s.memsz);
    }
    return img;
}

// The a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr follow the
// checksum. The file offset of load_addr is the header's offset minus (header_addr -
// load_addr). Each check below is one of QEMU's, with its reason in the message.
Image aout_image(const std::vector<uint8_t>& file, uint32_t at, const std::string& path) {
    if (uint64_t{at} + 32 > file.size())
        throw UserError(path + ": truncated Multiboot header at offset " + hex(at));
    const uint32_t header_addr = le32(file, at + 12), load_addr = le32(file, at + 16);
    const uint32_t load_end = le32(file, at + 20), bss_end = le32(file, at + 24);
    const uint32_t entry = le32(file, at + 28);
    const std::string bad = path + ": invalid Multiboot a.out kludge: ";
    if (header_addr < load_addr) throw UserError(bad + "header_addr is below load_addr");
    if (header_addr - load_addr > at)
        throw UserError(bad + "header_addr - load_addr points before the start of the file");
    const uint32_t text_offset = at - (header_addr - load_addr);
    uint64_t load_size;
    if (load_end) {
        if (load_end < load_addr) throw UserError(bad + "load_end_addr is below load_addr");
        load_size = load_end - load_addr;
    } else {
        load_size = file.size() - text_offset; // load to the end of the file
    }
    if (load_size > 0xFFFF'FFFFull - load_addr)
        throw UserError(bad + "the kernel does not fit in the 32-bit address space");
    if (text_offset + load_size > file.size())
        throw UserError(bad + "load_end_addr " + hex(load_end) + " lies past the end of the file");
    uint64_t kernel_size = load_size;
    if (bss_end) {
        if (bss_end < load_addr + load_size)
            throw UserError(bad + "bss_end_addr is below load_end_addr");
        kernel_size = bss_end - load_addr;
    }
    Image img{BootInfo::Kind::MultibootAout, load_addr, load_addr + kernel_size, entry, {}, {}};
    img.pieces.push_back(
        {"a.out kludge image", load_addr, file.data() + text_offset, load_size, kernel_size});
    return img;
}

} // namespace

MultibootScan scan_multiboot_header(const std::vector<uint8_t>& file) {
    // QEMU stops 48 bytes short of 8192 so that a full header (12 words) fits in the buffer.
    MultibootScan scan;
    const uint64_t limit = std::min<uint64_t>(kMultibootSearchLimit - 48, file.size());
    for (uint32_t i = 0; i < limit && uint64_t{i} + 12 <= file.size(); i += 4) {
        if (le32(file, i) != kMultibootHeaderMagic) continue;
        const uint32_t flags = le32(file, i + 4);
        if (static_cast<uint32_t>(kMultibootHeaderMagic + flags + le32(file, i + 8)) == 0) {
            scan.header_offset = i;
            scan.flags = flags;
            return scan;
        }
        if (!scan.bad_checksum_offset) scan.bad_checksum_offset = i;
    }
    return scan;
}

BootInfo load_multiboot(const std::vector<uint8_t>& file, const MultibootScan& scan,
                        const BootSpec& spec, mmu::PhysBus& bus, cpu::CpuState& cpu) {
    const std::string& path = spec.image_path;
    Image img = (scan.flags & kMultibootAoutKludge) ? aout_image(file, *scan.header_offset, path)
                                                    : elf_image(file, path);
    BootInfo info{img.kind, img.entry, {}, std::move(img.symbols)};
    // Every check before the first byte is written: a refused image leaves RAM untouched.
    check_pieces(img.pieces, path, bus, kMultibootReservedStart);
    const MultibootInfoBlock block = prepare_multiboot_info(spec, bus, img.low, img.high - img.low);
    copy_pieces(img.pieces, bus, info.loaded_ranges);
    const uint64_t mbi = write_multiboot_info(block, bus, info.loaded_ranges);
    enter_multiboot(cpu, bus, static_cast<uint32_t>(img.entry), static_cast<uint32_t>(mbi));
    return info;
}

} // namespace hvlab::machine

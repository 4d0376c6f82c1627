#include "machine/loader/elf64_boot.hpp"

#include "common/error.hpp"
#include "machine/loader/elf_file.hpp"
#include "machine/loader/entry_state.hpp"
#include "machine/loader/multiboot_info.hpp"
#include "machine/loader/segment_loader.hpp"

#include <algorithm>
#include <elf.h>

namespace hvlab::machine {

namespace {
constexpr uint64_t kIdentityMapEnd = uint64_t{1} << 32;
}

BootInfo load_elf64(const std::vector<uint8_t>& file, const BootSpec& spec, mmu::PhysBus& bus,
                    cpu::CpuState& cpu) {
    const std::string& path = spec.image_path;
    const ElfFile elf = parse_elf(file, path);
    if (elf.machine != EM_X86_64)
        throw UserError(path + ": ELF64 image is not for x86-64 (e_machine " +
                        std::to_string(elf.machine) + ")");
    if (elf.type != ET_EXEC)
        throw UserError(path + ": ELF64 image is not an executable (e_type " +
                        std::to_string(elf.type) + "); link it with fixed addresses (ET_EXEC)");
    const uint64_t entry = physical_entry(elf);
    if (entry >= kIdentityMapEnd)
        throw UserError(path + ": entry point lies above 4 GiB, outside the boot identity map");

    BootInfo info{BootInfo::Kind::Elf64, entry, {}, elf.symbols};
    std::vector<LoadPiece> pieces;
    uint64_t low = ~uint64_t{0}, high = 0;
    for (const ElfSegment& s : elf.loads) {
        pieces.push_back({"segment " + std::to_string(s.index), s.paddr, file.data() + s.offset,
                          s.filesz, s.memsz});
        low = std::min(low, s.paddr);
        high = std::max(high, s.paddr + s.memsz);
    }
    // Every check before the first byte is written: a refused image leaves RAM untouched.
    check_pieces(pieces, path, bus, kElf64ReservedStart);
    const MultibootInfoBlock block = prepare_multiboot_info(spec, bus, low, high - low);
    copy_pieces(pieces, bus, info.loaded_ranges);
    const uint64_t mbi = write_multiboot_info(block, bus, info.loaded_ranges);
    enter_elf64(cpu, bus, entry, mbi);
    return info;
}

} // namespace hvlab::machine

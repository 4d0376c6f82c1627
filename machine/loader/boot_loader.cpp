#include "machine/loader/boot_loader.hpp"

#include "common/error.hpp"
#include "machine/loader/elf64_boot.hpp"
#include "machine/loader/elf_file.hpp"
#include "machine/loader/entry_state.hpp"
#include "machine/loader/image_file.hpp"
#include "machine/loader/memory_map.hpp"
#include "machine/loader/multiboot.hpp"
#include "machine/loader/multiboot_info.hpp"

#include <cstdio>
#include <elf.h>

namespace hvlab::machine {

// Which protocol: a valid Multiboot header wins (as QEMU's -kernel); otherwise an ELF64 file
// boots directly. The rest is refused with the most specific reason we can give.
BootInfo load_boot_image(const BootSpec& spec, mmu::PhysBus& bus, cpu::CpuState& cpu) {
    const std::string& path = spec.image_path;
    if (!ram_conflict(bus, kElf64ReservedStart, kInfoEnd).empty())
        throw UserError("RAM is too small: the boot loader's data needs [0x1000, 0x9558)");
    const std::vector<uint8_t> file = read_image_file(path, "kernel image");
    const MultibootScan scan = scan_multiboot_header(file);
    if (scan.header_offset) return load_multiboot(file, scan, spec, bus, cpu);
    const bool elf = is_elf(file);
    if (elf && file.size() > EI_CLASS && file[EI_CLASS] == ELFCLASS64)
        return load_elf64(file, spec, bus, cpu);
    if (scan.bad_checksum_offset) {
        char off[16];
        std::snprintf(off, sizeof off, "0x%x", *scan.bad_checksum_offset);
        throw UserError(path + ": Multiboot header at offset " + off + " has a bad checksum");
    }
    if (elf)
        throw UserError(path + ": ELF32 image has no Multiboot header in its first 8192 bytes");
    throw UserError(path + ": not a bootable image (neither a Multiboot kernel nor an ELF64 "
                           "executable)");
}

// QEMU's get_opt_value() splitting: ',' ends an item, ",," stands for one ','.
std::vector<ModuleSpec> parse_initrd_list(const std::string& list) {
    std::vector<std::string> items(1);
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] != ',')
            items.back() += list[i];
        else if (i + 1 < list.size() && list[i + 1] == ',')
            items.back() += ',', ++i;
        else
            items.emplace_back();
    }
    std::vector<ModuleSpec> out;
    for (const std::string& item : items) {
        const size_t space = item.find(' ');
        ModuleSpec m{item.substr(0, space),
                     space == std::string::npos ? "" : item.substr(space + 1)};
        if (m.path.empty()) throw UserError("empty module name in initrd list '" + list + "'");
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace hvlab::machine

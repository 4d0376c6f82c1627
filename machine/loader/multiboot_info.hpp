// The Multiboot information QEMU's `-kernel` hands a kernel (Multiboot Specification 0.6.96,
// "Boot information format"), laid out where QEMU lays it out:
//
//   0x9000             memory map: entries of {u32 size = 20, u64 base, u64 length, u32 type}
//   0x9500             the 88-byte information structure (EBX at entry)
//   image_low + page_align(image_size):
//                      module list (16 bytes per module), the modules' command lines, the
//                      kernel's command line "<image path> <append>", the boot loader name
//                      "qemu"; then, from the next page boundary, each module's bytes, each
//                      module starting on a page boundary
//
// flags = MEM | BOOTDEV | CMDLINE | MODS | MMAP | LOADER_NAME (0x24F), boot_device 0x8000FFFF,
// exactly as QEMU sets them; mem_lower, mem_upper and the map as SeaBIOS reports them.
#pragma once
#include "machine/loader/boot_loader.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hvlab::machine {

inline constexpr uint64_t kMmapAddr = 0x9000;
inline constexpr uint64_t kInfoAddr = 0x9500;
inline constexpr uint64_t kInfoSize = 88;
inline constexpr uint64_t kInfoEnd = kInfoAddr + kInfoSize;
inline constexpr uint32_t kBootloaderMagic = 0x2BADB002; // EAX at entry

namespace mbi {
// Offsets in the information structure and its flag bits.
inline constexpr unsigned kFlags = 0, kMemLower = 4, kMemUpper = 8, kBootDevice = 12, kCmdline = 16,
                          kModsCount = 20, kModsAddr = 24, kMmapLength = 44, kMmapAddr = 48,
                          kBootLoaderName = 64;
inline constexpr uint32_t kFlagMem = 1u << 0, kFlagBootDevice = 1u << 1, kFlagCmdline = 1u << 2,
                          kFlagMods = 1u << 3, kFlagMmap = 1u << 6, kFlagLoaderName = 1u << 9;
} // namespace mbi

constexpr uint64_t page_align(uint64_t v) {
    return (v + 0xFFF) & ~uint64_t{0xFFF};
}

// What goes after the image: module list, strings and modules, built in memory and checked
// before anything is written, so a refused boot leaves RAM untouched.
struct MultibootInfoBlock {
    uint64_t start = 0;         // image_low + page_align(image_size)
    std::vector<uint8_t> bytes; // from start
    uint64_t cmdline = 0, loader_name = 0;
    uint32_t mods_count = 0;
};

// image_low is the lowest address the image occupies and image_size the bytes it spans from
// there (bss included). Reads every module. Throws UserError if a module cannot be read or the
// block does not fit in RAM below 4 GiB.
MultibootInfoBlock prepare_multiboot_info(const BootSpec& spec, const mmu::PhysBus& bus,
                                          uint64_t image_low, uint64_t image_size);
// Writes the block, the memory map and the information structure; appends what it wrote to
// `loaded`. Returns the structure's address.
uint64_t write_multiboot_info(const MultibootInfoBlock& block, mmu::PhysBus& bus,
                              std::vector<std::pair<uint64_t, uint64_t>>& loaded);

// The string QEMU would have been given as -initrd for these modules (its length decides
// where the boot loader name goes): "FILE ARGS" pieces joined by ',', commas doubled.
std::string initrd_string(const std::vector<ModuleSpec>& modules);
std::string module_cmdline(const ModuleSpec& m);

} // namespace hvlab::machine

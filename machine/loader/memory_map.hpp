// The BIOS memory map (INT 15h, E820h) a guest sees, as QEMU + SeaBIOS report it, and the check
// that a range the loader fills is plain RAM of our physical bus (mmu/phys_bus.hpp).
//
//   range                              type        why
//   0 .. 0x9FC00                       available   conventional memory below the EBDA
//   0x9FC00 .. 0xA0000                 reserved    SeaBIOS's 1 KiB extended BIOS data area
//   0xF0000 .. 0x100000                reserved    the BIOS ROM shadow
//   0x100000 .. low_ram_end - 128 KiB  available   extended memory
//   low_ram_end - 128 KiB .. low_ram_end
//                                      reserved    SeaBIOS's high tables (its ZoneHigh)
//   0xFFFC0000 .. 0x100000000          reserved    the 256 KiB BIOS flash at the top of 4 GiB
//   0x100000000 .. high_ram_end        available   the part of -m that did not fit below 4 GiB
//
// hvlab has no BIOS in those reserved places, but a guest written against QEMU sees them, and
// the ROMs compare their printed map with QEMU's. The 128 KiB is what SeaBIOS 1.16 keeps of its
// high zone under QEMU 7.2 with one CPU (it returns the unused rest of 256 KiB as RAM); checked
// against qemu-system-x86_64 -m 256M and -m 5G. QEMU also lists the AMD HyperTransport hole
// (0xFD00000000..) when its CPU says AuthenticAMD; hvlab's CPU is GenuineIntel, so it does not.
#pragma once
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::machine {

struct E820Entry {
    enum Type : uint32_t { Available = 1, Reserved = 2 };
    uint64_t base, length;
    uint32_t type;
};

inline constexpr uint64_t kEbdaStart = 0x9FC00;
inline constexpr uint64_t kBiosShadowStart = 0xF0000;
inline constexpr uint64_t kBiosFlashStart = 0xFFFC'0000;
inline constexpr uint64_t kSeaBiosHighTables = 128 * 1024;

std::vector<E820Entry> e820_map(const mmu::PhysBus& bus);
// Multiboot mem_lower / mem_upper in KiB: conventional memory below the EBDA (639 KiB on a
// big enough machine, from INT 12h), and the available memory contiguous from 1 MiB (up to
// SeaBIOS's high tables).
uint32_t mem_lower_kib(const mmu::PhysBus& bus);
uint32_t mem_upper_kib(const mmu::PhysBus& bus);

// Empty if [start, end) is all RAM; otherwise why not, e.g. "overlaps the legacy hole
// [0xa0000, 0x100000)", "overlaps the MMIO hole [0xe0000000, 0x100000000)" or "lies beyond
// the end of RAM (RAM ends at 0x10000000)".
std::string ram_conflict(const mmu::PhysBus& bus, uint64_t start, uint64_t end);

} // namespace hvlab::machine

// Multiboot v1 kernels as QEMU's `-kernel` loads them (hw/i386/multiboot.c, QEMU 7.2):
// the header is the first 4-byte-aligned {magic 0x1BADB002, flags, checksum} with
// magic + flags + checksum == 0 (mod 2^32) in the first 8192 bytes. Header flag bit 16 (the
// "a.out kludge") means the load addresses come from the header and win over any ELF headers;
// otherwise the image must be an i386 ELF32 file, loaded by its program headers.
#pragma once
#include "machine/loader/boot_loader.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace hvlab::machine {

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
inline constexpr uint32_t kMultibootAoutKludge = 1u << 16;
inline constexpr uint32_t kMultibootSearchLimit = 8192;

struct MultibootScan {
    std::optional<uint32_t> header_offset;       // the first valid header
    std::optional<uint32_t> bad_checksum_offset; // the first magic with a wrong checksum
    uint32_t flags = 0;
};
MultibootScan scan_multiboot_header(const std::vector<uint8_t>& file);

BootInfo load_multiboot(const std::vector<uint8_t>& file, const MultibootScan& scan,
                        const BootSpec& spec, mmu::PhysBus& bus, cpu::CpuState& cpu);

} // namespace hvlab::machine

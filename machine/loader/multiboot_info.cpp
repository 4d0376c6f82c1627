#include "machine/loader/multiboot_info.hpp"

#include "common/error.hpp"
#include "machine/loader/image_file.hpp"
#include "machine/loader/memory_map.hpp"

#include <cstdio>
#include <cstring>

namespace hvlab::machine {

namespace {

constexpr const char* kBootloaderName = "qemu"; // what QEMU reports, so guests see the same
constexpr uint64_t kModEntrySize = 16;          // mod_start, mod_end, string, reserved
constexpr uint32_t kMmapEntrySize = 20;         // the "size" field: bytes after itself

std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

void put32(std::vector<uint8_t>& b, uint64_t off, uint64_t v) {
    for (unsigned i = 0; i < 4; ++i)
        b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, uint64_t off, uint64_t v) {
    put32(b, off, v);
    put32(b, off + 4, v >> 32);
}
void put_string(std::vector<uint8_t>& b, uint64_t off, const std::string& s) {
    std::memcpy(b.data() + off, s.c_str(), s.size() + 1);
}

void write_or_fail(mmu::PhysBus& bus, uint64_t addr, const std::vector<uint8_t>& bytes) {
    // Callers check the range first; a failure here is a loader bug, reported the same way.
    if (!bus.write_bytes(Hpa(addr), bytes.data(), bytes.size()))
        throw UserError("boot data at " + hex(addr) + " does not fit in RAM");
}

// The memory map at kMmapAddr; returns its length in bytes (mmap_length).
uint32_t write_mmap(mmu::PhysBus& bus) {
    const auto map = e820_map(bus);
    std::vector<uint8_t> b(map.size() * (4 + kMmapEntrySize));
    for (size_t i = 0; i < map.size(); ++i) {
        const uint64_t o = i * (4 + kMmapEntrySize);
        put32(b, o, kMmapEntrySize);
        put64(b, o + 4, map[i].base);
        put64(b, o + 12, map[i].length);
        put32(b, o + 20, map[i].type);
    }
    write_or_fail(bus, kMmapAddr, b);
    return static_cast<uint32_t>(b.size());
}

// Builds what QEMU appends to the image: module list, strings, then page-aligned modules.
MultibootInfoBlock build_block(const BootSpec& spec, uint64_t image_low, uint64_t image_size) {
    const uint64_t n = spec.modules.size();
    const uint64_t mbinfo = page_align(image_size);
    uint64_t cmdline_len = spec.image_path.size() + 1 + spec.append.size() + 1;
    if (n) cmdline_len += initrd_string(spec.modules).size() + 1;
    uint64_t size =
        page_align(mbinfo + kModEntrySize * n + cmdline_len + std::strlen(kBootloaderName) + 1);
    MultibootInfoBlock t;
    t.bytes.assign(size - mbinfo, 0);
    t.start = image_low + mbinfo;
    t.mods_count = static_cast<uint32_t>(n);
    uint64_t strings = kModEntrySize * n; // offsets below are relative to mbinfo
    const uint64_t loader = strings + cmdline_len;
    for (uint64_t i = 0; i < n; ++i) {
        const std::string cmd = module_cmdline(spec.modules[i]);
        put_string(t.bytes, strings, cmd);
        const uint64_t cmd_phys = image_low + mbinfo + strings;
        strings += cmd.size() + 1;
        const std::vector<uint8_t> data = read_image_file(spec.modules[i].path, "module");
        const uint64_t offs = size;
        size = page_align(offs + data.size());
        t.bytes.resize(size - mbinfo, 0);
        if (!data.empty()) std::memcpy(t.bytes.data() + (offs - mbinfo), data.data(), data.size());
        put32(t.bytes, kModEntrySize * i, image_low + offs);
        put32(t.bytes, kModEntrySize * i + 4, image_low + offs + data.size());
        put32(t.bytes, kModEntrySize * i + 8, cmd_phys);
    }
    // QEMU's kernel command line is "%s %s": the image's own path, a space, then --append.
    put_string(t.bytes, strings, spec.image_path + " " + spec.append);
    t.cmdline = image_low + mbinfo + strings;
    put_string(t.bytes, loader, kBootloaderName);
    t.loader_name = image_low + mbinfo + loader;
    return t;
}

} // namespace

std::string module_cmdline(const ModuleSpec& m) {
    return m.args.empty() ? m.path : m.path + " " + m.args;
}

std::string initrd_string(const std::vector<ModuleSpec>& modules) {
    std::string s;
    for (size_t i = 0; i < modules.size(); ++i) {
        if (i) s += ',';
        for (char c : module_cmdline(modules[i]))
            s += c == ',' ? std::string(",,") : std::string(1, c);
    }
    return s;
}

MultibootInfoBlock prepare_multiboot_info(const BootSpec& spec, const mmu::PhysBus& bus,
                                          uint64_t image_low, uint64_t image_size) {
    MultibootInfoBlock t = build_block(spec, image_low, image_size);
    const uint64_t start = t.start, end = start + t.bytes.size();
    const std::string what =
        spec.modules.empty() ? "boot information" : "boot information and modules";
    const std::string range = " [" + hex(start) + ", " + hex(end) + ")";
    if (end > (uint64_t{1} << 32))
        throw UserError(spec.image_path + ": " + what + range +
                        " lies above 4 GiB, out of reach of the 32-bit Multiboot fields");
    if (std::string why = ram_conflict(bus, start, end); !why.empty())
        throw UserError(spec.image_path + ": " + what + range + " " + why);
    return t;
}

uint64_t write_multiboot_info(const MultibootInfoBlock& t, mmu::PhysBus& bus,
                              std::vector<std::pair<uint64_t, uint64_t>>& loaded) {
    write_or_fail(bus, t.start, t.bytes);
    loaded.emplace_back(t.start, t.start + t.bytes.size());

    std::vector<uint8_t> info(kInfoSize, 0);
    put32(info, mbi::kFlags,
          mbi::kFlagMem | mbi::kFlagBootDevice | mbi::kFlagCmdline | mbi::kFlagMods |
              mbi::kFlagMmap | mbi::kFlagLoaderName);
    put32(info, mbi::kMemLower, mem_lower_kib(bus));
    put32(info, mbi::kMemUpper, mem_upper_kib(bus));
    put32(info, mbi::kBootDevice, 0x8000FFFF); // first BIOS disk, no partition: QEMU's value
    put32(info, mbi::kCmdline, t.cmdline);
    put32(info, mbi::kModsCount, t.mods_count);
    put32(info, mbi::kModsAddr, t.start); // the module list opens the block, even when empty
    put32(info, mbi::kMmapLength, write_mmap(bus));
    put32(info, mbi::kMmapAddr, kMmapAddr);
    put32(info, mbi::kBootLoaderName, t.loader_name);
    write_or_fail(bus, kInfoAddr, info);
    loaded.emplace_back(kMmapAddr, kInfoEnd);
    return kInfoAddr;
}

} // namespace hvlab::machine

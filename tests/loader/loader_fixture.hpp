// Shared helpers for the loader tests: a machine-sized bus, a CPU state, and readers for guest
// memory.
#pragma once
#include "common/error.hpp"
#include "cpu/cpu_state.hpp"
#include "image_builder.hpp"
#include "machine/loader/boot_loader.hpp"
#include "mmu/phys_bus.hpp"

#include <string>
#include <vector>

namespace hvlab::test {

constexpr uint64_t kMiB = 1024 * 1024;

struct LoaderFixture {
    explicit LoaderFixture(uint64_t ram = 256 * kMiB) : bus(ram) {}

    machine::BootInfo boot(const std::string& path, const std::string& append = "",
                           std::vector<machine::ModuleSpec> modules = {}) {
        machine::BootSpec spec{path, append, std::move(modules)};
        return machine::load_boot_image(spec, bus, cpu);
    }
    uint32_t r32(uint64_t a) { return static_cast<uint32_t>(bus.read(Hpa(a), 4)); }
    uint64_t r64(uint64_t a) { return bus.read(Hpa(a), 8); }
    uint8_t r8(uint64_t a) { return static_cast<uint8_t>(bus.read(Hpa(a), 1)); }
    std::string cstr(uint64_t a) {
        std::string s;
        for (uint8_t c; (c = r8(a)) != 0 && s.size() < 4096; ++a)
            s += static_cast<char>(c);
        return s;
    }
    std::vector<uint8_t> bytes(uint64_t a, size_t n) {
        std::vector<uint8_t> b(n);
        bus.read_bytes(Hpa(a), b.data(), n);
        return b;
    }
    void fill(uint64_t a, size_t n, uint8_t v) {
        std::vector<uint8_t> b(n, v);
        bus.write_bytes(Hpa(a), b.data(), n);
    }
    // The message of the UserError that booting `path` throws ("" if none).
    std::string boot_error(const std::string& path, std::vector<machine::ModuleSpec> modules = {}) {
        try {
            boot(path, "", std::move(modules));
        } catch (const UserError& e) {
            return e.what();
        }
        return "";
    }

    ScratchDir dir;
    mmu::PhysBus bus;
    cpu::CpuState cpu;
};

// A two-segment ELF32 Multiboot kernel at 1 MiB: code (0x1234 bytes) and data + bss.
inline ElfSpec basic_elf32() {
    ElfSpec s;
    s.entry = 0x100010;
    s.segments.push_back({0x100000, 0x100000, pattern(0x1234, 1), 0x1234, true});
    s.segments.push_back({0x200000, 0x200000, pattern(0x100, 2), 0x1100, false});
    return s;
}

} // namespace hvlab::test

#include "machine/loader/segment_loader.hpp"

#include "common/error.hpp"
#include "machine/loader/memory_map.hpp"
#include "machine/loader/multiboot_info.hpp"

#include <algorithm>
#include <cstdio>

namespace hvlab::machine {

namespace {
std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

std::string range(uint64_t s, uint64_t e) {
    return "[" + hex(s) + ", " + hex(e) + ")";
}

void check_piece(const LoadPiece& p, const std::string& path, const mmu::PhysBus& bus,
                 uint64_t reserved_start) {
    const uint64_t end = p.addr + p.memsz;
    const std::string where = path + ": " + p.label + " " + range(p.addr, end) + " ";
    if (end < p.addr) throw UserError(where + "wraps around the address space");
    if (std::string why = ram_conflict(bus, p.addr, end); !why.empty())
        throw UserError(where + why);
    if (p.addr < kInfoEnd && reserved_start < end)
        throw UserError(where + "overlaps the boot loader's data " +
                        range(reserved_start, kInfoEnd));
}

void check_disjoint(std::vector<const LoadPiece*> sorted, const std::string& path) {
    std::sort(sorted.begin(), sorted.end(),
              [](const LoadPiece* a, const LoadPiece* b) { return a->addr < b->addr; });
    for (size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i]->addr < sorted[i - 1]->addr + sorted[i - 1]->memsz)
            throw UserError(path + ": " + sorted[i - 1]->label + " and " + sorted[i]->label +
                            " overlap");
}
} // namespace

void check_pieces(const std::vector<LoadPiece>& pieces, const std::string& path,
                  const mmu::PhysBus& bus, uint64_t reserved_start) {
    std::vector<const LoadPiece*> all;
    for (const LoadPiece& p : pieces) {
        check_piece(p, path, bus, reserved_start);
        all.push_back(&p);
    }
    check_disjoint(all, path);
}

void copy_pieces(const std::vector<LoadPiece>& pieces, mmu::PhysBus& bus,
                 std::vector<std::pair<uint64_t, uint64_t>>& loaded) {
    const std::vector<uint8_t> zeros(0x10000, 0);
    for (const LoadPiece& p : pieces) {
        bus.write_bytes(Hpa(p.addr), p.data, p.filesz);
        // Zero the bss explicitly: RAM may hold data from an earlier boot of the same machine.
        for (uint64_t done = p.filesz; done < p.memsz;) {
            const uint64_t n = std::min<uint64_t>(zeros.size(), p.memsz - done);
            bus.write_bytes(Hpa(p.addr + done), zeros.data(), n);
            done += n;
        }
        loaded.emplace_back(p.addr, p.addr + p.memsz);
    }
}

} // namespace hvlab::machine

#include "ui/gui/symbol_table.hpp"

#include "machine/loader/elf_file.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace hvlab::gui {

void SymbolTable::add(const std::vector<machine::Symbol>& symbols) {
    for (const machine::Symbol& s : symbols)
        if (!s.name.empty()) symbols_.push_back(s);
    sort();
}

void SymbolTable::add_elf_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return;
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    if (!machine::is_elf(bytes)) return;
    try {
        add(machine::parse_elf(bytes, path).symbols);
    } catch (const std::exception&) {
        // A module that is not a loadable ELF still boots (it is only data to the guest).
    }
}

void SymbolTable::sort() {
    std::stable_sort(symbols_.begin(), symbols_.end(),
                     [](const auto& a, const auto& b) { return a.address < b.address; });
}

const machine::Symbol* SymbolTable::at(uint64_t address) const {
    auto it = std::lower_bound(symbols_.begin(), symbols_.end(), address,
                               [](const machine::Symbol& s, uint64_t a) { return s.address < a; });
    return it != symbols_.end() && it->address == address ? &*it : nullptr;
}

std::string SymbolTable::describe(uint64_t address) const {
    auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                               [](uint64_t a, const machine::Symbol& s) { return a < s.address; });
    if (it == symbols_.begin()) return "";
    --it;
    const uint64_t off = address - it->address;
    // Past the end of a sized symbol: only accept it when no size is known and it is close.
    if (it->size ? off >= it->size : off >= 0x1000) return "";
    if (off == 0) return it->name;
    char buf[32];
    std::snprintf(buf, sizeof buf, "+0x%llx", static_cast<unsigned long long>(off));
    return it->name + buf;
}

} // namespace hvlab::gui

#include "machine/loader/elf_file.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <elf.h>

namespace hvlab::machine {

namespace {

std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// [off, off + len) lies inside a file of `size` bytes (no overflow).
bool in_file(uint64_t off, uint64_t len, uint64_t size) {
    return off <= size && len <= size - off;
}

template <class T> T read_struct(const std::vector<uint8_t>& f, uint64_t off) {
    T v;
    std::memcpy(&v, f.data() + off, sizeof(T));
    return v;
}

// Fields common to both classes, widened.
struct Header {
    uint16_t type, machine, phentsize, phnum, shentsize, shnum;
    uint64_t entry, phoff, shoff;
};

template <class Ehdr> Header read_header(const std::vector<uint8_t>& f) {
    const auto e = read_struct<Ehdr>(f, 0);
    return {e.e_type,  e.e_machine, e.e_phentsize, e.e_phnum, e.e_shentsize,
            e.e_shnum, e.e_entry,   e.e_phoff,     e.e_shoff};
}

template <class Phdr>
std::vector<ElfSegment> read_loads(const std::vector<uint8_t>& f, const Header& h,
                                   const std::string& path) {
    std::vector<ElfSegment> out;
    for (unsigned i = 0; i < h.phnum; ++i) {
        const auto p = read_struct<Phdr>(f, h.phoff + uint64_t{i} * sizeof(Phdr));
        if (p.p_type != PT_LOAD || p.p_memsz == 0) continue; // QEMU skips empty segments too
        const std::string seg = path + ": segment " + std::to_string(i);
        if (p.p_filesz > p.p_memsz)
            throw UserError(seg + " has p_filesz " + hex(p.p_filesz) + " > p_memsz " +
                            hex(p.p_memsz));
        if (!in_file(p.p_offset, p.p_filesz, f.size()))
            throw UserError(seg + " data [" + hex(p.p_offset) + ", " +
                            hex(uint64_t{p.p_offset} + p.p_filesz) +
                            ") lies past the end of the file (" + hex(f.size()) + " bytes)");
        if (uint64_t{p.p_paddr} + p.p_memsz < p.p_paddr)
            throw UserError(seg + " wraps around the address space");
        out.push_back(
            {i, p.p_offset, p.p_vaddr, p.p_paddr, p.p_filesz, p.p_memsz, (p.p_flags & PF_X) != 0});
    }
    return out;
}

// Reads .symtab through the section headers; returns nothing if any part is out of bounds.
template <class Shdr, class Sym>
std::vector<Symbol> read_symbols(const std::vector<uint8_t>& f, const Header& h) {
    std::vector<Symbol> out;
    if (h.shnum == 0 || h.shentsize != sizeof(Shdr) ||
        !in_file(h.shoff, uint64_t{h.shnum} * sizeof(Shdr), f.size()))
        return out;
    for (unsigned i = 0; i < h.shnum; ++i) {
        const auto sh = read_struct<Shdr>(f, h.shoff + uint64_t{i} * sizeof(Shdr));
        if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= h.shnum) continue;
        const auto str = read_struct<Shdr>(f, h.shoff + uint64_t{sh.sh_link} * sizeof(Shdr));
        if (!in_file(sh.sh_offset, sh.sh_size, f.size()) ||
            !in_file(str.sh_offset, str.sh_size, f.size()))
            return {};
        for (uint64_t off = 0; off + sizeof(Sym) <= sh.sh_size; off += sizeof(Sym)) {
            const auto s = read_struct<Sym>(f, sh.sh_offset + off);
            const unsigned kind = s.st_info & 0xF; // ELF{32,64}_ST_TYPE
            if (s.st_name == 0 || s.st_name >= str.sh_size || s.st_shndx == SHN_UNDEF) continue;
            if (kind != STT_FUNC && kind != STT_OBJECT && kind != STT_NOTYPE) continue;
            const char* name = reinterpret_cast<const char*>(f.data() + str.sh_offset + s.st_name);
            const size_t max = str.sh_size - s.st_name;
            out.push_back({std::string(name, strnlen(name, max)), s.st_value, s.st_size});
        }
        break;
    }
    return out;
}

template <class Ehdr, class Phdr, class Shdr, class Sym>
ElfFile parse_class(const std::vector<uint8_t>& f, const std::string& path, bool is64) {
    if (f.size() < sizeof(Ehdr))
        throw UserError(path + ": truncated ELF header (" + std::to_string(f.size()) + " bytes)");
    const Header h = read_header<Ehdr>(f);
    if (h.phnum == PN_XNUM)
        throw UserError(path + ": extended program header numbering (PN_XNUM) is not supported");
    if (h.phnum != 0 && h.phentsize != sizeof(Phdr))
        throw UserError(path + ": e_phentsize is " + std::to_string(h.phentsize) + ", expected " +
                        std::to_string(sizeof(Phdr)));
    const uint64_t table_size = uint64_t{h.phnum} * sizeof(Phdr);
    if (!in_file(h.phoff, table_size, f.size()))
        throw UserError(path + ": truncated program header table (" + std::to_string(h.phnum) +
                        " entries at offset " + hex(h.phoff) + ", file is " + hex(f.size()) +
                        " bytes)");
    ElfFile e{is64, h.machine, h.type, h.entry, read_loads<Phdr>(f, h, path), {}};
    if (e.loads.empty()) throw UserError(path + ": ELF file has no loadable segment");
    e.symbols = read_symbols<Shdr, Sym>(f, h);
    return e;
}

} // namespace

bool is_elf(const std::vector<uint8_t>& file) {
    return file.size() >= SELFMAG && std::memcmp(file.data(), ELFMAG, SELFMAG) == 0;
}

ElfFile parse_elf(const std::vector<uint8_t>& f, const std::string& path) {
    if (f.size() < EI_NIDENT) throw UserError(path + ": truncated ELF header");
    if (f[EI_DATA] != ELFDATA2LSB)
        throw UserError(path + ": ELF file is not little-endian (EI_DATA " +
                        std::to_string(f[EI_DATA]) + ")");
    if (f[EI_VERSION] != EV_CURRENT)
        throw UserError(path + ": unknown ELF version " + std::to_string(f[EI_VERSION]));
    switch (f[EI_CLASS]) {
    case ELFCLASS32:
        return parse_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr, Elf32_Sym>(f, path, false);
    case ELFCLASS64:
        return parse_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr, Elf64_Sym>(f, path, true);
    default: throw UserError(path + ": unknown ELF class " + std::to_string(f[EI_CLASS]));
    }
}

uint64_t physical_entry(const ElfFile& elf) {
    for (const ElfSegment& s : elf.loads) {
        if (s.executable && s.vaddr != s.paddr && elf.entry >= s.vaddr &&
            elf.entry - s.vaddr < s.filesz)
            return elf.entry - s.vaddr + s.paddr;
    }
    return elf.entry;
}

} // namespace hvlab::machine

#include "image_builder.hpp"

#include <cstring>
#include <elf.h>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace hvlab::test {

namespace {
template <class T> void put(std::vector<uint8_t>& f, uint64_t off, const T& v) {
    if (f.size() < off + sizeof(T)) f.resize(off + sizeof(T), 0);
    std::memcpy(f.data() + off, &v, sizeof(T));
}
void put_bytes(std::vector<uint8_t>& f, uint64_t off, const std::vector<uint8_t>& b) {
    if (f.size() < off + b.size()) f.resize(off + b.size(), 0);
    if (!b.empty()) std::memcpy(f.data() + off, b.data(), b.size());
}

template <class Ehdr, class Phdr, class Shdr, class Sym>
std::vector<uint8_t> build(const ElfSpec& s, unsigned char elf_class) {
    std::vector<uint8_t> f(0x1000, 0);
    Ehdr e{};
    std::memcpy(e.e_ident, ELFMAG, SELFMAG);
    e.e_ident[EI_CLASS] = elf_class;
    e.e_ident[EI_DATA] = ELFDATA2LSB;
    e.e_ident[EI_VERSION] = EV_CURRENT;
    e.e_type = s.type;
    e.e_machine = s.machine;
    e.e_version = EV_CURRENT;
    e.e_entry = static_cast<decltype(e.e_entry)>(s.entry);
    e.e_phoff = sizeof(Ehdr);
    e.e_ehsize = sizeof(Ehdr);
    e.e_phentsize = sizeof(Phdr);
    e.e_phnum = static_cast<uint16_t>(s.segments.size());
    uint64_t off = 0x1000;
    for (size_t i = 0; i < s.segments.size(); ++i) {
        const SegmentSpec& seg = s.segments[i];
        Phdr p{};
        p.p_type = PT_LOAD;
        p.p_flags = PF_R | (seg.executable ? PF_X : PF_W);
        p.p_offset = static_cast<decltype(p.p_offset)>(off);
        p.p_vaddr = static_cast<decltype(p.p_vaddr)>(seg.vaddr);
        p.p_paddr = static_cast<decltype(p.p_paddr)>(seg.paddr);
        p.p_filesz = static_cast<decltype(p.p_filesz)>(seg.data.size());
        p.p_memsz = static_cast<decltype(p.p_memsz)>(seg.memsz);
        p.p_align = 0x1000;
        put(f, sizeof(Ehdr) + i * sizeof(Phdr), p);
        put_bytes(f, off, seg.data);
        off = (off + seg.data.size() + 0xFFF) & ~uint64_t{0xFFF};
        if (seg.data.empty()) off += 0x1000;
    }
    if (s.multiboot) put_bytes(f, s.header_offset, multiboot_header(s.header));
    if (!s.symbols.empty()) {
        // .strtab, .symtab, then section headers: [0] null, [1] .symtab, [2] .strtab.
        std::vector<uint8_t> strtab(1, 0), symtab(sizeof(Sym), 0);
        for (const auto& [name, addr] : s.symbols) {
            Sym sym{};
            sym.st_name = static_cast<uint32_t>(strtab.size());
            sym.st_value = static_cast<decltype(sym.st_value)>(addr);
            sym.st_size = 16;
            sym.st_info = static_cast<unsigned char>((STB_GLOBAL << 4) | STT_FUNC);
            sym.st_shndx = 1;
            strtab.insert(strtab.end(), name.begin(), name.end());
            strtab.push_back(0);
            symtab.resize(symtab.size() + sizeof(Sym));
            std::memcpy(symtab.data() + symtab.size() - sizeof(Sym), &sym, sizeof(Sym));
        }
        const uint64_t sym_off = f.size(), str_off = sym_off + symtab.size();
        put_bytes(f, sym_off, symtab);
        put_bytes(f, str_off, strtab);
        const uint64_t sh_off = (f.size() + 7) & ~uint64_t{7};
        Shdr sh[3]{};
        sh[1].sh_type = SHT_SYMTAB;
        sh[1].sh_offset = static_cast<decltype(sh[1].sh_offset)>(sym_off);
        sh[1].sh_size = static_cast<decltype(sh[1].sh_size)>(symtab.size());
        sh[1].sh_link = 2;
        sh[1].sh_entsize = sizeof(Sym);
        sh[2].sh_type = SHT_STRTAB;
        sh[2].sh_offset = static_cast<decltype(sh[2].sh_offset)>(str_off);
        sh[2].sh_size = static_cast<decltype(sh[2].sh_size)>(strtab.size());
        for (int i = 0; i < 3; ++i)
            put(f, sh_off + i * sizeof(Shdr), sh[i]);
        e.e_shoff = static_cast<decltype(e.e_shoff)>(sh_off);
        e.e_shentsize = sizeof(Shdr);
        e.e_shnum = 3;
    }
    put(f, 0, e);
    return f;
}
} // namespace

std::vector<uint8_t> multiboot_header(const MultibootHeaderSpec& h) {
    const uint32_t magic = 0x1BADB002;
    uint32_t words[8] = {magic,          h.flags,     static_cast<uint32_t>(-(magic + h.flags)),
                         h.header_addr,  h.load_addr, h.load_end_addr,
                         h.bss_end_addr, h.entry_addr};
    if (h.bad_checksum) words[2] ^= 1;
    std::vector<uint8_t> b(sizeof words);
    std::memcpy(b.data(), words, sizeof words);
    return b;
}

std::vector<uint8_t> build_elf(const ElfSpec& spec) {
    return spec.is64 ? build<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr, Elf64_Sym>(spec, ELFCLASS64)
                     : build<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr, Elf32_Sym>(spec, ELFCLASS32);
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
    return b;
}

ScratchDir::ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hvlab-loader-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string ScratchDir::write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return p;
}

} // namespace hvlab::test

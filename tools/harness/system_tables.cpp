// Formats from the SDM Vol. 3A (Intel SDM, Dec 2023, Order 325462-081): "Segment Descriptors",
// "64-Bit Mode IDT" / "IDT Descriptors", "Task-State Segment (TSS)" / "64-Bit Task-State
// Segment", and "4-Level Paging and 5-Level Paging".
#include "tools/harness/system_tables.hpp"

#include "tools/harness/guest_layout.hpp"

#include <cstring>

namespace hvlab::tools {

namespace {

using namespace layout;

constexpr uint64_t kPdptLow = 0x9000, kPdLow = 0xA000, kPtLow = 0xB000;
constexpr uint64_t kPdptHigh = 0xC000, kPdHigh = 0xD000, kPtHigh = 0xE000;
constexpr uint64_t kPresentWritable = 0x3; // P | R/W, supervisor

// Where the CPU sees a system page: high half in 64-bit mode, physical otherwise.
uint64_t linear_of(Mode mode, uint64_t phys) { return mode == Mode::Long64 ? kSystemLinear64 + phys : phys; }

void put64(std::vector<uint8_t>& img, uint64_t at, uint64_t v) { std::memcpy(&img[at], &v, 8); }
void put32(std::vector<uint8_t>& img, uint64_t at, uint32_t v) { std::memcpy(&img[at], &v, 4); }

// Flat 4 GiB descriptor with the given access byte and flags nibble (G, D/B, L).
uint64_t flat_descriptor(uint8_t access, uint8_t flags) {
    return 0xFFFFull | (uint64_t{access} << 40) | (uint64_t{0xF} << 48) | (uint64_t{flags} << 52);
}

void write_gdt(std::vector<uint8_t>& img, Mode mode) {
    const bool l64 = mode == Mode::Long64;
    put64(img, kGdt + kCodeSel, flat_descriptor(0x9B, l64 ? 0xA : 0xC)); // G|L or G|D
    put64(img, kGdt + kDataSel, flat_descriptor(0x93, 0xC));
    put64(img, kGdt + 0x18, flat_descriptor(0x9B, 0xC)); // 32-bit code (compatibility mode)
    const uint64_t tss = linear_of(mode, kTss);
    const uint64_t lo = 0x67 | ((tss & 0xFF'FFFF) << 16) | (uint64_t{0x8B} << 40) |
                        (((tss >> 24) & 0xFF) << 56); // busy TSS, limit 0x67
    put64(img, kGdt + kTssSel, lo);
    put64(img, kGdt + kTssSel + 8, l64 ? tss >> 32 : 0);
}

void write_idt(std::vector<uint8_t>& img, Mode mode) {
    for (uint64_t v = 0; v < 256; ++v) {
        const uint64_t handler = stub_base(mode) + v * kStubSize;
        // Interrupt gate, present, DPL 0; in 64-bit mode on IST1 so that delivery never
        // depends on the test's RSP.
        const uint64_t lo = (handler & 0xFFFF) | (uint64_t{kCodeSel} << 16) |
                            (uint64_t{mode == Mode::Long64 ? 1u : 0u} << 32) |
                            (uint64_t{0x8E} << 40) | (((handler >> 16) & 0xFFFF) << 48);
        if (mode == Mode::Long64) {
            put64(img, kIdt + v * 16, lo);
            put64(img, kIdt + v * 16 + 8, handler >> 32);
        } else {
            put64(img, kIdt + v * 8, lo);
        }
    }
}

void write_tss(std::vector<uint8_t>& img, Mode mode) {
    const uint64_t stack = linear_of(mode, kExceptionStackTop);
    if (mode == Mode::Long64) {
        put64(img, kTss + 4, stack);    // RSP0
        put64(img, kTss + 0x24, stack); // IST1
        img[kTss + 0x66] = 0x68;        // I/O map base: no bitmap
    } else {
        put32(img, kTss + 4, static_cast<uint32_t>(stack)); // ESP0
        put32(img, kTss + 8, kDataSel);                     // SS0
        img[kTss + 0x66] = 0x68;
    }
}

void write_page_tables(std::vector<uint8_t>& img) {
    put64(img, kPml4 + 0, kPdptLow | kPresentWritable);
    put64(img, kPml4 + 256 * 8, kPdptHigh | kPresentWritable); // kSystemLinear64
    put64(img, kPdptLow, kPdLow | kPresentWritable);
    put64(img, kPdLow + 2 * 8, kPtLow | kPresentWritable); // 0x40_0000 .. 0x5F_FFFF
    for (const Region& r : kRegions)
        for (uint64_t a = r.base; a < r.base + r.size; a += kPage)
            put64(img, kPtLow + ((a - 0x40'0000) >> 12) * 8, a | kPresentWritable);
    put64(img, kPdptHigh, kPdHigh | kPresentWritable);
    put64(img, kPdHigh, kPtHigh | kPresentWritable);
    for (uint64_t p = kGdt; p < kPml4; p += kPage) put64(img, kPtHigh + (p >> 12) * 8, p | kPresentWritable);
}

} // namespace

uint64_t stub_base(Mode mode) { return linear_of(mode, kStubs); }

std::vector<uint8_t> system_image(Mode mode) {
    std::vector<uint8_t> img(kSystemEnd, 0);
    write_gdt(img, mode);
    write_idt(img, mode);
    write_tss(img, mode);
    std::memset(&img[kStubs], 0xF4, 256 * kStubSize); // HLT in every stub
    if (mode == Mode::Long64) write_page_tables(img);
    return img;
}

void set_system_state(cpu::CpuState& s, Mode mode, uint64_t fs_base, uint64_t gs_base) {
    using namespace hvlab::cpu;
    const bool l64 = mode == Mode::Long64;
    s.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | (l64 ? cr0::WP | cr0::PG : 0);
    s.cr3 = l64 ? kPml4 : 0;
    s.cr4 = cr4::OSFXSR | cr4::OSXMMEXCPT | (l64 ? cr4::PAE : 0);
    s.efer = l64 ? efer::LME | efer::LMA : 0;
    const Segment data{kDataSel, 0, 0xFFFF'FFFF, 0xC093}; // G, D/B, present, writable, accessed
    for (SegReg r : {ES, SS, DS, FS, GS}) s.seg[r] = data;
    s.seg[FS].base = fs_base;
    s.seg[GS].base = gs_base;
    s.seg[CS] = Segment{kCodeSel, 0, 0xFFFF'FFFF, l64 ? 0xA09Bu : 0xC09Bu}; // G + L, or G + D
    s.gdtr = DescriptorTable{linear_of(mode, kGdt), 0x37};
    s.idtr = DescriptorTable{linear_of(mode, kIdt), l64 ? 256u * 16 - 1 : 256u * 8 - 1};
    s.tr = Segment{kTssSel, linear_of(mode, kTss), 0x67, 0x8B};
    s.activity = CpuState::Activity::Active;
    s.sti_shadow = s.movss_shadow = false;
}

} // namespace hvlab::tools

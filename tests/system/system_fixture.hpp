// Test fixture for the system layer: a 16 MiB machine in IA-32e mode with identity paging,
// a GDT, an IDT and a 64-bit TSS, and a CpuEnv that records what it is told. Tests call the
// cpu/system.hpp functions directly; no interpreter is involved.
//
//   0x0000_1000  GDT (selectors below)       0x0000_2000  IDT (256 x 16 bytes)
//   0x0000_3000  TSS (RSP0 = 0x9000, IST1 = 0xA008, I/O map at 0x3000+0x68)
//   0x0000_4000  LDT                          0x0000_8000  ring-0 stack top
//   0x0010_0000+ page tables: 0..16 MiB identity with 2 MiB pages, user, writable
#pragma once
#include "cpu/system.hpp"
#include "tests/mmu/page_tables.hpp"

#include <string>
#include <vector>

namespace hvlab::test {

namespace sel {
inline constexpr uint16_t kCode64 = 0x08, kData0 = 0x10, kUserCode32 = 0x18, kUserData = 0x20,
                          kUserCode64 = 0x28, kTss = 0x30, kCode32 = 0x40, kCallGate = 0x48,
                          kNotPresent = 0x58, kConforming = 0x60, kLdt = 0x68,
                          kReadOnlyData0 = 0x78, kExecOnly0 = 0x80, kCode64Dpl1 = 0x88,
                          kData1 = 0x90, kGdtEntries = 0x98;
}

inline constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kTssBase = 0x3000, kLdtBase = 0x4000;
inline constexpr uint64_t kRsp0 = 0x9000, kIst1 = 0xA008, kRsp1 = 0xB000;

// A code or data descriptor: access byte (P DPL S type) and flags nibble (G D/B L AVL).
constexpr uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    return (limit & 0xFFFFull) | (uint64_t{base & 0xFFFFFF} << 16) | (uint64_t{access} << 40) |
           (uint64_t{(limit >> 16) & 0xF} << 48) | (uint64_t(flags & 0xF) << 52) |
           (uint64_t{base >> 24} << 56);
}

struct RecordingEnv : cpu::CpuEnv {
    std::vector<std::string> log;
    std::vector<uint8_t> exceptions, interrupts;
    bool shut = false;
    uint32_t port_in(uint16_t, unsigned) override { return 0xFFFF'FFFF; }
    void port_out(uint16_t, unsigned, uint32_t) override {}
    bool device_msr_read(uint32_t index, uint64_t& v) override {
        if (index != 0x6E0) return false; // IA32_TSC_DEADLINE, as a LAPIC would claim it
        v = deadline;
        return true;
    }
    bool device_msr_write(uint32_t index, uint64_t v) override {
        if (index == 0x1B) apic_base_seen = v;
        if (index != 0x6E0) return false;
        deadline = v;
        return true;
    }
    void exception_delivered(uint8_t v, bool, uint32_t, uint64_t) override {
        exceptions.push_back(v);
    }
    void interrupt_delivered(uint8_t v, uint64_t) override { interrupts.push_back(v); }
    void cr8_written(uint64_t v) override { cr8_seen = v; }
    void tsc_written() override { ++tsc_writes; }
    unsigned tsc_writes = 0;
    void shutdown(const char* why) override {
        shut = true;
        log.push_back(why);
    }
    uint64_t deadline = 0, apic_base_seen = 0, cr8_seen = ~uint64_t{0};
};

struct SystemFixture {
    mmu::PhysBus bus{16 << 20};
    PageTables pt{bus, PageTables::Level4};
    cpu::LinearMemory mem{bus};
    RecordingEnv env;
    cpu::CpuState s;
    cpu::SystemContext c{s, mem, env, 0};

    SystemFixture() {
        for (uint64_t a = 0; a < (16 << 20); a += 0x20'0000) pt.map(a, a, P | RW | US | PS, 2);
        s = pt.state(0);
        s.efer |= cpu::efer::SCE;
        write_gdt();
        s.gdtr = {kGdt, sel::kGdtEntries - 1};
        s.idtr = {kIdt, 256 * 16 - 1};
        s.seg[cpu::CS] = {sel::kCode64, 0, 0xFFFF'FFFF, 0xA09B};
        for (auto r : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS})
            s.seg[r] = {sel::kData0, 0, 0xFFFF'FFFF, 0xC093};
        s.gpr[cpu::RSP] = 0x8000;
        write_tss();
        s.tr = {sel::kTss, kTssBase, 0x67 + 0x2000 / 8 + 1, 0x8B};
    }

    void gdt(uint16_t selector, uint64_t raw) { bus.write(Hpa(kGdt + (selector & ~7)), 8, raw); }
    // IA-32e system descriptors and gates take two slots.
    void gdt16(uint16_t selector, uint64_t lo, uint64_t hi) {
        gdt(selector, lo);
        bus.write(Hpa(kGdt + (selector & ~7) + 8), 8, hi);
    }
    uint64_t gdt_entry(uint16_t selector) { return bus.read(Hpa(kGdt + (selector & ~7)), 8); }

    void write_gdt() {
        gdt(sel::kCode64, seg_desc(0, 0xFFFFF, 0x9A, 0xA));
        gdt(sel::kData0, seg_desc(0, 0xFFFFF, 0x92, 0xC));
        gdt(sel::kUserCode32, seg_desc(0, 0xFFFFF, 0xFA, 0xC));
        gdt(sel::kUserData, seg_desc(0, 0xFFFFF, 0xF2, 0xC));
        gdt(sel::kUserCode64, seg_desc(0, 0xFFFFF, 0xFA, 0xA));
        const uint32_t tss_limit = 0x67 + 0x2000 / 8 + 1;
        gdt16(sel::kTss, seg_desc(kTssBase, tss_limit, 0x89, 0), 0);
        gdt(sel::kCode32, seg_desc(0, 0xFFFFF, 0x9A, 0xC));
        call_gate(sel::kCallGate, sel::kCode64, 0x50'0000, 3);
        gdt(sel::kNotPresent, seg_desc(0, 0xFFFFF, 0x12, 0xC));
        gdt(sel::kConforming, seg_desc(0, 0xFFFFF, 0x9E, 0xA));
        gdt16(sel::kLdt, seg_desc(kLdtBase, 0x17, 0x82, 0), 0);
        gdt(sel::kReadOnlyData0, seg_desc(0, 0xFFFFF, 0x90, 0xC));
        gdt(sel::kExecOnly0, seg_desc(0, 0xFFFFF, 0x98, 0xC));
        gdt(sel::kCode64Dpl1, seg_desc(0, 0xFFFFF, 0xBA, 0xA));
        gdt(sel::kData1, seg_desc(0, 0xFFFFF, 0xB2, 0xC));
        // LDT entry 1 (selector 0x0C|rpl): a user data segment with base 0x1234.
        bus.write(Hpa(kLdtBase + 8), 8, seg_desc(0x1234, 0xFFFFF, 0xF2, 0xC));
    }

    void call_gate(uint16_t selector, uint16_t target, uint64_t offset, unsigned dpl) {
        const uint64_t lo = (offset & 0xFFFF) | (uint64_t{target} << 16) |
                            (uint64_t{0x80 | (dpl << 5) | 0xC} << 40) |
                            (((offset >> 16) & 0xFFFF) << 48);
        gdt16(selector, lo, offset >> 32);
    }

    // A 64-bit interrupt (type 0xE) or trap (0xF) gate.
    void idt_gate(uint8_t vector, uint64_t offset, uint16_t target = sel::kCode64,
                  unsigned dpl = 0, uint8_t type = 0xE, unsigned ist = 0, bool present = true) {
        const uint64_t lo = (offset & 0xFFFF) | (uint64_t{target} << 16) | (uint64_t{ist} << 32) |
                            (uint64_t{(present ? 0x80u : 0u) | (dpl << 5) | type} << 40) |
                            (((offset >> 16) & 0xFFFF) << 48);
        bus.write(Hpa(kIdt + 16 * vector), 8, lo);
        bus.write(Hpa(kIdt + 16 * vector + 8), 8, offset >> 32);
    }

    void write_tss() {
        bus.write(Hpa(kTssBase + 4), 8, kRsp0);
        bus.write(Hpa(kTssBase + 12), 8, kRsp1);
        bus.write(Hpa(kTssBase + 36), 8, kIst1);
        bus.write(Hpa(kTssBase + 102), 2, 0x68); // I/O map right after the fixed part
    }

    // Flat 32-bit protected mode without paging; a 32-bit TSS with SS0:ESP0 = 0x10:0x9000.
    void to_protected32() {
        s.cr0 = cpu::cr0::PE | cpu::cr0::ET;
        s.cr4 = 0;
        s.efer = 0;
        s.idtr = {kIdt, 0x7FF};
        s.tr = {sel::kTss, kTssBase, 0x67, 0x8B};
        bus.write(Hpa(kTssBase + 4), 4, 0x9000);
        bus.write(Hpa(kTssBase + 8), 2, sel::kData0);
        s.seg[cpu::CS] = {sel::kCode32, 0, 0xFFFF'FFFF, 0xC09B};
        s.gpr[cpu::RSP] = 0x8000;
        mem.flush_all();
    }

    void to_ring3() {
        s.seg[cpu::CS] = {uint16_t(sel::kUserCode64 | 3), 0, 0xFFFF'FFFF, 0xA0FB};
        s.seg[cpu::SS] = {uint16_t(sel::kUserData | 3), 0, 0xFFFF'FFFF, 0xC0F3};
        s.gpr[cpu::RSP] = 0x7'0000;
    }

    uint64_t read64(uint64_t a) { return bus.read(Hpa(a), 8); }
    void write64(uint64_t a, uint64_t v) { bus.write(Hpa(a), 8, v); }
};

} // namespace hvlab::test

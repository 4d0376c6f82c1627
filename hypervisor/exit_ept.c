/* EPT violations: the guest touched guest-physical memory its EPT does not map. Either it
 * is the virtual LAPIC's page, an emulated MMIO device (the instruction is decoded and
 * performed on vlapic.c), or the guest went outside its memory and is stopped with a report.
 * Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "Exit Qualification for EPT Violations". */
#include "exits.h"
#include "guest.h"
#include "guest_memory.h"
#include "mmio_decode.h"
#include "vmx_ops.h"

#define EPT_QUAL_READ (1u << 0)
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)
#define CS_L (1u << 13) /* access rights: 64-bit code segment */

static const char* access_kind(uint64_t q) {
    return q & EPT_QUAL_FETCH ? "instruction fetch" : q & EPT_QUAL_WRITE ? "write" : "read";
}

static uint64_t read_reg(struct guest* g, const struct mmio_insn* m) {
    uint64_t v = m->reg == RSP ? vmread(GUEST_RSP) : g->gpr[m->reg];
    return m->high_byte ? (v >> 8) & 0xFF : v;
}

/* A load into a register: 32-bit results zero-extend, 8/16-bit ones merge (SDM Vol. 1,
 * "General-Purpose Registers in 64-Bit Mode"). */
static void write_reg(struct guest* g, const struct mmio_insn* m, uint64_t v) {
    uint64_t old = m->reg == RSP ? vmread(GUEST_RSP) : g->gpr[m->reg];
    uint64_t n;
    if (m->size == 8)
        n = v;
    else if (m->size == 4)
        n = v & 0xFFFFFFFF;
    else if (m->zero_extend)
        n = v & (m->size == 1 ? 0xFF : 0xFFFF);
    else if (m->size == 2)
        n = (old & ~0xFFFFull) | (v & 0xFFFF);
    else if (m->high_byte)
        n = (old & ~0xFF00ull) | ((v & 0xFF) << 8);
    else
        n = (old & ~0xFFull) | (v & 0xFF);
    if (m->reg == RSP)
        vmwrite(GUEST_RSP, n);
    else
        g->gpr[m->reg] = n;
}

static void emulate_lapic_access(struct guest* g, uint64_t gpa) {
    uint8_t bytes[15];
    uint64_t rip = vmread(GUEST_RIP);
    unsigned avail = 15;
    /* Fetch what is mapped of the 15 bytes (the instruction may end before a page edge). */
    while (avail && copy_from_guest(g, bytes, rip, avail))
        avail--;
    int long_mode = (vmread(GUEST_ES_ACCESS_RIGHTS + 2 * SEG_CS) & CS_L) != 0;
    struct mmio_insn m;
    if (!avail || mmio_decode(bytes, avail, long_mode, &m)) {
        guest_stop(g,
                   "LAPIC access at 0x%lx by an instruction the MMIO emulation does not "
                   "decode (RIP 0x%lx, bytes %02x %02x %02x %02x)",
                   (unsigned long)gpa, (unsigned long)rip, bytes[0], bytes[1], bytes[2], bytes[3]);
        return;
    }
    uint32_t offset = (uint32_t)(gpa & 0xFFF);
    if (m.is_write) {
        uint64_t v = m.reg >= 0 ? read_reg(g, &m) : m.imm;
        /* Registers sit at 16-byte boundaries and take aligned 32-bit (or wider) writes. */
        if (!(offset & 0xF) && m.size >= 4) vlapic_write(g, offset & ~0xFu, (uint32_t)v);
    } else {
        uint64_t v = vlapic_read(g, offset & ~0xFu) >> (8 * (offset & 3));
        if ((offset & 0xF) >= 4) v = 0;
        write_reg(g, &m, v);
    }
    skip_instruction_length(g, m.length);
}

void handle_ept_violation(struct guest* g) {
    uint64_t q = vmread(EXIT_QUALIFICATION);
    uint64_t gpa = vmread(GUEST_PHYSICAL_ADDRESS);
    uint64_t lapic_page = g->lapic.base_msr & 0xFFFFFF000ull;
    if ((gpa & ~0xFFFull) == lapic_page && (g->lapic.base_msr & (1u << 11)) &&
        !(q & EPT_QUAL_FETCH)) {
        emulate_lapic_access(g, gpa);
        return;
    }
    guest_stop(g, "EPT violation: %s of guest-physical 0x%lx at RIP 0x%lx, outside its %lu KiB",
               access_kind(q), (unsigned long)gpa, (unsigned long)vmread(GUEST_RIP),
               (unsigned long)(g->ram_size >> 10));
}

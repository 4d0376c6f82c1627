/* I/O instructions. Every port is trapped (all-ones I/O bitmaps); the guest has a virtual
 * 16550 at COM1 and the debug-exit port, and nothing else: other ports read as all ones and
 * ignore writes, as an empty ISA bus does. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C,
 * "Exit Qualification for I/O Instructions" and "VM-Exit Instruction-Information Field"
 * (address size of INS/OUTS). */
#include "exits.h"
#include "guest.h"
#include "guest_memory.h"
#include "lib/printf.h"
#include "vmx_ops.h"

#define IO_QUAL_SIZE(q) (((q)&7) + 1)
#define IO_QUAL_IN(q) (((q) >> 3) & 1)
#define IO_QUAL_STRING(q) (((q) >> 4) & 1)
#define IO_QUAL_REP(q) (((q) >> 5) & 1)
#define IO_QUAL_PORT(q) (((q) >> 16) & 0xFFFF)
#define DEBUG_EXIT_PORT 0xF4
#define RFLAGS_DF (1ull << 10)

/* One access of `size` bytes. Returns 1 if the guest asked to end (debug-exit). */
static int port_access(struct guest* g, uint16_t port, unsigned size, int in, uint32_t* value) {
    if (port >= VUART_BASE && port < VUART_BASE + VUART_PORTS) {
        exit_was_console = 1;
        if (in)
            *value = vuart_read(g, port - VUART_BASE);
        else
            vuart_write(g, port - VUART_BASE, (uint8_t)*value);
        return 0;
    }
    if (port == DEBUG_EXIT_PORT && !in) {
        /* QEMU's isa-debug-exit: the machine ends with status (value << 1) | 1. */
        g->exit_status = (int)((*value << 1) | 1) & 0xFF;
        guest_stop(g, "finished: debug-exit 0x%x (status %d)", *value, g->exit_status);
        return 1;
    }
    if (in) *value = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    return 0;
}

static void merge_into_rax(struct guest* g, unsigned size, uint32_t v) {
    if (size == 4)
        g->gpr[RAX] = v; /* a 32-bit result zero-extends into RAX */
    else if (size == 2)
        g->gpr[RAX] = (g->gpr[RAX] & ~0xFFFFull) | (v & 0xFFFF);
    else
        g->gpr[RAX] = (g->gpr[RAX] & ~0xFFull) | (v & 0xFF);
}

/* INS/OUTS, with REP: element by element through guest-linear memory. A REP with a huge
 * count is done in bounded chunks: RCX, RSI/RDI are updated and RIP stays on the instruction,
 * so the guest executes it again (and exits again) for the rest, and the other guests keep
 * their turns. */
#define STRING_IO_CHUNK 4096

static void string_io(struct guest* g, uint64_t q) {
    unsigned size = IO_QUAL_SIZE(q), in = IO_QUAL_IN(q);
    unsigned asize = (vmread(VM_EXIT_INSTRUCTION_INFO) >> 7) & 7; /* 0: 16, 1: 32, 2: 64 bits */
    uint64_t amask = asize == 0 ? 0xFFFF : asize == 1 ? 0xFFFFFFFF : ~0ull;
    uint64_t count = IO_QUAL_REP(q) ? g->gpr[RCX] & amask : 1;
    uint64_t linear = vmread(GUEST_LINEAR_ADDRESS);
    int64_t step = (vmread(GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
    unsigned index_reg = in ? RDI : RSI;
    for (unsigned done = 0; count && done < STRING_IO_CHUNK; count--, done++) {
        uint32_t v = 0;
        if (!in && copy_from_guest(g, &v, linear, size)) goto fault;
        if (port_access(g, IO_QUAL_PORT(q), size, in, &v)) return;
        if (in && copy_to_guest(g, linear, &v, size)) goto fault;
        linear += (uint64_t)step;
        g->gpr[index_reg] =
            (g->gpr[index_reg] & ~amask) | ((g->gpr[index_reg] + (uint64_t)step) & amask);
        if (IO_QUAL_REP(q)) g->gpr[RCX] = (g->gpr[RCX] & ~amask) | ((g->gpr[RCX] - 1) & amask);
    }
    if (!count) skip_instruction(g);
    return;
fault:
    guest_stop(g, "%s at linear 0x%lx: not in its memory", in ? "INS" : "OUTS",
               (unsigned long)linear);
}

void handle_io(struct guest* g) {
    uint64_t q = vmread(EXIT_QUALIFICATION);
    if (IO_QUAL_STRING(q)) {
        string_io(g, q);
        return;
    }
    unsigned size = IO_QUAL_SIZE(q);
    uint32_t v = (uint32_t)g->gpr[RAX];
    if (port_access(g, IO_QUAL_PORT(q), size, IO_QUAL_IN(q), &v)) return;
    if (IO_QUAL_IN(q)) merge_into_rax(g, size, v);
    skip_instruction(g);
}

/* VMCALL: the hypercall ABI of hypervisor/hypercall.h. VMCALL always exits in VMX non-root
 * operation (SDM Vol. 3C, "Instructions That Cause VM Exits Unconditionally"); the
 * hypervisor then checks the caller's privilege itself, because a guest's user programs
 * must not use it. */
#include "hypercall.h"
#include "console.h"
#include "exits.h"
#include "guest.h"
#include "guest_memory.h"
#include "vmx_ops.h"

#define MAX_WRITE 4096 /* bytes per HC_CONSOLE_WRITE */

/* CPL = SS.DPL (SDM Vol. 3C, "Checks on Guest Segment Registers" relies on the same). */
static unsigned guest_cpl(void) {
    return (vmread(GUEST_ES_ACCESS_RIGHTS + 2 * SEG_SS) >> 5) & 3;
}

static int64_t console_write(struct guest* g, uint64_t buf, uint64_t len) {
    if (len > MAX_WRITE) return HC_ERR_RANGE;
    char chunk[256];
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
        if (copy_from_guest(g, chunk, buf + done, n)) return HC_ERR_FAULT;
        for (uint64_t i = 0; i < n; i++)
            console_putc(g, chunk[i]);
        done += n;
    }
    return (int64_t)len;
}

/* Set by HC_YIELD: the scheduler ends the guest's time slice after this exit. */
int yield_requested;

void handle_vmcall(struct guest* g) {
    uint64_t nr = g->gpr[RAX], a0 = g->gpr[RDI], a1 = g->gpr[RSI];
    int64_t result;
    if (guest_cpl() != 0) {
        result = HC_ERR_PERM;
    } else {
        switch (nr) {
        case HC_CONSOLE_WRITE:
            exit_was_console = 1;
            result = console_write(g, a0, a1);
            break;
        case HC_YIELD:
            yield_requested = 1;
            result = 0;
            break;
        case HC_TIME: result = (int64_t)(rdtsc() + g->tsc_offset); break;
        case HC_SHUTDOWN:
            g->exit_status = (int)(a0 & 0xFF);
            guest_stop(g, "finished: shutdown hypercall, status %d", g->exit_status);
            return;
        default: result = HC_ERR_UNKNOWN;
        }
    }
    g->gpr[RAX] = (uint64_t)result;
    skip_instruction(g);
}

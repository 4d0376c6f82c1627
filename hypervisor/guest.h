/* One guest: its memory slice, saved registers, VMCS and EPT, the shadows of the control
 * registers it believes it has, its virtual devices and its statistics. There is one
 * virtual CPU per guest. */
#ifndef HYPERVISOR_GUEST_H
#define HYPERVISOR_GUEST_H

#include <stdint.h>

#include "vlapic.h"
#include "vmx_defs.h"
#include "vuart.h"

#define MAX_GUESTS 4
#define PAGE_SIZE 4096ull

enum guest_state {
    GUEST_RUNNABLE,
    GUEST_BLOCKED, /* in HLT, waiting for an interrupt */
    GUEST_STOPPED, /* finished or stopped by the hypervisor */
};

/* General registers in the x86 encoding order (RAX=0 ... R15=15), the order the MOV decoder
 * and vmx_entry.S use. gpr[4] (RSP) is not used: RSP lives in the VMCS. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

struct guest {
    /* layout known to vmx_entry.S: gpr must stay first */
    uint64_t gpr[16];
    uint8_t fpu[512] __attribute__((aligned(16))); /* FXSAVE image while switched out */

    int index;
    char name[16];
    const char* cmdline; /* the module's command line, handed to the guest as its own */
    uint64_t ram_host;   /* host-physical address of guest-physical 0 */
    uint64_t ram_size;
    uint64_t entry; /* where the guest starts (its ELF entry point) */

    void* vmcs;         /* 4 KiB VMCS region */
    uint64_t* ept_pml4; /* the guest's EPT */
    uint16_t vpid;
    int launched; /* VMLAUNCH done: later entries use VMRESUME */
    enum guest_state state;

    /* What the guest believes its control registers and EFER hold (cr_emulation.c). */
    uint64_t cr0_shadow, cr3_shadow, cr4_shadow, efer_shadow;
    uint64_t cr2; /* CR2 is not in the VMCS: saved when switching guests */
    /* MSRs that neither the VMCS nor the exit controls switch: loaded when the guest runs */
    uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux;
    uint64_t tsc_offset;
    uint32_t proc_controls; /* current primary controls (interrupt window, CR3 exiting) */

    struct vlapic lapic;
    struct vuart uart;
    char line[128]; /* console line being assembled (console.c) */
    unsigned line_len;

    /* statistics (report.c) */
    uint64_t exits[EXIT_REASON_COUNT];
    uint64_t exits_total;
    uint64_t guest_ticks; /* TSC ticks (= instructions) spent in VMX non-root operation */
    uint64_t root_ticks;  /* TSC ticks the hypervisor spent handling this guest's exits */
    uint64_t console_bytes;
    uint64_t console_exits;      /* exits for console output: UART accesses, console hypercalls */
    uint64_t console_root_ticks; /* hypervisor ticks spent on those exits */
    uint64_t injected_interrupts;
    int exit_status; /* debug-exit value or HC_SHUTDOWN status; -1 if stopped */
    char stop_reason[160];
};

extern struct guest guests[MAX_GUESTS];
/* Set by an exit handler when the exit was console output (for the report's cost figures). */
extern int exit_was_console;
extern int guest_count;

/* Stops a guest for good: it is never scheduled again; the reason goes to the report. */
__attribute__((format(printf, 2, 3))) void guest_stop(struct guest* g, const char* fmt, ...);

#endif

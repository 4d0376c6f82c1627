/* Every VMCS field this hypervisor writes, and why. Intel SDM, Dec 2023 (Order
 * 325462-081), Vol. 3C, "Organization of VMCS Data" and the sections named below; the
 * VM-entry checks that these values must pass are in "Checks on VMX Controls and Host-State
 * Area" and "Checking and Loading Guest State". */
#include "vmcs_setup.h"

#include "ept.h"
#include "guest.h"
#include "guest_load.h"
#include "host.h"
#include "lib/debug_exit.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vmx_enable.h"
#include "vmx_ops.h"

uint32_t entry_controls_base, entry_control_ia32e;
uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;

static uint32_t pin_controls, proc_controls, proc2_controls, exit_controls;
static uint8_t io_bitmaps[2][4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));

extern void vmx_exit_landing(void);

/* MSRs a guest may read and write directly: the VMCS switches them at every entry and exit
 * (FS/GS base, SYSENTER, PAT), or the scheduler switches them between guests (the SYSCALL
 * MSRs, KERNEL_GS_BASE, TSC_AUX; scheduler.c). Every other MSR exits (exit_msr.c). */
static const uint32_t passthrough_msrs[] = {
    MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,   MSR_PAT,
    MSR_STAR,        MSR_LSTAR,        MSR_CSTAR,          MSR_SFMASK,
    MSR_FS_BASE,     MSR_GS_BASE,      MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

/* SDM Vol. 3C, "MSR-Bitmap Address": four 1 KiB bitmaps, read-low (MSRs 0-1FFFH),
 * read-high (C0000000H-C0001FFFH), write-low, write-high; a set bit makes the access exit. */
static void build_msr_bitmap(void) {
    memset(msr_bitmap, 0xFF, sizeof(msr_bitmap));
    for (unsigned i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++) {
        uint32_t m = passthrough_msrs[i];
        unsigned half = m >= 0xC0000000u ? 1024 : 0, bit = m & 0x1FFF;
        msr_bitmap[half + bit / 8] &= (uint8_t) ~(1u << (bit % 8));        /* reads */
        msr_bitmap[2048 + half + bit / 8] &= (uint8_t) ~(1u << (bit % 8)); /* writes */
    }
}

static void compute_controls(void) {
    /* External interrupts and NMIs belong to the host: they exit. The VMX-preemption timer
     * ends time slices and stops the guest when its virtual LAPIC timer is due
     * (scheduler.c). */
    uint32_t pin = PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER;
    pin_controls = vmx_adjust_controls(MSR_VMX_PINBASED_CTLS, pin, pin, "pin-based controls");

    /* HLT: the guest waits for its virtual timer instead of stopping the CPU.
     * I/O bitmaps (all ones): every port is trapped, the virtual UART emulated.
     * MSR bitmap: only the MSRs in passthrough_msrs run natively.
     * CR3-load/store exiting: only while the guest believes paging is off (cr_emulation.c),
     *   because the real CR3 then holds the identity map.
     * TSC offsetting: a guest that writes IA32_TIME_STAMP_COUNTER moves only its own TSC.
     * MWAIT/MONITOR: not offered to guests (CPUID hides them), so they raise #UD.
     * Interrupt-window exiting is also needed, switched on only while an interrupt waits. */
    uint32_t proc = PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
                    PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | PROC_USE_TSC_OFFSETTING |
                    PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_SECONDARY_CONTROLS;
    proc_controls =
        vmx_adjust_controls(MSR_VMX_PROCBASED_CTLS, proc, proc, "processor-based controls");
    vmx_adjust_controls(MSR_VMX_PROCBASED_CTLS, PROC_INTERRUPT_WINDOW_EXITING,
                        PROC_INTERRUPT_WINDOW_EXITING, "interrupt-window exiting");

    /* EPT gives each guest its own physical memory; VPID tags its TLB entries so that
     * switching guests needs no flush. RDTSCP and INVPCID are offered when the CPU can, so
     * that they behave as on bare hardware instead of raising #UD. */
    uint32_t proc2 = PROC2_ENABLE_EPT | PROC2_ENABLE_VPID;
    proc2_controls = vmx_adjust_controls(MSR_VMX_PROCBASED_CTLS2,
                                         proc2 | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID, proc2,
                                         "secondary processor-based controls");

    /* A 64-bit host; the acknowledged vector arrives in the exit information, so the host
     * needs no interrupt handler for guest-time interrupts; PAT and EFER are switched so
     * that guests can change theirs. */
    uint32_t exit = EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT | EXIT_SAVE_PAT |
                    EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER;
    exit_controls = vmx_adjust_controls(MSR_VMX_EXIT_CTLS, exit, exit, "VM-exit controls");

    uint32_t entry = ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    entry_controls_base =
        vmx_adjust_controls(MSR_VMX_ENTRY_CTLS, entry, entry, "VM-entry controls");
    entry_control_ia32e = vmx_adjust_controls(MSR_VMX_ENTRY_CTLS, ENTRY_IA32E_MODE_GUEST,
                                              ENTRY_IA32E_MODE_GUEST, "IA-32e mode guest") &
                          ENTRY_IA32E_MODE_GUEST;
    cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
    cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
    cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
    cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
    memset(io_bitmaps, 0xFF, sizeof(io_bitmaps));
    build_msr_bitmap();
}

static void write_controls(struct guest* g) {
    vmwrite(PIN_BASED_CONTROLS, pin_controls);
    g->proc_controls = proc_controls;
    vmwrite(PROC_BASED_CONTROLS, proc_controls);
    vmwrite(SECONDARY_PROC_BASED_CONTROLS, proc2_controls);
    vmwrite(VM_EXIT_CONTROLS, exit_controls);
    vmwrite(VM_ENTRY_CONTROLS, entry_controls_base); /* the guest starts in 32-bit mode */
    vmwrite(EXCEPTION_BITMAP, 0);                    /* guests handle their own exceptions */
    vmwrite(CR3_TARGET_COUNT, 0); /* every CR3 load exits while CR3-load exiting is on */
    vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(VM_ENTRY_INTERRUPTION_INFO, 0);
    vmwrite(IO_BITMAP_A, (uint64_t)(uintptr_t)io_bitmaps[0]);
    vmwrite(IO_BITMAP_B, (uint64_t)(uintptr_t)io_bitmaps[1]);
    vmwrite(MSR_BITMAP, (uint64_t)(uintptr_t)msr_bitmap);
    vmwrite(TSC_OFFSET, 0);
    vmwrite(EPT_POINTER, ept_pointer(g));
    vmwrite(VMCS_VPID, g->vpid); /* nonzero: VPID 0 is the host's */
    /* CR0: the hypervisor owns PE, PG and NE (VMX-fixed to 1) and shows the guest its own
     * values through the read shadow; the guest owns the rest. CR4: it owns VMXE (fixed to 1,
     * hidden from the guest), PAE and PSE (the identity map needs PSE and no PAE while the
     * guest thinks paging is off), and every bit the CPU cannot set (so MOV CR4 exits and
     * the hypervisor raises the #GP). SDM Vol. 3C, "Guest/Host Masks and Read Shadows for
     * CR0 and CR4". */
    vmwrite(CR0_GUEST_HOST_MASK, cr0_fixed0 | CR0_PE | CR0_PG | CR0_NE | ~cr0_fixed1);
    vmwrite(CR4_GUEST_HOST_MASK, cr4_fixed0 | CR4_VMXE | CR4_PAE | CR4_PSE | ~cr4_fixed1);
}

static void write_host_state(const struct host_tables* host) {
    /* SDM Vol. 3C, "Host-State Area": what a VM exit loads. */
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, read_cr3());
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_CS_SELECTOR, HOST_CODE_SELECTOR);
    vmwrite(HOST_SS_SELECTOR, HOST_DATA_SELECTOR);
    vmwrite(HOST_DS_SELECTOR, HOST_DATA_SELECTOR);
    vmwrite(HOST_ES_SELECTOR, HOST_DATA_SELECTOR);
    vmwrite(HOST_FS_SELECTOR, HOST_DATA_SELECTOR);
    vmwrite(HOST_GS_SELECTOR, HOST_DATA_SELECTOR);
    vmwrite(HOST_TR_SELECTOR, HOST_TSS_SELECTOR);
    vmwrite(HOST_FS_BASE, 0);
    vmwrite(HOST_GS_BASE, 0);
    vmwrite(HOST_TR_BASE, host->tr_base);
    vmwrite(HOST_GDTR_BASE, host->gdt_base);
    vmwrite(HOST_IDTR_BASE, host->idt_base);
    vmwrite(HOST_IA32_SYSENTER_CS, 0);
    vmwrite(HOST_IA32_SYSENTER_ESP, 0);
    vmwrite(HOST_IA32_SYSENTER_EIP, 0);
    vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
    vmwrite(HOST_IA32_PAT, rdmsr(MSR_PAT));
    vmwrite(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_landing); /* HOST_RSP: vmx_entry.S */
}

static void write_segment(enum seg s, uint16_t selector, uint32_t limit, uint32_t access_rights) {
    vmwrite(GUEST_ES_SELECTOR + 2 * s, selector);
    vmwrite(GUEST_ES_BASE + 2 * s, 0);
    vmwrite(GUEST_ES_LIMIT + 2 * s, limit);
    vmwrite(GUEST_ES_ACCESS_RIGHTS + 2 * s, access_rights);
}

/* Multiboot's machine state: flat 4 GiB code and data segments in 32-bit protected mode,
 * interrupts off, paging off (emulated: real CR0.PG = 1 with the identity map), GDTR/IDTR
 * undefined (zero here: the guest must load its own before using them). */
static void write_guest_state(struct guest* g) {
    /* Access rights: type, S, DPL, P, AVL, L, D/B, G; bit 16 = unusable (SDM Vol. 3C,
     * "Guest Register State"). */
    write_segment(SEG_CS, 0x08, 0xFFFFFFFF, 0xC09B); /* execute/read, accessed, D=1, G=1 */
    write_segment(SEG_SS, 0x10, 0xFFFFFFFF, 0xC093); /* read/write, accessed, B=1, G=1 */
    write_segment(SEG_DS, 0x10, 0xFFFFFFFF, 0xC093);
    write_segment(SEG_ES, 0x10, 0xFFFFFFFF, 0xC093);
    write_segment(SEG_FS, 0x10, 0xFFFFFFFF, 0xC093);
    write_segment(SEG_GS, 0x10, 0xFFFFFFFF, 0xC093);
    write_segment(SEG_LDTR, 0, 0, 0x10000); /* unusable */
    write_segment(SEG_TR, 0, 0x67, 0x008B); /* busy 32-bit TSS: VM entry needs one */
    vmwrite(GUEST_GDTR_BASE, 0);
    vmwrite(GUEST_GDTR_LIMIT, 0);
    vmwrite(GUEST_IDTR_BASE, 0);
    vmwrite(GUEST_IDTR_LIMIT, 0);

    g->cr0_shadow = CR0_PE | CR0_ET;
    g->cr4_shadow = 0;
    g->cr3_shadow = 0;
    g->efer_shadow = 0;
    vmwrite(CR0_READ_SHADOW, g->cr0_shadow);
    vmwrite(CR4_READ_SHADOW, g->cr4_shadow);
    vmwrite(GUEST_CR0, (g->cr0_shadow | cr0_fixed0 | CR0_PG | CR0_NE) & cr0_fixed1);
    vmwrite(GUEST_CR3, GUEST_IDENTITY_PD);
    vmwrite(GUEST_CR4, (CR4_PSE | CR4_VMXE | cr4_fixed0) & cr4_fixed1);
    vmwrite(GUEST_IA32_EFER, 0);
    vmwrite(GUEST_IA32_PAT, 0x0007040600070406ull); /* the power-up PAT */
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_RSP, 0);
    vmwrite(GUEST_RIP, g->entry);
    vmwrite(GUEST_RFLAGS, 0x2);
    vmwrite(GUEST_IA32_SYSENTER_CS, 0);
    vmwrite(GUEST_IA32_SYSENTER_ESP, 0);
    vmwrite(GUEST_IA32_SYSENTER_EIP, 0);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY_STATE, 0); /* active */
    vmwrite(GUEST_PENDING_DEBUG, 0);
    vmwrite(VMCS_LINK_POINTER, ~0ull); /* no shadow VMCS */
}

void vmcs_setup(struct guest* g, const struct host_tables* host) {
    static int controls_ready;
    if (!controls_ready) {
        compute_controls();
        controls_ready = 1;
    }
    uint64_t phys = (uint64_t)(uintptr_t)g->vmcs;
    *(uint32_t*)g->vmcs = vmx_revision(); /* SDM Vol. 3C, "Format of the VMCS Region" */
    if (vmclear(phys) || vmptrld(phys)) {
        printf("hv: %s: VMCLEAR/VMPTRLD of the VMCS failed\n", g->name);
        debug_exit(0x7B);
    }
    write_controls(g);
    write_host_state(host);
    write_guest_state(g);
}

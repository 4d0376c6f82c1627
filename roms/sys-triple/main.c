/* sys-triple: a triple fault shuts the machine down. Intel SDM, Dec 2023 (Order 325462-081),
 * Vol. 3A, "Double Fault Exception (#DF)": "If another exception occurs while attempting to
 * call the double-fault handler, the processor enters shutdown mode"; a PC turns shutdown
 * into a reset, which QEMU's -no-reboot (and hvlab) report as the end of the run.
 * First a #DF that is handled (the machine survives), then an IDT whose limit is 0: INT3
 * needs gate 3, past the limit: #GP; delivering #GP needs gate 13: #DF; gate 8: shutdown.
 * Expected exit status: 4 on hvlab (machine shutdown); rom-check maps QEMU's exit status 0
 * under -no-reboot to 4 as well. */
#include "lib/kmain.h"
#include "sys-lib/sys.h"

ASM_CASE(divide_by_zero, "xorl %ecx, %ecx\n movl $1, %eax\n xorl %edx, %edx", "divl %ecx");

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    sys_init();
    printf("sys-triple: a handled double fault, then a triple fault\n");
    set_gate(0, GATE_INT, 0, 0, 0);
    expect("#DE with gate 0 not present", sys_try(divide_by_zero, 0), "#DF(0x0)");
    reset_gate(0);
    printf("loading an IDT with limit 0, then int3\n");
    struct table_pointer empty = {0, phys(sys_idt)};
    __asm__ volatile("lidt %0\n int3" : : "m"(empty) : "memory");
    printf("still running after the triple fault: WRONG\n");
    sys_finish("sys-triple");
}

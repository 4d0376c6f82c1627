/* vmx-abort: the VMX-abort path. The guest's first VM exit must load IA32_FS_BASE from the
 * VM-exit MSR-load list, which "Loading MSRs" (in "VM Exits") forbids: the processor then
 * cannot load host state, so it writes VMX-abort indicator 4 ("loading host MSRs failed")
 * into the VMCS region and enters the shutdown state. Intel SDM, Dec 2023 (Order
 * 325462-081), Vol. 3C, "VMX Aborts". The run therefore ends in shutdown (hvlab's exit status
 * 4, as for a triple fault); if the exit came back to the host instead, the ROM says so and
 * ends with debug-exit 0x01 (status 3). The indicator itself is only visible outside the
 * guest: the golden event trace and hvlab's VMX abort event record it. */
#include <stdint.h>

#include "lib/debug_exit.h"
#include "lib/kmain.h"
#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/vmx.h"

void guest_vmcall(void);
__asm__(".text\nguest_vmcall:\n\tvmcall\n\tjmp .\n");

__attribute__((aligned(16))) static uint64_t exit_load[2] = {MSR_IA32_FS_BASE, 0};

static void bad_exit_msr_load(void) {
    vmwrite(VM_EXIT_MSR_LOAD_COUNT, 1);
    vmwrite(VM_EXIT_MSR_LOAD_ADDR, (uint64_t)(uintptr_t)exit_load);
}

void kmain(uint32_t magic, uint32_t mbinfo) {
    (void)magic;
    (void)mbinfo;
    serial_init();
    printf("vmx-abort: a VM exit whose MSR-load list holds IA32_FS_BASE: VMX abort 4, then "
           "shutdown\n");
    if (vmx_enable() != VMX_OK) {
        printf("FAIL abort/vmxon: VMXON failed\n");
        debug_exit(0x01);
    }
    uint32_t reason = vmx_run_guest(guest_vmcall, bad_exit_msr_load);
    printf("FAIL abort/vmx_abort_on_exit_msr_load: expected shutdown, got back to the host "
           "(reason 0x%x, abort indicator %u)\n",
           reason, *(volatile uint32_t*)(vmcs_region + 4));
    debug_exit(0x01);
}

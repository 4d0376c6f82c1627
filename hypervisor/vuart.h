/* A 16550A UART per guest, trap-and-emulate: every register access of the guest is an I/O
 * exit, and transmitted bytes go to the guest's console line (console.c). */
#ifndef HYPERVISOR_VUART_H
#define HYPERVISOR_VUART_H

#include <stdint.h>

#define VUART_BASE 0x3F8 /* COM1 */
#define VUART_PORTS 8

struct guest;

struct vuart {
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
};

uint8_t vuart_read(struct guest* g, unsigned offset);
void vuart_write(struct guest* g, unsigned offset, uint8_t value);

#endif

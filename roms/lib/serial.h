/* COM1, a 16550A UART at I/O port 0x3F8, used for output only, by polling. */
#ifndef ROMS_LIB_SERIAL_H
#define ROMS_LIB_SERIAL_H

/* 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on, interrupts off. */
void serial_init(void);

/* Sends one byte as is: "\n" stays "\n" (no CR is added), so the host sees exactly the
 * bytes the ROM printed. */
void serial_putc(char c);

void serial_write(const char* s, unsigned long len);

#endif

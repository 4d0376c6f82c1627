/* COM1 16550A driver. Register names and bits from the National Semiconductor PC16550D
 * datasheet. */
#include "serial.h"

#include "io.h"

#define COM1 0x3F8

/* Register offsets. DLL/DLM replace RBR/THR and IER while LCR.DLAB = 1. */
#define UART_THR 0 /* transmit holding (write) */
#define UART_DLL 0 /* divisor latch, low byte */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch, high byte */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_8N1 0x03  /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB 0x80 /* divisor latch access */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define LSR_THRE 0x20 /* transmit holding register empty: room for one more byte */

/* The UART divides its 1.8432 MHz clock by 16 * divisor; divisor 1 gives 115200 baud. */
#define BAUD_DIVISOR 1

void serial_init(void) {
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, BAUD_DIVISOR & 0xFF);
    outb(COM1 + UART_DLM, BAUD_DIVISOR >> 8);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
    outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS);
}

/* With no UART present the port reads as all ones, THRE included, so this never hangs. */
void serial_putc(char c) {
    while ((inb(COM1 + UART_LSR) & LSR_THRE) == 0)
        ;
    outb(COM1 + UART_THR, (unsigned char)c);
}

void serial_write(const char* s, unsigned long len) {
    for (unsigned long i = 0; i < len; i++)
        serial_putc(s[i]);
}

/* The virtual 16550A (see vuart.h). Register names and bits from the National
 * Semiconductor PC16550D datasheet. Transmission is instantaneous, so the line status always
 * says "transmitter empty", and there is never input. */
#include "vuart.h"

#include "console.h"
#include "guest.h"

#define THR_RBR 0
#define IER 1
#define IIR_FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NO_INTERRUPT 0x01
#define IIR_FIFOS_ENABLED 0xC0

uint8_t vuart_read(struct guest* g, unsigned offset) {
    struct vuart* u = &g->uart;
    int dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case THR_RBR: return dlab ? u->dll : 0;
    case IER: return dlab ? u->dlm : u->ier;
    case IIR_FCR: return IIR_NO_INTERRUPT | (u->fcr & 1 ? IIR_FIFOS_ENABLED : 0);
    case LCR: return u->lcr;
    case MCR: return u->mcr;
    case LSR: return LSR_THRE | LSR_TEMT;
    case MSR: return 0;
    default: return u->scr;
    }
}

void vuart_write(struct guest* g, unsigned offset, uint8_t value) {
    struct vuart* u = &g->uart;
    int dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case THR_RBR:
        if (dlab)
            u->dll = value;
        else
            console_putc(g, (char)value);
        break;
    case IER:
        if (dlab)
            u->dlm = value;
        else
            u->ier = value & 0x0F;
        break;
    case IIR_FCR: u->fcr = value & 0xC9; break;
    case LCR: u->lcr = value; break;
    case MCR: u->mcr = value & 0x1F; break;
    case SCR: u->scr = value; break;
    default: break; /* LSR and MSR are read-only */
    }
}

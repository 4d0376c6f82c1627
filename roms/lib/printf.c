/* A small printf. Each conversion is turned into a string first, then padded to the field
 * width, so padding lives in one place. Returns the number of bytes written. */
#include "printf.h"

#include <stddef.h>
#include <stdint.h>

#include "serial.h"

struct spec {
    int zero_pad;
    int left;
    int width;
    int precision; /* %s only: at most this many bytes; -1 for all */
    int length;    /* 0: int, 1: long, 2: long long, 3: size_t */
};

/* Writes `n` in `base` into the end of buf[0..size) and returns the first digit. */
static char* format_unsigned(char* buf, int size, uint64_t n, unsigned base, int upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char* p = buf + size;
    do {
        *--p = digits[n % base];
        n /= base;
    } while (n != 0);
    return p;
}

/* Zero padding goes between the sign and the digits: "-0042", as C requires. */
static int emit_padded(const struct spec* sp, char sign, const char* body, int len) {
    int total = len + (sign != 0);
    int pad = sp->width > total ? sp->width - total : 0;
    int written = total + pad;
    if (!sp->left && !sp->zero_pad)
        for (; pad > 0; pad--)
            serial_putc(' ');
    if (sign) serial_putc(sign);
    if (!sp->left)
        for (; pad > 0; pad--)
            serial_putc('0');
    serial_write(body, len);
    for (; pad > 0; pad--)
        serial_putc(' ');
    return written;
}

static uint64_t fetch_unsigned(const struct spec* sp, va_list* ap) {
    switch (sp->length) {
    case 0: return va_arg(*ap, unsigned int);
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, size_t);
    }
}

static int64_t fetch_signed(const struct spec* sp, va_list* ap) {
    switch (sp->length) {
    case 0: return va_arg(*ap, int);
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    default: return (int64_t)va_arg(*ap, size_t);
    }
}

/* Parses flags, width, precision and length after '%'; returns the conversion character's
 * address. */
static const char* parse_spec(const char* f, struct spec* sp, va_list* ap) {
    *sp = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '0')
            sp->zero_pad = 1;
        else if (*f == '-')
            sp->left = 1;
        else
            break;
    }
    for (; *f >= '0' && *f <= '9'; f++)
        sp->width = sp->width * 10 + (*f - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        for (; *f >= '0' && *f <= '9'; f++)
            sp->precision = sp->precision * 10 + (*f - '0');
    }
    if (*f == 'z') {
        sp->length = 3;
        f++;
    }
    for (; *f == 'l' && sp->length < 2; f++)
        sp->length++;
    return f;
}

/* Formats one conversion `c`; returns bytes written, or -1 if `c` is not a conversion. */
static int emit_conversion(char c, struct spec* sp, va_list* ap) {
    char buf[24];
    const int size = (int)sizeof buf;
    char* p;
    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = fetch_signed(sp, ap);
        uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        p = format_unsigned(buf, size, magnitude, 10, 0);
        return emit_padded(sp, v < 0 ? '-' : 0, p, (int)(buf + size - p));
    }
    case 'u':
    case 'x':
    case 'X':
        p = format_unsigned(buf, size, fetch_unsigned(sp, ap), c == 'u' ? 10 : 16, c == 'X');
        return emit_padded(sp, 0, p, (int)(buf + size - p));
    case 'p':
        serial_write("0x", 2);
        *sp = (struct spec){.zero_pad = 1, .width = 16};
        p = format_unsigned(buf, size, (uintptr_t)va_arg(*ap, void*), 16, 0);
        return 2 + emit_padded(sp, 0, p, (int)(buf + size - p));
    case 's': {
        const char* s = va_arg(*ap, const char*);
        if (s == NULL) s = "(null)";
        int len = 0;
        while (s[len] != '\0' && (sp->precision < 0 || len < sp->precision))
            len++;
        sp->zero_pad = 0;
        return emit_padded(sp, 0, s, len);
    }
    case 'c':
        buf[0] = (char)va_arg(*ap, int);
        sp->zero_pad = 0;
        return emit_padded(sp, 0, buf, 1);
    case '%': serial_putc('%'); return 1;
    default: return -1;
    }
}

int vprintf(const char* fmt, va_list ap) {
    va_list args;
    va_copy(args, ap);
    int written = 0;
    for (const char* f = fmt; *f != '\0'; f++) {
        if (*f != '%') {
            serial_putc(*f);
            written++;
            continue;
        }
        struct spec sp;
        const char* conv = parse_spec(f + 1, &sp, &args);
        int n = *conv == '\0' ? -1 : emit_conversion(*conv, &sp, &args);
        if (n < 0) {
            /* Not a conversion we know: show it as written, so the mistake is visible. */
            int len = (int)(conv - f) + (*conv != '\0');
            serial_write(f, (unsigned long)len);
            n = len;
            if (*conv == '\0') conv--;
        }
        written += n;
        f = conv;
    }
    va_end(args);
    return written;
}

int printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

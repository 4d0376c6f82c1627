/* A small printf family. Each conversion is turned into a string first, then padded to the
 * field width, so padding lives in one place; every byte leaves through a sink, so printf
 * (to COM1) and snprintf (to a buffer) share the formatter. */
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

/* Where formatted bytes go. `count` counts every byte offered, stored or not. */
struct sink {
    void (*put)(struct sink* s, const char* bytes, size_t n);
    char* buf;
    size_t size;
    size_t count;
};

static void put(struct sink* s, const char* bytes, size_t n) {
    s->put(s, bytes, n);
    s->count += n;
}

static void put_repeated(struct sink* s, char c, int n) {
    for (; n > 0; n--)
        put(s, &c, 1);
}

static void serial_sink_put(struct sink* s, const char* bytes, size_t n) {
    (void)s;
    serial_write(bytes, n);
}

/* Keeps the first size - 1 bytes, leaving room for the terminating NUL. */
static void buffer_sink_put(struct sink* s, const char* bytes, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s->count + i + 1 < s->size) s->buf[s->count + i] = bytes[i];
}

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
static void emit_padded(struct sink* s, const struct spec* sp, char sign, const char* body,
                        int len) {
    int total = len + (sign != 0);
    int pad = sp->width > total ? sp->width - total : 0;
    if (!sp->left && !sp->zero_pad) put_repeated(s, ' ', pad);
    if (sign) put(s, &sign, 1);
    if (!sp->left && sp->zero_pad) put_repeated(s, '0', pad);
    put(s, body, (size_t)len);
    if (sp->left) put_repeated(s, ' ', pad);
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

static void emit_string(struct sink* s, struct spec* sp, const char* str) {
    if (str == NULL) str = "(null)";
    int len = 0;
    while (str[len] != '\0' && (sp->precision < 0 || len < sp->precision))
        len++;
    sp->zero_pad = 0;
    emit_padded(s, sp, 0, str, len);
}

/* Formats one conversion `c`; returns 0 if `c` is not a conversion this printf knows. */
static int emit_conversion(struct sink* s, char c, struct spec* sp, va_list* ap) {
    char buf[24];
    const int size = (int)sizeof buf;
    char* p;
    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = fetch_signed(sp, ap);
        uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        p = format_unsigned(buf, size, magnitude, 10, 0);
        emit_padded(s, sp, v < 0 ? '-' : 0, p, (int)(buf + size - p));
        return 1;
    }
    case 'u':
    case 'x':
    case 'X':
        p = format_unsigned(buf, size, fetch_unsigned(sp, ap), c == 'u' ? 10 : 16, c == 'X');
        emit_padded(s, sp, 0, p, (int)(buf + size - p));
        return 1;
    case 'p':
        put(s, "0x", 2);
        *sp = (struct spec){.zero_pad = 1, .width = 16};
        p = format_unsigned(buf, size, (uintptr_t)va_arg(*ap, void*), 16, 0);
        emit_padded(s, sp, 0, p, (int)(buf + size - p));
        return 1;
    case 's': emit_string(s, sp, va_arg(*ap, const char*)); return 1;
    case 'c':
        buf[0] = (char)va_arg(*ap, int);
        sp->zero_pad = 0;
        emit_padded(s, sp, 0, buf, 1);
        return 1;
    case '%': put(s, "%", 1); return 1;
    default: return 0;
    }
}

static int format(struct sink* s, const char* fmt, va_list ap) {
    va_list args;
    va_copy(args, ap);
    for (const char* f = fmt; *f != '\0'; f++) {
        if (*f != '%') {
            put(s, f, 1);
            continue;
        }
        struct spec sp;
        const char* conv = parse_spec(f + 1, &sp, &args);
        if (*conv == '\0') {
            /* A lone '%' (and its flags) at the end: shown as written. */
            put(s, f, (size_t)(conv - f));
            break;
        }
        /* Not a conversion we know: shown as written, so the mistake is visible. */
        if (!emit_conversion(s, *conv, &sp, &args)) put(s, f, (size_t)(conv - f) + 1);
        f = conv;
    }
    va_end(args);
    return (int)s->count;
}

int vprintf(const char* fmt, va_list ap) {
    struct sink s = {.put = serial_sink_put};
    return format(&s, fmt, ap);
}

int printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    struct sink s = {.put = buffer_sink_put, .buf = buf, .size = size};
    int n = format(&s, fmt, ap);
    if (size > 0) buf[s.count < size ? s.count : size - 1] = '\0';
    return n;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

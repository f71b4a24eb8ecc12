/*
 * vsnprintf.c - printf-style formatting for printk and the rest.
 *
 * C99 semantics for the subset the hypervisor uses: flags "-0+ #", width and
 * precision (also "*"), length modifiers hh h l ll z t j, conversions
 * d i u x X o c s p %.  The return value is the length the full output would
 * have had; the buffer is always NUL-terminated when size > 0.  %s of NULL
 * prints "(null)".  Host unit tests compare it with the C library.
 */
#include "lib.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

static void put_number(struct out *o, u64 v, bool neg, unsigned base, bool upper,
                       int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    if (!(prec == 0 && v == 0)) {
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v);
    }

    char sign = 0;
    if (neg)
        sign = '-';
    else if (flags & F_PLUS)
        sign = '+';
    else if (flags & F_SPACE)
        sign = ' ';

    const char *prefix = "";
    if (flags & F_ALT) {
        if (base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
            prefix = upper ? "0X" : "0x";
        else if (base == 8 && (prec <= n) && !(n > 0 && tmp[n - 1] == '0'))
            prefix = "0";
    }

    int zeros = prec > n ? prec - n : 0;
    int total = n + zeros + (sign ? 1 : 0) + (int)strlen(prefix);

    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!(flags & F_LEFT))
        pad(o, ' ', width - total);
    if (sign)
        put(o, sign);
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        pad(o, ' ', width - total);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        const char *start = fmt++;
        int flags = 0, width = -1, prec = -1;

        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
                width = width * 10 + (*fmt - '0');
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
                    prec = prec * 10 + (*fmt - '0');
            }
        }

        int len = 0;        /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        if (*fmt == 'h') {
            len = -1;
            if (*++fmt == 'h') { len = -2; fmt++; }
        } else if (*fmt == 'l') {
            len = 1;
            if (*++fmt == 'l') { len = 2; fmt++; }
        } else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') {
            len = 2;
            fmt++;
        }

        char c = *fmt++;
        switch (c) {
        case 'd':
        case 'i': {
            s64 v;
            if (len >= 1) v = va_arg(ap, s64);
            else v = va_arg(ap, int);
            if (len == -1) v = (short)v;
            if (len == -2) v = (signed char)v;
            u64 mag = v < 0 ? (u64)0 - (u64)v : (u64)v;
            put_number(&o, mag, v < 0, 10, false, flags, width, prec);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            u64 v;
            if (len >= 1) v = va_arg(ap, u64);
            else v = va_arg(ap, unsigned int);
            if (len == -1) v = (unsigned short)v;
            if (len == -2) v = (unsigned char)v;
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            put_number(&o, v, false, base, c == 'X', flags & ~(F_PLUS | F_SPACE),
                       width, prec);
            break;
        }
        case 'p': {
            u64 v = (uintptr_t)va_arg(ap, void *);
            put_number(&o, v, false, 16, false, F_ALT | (flags & F_LEFT), width, -1);
            break;
        }
        case 'c': {
            char ch = (char)va_arg(ap, int);
            if (!(flags & F_LEFT)) pad(&o, ' ', width - 1);
            put(&o, ch);
            if (flags & F_LEFT) pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
            if (!(flags & F_LEFT)) pad(&o, ' ', width - n);
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (flags & F_LEFT) pad(&o, ' ', width - n);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown conversion: print it as written (not the format's
             * terminating NUL when it ends inside a conversion). */
            if (!c)
                fmt--;
            for (const char *p = start; p < fmt; p++)
                put(&o, *p);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/*
 * cmdline.c - reading key=value words of a command line.
 */
#include "cmdline.h"
#include "lib.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* Calls back for every word; the last match wins. */
static const char *find(const char *line, const char *key, size_t *vlen, bool *has_value)
{
    const char *found = NULL;
    size_t klen = strlen(key);
    const char *p = line;
    while (*p) {
        while (is_space(*p))
            p++;
        const char *w = p;
        while (*p && !is_space(*p))
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen >= klen && strncmp(w, key, klen) == 0) {
            if (wlen == klen) {
                found = w + klen;
                *vlen = 0;
                *has_value = false;
            } else if (w[klen] == '=') {
                found = w + klen + 1;
                *vlen = wlen - klen - 1;
                *has_value = true;
            }
        }
    }
    return found;
}

const char *cmdline_get(const char *line, const char *key, char *buf, size_t buflen)
{
    size_t vlen = 0;
    bool has_value = false;
    const char *v = find(line, key, &vlen, &has_value);
    if (!v || !has_value || buflen == 0)
        return NULL;
    if (vlen >= buflen)
        vlen = buflen - 1;
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    return buf;
}

bool cmdline_has(const char *line, const char *key)
{
    size_t vlen;
    bool has_value;
    return find(line, key, &vlen, &has_value) != NULL;
}

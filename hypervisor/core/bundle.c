/*
 * bundle.c - parsing and validating the boot bundle (cpio newc).
 *
 * A newc entry is a 110-byte ASCII header ("070701" or "070702", then 13
 * eight-digit hex fields), the name (namesize bytes, NUL included) padded so
 * that header+name is a multiple of 4, then filesize bytes of data padded to
 * 4.  The archive ends with the entry "TRAILER!!!".  bundle_open() checks all
 * of it with overflow-safe arithmetic before anyone reads an entry: bad magic,
 * bad hex, names without their NUL or with one inside, sizes past the end,
 * duplicate names, a missing trailer, non-zero bytes after it.
 */
#include "bundle.h"
#include "lib.h"

#define HDR_LEN 110

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR,
       F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK, NR_FIELDS };

static bool hex8(const u8 *p, u32 *out)
{
    u32 v = 0;
    for (int i = 0; i < 8; i++) {
        u8 c = p[i];
        u32 d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return false;
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

/* Parse the entry at *off; advance *off past it.  1 = entry, 0 = trailer, -1 = error. */
static int parse_entry(const u8 *base, u64 len, u64 *off, struct bundle_entry *e,
                       char *err, size_t errlen)
{
    u64 o = *off;
    u32 f[NR_FIELDS];

    if (len - o < HDR_LEN) {
        snprintf(err, errlen, "bundle truncated: header at offset 0x%llx needs %d bytes, %llu left",
                 (unsigned long long)o, HDR_LEN, (unsigned long long)(len - o));
        return -1;
    }
    const u8 *h = base + o;
    if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2')) {
        snprintf(err, errlen, "bundle corrupt: no cpio newc magic at offset 0x%llx",
                 (unsigned long long)o);
        return -1;
    }
    for (int i = 0; i < NR_FIELDS; i++) {
        if (!hex8(h + 6 + 8 * i, &f[i])) {
            snprintf(err, errlen, "bundle corrupt: bad hex field %d in header at offset 0x%llx",
                     i, (unsigned long long)o);
            return -1;
        }
    }
    u64 namesize = f[F_NAMESIZE], filesize = f[F_FILESIZE];
    if (namesize < 2 || namesize > BUNDLE_NAME_MAX + 1) {
        snprintf(err, errlen, "bundle corrupt: name size %llu at offset 0x%llx (must be 2..%d)",
                 (unsigned long long)namesize, (unsigned long long)o, BUNDLE_NAME_MAX + 1);
        return -1;
    }
    u64 name_off = o + HDR_LEN;
    u64 data_off = ALIGN_UP(name_off + namesize, 4);
    if (data_off > len) {
        snprintf(err, errlen, "bundle truncated: name of entry at offset 0x%llx runs past the end",
                 (unsigned long long)o);
        return -1;
    }
    const char *name = (const char *)(base + name_off);
    if (name[namesize - 1] != '\0' || strnlen(name, namesize) != namesize - 1) {
        snprintf(err, errlen, "bundle corrupt: name of entry at offset 0x%llx is not one NUL-terminated string",
                 (unsigned long long)o);
        return -1;
    }
    if (filesize > len - data_off) {
        snprintf(err, errlen, "bundle truncated: '%s' needs %llu bytes, %llu left",
                 name, (unsigned long long)filesize, (unsigned long long)(len - data_off));
        return -1;
    }
    u64 next = data_off + filesize;
    next = ALIGN_UP(next, 4);
    if (next > len)
        next = len;     /* the last entry's padding may be cut; nothing follows anyway */

    e->name = name;
    e->data = base + data_off;
    e->size = filesize;
    e->mode = f[F_MODE];
    e->offset = o;
    *off = next;
    return strcmp(name, "TRAILER!!!") == 0 ? 0 : 1;
}

int bundle_open(struct bundle *b, const void *base, u64 len, char *err, size_t errlen)
{
    const u8 *p = base;
    u64 off = 0;
    unsigned int n = 0;

    b->base = p;
    b->len = len;
    b->nr_entries = 0;
    if (!p || len == 0) {
        snprintf(err, errlen, "no boot bundle: the boot loader passed no module");
        return -1;
    }
    for (;;) {
        struct bundle_entry e;
        if (off >= len) {
            snprintf(err, errlen, "bundle truncated: it ends after %u entries without the cpio trailer", n);
            return -1;
        }
        int r = parse_entry(p, len, &off, &e, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        u32 type = e.mode & 0170000;
        if (type != 0100000 && type != 0040000) {
            snprintf(err, errlen, "bundle corrupt: '%s' is neither a file nor a directory (mode %#o)",
                     e.name, e.mode);
            return -1;
        }
        if (++n > BUNDLE_MAX_ENTRIES) {
            snprintf(err, errlen, "bundle has more than %d entries", BUNDLE_MAX_ENTRIES);
            return -1;
        }
    }
    for (u64 i = off; i < len; i++) {
        if (p[i] != 0) {
            snprintf(err, errlen, "bundle corrupt: data after the cpio trailer at offset 0x%llx",
                     (unsigned long long)i);
            return -1;
        }
    }
    b->nr_entries = n;

    /* Names must be unique. */
    u64 a_off = 0;
    for (unsigned int i = 0; i < n; i++) {
        struct bundle_entry a, c;
        parse_entry(p, len, &a_off, &a, err, errlen);
        u64 c_off = a_off;
        for (unsigned int j = i + 1; j < n; j++) {
            parse_entry(p, len, &c_off, &c, err, errlen);
            if (strcmp(a.name, c.name) == 0) {
                snprintf(err, errlen, "bundle corrupt: '%s' appears twice", a.name);
                b->nr_entries = 0;
                return -1;
            }
        }
    }
    return 0;
}

bool bundle_entry_at(const struct bundle *b, unsigned int i, struct bundle_entry *e)
{
    u64 off = 0;
    char err[8];

    if (i >= b->nr_entries)
        return false;
    for (unsigned int k = 0; k <= i; k++)
        if (parse_entry(b->base, b->len, &off, e, err, sizeof(err)) != 1)
            return false;
    return true;
}

bool bundle_find(const struct bundle *b, const char *name, struct bundle_entry *e)
{
    u64 off = 0;
    char err[8];

    for (unsigned int k = 0; k < b->nr_entries; k++) {
        if (parse_entry(b->base, b->len, &off, e, err, sizeof(err)) != 1)
            return false;
        if (strcmp(e->name, name) == 0)
            return true;
    }
    return false;
}

/*
 * bundle.h - the boot bundle: a cpio "newc" archive holding the system config
 * (tern.cfg) and the images it names (images/NAME).  Built by `tern bundle`,
 * passed as the boot module, validated as a whole before anything uses it.
 */
#ifndef TERN_BUNDLE_H
#define TERN_BUNDLE_H

#include "types.h"

#define BUNDLE_CONFIG_NAME  "tern.cfg"
#define BUNDLE_IMAGE_DIR    "images/"
#define BUNDLE_MAX_ENTRIES  256
#define BUNDLE_NAME_MAX     255

struct bundle_entry {
    const char *name;           /* NUL-terminated, inside the archive */
    const u8 *data;
    u64 size;
    u32 mode;
    u64 offset;                 /* of the header, for messages */
};

struct bundle {
    const u8 *base;
    u64 len;
    unsigned int nr_entries;    /* without the trailer */
};

/* Validate the whole archive; 0 or -1 with a message naming the problem. */
int bundle_open(struct bundle *b, const void *base, u64 len, char *err, size_t errlen);
/* Entry i (0 <= i < nr_entries) of an opened bundle. */
bool bundle_entry_at(const struct bundle *b, unsigned int i, struct bundle_entry *e);
bool bundle_find(const struct bundle *b, const char *name, struct bundle_entry *e);

#endif

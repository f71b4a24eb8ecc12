/*
 * cmdline.h - the hypervisor command line: the boot loader's, then the
 * config's [hypervisor] cmdline (later words win).  Words are key=value or
 * key alone.
 */
#ifndef TERN_CMDLINE_H
#define TERN_CMDLINE_H

#include "types.h"

/* Value of the last "key=value" in line (NUL-terminated copy in buf), or NULL. */
const char *cmdline_get(const char *line, const char *key, char *buf, size_t buflen);
bool cmdline_has(const char *line, const char *key);

#endif

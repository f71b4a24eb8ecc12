/* symbols.h - the hypervisor's own symbol table, for crash backtraces. */
#ifndef TERN_SYMBOLS_H
#define TERN_SYMBOLS_H

#include "types.h"

/* Name of the function containing addr and the offset into it; NULL if unknown. */
const char *symbol_lookup(u64 addr, u64 *offset);

#endif

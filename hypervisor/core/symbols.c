/*
 * symbols.c - looking up the symbol table that the build appends.
 *
 * tools/gensyms.py writes the .tern_syms section from `nm -n` of the first
 * link: a count, then sorted {address, name offset} pairs, then the names.
 * The section sits after everything else in the image (link.ld), so the
 * second link moves no symbol.  In the first link it is empty.
 */
#include "symbols.h"
#include "lib.h"

struct sym_entry {
    u64 addr;
    u64 name;               /* offset into the names */
};

struct sym_table {
    u64 count;
    struct sym_entry e[];
};

extern char __data_end[], __image_end[];

const char *symbol_lookup(u64 addr, u64 *offset)
{
    const struct sym_table *t = (const struct sym_table *)__data_end;
    u64 avail = (u64)(__image_end - __data_end);

    if (avail < sizeof(*t) || t->count == 0 ||
        t->count > (avail - sizeof(*t)) / sizeof(struct sym_entry))
        return NULL;
    const char *names = (const char *)&t->e[t->count];
    if (addr < t->e[0].addr)
        return NULL;
    u64 lo = 0, hi = t->count;              /* find the last entry <= addr */
    while (hi - lo > 1) {
        u64 mid = lo + (hi - lo) / 2;
        if (t->e[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (lo + 1 == t->count && addr - t->e[lo].addr > 0x10000)
        return NULL;                         /* past the last symbol */
    *offset = addr - t->e[lo].addr;
    return names + t->e[lo].name;
}

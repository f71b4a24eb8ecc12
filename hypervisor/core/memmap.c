/*
 * memmap.c - sorting and merging the boot memory map (arch independent).
 */
#include "bootinfo.h"

void bootinfo_sort_memmap(struct boot_info *bi)
{
    /* Insertion sort by start; at most BOOT_MEM_MAX entries. */
    for (unsigned int i = 1; i < bi->nr_mem; i++) {
        struct boot_mem_range r = bi->mem[i];
        unsigned int j = i;
        while (j && bi->mem[j - 1].start > r.start) {
            bi->mem[j] = bi->mem[j - 1];
            j--;
        }
        bi->mem[j] = r;
    }
    /* Merge adjacent or overlapping ranges of the same type. */
    unsigned int out = 0;
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        if (out && bi->mem[out - 1].type == bi->mem[i].type &&
            bi->mem[i].start <= bi->mem[out - 1].end) {
            if (bi->mem[i].end > bi->mem[out - 1].end)
                bi->mem[out - 1].end = bi->mem[i].end;
        } else {
            bi->mem[out++] = bi->mem[i];
        }
    }
    bi->nr_mem = out;
}

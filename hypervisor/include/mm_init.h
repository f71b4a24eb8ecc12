/* mm_init.h - boot-time memory setup (arch/x86_64/paging.c). */
#ifndef TERN_MM_INIT_H
#define TERN_MM_INIT_H

#include "bootinfo.h"

void mm_init(const struct boot_info *bi);
extern u64 ram_total_bytes;

#endif

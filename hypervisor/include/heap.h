/*
 * heap.h - the hypervisor's small-object heap and page allocation.
 */
#ifndef TERN_HEAP_H
#define TERN_HEAP_H

#include "types.h"

void *xmalloc(size_t size);         /* 16-byte aligned, NULL when out of memory */
void *xzalloc(size_t size);
void xfree(void *p);

void *alloc_pages(unsigned int order);     /* zeroed, from the frame allocator */
void free_pages(void *p, unsigned int order);

/* bytes in use by xmalloc (tests, leak checks) */
u64 heap_bytes_in_use(void);

#endif

/*
 * frame.h - the machine frame allocator (buddy system over the frame table).
 */
#ifndef TERN_FRAME_H
#define TERN_FRAME_H

#include "page.h"

#define FRAME_MAX_ORDER 18      /* largest block: 1 GiB */

/* Boot: take over a frame table whose entries are all PGS_RESERVED. */
void frames_init(struct page_info *table, u64 nr_frames);
/* Boot: hand the RAM frames [start, end) to the allocator. */
void frames_add_range(u64 start, u64 end);

/* 2^order contiguous frames, naturally aligned, state PGS_HV; INVALID_MFN_RAW if none. */
mfn_t frames_alloc(unsigned int order);
void frames_free(mfn_t m, unsigned int order);

u64 frames_free_count(void);
u64 frames_total_count(void);   /* frames ever handed to the allocator */

/* Consistency check of the free lists against the frame table (tests, audit). */
bool frames_check(void);

#endif

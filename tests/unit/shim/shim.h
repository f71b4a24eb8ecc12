/* shim.h - test-side control of the host shim (shim.c). */
#ifndef TERN_SHIM_H
#define TERN_SHIM_H

#include <setjmp.h>
#include "types.h"

/* panic() longjmps here when set (tests of "this must panic"), else aborts. */
extern jmp_buf *shim_panic_jmp;
extern char shim_panic_msg[256];

/* A fresh machine of nr_frames frames: frame table and backing RAM, all free
 * but the first reserved_low frames. */
void shim_machine(u64 nr_frames, u64 reserved_low);
void shim_machine_free(void);

#endif

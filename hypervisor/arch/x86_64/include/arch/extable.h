/*
 * arch/extable.h - exception fixups: an instruction that may fault on a guest
 * address names where to continue instead (Xen's and Linux's __ex_table).
 */
#ifndef ARCH_EXTABLE_H
#define ARCH_EXTABLE_H

#define ASM_EXTABLE(from, to) \
    ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad " #from ", " #to "\n\t.popsection\n\t"

#ifndef __ASSEMBLER__
#include "types.h"
struct cpu_regs;
/* If regs->rip has a fixup, move there and return true. */
bool extable_fixup(struct cpu_regs *regs);
#endif

#endif

#!/usr/bin/env python3
"""Write the hypervisor's symbol table (core/symbols.c reads it) as assembly.

Input: `nm -n --defined-only` of the first link.  Output: a .tern_syms section
holding the count, sorted (address, name offset) pairs and the names of the
text symbols.
"""
import sys


def main():
    syms = []
    for line in open(sys.argv[1]):
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tTwW":
            continue
        syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    out = ['\t.section .tern_syms, "a"', '\t.balign 8', f'\t.quad {len(syms)}']
    names, off = [], 0
    for addr, name in syms:
        out.append(f'\t.quad {addr:#x}, {off}')
        names.append(name)
        off += len(name) + 1
    for name in names:
        out.append(f'\t.asciz "{name}"')
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

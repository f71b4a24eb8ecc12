/*
 * compiler.h - included first in every hypervisor translation unit (-include).
 *
 * The hypervisor is compiled position-independent (-fpie) and linked at a fixed
 * address inside L4 slots 256-271 (ARCHITECTURE.md, decision 2).  Marking every
 * symbol hidden makes the compiler use plain RIP-relative references instead of
 * GOT loads, so the image needs no dynamic relocation and no -mcmodel=kernel.
 */
#ifndef TERN_COMPILER_H
#define TERN_COMPILER_H

#if !defined(__ASSEMBLER__) && !defined(TERN_HOST)
#pragma GCC visibility push(hidden)
#endif

#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define __packed        __attribute__((packed))
#define __aligned(n)    __attribute__((aligned(n)))
#define __section(s)    __attribute__((section(s)))
#define __noreturn      __attribute__((noreturn))
#define __used          __attribute__((used))
#define __unused        __attribute__((unused))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline      __attribute__((noinline))

#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) \
    ((type *)((char *)(p) - __builtin_offsetof(type, member)))

#define barrier()       __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x)    (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define STRINGIFY_(x)   #x
#define STRINGIFY(x)    STRINGIFY_(x)

#endif

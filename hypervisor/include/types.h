/*
 * types.h - scalar types of the hypervisor.
 *
 * Machine frame numbers (mfn_t) and guest frame numbers (gfn_t) are distinct
 * one-member structs so that the compiler refuses to pass one where the other
 * is meant (Xen's typesafe mfn_t).  Physical addresses are paddr_t.
 */
#ifndef TERN_TYPES_H
#define TERN_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t  u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t   s8;
typedef int16_t  s16;
typedef int32_t  s32;
typedef int64_t  s64;

typedef u64 paddr_t;
typedef u64 vaddr_t;
typedef s64 stime_t;            /* system time, ns since boot */

typedef struct { u64 m; } mfn_t;
typedef struct { u64 g; } gfn_t;

static inline mfn_t _mfn(u64 m)   { return (mfn_t){ m }; }
static inline u64 mfn_x(mfn_t m)  { return m.m; }
static inline gfn_t _gfn(u64 g)   { return (gfn_t){ g }; }
static inline u64 gfn_x(gfn_t g)  { return g.g; }

#define INVALID_MFN_RAW (~0ULL)

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))
#define PFN_UP(x)       (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x)     ((x) >> PAGE_SHIFT)

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

#endif

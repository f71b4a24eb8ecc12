/*
 * hypercall.h - Xen hypercalls from a PV guest kernel, two ways:
 *   HYPERCALL(nr, a1..a5)      `call hypercall_page + nr*32`: the stub the
 *                              builder wrote (push rcx/r11, syscall, pop, ret)
 *   HYPERCALL_RAW(nr, a1..a5)  `syscall` with the number in rax, as Linux does
 * Arguments in rdi, rsi, rdx, r10, r8; result in rax (a negative Xen errno).
 * The argument registers are treated as clobbered (Xen's debug builds
 * scramble them).  Natively the hypercall page holds stubs returning -ENOSYS.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "types.h"
#include <xen/xen.h>

extern char hypercall_page[4096];

#define HC_STR_(x) #x
#define HC_STR(x)  HC_STR_(x)

#define HYPERCALL_ASM_(insn, nr_in, a1, a2, a3, a4, a5) ({                  \
    register u64 _a1 __asm__("rdi") = (u64)(a1);                            \
    register u64 _a2 __asm__("rsi") = (u64)(a2);                            \
    register u64 _a3 __asm__("rdx") = (u64)(a3);                            \
    register u64 _a4 __asm__("r10") = (u64)(a4);                            \
    register u64 _a5 __asm__("r8") = (u64)(a5);                             \
    long _ret;                                                              \
    __asm__ volatile(insn                                                   \
                     : "=a"(_ret), "+r"(_a1), "+r"(_a2), "+r"(_a3),         \
                       "+r"(_a4), "+r"(_a5)                                 \
                     : nr_in                                                \
                     : "rcx", "r11", "memory");                             \
    _ret; })

#define HYPERCALL(nr, a1, a2, a3, a4, a5) \
    HYPERCALL_ASM_("call hypercall_page + " HC_STR(nr) " * 32", "0"(0), a1, a2, a3, a4, a5)
#define HYPERCALL_RAW(nr, a1, a2, a3, a4, a5) \
    HYPERCALL_ASM_("syscall", "0"((long)(nr)), a1, a2, a3, a4, a5)

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{ return HYPERCALL(__HYPERVISOR_xen_version, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_console_io(int cmd, unsigned long count, const char *buf)
{ return HYPERCALL(__HYPERVISOR_console_io, cmd, count, buf, 0, 0); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{ return HYPERCALL(__HYPERVISOR_sched_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_set_trap_table(const void *table)
{ return HYPERCALL(__HYPERVISOR_set_trap_table, table, 0, 0, 0, 0); }
static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{ return HYPERCALL(__HYPERVISOR_callback_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_update_va_mapping(u64 va, u64 val, u64 flags)
{ return HYPERCALL(__HYPERVISOR_update_va_mapping, va, val, flags, 0, 0); }
static inline long HYPERVISOR_mmu_update(const void *req, unsigned count, unsigned *done, domid_t dom)
{ return HYPERCALL(__HYPERVISOR_mmu_update, req, count, done, dom, 0); }
static inline long HYPERVISOR_mmuext_op(const void *op, unsigned count, unsigned *done, domid_t dom)
{ return HYPERCALL(__HYPERVISOR_mmuext_op, op, count, done, dom, 0); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{ return HYPERCALL(__HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned vcpu, void *arg)
{ return HYPERCALL(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0); }
static inline long HYPERVISOR_grant_table_op(int cmd, void *uop, unsigned count)
{ return HYPERCALL(__HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0); }
static inline long HYPERVISOR_memory_op(int cmd, void *arg)
{ return HYPERCALL(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_stack_switch(u64 ss, u64 sp)
{ return HYPERCALL(__HYPERVISOR_stack_switch, ss, sp, 0, 0, 0); }
static inline long HYPERVISOR_set_segment_base(int which, u64 base)
{ return HYPERCALL(__HYPERVISOR_set_segment_base, which, base, 0, 0, 0); }
static inline long HYPERVISOR_set_gdt(const xen_pfn_t *frames, unsigned entries)
{ return HYPERCALL(__HYPERVISOR_set_gdt, frames, entries, 0, 0, 0); }
static inline long HYPERVISOR_update_descriptor(u64 maddr, u64 desc)
{ return HYPERCALL(__HYPERVISOR_update_descriptor, maddr, desc, 0, 0, 0); }
static inline long HYPERVISOR_fpu_taskswitch(int set)
{ return HYPERCALL(__HYPERVISOR_fpu_taskswitch, set, 0, 0, 0, 0); }
static inline long HYPERVISOR_vm_assist(unsigned cmd, unsigned type)
{ return HYPERCALL(__HYPERVISOR_vm_assist, cmd, type, 0, 0, 0); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{ return HYPERCALL(__HYPERVISOR_physdev_op, cmd, arg, 0, 0, 0); }
static inline long HYPERVISOR_multicall(void *calls, unsigned count)
{ return HYPERCALL(__HYPERVISOR_multicall, calls, count, 0, 0, 0); }

#endif

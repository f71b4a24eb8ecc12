/*
 * xen_abi.h - the guest ABI: Xen's public headers as installed by Debian's
 * libxen-dev (interface 4.17, /usr/include/xen).  Every guest-visible
 * structure and constant comes from there; Tern adds only what abi/README.md
 * lists.  Error codes are Xen's (xen/errno.h), returned negated.
 */
#ifndef TERN_XEN_ABI_H
#define TERN_XEN_ABI_H

#include "types.h"

#define __XEN_INTERFACE_VERSION__ 0x00040e00
#include <xen/xen.h>
#include <xen/version.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/callback.h>
#include <xen/event_channel.h>
#include <xen/physdev.h>
#include <xen/features.h>
#include <xen/elfnote.h>
#include <xen/grant_table.h>
#include <xen/nmi.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/io/console.h>
#include <xen/errno.h>

/* Sizes Tern relies on, checked against the headers. */
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info");
_Static_assert(sizeof(struct shared_info) <= 4096, "shared_info");
_Static_assert(sizeof(struct start_info) <= 4096, "start_info");
_Static_assert(sizeof(struct trap_info) == 16, "trap_info");
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update");
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op");
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry");
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info");
_Static_assert(__builtin_offsetof(struct vcpu_info, time) == 32, "vcpu_info.time");
_Static_assert(__builtin_offsetof(struct vcpu_info, arch) == 16, "vcpu_info.arch");
_Static_assert(__builtin_offsetof(struct shared_info, evtchn_pending) == 2048, "evtchn_pending");

#define XEN_LEGACY_VCPUS    XEN_LEGACY_MAX_VCPUS

/* Internal to Xen's implementation, not in the public headers: the mark
 * of a continued mmu_update/mmuext_op, and the memory_op command mask. */
#define MMU_UPDATE_PREEMPTED    (1u << 31)
#define MEMOP_CMD_MASK          0x3f
#define ENXIO                   XEN_ENXIO
#define ETIME                   XEN_ETIME
#define ENOBUFS                 XEN_ENOBUFS

/* The version Tern reports: the ABI it implements. */
#define TERN_XEN_MAJOR      4
#define TERN_XEN_MINOR      17

#endif

/* Short names for Xen's error numbers (hypercalls return them negated). */
#define EPERM       XEN_EPERM
#define ENOENT      XEN_ENOENT
#define ESRCH       XEN_ESRCH
#define EINTR       XEN_EINTR
#define EIO         XEN_EIO
#define E2BIG       XEN_E2BIG
#define EBADF       XEN_EBADF
#define EAGAIN      XEN_EAGAIN
#define ENOMEM      XEN_ENOMEM
#define EACCES      XEN_EACCES
#define EFAULT      XEN_EFAULT
#define EBUSY       XEN_EBUSY
#define EEXIST      XEN_EEXIST
#define EXDEV       XEN_EXDEV
#define ENODEV      XEN_ENODEV
#define EINVAL      XEN_EINVAL
#define ENOSPC      XEN_ENOSPC
#define ERANGE      XEN_ERANGE
#define ENOSYS      XEN_ENOSYS
#define ENODATA     XEN_ENODATA
#define EOPNOTSUPP  XEN_EOPNOTSUPP
#define EALREADY    XEN_EALREADY
#define EISCONN     XEN_EISCONN
#define ENOTCONN    XEN_ENOTCONN
#define ETIMEDOUT   XEN_ETIMEDOUT

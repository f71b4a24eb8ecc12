/*
 * user.c - running code in the guest's user mode.
 *
 * PV (Xen's 64-bit model): user mode is ring 3 like the kernel, told apart by
 * the page tables.  user_init builds a user top-level table (one page holding
 * the kernel's L4 slot 0, so the image stays reachable), maps it read-only,
 * pins it and installs it with MMUEXT_NEW_USER_BASEPTR, and gives Xen a
 * kernel stack for entries from user mode (stack_switch).  user_run then
 * "returns" to user mode with HYPERVISOR_iret (CS RPL 3).  A `syscall` there
 * arrives at the syscall callback (VEC_SYSCALL), which answers through
 * HYPERVISOR_iret with VGCF_in_syscall.  Native: ring 3 in the same address
 * space (every page is a user page), syscall/sysret MSRs set by native.c.
 */
#include "guest.h"

extern u64 user_enter(const u64 *frame);
extern __noreturn void user_leave(u64 value);

static u8 user_stack[16384] __aligned(16);
static u8 user_kstack[16384] __aligned(16);
static bool user_ready;
user_syscall_t user_syscall_handler;
u64 user_syscalls;

static void user_init(void)
{
    if (!platform_is_pv) {
        user_ready = true;
        return;
    }
    u64 *l4 = alloc_page();
    if (!l4)
        guest_panic("user_init: no page for the user L4");
    l4[0] = ((const u64 *)start_info->pt_base)[0];
    u64 mfn = virt_to_mfn(l4);
    long rc = map_page(l4, mfn, PTE_A);     /* read-only */
    if (rc)
        guest_panic("user_init: remapping the user L4 read-only: %ld", rc);
    struct mmuext_op op[2] = {
        { .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = mfn },
        { .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = mfn },
    };
    rc = HYPERVISOR_mmuext_op(op, 2, NULL, DOMID_SELF);
    if (rc)
        guest_panic("user_init: pin + NEW_USER_BASEPTR: %ld", rc);
    rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (u64)user_kstack + sizeof(user_kstack));
    if (rc)
        guest_panic("user_init: stack_switch: %ld", rc);
    user_ready = true;
}

u64 user_run(void (*fn)(void))
{
    if (!user_ready)
        user_init();
    u64 rflags = 0x2;
    if (platform_is_pv ? !vcpu0()->evtchn_upcall_mask : false)
        rflags |= X86_EFLAGS_IF;
    u64 frame[5] = {
        (u64)fn,
        platform_is_pv ? (FLAT_USER_CS64 | 3) : 0x23,
        rflags,
        (u64)user_stack + sizeof(user_stack) - 8,
        platform_is_pv ? (FLAT_USER_SS | 3) : 0x1b,
    };
    return user_enter(frame);
}

__noreturn void user_exit(u64 value)
{
    for (;;)
        user_syscall(USER_SYS_EXIT, value);
}

void user_syscall_dispatch(struct regs *r);
void user_syscall_dispatch(struct regs *r)
{
    if (r->rax == USER_SYS_EXIT)
        user_leave(r->rdi);
    user_syscalls++;
    r->rax = user_syscall_handler ? user_syscall_handler(r) : (u64)-XEN_ENOSYS;
}

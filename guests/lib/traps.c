/*
 * traps.c - what happens to an exception once entry.S has built struct regs.
 *
 * Order of handling, for every vector and both platforms:
 *   1. VEC_EVENT (PV upcall) and VEC_SYSCALL (user `syscall`) go to events.c
 *      and user.c;
 *   2. a hook a test installed for the vector (trap_set_hook) may claim it;
 *   3. the exception-fixup table (.ex_table, filled by PROBE()) turns an
 *      expected fault into a record in last_fault and resumes after the
 *      faulting instruction;
 *   4. anything else is a bug in the guest: registers are printed, the result
 *      becomes ERROR and the guest ends as crashed.
 */
#include "guest.h"

struct ex_entry { u64 insn, fixup; };
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

struct fault last_fault = { .vector = -1 };
static trap_hook_t hooks[258];

void trap_set_hook(unsigned vector, trap_hook_t fn)
{
    if (vector < ARRAY_SIZE(hooks))
        hooks[vector] = fn;
}

const char *vector_name(int v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS", "#NP",
        "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };
    if (v < 0)
        return "none";
    if (v < 32)
        return names[v] ? names[v] : "#reserved";
    if (v == VEC_EVENT)
        return "event";
    if (v == VEC_SYSCALL)
        return "syscall";
    return "interrupt";
}

static u64 fault_cr2(void)
{
    if (platform_is_pv)
        return this_vcpu()->arch.cr2;       /* the faulting vCPU's */
    return read_cr2();
}

static bool fixup(struct regs *r)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (r->rip == e->insn || r->rip == e->fixup) {
            last_fault.vector = (int)r->vector;
            last_fault.error_code = (u32)r->error_code;
            last_fault.cr2 = r->vector == 14 ? fault_cr2() : 0;
            last_fault.rip = r->rip;
            r->rip = e->fixup;
            return true;
        }
    }
    return false;
}

void native_lapic_irq(struct regs *r);
void user_syscall_dispatch(struct regs *r);

void trap_dispatch(struct regs *r)
{
    if (r->vector == VEC_EVENT) {
        evtchn_upcall();
        return;
    }
    if (r->vector < ARRAY_SIZE(hooks) && hooks[r->vector] && hooks[r->vector](r))
        return;
    if (r->vector == VEC_SYSCALL) {
        user_syscall_dispatch(r);
        return;
    }
    if (!platform_is_pv && r->vector >= 32) {
        native_lapic_irq(r);
        return;
    }
    if (r->vector < 32 && fixup(r))
        return;

    printf("FATAL: unexpected %s (vector %lu) error code %#lx at rip %#lx\n",
           vector_name((int)r->vector), r->vector, r->error_code, r->rip);
    printf("  cs %#lx rflags %#lx rsp %#lx ss %#lx cr2 %#lx\n",
           r->cs, r->rflags, r->rsp, r->ss, r->vector == 14 ? fault_cr2() : (u64)0);
    printf("  rax %#lx rbx %#lx rcx %#lx rdx %#lx rsi %#lx rdi %#lx rbp %#lx\n",
           r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp);
    printf("  r8 %#lx r9 %#lx r10 %#lx r11 %#lx r12 %#lx r13 %#lx r14 %#lx r15 %#lx\n",
           r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
    guest_panic("unexpected %s at %#lx", vector_name((int)r->vector), r->rip);
}

/* Xen could not load a segment register while returning to us. */
void failsafe_dispatch(const u64 *frame)
{
    printf("FATAL: failsafe callback: ds %#lx es %#lx fs %#lx gs %#lx rip %#lx cs %#lx\n",
           frame[0], frame[1], frame[2], frame[3], frame[6], frame[7]);
    guest_panic("failsafe callback at %#lx", frame[6]);
}

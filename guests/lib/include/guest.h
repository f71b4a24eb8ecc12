/*
 * guest.h - the interface of guests/lib, the project's small PV kernel
 * library.  A guest program includes this and defines test_main().
 *
 * One image runs on three platforms, told apart at run time:
 *   PV dom0   Xen's dom0 (or Tern's initial privileged domain): SIF_INITDOMAIN,
 *             console through console_io;
 *   PV domU   an unprivileged Xen PV domain (Tern): console ring + event channel;
 *   native    a plain QEMU VM (microvm, PVH entry): UART, LAPIC, isa-debug-exit.
 * Reading order: head.S (entry), pv.c / native.c (platform bring-up), traps.c,
 * console.c, time.c, mm.c, events.c, user.c, test.c, bench.c.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include "types.h"
#include "lib.h"
#include "arch.h"
#include "vectors.h"
#include "hypercall.h"
#include <xen/xen.h>
#include <xen/version.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/callback.h>
#include <xen/vcpu.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/physdev.h>
#include <xen/errno.h>
#include "../../../abi/tern.h"

/* ---- platform (pv.c, native.c) ---- */
extern int platform_is_pv;              /* also read by entry.S */
extern bool pv_is_dom0;
extern start_info_t *start_info;        /* PV only */
extern shared_info_t *shared_info;      /* PV only: mapped by pv_boot */
extern const char *guest_cmdline;
const char *platform_name(void);        /* "xen-pv-dom0", "xen-pv-domU", "native" */
bool cmdline_has(const char *word);
/* The value of "key=value" on the command line, or NULL. */
const char *cmdline_value(const char *key, char *buf, size_t size);

/* End the guest: a clean end (reboot on PV, isa-debug-exit 0 natively), or a crash. */
__noreturn void platform_exit(bool clean);

/* Native drivers count what would be VM exits on hardware (benchmark `events`). */
struct native_counters { u64 pio, mmio, irqs; };
extern struct native_counters native_events;

static inline vcpu_info_t *vcpu0(void) { return &shared_info->vcpu_info[0]; }

/* ---- console (console.c) ---- */
void console_write(const char *s, size_t n);
int console_getc(void);                     /* one character of input, -1 if none */
evtchn_port_t pv_console_port(void);        /* PV: input's event (0: VIRQ_CONSOLE) */
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);

/* ---- traps and expected faults (traps.c) ---- */
struct regs {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error_code;
    u64 rip, cs, rflags, rsp, ss;       /* PV: CS bits 32-39 = saved upcall mask */
};

struct fault {
    int vector;                         /* -1: no fault */
    u32 error_code;
    u64 cr2;                            /* #PF only */
    u64 rip;                            /* where it was raised */
};
extern struct fault last_fault;

/* A hook sees an exception (or VEC_EVENT / VEC_SYSCALL) first; true = handled. */
typedef bool (*trap_hook_t)(struct regs *r);
void trap_set_hook(unsigned vector, trap_hook_t fn);

/* PV: point one trap-table entry at an assembly handler of the caller's own
 * (for benchmarks); dpl = which rings may `int n` it.  Returns the hypercall's
 * result. */
long pv_set_trap(unsigned vector, unsigned dpl, void *handler);
/* Natively: the same for an IDT gate. */
void native_set_gate(unsigned vector, unsigned dpl, void *handler);

#define EXTABLE_ENTRY(from, to) \
    ".pushsection .ex_table, \"a\"\n .balign 8\n .quad " from ", " to "\n .popsection\n"

/*
 * PROBE("insn" [, : outputs : inputs : clobbers]) runs one instruction that
 * may fault and evaluates to the fault it took (vector -1 if none).  A fault
 * at the instruction (or a trap just after it) resumes after it.
 */
#define PROBE(insn, ...) ({                                                 \
    last_fault.vector = -1;                                                 \
    __asm__ volatile("" ::: "memory");                                      \
    __asm__ volatile("1: " insn "\n2:\n" EXTABLE_ENTRY("1b", "2b") __VA_ARGS__); \
    __asm__ volatile("" ::: "memory");                                      \
    last_fault; })

const char *vector_name(int vector);

/* ---- time (time.c) ---- */
u64 now_ns(void);                       /* PV: pvclock system time; native: TSC since boot */
u64 tsc_to_ns(u64 ticks);
u64 tsc_to_system_ns(u64 tsc);          /* a TSC value as system time (now_ns's scale) */
u64 ns_to_tsc(u64 ns);
extern u64 tsc_hz;                      /* native: calibrated against the PIT */
void time_init(void);

/* ---- memory (mm.c) ---- */
#define M2P ((const unsigned long *)MACH2PHYS_VIRT_START)
u64 pfn_to_mfn(u64 pfn);
u64 mfn_to_pfn(u64 mfn);
u64 virt_to_mfn(const void *va);        /* PV: machine frame; native: physical */
/* The PTE mapping va (level 1 = 4 KiB), and the machine address of that PTE
 * slot; 0 if the walk stops early.  Walks the guest's own tables via the M2P. */
u64 pte_lookup(const void *va, u64 *pte_maddr);
/* Map/unmap a 4 KiB page at va (update_va_mapping on PV, direct write natively). */
long map_page(void *va, u64 mfn, u64 flags);
long unmap_page(void *va);
/* Free pages of the initial mapping, zeroed; NULL when none are left. */
void *alloc_page(void);
void free_page(void *va);
unsigned mm_free_pages(void);
void mm_init(u64 boot_rsp);

/* ---- events (events.c, PV) ---- */
typedef void (*evtchn_handler_t)(evtchn_port_t port);
void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn);
void evtchn_unmask(evtchn_port_t port);
void events_enable(void);
void events_disable(void);
long evtchn_send(evtchn_port_t port);
void evtchn_upcall(void);
extern u64 upcalls;
/* Called at the start of every upcall, before any port is looked at (tests
 * that watch when an upcall arrives). */
extern void (*evtchn_upcall_hook)(void);
/* The vCPU a port notifies (bind_ipi/bind_virq's vcpu, EVTCHNOP_bind_vcpu):
 * an upcall handles only the ports of its own vCPU (default 0). */
void evtchn_set_cpu(evtchn_port_t port, unsigned cpu);

/* ---- page tables for the MMU tests (pt.c, PV) ---- */
long pt_update(u64 ptr, u64 val);           /* one mmu_update request (ptr's low 3 bits: MMU_*) */
long pt_ext(unsigned cmd, u64 arg1);        /* one mmuext_op; arg1 = mfn or linear address */
long pt_ext2(unsigned cmd, u64 arg1, u64 arg2);
u64 pt_maddr(const void *table, unsigned slot); /* machine address of a slot of a bootstrap page */
u64 *pt_l4(void);                           /* the initial top-level table (start_info.pt_base) */
u64 pt_l4_mfn(void);
long pt_remap(void *va, u64 flags);         /* map va to its own frame with flags (PTE_P added) */
void *pt_alloc(u64 *mfn);                   /* zeroed page of ours, mapped read-only */
long pt_release(void *va);                  /* writable again, back to the allocator */
struct pt_sandbox {
    unsigned slot;                          /* L4 slot */
    u64 base;                               /* its first VA; 2 MiB mapped through l1 */
    u64 *l3, *l2, *l1;                      /* read-only views of the tables */
    u64 l3_mfn, l2_mfn, l1_mfn;
};
long pt_sandbox_create(struct pt_sandbox *sb, unsigned l4_slot);
long pt_sandbox_destroy(struct pt_sandbox *sb);
long pt_sandbox_map(struct pt_sandbox *sb, unsigned idx, u64 pte);  /* sets l1[idx] */
bool pt_frame_is_ours(u64 mfn);
/* A RAM frame above 1 MiB that is not ours (highest or lowest); 0 if none. */
u64 pt_foreign_frame(bool highest);

/* ---- Tern's tern_op (ternop.c) ---- */
long tern_op(unsigned cmd, void *arg);
bool tern_present(void);                    /* false on Xen (-ENOSYS) and natively */
long tern_audit(void);                      /* TERNOP_audit: 0 consistent, -EIO not */

/* ---- user mode (user.c) ---- */
/* Run fn in user mode on its own stack until it calls user_exit(value);
 * returns value.  PV: a user L4 (MMUEXT_NEW_USER_BASEPTR) mapping the image;
 * native: ring 3 in the same address space. */
u64 user_run(void (*fn)(void));
/* From user mode: a system call (arrives at user_syscall hooks) */
static inline u64 user_syscall(u64 nr, u64 arg)
{
    u64 ret;
    __asm__ volatile("syscall" : "=a"(ret), "+D"(arg) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}
#define USER_SYS_EXIT   0x5e5e
__noreturn void user_exit(u64 value);
/* Called for every user system call other than exit; the result goes to rax. */
typedef u64 (*user_syscall_t)(struct regs *r);
extern user_syscall_t user_syscall_handler;
extern u64 user_syscalls;

/* ---- the test framework (test.c) ---- */
enum result { RESULT_SUCCESS, RESULT_SKIP, RESULT_ERROR, RESULT_FAILURE };
void test_main(void);                   /* each guest's */
extern const char test_title[];         /* each guest's one-line description */
/* Record a check: prints CHECK <name> PASS|FAIL <detail>. */
bool check(bool ok, const char *name, const char *fmt, ...) __printf(3, 4);
#define CHECK(name, cond, ...) check(!!(cond), name, __VA_ARGS__)
#define CHECK_EQ(name, got, want) ({                                         \
    long long _g = (long long)(got), _w = (long long)(want);                \
    check(_g == _w, name, "%s = %lld (%#llx), expected %lld", #got, _g, _g, _w); })
/* Worst wins; reason kept from the first result of that rank. */
void test_result(enum result r, const char *fmt, ...) __printf(2, 3);
#define test_skip(...)  test_result(RESULT_SKIP, __VA_ARGS__)
#define test_error(...) test_result(RESULT_ERROR, __VA_ARGS__)
#define test_fail(...)  test_result(RESULT_FAILURE, __VA_ARGS__)
/* Print the RESULT line and end the guest (platform_exit). */
__noreturn void test_finish(void);
__noreturn void guest_panic(const char *fmt, ...) __printf(1, 2);

/* ---- benchmarks (bench.c) ---- */
#define BENCH_MAX_SAMPLES 4096
/* The timed window: TSC_START keeps the start in r12, TSC_STOP leaves the
 * difference in rax (clobbers rdx, r12).  For operand-style asm. */
#define TSC_START "rdtsc\n shl $32, %%rdx\n or %%rdx, %%rax\n mov %%rax, %%r12\n"
#define TSC_STOP  "rdtsc\n shl $32, %%rdx\n or %%rdx, %%rax\n sub %%r12, %%rax\n"
struct bench {
    const char *name;
    u64 overhead;                       /* the empty rdtsc pair */
    u64 n;                              /* samples stored */
    u64 total;                          /* samples seen (wall mode: histogram) */
    u64 min, max;
    u64 per;                            /* report figures divided by this (per entry) */
    u64 *samples;
    /* Events from bench_begin to bench_report, reported per operation ("events"):
     * natively the drivers' port/MMIO accesses and interrupts, on Tern the
     * calling vCPU's hypervisor counters (tern_op), on Xen none.  warmups:
     * operations inside that window besides the samples (a bench whose warm-up
     * runs after bench_begin sets it). */
    u64 warmups;
    struct native_counters native0;
    struct tern_counters tern0;
    bool tern;
};
/* Tern's counters between two tern_op snapshots, per operation, as JSON members
 * (hypercalls, exceptions, interrupts, syscall_bounces, as_switches,
 * domain_switches, ipis; b read by the later tern_op). */
void bench_tern_events_json(char *buf, size_t size, const struct tern_counters *a,
                            const struct tern_counters *b, u64 ops);
/* Cost of an empty `rdtsc; rdtsc` pair (median of many). */
u64 bench_empty_pair(void);
/* True when the command line asks for the wall-clock mode ("wall"). */
bool bench_wall_mode(void);
/* How many iterations: "iters=N" on the command line, else the default. */
u64 bench_iters(u64 icount_default, u64 wall_default);
void bench_begin(struct bench *b, const char *name);
void bench_add(struct bench *b, u64 ticks);  /* one sample, overhead not yet taken off */
/* Print the BENCH line: instructions (icount mode) or ns (wall mode).
 * extra: more JSON members ("" or "\"k\": v, ..."). */
void bench_report(struct bench *b, const char *extra);

/* ---- several CPUs (smp.c, smp_trampoline.S) ----
 * CPU 0 is the one that booted; smp_init() brings up the others: PV, every
 * vCPU of the domain (VCPUOP_initialise + VCPUOP_up; VCPUOP_is_up answers
 * -ENOENT past the last); natively, every processor of the ACPI MADT
 * (INIT/SIPI through the local APIC, a real-mode trampoline at 0x8000).
 * A secondary CPU idles blocked (SCHEDOP_block / hlt) until smp_call gives it
 * a function, which it runs with events masked (PV) or interrupts off.
 * Per-CPU data: struct smp_cpu, at the GS base of its CPU (PV gs_base_kernel).
 * IPIs: PV, one EVTCHNOP_bind_ipi port per vCPU (+ one to wake it up) and
 * EVTCHNOP_send; natively, fixed IPIs through the local APIC's ICR.
 * Waiting for another CPU (smp_wait, smp_barrier, ticket_lock) spins briefly,
 * then sleeps until the CPU that ends the wait sends the wake IPI
 * (smp_wait_eq/smp_wake): a waiter gives its processor to the CPU it waits
 * for when there are more CPUs than processors under them.
 * Not on secondary CPUs: user mode (user_run), the native LAPIC timer; PROBE
 * records its fault in the one last_fault (one CPU at a time). */
#define SMP_MAX_CPUS    8
#define SMP_STACK_SIZE  16384
typedef void (*smp_fn_t)(void *arg);
typedef void (*smp_ipi_fn_t)(unsigned cpu);     /* called on the receiving CPU */
struct smp_cpu {
    struct smp_cpu *self;               /* %gs:0 */
    u32 id;                             /* %gs:8 */
    u32 apic_id;                        /* native: its local APIC's ID */
    volatile bool online;               /* it reached its idle loop */
    evtchn_port_t wake_port, ipi_port;  /* PV: IPI ports bound to this vCPU */
    smp_ipi_fn_t ipi_handler;
    volatile u64 ipis;                  /* smp_send_ipi()s it received (handler calls) */
    volatile u64 wakeups;               /* internal wake-up IPIs it received */
    smp_fn_t fn;                        /* smp_call: the work and its sequence numbers */
    void *arg;
    volatile u32 seq_start, seq_done;
    u32 bar_sense;                      /* smp_barrier's local sense */
    /* smp_wait_eq: while it sleeps, the word it waits for and the value */
    const volatile u32 *volatile wait_word;
    volatile u32 wait_val;
    u64 sleeps;                         /* times it slept in smp_wait_eq */
    u64 timeouts;                       /* PV: ... and woke without the wake IPI */
    u64 kicks;                          /* wake IPIs it sent in smp_wake */
    /* What a secondary CPU found when it started (its first C code): */
    u8 entry_upcall_mask;               /* PV: its vcpu_info's evtchn_upcall_mask */
    bool entry_args_ok;                 /* PV: rdi/rsi/rdx as VCPUOP_initialise gave them */
    bool entry_gs_ok;                   /* its GS base is this structure */
    u8 *stack_top;
} __aligned(64);
extern struct smp_cpu smp_cpus[SMP_MAX_CPUS];
extern bool smp_active;                 /* smp_init ran: GS bases hold the per-CPU areas */

static inline unsigned smp_cpu_id(void)
{
    unsigned id;
    if (!smp_active)
        return 0;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(__builtin_offsetof(struct smp_cpu, id)));
    return id;
}
static inline struct smp_cpu *smp_this(void) { return &smp_cpus[smp_cpu_id()]; }
/* PV: this vCPU's vcpu_info (shared_info slot = vCPU id). */
static inline vcpu_info_t *this_vcpu(void) { return &shared_info->vcpu_info[smp_cpu_id()]; }

/* How many CPUs the platform has (PV: VCPUOP_is_up until -ENOENT; native: the
 * MADT's enabled processors), at most SMP_MAX_CPUS; nothing is started. */
unsigned smp_probe(void);
/* Bring every CPU up (once); returns how many are online. */
unsigned smp_init(void);
unsigned smp_nr_cpus(void);             /* online: 1 until smp_init */
/* Start fn(arg) on a secondary CPU (after its previous call ended); returns at once. */
void smp_call(unsigned cpu, smp_fn_t fn, void *arg);
void smp_start(smp_fn_t fn, void *arg); /* smp_call on every secondary CPU */
void smp_wait(unsigned cpu);            /* until cpu's call has returned */
void smp_wait_all(void);
/* fn(arg) on every online CPU at once, this one included; returns when all ended. */
void smp_run_all(smp_fn_t fn, void *arg);
/* Every online CPU waits here until all have arrived (each must call it). */
void smp_barrier(void);
/* Wait until *word == val: spin a little (smp_relax), then sleep until a
 * smp_wake(word) finds the wait satisfied (natively sti; hlt; PV SCHEDOP_poll
 * of the wake port, looking again after 1, 2, 4 ... 64 ms); events (PV) or interrupts
 * (native) are as on entry when it returns.  Whoever changes a word that
 * another CPU may wait for calls smp_wake(word) after the change. */
void smp_wait_eq(const volatile u32 *word, u32 val);
void smp_wake(const volatile u32 *word);
/* The handler of cpu's IPIs (NULL: only counted in smp_cpus[cpu].ipis). */
void smp_set_ipi_handler(unsigned cpu, smp_ipi_fn_t fn);
long smp_send_ipi(unsigned cpu);        /* PV: EVTCHNOP_send's result; native 0 */
/* Wait for an event with events masked on entry: unmask and block until one
 * is delivered (PV SCHEDOP_block; native sti; hlt), masked again on return. */
void smp_halt(void);
/* A spin-wait step: pause, and every 128th time on PV SCHEDOP_yield, so that a
 * vCPU waiting for another that shares its physical CPU lets it run. */
void smp_relax(unsigned *spins);

/* A ticket lock: FIFO, for any CPUs; a waiter that is not handed the lock
 * soon sleeps (smp_wait_eq) and the unlock wakes it.  ticket_lock returns
 * the ticket it was served: the locks taken before it, counted from 0. */
struct ticket_lock { u32 next, owner; };
u32 ticket_lock(struct ticket_lock *l);
void ticket_unlock(struct ticket_lock *l);

#define BARRIER() __asm__ volatile("" ::: "memory")

#endif

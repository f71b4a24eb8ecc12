/*
 * smp.c - several CPUs in one guest: bring-up, per-CPU data, IPIs, a
 * barrier and a ticket lock, on the three platforms (guest.h, "several CPUs").
 *
 * PV (Xen's dom0, Tern's domains).  The vCPUs are counted with VCPUOP_is_up
 * (-ENOENT past the last one).  Each gets two IPI ports bound to it with
 * EVTCHNOP_bind_ipi (one wakes it from its idle loop, one carries
 * smp_send_ipi), its vcpu_info is shared_info's slot of its id, and a
 * secondary one starts from a vcpu_guest_context (VCPUOP_initialise):
 * kernel mode, the boot vCPU's L4 (ctrlreg[3]), the library's trap table and
 * event/failsafe/syscall callbacks, FLAT_KERNEL_CS/SS, the boot vCPU's data
 * selectors, no GDT of its own (gdt_ents 0: the hypervisor's flat selectors,
 * as the boot vCPU uses), its own stack (rsp, and kernel_sp for entries from
 * user mode), gs_base_kernel = its struct smp_cpu, RFLAGS with IOPL 0 as the
 * boot vCPU has (the builder's RFLAGS is IF only), rdi = its number and rsi,
 * rdx = two magic values its first C code checks.  Then VCPUOP_up.
 *
 * Native (QEMU microvm, PVH).  The processors are the ACPI MADT's enabled
 * local APICs (the RSDP from hvm_start_info or the BIOS area 0xe0000-0xfffff).
 * Each AP is sent INIT, then STARTUP with vector 0x08: it starts in real mode
 * at 0x8000, where smp_trampoline.S was copied, which enters long mode on
 * head.S's page tables with the boot CPU's CR0/CR4/EFER and jumps into the
 * image (smp_native_ap_entry) on the stack smp_ap_rsp names.  There it loads
 * the GDT, its own TSS, the IDT, the syscall MSRs, its local APIC and GS
 * base.  IPIs are fixed, physical-destination IPIs through the ICR.
 *
 * Idle loop: a secondary CPU masks events, and while it has no work it
 * waits in smp_halt (SCHEDOP_block / sti; hlt); smp_call stores the work,
 * bumps seq_start and sends the wake IPI; the CPU runs fn(arg) with events
 * masked and then sets seq_done.
 *
 * Waiting for another CPU (smp_wait_eq: the ticket lock, the barrier,
 * smp_wait) spins a little, then sleeps: with more CPUs than processors
 * under them (4 vCPUs on 2 physical CPUs; natively 4 QEMU threads on a
 * 2-core host) the CPU waited for is often not running, and a spinning
 * waiter only keeps it off the processor.  A sleeper publishes the word and
 * value it waits for in its struct smp_cpu, checks the word once more, and
 * halts; whoever changes the word calls smp_wake, which sends the wake IPI
 * to each CPU whose wait is now satisfied.  A full fence on both sides
 * (store, fence, load) means that either the sleeper sees the new value or
 * the waker sees the sleeper, and an IPI sent just before the sleeper halts
 * stays pending (PV: SCHEDOP_poll of the wake port returns at once;
 * natively sti; hlt takes it), so no wake-up is lost.  A PV sleeper also
 * looks again after 1 ms, then 2, 4, ... 64 ms (wait_sleep says why); the
 * test guest smp prints how many sleeps ended that way.
 */
#include "guest.h"

struct smp_cpu smp_cpus[SMP_MAX_CPUS];
bool smp_active;
static unsigned nr_online = 1, nr_possible;
static u8 ap_stacks[SMP_MAX_CPUS][SMP_STACK_SIZE] __aligned(4096);

#define ENTRY_MAGIC1    0x5e5e0001c0de0001ULL
#define ENTRY_MAGIC2    0x5e5e0002c0de0002ULL

static __noreturn void ap_idle_loop(struct smp_cpu *c);

void smp_relax(unsigned *spins)
{
    cpu_relax();
    if ((++*spins & 127) == 0 && platform_is_pv)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

void smp_halt(void)
{
    if (!platform_is_pv) {
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        return;
    }
    /* Unmasks events and blocks unless one is pending (atomically); the
     * upcall runs on the way back. */
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    events_disable();
}

unsigned smp_nr_cpus(void)
{
    return nr_online;
}

/* ---- IPIs ---- */
static void ipi_arrived(struct smp_cpu *c)
{
    c->ipis++;
    if (c->ipi_handler)
        c->ipi_handler(c->id);
}

static void pv_ipi_event(evtchn_port_t port)
{
    (void)port;
    ipi_arrived(smp_this());
}

static void pv_wake_event(evtchn_port_t port)
{
    (void)port;
    smp_this()->wakeups++;
}

/* native.c's interrupt path: the two IPI vectors (it sends the EOI). */
bool smp_native_irq(unsigned vector);
bool smp_native_irq(unsigned vector)
{
    struct smp_cpu *c = smp_this();
    if (vector == VEC_SMP_IPI)
        ipi_arrived(c);
    else
        c->wakeups++;
    return true;
}

#define LAPIC_BASE      0xfee00000UL
#define LAPIC_ID        0x020
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define ICR_FIXED       0x00000
#define ICR_INIT        0x00500
#define ICR_STARTUP     0x00600
#define ICR_ASSERT      0x04000
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);

/* QEMU's local APIC delivers at once (its delivery-status bit never stays
 * set), so the ICR is written without polling it first. */
static void lapic_send(u32 apic_id, u32 icr)
{
    u64 flags;
    __asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) :: "memory");
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr);
    if (flags & X86_EFLAGS_IF)
        __asm__ volatile("sti" ::: "memory");
}

static long send_to(unsigned cpu, bool wake)
{
    struct smp_cpu *c = &smp_cpus[cpu];
    if (platform_is_pv)
        return evtchn_send(wake ? c->wake_port : c->ipi_port);
    lapic_send(c->apic_id, ICR_FIXED | ICR_ASSERT | (wake ? VEC_SMP_WAKE : VEC_SMP_IPI));
    return 0;
}

long smp_send_ipi(unsigned cpu)
{
    if (cpu >= nr_online)
        return -XEN_EINVAL;
    return send_to(cpu, false);
}

void smp_set_ipi_handler(unsigned cpu, smp_ipi_fn_t fn)
{
    if (cpu < SMP_MAX_CPUS)
        smp_cpus[cpu].ipi_handler = fn;
}

/* ---- work for secondary CPUs ---- */
void smp_call(unsigned cpu, smp_fn_t fn, void *arg)
{
    if (cpu == 0 || cpu >= nr_online)
        guest_panic("smp_call: CPU %u is not a secondary CPU online", cpu);
    struct smp_cpu *c = &smp_cpus[cpu];
    smp_wait(cpu);
    c->fn = fn;
    c->arg = arg;
    __atomic_store_n(&c->seq_start, c->seq_start + 1, __ATOMIC_RELEASE);
    send_to(cpu, true);
}

void smp_start(smp_fn_t fn, void *arg)
{
    for (unsigned cpu = 1; cpu < nr_online; cpu++)
        smp_call(cpu, fn, arg);
}

void smp_wait(unsigned cpu)
{
    struct smp_cpu *c = &smp_cpus[cpu];
    smp_wait_eq(&c->seq_done, c->seq_start);
}

void smp_wait_all(void)
{
    for (unsigned cpu = 1; cpu < nr_online; cpu++)
        smp_wait(cpu);
}

void smp_run_all(smp_fn_t fn, void *arg)
{
    smp_start(fn, arg);
    fn(arg);
    smp_wait_all();
}

static __noreturn void ap_idle_loop(struct smp_cpu *c)
{
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    for (;;) {
        events_disable();
        while (__atomic_load_n(&c->seq_start, __ATOMIC_ACQUIRE) == c->seq_done)
            smp_halt();
        u32 seq = c->seq_start;
        c->fn(c->arg);
        events_disable();
        __atomic_store_n(&c->seq_done, seq, __ATOMIC_RELEASE);
        smp_wake(&c->seq_done);
    }
}

/* ---- waiting for another CPU ---- */

/* Spins (smp_relax) before a waiter sleeps: enough to catch a CPU that is
 * running and about to answer (a lock handed over within a few hundred
 * instructions), few enough that one which is not running gets the
 * processor back soon. */
#define WAIT_SPINS      256

/* Mask events (PV) or interrupts (native); true if they were enabled. */
static bool events_save_disable(void)
{
    bool was;
    if (platform_is_pv) {
        was = !READ_ONCE(this_vcpu()->evtchn_upcall_mask);
    } else {
        u64 flags;
        __asm__ volatile("pushfq; pop %0" : "=r"(flags) :: "memory");
        was = flags & X86_EFLAGS_IF;
    }
    events_disable();
    return was;
}

/* PV: how long a waiter sleeps at most before it looks again: 1 ms, twice
 * as long after each sleep that ended without the wake IPI, up to 64 ms. */
#define WAIT_POLL_MIN_NS    1000000
#define WAIT_POLL_MAX_NS    64000000

/* Sleep with events masked until the wake IPI (or, PV, *poll_ns).  PV polls
 * its wake port (SCHEDOP_poll, which wakes on the port's pending bit
 * whatever the mask) and clears the bit itself; the selector and
 * upcall_pending it leaves only make the next upcall look for nothing.  The
 * deadline is for Xen 4.17's credit2 under QEMU: it was seen to leave a
 * woken vCPU on its run queue while both CPUs idled (the 'r' debug key:
 * "idlers: 2", the vCPU on RUNQ) for tens of seconds, until some CPU
 * scheduled again; a waiter's deadline is such an occasion.  It grows
 * because short ones cost more than they save on a loaded host: with 2 ms
 * deadlines, four vCPUs on two QEMU threads among a dozen others woke so
 * often that the one holding the lock hardly ran (5,800 handovers in 90 s). */
static void wait_sleep(struct smp_cpu *c, u64 *poll_ns)
{
    if (!platform_is_pv) {
        smp_halt();
        return;
    }
    evtchn_port_t port = c->wake_port;
    struct sched_poll p = { .nr_ports = 1, .timeout = now_ns() + *poll_ns };
    set_xen_guest_handle(p.ports, &port);
    HYPERVISOR_sched_op(SCHEDOP_poll, &p);
    xen_ulong_t bit = 1UL << (port % 64);
    if (__atomic_fetch_and(&shared_info->evtchn_pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit) {
        c->wakeups++;
    } else {
        c->timeouts++;
        *poll_ns = MIN(*poll_ns * 2, (u64)WAIT_POLL_MAX_NS);
    }
}

void smp_wait_eq(const volatile u32 *word, u32 val)
{
    unsigned spins = 0;
    while (spins < WAIT_SPINS) {
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val)
            return;
        smp_relax(&spins);
    }
    struct smp_cpu *c = smp_this();
    bool enabled = events_save_disable();
    u64 poll_ns = WAIT_POLL_MIN_NS;
    for (;;) {
        c->wait_val = val;
        __atomic_store_n(&c->wait_word, word, __ATOMIC_RELEASE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val)
            break;
        c->sleeps++;
        wait_sleep(c, &poll_ns);
    }
    __atomic_store_n(&c->wait_word, NULL, __ATOMIC_RELAXED);
    if (enabled)
        events_enable();
}

void smp_wake(const volatile u32 *word)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    u32 now = __atomic_load_n(word, __ATOMIC_RELAXED);
    unsigned self = smp_cpu_id();
    for (unsigned cpu = 0; cpu < nr_online; cpu++) {
        struct smp_cpu *c = &smp_cpus[cpu];
        if (cpu != self && __atomic_load_n(&c->wait_word, __ATOMIC_ACQUIRE) == word &&
            READ_ONCE(c->wait_val) == now) {
            smp_this()->kicks++;
            send_to(cpu, true);
        }
    }
}

/* ---- barrier and ticket lock ---- */
static struct { u32 count, sense; } bar;

void smp_barrier(void)
{
    struct smp_cpu *c = smp_this();
    u32 sense = c->bar_sense ^ 1;
    c->bar_sense = sense;
    if (__atomic_add_fetch(&bar.count, 1, __ATOMIC_ACQ_REL) == nr_online) {
        __atomic_store_n(&bar.count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&bar.sense, sense, __ATOMIC_RELEASE);
        smp_wake(&bar.sense);
        return;
    }
    smp_wait_eq(&bar.sense, sense);
}

u32 ticket_lock(struct ticket_lock *l)
{
    u32 t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    smp_wait_eq(&l->owner, t);
    return t;
}

void ticket_unlock(struct ticket_lock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
    smp_wake(&l->owner);
}

/* ---- PV bring-up ---- */
extern char pv_trap_256[], pv_trap_257[], pv_failsafe[];
void pv_fill_trap_ctxt(struct trap_info *ctxt);
static struct vcpu_guest_context ap_ctx;

static __noreturn void pv_ap_entry(u64 cpu, u64 magic1, u64 magic2)
{
    struct smp_cpu *c = &smp_cpus[cpu < SMP_MAX_CPUS ? cpu : 0];
    c->entry_upcall_mask = shared_info->vcpu_info[c->id].evtchn_upcall_mask;
    c->entry_args_ok = cpu == c->id && magic1 == ENTRY_MAGIC1 && magic2 == ENTRY_MAGIC2;
    struct smp_cpu *gs;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gs));
    c->entry_gs_ok = gs == c;
    if (!c->entry_gs_ok)
        guest_panic("vCPU %lu: GS base %p, expected %p", cpu, (void *)gs, (void *)c);
    ap_idle_loop(c);
}

static long pv_bind_ipi(unsigned cpu, evtchn_port_t *port, evtchn_handler_t fn)
{
    struct evtchn_bind_ipi b = { .vcpu = cpu };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b);
    if (rc)
        return rc;
    *port = b.port;
    evtchn_set_cpu(b.port, cpu);
    evtchn_set_handler(b.port, fn);
    evtchn_unmask(b.port);
    return 0;
}

static long pv_start_cpu(unsigned cpu)
{
    struct smp_cpu *c = &smp_cpus[cpu];
    struct vcpu_guest_context *x = &ap_ctx;
    memset(x, 0, sizeof(*x));
    u16 ds, es, fs, gs;
    __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                     : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    x->flags = VGCF_in_kernel;
    x->user_regs.rip = (u64)pv_ap_entry;
    x->user_regs.rsp = (u64)c->stack_top - 8;   /* as just after a call */
    x->user_regs.rdi = cpu;
    x->user_regs.rsi = ENTRY_MAGIC1;
    x->user_regs.rdx = ENTRY_MAGIC2;
    x->user_regs.cs = FLAT_KERNEL_CS;
    x->user_regs.ss = FLAT_KERNEL_SS;
    x->user_regs.ds = ds;
    x->user_regs.es = es;
    x->user_regs.fs = fs;
    x->user_regs.gs = gs;
    x->user_regs.rflags = 0;                    /* IOPL 0; the hypervisor sets IF */
    pv_fill_trap_ctxt(x->trap_ctxt);
    x->kernel_ss = FLAT_KERNEL_SS;
    x->kernel_sp = (u64)c->stack_top;
    x->ctrlreg[3] = xen_pfn_to_cr3(pt_l4_mfn());
    x->event_callback_eip = (u64)pv_trap_256;
    x->failsafe_callback_eip = (u64)pv_failsafe;
    x->syscall_callback_eip = (u64)pv_trap_257;
    x->gs_base_kernel = (u64)c;
    long rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, cpu, x);
    if (rc)
        return rc;
    return HYPERVISOR_vcpu_op(VCPUOP_up, cpu, NULL);
}

/* ---- native bring-up ---- */
#define TRAMPOLINE_BASE 0x8000
extern char smp_trampoline_start[], smp_trampoline_end[];
extern u64 native_rsdp;
void native_cpu_init_ap(unsigned cpu, u64 stack_top);
/* Read by the trampoline and smp_native_ap_entry (smp_trampoline.S). */
u64 smp_ap_rsp;
u32 smp_ap_cpu, smp_ap_cr0, smp_ap_cr4, smp_ap_efer;
static u32 madt_apic_ids[SMP_MAX_CPUS];

struct __packed acpi_header {
    char sig[4];
    u32 length;
    u8 revision, checksum;
    char oem[6], oem_table[8];
    u32 oem_rev, creator, creator_rev;
};

static bool acpi_sum_ok(const void *p, u64 len)
{
    u8 sum = 0;
    for (u64 i = 0; i < len; i++)
        sum += ((const u8 *)p)[i];
    return sum == 0;
}

static bool rsdp_ok(u64 pa)
{
    return pa && pa + 20 <= GiB(4) && memcmp((const void *)pa, "RSD PTR ", 8) == 0 &&
           acpi_sum_ok((const void *)pa, 20);
}

static const struct acpi_header *acpi_table(u64 pa)
{
    if (!pa || pa + sizeof(struct acpi_header) > GiB(4))
        return NULL;
    const struct acpi_header *h = (const void *)pa;
    if (h->length < sizeof(*h) || h->length > MiB(1) || pa + h->length > GiB(4) ||
        !acpi_sum_ok(h, h->length))
        return NULL;
    return h;
}

static const struct acpi_header *find_madt(void)
{
    u64 rsdp = native_rsdp;
    if (!rsdp_ok(rsdp)) {
        rsdp = 0;
        for (u64 pa = 0xe0000; pa < 0x100000 && !rsdp; pa += 16)
            if (rsdp_ok(pa))
                rsdp = pa;
    }
    if (!rsdp)
        return NULL;
    const u8 *r = (const u8 *)rsdp;
    u32 rsdt;
    u64 xsdt = 0;
    memcpy(&rsdt, r + 16, 4);
    if (r[15] >= 2)
        memcpy(&xsdt, r + 24, 8);
    const struct acpi_header *root = acpi_table(xsdt ? xsdt : rsdt);
    if (!root)
        return NULL;
    unsigned esize = xsdt ? 8 : 4;
    for (u32 off = sizeof(*root); off + esize <= root->length; off += esize) {
        u64 pa = 0;
        memcpy(&pa, (const u8 *)root + off, esize);
        const struct acpi_header *t = acpi_table(pa);
        if (t && memcmp(t->sig, "APIC", 4) == 0)
            return t;
    }
    return NULL;
}

/* The enabled processors' APIC IDs, in MADT order; the boot CPU's first. */
static unsigned native_probe(void)
{
    u32 self = lapic_read(LAPIC_ID) >> 24;
    unsigned n = 1;
    madt_apic_ids[0] = self;
    const struct acpi_header *m = find_madt();
    if (!m)
        return 1;
    const u8 *p = (const u8 *)m;
    for (u32 off = sizeof(*m) + 8; off + 2 <= m->length;) {
        u8 type = p[off], len = p[off + 1];
        if (len < 2 || off + len > m->length)
            break;
        if (type == 0 && len >= 8) {            /* processor local APIC */
            u32 flags;
            memcpy(&flags, p + off + 4, 4);
            u32 id = p[off + 3];
            if ((flags & 1) && id != self && n < SMP_MAX_CPUS)
                madt_apic_ids[n++] = id;
        }
        off += len;
    }
    return n;
}

static void udelay(u64 us)
{
    u64 end = rdtsc() + ns_to_tsc(us * 1000);
    while (rdtsc() < end)
        cpu_relax();
}

void smp_native_ap_main(u32 cpu);
void smp_native_ap_main(u32 cpu)
{
    struct smp_cpu *c = &smp_cpus[cpu];
    native_cpu_init_ap(cpu, (u64)c->stack_top);
    wrmsr(MSR_GS_BASE, (u64)c);
    c->apic_id = lapic_read(LAPIC_ID) >> 24;
    struct smp_cpu *gs;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gs));
    c->entry_gs_ok = gs == c;
    c->entry_args_ok = true;
    ap_idle_loop(c);
}

static bool wait_online(struct smp_cpu *c, u64 timeout_ns)
{
    u64 end = now_ns() + timeout_ns;
    unsigned spins = 0;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        if (now_ns() > end)
            return false;
        smp_relax(&spins);
    }
    return true;
}

static bool native_start_cpu(unsigned cpu)
{
    struct smp_cpu *c = &smp_cpus[cpu];
    smp_ap_cpu = cpu;
    smp_ap_rsp = (u64)c->stack_top;
    wmb();
    lapic_send(c->apic_id, ICR_INIT | ICR_ASSERT);
    udelay(10000);
    for (int i = 0; i < 2; i++) {
        lapic_send(c->apic_id, ICR_STARTUP | (TRAMPOLINE_BASE >> 12));
        udelay(200);
        if (wait_online(c, i ? 1000000000ULL : 10000000ULL))
            return true;
    }
    return false;
}

/* ---- both ---- */
unsigned smp_probe(void)
{
    if (nr_possible)
        return nr_possible;
    if (platform_is_pv) {
        unsigned n = 0;
        while (n < SMP_MAX_CPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL) != -XEN_ENOENT)
            n++;
        nr_possible = n ? n : 1;
    } else {
        nr_possible = native_probe();
    }
    return nr_possible;
}

unsigned smp_init(void)
{
    if (smp_active)
        return nr_online;
    unsigned n = smp_probe();
    for (unsigned i = 0; i < n; i++) {
        struct smp_cpu *c = &smp_cpus[i];
        c->self = c;
        c->id = i;
        c->apic_id = platform_is_pv ? 0 : madt_apic_ids[i];
        c->stack_top = ap_stacks[i] + SMP_STACK_SIZE;
    }
    struct smp_cpu *boot = &smp_cpus[0];
    if (platform_is_pv) {
        for (unsigned i = 0; i < n; i++) {
            long rc = pv_bind_ipi(i, &smp_cpus[i].wake_port, pv_wake_event);
            if (!rc)
                rc = pv_bind_ipi(i, &smp_cpus[i].ipi_port, pv_ipi_event);
            if (rc)
                guest_panic("smp_init: EVTCHNOP_bind_ipi for vCPU %u: %ld", i, rc);
        }
        long rc = HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (u64)boot);
        if (rc)
            guest_panic("smp_init: set_segment_base(GS_KERNEL): %ld", rc);
    } else {
        wrmsr(MSR_GS_BASE, (u64)boot);
        memcpy((void *)TRAMPOLINE_BASE, smp_trampoline_start,
               (size_t)(smp_trampoline_end - smp_trampoline_start));
        u64 cr0, cr4;
        __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
        smp_ap_cr0 = (u32)cr0;
        smp_ap_cr4 = (u32)cr4;
        smp_ap_efer = (u32)rdmsr(MSR_EFER);
    }
    boot->online = true;
    boot->entry_gs_ok = true;
    boot->entry_args_ok = true;
    __atomic_store_n(&smp_active, true, __ATOMIC_RELEASE);

    /* CPUs are numbered densely: one that does not start ends the list. */
    for (unsigned i = 1; i < n; i++) {
        struct smp_cpu *c = &smp_cpus[i];
        bool ok;
        if (platform_is_pv) {
            long rc = pv_start_cpu(i);
            if (rc)
                printf("smp: vCPU %u: VCPUOP_initialise/up: %ld\n", i, rc);
            ok = rc == 0 && wait_online(c, 10000000000ULL);
        } else {
            ok = native_start_cpu(i);
        }
        if (!ok) {
            printf("smp: CPU %u (of %u) did not come online\n", i, n);
            break;
        }
        nr_online = i + 1;
    }
    return nr_online;
}

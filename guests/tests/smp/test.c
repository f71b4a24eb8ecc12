/*
 * smp - a guest with 4 CPUs (4 vCPUs on 2 physical CPUs under Xen and Tern,
 * a 4-CPU plain VM natively): bring-up, concurrency, IPIs, cross-vCPU TLB
 * flushes and the vCPU operations, as Xen 4.17 answers them.
 *
 * Everywhere: every CPU comes up (smp_init) with its own per-CPU area; atomic
 * counters incremented by every CPU a known number of times have exact totals
 * (lock xadd, a cmpxchg loop, per-CPU weights); a ticket lock keeps a
 * non-atomic counter exact and its critical section exclusive, serves its
 * tickets in order (the counter read under the lock equals the ticket), and
 * its waiters sleep and are woken by the unlock (the first holder keeps the
 * lock until every other CPU sleeps waiting for it); in n-1 rounds
 * every CPU sends one IPI to another (a permutation per round), and each
 * ordered pair's IPI is received exactly once, by the CPU it was sent to.
 *
 * PV only (Xen's common/domain.c, arch_set_info_guest, sched/core.c):
 *   before bring-up VCPUOP_is_up is 1 for vCPU 0, 0 for the others, -ENOENT
 *   past the last; VCPUOP_up of a vCPU never initialised -EINVAL, VCPUOP_down
 *   of one already down 0; a new vCPU starts with its registers from the
 *   context and events masked (the dom0 builder masks every vcpu_info);
 *   VCPUOP_initialise of a started vCPU -EEXIST, VCPUOP_up of a running one 0;
 *   an idle vCPU (SCHEDOP_block) shows RUNSTATE_blocked; VCPUOP_down of
 *   another vCPU: is_up 0, still RUNSTATE_blocked, an IPI sent to it is left
 *   pending on its own vcpu_info (upcall_pending, selector) and not delivered,
 *   it turns RUNSTATE_offline; VCPUOP_up delivers the event; a vCPU that
 *   downs itself stops inside the hypercall (RUNSTATE_offline) and returns 0
 *   from it once another vCPU brings it up; IPI ports report their vCPU in
 *   EVTCHNOP_status; each vCPU has its own valid time record; a secondary
 *   vCPU's I/O privilege is the boot vCPU's (IOPL from the context's RFLAGS).
 *   TLB: vCPU 1 keeps reading a VA of a sandbox while vCPU 0 changes its L1
 *   entry by mmu_update (no flush), then flushes vCPU 1 with
 *   MMUEXT_TLB_FLUSH_MULTI, MMUEXT_INVLPG_MULTI, MMUEXT_TLB_FLUSH_ALL,
 *   MMUEXT_INVLPG_ALL, or changes it by update_va_mapping with UVMF_MULTI
 *   (a vCPU mask) or UVMF_ALL: vCPU 1 then reads the new frame.  Between
 *   change and flush it reads once more: under QEMU's TCG its TLB keeps the
 *   old translation, which shows that each flush did something (printed,
 *   not checked: the architecture allows either).
 */
#include "guest.h"

const char test_title[] = "smp: 4 CPUs: bring-up, atomics, ticket lock, IPIs, TLB flushes, vCPU up/down";

#define WANT_CPUS       4
#define ADD_ITERS       100000
#define CAS_ITERS       40000
#define WEIGHT_ITERS    20000
#define LOCK_ITERS      2500        /* per CPU: every handover may need a vCPU woken */
#define MS              1000000ULL

static unsigned ncpu;

static long vcpu_op(int cmd, unsigned vcpu, void *arg) { return HYPERVISOR_vcpu_op(cmd, vcpu, arg); }
static long is_up(unsigned vcpu) { return vcpu_op(VCPUOP_is_up, vcpu, NULL); }

static int runstate(unsigned vcpu)
{
    struct vcpu_runstate_info r;
    long rc = vcpu_op(VCPUOP_get_runstate_info, vcpu, &r);
    return rc ? (int)rc : r.state;
}

/* Wait (yielding) until cond() or timeout ns; true if cond() held. */
static bool wait_for(bool (*cond)(void), u64 timeout)
{
    u64 end = now_ns() + timeout;
    unsigned spins = 0;
    while (!cond()) {
        if (now_ns() > end)
            return cond();
        smp_relax(&spins);
    }
    return true;
}

static void sleep_ns(u64 ns)
{
    u64 end = now_ns() + ns;
    unsigned spins = 0;
    while (now_ns() < end)
        smp_relax(&spins);
}

/* ---- before bring-up (PV) ---- */
static void before_bringup(void)
{
    CHECK_EQ("vcpu.probe_count", smp_probe(), WANT_CPUS);
    unsigned bad = 0;
    for (unsigned i = 0; i < WANT_CPUS; i++)
        bad += is_up(i) != (i == 0);
    check(bad == 0, "vcpu.is_up_before_bringup", "is_up: %ld %ld %ld %ld", is_up(0), is_up(1), is_up(2),
          is_up(3));
    CHECK_EQ("vcpu.is_up_past_last", is_up(WANT_CPUS), -XEN_ENOENT);
    CHECK_EQ("vcpu.is_up_huge", is_up(0x7fffffff), -XEN_ENOENT);
    CHECK_EQ("vcpu.up_uninitialised", vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL);
    CHECK_EQ("vcpu.down_already_down", vcpu_op(VCPUOP_down, 2, NULL), 0);
    CHECK_EQ("vcpu.is_up_still_down", is_up(2), 0);
}

/* ---- bring-up ---- */
static u32 id_seen[SMP_MAX_CPUS];
static u32 time_ok[SMP_MAX_CPUS];

static void record_id(void *arg)
{
    (void)arg;
    unsigned id = smp_cpu_id();
    if (id < SMP_MAX_CPUS)
        __atomic_fetch_add(&id_seen[id], 1, __ATOMIC_RELAXED);
    if (platform_is_pv) {
        const struct vcpu_time_info *t = &this_vcpu()->time;
        time_ok[id] = t->tsc_to_system_mul != 0 && !(t->version & 1) && t->system_time != 0;
    }
}

static void bringup(void)
{
    ncpu = smp_init();
    CHECK_EQ("smp.cpus_online", ncpu, WANT_CPUS);
    unsigned bad = 0;
    for (unsigned i = 0; i < ncpu; i++)
        bad += !smp_cpus[i].online || !smp_cpus[i].entry_gs_ok || !smp_cpus[i].entry_args_ok;
    check(bad == 0, "smp.entry_state", "%u CPUs without their GS base or entry registers", bad);
    smp_run_all(record_id, NULL);
    bad = 0;
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
        bad += id_seen[i] != (i < ncpu);
    check(bad == 0, "smp.cpu_ids", "each id once: %u %u %u %u", id_seen[0], id_seen[1], id_seen[2],
          id_seen[3]);
    if (!platform_is_pv)
        return;

    bad = 0;
    for (unsigned i = 1; i < ncpu; i++)
        bad += smp_cpus[i].entry_upcall_mask != 1;
    check(bad == 0, "vcpu.starts_events_masked", "upcall_mask at entry: %u %u %u",
          smp_cpus[1].entry_upcall_mask, smp_cpus[2].entry_upcall_mask, smp_cpus[3].entry_upcall_mask);
    bad = 0;
    for (unsigned i = 0; i < ncpu; i++)
        bad += is_up(i) != 1;
    check(bad == 0, "vcpu.is_up_after_bringup", "is_up: %ld %ld %ld %ld", is_up(0), is_up(1), is_up(2),
          is_up(3));
    static struct vcpu_guest_context ctx;
    CHECK_EQ("vcpu.initialise_started", vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST);
    CHECK_EQ("vcpu.up_running", vcpu_op(VCPUOP_up, 1, NULL), 0);
    bad = 0;
    for (unsigned i = 0; i < ncpu; i++)
        bad += !time_ok[i];
    check(bad == 0, "vcpu.own_time_record", "valid on each vCPU: %u %u %u %u", time_ok[0], time_ok[1],
          time_ok[2], time_ok[3]);
}

/* ---- atomics and the ticket lock ---- */
static u64 add_total, cas_total, cas_retries, weight_total;
static struct ticket_lock lock;
static volatile u64 locked_counter;
static volatile u32 inside;
static u32 overlaps;

static void atomics(void *arg)
{
    (void)arg;
    u64 w = smp_cpu_id() + 1;
    smp_barrier();
    for (unsigned i = 0; i < ADD_ITERS; i++)
        __atomic_fetch_add(&add_total, 1, __ATOMIC_RELAXED);
    u64 retries = 0;
    for (unsigned i = 0; i < CAS_ITERS; i++) {
        u64 old = __atomic_load_n(&cas_total, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_total, &old, old + 1, false, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
            retries++;
    }
    __atomic_fetch_add(&cas_retries, retries, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < WEIGHT_ITERS; i++)
        __atomic_fetch_add(&weight_total, w, __ATOMIC_RELAXED);
    smp_barrier();
}

static u32 out_of_order, asleep_at_once;

/* Under the first ticket: until every other CPU sleeps waiting for the lock. */
static void hold_until_all_sleep(void)
{
    u64 end = now_ns() + 5000 * MS;
    unsigned spins = 0, me = smp_cpu_id(), n;
    do {
        n = 0;
        for (unsigned i = 0; i < ncpu; i++)
            n += i != me && smp_cpus[i].wait_word == &lock.owner;
        smp_relax(&spins);
    } while (n < ncpu - 1 && now_ns() < end);
    asleep_at_once = n;
}

static void locked(void *arg)
{
    (void)arg;
    u32 me = smp_cpu_id() + 1;
    smp_barrier();
    for (unsigned i = 0; i < LOCK_ITERS; i++) {
        u32 t = ticket_lock(&lock);
        if (__atomic_exchange_n(&inside, me, __ATOMIC_RELAXED) != 0)
            overlaps++;
        if (t == 0)
            hold_until_all_sleep();
        u64 v = locked_counter;             /* a plain read-modify-write */
        if (v != t)
            out_of_order++;
        for (int k = 0; k < 4; k++)
            cpu_relax();
        locked_counter = v + 1;
        __atomic_store_n(&inside, 0, __ATOMIC_RELAXED);
        ticket_unlock(&lock);
    }
    smp_barrier();
}

static void concurrency(void)
{
    smp_run_all(atomics, NULL);
    CHECK_EQ("atomic.fetch_add_total", add_total, (u64)ncpu * ADD_ITERS);
    check(cas_total == (u64)ncpu * CAS_ITERS, "atomic.cmpxchg_total", "%lu, expected %lu (%lu retries)",
          cas_total, (u64)ncpu * CAS_ITERS, cas_retries);
    CHECK_EQ("atomic.weighted_total", weight_total, (u64)WEIGHT_ITERS * ncpu * (ncpu + 1) / 2);
    smp_run_all(locked, NULL);
    CHECK_EQ("lock.counter_total", locked_counter, (u64)ncpu * LOCK_ITERS);
    CHECK_EQ("lock.exclusive", overlaps, 0);
    check(lock.next == lock.owner && lock.next == ncpu * LOCK_ITERS, "lock.tickets",
          "next %u owner %u", lock.next, lock.owner);
    CHECK_EQ("lock.fifo", out_of_order, 0);
    CHECK_EQ("lock.waiters_sleep", asleep_at_once, ncpu - 1);
    u64 sleeps = 0, kicks = 0, timeouts = 0;
    for (unsigned i = 0; i < ncpu; i++) {
        sleeps += smp_cpus[i].sleeps;
        kicks += smp_cpus[i].kicks;
        timeouts += smp_cpus[i].timeouts;
    }
    printf("lock: %u acquisitions; all waits so far: %lu sleeps, %lu wake IPIs, %lu sleeps timed out\n",
           ncpu * LOCK_ITERS, sleeps, kicks, timeouts);
}

/* ---- IPIs between every pair ---- */
static u32 mailbox[SMP_MAX_CPUS];           /* bit i: CPU i sent this CPU an IPI */
static u32 received[SMP_MAX_CPUS][SMP_MAX_CPUS];    /* [to][from] */
static u32 handler_calls[SMP_MAX_CPUS];
static u32 wrong_sender[SMP_MAX_CPUS];
static long send_errors;
static unsigned ipi_round;

static void ipi_handler(unsigned cpu)
{
    u32 m = __atomic_exchange_n(&mailbox[cpu], 0, __ATOMIC_ACQ_REL);
    handler_calls[cpu]++;
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
        if (m & (1u << i))
            received[cpu][i]++;
    unsigned expect = (cpu + ncpu - ipi_round) % ncpu;
    if (m != (1u << expect))
        wrong_sender[cpu]++;
}

static void ipi_rounds(void *arg)
{
    (void)arg;
    unsigned me = smp_cpu_id();
    for (unsigned r = 1; r < ncpu; r++) {
        smp_barrier();
        if (me == 0)
            ipi_round = r;
        smp_barrier();
        unsigned to = (me + r) % ncpu;
        __atomic_fetch_or(&mailbox[to], 1u << me, __ATOMIC_ACQ_REL);
        long rc = smp_send_ipi(to);
        if (rc)
            __atomic_store_n(&send_errors, rc, __ATOMIC_RELAXED);
        /* Wait for this round's IPI with events masked between checks. */
        events_disable();
        u64 end = now_ns() + 5000 * MS;
        while (handler_calls[me] < r && now_ns() < end)
            smp_halt();
        smp_barrier();
    }
}

static void ipis(void)
{
    for (unsigned i = 0; i < ncpu; i++)
        smp_set_ipi_handler(i, ipi_handler);
    u64 before[SMP_MAX_CPUS];
    for (unsigned i = 0; i < ncpu; i++)
        before[i] = smp_cpus[i].ipis;
    smp_run_all(ipi_rounds, NULL);
    for (unsigned i = 0; i < ncpu; i++)
        smp_set_ipi_handler(i, NULL);
    CHECK_EQ("ipi.send_rc", send_errors, 0);
    unsigned bad = 0;
    for (unsigned to = 0; to < ncpu; to++)
        for (unsigned from = 0; from < ncpu; from++)
            bad += received[to][from] != (to != from);
    check(bad == 0, "ipi.each_pair_once", "%u of %u cells wrong; to 0 from 1..3: %u %u %u", bad,
          ncpu * ncpu, received[0][1], received[0][2], received[0][3]);
    bad = 0;
    unsigned wrong = 0;
    for (unsigned i = 0; i < ncpu; i++) {
        bad += handler_calls[i] != ncpu - 1 || smp_cpus[i].ipis - before[i] != ncpu - 1;
        wrong += wrong_sender[i];
    }
    check(bad == 0, "ipi.one_interrupt_each", "handler calls %u %u %u %u, expected %u each", handler_calls[0],
          handler_calls[1], handler_calls[2], handler_calls[3], ncpu - 1);
    CHECK_EQ("ipi.sender_of_the_round", wrong, 0);
    if (!platform_is_pv)
        return;
    bad = 0;
    for (unsigned i = 0; i < ncpu; i++) {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = smp_cpus[i].ipi_port };
        long rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
        bad += rc != 0 || st.status != EVTCHNSTAT_ipi || st.vcpu != i;
    }
    check(bad == 0, "evtchn.ipi_status_vcpu", "%u ports with the wrong status or vCPU", bad);
}

/* ---- I/O privilege of a secondary vCPU (PV) ---- */
static int io_vector[SMP_MAX_CPUS];

static void probe_io(void *arg)
{
    (void)arg;
    struct fault f = PROBE("inb $0x80, %%al", : : : "rax");
    io_vector[smp_cpu_id()] = f.vector;
}

static void iopl(void)
{
    probe_io(NULL);
    smp_call(1, probe_io, NULL);
    smp_wait(1);
    check(io_vector[1] == io_vector[0], "iopl.secondary_as_boot", "inb from the kernel: %s on vCPU 0, %s on vCPU 1",
          vector_name(io_vector[0]), vector_name(io_vector[1]));
}

/* ---- cross-vCPU TLB flushes (PV) ---- */
#define TLB_SLOT        5
static struct pt_sandbox sb;
static volatile u64 tlb_req, tlb_ack, tlb_stop;
static volatile u64 tlb_seen;

static void tlb_reader(void *arg)
{
    volatile u64 *va = arg;
    while (!tlb_stop) {
        u64 v = *va;                        /* keeps the translation in the TLB */
        u64 r = tlb_req;
        if (r != tlb_ack) {
            tlb_seen = *va;
            __atomic_store_n(&tlb_ack, r, __ATOMIC_RELEASE);
        }
        (void)v;
        cpu_relax();
    }
}

/* What vCPU 1 reads through the sandbox VA now. */
static u64 remote_read(void)
{
    u64 r = tlb_req + 1;
    __atomic_store_n(&tlb_req, r, __ATOMIC_RELEASE);
    u64 end = now_ns() + 5000 * MS;
    unsigned spins = 0;
    while (__atomic_load_n(&tlb_ack, __ATOMIC_ACQUIRE) != r) {
        if (now_ns() > end)
            return ~0ULL;
        smp_relax(&spins);
    }
    return tlb_seen;
}

static long mmuext(unsigned cmd, u64 va, const void *mask)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.linear_addr = va;
    set_xen_guest_handle(op.arg2.vcpumask, mask);
    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static void tlb(void)
{
    static u64 mask1 __aligned(8) = 1UL << 1;
    u64 *a = alloc_page(), *b = alloc_page();
    if (!a || !b || pt_sandbox_create(&sb, TLB_SLOT)) {
        test_error("tlb: no pages or sandbox");
        return;
    }
    a[0] = 0xaaaa0000aaaa0000ULL;
    b[0] = 0xbbbb0000bbbb0000ULL;
    u64 pa = (virt_to_mfn(a) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D;
    u64 pb = (virt_to_mfn(b) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D;
    volatile u64 *va = (volatile u64 *)sb.base;
    CHECK_EQ("tlb.map_first", pt_sandbox_map(&sb, 0, pa), 0);
    tlb_stop = 0;
    smp_call(1, tlb_reader, (void *)va);
    u64 first = remote_read();
    check(first == a[0], "tlb.remote_reads_first", "vCPU 1 read %#lx", first);

    static const struct { const char *name; int how; } methods[] = {
        { "tlb.flush_multi", 0 }, { "tlb.invlpg_multi", 1 }, { "tlb.uvm_multi", 2 },
        { "tlb.uvm_all", 3 }, { "tlb.flush_all", 4 }, { "tlb.invlpg_all", 5 },
    };
    unsigned stale = 0;
    u64 cur = a[0];
    for (unsigned m = 0; m < ARRAY_SIZE(methods); m++) {
        bool to_b = cur == a[0];
        u64 pte = to_b ? pb : pa, want = to_b ? b[0] : a[0];
        long rc;
        int how = methods[m].how;
        if (how == 2 || how == 3) {
            /* Stale first: change without a flush, read, then change again with one. */
            rc = pt_sandbox_map(&sb, 0, pte);
            stale += remote_read() == cur;
            u64 flags = how == 2 ? (UVMF_INVLPG | UVMF_MULTI | (u64)&mask1) : (UVMF_INVLPG | UVMF_ALL);
            if (!rc)
                rc = HYPERVISOR_update_va_mapping((u64)va, pte, flags);
        } else {
            rc = pt_sandbox_map(&sb, 0, pte);
            stale += remote_read() == cur;
            static const unsigned cmds[] = { MMUEXT_TLB_FLUSH_MULTI, MMUEXT_INVLPG_MULTI, 0, 0,
                                             MMUEXT_TLB_FLUSH_ALL, MMUEXT_INVLPG_ALL };
            if (!rc)
                rc = mmuext(cmds[how], (u64)va, how < 2 ? &mask1 : NULL);
        }
        u64 seen = remote_read();
        check(rc == 0 && seen == want, methods[m].name, "rc %ld, vCPU 1 read %#lx, expected %#lx", rc, seen, want);
        cur = want;
    }
    printf("tlb: vCPU 1 still read the old frame between change and flush %u of %zu times\n", stale,
           ARRAY_SIZE(methods));
    tlb_stop = 1;
    smp_wait(1);
    pt_sandbox_map(&sb, 0, 0);
    mmuext(MMUEXT_TLB_FLUSH_ALL, 0, NULL);
    CHECK_EQ("tlb.sandbox_destroy", pt_sandbox_destroy(&sb), 0);
    free_page(a);
    free_page(b);
}

/* ---- VCPUOP_down / VCPUOP_up (PV) ---- */
static bool cpu2_blocked(void) { return runstate(2) == RUNSTATE_blocked; }
static u64 ipis_before;
static bool cpu2_got_ipi(void) { return smp_cpus[2].ipis > ipis_before; }
static volatile u32 self_down_state;         /* 1: about to go down, 2: returned */
static volatile long self_down_rc = 1;
static bool cpu3_about_down(void) { return self_down_state >= 1; }
static bool cpu3_is_down(void) { return is_up(3) == 0; }
static bool cpu3_returned(void) { return self_down_state == 2; }

static void down_self(void *arg)
{
    (void)arg;
    self_down_state = 1;
    self_down_rc = vcpu_op(VCPUOP_down, smp_cpu_id(), NULL);
    self_down_state = 2;
}

static void down_up(void)
{
    /* Another vCPU, idle in SCHEDOP_block. */
    check(wait_for(cpu2_blocked, 2000 * MS), "vcpu.idle_is_blocked", "runstate of vCPU 2: %d", runstate(2));
    CHECK_EQ("vcpu.down_other", vcpu_op(VCPUOP_down, 2, NULL), 0);
    CHECK_EQ("vcpu.down_other_is_up", is_up(2), 0);
    CHECK_EQ("vcpu.down_other_twice", vcpu_op(VCPUOP_down, 2, NULL), 0);
    CHECK_EQ("vcpu.down_blocked_runstate", runstate(2), RUNSTATE_blocked);

    vcpu_info_t *v2 = &shared_info->vcpu_info[2];
    evtchn_port_t p = smp_cpus[2].ipi_port;
    ipis_before = smp_cpus[2].ipis;
    CHECK_EQ("vcpu.ipi_to_down_vcpu", smp_send_ipi(2), 0);
    check(v2->evtchn_upcall_pending == 1 && ((v2->evtchn_pending_sel >> (p / 64)) & 1),
          "evtchn.ipi_marks_its_vcpu", "vCPU 2: upcall_pending %u sel %#lx", v2->evtchn_upcall_pending,
          v2->evtchn_pending_sel);
    sleep_ns(20 * MS);
    CHECK_EQ("vcpu.down_not_delivered", smp_cpus[2].ipis - ipis_before, 0);
    CHECK_EQ("vcpu.down_event_runstate", runstate(2), RUNSTATE_offline);
    CHECK_EQ("vcpu.up_after_down", vcpu_op(VCPUOP_up, 2, NULL), 0);
    bool got = wait_for(cpu2_got_ipi, 2000 * MS);
    check(got, "vcpu.up_delivers_pending", "%lu IPIs delivered", smp_cpus[2].ipis - ipis_before);
    CHECK_EQ("vcpu.up_is_up", is_up(2), 1);

    /* A vCPU that downs itself stops inside the hypercall. */
    smp_call(3, down_self, NULL);
    bool down = wait_for(cpu3_about_down, 2000 * MS) && wait_for(cpu3_is_down, 2000 * MS);
    sleep_ns(20 * MS);
    check(down && self_down_state == 1, "vcpu.down_self_stops", "is_up %ld, state %u", is_up(3),
          self_down_state);
    CHECK_EQ("vcpu.down_self_runstate", runstate(3), RUNSTATE_offline);
    CHECK_EQ("vcpu.up_self_downed", vcpu_op(VCPUOP_up, 3, NULL), 0);
    bool returned = wait_for(cpu3_returned, 2000 * MS);
    check(returned && self_down_rc == 0, "vcpu.down_self_returns", "state %u, VCPUOP_down returned %ld",
          self_down_state, self_down_rc);
    smp_wait(3);
    CHECK_EQ("vcpu.up_self_is_up", is_up(3), 1);
}

void test_main(void)
{
    if (platform_is_pv)
        before_bringup();
    bringup();
    if (ncpu != WANT_CPUS) {
        test_fail("%u CPUs online, the test needs %u", ncpu, WANT_CPUS);
        return;
    }
    concurrency();
    ipis();
    if (!platform_is_pv)
        return;
    iopl();
    tlb();
    down_up();
}

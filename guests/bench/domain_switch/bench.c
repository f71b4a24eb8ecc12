/*
 * domain_switch - one domain blocks (SCHEDOP_block) and the scheduler runs
 * another domain's vCPU on the same physical CPU: from the block to the
 * other's first instruction (../shared/BENCHMARKS.md).  Tern only, two
 * domains on one CPU: configs/bench/domain-switch.cfg, run by
 * tools/ternlib/xdomain.py for `make bench`; alone it skips.
 *
 * Command line: role=ping|pong, peer=D, port=P (xdom_pair_connect), cpus=MASK
 * (the CPUs it is pinned to, checked), wall and iters=N (bench.c).
 *
 * The two domains pass a token back and forth over an interdomain channel:
 * the holder sends it, reads the TSC (t_block) and blocks; the other, blocked
 * until then, is resumed in its event callback (xdom_fast_events), which
 * reads the TSC at its third instruction (t_first).  Neither domain sees the
 * other's TSC readings, but both see the instant the scheduler switched
 * between them, in their runstates: the time the blocking vCPU left
 * RUNSTATE_running is the time the other entered it (one `now` in
 * schedule()).  So each side measures, after every resume,
 *   out = t_switch - t_block   (its block up to the scheduler's decision;
 *                               t_switch = the previous running entry + the
 *                               running time since, from
 *                               VCPUOP_get_runstate_info)
 *   in  = t_first - t_resumed  (the decision up to its first instruction;
 *                               t_resumed = its running entry time)
 * and the switch from A to B is out(A) + in(B).  The two sides run the same
 * code, so each side's sample of a round is its out + in (the switch away
 * from it and the one back), reported as usual (bench.c: median, p99), and
 * the host checks that the two sides agree.  A round in which the send itself
 * switched (the woken domain preempted the sender: its token came back
 * during the send) has no block-to-run switch and gives no sample.
 * Under -icount shift=0 system time is the instruction count, so the figures
 * are instructions; in wall mode, ns.  The warm-up (200 rounds) checks one
 * token per round.
 */
#include "guest.h"
#include "xdomain.h"

const char test_title[] = "bench domain_switch: block, and another domain runs";

#define GUARD_NS (60000 * XDOM_MS)
#define WARMUP 200

struct side {
    struct xdom_pair *p;
    struct bench *b;                    /* NULL in the warm-up */
    struct vcpu_runstate_info r;        /* at the last resume */
    u64 preempted, not_blocked;         /* rounds without a sample */
    u64 out_sum, in_sum;                /* ns, for the split */
};

static void snapshot(struct vcpu_runstate_info *r)
{
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, r);
}

/* Pass the token on and wait for it back; false if the guard ended the wait.
 * With s->b, this round's out + in is a sample (in TSC ticks, as bench.c
 * keeps them). */
static bool round_trip(struct side *s)
{
    struct xdom_pair *p = s->p;
    evtchn_send(p->ch);
    bool preempted = xdom_port_pending(p->ch);  /* the token came back during the send */
    u64 t_block = rdtsc();
    u64 got = xdom_fast_wait(p->ch_bit | p->guard_bit);
    u64 t_first = xdom_upcall_tsc;
    struct vcpu_runstate_info r;
    snapshot(&r);
    if (got != p->ch_bit)
        return false;
    if (s->b) {
        u64 d_run = r.time[RUNSTATE_running] - s->r.time[RUNSTATE_running];
        u64 d_blocked = r.time[RUNSTATE_blocked] - s->r.time[RUNSTATE_blocked];
        u64 t_switch = s->r.state_entry_time + d_run;
        /* System times of the two readings: the pvclock was updated when we
         * were resumed, after t_block, so go back from t_first. */
        u64 sys_first = tsc_to_system_ns(t_first);
        u64 sys_block = sys_first - tsc_to_ns(t_first - t_block);
        if (preempted) {
            s->preempted++;
        } else if (!d_blocked || t_switch < sys_block || sys_first < r.state_entry_time) {
            s->not_blocked++;
        } else {
            u64 out = t_switch - sys_block, in = sys_first - r.state_entry_time;
            s->out_sum += out;
            s->in_sum += in;
            bench_add(s->b, ns_to_tsc(out + in));      /* less the empty pair */
        }
    }
    s->r = r;
    return true;
}

static void run(struct xdom_pair *p)
{
    struct side s = { .p = p };
    if (!p->ping) {                                     /* pong waits for the first token */
        if (!check(xdom_fast_wait(p->ch_bit | p->guard_bit) == p->ch_bit, "setup.first_token",
                   "the guard expired"))
            return;
    }
    snapshot(&s.r);
    unsigned bad = 0;
    for (int i = 0; i < WARMUP; i++)
        bad += !round_trip(&s);
    if (!check(bad == 0 && !(xdom_seen & p->ch_bit), "warmup.one_token_per_round",
               "%u of %d rounds without exactly one token back", bad, WARMUP))
        return;
    u64 iters = bench_iters(2000, 20000);
    struct bench b;
    bench_begin(&b, "domain_switch");
    s.b = &b;
    struct tern_counters c0, c1;
    xdom_counters(&c0);
    u64 lost = 0;
    /* Pong's last token ends ping's last round; then pong blocks until ping
     * says goodbye on the control port, so that ping's last switch back is
     * like the others (not the end of pong, whose teardown would be in it). */
    for (u64 i = 0; i < iters; i++) {
        if (!p->ping && i == iters - 1) {
            evtchn_send(p->ch);
            break;
        }
        if (!round_trip(&s)) {
            lost++;
            break;
        }
    }
    xdom_counters(&c1);
    if (p->ping)
        evtchn_send(p->ctl);
    else if (!lost && xdom_fast_wait(p->ctl_bit | p->guard_bit) != p->ctl_bit)
        lost++;
    u64 allowed = cmdline_u64("cpus", 0);
    check(lost == 0, "bench.every_token_back", "%lu rounds lost", lost);
    check(allowed && c1.pcpus && !(c1.pcpus & ~allowed), "setup.pinned",
          "ran on physical CPUs %#lx, pinned to %#lx", c1.pcpus, allowed);
    check(b.total * 2 >= iters, "bench.enough_samples",
          "%lu samples of %lu rounds (%lu switched at the send, %lu did not block)",
          b.total, iters, s.preempted, s.not_blocked);
    if (!b.total)
        return;
    const char *side = p->ping ? "ping" : "pong";
    bench_report(&b, p->ping ? "\"side\": \"ping\"" : "\"side\": \"pong\"");
    /* The split (mean ns: out = block to the scheduler's decision, in = the
     * decision to the first instruction) and the events, a line apart:
     * long lines are harder to read. */
    char ev[256];
    bench_tern_events_json(ev, sizeof(ev), &c0, &c1, iters);
    printf("BENCH {\"bench\": \"domain_switch\", \"side\": \"%s\", \"unit\": \"events\", "
           "\"runs\": %lu, \"at_send\": %lu, \"out\": %lu, \"in\": %lu, \"events\": {%s}}\n", side,
           iters, s.preempted, s.out_sum / b.total, s.in_sum / b.total, ev);
}

void test_main(void)
{
    char role[8] = "";
    cmdline_value("role", role, sizeof(role));
    if (!platform_is_pv || !tern_present() || !role[0]) {
        test_skip("two domains on one CPU: run by `make bench` with configs/bench/domain-switch.cfg");
        return;
    }
    struct xdom_pair p;
    if (xdom_pair_connect(&p, now_ns() + GUARD_NS))
        run(&p);
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    xdom_lib_events();
}

/*
 * dump.c - the state of every domain and vCPU on the console, for finding
 * out why a system stands still: what each vCPU waits for (its pause flags,
 * a poll, its timers), which events are pending for it and whether it can
 * see them.
 *
 * stall_dump=N on the hypervisor command line: when no vCPU has run for N
 * seconds while domains are alive, dump once (a debugging aid; a guest whose
 * vCPUs all block for N seconds on purpose triggers it too).
 */
#include "console.h"
#include "domain.h"
#include "evtchn.h"
#include "lib.h"
#include "sched.h"
#include "time.h"
#include "timer.h"
#include "percpu.h"

static void dump_timer(const char *name, const struct timer *t, stime_t t_now)
{
    if (t->active)
        printk(" %s=%+lldus", name, (long long)(t->expires - t_now) / 1000);
}

static void dump_vcpu(const struct vcpu *v, stime_t t_now)
{
    const struct vcpu_info *vi = v->vcpu_info;
    printk("  vcpu %u: cpu %u flags %#x%s%s%s upcall pending %u mask %u sel %#llx",
           v->vcpu_id, v->processor, v->pause_flags, v->is_running ? " running" : "",
           v->on_runq ? " queued" : "", v->poll_active ? " polling" : "",
           vi ? vi->evtchn_upcall_pending : 0, vi ? vi->evtchn_upcall_mask : 0,
           vi ? (unsigned long long)vi->evtchn_pending_sel : 0);
    dump_timer("singleshot", &v->singleshot, t_now);
    dump_timer("periodic", &v->periodic, t_now);
    dump_timer("poll", &v->poll_timeout, t_now);
    printk("\n");
}

void dump_domains(void)
{
    stime_t t = now();
    printk("Tern: state at %lld ms:\n", (long long)t / 1000000);
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = get_domain_by_id((domid_t)id);
        if (!d)
            continue;
        printk(" domain %u (%s): state %u, %llu pages\n", id, d->name, d->state,
               (unsigned long long)d->tot_pages);
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            dump_vcpu(d->vcpu[i], t);
        const struct shared_info *s = d->shared_info;
        for (unsigned int w = 0; w < 8; w++) {
            u64 p = s->evtchn_pending[w], m = s->evtchn_mask[w];
            if (p)
                printk("  ports %u-%u: pending %#llx masked %#llx\n", w * 64, w * 64 + 63,
                       (unsigned long long)p, (unsigned long long)(p & m));
        }
        put_domain(d);
    }
}

static unsigned int stall_limit, stalled_for;
static struct timer stall_timer;

static void stall_check(void *unused)
{
    (void)unused;
    bool any_running = false;
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (percpu_area[cpu] && !is_idle_vcpu(get_cpu_info_of(cpu)->curr_vcpu))
            any_running = true;
    if (any_running || !domains_alive())
        stalled_for = 0;
    else if (++stalled_for == stall_limit)
        dump_domains();
    timer_set(&stall_timer, now() + 1000000000);
}

void stall_dump_init(unsigned int seconds)
{
    if (!seconds)
        return;
    stall_limit = seconds;
    timer_init(&stall_timer, stall_check, NULL, 0);
    timer_set(&stall_timer, now() + 1000000000);
}

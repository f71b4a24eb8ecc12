"""Several domains at once: events between domains and the scheduler's shares
(issue 5's acceptance).  Each test boots one system config of configs/tests/
(tern run) and judges what its domains printed (tools/ternlib/xdomain.py):

  xdomain/pingpong-cross   two domains pinned to CPUs 0 and 1 ping-pong over an
                           interdomain channel for 3 s (ping blocks in
                           SCHEDOP_block, pong polls): every send received
                           exactly once (the four counts agree), no wait ended
                           by its guard timer (no lost event, no lost wakeup,
                           no deadlock), each domain only on its own CPU
  xdomain/pingpong-local   the same game with both domains on CPU 0 (ping
                           polls, pong blocks): every round trip goes through
                           the scheduler twice
  xdomain/sched-weight     CPU-bound domains of weights 2:1 pinned to CPU 1 get
                           CPU time 2:1 within 5%, from their runstates, with
                           CPU 0 idle and then busy; neither runs on CPU 0
  xdomain/sched-cap        a domain capped at 25% gets at most 25% (within one
                           100 ms period) beside a spinner and on an otherwise
                           idle CPU, and does get it; the spinner gets the rest
  xdomain/sched-latency    a sleeper that wants 20% of a CPU (a timer every
                           2 ms, 400 us of work) beside a spinner of three
                           times its weight: every timer handled within 100 us
                           of its deadline (a time slice is 10 ms), no period
                           missed, all the CPU time it asks for

The scheduler tests run under -icount shift=0,sleep=off, where time is
virtual and deterministic (ARCHITECTURE.md, Harness contract): shares and
latencies are exact counts, not wall-clock guesses on a shared machine.  The
ping-pong runs on plain TCG, whose CPUs really run in parallel (the races a
lost wakeup needs).  Tern only: Xen cannot start a second domain here.
"""
import os
import sys

from harness import ROOT, TernRun

sys.path.insert(0, os.path.join(ROOT, "tools"))
from ternlib import xdomain  # noqa: E402

HV_ALIVE = [r"\*\*\* TERN HYPERVISOR (CRASH|PANIC)"]
CLEAN = [r"^Tern: all domains have ended$", r"^Tern: leaving with status 0"]


def all_pass(names):
    return lambda out: xdomain.passes(out, names)


# ---- event ping-pong ----

def pingpong_counts(out):
    """Every send received exactly once: the four counts agree."""
    c = xdomain.pingpong_counts(out)
    if isinstance(c, str):
        return c
    if not (c["ping_sent"] == c["pong_received"] == c["pong_sent"] == c["ping_received"]):
        return (f"counts disagree: ping sent {c['ping_sent']}, pong received {c['pong_received']}, "
                f"pong sent {c['pong_sent']}, ping received {c['ping_received']}")
    if c["stops"] != 1:
        return f"pong saw {c['stops']} stops, expected 1"
    if c["ping_sent"] < 100:
        return f"only {c['ping_sent']} round trips in 3 s"
    return None


def pingpong(name, config):
    return TernRun(f"xdomain/{name}", f"configs/tests/{config}", ["--smp", "2"], timeout=120,
                   expect=CLEAN, reject=HV_ALIVE,
                   checks=[all_pass(["ping", "pong"]), pingpong_counts])


# ---- CPU shares, from runstate ----

def share(ph):
    return ph["running_ns"] / ph["window_ns"] if ph.get("window_ns") else 0.0


def phase(out, domain, n):
    p = xdomain.phases(out, domain).get(n)
    if not p or "window_ns" not in p:
        raise ValueError(f"domain {domain}: no figures for phase {n}")
    return p


def judged(fn):
    """A check that reads phases: a missing phase is its failure."""
    def check(out):
        try:
            return fn(out)
        except ValueError as e:
            return str(e)
    return check


@judged
def weight_2_to_1(out):
    for n in (1, 2):
        heavy, light = phase(out, "heavy", n), phase(out, "light", n)
        sh, sl = share(heavy), share(light)
        ratio = sh / sl if sl else float("inf")
        if not 1.9 <= ratio <= 2.1:
            return (f"phase {n}: heavy (weight 512) got {sh:.1%} of CPU 1, light (256) {sl:.1%}: "
                    f"ratio {ratio:.3f}, expected 2 within 5%")
        if sh + sl < 0.97:
            return f"phase {n}: the two pinned domains got only {sh + sl:.1%} of their CPU"
    roam = phase(out, "roamer", 2)
    if share(roam) < 0.97:
        return f"phase 2: the roamer got {share(roam):.1%} of CPU 0, which it had to itself"
    return None


CAP, CAP_PERIOD_NS = 0.25, 100_000_000


@judged
def cap_holds(out):
    for n in (1, 2):
        capped = phase(out, "capped", n)
        most = CAP * (capped["window_ns"] + CAP_PERIOD_NS) / capped["window_ns"]
        if share(capped) > most:
            return (f"phase {n}: the capped domain got {share(capped):.1%} of the CPU, "
                    f"cap 25% (at most {most:.1%} over a window of {capped['window_ns'] // 1000000} ms)")
        if share(capped) < 0.95 * CAP:
            return f"phase {n}: the capped domain got only {share(capped):.1%}, its cap is 25%"
    rival = phase(out, "rival", 1)
    if share(rival) < 0.95 * (1 - CAP):
        return f"phase 1: the spinning rival got {share(rival):.1%}, expected the other 75%"
    return None


LATENCY_MAX_NS = 100_000            # a hundredth of a time slice (10 ms)
# configs/tests/sched-latency.cfg: phases of 400 ms, a timer every 2 ms, 400 us of work.
SLEEPER_PHASE_NS, SLEEPER_PERIOD_NS, SLEEPER_WORK_NS = 400_000_000, 2_000_000, 400_000


@judged
def sleeper_served(out):
    for n in (1, 3):                    # alone, then beside the spinner
        p = phase(out, "sleeper", n)
        want = SLEEPER_PHASE_NS // SLEEPER_PERIOD_NS - 1     # deadlines inside the phase
        if p.get("wakeups", 0) != want or p.get("missed", 1) or p.get("early", 1):
            return (f"phase {n}: {p.get('wakeups')} wakeups ({want} expected), {p.get('missed')} periods "
                    f"missed, {p.get('early')} timers early")
        if p["lat_max_ns"] > LATENCY_MAX_NS:
            return (f"phase {n}: a timer's handler ran {p['lat_max_ns']} ns after its deadline "
                    f"(at most {LATENCY_MAX_NS} allowed)")
    p = phase(out, "sleeper", 3)
    asked = p["wakeups"] * SLEEPER_WORK_NS
    if p["running_ns"] < 0.99 * asked:
        return f"phase 3: the sleeper ran {p['running_ns']} ns, it asked for {asked}"
    if p["runnable_ns"] > 0.01 * p["window_ns"]:
        return f"phase 3: the sleeper waited {p['runnable_ns']} ns for the CPU (runnable)"
    spin = phase(out, "spinner", 3)
    if share(spin) < 0.97 * (1 - SLEEPER_WORK_NS / SLEEPER_PERIOD_NS):
        return f"phase 3: the spinner got only {share(spin):.1%} of the CPU, expected the other 80%"
    return None


def sched(name, config, domains, check, smp):
    return TernRun(f"xdomain/{name}", f"configs/tests/{config}", ["--smp", str(smp), "--icount"],
                   timeout=150, expect=CLEAN, reject=HV_ALIVE, checks=[all_pass(domains), check])


TESTS = [
    pingpong("pingpong-cross", "pingpong-cross.cfg"),
    pingpong("pingpong-local", "pingpong-local.cfg"),
    sched("sched-weight", "sched-weight.cfg", ["heavy", "light", "roamer"], weight_2_to_1, 2),
    sched("sched-cap", "sched-cap.cfg", ["capped", "rival"], cap_holds, 1),
    sched("sched-latency", "sched-latency.cfg", ["sleeper", "spinner"], sleeper_served, 1),
]

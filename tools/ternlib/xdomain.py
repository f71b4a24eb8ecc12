"""Several domains on Tern at once: runs of a system config and the figures in
their domains' output, for tests/integration/xdomain.py (the multi-domain
tests of events and scheduling) and for `make bench`'s two-domain benchmarks
(evtchn_rtt_local, evtchn_rtt_remote, domain_switch: BENCHES below).

Tern prefixes every line a domain prints with "[name] "; domain_output and
reports take one domain's lines apart.  The guests are guests/tests/pingpong,
guests/tests/cpu_share, guests/bench/evtchn_rtt and guests/bench/domain_switch;
their configs are configs/tests/{pingpong,sched}-*.cfg and configs/bench/.
Xen cannot run two domains here (no toolstack: only its dom0), so these are
Tern-only, their native counterpart (ipi_rtt) a single VM's.
"""
import os
import re

from . import bundle, config, contract, paths, qemu, ternplat


def domain_output(output, name):
    return ternplat.domain_output(output, name)


def report(output, name):
    """The contract Report of domain name's lines."""
    return contract.parse(domain_output(output, name))


def end_of(output, name):
    """How Tern says domain name ended ("reboot", "crash", ...), or None."""
    m = re.search(rf"^Tern: domain \d+ \({re.escape(name)}\) ended: (\S+)", output, re.M)
    return m.group(1) if m else None


def passes(output, names):
    """None when every domain of names printed RESULT SUCCESS with no failed
    CHECK and ended with a reboot (a test guest's clean end); else what is wrong."""
    for name in names:
        rep = report(output, name)
        failed = [f"{n} {d}" for n, s, d in rep.checks if s == "FAIL"]
        if failed:
            return f"domain {name}: CHECK " + "; CHECK ".join(failed[:4])
        if rep.problems:
            return f"domain {name}: " + "; ".join(rep.problems)
        if rep.verdict != "SUCCESS":
            return f"domain {name}: RESULT {rep.summary()}"
        end = end_of(output, name)
        if end != "reboot":
            return f"domain {name} ended {end or '(no end line)'}, expected reboot"
    return None


def fields(line):
    """key=value words of a line as {key: int}."""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


# ---- pingpong (guests/tests/pingpong) ----

_PING = re.compile(r"^pingpong: ping \((\w+)\): sent=(\d+) received=(\d+)", re.M)
_PONG = re.compile(r"^pingpong: pong \((\w+)\): received=(\d+) sent=(\d+) stops=(\d+)", re.M)


def pingpong_counts(output, ping="ping", pong="pong"):
    """{"ping_sent", "ping_received", "pong_received", "pong_sent", "stops"}
    from the two sides' summary lines, or a string saying which is missing."""
    a = _PING.search(domain_output(output, ping))
    b = _PONG.search(domain_output(output, pong))
    if not a or not b:
        return f"no summary line from {'ping' if not a else 'pong'}"
    return {"ping_sent": int(a.group(2)), "ping_received": int(a.group(3)),
            "pong_received": int(b.group(2)), "pong_sent": int(b.group(3)), "stops": int(b.group(4))}


# ---- cpu_share (guests/tests/cpu_share) ----

_PHASE = re.compile(r"^cpu_share: phase (\d+) \((\w+)\): (.*)$", re.M)
_WAKE = re.compile(r"^cpu_share: phase (\d+) (wakeups=.*)$", re.M)


def phases(output, name):
    """{phase number: {"kind", "window_ns", "running_ns", ..., and for a wake
    phase "wakeups", "missed", "early", "lat_max_ns", "lat_avg_ns"}}."""
    text = domain_output(output, name)
    out = {}
    for m in _PHASE.finditer(text):
        out[int(m.group(1))] = dict(fields(m.group(3)), kind=m.group(2))
    for m in _WAKE.finditer(text):
        out.setdefault(int(m.group(1)), {}).update(fields(m.group(2)))
    return out


# ---- running a config with extra command-line words ----

def generated_config(cfg_path, append=""):
    """A copy of cfg_path under build/run/xdomain with image paths made
    absolute and append added to every domain's command line."""
    base = os.path.dirname(os.path.abspath(cfg_path))
    out = []
    for line in open(cfg_path).read().splitlines():
        m = re.match(r"^(\s*file\s*=\s*)(\S.*?)\s*$", line)
        if m and not os.path.isabs(m.group(2)):
            line = m.group(1) + os.path.normpath(os.path.join(base, m.group(2)))
        m = re.match(r'^(\s*cmdline\s*=\s*")(.*)"\s*$', line)
        if m and append:
            line = f'{m.group(1)}{m.group(2)} {append}"'
        out.append(line)
    stem = os.path.splitext(os.path.basename(cfg_path))[0]
    return config.write_generated("xdomain", stem, "\n".join(out) + "\n")


def run_config(cfg_path, smp, icount, append="", timeout=300, log_path=None):
    """Boot Tern with cfg_path (every domain's command line + append) on smp
    CPUs, under -icount shift=0,sleep=off or plain TCG; the qemu.Result."""
    paths.make(paths.rel(paths.HV_ELF))
    cfg = generated_config(cfg_path, append)
    bpath = cfg[:-4] + ".cpio"
    bundle.build(cfg, bpath)
    args = qemu.base_args("microvm", smp, 512, "tcg", icount) + ["-kernel", paths.HV_ELF,
                                                                 "-initrd", bpath]
    return qemu.run(args, timeout, log_path=log_path)


# ---- `make bench`: the two-domain benchmarks ----
#
# Each config is booted twice, as tools/ternlib/benchmarks.py boots a
# single-domain guest: under -icount shift=0,sleep=off (the TSC counts
# instructions: the record's "instructions", or "virtual_ns" across CPUs) and
# under plain TCG with "wall" on the command lines (median and p99 in ns).
# The ping domain prints the figure; both sides print their hypervisor events
# per round ("unit": "events" lines), added up here.

SPECS = {
    # Round trip between two domains on one pCPU; path length, target <= 4,000.
    "evtchn_rtt_local": {"guest": "evtchn_rtt", "config": "configs/bench/evtchn-rtt-local.cfg",
                         "pcpus": 1, "path": True, "issue": 4000, "aim": 2500,
                         "counterpart": "ipi_rtt", "events_per": "round trip (both domains)"},
    # The same across pCPUs: virtual ns on both CPUs, not a path length.
    "evtchn_rtt_remote": {"guest": "evtchn_rtt", "config": "configs/bench/evtchn-rtt-remote.cfg",
                          "pcpus": 2, "path": False, "counterpart": "ipi_rtt",
                          "events_per": "round trip (both domains)"},
    # Block -> the other domain's first instruction on the same pCPU; target <= 1,000.
    "domain_switch": {"guest": "domain_switch", "config": "configs/bench/domain-switch.cfg",
                      "pcpus": 1, "path": True, "issue": 1000, "aim": 600,
                      "events_per": "switch (a domain's round: its send, block, upcall return "
                                    "and runstate read)"},
}
BENCH_GUESTS = {s["guest"] for s in SPECS.values()}


def _lines(output, name, domains=("ping", "pong")):
    """BENCH records of bench name, by side: {"ping": {"figure": r, "events": r}, ...}."""
    sides = {}
    for d in domains:
        for r in report(output, d).bench:
            if r.get("bench") != name:
                continue
            kind = "events" if r.get("unit") == "events" else "figure"
            sides.setdefault(r.get("side", d), {})[kind] = r
    return sides


def _sum_events(sides, average=False):
    total = {}
    for s in sides.values():
        for k, v in (s.get("events", {}).get("events") or {}).items():
            total[k] = total.get(k, 0) + v
    n = len(sides) if average and sides else 1
    return {k: round(v / n, 3) for k, v in total.items()}


def _problems(output, res):
    errs = []
    if res.timed_out:
        errs.append("timed out")
    for d in ("ping", "pong"):
        rep = report(output, d)
        failed = [n for n, s, _ in rep.checks if s == "FAIL"]
        if rep.verdict != "SUCCESS" or failed:
            errs.append(f"{d}: RESULT {rep.summary()}" + (f" (failed: {', '.join(failed)})" if failed else ""))
    return errs


def bench(name, runs=None):
    """The record of one two-domain benchmark (a list of one)."""
    spec = SPECS[name]
    paths.make(f"build/guests/bench/{spec['guest']}.elf")
    cfg = os.path.join(paths.ROOT, spec["config"])
    logdir = os.path.join(paths.BUILD, "bench", "xdomain")
    os.makedirs(logdir, exist_ok=True)
    extra = f"iters={runs}" if runs else ""
    ic = run_config(cfg, spec["pcpus"], True, extra, log_path=os.path.join(logdir, f"{name}-icount.log"))
    wall = run_config(cfg, spec["pcpus"], False, ("wall " + extra).strip(),
                      log_path=os.path.join(logdir, f"{name}-wall.log"))
    ic_sides, wall_sides = _lines(ic.output, name), _lines(wall.output, name)
    fig = ic_sides.get("ping", {}).get("figure") or {}
    wfig = wall_sides.get("ping", {}).get("figure") or {}
    rec = {"bench": name, "platform": "tern", "accel": "tcg", "unit": "ns",
           "median": wfig.get("median"), "p99": wfig.get("p99"), "runs": wfig.get("runs"),
           "pcpus": spec["pcpus"], "domains": 2,
           "events": _sum_events(ic_sides, average=name == "domain_switch"),
           "events_per": spec["events_per"], "xen": "none: Xen cannot start a second domain here"}
    if spec["path"]:
        rec.update({"instructions": fig.get("median"), "instructions_p99": fig.get("p99"),
                    "instructions_min": fig.get("min"), "instructions_runs": fig.get("runs"),
                    "empty_pair": fig.get("empty_pair")})
        rec["target"] = {"issue": spec["issue"], "aim": spec["aim"],
                         "within_issue": fig.get("median") is not None and fig["median"] <= spec["issue"]}
    else:
        rec.update({"instructions": None, "virtual_ns": fig.get("median"),
                    "virtual_ns_p99": fig.get("p99"), "virtual_ns_min": fig.get("min"),
                    "note": "across two pCPUs: virtual ns of both CPUs under -icount, not a path length"})
    if spec.get("counterpart"):
        rec["counterpart"] = {"native": spec["counterpart"]}
    if name == "domain_switch":
        # Each side measures the switch away from it and the one back to it;
        # the two must agree (the same code on both sides).
        both = {s: v.get("figure", {}).get("median") for s, v in ic_sides.items()}
        rec["sides"] = {s: {"median": v.get("figure", {}).get("median"),
                            "out_mean": v.get("events", {}).get("out"),
                            "in_mean": v.get("events", {}).get("in"),
                            "switched_at_send": v.get("events", {}).get("at_send")}
                        for s, v in ic_sides.items()}
        a, b = both.get("ping"), both.get("pong")
        if a and b and abs(a - b) > 0.05 * max(a, b):
            rec.setdefault("error", f"the two sides disagree: ping {a}, pong {b} instructions")
    errs = [f"icount run: {e}" for e in _problems(ic.output, ic)] + \
           [f"wall run: {e}" for e in _problems(wall.output, wall)]
    if errs:
        rec["error"] = "; ".join(errs)
    return [rec]


def _bench_fn(name):
    def fn(runs=None):
        return bench(name, runs)
    fn.__doc__ = f"{name}: two domains on Tern ({SPECS[name]['config']})"
    return fn


BENCHES = [(n, _bench_fn(n)) for n in SPECS]

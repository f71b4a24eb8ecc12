"""Robustness on Tern: misbehaving domains beside well-behaved ones.

Each test boots one system config of configs/tests/ (tern run) and checks
the hypervisor's report:
  robust/spin          a domain spinning forever with events masked ends by
                       its SCHEDOP_watchdog; its neighbour on the same CPU
                       (--smp 1) gets its share and passes
  robust/stack         domains whose stack pointer is non-canonical, unmapped,
                       read-only or in the hypervisor's range are crashed by
                       the hypervisor (no frame can be delivered); one with a
                       smashed stack ends itself as crashed; the neighbour passes
  robust/traps         handlers that fault, random bytes executed with no trap
                       table: crashed (or the watchdog); the neighbour passes
  robust/hcall         random hostile hypercalls from two domains: the
                       hypervisor survives, the neighbour passes
  robust/side-by-side  ordinary test guests as unprivileged domains (role
                       guest), all at once: every one passes
The hypervisor must never crash (status 3) and must report every domain's
end; with a failed domain it leaves with status 1 ("a domain failed").
Tern only: Xen cannot run several domains here without a toolstack
(ARCHITECTURE.md, Harness contract).
"""
import re

from harness import TernRun

HV_ALIVE = [r"\*\*\* TERN HYPERVISOR (CRASH|PANIC)"]


def ends(domains):
    """Each domain's end line ("Tern: domain N (name) ended: REASON") must match."""
    def check(out):
        for name, allowed in domains.items():
            m = re.search(rf"^Tern: domain \d+ \({re.escape(name)}\) ended: (.+)$", out, re.M)
            if not m:
                return f"domain {name}: no end line"
            if not re.fullmatch(allowed, m.group(1).strip()):
                return f"domain {name} ended '{m.group(1).strip()}', expected /{allowed}/"
        return None
    return check


def passes(names):
    """Each domain printed RESULT SUCCESS (and no failed CHECK)."""
    def check(out):
        for name in names:
            prefix = re.escape(f"[{name}] ")
            failed = re.findall(rf"^{prefix}CHECK (\S+ FAIL.*)$", out, re.M)
            if failed:
                return f"domain {name}: CHECK " + "; CHECK ".join(failed[:5])
            if not re.search(rf"^{prefix}RESULT SUCCESS", out, re.M):
                m = re.search(rf"^{prefix}RESULT .*$", out, re.M)
                return f"domain {name}: {m.group(0) if m else 'no RESULT line'}"
        return None
    return check


def robust(name, config, bad, good, args=(), timeout=150):
    """bad: {domain: allowed end regex}; good: well-behaved domains."""
    return TernRun(f"robust/{name}", f"configs/tests/{config}", list(args), expect_status=1,
                   expect=[r"^Tern: all domains have ended \(not all cleanly\)",
                           r"^Tern: leaving with status 1"],
                   reject=HV_ALIVE, checks=[ends(bad), ends({g: "reboot" for g in good}), passes(good)],
                   timeout=timeout)


CRASHED = "crashed"                     # ended by the hypervisor (domain_crash)
GUEST_CRASH = "crash"                   # SCHEDOP_shutdown(crash) from the guest
ANY_BAD_END = "crash|crashed|watchdog"

TESTS = [
    robust("spin", "robust-spin.cfg", {"bad": "watchdog"}, ["good"], args=["--smp", "1"]),
    robust("stack", "robust-stack.cfg",
           {"rsp": CRASHED, "null": CRASHED, "ro": CRASHED, "rodata": CRASHED, "xen": CRASHED,
            "smash": GUEST_CRASH}, ["good"]),
    robust("traps", "robust-traps.cfg",
           {"loop": CRASHED, "garbage1": ANY_BAD_END, "garbage2": ANY_BAD_END,
            "garbage3": ANY_BAD_END, "garbage4": ANY_BAD_END}, ["good"]),
    robust("hcall", "robust-hcall.cfg", {"fuzz1": ANY_BAD_END, "fuzz2": ANY_BAD_END}, ["good"]),
]

SIDE_BY_SIDE = ["selftest", "traps", "segments", "privileged_insns", "user_mode", "evtchn", "steady",
                "mmu_fuzz"]
TESTS.append(TernRun("robust/side-by-side", "configs/tests/side-by-side.cfg", expect_status=0,
                     expect=[r"^Tern: all domains have ended$", r"^Tern: leaving with status 0"],
                     reject=HV_ALIVE,
                     checks=[ends({n: "reboot" for n in SIDE_BY_SIDE}), passes(SIDE_BY_SIDE)],
                     timeout=150))

"""Guest tests (guests/tests/NAME) on every platform their meta lists, and
the differential check between platforms (ARCHITECTURE.md, Harness contract).

For each test guest:
  guest/NAME@PLATFORM      one run; its verdict (RESULT line, or the end line
                           for `expect: crashed`) must be the one its meta expects
  guest/NAME:xen=PLATFORM  the run agrees with the oracle's (Xen's): verdict and
                           the name and PASS/FAIL of every CHECK, declared
                           differences excepted (each listed with its reason)
  bench-guest/NAME@PLATFORM  a benchmark guest (guests/bench) with few iterations:
                           its warm-up checks pass (the figures are make bench's)
Runs are shared: an agreement test waits for (or performs) the two runs it
compares.  contract/* are self-tests of the comparison itself.
"""
import glob
import os
import sys
import threading
import time

from harness import LOGS, ROOT, Outcome

sys.path.insert(0, os.path.join(ROOT, "tools"))
from ternlib import contract, native, ternplat, xen  # noqa: E402

GUEST_SRC = os.path.join(ROOT, "guests")
GUEST_BUILD = os.path.join(ROOT, "build", "guests")
# Benchmark guests run here only as a smoke test of their warm-up checks.
BENCH_CMDLINE = "iters=20"
ORACLE = "xen"
TIMEOUT = {"xen": 150, "native": 60, "tern": 60}


def run_xen(image, cmdline, timeout, vcpus=1, pcpus=None):
    return xen.run(image, cmdline, timeout=timeout, vcpus=vcpus, pcpus=pcpus)


def run_native(image, cmdline, timeout, vcpus=1, pcpus=None):
    return native.run(image, cmdline, timeout=timeout, vcpus=vcpus, pcpus=pcpus)


def run_tern(image, cmdline, timeout, vcpus=1, pcpus=None):
    return ternplat.run(image, cmdline, timeout=timeout, vcpus=vcpus, pcpus=pcpus)


# Platform name -> launcher(image, cmdline, timeout, vcpus=, pcpus=) -> (qemu.Result,
# contract.Report); vcpus/pcpus come from the guest's meta (Meta.topology).
PLATFORMS = {
    "xen": run_xen,
    "native": run_native,
    # Tern's initial privileged domain (SIF_INITDOMAIN, console_io), like Xen's dom0.
    "tern": run_tern,
}


class GuestRun:
    """One guest image on one platform, run at most once per `tests/run`."""
    _cache = {}
    _cache_lock = threading.Lock()

    def __init__(self, kind, name, platform):
        self.kind, self.name, self.platform = kind, name, platform
        self.lock = threading.Lock()
        self.done = False
        self.report = None
        self.elapsed = 0.0
        self.error = None
        self.log = os.path.join(LOGS, f"{kind}_{name}@{platform}.log")

    @classmethod
    def get(cls, kind, name, platform):
        with cls._cache_lock:
            key = (kind, name, platform)
            if key not in cls._cache:
                cls._cache[key] = GuestRun(kind, name, platform)
            return cls._cache[key]

    def result(self):
        with self.lock:
            if not self.done:
                self._run()
                self.done = True
        return self.report

    def _run(self):
        image = os.path.join(GUEST_BUILD, self.kind, f"{self.name}.elf")
        cmdline = BENCH_CMDLINE if self.kind == "bench" else ""
        os.makedirs(LOGS, exist_ok=True)
        t0 = time.monotonic()
        if not os.path.exists(image):
            self.error = f"{os.path.relpath(image, ROOT)} is missing (make guests)"
            return
        try:
            topology = meta_of(self.name, self.kind).topology()
            res, rep = PLATFORMS[self.platform](image, cmdline, TIMEOUT.get(self.platform, 120),
                                                **topology)
        except Exception as e:      # a launcher bug is this test's failure
            self.error = f"launcher failed: {e!r}"
            return
        self.elapsed = time.monotonic() - t0
        self.report = rep
        with open(self.log, "w") as f:
            f.write(f"# {self.name} on {self.platform}: end {rep.end}, QEMU exit {res.exit_code}, "
                    f"{self.elapsed:.1f} s\n")
            f.write(res.output)


def meta_of(name, kind="tests"):
    return contract.load_meta(os.path.join(GUEST_SRC, kind, name, "meta"),
                              f"guests/{kind}/{name}/meta")


class GuestOnPlatform:
    def __init__(self, name, platform, kind="tests"):
        self.name = f"{'guest' if kind == 'tests' else 'bench-guest'}/{name}@{platform}"
        self.guest, self.platform, self.kind = name, platform, kind

    def run(self):
        t0 = time.monotonic()
        run = GuestRun.get(self.kind, self.guest, self.platform)
        try:
            expected = meta_of(self.guest, self.kind).expected(self.platform)
        except contract.MetaError as e:
            return Outcome(self.name, False, str(e))
        rep = run.result()
        if rep is None:
            return Outcome(self.name, False, run.error or "no report", time.monotonic() - t0)
        err = contract.judge(rep, expected)
        detail = err or f"{rep.summary()} ({len(rep.checks)} checks)"
        return Outcome(self.name, err is None, detail, time.monotonic() - t0, log=run.log)


def agreement_outcome(name, rep_a, rep_b, plat_a, plat_b, meta, elapsed=0.0, log=None):
    """The Outcome of comparing two runs of one test (also used by the self-tests)."""
    undeclared, declared = contract.compare(rep_a, rep_b, plat_a, plat_b, meta)
    if undeclared:
        detail = (f"undeclared disagreement between {plat_a} and {plat_b}:\n       "
                  + "\n       ".join(undeclared)
                  + f"\n     --- {plat_a} output ---\n" + _contract_lines(rep_a)
                  + f"\n     --- {plat_b} output ---\n" + _contract_lines(rep_b))
        return Outcome(name, False, detail, elapsed, log=log)
    detail = ""
    if declared:
        by_reason = {}
        for text, reason in declared:
            by_reason.setdefault(reason, []).append(text.split(":")[0])
        lines = []
        for reason, whats in by_reason.items():
            shown = ", ".join(whats[:4]) + (f" and {len(whats) - 4} more" if len(whats) > 4 else "")
            lines.append(f"declared on {plat_b}: {shown} -- {reason}")
        detail = "\n       ".join(lines) + "\n"
    return Outcome(name, True, detail, elapsed, log=log)


def _contract_lines(rep):
    lines = [f"CHECK {n} {s} {d}" for n, s, d in rep.checks]
    lines.append(f"RESULT {rep.summary()} (ended {rep.end})")
    return "\n".join("     | " + line for line in lines)


class GuestAgreement:
    def __init__(self, name, plat_b):
        self.name = f"guest/{name}:{ORACLE}={plat_b}"
        self.guest, self.plat_b = name, plat_b

    def run(self):
        t0 = time.monotonic()
        try:
            meta = meta_of(self.guest)
        except contract.MetaError as e:
            return Outcome(self.name, False, str(e))
        ra, rb = GuestRun.get("tests", self.guest, ORACLE), GuestRun.get("tests", self.guest, self.plat_b)
        rep_a, rep_b = ra.result(), rb.result()
        if rep_a is None or rep_b is None:
            return Outcome(self.name, False, ra.error or rb.error or "no report",
                           time.monotonic() - t0)
        return agreement_outcome(self.name, rep_a, rep_b, ORACLE, self.plat_b, meta,
                                 time.monotonic() - t0, log=rb.log)


# ---- self-tests of the differential check (no QEMU) ----
_A = """guest: x
CHECK alpha PASS one
CHECK beta PASS two
RESULT SUCCESS 2 checks, 0 failed
"""
_B_BETA_FAILS = """guest: x
CHECK alpha PASS one (other detail)
CHECK beta FAIL two
RESULT FAILURE check beta failed
"""


class SelfTest:
    def __init__(self, name, fn):
        self.name, self.fn = f"contract/{name}", fn

    def run(self):
        try:
            err = self.fn()
        except Exception as e:
            err = f"raised {e!r}"
        return Outcome(self.name, err is None, err or "")


def _rep(text, end="clean"):
    r = contract.parse(text)
    r.end = end
    return r


def st_undeclared_fails():
    meta = contract.parse_meta("platforms: xen native\n")
    o = agreement_outcome("t", _rep(_A), _rep(_B_BETA_FAILS), "xen", "native", meta)
    if o.ok:
        return "an undeclared CHECK and RESULT disagreement passed"
    if "CHECK beta: PASS on xen, FAIL on native" not in o.detail or "RESULT SUCCESS" not in o.detail:
        return f"the failure does not name the difference: {o.detail}"
    return None


def st_declared_passes():
    meta = contract.parse_meta("platforms: xen native\n"
                               "differs: beta on native: a reason\n"
                               "differs: RESULT on native: follows from beta\n")
    o = agreement_outcome("t", _rep(_A), _rep(_B_BETA_FAILS), "xen", "native", meta)
    if not o.ok:
        return f"declared differences failed: {o.detail}"
    if "a reason" not in o.detail:
        return "the declarations are not listed"
    # A declaration for another platform does not excuse this pair.
    meta = contract.parse_meta("platforms: xen native\ndiffers: * on tern: elsewhere\n")
    if agreement_outcome("t", _rep(_A), _rep(_B_BETA_FAILS), "xen", "native", meta).ok:
        return "a declaration for platform tern excused a xen/native difference"
    return None


def st_missing_check_counts():
    b = _A.replace("CHECK beta PASS two\n", "")
    meta = contract.parse_meta("platforms: xen native\n")
    o = agreement_outcome("t", _rep(_A), _rep(b), "xen", "native", meta)
    if o.ok or "absent" not in o.detail:
        return "a CHECK missing on one platform went unnoticed"
    # Details may differ.
    same = _A.replace("one", "other words")
    if not agreement_outcome("t", _rep(_A), _rep(same), "xen", "native", meta).ok:
        return "a difference in detail text counted as a disagreement"
    return None


def st_parse_and_judge():
    r = _rep("(d0) CHECK a PASS x\nRESULT SKIP why\nBENCH {\"bench\": \"b\", \"median\": 3}\n")
    if r.check_map() != {"a": "PASS"} or r.verdict != "SKIP" or r.bench[0]["median"] != 3:
        return f"parse: {r.checks} {r.verdict} {r.bench}"
    if contract.judge(r, "SKIP") is not None or contract.judge(r, "SUCCESS") is None:
        return "judge ignores the expected verdict"
    if contract.judge(_rep("CHECK a FAIL x\n"), "SUCCESS") is None:
        return "a run without RESULT was accepted"
    lying = _rep("CHECK a FAIL x\nRESULT SUCCESS fine\n")
    if contract.judge(lying, "SUCCESS") is None:
        return "RESULT SUCCESS with a failed CHECK was accepted"
    crashed = _rep("CHECK a PASS x\n", end="crashed")
    if contract.judge(crashed, "crashed") is not None or contract.judge(crashed, "SUCCESS") is None:
        return "expect: crashed is not judged by the end line"
    if contract.judge(_rep("RESULT SUCCESS x\n", end="timeout"), "SUCCESS") is None:
        return "a run that timed out after RESULT SUCCESS was accepted"
    return None


def st_meta_errors():
    for bad in ("expect: MAYBE\nplatforms: xen\n", "differs: x native reason\nplatforms: xen\n", "expect: SKIP\n",
                "vcpus: 0\nplatforms: xen\n", "pcpus: two\nplatforms: xen\n"):
        try:
            contract.parse_meta(bad)
        except contract.MetaError:
            continue
        return f"meta accepted: {bad!r}"
    m = contract.parse_meta("platforms: xen\nvcpus: 4\npcpus: 2\n")
    if m.topology() != {"vcpus": 4, "pcpus": 2}:
        return f"vcpus/pcpus read as {m.topology()}"
    if contract.parse_meta("platforms: xen\n").topology() != {"vcpus": 1, "pcpus": None}:
        return "a meta without vcpus/pcpus does not default to 1 vCPU"
    return None


def _guest_names(kind="tests"):
    return sorted(os.path.basename(os.path.dirname(p))
                  for p in glob.glob(os.path.join(GUEST_SRC, kind, "*", "meta")))


TESTS = []
for _name in _guest_names("bench"):
    try:
        _plats = meta_of(_name, "bench").platforms
    except contract.MetaError:
        _plats = [ORACLE]
    TESTS += [GuestOnPlatform(_name, _p, "bench") for _p in _plats if _p in PLATFORMS]
for _name in _guest_names():
    try:
        _plats = meta_of(_name).platforms
    except contract.MetaError:
        _plats = [ORACLE]               # the run reports the meta error
    for _p in _plats:
        if _p in PLATFORMS:
            TESTS.append(GuestOnPlatform(_name, _p))
    if ORACLE in _plats:
        for _p in _plats:
            if _p != ORACLE and _p in PLATFORMS:
                TESTS.append(GuestAgreement(_name, _p))

TESTS += [SelfTest("undeclared-disagreement-fails", st_undeclared_fails),
          SelfTest("declared-difference-passes", st_declared_passes),
          SelfTest("missing-check-is-a-difference", st_missing_check_counts),
          SelfTest("parse-and-judge", st_parse_and_judge),
          SelfTest("meta-errors", st_meta_errors)]

"""The test harness's building blocks (used by tests/run and tests/integration/*).

A test is one cmocka case, one guest run on one platform, or one CLI
scenario (ARCHITECTURE.md, Harness contract).  Integration modules define
TESTS, a list of the classes below; each runs a command, then checks its exit
status and output.  Checks are regular expressions matched in order, regular
expressions that must not match, and optional functions.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from ternlib import cpio  # noqa: E402

LOGS = os.path.join(ROOT, "build", "tests", "logs")
DATA = os.path.join(ROOT, "build", "tests", "data")
TERN = os.path.join(ROOT, "tools", "tern")


class Outcome:
    def __init__(self, name, ok, detail="", elapsed=0.0, skipped=False, log=None):
        self.name, self.ok, self.detail = name, ok, detail
        self.elapsed, self.skipped, self.log = elapsed, skipped, log


def check_output(out, expect=(), reject=(), checks=()):
    """None if out satisfies every expectation, else what is wrong."""
    pos = 0
    for pat in expect:
        m = re.compile(pat, re.M).search(out, pos)
        if not m:
            return f"expected /{pat}/ (in order) not found"
        pos = m.end()
    for pat in reject:
        m = re.search(pat, out, re.M)
        if m:
            return f"unexpected /{pat}/ found: {m.group(0)!r}"
    for fn in checks:
        err = fn(out)
        if err:
            return err
    return None


class Test:
    """A command, its expected exit status and expected output."""
    timeout = 120

    def __init__(self, name, expect_status=0, expect=(), reject=(), checks=(), prepare=None,
                 timeout=None):
        self.name = name
        self.expect_status = expect_status
        self.expect, self.reject, self.checks = list(expect), list(reject), list(checks)
        self.prepare = prepare
        if timeout:
            self.timeout = timeout

    def command(self):
        raise NotImplementedError

    def run(self):
        t0 = time.monotonic()
        log = os.path.join(LOGS, self.name.replace("/", "_") + ".log")
        os.makedirs(LOGS, exist_ok=True)
        if self.prepare:
            self.prepare()
        cmd = self.command()
        try:
            r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, errors="replace", timeout=self.timeout + 30)
            out, status = r.stdout + r.stderr, r.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            status = None
        with open(log, "w") as f:
            f.write("$ " + " ".join(cmd) + "\n" + out + f"\n[exit status {status}]\n")
        elapsed = time.monotonic() - t0
        if status != self.expect_status:
            return Outcome(self.name, False, f"exit status {status}, expected {self.expect_status}",
                           elapsed, log=log)
        err = check_output(out, self.expect, self.reject, self.checks)
        return Outcome(self.name, err is None, err or "", elapsed, log=log)


class TernRun(Test):
    """`tern run CONFIG` (or `-` with a raw bundle) and its checks."""

    def __init__(self, name, config="-", args=(), **kw):
        super().__init__(name, **kw)
        self.config, self.args = config, list(args)

    def command(self):
        return [TERN, "run", self.config, "--no-interactive",
                "--timeout", str(self.timeout)] + self.args


class Cli(Test):
    """Any command line (tern bundle, tern check, make iso, ...)."""

    def __init__(self, name, argv, **kw):
        super().__init__(name, **kw)
        self.argv = argv

    def command(self):
        return self.argv


def write_bundle(name, files):
    """A bundle file under build/tests/data from (name, bytes) pairs; returns its path."""
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, name)
    with open(path, "wb") as f:
        f.write(cpio.archive(files))
    return path


def write_file(name, data):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path

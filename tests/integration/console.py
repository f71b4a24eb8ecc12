"""Console input: a line typed on the serial line reaches the guest with
focus, with its notification, on every platform; on Tern, Ctrl-A three times
moves the focus from domain to domain and then to Tern's own keys."""
import os
import re
import sys
import time

from harness import LOGS, ROOT, Outcome, check_output

sys.path.insert(0, os.path.join(ROOT, "tools"))
from ternlib import bundle, native, paths, qemu, ternplat, xen  # noqa: E402

IMAGE = os.path.join(ROOT, "build", "guests", "tests", "console_input.elf")
CTRL_A3 = b"\x01\x01\x01"


class ConsoleGuest:
    """console_input on one platform, a word typed once it is ready."""

    def __init__(self, name, launch, pv=True, **kw):
        self.name, self.launch, self.pv, self.kw = name, launch, pv, kw

    def run(self):
        t0 = time.monotonic()
        res, rep = self.launch(IMAGE, "expect=hello secs=30", timeout=90,
                               feed=[("CONSOLE READY", b"hello\n")], **self.kw)
        os.makedirs(LOGS, exist_ok=True)
        log = os.path.join(LOGS, self.name.replace("/", "_") + ".log")
        with open(log, "w") as f:
            f.write(res.output)
        want = {"console.line": "PASS"}
        if self.pv:
            want["console.notified"] = "PASS"
        got = rep.check_map()
        ok = rep.verdict == "SUCCESS" and all(got.get(k) == v for k, v in want.items())
        detail = f"{rep.summary()}; checks {got}"
        return Outcome(self.name, ok, detail, time.monotonic() - t0, log=log)


class ConsoleFocus:
    """Two Tern domains and Tern's keys, all through one serial line."""
    name = "console/focus-switch"

    def run(self):
        t0 = time.monotonic()
        cfg = os.path.join(ROOT, "configs", "tests", "console-focus.cfg")
        os.makedirs(os.path.join(paths.BUILD, "tests", "data"), exist_ok=True)
        bpath = os.path.join(paths.BUILD, "tests", "data", "console-focus.cpio")
        bundle.build(cfg, bpath)
        args = qemu.base_args("microvm", 2, 256, "tcg", False) + ["-kernel", paths.HV_ELF,
                                                                  "-initrd", bpath]
        feed = [("[one] CONSOLE READY", b""),
                ("[two] CONSOLE READY", b"first\n" + CTRL_A3 + b"second\n" + CTRL_A3 + b"q")]
        res = qemu.run(args, 90, feed=feed)
        os.makedirs(LOGS, exist_ok=True)
        log = os.path.join(LOGS, "console_focus-switch.log")
        with open(log, "w") as f:
            f.write(res.output)
        err = check_output(res.output, expect=[
            r"^Tern: console input to domain 1 \(one\)",
            r"^Tern: console input to domain 2 \(two\)",
            r"^Tern: console input to Tern",
            r"^Tern: state at \d+ ms:",
        ], reject=[r"CHECK \S+ FAIL", r"CRASH"])
        for dom in ("one", "two"):
            for check in ("console.line", "console.notified", "console.debug_virq"):
                if not err and not re.search(rf"^\[{dom}\] CHECK {re.escape(check)} PASS", res.output, re.M):
                    err = f"domain {dom}: no passing {check}"
        if not err and res.hv_status != 0:
            err = f"hypervisor status {res.hv_status}, expected 0"
        return Outcome(self.name, err is None, err or "both domains got their line and VIRQ_DEBUG",
                       time.monotonic() - t0, log=log)


TESTS = [
    ConsoleGuest("console/xen-dom0", xen.run),
    ConsoleGuest("console/native", native.run, pv=False),
    ConsoleGuest("console/tern-initial", ternplat.run),
    ConsoleGuest("console/tern-guest", ternplat.run, role="guest"),
    ConsoleFocus(),
]

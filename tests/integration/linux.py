"""Debian's Linux 6.1 with the project's initramfs (guests/linux/), issue 11.

  linux/checks@native, @xen        the same kernel and initramfs as a plain VM and as
  linux/checks@native-2vcpu, ...   Xen's PV dom0, 256 MiB: every platform-independent
                                   CHECK passes (hypervisor.type on the PV platforms only)
  linux/checks@tern-run1..3        Linux as Tern's domU, 1 vCPU, three times in a row,
  linux/checks@tern-2vcpu          and once with 2 vCPUs: every CHECK passes, Tern
                                   reports the end as poweroff and every frame returned
  linux/crash@tern                 `echo c > /proc/sysrq-trigger` in the Linux domain:
                                   Tern reports that domain's crash with its last console
                                   lines and goes on serving a second domain
  linux/refuse/*                   broken kernel images refused with a clear message and
                                   a non-zero exit, never a hang

Every run also runs the linux_* benchmarks with a few iterations (tern.iters=20):
their warm-up checks are CHECK lines too; the figures are make bench's.
Logs: build/tests/logs/linux_*.log (the whole serial line).
"""
import os
import re
import struct
import sys
import threading
import time

from harness import DATA, LOGS, ROOT, TERN, Cli, Outcome, TernRun

sys.path.insert(0, os.path.join(ROOT, "tools"))
from ternlib import bzimage, linux  # noqa: E402

# What the initramfs checks (guests/linux/src/checks.c, bench.c).
CHECKS = ["init.mounts", "cpu.count", "cpu.each_runs", "proc.fork_exec_1000", "mm.churn_64m",
          "pipe.pingpong", "tmpfs.checksum_64m", "time.sleep_1s", "time.realtime"]
BENCH_CHECKS = ["bench.getppid", "bench.read1", "bench.fork_exit", "bench.fork_exec",
                "bench.pagefault", "bench.mmap1m", "bench.mprotect64k", "bench.pipe_rtt",
                "bench.ctxsw", "bench.signal"]
# Asks which platform it runs on: a plain VM has no hypervisor to name.
PV_ONLY = ["hypervisor.type"]
RUN = "checks+bench"
ITERS = 20
TIMEOUT = {"native": 300, "xen": 420, "tern": 600}


def expected_checks(platform):
    return CHECKS + BENCH_CHECKS + (PV_ONLY if platform != "native" else [])


class LinuxChecks:
    """One boot of Linux running the in-guest checks on one platform."""

    def __init__(self, name, platform, vcpus):
        self.name, self.platform, self.vcpus = name, platform, vcpus

    def run(self):
        t0 = time.monotonic()
        log = os.path.join(LOGS, self.name.replace("/", "_").replace("@", "_") + ".log")
        os.makedirs(LOGS, exist_ok=True)
        try:
            r = linux.run(self.platform, self.vcpus, RUN, iters=ITERS,
                          timeout=TIMEOUT[self.platform], log_path=log)
        except Exception as e:          # a launcher bug is this test's failure
            return Outcome(self.name, False, f"launcher failed: {e!r}", time.monotonic() - t0)
        problems = judge(r, expected_checks(self.platform))
        elapsed = time.monotonic() - t0
        if problems:
            detail = "; ".join(problems) + "\n" + where_it_failed(r)
            if self.platform == "tern":
                detail += (f"\n     (the whole boot log: tools/linux tern --vcpus {self.vcpus} "
                           f"--run {RUN} --iters {ITERS} --verbose)")
            return Outcome(self.name, False, detail, elapsed, log=log)
        extra = f", boot to user {r.boot_to_user:.1f} s" if r.boot_to_user else ""
        if self.platform == "tern":
            extra += f", {r.tern['frames_returned']} frames returned"
        return Outcome(self.name, True, f"{r.report.summary()}{extra}", elapsed, log=log)


OOPS = re.compile(r"BUG:|Oops:|general protection fault|Kernel panic|WARNING:|Unable to handle")


def where_it_failed(r):
    """The guest's first oops lines, if any, and its last console lines."""
    lines = r.guest_output.splitlines()
    out = []
    first = next((i for i, line in enumerate(lines) if OOPS.search(line)), None)
    if first is not None and first < len(lines) - 12:
        out.append("     first sign of trouble in the guest's console:")
        out += ["     | " + line for line in lines[first:first + 8]]
    out.append("     last console lines of the guest:")
    out += ["     | " + line for line in lines[-12:]]
    return "\n".join(out)


def judge(r, expected):
    """What is wrong with a run that should pass every expected check."""
    problems = []
    rep = r.report
    if r.boot_to_user is None:
        problems.append("never reached user space (no '" + linux.FIRST_LINE + "')")
    got = rep.check_map()
    missing = [c for c in expected if c not in got]
    failed = [f"{n} ({d})" for n, s, d in rep.checks if s == "FAIL"]
    extra = [c for c in got if c not in expected]
    if failed:
        problems.append("FAIL: " + "; ".join(failed))
    if not rep.checks:
        problems.append("no CHECK line at all")
    elif missing:
        problems.append(f"{len(missing)} checks never reported: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected checks: {', '.join(extra)}")
    if rep.verdict != "SUCCESS":
        problems.append(f"RESULT {rep.summary()}")
    problems += rep.problems
    if r.end != "poweroff":
        problems.append(f"ended {r.end}, expected poweroff")
    if r.platform == "tern":
        t = r.tern
        if t.get("end") and t["end"] != "poweroff":
            problems.append(f"Tern reports the end as {t['end']}")
        if "frames_returned" not in t:
            problems.append("no 'all N frames returned' report from Tern" +
                            (f" ({t['pages_leaked']} pages still referenced)" if "pages_leaked" in t else ""))
        if r.res.hv_status == 3:
            problems.append("the hypervisor crashed")
    return problems


# ---- the crash test: sysrq in the Linux domain, a companion domain beside it ----

CRASH_CFG = os.path.join(DATA, "linux-crash.cfg")
COMPANION_SECONDS = 45


def prepare_crash():
    linux.ensure_built()
    cmd = linux.cmdline("tern", 1, "crash")
    os.makedirs(DATA, exist_ok=True)
    src = linux.tern_config(cmd, 1, companion_seconds=COMPANION_SECONDS, tag="crash test")
    atomic_write(CRASH_CFG, open(src).read())


def crash_reported(out):
    """Linux's crash reported by Tern with its last console lines (the sysrq panic
    printed by the domain, its last lines in Tern's dump); the companion served
    after it and ended cleanly."""
    if not re.search(r"^\[linux\] ternlinux-crash: crashing the kernel on purpose", out, re.M):
        return "the Linux domain never reached the sysrq crash in its /init (rdinit=/bin/tl-crash)"
    m = re.search(r"^Tern: domain (\d+) \(linux\) ended: (\S+)", out, re.M)
    if not m:
        return "no 'Tern: domain N (linux) ended:' report"
    if m.group(2) not in ("crash", "crashed"):
        return f"Tern reports the Linux domain's end as {m.group(2)}, not a crash"
    end_pos = m.end()
    dump = re.search(r"^Tern: last console output of domain " + m.group(1) +
                     r" \(linux\):\n((?:  \|.*\n)+)", out, re.M)
    if not dump:
        return "Tern did not show the crashed domain's last console lines " \
               "('Tern: last console output of domain N (linux):' and '  | ' lines)"
    if not re.search(r"^\[linux\] .*Kernel panic - not syncing: sysrq triggered crash", out, re.M):
        return "the Linux domain's console does not show the sysrq panic"
    # The dump holds the domain's last lines (as many as Tern keeps).
    shown = [line[3:].strip() for line in dump.group(1).splitlines()]
    last = [line[len("[linux] "):].strip() for line in out[:m.start()].splitlines()
            if line.startswith("[linux] ") and line[len("[linux] "):].strip()][-3:]
    if len(shown) < 3 or any(not any(x[:100] in y or y[:100] in x for y in shown[-6:]) for x in last):
        return ("the console lines Tern showed are not the domain's last ones: "
                f"last lines {last!r}, shown {shown[-3:]!r}")
    after = out[end_pos:]
    if not re.search(r"^\[companion\] companion: alive after", after, re.M):
        return f"the companion printed nothing after the Linux domain ended (it runs {COMPANION_SECONDS} s)"
    if not re.search(r"^\[companion\] RESULT SUCCESS", out, re.M):
        return "the companion did not end with RESULT SUCCESS"
    if not re.search(r"^Tern: domain \d+ \(companion\) ended: (reboot|poweroff)", out, re.M):
        return "the companion did not end cleanly"
    return None


# ---- broken images ----

def atomic_write(path, data):
    """Tests run in parallel threads: write a private file, then rename it."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.replace(tmp, path)


TRUNC = os.path.join(DATA, "linux-truncated.bzImage")
NONOTES = os.path.join(DATA, "linux-without-xen-notes.elf")


def write_cfg(name, image, memory="256M"):
    path = os.path.join(DATA, name)
    atomic_write(path, f"# {name}: a broken Linux image (tests/integration/linux.py)\n"
                 f"[image linux]\nfile = {image}\n"
                 f"[domain linux]\nkernel = linux\nmemory = {memory}\ncmdline = \"console=hvc0\"\n")
    return path


def prepare_truncated():
    linux.ensure_built()
    os.makedirs(DATA, exist_ok=True)
    data = open(linux.KERNEL, "rb").read()
    atomic_write(TRUNC, data[:len(data) // 2])  # the setup header survives, the payload does not
    write_cfg("linux-truncated.cfg", TRUNC)


def strip_xen_notes(elf):
    """The kernel's ELF with every note named "Xen" renamed: a kernel without Xen notes."""
    b = bytearray(elf)
    phoff = struct.unpack_from("<Q", b, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
    renamed = 0
    for i in range(phnum):
        o = phoff + i * phentsize
        if struct.unpack_from("<I", b, o)[0] != 4:          # PT_NOTE
            continue
        off, _, _, size = struct.unpack_from("<QQQQ", b, o + 8)
        p = off
        while p + 12 <= off + size:
            namesz, descsz, _ = struct.unpack_from("<III", b, p)
            if b[p + 12:p + 12 + namesz] == b"Xen\0":
                b[p + 12:p + 15] = b"Nex"
                renamed += 1
            p += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    if not renamed:
        raise RuntimeError("the kernel has no Xen notes to strip")
    return bytes(b)


def prepare_nonotes():
    linux.ensure_built()
    os.makedirs(DATA, exist_ok=True)
    if not os.path.exists(NONOTES):
        elf = bzimage.extract_elf(open(linux.KERNEL, "rb").read(), linux.KERNEL)
        atomic_write(NONOTES, strip_xen_notes(elf))
    write_cfg("linux-without-xen-notes.cfg", NONOTES)


def prepare_too_big():
    linux.ensure_built()
    write_cfg("linux-larger-than-memory.cfg", linux.KERNEL, memory="32M")


TESTS = [
    LinuxChecks("linux/checks@native", "native", 1),
    LinuxChecks("linux/checks@native-2vcpu", "native", 2),
    LinuxChecks("linux/checks@xen", "xen", 1),
    LinuxChecks("linux/checks@xen-2vcpu", "xen", 2),
    LinuxChecks("linux/checks@tern-run1", "tern", 1),
    LinuxChecks("linux/checks@tern-run2", "tern", 1),
    LinuxChecks("linux/checks@tern-run3", "tern", 1),
    LinuxChecks("linux/checks@tern-2vcpu", "tern", 2),
    TernRun("linux/crash@tern", CRASH_CFG, ["--smp", "2"], expect_status=1, prepare=prepare_crash,
            checks=[crash_reported], reject=[r"TERN HYPERVISOR CRASH"], timeout=240),
    Cli("linux/refuse/truncated-bzimage-bundle",
        [TERN, "bundle", os.path.join(DATA, "linux-truncated.cfg"), "-o",
         os.path.join(DATA, "linux-truncated.cpio")],
        expect_status=1, prepare=prepare_truncated,
        expect=[r"image 'linux': .*linux-truncated\.bzImage: truncated bzImage"]),
    TernRun("linux/refuse/truncated-bzimage", os.path.join(DATA, "linux-truncated.cfg"),
            expect_status=2, prepare=prepare_truncated, timeout=60,
            expect=[r"image 'linux': .*truncated bzImage"], reject=[r"Tern hypervisor"]),
    TernRun("linux/refuse/elf-without-xen-notes", os.path.join(DATA, "linux-without-xen-notes.cfg"),
            expect_status=2, prepare=prepare_nonotes, timeout=120,
            expect=[r"domain 'linux'.*(no Xen (ELF )?notes|not a Xen PV kernel)",
                    r"^tern: hypervisor exit status 2"],
            reject=[r"^\[linux\] ", r"TERN HYPERVISOR CRASH"]),
    TernRun("linux/refuse/kernel-larger-than-memory", os.path.join(DATA, "linux-larger-than-memory.cfg"),
            expect_status=2, prepare=prepare_too_big, timeout=120,
            expect=[r"domain 'linux'.*kernel.*\b32 MiB", r"^tern: hypervisor exit status 2"],
            reject=[r"^\[linux\] ", r"TERN HYPERVISOR CRASH"]),
]

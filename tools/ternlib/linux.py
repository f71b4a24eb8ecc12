"""Debian's Linux 6.1 with the project's initramfs on the three platforms.

The same bzImage (build/linux/vmlinuz, fetched by tools/install-deps) and the
same initramfs (build/linux/initramfs.cpio.gz, guests/linux/), 256 MiB:

  native  a plain QEMU VM: microvm, -kernel bzImage -initrd, console=ttyS0
  xen     Debian's Xen 4.17 on QEMU pc, Linux as its PV dom0 (dom0_mem=256M):
          the kernel is the first module (its command line after the file
          name), the initramfs the second (after a comma)
  tern    Tern on QEMU microvm, Linux as the unprivileged domain "linux" of a
          generated system config (kernel + ramdisk images), console hvc0;
          optionally beside a second small domain (the crash test's companion)

The guest's orders go on its command line (guests/linux/README.md):
tern.run=checks+bench, tern.pv, tern.vcpus, tern.clock=icount|wall,
tern.iters; run "crash" boots the fork-free rdinit=/bin/tl-crash instead.
QEMU gets as many CPUs as the guest has vCPUs.

How each run ends: a plain VM's `poweroff -f` makes QEMU exit after the
kernel's "reboot: Power down"; Xen enters ACPI S5 and QEMU exits; Tern reports
"Tern: domain N (linux) ended: poweroff", audits the frames and leaves through
isa-debug-exit.  A kernel panic ends the run as "crashed" (QEMU is stopped
here on native, where the kernel would wait forever).
"""
import os
import re
import subprocess
import threading

from . import bundle, config, contract, paths, qemu, xen

KERNEL = os.path.join(paths.BUILD, "linux", "vmlinuz")
INITRAMFS = os.path.join(paths.BUILD, "linux", "initramfs.cpio.gz")
VERSION_FILE = os.path.join(paths.BUILD, "linux", "version")
COMPANION = os.path.join(paths.BUILD, "guests", "linux", "companion.elf")
TSC_KHZ_TOOL = os.path.join(paths.BUILD, "linux", "host", "tsc-khz")
MEM_MIB = 256
DOMAIN = "linux"
# The init's first line (guests/linux/init): linux_boot_to_user ends here.
FIRST_LINE = "ternlinux-init: user space reached"
PLATFORMS = ("native", "xen", "tern")

_tsc_khz = None


def version():
    """The kernel package and its version, e.g. "linux-image-6.1.0-56-amd64 6.1.192-2"."""
    try:
        with open(VERSION_FILE) as f:
            return f.read().strip()
    except OSError:
        return None


_built = threading.Lock()
_built_done = False


def ensure_built():
    """The kernel (tools/install-deps) and `make linux-guest`, once per process
    (tests call this from parallel threads)."""
    global _built_done
    with _built:
        if _built_done:
            return
        if not os.path.exists(KERNEL):
            paths.make("deps")
        paths.make("linux-guest")
        _built_done = True


def host_tsc_khz():
    """The host's TSC rate: a plain VM under TCG reads the host's TSC."""
    global _tsc_khz
    if _tsc_khz is None:
        out = subprocess.run([TSC_KHZ_TOOL], capture_output=True, text=True, check=True).stdout
        _tsc_khz = int(out.strip())
    return _tsc_khz


def cmdline(platform, vcpus=1, run="checks", icount=False, iters=None, quiet=True, extra=""):
    words = ["console=ttyS0" if platform == "native" else "console=hvc0"]
    if platform == "tern":
        words.append("earlyprintk=xen")      # what the kernel says before hvc0 exists
    if quiet:
        words.append("quiet")
    if platform == "native" and not icount:
        # Under TCG a plain VM reads the host's TSC.  Linux calibrates it
        # against the emulated PIT, which fails on a loaded host ("Unable to
        # calibrate against PIT") and the boot then hangs; and its clocksource
        # watchdog, comparing the TSC with late timer ticks, may throw the TSC
        # out for jiffies.  So the plain VM is told the host's rate and that
        # the TSC is reliable.  Under -icount the PIT and the TSC share virtual
        # time: nothing to tell.  (Xen and Tern give their guests a pvclock.)
        words += [f"tsc_early_khz={host_tsc_khz()}", "tsc=reliable"]
    if run == "crash":
        words.append("rdinit=/bin/tl-crash")    # writes c to /proc/sysrq-trigger, never forks
    words += [f"tern.run={run}", f"tern.pv={0 if platform == 'native' else 1}", f"tern.vcpus={vcpus}"]
    if icount:
        words.append("tern.clock=icount")
    if iters:
        words.append(f"tern.iters={iters}")
    if extra:
        words.append(extra)
    return " ".join(words)


# ---- the three platforms' QEMU command lines ----

def native_args(cmd, vcpus=1, icount=False):
    return qemu.base_args("microvm", vcpus, MEM_MIB, "tcg", icount) + [
        "-kernel", KERNEL, "-initrd", INITRAMFS, "-append", cmd]


def xen_cmdline(vcpus):
    return (f"console=com1 com1=115200,8n1 dom0_mem={MEM_MIB}M,max:{MEM_MIB}M "
            f"dom0_max_vcpus={vcpus}")


def xen_args(cmd, vcpus=1, icount=False):
    for p in (KERNEL, INITRAMFS, cmd):
        if "," in p:
            raise ValueError(f"QEMU splits -initrd at commas: {p!r} must not hold one")
    return [qemu.QEMU, "-machine", "pc", "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-smp", str(vcpus), "-m", "1024M"] + qemu.accel_args("tcg", icount) + [
        "-serial", "stdio", "-kernel", xen.XEN_ELF, "-append", xen_cmdline(vcpus),
        "-initrd", f"{KERNEL} {cmd},{INITRAMFS}"]


def tern_config(cmd, vcpus=1, companion_seconds=None, tag=""):
    """A system config for Linux as domain "linux" (and the companion); its path."""
    text = (f"# generated by tools/ternlib/linux.py{(' (' + tag + ')') if tag else ''}\n"
            f"[image linux]\nfile = {KERNEL}\n"
            f"[image initrd]\nfile = {INITRAMFS}\n")
    if companion_seconds:
        text += f"[image companion]\nfile = {COMPANION}\n"
    text += (f"[domain {DOMAIN}]\nkernel = linux\nramdisk = initrd\nmemory = {MEM_MIB}M\n"
             f"vcpus = {vcpus}\ncmdline = \"{cmd}\"\n")
    if companion_seconds:
        text += ("[domain companion]\nkernel = companion\nmemory = 32M\nvcpus = 1\n"
                 f"cmdline = \"seconds={companion_seconds}\"\n")
    return config.write_generated("linux", "linux", text)


def tern_host_mem_mib(domains_mib):
    """QEMU's memory for Tern: what `tools/tern run` gives a config."""
    return max(512, 256 + domains_mib + domains_mib // 8)


def tern_args(cfg_path, pcpus=1, icount=False, mem_mib=None, hv=None):
    out = cfg_path[:-4] + ".cpio"
    bundle.build(cfg_path, out)
    return qemu.base_args("microvm", pcpus, mem_mib or tern_host_mem_mib(MEM_MIB), "tcg", icount) + [
        "-kernel", hv or paths.HV_ELF, "-initrd", out]


# ---- one run ----

class Run:
    """What one boot of Linux produced."""

    def __init__(self, platform, vcpus):
        self.platform, self.vcpus = platform, vcpus
        self.res = None             # qemu.Result
        self.report = None          # contract.Report of the guest's lines
        self.end = None             # "poweroff", "crashed", "timeout", "no-end", ...
        self.boot_to_user = None    # s from QEMU start to FIRST_LINE
        self.guest_output = ""      # the guest's console (Tern: the "[linux] " lines)
        self.tern = {}              # Tern's reports: end, frames, counters, domain id
        self.args = []

    @property
    def output(self):
        return self.res.output if self.res else ""


_PANIC = ("---[ end Kernel panic",)


def _guest_lines(output, name=DOMAIN):
    prefix = f"[{name}] "
    return "\n".join(line[len(prefix):] for line in output.splitlines() if line.startswith(prefix))


def _tern_reports(output, name=DOMAIN):
    t = {}
    m = re.search(rf"^Tern: domain (\d+) \({re.escape(name)}\) ended: (\S+)", output, re.M)
    if m:
        t["domain"], t["end"] = int(m.group(1)), m.group(2)
    m = re.search(rf"^Tern: domain \d+ \({re.escape(name)}\): all (\d+) frames returned", output, re.M)
    if m:
        t["frames_returned"] = int(m.group(1))
    m = re.search(rf"^Tern: domain \d+ \({re.escape(name)}\): (\d+) pages still referenced", output, re.M)
    if m:
        t["pages_leaked"] = int(m.group(1))
    m = re.search(rf"^Tern: domain \d+ \({re.escape(name)}\) counters: (.*)$", output, re.M)
    if m:
        t["counters"] = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return t


def run(platform, vcpus=1, run="checks", icount=False, iters=None, timeout=600, quiet=True,
        log_path=None, echo=False, hv=None):
    """Boot Linux on platform and wait for its end; returns a Run.
    hv: Tern's ELF (default build/hv/tern.elf, built first)."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    ensure_built()
    r = Run(platform, vcpus)
    cmd = cmdline(platform, vcpus, run, icount, iters, quiet)
    if platform == "native":
        r.args = native_args(cmd, vcpus, icount)
        stop = _PANIC
    elif platform == "xen":
        if not os.path.exists(xen.XEN_ELF):
            paths.make("deps")
        r.args = xen_args(cmd, vcpus, icount)
        stop = tuple(xen.END_LINES) + _PANIC
    else:
        if not hv:
            paths.make(paths.rel(paths.HV_ELF))
        r.args = tern_args(tern_config(cmd, vcpus), vcpus, icount, hv=hv)
        stop = None
    r.res = qemu.run(r.args, timeout, echo=echo, stop_on=stop, log_path=log_path)
    out = r.res.output
    r.guest_output = _guest_lines(out) if platform == "tern" else out
    r.report = contract.parse(r.guest_output)
    r.report.platform = platform
    r.boot_to_user = r.res.first_time(FIRST_LINE)
    if platform == "tern":
        r.tern = _tern_reports(out)
    r.end = _end(r)
    r.report.end = "clean" if r.end == "poweroff" else r.end
    return r


def _end(r):
    out = r.output
    if r.res.timed_out:
        return "timeout"
    if r.platform == "tern":
        e = r.tern.get("end")
        if e:
            return "crashed" if e in ("crash", "crashed") else e
        if r.res.hv_status == 3:
            return "hypervisor-crash"
        return "no-end"
    if "Kernel panic - not syncing" in out:
        return "crashed"
    if r.platform == "xen":
        if "Hardware Dom0 crashed" in out:
            return "crashed"
        if "Entering ACPI S5 state" in out or "Hardware Dom0 halted" in out:
            return "poweroff"
        if "Hardware Dom0 shutdown: rebooting" in out:
            return "reboot"
        return "no-end"
    if "reboot: Power down" in out and r.res.exit_code is not None:
        return "poweroff"
    return "no-end"


def tail(text, n=25):
    return "\n".join(text.splitlines()[-n:])

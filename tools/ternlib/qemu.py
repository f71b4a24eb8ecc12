"""Launching QEMU for every platform Tern is measured on.

  tern    the hypervisor (build/hv/tern.elf) on QEMU microvm (PVH -kernel) or
          pc (GRUB ISO), the boot bundle as the module
  xen     Debian's Xen 4.17 on QEMU pc, a guest image as its dom0 (xen.py)
  native  a guest image booted bare on QEMU microvm (PVH)

The accelerator is TCG unless the CPU has hardware virtualization (vmx/svm in
/proc/cpuinfo) and /dev/kvm can create a vCPU: these machines' /dev/kvm opens
but emulates, ~1000x slower than TCG (ARCHITECTURE.md, decision 9).
"""
import fcntl
import os
import select
import signal
import subprocess
import sys
import time

QEMU = "qemu-system-x86_64"
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"]

_accel_cache = None


def detect_accel():
    """Return (accel, reason)."""
    global _accel_cache
    if _accel_cache:
        return _accel_cache
    flags = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = line
                break
    except OSError:
        pass
    words = flags.split()
    if "vmx" not in words and "svm" not in words:
        _accel_cache = ("tcg", "no vmx/svm in /proc/cpuinfo: hardware virtualization absent")
        return _accel_cache
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        try:
            KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CREATE_VCPU = 0xAE00, 0xAE01, 0xAE41
            if fcntl.ioctl(fd, KVM_GET_API_VERSION, 0) != 12:
                raise OSError("unexpected KVM API version")
            vm = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
            vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
            os.close(vcpu)
            os.close(vm)
        finally:
            os.close(fd)
    except OSError as e:
        _accel_cache = ("tcg", f"/dev/kvm cannot run a vCPU ({e})")
        return _accel_cache
    _accel_cache = ("kvm", "vmx/svm present and /dev/kvm runs a vCPU")
    return _accel_cache


def accel_args(accel, icount=False):
    if accel == "kvm":
        if icount:
            raise ValueError("-icount needs TCG")
        return ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
    args = ["-accel", "tcg", "-cpu", "max,-smap"]
    if icount:
        args += ["-icount", "shift=0,sleep=off"]
    return args


def base_args(machine, smp, mem_mib, accel, icount, serial="stdio"):
    args = [QEMU, "-M", machine, "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-smp", str(smp), "-m", f"{mem_mib}M"]
    args += accel_args(accel, icount)
    if serial:
        args += ["-serial", serial]
    return args + DEBUG_EXIT


class Result:
    """What a QEMU run produced."""

    def __init__(self):
        self.lines = []             # (seconds since start, line)
        self.exit_code = None       # QEMU's exit status
        self.timed_out = False
        self.elapsed = 0.0
        self.stopped_at = None      # the line that made us stop QEMU, if any

    @property
    def output(self):
        """Everything the serial line printed, one "\n" per line."""
        return "".join(text + "\n" for _, text in self.lines)

    @property
    def hv_status(self):
        """The status the hypervisor wrote to isa-debug-exit, or None."""
        if self.exit_code is not None and self.exit_code > 0 and self.exit_code & 1:
            return self.exit_code >> 1
        return None

    def first_time(self, needle):
        for t, line in self.lines:
            if needle in line:
                return t
        return None


def _type(proc, data):
    """Type data on the serial line, a character at a time as a person would
    (a UART takes one byte per interrupt; QEMU buffers little)."""
    try:
        for b in data:
            proc.stdin.write(bytes([b]))
            proc.stdin.flush()
            time.sleep(0.02)
    except (BrokenPipeError, OSError):
        pass


def run(args, timeout, echo=False, stop_on=None, stdin_tty=False, log_path=None, feed=None):
    """Run QEMU, collect serial output with timestamps, enforce the timeout.

    stop_on: substrings; when a line contains one, QEMU is stopped (for
    platforms that halt without exiting, such as Xen after a dom0 poweroff).
    feed: [(substring, bytes)], typed on the serial line in order, each once a
    line containing its substring has appeared (at any time before).
    """
    res = Result()
    t0 = time.monotonic()
    if stdin_tty:
        proc = subprocess.Popen(args)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            res.timed_out = True
            proc.kill()
            proc.wait()
        res.exit_code = proc.returncode
        res.elapsed = time.monotonic() - t0
        return res
    feed = list(feed or [])
    typed_after = []                # the lines feed's triggers are looked for in
    proc = subprocess.Popen(args, stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    buf = b""
    log = open(log_path, "wb") if log_path else None
    fd = proc.stdout.fileno()
    try:
        while True:
            remaining = timeout - (time.monotonic() - t0)
            if remaining <= 0:
                res.timed_out = True
                break
            r, _, _ = select.select([fd], [], [], min(remaining, 0.5))
            if not r:
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            now = time.monotonic() - t0
            if log:
                log.write(chunk)
                log.flush()
            if echo:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            # Linear in the output: the reader must keep up with a guest that
            # prints fast, or QEMU's serial line backs up.
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for line in complete:
                text = line.decode("utf-8", "replace").rstrip("\r")
                res.lines.append((now, text))
                if stop_on and not res.stopped_at and any(s in text for s in stop_on):
                    res.stopped_at = text
                if feed:
                    typed_after.append(text)
            while feed and any(feed[0][0] in t for t in typed_after):
                _type(proc, feed.pop(0)[1])
            if res.stopped_at:
                break
    finally:
        if buf:
            text = buf.decode("utf-8", "replace").rstrip("\r")
            res.lines.append((time.monotonic() - t0, text))
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        if log:
            log.close()
    res.exit_code = proc.returncode
    res.elapsed = time.monotonic() - t0
    return res

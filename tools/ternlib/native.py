"""The native platform: a guest image booted bare as a plain QEMU VM.

microvm loads the ELF through its PVH note (-kernel), the guest's command line
comes from -append, and the guest ends by writing isa-debug-exit (port 0xf4):
0 for a clean end, 1 for a crash, so QEMU exits with 1 or 3.
"""
from . import contract, qemu


def args(image, cmdline="", icount=False, mem_mib=128, vcpus=1):
    a = qemu.base_args("microvm", vcpus, mem_mib, "tcg", icount) + ["-kernel", image]
    if cmdline:
        a += ["-append", cmdline]
    return a


def run(image, cmdline="", icount=False, timeout=60, echo=False, log_path=None, feed=None,
        vcpus=1, pcpus=None):
    """Boot image natively with vcpus CPUs (pcpus, a hypervisor's, means
    nothing here); returns (qemu.Result, contract.Report)."""
    res = qemu.run(args(image, cmdline, icount, vcpus=vcpus), timeout, echo=echo, log_path=log_path,
                   feed=feed)
    rep = contract.parse(res.output)
    rep.platform = "native"
    if res.timed_out:
        rep.end = "timeout"
    else:
        rep.end = {0: "clean", 1: "crashed"}.get(res.hv_status, "no-end")
    return res, rep

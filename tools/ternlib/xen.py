"""Debian's Xen 4.17 as a reference platform: a guest image as Xen's dom0.

QEMU runs build/xen/xen.elf (unpacked by tools/install-deps, never installed)
on the pc machine (../shared/research/xen-and-qemu-here.md): the guest is the
first -initrd module, its command line follows the file name.  A dom0 that
ends with SCHEDOP_shutdown(reboot) makes Xen reset the machine and QEMU exit
(-no-reboot); a poweroff or a crash leaves Xen halted, so the serial log is
watched for Xen's end line and QEMU is stopped here, always under a timeout.
"""
import os

from . import contract, paths, qemu

XEN_ELF = os.path.join(paths.BUILD, "xen", "xen.elf")
XEN_VERSION_FILE = os.path.join(paths.BUILD, "xen", "version")
XEN_CMDLINE = "console=com1 com1=115200,8n1 dom0_mem=128M,max:128M dom0_max_vcpus=1"
# Xen's lines when dom0 ends, and what they mean for the guest.
END_LINES = {
    "Hardware Dom0 shutdown: rebooting": "clean",
    "Hardware Dom0 halted": "clean",
    "Hardware Dom0 crashed": "crashed",
}


def version():
    try:
        with open(XEN_VERSION_FILE) as f:
            return f.read().strip()
    except OSError:
        return None


def xen_cmdline_for(vcpus=1, pcpus=None):
    """Xen's command line for a dom0 of vcpus vCPUs on pcpus physical CPUs:
    dom0_max_vcpus=N (Xen gives dom0 exactly N even on fewer CPUs), and
    dom0_vcpus_pin (vCPU i on CPU i) when each vCPU has a CPU of its own."""
    if vcpus == 1:
        return XEN_CMDLINE
    line = XEN_CMDLINE.replace("dom0_max_vcpus=1", f"dom0_max_vcpus={vcpus}")
    if vcpus <= (pcpus or 1):
        line += " dom0_vcpus_pin"
    return line


def args(image, cmdline="", icount=False, xen_cmdline=None, mem_mib=1024, vcpus=1, pcpus=None):
    """vcpus: dom0's vCPUs; pcpus: QEMU's CPUs (default 1)."""
    xen_cmdline = xen_cmdline or xen_cmdline_for(vcpus, pcpus)
    if "," in image or "," in cmdline:
        raise ValueError("QEMU splits -initrd at commas: the image path and the "
                         "guest command line must not contain one")
    a = [qemu.QEMU, "-machine", "pc", "-nodefaults", "-no-user-config", "-display", "none",
         "-no-reboot", "-smp", str(pcpus or 1), "-m", f"{mem_mib}M"] + qemu.accel_args("tcg", icount)
    module = image + (" " + cmdline if cmdline else "")
    return a + ["-serial", "stdio", "-kernel", XEN_ELF, "-append", xen_cmdline, "-initrd", module]


def run(image, cmdline="", icount=False, timeout=120, echo=False, log_path=None, feed=None,
        vcpus=1, pcpus=None):
    """Boot image as dom0 (vcpus vCPUs on pcpus CPUs); returns (qemu.Result, contract.Report)."""
    if not os.path.exists(XEN_ELF):
        paths.make("deps")
    res = qemu.run(args(image, cmdline, icount, vcpus=vcpus, pcpus=pcpus), timeout, echo=echo,
                   stop_on=list(END_LINES), log_path=log_path, feed=feed)
    rep = contract.parse(res.output)
    rep.platform = "xen"
    rep.end = end_of(res)
    return res, rep


def end_of(res):
    if res.timed_out:
        return "timeout"
    for _, line in res.lines:
        for needle, end in END_LINES.items():
            if needle in line:
                return end
    return "no-end"

"""The benchmarks behind `make bench` (../shared/BENCHMARKS.md).

Each benchmark is a function returning result records:
  {"bench", "platform", "accel", "unit", "median", "p99", "runs",
   "instructions", "events"}
"""
import datetime
import os
import platform
import statistics
import subprocess

from . import paths, qemu


def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def record(bench, plat, unit, values, accel="tcg", instructions=None, events=None):
    return {"bench": bench, "platform": plat, "accel": accel, "unit": unit,
            "median": statistics.median(values) if values else None,
            "p99": percentile(values, 99), "runs": len(values),
            "instructions": instructions, "events": events or {}}


def machine_info():
    def cmd(args):
        try:
            return subprocess.run(args, capture_output=True, text=True).stdout.strip()
        except OSError:
            return None
    cpu = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    xen_version = None
    vpath = os.path.join(paths.BUILD, "xen", "version")
    if os.path.exists(vpath):
        xen_version = open(vpath).read().strip()
    accel, why = qemu.detect_accel()
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(),
            "kernel": platform.release(), "qemu": (cmd([qemu.QEMU, "--version"]) or "").splitlines()[0],
            "accel": accel, "accel_reason": why, "xen": xen_version,
            "commit": cmd(["git", "-C", paths.ROOT, "rev-parse", "--short", "HEAD"])}


def _default_bundle():
    from . import bundle
    out = os.path.join(paths.BUILD, "bench", "default.cpio")
    bundle.build(os.path.join(paths.ROOT, "configs", "default.cfg"), out)
    return out


def boot_to_banner(runs=None):
    """QEMU start -> the hypervisor's banner line, ms (wall, TCG)."""
    runs = runs or 20
    paths.make(paths.rel(paths.HV_ELF))
    bundle_path = _default_bundle()
    args = qemu.base_args("microvm", 1, 512, "tcg", False) + ["-kernel", paths.HV_ELF,
                                                              "-initrd", bundle_path]
    paths.make("build/tools/floor.elf")
    floor_args = qemu.base_args("microvm", 1, 512, "tcg", False) + [
        "-kernel", os.path.join(paths.BUILD, "tools", "floor.elf")]
    ms, boot_ms, floor_ms = [], [], []
    for _ in range(runs):
        # Interleave with the floor kernel, so that both see the same machine load.
        res = qemu.run(floor_args, 30)
        t = res.first_time("X")
        if t is not None:
            floor_ms.append(t * 1000)
        res = qemu.run(args, 30)
        t = res.first_time("Tern hypervisor")
        if t is not None:
            ms.append(t * 1000)
        t2 = res.first_time("Tern: boot complete")
        if t2 is not None:
            boot_ms.append(t2 * 1000)
    med = lambda v: round(statistics.median(v), 1) if v else None  # noqa: E731
    return [record("boot_to_banner", "tern", "ms", ms,
                   events={"qemu_floor_ms": med(floor_ms), "boot_complete_ms": med(boot_ms)})]


def hv_image_kib(runs=None):
    """Hypervisor text + data, KiB (from the ELF's sections)."""
    paths.make(paths.rel(paths.HV_ELF))
    out = subprocess.run(["size", "-A", paths.HV_ELF], capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("."):
            sizes[parts[0]] = int(parts[1])
    text = sizes.get(".text", 0) + sizes.get(".rodata", 0) + sizes.get(".note", 0)
    data = sizes.get(".data", 0)
    kib = round((text + data) / 1024, 1)
    r = record("hv_image_kib", "tern", "KiB", [kib])
    r["events"] = {"text_kib": round(text / 1024, 1), "data_kib": round(data / 1024, 1),
                   "bss_kib": round(sizes.get(".bss", 0) / 1024, 1),
                   "symbols_kib": round(sizes.get(".tern_syms", 0) / 1024, 1),
                   "file_kib": round(os.path.getsize(paths.HV_ELF) / 1024, 1)}
    return [r]


ALL = [
    ("boot_to_banner", boot_to_banner),
    ("hv_image_kib", hv_image_kib),
]

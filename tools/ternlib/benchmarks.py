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


# ---- guest benchmarks (guests/bench/NAME) on tern, xen and native ----
#
# Each guest is booted four times: under -icount shift=0,sleep=off (the TSC
# counts instructions: "instructions" of the record) and under plain TCG with
# the command line "wall" (wall-clock median/p99 in ns), on Xen as dom0 and
# natively.  A platform whose run says RESULT SKIP (meta: expect native: SKIP)
# has no counterpart and gets no record.

# The Xen column of ../shared/BENCHMARKS.md: what our Xen figures must
# reproduce within 5% (the calibration of the harness).
XEN_TABLE = {
    "hypercall_null": 275, "hypercall_null_page": 281, "exception_roundtrip": 716,
    "exception_roundtrip_int3": 652, "syscall_roundtrip": 697, "mmu_update_b1": 1113,
    "mmu_update_b16": 727, "mmu_update_b512": 702, "update_va_mapping": 1006,
    "as_switch": 1054, "pt_pin_unpin": 18866, "evtchn_self": 948, "timer_latency": 1026,
    "sched_yield": 2019, "grant_copy": 1736, "grant_map_unmap": 2765,
}


def _guest_bench_run(plat, image, cmdline, icount):
    from . import native, ternplat, xen
    mod = {"xen": xen, "native": native, "tern": ternplat}[plat]
    timeout = 900 if plat == "xen" else 600
    res, rep = mod.run(image, cmdline, icount=icount, timeout=timeout)
    if plat == "tern":
        rep.counters = _tern_counters(res.output)
    return rep


def _tern_counters(output):
    """Tern prints a guest's hypervisor counters when it ends (domain.c)."""
    import re
    m = re.search(r"^Tern: domain \d+ \(guest\) counters: (.*)$", output, re.M)
    if not m:
        return {}
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def guest_bench(guest):
    """A benchmark function for guests/bench/<guest>."""
    def fn(runs=None):
        from . import contract
        paths.make(f"build/guests/bench/{guest}.elf")
        image = os.path.join(paths.BUILD, "guests", "bench", f"{guest}.elf")
        meta = contract.load_meta(os.path.join(paths.ROOT, "guests", "bench", guest, "meta"))
        extra = f" iters={runs}" if runs else ""
        records = []
        for plat in [p for p in meta.platforms if p in ("tern", "xen", "native")]:
            ic = _guest_bench_run(plat, image, extra.strip(), True)
            if ic.verdict == "SKIP":
                continue
            wall = _guest_bench_run(plat, image, ("wall" + extra), False)
            by_name = {r["bench"]: r for r in wall.bench}
            ok = ic.verdict == "SUCCESS" and wall.verdict == "SUCCESS"
            for r in ic.bench:
                w = by_name.get(r["bench"], {})
                rec = {"bench": r["bench"], "platform": plat, "accel": "tcg", "unit": "ns",
                       "median": w.get("median"), "p99": w.get("p99"), "runs": w.get("runs"),
                       "instructions": r["median"],
                       "instructions_p99": r["p99"], "instructions_min": r["min"],
                       "instructions_runs": r["runs"], "empty_pair": r.get("empty_pair"),
                       "events": r.get("events") or {}}
                if plat == "xen" and r["bench"] in XEN_TABLE:
                    ref = XEN_TABLE[r["bench"]]
                    rec["calibration"] = {"table": ref, "ratio": round(r["median"] / ref, 3),
                                          "within_5pct": abs(r["median"] - ref) <= 0.05 * ref}
                if not ok:
                    rec["error"] = (f"icount run: {ic.summary()} ({ic.end}); "
                                    f"wall run: {wall.summary()} ({wall.end})")
                records.append(rec)
            if not ic.bench:
                records.append({"bench": guest, "platform": plat, "accel": "tcg", "unit": "ns",
                                "median": None, "p99": None, "runs": 0, "instructions": None,
                                "events": {}, "error": f"no BENCH lines: {ic.summary()} ({ic.end})"})
        return records
    fn.__doc__ = f"guests/bench/{guest} on tern, xen and native (instructions and wall clock)"
    return fn


# Most important first (BENCHMARKS.md order); guests not listed follow by name.
_ORDER = ["hypercall_null", "exception_roundtrip", "syscall_roundtrip", "mmu_update",
          "update_va_mapping", "as_switch", "pt_pin_unpin", "evtchn_self", "timer_latency",
          "sched_yield", "grant"]


def _guest_bench_names():
    import glob
    names = [os.path.basename(os.path.dirname(p))
             for p in glob.glob(os.path.join(paths.ROOT, "guests", "bench", "*", "meta"))]
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


ALL += [(g, guest_bench(g)) for g in _guest_bench_names()]

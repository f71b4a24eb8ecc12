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
    from . import linux
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(),
            "kernel": platform.release(), "qemu": (cmd([qemu.QEMU, "--version"]) or "").splitlines()[0],
            "accel": accel, "accel_reason": why, "xen": xen_version,
            # The guest kernel of the linux_* benchmarks (Debian's package and version).
            "linux": linux.version(),
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


def _guest_bench_run(plat, image, cmdline, icount, topology=None):
    from . import native, ternplat, xen
    mod = {"xen": xen, "native": native, "tern": ternplat}[plat]
    timeout = 900 if plat == "xen" else 600
    # topology: the meta's vcpus/pcpus, as tests/integration/guests.py passes them.
    res, rep = mod.run(image, cmdline, icount=icount, timeout=timeout, **(topology or {}))
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
            ic = _guest_bench_run(plat, image, extra.strip(), True, meta.topology())
            if ic.verdict == "SKIP":
                continue
            wall = _guest_bench_run(plat, image, ("wall" + extra), False, meta.topology())
            by_name = {r["bench"]: r for r in wall.bench}
            ok = ic.verdict == "SUCCESS" and wall.verdict == "SUCCESS"
            for r in ic.bench:
                w = by_name.get(r["bench"], {})
                rec = {"bench": r["bench"], "platform": plat, "accel": "tcg", "unit": "ns",
                       "median": w.get("median"), "p99": w.get("p99"), "max": w.get("max"),
                       "runs": w.get("runs"), "instructions": r["median"],
                       "instructions_p99": r["p99"], "instructions_min": r["min"],
                       "instructions_max": r.get("max"),
                       "instructions_runs": r["runs"], "empty_pair": r.get("empty_pair"),
                       "events": r.get("events") or {}}
                if meta.vcpus > 1:
                    # Several CPUs (ipi_rtt): under -icount the CPUs run in turn and
                    # the TSC is virtual time of all of them (ARCHITECTURE.md, Measuring).
                    rec.update({"cpus": meta.vcpus, "virtual_ns": r["median"],
                                "note": f"across {meta.vcpus} CPUs: virtual ns of all of them under "
                                        "-icount (their instructions, hypervisor included), not one "
                                        "path's length"})
                    if plat != "native":
                        rec["pcpus"] = meta.pcpus
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


# Two-domain benchmarks (evtchn_rtt_local, evtchn_rtt_remote, domain_switch):
# their guests run from configs/bench/ (tools/ternlib/xdomain.py), not alone.
from . import xdomain  # noqa: E402

ALL += [(g, guest_bench(g)) for g in _guest_bench_names() if g not in xdomain.BENCH_GUESTS]
ALL += xdomain.BENCHES


# ---- Linux (guests/linux): Debian's kernel + the project's initramfs ----
#
# linux_boot_to_user (QEMU start -> the init's first line, s, wall, median of
# 3 boots) and the linux_* micro-benchmarks of ../shared/BENCHMARKS.md on
# tern (Linux as a domU), xen (as Xen's PV dom0) and native (a plain microvm
# VM), 1 vCPU and 256 MiB everywhere (tools/ternlib/linux.py).  Each platform
# boots once under -icount shift=0,sleep=off (tern.clock=icount: the
# "instructions" of the records; deterministic, so these boots run two at a
# time) and three times under plain TCG (the boot figure, and wall-clock
# microseconds: the median of the three boots' medians), one QEMU at a time,
# the platforms interleaved so that all see the same machine load.

LINUX_BENCHES = ["linux_getppid", "linux_read1", "linux_fork_exit", "linux_fork_exec",
                 "linux_pagefault", "linux_mmap1m", "linux_mprotect64k", "linux_pipe_rtt",
                 "linux_ctxsw", "linux_signal"]
# BENCHMARKS.md's Xen PV and native columns (instructions; boot in s), for comparison.
LINUX_TABLE = {
    "linux_boot_to_user": {"xen": 10.3, "native": 5.8},
    "linux_getppid": {"xen": 997, "native": 339}, "linux_read1": {"xen": 1328, "native": 670},
    "linux_fork_exit": {"xen": 732000, "native": 263000},
    "linux_fork_exec": {"xen": 1350000, "native": 458000},
    "linux_pagefault": {"xen": 9186, "native": 6372},
    "linux_mmap1m": {"xen": 3390000, "native": 2020000},
    "linux_mprotect64k": {"xen": 69900, "native": 11716},
    "linux_pipe_rtt": {"xen": 23742, "native": 13002}, "linux_ctxsw": {"xen": 11738, "native": 6933},
    "linux_signal": {"xen": 5623, "native": 4266},
}
LINUX_BOOTS = 3


def _linux_error(r):
    """Why a Linux benchmark boot gave no figures (its last lines), or None."""
    if r.report.verdict == "SUCCESS" and r.end == "poweroff":
        return None
    from . import linux
    return (f"RESULT {r.report.summary()}, ended {r.end}; last lines: "
            + " | ".join(linux.tail(r.guest_output, 6).splitlines()))


def linux_bench(runs=None):
    """linux_boot_to_user and the linux_* micro-benchmarks on tern, xen and native."""
    import concurrent.futures
    from . import linux
    linux.ensure_built()
    paths.make(paths.rel(paths.HV_ELF))
    logdir = os.path.join(paths.BUILD, "bench", "linux")
    os.makedirs(logdir, exist_ok=True)

    def boot(plat, icount, n=0):
        kind = "icount" if icount else f"wall{n}"
        return linux.run(plat, 1, "bench", icount=icount, iters=runs, timeout=1800,
                         log_path=os.path.join(logdir, f"{plat}-{kind}.log"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        futs = {p: ex.submit(boot, p, True) for p in linux.PLATFORMS}
        icount = {p: f.result() for p, f in futs.items()}
    wall = {p: [] for p in linux.PLATFORMS}
    for n in range(LINUX_BOOTS):
        for p in linux.PLATFORMS:
            wall[p].append(boot(p, False, n))

    records = []
    for p in linux.PLATFORMS:
        boots = [r.boot_to_user for r in wall[p] if r.boot_to_user is not None]
        rec = record("linux_boot_to_user", p, "s", [round(b, 3) for b in boots],
                     events={"boots_s": [round(b, 3) if b is not None else None
                                         for b in (r.boot_to_user for r in wall[p])],
                             "icount_boot_s": icount[p].boot_to_user and round(icount[p].boot_to_user, 3)})
        if p == "tern" and wall[p] and wall[p][0].tern.get("counters"):
            rec["events"]["run_counters"] = wall[p][0].tern["counters"]   # a whole boot's
        if len(boots) < LINUX_BOOTS:
            rec["error"] = f"{LINUX_BOOTS - len(boots)} of {LINUX_BOOTS} boots never reached user space"
        rec["table"] = LINUX_TABLE["linux_boot_to_user"]
        records.append(rec)
        for name in LINUX_BENCHES:
            ic = next((b for b in icount[p].report.bench if b.get("bench") == name), None)
            ws = [b for r in wall[p] for b in r.report.bench if b.get("bench") == name]
            med = lambda key: round(statistics.median(w[key] for w in ws), 3) if ws else None  # noqa: E731
            rec = {"bench": name, "platform": p, "accel": "tcg", "unit": "us",
                   "median": med("median"), "p99": med("p99"),
                   "runs": sum(w["runs"] for w in ws) if ws else 0,
                   "instructions": ic and ic["median"],
                   "instructions_p99": ic and ic["p99"], "instructions_min": ic and ic["min"],
                   "instructions_runs": ic and ic["runs"], "empty_pair": ic and ic["empty_pair"],
                   "per_op": ic["per_op"] if ic else None, "boots": len(ws), "events": {},
                   "table": LINUX_TABLE[name]}
            errs = [e for e in [_linux_error(icount[p])] + [_linux_error(r) for r in wall[p]] if e]
            if errs and (ic is None or len(ws) < LINUX_BOOTS):
                rec["error"] = errs[0]
            records.append(rec)
    # Tern beside the others: instructions where there are some, the boot in s.
    by = {(r["bench"], r["platform"]): r for r in records}
    for (name, plat), r in by.items():
        if plat != "tern":
            continue
        key = "median" if name == "linux_boot_to_user" else "instructions"
        ratios = {}
        for other in ("xen", "native"):
            o = by.get((name, other))
            if r.get(key) and o and o.get(key):
                ratios[f"tern/{other}"] = round(r[key] / o[key], 3)
        r["ratios"] = ratios
    return records


ALL.append(("linux", linux_bench))

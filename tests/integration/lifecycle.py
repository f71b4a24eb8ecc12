"""Domain lifecycle: a domain that ends holding everything is taken apart
completely, and a domain built again 1000 times leaves no trace."""
import re

import os

from harness import TernRun, write_file, ROOT

RESTARTS = 1000


def steady_resources(out):
    """Every end returned all frames; free frames and heap never drift."""
    ends = re.findall(r"^Tern: domain 1 \(cycler\): all (\d+) frames returned, (\d+) frames free, "
                      r"heap (\d+) bytes$", out, re.M)
    if len(ends) != RESTARTS + 1:
        return f"{len(ends)} complete ends reported, expected {RESTARTS + 1}"
    first = ends[0]
    for i, e in enumerate(ends):
        if e != first:
            return (f"end {i}: {e[0]} frames returned, {e[1]} free, heap {e[2]} bytes; "
                    f"the first end: {first[0]}, {first[1]}, {first[2]}")
    passes = len(re.findall(r"^\[cycler\] RESULT SUCCESS", out, re.M))
    if passes != RESTARTS + 1:
        return f"{passes} runs passed, expected {RESTARTS + 1}"
    return None


TESTS = [
    TernRun("lifecycle/restart-1000", "configs/tests/lifecycle.cfg", ["--smp", "2"], timeout=300,
            expect=[rf"^Tern: restarting domain 1 \(cycler\), restart 1 of {RESTARTS}$",
                    rf"^Tern: restarting domain 1 \(cycler\), restart {RESTARTS} of {RESTARTS}$",
                    r"^Tern: all domains have ended$", r"^Tern: leaving with status 0"],
            reject=[r"still referenced", r"could not be restarted", r"CHECK \S+ FAIL", r"CRASH"],
            checks=[steady_resources]),
]


def restart_config(name, image, restarts):
    """A one-domain config for image (a test guest) allowed restarts restarts."""
    elf = os.path.join(ROOT, "build/guests/tests", image + ".elf")
    return write_file(f"{name}.cfg", f"[image i]\nfile = {elf}\n\n[domain g]\nkernel = i\n"
                                     f"memory = 4M\nrestarts = {restarts}\n")


TESTS += [
    # A crash is not a reboot: the domain stays down, the run is unclean.
    TernRun("lifecycle/crash-not-restarted", restart_config("restart-crash", "crash_probe", 5),
            expect_status=1,
            expect=[r"^Tern: domain 1 \(g\) ended: crash", r"all domains have ended \(not all cleanly\)"],
            reject=[r"restarting domain"]),
    # Without restarts, a reboot ends the domain for good.
    TernRun("lifecycle/no-restarts-by-default", restart_config("restart-none", "lifecycle", 0),
            expect=[r"^Tern: domain 1 \(g\) ended: reboot", r"^Tern: all domains have ended$"],
            reject=[r"restarting domain"]),
    # Exactly the number allowed.
    TernRun("lifecycle/restarts-counted", restart_config("restart-two", "lifecycle", 2),
            expect=[r"restart 2 of 2", r"^Tern: all domains have ended$"],
            reject=[r"restart 3 of", r"still referenced"],
            checks=[lambda out: None if len(re.findall(r"^\[g\] RESULT SUCCESS", out, re.M)) == 3
                    else "the domain did not run exactly 3 times"]),
]

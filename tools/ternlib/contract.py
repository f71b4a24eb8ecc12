"""The harness contract (../shared/ARCHITECTURE.md, "Harness contract").

A guest prints one line per check, `CHECK <name> PASS|FAIL <detail>`, then one
`RESULT SUCCESS|SKIP|FAILURE|ERROR <reason>`; a benchmark guest prints
`BENCH {json}` lines.  This module parses that output (parse), reads a guest's
metadata file (load_meta) and decides whether two platforms agree on a test
(compare): the verdict and the name and PASS/FAIL of every CHECK must match,
the detail text may differ, and a guest's meta may declare differences, each
with a reason.

Meta file (guests/tests/NAME/meta, guests/bench/NAME/meta), `key: value` lines,
`#` comments:
    platforms: xen native          where it runs (tern joins later)
    expect: SUCCESS                verdict expected everywhere (default SUCCESS);
    expect native: SKIP            ... or on one platform; `crashed` = the
                                   correct outcome is the guest's own death
    differs: NAME on PLATFORM: reason
                                   a CHECK name (shell-style pattern allowed) or
                                   RESULT whose outcome may differ on PLATFORM
    vcpus: 4                       CPUs the guest gets (default 1): Xen's
                                   dom0_max_vcpus, Tern's config `vcpus`, QEMU's
                                   -smp natively
    pcpus: 2                       physical CPUs under Xen and Tern (QEMU -smp;
                                   default: the platform's, 1 for Xen, 2 for Tern)
"""
import fnmatch
import json
import re

VERDICTS = ("SUCCESS", "SKIP", "ERROR", "FAILURE")
_PREFIX = r"^(?:\(d\d+\) )?"
CHECK_RE = re.compile(_PREFIX + r"CHECK (\S+) (PASS|FAIL)(?: (.*))?$")
RESULT_RE = re.compile(_PREFIX + r"RESULT (SUCCESS|SKIP|FAILURE|ERROR)(?: (.*))?$")
BENCH_RE = re.compile(_PREFIX + r"BENCH (\{.*\})\s*$")


class Report:
    """What one guest run printed, and how it ended."""

    def __init__(self):
        self.checks = []        # [(name, "PASS"|"FAIL", detail)]
        self.verdict = None     # one of VERDICTS, or None without a RESULT line
        self.reason = ""
        self.bench = []         # BENCH records (dicts)
        self.problems = []      # contract violations (malformed lines, two RESULTs...)
        self.end = None         # "clean", "crashed", "timeout", "no-end" (set by the launcher)
        self.platform = None
        self.output = ""

    def check_map(self):
        return {name: status for name, status, _ in self.checks}

    def summary(self):
        v = self.verdict or "no RESULT line"
        return f"{v} {self.reason}".strip()


def parse(text):
    """Parse a guest's console output into a Report."""
    rep = Report()
    rep.output = text
    seen = set()
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = CHECK_RE.match(line)
        if m:
            name = m.group(1)
            if rep.verdict is not None:
                rep.problems.append(f"CHECK {name} after the RESULT line")
            if name in seen:
                rep.problems.append(f"CHECK {name} printed twice")
            seen.add(name)
            rep.checks.append((name, m.group(2), m.group(3) or ""))
            continue
        m = RESULT_RE.match(line)
        if m:
            if rep.verdict is not None:
                rep.problems.append("more than one RESULT line")
            else:
                rep.verdict, rep.reason = m.group(1), m.group(2) or ""
            continue
        m = BENCH_RE.match(line)
        if m:
            try:
                rep.bench.append(json.loads(m.group(1)))
            except ValueError as e:
                rep.problems.append(f"malformed BENCH line ({e}): {line}")
            continue
        if re.match(_PREFIX + r"(CHECK|RESULT|BENCH)\b", line):
            rep.problems.append(f"malformed contract line: {line}")
    if rep.verdict == "SUCCESS" and any(s == "FAIL" for _, s, _ in rep.checks):
        rep.problems.append("RESULT SUCCESS although a CHECK failed")
    return rep


class Meta:
    def __init__(self, name):
        self.name = name
        self.platforms = []
        self.expect = {}        # platform or "*" -> verdict or "crashed"
        self.differs = []       # (pattern, platform, reason)
        self.notes = []         # other key: value lines
        self.vcpus = 1          # CPUs of the guest
        self.pcpus = None       # physical CPUs under a hypervisor (None: the launcher's default)

    def topology(self):
        """Keyword arguments of the launchers (xen/native/ternplat.run)."""
        return {"vcpus": self.vcpus, "pcpus": self.pcpus}

    def expected(self, platform):
        return self.expect.get(platform, self.expect.get("*", "SUCCESS"))

    def declared(self, what, plat_a, plat_b):
        """The reason a difference in `what` (CHECK name or RESULT) is declared, or None."""
        for pattern, plat, reason in self.differs:
            if plat in (plat_a, plat_b) and fnmatch.fnmatchcase(what, pattern):
                return reason
        return None


class MetaError(Exception):
    pass


def parse_meta(text, name="meta"):
    meta = Meta(name)
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            raise MetaError(f"{name}:{n}: expected 'key: value'")
        key, value = (s.strip() for s in line.split(":", 1))
        words = key.split()
        if words[0] == "platforms":
            meta.platforms = value.split()
        elif words[0] == "expect":
            plat = words[1] if len(words) > 1 else "*"
            v = value.split()[0] if value else ""
            if v not in VERDICTS + ("crashed",):
                raise MetaError(f"{name}:{n}: expect: {v!r} is not a verdict or 'crashed'")
            meta.expect[plat] = v
        elif words[0] in ("vcpus", "pcpus"):
            if not value.isdigit() or not 1 <= int(value) <= 64:
                raise MetaError(f"{name}:{n}: {words[0]}: expected a number from 1 to 64")
            setattr(meta, words[0], int(value))
        elif words[0] == "differs":
            m = re.match(r"(\S+) on (\S+):\s*(.+)$", value)
            if not m:
                raise MetaError(f"{name}:{n}: differs: expected 'NAME on PLATFORM: reason'")
            meta.differs.append((m.group(1), m.group(2), m.group(3)))
        else:
            meta.notes.append((key, value))
    if not meta.platforms:
        raise MetaError(f"{name}: no 'platforms:' line")
    return meta


def load_meta(path, name=None):
    with open(path) as f:
        return parse_meta(f.read(), name or path)


def judge(rep, expected):
    """None if a run ended as expected ("SUCCESS", "SKIP", ... or "crashed"),
    else what is wrong."""
    if rep.problems:
        return "; ".join(rep.problems)
    if expected == "crashed":
        if rep.end != "crashed":
            return f"expected the guest to crash, it ended {rep.end or 'without an end line'}"
        return None
    if rep.verdict is None:
        return f"no RESULT line (guest ended: {rep.end})"
    if rep.verdict != expected:
        return f"RESULT {rep.summary()}, expected {expected}"
    if rep.end not in (None, "clean"):
        return f"RESULT {rep.verdict} but the guest did not end cleanly ({rep.end})"
    return None


def compare(a, b, plat_a, plat_b, meta=None):
    """Disagreements between two runs of one test, per the contract.

    Returns (undeclared, declared): undeclared is a list of strings, declared a
    list of (string, reason); the runs agree when undeclared is empty.  A CHECK
    missing on one side counts as a difference."""
    undeclared, declared = [], []

    def note(what, text):
        reason = meta.declared(what, plat_a, plat_b) if meta else None
        if reason:
            declared.append((text, reason))
        else:
            undeclared.append(text)

    va = a.verdict or ("crashed" if a.end == "crashed" else "none")
    vb = b.verdict or ("crashed" if b.end == "crashed" else "none")
    if va != vb:
        note("RESULT", f"RESULT {va} on {plat_a}, {vb} on {plat_b}")
    ca, cb = a.check_map(), b.check_map()
    for name in list(ca) + [n for n in cb if n not in ca]:
        sa, sb = ca.get(name, "absent"), cb.get(name, "absent")
        if sa != sb:
            note(name, f"CHECK {name}: {sa} on {plat_a}, {sb} on {plat_b}")
    return undeclared, declared

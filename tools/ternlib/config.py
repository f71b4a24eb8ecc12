"""Reading and validating a system config with the hypervisor's own parser.

build/tools/ternconf is hypervisor/core/config.c compiled for the host, so
the host tools refuse exactly what the hypervisor would refuse, with the same
messages.
"""
import hashlib
import os
import subprocess
import threading

from . import paths


class ConfigError(Exception):
    pass


def check(cfg_path):
    """Validate; return {"images": [(name, path)], "domains": [dict]}."""
    paths.make("build/tools/ternconf")
    r = subprocess.run([paths.TERNCONF, cfg_path], capture_output=True, text=True)
    if r.returncode != 0:
        raise ConfigError(r.stderr.strip() or r.stdout.strip())
    base = os.path.dirname(os.path.abspath(cfg_path))
    out = {"images": [], "domains": [], "hypervisor_cmdline": ""}
    for line in r.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "image":
            name, _, f = rest.partition(" ")
            out["images"].append((name, os.path.normpath(os.path.join(base, f))))
        elif kind == "domain":
            d = dict(kv.split("=", 1) for kv in rest.split())
            d["memory"] = int(d["memory"])
            d["vcpus"] = int(d["vcpus"])
            out["domains"].append(d)
        elif kind == "hypervisor_cmdline":
            out["hypervisor_cmdline"] = rest
    return out


def write_generated(subdir, stem, text):
    """A generated config under build/run/SUBDIR named after its contents
    (so parallel runs share identical ones), written atomically; its path."""
    tag = hashlib.sha1(text.encode()).hexdigest()[:12]
    d = os.path.join(paths.BUILD, "run", subdir)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{stem}-{tag}.cfg")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    return path

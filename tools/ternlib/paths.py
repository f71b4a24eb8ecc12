"""Where things are in the repository and its build tree."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
HV_ELF = os.path.join(BUILD, "hv", "tern.elf")
HV_TEST_ELF = os.path.join(BUILD, "hv-test", "tern.elf")
TERNCONF = os.path.join(BUILD, "tools", "ternconf")


def make(*targets):
    """Build targets of the top-level Makefile (quietly); exit on failure."""
    r = subprocess.run(["make", "-s", "-C", ROOT] + list(targets))
    if r.returncode != 0:
        sys.exit(f"tern: building {' '.join(targets)} failed")


def rel(path):
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return path

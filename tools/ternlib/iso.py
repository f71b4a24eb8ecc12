"""A bootable ISO (GRUB, multiboot2): the hypervisor plus a boot bundle."""
import os
import shutil
import subprocess
import tempfile

GRUB_CFG = """set timeout=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
menuentry "Tern" {{
  multiboot2 /boot/tern.elf {cmdline}
  module2 /boot/bundle.cpio bundle
  boot
}}
"""


def build(hv_elf, bundle_path, out_path, cmdline=""):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "boot", "grub"))
        shutil.copy(hv_elf, os.path.join(d, "boot", "tern.elf"))
        shutil.copy(bundle_path, os.path.join(d, "boot", "bundle.cpio"))
        with open(os.path.join(d, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(GRUB_CFG.format(cmdline=cmdline))
        r = subprocess.run(["grub-mkrescue", "-o", out_path, d], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("grub-mkrescue failed: " + r.stderr.strip())
    return out_path

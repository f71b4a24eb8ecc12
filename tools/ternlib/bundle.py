"""The boot bundle: tern.cfg plus images/NAME for every [image] of it.

A Linux bzImage named as an image is stored as the ELF kernel inside it
(bzimage.py): the hypervisor's builder loads ELF only.
"""
import os
import threading

from . import bzimage, config, cpio


class BundleError(Exception):
    pass


def build(cfg_path, out_path):
    """Validate the config, read its images, write the bundle.  Returns the parsed config."""
    cfg = config.check(cfg_path)
    files = [("tern.cfg", open(cfg_path, "rb").read())]
    for name, path in cfg["images"]:
        if not os.path.isfile(path):
            raise BundleError(f"{cfg_path}: image '{name}': {path}: no such file")
        data = open(path, "rb").read()
        if bzimage.is_bzimage(data):
            try:
                data = bzimage.extract_elf(data, path)
            except bzimage.BzImageError as e:
                raise BundleError(f"{cfg_path}: image '{name}': {e}")
        files.append(("images/" + name, data))
    data = cpio.archive(files)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = f"{out_path}.{os.getpid()}.{threading.get_ident()}.tmp"   # parallel builders
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out_path)
    return cfg

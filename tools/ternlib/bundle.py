"""The boot bundle: tern.cfg plus images/NAME for every [image] of it."""
import os

from . import config, cpio


class BundleError(Exception):
    pass


def build(cfg_path, out_path):
    """Validate the config, read its images, write the bundle.  Returns the parsed config."""
    cfg = config.check(cfg_path)
    files = [("tern.cfg", open(cfg_path, "rb").read())]
    for name, path in cfg["images"]:
        if not os.path.isfile(path):
            raise BundleError(f"{cfg_path}: image '{name}': {path}: no such file")
        files.append(("images/" + name, open(path, "rb").read()))
    data = cpio.archive(files)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out_path)
    return cfg

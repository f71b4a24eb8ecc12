"""Writing cpio "newc" archives (the boot bundle, initramfs images)."""


def _pad4(n):
    return (4 - n % 4) % 4


def entry(name, data, mode=0o100644, ino=0, nlink=1, rdev=(0, 0)):
    """One newc entry: header, name, data, each padded to 4 bytes.
    A symlink is mode 0o120777 with the target as data; a device node has
    rdev (major, minor)."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b + b"\0" * _pad4(len(hdr) + len(name_b))
    out += data + b"\0" * _pad4(len(data))
    return out


def archive(files):
    """files: list of (name, bytes[, mode]).  Returns the archive bytes."""
    out = b""
    for i, f in enumerate(files, start=1):
        name, data = f[0], f[1]
        mode = f[2] if len(f) > 2 else 0o100644
        out += entry(name, data, mode, ino=i)
    out += entry("TRAILER!!!", b"", 0, ino=0)
    return out

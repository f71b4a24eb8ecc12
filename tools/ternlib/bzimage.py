"""Getting the ELF kernel out of a Linux bzImage (the PV builder loads ELF).

A bzImage's setup header (magic "HdrS" at 0x202) gives setup_sects (0x1f1),
payload_offset (0x248) and payload_length (0x24c); the compressed kernel
starts at (setup_sects + 1) * 512 + payload_offset.  Debian compresses with
XZ; the decompressed payload is the kernel's ELF.
"""
import lzma
import struct


class BzImageError(Exception):
    pass


def is_bzimage(data):
    return len(data) > 0x250 and data[0x202:0x206] == b"HdrS"


def extract_elf(data, name="bzImage"):
    if not is_bzimage(data):
        raise BzImageError(f"{name}: not a bzImage (no HdrS setup header)")
    version = struct.unpack_from("<H", data, 0x206)[0]
    if version < 0x208:
        raise BzImageError(f"{name}: boot protocol {version:#x} has no payload fields (need 2.08)")
    setup_sects = data[0x1f1] or 4
    off, length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + off
    payload = data[start:start + length]
    if len(payload) != length or length < 16:
        raise BzImageError(f"{name}: truncated bzImage (payload {start:#x}+{length:#x}, file {len(data):#x})")
    if payload[:6] != b"\xfd7zXZ\x00":
        raise BzImageError(f"{name}: payload is not XZ (only XZ-compressed kernels are supported)")
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    except lzma.LZMAError as e:
        raise BzImageError(f"{name}: corrupt XZ payload: {e}")
    if elf[:4] != b"\x7fELF":
        raise BzImageError(f"{name}: the decompressed payload is not an ELF file")
    return elf

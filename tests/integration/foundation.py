"""Foundation: the hypervisor boots, reports, refuses bad input and crashes loudly."""
import os
import re

from harness import Cli, TernRun, write_bundle, write_file, DATA, ROOT

GOOD_CFG = b"[hypervisor]\ncmdline = loglevel=info\n"


def cpus_online(n):
    """Every CPU of -smp n reported online, by number, and the total."""
    def check(out):
        for i in range(n):
            if not re.search(rf"^CPU {i} online \(APIC ID \d+", out, re.M):
                return f"CPU {i} not reported online"
        if not re.search(rf"^{n} of {n} CPUs? online", out, re.M):
            return f"'{n} of {n} CPUs online' missing"
        return None
    return check


BOOT = [r"^Tern hypervisor \S+ \(release\)", r"^Memory map \(PVH\):", r"^  0000000000100000 - \S+  RAM",
        r"^RAM: \d+ MiB usable", r"^TSC: \d+\.\d+ MHz", r"^Boot bundle: \d+ bytes at 0x[0-9a-f]+, 1 entries:",
        r"^  tern\.cfg +\d+ bytes", r"^System config: 0 images, 0 domains",
        r"^Tern: leaving with status 0"]

TESTS = [
    TernRun(f"boot/microvm-smp{n}", "configs/default.cfg", ["--smp", str(n)],
            expect=BOOT, checks=[cpus_online(n)], reject=[r"CRASH", r"did not start"])
    for n in (1, 2, 4)
]

TESTS += [
    # GRUB and multiboot2 on QEMU's pc machine, through a generated ISO.
    TernRun("boot/pc-grub-multiboot2", "configs/default.cfg", ["--machine", "pc", "--smp", "2"],
            expect=[r"^Tern hypervisor", r"^Memory map \(multiboot2\):", r"^ACPI: RSDP",
                    r"^2 of 2 CPUs online", r"^Boot bundle", r"^Tern: leaving with status 0"],
            checks=[cpus_online(2)], timeout=120),
    # `make iso` builds the default ISO; boot exactly that file.
    Cli("boot/make-iso", ["sh", "-c", "make -s iso >/dev/null && "
                          "timeout 120 qemu-system-x86_64 -M pc -nodefaults -no-user-config -display none "
                          "-no-reboot -serial stdio -m 512M -smp 2 -accel tcg -cpu max,-smap "
                          "-device isa-debug-exit,iobase=0xf4,iosize=4 -cdrom build/tern.iso"],
        expect_status=1,        # isa-debug-exit with status 0: QEMU exits (0 << 1) | 1
        expect=[r"Memory map \(multiboot2\)", r"2 of 2 CPUs online", r"Tern: leaving with status 0"]),
]

# ---- crash reporting: the test build faults on purpose ----
CRASH = [r"\*\*\* TERN HYPERVISOR CRASH", r"^CPU \d+ \(APIC ID \d+\)", r"^vector \d+ \(",
         r"^RIP: [0-9a-f]{16} <\w+\+0x[0-9a-f]+>", r"^RAX: ", r"^CR0: [0-9a-f]+  CR2: ",
         r"^Backtrace:", r"<start_tern\+", r"^Tern: leaving with status 3"]
for what, vec in (("pf", "14 \\(#PF"), ("ud", "6 \\(#UD"), ("de", "0 \\(#DE"),
                  ("gp", "13 \\(#GP"), ("df", "8 \\(#DF")):
    TESTS.append(TernRun(f"crash/{what}", "configs/default.cfg",
                         ["--test-build", "--append", f"crashtest={what}", "--smp", "2"],
                         expect_status=3,
                         expect=[rf"testhooks: faulting on purpose: {what}"] +
                         CRASH[:2] + [rf"^vector {vec}"] + CRASH[3:],
                         reject=[r"boot complete"]))
TESTS += [
    TernRun("crash/panic", "configs/default.cfg", ["--test-build", "--append", "crashtest=panic"],
            expect_status=3,
            expect=[r"\*\*\* TERN HYPERVISOR PANIC on CPU 0: testhooks: deliberate panic",
                    r"^Backtrace:", r"<testhooks_run\+", r"<start_tern\+", r"status 3"]),
    # A fault on CPU 1: reported as CPU 1, the other CPUs stopped, status 3.
    TernRun("crash/ap-pf", "configs/default.cfg",
            ["--test-build", "--append", "crashtest=ap-pf", "--smp", "4"], expect_status=3,
            expect=[r"\*\*\* TERN HYPERVISOR CRASH", r"^CPU 1 \(APIC ID 1\)", r"^vector 14 \(#PF",
                    r"CR2: 0000000000000008", r"<fault_pf\+", r"<ap_start\+", r"status 3"]),
    # The harness's own guard: a hypervisor that hangs is stopped by the timeout.
    TernRun("crash/hang-timeout", "configs/default.cfg",
            ["--test-build", "--append", "crashtest=hang"], expect_status=124, timeout=8,
            expect=[r"testhooks: faulting on purpose: hang", r"tern: timed out after 8"]),
]

# ---- bad input: clear message, clean halt, status 2, never a triple fault ----


def bundle_ok():
    return write_bundle("good.cpio", [("tern.cfg", GOOD_CFG)])


def bundle_bad_magic():
    data = bytearray(open(bundle_ok(), "rb").read())
    data[0:6] = b"070707"
    write_file("bad-magic.cpio", bytes(data))


def bundle_truncated():
    data = open(bundle_ok(), "rb").read()
    write_file("truncated.cpio", data[:len(data) // 2 + 3])


def bundle_garbage():
    write_file("garbage.cpio", os.urandom(4096))


def bundle_no_cfg():
    write_bundle("no-cfg.cpio", [("readme", b"hello\n")])


def bundle_bad_cfg():
    write_bundle("bad-cfg.cpio", [("tern.cfg", b"[hypervisor]\ncmdline = x\n\n[domain d]\nkernel = k\nmemroy = 3M\n")])


def bundle_missing_image():
    write_bundle("missing-image.cpio", [("tern.cfg", b"[image k]\nfile = k.elf\n[domain d]\nkernel = k\nmemory = 16M\n")])


def bad(name, prep, file, message, args=()):
    return TernRun(f"badinput/{name}", "-", ["--bundle", os.path.join(DATA, file)] + list(args),
                   prepare=prep, expect_status=2,
                   expect=[r"^Tern hypervisor", r"^Tern: cannot continue: " + message,
                           r"^Tern: leaving with status 2"],
                   reject=[r"CRASH", r"PANIC"])


TESTS += [
    bad("bundle-bad-magic", bundle_bad_magic, "bad-magic.cpio",
        r"bundle corrupt: no cpio newc magic at offset 0x0"),
    bad("bundle-truncated", bundle_truncated, "truncated.cpio", r"bundle truncated"),
    bad("bundle-garbage", bundle_garbage, "garbage.cpio", r"bundle corrupt"),
    bad("bundle-without-config", bundle_no_cfg, "no-cfg.cpio", r"the boot bundle has no tern\.cfg"),
    bad("config-error", bundle_bad_cfg, "bad-cfg.cpio",
        r"tern\.cfg:6: unknown key .memroy. in \[domain\] \(known: kernel, ramdisk, cmdline, memory, vcpus, role, weight, cap, restarts, cpus\)"),
    bad("missing-image", bundle_missing_image, "missing-image.cpio",
        r"tern\.cfg:1: image 'k' is missing from the boot bundle \(no images/k\)"),
    bad("too-little-ram", bundle_ok, "good.cpio", r"too little RAM: \d+ MiB usable, Tern needs at least 32 MiB",
        ["--mem", "24"]),
    bad("too-many-cpus", bundle_ok, "good.cpio",
        r"the machine has 65 CPUs, this build supports at most 64", ["--smp", "65"]),
    TernRun("badinput/no-bundle", "-", expect_status=2,
            expect=[r"^Tern: cannot continue: no boot bundle", r"status 2"]),
]

# ---- the CLI ----
TESTS += [
    Cli("cli/check-ok", ["tools/tern", "check", "configs/default.cfg"],
        expect=[r"configs/default\.cfg: OK \(0 images, 0 domains\)"]),
    Cli("cli/check-error-names-line-and-rule", ["tools/tern", "check", os.path.join(DATA, "cli-bad.cfg")],
        prepare=lambda: write_file("cli-bad.cfg", "# c\n[domain d]\nkernel = k\nmemory = 3Q\n"),
        expect_status=1, expect=[r"cli-bad\.cfg:4: memory: '3Q' is not a size"]),
    Cli("cli/bundle-missing-image-file", ["tools/tern", "bundle", os.path.join(DATA, "cli-img.cfg"),
                                          "-o", os.path.join(DATA, "cli-img.cpio")],
        prepare=lambda: write_file("cli-img.cfg", "[image k]\nfile = does-not-exist.elf\n"),
        expect_status=1, expect=[r"image 'k': .*does-not-exist\.elf: no such file"]),
    Cli("cli/bundle-contents", ["sh", "-c", "tools/tern bundle configs/default.cfg -o build/tests/data/default.cpio "
                                "&& cpio -it < build/tests/data/default.cpio"],
        expect=[r"default\.cpio: \d+ bytes", r"^tern\.cfg$"]),
    Cli("cli/run-refuses-bad-config", ["tools/tern", "run", os.path.join(DATA, "cli-bad2.cfg"), "--quiet"],
        prepare=lambda: write_file("cli-bad2.cfg", "[hypervisor]\n[hypervisor]\n"),
        expect_status=2, expect=[r"cli-bad2\.cfg:2: \[hypervisor\] appears twice"]),
]

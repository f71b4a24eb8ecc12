"""ternlib - the host side of Tern: QEMU launcher, boot bundles, config checks.

Used by tools/tern (the CLI), tests/run (the test harness) and tools/bench.
"""

# Tern - top-level Makefile.  `make run`, `make test`, `make bench`, `make iso`.
# Every target first makes sure the Debian packages it needs are installed
# (tools/install-deps; it does nothing when all are present).

include config.mk

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.PHONY: all deps run test bench iso clean

all: deps
	@$(MAKE) -s --no-print-directory hypervisor build/tools/ternconf

deps:
	@tools/install-deps

include hypervisor/build.mk
include tools/build.mk
include tests/unit/build.mk
include guests/build.mk
include guests/linux/build.mk

hypervisor: $(HV_ELF) $(HV_TEST_ELF)
.PHONY: hypervisor

clean:
	rm -rf build

# ---- the user's commands: dependencies first, then a sub-make builds ----
BUILD_ALL := hypervisor build/tools/ternconf guests linux-guest

run: deps
	@$(MAKE) -s --no-print-directory $(BUILD_ALL)
	@tools/tern run configs/default.cfg

test: deps
	@$(MAKE) -s --no-print-directory -j2 test-build
	@tests/run

# Everything the tests use (tests/run builds it too, when run by itself).
test-build: $(BUILD_ALL) unit-tests
.PHONY: test-build

bench: deps
	@$(MAKE) -s --no-print-directory $(BUILD_ALL) build/tools/floor.elf
	@tools/bench

iso: deps
	@$(MAKE) -s --no-print-directory $(BUILD_ALL)
	@tools/tern bundle configs/default.cfg -o build/default.cpio >/dev/null
	@python3 -c 'import sys; sys.path.insert(0, "tools"); from ternlib import iso; iso.build("$(HV_ELF)", "build/default.cpio", "build/tern.iso")'
	@echo "build/tern.iso"

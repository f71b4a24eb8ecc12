# Tern - top-level Makefile.  `make run`, `make test`, `make bench`, `make iso`.
# Every target first makes sure the Debian packages it needs are installed
# (tools/install-deps; it does nothing when all are present).

include config.mk

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.PHONY: all deps run test bench iso clean

all: deps hypervisor

deps:
	@tools/install-deps

include hypervisor/build.mk

hypervisor: $(HV_ELF) $(HV_TEST_ELF)
.PHONY: hypervisor

clean:
	rm -rf build

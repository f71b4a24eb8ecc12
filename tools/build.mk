# tools/build.mk - host tools built from hypervisor sources.

HOST_CC     := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
               -Itests/unit/shim -Ihypervisor/include -DNR_CPUS=8
# Hypervisor sources that run unchanged on the host (no arch code).
HOST_PORTABLE := hypervisor/core/config.c hypervisor/lib/string.c hypervisor/lib/vsnprintf.c

build/tools/ternconf: tools/ternconf.c $(HOST_PORTABLE) $(wildcard hypervisor/include/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(HOST_CFLAGS) -c -o $@.main.o tools/ternconf.c
	@$(HOST_CC) $(HOST_CFLAGS) -include tests/unit/shim/host.h -o $@ $@.main.o $(HOST_PORTABLE)

build/tools/floor.elf: tools/floor/floor.S tools/floor/floor.ld
	@mkdir -p $(dir $@)
	@$(HOST_CC) -m32 -c -o $@.o $<
	@ld -m elf_i386 -T tools/floor/floor.ld -o $@ $@.o

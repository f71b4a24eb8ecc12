# tests/unit/build.mk - host unit tests (cmocka) compiled against the real
# hypervisor sources, twice: plain, and under AddressSanitizer + UBSan.
#   build/tests/unit/test_NAME        build/tests/unit/asan/test_NAME
# A test file tests/unit/test_NAME.c links with every portable hypervisor
# source (UNIT_HV_SRCS) and the shim (tests/unit/shim), and with the arch
# sources that have a host shim (UNIT_ARCH_SRCS, below); a test pulls in only
# the objects it uses.

UNIT_HV_SRCS := hypervisor/lib/string.c hypervisor/lib/vsnprintf.c \
                hypervisor/core/frame.c hypervisor/core/heap.c hypervisor/core/bundle.c \
                hypervisor/core/config.c hypervisor/core/cmdline.c hypervisor/core/memmap.c \
                hypervisor/core/time_scale.c
UNIT_SHIM    := tests/unit/shim/shim.c
UNIT_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
                -Itests/unit/shim -Ihypervisor/include -DNR_CPUS=8 -fno-strict-aliasing
UNIT_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_LIBS    := -lcmocka

UNIT_NAMES   := $(basename $(notdir $(wildcard tests/unit/test_*.c)))
UNIT_BINS    := $(addprefix build/tests/unit/,$(UNIT_NAMES)) \
                $(addprefix build/tests/unit/asan/,$(UNIT_NAMES))
UNIT_DEPS    := $(UNIT_HV_SRCS) $(UNIT_SHIM) $(wildcard tests/unit/shim/*.h tests/unit/shim/arch/*.h) \
                $(wildcard hypervisor/include/*.h)

# Arch code with a host shim: the PV memory model.  It sees the arch
# interface headers behind the shim's (tests/unit/shim/arch replaces those
# that touch the hardware: cpu.h, percpu.h, mm.h), and what it calls in the
# rest of the hypervisor is tests/unit/shim/shim_pv.c.  Its own archive, so
# that the portable sources above keep the shim-only include path.
UNIT_ARCH_SRCS   := hypervisor/arch/x86_64/pv/mm.c hypervisor/arch/x86_64/pv/audit.c
UNIT_ARCH_SHIM   := tests/unit/shim/shim_pv.c
UNIT_ARCH_CFLAGS := -Ihypervisor/arch/x86_64/include -Ihypervisor/arch/x86_64/pv
UNIT_ARCH_DEPS   := $(UNIT_ARCH_SRCS) $(UNIT_ARCH_SHIM) $(wildcard hypervisor/arch/x86_64/pv/*.h) \
                    $(wildcard hypervisor/arch/x86_64/include/arch/*.h) $(UNIT_DEPS)
UNIT_LIBS_A      := build/tests/unit/libtern_arch.a build/tests/unit/libtern.a

# Hypervisor sources get the shim's forced include (their names prefixed tern_).
build/tests/unit/libtern.a: $(UNIT_DEPS)
	@mkdir -p build/tests/unit/obj
	@echo "  HOSTCC  $@"
	@for f in $(UNIT_HV_SRCS) $(UNIT_SHIM); do \
	  $(HOST_CC) $(UNIT_CFLAGS) -include tests/unit/shim/host.h -c -o build/tests/unit/obj/$$(basename $$f .c).o $$f || exit 1; done
	@ar rcs $@ build/tests/unit/obj/*.o

build/tests/unit/asan/libtern.a: $(UNIT_DEPS)
	@mkdir -p build/tests/unit/asan/obj
	@echo "  HOSTCC  $@"
	@for f in $(UNIT_HV_SRCS) $(UNIT_SHIM); do \
	  $(HOST_CC) $(UNIT_CFLAGS) $(UNIT_SAN) -include tests/unit/shim/host.h -c -o build/tests/unit/asan/obj/$$(basename $$f .c).o $$f || exit 1; done
	@ar rcs $@ build/tests/unit/asan/obj/*.o

build/tests/unit/libtern_arch.a: $(UNIT_ARCH_DEPS)
	@mkdir -p build/tests/unit/arch-obj
	@echo "  HOSTCC  $@"
	@for f in $(UNIT_ARCH_SRCS) $(UNIT_ARCH_SHIM); do \
	  $(HOST_CC) $(UNIT_CFLAGS) $(UNIT_ARCH_CFLAGS) -include tests/unit/shim/host.h -c -o build/tests/unit/arch-obj/$$(basename $$f .c).o $$f || exit 1; done
	@rm -f $@ && ar rcs $@ build/tests/unit/arch-obj/*.o

build/tests/unit/asan/libtern_arch.a: $(UNIT_ARCH_DEPS)
	@mkdir -p build/tests/unit/asan/arch-obj
	@echo "  HOSTCC  $@"
	@for f in $(UNIT_ARCH_SRCS) $(UNIT_ARCH_SHIM); do \
	  $(HOST_CC) $(UNIT_CFLAGS) $(UNIT_ARCH_CFLAGS) $(UNIT_SAN) -include tests/unit/shim/host.h -c -o build/tests/unit/asan/arch-obj/$$(basename $$f .c).o $$f || exit 1; done
	@rm -f $@ && ar rcs $@ build/tests/unit/asan/arch-obj/*.o

build/tests/unit/test_%: tests/unit/test_%.c $(UNIT_LIBS_A)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(UNIT_CFLAGS) $(UNIT_ARCH_CFLAGS) -o $@ $< $(UNIT_LIBS_A) $(UNIT_LIBS)

build/tests/unit/asan/test_%: tests/unit/test_%.c $(subst build/tests/unit/,build/tests/unit/asan/,$(UNIT_LIBS_A))
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(UNIT_CFLAGS) $(UNIT_ARCH_CFLAGS) $(UNIT_SAN) -o $@ $< \
	  $(subst build/tests/unit/,build/tests/unit/asan/,$(UNIT_LIBS_A)) $(UNIT_LIBS)

unit-tests: $(UNIT_BINS)
.PHONY: unit-tests

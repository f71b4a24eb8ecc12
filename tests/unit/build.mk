# tests/unit/build.mk - host unit tests (cmocka) compiled against the real
# hypervisor sources, twice: plain, and under AddressSanitizer + UBSan.
#   build/tests/unit/test_NAME        build/tests/unit/asan/test_NAME
# A test file tests/unit/test_NAME.c links with every portable hypervisor
# source (UNIT_HV_SRCS) and the shim (tests/unit/shim).

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

build/tests/unit/test_%: tests/unit/test_%.c build/tests/unit/libtern.a
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(UNIT_CFLAGS) -o $@ $< build/tests/unit/libtern.a $(UNIT_LIBS)

build/tests/unit/asan/test_%: tests/unit/test_%.c build/tests/unit/asan/libtern.a
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(UNIT_CFLAGS) $(UNIT_SAN) -o $@ $< build/tests/unit/asan/libtern.a $(UNIT_LIBS)

unit-tests: $(UNIT_BINS)
.PHONY: unit-tests

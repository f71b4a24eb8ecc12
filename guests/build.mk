# guests/build.mk - guests/lib and the guests built on it:
#   build/guests/tests/NAME.elf   from guests/tests/NAME/*.c (+ meta)
#   build/guests/bench/NAME.elf   from guests/bench/NAME/*.c (+ meta)
# Every guest links all of guests/lib (one ELF: PV on Xen or Tern, PVH natively;
# guests/lib/guest.ld) plus the freestanding string/printf code of hypervisor/lib.

GUEST_CC     := gcc
GUEST_LD     := ld
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pie -fno-pic -mcmodel=small \
                -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 \
                -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
                -fno-omit-frame-pointer -fcf-protection=none -fno-tree-loop-distribute-patterns \
                -fno-strict-aliasing -fno-common \
                -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
                -include hypervisor/include/compiler.h -Iguests/lib/include -Ihypervisor/include \
                -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ -MMD -MP
GUEST_AFLAGS := -D__ASSEMBLER__ -D__ASSEMBLY__ -Iguests/lib/include \
                -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ -MMD -MP
GUEST_LDFLAGS := -nostdlib -static --no-dynamic-linker -z noexecstack -z max-page-size=4096 \
                 --build-id=none -T guests/lib/guest.ld
GUEST_LIBGCC := $(shell $(GUEST_CC) -print-libgcc-file-name)

GUEST_LIB_SRCS := $(wildcard guests/lib/*.c) $(wildcard guests/lib/*.S) \
                  hypervisor/lib/vsnprintf.c hypervisor/lib/string.c hypervisor/arch/x86_64/memops.c
GUEST_LIB_OBJS := $(patsubst %,build/guests/obj/%.o,$(basename $(GUEST_LIB_SRCS)))

build/guests/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

build/guests/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(GUEST_CC) $(GUEST_AFLAGS) -c -o $@ $<

# $(1) = tests or bench, $(2) = guest name
define GUEST_template
GUEST_OBJS_$(1)_$(2) := $$(patsubst %.c,build/guests/obj/%.o,$$(wildcard guests/$(1)/$(2)/*.c))
build/guests/$(1)/$(2).elf: $$(GUEST_OBJS_$(1)_$(2)) $$(GUEST_LIB_OBJS) guests/lib/guest.ld
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$$(GUEST_LD) $$(GUEST_LDFLAGS) -o $$@ $$(GUEST_LIB_OBJS) $$(GUEST_OBJS_$(1)_$(2)) $$(GUEST_LIBGCC)
endef

GUEST_TESTS := $(notdir $(patsubst %/,%,$(dir $(wildcard guests/tests/*/meta))))
GUEST_BENCH := $(notdir $(patsubst %/,%,$(dir $(wildcard guests/bench/*/meta))))
$(foreach g,$(GUEST_TESTS),$(eval $(call GUEST_template,tests,$(g))))
$(foreach g,$(GUEST_BENCH),$(eval $(call GUEST_template,bench,$(g))))

GUEST_ELFS := $(patsubst %,build/guests/tests/%.elf,$(GUEST_TESTS)) \
              $(patsubst %,build/guests/bench/%.elf,$(GUEST_BENCH))

guests: $(GUEST_ELFS)
.PHONY: guests

-include $(GUEST_LIB_OBJS:.o=.d) $(foreach g,$(GUEST_TESTS),$(GUEST_OBJS_tests_$(g):.o=.d)) \
         $(foreach g,$(GUEST_BENCH),$(GUEST_OBJS_bench_$(g):.o=.d))

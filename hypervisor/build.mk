# hypervisor/build.mk - the hypervisor image, in two variants:
#   build/hv/tern.elf       release
#   build/hv-test/tern.elf  test build: adds core/testhooks.c (deliberate faults)
# Compiled position-independent with hidden visibility and linked at a fixed
# address in L4 slot 261 (ARCHITECTURE.md, decision 2): the equivalent of
# -mcmodel=kernel for a hypervisor that does not live in the top 2 GiB.

HV_CC      := gcc
HV_LD      := ld
HV_DIR     := hypervisor
HV_ARCH    := $(HV_DIR)/arch/x86_64

HV_CFLAGS  := -std=gnu11 $(HV_OPT) -ffreestanding -fpie -fvisibility=hidden \
              -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 \
              -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
              -fno-omit-frame-pointer -fno-optimize-sibling-calls -fcf-protection=none \
              -fno-tree-loop-distribute-patterns -fno-strict-aliasing -fno-common \
              -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
              -include $(HV_DIR)/include/compiler.h \
              -I$(HV_DIR)/include -I$(HV_ARCH)/include -Iabi -DNR_CPUS=$(NR_CPUS) -MMD -MP
HV_AFLAGS  := -D__ASSEMBLER__ -I$(HV_DIR)/include -I$(HV_ARCH)/include -DNR_CPUS=$(NR_CPUS) -MMD -MP
HV_LDFLAGS := -nostdlib -static --no-dynamic-linker -z noexecstack -z max-page-size=4096 \
              --build-id=none -z norelro

HV_C_COMMON := $(filter-out $(HV_DIR)/core/testhooks%.c, $(wildcard $(HV_DIR)/core/*.c)) \
               $(wildcard $(HV_DIR)/lib/*.c) $(wildcard $(HV_DIR)/drivers/*.c) \
               $(filter-out $(HV_ARCH)/asm-offsets.c, $(wildcard $(HV_ARCH)/*.c)) $(wildcard $(HV_ARCH)/pv/*.c)
HV_S_COMMON := $(filter-out $(HV_ARCH)/link.ld.S, $(wildcard $(HV_ARCH)/*.S)) $(wildcard $(HV_ARCH)/pv/*.S)

# $(1) = variant dir (hv, hv-test), $(2) = extra C sources, $(3) = build kind
define HV_VARIANT
$(1)_OBJDIR := build/$(1)
$(1)_OBJS := $$(patsubst %.c,build/$(1)/%.o,$$(HV_C_COMMON) $(2)) \
             $$(patsubst %.S,build/$(1)/%.o,$$(HV_S_COMMON))

build/$(1)/include/arch/asm-offsets.h: $(HV_ARCH)/asm-offsets.c $$(wildcard $(HV_DIR)/include/*.h $(HV_ARCH)/include/arch/*.h)
	@mkdir -p $$(dir $$@)
	@echo "  GEN     $$@"
	@$$(HV_CC) $$(HV_CFLAGS) -I build/$(1)/include -S -o $$@.s $$<
	@sed -n 's/.*->\([A-Za-z_0-9]*\) \([0-9-]*\).*/#define \1 \2/p' $$@.s > $$@.tmp
	@mv $$@.tmp $$@

build/$(1)/include/hypercall_table.h: abi/hypercalls.list tools/genhypercalls.py
	@mkdir -p $$(dir $$@)
	@python3 tools/genhypercalls.py $$< $$@

build/$(1)/include/cpuid_pv_mask.h: /usr/include/xen/arch-x86/cpufeatureset.h tools/gencpuid.py
	@mkdir -p $$(dir $$@)
	@python3 tools/gencpuid.py $$< $$@

build/$(1)/%.o: %.c build/$(1)/include/arch/asm-offsets.h build/$(1)/include/hypercall_table.h \
                build/$(1)/include/cpuid_pv_mask.h
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$$(HV_CC) $$(HV_CFLAGS) -I build/$(1)/include -DTERN_BUILD_KIND='"$(3)"' -c -o $$@ $$<

build/$(1)/%.o: %.S build/$(1)/include/arch/asm-offsets.h
	@mkdir -p $$(dir $$@)
	@echo "  AS      $$@"
	@$$(HV_CC) $$(HV_AFLAGS) -I build/$(1)/include -c -o $$@ $$<

build/$(1)/link.ld: $(HV_ARCH)/link.ld.S $(HV_DIR)/include/layout.h
	@mkdir -p $$(dir $$@)
	@$$(HV_CC) -E -P -x c -I$(HV_DIR)/include -D__ASSEMBLER__ -o $$@ $$<

# Two links: the second adds the symbol table made from the first (symbols.c).
build/$(1)/tern.elf: $$($(1)_OBJS) build/$(1)/link.ld tools/gensyms.py
	@echo "  LD      $$@"
	@$$(HV_LD) $$(HV_LDFLAGS) -T build/$(1)/link.ld -o $$@.pass1 $$($(1)_OBJS)
	@nm -n --defined-only $$@.pass1 > build/$(1)/syms.txt
	@python3 tools/gensyms.py build/$(1)/syms.txt build/$(1)/syms.S
	@$$(HV_CC) $$(HV_AFLAGS) -c -o build/$(1)/syms.o build/$(1)/syms.S
	@$$(HV_LD) $$(HV_LDFLAGS) -T build/$(1)/link.ld -o $$@ $$($(1)_OBJS) build/$(1)/syms.o
	@nm -n --defined-only $$@ | awk '$$$$3 != "__image_end" {print $$$$1, $$$$3}' > build/$(1)/syms2.txt; \
	  awk '$$$$3 != "__image_end" {print $$$$1, $$$$3}' build/$(1)/syms.txt | diff -q - build/$(1)/syms2.txt >/dev/null || \
	  { echo "symbol table moved symbols: link.ld must keep .tern_syms last"; exit 1; }
	@if readelf -r $$@ | grep -q 'Relocation section'; then \
	  echo "$$@ has dynamic relocations"; exit 1; fi

-include $$($(1)_OBJS:.o=.d)
endef

$(eval $(call HV_VARIANT,hv,$(HV_DIR)/core/testhooks-none.c,release))
$(eval $(call HV_VARIANT,hv-test,$(HV_DIR)/core/testhooks.c,test))

HV_ELF      := build/hv/tern.elf
HV_TEST_ELF := build/hv-test/tern.elf

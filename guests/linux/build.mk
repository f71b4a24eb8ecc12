# guests/linux/build.mk - the Linux guest's inputs built by the project
# (guests/linux/README.md):
#   build/linux/initramfs.cpio.gz   cpio newc + gzip: busybox-static, /init,
#                                   ternlinux (checks + benchmarks), tl-exit,
#                                   tl-crash
#   build/guests/linux/companion.elf  a small guests/lib domain that keeps
#                                   running beside a crashing Linux
#   build/linux/host/tsc-khz        host tool: the TSC rate for a plain VM
# The kernel itself is Debian's (build/linux/vmlinuz, from tools/install-deps).

LINUX_CC       := gcc
LINUX_CFLAGS   := -std=gnu11 -static -O2 -Wall -Wextra -Werror
LINUX_BUSYBOX  := /bin/busybox
LINUX_INITRAMFS := build/linux/initramfs.cpio.gz
LINUX_TL_SRCS  := guests/linux/src/main.c guests/linux/src/checks.c guests/linux/src/checks_data.c \
                  guests/linux/src/bench.c

build/linux/initramfs/ternlinux: $(LINUX_TL_SRCS) guests/linux/src/tl.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(LINUX_CC) $(LINUX_CFLAGS) -o $@ $(LINUX_TL_SRCS)

# No C library: tl-exit, the smallest program fork+exec can run, and
# tl-crash, the crash test's fork-free /init (rdinit=/bin/tl-crash).
LINUX_NOLIBC   := -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -Wl,--build-id=none

build/linux/initramfs/tl-%: guests/linux/src/tl-%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(LINUX_CC) $(LINUX_CFLAGS) $(LINUX_NOLIBC) -o $@ $<

LINUX_PROGRAMS := build/linux/initramfs/ternlinux build/linux/initramfs/tl-exit build/linux/initramfs/tl-crash

$(LINUX_INITRAMFS): guests/linux/init guests/linux/mkinitramfs tools/ternlib/cpio.py $(LINUX_BUSYBOX) \
                    $(LINUX_PROGRAMS)
	@guests/linux/mkinitramfs -o $@ --init guests/linux/init --busybox $(LINUX_BUSYBOX) $(LINUX_PROGRAMS)

# A host tool: the TSC rate a plain VM under TCG is told (tools/ternlib/linux.py).
build/linux/host/tsc-khz: guests/linux/src/tsc-khz.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(LINUX_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(eval $(call GUEST_template,linux,companion))

linux-guest: $(LINUX_INITRAMFS) build/guests/linux/companion.elf build/linux/host/tsc-khz
.PHONY: linux-guest

-include $(GUEST_OBJS_linux_companion:.o=.d)

/*
 * hypercall_null - the cheapest round trip into the hypervisor and back
 * (../shared/BENCHMARKS.md): xen_version(XENVER_version, NULL) by raw
 * `syscall` (hypercall_null) and by `call hypercall_page + 17*32`
 * (hypercall_null_page).  The timed window holds the argument setup and the
 * call; warm-up iterations check that the result is the version.  No native
 * counterpart: the plain VM skips.
 */
#include "guest.h"

const char test_title[] = "bench hypercall_null: xen_version(XENVER_version, NULL)";

static u64 raw_once(long *ret)
{
    u64 dt;
    long r;
    __asm__ volatile(TSC_START
                     "xor %%edi, %%edi\n xor %%esi, %%esi\n mov %[nr], %%eax\n syscall\n"
                     "mov %%rax, %%r13\n"
                     TSC_STOP
                     : "=a"(dt), "=&r"(r)
                     : [nr] "i"(__HYPERVISOR_xen_version)
                     : "rdx", "r12", "rdi", "rsi", "rcx", "r11", "r13", "memory");
    __asm__ volatile("mov %%r13, %0" : "=r"(r));
    *ret = r;
    return dt;
}

static u64 raw_timed(void)
{
    u64 dt;
    __asm__ volatile(TSC_START
                     "xor %%edi, %%edi\n xor %%esi, %%esi\n mov %[nr], %%eax\n syscall\n"
                     TSC_STOP
                     : "=a"(dt)
                     : [nr] "i"(__HYPERVISOR_xen_version)
                     : "rdx", "r12", "rdi", "rsi", "rcx", "r11", "memory");
    return dt;
}

static u64 page_timed(void)
{
    u64 dt;
    __asm__ volatile(TSC_START
                     "xor %%edi, %%edi\n xor %%esi, %%esi\n call hypercall_page + %c[off]\n"
                     TSC_STOP
                     : "=a"(dt)
                     : [off] "i"(__HYPERVISOR_xen_version * 32)
                     : "rdx", "r12", "rdi", "rsi", "rcx", "r11", "memory");
    return dt;
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no hypercalls on a plain VM");
        return;
    }
    long version = HYPERVISOR_xen_version(XENVER_version, NULL);
    u64 iters = bench_iters(2000, 1000000);
    unsigned bad_raw = 0, bad_page = 0;
    for (int i = 0; i < 200; i++) {
        long r = 0;
        raw_once(&r);
        bad_raw += r != version;
        bad_page += HYPERVISOR_xen_version(XENVER_version, NULL) != version;
    }
    check(bad_raw == 0, "warmup.raw_returns_version", "%u of 200 wrong (version %#lx)", bad_raw, version);
    check(bad_page == 0, "warmup.page_returns_version", "%u of 200 wrong", bad_page);

    struct bench b;
    bench_begin(&b, "hypercall_null");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, raw_timed());
    bench_report(&b, "");
    bench_begin(&b, "hypercall_null_page");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, page_timed());
    bench_report(&b, "");
}

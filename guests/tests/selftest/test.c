/*
 * selftest - the framework that every other test guest stands on: a check
 * that passes, expected faults (#UD, #GP, #PF, #BP, #DE) caught by the
 * exception-fixup table with the right vector, error code and CR2, the
 * fixup resuming right after the instruction, monotonic time, the page
 * allocator.  Runs unchanged on every platform.
 */
#include "guest.h"

const char test_title[] = "selftest: framework, expected faults, time, allocator";

static volatile u64 sink;

void test_main(void)
{
    CHECK("framework.pass", 1 + 1 == 2, "a check that holds");

    struct fault f = PROBE("ud2");
    check(f.vector == 6 && f.error_code == 0, "fault.ud2",
          "vector %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);

    /* A non-canonical address: #GP(0). */
    u64 bad = 0x8000000000000000ULL, v = 0;
    f = PROBE("mov (%1), %0", : "+r"(v) : "r"(bad));
    check(f.vector == 13 && f.error_code == 0, "fault.gp_noncanonical",
          "vector %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);

    /* Page 0 is unmapped on every platform: a read gives #PF, not-present,
     * read, supervisor (error code 0), CR2 = the address. */
    u64 addr = 0x10;
    f = PROBE("mov (%1), %0", : "+r"(v) : "r"(addr));
    check(f.vector == 14 && f.error_code == 0 && f.cr2 == addr, "fault.pf_read",
          "vector %d (%s) error code %#x cr2 %#lx", f.vector, vector_name(f.vector),
          f.error_code, f.cr2);
    f = PROBE("movq $1, (%0)", :: "r"(addr) : "memory");
    check(f.vector == 14 && f.error_code == 2 && f.cr2 == addr, "fault.pf_write",
          "vector %d (%s) error code %#x cr2 %#lx", f.vector, vector_name(f.vector),
          f.error_code, f.cr2);

    f = PROBE("int3");
    check(f.vector == 3, "fault.int3", "vector %d (%s)", f.vector, vector_name(f.vector));

    u64 rax = 1, rdx = 0, zero = 0;
    f = PROBE("divq %2", : "+a"(rax), "+d"(rdx) : "r"(zero));
    check(f.vector == 0 && f.error_code == 0, "fault.divide",
          "vector %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);

    /* The fixup resumes after the faulting instruction with registers intact. */
    u64 marker = 0x1234;
    f = PROBE("ud2\n addq $1, %0", : "+r"(marker));
    check(f.vector == 6 && marker == 0x1234, "fault.resume_after",
          "vector %d, register after the probe %#lx", f.vector, marker);

    /* No fault: vector -1. */
    f = PROBE("nop");
    check(f.vector == -1, "fault.none", "vector %d", f.vector);

    /* Time moves forward, by about what the TSC says.  Up to 5 tries: under
     * plain TCG the host may stop the VM between a clock read and its TSC
     * read, which one try cannot tell from a wrong rate. */
    u64 t0 = 0, t1 = 0, by_tsc = 0;
    bool rate_ok = false, forward = true;
    for (int attempt = 0; attempt < 5 && !rate_ok; attempt++) {
        t0 = now_ns();
        u64 tsc0 = rdtsc();
        for (int i = 0; i < 100000; i++)
            sink += (u64)i;
        t1 = now_ns();
        u64 tsc1 = rdtsc();
        by_tsc = tsc_to_ns(tsc1 - tsc0);
        forward &= t1 > t0;
        rate_ok = t1 - t0 + 1000 >= by_tsc / 2 && t1 - t0 <= 2 * by_tsc + 1000;
    }
    check(forward, "time.monotonic", "%lu -> %lu ns", t0, t1);
    check(rate_ok, "time.rate", "elapsed %lu ns, TSC says %lu ns (tsc_hz %lu)", t1 - t0, by_tsc,
          tsc_hz);

    /* The allocator: distinct zeroed writable pages. */
    u64 *a = alloc_page(), *b = alloc_page();
    bool ok = a && b && a != b && a[0] == 0 && a[511] == 0;
    if (ok) {
        a[0] = 0x5a5a;
        b[0] = 0xa5a5;
        ok = a[0] == 0x5a5a && b[0] == 0xa5a5;
    }
    check(ok, "alloc.pages", "%p %p, %u pages left", (void *)a, (void *)b, mm_free_pages());
    check(mm_free_pages() >= 64, "alloc.enough", "%u free pages", mm_free_pages());
    free_page(a);
    free_page(b);
}

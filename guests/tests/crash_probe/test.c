/*
 * crash_probe - dies on purpose with an exception nobody expects (ud2 outside
 * any PROBE), to prove the crash path end to end: guests/lib reports the
 * registers, prints RESULT ERROR and ends as crashed (SCHEDOP_shutdown with
 * SHUTDOWN_crash on PV, isa-debug-exit 1 natively), and the harness reads
 * the platform's end line (meta: expect: crashed).
 */
#include "guest.h"

const char test_title[] = "crash_probe: an unexpected #UD ends the guest as crashed";

void test_main(void)
{
    CHECK("before.alive", true, "about to execute an unexpected ud2");
    __asm__ volatile("ud2");
    CHECK("after.unreachable", false, "still running after an unhandled #UD");
}

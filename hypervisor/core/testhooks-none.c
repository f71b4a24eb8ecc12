/* testhooks-none.c - the release build has no deliberate faults. */
#include "testhooks.h"

void testhooks_run(const char *cmdline)
{
    (void)cmdline;
}

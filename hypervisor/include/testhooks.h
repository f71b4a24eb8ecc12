/*
 * testhooks.h - faults on purpose, compiled only into the test build
 * (TESTHOOKS=y in config.mk selects core/testhooks.c; the release build
 * links core/testhooks-none.c).  They prove that the crash reporting and the
 * test harness catch a hypervisor fault: `crashtest=pf|ud|de|gp|df|panic|ap-pf|hang`.
 */
#ifndef TERN_TESTHOOKS_H
#define TERN_TESTHOOKS_H

void testhooks_run(const char *cmdline);

#endif

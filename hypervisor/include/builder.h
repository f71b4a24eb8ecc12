/*
 * builder.h - the domain builder: from a config entry and its images to a
 * domain whose first vCPU is ready to run (arch/x86_64/pv/build.c).
 */
#ifndef TERN_BUILDER_H
#define TERN_BUILDER_H

#include "types.h"
#include "config.h"
#include "xen_abi.h"
#include "domain.h"

struct domain;

struct build_input {
    const char *name;
    domid_t id;
    bool privileged;
    u64 memory;                         /* bytes */
    unsigned int vcpus;
    const void *kernel;
    u64 kernel_size;
    const void *ramdisk;                /* NULL if none */
    u64 ramdisk_size;
    const char *cmdline;
    struct sched_params sched;
    int cfg_index;                      /* its [domain] in the system config */
    u64 restarts_done, restarts_allowed;
};

/* A running domain, or NULL with the reason in err (the domain is gone). */
struct domain *build_pv_domain(const struct build_input *in, char *err, size_t errlen);

#endif

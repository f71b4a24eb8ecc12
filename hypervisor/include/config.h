/*
 * config.h - the system config (tern.cfg): what the hypervisor runs.
 *
 * An INI-style text file, one setting per line:
 *
 *     # comment
 *     [hypervisor]
 *     cmdline = loglevel=debug
 *
 *     [image demo]
 *     file = ../build/guests/demo/demo.elf
 *
 *     [domain demo]
 *     kernel  = demo
 *     memory  = 32M
 *     vcpus   = 1
 *     cmdline = "quiet"
 *
 * `file` is a host path (relative to the config), read by `tern bundle`.
 * The full reference (every section, key, type and limit) is in the README;
 * the key table in config.c is its source.  The same parser runs in the
 * hypervisor at boot and in the host tools before they build a bundle; every
 * error names the file, the line and the rule broken.
 */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include "types.h"

#define CFG_NAME_MAX        32          /* names: [A-Za-z0-9_.-], 1..31 chars */
#define CFG_CMDLINE_MAX     1024        /* Xen's MAX_GUEST_CMDLINE */
#define CFG_PATH_MAX        256
#define CFG_MAX_IMAGES      32
#define CFG_MAX_DOMAINS     32
#define CFG_MAX_VCPUS       64
#define CFG_LINE_MAX        2048

struct cfg_image {
    char name[CFG_NAME_MAX];
    char file[CFG_PATH_MAX];
    unsigned int line;
};

struct cfg_domain {
    char name[CFG_NAME_MAX];
    char kernel[CFG_NAME_MAX];
    char ramdisk[CFG_NAME_MAX];
    char cmdline[CFG_CMDLINE_MAX];
    u64 memory;                         /* bytes, a multiple of 4 KiB */
    u64 vcpus;
    char role[16];                      /* guest (default) or initial */
    u64 weight;                         /* proportional share, 1..65535, default 256 */
    u64 cap;                            /* percent of one CPU, 0 = no cap */
    u64 cpus;                           /* affinity: bit n = physical CPU n; 0 = any */
    u64 restarts;                       /* times a domain ending with reboot is built again */
    unsigned int line;
};

struct tern_config {
    char hv_cmdline[CFG_CMDLINE_MAX];
    unsigned int nr_images;
    unsigned int nr_domains;
    struct cfg_image images[CFG_MAX_IMAGES];
    struct cfg_domain domains[CFG_MAX_DOMAINS];
};

/* Parse and validate; 0, or -1 with "FILE:LINE: message" in err. */
int config_parse(const char *text, u64 len, const char *filename,
                 struct tern_config *cfg, char *err, size_t errlen);

const struct cfg_image *config_find_image(const struct tern_config *cfg, const char *name);

/* Parse a CPU list "0-3,5": bit n for CPU n (0..63); false if malformed. */
bool config_parse_cpus(const char *s, u64 *out);

/* Parse "256M", "1G", "4096", "64KiB": bytes; false if not a size. */
bool config_parse_size(const char *s, u64 *out);

#endif

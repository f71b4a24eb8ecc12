/*
 * ternconf - the hypervisor's config parser (hypervisor/core/config.c) as a
 * host tool: `ternconf FILE` validates a system config exactly as the
 * hypervisor will, prints the error (FILE:LINE: rule) and exits 1, or prints
 * what tools/ternlib needs to build the bundle:
 *
 *   hypervisor_cmdline TEXT
 *   image NAME PATH
 *   domain name=N kernel=K ramdisk=R memory=BYTES vcpus=N role=R
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "config.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ternconf CONFIG\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %m\n", argv[1]);
        return 1;
    }
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof(text), f);
    int too_big = !feof(f);
    fclose(f);
    if (too_big) {
        fprintf(stderr, "%s: larger than %zu bytes\n", argv[1], sizeof(text));
        return 1;
    }
    static struct tern_config cfg;
    char err[512];
    const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    if (config_parse(text, len, name, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (cfg.hv_cmdline[0])
        printf("hypervisor_cmdline %s\n", cfg.hv_cmdline);
    for (unsigned int i = 0; i < cfg.nr_images; i++)
        printf("image %s %s\n", cfg.images[i].name, cfg.images[i].file);
    for (unsigned int i = 0; i < cfg.nr_domains; i++) {
        const struct cfg_domain *d = &cfg.domains[i];
        printf("domain name=%s kernel=%s ramdisk=%s memory=%llu vcpus=%llu role=%s\n", d->name,
               d->kernel, d->ramdisk[0] ? d->ramdisk : "-", (unsigned long long)d->memory,
               (unsigned long long)d->vcpus, d->role);
    }
    return 0;
}

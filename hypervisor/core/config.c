/*
 * config.c - parser and validator of the system config (config.h).
 *
 * Rules, each with its own message:
 *  - a line is empty, a comment (# or ;), a section header [kind] or
 *    [kind name], or key = value inside a section; lines are at most
 *    CFG_LINE_MAX bytes; no NUL bytes;
 *  - kinds: hypervisor (no name, at most once), image NAME, domain NAME;
 *    names are 1..31 of [A-Za-z0-9_.-] and unique within their kind;
 *  - each kind has a fixed set of keys (key_table below); unknown and
 *    repeated keys are errors; values are checked by type and range;
 *    required keys must be present;
 *  - a domain's kernel and ramdisk name images of the config; at most one
 *    domain has role initial.
 * A value may be quoted ("...") to keep leading or trailing spaces.
 */
#include "config.h"
#include "lib.h"

enum cfg_kind { K_HYPERVISOR, K_IMAGE, K_DOMAIN };
enum val_type { V_STRING, V_NAME, V_SIZE, V_UINT, V_CPUS };

struct key_desc {
    enum cfg_kind kind;
    const char *key;
    enum val_type type;
    size_t offset;          /* into the section's struct */
    size_t cap;             /* V_STRING/V_NAME: buffer size */
    u64 min, max;           /* V_SIZE/V_UINT */
    bool required;
    const char *what;       /* for messages */
};

#define STR(kind, st, field, req, what) \
    { kind, #field, V_STRING, __builtin_offsetof(struct st, field), \
      sizeof(((struct st *)0)->field), 0, 0, req, what }
#define NAME(kind, st, field, req, what) \
    { kind, #field, V_NAME, __builtin_offsetof(struct st, field), \
      sizeof(((struct st *)0)->field), 0, 0, req, what }
#define NUM(kind, type, st, field, lo, hi, req, what) \
    { kind, #field, type, __builtin_offsetof(struct st, field), 0, lo, hi, req, what }

static const struct key_desc key_table[] = {
    { K_HYPERVISOR, "cmdline", V_STRING, __builtin_offsetof(struct tern_config, hv_cmdline),
      CFG_CMDLINE_MAX, 0, 0, false, "hypervisor command line" },
    STR(K_IMAGE, cfg_image, file, true, "host path of the image"),
    NAME(K_DOMAIN, cfg_domain, kernel, true, "image of the kernel"),
    NAME(K_DOMAIN, cfg_domain, ramdisk, false, "image of the ramdisk"),
    STR(K_DOMAIN, cfg_domain, cmdline, false, "kernel command line"),
    NUM(K_DOMAIN, V_SIZE, cfg_domain, memory, MiB(1), GiB(1024), true, "memory size"),
    NUM(K_DOMAIN, V_UINT, cfg_domain, vcpus, 1, CFG_MAX_VCPUS, false, "number of vCPUs"),
    NAME(K_DOMAIN, cfg_domain, role, false, "guest or initial"),
    NUM(K_DOMAIN, V_UINT, cfg_domain, weight, 1, 65535, false, "scheduling weight"),
    NUM(K_DOMAIN, V_UINT, cfg_domain, cap, 0, 6400, false, "CPU cap in percent of one CPU"),
    NUM(K_DOMAIN, V_UINT, cfg_domain, restarts, 0, 1000000, false,
        "times the domain is built again when it reboots"),
    { K_DOMAIN, "cpus", V_CPUS, __builtin_offsetof(struct cfg_domain, cpus), 0, 0, 0, false,
      "physical CPUs it may run on" },
};

static const char *const kind_names[] = { "hypervisor", "image", "domain" };

struct parser {
    const char *file;
    unsigned int line;
    char *err;
    size_t errlen;
    struct tern_config *cfg;
    int kind;               /* current section kind, -1 before the first */
    void *section;          /* current section struct */
    unsigned int seen;      /* bitmask of key_table entries seen in this section */
    unsigned int section_line;
    bool hv_seen;
};

__printf(2, 3) static int fail(struct parser *p, const char *fmt, ...)
{
    int n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
    if (n < 0 || (size_t)n >= p->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || n >= CFG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

bool config_parse_cpus(const char *s, u64 *out)
{
    u64 mask = 0;
    size_t len = strlen(s), i = 0;
    if (!len)
        return false;
    while (i < len) {
        u64 lo, hi;
        size_t n = parse_u64(s + i, len - i, &lo);
        if (!n || (s[i] == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X')))
            return false;
        i += n;
        hi = lo;
        if (i < len && s[i] == '-') {
            i++;
            n = parse_u64(s + i, len - i, &hi);
            if (!n)
                return false;
            i += n;
        }
        if (lo > hi || hi > 63)
            return false;
        for (u64 c = lo; c <= hi; c++)
            mask |= 1ull << c;
        if (i < len) {
            if (s[i] != ',' || i + 1 == len)
                return false;
            i++;
        }
    }
    *out = mask;
    return true;
}

bool config_parse_size(const char *s, u64 *out)
{
    size_t len = strlen(s);
    u64 v;
    size_t used = parse_u64(s, len, &v);
    if (!used)
        return false;
    const char *suf = s + used;
    unsigned int shift = 0;
    if (*suf == 'K' || *suf == 'k') shift = 10;
    else if (*suf == 'M' || *suf == 'm') shift = 20;
    else if (*suf == 'G' || *suf == 'g') shift = 30;
    else if (*suf == 'T' || *suf == 't') shift = 40;
    if (shift) {
        suf++;
        if (suf[0] == 'i' && suf[1] == 'B')
            suf += 2;
        else if (suf[0] == 'B')
            suf++;
    }
    if (*suf != '\0')
        return false;
    if (shift && v > (~0ULL >> shift))
        return false;
    *out = v << shift;
    return true;
}

static int end_section(struct parser *p)
{
    if (p->kind < 0)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(key_table); i++) {
        const struct key_desc *k = &key_table[i];
        if ((int)k->kind == p->kind && k->required && !(p->seen & (1u << i))) {
            p->line = p->section_line;
            return fail(p, "[%s] misses the required key '%s' (%s)",
                        kind_names[p->kind], k->key, k->what);
        }
    }
    if (p->kind == K_DOMAIN) {
        struct cfg_domain *d = p->section;
        if (d->vcpus == 0)
            d->vcpus = 1;
        if (!d->role[0])
            strlcpy(d->role, "guest", sizeof(d->role));
        if (!d->weight)
            d->weight = 256;
        if (strcmp(d->role, "guest") && strcmp(d->role, "initial")) {
            p->line = p->section_line;
            return fail(p, "domain '%s': role '%s' is neither guest nor initial", d->name, d->role);
        }
    }
    return 0;
}

static int begin_section(struct parser *p, const char *s, size_t n)
{
    if (end_section(p) < 0)
        return -1;

    size_t i = 0;
    while (i < n && is_space(s[i])) i++;
    size_t kstart = i;
    while (i < n && !is_space(s[i])) i++;
    size_t klen = i - kstart;
    while (i < n && is_space(s[i])) i++;
    size_t nstart = i;
    while (i < n && !is_space(s[i])) i++;
    size_t nlen = i - nstart;
    while (i < n && is_space(s[i])) i++;
    if (i != n)
        return fail(p, "section header has more than a kind and a name");

    int kind = -1;
    for (size_t k = 0; k < ARRAY_SIZE(kind_names); k++)
        if (strlen(kind_names[k]) == klen && strncmp(s + kstart, kind_names[k], klen) == 0)
            kind = (int)k;
    if (kind < 0)
        return fail(p, "unknown section kind '%.*s' (expected hypervisor, image or domain)",
                    (int)klen, s + kstart);

    p->kind = kind;
    p->seen = 0;
    p->section_line = p->line;
    struct tern_config *cfg = p->cfg;
    const char *name = s + nstart;

    if (kind == K_HYPERVISOR) {
        if (nlen)
            return fail(p, "[hypervisor] takes no name");
        if (p->hv_seen)
            return fail(p, "[hypervisor] appears twice");
        p->hv_seen = true;
        p->section = cfg;
        return 0;
    }
    if (!nlen)
        return fail(p, "[%s] needs a name", kind_names[kind]);
    if (!valid_name(name, nlen))
        return fail(p, "bad %s name '%.*s' (1 to %d of A-Z a-z 0-9 _ . -)",
                    kind_names[kind], (int)nlen, name, CFG_NAME_MAX - 1);
    if (kind == K_IMAGE) {
        for (unsigned int j = 0; j < cfg->nr_images; j++)
            if (strlen(cfg->images[j].name) == nlen && !strncmp(cfg->images[j].name, name, nlen))
                return fail(p, "image '%.*s' is defined twice (first on line %u)",
                            (int)nlen, name, cfg->images[j].line);
        if (cfg->nr_images == CFG_MAX_IMAGES)
            return fail(p, "too many images (at most %d)", CFG_MAX_IMAGES);
        struct cfg_image *img = &cfg->images[cfg->nr_images++];
        memcpy(img->name, name, nlen);
        img->line = p->line;
        p->section = img;
    } else {
        for (unsigned int j = 0; j < cfg->nr_domains; j++)
            if (strlen(cfg->domains[j].name) == nlen && !strncmp(cfg->domains[j].name, name, nlen))
                return fail(p, "domain '%.*s' is defined twice (first on line %u)",
                            (int)nlen, name, cfg->domains[j].line);
        if (cfg->nr_domains == CFG_MAX_DOMAINS)
            return fail(p, "too many domains (at most %d)", CFG_MAX_DOMAINS);
        struct cfg_domain *d = &cfg->domains[cfg->nr_domains++];
        memcpy(d->name, name, nlen);
        d->line = p->line;
        p->section = d;
    }
    return 0;
}

static int set_key(struct parser *p, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (p->kind < 0)
        return fail(p, "'%.*s' outside any section (start with [hypervisor], [image NAME] or [domain NAME])",
                    (int)klen, key);

    const struct key_desc *k = NULL;
    size_t idx = 0;
    for (size_t i = 0; i < ARRAY_SIZE(key_table); i++) {
        if ((int)key_table[i].kind == p->kind && strlen(key_table[i].key) == klen &&
            strncmp(key_table[i].key, key, klen) == 0) {
            k = &key_table[i];
            idx = i;
        }
    }
    if (!k) {
        char known[160];
        size_t n = 0;
        known[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(key_table); i++)
            if ((int)key_table[i].kind == p->kind && n < sizeof(known))
                n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s", n ? ", " : "",
                                      key_table[i].key);
        return fail(p, "unknown key '%.*s' in [%s] (known: %s)", (int)klen, key,
                    kind_names[p->kind], known);
    }
    if (p->seen & (1u << idx))
        return fail(p, "key '%s' set twice in this section", k->key);
    p->seen |= 1u << idx;

    /* A quoted value keeps its spaces. */
    if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
        val++;
        vlen -= 2;
    } else if (vlen && (val[0] == '"' || val[vlen - 1] == '"')) {
        return fail(p, "value of '%s' has an unbalanced quote", k->key);
    }

    void *dst = (u8 *)p->section + k->offset;
    switch (k->type) {
    case V_NAME:
        if (!valid_name(val, vlen))
            return fail(p, "%s: '%.*s' is not a valid name (1 to %d of A-Z a-z 0-9 _ . -)",
                        k->key, (int)vlen, val, CFG_NAME_MAX - 1);
        /* fall through */
    case V_STRING:
        if (vlen >= k->cap)
            return fail(p, "%s is too long (%zu bytes, at most %zu)", k->key, vlen, k->cap - 1);
        if (k->type == V_STRING && vlen == 0 && k->required)
            return fail(p, "%s must not be empty", k->key);
        memcpy(dst, val, vlen);
        ((char *)dst)[vlen] = '\0';
        return 0;
    case V_CPUS: {
        char buf[128];
        if (vlen == 0 || vlen >= sizeof(buf))
            return fail(p, "%s: '%.*s' is not a CPU list", k->key, (int)vlen, val);
        memcpy(buf, val, vlen);
        buf[vlen] = '\0';
        if (!config_parse_cpus(buf, (u64 *)dst))
            return fail(p, "%s: '%s' is not a CPU list (like 0-3,5; CPUs 0 to 63)", k->key, buf);
        return 0;
    }
    case V_SIZE:
    case V_UINT: {
        char buf[32];
        u64 v;
        if (vlen == 0 || vlen >= sizeof(buf))
            return fail(p, "%s: '%.*s' is not a %s", k->key, (int)vlen, val,
                        k->type == V_SIZE ? "size" : "number");
        memcpy(buf, val, vlen);
        buf[vlen] = '\0';
        if (k->type == V_SIZE) {
            if (!config_parse_size(buf, &v))
                return fail(p, "%s: '%s' is not a size (a number with K, M or G)", k->key, buf);
            if (v & (PAGE_SIZE - 1))
                return fail(p, "%s: '%s' is not a multiple of 4 KiB", k->key, buf);
        } else {
            if (parse_u64(buf, vlen, &v) != vlen)
                return fail(p, "%s: '%s' is not a number", k->key, buf);
        }
        if (v < k->min || v > k->max)
            return fail(p, "%s: %s is out of range (%llu to %llu%s)", k->key, buf,
                        (unsigned long long)(k->type == V_SIZE ? k->min >> 20 : k->min),
                        (unsigned long long)(k->type == V_SIZE ? k->max >> 20 : k->max),
                        k->type == V_SIZE ? " MiB" : "");
        *(u64 *)dst = v;
        return 0;
    }
    }
    return fail(p, "internal: bad key type");
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
    while (n && is_space(*s)) s++, n--;
    while (n && (is_space(s[n - 1]) || s[n - 1] == '\r')) n--;
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;
    if (s[0] == '[') {
        if (s[n - 1] != ']')
            return fail(p, "section header without its closing ']'");
        return begin_section(p, s + 1, n - 2);
    }
    size_t eq = 0;
    while (eq < n && s[eq] != '=') eq++;
    if (eq == n)
        return fail(p, "expected 'key = value', a [section] or a # comment");
    size_t klen = eq;
    while (klen && is_space(s[klen - 1])) klen--;
    if (klen == 0)
        return fail(p, "missing key before '='");
    for (size_t i = 0; i < klen; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || (s[i] >= '0' && s[i] <= '9')))
            return fail(p, "bad key '%.*s' (lower-case letters, digits and _)", (int)klen, s);
    const char *v = s + eq + 1;
    size_t vlen = n - eq - 1;
    while (vlen && is_space(*v)) v++, vlen--;
    return set_key(p, s, klen, v, vlen);
}

int config_parse(const char *text, u64 len, const char *filename,
                 struct tern_config *cfg, char *err, size_t errlen)
{
    struct parser p = { .file = filename, .line = 0, .err = err, .errlen = errlen,
                        .cfg = cfg, .kind = -1 };
    memset(cfg, 0, sizeof(*cfg));

    u64 pos = 0;
    while (pos < len) {
        u64 end = pos;
        while (end < len && text[end] != '\n') {
            if (text[end] == '\0') {
                p.line++;
                return fail(&p, "NUL byte in the config");
            }
            end++;
        }
        p.line++;
        if (end - pos > CFG_LINE_MAX)
            return fail(&p, "line longer than %d bytes", CFG_LINE_MAX);
        if (parse_line(&p, text + pos, end - pos) < 0)
            return -1;
        pos = end + 1;
    }
    if (end_section(&p) < 0)
        return -1;

    unsigned int initial = 0;
    for (unsigned int i = 0; i < cfg->nr_domains; i++) {
        struct cfg_domain *d = &cfg->domains[i];
        p.line = d->line;
        if (!strcmp(d->role, "initial") && initial++)
            return fail(&p, "domain '%s': only one domain can have role initial", d->name);
        if (!config_find_image(cfg, d->kernel))
            return fail(&p, "domain '%s': kernel '%s' is not an [image] of this config",
                        d->name, d->kernel);
        if (d->ramdisk[0] && !config_find_image(cfg, d->ramdisk))
            return fail(&p, "domain '%s': ramdisk '%s' is not an [image] of this config",
                        d->name, d->ramdisk);
    }
    return 0;
}

const struct cfg_image *config_find_image(const struct tern_config *cfg, const char *name)
{
    for (unsigned int i = 0; i < cfg->nr_images; i++)
        if (strcmp(cfg->images[i].name, name) == 0)
            return &cfg->images[i];
    return NULL;
}

/*
 * domcons.c - domain consoles: console_io for the initial domain, the Xen
 * console ring (struct xencons_interface, the hvc0 backend) for the others.
 *
 * Output is assembled into lines and printed on the serial line prefixed by
 * the domain's name ("[name] ..."); the last 2 KiB are kept per domain for
 * crash reports.  Ring indices are guest-controlled: at most one ring's worth
 * is consumed per notification and a producer that runs more than a ring
 * ahead is treated as having produced exactly one ring.
 */
#include "console.h"
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "lib.h"
#include "arch/mm.h"

static void emit_line(struct domain *d)
{
    struct dom_console *c = &d->console;
    c->line[c->line_len] = '\0';
    printk("[%s] %s\n", d->name, c->line);
    c->line_len = 0;
}

static void console_put(struct domain *d, char ch)
{
    struct dom_console *c = &d->console;
    c->tail[c->tail_pos++ % sizeof(c->tail)] = ch;
    if (ch == '\n') {
        emit_line(d);
        return;
    }
    if (ch == '\r')
        return;
    if ((u8)ch < 0x20 && ch != '\t')
        ch = '?';
    c->line[c->line_len++] = ch;
    if (c->line_len >= sizeof(c->line) - 1)
        emit_line(d);
}

void console_flush_domain(struct domain *d)
{
    if (d->console.line_len)
        emit_line(d);
}

void console_dump_tail(struct domain *d)
{
    struct dom_console *c = &d->console;
    unsigned int n = c->tail_pos < sizeof(c->tail) ? c->tail_pos : sizeof(c->tail);
    if (!n)
        return;
    printk("Tern: last console output of domain %u (%s):\n", d->domain_id, d->name);
    char line[160];
    unsigned int len = 0;
    for (unsigned int i = 0; i < n; i++) {
        char ch = c->tail[(c->tail_pos - n + i) % sizeof(c->tail)];
        if (ch == '\n' || len == sizeof(line) - 1) {
            line[len] = '\0';
            printk("  | %s\n", line);
            len = 0;
            if (ch == '\n')
                continue;
        }
        if (ch != '\r')
            line[len++] = ch;
    }
    if (len) {
        line[len] = '\0';
        printk("  | %s\n", line);
    }
}

/* The guest notified its console port: drain the output ring. */
static void ring_notify(struct domain *d, unsigned int port)
{
    struct xencons_interface *r = mfn_to_virt(_mfn(d->console.ring_mfn));
    XENCONS_RING_IDX cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    if (prod - cons > sizeof(r->out))
        cons = prod - sizeof(r->out);
    while (cons != prod) {
        console_put(d, r->out[MASK_XENCONS_IDX(cons, r->out)]);
        cons++;
    }
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
    evtchn_set_pending_port(d, port);
}

int domcons_init_ring(struct domain *d, u64 ring_mfn)
{
    d->console.ring_mfn = ring_mfn;
    int port = evtchn_alloc_hv_port(d, ring_notify);
    if (port < 0)
        return port;
    d->console.port = (unsigned int)port;
    return port;
}

bool guest_console_io;

long do_console_io(u64 cmd, u64 count, u64 buffer, u64 a4, u64 a5)
{
    (void)a4; (void)a5;
    struct domain *d = current->domain;
    /* Xen (release builds) allows dom0 only; guest_console_io on the
     * hypervisor command line lets any domain write (Xen's debug builds do),
     * for a kernel's early printk. */
    if (!d->is_privileged && !(guest_console_io && (u32)cmd == CONSOLEIO_write))
        return -EPERM;
    switch ((u32)cmd) {
    case CONSOLEIO_write: {
        u32 n = (u32)count;
        char buf[128];
        while (n) {
            u32 chunk = n < sizeof(buf) ? n : sizeof(buf);
            if (copy_from_guest(buf, buffer, chunk))
                return -EFAULT;
            for (u32 i = 0; i < chunk; i++)
                console_put(d, buf[i]);
            buffer += chunk;
            n -= chunk;
        }
        return 0;
    }
    case CONSOLEIO_read:
        if ((u32)count > 0x7fffffff)
            return -E2BIG;
        return 0;                   /* console input is not routed to domains yet */
    }
    return -ENOSYS;
}

/*
 * domcons.c - domain consoles: console_io for the initial domain, the Xen
 * console ring (struct xencons_interface, the hvc0 backend) for the others.
 *
 * Output is assembled into lines and printed on the serial line prefixed by
 * the domain's name ("[name] ..."); the last 2 KiB are kept per domain for
 * crash reports.  Ring indices are guest-controlled: at most one ring's worth
 * is consumed per notification and a producer that runs more than a ring
 * ahead is treated as having produced exactly one ring.
 *
 * Input from the serial line goes to the domain that has focus: into its
 * ring's input half (a full ring drops the character) and a notification on
 * its console port, or, for a domain using console_io, into a 256-byte
 * buffer read by CONSOLEIO_read with VIRQ_CONSOLE sent.  Ctrl-A three times
 * moves the focus to the next domain, then to Tern itself, whose keys dump
 * state ('h' lists them).
 */
#include "console.h"
#include "domain.h"
#include "hypercall.h"
#include "evtchn.h"
#include "guest_access.h"
#include "lib.h"
#include "serial.h"
#include "arch/apic.h"
#include "arch/desc.h"
#include "arch/mm.h"
#include "arch/traps.h"

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
    if (!d->console.ring_mfn)
        return;
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
            /* A long write gives the CPU back and goes on (Xen does too). */
            if (n != (u32)count && hypercall_preempt_check()) {
                u64 args[5] = { cmd, n, buffer, 0, 0 };
                return hypercall_create_continuation(__HYPERVISOR_console_io, 3, args);
            }
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
    case CONSOLEIO_read: {
        if ((u32)count > 0x7fffffff)
            return -E2BIG;
        struct dom_console *c = &d->console;
        char buf[sizeof(c->in)];
        u64 f = spin_lock_irqsave(&c->lock);
        u32 n = 0, start = c->in_cons;
        while (n < (u32)count && n < sizeof(buf) && c->in_cons != c->in_prod)
            buf[n++] = c->in[c->in_cons++ % sizeof(c->in)];
        spin_unlock_irqrestore(&c->lock, f);
        if (n && copy_to_guest(buffer, buf, n)) {
            /* Not delivered: the input stays for the next read (Xen
             * consumes only what it copied), unless another read took
             * input since or new input reused its slots. */
            f = spin_lock_irqsave(&c->lock);
            if (c->in_cons == start + n && c->in_prod - start <= sizeof(c->in))
                c->in_cons = start;
            spin_unlock_irqrestore(&c->lock, f);
            return -EFAULT;
        }
        return n;
    }
    }
    return -ENOSYS;
}

/* ---- input ---- */

#define KEY_SWITCH      0x01            /* Ctrl-A, three times in a row */
#define FOCUS_TERN      0xffffu
#define FOCUS_NONE      0xfffeu

static unsigned int focus = FOCUS_NONE;
static unsigned int switches_seen;

void console_detach(struct domain *d)
{
    u64 f = spin_lock_irqsave(&d->console.lock);
    d->console.ring_mfn = 0;
    spin_unlock_irqrestore(&d->console.lock, f);
}

/* The next live domain after id (FOCUS_TERN when none is left). */
static unsigned int next_domain(unsigned int id)
{
    for (unsigned int i = id == FOCUS_NONE || id == FOCUS_TERN ? 0 : id + 1; i < MAX_DOMAINS; i++) {
        struct domain *d = get_domain_by_id((domid_t)i);
        if (d) {
            put_domain(d);
            return i;
        }
    }
    return FOCUS_TERN;
}

static void announce_focus(void)
{
    if (focus == FOCUS_TERN) {
        printk("Tern: console input to Tern (h: keys; Ctrl-A three times: next)\n");
        return;
    }
    struct domain *d = get_domain_by_id((domid_t)focus);
    if (d) {
        printk("Tern: console input to domain %u (%s) (Ctrl-A three times: next)\n", d->domain_id,
               d->name);
        put_domain(d);
    }
}

static void tern_key(char c)
{
    switch (c) {
    case 'h':
        printk("Tern keys: d dump domains and vCPUs, q the same and VIRQ_DEBUG to every vCPU\n");
        break;
    case 'd':
    case 'q':
        dump_domains();
        if (c == 'q')
            for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
                struct domain *d = get_domain_by_id((domid_t)i);
                if (!d)
                    continue;
                for (unsigned int v = 0; v < d->max_vcpus; v++)
                    send_guest_vcpu_virq(d->vcpu[v], VIRQ_DEBUG);
                put_domain(d);
            }
        break;
    }
}

/* One character for d: false if it had nowhere to go. */
static bool domain_input(struct domain *d, char ch)
{
    struct dom_console *c = &d->console;
    bool ok = false, ring = false;
    u64 f = spin_lock_irqsave(&c->lock);
    if (d->state != DOM_RUNNING) {
        /* gone: nothing to deliver to */
    } else if (c->ring_mfn) {
        struct xencons_interface *r = mfn_to_virt(_mfn(c->ring_mfn));
        XENCONS_RING_IDX cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
        XENCONS_RING_IDX prod = r->in_prod;     /* ours to advance; the guest may scribble */
        if (prod - cons < sizeof(r->in)) {
            r->in[MASK_XENCONS_IDX(prod, r->in)] = ch;
            __atomic_store_n(&r->in_prod, prod + 1, __ATOMIC_RELEASE);
            ok = ring = true;
        }
    } else if (d->is_privileged) {
        if (c->in_prod - c->in_cons < sizeof(c->in)) {
            c->in[c->in_prod++ % sizeof(c->in)] = ch;
            ok = true;
        }
    }
    spin_unlock_irqrestore(&c->lock, f);
    if (ok && ring)
        evtchn_set_pending_port(d, c->port);
    else if (ok)
        send_guest_global_virq(d, VIRQ_CONSOLE);
    return ok;
}

static void deliver(char ch)
{
    if (focus == FOCUS_NONE) {
        focus = next_domain(FOCUS_NONE);
        announce_focus();
    }
    if (focus == FOCUS_TERN) {
        tern_key(ch);
        return;
    }
    struct domain *d = get_domain_by_id((domid_t)focus);
    if (!d) {
        focus = next_domain(focus);             /* it ended: the next one */
        announce_focus();
        if (focus == FOCUS_TERN)
            return;
        d = get_domain_by_id((domid_t)focus);
        if (!d)
            return;
    }
    domain_input(d, ch);
    put_domain(d);
}

static void console_input_char(char ch)
{
    if (ch == KEY_SWITCH) {
        if (++switches_seen == 3) {
            switches_seen = 0;
            focus = next_domain(focus);
            announce_focus();
        }
        return;
    }
    for (; switches_seen; switches_seen--)
        deliver(KEY_SWITCH);                    /* fewer than three: plain Ctrl-As */
    deliver(ch);
}

static void serial_interrupt(struct cpu_regs *regs)
{
    (void)regs;
    int c;
    while ((c = serial_getc()) >= 0)
        console_input_char((char)c);
}

void console_input_init(void)
{
    set_irq_handler(VEC_SERIAL, serial_interrupt);
    if (ioapic_route_isa_irq(4, VEC_SERIAL))
        serial_enable_rx_irq();
    else
        printk("Tern: no I/O APIC: console input is not available\n");
}

/*
 * pv.c - bring-up as a Xen x86-64 PV kernel (Xen's dom0; Tern's initial
 * privileged domain or a domU).
 *
 * pv_start (head.S) arrives here with start_info and the builder's boot stack
 * pointer.  In order: shared_info is mapped over a page of our own
 * (update_va_mapping of start_info.shared_info), the console is chosen
 * (console_io for SIF_INITDOMAIN, else the ring of start_info.console.domU),
 * the trap table and the event/failsafe/syscall callbacks are registered,
 * page 0 is unmapped (a NULL guard like the native platform's), then memory,
 * time and the program.  Events stay masked until a program enables them.
 */
#include "guest.h"
#include <xen/io/console.h>

extern void *const pv_trap_stubs[32];
extern char pv_trap_256[], pv_trap_257[], pv_failsafe[];
void guest_main(void);

int platform_is_pv;
bool pv_is_dom0;
start_info_t *start_info;
shared_info_t *shared_info;
const char *guest_cmdline = "";

static u8 shared_info_page[4096] __aligned(4096);
static u8 console_page[4096] __aligned(4096);
static struct xencons_interface *cons_ring;
static evtchn_port_t cons_evtchn;
static struct trap_info trap_table[33];

void pv_console_write(const char *s, size_t n);
void pv_console_write(const char *s, size_t n)
{
    if (pv_is_dom0 || !cons_ring) {
        HYPERVISOR_console_io(CONSOLEIO_write, n, s);
        return;
    }
    struct xencons_interface *r = cons_ring;
    size_t i = 0;
    while (i < n) {
        XENCONS_RING_IDX cons = READ_ONCE(r->out_cons), prod = r->out_prod;
        mb();
        if (prod - cons >= sizeof(r->out)) {
            struct evtchn_send send = { .port = cons_evtchn };
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        while (i < n && prod - cons < sizeof(r->out))
            r->out[MASK_XENCONS_IDX(prod++, r->out)] = s[i++];
        wmb();
        r->out_prod = prod;
        struct evtchn_send send = { .port = cons_evtchn };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
    }
}

/* One character of console input, -1 if none: console_io's read for the
 * initial domain, the ring's input half for the others. */
int pv_console_getc(void);
int pv_console_getc(void)
{
    if (pv_is_dom0 || !cons_ring) {
        char c;
        return HYPERVISOR_console_io(CONSOLEIO_read, 1, &c) == 1 ? (u8)c : -1;
    }
    struct xencons_interface *r = cons_ring;
    XENCONS_RING_IDX cons = r->in_cons, prod = READ_ONCE(r->in_prod);
    if (cons == prod)
        return -1;
    mb();
    int c = (u8)r->in[MASK_XENCONS_IDX(cons, r->in)];
    mb();
    r->in_cons = cons + 1;
    return c;
}

/* The event that says console input arrived: the ring's port for a domU, 0
 * (bind VIRQ_CONSOLE) for the initial domain. */
evtchn_port_t pv_console_port(void)
{
    return pv_is_dom0 || !cons_ring ? 0 : cons_evtchn;
}

long pv_set_trap(unsigned vector, unsigned dpl, void *handler)
{
    struct trap_info t[2] = {
        { .vector = (u8)vector, .flags = (u8)dpl, .cs = FLAT_KERNEL_CS, .address = (unsigned long)handler },
        { 0 },
    };
    return HYPERVISOR_set_trap_table(t);
}

static void pv_traps_init(void)
{
    for (unsigned v = 0; v < 32; v++) {
        trap_table[v].vector = (u8)v;
        /* int3 and into may be raised by `int3`/`into` from the kernel (ring 3). */
        trap_table[v].flags = (v == 3 || v == 4) ? 3 : 0;
        trap_table[v].cs = FLAT_KERNEL_CS;
        trap_table[v].address = (unsigned long)pv_trap_stubs[v];
    }
    long rc = HYPERVISOR_set_trap_table(trap_table);
    if (rc)
        guest_panic("set_trap_table: %ld", rc);

    static const struct { int type; void *fn; } cbs[] = {
        { CALLBACKTYPE_event, pv_trap_256 },
        { CALLBACKTYPE_failsafe, pv_failsafe },
        { CALLBACKTYPE_syscall, pv_trap_257 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cbs); i++) {
        struct callback_register cb = {
            .type = (u16)cbs[i].type,
            .flags = 0,
            .address = (unsigned long)cbs[i].fn,
        };
        rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
        if (rc)
            guest_panic("callback_op(register, type %d): %ld", cbs[i].type, rc);
    }
}

/* A secondary vCPU's trap table (VCPUOP_initialise: trap_ctxt[vector]):
 * the boot vCPU's as pv_traps_init registered it. */
void pv_fill_trap_ctxt(struct trap_info *ctxt);
void pv_fill_trap_ctxt(struct trap_info *ctxt)
{
    for (unsigned v = 0; v < 32; v++)
        ctxt[v] = trap_table[v];
}

const char *platform_name(void)
{
    if (!platform_is_pv)
        return "native";
    return pv_is_dom0 ? "pv-dom0" : "pv-domU";
}

__noreturn void platform_exit(bool clean)
{
    void native_exit(bool clean) __noreturn;

    if (!platform_is_pv)
        native_exit(clean);
    struct sched_shutdown sd = { .reason = clean ? SHUTDOWN_reboot : SHUTDOWN_crash };
    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
        sd.reason = SHUTDOWN_crash;
    }
}

void pv_boot(start_info_t *si, u64 boot_rsp);
void pv_boot(start_info_t *si, u64 boot_rsp)
{
    platform_is_pv = 1;
    start_info = si;
    pv_is_dom0 = si->flags & SIF_INITDOMAIN;
    guest_cmdline = (const char *)si->cmd_line;

    if (!pv_is_dom0) {
        /* The console ring is one of our frames; map it where we know. */
        if (HYPERVISOR_update_va_mapping((u64)console_page,
                                         ((u64)si->console.domU.mfn << PAGE_SHIFT) |
                                         PTE_P | PTE_W | PTE_A | PTE_D, UVMF_INVLPG) == 0) {
            cons_ring = (struct xencons_interface *)console_page;
            cons_evtchn = si->console.domU.evtchn;
        }
    }
    long rc = HYPERVISOR_update_va_mapping((u64)shared_info_page,
                                           si->shared_info | PTE_P | PTE_W | PTE_A | PTE_D,
                                           UVMF_INVLPG);
    if (rc)
        guest_panic("mapping shared_info (maddr %#lx): %ld", si->shared_info, rc);
    shared_info = (shared_info_t *)shared_info_page;

    pv_traps_init();
    /* The builder maps VA 0 (pfn 0); a NULL guard catches stray pointers. */
    rc = HYPERVISOR_update_va_mapping(0, 0, UVMF_INVLPG);
    if (rc)
        guest_panic("unmapping page 0: %ld", rc);
    mm_init(boot_rsp);
    time_init();
    guest_main();
}

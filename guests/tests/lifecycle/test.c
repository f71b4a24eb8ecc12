/*
 * lifecycle - everything a domain can hold, left held at its end.
 *
 * The guest builds a sandbox (L3 -> L2 -> L1 under an unused L4 slot) and
 * maps 16 of its own pages there, pins one more L1 table, opens event
 * channels (unbound, IPI, VIRQ_TIMER), arms a singleshot timer 10 s ahead and
 * finally moves vcpu 0's vcpu_info into one of its own pages.  None of it is
 * undone: the domain ends holding every reference, and the hypervisor must
 * release them (on Tern the domain's end reports "all N frames returned"; the
 * restart test checks the free-frame and heap figures stay put over 1000
 * restarts).  Each step is checked for what it did, not only its return code.
 */
#include "guest.h"

const char test_title[] = "lifecycle: a domain ending with tables, ports, a timer and vcpu_info held";

#define SANDBOX_SLOT 3
#define NR_MAPPED 16

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("PV only");
        return;
    }
    /* A sandbox with NR_MAPPED of our pages, written through it. */
    struct pt_sandbox sb;
    long rc = pt_sandbox_create(&sb, SANDBOX_SLOT);
    CHECK_EQ("sandbox.create", rc, 0);
    if (rc)
        return;
    bool through = true;
    for (unsigned i = 0; i < NR_MAPPED; i++) {
        u64 *page = alloc_page();
        if (!page) {
            through = false;
            break;
        }
        rc = pt_sandbox_map(&sb, i, (virt_to_mfn(page) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D);
        if (rc) {
            through = false;
            break;
        }
        volatile u64 *alias = (volatile u64 *)(sb.base + (u64)i * PAGE_SIZE);
        *alias = 0x11f3c7c1e0000000ULL + i;
        through &= page[0] == 0x11f3c7c1e0000000ULL + i;
    }
    CHECK("sandbox.mapped", through, "writes through the sandbox reach the pages behind it");

    /* One more L1 table, pinned and left pinned. */
    u64 l1_mfn;
    u64 *l1 = pt_alloc(&l1_mfn);
    CHECK("pin.alloc", l1 != NULL, "a page for a table");
    if (l1) {
        CHECK_EQ("pin.l1", pt_ext(MMUEXT_PIN_L1_TABLE, l1_mfn), 0);
        /* Pinned: it can no longer be mapped writable. */
        CHECK_EQ("pin.not_writable", pt_remap(l1, PTE_W | PTE_A), -XEN_EBUSY);
    }

    /* Event channels left open. */
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    bool opened = true;
    for (unsigned i = 0; i < 8; i++)
        opened &= HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0;
    struct evtchn_bind_ipi bi = { .vcpu = 0 };
    opened &= HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi) == 0;
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    opened &= HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv) == 0;
    CHECK("evtchn.opened", opened, "8 unbound ports, an IPI and VIRQ_TIMER");
    struct evtchn_status st = { .dom = DOMID_SELF, .port = bv.port };
    CHECK("evtchn.virq_status",
          HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 && st.status == EVTCHNSTAT_virq &&
              st.u.virq == VIRQ_TIMER,
          "port %u reports VIRQ_TIMER", bv.port);

    /* A timer that will never fire while we live. */
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = now_ns() + 10000000000ULL };
    CHECK_EQ("timer.armed", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), 0);

    if (tern_present())
        CHECK_EQ("tern.audit_before_end", tern_audit(), 0);

    /* Last: vcpu_info into a page of ours; the copy must carry the mask. */
    events_disable();
    struct vcpu_info *vi = alloc_page();
    CHECK("vcpu_info.page", vi != NULL, "a page for vcpu_info");
    if (vi) {
        struct vcpu_register_vcpu_info r = {
            .mfn = virt_to_mfn(vi), .offset = 64,
        };
        CHECK_EQ("vcpu_info.register", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r), 0);
        struct vcpu_info *nvi = (struct vcpu_info *)((char *)vi + 64);
        CHECK("vcpu_info.moved", nvi->evtchn_upcall_mask == 1 && nvi->time.version != 0,
              "the new vcpu_info is masked and has time (mask %u, version %u)",
              nvi->evtchn_upcall_mask, nvi->time.version);
    }
}

/*
 * pv/ptwr.c - writable page tables: a guest kernel writes one of its own
 * validated L1 pages directly; the page is mapped read-only, the write
 * faults, and it is emulated here with the full L1 validation of pv/mm.c.
 *
 * Emulated: the forms Linux uses on page-table entries, with any prefix
 * (lock, REX, operand size, segment overrides) and any addressing
 * (ModRM/SIB/RIP-relative): mov (89, c7 /0, c6 /0), xchg (87), cmpxchg
 * (0f b1), and/or (21, 09, 80/81/83 /1 /4: Linux's clear_bit and set_bit
 * with a constant bit are byte-sized), btr/bts (0f b3, 0f ab, 0f ba /5 /6),
 * on 1-, 4- or 8-byte operands inside one entry.  Anything else, a write to a
 * page that is not a live L1 of this domain, or an entry that fails
 * validation: the guest gets the page fault it took.
 */
#include "arch/pv.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"

enum op { OP_MOV, OP_XCHG, OP_CMPXCHG, OP_AND, OP_OR, OP_BTR, OP_BTS };

struct insn {
    enum op op;
    unsigned int len, size;
    u64 ea;                 /* effective linear address */
    u64 src;                /* register or immediate operand */
    u64 *reg;               /* register operand (xchg, cmpxchg destination) */
};

static u64 *gpr(struct cpu_regs *r, unsigned int n)
{
    u64 *t[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
                   &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };
    return t[n & 15];
}

/* Decode the instruction at rip; false if it is not one ptwr emulates. */
static bool decode(struct cpu_regs *regs, struct insn *in)
{
    u8 b[16];
    unsigned int len = 0, n = 0;
    while (len < 15 && copy_from_guest(&b[len], regs->rip + len, 1) == 0)
        len++;

    bool opsize16 = false;
    u64 seg_base = 0;
    unsigned int rex = 0;
    for (;; n++) {
        if (n >= len)
            return false;
        if (b[n] == 0xf0 || b[n] == 0x2e || b[n] == 0x36 || b[n] == 0x3e || b[n] == 0x26)
            continue;
        if (b[n] == 0x66) { opsize16 = true; continue; }
        if (b[n] == 0x64) { seg_base = rdmsr(MSR_FS_BASE); continue; }
        if (b[n] == 0x65) { seg_base = rdmsr(MSR_GS_BASE); continue; }
        break;
    }
    if ((b[n] & 0xf0) == 0x40)
        rex = b[n++];
    if (opsize16)
        return false;
    in->size = (rex & 8) ? 8 : 4;
    if (n >= len)
        return false;

    unsigned int op = b[n++], ext = 0;
    if (op == 0x0f) {
        if (n >= len)
            return false;
        ext = b[n++];
    }
    /* ModRM */
    if (n >= len)
        return false;
    u8 modrm = b[n++];
    unsigned int mod = modrm >> 6, reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
    unsigned int rm = modrm & 7;
    if (mod == 3)
        return false;                           /* a register operand: not a memory write */
    u64 ea = 0;
    if (rm == 4) {                              /* SIB */
        if (n >= len)
            return false;
        u8 sib = b[n++];
        unsigned int scale = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
        unsigned int base = (sib & 7) | ((rex & 1) ? 8 : 0);
        if (idx != 4)
            ea += *gpr(regs, idx) << scale;
        if ((base & 7) == 5 && mod == 0) {
            if (n + 4 > len)
                return false;
            s32 d32;
            memcpy(&d32, &b[n], 4);
            n += 4;
            ea += (u64)(s64)d32;
        } else {
            ea += *gpr(regs, base);
        }
    } else if (rm == 5 && mod == 0) {           /* RIP-relative: fixed up below */
        if (n + 4 > len)
            return false;
        s32 d32;
        memcpy(&d32, &b[n], 4);
        n += 4;
        ea = (u64)(s64)d32;
        rm = 0x10;
    } else {
        ea = *gpr(regs, rm | ((rex & 1) ? 8 : 0));
    }
    if (mod == 1) {
        if (n >= len)
            return false;
        ea += (u64)(s64)(s8)b[n++];
    } else if (mod == 2) {
        if (n + 4 > len)
            return false;
        s32 d32;
        memcpy(&d32, &b[n], 4);
        n += 4;
        ea += (u64)(s64)d32;
    }

    unsigned int imm = 0;
    in->reg = gpr(regs, reg);
    in->src = *in->reg;
    if (!ext) {
        switch (op) {
        case 0x89: in->op = OP_MOV; break;
        case 0x87: in->op = OP_XCHG; break;
        case 0x21: in->op = OP_AND; break;
        case 0x09: in->op = OP_OR; break;
        case 0xc7: if ((reg & 7) != 0) return false; in->op = OP_MOV; imm = 4; break;
        case 0xc6: if ((reg & 7) != 0) return false; in->op = OP_MOV; imm = 1; in->size = 1; break;
        case 0x80: case 0x81: case 0x83:        /* and/or with an immediate (0x80: bytes) */
            if ((reg & 7) == 4) in->op = OP_AND;
            else if ((reg & 7) == 1) in->op = OP_OR;
            else return false;
            imm = op == 0x81 ? 4 : 1;
            if (op == 0x80)
                in->size = 1;
            break;
        default: return false;
        }
    } else {
        switch (ext) {
        case 0xb1: in->op = OP_CMPXCHG; break;
        case 0xb3: in->op = OP_BTR; break;
        case 0xab: in->op = OP_BTS; break;
        case 0xba:
            if ((reg & 7) == 6) in->op = OP_BTR;
            else if ((reg & 7) == 5) in->op = OP_BTS;
            else return false;
            imm = 1;
            break;
        default: return false;
        }
    }
    if (imm) {
        if (n + imm > len)
            return false;
        if (imm == 4) {
            s32 v;
            memcpy(&v, &b[n], 4);
            in->src = (u64)(s64)v;
        } else {
            in->src = (u64)(s64)(s8)b[n];
            if (in->op == OP_BTR || in->op == OP_BTS)
                in->src = b[n];
        }
        n += imm;
    }
    if (rm == 0x10)
        ea += regs->rip + n;
    in->ea = ea + seg_base;
    in->len = n;
    return true;
}

/* The bits of an operand of size bytes. */
static u64 size_mask(unsigned int size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void set_logic_flags(struct cpu_regs *regs, u64 res, unsigned int size)
{
    u64 f = regs->rflags & ~(u64)0x8d5;         /* CF PF AF ZF SF OF */
    res &= size_mask(size);
    if (!res)
        f |= 0x40;
    if (res >> (size * 8 - 1))
        f |= 0x80;
    if (!(__builtin_popcountll(res & 0xff) & 1))
        f |= 0x04;
    regs->rflags = f;
}

static void set_sub_flags(struct cpu_regs *regs, u64 a, u64 b, unsigned int size)
{
    u64 m = size_mask(size);
    a &= m;
    b &= m;
    u64 r = (a - b) & m;
    set_logic_flags(regs, r, size);
    unsigned int top = size * 8 - 1;
    if (a < b)
        regs->rflags |= 0x01;
    if ((((a ^ b) & (a ^ r)) >> top) & 1)
        regs->rflags |= 0x800;
    if ((a ^ b ^ r) & 0x10)
        regs->rflags |= 0x10;
}

bool pv_ptwr_fault(struct cpu_regs *regs, u64 addr, u32 ec)
{
    (void)ec;
    struct vcpu *v = current;
    struct domain *d = v->domain;

    /* Which frame does addr map, and is it a live L1 of this domain? */
    if (!guest_range_ok(addr, 1) || !is_canonical(addr))
        return false;
    u64 *t = mfn_to_virt(_mfn(v->arch.guest_table));
    u64 e = 0;
    for (unsigned int level = 4; level >= 1; level--) {
        e = t[pt_index(addr, level)];
        if (!(e & PTE_P) || (level > 1 && (e & PTE_PS)))
            return false;
        if (level > 1)
            t = mfn_to_virt(_mfn((e & PTE_ADDR) >> PAGE_SHIFT));
    }
    if (e & PTE_W)
        return false;                           /* writable: not our fault */
    u64 mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
    struct page_info *pg = get_page_from_mfn(mfn, d);
    if (!pg)
        return false;

    bool done = false;
    struct insn in;
    spin_lock(&d->mm_lock);
    u64 ti = pg->type_info;
    if ((ti & PGT_type_mask) != PGT_l1_page_table || !(ti & PGT_count_mask) ||
        !(ti & PGT_validated) || !decode(regs, &in) || (in.ea & ~7ull) != (addr & ~7ull) ||
        (in.ea & (in.size - 1)))
        goto out;

    u64 *pte = (u64 *)((u8 *)mfn_to_virt(_mfn(mfn)) + (addr & (PAGE_SIZE - 1) & ~7ull));
    unsigned int shift = (unsigned int)(in.ea & 7) * 8;
    u64 mask = size_mask(in.size) << shift;
    for (int tries = 0; tries < 8; tries++) {
        u64 old = __atomic_load_n(pte, __ATOMIC_ACQUIRE);
        u64 cur = (old & mask) >> shift, val = cur;
        switch (in.op) {
        case OP_MOV: case OP_XCHG: val = in.src; break;
        case OP_AND: val = cur & in.src; break;
        case OP_OR: val = cur | in.src; break;
        case OP_BTR: val = cur & ~(1ull << (in.src & (in.size * 8 - 1))); break;
        case OP_BTS: val = cur | (1ull << (in.src & (in.size * 8 - 1))); break;
        case OP_CMPXCHG: {
            val = (regs->rax & size_mask(in.size)) == cur ? in.src : cur;
            break;
        }
        }
        u64 nw = (old & ~mask) | ((val << shift) & mask);
        int rc = ptwr_update_l1(d, pte, old, nw);
        if (rc == -EAGAIN)
            continue;                           /* the CPU set A/D meanwhile: again */
        if (rc)
            goto out;
        switch (in.op) {
        case OP_XCHG:
            *in.reg = cur;
            break;
        case OP_CMPXCHG:
            set_sub_flags(regs, regs->rax, cur, in.size);
            if (val == cur && (regs->rax & size_mask(in.size)) != cur)
                regs->rax = cur;                /* failed compare: rax gets the entry */
            break;
        case OP_AND: case OP_OR:
            set_logic_flags(regs, val, in.size);
            break;
        case OP_BTR: case OP_BTS:
            regs->rflags = (regs->rflags & ~1ull) | ((cur >> (in.src & (in.size * 8 - 1))) & 1);
            break;
        default:
            break;
        }
        regs->rip += in.len;
        done = true;
        break;
    }
out:
    spin_unlock(&d->mm_lock);
    put_page(pg);
    return done;
}

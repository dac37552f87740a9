/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device access control on cgroup v2: cgroup v2 has no devices controller;
 * the kernel instead runs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to
 * the cgroup for every mknod and open of a device node.  septa writes the
 * program itself (no libbpf, no compiler): a few instructions per rule.
 *
 * Program shape (r1 = struct bpf_cgroup_dev_ctx *):
 *   r2 = type  (access_type & 0xffff: 1 block, 2 char)
 *   r3 = access (access_type >> 16: 1 mknod, 2 read, 4 write)
 *   r4 = major, r5 = minor
 *   for each rule, LAST FIRST (in OCI the last matching rule wins):
 *     if type differs / access not covered / major or minor differ: next
 *     return rule.allow
 *   return 0 (deny)
 */
#include "cgroup-internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    return i;
}

#define LDX_W(dst, src, off)    insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV64_REG(dst, src)     insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)     insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off)  insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT()                  insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
    int bits = 0;
    for (; *a; a++)
        bits |= *a == 'm'   ? BPF_DEVCG_ACC_MKNOD
                : *a == 'r' ? BPF_DEVCG_ACC_READ
                            : BPF_DEVCG_ACC_WRITE;
    return bits;
}

/* Emit one rule; its "no match" jumps land just past the block. */
static size_t emit_rule(struct bpf_insn *p, const struct sp_cgroup_device_rule *d)
{
    size_t n = 0;
    size_t jumps[4];
    size_t nj = 0;
    if (d->type != 'a') {
        jumps[nj++] = n;
        p[n++] = JNE_IMM(BPF_REG_2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    }
    int acc = access_bits(d->access);
    if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
        /* Matches only if every requested access is in the rule. */
        p[n++] = MOV64_REG(BPF_REG_6, BPF_REG_3);
        p[n++] = ALU32_IMM(BPF_AND, BPF_REG_6, ~acc);
        jumps[nj++] = n;
        p[n++] = JNE_IMM(BPF_REG_6, 0, 0);
    }
    if (d->type != 'a' && d->major >= 0) {
        jumps[nj++] = n;
        p[n++] = JNE_IMM(BPF_REG_4, (int32_t)d->major, 0);
    }
    if (d->type != 'a' && d->minor >= 0) {
        jumps[nj++] = n;
        p[n++] = JNE_IMM(BPF_REG_5, (int32_t)d->minor, 0);
    }
    p[n++] = MOV64_IMM(BPF_REG_0, d->allow ? 1 : 0);
    p[n++] = EXIT();
    for (size_t j = 0; j < nj; j++)
        p[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
    return n;
}

/* Build the program; exposed to the unit tests through the count only. */
static struct bpf_insn *build_prog(const struct sp_cgroup_device_rule *rules, size_t nrules,
                                   size_t *count)
{
    struct bpf_insn *p = sp_xcalloc(8 + nrules * 8, sizeof(*p));
    size_t n = 0;
    p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
    p[n++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
    p[n++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
    p[n++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
    p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
    p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
    bool catch_all = false;
    for (size_t i = nrules; i > 0 && !catch_all; i--) {
        n += emit_rule(p + n, &rules[i - 1]);
        /* "a *:* rwm" matches everything: what follows could never run, and
         * the verifier refuses unreachable instructions. */
        catch_all = rules[i - 1].type == 'a' && strcmp(rules[i - 1].access, "rwm") == 0;
    }
    if (!catch_all) {
        p[n++] = MOV64_IMM(BPF_REG_0, 0);
        p[n++] = EXIT();
    }
    *count = n;
    return p;
}

/* Programs attached directly to this cgroup (septa's earlier ones). */
static int query_attached(int cgfd, uint32_t *ids, uint32_t *n)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *n;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return -1;
    *n = attr.query.prog_cnt;
    return 0;
}

int sp_cg_bpf_devices(int cgroup_fd, const struct sp_cgroup_device_rule *rules, size_t n,
                      sp_error **err)
{
    size_t count = 0;
    _cleanup_free_ struct bpf_insn *prog = build_prog(rules, n, &count);
    _cleanup_free_ char *log = sp_xcalloc(1, 65536);
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = (uint32_t)count;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = 65536;
    attr.log_level = 1;
    _cleanup_close_ int pfd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (pfd < 0 && errno == ENOSPC) {
        /* The verifier log did not fit: load again without it. */
        attr.log_buf = 0;
        attr.log_size = 0;
        attr.log_level = 0;
        pfd = sys_bpf(BPF_PROG_LOAD, &attr);
    }
    if (pfd < 0) {
        int e = errno;
        log[strcspn(log, "\n")] = '\0';
        return sp_err(err, e, "loading the device-control BPF program (%zu instructions)%s%s",
                      count, *log ? ": verifier: " : "", log);
    }
    uint32_t old[64];
    uint32_t nold = SP_ARRAY_SIZE(old);
    if (query_attached(cgroup_fd, old, &nold) < 0)
        nold = 0;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)pfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    /* MULTI: the new program goes on before the old one comes off, so there
     * is no window without device control. */
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return sp_err(err, errno, "attaching the device-control BPF program to the cgroup");
    for (uint32_t i = 0; i < nold && i < SP_ARRAY_SIZE(old); i++) {
        union bpf_attr g;
        memset(&g, 0, sizeof(g));
        g.prog_id = old[i];
        _cleanup_close_ int ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
        if (ofd < 0)
            continue;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)ofd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
            return sp_err(err, errno, "detaching the previous device-control BPF program");
    }
    return 0;
}

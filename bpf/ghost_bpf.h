/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What BPF programs of ghost's struct_ops (kernel/sched/ghost_bpf.c, in
 * kernel-patches/) see of the kernel: the ops table and the kfuncs.
 * docs/bpf.md describes when each hook runs and what it may call.
 *
 * libbpf matches the members of struct ghost_bpf_ops by name with the
 * kernel's, as BTF describes it, so this copy need not be byte-exact; the
 * message layout is the uapi header's.
 */
#ifndef GHOST_BPF_GHOST_BPF_H_
#define GHOST_BPF_GHOST_BPF_H_

#include <linux/types.h>

#include "lib/uapi/linux/ghost.h"

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

struct ghost_bpf_ops {
	/* An enclave CPU would run nothing: may latch one thread on it. */
	__s32 (*pick)(__s32 cpu);
	/* A message, before it is queued: GHOST_BPF_MSG_PASS or _CONSUME. */
	__s32 (*msg)(const struct ghost_msg *msg);
	/* A tick while thread @gtid runs: GHOST_BPF_TICK_KEEP or _PREEMPT. */
	__s32 (*tick)(__s32 cpu, __u64 gtid);
	/* The enclave to attach to: set by the loader before the attach. */
	__u32 enclave_id;
	__u32 flags;
	char name[GHOST_BPF_NAME_LEN];
};

/*
 * From pick only: a GHOST_TXN_* result, as a commit's (TARGET_ONCPU also
 * for a thread an agent latched on another CPU and, with sched_ext
 * enabled, one queued on another CPU; TARGET_STALE also when it moved
 * since the kernel looked it up), or -EBUSY once this pick may latch no
 * more: it latched one, made four attempts, or an agent latched the CPU.
 * Any result but GHOST_TXN_COMPLETE changed nothing.
 */
extern __s32 ghost_bpf_latch(__u64 gtid, __u32 task_barrier,
			     __u32 run_flags) __ksym;
/* From any hook: 0, or -EINVAL for a CPU not of the enclave. */
extern __s32 ghost_bpf_kick_cpu(__s32 cpu) __ksym;
/* From any hook: the idle enclave CPU kicked, or -ENOENT. */
extern __s32 ghost_bpf_kick_idle(void) __ksym;
/* From any hook: 0, -EINVAL (not the enclave's CPU), -ENOENT (no agent). */
extern __s32 ghost_bpf_wake_agent(__s32 cpu) __ksym;

#endif /* GHOST_BPF_GHOST_BPF_H_ */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost_scx: the layout shared by the sched_ext scheduler
 * (bpf/ghost_scx.bpf.c) and its userspace backend
 * (lib/scx/scx_kernel.h). Plain C, included by both.
 *
 * The scheduler keeps the ghost ABI's shared memory (docs/abi.md): status
 * words and transaction slots in its mmapable .bss, messages as struct
 * ghost_msg records on BPF ring buffers (one per channel). The agent's
 * operations (commit, associate, ping, ...) are one BPF_PROG_TYPE_SYSCALL
 * program run with BPF_PROG_RUN, its context a struct ghost_scx_args: the
 * sched_ext counterpart of ghost_run().
 */
#ifndef GHOST_BPF_GHOST_SCX_H_
#define GHOST_BPF_GHOST_SCX_H_

#include <linux/types.h>

#include "lib/uapi/linux/ghost.h"

/* CPUs the scheduler knows (numbers below this). */
#define GHOST_SCX_MAX_CPUS	256
/* Channels (message rings) the agents may create. */
#define GHOST_SCX_MAX_CHANNELS	256
/* No channel: the thread's messages go to the default channel. */
#define GHOST_SCX_NO_CHANNEL	0xffffffffU

/*
 * gtids: the status word index in the low bits, a generation above it, so
 * a gtid names its word (a commit finds the thread without a lookup) and
 * is never reused (the generation counts every NEW).
 */
#define GHOST_SCX_GTID_INDEX_BITS	14
#define GHOST_SCX_GTID_INDEX_MASK	((1ULL << GHOST_SCX_GTID_INDEX_BITS) - 1)

static inline __u64 ghost_scx_make_gtid(__u64 generation, __u32 index)
{
	return (generation << GHOST_SCX_GTID_INDEX_BITS) |
	       (index & GHOST_SCX_GTID_INDEX_MASK);
}

static inline __u32 ghost_scx_gtid_index(__u64 gtid)
{
	return (__u32)(gtid & GHOST_SCX_GTID_INDEX_MASK);
}

/* Operations of the syscall program (struct ghost_scx_args.op). */
enum ghost_scx_op {
	GHOST_SCX_OP_COMMIT	= 1,	/* commit_lists[caller_cpu], nr entries */
	GHOST_SCX_OP_ASSOC	= 2,	/* gtid, barrier, channel */
	GHOST_SCX_OP_PING	= 3,	/* cpu */
	GHOST_SCX_OP_SW_FREE	= 4,	/* index */
	GHOST_SCX_OP_ATTACH	= 5,	/* cpu; out: index */
	GHOST_SCX_OP_DETACH	= 6,	/* cpu */
};

/* The context of one BPF_PROG_RUN of the syscall program. */
struct ghost_scx_args {
	__u32	op;		/* enum ghost_scx_op */
	__s32	ret;		/* out: 0, a count, or -errno */
	__s32	cpu;		/* the caller's agent CPU, or the target */
	__u32	nr;		/* COMMIT: entries of the caller's list */
	__u64	gtid;
	__u32	barrier;
	__u32	channel;
	__u32	index;		/* SW_FREE in, ATTACH out */
	__u32	agent_barrier;	/* COMMIT */
};

/* Per channel: written by the agent, read by the scheduler. */
struct ghost_scx_channel_info {
	__u64	overflow;	/* messages dropped: the ring was full */
	__u64	produced;
	__u32	nr_wake;	/* agent CPUs a message wakes */
	__s32	wake_cpus[GHOST_QUEUE_MAX_WAKEUP_CPUS];
	__u32	pad;
};

/* Per CPU: the agent's configuration of the CPU. */
struct ghost_scx_cpu_conf {
	__u32	in_enclave;	/* the agents schedule this CPU */
	__u32	cpu_channel;	/* CPU messages go here (NO_CHANNEL: none) */
};

/* A CPU list per agent CPU, for COMMIT (BPF cannot index its context). */
struct ghost_scx_commit_list {
	__s32	cpus[GHOST_SCX_MAX_CPUS];
};

/* Per CPU, the scheduler's own (in .bss, so the agent may look). */
struct ghost_scx_cpu_state {
	__u64	latch;		/* gtid latched here (0: none) */
	__u64	latches;	/* commits that latched here */
	__u32	agent_word;	/* its agent's word + 1 (0: no agent) */
	__s32	agent_pid;
	__u32	busy;		/* CPU_BUSY sent, CPU_AVAILABLE not yet */
	__u32	resched;	/* a commit since the CPU last ran a thread */
	/* What the CPU did with its latches, for the dump of a stall. */
	__u64	latch_ns;	/* when the last commit latched here */
	__u64	dispatch_ns;	/* the last ops.dispatch */
	__u64	dispatches;	/* ops.dispatch calls */
	__u64	waits;		/* ... that found the latched thread not here */
};

/* Counters (the scheduler's .bss), for ghostctl and the tests. */
struct ghost_scx_stats {
	__u64	msgs[32];	/* by message type */
	__u64	txn[16];	/* by result - GHOST_TXN_COMPLETE */
	__u64	no_queue;	/* produced with no channel to go to */
	__u64	untracked;	/* threads with no word: run by the kernel */
	__u64	dispatched;	/* latches handed to a CPU */
	__u64	pinned_fallback; /* migration-disabled: run where they are */
	__u64	not_allowed;	/* latch dropped at dispatch: CPU not allowed */
};

#endif /* GHOST_BPF_GHOST_SCX_H_ */

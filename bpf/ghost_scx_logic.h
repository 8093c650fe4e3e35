/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost_scx_logic: the decisions of the sched_ext scheduler that do not
 * touch the kernel: which ghost message a sched_ext callback becomes, and
 * which result a commit gets. Pure C, included by bpf/ghost_scx.bpf.c and
 * by the host tests (tests/host/scx_logic_test.cc), so the translation is
 * tested without a kernel.
 */
#ifndef GHOST_BPF_GHOST_SCX_LOGIC_H_
#define GHOST_BPF_GHOST_SCX_LOGIC_H_

#include <linux/types.h>

#include "lib/uapi/linux/ghost.h"

/* Inlined everywhere: the BPF side calls these with a lock held. */
#define GHOST_SCX_INLINE static inline __attribute__((always_inline))

/* A thread as the scheduler tracks it. */
enum ghost_scx_thread_state {
	GHOST_SCX_FREE		= 0,	/* the word holds no thread */
	GHOST_SCX_BLOCKED	= 1,
	GHOST_SCX_RUNNABLE	= 2,	/* waits for a latch (or latched) */
	GHOST_SCX_ONCPU		= 3,	/* runs on @cpu */
	GHOST_SCX_GONE		= 4,	/* dead or departed: word to free */
};

/* sched_ext's SCX_DEQ_SLEEP (DEQUEUE_SLEEP) and the kernel's TASK_DEAD. */
#define GHOST_SCX_DEQ_SLEEP	1ULL
#define GHOST_SCX_TASK_DEAD	0x80U

/* What a commit sees of its target, read under the thread's lock. */
struct ghost_scx_target {
	__u64	gtid;
	__u32	seq;		/* its latest message */
	__u32	state;		/* enum ghost_scx_thread_state */
	__s32	cpu;		/* where it runs (ONCPU) */
	__u32	allowed;	/* the commit's CPU is in its affinity */
};

/*
 * The result of committing @gtid at @barrier to @cpu, given what the
 * thread is (@t; its gtid 0 if the word holds nothing). COMPLETE with
 * *@already set: it runs there already, nothing to latch.
 */
GHOST_SCX_INLINE int ghost_scx_commit_verdict(const struct ghost_scx_target *t,
					   __u64 gtid, __u32 barrier, int cpu,
					   int *already)
{
	*already = 0;
	if (t->gtid != gtid || t->state == GHOST_SCX_FREE ||
	    t->state == GHOST_SCX_GONE)
		return GHOST_TXN_TARGET_NOT_FOUND;
	if (t->seq != barrier)
		return GHOST_TXN_TARGET_STALE;
	if (t->state == GHOST_SCX_BLOCKED)
		return GHOST_TXN_TARGET_NOT_RUNNABLE;
	if (t->state == GHOST_SCX_ONCPU) {
		if (t->cpu != cpu)
			return GHOST_TXN_TARGET_ONCPU;
		*already = 1;
		return GHOST_TXN_COMPLETE;
	}
	if (!t->allowed)
		return GHOST_TXN_CPU_NOT_ALLOWED;
	return GHOST_TXN_COMPLETE;
}

/*
 * The checks of a commit before its target: the CPU, the flags and, for
 * the caller's own CPU, the agent barrier. 0 if they pass.
 */
GHOST_SCX_INLINE int ghost_scx_slot_verdict(int in_enclave, __u32 run_flags,
					 int own_cpu, __u32 agent_barrier,
					 __u32 agent_word_barrier)
{
	if (!in_enclave)
		return GHOST_TXN_CPU_NOT_IN_ENCLAVE;
	if (run_flags & ~GHOST_RUN_F_ALL)
		return GHOST_TXN_INVALID;
	if (own_cpu && agent_barrier != agent_word_barrier)
		return GHOST_TXN_AGENT_STALE;
	return 0;
}

/*
 * ops.stopping(p, runnable=true): the thread leaves its CPU still
 * runnable. It yielded (ops.yield marked it), or something took the CPU:
 * a commit's kick, or a higher class (the CPU's release puts it back).
 */
GHOST_SCX_INLINE __u16 ghost_scx_stop_msg(int yielding)
{
	return yielding ? GHOST_MSG_YIELD : GHOST_MSG_PREEMPTED;
}

/*
 * ops.quiescent(p, deq_flags): BLOCKED or DEAD for a sleep, nothing for
 * the dequeue of a property change (nice, affinity, class), after which
 * it is enqueued again at once.
 */
GHOST_SCX_INLINE __u16 ghost_scx_quiescent_msg(__u64 deq_flags, __u32 task_state)
{
	if (!(deq_flags & GHOST_SCX_DEQ_SLEEP))
		return 0;
	return (task_state & GHOST_SCX_TASK_DEAD) ? GHOST_MSG_DEAD
						  : GHOST_MSG_BLOCKED;
}

/* The status word flags of a thread in @state. */
GHOST_SCX_INLINE __u32 ghost_scx_sw_flags(__u32 state)
{
	switch (state) {
	case GHOST_SCX_BLOCKED:
		return GHOST_SW_F_INUSE;
	case GHOST_SCX_RUNNABLE:
		return GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE;
	case GHOST_SCX_ONCPU:
		return GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE | GHOST_SW_F_ONCPU;
	case GHOST_SCX_GONE:
		return GHOST_SW_F_INUSE | GHOST_SW_F_CANFREE;
	default:
		return 0;
	}
}

/* NEW's flags for a thread entering in @state. */
GHOST_SCX_INLINE __u16 ghost_scx_new_flags(__u32 state, int forked)
{
	__u16 f = 0;

	if (state == GHOST_SCX_RUNNABLE || state == GHOST_SCX_ONCPU)
		f |= GHOST_MSG_F_RUNNABLE;
	if (state == GHOST_SCX_ONCPU)
		f |= GHOST_MSG_F_ON_CPU;
	if (forked)
		f |= GHOST_MSG_F_FORKED;
	return f;
}

/* The nice value of a CFS-style static priority (100..139). */
GHOST_SCX_INLINE int ghost_scx_nice(int static_prio)
{
	return static_prio - 120;
}

#endif /* GHOST_BPF_GHOST_SCX_LOGIC_H_ */

// SPDX-License-Identifier: GPL-2.0
/*
 * ghost_bpf_fifo: an enclave scheduled entirely in BPF, first come first
 * served, with a slice of a tick when others wait.
 *
 * msg: every thread message is consumed (there is no agent to read it).
 * A thread that becomes runnable (NEW runnable, WAKEUP, PREEMPTED, YIELD)
 * goes to the back of one global queue, and an idle enclave CPU is kicked
 * to pick it. Each message's seqnum and CPU are kept per thread: the
 * seqnum is the barrier a latch must carry.
 *
 * pick: takes threads from the queue's head and tries to latch them on
 * this CPU, in at most GHOST_FIFO_PICK_TRIES attempts (the kernel allows
 * four per pick and answers -EBUSY after them). The queue never loses a
 * thread that nothing else would queue again: an entry is dropped only
 * when the kernel's answer means that a later message (WAKEUP, PREEMPTED,
 * DEAD...) says what became of the thread; every other entry goes back to
 * the head, in its order. ghost_bpf_fifo_logic.h has the loop, and says
 * why for each answer.
 *
 * tick: a running thread leaves its CPU when others wait; its PREEMPTED
 * puts it at the back, and the pick hook runs on that CPU. A thread that
 * yields gets no pick hook on its CPU: the YIELD message kicks the CPU.
 *
 * Userspace (agents/bpf_fifo) sets the enclave and reads the counters.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ghost_bpf.h"
#include "bpf/ghost_bpf_fifo_logic.h"

char LICENSE[] SEC("license") = "GPL";

/* The queue (ghost_bpf_fifo_logic.h), both ends under one lock. */
struct fifo_ring {
	struct bpf_spin_lock lock;
	struct ghost_fifo_slots q;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fifo_ring);
} fifo SEC(".maps");

/* What the latest message of a thread said. */
struct fifo_thread {
	__u32 seqnum;	/* the barrier of its latch */
	__s32 cpu;	/* its CPU then */
};

/* gtid -> its latest message. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GHOST_FIFO_CAPACITY);
	__type(key, __u64);
	__type(value, struct fifo_thread);
} threads SEC(".maps");

/* Counters, read by userspace. */
__u64 nr_queued;		/* entries in fifo now */
__u64 nr_msgs;
__u64 nr_picks;
__u64 nr_latched;
__u64 nr_push_failed;		/* fifo full */
__u64 nr_preempted;		/* by tick */
__u64 nr_requeued;		/* put back at the head after a failed latch */
__u64 nr_busy;			/* latches the kernel refused with -EBUSY */
__u64 latch_results[GHOST_TXN_NR_RESULTS];

static __always_inline struct fifo_ring *ring(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fifo, &zero);
}

/* fifo_add() of ghost_bpf_fifo_logic.h: @front is a put-back. */
static __always_inline int fifo_add(__u64 gtid, int front)
{
	struct fifo_ring *r = ring();
	int ok;

	if (!r)
		return 0;
	bpf_spin_lock(&r->lock);
	ok = ghost_fifo_slots_add(&r->q, gtid, front);
	bpf_spin_unlock(&r->lock);
	if (!ok) {
		__sync_fetch_and_add(&nr_push_failed, 1);
		return 0;
	}
	__sync_fetch_and_add(&nr_queued, 1);
	if (front)
		__sync_fetch_and_add(&nr_requeued, 1);
	return 1;
}

/* fifo_pop() of ghost_bpf_fifo_logic.h. */
static __always_inline int fifo_pop(__u64 *gtid)
{
	struct fifo_ring *r = ring();
	int ok;

	if (!r)
		return 0;
	bpf_spin_lock(&r->lock);
	ok = ghost_fifo_slots_pop(&r->q, gtid);
	bpf_spin_unlock(&r->lock);
	if (ok)
		__sync_fetch_and_sub(&nr_queued, 1);
	return ok;
}

static __always_inline void count_result(__s32 ret)
{
	__u32 i = ret - GHOST_TXN_COMPLETE;

	if (i < GHOST_TXN_NR_RESULTS)
		__sync_fetch_and_add(&latch_results[i], 1);
}

/*
 * fifo_try() of ghost_bpf_fifo_logic.h: latches @gtid on this CPU;
 * ghost_fifo_fate() says what becomes of its entry, and why.
 */
static __always_inline enum ghost_fifo_fate fifo_try(__u64 gtid)
{
	struct fifo_thread *t = bpf_map_lookup_elem(&threads, &gtid);
	__s32 ret;

	/* Its DEAD or DEPARTED came: it is no longer the enclave's. */
	if (!t)
		return GHOST_FIFO_DROP;
	ret = ghost_bpf_latch(gtid, t->seqnum, 0);
	count_result(ret);
	if (ret == GHOST_TXN_COMPLETE)
		__sync_fetch_and_add(&nr_latched, 1);
	else if (ret == -EBUSY)
		__sync_fetch_and_add(&nr_busy, 1);
	else if (ret == GHOST_TXN_TARGET_ONCPU)
		/*
		 * Kept: if it waits on another CPU's rq (sched_ext enabled),
		 * only that CPU's pick can latch it. If it runs there, the
		 * kick costs that CPU one schedule.
		 */
		ghost_bpf_kick_cpu(t->cpu);
	return ghost_fifo_fate(ret);
}

SEC("struct_ops/fifo_msg")
__s32 BPF_PROG(fifo_msg, const struct ghost_msg *msg)
{
	struct fifo_thread t = { .seqnum = msg->seqnum, .cpu = msg->cpu };
	__u64 gtid = msg->gtid;
	__u16 type = msg->type;

	/* CPU messages: nobody needs them. */
	if (type >= GHOST_MSG_CPU_TICK)
		return GHOST_BPF_MSG_CONSUME;
	__sync_fetch_and_add(&nr_msgs, 1);
	if (type == GHOST_MSG_DEAD || type == GHOST_MSG_DEPARTED) {
		bpf_map_delete_elem(&threads, &gtid);
		return GHOST_BPF_MSG_CONSUME;
	}
	bpf_map_update_elem(&threads, &gtid, &t, BPF_ANY);
	if ((type == GHOST_MSG_NEW && (msg->flags & GHOST_MSG_F_RUNNABLE) &&
	     !(msg->flags & GHOST_MSG_F_ON_CPU)) ||
	    type == GHOST_MSG_WAKEUP || type == GHOST_MSG_PREEMPTED ||
	    type == GHOST_MSG_YIELD) {
		if (fifo_add(gtid, 0))
			ghost_bpf_kick_idle();
	}
	/*
	 * A thread that yielded asked to leave its CPU itself: the kernel
	 * runs no pick hook in that schedule, and the CPU, now idle, would
	 * wait for a kick (kick_idle() above skipped it: it was not idle
	 * yet). Its own kick runs once the switch is done.
	 */
	if (type == GHOST_MSG_YIELD)
		ghost_bpf_kick_cpu(msg->cpu);
	return GHOST_BPF_MSG_CONSUME;
}

SEC("struct_ops/fifo_pick")
__s32 BPF_PROG(fifo_pick, __s32 cpu)
{
	__sync_fetch_and_add(&nr_picks, 1);
	/*
	 * Threads still wait after progress (a latch, or an entry dropped):
	 * the kicks of their messages may all have gone to one CPU, and this
	 * pick's attempts to dropped entries. Another idle CPU (maybe this
	 * one again) looks. Not without progress: entries that no CPU can
	 * latch now must not bounce kicks between idle CPUs.
	 */
	if (ghost_fifo_pick() && *(volatile __u64 *)&nr_queued)
		ghost_bpf_kick_idle();
	return 0;
}

SEC("struct_ops/fifo_tick")
__s32 BPF_PROG(fifo_tick, __s32 cpu, __u64 gtid)
{
	if (!*(volatile __u64 *)&nr_queued)
		return GHOST_BPF_TICK_KEEP;
	__sync_fetch_and_add(&nr_preempted, 1);
	return GHOST_BPF_TICK_PREEMPT;
}

SEC(".struct_ops")
struct ghost_bpf_ops fifo_ops = {
	.pick = (void *)fifo_pick,
	.msg = (void *)fifo_msg,
	.tick = (void *)fifo_tick,
	.name = "bpf_fifo",
};

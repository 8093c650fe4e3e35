/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost_bpf_fifo_logic: the decisions of bpf_fifo (ghost_bpf_fifo.bpf.c)
 * that do not touch the kernel: the queue's ring, what a pick does with an
 * entry after each latch result, and the pick's loop. Pure C, included by
 * the BPF program and by the host tests (tests/host/bpf_fifo_logic_test.cc),
 * so that "no thread is lost" is tested without a kernel.
 *
 * The includer defines the three steps the pick's loop takes, declared
 * here:
 *
 *   fifo_pop(&gtid)          takes the head, if any (0: empty)
 *   fifo_add(gtid, front)    queues at the head or the back (0: full)
 *   fifo_try(gtid)           a latch attempt: the entry's fate
 *
 * (the BPF side takes the ring's lock in the first two and calls the
 * kernel in the third; the tests script them).
 */
#ifndef GHOST_BPF_GHOST_BPF_FIFO_LOGIC_H_
#define GHOST_BPF_GHOST_BPF_FIFO_LOGIC_H_

#include <linux/types.h>

#include "lib/uapi/linux/ghost.h"

/* Inlined everywhere: the BPF side calls the ring's with its lock held. */
#define GHOST_FIFO_INLINE static inline __attribute__((always_inline))

/*
 * The queue's slots: a power of two (the index is masked), at least the
 * enclave's thread limit (GHOST_SW_REGION_WORDS).
 */
#define GHOST_FIFO_CAPACITY	16384
#define GHOST_FIFO_MASK		(GHOST_FIFO_CAPACITY - 1)
#ifdef __cplusplus
static_assert(GHOST_FIFO_CAPACITY >= GHOST_SW_REGION_WORDS &&
	      (GHOST_FIFO_CAPACITY & GHOST_FIFO_MASK) == 0,
	      "the queue holds every thread of an enclave");
#else
_Static_assert(GHOST_FIFO_CAPACITY >= GHOST_SW_REGION_WORDS &&
	       (GHOST_FIFO_CAPACITY & GHOST_FIFO_MASK) == 0,
	       "the queue holds every thread of an enclave");
#endif

/*
 * Latch attempts per pick: the kernel's bound (GHOST_BPF_LATCH_TRIES in
 * kernel/sched/ghost_bpf.c); a fifth call would only get -EBUSY. A power
 * of two: the entries set aside are indexed with a mask.
 */
#define GHOST_FIFO_PICK_TRIES	4

/*
 * The queue's entries, [head, tail) (the indices wrap as u32): a ring with
 * both ends usable, since an entry whose latch failed goes back to the
 * head. The BPF side keeps it next to its lock.
 */
struct ghost_fifo_slots {
	__u32 head;
	__u32 tail;
	__u64 gtid[GHOST_FIFO_CAPACITY];
};

/* Queues @gtid at the back (@front 0) or the head; 0 if full. */
GHOST_FIFO_INLINE int ghost_fifo_slots_add(struct ghost_fifo_slots *q,
					   __u64 gtid, int front)
{
	if (q->tail - q->head >= GHOST_FIFO_CAPACITY)
		return 0;
	if (front)
		q->gtid[--q->head & GHOST_FIFO_MASK] = gtid;
	else
		q->gtid[q->tail++ & GHOST_FIFO_MASK] = gtid;
	return 1;
}

/* Takes the head into @gtid; 0 if the queue is empty. */
GHOST_FIFO_INLINE int ghost_fifo_slots_pop(struct ghost_fifo_slots *q,
					   __u64 *gtid)
{
	if (q->head == q->tail)
		return 0;
	*gtid = q->gtid[q->head++ & GHOST_FIFO_MASK];
	return 1;
}

/* What a pick does with an entry after its latch attempt. */
enum ghost_fifo_fate {
	GHOST_FIFO_DONE,	/* latched: the pick is over */
	GHOST_FIFO_DROP,	/* a later message queues the thread again */
	GHOST_FIFO_RETRY,	/* back to the head, and try the head again */
	GHOST_FIFO_SKIP,	/* set aside: try the next, then put it back */
	GHOST_FIFO_STOP,	/* back to the head; the pick may latch no more */
};

/*
 * The fate of an entry whose latch got @ret (a GHOST_TXN_* result, or a
 * negative errno). Only a result after which the kernel sends a message
 * about the thread drops the entry: the msg hook queues it again when it
 * is runnable.
 */
GHOST_FIFO_INLINE enum ghost_fifo_fate ghost_fifo_fate(__s32 ret)
{
	switch (ret) {
	case GHOST_TXN_COMPLETE:
		return GHOST_FIFO_DONE;
	case GHOST_TXN_TARGET_NOT_FOUND:
		/*
		 * It left the enclave or died: its DEPARTED or DEAD says so
		 * (or did).
		 */
		return GHOST_FIFO_DROP;
	case GHOST_TXN_TARGET_NOT_RUNNABLE:
		/*
		 * It blocked (its WAKEUP queues it again) or left the ghost
		 * class (DEPARTED). A member boosted into RT by priority
		 * inheritance also gets this answer, and gets no message when
		 * unboosted: it runs on in our class only if it was running
		 * then (docs/bpf.md, known gap).
		 */
		return GHOST_FIFO_DROP;
	case GHOST_TXN_TARGET_STALE:
		/*
		 * Our barrier is older than its latest message, whose hook
		 * has stored (or is storing) the new one, or it moved since
		 * the kernel looked it up. That message may say nothing about
		 * running (an affinity or nice change): try again with the
		 * fresh barrier. If it blocked, that answer drops it.
		 */
		return GHOST_FIFO_RETRY;
	case GHOST_TXN_TARGET_ONCPU:
		/*
		 * It runs on another CPU (a message follows when it leaves),
		 * or an agent latched it there, or, with sched_ext enabled,
		 * it waits on another CPU's rq, which only that CPU's pick
		 * may latch. No message follows the last two: keep it.
		 */
		return GHOST_FIFO_SKIP;
	case GHOST_TXN_CPU_NOT_ALLOWED:
		/* Another CPU may run it (its affinity, or migrate_disable()). */
		return GHOST_FIFO_SKIP;
	default:
		/*
		 * -EBUSY: this pick may latch no more (four attempts, or an
		 * agent latched the CPU). CPU_NOT_IN_ENCLAVE: this CPU is
		 * leaving the enclave, which may be dying. Anything else
		 * (-EPERM, INVALID) is the program's bug. None says anything
		 * about the thread, and the kernel changed nothing: keep it.
		 */
		return GHOST_FIFO_STOP;
	}
}

/* The includer's steps (above). */
static int fifo_pop(__u64 *gtid);
static int fifo_add(__u64 gtid, int front);
static enum ghost_fifo_fate fifo_try(__u64 gtid);

/*
 * One pick: latch attempts on entries from the head, GHOST_FIFO_PICK_TRIES
 * at most. Entries set aside go back to the head at the end, last first,
 * so that the queue keeps its order. Returns 1 after progress (a latch, or
 * an entry dropped), 0 otherwise.
 */
GHOST_FIFO_INLINE int ghost_fifo_pick(void)
{
	/* Zeroed: the verifier refuses a read of stack never written. */
	__u64 aside[GHOST_FIFO_PICK_TRIES] = {0};
	int nr_aside = 0;
	int progress = 0;
	int i;

	for (i = 0; i < GHOST_FIFO_PICK_TRIES; i++) {
		enum ghost_fifo_fate fate;
		__u64 gtid;

		if (!fifo_pop(&gtid))
			break;
		fate = fifo_try(gtid);
		if (fate == GHOST_FIFO_DONE || fate == GHOST_FIFO_DROP)
			progress = 1;
		if (fate == GHOST_FIFO_DONE)
			break;
		if (fate == GHOST_FIFO_DROP)
			continue;
		if (fate == GHOST_FIFO_SKIP) {
			aside[nr_aside++ & (GHOST_FIFO_PICK_TRIES - 1)] = gtid;
			continue;
		}
		fifo_add(gtid, 1);
		if (fate == GHOST_FIFO_STOP)
			break;
	}
	for (i = GHOST_FIFO_PICK_TRIES - 1; i >= 0; i--) {
		if (i < nr_aside)
			fifo_add(aside[i], 1);
	}
	return progress;
}

#endif /* GHOST_BPF_GHOST_BPF_FIFO_LOGIC_H_ */

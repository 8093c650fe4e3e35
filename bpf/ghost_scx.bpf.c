// SPDX-License-Identifier: GPL-2.0
/*
 * ghost_scx: ghost's kernel side on a stock kernel, as a sched_ext
 * scheduler (Linux 6.12's sched_ext: scx_bpf_dispatch, not the 6.13+
 * scx_bpf_dsq_insert names).
 *
 * Only threads whose policy is SCHED_EXT are ours (SCX_OPS_SWITCH_PARTIAL).
 * sched_ext callbacks become ghost messages (docs/abi.md "Messages") with
 * per-thread sequence numbers, on the BPF ring buffer of the thread's
 * channel; each thread has a ghost status word in this program's .bss,
 * which the agent maps. A runnable thread stays with this scheduler (in
 * ops.enqueue it goes to no dispatch queue) until an agent commits it to
 * a CPU: the syscall program ghost_scx_run checks the commit as the ghost
 * kernel would (same results) and latches the thread on the CPU, and that
 * CPU's ops.dispatch hands it to its local queue. A CPU with no latch runs
 * other classes or idles. Nothing here decides what runs.
 *
 * Locking: a thread's record (threads[]) has a bpf_spin_lock; callbacks
 * hold the thread's rq lock already, so its messages are produced in
 * order; the record's lock orders them with the agents' commits and
 * associations, which run without rq locks. No helper is called with a
 * record locked (the verifier forbids it).
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ghost_scx.h"
#include "bpf/ghost_scx_logic.h"

char LICENSE[] SEC("license") = "GPL";

/* ------------------------------------------------------------------ */
/* Kernel types, only the fields used (CO-RE relocates them).          */
/* ------------------------------------------------------------------ */

struct cpumask {
	unsigned long bits[1];
} __attribute__((preserve_access_index));

struct sched_entity {
	__u64 sum_exec_runtime;
} __attribute__((preserve_access_index));

struct sched_ext_entity {
	__u64 slice;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	unsigned int __state;
	unsigned int flags;
	int static_prio;
	unsigned int policy;
	int on_cpu;
	int on_rq;
	unsigned short migration_disabled;
	const struct cpumask *cpus_ptr;
	struct sched_entity se;
	struct sched_ext_entity scx;
} __attribute__((preserve_access_index));

struct scx_init_task_args {
	bool fork;
} __attribute__((preserve_access_index));

struct scx_exit_task_args {
	bool cancelled;
} __attribute__((preserve_access_index));

struct scx_cpu_acquire_args {
} __attribute__((preserve_access_index));

struct scx_cpu_release_args {
	struct task_struct *task;
} __attribute__((preserve_access_index));

/* An enum, as the kernel's: CO-RE matches an enum field only to an enum. */
enum scx_exit_kind {
	SCX_EXIT_NONE,
};

struct scx_exit_info {
	enum scx_exit_kind kind;
	__s64 exit_code;
	const char *reason;
	char *msg;
} __attribute__((preserve_access_index));

struct scx_dump_ctx;

/* The ops table: libbpf matches its members by name with the kernel's
 * struct sched_ext_ops, so only the ones set are declared. */
struct sched_ext_ops {
	__s32 (*select_cpu)(struct task_struct *p, __s32 prev_cpu, __u64 flags);
	void (*enqueue)(struct task_struct *p, __u64 enq_flags);
	void (*dequeue)(struct task_struct *p, __u64 deq_flags);
	void (*dispatch)(__s32 cpu, struct task_struct *prev);
	void (*tick)(struct task_struct *p);
	void (*runnable)(struct task_struct *p, __u64 enq_flags);
	void (*running)(struct task_struct *p);
	void (*stopping)(struct task_struct *p, bool runnable);
	void (*quiescent)(struct task_struct *p, __u64 deq_flags);
	bool (*yield)(struct task_struct *from, struct task_struct *to);
	void (*set_weight)(struct task_struct *p, __u32 weight);
	void (*set_cpumask)(struct task_struct *p, const struct cpumask *mask);
	void (*cpu_acquire)(__s32 cpu, struct scx_cpu_acquire_args *args);
	void (*cpu_release)(__s32 cpu, struct scx_cpu_release_args *args);
	__s32 (*init_task)(struct task_struct *p,
			   struct scx_init_task_args *args);
	void (*enable)(struct task_struct *p);
	void (*disable)(struct task_struct *p);
	void (*dump_cpu)(struct scx_dump_ctx *ctx, __s32 cpu, bool idle);
	void (*dump_task)(struct scx_dump_ctx *ctx, struct task_struct *p);
	void (*exit)(struct scx_exit_info *info);
	__u64 flags;
	__u32 timeout_ms;
	char name[128];
};

/* sched_ext constants of 6.12 (kernel/sched/ext.c, include/linux/sched/ext.h). */
#define SCX_OPS_ENQ_LAST	(1ULL << 1)
#define SCX_OPS_SWITCH_PARTIAL	(1ULL << 3)
#define SCX_DSQ_FLAG_BUILTIN	(1ULL << 63)
#define SCX_DSQ_FLAG_LOCAL_ON	(1ULL << 62)
#define SCX_DSQ_GLOBAL		(SCX_DSQ_FLAG_BUILTIN | 1)
#define SCX_DSQ_LOCAL		(SCX_DSQ_FLAG_BUILTIN | 2)
#define SCX_DSQ_LOCAL_ON	(SCX_DSQ_FLAG_BUILTIN | SCX_DSQ_FLAG_LOCAL_ON)
#define SCX_SLICE_DFL		(20ULL * 1000 * 1000)
#define SCX_SLICE_INF		(~0ULL)
#define SCX_KICK_PREEMPT	(1ULL << 1)
#define SCHED_EXT		7
#define PF_EXITING		0x00000004
/* The slice of a run the agent did not choose (see ghost_dispatch). */
#define PINNED_SLICE_NS		(1000ULL * 1000)

/* The kfuncs of 6.12's sched_ext, and the generic ones. */
extern void scx_bpf_dispatch(struct task_struct *p, __u64 dsq_id, __u64 slice,
			     __u64 enq_flags) __ksym;
extern void scx_bpf_kick_cpu(__s32 cpu, __u64 flags) __ksym;
extern __u32 scx_bpf_reenqueue_local(void) __ksym;
extern __s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
extern __u32 scx_bpf_nr_cpu_ids(void) __ksym;
extern void scx_bpf_dump_bstr(char *fmt, unsigned long long *data,
			      __u32 data__sz) __ksym;
extern struct task_struct *bpf_task_from_pid(__s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

#define MAX_CPUS	GHOST_SCX_MAX_CPUS
#define CPU_MASK	(MAX_CPUS - 1)
#define NR_WORDS	GHOST_SW_REGION_WORDS
#define WORD_MASK	(NR_WORDS - 1)
#define CHAN_MASK	(GHOST_SCX_MAX_CHANNELS - 1)

/*
 * @v & @mask, as an array index the verifier can bound: the empty asm
 * makes the compiler forget what it knows of @v, so it keeps the mask
 * even where an earlier check already bounds @v in another register.
 */
#define IDX(v, mask)                                 \
	({                                           \
		__u32 __v = (__u32)(v);              \
		asm volatile("" : "+r"(__v));        \
		__v & (mask);                        \
	})

/* Shared with the agent, which maps .bss (see bpf/ghost_scx.h). */
struct ghost_status_word sw[NR_WORDS];
struct ghost_txn cpu_data[MAX_CPUS];
struct ghost_scx_commit_list commit_lists[MAX_CPUS];
struct ghost_scx_channel_info channel_info[GHOST_SCX_MAX_CHANNELS];
struct ghost_scx_cpu_conf cpu_conf[MAX_CPUS];
struct ghost_scx_stats stats;
__u32 default_channel = GHOST_SCX_NO_CHANNEL;
__u32 deliver_ticks;

/* Why the scheduler stopped (ops.exit), for the agent to say. */
__u32 exited;
__s32 exit_kind;
__s64 exit_code;
char exit_reason[128];
char exit_msg[256];

struct ghost_scx_cpu_state cpu_state[MAX_CPUS];

/* Words never used yet start here; freed ones are in free_words. */
__u32 next_word;
__u64 next_generation = 1;

/* A thread, by the index of its status word. */
struct thread {
	struct bpf_spin_lock lock;
	__u32 state;		/* enum ghost_scx_thread_state */
	__u64 gtid;
	__s32 pid;
	__u32 seq;		/* its latest message */
	__u32 channel;		/* GHOST_SCX_NO_CHANNEL: the default */
	__s32 cpu;		/* where it runs or ran last */
	__s32 latch_cpu;	/* the CPU it is latched on, -1: none */
	__u32 run_flags;	/* of the latch it runs from */
	__u32 queued;		/* with us (enqueued, not dispatched) */
	__u32 yielding;
	__u32 displaced;	/* handed to a CPU, then its latch replaced */
	__s32 nice;
	__u64 allowed[MAX_CPUS / 64];	/* its affinity */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_WORDS);
	__type(key, __u32);
	__type(value, struct thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, NR_WORDS);
	__type(value, __u32);
} free_words SEC(".maps");

/* The word of a task (its gtid says whether the word is still its own). */
struct task_ctx {
	__u64 gtid;
	__u32 forked;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Message rings, one per channel; and one doorbell per agent CPU. */
struct ringbuf_inner {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, GHOST_SCX_MAX_CHANNELS);
	__type(key, __u32);
	__array(values, struct ringbuf_inner);
} channels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MAX_CPUS);
	__type(key, __u32);
	__array(values, struct ringbuf_inner);
} doorbells SEC(".maps");

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static __always_inline struct thread *thread_at(__u32 index)
{
	__u32 key = index & WORD_MASK;

	return bpf_map_lookup_elem(&threads, &key);
}

/* The record of @p, if @p is a thread of ours with a word. */
static __always_inline struct thread *thread_of(struct task_struct *p,
						__u64 *gtid)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	struct thread *th;

	if (!tc || !tc->gtid)
		return NULL;
	th = thread_at(ghost_scx_gtid_index(tc->gtid));
	if (!th || th->gtid != tc->gtid)
		return NULL;
	*gtid = tc->gtid;
	return th;
}

static __always_inline struct ghost_scx_cpu_state *cpu_st(__s32 cpu)
{
	return &cpu_state[IDX(cpu, CPU_MASK)];
}

static __always_inline bool cpu_ok(__s32 cpu)
{
	return cpu >= 0 && cpu < MAX_CPUS;
}

/* One more event for the agent of @cpu: its barrier moves, it wakes. */
static void agent_wake(__s32 cpu)
{
	struct ghost_scx_cpu_state *cs;
	__u32 key = cpu, word;
	__u64 one = 1;
	void *bell;

	if (!cpu_ok(cpu))
		return;
	cs = cpu_st(cpu);
	word = cs->agent_word;
	if (!word)
		return;
	__sync_fetch_and_add(&sw[IDX((word - 1), WORD_MASK)].barrier, 1);
	bell = bpf_map_lookup_elem(&doorbells, &key);
	if (bell)
		bpf_ringbuf_output(bell, &one, sizeof(one), BPF_RB_FORCE_WAKEUP);
}

/* Puts @msg on channel @ch and wakes the agents the channel wakes. */
static void send(struct ghost_msg *msg, __u32 ch, bool wake_own_cpu)
{
	struct ghost_scx_channel_info *info;
	__u32 key, n;
	void *ring;
	int i;

	__sync_fetch_and_add(&stats.msgs[IDX(msg->type, 31)], 1);
	if (ch == GHOST_SCX_NO_CHANNEL)
		ch = default_channel;
	if (ch >= GHOST_SCX_MAX_CHANNELS) {
		__sync_fetch_and_add(&stats.no_queue, 1);
		return;
	}
	key = ch;
	ring = bpf_map_lookup_elem(&channels, &key);
	if (!ring) {
		__sync_fetch_and_add(&stats.no_queue, 1);
		return;
	}
	info = &channel_info[IDX(ch, CHAN_MASK)];
	if (bpf_ringbuf_output(ring, msg, sizeof(*msg), BPF_RB_NO_WAKEUP)) {
		__sync_fetch_and_add(&info->overflow, 1);
	} else {
		__sync_fetch_and_add(&info->produced, 1);
	}
	n = info->nr_wake;
	for (i = 0; i < GHOST_QUEUE_MAX_WAKEUP_CPUS; i++) {
		if (i >= n)
			break;
		/* CPU_BUSY would only wake the agent to give the CPU back. */
		if (!wake_own_cpu && info->wake_cpus[i] == msg->cpu)
			continue;
		agent_wake(info->wake_cpus[i]);
	}
}

static void fill_msg(struct ghost_msg *msg, struct task_struct *p,
		     __u64 gtid, __u32 seq, __u16 type, __u16 flags)
{
	__builtin_memset(msg, 0, sizeof(*msg));
	msg->type = type;
	msg->flags = flags;
	msg->seqnum = seq;
	msg->gtid = gtid;
	msg->runtime = p->se.sum_exec_runtime;
	msg->time = bpf_ktime_get_ns();
	msg->cpu = scx_bpf_task_cpu(p);
	msg->nice = ghost_scx_nice(p->static_prio);
	msg->sw_region = 0;
	msg->sw_index = ghost_scx_gtid_index(gtid);
}

/*
 * Produces message @type_flags (MSG(type, flags)) about @p: the state first (word flags before
 * the message, as the ghost kernel does), then the message, then the
 * word's barrier. @state is the thread's new state (or ~0: unchanged).
 */
static void produce(struct task_struct *p, struct thread *th, __u64 gtid,
		    __u32 type_flags, __u32 state)
{
	__u16 type = type_flags & 0xffff, flags = type_flags >> 16;
	struct ghost_status_word *w = &sw[IDX(ghost_scx_gtid_index(gtid), WORD_MASK)];
	struct ghost_msg msg;
	__u32 seq, ch;

	bpf_spin_lock(&th->lock);
	if (state != ~0U)
		th->state = state;
	seq = ++th->seq;
	ch = th->channel;
	w->flags = ghost_scx_sw_flags(th->state);
	bpf_spin_unlock(&th->lock);

	fill_msg(&msg, p, gtid, seq, type, flags);
	w->runtime = msg.runtime;
	send(&msg, ch, true);
	w->barrier = seq;
}

/* A CPU message about @cpu, on its CPU channel if it has one. */
static void cpu_message(__s32 cpu, __u16 type)
{
	struct ghost_msg msg;
	__u32 ch;

	if (!cpu_ok(cpu))
		return;
	ch = cpu_conf[IDX(cpu, CPU_MASK)].cpu_channel;
	if (ch >= GHOST_SCX_MAX_CHANNELS)
		return;
	__builtin_memset(&msg, 0, sizeof(msg));
	msg.type = type;
	msg.time = bpf_ktime_get_ns();
	msg.cpu = cpu;
	send(&msg, ch, type != GHOST_MSG_CPU_BUSY);
}

/* A message type and its flags, as produce() takes them. */
#define MSG(type, flags) ((__u32)(type) | ((__u32)(flags) << 16))

static __u32 alloc_word(void)
{
	__u32 index;

	if (bpf_map_pop_elem(&free_words, &index) == 0)
		return index;
	index = __sync_fetch_and_add(&next_word, 1);
	return index < NR_WORDS ? index : NR_WORDS;
}

/*
 * The first MAX_CPUS bits of @mask, CPUs past nr_cpu_ids cleared. A copy
 * rather than bpf_cpumask_test_cpu(): libbpf 1.1 cannot match that
 * kfunc's prototype against a struct cpumask it only knows by name.
 */
static void read_cpumask(const struct cpumask *mask, __u64 *bits)
{
	__u32 nr = scx_bpf_nr_cpu_ids();
	int i;

	if (bpf_probe_read_kernel(bits, MAX_CPUS / 8, mask)) {
		for (i = 0; i < MAX_CPUS / 64; i++)
			bits[i] = 0;
		return;
	}
	for (i = 0; i < MAX_CPUS / 64; i++) {
		if (nr >= (i + 1) * 64)
			continue;
		bits[i] &= nr <= i * 64 ? 0 : (1ULL << (nr - i * 64)) - 1;
	}
}

static __always_inline bool cpu_in(const __u64 *bits, __s32 cpu)
{
	return cpu_ok(cpu) && (bits[IDX(cpu / 64, 3)] & (1ULL << (cpu % 64)));
}

/* The affinity of @p into @th->allowed (bits of CPUs below MAX_CPUS). */
static void record_affinity(struct thread *th, const struct cpumask *mask)
{
	__u64 bits[MAX_CPUS / 64] = {};

	read_cpumask(mask, bits);
	bpf_spin_lock(&th->lock);
	th->allowed[0] = bits[0];
	th->allowed[1] = bits[1];
	th->allowed[2] = bits[2];
	th->allowed[3] = bits[3];
	bpf_spin_unlock(&th->lock);
}

/* Wakes the agent of the CPU @th ran on if its latch asked for @flag. */
static void wake_on_leave(struct thread *th, __u32 run_flags, __s32 cpu,
			  __u32 flag)
{
	if (run_flags & flag)
		agent_wake(cpu);
}

/* ------------------------------------------------------------------ */
/* sched_ext callbacks                                                 */
/* ------------------------------------------------------------------ */

/* Where a waking thread is enqueued: where it was. Never dispatch here:
 * only an agent's commit runs a thread. */
SEC("struct_ops/ghost_select_cpu")
__s32 BPF_PROG(ghost_select_cpu, struct task_struct *p, __s32 prev_cpu,
	       __u64 wake_flags)
{
	return prev_cpu;
}

SEC("struct_ops/ghost_enqueue")
void BPF_PROG(ghost_enqueue, struct task_struct *p, __u64 enq_flags)
{
	struct thread *th;
	__u64 gtid = 0;
	__s32 latch;
	bool orphan, parked;

	th = thread_of(p, &gtid);
	if (!th) {
		/* No word (out of words or memory): the kernel runs it. */
		__sync_fetch_and_add(&stats.untracked, 1);
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	bpf_spin_lock(&th->lock);
	th->queued = 1;
	/* It waited on a CPU for a higher class to leave (ghost_stopping),
	 * and the kernel moved it (affinity): back with the agent. */
	parked = th->state == GHOST_SCX_ONCPU;
	latch = th->latch_cpu;
	/* Latched, but another commit took that CPU since: say so. */
	orphan = latch >= 0 && (!cpu_ok(latch) ||
				cpu_state[IDX(latch, CPU_MASK)].latch != gtid);
	if (orphan)
		th->latch_cpu = -1;
	bpf_spin_unlock(&th->lock);
	if (orphan || parked) {
		produce(p, th, gtid, MSG(GHOST_MSG_PREEMPTED, 0),
			GHOST_SCX_RUNNABLE);
		if (orphan)
			return;
	}
	/* Committed before it got here: its CPU looks again. */
	if (cpu_ok(latch))
		scx_bpf_kick_cpu(latch, SCX_KICK_PREEMPT);
}

SEC("struct_ops/ghost_dequeue")
void BPF_PROG(ghost_dequeue, struct task_struct *p, __u64 deq_flags)
{
	struct thread *th;
	__u64 gtid = 0;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	th->queued = 0;
	bpf_spin_unlock(&th->lock);
}

/* Hands the thread latched on @cpu to it, if it is here to be taken. */
SEC("struct_ops/ghost_dispatch")
void BPF_PROG(ghost_dispatch, __s32 cpu, struct task_struct *prev)
{
	__u64 allowed[MAX_CPUS / 64] = {};
	struct ghost_scx_cpu_state *cs;
	struct task_struct *p;
	struct thread *th;
	bool take = false, stale = false;
	__u64 gtid;
	__s32 pid = 0;

	if (!cpu_ok(cpu))
		return;
	cs = cpu_st(cpu);
	cs->dispatch_ns = bpf_ktime_get_ns();
	__sync_fetch_and_add(&cs->dispatches, 1);
	gtid = cs->latch;
	if (!gtid)
		return;
	th = thread_at(ghost_scx_gtid_index(gtid));
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	if (th->gtid != gtid || th->latch_cpu != cpu) {
		stale = true;
	} else if (th->queued) {
		th->queued = 0;
		pid = th->pid;
		take = true;
	}
	bpf_spin_unlock(&th->lock);
	if (stale) {
		__sync_val_compare_and_swap(&cs->latch, gtid, 0);
		return;
	}
	if (!take) {
		__sync_fetch_and_add(&cs->waits, 1);
		return;	/* not enqueued yet: ghost_enqueue kicks us */
	}
	p = bpf_task_from_pid(pid);
	if (!p)
		return;
	read_cpumask(p->cpus_ptr, allowed);
	if (!cpu_in(allowed, cpu)) {
		/* Its affinity changed after the commit: the agent hears of
		 * that (AFFINITY_CHANGED); dispatching would be an error. */
		__sync_fetch_and_add(&stats.not_allowed, 1);
		bpf_spin_lock(&th->lock);
		if (th->latch_cpu == cpu)
			th->latch_cpu = -1;
		th->queued = 1;
		bpf_spin_unlock(&th->lock);
		__sync_val_compare_and_swap(&cs->latch, gtid, 0);
	} else if (p->migration_disabled && scx_bpf_task_cpu(p) != cpu) {
		/*
		 * It cannot leave its CPU now (preempted inside
		 * migrate_disable()): it runs there, briefly, the one run the
		 * agent did not choose; its latch here is void. The short
		 * slice brings it back to the agent (PREEMPTED) soon after it
		 * leaves that section.
		 */
		__s32 home = scx_bpf_task_cpu(p);

		__sync_fetch_and_add(&stats.pinned_fallback, 1);
		bpf_spin_lock(&th->lock);
		if (th->latch_cpu == cpu)
			th->latch_cpu = -1;
		bpf_spin_unlock(&th->lock);
		__sync_val_compare_and_swap(&cs->latch, gtid, 0);
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL_ON | home, PINNED_SLICE_NS, 0);
		scx_bpf_kick_cpu(home, 0);
	} else {
		__sync_fetch_and_add(&stats.dispatched, 1);
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL, SCX_SLICE_INF, 0);
	}
	bpf_task_release(p);
}

SEC("struct_ops/ghost_runnable")
void BPF_PROG(ghost_runnable, struct task_struct *p, __u64 enq_flags)
{
	struct thread *th;
	__u64 gtid = 0;
	bool woke;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	woke = th->state == GHOST_SCX_BLOCKED;
	bpf_spin_unlock(&th->lock);
	/* A property change dequeues and enqueues a runnable thread: no
	 * message then. */
	if (woke)
		produce(p, th, gtid, MSG(GHOST_MSG_WAKEUP, 0), GHOST_SCX_RUNNABLE);
}

SEC("struct_ops/ghost_running")
void BPF_PROG(ghost_running, struct task_struct *p)
{
	struct ghost_status_word *w;
	struct thread *th;
	__s32 cpu = scx_bpf_task_cpu(p), latch;
	bool exiting = p->flags & PF_EXITING;
	__u32 displaced, resched;
	__u64 gtid = 0;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	w = &sw[IDX(ghost_scx_gtid_index(gtid), WORD_MASK)];
	bpf_spin_lock(&th->lock);
	latch = th->latch_cpu;
	if (latch == cpu || exiting)
		th->latch_cpu = -1;
	displaced = th->displaced;
	th->displaced = 0;
	th->state = GHOST_SCX_ONCPU;
	th->cpu = cpu;
	th->queued = 0;
	w->flags = ghost_scx_sw_flags(GHOST_SCX_ONCPU);
	bpf_spin_unlock(&th->lock);
	w->switch_time = bpf_ktime_get_ns();
	if (!cpu_ok(cpu))
		return;
	if (exiting) {
		/*
		 * The kernel runs it here until it is dead (see
		 * ghost_stopping()): no kick would move it, it would only come
		 * back. A latch it had elsewhere is void.
		 */
		if (cpu_ok(latch))
			__sync_val_compare_and_swap(&cpu_st(latch)->latch, gtid, 0);
		return;
	}
	resched = __sync_lock_test_and_set(&cpu_st(cpu)->resched, 0);
	if (displaced || (resched && latch != cpu && latch < 0)) {
		/* Another commit took this CPU after it was handed here, or
		 * while it waited here for a higher class to leave. */
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	} else if (latch == cpu) {
		/* Consumed. If another commit replaced it meanwhile (or said
		 * "run nothing"), that one wins: this thread leaves again. */
		if (__sync_val_compare_and_swap(&cpu_st(cpu)->latch, gtid, 0) !=
		    gtid)
			scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	} else if (latch >= 0) {
		/* Committed elsewhere after it was handed to this CPU. */
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
}

SEC("struct_ops/ghost_stopping")
void BPF_PROG(ghost_stopping, struct task_struct *p, bool runnable)
{
	struct ghost_status_word *w;
	struct thread *th;
	__u32 yielding, run_flags;
	__u64 gtid = 0;
	bool moving;
	__s32 cpu;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	w = &sw[IDX(ghost_scx_gtid_index(gtid), WORD_MASK)];
	w->switch_time = bpf_ktime_get_ns();
	w->runtime = p->se.sum_exec_runtime;
	if (!runnable)
		return;	/* quiescent() says whether it blocked */
	/*
	 * Exiting: the kernel puts it back on this CPU's local queue (we
	 * have no SCX_OPS_ENQ_EXITING) and it runs there until it is dead.
	 * To the agents it runs on; DEAD is the next they hear of it.
	 */
	if (p->flags & PF_EXITING)
		return;
	bpf_spin_lock(&th->lock);
	yielding = th->yielding;
	th->yielding = 0;
	run_flags = th->run_flags;
	th->run_flags = 0;
	cpu = th->cpu;
	/* Latched on another CPU after it was handed to this one: it moves
	 * there, as the agent asked, and the agent hears nothing of this
	 * stop (it sees the thread latched there, as it is). */
	moving = th->latch_cpu >= 0 && th->latch_cpu != cpu;
	if (moving) {
		th->state = GHOST_SCX_RUNNABLE;
		w->flags = ghost_scx_sw_flags(GHOST_SCX_RUNNABLE);
	}
	bpf_spin_unlock(&th->lock);
	if (moving)
		return;
	/*
	 * Its slice left: a higher class took the CPU (the agent's own
	 * thread, CFS, RT). The kernel puts it at the head of the CPU's
	 * local queue, and the CPU's release (ghost_cpu_release) gives it
	 * back to us: ghost_enqueue says PREEMPTED then.
	 */
	if (!yielding && p->scx.slice != 0 && cpu_ok(cpu) &&
	    cpu_conf[IDX(cpu, CPU_MASK)].in_enclave)
		return;
	produce(p, th, gtid, MSG(ghost_scx_stop_msg(yielding), 0),
		GHOST_SCX_RUNNABLE);
	wake_on_leave(th, run_flags, cpu,
		      yielding ? GHOST_RUN_F_WAKE_ON_YIELD
			       : GHOST_RUN_F_WAKE_ON_PREEMPT);
}

SEC("struct_ops/ghost_quiescent")
void BPF_PROG(ghost_quiescent, struct task_struct *p, __u64 deq_flags)
{
	struct thread *th;
	__u32 run_flags;
	__u64 gtid = 0;
	__u16 type;
	__s32 cpu;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	type = ghost_scx_quiescent_msg(deq_flags, p->__state);
	if (!type)
		return;
	bpf_spin_lock(&th->lock);
	run_flags = th->run_flags;
	th->run_flags = 0;
	th->latch_cpu = -1;
	cpu = th->cpu;
	bpf_spin_unlock(&th->lock);
	produce(p, th, gtid, MSG(type, 0),
		type == GHOST_MSG_DEAD ? GHOST_SCX_GONE : GHOST_SCX_BLOCKED);
	wake_on_leave(th, run_flags, cpu, GHOST_RUN_F_WAKE_ON_BLOCK);
}

SEC("struct_ops/ghost_yield")
bool BPF_PROG(ghost_yield, struct task_struct *from, struct task_struct *to)
{
	struct thread *th;
	__u64 gtid = 0;

	/* What sched_ext does without ops.yield: end the slice. */
	from->scx.slice = 0;
	th = thread_of(from, &gtid);
	if (th) {
		bpf_spin_lock(&th->lock);
		th->yielding = 1;
		bpf_spin_unlock(&th->lock);
	}
	return false;
}

SEC("struct_ops/ghost_tick")
void BPF_PROG(ghost_tick, struct task_struct *p)
{
	if (deliver_ticks)
		cpu_message(scx_bpf_task_cpu(p), GHOST_MSG_CPU_TICK);
}

SEC("struct_ops/ghost_set_weight")
void BPF_PROG(ghost_set_weight, struct task_struct *p, __u32 weight)
{
	struct thread *th;
	__u64 gtid = 0;
	int nice = ghost_scx_nice(p->static_prio);
	bool changed;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	changed = th->nice != nice;
	th->nice = nice;
	bpf_spin_unlock(&th->lock);
	if (changed)
		produce(p, th, gtid, MSG(GHOST_MSG_PRIORITY_CHANGED, 0), ~0U);
}

SEC("struct_ops/ghost_set_cpumask")
void BPF_PROG(ghost_set_cpumask, struct task_struct *p,
	      const struct cpumask *cpumask)
{
	struct thread *th;
	__u64 gtid = 0;
	__s32 latch;
	bool lost;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	record_affinity(th, cpumask);
	bpf_spin_lock(&th->lock);
	latch = th->latch_cpu;
	lost = latch >= 0 && latch < MAX_CPUS &&
	       !(th->allowed[IDX(latch / 64, 3)] & (1ULL << (latch % 64)));
	if (lost)
		th->latch_cpu = -1;
	bpf_spin_unlock(&th->lock);
	/* A latch on a CPU it may no longer use is dropped, and said. */
	if (lost)
		produce(p, th, gtid, MSG(GHOST_MSG_PREEMPTED, 0), ~0U);
	produce(p, th, gtid, MSG(GHOST_MSG_AFFINITY_CHANGED, 0), ~0U);
}

/* A higher class took the CPU: its ghost thread is PREEMPTED, then
 * CPU_BUSY (not for the agent's own thread). */
SEC("struct_ops/ghost_cpu_release")
void BPF_PROG(ghost_cpu_release, __s32 cpu, struct scx_cpu_release_args *args)
{
	struct ghost_scx_cpu_state *cs;

	if (!cpu_ok(cpu))
		return;
	/*
	 * The ghost thread it preempted is PREEMPTED and the agents' again
	 * (ghost_enqueue()), as on the ghost kernel. Left at the head of this
	 * CPU's local queue it would wait for the CPU to be free, which never
	 * comes while the CPU's own agent, a fair-class thread, keeps it (a
	 * centralized agent spinning with work: the 100-thread stall), and
	 * sched_ext says nothing when that agent finally sleeps.
	 */
	scx_bpf_reenqueue_local();
	if (!cpu_conf[IDX(cpu, CPU_MASK)].in_enclave)
		return;
	cs = cpu_st(cpu);
	if (args->task && args->task->pid == cs->agent_pid)
		return;
	cs->busy = 1;
	cpu_message(cpu, GHOST_MSG_CPU_BUSY);
}

SEC("struct_ops/ghost_cpu_acquire")
void BPF_PROG(ghost_cpu_acquire, __s32 cpu, struct scx_cpu_acquire_args *args)
{
	struct ghost_scx_cpu_state *cs;

	if (!cpu_ok(cpu))
		return;
	cs = cpu_st(cpu);
	if (!cs->busy)
		return;
	cs->busy = 0;
	cpu_message(cpu, GHOST_MSG_CPU_AVAILABLE);
}

SEC("struct_ops/ghost_init_task")
__s32 BPF_PROG(ghost_init_task, struct task_struct *p,
	       struct scx_init_task_args *args)
{
	struct task_ctx *tc;

	/* A child of one of ours: remember it was born here (NEW says so). */
	if (args->fork && p->policy == SCHED_EXT) {
		tc = bpf_task_storage_get(&task_ctxs, p, 0,
					   BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tc) {
			tc->gtid = 0;
			tc->forked = 1;
		}
	}
	return 0;
}

/* The thread enters: a word, a gtid, NEW. */
SEC("struct_ops/ghost_enable")
void BPF_PROG(ghost_enable, struct task_struct *p)
{
	struct ghost_status_word *w;
	struct task_ctx *tc;
	struct thread *th;
	__u32 index, state, forked;
	__u64 gtid;

	tc = bpf_task_storage_get(&task_ctxs, p, 0,
				   BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tc)
		return;	/* untracked: ghost_enqueue runs it */
	forked = tc->forked;
	tc->forked = 0;
	tc->gtid = 0;
	index = alloc_word();
	th = thread_at(index);
	if (index >= NR_WORDS || !th)
		return;
	gtid = ghost_scx_make_gtid(__sync_fetch_and_add(&next_generation, 1),
				   index);
	if (p->on_cpu)
		state = GHOST_SCX_ONCPU;
	else if (p->on_rq)
		state = GHOST_SCX_RUNNABLE;
	else
		state = GHOST_SCX_BLOCKED;
	w = &sw[IDX(index, WORD_MASK)];
	bpf_spin_lock(&th->lock);
	th->gtid = gtid;
	th->pid = p->pid;
	th->seq = 0;
	th->channel = GHOST_SCX_NO_CHANNEL;
	th->state = state;
	th->cpu = -1;
	th->latch_cpu = -1;
	th->run_flags = 0;
	th->queued = 0;
	th->yielding = 0;
	th->nice = ghost_scx_nice(p->static_prio);
	w->gtid = gtid;
	w->barrier = 0;
	bpf_spin_unlock(&th->lock);
	record_affinity(th, p->cpus_ptr);
	tc->gtid = gtid;
	/* INUSE last: a word in use describes its thread. */
	produce(p, th, gtid,
		MSG(GHOST_MSG_NEW, ghost_scx_new_flags(state, forked)), state);
}

/* The thread leaves sched_ext (policy change, scheduler unloading, or a
 * dead thread's last reference): DEPARTED unless it said DEAD already. */
SEC("struct_ops/ghost_disable")
void BPF_PROG(ghost_disable, struct task_struct *p)
{
	struct task_ctx *tc;
	struct thread *th;
	__u64 gtid = 0;
	bool gone;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	gone = th->state == GHOST_SCX_GONE || th->state == GHOST_SCX_FREE;
	bpf_spin_unlock(&th->lock);
	if (!gone)
		produce(p, th, gtid, MSG(GHOST_MSG_DEPARTED, 0), GHOST_SCX_GONE);
	tc = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (tc)
		tc->gtid = 0;
}

/* sched_ext's dump of a task when the scheduler stops on an error (the
 * watchdog): what this scheduler knows of it, in the kernel log. */
SEC("struct_ops/ghost_dump_task")
void BPF_PROG(ghost_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	static char fmt[] = "ghost: gtid=%llx state=%llu seq=%llu latch_cpu=%lld queued=%llu cpu=%lld channel=%llu cpu_latch=%llx displaced=%llu";
	unsigned long long data[9];
	struct thread *th;
	__u64 gtid = 0;

	th = thread_of(p, &gtid);
	if (!th)
		return;
	data[0] = gtid;
	data[1] = th->state;
	data[2] = th->seq;
	data[3] = th->latch_cpu;
	data[4] = th->queued;
	data[5] = th->cpu;
	data[6] = th->channel;
	data[7] = cpu_ok(th->latch_cpu) ? cpu_state[IDX(th->latch_cpu, CPU_MASK)].latch : 0;
	data[8] = th->displaced;
	scx_bpf_dump_bstr(fmt, data, sizeof(data));
}

/* The dump of a CPU: its latch, and whether ops.dispatch has looked at it
 * since (times in ms before the dump). */
SEC("struct_ops/ghost_dump_cpu")
void BPF_PROG(ghost_dump_cpu, struct scx_dump_ctx *dctx, __s32 cpu, bool idle)
{
	static char fmt[] = "ghost: latch=%llx latched=-%llums dispatch=-%llums dispatches=%llu waits=%llu latches=%llu resched=%llu busy=%llu agent_word=%llu";
	unsigned long long data[9];
	struct ghost_scx_cpu_state *cs;
	__u64 now = bpf_ktime_get_ns();

	if (!cpu_ok(cpu))
		return;
	cs = cpu_st(cpu);
	data[0] = cs->latch;
	data[1] = cs->latch_ns ? (now - cs->latch_ns) / 1000000 : 0;
	data[2] = cs->dispatch_ns ? (now - cs->dispatch_ns) / 1000000 : 0;
	data[3] = cs->dispatches;
	data[4] = cs->waits;
	data[5] = cs->latches;
	data[6] = cs->resched;
	data[7] = cs->busy;
	data[8] = cs->agent_word;
	scx_bpf_dump_bstr(fmt, data, sizeof(data));
}

/* The scheduler stops (the agent exited, the watchdog, an error): keep
 * the reason for the agent, and wake every agent so it hears. */
SEC("struct_ops/ghost_exit")
void BPF_PROG(ghost_exit, struct scx_exit_info *ei)
{
	int i;

	exit_kind = ei->kind;
	exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_reason, sizeof(exit_reason), ei->reason);
	bpf_probe_read_kernel_str(exit_msg, sizeof(exit_msg), ei->msg);
	__sync_fetch_and_add(&exited, 1);
	for (i = 0; i < MAX_CPUS; i++)
		agent_wake(i);
}

SEC(".struct_ops")
struct sched_ext_ops ghost_ops = {
	.select_cpu = (void *)ghost_select_cpu,
	.enqueue = (void *)ghost_enqueue,
	.dequeue = (void *)ghost_dequeue,
	.dispatch = (void *)ghost_dispatch,
	.tick = (void *)ghost_tick,
	.runnable = (void *)ghost_runnable,
	.running = (void *)ghost_running,
	.stopping = (void *)ghost_stopping,
	.quiescent = (void *)ghost_quiescent,
	.yield = (void *)ghost_yield,
	.set_weight = (void *)ghost_set_weight,
	.set_cpumask = (void *)ghost_set_cpumask,
	.cpu_acquire = (void *)ghost_cpu_acquire,
	.cpu_release = (void *)ghost_cpu_release,
	.init_task = (void *)ghost_init_task,
	.enable = (void *)ghost_enable,
	.disable = (void *)ghost_disable,
	.dump_cpu = (void *)ghost_dump_cpu,
	.dump_task = (void *)ghost_dump_task,
	.exit = (void *)ghost_exit,
	/*
	 * Not SCX_OPS_ENQ_EXITING: an exiting thread loses its pid
	 * (release_task()) while it still runs, so ghost_dispatch() could not
	 * find it by pid once committed, and it would wait forever (the
	 * watchdog's "runnable task stall" of the 100-thread tests). Without
	 * the flag the kernel runs such a thread on its own CPU until it is
	 * dead (ghost_stopping(), ghost_running()).
	 */
	.flags = SCX_OPS_SWITCH_PARTIAL | SCX_OPS_ENQ_LAST,
	.timeout_ms = 10000,
	.name = "ghost",
};

/* ------------------------------------------------------------------ */
/* The agents' operations (BPF_PROG_RUN)                               */
/* ------------------------------------------------------------------ */

struct commit_ctx {
	__s32 caller;
	__u32 agent_barrier;
	__u32 agent_word_barrier;
	__s32 completed;
	__s32 err;
};

/* Latches @t_gtid on @cpu: the checks of docs/abi.md "Transactions". */
/*
 * The thread latched on @cpu until a commit replaced it with another (or
 * with nothing): the agent learns its fate. Still with us, it is
 * PREEMPTED now; already handed to the CPU, it leaves the CPU as soon as
 * it runs there (ghost_running), and its stop says PREEMPTED.
 */
static void displace(__s32 cpu, __u64 old)
{
	struct task_struct *p;
	struct thread *th;
	bool hit, handed = false;
	__s32 pid = 0;

	th = thread_at(ghost_scx_gtid_index(old));
	if (!th)
		return;
	bpf_spin_lock(&th->lock);
	hit = th->gtid == old && th->latch_cpu == cpu &&
	      th->state == GHOST_SCX_RUNNABLE;
	if (hit) {
		th->latch_cpu = -1;
		handed = !th->queued;
		if (handed)
			th->displaced = 1;
		pid = th->pid;
	}
	bpf_spin_unlock(&th->lock);
	if (!hit || handed)
		return;
	p = bpf_task_from_pid(pid);
	if (!p)
		return;
	produce(p, th, old, MSG(GHOST_MSG_PREEMPTED, 0), GHOST_SCX_RUNNABLE);
	bpf_task_release(p);
}

/* Latches @t_gtid on @cpu: the checks of docs/abi.md "Transactions". */
static int commit_thread(__s32 cpu, struct ghost_txn *txn)
{
	struct ghost_scx_target t = {};
	struct ghost_scx_cpu_state *cs = cpu_st(cpu);
	__u64 gtid = txn->gtid, old = 0;
	struct thread *th;
	int result, already = 0;

	if (gtid == GHOST_GTID_NONE) {
		/* Run nothing: whatever ghost thread runs there leaves. */
		old = __sync_lock_test_and_set(&cs->latch, 0);
		if (old)
			displace(cpu, old);
		cs->resched = 1;
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
		return GHOST_TXN_COMPLETE;
	}
	th = thread_at(ghost_scx_gtid_index(gtid));
	if (!th)
		return GHOST_TXN_TARGET_NOT_FOUND;
	bpf_spin_lock(&th->lock);
	t.gtid = th->gtid;
	t.seq = th->seq;
	t.state = th->state;
	t.cpu = th->cpu;
	t.allowed = !!(th->allowed[IDX(cpu / 64, 3)] & (1ULL << (cpu % 64)));
	result = ghost_scx_commit_verdict(&t, gtid, txn->task_barrier, cpu,
					  &already);
	if (result == GHOST_TXN_COMPLETE) {
		if (!already) {
			th->latch_cpu = cpu;
			th->run_flags = txn->run_flags;
		}
		/* A later commit to the CPU replaces its latch; set with the
		 * thread locked, so its enqueue sees latch and word agree. */
		old = __sync_lock_test_and_set(&cs->latch, already ? 0 : gtid);
	}
	bpf_spin_unlock(&th->lock);
	if (result != GHOST_TXN_COMPLETE)
		return result;
	if (old && old != gtid)
		displace(cpu, old);
	if (!already) {
		cs->latch_ns = bpf_ktime_get_ns();
		cs->resched = 1;
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
	return GHOST_TXN_COMPLETE;
}

static long commit_one(__u32 i, void *data)
{
	struct commit_ctx *c = data;
	struct ghost_txn *txn;
	__s32 cpu;
	int result;

	cpu = commit_lists[IDX(c->caller, CPU_MASK)].cpus[IDX(i, CPU_MASK)];
	if (!cpu_ok(cpu)) {
		c->err = -EINVAL;
		return 1;
	}
	txn = &cpu_data[IDX(cpu, CPU_MASK)];
	if (__sync_val_compare_and_swap(&txn->state, GHOST_TXN_READY,
					GHOST_TXN_CLAIMED) != GHOST_TXN_READY)
		return 0;	/* not READY: left alone */
	result = ghost_scx_slot_verdict(cpu_conf[IDX(cpu, CPU_MASK)].in_enclave,
					txn->run_flags, cpu == c->caller,
					txn->agent_barrier,
					c->agent_word_barrier);
	if (!result)
		result = commit_thread(cpu, txn);
	if (result == GHOST_TXN_COMPLETE) {
		c->completed++;
		txn->cpu_seqnum = __sync_fetch_and_add(&cpu_st(cpu)->latches, 1) + 1;
	}
	__sync_fetch_and_add(&stats.txn[IDX(result - GHOST_TXN_COMPLETE, 15)], 1);
	txn->commit_time = bpf_ktime_get_ns();
	__sync_lock_test_and_set(&txn->state, result);
	return 0;
}

static __u32 current_pid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static int op_commit(struct ghost_scx_args *args)
{
	struct commit_ctx c = {};
	struct ghost_scx_cpu_state *cs;
	__s32 caller = args->cpu;
	__u32 nr = args->nr;

	if (!cpu_ok(caller))
		return -EINVAL;
	cs = cpu_st(caller);
	if (!cs->agent_word || cs->agent_pid != current_pid())
		return -EPERM;	/* not the agent of that CPU */
	if (nr > MAX_CPUS)
		return -EINVAL;
	c.caller = caller;
	c.agent_word_barrier = sw[IDX((cs->agent_word - 1), WORD_MASK)].barrier;
	bpf_loop(nr, commit_one, &c, 0);
	return c.err ? c.err : c.completed;
}

static int op_assoc(struct ghost_scx_args *args)
{
	struct thread *th = thread_at(ghost_scx_gtid_index(args->gtid));
	int err = 0;

	if (args->channel >= GHOST_SCX_MAX_CHANNELS)
		return -EINVAL;
	if (!th)
		return -ENOENT;
	bpf_spin_lock(&th->lock);
	if (th->gtid != args->gtid || th->state == GHOST_SCX_FREE ||
	    th->state == GHOST_SCX_GONE)
		err = -ENOENT;
	else if (th->seq != args->barrier)
		err = -ESTALE;
	else
		th->channel = args->channel;
	bpf_spin_unlock(&th->lock);
	return err;
}

static int op_sw_free(struct ghost_scx_args *args)
{
	__u32 index = args->index;
	struct thread *th;
	int err = 0;

	if (index >= NR_WORDS)
		return -EINVAL;
	th = thread_at(index);
	if (!th)
		return -EINVAL;
	bpf_spin_lock(&th->lock);
	if (th->state == GHOST_SCX_FREE)
		err = -ENOENT;
	else if (th->state != GHOST_SCX_GONE)
		err = -EBUSY;
	else {
		th->state = GHOST_SCX_FREE;
		th->gtid = 0;	/* its task, if any, is no thread of ours */
	}
	bpf_spin_unlock(&th->lock);
	if (err)
		return err;
	sw[IDX(index, WORD_MASK)].flags = 0;
	sw[IDX(index, WORD_MASK)].gtid = 0;
	bpf_map_push_elem(&free_words, &index, 0);
	return 0;
}

static int op_attach(struct ghost_scx_args *args)
{
	__s32 cpu = args->cpu;
	struct ghost_scx_cpu_state *cs;
	struct thread *th;
	__u32 index;

	if (!cpu_ok(cpu) || !cpu_conf[IDX(cpu, CPU_MASK)].in_enclave)
		return -EINVAL;
	cs = cpu_st(cpu);
	if (cs->agent_word)
		return -EBUSY;
	index = alloc_word();
	th = thread_at(index);
	if (index >= NR_WORDS || !th)
		return -ENOSPC;
	bpf_spin_lock(&th->lock);
	th->state = GHOST_SCX_GONE;	/* not a thread: never committed */
	th->gtid = 0;
	bpf_spin_unlock(&th->lock);
	sw[IDX(index, WORD_MASK)].gtid = 0;
	sw[IDX(index, WORD_MASK)].barrier = 0;
	sw[IDX(index, WORD_MASK)].flags = GHOST_SW_F_INUSE | GHOST_SW_F_AGENT;
	cs->agent_pid = current_pid();
	cs->agent_word = index + 1;
	args->index = index;
	return 0;
}

static int op_detach(struct ghost_scx_args *args)
{
	__s32 cpu = args->cpu;
	struct ghost_scx_cpu_state *cs;
	__u32 index;

	if (!cpu_ok(cpu))
		return -EINVAL;
	cs = cpu_st(cpu);
	if (!cs->agent_word || cs->agent_pid != current_pid())
		return -EPERM;
	index = cs->agent_word - 1;
	cs->agent_word = 0;
	cs->agent_pid = 0;
	sw[IDX(index, WORD_MASK)].flags = GHOST_SW_F_INUSE | GHOST_SW_F_CANFREE |
				      GHOST_SW_F_AGENT;
	args->index = index;
	return 0;
}

SEC("syscall")
int ghost_scx_run(struct ghost_scx_args *args)
{
	int ret;

	if (exited && args->op != GHOST_SCX_OP_DETACH) {
		args->ret = -ENODEV;	/* the scheduler is gone */
		return 0;
	}
	switch (args->op) {
	case GHOST_SCX_OP_COMMIT:
		ret = op_commit(args);
		break;
	case GHOST_SCX_OP_ASSOC:
		ret = op_assoc(args);
		break;
	case GHOST_SCX_OP_PING: {
		__s32 cpu = args->cpu;

		if (!cpu_ok(cpu) || !cpu_st(cpu)->agent_word) {
			ret = -ENOENT;
		} else {
			agent_wake(cpu);
			ret = 0;
		}
		break;
	}
	case GHOST_SCX_OP_SW_FREE:
		ret = op_sw_free(args);
		break;
	case GHOST_SCX_OP_ATTACH:
		ret = op_attach(args);
		break;
	case GHOST_SCX_OP_DETACH:
		ret = op_detach(args);
		break;
	default:
		ret = -EINVAL;
	}
	args->ret = ret;
	return 0;
}

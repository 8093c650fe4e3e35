/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ghost: delegate thread scheduling to userspace agents.
 *
 * The userspace ABI of the ghost scheduling class: the control filesystem
 * (ghostfs, mounted at /sys/fs/ghost), the shared memory layouts and the
 * ghost_run() system call.
 *
 * Every incompatible change bumps GHOST_ABI_VERSION. The running kernel's
 * version is readable from /sys/fs/ghost/version; an agent built against a
 * different version must refuse to start.
 */
#ifndef _UAPI_LINUX_GHOST_H
#define _UAPI_LINUX_GHOST_H

#include <linux/types.h>

/*
 * The ABI version this header describes. 2 added the CPU messages; 3 gives
 * each latch one fate (see GHOST_COMMIT_F_SYNC_GROUP).
 */
#define GHOST_ABI_VERSION	3

/*
 * The scheduling policy of ghost threads. A thread enters ghost only by
 * having its tid written to an enclave's "tasks" file; sched_setscheduler()
 * with SCHED_GHOST on a thread that is not yet ghost fails with EINVAL.
 */
#define SCHED_GHOST		18

/* f_type reported by statfs() on a ghostfs mount. */
#define GHOSTFS_SUPER_MAGIC	0x67687374	/* "ghst" */

/* Where ghostfs is mounted by convention. */
#define GHOSTFS_MOUNT_POINT	"/sys/fs/ghost"

/* ---------------------------------------------------------------------- */
/* Status words                                                             */
/* ---------------------------------------------------------------------- */

/*
 * Every thread of an enclave has one status word, in a region that agents
 * map read-only from enclave_<id>/sw_regions/sw_<region>. The kernel writes
 * a word with the thread's runqueue lock held; each field is naturally
 * aligned and written whole, so a reader sees old or new values, never a
 * mix within one field. @barrier is written after the message it numbers
 * has been queued.
 */
struct ghost_status_word {
	__u32	barrier;	/* sequence number of the latest message */
	__u32	flags;		/* GHOST_SW_F_* */
	__u64	gtid;		/* the thread's gtid */
	__u64	switch_time;	/* CLOCK_MONOTONIC ns of the last switch */
	__u64	runtime;	/* CPU time used, ns */
};

#define GHOST_SW_F_INUSE	(1U << 0)	/* the word describes a thread */
#define GHOST_SW_F_CANFREE	(1U << 1)	/* it died or left: free the word */
#define GHOST_SW_F_ONCPU	(1U << 2)	/* it is running */
#define GHOST_SW_F_RUNNABLE	(1U << 3)	/* it is runnable */
#define GHOST_SW_F_BOOSTED	(1U << 4)	/* priority-inherited into RT */
#define GHOST_SW_F_AGENT	(1U << 5)	/* the word of a CPU's agent */
/* An agent's word: a task of another class waits for the agent's CPU. */
#define GHOST_SW_F_CPU_WANTED	(1U << 6)

/* Words in one region (sw_regions/sw_<n> is this many words long). */
#define GHOST_SW_REGION_WORDS	16384

/* ---------------------------------------------------------------------- */
/* Messages and queues                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Every event of a ghost thread becomes a message, in order, on the queue
 * the thread is associated with. NEW is always a thread's first message;
 * DEPARTED or DEAD its last. BLOCKED, YIELD and PREEMPTED are produced when
 * the thread is switched out, so an agent never sees a thread as off the
 * CPU while it still runs there.
 */
enum ghost_msg_type {
	GHOST_MSG_NEW			= 1,	/* entered (or born in) the enclave */
	GHOST_MSG_WAKEUP		= 2,	/* became runnable */
	GHOST_MSG_BLOCKED		= 3,	/* blocked, off the CPU */
	GHOST_MSG_YIELD			= 4,	/* yielded, off the CPU */
	GHOST_MSG_PREEMPTED		= 5,	/* preempted, off the CPU */
	GHOST_MSG_AFFINITY_CHANGED	= 6,	/* its allowed CPUs changed */
	GHOST_MSG_PRIORITY_CHANGED	= 7,	/* its nice value changed */
	GHOST_MSG_DEPARTED		= 8,	/* left the enclave (last) */
	GHOST_MSG_DEAD			= 9,	/* exited (last) */

	/*
	 * CPU messages: @gtid is 0 and @cpu says which CPU. Only a CPU with
	 * a queue set for it (GHOST_OP_ASSOC_CPU_QUEUE) produces them.
	 */
	GHOST_MSG_CPU_TICK		= 16,	/* a tick while a ghost thread ran */
	GHOST_MSG_CPU_BUSY		= 17,	/* another class took the CPU */
	GHOST_MSG_CPU_AVAILABLE		= 18,	/* ... and gave it back */
};

#define GHOST_MSG_F_RUNNABLE	(1U << 0)	/* NEW: the thread is runnable */
#define GHOST_MSG_F_ON_CPU	(1U << 1)	/* NEW, DEPARTED: it runs on @cpu */
#define GHOST_MSG_F_FORKED	(1U << 2)	/* NEW: born in the enclave */

/* One message: a fixed 64-byte slot of a queue's ring. */
struct ghost_msg {
	__u16	type;		/* enum ghost_msg_type */
	__u16	flags;		/* GHOST_MSG_F_* */
	__u32	seqnum;		/* the thread's sequence number, from 1 */
	__u64	gtid;		/* the thread */
	__u64	runtime;	/* its CPU time so far, ns */
	__u64	time;		/* CLOCK_MONOTONIC ns of the event */
	__s32	cpu;		/* the thread's CPU at the event */
	__s32	nice;		/* its nice value */
	__u32	sw_region;	/* where its status word is */
	__u32	sw_index;
	__u64	reserved[2];
};

/*
 * A queue is a ring of messages in memory shared with the agent, which maps
 * the queue's fd (MAP_SHARED, from offset 0, GHOST_QUEUE_HDR_BYTES plus
 * nelems * sizeof(struct ghost_msg), page aligned). The header's cache
 * lines separate what the kernel writes from what the agent writes.
 *
 * The kernel writes message number n (from 0) into slot n % nelems, then
 * advances @head (release). The agent reads slots from @tail up to @head
 * and then advances @tail (release). When head - tail == nelems the ring is
 * full: the message is dropped and @overflow rises; the thread's status
 * word barrier still advances, so the agent can tell it missed a message.
 * A bad @tail makes the kernel drop messages, never write outside the ring.
 */
struct ghost_queue_header {
	/* Constant. */
	__u32	version;	/* GHOST_ABI_VERSION */
	__u32	nelems;		/* slots in the ring, a power of two */
	__u32	start;		/* offset of the ring from the header */
	__u32	reserved0[13];
	/* Written by the kernel. */
	__u32	head;		/* messages produced */
	__u32	reserved1;
	__u64	overflow;	/* messages dropped because the ring was full */
	__u64	reserved2[6];
	/* Written by the agent. */
	__u32	tail;		/* messages consumed */
	__u32	reserved3[15];
};

#define GHOST_QUEUE_HDR_BYTES		4096
#define GHOST_QUEUE_MIN_ELEMS		16
#define GHOST_QUEUE_MAX_ELEMS		65536
#define GHOST_QUEUE_MAX_WAKEUP_CPUS	8

/* ---------------------------------------------------------------------- */
/* Transactions (enclave_<id>/cpu_data)                                     */
/* ---------------------------------------------------------------------- */

/*
 * cpu_data holds one struct ghost_txn per possible CPU, indexed by CPU
 * number, mapped read-write (MAP_SHARED) by agents. An agent fills in the
 * transaction of a CPU and sets @state to GHOST_TXN_READY (release); a
 * commit (GHOST_OP_COMMIT) claims it (READY -> CLAIMED), validates it and
 * writes a result (>= GHOST_TXN_COMPLETE, release), after which the slot
 * is the agent's again.
 */
enum ghost_txn_state {
	GHOST_TXN_IDLE			= 0,	/* the agent's */
	GHOST_TXN_READY			= 1,	/* to be committed */
	GHOST_TXN_CLAIMED		= 2,	/* being committed */

	GHOST_TXN_COMPLETE		= 16,	/* done: the target is latched */
	GHOST_TXN_TARGET_NOT_FOUND	= 17,	/* no such thread in the enclave */
	GHOST_TXN_TARGET_STALE		= 18,	/* task_barrier is not its latest */
	GHOST_TXN_TARGET_NOT_RUNNABLE	= 19,	/* it is blocked */
	GHOST_TXN_TARGET_ONCPU		= 20,	/* it runs on another CPU */
	GHOST_TXN_AGENT_STALE		= 21,	/* agent_barrier is not the latest */
	GHOST_TXN_CPU_NOT_ALLOWED	= 22,	/* outside the thread's affinity */
	GHOST_TXN_CPU_NOT_IN_ENCLAVE	= 23,	/* or offline */
	GHOST_TXN_INVALID		= 24,	/* bad run flags */
	GHOST_TXN_POISONED		= 25,	/* another member of its group failed */
	GHOST_TXN_NO_AGENT		= 26,	/* the CPU's agent went away */
};

#define GHOST_TXN_NR_RESULTS	11	/* COMPLETE .. NO_AGENT */

/* Targets besides gtids. */
#define GHOST_GTID_NONE		0ULL	/* latch nothing: the CPU goes idle */

/* run_flags: when the latched thread leaves the CPU, wake the CPU's agent. */
#define GHOST_RUN_F_WAKE_ON_BLOCK	(1U << 0)
#define GHOST_RUN_F_WAKE_ON_YIELD	(1U << 1)
#define GHOST_RUN_F_WAKE_ON_PREEMPT	(1U << 2)
/* No PREEMPTED message for a ghost thread this latch takes the CPU from. */
#define GHOST_RUN_F_ELIDE_PREEMPT	(1U << 3)
#define GHOST_RUN_F_ALL			0xf

struct ghost_txn {
	__s32	state;		/* enum ghost_txn_state */
	__u32	cpu;		/* this slot's CPU (constant) */
	__u64	gtid;		/* the thread to run, or GHOST_GTID_NONE */
	__u32	task_barrier;	/* the thread's latest sequence number */
	__u32	agent_barrier;	/* local commits: the agent's barrier */
	__u32	run_flags;	/* GHOST_RUN_F_* */
	__u32	reserved0;
	__u64	commit_time;	/* CLOCK_MONOTONIC ns of the result */
	__u64	cpu_seqnum;	/* latches on this CPU so far */
	__u64	reserved[3];
};

/* ---------------------------------------------------------------------- */
/* The ghost_run() system call                                              */
/* ---------------------------------------------------------------------- */

/*
 * long ghost_run(unsigned int op, void *arg, unsigned int size);
 *
 * @arg points to the argument structure of @op and @size is its size as the
 * caller knows it. A caller built against an older, shorter structure is
 * accepted; a larger one only if the bytes the kernel does not know are
 * zero (else E2BIG). Output fields are written back into @arg.
 *
 * Errors common to all operations: EINVAL (unknown @op, reserved field not
 * zero, @size too small), EFAULT (@arg unreadable), EBADF (an fd argument
 * is not what the operation needs), ENODEV (the enclave is being
 * destroyed), EPERM (the caller lacks CAP_SYS_NICE where required).
 */
#if defined(__x86_64__) && !defined(__NR_ghost_run)
#define __NR_ghost_run		470
#endif

enum ghost_run_op {
	GHOST_OP_GET_GTID	= 1,	/* struct ghost_gtid_args */
	GHOST_OP_SW_INFO	= 2,	/* struct ghost_sw_args */
	GHOST_OP_SW_FREE	= 3,	/* struct ghost_sw_args */
	GHOST_OP_CREATE_QUEUE	= 4,	/* struct ghost_create_queue_args */
	GHOST_OP_ASSOC_QUEUE	= 5,	/* struct ghost_assoc_queue_args */
	GHOST_OP_CONFIG_QUEUE_WAKEUP = 6, /* struct ghost_queue_wakeup_args */
	GHOST_OP_AGENT_ATTACH	= 7,	/* struct ghost_agent_attach_args */
	GHOST_OP_COMMIT		= 8,	/* struct ghost_commit_args */
	GHOST_OP_AGENT_BLOCK	= 9,	/* struct ghost_agent_block_args */
	GHOST_OP_AGENT_PING	= 10,	/* struct ghost_agent_ping_args */
	GHOST_OP_ASSOC_CPU_QUEUE = 11,	/* struct ghost_assoc_cpu_queue_args */
};

/*
 * GHOST_OP_GET_GTID: the gtid of thread @tid (0: the caller), which needs
 * no privilege. ESRCH if there is no such thread.
 */
struct ghost_gtid_args {
	__s32	tid;		/* in */
	__u32	reserved;	/* must be 0 */
	__u64	gtid;		/* out */
};

/*
 * GHOST_OP_SW_INFO: where the status word of @gtid is (ENOENT if the
 * enclave has none). GHOST_OP_SW_FREE: free the word at @region/@index,
 * whose thread died or departed (EBUSY while it is a member, ENOENT if the
 * word is free already). Both need CAP_SYS_NICE. @enclave_fd is an open
 * enclave_<id> directory.
 */
struct ghost_sw_args {
	__s32	enclave_fd;	/* in */
	__u32	region;		/* SW_INFO: out; SW_FREE: in */
	__u32	index;		/* SW_INFO: out; SW_FREE: in */
	__u32	reserved;	/* must be 0 */
	__u64	gtid;		/* SW_INFO: in */
};

/*
 * GHOST_OP_CREATE_QUEUE: a new queue of @nelems messages (a power of two
 * from GHOST_QUEUE_MIN_ELEMS to GHOST_QUEUE_MAX_ELEMS) for the enclave
 * whose directory @enclave_fd is open on. Returns the queue's fd (close on
 * exec), to mmap. With GHOST_QUEUE_F_DEFAULT it becomes the enclave's
 * default queue, replacing the previous one: every thread not associated
 * with another queue sends its messages there. Needs CAP_SYS_NICE.
 */
#define GHOST_QUEUE_F_DEFAULT	(1U << 0)

struct ghost_create_queue_args {
	__s32	enclave_fd;	/* in */
	__u32	nelems;		/* in */
	__u32	flags;		/* in: GHOST_QUEUE_F_* */
	__u32	reserved;	/* must be 0 */
	__u64	map_size;	/* out: bytes to mmap */
};

/*
 * GHOST_OP_ASSOC_QUEUE: from now on, thread @gtid sends its messages to
 * @queue_fd. Succeeds only if @barrier is the thread's latest sequence
 * number, so that no message is left unseen on the old queue: ESTALE
 * otherwise. ENOENT if @gtid is not a thread of the queue's enclave.
 * Needs CAP_SYS_NICE.
 */
struct ghost_assoc_queue_args {
	__s32	queue_fd;	/* in */
	__u32	barrier;	/* in */
	__u64	gtid;		/* in */
};

/*
 * GHOST_OP_CONFIG_QUEUE_WAKEUP: the agent CPUs to wake when a message
 * arrives on @queue_fd (none: nobody is woken, the agent polls). Every CPU
 * must belong to the queue's enclave (EINVAL). Needs CAP_SYS_NICE.
 */
struct ghost_queue_wakeup_args {
	__s32	queue_fd;	/* in */
	__u32	nr_cpus;	/* in: at most GHOST_QUEUE_MAX_WAKEUP_CPUS */
	__s32	cpus[GHOST_QUEUE_MAX_WAKEUP_CPUS];	/* in */
};

/*
 * GHOST_OP_AGENT_ATTACH: the calling thread becomes the agent of @cpu in
 * the enclave open at @enclave_fd. It is moved to @cpu and pinned there
 * (sched_setaffinity() then fails with EINVAL), joins the enclave as a
 * ghost thread that the agent class runs ahead of every other class but
 * stop, and its status word (GHOST_SW_F_AGENT) carries the agent barrier.
 * Leaving ghost (sched_setscheduler) or exiting detaches it; a thread it
 * had latched goes back to runnable with a PREEMPTED message. EBUSY if
 * @cpu has an agent or the caller is a ghost thread already, EINVAL if @cpu
 * is not the enclave's. Needs CAP_SYS_NICE.
 */
struct ghost_agent_attach_args {
	__s32	enclave_fd;	/* in */
	__s32	cpu;		/* in */
	__u32	sw_index;	/* out: the agent's status word */
	__u32	reserved;	/* must be 0 */
};

/*
 * GHOST_OP_COMMIT: commit the READY transactions of the @nr_cpus CPUs
 * listed at @cpus. Each gets its result in its slot; slots that were not
 * READY are left alone. The CPUs that latched something are rescheduled
 * in one round of IPIs after all commits. With GHOST_COMMIT_F_SYNC_GROUP
 * the commit is all-or-nothing: if any slot is not READY or fails, no
 * CPU latches anything, and the others get GHOST_TXN_POISONED. A member
 * whose latch is lost before the group is decided (its thread moved,
 * blocked, left, or was named again for another CPU) gets no PREEMPTED:
 * its result is its one fate, POISONED if the group fails and
 * GHOST_TXN_TARGET_STALE if it succeeds.
 * With GHOST_COMMIT_F_BLOCK the calling agent then blocks as
 * GHOST_OP_AGENT_BLOCK does with @agent_barrier, letting its own CPU run
 * what it latched. Returns the number of transactions that completed.
 * Only agents may commit (EPERM), and only CPUs of their enclave
 * (GHOST_TXN_CPU_NOT_IN_ENCLAVE); at most 4096 CPUs per call (EINVAL).
 */
#define GHOST_COMMIT_F_SYNC_GROUP	(1U << 0)
#define GHOST_COMMIT_F_BLOCK		(1U << 1)

struct ghost_commit_args {
	__u64	cpus;		/* in: pointer to __s32[nr_cpus] */
	__u32	nr_cpus;	/* in */
	__u32	flags;		/* in: GHOST_COMMIT_F_* */
	__u32	agent_barrier;	/* in: for GHOST_COMMIT_F_BLOCK */
	__u32	reserved;	/* must be 0 */
};

/*
 * GHOST_OP_AGENT_BLOCK: the calling agent sleeps until an event for its
 * CPU: a message on a queue that wakes this CPU, a ping, its latched
 * thread leaving the CPU with a GHOST_RUN_F_WAKE_* flag, or a signal.
 * Every such event first advances the agent's barrier (its status word's
 * barrier), so no wakeup is lost: if @agent_barrier is not the latest,
 * the call returns ESTALE at once. EINTR on a signal; EINVAL if the
 * caller is not an agent.
 */
struct ghost_agent_block_args {
	__u32	agent_barrier;	/* in */
	__u32	reserved;	/* must be 0 */
};

/*
 * GHOST_OP_AGENT_PING: wake the agent of @cpu. The caller must be an agent
 * of the same enclave or a thread of the agent's process (EPERM). ENOENT
 * if @cpu has no agent.
 */
struct ghost_agent_ping_args {
	__s32	cpu;		/* in */
	__u32	reserved;	/* must be 0 */
};

/*
 * GHOST_OP_ASSOC_CPU_QUEUE: @cpu produces CPU messages (TICK, BUSY,
 * AVAILABLE) from now on, on @queue_fd, until @cpu leaves the enclave. A
 * CPU_BUSY does not wake the agent of that CPU. EINVAL if @cpu is not a
 * CPU of the queue's enclave. Needs CAP_SYS_NICE.
 */
struct ghost_assoc_cpu_queue_args {
	__s32	queue_fd;	/* in */
	__s32	cpu;		/* in */
};

/* ---------------------------------------------------------------------- */
/* BPF fast paths                                                           */
/* ---------------------------------------------------------------------- */

/*
 * An enclave may have one BPF struct_ops object of type "ghost_bpf_ops"
 * attached (its layout, from the kernel's BTF):
 *
 *   struct ghost_bpf_ops {
 *           s32 (*pick)(s32 cpu);
 *           s32 (*msg)(const struct ghost_msg *msg);
 *           s32 (*tick)(s32 cpu, u64 gtid);
 *           u32 enclave_id;               (set before the attach)
 *           u32 flags;                    (must be 0)
 *           char name[GHOST_BPF_NAME_LEN];
 *   };
 *
 * Attaching needs CAP_SYS_NICE (EPERM); ENOENT if no enclave has that id,
 * ENODEV if it is being destroyed, EBUSY if it has ops already. The
 * hooks' return values are below; any other value detaches the ops, and
 * /sys/fs/ghost/bpf_detached says why.
 * kfuncs: ghost_bpf_latch(gtid, task_barrier, run_flags) from pick only
 * (it returns a GHOST_TXN_* result, or -EBUSY once the pick may latch no
 * more: after one latch, four attempts, or an agent's latch of the CPU),
 * ghost_bpf_kick_cpu(cpu), ghost_bpf_kick_idle() and
 * ghost_bpf_wake_agent(cpu) from any hook.
 */
#define GHOST_BPF_NAME_LEN	16

#define GHOST_BPF_MSG_PASS	0	/* queue the message as usual */
#define GHOST_BPF_MSG_CONSUME	1	/* the program took it: not queued */

#define GHOST_BPF_TICK_KEEP	0	/* the thread keeps the CPU */
#define GHOST_BPF_TICK_PREEMPT	1	/* it leaves at the next schedule */

#endif /* _UAPI_LINUX_GHOST_H */

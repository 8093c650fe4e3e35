// SPDX-License-Identifier: GPL-2.0
/*
 * ghost_bpf_probe: ghost BPF ops driven by a test (tests/vm/bpf_ops_test).
 *
 * pick latches the thread the test names, once, on the CPU it names, and
 * keeps the result; with target_tries it calls the latch kfunc that many
 * times in that one pick (the kernel's bounds on a pick's latches) and
 * keeps each result. It returns pick_ret (a bad value tests the detach on
 * error). msg counts the messages and lets them through (an agent may
 * read them), or returns msg_ret if set.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ghost_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The most latch calls one pick makes for the test. */
#define PROBE_MAX_TRIES		8

/* Set by the test. */
__u64 target_gtid;
__u32 target_barrier;
__s32 target_cpu = -1;
__u32 target_run_flags;
__s32 pick_ret;
__s32 msg_ret;
__u32 target_tries;	/* latch calls in the pick; 0 means one */

/* Read by the test. */
__s32 last_result;	/* the first call's */
__s32 results[PROBE_MAX_TRIES];	/* each call's, of the latest pick */
__u64 attempts;
__u64 picks;
__u64 msgs;

SEC("struct_ops/probe_pick")
__s32 BPF_PROG(probe_pick, __s32 cpu)
{
	__u64 gtid = *(volatile __u64 *)&target_gtid;
	__u32 tries;
	__u32 i;

	/*
	 * The test writes the other targets before the gtid: read them
	 * after it (x86 keeps loads in order; this keeps the compiler's).
	 */
	asm volatile("" ::: "memory");
	tries = target_tries;
	__sync_fetch_and_add(&picks, 1);
	if (gtid && cpu == target_cpu) {
		/* Once: the test names a thread again for another try. */
		target_gtid = 0;
		for (i = 0; i < PROBE_MAX_TRIES; i++) {
			__s32 ret;

			if (i > 0 && i >= tries)
				break;
			ret = ghost_bpf_latch(gtid, target_barrier,
					      target_run_flags);
			results[i] = ret;
			if (i == 0)
				last_result = ret;
		}
		/* Last: the test reads the results once it moved. */
		__sync_fetch_and_add(&attempts, 1);
	}
	return pick_ret;
}

SEC("struct_ops/probe_msg")
__s32 BPF_PROG(probe_msg, const struct ghost_msg *msg)
{
	__sync_fetch_and_add(&msgs, 1);
	return msg_ret;
}

SEC(".struct_ops")
struct ghost_bpf_ops probe_ops = {
	.pick = (void *)probe_pick,
	.msg = (void *)probe_msg,
	.name = "probe",
};

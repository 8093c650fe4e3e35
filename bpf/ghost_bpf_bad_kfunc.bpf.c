// SPDX-License-Identifier: GPL-2.0
/*
 * ghost_bpf_bad_kfunc: must NOT load. Its msg hook calls ghost_bpf_latch(),
 * which only the pick hook may call (the CPU's rq lock is not its to
 * drop there); the verifier refuses it (tests/vm/bpf_ops_test).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ghost_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/bad_msg")
__s32 BPF_PROG(bad_msg, const struct ghost_msg *msg)
{
	ghost_bpf_latch(msg->gtid, msg->seqnum, 0);
	return GHOST_BPF_MSG_PASS;
}

SEC(".struct_ops")
struct ghost_bpf_ops bad_kfunc_ops = {
	.msg = (void *)bad_msg,
	.name = "bad_kfunc",
};

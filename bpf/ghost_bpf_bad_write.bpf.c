// SPDX-License-Identifier: GPL-2.0
/*
 * ghost_bpf_bad_write: must NOT load. Its msg hook writes into the
 * message, which hooks may only read; the verifier refuses it
 * (tests/vm/bpf_ops_test).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/ghost_bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/bad_write_msg")
__s32 BPF_PROG(bad_write_msg, const struct ghost_msg *msg)
{
	((struct ghost_msg *)msg)->gtid = 0;
	return GHOST_BPF_MSG_PASS;
}

SEC(".struct_ops")
struct ghost_bpf_ops bad_write_ops = {
	.msg = (void *)bad_write_msg,
	.name = "bad_write",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * sched_switch_count: counts the context switches away from the threads of
 * one process, and all context switches. The smallest useful tracing
 * program: it proves the BPF pipeline (clang -target bpf, bpftool skeleton,
 * libbpf loader, static linking) on any kernel, ghost or not.
 *
 * Userspace sets target_tgid before loading. sched_switch runs in the
 * context of the thread being switched out, so the current tgid names it.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid;
__u64 switches_out;
__u64 switches_total;

SEC("raw_tp/sched_switch")
int count_switch(void *ctx)
{
	__sync_fetch_and_add(&switches_total, 1);
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&switches_out, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ghost: delegate thread scheduling to userspace agents.
 *
 * The userspace ABI of the ghost scheduling class: the control filesystem
 * (ghostfs, mounted at /sys/fs/ghost), and, in later revisions, the shared
 * memory layouts and the ghost_run() system call.
 *
 * Every incompatible change bumps GHOST_ABI_VERSION. The running kernel's
 * version is readable from /sys/fs/ghost/version; an agent built against a
 * different version must refuse to start.
 */
#ifndef _UAPI_LINUX_GHOST_H
#define _UAPI_LINUX_GHOST_H

#include <linux/types.h>

/* The ABI version this header describes. */
#define GHOST_ABI_VERSION	1

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

#endif /* _UAPI_LINUX_GHOST_H */

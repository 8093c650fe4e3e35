// The hint region, version 1: how an application tells the agent what each
// of its threads is about to do (docs/abi.md, "Hint regions"). It is our
// own ABI between an application and an agent (not the kernel's): a
// sealed memfd the application writes and the agent only reads.
//
//   offset 0             struct ghost_hint_header (64 bytes)
//   items_offset         nr_items x struct ghost_hint_item (32 bytes each)
//   ring_offset          ring_entries x __u64: the "updated" stream
//
// An item is written under its sequence count: odd while it is being
// written, even when stable. After an item changes, its index goes into
// the ring: a writer takes position p = ring_head++ (atomically) and
// stores (p + 1) << 32 | index at ring[p % ring_entries]. The tag p + 1
// tells the reader whether the entry it reads is the one it expects (not
// written yet: an older tag; overwritten: a newer one). A reader that
// fell more than ring_entries behind rescans every item.
//
// Plain C layout with fixed-width fields, so any language can write it.
#ifndef GHOST_LIB_HINTS_HINT_REGION_LAYOUT_H_
#define GHOST_LIB_HINTS_HINT_REGION_LAYOUT_H_

#include <linux/types.h>

#define GHOST_HINT_MAGIC 0x544e4847u /* "GHNT", little endian */
#define GHOST_HINT_VERSION 1

/* QoS classes: 0 is served first. */
#define GHOST_HINT_QOS_LEVELS 4

/* Item flags. */
#define GHOST_HINT_F_VALID (1u << 0) /* the item describes a thread */
#define GHOST_HINT_F_IDLE (1u << 1)  /* the thread has no work: take its CPU */

struct ghost_hint_header {
	__u32 magic;        /* GHOST_HINT_MAGIC */
	__u16 version;      /* GHOST_HINT_VERSION */
	__u16 header_size;  /* sizeof(struct ghost_hint_header) */
	__u32 item_size;    /* sizeof(struct ghost_hint_item) */
	__u32 nr_items;
	__u32 items_offset; /* bytes from the start, 8-aligned */
	__u32 ring_offset;  /* bytes from the start, 8-aligned */
	__u32 ring_entries; /* a power of two */
	__u32 reserved0;    /* 0 */
	__u64 ring_head;    /* positions taken so far (writers: atomic add) */
	__u64 reserved[3];
};

struct ghost_hint_item {
	__u32 seq;         /* even: stable; odd: being written */
	__u32 flags;       /* GHOST_HINT_F_* */
	__u64 gtid;        /* the thread (GHOST_OP_GET_GTID) */
	__u32 qos;         /* < GHOST_HINT_QOS_LEVELS; 0 first */
	__u32 work_class;  /* the application's own class of work; 0: none */
	__u64 deadline_ns; /* CLOCK_MONOTONIC; 0: none */
};

#endif  /* GHOST_LIB_HINTS_HINT_REGION_LAYOUT_H_ */

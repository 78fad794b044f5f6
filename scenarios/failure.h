/* SPDX-License-Identifier: MIT */
/* Node failures and their recoveries. */
#ifndef QOSLAB_FAILURE_H
#define QOSLAB_FAILURE_H

struct testbed;

enum failure_kind {
	FAILURE_KILL,      /* SIGKILL the node's processes; recovery starts them again */
	FAILURE_FREEZE,    /* cgroup freezer; recovery thaws */
	FAILURE_PARTITION, /* the node's switch port down; recovery brings it up */
	FAILURE_BLACKHOLE, /* 100 % loss both ways on top of the link's impairment */
	FAILURE_KIND_COUNT /* not a kind: how many there are */
};

/* "kill|freeze|partition|blackhole"; -EINVAL otherwise. */
int failure_parse(const char *s, enum failure_kind *ret);
const char *failure_name(enum failure_kind k);
/* The kinds in words, for messages: "kill, freeze, partition or blackhole". */
const char *failure_choices(void);

int failure_inject(struct testbed *tb, int node, enum failure_kind k);
int failure_recover(struct testbed *tb, int node, enum failure_kind k);
#endif

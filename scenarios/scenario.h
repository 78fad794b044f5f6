/* SPDX-License-Identifier: MIT */
/* A scenario: one experiment described in a YAML file, loaded and validated before it runs. */
#ifndef QOSLAB_SCENARIO_H
#define QOSLAB_SCENARIO_H
#include <stddef.h>
#include <stdint.h>

#include "models/jpeg.h"       /* struct preprocess */
#include "netem/impair.h"      /* struct impair */
#include "scenarios/failure.h" /* enum failure_kind */

#define SCENARIO_NODE_MAX 32          /* "worker-4096" and room to spare */
#define SCENARIO_FILE_MAX (1 << 20)   /* bytes of YAML */
#define SCENARIO_POINTS_MAX 10000     /* sweep points (every one is validated at load) */
#define SCENARIO_FACTORS_MAX 32       /* sweep factors */
#define SCENARIO_VALIDATE_BYTES_MAX (64 << 20) /* points x file size read at load (~1 s) */
#define SCENARIO_DEPTH_MAX 16         /* nesting of YAML collections (4 are needed) */
#define SCENARIO_ANCHORS_MAX 256      /* YAML anchors and aliases */
#define SCENARIO_NAME_MAX 64          /* bytes of a scenario name */
#define SCENARIO_ERR_MAX 512          /* a buffer that holds any error line */
#define SCENARIO_ALL_WORKERS "workers"

enum scenario_transport { SCENARIO_TCP = 0, SCENARIO_UDP };
enum scenario_mode { SCENARIO_CLOSED = 0, SCENARIO_OPEN };
/* Where preprocess happens: on the worker after the network, or in a qoslab edge before it;
 * auto: at the edge when the topology has one, else on the worker. */
enum scenario_pre_at { SCENARIO_AT_AUTO = 0, SCENARIO_AT_WORKER, SCENARIO_AT_EDGE };
enum scenario_action { SCENARIO_IMPAIR = 0, SCENARIO_FAIL, SCENARIO_RECOVER,
		       SCENARIO_ADD_WORKER, SCENARIO_REMOVE_WORKER, SCENARIO_SET };

/* Link directions as bits: up is node -> switch, down is switch -> node (emu/testbed.h). */
#define SCENARIO_UP 1
#define SCENARIO_DOWN 2

/*
 * Node names everywhere: "client", "server" (the nodes with those roles), "workers" (every
 * worker), "worker-K" (1 <= K <= topology.workers) in the star, any node's name in a graph.
 * scenario_node_range() turns one into testbed node indices.
 */
struct scenario_link {
	char node[SCENARIO_NODE_MAX]; /* "": link names the topology link instead */
	char link[SCENARIO_NODE_MAX];
	int dirs;                 /* SCENARIO_UP | SCENARIO_DOWN */
	struct impair im;         /* validated; delays are one-way, per direction */
	int line;                 /* of the list item, for messages */
};

/* A command of the scenario's own (`run:`), started in a node with the trial. */
enum scenario_restart { SCENARIO_RESTART_NEVER = 0, SCENARIO_RESTART_ON_FAILURE };
enum scenario_aggregate { SCENARIO_AGG_MEAN = 0, SCENARIO_AGG_LAST, SCENARIO_AGG_MIN,
			  SCENARIO_AGG_MAX, SCENARIO_AGG_SUM, SCENARIO_AGG_MEDIAN };
#define SCENARIO_RUN_NAME_MAX 32      /* bytes of run[i].name: logs/run-NAME.log */

struct scenario_run {
	char node[SCENARIO_NODE_MAX];
	char **argv;              /* NULL-ended, argc >= 1; argv[0] with a '/' made absolute
				   * against the scenario's directory; "{addr:NODE}" in any
				   * argument or env value becomes that node's address */
	size_t argc;
	char **env;               /* "NAME=value", NULL-ended, added to qoslab's environment */
	size_t n_env;
	char name[SCENARIO_RUN_NAME_MAX]; /* [A-Za-z0-9_-]; default run-I */
	enum scenario_restart restart;
	int max_restarts;         /* restarts at most, per trial */
	double restart_delay_s;   /* before the first restart; doubles with each one */
	double start_s;           /* after the trial's start (the pipeline's first job) */
	double timeout_s;         /* wait: a command still running this long after its start
				   * fails the trial */
	int wait;                 /* 1: the trial ends only when this command has exited */
	struct {
		int fd;           /* > 2: metric lines on this descriptor; 0: none */
		char *file;       /* or a file the command writes in the trial directory */
		enum scenario_aggregate aggregate; /* over the lines, per key */
		char *prefix;     /* before every metric name */
	} metrics;
	int line;
};

struct scenario_event {
	double at_s;              /* seconds after the workload's first job */
	enum scenario_action action;
	char node[SCENARIO_NODE_MAX];
	char link[SCENARIO_NODE_MAX]; /* impair: a topology link instead of a node's */
	int dirs;                 /* impair: the directions changed */
	struct impair im;         /* impair: the whole new impairment (keys not given are 0) */
	int n_impair_keys;        /* impairment keys the event gave (only impair may) */
	enum failure_kind failure; /* fail: the kind; recover: the kind undone (checked) */
	double provisioning_s;    /* add_worker: from the event to the worker's start */
	int drain;                /* remove_worker: 1 finish the job (SIGTERM), 0 SIGKILL */
	char params[256];         /* set: "key=value,..." changed in the running link */
	int line;
};

/* One swept key. values[] are the texts applied to the scenario; levels[] the same values
 * in the unit of name (what results_add_trial takes: "50ms" -> "50" for delay_ms). */
struct scenario_factor {
	char *key;                /* a path into the scenario: "links[0].loss" */
	char *name;               /* results factor name: [A-Za-z0-9_-], unit suffix */
	char **values, **levels;
	int *value_lines;
	size_t n_values;
	int line;                 /* of key */
};

/*
 * The scenario after validation: every field holds its value or its default (see
 * scenarios/README.md), model and dataset are resolved to absolute paths that exist.
 * Read-only for callers; made by scenario_load or scenario_resolve, freed by scenario_free.
 */
struct scenario {
	char *path;               /* the file, as given */
	char *text;               /* its content: the scenario as run; scenario_resolve reads it */
	char *name, *description;
	uint64_t seed;
	int repeats;              /* >= 1 */
	int paired;               /* 1: repetition r draws the same random numbers at every point */
	int warmup_jobs;          /* the first jobs (by submission) left out of the metrics */
	int pipeline;             /* 0: no server, workers or client (only run: commands); model
				   * and dataset are then neither resolved nor needed (NULL) */

	struct {
		int workers;          /* star: given; graph: the nodes with role worker */
		double cpu_client, cpu_server, cpu_worker; /* CPUs per node; 0: unlimited */
		char subnet[32];
		/* the graph form, as written (empty: the star) */
		struct scenario_tswitch {
			char name[SCENARIO_NODE_MAX];
			char kind[SCENARIO_NODE_MAX]; /* "": a bridge */
			char params[256];     /* TOPO_PARAMS_MAX: the switch kind's */
		} *switches;
		size_t n_switches;
		struct scenario_tnode {
			char name[SCENARIO_NODE_MAX];
			int role;     /* enum topo_role */
			double cpu;   /* -1: the role's topology.cpu */
		} *nodes;
		size_t n_nodes;
		struct scenario_tlink {
			char name[SCENARIO_NODE_MAX], a[SCENARIO_NODE_MAX], b[SCENARIO_NODE_MAX];
			char kind[SCENARIO_NODE_MAX];
			char params[256]; /* TOPO_PARAMS_MAX: the kind's parameters */
		} *links;
		size_t n_links;
	} topology;
	/* planned from either form: what the testbed builds (emu/topology.h) */
	struct topology *topo;

	struct scenario_link *links;
	size_t n_links;

	struct {
		enum scenario_transport protocol;
		int chunk_bytes;      /* UDP: image bytes per datagram */
		int concat;           /* UDP reassembly: 0 holes, 1 concat */
		uint64_t pace_ns;     /* UDP: pause between datagrams */
	} transport;

	struct preprocess preprocess; /* quality 0: no re-encode; resize_pct 100: no resize */
	enum scenario_pre_at preprocess_at;

	char *model;              /* as written: "yolo-fastest-1.1-xl", "default" or a path */
	char *model_prefix;       /* absolute; PREFIX.cfg and PREFIX.weights exist */

	struct {
		char *dataset;        /* as written: "default" or a path */
		char *dataset_dir;    /* absolute; has images/ (or .jpg files) */
		int count;            /* jobs */
		enum scenario_mode mode;
		int concurrency;      /* closed loop: jobs outstanding */
		double rate_per_s;    /* open loop: Poisson arrivals; > 0 when mode is open */
		int max_outstanding;  /* open loop */
		double timeout_s;     /* per attempt */
		int retries;
		int shuffle;          /* job order: a permutation drawn from the trial seed */
		double duration_s;    /* 0: until every job is done */
		int async;            /* the client submits (202) then polls, as a web page would */
	} workload;

	struct scenario_run *runs;
	size_t n_runs;

	struct scenario_event *events; /* sorted by at_s, file order among equal times */
	size_t n_events;

	struct {
		double rate;          /* probability per interval that a candidate up node fails */
		double interval_s;
		double recovery_s;    /* a failed node recovers after this long; 0: never */
		int max_concurrent;   /* failed at once, at most */
		enum failure_kind kind;
		char node[SCENARIO_NODE_MAX]; /* candidates: "workers" or one "worker-K" */
	} random_failures;

	/* Seed 001's controller: watches the queue through the API, adds and drains workers. */
	struct scenario_autoscaler {
		int max;              /* 0: off */
		int min;              /* never below (and the topology's workers at start) */
		int scale_out_queue;  /* add workers while this many jobs or more wait */
		int scale_in_queue;   /* drain idle workers while this many or fewer wait */
		double cooldown_s;    /* between two scaling decisions */
		double provisioning_s; /* a new worker starts this long after the decision */
		double interval_s;    /* how often it looks */
	} autoscaler;

	struct scenario_factor *factors;
	size_t n_factors;
	const char **factor_names; /* [n_factors] names, for results_new */
	size_t n_points;          /* product of the factors' value counts; 1 without a sweep */

	/* Set by scenario_resolve: which trial this scenario is. */
	int is_trial;
	size_t point;
	int rep;
	uint64_t trial_seed;
};

struct scenario_trial; /* scenarios/sweep.h */

/*
 * Reads and validates PATH: syntax, keys, types, ranges, cross-field rules, that the model
 * files and the dataset exist, the sweep, and every sweep point as scenario_resolve would
 * build it. Touches nothing but the files it reads. Returns 0, -EINVAL (invalid content),
 * -ENOENT/-errno (unreadable file), -EFBIG, -ENOMEM; err gets one line
 * "FILE:LINE: KEY: message" (KEY a path such as links[0].loss).
 */
int scenario_load(const char *path, struct scenario **ret, char *err, size_t errlen);
/* Whether s may be a scenario name, which becomes a directory name (results/NAME-STAMP):
 * [A-Za-z0-9_.-], 1 to SCENARIO_NAME_MAX bytes, not starting with '.' (no "..", no '/'). */
int scenario_name_valid(const char *s);

/* As scenario_load, from text already in memory: name stands for the file in messages
 * and its directory is where relative paths start. */
int scenario_load_text(const char *name, const char *text, struct scenario **ret, char *err,
		       size_t errlen);
void scenario_free(struct scenario *sc);

/* The scenario of one trial: the trial's factor values applied, validated again.
 * Returns as scenario_load. */
int scenario_resolve(const struct scenario *sc, const struct scenario_trial *trial,
		     struct scenario **ret_resolved, char *err, size_t errlen);

/*
 * Testbed node indices [*ret_first, *ret_last] that a node name covers: client 0, server 1,
 * workers 2 .. 1 + workers (topology_plan's order), worker-K 1 + K in the star, a graph
 * node by name. -EINVAL for a malformed name, -ENOENT for a node that does not exist.
 */
int scenario_node_range(const struct scenario *sc, const char *node, int *ret_first, int *ret_last);
/* Worker nodes a trial may have by its end: topology.workers, one per add_worker event, and
 * room for the autoscaler (4 x max: every scale-out is a fresh node). */
int scenario_max_workers(const struct scenario *sc);
/* 1 when node is a star's worker-K beyond topology.workers that may join during a trial
 * (K <= scenario_max_workers): a links: entry for it applies when it joins. */
int scenario_joins_later(const struct scenario *sc, const char *node);
/*
 * Topology link indices an impairment names: its link, or the links of the nodes node
 * covers (each must have exactly one: -EMLINK otherwise, *ret_bad the node). Up to max
 * into ret; the count, or -errno as scenario_node_range.
 */
int scenario_links_of(const struct scenario *sc, const char *node, const char *link, int *ret,
		      int max, int *ret_bad);
/* Only the topology of a scenario file (or a file with just topology:), planned, for
 * `qoslab testbed --topology`. Errors as scenario_load. */
int scenario_load_topology(const char *path, struct topology **ret, char *err, size_t errlen);

const char *scenario_action_name(enum scenario_action a);
#endif

/* SPDX-License-Identifier: MIT */
/* Job table, bounded queue, worker assignments and deadlines: the server's bookkeeping,
 * free of sockets and clocks so that it can be tested step by step. */
#ifndef QOSLAB_DISPATCH_H
#define QOSLAB_DISPATCH_H
#include <stdint.h>
#include <sys/queue.h>

/*
 * Exactly-once rule: a job is answered once, by the first of
 *   - a result from the worker currently assigned with the current attempt number,
 *   - its overall deadline (job_timeout_ms after submission): outcome TIMEOUT,
 *   - losing max_attempts workers while it ran: outcome FAILED.
 * A worker is lost when the caller removes it (disconnect, BYE, bad frame) or when
 * dispatch_overdue names it (no frame for heartbeat_timeout_ms, or no result for
 * result_timeout_ms after a dispatch); its job goes back to the head of the queue with
 * the next attempt number. Any later result carrying an old (job, attempt) is dropped.
 */
struct dispatch_config {
	uint32_t queue_max;            /* jobs waiting for a worker; more are refused (-EBUSY) */
	int64_t job_timeout_ms;        /* submission to answer; 0: none */
	int64_t result_timeout_ms;     /* dispatch to result; 0: none */
	int64_t heartbeat_timeout_ms;  /* silence of a worker; 0: none */
	int max_attempts;              /* dispatches per job, >= 1 */
};

enum dispatch_state { DISPATCH_QUEUED, DISPATCH_RUNNING, DISPATCH_FINISHED };
/* REJECTED is never set by dispatch: it lets a caller answer "busy" for a job it could not
 * submit after having accepted it (a UDP job whose image arrived when the queue was full). */
enum dispatch_outcome { DISPATCH_PENDING, DISPATCH_DONE, DISPATCH_TIMEOUT, DISPATCH_FAILED,
			DISPATCH_CANCELLED, DISPATCH_REJECTED };
enum dispatch_overdue_reason { DISPATCH_HEARTBEAT_MISSED = 1, DISPATCH_RESULT_LATE = 2 };

/* Embedded in the caller's job; the caller owns the memory, dispatch only links it. A job
 * handed back (dispatch_result, dispatch_reap) is no longer referenced by dispatch. */
struct dispatch_job {
	uint64_t id;                      /* set by the caller, unique */
	TAILQ_ENTRY(dispatch_job) link;
	enum dispatch_state state;
	enum dispatch_outcome outcome;
	int attempts;                     /* dispatches so far */
	uint32_t worker;                  /* while running */
	int64_t submit_ms, dispatch_ms;   /* dispatch_ms: the last dispatch */
	int64_t queue_ms;                 /* time spent queued, over all attempts */
	int64_t enqueue_ms;
};

struct dispatch_stats {
	uint32_t queued, queue_max, running, workers, idle;
	uint64_t submitted, done, timeouts, failed, cancelled, rejected_busy, redispatched,
		 late_dropped, workers_joined, workers_lost;
};

struct dispatch;

int dispatch_new(const struct dispatch_config *cfg, struct dispatch **ret);
/* Jobs still linked are not freed (the caller owns them): cancel and reap first. */
void dispatch_free(struct dispatch *d);

/* 0, or -EBUSY when the queue is full and no worker is idle. */
int dispatch_submit(struct dispatch *d, struct dispatch_job *j, int64_t now_ms);
/* Like dispatch_submit without the queue bound: a job accepted before (by a previous
 * server, recovered from the job store) is never refused. */
void dispatch_restore(struct dispatch *d, struct dispatch_job *j, int64_t now_ms);
/* Finishes a queued or running job as CANCELLED (it is then reaped like a timeout; its
 * worker stays busy until it answers). 0, -ENOENT (no unfinished job with that id). */
int dispatch_cancel(struct dispatch *d, uint64_t job_id);
/* The job a worker is running, or NULL (idle, unknown, or its job was answered already). */
struct dispatch_job *dispatch_worker_job(const struct dispatch *d, uint32_t worker);
/* 0, -EEXIST, -ENOMEM. */
int dispatch_worker_add(struct dispatch *d, uint32_t worker, int64_t now_ms);
/* Any frame from the worker counts as a sign of life. */
void dispatch_worker_seen(struct dispatch *d, uint32_t worker, int64_t now_ms);
/* The worker is gone; its job is re-queued (or FAILED after max_attempts). 0, -ENOENT. */
int dispatch_worker_remove(struct dispatch *d, uint32_t worker, int64_t now_ms);
/* Pairs the oldest queued job with an idle worker; NULL when there is nothing to pair. */
struct dispatch_job *dispatch_next(struct dispatch *d, int64_t now_ms, uint32_t *ret_worker);
/* A result arrived. 0: accepted, the job is DONE and handed back in ret_job; -ESTALE:
 * not the current attempt (dropped; the worker is idle again if it was its assignment);
 * -ENOENT: unknown worker. */
int dispatch_result(struct dispatch *d, uint32_t worker, uint64_t job_id, uint32_t attempt,
		    int64_t now_ms, struct dispatch_job **ret_job);
/* Applies job deadlines (finished jobs wait in dispatch_reap). */
void dispatch_tick(struct dispatch *d, int64_t now_ms);
/* A worker past its heartbeat or result deadline: 0 and ret_* set, or -ENOENT. The caller
 * disconnects it and calls dispatch_worker_remove. */
int dispatch_overdue(struct dispatch *d, int64_t now_ms, uint32_t *ret_worker,
		     enum dispatch_overdue_reason *ret_reason);
/* Next job finished without a result (TIMEOUT, FAILED, CANCELLED), or NULL. */
struct dispatch_job *dispatch_reap(struct dispatch *d);
/* Finishes a job still waiting in the queue as CANCELLED (to be reaped); -EBUSY when it
 * runs on a worker already (or finished): its worker is not interrupted. */
int dispatch_cancel_queued(struct dispatch *d, struct dispatch_job *j);
/* Finishes every queued and running job as CANCELLED (shutdown). */
void dispatch_cancel_all(struct dispatch *d);
void dispatch_get_stats(const struct dispatch *d, struct dispatch_stats *ret);
/* Whether a worker is idle (0/1), -ENOENT if unknown. */
int dispatch_worker_idle(const struct dispatch *d, uint32_t worker);
const char *dispatch_outcome_name(enum dispatch_outcome o);
#endif

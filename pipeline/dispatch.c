// SPDX-License-Identifier: MIT
/* Job table, bounded queue, worker assignments and deadlines (see dispatch.h for the rule). */
#include "pipeline/dispatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

TAILQ_HEAD(job_list, dispatch_job);

struct dworker {
	uint32_t id;
	int busy;
	/* The assignment, kept after its job timed out so the worker stays busy until it
	 * answers (or is presumed stuck): job is NULL then. */
	struct dispatch_job *job;
	uint64_t job_id;
	uint32_t attempt;
	int64_t seen_ms, dispatch_ms;
};

struct dispatch {
	struct dispatch_config cfg;
	struct job_list queue, running, finished;
	struct dworker *workers;
	size_t n_workers, cap_workers;
	struct dispatch_stats st;
};

int dispatch_new(const struct dispatch_config *cfg, struct dispatch **ret)
{
	struct dispatch *d;

	if (cfg->max_attempts < 1 || cfg->job_timeout_ms < 0 || cfg->result_timeout_ms < 0 ||
	    cfg->heartbeat_timeout_ms < 0)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	TAILQ_INIT(&d->queue);
	TAILQ_INIT(&d->running);
	TAILQ_INIT(&d->finished);
	d->st.queue_max = cfg->queue_max;
	*ret = d;
	return 0;
}

void dispatch_free(struct dispatch *d)
{
	if (!d)
		return;
	free(d->workers);
	free(d);
}

static struct dworker *worker_find(const struct dispatch *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_workers; i++)
		if (d->workers[i].id == id)
			return &d->workers[i];
	return NULL;
}

static uint32_t idle_count(const struct dispatch *d)
{
	uint32_t n = 0;

	for (size_t i = 0; i < d->n_workers; i++)
		n += !d->workers[i].busy;
	return n;
}

int dispatch_submit(struct dispatch *d, struct dispatch_job *j, int64_t now_ms)
{
	if (d->st.queued >= d->cfg.queue_max && !idle_count(d)) {
		d->st.rejected_busy++;
		return -EBUSY;
	}
	j->state = DISPATCH_QUEUED;
	j->outcome = DISPATCH_PENDING;
	j->attempts = 0;
	j->worker = 0;
	j->submit_ms = j->enqueue_ms = now_ms;
	j->dispatch_ms = 0;
	j->queue_ms = 0;
	TAILQ_INSERT_TAIL(&d->queue, j, link);
	d->st.queued++;
	d->st.submitted++;
	return 0;
}

void dispatch_restore(struct dispatch *d, struct dispatch_job *j, int64_t now_ms)
{
	uint32_t max = d->cfg.queue_max;

	d->cfg.queue_max = UINT32_MAX;
	dispatch_submit(d, j, now_ms);
	d->cfg.queue_max = max;
}

int dispatch_worker_add(struct dispatch *d, uint32_t worker, int64_t now_ms)
{
	if (worker_find(d, worker))
		return -EEXIST;
	if (d->n_workers == d->cap_workers) {
		size_t cap = d->cap_workers ? 2 * d->cap_workers : 8;
		struct dworker *w = realloc(d->workers, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		d->workers = w;
		d->cap_workers = cap;
	}
	d->workers[d->n_workers++] = (struct dworker){ .id = worker, .seen_ms = now_ms };
	d->st.workers_joined++;
	return 0;
}

void dispatch_worker_seen(struct dispatch *d, uint32_t worker, int64_t now_ms)
{
	struct dworker *w = worker_find(d, worker);

	if (w)
		w->seen_ms = now_ms;
}

static void finish(struct dispatch *d, struct dispatch_job *j, enum dispatch_outcome o)
{
	if (j->state == DISPATCH_QUEUED) {
		TAILQ_REMOVE(&d->queue, j, link);
		d->st.queued--;
	} else if (j->state == DISPATCH_RUNNING) {
		TAILQ_REMOVE(&d->running, j, link);
		d->st.running--;
	}
	j->state = DISPATCH_FINISHED;
	j->outcome = o;
	if (o == DISPATCH_DONE)
		d->st.done++;
	else if (o == DISPATCH_TIMEOUT)
		d->st.timeouts++;
	else if (o == DISPATCH_FAILED)
		d->st.failed++;
	else if (o == DISPATCH_CANCELLED)
		d->st.cancelled++;
	/* Jobs answered with a result go straight back to the caller; the others wait to
	 * be reaped. */
	if (o != DISPATCH_DONE)
		TAILQ_INSERT_TAIL(&d->finished, j, link);
}

/* Detaches a worker's live job: the job no longer points at the worker, and vice versa. */
static void unassign(struct dworker *w)
{
	if (w->job)
		w->job->worker = 0;
	w->job = NULL;
}

int dispatch_worker_remove(struct dispatch *d, uint32_t worker, int64_t now_ms)
{
	struct dworker *w = worker_find(d, worker);
	struct dispatch_job *j;

	if (!w)
		return -ENOENT;
	j = w->job;
	unassign(w);
	*w = d->workers[--d->n_workers];
	d->st.workers_lost++;
	if (!j)
		return 0;
	if (j->attempts >= d->cfg.max_attempts) {
		finish(d, j, DISPATCH_FAILED);
		return 0;
	}
	/* Head of the queue: it has waited longest. */
	TAILQ_REMOVE(&d->running, j, link);
	d->st.running--;
	j->state = DISPATCH_QUEUED;
	j->enqueue_ms = now_ms;
	TAILQ_INSERT_HEAD(&d->queue, j, link);
	d->st.queued++;
	d->st.redispatched++;
	return 0;
}

/* Workers are scanned from a rotating start so that load spreads over all of them. */
static struct dworker *idle_worker(struct dispatch *d, uint64_t salt)
{
	for (size_t k = 0; k < d->n_workers; k++) {
		struct dworker *w = &d->workers[(salt + k) % d->n_workers];

		if (!w->busy)
			return w;
	}
	return NULL;
}

struct dispatch_job *dispatch_next(struct dispatch *d, int64_t now_ms, uint32_t *ret_worker)
{
	struct dispatch_job *j = TAILQ_FIRST(&d->queue);
	struct dworker *w;

	if (!j)
		return NULL;
	w = idle_worker(d, d->st.submitted + d->st.redispatched + d->st.done);
	if (!w)
		return NULL;
	TAILQ_REMOVE(&d->queue, j, link);
	d->st.queued--;
	j->state = DISPATCH_RUNNING;
	j->attempts++;
	j->worker = w->id;
	j->dispatch_ms = now_ms;
	j->queue_ms += now_ms - j->enqueue_ms;
	TAILQ_INSERT_TAIL(&d->running, j, link);
	d->st.running++;
	w->busy = 1;
	w->job = j;
	w->job_id = j->id;
	w->attempt = (uint32_t)j->attempts;
	w->dispatch_ms = now_ms;
	*ret_worker = w->id;
	return j;
}

int dispatch_result(struct dispatch *d, uint32_t worker, uint64_t job_id, uint32_t attempt,
		    int64_t now_ms, struct dispatch_job **ret_job)
{
	struct dworker *w = worker_find(d, worker);
	struct dispatch_job *j;

	if (!w)
		return -ENOENT;
	w->seen_ms = now_ms;
	if (!w->busy || w->job_id != job_id || w->attempt != attempt) {
		d->st.late_dropped++;
		return -ESTALE;
	}
	j = w->job;
	unassign(w);
	w->busy = 0;
	if (!j) {
		/* The job was answered meanwhile (timed out). */
		d->st.late_dropped++;
		return -ESTALE;
	}
	finish(d, j, DISPATCH_DONE);
	*ret_job = j;
	return 0;
}

int dispatch_cancel(struct dispatch *d, uint64_t job_id)
{
	struct job_list *lists[] = { &d->queue, &d->running };

	for (size_t l = 0; l < 2; l++) {
		struct dispatch_job *j;

		TAILQ_FOREACH(j, lists[l], link) {
			if (j->id != job_id)
				continue;
			if (j->state == DISPATCH_RUNNING) {
				struct dworker *w = worker_find(d, j->worker);

				if (w)
					unassign(w);
			}
			finish(d, j, DISPATCH_CANCELLED);
			return 0;
		}
	}
	return -ENOENT;
}

struct dispatch_job *dispatch_worker_job(const struct dispatch *d, uint32_t worker)
{
	const struct dworker *w = worker_find(d, worker);

	return w ? w->job : NULL;
}

void dispatch_tick(struct dispatch *d, int64_t now_ms)
{
	struct job_list *lists[] = { &d->running, &d->queue };

	if (!d->cfg.job_timeout_ms)
		return;
	for (size_t l = 0; l < 2; l++) {
		struct dispatch_job *j = TAILQ_FIRST(lists[l]), *next;

		for (; j; j = next) {
			next = TAILQ_NEXT(j, link);
			if (now_ms - j->submit_ms < d->cfg.job_timeout_ms)
				continue;
			if (j->state == DISPATCH_RUNNING) {
				struct dworker *w = worker_find(d, j->worker);

				if (w)
					unassign(w);
			}
			finish(d, j, DISPATCH_TIMEOUT);
		}
	}
}

int dispatch_overdue(struct dispatch *d, int64_t now_ms, uint32_t *ret_worker,
		     enum dispatch_overdue_reason *ret_reason)
{
	for (size_t i = 0; i < d->n_workers; i++) {
		const struct dworker *w = &d->workers[i];

		if (d->cfg.heartbeat_timeout_ms && now_ms - w->seen_ms > d->cfg.heartbeat_timeout_ms) {
			*ret_worker = w->id;
			*ret_reason = DISPATCH_HEARTBEAT_MISSED;
			return 0;
		}
		if (d->cfg.result_timeout_ms && w->busy &&
		    now_ms - w->dispatch_ms > d->cfg.result_timeout_ms) {
			*ret_worker = w->id;
			*ret_reason = DISPATCH_RESULT_LATE;
			return 0;
		}
	}
	return -ENOENT;
}

struct dispatch_job *dispatch_reap(struct dispatch *d)
{
	struct dispatch_job *j = TAILQ_FIRST(&d->finished);

	if (j)
		TAILQ_REMOVE(&d->finished, j, link);
	return j;
}

int dispatch_cancel_queued(struct dispatch *d, struct dispatch_job *j)
{
	if (j->state != DISPATCH_QUEUED)
		return -EBUSY;
	finish(d, j, DISPATCH_CANCELLED);
	return 0;
}

void dispatch_cancel_all(struct dispatch *d)
{
	struct dispatch_job *j;

	for (size_t i = 0; i < d->n_workers; i++)
		unassign(&d->workers[i]);
	while ((j = TAILQ_FIRST(&d->queue)))
		finish(d, j, DISPATCH_CANCELLED);
	while ((j = TAILQ_FIRST(&d->running)))
		finish(d, j, DISPATCH_CANCELLED);
}

void dispatch_get_stats(const struct dispatch *d, struct dispatch_stats *ret)
{
	*ret = d->st;
	ret->workers = (uint32_t)d->n_workers;
	ret->idle = idle_count(d);
}

int dispatch_worker_idle(const struct dispatch *d, uint32_t worker)
{
	const struct dworker *w = worker_find(d, worker);

	return w ? !w->busy : -ENOENT;
}

const char *dispatch_outcome_name(enum dispatch_outcome o)
{
	switch (o) {
	case DISPATCH_PENDING: return "pending";
	case DISPATCH_DONE: return "done";
	case DISPATCH_TIMEOUT: return "timeout";
	case DISPATCH_FAILED: return "failed";
	case DISPATCH_CANCELLED: return "cancelled";
	case DISPATCH_REJECTED: return "rejected";
	}
	return "?";
}

// SPDX-License-Identifier: MIT
/* Unit tests: job queue, assignment, deadlines and the exactly-once rule of dispatch. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pipeline/dispatch.h"
#include "tests/t.h"

static const struct dispatch_config cfg = {
	.queue_max = 2, .job_timeout_ms = 10000, .result_timeout_ms = 3000,
	.heartbeat_timeout_ms = 1000, .max_attempts = 3,
};

static void queue_full_is_busy(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job j[4] = { { .id = 1 }, { .id = 2 }, { .id = 3 }, { .id = 4 } };
	struct dispatch_stats st;
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_EQ_INT(t, dispatch_submit(d, &j[0], 0), 0);
	T_EQ_INT(t, dispatch_submit(d, &j[1], 0), 0);
	T_EQ_INT(t, dispatch_submit(d, &j[2], 0), -EBUSY);
	/* A worker joins and takes the first job: there is room again. */
	T_EQ_INT(t, dispatch_worker_add(d, 10, 0), 0);
	T_ASSERT(t, dispatch_next(d, 5, &w) == &j[0] && w == 10);
	T_ASSERT(t, dispatch_next(d, 5, &w) == NULL);
	T_EQ_INT(t, dispatch_submit(d, &j[2], 5), 0);
	dispatch_get_stats(d, &st);
	T_ASSERT(t, st.queued == 2 && st.running == 1 && st.rejected_busy == 1 && st.idle == 0);
	dispatch_cancel_all(d);
	while (dispatch_reap(d))
		;
	dispatch_free(d);
}

/* A queued job can be cancelled (its client hung up); a running one is left to its worker. */
static void cancel_only_queued(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 1 }, b = { .id = 2 };
	struct dispatch_stats st;
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_EQ_INT(t, dispatch_submit(d, &a, 0), 0);
	T_EQ_INT(t, dispatch_submit(d, &b, 0), 0);
	T_EQ_INT(t, dispatch_worker_add(d, 10, 0), 0);
	T_ASSERT(t, dispatch_next(d, 1, &w) == &a);
	T_EQ_INT(t, dispatch_cancel_queued(d, &a), -EBUSY);
	T_EQ_INT(t, dispatch_cancel_queued(d, &b), 0);
	T_ASSERT(t, dispatch_reap(d) == &b && b.outcome == DISPATCH_CANCELLED);
	T_EQ_INT(t, dispatch_cancel_queued(d, &b), -EBUSY);
	dispatch_get_stats(d, &st);
	T_ASSERT(t, st.queued == 0 && st.running == 1 && st.cancelled == 1);
	T_ASSERT(t, dispatch_next(d, 2, &w) == NULL);
	dispatch_free(d);
}

/* A cancelled running job is answered once (reaped as CANCELLED); its worker's result is
 * then stale, and the worker becomes idle again by answering. */
static void cancel_queued_and_running(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 1 }, b = { .id = 2 }, *got = NULL;
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_ASSERT(t, dispatch_worker_add(d, 5, 0) == 0);
	T_ASSERT(t, dispatch_submit(d, &a, 0) == 0 && dispatch_submit(d, &b, 0) == 0);
	T_ASSERT(t, dispatch_next(d, 1, &w) == &a && w == 5);
	T_ASSERT(t, dispatch_worker_job(d, 5) == &a);
	T_EQ_INT(t, dispatch_cancel(d, 2), 0);
	T_EQ_INT(t, dispatch_cancel(d, 1), 0);
	T_EQ_INT(t, dispatch_cancel(d, 1), -ENOENT);
	T_ASSERT(t, dispatch_worker_job(d, 5) == NULL);
	T_ASSERT(t, dispatch_reap(d) == &b && dispatch_reap(d) == &a && !dispatch_reap(d));
	T_ASSERT(t, a.outcome == DISPATCH_CANCELLED && b.outcome == DISPATCH_CANCELLED);
	T_EQ_INT(t, dispatch_worker_idle(d, 5), 0);
	T_EQ_INT(t, dispatch_result(d, 5, 1, 1, 2, &got), -ESTALE);
	T_EQ_INT(t, dispatch_worker_idle(d, 5), 1);
	dispatch_free(d);
}

/* Recovered jobs were accepted already: the queue bound does not refuse them. */
static void restore_ignores_queue_bound(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job j[3] = { { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct dispatch_stats st;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	for (int i = 0; i < 3; i++)
		dispatch_restore(d, &j[i], 0);
	dispatch_get_stats(d, &st);
	T_ASSERT(t, st.queued == 3 && st.queue_max == 2 && st.rejected_busy == 0);
	T_EQ_INT(t, dispatch_submit(d, &(struct dispatch_job){ .id = 4 }, 0), -EBUSY);
	dispatch_cancel_all(d);
	while (dispatch_reap(d))
		;
	dispatch_free(d);
}

static void result_once_and_late_result_dropped(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 7 }, *got = NULL;
	struct dispatch_stats st;
	uint32_t w1, w2;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_ASSERT(t, dispatch_worker_add(d, 1, 0) == 0);
	T_ASSERT(t, dispatch_submit(d, &a, 0) == 0);
	T_ASSERT(t, dispatch_next(d, 0, &w1) == &a && w1 == 1 && a.attempts == 1);
	/* worker 1 dies; the job goes to worker 2 as attempt 2 */
	T_ASSERT(t, dispatch_worker_add(d, 2, 100) == 0);
	T_EQ_INT(t, dispatch_worker_remove(d, 1, 100), 0);
	T_ASSERT(t, a.state == DISPATCH_QUEUED);
	T_ASSERT(t, dispatch_next(d, 200, &w2) == &a && w2 == 2 && a.attempts == 2);
	/* attempt 1's result (a presumed-dead worker that came back) is dropped */
	T_EQ_INT(t, dispatch_result(d, 1, 7, 1, 300, &got), -ENOENT);
	T_EQ_INT(t, dispatch_result(d, 2, 7, 1, 300, &got), -ESTALE);
	T_EQ_INT(t, dispatch_result(d, 2, 7, 2, 400, &got), 0);
	T_ASSERT(t, got == &a && a.outcome == DISPATCH_DONE && a.queue_ms == 100);
	/* a duplicate of the accepted result is dropped too */
	T_EQ_INT(t, dispatch_result(d, 2, 7, 2, 400, &got), -ESTALE);
	T_ASSERT(t, dispatch_reap(d) == NULL);
	dispatch_get_stats(d, &st);
	T_ASSERT(t, st.done == 1 && st.redispatched == 1 && st.late_dropped == 2);
	T_ASSERT(t, st.workers == 1 && st.idle == 1 && st.running == 0 && st.queued == 0);
	dispatch_free(d);
}

static void missed_heartbeat_and_late_result_make_worker_overdue(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 1 };
	enum dispatch_overdue_reason why;
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_ASSERT(t, dispatch_worker_add(d, 1, 0) == 0);
	T_ASSERT(t, dispatch_worker_add(d, 2, 0) == 0);
	T_ASSERT(t, dispatch_submit(d, &a, 0) == 0);
	T_ASSERT(t, dispatch_next(d, 0, &w) == &a);
	dispatch_worker_seen(d, 1, 900);
	dispatch_worker_seen(d, 2, 900);
	T_EQ_INT(t, dispatch_overdue(d, 1500, &w, &why), -ENOENT);
	/* the busy worker keeps sending heartbeats but never answers */
	for (int64_t now = 1000; now <= 3500; now += 500) {
		dispatch_worker_seen(d, 1, now);
		dispatch_worker_seen(d, 2, now);
	}
	T_EQ_INT(t, dispatch_overdue(d, 3500, &w, &why), 0);
	T_ASSERT(t, w == a.worker && why == DISPATCH_RESULT_LATE);
	T_ASSERT(t, dispatch_worker_remove(d, w, 3500) == 0);
	/* the remaining worker goes silent (SIGSTOP) */
	T_EQ_INT(t, dispatch_overdue(d, 4000, &w, &why), -ENOENT);
	T_EQ_INT(t, dispatch_overdue(d, 4600, &w, &why), 0);
	T_ASSERT(t, why == DISPATCH_HEARTBEAT_MISSED);
	dispatch_cancel_all(d);
	T_ASSERT(t, dispatch_reap(d) == &a && a.outcome == DISPATCH_CANCELLED);
	dispatch_free(d);
}

static void job_timeout_answers_once(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 1 }, b = { .id = 2 }, *got = NULL;
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_ASSERT(t, dispatch_worker_add(d, 1, 0) == 0);
	T_ASSERT(t, dispatch_submit(d, &a, 0) == 0);
	T_ASSERT(t, dispatch_submit(d, &b, 0) == 0);
	T_ASSERT(t, dispatch_next(d, 0, &w) == &a);
	dispatch_tick(d, 9999);
	T_ASSERT(t, dispatch_reap(d) == NULL);
	dispatch_tick(d, 10000);
	T_ASSERT(t, dispatch_reap(d) == &a && a.outcome == DISPATCH_TIMEOUT);
	T_ASSERT(t, dispatch_reap(d) == &b && b.outcome == DISPATCH_TIMEOUT);
	T_ASSERT(t, dispatch_reap(d) == NULL);
	/* the worker stays busy with the dead job until it answers; the answer is dropped */
	T_EQ_INT(t, dispatch_worker_idle(d, 1), 0);
	T_EQ_INT(t, dispatch_result(d, 1, 1, 1, 10001, &got), -ESTALE);
	T_EQ_INT(t, dispatch_worker_idle(d, 1), 1);
	dispatch_free(d);
}

static void attempts_exhausted_fail(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job a = { .id = 1 };
	uint32_t w;

	T_ASSERT(t, dispatch_new(&cfg, &d) == 0);
	T_ASSERT(t, dispatch_submit(d, &a, 0) == 0);
	for (uint32_t k = 1; k <= 3; k++) {
		T_ASSERT(t, dispatch_worker_add(d, k, 0) == 0);
		T_ASSERT(t, dispatch_next(d, 0, &w) == &a && w == k);
		T_ASSERT(t, dispatch_worker_remove(d, k, 0) == 0);
	}
	T_ASSERT(t, dispatch_reap(d) == &a && a.outcome == DISPATCH_FAILED && a.attempts == 3);
	dispatch_free(d);
}

static void load_spreads_over_workers(struct t *t)
{
	struct dispatch *d = NULL;
	struct dispatch_job j[6];
	struct dispatch_job *got;
	int per[3] = { 0 };
	uint32_t w;

	T_ASSERT(t, dispatch_new(&(struct dispatch_config){ .queue_max = 10, .max_attempts = 1 },
				 &d) == 0);
	for (uint32_t k = 0; k < 3; k++)
		T_ASSERT(t, dispatch_worker_add(d, k, 0) == 0);
	for (int i = 0; i < 6; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		j[i].id = (uint64_t)i + 1;
		T_ASSERT(t, dispatch_submit(d, &j[i], 0) == 0);
		T_ASSERT(t, dispatch_next(d, 0, &w) == &j[i]);
		per[w]++;
		T_ASSERT(t, dispatch_result(d, w, j[i].id, 1, 0, &got) == 0 && got == &j[i]);
	}
	T_ASSERT(t, per[0] && per[1] && per[2]);
	dispatch_free(d);
}

int main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(queue_full_is_busy),
		T_CASE(cancel_only_queued),
		T_CASE(cancel_queued_and_running),
		T_CASE(restore_ignores_queue_bound),
		T_CASE(result_once_and_late_result_dropped),
		T_CASE(missed_heartbeat_and_late_result_make_worker_overdue),
		T_CASE(job_timeout_answers_once),
		T_CASE(attempts_exhausted_fail),
		T_CASE(load_spreads_over_workers),
		{ 0 },
	};

	return t_main(cases, argc, argv);
}

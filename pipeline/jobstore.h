/* SPDX-License-Identifier: MIT */
/* Jobs and their results in SQLite: what the server accepted survives the server. */
#ifndef QOSLAB_JOBSTORE_H
#define QOSLAB_JOBSTORE_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * One table, `jobs`; a job's status moves queued -> running (-> queued again after a lost
 * worker or a restart) -> one final status: done (the detector ran), error (the worker could
 * not use the image), timeout, failed (lost too many workers), cancelled. A final status is
 * written once: jobstore_finish on a final job changes nothing and says -EALREADY, so a job
 * is answered exactly once even when a worker's late result and a cancel race.
 *
 * The database is WAL-mode with synchronous=NORMAL: a commit survives the process (SIGKILL)
 * without an fsync per job; only a power cut may lose the last commits. One connection,
 * behind one mutex, is the only writer (the HTTP thread inserts and cancels, the server
 * thread records dispatches and results); readers use the same connection.
 */
struct jobstore;

struct jobstore_new {
	const char *mode;          /* "sync" or "async" */
	const char *name;          /* the submitter's name for the image; may be NULL */
	uint8_t grayscale, quality, resize_pct;
	const uint8_t *image;      /* may be NULL (UDP jobs: the image arrives later) */
	size_t image_len;
};

/* A job that was accepted but not answered when the last server stopped. */
struct jobstore_pending {
	int64_t id;
	uint8_t grayscale, quality, resize_pct;
	uint8_t *image;            /* malloc()ed, the callee's to keep or free */
	size_t image_len;
};

/* path: a file, or ":memory:" (nothing survives then). 0 or -errno; on failure SQLite's
 * message goes to err (may be NULL). */
int jobstore_new(const char *path, char *err, size_t err_len, struct jobstore **ret);
void jobstore_free(struct jobstore *js);
/* The last SQLite error message (for the command's error line). */
const char *jobstore_error(const struct jobstore *js);
/* Whether the file survives the process (not ":memory:"). */
int jobstore_durable(const struct jobstore *js);

/* Inserts a queued job; times are CLOCK_REALTIME ms. 0 or -errno. */
int jobstore_add(struct jobstore *js, const struct jobstore_new *n, int64_t now_ms,
		 int64_t *ret_id);
/* A dispatch: status running, worker, one more attempt. -EALREADY when final. */
int jobstore_started(struct jobstore *js, int64_t id, const char *worker, int64_t now_ms);
/* Back to queued (its worker was lost). -EALREADY when final. */
int jobstore_requeued(struct jobstore *js, int64_t id);
/* The final answer: status (see above), worker (may be NULL), detections count, the answer
 * as JSON text (may be NULL). 0, -EALREADY (final already: nothing changed), -ENOENT. */
int jobstore_finish(struct jobstore *js, int64_t id, const char *status, const char *worker,
		    int n_detections, const char *result_json, int64_t now_ms);
/* Removes a job that was never accepted (refused as busy after its insert). */
int jobstore_forget(struct jobstore *js, int64_t id);
/* After a restart: unfinished synchronous jobs lost their requester and become failed;
 * unfinished asynchronous ones go back to queued and are handed to fn (which owns p->image)
 * in id order, with the store's lock held (fn must not call the store). Stops at fn's first
 * error. 0 or -errno; ret_n: jobs handed to fn. */
int jobstore_recover(struct jobstore *js, int64_t now_ms,
		     int (*fn)(void *arg, struct jobstore_pending *p), void *arg, size_t *ret_n);

/* The job as the API shows it ({job, status, mode, name, worker, attempts, created_ms,
 * started_ms, finished_ms, latency_ms, detections: n, result}); -ENOENT. */
int jobstore_get_json(struct jobstore *js, int64_t id, json_t **ret);
/* Newest first: at most limit jobs with id < before (0: from the newest), status filter
 * (NULL: all). {jobs: [...], next_before: id or null, counts: {status: n}}. */
int jobstore_list_json(struct jobstore *js, const char *status, int64_t before, int limit,
		       json_t **ret);
/* The submitted image; -ENOENT (no such job, or no image). */
int jobstore_image(struct jobstore *js, int64_t id, uint8_t **ret, size_t *ret_len);
/* Whether s names a status (0/1). */
int jobstore_status_valid(const char *s);
#endif

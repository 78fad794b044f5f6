// SPDX-License-Identifier: MIT
/* Jobs and results in SQLite (see jobstore.h for the states and the durability rule). */
#include "pipeline/jobstore.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jobstore {
	sqlite3 *db;
	pthread_mutex_t lock;
	int durable;
	char err[256];
};

static const char *const statuses[] = {
	"queued", "running", "done", "error", "timeout", "failed", "cancelled",
};

#define FINAL "status NOT IN ('queued','running')"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"  /* ids never come back, even after a delete */
	" status TEXT NOT NULL,"
	" mode TEXT NOT NULL,"
	" name TEXT,"
	" grayscale INTEGER NOT NULL DEFAULT 0,"
	" quality INTEGER NOT NULL DEFAULT 0,"
	" resize INTEGER NOT NULL DEFAULT 0,"
	" image BLOB,"
	" worker TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL,"
	" started_ms INTEGER,"
	" finished_ms INTEGER,"
	" detections INTEGER,"
	" result TEXT);"
	"CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, id);";

int jobstore_status_valid(const char *s)
{
	for (size_t i = 0; s && i < sizeof(statuses) / sizeof(*statuses); i++)
		if (!strcmp(s, statuses[i]))
			return 1;
	return 0;
}

/* Keeps SQLite's message for jobstore_error and maps its code to an errno. */
static int fail(struct jobstore *js, int rc)
{
	snprintf(js->err, sizeof(js->err), "%s", sqlite3_errmsg(js->db));
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_READONLY: case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	case SQLITE_CANTOPEN: return -ENOENT;
	default: return -EIO;
	}
}

const char *jobstore_error(const struct jobstore *js)
{
	return js->err[0] ? js->err : "no error";
}

int jobstore_durable(const struct jobstore *js)
{
	return js->durable;
}

int jobstore_new(const char *path, char *err, size_t err_len, struct jobstore **ret)
{
	struct jobstore *js = calloc(1, sizeof(*js));
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (!js)
		return -ENOMEM;
	pthread_mutex_init(&js->lock, NULL);
	js->durable = strcmp(path, ":memory:") != 0;
	rc = sqlite3_open_v2(path, &js->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = js->db ? fail(js, rc) : -ENOMEM;
		goto out;
	}
	/* Another process holding the file (a server still stopping) gets 5 s to let go. */
	sqlite3_busy_timeout(js->db, 5000);
	/* WAL: readers never block the writer, a commit is one append. synchronous=NORMAL
	 * skips the fsync per commit: commits survive a killed process, not a power cut. */
	if (js->durable) {
		rc = sqlite3_prepare_v2(js->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "wal")) {
			snprintf(js->err, sizeof(js->err), "%s: WAL mode refused", path);
			r = -EIO;
			goto out;
		}
		if (rc != SQLITE_OK) {
			r = fail(js, rc);
			goto out;
		}
	}
	rc = sqlite3_exec(js->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(js->db, schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = fail(js, rc);
		goto out;
	}
	*ret = js;
out:
	sqlite3_finalize(st);
	if (r < 0) {
		if (!js->err[0] && js->db)
			snprintf(js->err, sizeof(js->err), "%s", sqlite3_errmsg(js->db));
		if (err && err_len)
			snprintf(err, err_len, "%s", js->err[0] ? js->err : strerror(-r));
		jobstore_free(js);
	}
	return r;
}

void jobstore_free(struct jobstore *js)
{
	if (!js)
		return;
	sqlite3_close(js->db);
	pthread_mutex_destroy(&js->lock);
	free(js);
}

/* Prepares sql under the lock; binds are the caller's. */
static int prepare(struct jobstore *js, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(js->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : fail(js, rc);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int jobstore_add(struct jobstore *js, const struct jobstore_new *n, int64_t now_ms,
		 int64_t *ret_id)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "INSERT INTO jobs (status, mode, name, grayscale, quality, resize, image,"
		    " created_ms) VALUES ('queued', ?, ?, ?, ?, ?, ?, ?)", &st);
	if (r < 0)
		goto out;
	bind_text(st, 1, n->mode);
	bind_text(st, 2, n->name);
	sqlite3_bind_int(st, 3, n->grayscale);
	sqlite3_bind_int(st, 4, n->quality);
	sqlite3_bind_int(st, 5, n->resize_pct);
	if (n->image)
		sqlite3_bind_blob64(st, 6, n->image, n->image_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, now_ms);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		r = fail(js, rc);
		goto out;
	}
	*ret_id = sqlite3_last_insert_rowid(js->db);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

/* Runs one UPDATE of job id; -EALREADY when it matched no unfinished row. */
static int update_unfinished(struct jobstore *js, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return fail(js, rc);
	return sqlite3_changes(js->db) ? 0 : -EALREADY;
}

int jobstore_started(struct jobstore *js, int64_t id, const char *worker, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "UPDATE jobs SET status='running', worker=?, attempts=attempts+1,"
		    " started_ms=? WHERE id=? AND NOT " FINAL, &st);
	if (r < 0)
		goto out;
	bind_text(st, 1, worker);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, id);
	r = update_unfinished(js, st);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

int jobstore_requeued(struct jobstore *js, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "UPDATE jobs SET status='queued' WHERE id=? AND NOT " FINAL, &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	r = update_unfinished(js, st);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

int jobstore_finish(struct jobstore *js, int64_t id, const char *status, const char *worker,
		    int n_detections, const char *result_json, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!jobstore_status_valid(status) || !strcmp(status, "queued") ||
	    !strcmp(status, "running"))
		return -EINVAL;
	pthread_mutex_lock(&js->lock);
	r = prepare(js, "UPDATE jobs SET status=?, worker=coalesce(?, worker), detections=?,"
		    " result=?, finished_ms=? WHERE id=? AND NOT " FINAL, &st);
	if (r < 0)
		goto out;
	bind_text(st, 1, status);
	bind_text(st, 2, worker);
	sqlite3_bind_int(st, 3, n_detections);
	bind_text(st, 4, result_json);
	sqlite3_bind_int64(st, 5, now_ms);
	sqlite3_bind_int64(st, 6, id);
	r = update_unfinished(js, st);
	if (r == -EALREADY) {
		sqlite3_finalize(st);
		st = NULL;
		if (prepare(js, "SELECT 1 FROM jobs WHERE id=?", &st) == 0) {
			sqlite3_bind_int64(st, 1, id);
			if (sqlite3_step(st) != SQLITE_ROW)
				r = -ENOENT;
		}
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

int jobstore_forget(struct jobstore *js, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int r;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "DELETE FROM jobs WHERE id=? AND status='queued'", &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	r = update_unfinished(js, st);
	if (r == -EALREADY)
		r = -ENOENT;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

int jobstore_recover(struct jobstore *js, int64_t now_ms,
		     int (*fn)(void *arg, struct jobstore_pending *p), void *arg, size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r, rc;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "UPDATE jobs SET status='failed', finished_ms=?, result="
		    "'{\"status\":\"error\",\"error\":\"the server restarted before answering"
		    " this synchronous request\"}' WHERE mode='sync' AND NOT " FINAL, &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, now_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(js->db, "UPDATE jobs SET status='queued' WHERE status='running'",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		r = fail(js, rc);
		goto out;
	}
	r = prepare(js, "SELECT id, grayscale, quality, resize, image FROM jobs"
		    " WHERE status='queued' ORDER BY id", &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct jobstore_pending p = {
			.id = sqlite3_column_int64(st, 0),
			.grayscale = (uint8_t)sqlite3_column_int(st, 1),
			.quality = (uint8_t)sqlite3_column_int(st, 2),
			.resize_pct = (uint8_t)sqlite3_column_int(st, 3),
		};
		const void *img = sqlite3_column_blob(st, 4);
		int len = sqlite3_column_bytes(st, 4);

		if (img && len > 0) {
			p.image = malloc((size_t)len);
			if (!p.image) {
				r = -ENOMEM;
				goto out;
			}
			memcpy(p.image, img, (size_t)len);
			p.image_len = (size_t)len;
		}
		/* The lock is held: fn must not call back into the store. */
		r = fn(arg, &p);
		if (r < 0)
			goto out;
		n++;
	}
	if (rc != SQLITE_DONE)
		r = fail(js, rc);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	if (ret_n)
		*ret_n = n;
	return r;
}

/* ---- reading ---- */

#define COLUMNS "id, status, mode, name, worker, attempts, created_ms, started_ms, finished_ms," \
		" detections, length(image)"

static json_t *int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
		json_integer(sqlite3_column_int64(st, col));
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? json_string((const char *)s) : json_null();
}

/* One row of COLUMNS as the API's job summary. */
static json_t *row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int64_t created = sqlite3_column_int64(st, 6);

	if (!o)
		return NULL;
	json_object_set_new(o, "job", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "status", text_or_null(st, 1));
	json_object_set_new(o, "mode", text_or_null(st, 2));
	json_object_set_new(o, "name", text_or_null(st, 3));
	json_object_set_new(o, "worker", text_or_null(st, 4));
	json_object_set_new(o, "attempts", json_integer(sqlite3_column_int(st, 5)));
	json_object_set_new(o, "created_ms", json_integer(created));
	json_object_set_new(o, "started_ms", int_or_null(st, 7));
	json_object_set_new(o, "finished_ms", int_or_null(st, 8));
	json_object_set_new(o, "latency_ms", sqlite3_column_type(st, 8) == SQLITE_NULL ?
			    json_null() : json_integer(sqlite3_column_int64(st, 8) - created));
	json_object_set_new(o, "detections", int_or_null(st, 9));
	json_object_set_new(o, "image_bytes", int_or_null(st, 10));
	return o;
}

int jobstore_get_json(struct jobstore *js, int64_t id, json_t **ret)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;
	int r, rc;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "SELECT " COLUMNS ", result FROM jobs WHERE id=?", &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = -ENOENT;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = fail(js, rc);
		goto out;
	}
	o = row_json(st);
	if (!o) {
		r = -ENOMEM;
		goto out;
	}
	if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
		json_t *res = json_loads((const char *)sqlite3_column_text(st, 11), 0, NULL);

		json_object_set_new(o, "result", res ? res : json_null());
	} else {
		json_object_set_new(o, "result", json_null());
	}
	*ret = o;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

static int counts_json(struct jobstore *js, json_t *o)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(*statuses); i++)
		json_object_set_new(o, statuses[i], json_integer(0));
	r = prepare(js, "SELECT status, count(*) FROM jobs GROUP BY status", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0),
				    json_integer(sqlite3_column_int64(st, 1)));
	if (rc != SQLITE_DONE)
		r = fail(js, rc);
	sqlite3_finalize(st);
	return r;
}

int jobstore_list_json(struct jobstore *js, const char *status, int64_t before, int limit,
		       json_t **ret)
{
	sqlite3_stmt *st = NULL;
	json_t *o = json_object(), *jobs = json_array(), *counts = json_object();
	int64_t last = 0;
	int r, rc, n = 0;

	if (!o || !jobs || !counts) {
		r = -ENOMEM;
		goto out_unlocked;
	}
	pthread_mutex_lock(&js->lock);
	r = prepare(js, "SELECT " COLUMNS " FROM jobs WHERE (?1 IS NULL OR status=?1)"
		    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3", &st);
	if (r < 0)
		goto out;
	bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, before);
	/* One more than asked tells whether a next page exists. */
	sqlite3_bind_int(st, 3, limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit)
			break;
		json_array_append_new(jobs, row_json(st));
		last = sqlite3_column_int64(st, 0);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = fail(js, rc);
		goto out;
	}
	json_object_set_new(o, "next_before", rc == SQLITE_ROW ? json_integer(last) : json_null());
	r = counts_json(js, counts);
	if (r < 0)
		goto out;
	json_object_set(o, "jobs", jobs);
	json_object_set(o, "counts", counts);
	*ret = o;
	o = NULL;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
out_unlocked:
	json_decref(o);
	json_decref(jobs);
	json_decref(counts);
	return r;
}

int jobstore_image(struct jobstore *js, int64_t id, uint8_t **ret, size_t *ret_len)
{
	sqlite3_stmt *st = NULL;
	const void *img;
	int r, rc, len;
	uint8_t *p;

	pthread_mutex_lock(&js->lock);
	r = prepare(js, "SELECT image FROM jobs WHERE id=?", &st);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? -ENOENT : fail(js, rc);
		goto out;
	}
	img = sqlite3_column_blob(st, 0);
	len = sqlite3_column_bytes(st, 0);
	if (!img || len <= 0) {
		r = -ENOENT;
		goto out;
	}
	p = malloc((size_t)len);
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(p, img, (size_t)len);
	*ret = p;
	*ret_len = (size_t)len;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&js->lock);
	return r;
}

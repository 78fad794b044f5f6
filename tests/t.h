/* SPDX-License-Identifier: MIT */
/* Minimal test harness: each test binary prints "ok|FAIL|skip - name" lines and a tally. */
#ifndef QOSLAB_T_H
#define QOSLAB_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t {
	const char *name;
	int failed;
	int skipped;
};

struct t_case {
	const char *name;
	void (*fn)(struct t *t);
};

#define T_FAIL(t, ...) do { \
	fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	(t)->failed = 1; } while (0)

/* Stops the test case: later asserts usually depend on this one. */
#define T_ASSERT(t, cond) do { if (!(cond)) { T_FAIL(t, "assert %s", #cond); return; } } while (0)
#define T_ASSERTF(t, cond, ...) do { if (!(cond)) { T_FAIL(t, __VA_ARGS__); return; } } while (0)
#define T_EQ_INT(t, a, b) do { long long _a = (a), _b = (b); if (_a != _b) { \
	T_FAIL(t, "%s == %lld, expected %s == %lld", #a, _a, #b, _b); return; } } while (0)
#define T_SKIP(t, why) do { fprintf(stderr, "  skip: %s\n", why); (t)->skipped = 1; return; } while (0)

#define T_CASE(fn) { #fn, fn }

/* Runs the cases named on the command line, or all of them. */
static inline int t_main(const struct t_case *cases, int argc, char **argv)
{
	int pass = 0, fail = 0;

	for (const struct t_case *c = cases; c->name; c++) {
		struct t t = { .name = c->name };
		int want = argc < 2;

		for (int i = 1; i < argc; i++)
			want |= !strcmp(argv[i], c->name);
		if (!want)
			continue;
		c->fn(&t);
		printf("%s - %s\n", t.failed ? "FAIL" : t.skipped ? "skip" : "ok", c->name);
		fflush(stdout);
		if (t.failed)
			fail++;
		else if (!t.skipped)
			pass++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
#endif

// SPDX-License-Identifier: MIT
/* Event log lines on standard error (see eventlog.h). */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "pipeline/eventlog.h"

void eventlog_stderr(void *arg, const char *fmt, ...)
{
	const char *who = arg ? arg : "qoslab";
	struct timeval tv;
	struct tm tm;
	va_list ap;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	/* one fprintf for the prefix and one for the text: lines of threads may interleave
	 * only at line ends, since stderr is unbuffered per call */
	fprintf(stderr, "%s: %02d:%02d:%02d.%03ld ", who, tm.tm_hour, tm.tm_min, tm.tm_sec,
		(long)tv.tv_usec / 1000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

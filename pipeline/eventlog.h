/* SPDX-License-Identifier: MIT */
/* The event log the pipeline's commands print on standard error: one line per event, the
 * wall-clock time to the millisecond and who speaks ("qoslab worker w1: 12:00:01.250 ..."). */
#ifndef QOSLAB_EVENTLOG_H
#define QOSLAB_EVENTLOG_H

/* The log callback of server, api, edge and worker configurations; arg is the speaker
 * (a const char *, e.g. "qoslab server"). */
void eventlog_stderr(void *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

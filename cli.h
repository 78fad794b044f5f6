/* SPDX-License-Identifier: MIT */
/* Number arguments of the command lines: whole-string parses with a range, one place. */
#ifndef QOSLAB_CLI_H
#define QOSLAB_CLI_H

/* The whole of s as a number in [lo, hi]; -EINVAL otherwise (ret untouched). */
int cli_long(const char *s, long lo, long hi, long *ret);
int cli_double(const char *s, double lo, double hi, double *ret);
#endif

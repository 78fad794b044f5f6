/* SPDX-License-Identifier: MIT */
/* gnuplot through a pipe: per metric and factor, mean with 95 % CI error bars (PNG, SVG). */
#ifndef QOSLAB_PLOT_H
#define QOSLAB_PLOT_H
#include <stddef.h>

#include "plots/results.h"

/*
 * One plot per (metric, factor): x = the factor's levels (by value when numeric, evenly
 * spaced and labelled when categorical), y = the metric's mean over the repetitions with
 * 95 % CI error bars; a point whose CI is undefined (n = 1) is drawn without bars. With a
 * second factor, one line per level of it (the first other factor in the scenario's
 * order); any further factors are held at their first level (lowest number / first text),
 * not averaged, and the title says so. Files: DIR/METRIC-vs-FACTOR.png (pngcairo) and
 * .svg. The data goes inline to gnuplot as datablocks: no temporary file is left.
 * In the SVG, plot k (gnuplot_plot_K, counted from 1) of series s is: K = 2s + 1 the mean
 * line, K = 2s + 2 its error bars.
 */

/* 0 when an executable gnuplot is on PATH, else -ENOENT. */
int plot_gnuplot_found(void);

/* The file name stem of a plot: "METRIC-vs-FACTOR". */
void plot_stem(const struct results *r, size_t metric, size_t factor, char *buf, size_t len);

/*
 * Draws one plot of an aggregated r (at most 64 factors) into dir. Returns 0; -ENODATA when no point along the
 * plotted lines has a mean (nothing is written); -ENOENT when gnuplot is not on PATH;
 * -EIO when gnuplot failed (err gets its message); -errno otherwise. On failure no
 * output file of this plot remains.
 */
int plot_metric(const struct results *r, size_t metric, size_t factor, const char *dir,
		char *err, size_t err_len);

/*
 * One trial's time series (its timeseries.csv: queue depth, jobs in flight, workers
 * connected and wanted, each second) as PNG and SVG; title is shown as given.
 */
int plot_timeseries(const char *csv, const char *png, const char *svg, const char *title,
		    char *err, size_t err_len);
/* Every metric against every factor (none without factors), skipping -ENODATA ones;
 * *ret_n (may be NULL) counts the plots drawn. Stops at the first other error. */
int plot_all(const struct results *r, const char *dir, char *err, size_t err_len, size_t *ret_n);
#endif

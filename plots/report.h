/* SPDX-License-Identifier: MIT */
/* The run report: DIR/report.html with scenario, manifest, per-metric tables and plots. */
#ifndef QOSLAB_REPORT_H
#define QOSLAB_REPORT_H
#include <stddef.h>

#include "plots/results.h"

/*
 * report.html is one self-contained file: inline CSS, no script, no external resource;
 * the only references are relative links to the run's own files (the PNGs in plots/,
 * each linking to its .svg; results.json/results.csv/trials.csv when present). It shows
 * the scenario (DIR/scenario.yaml verbatim, when present), the manifest (DIR/manifest.json
 * flattened to key/value rows, when present), the run metadata, and per metric a table
 * (factors, n, mean, +/- 95 % CI half-width, sd) followed by its plots. Text from files
 * is HTML-escaped.
 */

/* Subdirectory of DIR that holds the plots. */
#define REPORT_PLOTS_DIR "plots"

/*
 * Writes DIR/report.html for an aggregated r; plots are those present in DIR/plots.
 * Returns 0 or -errno; err (may be NULL) names the file that failed.
 */
int report_write_html(const struct results *r, const char *dir, char *err, size_t err_len);

/*
 * The whole report: creates DIR/plots, draws every plot (plot_all) and writes report.html.
 * Returns 0 or -errno (-ENOENT when gnuplot is missing, -EIO when it failed); err gets
 * one line naming what failed. *ret_plots (may be NULL) counts the plots drawn.
 */
int report_render(const struct results *r, const char *dir, char *err, size_t err_len, size_t *ret_plots);

#endif

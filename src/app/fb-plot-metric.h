/* fb-plot-metric.h — names, directions and units of the plottable metrics.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-latency-table.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

/* Stable identifiers ("size", "bops", "latency", "peak-ram", "accuracy")
 * for actions, settings and combo box ids. */
const char  *fb_plot_metric_to_nick     (FbPlotMetric   metric);
gboolean     fb_plot_metric_from_nick   (const char    *nick,
                                         FbPlotMetric  *metric);
/* Translated name for menus and the legend: "Weight memory (Flash)". */
const char  *fb_plot_metric_get_name    (FbPlotMetric   metric);
/* Short form for combo boxes and the summary: "Flash (weights)". */
const char  *fb_plot_metric_get_short_name (FbPlotMetric metric);
/* Accuracy is better when larger; everything else when smaller. */
gboolean     fb_plot_metric_maximize    (FbPlotMetric   metric);

/* Chooses the unit an axis shows values in, from the largest value on it:
 * returns the divisor (1000 for kB, 1e6 for M BOPs, 0.01 for percent) and
 * writes the axis title, e.g. "Weight memory (Flash), kB". */
double       fb_plot_metric_axis_scale  (FbPlotMetric   metric,
                                         FbLatencyUnit  unit,
                                         const char    *target,
                                         double         max_abs,
                                         char         **title);
/* One value with its unit, as in tooltips: "45.2 kB", "66.4 M", "91.3 %". */
char        *fb_plot_metric_format      (FbPlotMetric   metric,
                                         FbLatencyUnit  unit,
                                         double         value);

G_END_DECLS

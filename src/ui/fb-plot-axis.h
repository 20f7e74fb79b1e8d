/* fb-plot-axis.h — "nice" axis ticks for linear and logarithmic axes.
 *
 * Positions are in axis space: the value itself on a linear axis, log10 of it
 * on a logarithmic one, which is the space the plot zooms and pans in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FB_PLOT_MAX_TICKS 32

typedef struct {
  double value;  /* in data units */
  double pos;    /* in axis space */
} FbPlotTick;

/* The smallest of 1, 2, 2.5, 5 × 10^k that is >= @raw (> 0). */
double  fb_plot_nice_step       (double       raw);
/* Ticks within [@lo, @hi] (axis space), at most @max_ticks (<= FB_PLOT_MAX_TICKS)
 * and at least two whenever the range is not empty. Log axes get decades,
 * with 2 and 5 in between when there is room, and fall back to linear steps
 * inside one decade. Returns the number written to @out. */
guint   fb_plot_axis_ticks      (double       lo,
                                 double       hi,
                                 gboolean     log_scale,
                                 guint        max_ticks,
                                 FbPlotTick  *out);
/* Label of a tick already divided by the axis unit: enough decimals to tell
 * neighbours @step apart (step in the same divided units; 0 = %g style). */
char   *fb_plot_axis_format     (double       value,
                                 double       step);

G_END_DECLS

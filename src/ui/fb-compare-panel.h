/* fb-compare-panel.h — the Compare page: does BOPs rank configs like latency does?
 *
 * Shows the result of fb_compare_run (src/search/fb-compare.h) for the current
 * target: a second FbParetoPlot with BOPs or Flash against the target's latency,
 * one series per source of the configs (uniform, random, BOPs front, Free Bits,
 * latency front, other targets' searches); the Spearman ρ of BOPs↔latency and
 * Flash↔latency over the pool and over the random configs alone; and the key
 * table: at matched accuracy (measured, else Flash size), the BOPs-optimal
 * config's latency against the latency-optimal one's. "Compare" emits "run";
 * the window gathers network, tables and oracle and calls
 * fb_compare_panel_start(), which runs an FbCompareJob and follows it.
 * Switching the target only redraws from the result (every table was
 * evaluated in the run).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-compare-job.h"
#include "fb-pareto-plot.h"

G_BEGIN_DECLS

#define FB_TYPE_COMPARE_PANEL (fb_compare_panel_get_type ())
G_DECLARE_FINAL_TYPE (FbComparePanel, fb_compare_panel, FB, COMPARE_PANEL, GtkBox)

/* Columns of the key table's model (for tests). */
enum {
  FB_COMPARE_COLUMN_LEVEL,          /* "≥ w8a8 − 0.5 pt" */
  FB_COMPARE_COLUMN_LEVEL_MARKUP,   /* the level and how many configs reach it */
  FB_COMPARE_COLUMN_N_ELIGIBLE,     /* string */
  FB_COMPARE_COLUMN_BOPS_OPTIMAL,   /* markup: latency, then the config's label */
  FB_COMPARE_COLUMN_LATENCY_OPTIMAL,
  FB_COMPARE_COLUMN_RATIO,          /* "1.65×" */
  FB_COMPARE_COLUMN_RATIO_VALUE,    /* double, NAN without eligible configs */
  FB_COMPARE_COLUMN_TOOLTIP,        /* markup */
  FB_COMPARE_COLUMN_BOPS_INDEX,     /* int: point index in the plot, -1 */
  FB_COMPARE_COLUMN_LATENCY_INDEX,
  FB_COMPARE_N_COLUMNS
};

GtkWidget      *fb_compare_panel_new            (void);

/* Forgets the result (it belongs to the old network) and cancels a run. */
void            fb_compare_panel_set_network    (FbComparePanel    *self,
                                                 FbNetwork         *network);
/* The target whose latency is shown (NULL: none); the result is kept. */
void            fb_compare_panel_set_target     (FbComparePanel    *self,
                                                 const char        *target);
/* The current table's latency unit, for the axis before any result. */
void            fb_compare_panel_set_target_unit (FbComparePanel   *self,
                                                  FbLatencyUnit     unit);
const char     *fb_compare_panel_get_target     (FbComparePanel    *self);

/* Random configs in the pool (the spin button). */
guint           fb_compare_panel_get_samples    (FbComparePanel    *self);
void            fb_compare_panel_set_samples    (FbComparePanel    *self,
                                                 guint              samples);
/* X axis: FB_PLOT_METRIC_BOPS or FB_PLOT_METRIC_SIZE. */
void            fb_compare_panel_set_x_metric   (FbComparePanel    *self,
                                                 FbPlotMetric       metric);

/* Runs fb_compare_run on @tables (FbLatencyTable, at least one) with the
 * panel's sample count, measuring accuracy with @oracle (may be NULL) on
 * @limit images; @parent cancels it (the window's cancellable). */
void            fb_compare_panel_start          (FbComparePanel    *self,
                                                 FbNetwork         *network,
                                                 GPtrArray         *tables,
                                                 FbAccuracyOracle  *oracle,
                                                 guint              limit,
                                                 GCancellable      *parent);
void            fb_compare_panel_cancel         (FbComparePanel    *self);
/* Says the run waits for the accuracy engine to load. */
void            fb_compare_panel_set_waiting    (FbComparePanel    *self);
/* The last run (running or done), or NULL. */
FbCompareJob   *fb_compare_panel_get_job        (FbComparePanel    *self);
/* The result shown, or NULL. */
JsonNode       *fb_compare_panel_get_result     (FbComparePanel    *self);
/* Shows @result (fb_compare_run's JSON for the panel's network, referenced)
 * as if a run had produced it; NULL clears. */
void            fb_compare_panel_set_result     (FbComparePanel    *self,
                                                 JsonNode          *result);

/* For tests. */
FbParetoPlot   *fb_compare_panel_get_plot       (FbComparePanel    *self);
GtkLabel       *fb_compare_panel_get_rho_label  (FbComparePanel    *self);
GtkLabel       *fb_compare_panel_get_rho_size_label (FbComparePanel *self);
GtkLabel       *fb_compare_panel_get_rho_random_label (FbComparePanel *self);
GtkTreeModel   *fb_compare_panel_get_rows       (FbComparePanel    *self);
GtkTreeView    *fb_compare_panel_get_rows_view  (FbComparePanel    *self);
GtkWidget      *fb_compare_panel_get_run_button (FbComparePanel    *self);
const char     *fb_compare_panel_get_status     (FbComparePanel    *self);
/* The progress bar's text ("42 % · about 12 seconds left"). */
const char     *fb_compare_panel_get_progress_text (FbComparePanel *self);

/* How the panel shows a Spearman ρ ("0.792", "−0.891"; "—" for none). */
char           *fb_compare_format_rho           (double             rho);

G_END_DECLS

/* fb-search-panel.h — the search side pane: what to search, and how it goes.
 *
 * Method (uniform baselines, the differentiable λ sweep, Free Bits, exact
 * Pareto front) with its options,
 * target (the loaded latency tables; the combo shares the window's model),
 * budgets for latency, Flash and RAM (and minimum accuracy when the window
 * has an accuracy oracle), the start config (the table's config or a uniform one; pins
 * always come from the table). Run emits "run"; the window starts an
 * FbSearchJob and hands it back with fb_search_panel_set_job(), after which
 * the panel follows its progress (bar, ETA, status) until it finishes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-search-job.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_SEARCH_PANEL_START_TABLE "table"

#define FB_TYPE_SEARCH_PANEL (fb_search_panel_get_type ())
G_DECLARE_FINAL_TYPE (FbSearchPanel, fb_search_panel, FB, SEARCH_PANEL, GtkBox)

GtkWidget      *fb_search_panel_new                (void);

/* The window's list of targets: column 0 the id (string), column 1 the label. */
void            fb_search_panel_set_target_model   (FbSearchPanel        *self,
                                                    GtkTreeModel         *model);
GtkComboBox    *fb_search_panel_get_target_combo   (FbSearchPanel        *self);
/* Ids are fb_search_method_to_nick(); for GSettings binding. */
GtkComboBox    *fb_search_panel_get_method_combo   (FbSearchPanel        *self);

/* The w8a8 metrics of the network, for budget defaults and the latency unit;
 * @latency_unit is ignored when @w8a8's latency is NAN (no table). */
void            fb_search_panel_set_reference      (FbSearchPanel        *self,
                                                    const FbMetrics      *w8a8,
                                                    FbLatencyUnit         latency_unit);
/* The uniform configs the network admits ("w8a8", ...), offered as starts. */
void            fb_search_panel_set_uniform_starts (FbSearchPanel        *self,
                                                    const char * const   *labels);
/* How many entries the table's config pins (they hold in every search). */
void            fb_search_panel_set_n_pins         (FbSearchPanel        *self,
                                                    guint                 n_pins);
/* Whether an accuracy oracle exists (makes the minimum-accuracy budget usable). */
void            fb_search_panel_set_accuracy_available (FbSearchPanel    *self,
                                                    gboolean              available);

FbSearchMethod  fb_search_panel_get_method         (FbSearchPanel        *self);
void            fb_search_panel_set_method         (FbSearchPanel        *self,
                                                    FbSearchMethod        method);
/* FB_SEARCH_PANEL_START_TABLE or a uniform label ("w4a8"). */
const char     *fb_search_panel_get_start          (FbSearchPanel        *self);
void            fb_search_panel_set_start          (FbSearchPanel        *self,
                                                    const char           *start);
/* A budget in base units (bytes, table units, fraction); NAN switches it off.
 * @metric: latency, size, peak RAM or accuracy. */
void            fb_search_panel_set_budget         (FbSearchPanel        *self,
                                                    FbPlotMetric          metric,
                                                    double                value);
/* Pareto front options: @objectives as in the CLI ("latency,size,bops"),
 * @epsilon a fraction. */
void            fb_search_panel_set_pareto_options (FbSearchPanel        *self,
                                                    const char           *objectives,
                                                    double                epsilon);
/* Free Bits: accepted latency cost of a raise, a fraction. */
void            fb_search_panel_set_tolerance      (FbSearchPanel        *self,
                                                    double                tolerance);
/* Differentiable search: cost, λ list as typed ("0,0.1,1"; NULL keeps it),
 * steps per λ (0 keeps it). */
void            fb_search_panel_set_diff_options   (FbSearchPanel        *self,
                                                    FbDiffCost            cost,
                                                    const char           *lambdas,
                                                    guint                 steps);
/* Why the λ list is invalid (shown under it), or NULL when it is valid. */
const char     *fb_search_panel_get_lambdas_error  (FbSearchPanel        *self);
GtkEntry       *fb_search_panel_get_lambdas_entry  (FbSearchPanel        *self);
/* Why the differentiable search cannot run now (shown in its options), or
 * NULL when it can. */
void            fb_search_panel_set_diff_problem   (FbSearchPanel        *self,
                                                    const char           *problem);
/* Everything the job needs but the start config (an invalid λ list gives
 * n_lambdas = 0). */
void            fb_search_panel_get_params         (FbSearchPanel        *self,
                                                    FbSearchParams       *params);

/* Follows @job (NULL: idle). */
void            fb_search_panel_set_job            (FbSearchPanel        *self,
                                                    FbSearchJob          *job);
/* "123 candidates from 2 sources". */
void            fb_search_panel_set_n_results      (FbSearchPanel        *self,
                                                    guint                 n_candidates,
                                                    guint                 n_sources);
/* For tests: the status line and the progress bar's text. */
const char     *fb_search_panel_get_status         (FbSearchPanel        *self);
GtkWidget      *fb_search_panel_get_run_button     (FbSearchPanel        *self);
GtkWidget      *fb_search_panel_get_cancel_button  (FbSearchPanel        *self);

/* The progress bar's text for a running @job: its stage ("Searching ·
 * 42 % · about 12 seconds left", "Measuring accuracy 37/120"). */
char           *fb_search_panel_progress_text (FbSearchJob *job);

G_END_DECLS

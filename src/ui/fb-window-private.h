/* fb-window-private.h — window internals for tests (not for other widgets).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-layer-table.h"
#include "fb-pareto-plot.h"
#include "fb-search-panel.h"
#include "fb-window.h"

G_BEGIN_DECLS

FbNetwork      *fb_window_get_network        (FbWindow     *self);
FbLatencyTable *fb_window_get_latency_table  (FbWindow     *self);
FbParetoPlot   *fb_window_get_plot           (FbWindow     *self);
FbLayerTable   *fb_window_get_layer_table    (FbWindow     *self);
/* The value label of @metric in the summary ("45.2 kB"). */
GtkLabel       *fb_window_get_summary_label  (FbWindow     *self,
                                              FbPlotMetric  metric);
GtkLabel       *fb_window_get_config_label   (FbWindow     *self);
GtkInfoBar     *fb_window_get_info_bar       (FbWindow     *self);
/* What the Save Config dialog does once a path is chosen. */
gboolean        fb_window_save_config        (FbWindow     *self,
                                              const char   *path,
                                              GError      **error);
/* What the Save Candidates dialog does once a path is chosen: every search
 * result and opened candidate, with the current target's metrics. */
gboolean        fb_window_save_candidates    (FbWindow     *self,
                                              const char   *path,
                                              GError      **error);
FbSearchPanel  *fb_window_get_search_panel   (FbWindow     *self);
/* The last search started (running or finished), or NULL. */
FbSearchJob    *fb_window_get_search_job     (FbWindow     *self);
/* The target selector of the sidebar (ids are target names). */
GtkComboBox    *fb_window_get_target_combo   (FbWindow     *self);
/* Search results and opened candidates now in the plot. */
guint           fb_window_get_n_results      (FbWindow     *self);
/* The info bar's text, or NULL when it is hidden. */
const char     *fb_window_get_info_message   (FbWindow     *self);

G_END_DECLS

/* fb-window-private.h — window internals for tests (not for other widgets).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-accuracy-engine.h"
#include "fb-compare-panel.h"
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
/* The Compare page. */
FbComparePanel *fb_window_get_compare_panel  (FbWindow     *self);
/* The target selector of the sidebar (ids are target names). */
GtkComboBox    *fb_window_get_target_combo   (FbWindow     *self);
/* Search results and opened candidates now in the plot. */
guint           fb_window_get_n_results      (FbWindow     *self);
/* The info bar's text, or NULL when it is hidden. */
const char     *fb_window_get_info_message   (FbWindow     *self);

/* The accuracy engine of the shown network (NULL while it loads or when
 * there is none). */
FbAccuracyEngine *fb_window_get_accuracy_engine (FbWindow   *self);
/* For tests, before creating windows: whether they make an accuracy engine
 * (loading weights and Fashion-MNIST in a thread), with how many images per
 * evaluation (0: the oracle's default, 1000) and the Fashion-MNIST directory
 * (NULL: $FB_FASHION_MNIST_DIR or the system one). */
void            fb_window_set_accuracy_defaults (gboolean    enabled,
                                                 guint       limit,
                                                 const char *dataset_dir);
/* What "Export C Bundle…" does once the dialog is answered: writes the
 * table's config as a C bundle to @dir in a worker thread; the info bar
 * tells the outcome. */
void            fb_window_export_bundle      (FbWindow     *self,
                                              const char   *dir,
                                              guint         n_images,
                                              gboolean      force);

G_END_DECLS

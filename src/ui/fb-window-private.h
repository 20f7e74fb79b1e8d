/* fb-window-private.h — the window's internals, shared by the files that
 * make it up (fb-window.c, -summary.c, -search.c, -dnd.c, -actions.c, as
 * gnome-text-editor splits editor-window.c) and by the tests. Not for other
 * widgets.
 *
 * Ownership of the fields is noted where it is not obvious: "owned" is freed
 * in dispose/finalize, "borrowed" points into something else that outlives it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-accuracy-engine.h"
#include "fb-compare-panel.h"
#include "fb-layer-table.h"
#include "fb-pareto-plot.h"
#include "fb-results-table.h"
#include "fb-plot-metric.h"
#include "fb-point-set.h"
#include "fb-search-job.h"
#include "fb-search-panel.h"
#include "fb-window.h"

G_BEGIN_DECLS


FbNetwork      *fb_window_get_network        (FbWindow     *self);
FbLatencyTable *fb_window_get_latency_table  (FbWindow     *self);
FbParetoPlot   *fb_window_get_plot           (FbWindow     *self);
FbLayerTable   *fb_window_get_layer_table    (FbWindow     *self);
/* The results table (a page beside the layer table). */
FbResultsTable *fb_window_get_results_table  (FbWindow     *self);
/* Shows the results table's page (TRUE) or the layer table's. */
void            fb_window_show_results_page  (FbWindow     *self,
                                              gboolean      results);
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

/* ---- internals ------------------------------------------------------------ */

#define BUNDLED_NETWORK "fmnist-mbv1"
#define DEFAULT_TARGET  "rv32imc"
/* The info bar's "Open Folder" button. */
#define RESPONSE_OPEN_FOLDER 1
#define RESPONSE_SAVE_CONVERTED 2

/* The summary shows these, in this order. */
static const FbPlotMetric summary_metrics[] G_GNUC_UNUSED = {
  FB_PLOT_METRIC_SIZE,
  FB_PLOT_METRIC_PEAK_RAM,
  FB_PLOT_METRIC_BOPS,
  FB_PLOT_METRIC_LATENCY,
  FB_PLOT_METRIC_ACCURACY,
};

enum {
  TARGET_COLUMN_ID,
  TARGET_COLUMN_LABEL,
};

/* Candidates shown as one series of the plot: one search method's last run,
 * or one opened candidates file. Their metrics are always those of the
 * current latency table (re-evaluated when the target switches). */
typedef struct {
  char           *name;        /* legend: method or file name */
  int             method;      /* FbSearchMethod, or -1 for a file */
  GPtrArray      *candidates;  /* FbCandidate */
  FbLatencyTable *table;       /* what the metrics were computed with (not a ref; compared only) */
} ResultGroup;

/* What the table showed, for undo (fb-window-undo.c). */
typedef struct _FbWindowSnapshot FbWindowSnapshot;

struct _FbWindow {
  GtkApplicationWindow  parent_instance;

  /* Template children: borrowed (the template owns them). */
  GtkHeaderBar         *header_bar;
  GtkOverlay           *overlay;
  GtkWidget            *sidebar;
  GtkMenuButton        *recent_button;
  GtkInfoBar           *info_bar;
  GtkLabel             *info_label;
  GtkComboBoxText      *x_combo;
  GtkComboBoxText      *y_combo;
  GtkToggleButton      *log_x_toggle;
  GtkToggleButton      *log_y_toggle;
  FbParetoPlot         *plot;
  GtkLabel             *config_title_label;
  GtkLabel             *config_subtitle_label;
  GtkGrid              *metrics_grid;
  GtkLabel             *network_label;
  GtkLabel             *precision_label;
  GtkLabel             *target_label;
  FbLayerTable         *layer_table;
  GtkRevealer          *search_revealer;
  FbSearchPanel        *search_panel;
  GtkComboBox          *target_combo;
  GtkStack             *view_stack;
  FbComparePanel       *compare_panel;
  FbResultsTable       *results_table;
  GtkNotebook          *bottom_notebook;
  GtkExpander          *changes_expander;
  GtkLabel             *changes_label;

  /* Borrowed: built into @metrics_grid. */
  GtkLabel             *value_labels[FB_PLOT_N_METRICS];
  GtkLabel             *note_labels[FB_PLOT_N_METRICS];
  GtkLabel             *name_labels[FB_PLOT_N_METRICS];
  GtkWidget            *full_test_check;              /* borrowed: "Measure on all test images" */

  /* State, never read back from the widgets' texts. */
  gboolean              compare_waiting;              /* runs once the engine is loaded (or not) */
  gboolean              search_waiting;               /* a differentiable search, likewise */
  gboolean              info_is_search_waiting;       /* the info bar shows only the search's waiting note */

  FbNetwork            *network;                      /* owned (ref) */
  FbLatencyTable       *latency;                      /* owned (ref); also a row of @tables */
  FbPointSet           *points;                       /* owned (ref) */
  double                reference[FB_PLOT_N_METRICS]; /* w8a8, for "−50 % vs w8a8" */
  char                 *config_origin;                /* owned: file name or point label */
  char                 *config_source;                /* owned: where it came from (subtitle), or NULL */
  JsonObject           *config_provenance;            /* owned (ref): from a loaded file */
  GCancellable         *cancellable;                  /* owned; cancelled on close */
  gboolean              edited;                       /* changed in the table since loaded */
  gboolean              updating_combos;
  guint                 combo_state;                  /* metrics and axes the combos show */
  gboolean              latency_error_shown;

  GtkListStore         *targets;                      /* owned: id (target), label: the loaded tables */
  GPtrArray            *tables;                       /* owned: FbLatencyTable, rows of @targets */
  gboolean              updating_targets;
  GPtrArray            *groups;                       /* owned: ResultGroup: search results, candidate files */
  FbSearchJob          *job;                          /* owned (ref): the last search (running or done) */
  ResultGroup          *job_group;                    /* borrowed: one of @groups: where @job's results go */
  GSettings            *settings;                     /* owned: NULL without the schema */
  FbAccuracyEngine     *engine;                       /* owned (ref): optional, for the network shown */
  GCancellable         *engine_loading;               /* owned: the engine being made, or NULL */
  char                 *engine_problem;               /* owned: why there is no engine (summary note) */
  GtkWidget            *open_folder_button;           /* borrowed: a child of @info_bar: in the info bar */
  char                 *info_folder;                  /* owned: what "Open Folder" opens */
  GtkWidget            *save_converted_button;        /* borrowed: a child of @info_bar */
  struct _FbOnnxImport *onnx_import;                  /* owned: the .onnx shown, until saved or replaced */
  char                 *onnx_path;                    /* owned: where it was read */
  char                 *dataset_path;                 /* owned: the user's data set, NULL: Fashion-MNIST */
  char                 *dataset_summary;              /* owned: its one-line summary */
  int                   dataset_layout;               /* FbDatasetLayout of @dataset_path */
  double                dataset_val_split;            /* its test fraction of a one-set source (0: none) */
  guint                 n_exports;                    /* bundles being written */
  GPtrArray            *undo_stack;                   /* owned: FbWindowSnapshot, oldest first */
  GPtrArray            *redo_stack;                   /* owned: FbWindowSnapshot */
  FbWindowSnapshot     *shown;                        /* owned: the state shown now */
  gboolean              restoring;
  char                 *latency_folder;               /* owned: where the latency table chooser starts, or NULL */
  gboolean              info_batch;                   /* opening several files: their errors are listed together */
  GtkRevealer          *toast;                        /* borrowed: an overlay child: the in-app notification */
  GtkLabel             *toast_label;                  /* borrowed */
  GtkWidget            *toast_open_button;            /* borrowed */
  char                 *toast_folder;                 /* owned: what its "Open Folder" opens */
  GPtrArray            *opened_configs;               /* owned: FbPrecisionConfig opened from files */
  GPtrArray            *opened_names;                 /* owned: their file names (char *) */
  GPtrArray            *free_bits_changes;            /* owned (ref): FbFreeBitsChange of the last Free Bits run */
  FbPrecisionConfig    *free_bits_result;             /* owned: the config they made, or NULL */
  guint                 toast_timeout;                /* hides it */                    /* an undo is setting the config: not recorded */
  int                   saved_width, saved_height;
  gboolean              saved_maximized;
};

/* ---- fb-window.c: messages, accuracy limits, points, axes, targets, the network, construction */
void fb_window_add_target (FbWindow *self, FbLatencyTable *table);
void fb_window_choose_axes (FbWindow *self, gboolean keep_if_possible);
gboolean fb_window_compute_values (FbWindow *self, FbPrecisionConfig *config, double values[FB_PLOT_N_METRICS],
                                   FbMetrics *out);
guint fb_window_default_limit (FbWindow *self);
gboolean fb_window_engine_usable (FbWindow *self);
FbCandidate * fb_window_evaluate_candidate (FbWindow *self, FbCandidate *c);
guint fb_window_limit_images (FbWindow *self, guint limit);
void fb_window_on_info_bar_response (GtkInfoBar *bar, int response, FbWindow *self);
void fb_window_refresh_points (FbWindow *self, gboolean keep_axes);
void fb_window_report_gerror (FbWindow *self, const GError *error);
ResultGroup * fb_window_result_group_new (const char *name, int method);
void fb_window_select_target (FbWindow *self, const char *target);
void fb_window_set_config (FbWindow *self, FbPrecisionConfig *config, const char *origin, JsonObject *provenance);
/* Likewise, with the subtitle's "where from" (NULL: worked out from the plot). */
void fb_window_set_config_from (FbWindow *self, FbPrecisionConfig *config, const char *origin,
                                JsonObject *provenance, const char *source);
void fb_window_set_network (FbWindow *self, FbNetwork *network);
void fb_window_show_message (FbWindow *self, GtkMessageType type, const char *message, const char *folder);
guint fb_window_summary_limit (FbWindow *self);
char * fb_window_uniform_label (FbPrecisionConfig *config);

/* ---- fb-window-summary.c: the summary and the titles */
char * fb_window_current_config_name (FbWindow *self, gboolean *is_baseline);
char * fb_window_diff_problem (FbWindow *self);
void fb_window_update_summary (FbWindow *self);
void fb_window_update_titles (FbWindow *self);
/* The Free Bits change log of the config in the table, in the sidebar (hidden for other configs). */
void fb_window_update_changes (FbWindow *self);
/* One line per change: "pw3 weights 4 → 8 bit: latency 12 034 → 12 034 instr. (free)". */
char *fb_window_format_changes (FbWindow *self, GPtrArray *changes);

/* ---- fb-window-search.c: search results, the accuracy engine, compare */
/* Whether new windows make an accuracy engine (fb_window_set_accuracy_defaults()). */
gboolean fb_window_get_accuracy_enabled (void);
void fb_window_clear_results (FbWindow *self);
guint fb_window_count_results (FbWindow *self);
void fb_window_load_engine (FbWindow *self);
void fb_window_on_compare_config_selected (FbComparePanel *panel, FbPrecisionConfig *config, const char *label,
                                           FbWindow *self);
void fb_window_on_compare_failed (FbComparePanel *panel, const char *message, FbWindow *self);
void fb_window_on_compare_run (FbWindow *self);
void fb_window_on_search_cancel (FbWindow *self);
void fb_window_on_search_run (FbWindow *self);
void fb_window_queue_results (FbWindow *self);
void fb_window_request_accuracy (FbWindow *self);
void fb_window_set_engine (FbWindow *self, FbAccuracyEngine *engine);
void fb_window_stop_job (FbWindow *self);
void fb_window_update_results (FbWindow *self);
/* The results table's rows besides the plot's: the Compare page's configs and opened config files. */
void fb_window_update_extra_results (FbWindow *self);
/* Lists a config opened from @name (a file) among the results (copied). */
void fb_window_add_opened_config (FbWindow *self, FbPrecisionConfig *config, const char *name);

/* ---- fb-window-dnd.c: opening files (command line, recent files, drag and drop) */
void fb_window_add_recent (GFile *file);
void fb_window_on_drag_data_received (GtkWidget *widget, GdkDragContext *context, int x, int y,
                                      GtkSelectionData *data, guint info, guint time, FbWindow *self);
void fb_window_on_recent_activated (GtkRecentChooser *chooser, FbWindow *self);
gboolean fb_window_open_network (FbWindow *self, const char *path, GError **error);
/* Imports an .onnx in memory, shows its network and offers to save it. */
gboolean fb_window_open_onnx (FbWindow *self, const char *path, GError **error);
/* Writes the shown import next to its .onnx (NAME.json + weights), then
 * opens the saved network (its float weights feed the accuracy engine). */
gboolean fb_window_save_converted (FbWindow *self, GError **error);
/* Checks @path as the shown network's data set (FbAppSession), shows its
 * summary and re-measures accuracy on it (a new accuracy engine). */
gboolean fb_window_open_dataset (FbWindow *self, const char *path, GError **error);
/* Likewise, read with @layout (FbDatasetLayout) and @val_split (the test
 * fraction of a one-set source; 0: none), as --layout and --val-split. */
gboolean fb_window_open_dataset_with (FbWindow *self, const char *path, int layout, double val_split,
                                      GError **error);
/* The data set remembered for the shown network (GSettings), if it still
 * opens; else Fashion-MNIST. Before the engine loads. */
void fb_window_restore_dataset (FbWindow *self);

/* ---- fb-window-undo.c: undo and redo of edits, pins and replaced configs */
void fb_window_undo_init (FbWindow *self);
void fb_window_undo_finalize (FbWindow *self);
/* After the table's config changed: the state before becomes an undo step. */
void fb_window_undo_record (FbWindow *self);
/* Forgets every step (another network). */
void fb_window_undo_reset (FbWindow *self);
void fb_window_snapshot_free (FbWindowSnapshot *s);
/* FALSE when there is nothing to undo (redo). */
gboolean fb_window_undo (FbWindow *self);
gboolean fb_window_redo (FbWindow *self);

/* ---- fb-window-toast.c: the in-app notification after a save or an export */
void fb_window_toast_init (FbWindow *self);
void fb_window_toast_dispose (FbWindow *self);
/* Shows @message for a few seconds, with "Open Folder" when @folder is set. */
void fb_window_show_toast (FbWindow *self, const char *message, const char *folder);
/* "Saved NAME" with its folder, after a save or export to @path. */
void fb_window_saved (FbWindow *self, const char *path);
/* The notification's text, or NULL when it is hidden. */
const char *fb_window_get_toast_message (FbWindow *self);

/* ---- fb-window-actions.c: the win.* actions */
/* A file name from a config's name ("Pareto DP #3 (edited)" → "Pareto-DP-3-edited"); takes @name. */
char *fb_window_file_stem (char *name);
/* The folder the file chooser of @kind ("open", "latency", "dataset",
 * "config", "candidates", "plot") used last, or NULL (GSettings). */
char *fb_window_get_last_folder (FbWindow *self, const char *kind);
/* Remembers @path's folder (@path itself when it is one) for @kind. */
void fb_window_remember_folder (FbWindow *self, const char *kind, const char *path);
/* Adds the win.* actions to @self. */
void fb_window_actions_init (FbWindow *self);
/* ---- fb-window-cluster.c: a search exported for a cluster, its results opened */
/* win.export-sweep, win.open-sweep-results and their section of the main menu. */
void fb_window_cluster_init (FbWindow *self);
/* What "Export Sweep for Cluster…" does once a folder is chosen: the search
 * panel's search as a folder of inputs and commands (fb-sweep-export.h). */
gboolean fb_window_export_sweep (FbWindow *self, const char *dir, GError **error);
/* What "Open Cluster Results…" does: opens the result files of the sweep
 * folder @dir that exist; how many (0 and @error set: not a sweep folder). */
guint fb_window_open_sweep_results (FbWindow *self, const char *dir, GError **error);
G_END_DECLS

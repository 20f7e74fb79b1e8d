/* fb-window.c — the main window: plot, summary and layer table of one network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-bundle-job.h"
#include "fb-compare-panel.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-exporter.h"
#include "fb-json.h"
#include "fb-metrics.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-search-panel.h"
#include "fb-ui-format.h"
#include "fb-ui-resources.h"
#include "fb-window-private.h"

#define BUNDLED_NETWORK "fmnist-mbv1"
#define DEFAULT_TARGET  "rv32imc"
/* Larger files are not freebits JSON; refuse before reading them whole. */
#define MAX_FILE_BYTES  (64 * 1024 * 1024)
/* The info bar's "Open Folder" button. */
#define RESPONSE_OPEN_FOLDER 1

/* For tests (fb_window_set_accuracy_defaults()): whether new windows build
 * an accuracy engine, and with how many images per evaluation. */
static gboolean accuracy_enabled = TRUE;
static guint    accuracy_test_limit = 0;
static char    *accuracy_dataset_dir = NULL;

/* The summary shows these, in this order. */
static const FbPlotMetric summary_metrics[] = {
  FB_PLOT_METRIC_SIZE,
  FB_PLOT_METRIC_PEAK_RAM,
  FB_PLOT_METRIC_BOPS,
  FB_PLOT_METRIC_LATENCY,
  FB_PLOT_METRIC_ACCURACY,
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

static ResultGroup *
result_group_new (const char *name, int method)
{
  ResultGroup *g = g_new0 (ResultGroup, 1);

  g->name = g_strdup (name);
  g->method = method;
  g->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  return g;
}

static void
result_group_free (ResultGroup *g)
{
  g_ptr_array_unref (g->candidates);
  g_free (g->name);
  g_free (g);
}

struct _FbWindow {
  GtkApplicationWindow  parent_instance;

  /* Template children. */
  GtkHeaderBar         *header_bar;
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
  gboolean              compare_waiting;              /* runs once the engine is loaded (or not) */
  gboolean              search_waiting;               /* a differentiable search, likewise */

  GtkLabel             *value_labels[FB_PLOT_N_METRICS];
  GtkLabel             *note_labels[FB_PLOT_N_METRICS];

  FbNetwork            *network;
  FbLatencyTable       *latency;
  FbPointSet           *points;
  double                reference[FB_PLOT_N_METRICS]; /* w8a8, for "−50 % vs w8a8" */
  char                 *config_origin;                /* file name or point label */
  JsonObject           *config_provenance;            /* from a loaded file */
  GCancellable         *cancellable;
  gboolean              edited;                       /* changed in the table since loaded */
  gboolean              updating_combos;
  guint                 combo_state;                  /* metrics and axes the combos show */
  gboolean              latency_error_shown;

  GtkListStore         *targets;                      /* id (target), label: the loaded tables */
  GPtrArray            *tables;                       /* FbLatencyTable, rows of @targets */
  gboolean              updating_targets;
  GPtrArray            *groups;                       /* ResultGroup: search results, candidate files */
  FbSearchJob          *job;                          /* the last search (running or done) */
  ResultGroup          *job_group;                    /* where @job's results go */
  GSettings            *settings;                     /* NULL without the schema */
  FbAccuracyEngine     *engine;                       /* optional, for the network shown */
  GCancellable         *engine_loading;               /* the engine being made, or NULL */
  char                 *engine_problem;               /* why there is no engine (summary note) */
  gboolean              axes_chose_accuracy;          /* switched to accuracy once baselines were measured */
  GtkWidget            *open_folder_button;           /* in the info bar */
  char                 *info_folder;                  /* what "Open Folder" opens */
  guint                 n_exports;                    /* bundles being written */
  int                   saved_width, saved_height;
  gboolean              saved_maximized;
};

G_DEFINE_TYPE (FbWindow, fb_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  TARGET_COLUMN_ID,
  TARGET_COLUMN_LABEL,
};

static void update_results (FbWindow *self);
static void request_accuracy (FbWindow *self);
static void queue_results (FbWindow *self);


/* ---- errors --------------------------------------------------------------- */

/* Shows @message; messages of one type pile up while the bar is open, a
 * message of another type replaces them. @folder: what "Open Folder" opens
 * (NULL: no such button). */
static void
show_message (FbWindow *self, GtkMessageType type, const char *message, const char *folder)
{
  const char *old = gtk_label_get_text (self->info_label);

  /* Several files can fail at once (drop, command line); show them all. */
  if (gtk_info_bar_get_revealed (self->info_bar) && old != NULL && old[0] != '\0' &&
      gtk_info_bar_get_message_type (self->info_bar) == type && folder == NULL && self->info_folder == NULL)
    {
      g_autofree char *both = g_strconcat (old, "\n", message, NULL);
      gtk_label_set_text (self->info_label, both);
    }
  else
    gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_message_type (self->info_bar, type);
  g_free (self->info_folder);
  self->info_folder = g_strdup (folder);
  gtk_widget_set_visible (self->open_folder_button, folder != NULL);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

void
fb_window_report_error (FbWindow *self, const char *message)
{
  g_return_if_fail (FB_IS_WINDOW (self));
  show_message (self, GTK_MESSAGE_ERROR, message, NULL);
}

static void
report_gerror (FbWindow *self, const GError *error)
{
  fb_window_report_error (self, error->message);
}

static void
on_info_bar_response (GtkInfoBar *bar, int response, FbWindow *self)
{
  if (response == RESPONSE_OPEN_FOLDER && self->info_folder != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (self->info_folder);
      g_autofree char *uri = g_file_get_uri (file);
      g_autoptr(GError) error = NULL;

      if (!gtk_show_uri_on_window (GTK_WINDOW (self), uri, gtk_get_current_event_time (), &error))
        {
          fb_window_report_error (self, error->message);
          return;
        }
    }
  gtk_info_bar_set_revealed (bar, FALSE);
  gtk_label_set_text (self->info_label, "");
  g_clear_pointer (&self->info_folder, g_free);
  gtk_widget_hide (self->open_folder_button);
}

/* ---- accuracy ------------------------------------------------------------- */

/* An engine measures one network: it only serves the network it was made for. */
static gboolean
engine_usable (FbWindow *self)
{
  return self->engine != NULL && self->network != NULL &&
         g_strcmp0 (fb_network_get_sha256 (fb_accuracy_oracle_get_network (fb_accuracy_engine_get_oracle (self->engine))),
                    fb_network_get_sha256 (self->network)) == 0;
}

/* Images per evaluation of the baselines and search results. */
static guint
default_limit (FbWindow *self)
{
  return fb_accuracy_engine_get_default_limit (self->engine);
}

/* Images per evaluation of the config in the summary: the default, or the
 * whole test set when asked for. */
static guint
summary_limit (FbWindow *self)
{
  GAction *full = g_action_map_lookup_action (G_ACTION_MAP (self), "full-test-set");
  g_autoptr(GVariant) state = full ? g_action_get_state (full) : NULL;

  return state != NULL && g_variant_get_boolean (state) ? 0 : default_limit (self);
}

/* Number of images a limit stands for, for the notes ("on 1000 test images"). */
static guint
limit_images (FbWindow *self, guint limit)
{
  FbDataset *test = fb_accuracy_engine_get_test_set (self->engine);
  guint n = test != NULL ? fb_dataset_get_n_images (test) : 0;

  if (limit == 0)
    return n;
  return n > 0 ? MIN (limit, n) : limit;
}


/* ---- data ----------------------------------------------------------------- */

/* A bundled file: the source tree first (running from the build directory),
 * then the installed data directory. */
static char *
find_data_file (const char *relative)
{
  const char *dirs[] = { g_getenv ("FREEBITS_DATADIR"), FB_SOURCE_DATADIR, FB_DATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      if (dirs[i] == NULL || dirs[i][0] == '\0')
        continue;
      path = g_build_filename (dirs[i], relative, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static void
metrics_to_values (const FbMetrics *m, gboolean have_latency, double values[FB_PLOT_N_METRICS])
{
  values[FB_PLOT_METRIC_SIZE] = (double) m->size_bytes;
  values[FB_PLOT_METRIC_BOPS] = (double) m->bops;
  values[FB_PLOT_METRIC_LATENCY] = have_latency ? m->latency : NAN;
  values[FB_PLOT_METRIC_PEAK_RAM] = (double) m->peak_activation_bytes;
  /* Accuracy comes with candidates that carry it (an accuracy oracle's
   * results); configs made here have none. */
  values[FB_PLOT_METRIC_ACCURACY] = NAN;
}

/* Metrics of @config with the window's latency table; on a table error the
 * latency is NAN and the error is reported once per table. */
static gboolean
compute_values (FbWindow *self, FbPrecisionConfig *config, double values[FB_PLOT_N_METRICS],
                FbMetrics *out)
{
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  if (self->latency != NULL && fb_metrics_compute (config, self->latency, &m, NULL, &error))
    {
      metrics_to_values (&m, TRUE, values);
      if (out) *out = m;
      return TRUE;
    }
  if (error != NULL && !self->latency_error_shown)
    {
      self->latency_error_shown = TRUE;
      report_gerror (self, error);
    }
  g_clear_error (&error);
  if (!fb_metrics_compute (config, NULL, &m, NULL, &error))
    {
      report_gerror (self, error);
      return FALSE;
    }
  metrics_to_values (&m, FALSE, values);
  if (out) *out = m;
  return TRUE;
}

/* "w4a8" when every weight and every activation tensor share one width. */
static char *
uniform_label (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  guint w = 0, a = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        guint b = fb_precision_config_get_weight_bits (config, i);
        if (w != 0 && b != w)
          return NULL;
        w = b;
      }
  for (guint i = 0; i < fb_network_get_n_tensors (net); i++)
    if (fb_network_get_tensor (net, i)->kind == FB_TENSOR_ACTIVATION)
      {
        guint b = fb_precision_config_get_tensor_bits (config, i);
        if (a != 0 && b != a)
          return NULL;
        a = b;
      }
  return w != 0 && a != 0 ? g_strdup_printf ("w%ua%u", w, a) : NULL;
}

/* Search results and opened candidates after the baselines, one series per
 * group, so indices of earlier points survive while results stream in. */
static void
append_results (FbWindow *self, FbPointSet *set)
{
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);
      guint series;

      if (group->candidates->len == 0)
        continue;
      series = fb_point_set_add_series (set, group->name);
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          g_autofree char *label = uniform_label (fb_candidate_get_config (c));
          double values[FB_PLOT_N_METRICS];

          metrics_to_values (fb_candidate_get_metrics (c), self->latency != NULL, values);
          values[FB_PLOT_METRIC_ACCURACY] = fb_candidate_get_accuracy (c);
          if (label == NULL)
            /* TRANSLATORS: a search result in tooltips and the summary: "Pareto front #12" */
            label = g_strdup_printf (_("%s #%u"), group->name, i + 1);
          fb_point_set_append_candidate (set, values, series, label, c);
        }
    }
}

/* The nine uniform configs (fewer if the packing rejects some), then what
 * searches and candidate files brought. Worker threads hand their results
 * over as immutable candidates; the set references them. */
static FbPointSet *
build_uniform_points (FbWindow *self)
{
  static const guint bits[] = { 8, 4, 2 };
  FbPointSet *set = fb_point_set_new ();
  guint series = fb_point_set_add_series (set, _("uniform"));

  if (self->latency != NULL)
    fb_point_set_set_latency_unit (set, fb_latency_table_get_unit (self->latency),
                                   fb_latency_table_get_target (self->latency));
  for (guint w = 0; w < G_N_ELEMENTS (bits); w++)
    for (guint a = 0; a < G_N_ELEMENTS (bits); a++)
      {
        g_autoptr(FbPrecisionConfig) config = NULL;
        g_autofree char *label = g_strdup_printf ("w%ua%u", bits[w], bits[a]);
        double values[FB_PLOT_N_METRICS];

        config = fb_precision_config_new_uniform (self->network, bits[w], bits[a], NULL);
        if (config == NULL || !compute_values (self, config, values, NULL))
          continue; /* e.g. 2-bit activations on 6 channels: not a candidate */
        /* Measured in the background once the accuracy engine is there. */
        if (engine_usable (self))
          fb_accuracy_engine_lookup (self->engine, config, default_limit (self), &values[FB_PLOT_METRIC_ACCURACY]);
        if (bits[w] == 8 && bits[a] == 8)
          memcpy (self->reference, values, sizeof values);
        fb_point_set_append (set, values, series, FB_PLOT_POINT_BASELINE, label,
                             g_steal_pointer (&config));
      }
  append_results (self, set);
  fb_point_set_seal (set);
  return set;
}

/* ---- summary -------------------------------------------------------------- */

static char *
current_config_name (FbWindow *self, gboolean *is_baseline)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  int idx = self->points ? fb_point_set_find_config (self->points, config) : -1;

  *is_baseline = idx >= 0;
  if (idx >= 0 && fb_point_set_get_point (self->points, idx)->label != NULL)
    return g_strdup (fb_point_set_get_point (self->points, idx)->label);
  if (self->config_origin != NULL)
    return g_strdup (self->config_origin);
  return g_strdup (_("custom"));
}

static guint
count_pins (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  guint n = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)) &&
        fb_precision_config_get_weight_pinned (config, i))
      n++;
  for (guint i = 0; i < fb_network_get_n_tensors (net); i++)
    if (fb_network_get_tensor (net, i)->kind == FB_TENSOR_ACTIVATION &&
        fb_precision_config_get_tensor_pinned (config, i))
      n++;
  return n;
}

/* "Weights: 10 × 8 bit, 4 × 4 bit" and the same for activations: the
 * shape of a config at a glance. */
static char *
precision_text (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  guint w[9] = { 0 }, a[9] = { 0 };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      w[fb_precision_config_get_weight_bits (config, i)]++;
  for (guint i = 0; i < fb_network_get_n_tensors (net); i++)
    if (fb_network_get_tensor (net, i)->kind == FB_TENSOR_ACTIVATION)
      a[fb_precision_config_get_tensor_bits (config, i)]++;
  for (guint pass = 0; pass < 2; pass++)
    {
      const guint *count = pass == 0 ? w : a;
      gboolean first = TRUE;

      g_string_append (s, pass == 0 ? _("Weights: ") : _("\nActivations: "));
      for (guint b = 8; b >= 2; b /= 2)
        {
          if (count[b] == 0)
            continue;
          /* TRANSLATORS: "14 × 8 bit": 14 layers or tensors at 8 bits */
          g_string_append_printf (s, first ? _("%u × %u bit") : _(", %u × %u bit"), count[b], b);
          first = FALSE;
        }
    }
  return g_string_free (s, FALSE);
}

static void
set_note (GtkLabel *label, const char *text, int better)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (label));

  gtk_label_set_text (label, text);
  gtk_style_context_remove_class (style, "fb-better");
  gtk_style_context_remove_class (style, "fb-worse");
  if (better > 0)
    gtk_style_context_add_class (style, "fb-better");
  else if (better < 0)
    gtk_style_context_add_class (style, "fb-worse");
}

/* Why the differentiable search cannot run now, or NULL: it trains on the
 * accuracy engine's weights and training images. */
static char *
diff_problem (FbWindow *self)
{
  if (engine_usable (self) && fb_accuracy_engine_get_weights (self->engine) != NULL &&
      fb_accuracy_engine_get_train_set (self->engine) != NULL)
    return NULL;
  if (self->engine_loading != NULL)
    return g_strdup (_("Loading the trained weights and training images…"));
  /* TRANSLATORS: %s says what is missing, e.g. "no trained weights for this network" */
  return g_strdup_printf (_("Needs the network's trained weights and the Fashion-MNIST training images: %s."),
                          self->engine_problem != NULL ? self->engine_problem
                          : accuracy_enabled ? _("the accuracy engine is not ready")
                          : _("the accuracy engine is off"));
}

static void
update_summary (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  FbLatencyUnit unit = self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS;
  double values[FB_PLOT_N_METRICS];
  g_autofree char *name = NULL;
  g_autofree char *problem = diff_problem (self);
  g_autofree char *subtitle = NULL;
  gboolean baseline;
  gboolean measuring = FALSE;
  guint measured_on = 0;
  FbMetrics m;
  guint pins;

  /* Every change of the engine's state ends here. */
  fb_search_panel_set_diff_problem (self->search_panel, problem);
  if (config == NULL || !compute_values (self, config, values, &m))
    return;
  /* The accuracy engine's measurement of this very config (at the summary's
   * number of images); else what a search result carries. */
  if (engine_usable (self))
    {
      guint limit = summary_limit (self);

      if (fb_accuracy_engine_lookup (self->engine, config, limit, &values[FB_PLOT_METRIC_ACCURACY]))
        measured_on = limit_images (self, limit);
      else
        measuring = fb_accuracy_engine_is_pending (self->engine, config, limit);
    }
  /* Accuracy is known only for results that carry it (an oracle measured it). */
  if (isnan (values[FB_PLOT_METRIC_ACCURACY]))
  {
    int idx = self->points ? fb_point_set_find_config (self->points, config) : -1;
    for (guint i = MAX (idx, 0); idx >= 0 && i < fb_point_set_get_n_points (self->points); i++)
      {
        const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
        if (!isnan (p->values[FB_PLOT_METRIC_ACCURACY]) && p->config != NULL &&
            fb_precision_config_equal (p->config, config))
          {
            values[FB_PLOT_METRIC_ACCURACY] = p->values[FB_PLOT_METRIC_ACCURACY];
            break;
          }
      }
  }
  name = current_config_name (self, &baseline);
  pins = count_pins (config);
  gtk_label_set_text (self->config_title_label, name);
  {
    const char *kind = baseline ? _("uniform baseline")
                     : self->edited || self->config_origin == NULL ? _("edited in the table")
                     : _("loaded from a file");
    subtitle = pins > 0
      ? g_strdup_printf (ngettext ("%s · %u pinned entry", "%s · %u pinned entries", pins), kind, pins)
      : g_strdup (kind);
  }
  gtk_label_set_text (self->config_subtitle_label, subtitle);
  fb_search_panel_set_n_pins (self->search_panel, pins);

  for (guint i = 0; i < G_N_ELEMENTS (summary_metrics); i++)
    {
      FbPlotMetric metric = summary_metrics[i];
      g_autofree char *value = fb_plot_metric_format (metric, unit, values[metric]);
      g_autofree char *note = NULL;
      int better = 0;

      if (metric == FB_PLOT_METRIC_ACCURACY && measuring && isnan (values[metric]))
        {
          g_free (value);
          /* TRANSLATORS: the accuracy value while it is being measured */
          value = g_strdup (_("measuring…"));
        }
      gtk_label_set_text (self->value_labels[metric], value);
      if (metric == FB_PLOT_METRIC_LATENCY && isnan (values[metric]))
        {
          g_autofree char *msg = g_strdup_printf (_("no latency table for %s loaded"), DEFAULT_TARGET);
          set_note (self->note_labels[metric], self->latency ? _("the latency table lacks entries") : msg, 0);
          continue;
        }
      if (metric == FB_PLOT_METRIC_ACCURACY)
        {
          g_autofree char *text = NULL;
          int change = 0;

          if (measured_on > 0)
            {
              double ref = NAN;
              g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new (self->network);

              fb_accuracy_engine_lookup (self->engine, w8a8, summary_limit (self), &ref);
              if (!isnan (ref) && !fb_precision_config_equal (w8a8, config))
                {
                  /* Points, not percent: "−1.2 pt vs w8a8". */
                  double d = 100 * (values[metric] - ref);
                  change = d > 0.05 ? 1 : d < -0.05 ? -1 : 0;
                  /* TRANSLATORS: accuracy change in percentage points, then the images measured */
                  text = g_strdup_printf (ngettext ("%+.1f pt vs w8a8 · integer, on %u test image",
                                                    "%+.1f pt vs w8a8 · integer, on %u test images", measured_on),
                                          d, measured_on);
                }
              else
                text = g_strdup_printf (ngettext ("integer arithmetic, on %u Fashion-MNIST test image",
                                                  "integer arithmetic, on %u Fashion-MNIST test images", measured_on),
                                        measured_on);
            }
          else if (measuring)
            {
              guint n = limit_images (self, summary_limit (self));
              text = g_strdup_printf (ngettext ("in the background, on %u test image",
                                                "in the background, on %u test images", n), n);
            }
          else if (!isnan (values[metric]))
            text = g_strdup (_("measured during the search"));
          else if (engine_usable (self))
            text = g_strdup (_("not measured yet"));
          else if (self->engine_loading != NULL)
            text = g_strdup (_("loading the trained weights and test images…"));
          else if (self->engine_problem != NULL)
            text = g_strdup (self->engine_problem);
          else
            text = g_strdup (_("needs the accuracy engine"));
          set_note (self->note_labels[metric], text, change);
          continue;
        }
      {
        g_autofree char *change = fb_ui_format_change (values[metric], self->reference[metric]);
        if (values[metric] < self->reference[metric] * 0.9995)
          better = 1;
        else if (values[metric] > self->reference[metric] * 1.0005)
          better = -1;
        if (metric == FB_PLOT_METRIC_SIZE || metric == FB_PLOT_METRIC_PEAK_RAM)
          {
            g_autofree char *exact = fb_ui_format_count ((guint64) values[metric]);
            if (metric == FB_PLOT_METRIC_PEAK_RAM)
              note = g_strdup_printf (_("%s vs w8a8 · %s B, at layer %s"), change, exact,
                                      fb_network_get_layer (self->network, m.peak_layer)->name);
            else
              note = g_strdup_printf (_("%s vs w8a8 · %s B"), change, exact);
          }
        else if (metric == FB_PLOT_METRIC_LATENCY)
          note = g_strdup_printf (_("%s vs w8a8 · %s, %s"), change,
                                  fb_latency_table_get_target (self->latency),
                                  fb_ui_latency_method_name (fb_latency_table_get_method (self->latency)));
        else
          note = g_strdup_printf (_("%s vs w8a8"), change);
      }
      set_note (self->note_labels[metric], note, better);
    }

  {
    g_autofree char *precision = precision_text (config);
    gtk_label_set_text (self->precision_label, precision);
  }
  fb_pareto_plot_set_current (self->plot, values, name);
}

static void
update_titles (FbWindow *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *macs = fb_ui_format_si ((double) fb_network_get_macs (self->network));
  g_autofree char *params = fb_ui_format_count (fb_network_get_params (self->network));
  g_autofree char *info = NULL;

  subtitle = self->latency
    ? g_strdup_printf ("%s · %s", fb_network_get_name (self->network), fb_latency_table_get_target (self->latency))
    : g_strdup_printf (_("%s · no latency table"), fb_network_get_name (self->network));
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);

  info = g_strdup_printf (_("Network %s: %u layers with weights, %s MACs, %s parameters.\n"
                            "Flash counts packed weights plus 8 bytes of requantization per output channel; "
                            "kB = 1000 bytes."),
                          fb_network_get_name (self->network), fb_network_get_n_weighted (self->network),
                          macs, params);
  gtk_label_set_text (self->network_label, info);

  if (self->latency != NULL)
    {
      g_autofree char *clock = fb_latency_table_get_clock_hz (self->latency) > 0
        ? g_strdup_printf (_(", clock %.0f MHz"), fb_latency_table_get_clock_hz (self->latency) / 1e6)
        : g_strdup ("");
      g_autofree char *target = g_strdup_printf (_("%s: %s %s per layer and bit-width%s."),
        fb_latency_table_get_target (self->latency),
        fb_ui_latency_method_name (fb_latency_table_get_method (self->latency)),
        fb_ui_latency_unit_name (fb_latency_table_get_unit (self->latency)), clock);
      gtk_label_set_text (self->target_label, target);
    }
  else
    {
      g_autofree char *target = g_strdup_printf (
        _("No latency table for %s is installed yet, so the plot shows BOPs, a hardware-agnostic proxy. "
          "Open a freebits-latency/1 table to see real latency."), DEFAULT_TARGET);
      gtk_label_set_text (self->target_label, target);
    }
}

/* ---- axes ----------------------------------------------------------------- */

static void
fill_combo (FbWindow *self, GtkComboBoxText *combo, FbPlotMetric active)
{
  gtk_combo_box_text_remove_all (combo);
  for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
    if (m == active || self->points == NULL || fb_point_set_has_metric (self->points, m))
      gtk_combo_box_text_append (combo, fb_plot_metric_to_nick (m), fb_plot_metric_get_short_name (m));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), fb_plot_metric_to_nick (active));
}

/* Sensible axes for what is known: accuracy against latency (or BOPs) once
 * accuracy exists; until then Flash against latency (or BOPs). */
static void
choose_axes (FbWindow *self, gboolean keep_if_possible)
{
  gboolean has_lat = fb_point_set_has_metric (self->points, FB_PLOT_METRIC_LATENCY);
  gboolean has_acc = fb_point_set_has_metric (self->points, FB_PLOT_METRIC_ACCURACY);
  FbPlotMetric x = fb_pareto_plot_get_x_metric (self->plot);
  FbPlotMetric y = fb_pareto_plot_get_y_metric (self->plot);

  if (!keep_if_possible || !fb_point_set_has_metric (self->points, x) ||
      !fb_point_set_has_metric (self->points, y))
    {
      g_autofree char *saved_x = self->settings ? g_settings_get_string (self->settings, "x-axis") : NULL;
      g_autofree char *saved_y = self->settings ? g_settings_get_string (self->settings, "y-axis") : NULL;
      FbPlotMetric sx, sy;

      /* The user's last choice, when the points have both metrics. */
      if (fb_plot_metric_from_nick (saved_x, &sx) && fb_plot_metric_from_nick (saved_y, &sy) &&
          sx != sy && fb_point_set_has_metric (self->points, sx) && fb_point_set_has_metric (self->points, sy))
        {
          x = sx;
          y = sy;
        }
      else if (has_acc)
        {
          x = has_lat ? FB_PLOT_METRIC_LATENCY : FB_PLOT_METRIC_BOPS;
          y = FB_PLOT_METRIC_ACCURACY;
        }
      else
        {
          x = FB_PLOT_METRIC_SIZE;
          y = has_lat ? FB_PLOT_METRIC_LATENCY : FB_PLOT_METRIC_BOPS;
        }
    }
  fb_pareto_plot_set_axes (self->plot, x, y);
  /* Refill the combos only when their content changes: results stream in
   * many times a second, and an open combo popup must stay open. */
  {
    guint mask = 0;
    for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
      if (fb_point_set_has_metric (self->points, m))
        mask |= 1u << m;
    mask |= (guint) x << 8 | (guint) y << 16 | 1u << 24;
    if (mask == self->combo_state)
      return;
    self->combo_state = mask;
  }
  self->updating_combos = TRUE;
  fill_combo (self, self->x_combo, x);
  fill_combo (self, self->y_combo, y);
  self->updating_combos = FALSE;
}

static void
on_axis_changed (GtkComboBox *combo, FbWindow *self)
{
  FbPlotMetric x, y;

  if (self->updating_combos)
    return;
  if (!fb_plot_metric_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->x_combo)), &x) ||
      !fb_plot_metric_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->y_combo)), &y))
    return;
  fb_pareto_plot_set_axes (self->plot, x, y);
  if (self->settings != NULL)
    {
      g_settings_set_string (self->settings, "x-axis", fb_plot_metric_to_nick (x));
      g_settings_set_string (self->settings, "y-axis", fb_plot_metric_to_nick (y));
    }
}

/* ---- loading -------------------------------------------------------------- */

static void
refresh_points (FbWindow *self, gboolean keep_axes)
{
  FbPlotView *view = fb_pareto_plot_get_view (self->plot);
  int selected = fb_plot_view_get_selected (view);
  FbPrecisionConfig *selected_config = NULL;

  if (self->points != NULL && selected >= 0 && (guint) selected < fb_point_set_get_n_points (self->points))
    selected_config = fb_point_set_get_point (self->points, selected)->config;
  /* The old set stays alive until the new one replaces it in the plot. */
  {
    g_autoptr(FbPointSet) old G_GNUC_UNUSED = g_steal_pointer (&self->points);
    self->points = build_uniform_points (self);
    fb_pareto_plot_set_points (self->plot, self->points);
    /* Results only ever append: a selected point keeps its index (the
     * marker stays where the user clicked while a search streams in). */
    if (selected_config != NULL && (guint) selected < fb_point_set_get_n_points (self->points) &&
        fb_precision_config_equal (fb_point_set_get_point (self->points, selected)->config, selected_config))
      {
        fb_plot_view_set_selected (view, selected);
        gtk_widget_queue_draw (GTK_WIDGET (self->plot));
      }
  }
  choose_axes (self, keep_axes);
}

static void
set_config (FbWindow *self, FbPrecisionConfig *config, const char *origin, JsonObject *provenance)
{
  g_free (self->config_origin);
  self->config_origin = g_strdup (origin);
  self->edited = FALSE;
  g_clear_pointer (&self->config_provenance, json_object_unref);
  if (provenance != NULL)
    self->config_provenance = json_object_ref (provenance);
  fb_layer_table_set_config (self->layer_table, config);
  request_accuracy (self);
  update_summary (self);
}

/* Re-evaluates @c under the current table (keeping accuracy, method and
 * provenance); a table lacking an entry gives an unknown latency. */
static FbCandidate *
evaluate_candidate (FbWindow *self, FbCandidate *c)
{
  FbCandidate *n = NULL;

  if (self->latency != NULL)
    n = fb_candidate_new_evaluated (fb_candidate_get_config (c), self->latency, fb_candidate_get_accuracy (c),
                                    fb_candidate_get_method (c), fb_candidate_get_provenance (c), NULL);
  if (n == NULL)
    n = fb_candidate_new_evaluated (fb_candidate_get_config (c), NULL, fb_candidate_get_accuracy (c),
                                    fb_candidate_get_method (c), fb_candidate_get_provenance (c), NULL);
  return n != NULL ? n : fb_candidate_ref (c);
}

static void
reevaluate_groups (FbWindow *self)
{
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group->table == self->latency)
        continue;
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *old = group->candidates->pdata[i];
          group->candidates->pdata[i] = evaluate_candidate (self, old);
          fb_candidate_unref (old);
        }
      group->table = self->latency;
    }
}

static void
update_panel_reference (FbWindow *self)
{
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  FbMetrics m;

  if (self->network == NULL)
    return;
  w8a8 = fb_precision_config_new (self->network);
  if (self->latency == NULL || !fb_metrics_compute (w8a8, self->latency, &m, NULL, NULL))
    {
      if (!fb_metrics_compute (w8a8, NULL, &m, NULL, NULL))
        return;
    }
  fb_search_panel_set_reference (self->search_panel, &m,
                                 self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS);
}

static void
set_latency_table (FbWindow *self, FbLatencyTable *table)
{
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  self->latency = table;
  self->latency_error_shown = FALSE;
  fb_layer_table_set_latency_table (self->layer_table, table);
  /* The comparison evaluated every table: it only redraws. */
  fb_compare_panel_set_target (self->compare_panel, table ? fb_latency_table_get_target (table) : NULL);
  /* A new target moves every latency: results are re-evaluated, the
   * baselines rebuilt; switch the axes to latency when it just became
   * available. */
  reevaluate_groups (self);
  refresh_points (self, FALSE);
  update_panel_reference (self);
  update_titles (self);
  update_summary (self);
}

/* ---- targets -------------------------------------------------------------- */

static int
find_target (FbWindow *self, const char *target)
{
  for (guint i = 0; i < self->tables->len; i++)
    if (g_strcmp0 (fb_latency_table_get_target (g_ptr_array_index (self->tables, i)), target) == 0)
      return (int) i;
  return -1;
}

/* Adds @table to the target list; a table for a target already listed
 * replaces it (the newest measurement wins). */
static void
add_target (FbWindow *self, FbLatencyTable *table)
{
  const char *target = fb_latency_table_get_target (table);
  g_autofree char *label = g_strdup_printf ("%s (%s)", target,
                                            fb_ui_latency_method_name (fb_latency_table_get_method (table)));
  int idx = find_target (self, target);
  GtkTreeIter iter;

  if (idx >= 0)
    {
      fb_latency_table_unref (self->tables->pdata[idx]);
      self->tables->pdata[idx] = fb_latency_table_ref (table);
      gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->targets), &iter, NULL, idx);
    }
  else
    {
      g_ptr_array_add (self->tables, fb_latency_table_ref (table));
      gtk_list_store_append (self->targets, &iter);
    }
  gtk_list_store_set (self->targets, &iter, TARGET_COLUMN_ID, target, TARGET_COLUMN_LABEL, label, -1);
}

/* Makes @target current in the selectors and everywhere else. */
static void
select_target (FbWindow *self, const char *target)
{
  int idx = target ? find_target (self, target) : -1;

  self->updating_targets = TRUE;
  if (idx >= 0)
    gtk_combo_box_set_active_id (self->target_combo, target);
  else
    gtk_combo_box_set_active (self->target_combo, -1);
  self->updating_targets = FALSE;
  set_latency_table (self, idx >= 0 ? g_ptr_array_index (self->tables, idx) : NULL);
}

static void
on_target_changed (GtkComboBox *combo, FbWindow *self)
{
  const char *target = gtk_combo_box_get_active_id (combo);

  if (self->updating_targets || target == NULL)
    return;
  if (self->latency != NULL && g_strcmp0 (fb_latency_table_get_target (self->latency), target) == 0)
    return;
  select_target (self, target);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "last-target", target);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every bundled table of @network: latency/<network>-<target>.json in the
 * data directories (the first directory holding a target wins). */
static void
load_bundled_tables (FbWindow *self, FbNetwork *network)
{
  const char *dirs[] = { g_getenv ("FREEBITS_DATADIR"), FB_SOURCE_DATADIR, FB_DATADIR };
  g_autofree char *prefix = g_strconcat (fb_network_get_name (network), "-", NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *dir_path = NULL;
      g_autoptr(GDir) dir = NULL;
      const char *name;

      if (dirs[d] == NULL || dirs[d][0] == '\0')
        continue;
      dir_path = g_build_filename (dirs[d], "latency", NULL);
      dir = g_dir_open (dir_path, 0, NULL);
      if (dir == NULL)
        continue;
      g_ptr_array_set_size (names, 0);
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".json"))
          g_ptr_array_add (names, g_strdup (name));
      /* Directory order is arbitrary; the target list should not be. */
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
          g_autoptr(GError) error = NULL;
          g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, &error);

          if (table != NULL && !fb_latency_table_check_network (table, network, &error))
            {
              fb_error_prefix_file (&error, path);
              g_clear_pointer (&table, fb_latency_table_unref);
            }
          if (table == NULL)
            {
              report_gerror (self, error);
              continue;
            }
          if (find_target (self, fb_latency_table_get_target (table)) < 0)
            add_target (self, table);
        }
    }
}

/* ---- search results ------------------------------------------------------- */

static guint
count_results (FbWindow *self)
{
  guint n = 0;

  for (guint g = 0; g < self->groups->len; g++)
    n += ((ResultGroup *) g_ptr_array_index (self->groups, g))->candidates->len;
  return n;
}

static void
update_results (FbWindow *self)
{
  gboolean running = self->job != NULL && fb_search_job_is_running (self->job);
  guint n = count_results (self);
  guint sources = 0;

  for (guint g = 0; g < self->groups->len; g++)
    if (((ResultGroup *) g_ptr_array_index (self->groups, g))->candidates->len > 0)
      sources++;
  fb_search_panel_set_n_results (self->search_panel, n, sources);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "save-candidates")),
                               n > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "clear-results")),
                               self->groups->len > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "run-search")),
                               !running && self->network != NULL);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "cancel-search")),
                               running);
}

static void
stop_job (FbWindow *self)
{
  if (self->job == NULL)
    return;
  /* Its thread may still be finishing; it keeps its own references and
   * nothing of it reaches this window any more. */
  fb_search_job_cancel (self->job);
  g_signal_handlers_disconnect_by_data (self->job, self);
  fb_search_panel_set_job (self->search_panel, NULL);
  g_clear_object (&self->job);
  self->job_group = NULL;
}

static void
clear_results (FbWindow *self)
{
  stop_job (self);
  g_ptr_array_set_size (self->groups, 0);
}

/* Appends a job's results to its plot group, re-evaluated when the user has
 * switched the target since the job started. */
static void
add_job_candidates (FbWindow *self, FbSearchJob *job, GPtrArray *candidates)
{
  gboolean same_table = fb_search_job_get_table (job) == self->latency;

  for (guint i = 0; i < candidates->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (candidates, i);
      g_ptr_array_add (self->job_group->candidates, same_table ? fb_candidate_ref (c) : evaluate_candidate (self, c));
    }
}

static void
on_job_candidates (FbSearchJob *job, GPtrArray *batch, FbWindow *self)
{
  if (self->job_group == NULL)
    return;
  add_job_candidates (self, job, batch);
  refresh_points (self, TRUE);
  update_summary (self);
  update_results (self);
}

/* The results again, with measured accuracy: they replace the unmeasured
 * ones (those below the minimum accuracy are gone). */
static void
on_job_measured (FbSearchJob *job, GPtrArray *measured, FbWindow *self)
{
  if (self->job_group == NULL)
    return;
  g_ptr_array_set_size (self->job_group->candidates, 0);
  add_job_candidates (self, job, measured);
  /* Indices changed: keep the selection only if it still is the same config. */
  refresh_points (self, TRUE);
  update_summary (self);
  update_results (self);
}

static void
on_job_finished (FbSearchJob *job, FbWindow *self)
{
  const GError *error = fb_search_job_get_error (job);

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    report_gerror (self, error);
  update_results (self);
  /* What the job did not measure (it ran before the engine was ready, or
   * was cancelled) is measured in the background. */
  queue_results (self);
}

/* The start config of a search: the table's config, or a uniform one that
 * takes over the table's pinned entries (pins always come from the table). */
static FbPrecisionConfig *
make_start_config (FbWindow *self, const char *start, GError **error)
{
  FbPrecisionConfig *table_config = fb_layer_table_get_config (self->layer_table);
  g_autoptr(FbPrecisionConfig) config = NULL;

  if (g_strcmp0 (start, FB_SEARCH_PANEL_START_TABLE) == 0 || start == NULL)
    return fb_precision_config_copy (table_config);
  config = fb_precision_config_new_from_spec (self->network, start, error);
  if (config == NULL)
    return NULL;
  for (guint i = 0; i < fb_network_get_n_layers (self->network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (self->network, i)) &&
        fb_precision_config_get_weight_pinned (table_config, i))
      {
        fb_precision_config_set_weight_bits (config, i, fb_precision_config_get_weight_bits (table_config, i));
        fb_precision_config_set_weight_pinned (config, i, TRUE);
      }
  for (guint i = 0; i < fb_network_get_n_tensors (self->network); i++)
    if (fb_network_get_tensor (self->network, i)->kind == FB_TENSOR_ACTIVATION &&
        fb_precision_config_get_tensor_pinned (table_config, i))
      {
        fb_precision_config_set_tensor_bits (config, i, fb_precision_config_get_tensor_bits (table_config, i));
        fb_precision_config_set_tensor_pinned (config, i, TRUE);
      }
  return g_steal_pointer (&config);
}

#define SEARCH_WAITING_MESSAGE \
  N_("The differentiable search starts once the trained weights and training images are loaded.")

static void
on_search_run (FbWindow *self)
{
  g_autoptr(FbPrecisionConfig) start = NULL;
  g_autoptr(GError) error = NULL;
  FbSearchParams params;
  ResultGroup *group = NULL;
  const char *series;

  if (self->network == NULL || (self->job != NULL && fb_search_job_is_running (self->job)))
    return;
  fb_search_panel_get_params (self->search_panel, &params);
  if (params.method == FB_SEARCH_METHOD_FREE_BITS && self->latency == NULL)
    {
      fb_window_report_error (self, _("The Free Bits heuristic needs a latency table: open one for this network."));
      return;
    }
  if (params.method == FB_SEARCH_METHOD_DIFF)
    {
      g_autofree char *problem = diff_problem (self);
      g_autofree char *msg = NULL;

      if (params.n_lambdas == 0)
        msg = g_strdup_printf (_("The differentiable search cannot run: the λ list is not valid. %s"),
                               fb_search_panel_get_lambdas_error (self->search_panel));
      else if (problem != NULL && self->engine_loading != NULL)
        {
          /* It trains on what the engine is loading: start when it is there. */
          self->search_waiting = TRUE;
          show_message (self, GTK_MESSAGE_INFO, _(SEARCH_WAITING_MESSAGE), NULL);
          return;
        }
      else if (problem != NULL)
        msg = g_strdup_printf (_("The differentiable search cannot run. %s"), problem);
      if (msg != NULL)
        {
          fb_window_report_error (self, msg);
          return;
        }
    }
  series = fb_search_params_get_series_name (&params);
  start = make_start_config (self, fb_search_panel_get_start (self->search_panel), &error);
  if (start == NULL)
    {
      report_gerror (self, error);
      return;
    }

  stop_job (self);
  /* A method's new run replaces its old results. */
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *old = g_ptr_array_index (self->groups, g);
      /* Size- and BOPs-regularized sweeps are separate series. */
      if (old->method == (int) params.method && g_strcmp0 (old->name, series) == 0)
        {
          group = old;
          g_ptr_array_set_size (group->candidates, 0);
          break;
        }
    }
  if (group == NULL)
    {
      group = result_group_new (series, params.method);
      g_ptr_array_add (self->groups, group);
    }
  group->table = self->latency;
  self->job_group = group;

  self->job = fb_search_job_new (self->network, self->latency, start, &params);
  if (engine_usable (self))
    fb_search_job_set_oracle (self->job, fb_accuracy_engine_get_oracle (self->engine));
  if (params.method == FB_SEARCH_METHOD_DIFF)
    fb_search_job_set_supernet (self->job, fb_accuracy_engine_get_weights (self->engine),
                                fb_accuracy_engine_get_weights_path (self->engine),
                                fb_accuracy_engine_get_train_set (self->engine));
  g_signal_connect (self->job, "candidates", G_CALLBACK (on_job_candidates), self);
  g_signal_connect (self->job, "measured", G_CALLBACK (on_job_measured), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_job_finished), self);
  /* The window's cancellable stops it when the window closes. */
  fb_search_job_start (self->job, self->cancellable);
  fb_search_panel_set_job (self->search_panel, self->job);
  refresh_points (self, TRUE);
  update_results (self);
}

/* Measures the config in the summary (after a short quiet time, replacing
 * the previous request). */
static void
request_accuracy (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);

  if (!engine_usable (self) || config == NULL)
    return;
  fb_accuracy_engine_measure_current (self->engine, config, summary_limit (self));
}

/* The nine uniform baselines, measured in the background so accuracy can be
 * a plot axis. */
static void
queue_baselines (FbWindow *self)
{
  if (!engine_usable (self))
    return;
  for (guint w = 8; w >= 2; w /= 2)
    for (guint a = 8; a >= 2; a /= 2)
      {
        g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (self->network, w, a, NULL);
        if (u != NULL)
          fb_accuracy_engine_measure_background (self->engine, u, default_limit (self));
      }
}

/* Results without accuracy (found before the engine was ready, or opened
 * from a file without it) are measured in the background as well, up to
 * this many: a front of thousands would keep the engine busy for hours. */
#define MAX_BACKGROUND_RESULTS 400

static gboolean
group_is_streaming (FbWindow *self, ResultGroup *group)
{
  /* A running job measures its own results when it is done. */
  return group == self->job_group && self->job != NULL && fb_search_job_is_running (self->job);
}

static void
queue_results (FbWindow *self)
{
  guint n = 0;

  if (!engine_usable (self))
    return;
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group_is_streaming (self, group))
        continue;
      for (guint i = 0; i < group->candidates->len && n < MAX_BACKGROUND_RESULTS; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          if (!isnan (fb_candidate_get_accuracy (c)))
            continue;
          fb_accuracy_engine_measure_background (self->engine, fb_candidate_get_config (c), default_limit (self));
          n++;
        }
    }
}

/* Gives every result of @config without accuracy the one just measured.
 * Returns whether any changed. */
static gboolean
apply_to_results (FbWindow *self, FbPrecisionConfig *config, guint limit, double accuracy)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  gboolean changed = FALSE;

  /* As fb_search_measure() records it. */
  json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (fb_accuracy_engine_get_oracle (self->engine)));
  json_object_set_int_member (extra, "accuracy_limit", limit);
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);

      if (group_is_streaming (self, group))
        continue;
      for (guint i = 0; i < group->candidates->len; i++)
        {
          FbCandidate *c = g_ptr_array_index (group->candidates, i);
          if (!isnan (fb_candidate_get_accuracy (c)) || !fb_precision_config_equal (fb_candidate_get_config (c), config))
            continue;
          group->candidates->pdata[i] = fb_candidate_new_with_accuracy (c, accuracy, extra);
          fb_candidate_unref (c);
          changed = TRUE;
        }
    }
  return changed;
}

static gboolean
baselines_measured (FbWindow *self)
{
  guint n = 0;

  for (guint i = 0; self->points != NULL && i < fb_point_set_get_n_points (self->points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      if ((p->flags & FB_PLOT_POINT_BASELINE) == 0)
        continue;
      if (isnan (p->values[FB_PLOT_METRIC_ACCURACY]))
        return FALSE;
      n++;
    }
  return n > 0;
}

static void
on_engine_measured (FbAccuracyEngine *engine, FbPrecisionConfig *config, guint limit, double accuracy,
                    FbWindow *self)
{
  g_autofree char *uniform = uniform_label (config);
  gboolean result = limit == default_limit (self) && apply_to_results (self, config, limit, accuracy);

  /* A baseline or a result: its point in the plot gets the accuracy. */
  if ((uniform != NULL && limit == default_limit (self)) || result)
    {
      refresh_points (self, TRUE);
      /* Once every baseline has one, accuracy is worth plotting: switch to
       * it once (unless the user saved other axes). */
      if (!self->axes_chose_accuracy && baselines_measured (self))
        {
          self->axes_chose_accuracy = TRUE;
          choose_axes (self, FALSE);
        }
    }
  update_summary (self);
}

static void
on_engine_failed (FbAccuracyEngine *engine, FbPrecisionConfig *config, const GError *error, FbWindow *self)
{
  g_autofree char *msg = g_strdup_printf (_("Measuring the accuracy failed: %s"), error->message);

  fb_window_report_error (self, msg);
  update_summary (self);
}

static void
set_engine (FbWindow *self, FbAccuracyEngine *engine)
{
  g_autoptr(FbAccuracyEngine) keep = engine != NULL ? g_object_ref (engine) : NULL;

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      /* Another engine: nothing of the old one is wanted any more. */
      if (self->engine != engine)
        fb_accuracy_engine_cancel (self->engine);
      g_clear_object (&self->engine);
    }
  if (engine != NULL)
    {
      self->engine = g_steal_pointer (&keep);
      g_clear_pointer (&self->engine_problem, g_free);
      g_signal_connect (engine, "measured", G_CALLBACK (on_engine_measured), self);
      g_signal_connect (engine, "failed", G_CALLBACK (on_engine_failed), self);
    }
  fb_search_panel_set_accuracy_available (self->search_panel, engine_usable (self));
  /* The config in the table first, then the baselines, then results. */
  request_accuracy (self);
  queue_baselines (self);
  queue_results (self);
  update_summary (self);
}

void
fb_window_set_accuracy_oracle (FbWindow *self, FbAccuracyOracle *oracle)
{
  g_autoptr(FbAccuracyEngine) engine = NULL;

  g_return_if_fail (FB_IS_WINDOW (self));
  /* An oracle given replaces the one being loaded. */
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  if (oracle != NULL)
    engine = fb_accuracy_engine_new (oracle);
  set_engine (self, engine);
}

static void
on_engine_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyEngine) engine = fb_accuracy_engine_load_finish (result, &error);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  /* Superseded (another network, a given oracle) or the window closed. */
  if (g_cancellable_is_cancelled (cancellable) || cancellable != self->engine_loading)
    return;
  g_clear_object (&self->engine_loading);
  if (engine != NULL)
    {
      if (accuracy_test_limit > 0)
        fb_accuracy_oracle_set_default_limit (fb_accuracy_engine_get_oracle (engine), accuracy_test_limit);
      set_engine (self, engine);
      /* Unless the user chose another method meanwhile. */
      if (self->search_waiting &&
          fb_search_panel_get_method (self->search_panel) == FB_SEARCH_METHOD_DIFF)
        {
          /* The wait is over: its note goes. */
          if (g_strcmp0 (gtk_label_get_text (self->info_label), _(SEARCH_WAITING_MESSAGE)) == 0)
            on_info_bar_response (self->info_bar, GTK_RESPONSE_CLOSE, self);
          on_search_run (self);
        }
      self->search_waiting = FALSE;
      if (self->compare_waiting)
        fb_window_run_compare (self);
      return;
    }
  g_free (self->engine_problem);
  if (g_error_matches (error, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_DATASET))
    {
      g_autofree char *msg = g_strdup_printf (
        _("Accuracy is not shown: the Fashion-MNIST test images are not installed in %s. "
          "Install the Debian package %s (apt install %s) and reopen the network; "
          "everything else works without them."),
        error->message, FB_FASHION_MNIST_PACKAGE, FB_FASHION_MNIST_PACKAGE);
      self->engine_problem = g_strdup_printf (_("install the package %s"), FB_FASHION_MNIST_PACKAGE);
      show_message (self, GTK_MESSAGE_INFO, msg, NULL);
    }
  else if (g_error_matches (error, FB_ACCURACY_ENGINE_ERROR, FB_ACCURACY_ENGINE_ERROR_NO_WEIGHTS))
    {
      g_autofree char *msg = g_strdup_printf (
        _("Accuracy is not shown: %s has no trained weights (looked for %s). "
          "Train them with \"freebits-cli train\" or install the freebits data; "
          "everything else works without them."),
        fb_network_get_name (self->network), error->message);
      self->engine_problem = g_strdup (_("no trained weights for this network"));
      show_message (self, GTK_MESSAGE_INFO, msg, NULL);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf (_("Accuracy is not shown: %s"), error->message);
      self->engine_problem = g_strdup (_("the accuracy engine could not start"));
      show_message (self, GTK_MESSAGE_WARNING, msg, NULL);
    }
  update_summary (self);
  /* Unless the user chose another method meanwhile. */
  if (self->search_waiting &&
      fb_search_panel_get_method (self->search_panel) == FB_SEARCH_METHOD_DIFF)
    {
      /* The wait is over: its note goes. */
      if (g_strcmp0 (gtk_label_get_text (self->info_label), _(SEARCH_WAITING_MESSAGE)) == 0)
        on_info_bar_response (self->info_bar, GTK_RESPONSE_CLOSE, self);
      on_search_run (self);
    }
  self->search_waiting = FALSE;
  if (self->compare_waiting)
    fb_window_run_compare (self);
}

/* Makes the accuracy engine of the shown network in a worker thread. */
static void
load_engine (FbWindow *self)
{
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  g_clear_pointer (&self->engine_problem, g_free);
  if (!accuracy_enabled || self->network == NULL || engine_usable (self))
    return;
  self->engine_loading = g_cancellable_new ();
  fb_accuracy_engine_load_async (self->network, accuracy_dataset_dir, self->engine_loading, on_engine_loaded, g_object_ref (self));
}

void
fb_window_set_accuracy_defaults (gboolean enabled, guint limit, const char *dataset_dir)
{
  accuracy_enabled = enabled;
  accuracy_test_limit = limit;
  g_free (accuracy_dataset_dir);
  accuracy_dataset_dir = g_strdup (dataset_dir);
}

FbAccuracyEngine *
fb_window_get_accuracy_engine (FbWindow *self)
{
  return self->engine;
}

void
fb_window_run_search (FbWindow *self, FbSearchMethod method)
{
  g_return_if_fail (FB_IS_WINDOW (self));
  fb_search_panel_set_method (self->search_panel, method);
  gtk_revealer_set_reveal_child (self->search_revealer, TRUE);
  on_search_run (self);
}

void
fb_window_run_compare (FbWindow *self)
{
  FbAccuracyOracle *oracle = NULL;
  guint limit = 0;

  g_return_if_fail (FB_IS_WINDOW (self));
  gtk_stack_set_visible_child_name (self->view_stack, "compare");
  if (self->network == NULL)
    return;
  /* Measured accuracy is worth the wait: an engine being loaded decides. */
  if (self->engine_loading != NULL)
    {
      self->compare_waiting = TRUE;
      fb_compare_panel_set_waiting (self->compare_panel);
      return;
    }
  self->compare_waiting = FALSE;
  if (self->tables->len == 0)
    {
      fb_window_report_error (self, _("The comparison needs at least one latency table: open a "
                                      "freebits-latency/1 file for this network."));
      return;
    }
  /* Measured accuracy when the engine is ready, on the images the
   * baselines are measured on; else fb_compare_run matches on Flash size. */
  if (engine_usable (self))
    {
      oracle = fb_accuracy_engine_get_oracle (self->engine);
      limit = default_limit (self);
    }
  fb_compare_panel_start (self->compare_panel, self->network, self->tables, oracle, limit, self->cancellable);
}

static void
on_compare_run (FbWindow *self)
{
  fb_window_run_compare (self);
}

static void
on_compare_config_selected (FbComparePanel *panel, FbPrecisionConfig *config, const char *label, FbWindow *self)
{
  set_config (self, config, label, fb_precision_config_get_provenance (config));
}

static void
on_compare_failed (FbComparePanel *panel, const char *message, FbWindow *self)
{
  fb_window_report_error (self, message);
}

static void
on_search_cancel (FbWindow *self)
{
  if (self->job != NULL)
    fb_search_job_cancel (self->job);
}

/* ---- network -------------------------------------------------------------- */

static void
set_network (FbWindow *self, FbNetwork *network)
{
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  g_autofree char *saved = NULL;
  const char *target = NULL;
  static const char *const no_labels[] = { NULL };
  g_autoptr(GPtrArray) uniform = g_ptr_array_new_with_free_func (g_free);

  /* Results, searches and the comparison belong to the old network. */
  clear_results (self);
  fb_compare_panel_set_network (self->compare_panel, network);
  fb_network_ref (network);
  g_clear_pointer (&self->network, fb_network_unref);
  self->network = network;
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  fb_layer_table_set_latency_table (self->layer_table, NULL);

  self->updating_targets = TRUE;
  gtk_list_store_clear (self->targets);
  g_ptr_array_set_size (self->tables, 0);
  self->updating_targets = FALSE;
  load_bundled_tables (self, network);

  /* The target used last, else the default one, else any. */
  saved = self->settings ? g_settings_get_string (self->settings, "last-target") : NULL;
  if (saved != NULL && find_target (self, saved) >= 0)
    target = saved;
  else if (find_target (self, DEFAULT_TARGET) >= 0)
    target = DEFAULT_TARGET;
  else if (self->tables->len > 0)
    target = fb_latency_table_get_target (g_ptr_array_index (self->tables, 0));

  for (guint w = 8; w >= 2; w /= 2)
    for (guint a = 8; a >= 2; a /= 2)
      {
        g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (network, w, a, NULL);
        if (u != NULL)
          g_ptr_array_add (uniform, g_strdup_printf ("w%ua%u", w, a));
      }
  g_ptr_array_add (uniform, NULL);
  fb_search_panel_set_uniform_starts (self->search_panel,
                                      uniform->len > 1 ? (const char * const *) uniform->pdata : no_labels);

  w8a8 = fb_precision_config_new (network);
  fb_layer_table_set_config (self->layer_table, w8a8);
  select_target (self, target);
  set_config (self, w8a8, NULL, NULL);
  update_results (self);
  /* Another network: an engine for the old one no longer applies. */
  if (self->engine != NULL && !engine_usable (self))
    set_engine (self, NULL);
  else
    set_engine (self, self->engine);
  self->axes_chose_accuracy = FALSE;
  load_engine (self);
  update_summary (self);
}

typedef enum {
  KIND_UNKNOWN,
  KIND_NETWORK,
  KIND_LATENCY,
  KIND_CONFIG,
  KIND_CANDIDATES,
} FileKind;

/* Tells the file's family from its "format" tag (the loaders then check
 * the version and everything else, with messages that name the field). */
static FileKind
detect_kind (const char *path, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonNode *format;
  const char *tag;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: %lld bytes is too large for a freebits file"),
                   path, (long long) st.st_size);
      return KIND_UNKNOWN;
    }
  root = fb_json_load_file (path, error);
  if (root == NULL)
    return KIND_UNKNOWN;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: expected a JSON object with a \"format\" field, got %s"),
                   path, fb_json_node_describe (root));
      return KIND_UNKNOWN;
    }
  obj = json_node_get_object (root);
  format = json_object_get_member (obj, "format");
  tag = format && JSON_NODE_HOLDS_VALUE (format) && json_node_get_value_type (format) == G_TYPE_STRING
        ? json_node_get_string (format) : NULL;
  if (tag == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not a freebits file: no \"format\" string (expected freebits-network/1, "
                     "freebits-config/1, freebits-latency/1 or freebits-candidates/1)"), path);
      return KIND_UNKNOWN;
    }
  if (g_str_has_prefix (tag, "freebits-network/"))
    return KIND_NETWORK;
  if (g_str_has_prefix (tag, "freebits-latency/"))
    return KIND_LATENCY;
  if (g_str_has_prefix (tag, "freebits-config/"))
    return KIND_CONFIG;
  if (g_str_has_prefix (tag, "freebits-candidates/"))
    return KIND_CANDIDATES;
  g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
               _("%s: field \"format\": unknown format \"%s\" (expected freebits-network/1, "
                 "freebits-config/1, freebits-latency/1 or freebits-candidates/1)"), path, tag);
  return KIND_UNKNOWN;
}

static void
add_recent (GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) "application/json",
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "freebits %u",
  };

  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static gboolean
open_network (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbNetwork) net = fb_network_load (path, error);

  if (net == NULL)
    return FALSE;
  set_network (self, net);
  return TRUE;
}

static gboolean
open_latency (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, error);

  if (table == NULL)
    return FALSE;
  if (!fb_latency_table_check_network (table, self->network, error))
    {
      fb_error_prefix_file (error, path);
      return FALSE;
    }
  /* Another target to switch to; the one just opened becomes current. */
  add_target (self, table);
  select_target (self, fb_latency_table_get_target (table));
  return TRUE;
}

/* A freebits-candidates/1 file becomes one series, named after the file. */
static gboolean
open_candidates (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) list = NULL;
  g_autofree char *base = g_path_get_basename (path);
  ResultGroup *group;

  list = fb_candidate_list_load (self->network, path, error);
  if (list == NULL)
    {
      /* Say which file, whatever the loader's message says. */
      fb_error_prefix_file (error, path);
      return FALSE;
    }
  /* Opening the same file again replaces its series. */
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *old = g_ptr_array_index (self->groups, g);
      if (old->method < 0 && g_strcmp0 (old->name, base) == 0)
        {
          if (old == self->job_group)
            stop_job (self);
          g_ptr_array_remove_index (self->groups, g);
          break;
        }
    }
  group = result_group_new (base, -1);
  for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
    /* Shown with the current target's latency, like everything else. */
    g_ptr_array_add (group->candidates, evaluate_candidate (self, fb_candidate_list_get (list, i)));
  group->table = self->latency;
  g_ptr_array_add (self->groups, group);
  refresh_points (self, TRUE);
  update_summary (self);
  update_results (self);
  queue_results (self);
  return TRUE;
}

static gboolean
open_config (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_load (self->network, path, error);
  g_autofree char *base = NULL;

  if (config == NULL)
    return FALSE;
  base = g_path_get_basename (path);
  set_config (self, config, base, fb_precision_config_get_provenance (config));
  fb_pareto_plot_select (self->plot, -1);
  return TRUE;
}

void
fb_window_open_files (FbWindow *self, GFile **files, guint n_files)
{
  /* Networks first: tables and configs are read against the network. */
  static const FileKind order[] = { KIND_NETWORK, KIND_LATENCY, KIND_CONFIG, KIND_CANDIDATES };
  g_autofree FileKind *kinds = g_new0 (FileKind, MAX (n_files, 1));

  g_return_if_fail (FB_IS_WINDOW (self));
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      g_autoptr(GError) error = NULL;

      if (path == NULL)
        {
          g_autofree char *uri = g_file_get_uri (files[i]);
          g_autofree char *msg = g_strdup_printf (_("%s: only local files can be opened"), uri);
          fb_window_report_error (self, msg);
          continue;
        }
      kinds[i] = detect_kind (path, &error);
      if (error != NULL)
        {
          kinds[i] = KIND_UNKNOWN;
          report_gerror (self, error);
        }
    }

  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < n_files; i++)
      {
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;
        gboolean ok = FALSE;

        if (kinds[i] != order[k])
          continue;
        path = g_file_get_path (files[i]);
        switch (kinds[i])
          {
          case KIND_NETWORK: ok = open_network (self, path, &error); break;
          case KIND_LATENCY: ok = open_latency (self, path, &error); break;
          case KIND_CONFIG:  ok = open_config (self, path, &error); break;
          case KIND_CANDIDATES: ok = open_candidates (self, path, &error); break;
          case KIND_UNKNOWN:
          default:
            break;
          }
        if (ok)
          add_recent (files[i]);
        else if (error != NULL)
          report_gerror (self, error);
      }
}

void
fb_window_open_file (FbWindow *self, GFile *file)
{
  fb_window_open_files (self, &file, 1);
}

/* ---- signal handlers ------------------------------------------------------ */

static void
on_config_changed (FbLayerTable *table, FbWindow *self)
{
  /* The config is now the user's: it no longer is the file's. */
  g_clear_pointer (&self->config_provenance, json_object_unref);
  self->edited = TRUE;
  if (self->config_origin != NULL && !g_str_has_suffix (self->config_origin, _(" (edited)")))
    {
      g_autofree char *old = self->config_origin;
      self->config_origin = g_strconcat (old, _(" (edited)"), NULL);
    }
  /* A new config to measure; a burst of edits costs one evaluation. */
  request_accuracy (self);
  update_summary (self);
}

static void
on_point_selected (FbParetoPlot *plot, int index, FbWindow *self)
{
  const FbPlotPoint *p;

  if (self->points == NULL || index < 0 || (guint) index >= fb_point_set_get_n_points (self->points))
    return;
  p = fb_point_set_get_point (self->points, index);
  if (p->config == NULL)
    return;
  set_config (self, p->config, p->label, fb_precision_config_get_provenance (p->config));
}

static void
on_recent_activated (GtkRecentChooser *chooser, FbWindow *self)
{
  g_autofree char *uri = gtk_recent_chooser_get_current_uri (chooser);
  g_autoptr(GFile) file = NULL;

  if (uri == NULL)
    return;
  file = g_file_new_for_uri (uri);
  fb_window_open_file (self, file);
}

static void
on_drag_data_received (GtkWidget *widget, GdkDragContext *context, int x, int y,
                       GtkSelectionData *data, guint info, guint time, FbWindow *self)
{
  g_auto(GStrv) uris = gtk_selection_data_get_uris (data);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (uris == NULL)
    {
      gtk_drag_finish (context, FALSE, FALSE, time);
      return;
    }
  for (guint i = 0; uris[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_uri (uris[i]));
  fb_window_open_files (self, (GFile **) files->pdata, files->len);
  gtk_drag_finish (context, TRUE, FALSE, time);
}

/* ---- actions -------------------------------------------------------------- */

static void
add_json_filters (GtkFileChooser *chooser)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("freebits files (*.json)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.JSON");
  gtk_file_chooser_add_filter (chooser, filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
on_open_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GSList) list = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
      for (GSList *l = list; l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);
      fb_window_open_files (self, (GFile **) files->pdata, files->len);
    }
  g_object_unref (dialog);
}

static void
action_open (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Open Network, Config, Latency Table or Candidates"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  add_json_filters (GTK_FILE_CHOOSER (dialog));
  if (self->network && fb_network_get_path (self->network))
    {
      g_autofree char *dir = g_path_get_dirname (fb_network_get_path (self->network));
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), dir);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
fb_window_save_config (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_copy (fb_layer_table_get_config (self->layer_table));
  g_autoptr(JsonObject) prov = NULL;
  g_autofree char *name = NULL;
  gboolean baseline;

  /* Say where a config came from, so an exported bundle can be traced. */
  name = current_config_name (self, &baseline);
  if (self->config_provenance != NULL)
    prov = json_object_ref (self->config_provenance);
  else
    {
      prov = json_object_new ();
      json_object_set_string_member (prov, "method", baseline ? "uniform" : "manual");
      json_object_set_string_member (prov, "name", name);
      json_object_set_string_member (prov, "tool", "freebits " FB_VERSION);
      if (self->latency != NULL)
        json_object_set_string_member (prov, "target", fb_latency_table_get_target (self->latency));
    }
  fb_precision_config_set_provenance (config, prov);
  return fb_precision_config_save (config, path, error);
}

typedef gboolean (*SaveFunc) (FbWindow *self, const char *path, GError **error);

/* What every save dialog does with its answer: save, report or remember. */
static void
finish_save_dialog (FbWindow *self, GtkNativeDialog *dialog, int response, SaveFunc save)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !save (self, path, &error))
        {
          if (error != NULL)
            report_gerror (self, error);
        }
      else
        add_recent (file);
    }
  g_object_unref (dialog);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  finish_save_dialog (self, dialog, response, fb_window_save_config);
}

static void
action_save_config (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;
  g_autofree char *file_name = NULL;
  gboolean baseline;

  if (fb_layer_table_get_config (self->layer_table) == NULL)
    return;
  dialog = gtk_file_chooser_native_new (_("Save Precision Config"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  add_json_filters (GTK_FILE_CHOOSER (dialog));
  name = current_config_name (self, &baseline);
  g_strdelimit (name, " ()/\\", '-');
  file_name = g_strdup_printf ("%s-%s.json", fb_network_get_name (self->network), name);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* The plot of the page shown: Export Plot and Fit act on it. */
static FbParetoPlot *
shown_plot (FbWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "compare") == 0)
    return fb_compare_panel_get_plot (self->compare_panel);
  return self->plot;
}

static void
on_export_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;
      FbPlotFormat format;

      if (path != NULL && !fb_plot_format_from_path (path, &format))
        {
          /* No known extension: take the chosen filter's and add it. */
          GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
          const char *ext = g_object_get_data (G_OBJECT (filter), "fb-ext");
          char *with_ext = g_strconcat (path, ext ? ext : ".png", NULL);
          g_free (path);
          path = with_ext;
          fb_plot_format_from_path (path, &format);
        }
      if (path != NULL && !fb_pareto_plot_export (shown_plot (self), path, format, &error))
        report_gerror (self, error);
    }
  g_object_unref (dialog);
}

static void
action_export_plot (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  static const struct { const char *name, *pattern, *ext; } kinds[] = {
    { N_("PNG image (*.png)"), "*.png", ".png" },
    { N_("SVG drawing (*.svg)"), "*.svg", ".svg" },
    { N_("PDF document (*.pdf)"), "*.pdf", ".pdf" },
  };
  FbWindow *self = user_data;
  GtkFileChooserNative *dialog;
  g_autofree char *file_name = NULL;

  dialog = gtk_file_chooser_native_new (_("Export Plot"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _(kinds[i].name));
      gtk_file_filter_add_pattern (filter, kinds[i].pattern);
      g_object_set_data (G_OBJECT (filter), "fb-ext", (gpointer) kinds[i].ext);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  file_name = g_strdup_printf ("%s-%s-vs-%s.png", fb_network_get_name (self->network),
                               fb_plot_metric_to_nick (fb_pareto_plot_get_y_metric (shown_plot (self))),
                               fb_plot_metric_to_nick (fb_pareto_plot_get_x_metric (shown_plot (self))));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- C bundle ------------------------------------------------------------- */

static void
update_export_action (FbWindow *self)
{
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "export-bundle")),
                               self->network != NULL && self->n_exports == 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "export-bundle-to")),
                               self->network != NULL && self->n_exports == 0);
}

static void
on_bundle_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  double accuracy = NAN;
  g_autofree char *dir = fb_bundle_job_run_finish (result, &accuracy, &error);

  self->n_exports--;
  /* The window closed meanwhile: nobody to tell. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  update_export_action (self);
  if (dir == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Exporting the C bundle failed: %s"), error->message);
      fb_window_report_error (self, msg);
      return;
    }
  {
    g_autofree char *msg = NULL;
    if (!isnan (accuracy))
      {
        g_autofree char *acc = fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, FB_LATENCY_UNIT_INSTRUCTIONS, accuracy);
        /* TRANSLATORS: %s: folder, then the accuracy of the bundled test images ("91.2 %") */
        msg = g_strdup_printf (_("C bundle written to %s (accuracy on its test images: %s). "
                                 "Build it with \"make host\" there."), dir, acc);
      }
    else
      msg = g_strdup_printf (_("C bundle written to %s. Build it with \"make host\" there."), dir);
    show_message (self, GTK_MESSAGE_INFO, msg, dir);
  }
}

void
fb_window_export_bundle (FbWindow *self, const char *dir, guint n_images, gboolean force)
{
  FbPrecisionConfig *config;
  FbBundleJob *job;
  g_autofree char *label = NULL;
  gboolean baseline;

  g_return_if_fail (FB_IS_WINDOW (self));
  config = fb_layer_table_get_config (self->layer_table);
  if (self->network == NULL || config == NULL || self->n_exports > 0)
    return;
  job = fb_bundle_job_new (config, dir);
  label = current_config_name (self, &baseline);
  fb_bundle_job_set_label (job, label);
  fb_bundle_job_set_latency_table (job, self->latency);
  fb_bundle_job_set_images (job, n_images);
  fb_bundle_job_set_force (job, force);
  /* The engine's weights are the ones the summary's accuracy was measured
   * with (calibrated when the file had float weights only). */
  if (engine_usable (self) && fb_accuracy_engine_get_weights_path (self->engine) != NULL)
    {
      fb_bundle_job_set_weights (job, fb_accuracy_engine_get_weights_path (self->engine),
                                 fb_accuracy_engine_get_weights (self->engine));
      fb_bundle_job_set_datasets (job, fb_accuracy_engine_get_test_set (self->engine),
                                  fb_accuracy_engine_get_train_set (self->engine));
    }
  else
    {
      g_autofree char *path = fb_accuracy_engine_find_weights (self->network, NULL);
      fb_bundle_job_set_weights (job, path, NULL);
    }
  self->n_exports++;
  update_export_action (self);
  fb_bundle_job_run_async (job, self->cancellable, on_bundle_written, g_object_ref (self));
}

static void
on_export_dialog_response (GtkDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      FbExportDialog *d = FB_EXPORT_DIALOG (dialog);
      g_autofree char *path = fb_export_dialog_get_path (d);

      if (path != NULL)
        fb_window_export_bundle (self, path, fb_export_dialog_get_images (d), fb_export_dialog_get_force (d));
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
action_export_bundle (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  g_autofree char *name = NULL;
  g_autofree char *dir_name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *size = NULL;
  const char *folder;
  FbExportDialog *dialog;
  gboolean baseline;
  double values[FB_PLOT_N_METRICS];

  if (self->network == NULL || config == NULL || !compute_values (self, config, values, NULL))
    return;
  name = current_config_name (self, &baseline);
  dir_name = g_strdup_printf ("%s-%s", fb_network_get_name (self->network), name);
  g_strdelimit (dir_name, " ()/\\", '-');
  size = fb_plot_metric_format (FB_PLOT_METRIC_SIZE, FB_LATENCY_UNIT_INSTRUCTIONS, values[FB_PLOT_METRIC_SIZE]);
  /* TRANSLATORS: "fmnist-mbv1 at w4a8 (45.2 kB Flash): generated C ..." */
  description = g_strdup_printf (_("%s at %s (%s Flash): generated C that runs exactly the integer network "
                                   "whose accuracy freebits shows, with the kernels it calls."),
                                 fb_network_get_name (self->network), name, size);
  folder = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  if (folder == NULL || !g_file_test (folder, G_FILE_TEST_IS_DIR))
    folder = g_get_home_dir ();
  dialog = fb_export_dialog_new (GTK_WINDOW (self), folder, dir_name, description);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_dialog_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* With the dialog's defaults (1000 test images, no replacing): for
 * scripts and tests, "win.export-bundle-to" with the bundle directory. */
static void
action_export_bundle_to (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  fb_window_export_bundle (user_data, g_variant_get_string (param, NULL), FB_EXPORTER_DEFAULT_IMAGES, FALSE);
}

static void
change_full_test_set (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  FbWindow *self = user_data;

  g_simple_action_set_state (action, value);
  request_accuracy (self);
  update_summary (self);
}

static void
action_reset_view (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  fb_pareto_plot_reset_view (shown_plot (self));
}

gboolean
fb_window_save_candidates (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) list = NULL;

  g_return_val_if_fail (FB_IS_WINDOW (self), FALSE);
  if (self->network == NULL || count_results (self) == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: nothing to save: run a search or open candidates first"), path);
      return FALSE;
    }
  list = fb_candidate_list_new (self->network);
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);
      for (guint i = 0; i < group->candidates->len; i++)
        fb_candidate_list_add (list, g_ptr_array_index (group->candidates, i));
    }
  return fb_candidate_list_save (list, path, error);
}

static void
on_save_candidates_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  finish_save_dialog (self, dialog, response, fb_window_save_candidates);
}

static void
action_save_candidates (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  GtkFileChooserNative *dialog;
  g_autofree char *file_name = NULL;

  if (self->network == NULL || count_results (self) == 0)
    return;
  dialog = gtk_file_chooser_native_new (_("Save Candidates"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  add_json_filters (GTK_FILE_CHOOSER (dialog));
  file_name = g_strdup_printf ("%s-%s-candidates.json", fb_network_get_name (self->network),
                               self->latency ? fb_latency_table_get_target (self->latency) : "bops");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_candidates_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_clear_results (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;

  clear_results (self);
  refresh_points (self, TRUE);
  update_summary (self);
  update_results (self);
}

static void
action_run_search (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;

  gtk_revealer_set_reveal_child (self->search_revealer, TRUE);
  on_search_run (self);
}

static void
action_cancel_search (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  on_search_cancel (user_data);
}

static const GActionEntry win_actions[] = {
  { "open", action_open, NULL, NULL, NULL, { 0 } },
  { "save-config", action_save_config, NULL, NULL, NULL, { 0 } },
  { "save-candidates", action_save_candidates, NULL, NULL, NULL, { 0 } },
  { "export-plot", action_export_plot, NULL, NULL, NULL, { 0 } },
  { "export-bundle", action_export_bundle, NULL, NULL, NULL, { 0 } },
  { "export-bundle-to", action_export_bundle_to, "s", NULL, NULL, { 0 } },
  { "full-test-set", NULL, NULL, "false", change_full_test_set, { 0 } },
  { "reset-view", action_reset_view, NULL, NULL, NULL, { 0 } },
  { "run-search", action_run_search, NULL, NULL, NULL, { 0 } },
  { "cancel-search", action_cancel_search, NULL, NULL, NULL, { 0 } },
  { "clear-results", action_clear_results, NULL, NULL, NULL, { 0 } },
};

/* ---- construction --------------------------------------------------------- */

static void
build_metrics_grid (FbWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (summary_metrics); i++)
    {
      FbPlotMetric m = summary_metrics[i];
      GtkWidget *name = gtk_label_new (fb_plot_metric_get_short_name (m));
      GtkWidget *value = gtk_label_new ("—");
      GtkWidget *note = gtk_label_new ("");

      /* name ........ value
       * note (change vs w8a8, exact bytes, where) */
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_widget_set_valign (name, GTK_ALIGN_BASELINE);
      gtk_label_set_xalign (GTK_LABEL (value), 1);
      gtk_widget_set_valign (value, GTK_ALIGN_BASELINE);
      gtk_label_set_xalign (GTK_LABEL (note), 0);
      gtk_label_set_selectable (GTK_LABEL (value), TRUE);
      gtk_widget_set_can_focus (value, FALSE);
      gtk_label_set_line_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (note), 30);
      gtk_style_context_add_class (gtk_widget_get_style_context (name), "fb-metric-name");
      gtk_style_context_add_class (gtk_widget_get_style_context (value), "fb-metric-value");
      gtk_style_context_add_class (gtk_widget_get_style_context (note), "fb-metric-note");
      if (i > 0)
        {
          gtk_widget_set_margin_top (name, 9);
          gtk_widget_set_margin_top (value, 9);
        }
      gtk_grid_attach (self->metrics_grid, name, 0, 2 * i, 1, 1);
      gtk_grid_attach (self->metrics_grid, value, 1, 2 * i, 1, 1);
      gtk_grid_attach (self->metrics_grid, note, 0, 2 * i + 1, 2, 1);
      gtk_widget_show (name);
      gtk_widget_show (value);
      gtk_widget_show (note);
      self->value_labels[m] = GTK_LABEL (value);
      self->note_labels[m] = GTK_LABEL (note);
      if (m == FB_PLOT_METRIC_ACCURACY)
        {
          /* The default 1000 images answer in a moment; the whole test set
           * is the number to quote. */
          GtkWidget *full = gtk_check_button_new_with_mnemonic (_("Measure on _all test images"));
          gtk_actionable_set_action_name (GTK_ACTIONABLE (full), "win.full-test-set");
          gtk_widget_set_tooltip_text (full, _("Measure the accuracy of this config on the whole "
                                               "Fashion-MNIST test set (10 000 images) instead of the first 1000"));
          gtk_widget_set_halign (full, GTK_ALIGN_START);
          gtk_style_context_add_class (gtk_widget_get_style_context (full), "fb-metric-note");
          gtk_grid_attach (self->metrics_grid, full, 0, 2 * i + 2, 2, 1);
          gtk_widget_show (full);
        }
    }
}

static void
build_recent_menu (FbWindow *self)
{
  GtkWidget *menu = gtk_recent_chooser_menu_new_for_manager (gtk_recent_manager_get_default ());
  GtkRecentFilter *filter = gtk_recent_filter_new ();

  /* Only what freebits opened or saved. */
  gtk_recent_filter_add_application (filter, g_get_application_name ());
  gtk_recent_chooser_add_filter (GTK_RECENT_CHOOSER (menu), filter);
  gtk_recent_chooser_set_sort_type (GTK_RECENT_CHOOSER (menu), GTK_RECENT_SORT_MRU);
  gtk_recent_chooser_set_limit (GTK_RECENT_CHOOSER (menu), 12);
  gtk_recent_chooser_set_show_not_found (GTK_RECENT_CHOOSER (menu), FALSE);
  gtk_recent_chooser_set_show_tips (GTK_RECENT_CHOOSER (menu), TRUE);
  g_signal_connect (menu, "item-activated", G_CALLBACK (on_recent_activated), self);
  gtk_menu_button_set_popup (self->recent_button, menu);
}

static void
load_bundled (FbWindow *self)
{
  g_autofree char *path = find_data_file ("networks/" BUNDLED_NETWORK ".json");
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The bundled network %s.json was not found in %s or %s; "
                                                "open a network file."),
                                              BUNDLED_NETWORK, FB_SOURCE_DATADIR, FB_DATADIR);
      fb_window_report_error (self, msg);
      return;
    }
  if (!open_network (self, path, &error))
    report_gerror (self, error);
}

static void
save_window_state (FbWindow *self)
{
  if (self->settings == NULL || self->saved_width <= 0)
    return;
  g_settings_set_int (self->settings, "window-width", self->saved_width);
  g_settings_set_int (self->settings, "window-height", self->saved_height);
  g_settings_set_boolean (self->settings, "window-maximized", self->saved_maximized);
}

static void
on_size_allocate (GtkWidget *widget, GdkRectangle *allocation, FbWindow *self)
{
  /* Remember the unmaximized size (what to restore to), as GNOME apps do. */
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    gtk_window_get_size (GTK_WINDOW (self), &self->saved_width, &self->saved_height);
}

static gboolean
on_window_state_event (GtkWidget *widget, GdkEventWindowState *event, FbWindow *self)
{
  self->saved_maximized = (event->new_window_state & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  return GDK_EVENT_PROPAGATE;
}

static void
fb_window_dispose (GObject *object)
{
  FbWindow *self = FB_WINDOW (object);

  /* Closing the window stops whatever it started. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->engine_loading != NULL)
    g_cancellable_cancel (self->engine_loading);
  g_clear_object (&self->engine_loading);
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      fb_accuracy_engine_cancel (self->engine);
      g_clear_object (&self->engine);
    }
  stop_job (self);
  save_window_state (self);
  self->saved_width = 0;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (fb_window_parent_class)->dispose (object);
}

static void
fb_window_finalize (GObject *object)
{
  FbWindow *self = FB_WINDOW (object);

  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  g_clear_pointer (&self->points, fb_point_set_unref);
  g_clear_pointer (&self->config_provenance, json_object_unref);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_clear_pointer (&self->tables, g_ptr_array_unref);
  g_free (self->engine_problem);
  g_free (self->info_folder);
  g_clear_object (&self->targets);
  g_free (self->config_origin);
  G_OBJECT_CLASS (fb_window_parent_class)->finalize (object);
}

static gboolean
fb_window_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  FbWindow *self = FB_WINDOW (widget);

  g_cancellable_cancel (self->cancellable);
  return GTK_WIDGET_CLASS (fb_window_parent_class)->delete_event
    ? GTK_WIDGET_CLASS (fb_window_parent_class)->delete_event (widget, event)
    : GDK_EVENT_PROPAGATE;
}

static void
fb_window_class_init (FbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fb_window_dispose;
  object_class->finalize = fb_window_finalize;
  widget_class->delete_event = fb_window_delete_event;

  /* Referencing the resource links its object file in from the static
   * library, and with it the constructor that registers it. */
  (void) fb_ui_get_resource ();
  g_type_ensure (FB_TYPE_PARETO_PLOT);
  g_type_ensure (FB_TYPE_LAYER_TABLE);
  g_type_ensure (FB_TYPE_SEARCH_PANEL);
  g_type_ensure (FB_TYPE_COMPARE_PANEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/freebits/Explorer/fb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FbWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, recent_button);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, x_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, y_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, log_x_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, log_y_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, plot);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, config_title_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, config_subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, metrics_grid);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, network_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, precision_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, target_label);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, layer_table);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, search_revealer);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, search_panel);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, target_combo);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, FbWindow, compare_panel);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_run);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_config_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_failed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_run);
  gtk_widget_class_bind_template_callback (widget_class, on_search_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_config_changed);
}

/* Lets a combo box ellipsize its text, so long names (and translations)
 * shrink before the window grows. */
static void
combo_ellipsize (GtkComboBox *combo)
{
  g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (combo));

  for (GList *l = cells; l != NULL; l = l->next)
    if (GTK_IS_CELL_RENDERER_TEXT (l->data))
      g_object_set (l->data, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
}

/* The method combo's id as the "search-method" key. A method the installed
 * schema does not list (an older schema) is simply not remembered. */
static GSettingsSchemaKey *
method_key (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  return g_settings_schema_get_key (schema, "search-method");
}

static gboolean
method_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_string (value, g_variant_get_string (variant, NULL));
  return TRUE;
}

static GVariant *
method_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *id = g_value_get_string (value);
  g_autoptr(GVariant) variant = NULL;

  if (id == NULL)
    return NULL;
  variant = g_variant_ref_sink (g_variant_new_string (id));
  if (!g_settings_schema_key_range_check (user_data, variant))
    return NULL;
  return g_steal_pointer (&variant);
}

/* After construction, when the application is known ("application" is not
 * a construct property of GtkWindow): settings, then the bundled network. */
static void
fb_window_start (FbWindow *self, FbApplication *app)
{
  if (FB_IS_APPLICATION (app) && fb_application_get_settings (FB_APPLICATION (app)) != NULL)
    {
      self->settings = g_object_ref (fb_application_get_settings (FB_APPLICATION (app)));
      gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_settings_bind (self->settings, "log-x", self->log_x_toggle, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "log-y", self->log_y_toggle, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "show-search", self->search_revealer, "reveal-child", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind_with_mapping (self->settings, "search-method",
                                    fb_search_panel_get_method_combo (self->search_panel), "active-id",
                                    G_SETTINGS_BIND_DEFAULT, method_get_mapping, method_set_mapping,
                                    method_key (self->settings),
                                    (GDestroyNotify) g_settings_schema_key_unref);
    }
  g_signal_connect (self, "size-allocate", G_CALLBACK (on_size_allocate), self);
  g_signal_connect (self, "window-state-event", G_CALLBACK (on_window_state_event), self);

  load_bundled (self);
  /* Start on the plot, not on a table row (which would show as selected). */
  gtk_widget_grab_focus (GTK_WIDGET (self->plot));
}

static void
fb_window_init (FbWindow *self)
{
  GtkCellRenderer *cell;
  g_autoptr(GPropertyAction) show_search = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) result_group_free);
  self->tables = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_latency_table_unref);
  self->targets = gtk_list_store_new (2, G_TYPE_STRING, G_TYPE_STRING);
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  show_search = g_property_action_new ("show-search", self->search_revealer, "reveal-child");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (show_search));

  /* One list of targets, two selectors (sidebar and search panel). */
  gtk_combo_box_set_model (self->target_combo, GTK_TREE_MODEL (self->targets));
  gtk_combo_box_set_id_column (self->target_combo, TARGET_COLUMN_ID);
  cell = gtk_cell_renderer_text_new ();
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (self->target_combo), cell, TRUE);
  gtk_cell_layout_add_attribute (GTK_CELL_LAYOUT (self->target_combo), cell, "text", TARGET_COLUMN_LABEL);
  fb_search_panel_set_target_model (self->search_panel, GTK_TREE_MODEL (self->targets));
  g_object_bind_property (self->target_combo, "active-id",
                          fb_search_panel_get_target_combo (self->search_panel), "active-id",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self->target_combo, "changed", G_CALLBACK (on_target_changed), self);

  build_metrics_grid (self);
  build_recent_menu (self);
  self->open_folder_button = gtk_info_bar_add_button (self->info_bar, _("Open _Folder"), RESPONSE_OPEN_FOLDER);
  gtk_widget_hide (self->open_folder_button);

  g_object_bind_property (self->log_x_toggle, "active", self->plot, "log-x",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->log_y_toggle, "active", self->plot, "log-y",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  combo_ellipsize (GTK_COMBO_BOX (self->x_combo));
  combo_ellipsize (GTK_COMBO_BOX (self->y_combo));
  g_signal_connect (self->x_combo, "changed", G_CALLBACK (on_axis_changed), self);
  g_signal_connect (self->y_combo, "changed", G_CALLBACK (on_axis_changed), self);

  /* Drop network, config and latency files anywhere on the window. */
  gtk_drag_dest_set (GTK_WIDGET (self), GTK_DEST_DEFAULT_ALL, NULL, 0, GDK_ACTION_COPY);
  gtk_drag_dest_add_uri_targets (GTK_WIDGET (self));
  g_signal_connect (self, "drag-data-received", G_CALLBACK (on_drag_data_received), self);
}

FbWindow *
fb_window_new (FbApplication *application)
{
  FbWindow *self = g_object_new (FB_TYPE_WINDOW, "application", application, NULL);

  fb_window_start (self, application);
  return self;
}

GCancellable *
fb_window_get_cancellable (FbWindow *self)
{
  g_return_val_if_fail (FB_IS_WINDOW (self), NULL);
  return self->cancellable;
}

/* ---- private accessors ---------------------------------------------------- */

FbNetwork *
fb_window_get_network (FbWindow *self)
{
  return self->network;
}

FbLatencyTable *
fb_window_get_latency_table (FbWindow *self)
{
  return self->latency;
}

FbParetoPlot *
fb_window_get_plot (FbWindow *self)
{
  return self->plot;
}

FbLayerTable *
fb_window_get_layer_table (FbWindow *self)
{
  return self->layer_table;
}

GtkLabel *
fb_window_get_summary_label (FbWindow *self, FbPlotMetric metric)
{
  g_return_val_if_fail (metric < FB_PLOT_N_METRICS, NULL);
  return self->value_labels[metric];
}

GtkLabel *
fb_window_get_config_label (FbWindow *self)
{
  return self->config_title_label;
}

GtkInfoBar *
fb_window_get_info_bar (FbWindow *self)
{
  return self->info_bar;
}

FbSearchPanel *
fb_window_get_search_panel (FbWindow *self)
{
  return self->search_panel;
}

FbSearchJob *
fb_window_get_search_job (FbWindow *self)
{
  return self->job;
}

FbComparePanel *
fb_window_get_compare_panel (FbWindow *self)
{
  return self->compare_panel;
}

GtkComboBox *
fb_window_get_target_combo (FbWindow *self)
{
  return self->target_combo;
}

guint
fb_window_get_n_results (FbWindow *self)
{
  return count_results (self);
}

const char *
fb_window_get_info_message (FbWindow *self)
{
  if (!gtk_info_bar_get_revealed (self->info_bar))
    return NULL;
  return gtk_label_get_text (self->info_label);
}

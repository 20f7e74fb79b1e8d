/* fb-window.c — the main window: plot, summary and layer table of one network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "fb-application.h"
#include "fb-error.h"
#include "fb-json.h"
#include "fb-metrics.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-ui-format.h"
#include "fb-ui-resources.h"
#include "fb-window-private.h"

#define BUNDLED_NETWORK "fmnist-mbv1"
#define DEFAULT_TARGET  "rv32imc"
/* Larger files are not freebits JSON; refuse before reading them whole. */
#define MAX_FILE_BYTES  (64 * 1024 * 1024)

/* The summary shows these, in this order. */
static const FbPlotMetric summary_metrics[] = {
  FB_PLOT_METRIC_SIZE,
  FB_PLOT_METRIC_PEAK_RAM,
  FB_PLOT_METRIC_BOPS,
  FB_PLOT_METRIC_LATENCY,
  FB_PLOT_METRIC_ACCURACY,
};

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
  gboolean              latency_error_shown;
};

G_DEFINE_TYPE (FbWindow, fb_window, GTK_TYPE_APPLICATION_WINDOW)

/* ---- errors --------------------------------------------------------------- */

void
fb_window_report_error (FbWindow *self, const char *message)
{
  const char *old;

  g_return_if_fail (FB_IS_WINDOW (self));
  old = gtk_label_get_text (self->info_label);
  /* Several files can fail at once (drop, command line); show them all. */
  if (gtk_info_bar_get_revealed (self->info_bar) && old != NULL && old[0] != '\0')
    {
      g_autofree char *both = g_strconcat (old, "\n", message, NULL);
      gtk_label_set_text (self->info_label, both);
    }
  else
    gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
report_gerror (FbWindow *self, const GError *error)
{
  fb_window_report_error (self, error->message);
}

static void
on_info_bar_response (GtkInfoBar *bar, int response, FbWindow *self)
{
  gtk_info_bar_set_revealed (bar, FALSE);
  gtk_label_set_text (self->info_label, "");
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
  /* No accuracy oracle yet (the nn engine and imported tables come later). */
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

/* The nine uniform configs (fewer if the packing rejects some). This is
 * cheap for every bundled network; searches will stream theirs in from
 * worker threads through the same sealed FbPointSets. */
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
        if (bits[w] == 8 && bits[a] == 8)
          memcpy (self->reference, values, sizeof values);
        fb_point_set_append (set, values, series, FB_PLOT_POINT_BASELINE, label,
                             g_steal_pointer (&config));
      }
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

static void
update_summary (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  FbLatencyUnit unit = self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS;
  double values[FB_PLOT_N_METRICS];
  g_autofree char *name = NULL;
  g_autofree char *subtitle = NULL;
  gboolean baseline;
  FbMetrics m;
  guint pins;

  if (config == NULL || !compute_values (self, config, values, &m))
    return;
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

  for (guint i = 0; i < G_N_ELEMENTS (summary_metrics); i++)
    {
      FbPlotMetric metric = summary_metrics[i];
      g_autofree char *value = fb_plot_metric_format (metric, unit, values[metric]);
      g_autofree char *note = NULL;
      int better = 0;

      gtk_label_set_text (self->value_labels[metric], value);
      if (metric == FB_PLOT_METRIC_LATENCY && isnan (values[metric]))
        {
          g_autofree char *msg = g_strdup_printf (_("no latency table for %s loaded"), DEFAULT_TARGET);
          set_note (self->note_labels[metric], self->latency ? _("the latency table lacks entries") : msg, 0);
          continue;
        }
      if (metric == FB_PLOT_METRIC_ACCURACY)
        {
          set_note (self->note_labels[metric], _("needs the accuracy engine"), 0);
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
                                  fb_latency_method_to_string (fb_latency_table_get_method (self->latency)));
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
        fb_latency_method_to_string (fb_latency_table_get_method (self->latency)),
        fb_latency_unit_to_string (fb_latency_table_get_unit (self->latency)), clock);
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
      if (has_acc)
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
  self->updating_combos = TRUE;
  fb_pareto_plot_set_axes (self->plot, x, y);
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
}

/* ---- loading -------------------------------------------------------------- */

static void
refresh_points (FbWindow *self, gboolean keep_axes)
{
  g_clear_pointer (&self->points, fb_point_set_unref);
  self->points = build_uniform_points (self);
  fb_pareto_plot_set_points (self->plot, self->points);
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
  update_summary (self);
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
  /* A new target moves every latency: rebuild the baselines; switch the
   * axes to latency when it just became available. */
  refresh_points (self, FALSE);
  update_titles (self);
  update_summary (self);
}

static void
set_network (FbWindow *self, FbNetwork *network)
{
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  g_autofree char *name = NULL;
  g_autofree char *table_path = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(GError) error = NULL;

  fb_network_ref (network);
  g_clear_pointer (&self->network, fb_network_unref);
  self->network = network;
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  fb_layer_table_set_latency_table (self->layer_table, NULL);

  /* The default target's table, when one has been measured and bundled. */
  name = g_strdup_printf ("latency/%s-%s.json", fb_network_get_name (network), DEFAULT_TARGET);
  table_path = find_data_file (name);
  if (table_path != NULL)
    {
      table = fb_latency_table_load (table_path, &error);
      if (table != NULL && !fb_latency_table_check_network (table, network, &error))
        {
          fb_error_prefix_file (&error, table_path);
          g_clear_pointer (&table, fb_latency_table_unref);
        }
      if (error != NULL)
        report_gerror (self, error);
    }

  w8a8 = fb_precision_config_new (network);
  fb_layer_table_set_config (self->layer_table, w8a8);
  set_latency_table (self, table);
  set_config (self, w8a8, NULL, NULL);
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
                     "freebits-config/1 or freebits-latency/1)"), path);
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
                 "freebits-config/1 or freebits-latency/1)"), path, tag);
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
  set_latency_table (self, table);
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
  static const FileKind order[] = { KIND_NETWORK, KIND_LATENCY, KIND_CONFIG };
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
      if (kinds[i] == KIND_CANDIDATES)
        g_set_error (&error, FB_ERROR, FB_ERROR_FORMAT,
                     _("%s: candidate lists (freebits-candidates/1) cannot be opened by this version yet"),
                     path);
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
          case KIND_UNKNOWN:
          case KIND_CANDIDATES:
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
    gtk_file_chooser_native_new (_("Open Network, Config or Latency Table"), GTK_WINDOW (self),
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

static void
on_save_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !fb_window_save_config (self, path, &error))
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
      if (path != NULL && !fb_pareto_plot_export (self->plot, path, format, &error))
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
                               fb_plot_metric_to_nick (fb_pareto_plot_get_y_metric (self->plot)),
                               fb_plot_metric_to_nick (fb_pareto_plot_get_x_metric (self->plot)));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_reset_view (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  fb_pareto_plot_reset_view (self->plot);
}

static const GActionEntry win_actions[] = {
  { "open", action_open, NULL, NULL, NULL, { 0 } },
  { "save-config", action_save_config, NULL, NULL, NULL, { 0 } },
  { "export-plot", action_export_plot, NULL, NULL, NULL, { 0 } },
  { "reset-view", action_reset_view, NULL, NULL, NULL, { 0 } },
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
fb_window_dispose (GObject *object)
{
  FbWindow *self = FB_WINDOW (object);

  /* Closing the window stops whatever it started. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
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
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_config_changed);
}

static void
fb_window_init (FbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);

  build_metrics_grid (self);
  build_recent_menu (self);

  g_object_bind_property (self->log_x_toggle, "active", self->plot, "log-x",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->log_y_toggle, "active", self->plot, "log-y",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self->x_combo, "changed", G_CALLBACK (on_axis_changed), self);
  g_signal_connect (self->y_combo, "changed", G_CALLBACK (on_axis_changed), self);

  /* Drop network, config and latency files anywhere on the window. */
  gtk_drag_dest_set (GTK_WIDGET (self), GTK_DEST_DEFAULT_ALL, NULL, 0, GDK_ACTION_COPY);
  gtk_drag_dest_add_uri_targets (GTK_WIDGET (self));
  g_signal_connect (self, "drag-data-received", G_CALLBACK (on_drag_data_received), self);

  load_bundled (self);
  /* Start on the plot, not on a table row (which would show as selected). */
  gtk_widget_grab_focus (GTK_WIDGET (self->plot));
}

FbWindow *
fb_window_new (FbApplication *application)
{
  return g_object_new (FB_TYPE_WINDOW, "application", application, NULL);
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

const char *
fb_window_get_info_message (FbWindow *self)
{
  if (!gtk_info_bar_get_revealed (self->info_bar))
    return NULL;
  return gtk_label_get_text (self->info_label);
}

/* fb-window-summary.c — the window's summary (metrics of the table's config against w8a8) and titles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-bundle-job.h"
#include "fb-compare-panel.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-file-kind.h"
#include "fb-free-bits-change.h"
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

/* ---- the Free Bits change log ----------------------------------------------- */

/* Exact, digits grouped: "12 034 instructions" (µs keep their decimals). */
static char *
exact_latency (double value, FbLatencyUnit unit)
{
  g_autofree char *count = NULL;

  if (isnan (value) || unit == FB_LATENCY_UNIT_US || value < 0)
    return fb_ui_format_latency (value, unit);
  count = fb_ui_format_count ((guint64) llround (value));
  return g_strdup_printf ("%s %s", count, fb_ui_latency_unit_name (unit));
}

char *
fb_window_format_changes (FbWindow *self, GPtrArray *changes)
{
  FbLatencyUnit unit = self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS;
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < changes->len; i++)
    {
      const FbFreeBitsChange *c = g_ptr_array_index (changes, i);
      const char *name = c->is_weight ? fb_network_get_layer (self->network, c->index)->name
                                      : fb_network_get_tensor (self->network, c->index)->name;
      g_autofree char *before = exact_latency (c->latency_before, unit);
      g_autofree char *after = exact_latency (c->latency_after, unit);
      g_autofree char *line = NULL;

      line = c->is_weight
        /* TRANSLATORS: a Free Bits change: layer, old and new bits, latency of the layers it touches */
        ? g_strdup_printf (_("%s weights %u → %u bit: latency %s → %s"), name, c->old_bits, c->new_bits, before, after)
        /* TRANSLATORS: a Free Bits change of an activation tensor */
        : g_strdup_printf (_("%s activations %u → %u bit: latency %s → %s"), name, c->old_bits, c->new_bits,
                           before, after);
      if (i > 0)
        g_string_append_c (s, '\n');
      g_string_append (s, line);
      if (!isnan (c->accuracy_before) && !isnan (c->accuracy_after))
        /* TRANSLATORS: the lowering step's accuracy before and after a change */
        g_string_append_printf (s, _(", accuracy %.2f %% → %.2f %%"), 100 * c->accuracy_before,
                                100 * c->accuracy_after);
      if (!c->applied)
        g_string_append (s, _(" (not applied: it cost too much accuracy)"));
      else if (c->new_bits > c->old_bits && c->latency_after <= c->latency_before)
        g_string_append (s, _(" (free)"));
    }
  return g_string_free (s, FALSE);
}

/* Shown while the table holds the result the log belongs to. */
void
fb_window_update_changes (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  gboolean show = self->free_bits_changes != NULL && self->free_bits_result != NULL && config != NULL &&
                  !self->edited && fb_precision_config_equal (config, self->free_bits_result);

  if (show)
    {
      g_autofree char *text = fb_window_format_changes (self, self->free_bits_changes);
      g_autofree char *title = g_strdup_printf (ngettext ("Free Bits change log (%u change)",
                                                          "Free Bits change log (%u changes)",
                                                          self->free_bits_changes->len),
                                                self->free_bits_changes->len);

      gtk_expander_set_label (self->changes_expander, title);
      gtk_label_set_text (self->changes_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->changes_expander), show);
}


/* ---- summary -------------------------------------------------------------- */

char *
fb_window_current_config_name (FbWindow *self, gboolean *is_baseline)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  int idx = self->points ? fb_point_set_find_config (self->points, config) : -1;

  /* Only the uniform series is a baseline; a search result is a point too. */
  *is_baseline = idx >= 0 && (fb_point_set_get_point (self->points, idx)->flags & FB_PLOT_POINT_BASELINE);
  if (idx >= 0 && fb_point_set_get_point (self->points, idx)->label != NULL)
    return g_strdup (fb_point_set_get_point (self->points, idx)->label);
  /* The origin stays the file's or point's name; edits are a state of their own. */
  if (self->config_origin != NULL && self->edited)
    return g_strconcat (self->config_origin, _(" (edited)"), NULL);
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
char *
fb_window_diff_problem (FbWindow *self)
{
  if (fb_window_engine_usable (self) && fb_accuracy_engine_get_weights (self->engine) != NULL &&
      fb_accuracy_engine_get_train_set (self->engine) != NULL)
    return NULL;
  if (self->engine_loading != NULL)
    return g_strdup (_("Loading the trained weights and training images…"));
  /* TRANSLATORS: %s says what is missing, e.g. "no trained weights for this network" */
  return g_strdup_printf (_("Needs the network's trained weights and the Fashion-MNIST training images: %s."),
                          self->engine_problem != NULL ? self->engine_problem
                          : fb_window_get_accuracy_enabled () ? _("the accuracy engine is not ready")
                          : _("the accuracy engine is off"));
}

/* The accuracy of @config: the engine's measurement (at the summary's number
 * of images; *@measured_on images), else what a search result carries.
 * *@measuring: the engine is on it. */
static void
lookup_accuracy (FbWindow *self, FbPrecisionConfig *config, double *accuracy, guint *measured_on,
                 gboolean *measuring)
{
  int idx;

  if (fb_window_engine_usable (self))
    {
      guint limit = fb_window_summary_limit (self);

      if (fb_accuracy_engine_lookup (self->engine, config, limit, accuracy))
        *measured_on = fb_window_limit_images (self, limit);
      else
        *measuring = fb_accuracy_engine_is_pending (self->engine, config, limit);
    }
  /* Accuracy is known only for results that carry it (an oracle measured it). */
  if (!isnan (*accuracy))
    return;
  idx = self->points ? fb_point_set_find_config (self->points, config) : -1;
  for (guint i = MAX (idx, 0); idx >= 0 && i < fb_point_set_get_n_points (self->points); i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->points, i);
      if (!isnan (p->values[FB_PLOT_METRIC_ACCURACY]) && p->config != NULL &&
          fb_precision_config_equal (p->config, config))
        {
          *accuracy = p->values[FB_PLOT_METRIC_ACCURACY];
          return;
        }
    }
}

/* Where the table's config came from, for the subtitle: what the caller of
 * fb_window_set_config_from() said, else the plot's series of an equal
 * point (a search result is named by its method, never "uniform"). */
static char *
config_kind (FbWindow *self, gboolean baseline)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  int idx = self->points ? fb_point_set_find_config (self->points, config) : -1;

  if (baseline)
    return g_strdup (_("uniform baseline"));
  if (self->edited)
    return g_strdup (_("edited in the table"));
  if (self->config_source != NULL)
    return g_strdup (self->config_source);
  if (idx >= 0)
    /* TRANSLATORS: %s is a search method ("Pareto DP", "Free Bits") or a candidates file */
    return g_strdup_printf (_("result of %s"),
                            fb_point_set_get_series_name (self->points, fb_point_set_get_point (self->points, idx)->series));
  if (self->config_origin == NULL)
    return g_strdup (_("edited in the table"));
  return g_strdup (_("loaded from a file"));
}

/* Title and subtitle: the config's name, where it comes from, its pins.
 * Returns the name. */
static char *
update_config_title (FbWindow *self, FbPrecisionConfig *config)
{
  gboolean baseline;
  char *name = fb_window_current_config_name (self, &baseline);
  guint pins = count_pins (config);
  g_autofree char *kind = config_kind (self, baseline);
  const char *searched_for = self->config_provenance != NULL
    ? json_object_get_string_member_with_default (self->config_provenance, "target", NULL) : NULL;
  /* A search's result was best for its target, not necessarily for this one. */
  /* (A plotted result's series name says so already: "Pareto DP (gap8, stale)".) */
  if (!baseline && searched_for != NULL && self->latency != NULL &&
      g_strcmp0 (searched_for, fb_latency_table_get_target (self->latency)) != 0 &&
      strstr (kind, searched_for) == NULL)
    {
      /* TRANSLATORS: "result of Pareto DP · stale, searched for rv32imc" (another target than the one shown) */
      char *stale = g_strdup_printf (_("%s · stale, searched for %s"), kind, searched_for);
      g_free (kind);
      kind = stale;
    }
  g_autofree char *subtitle = pins > 0
    ? g_strdup_printf (ngettext ("%s · %u pinned entry", "%s · %u pinned entries", pins), kind, pins)
    : g_strdup (kind);

  gtk_label_set_text (self->config_title_label, name);
  gtk_label_set_text (self->config_subtitle_label, subtitle);
  fb_search_panel_set_n_pins (self->search_panel, pins);
  return name;
}

/* The accuracy's note: against w8a8 when both are measured, else where the
 * number stands. *@change: better (1), worse (-1) or neither. */
static char *
accuracy_note (FbWindow *self, FbPrecisionConfig *config, double accuracy, guint measured_on, gboolean measuring,
               int *change)
{
  *change = 0;
  if (measured_on > 0)
    {
      double ref = NAN;
      g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new (self->network);

      fb_accuracy_engine_lookup (self->engine, w8a8, fb_window_summary_limit (self), &ref);
      if (!isnan (ref) && !fb_precision_config_equal (w8a8, config))
        {
          /* Points, not percent: "−1.2 pt vs w8a8". */
          double d = 100 * (accuracy - ref);
          *change = d > 0.05 ? 1 : d < -0.05 ? -1 : 0;
          /* TRANSLATORS: accuracy change in percentage points, then the images measured */
          return g_strdup_printf (ngettext ("%+.1f pt vs w8a8 · integer, on %u test image",
                                            "%+.1f pt vs w8a8 · integer, on %u test images", measured_on),
                                  d, measured_on);
        }
      if (self->dataset_path != NULL)
        return g_strdup_printf (ngettext ("integer arithmetic, on %u test image",
                                          "integer arithmetic, on %u test images", measured_on),
                                measured_on);
      return g_strdup_printf (ngettext ("integer arithmetic, on %u Fashion-MNIST test image",
                                        "integer arithmetic, on %u Fashion-MNIST test images", measured_on),
                              measured_on);
    }
  if (measuring)
    {
      guint n = fb_window_limit_images (self, fb_window_summary_limit (self));
      return g_strdup_printf (ngettext ("in the background, on %u test image",
                                        "in the background, on %u test images", n), n);
    }
  if (!isnan (accuracy))
    return g_strdup (_("measured during the search"));
  if (fb_window_engine_usable (self))
    return g_strdup (_("not measured yet"));
  if (self->engine_loading != NULL)
    return g_strdup (_("loading the trained weights and test images…"));
  if (self->engine_problem != NULL)
    return g_strdup (self->engine_problem);
  return g_strdup (_("needs the accuracy engine"));
}

/* Size, RAM, BOPs and latency against w8a8. *@better as for accuracy_note(). */
static char *
metric_note (FbWindow *self, FbPlotMetric metric, double value, const FbMetrics *m, int *better)
{
  g_autofree char *change = fb_ui_format_change (value, self->reference[metric]);

  *better = 0;
  if (value < self->reference[metric] * 0.9995)
    *better = 1;
  else if (value > self->reference[metric] * 1.0005)
    *better = -1;
  if (metric == FB_PLOT_METRIC_SIZE || metric == FB_PLOT_METRIC_PEAK_RAM)
    {
      g_autofree char *exact = fb_ui_format_count ((guint64) value);
      if (metric == FB_PLOT_METRIC_PEAK_RAM)
        {
          g_autofree char *arena = fb_ui_format_count (m->arena_bytes);
          g_autofree char *scratch = fb_ui_format_count (m->kernel_scratch_bytes);
          /* TRANSLATORS: the bundle's RAM: change, bytes, then its two parts */
          return g_strdup_printf (_("%s vs w8a8 · %s B: activations %s B + kernel scratch %s B"), change, exact,
                                  arena, scratch);
        }
      return g_strdup_printf (_("%s vs w8a8 · %s B"), change, exact);
    }
  if (metric == FB_PLOT_METRIC_LATENCY)
    return g_strdup_printf (_("%s vs w8a8 · %s, %s"), change, fb_latency_table_get_target (self->latency),
                            fb_ui_latency_method_name (fb_latency_table_get_method (self->latency)));
  return g_strdup_printf (_("%s vs w8a8"), change);
}

void
fb_window_update_summary (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  FbLatencyUnit unit = self->latency ? fb_latency_table_get_unit (self->latency) : FB_LATENCY_UNIT_INSTRUCTIONS;
  double values[FB_PLOT_N_METRICS];
  g_autofree char *name = NULL;
  g_autofree char *problem = fb_window_diff_problem (self);
  g_autofree char *precision = NULL;
  gboolean measuring = FALSE;
  guint measured_on = 0;
  FbMetrics m;

  /* Every change of the engine's state ends here. */
  fb_search_panel_set_diff_problem (self->search_panel, problem);
  if (config == NULL || !fb_window_compute_values (self, config, values, &m))
    return;
  lookup_accuracy (self, config, &values[FB_PLOT_METRIC_ACCURACY], &measured_on, &measuring);
  name = update_config_title (self, config);
  fb_window_update_changes (self);
  /* A user's data set is not Fashion-MNIST: the tooltip says what "all" is. */
  if (self->full_test_check != NULL && self->dataset_path != NULL)
    {
      FbDataset *test = fb_window_engine_usable (self) ? fb_accuracy_engine_get_test_set (self->engine) : NULL;
      g_autofree char *tip = test != NULL
        /* TRANSLATORS: tooltip; %u is the number of test images of the user's data set */
        ? g_strdup_printf (_("Measure the accuracy of this config on the data set's whole test part (%u images) "
                             "instead of the first %u"), fb_dataset_get_n_images (test),
                           fb_window_default_limit (self))
        : g_strdup (_("Measure the accuracy of this config on the data set's whole test part"));
      gtk_widget_set_tooltip_text (self->full_test_check, tip);
    }
  else if (self->full_test_check != NULL)
    gtk_widget_set_tooltip_text (self->full_test_check, _("Measure the accuracy of this config on the whole "
                                                          "Fashion-MNIST test set (10 000 images) instead of the first 1000"));

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
      if (metric == FB_PLOT_METRIC_PEAK_RAM && isnan (values[metric]))
        {
          set_note (self->note_labels[metric], _("no bundle: the config cannot be lowered to kernel calls"), 0);
          continue;
        }
      if (metric == FB_PLOT_METRIC_LATENCY && isnan (values[metric]))
        {
          g_autofree char *msg = g_strdup_printf (_("no latency table for %s loaded"), DEFAULT_TARGET);
          set_note (self->note_labels[metric], self->latency ? _("the latency table lacks entries") : msg, 0);
          continue;
        }
      if (metric == FB_PLOT_METRIC_ACCURACY)
        {
          note = accuracy_note (self, config, values[metric], measured_on, measuring, &better);
          /* Which data the accuracy is on, when it is the user's. */
          if (self->dataset_summary != NULL)
            {
              char *with = g_strconcat (note, "\n", self->dataset_summary, NULL);
              g_free (note);
              note = with;
            }
        }
      else
        note = metric_note (self, metric, values[metric], &m, &better);
      set_note (self->note_labels[metric], note, better);
    }
  precision = precision_text (config);
  gtk_label_set_text (self->precision_label, precision);
  fb_pareto_plot_set_current (self->plot, values, name);
}

void
fb_window_update_titles (FbWindow *self)
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

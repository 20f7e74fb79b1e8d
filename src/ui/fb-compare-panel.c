/* fb-compare-panel.c — the Compare page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fb-compare-panel.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-ui-format.h"

/* Series of the plot, in legend order; only those with points are added. */
enum {
  SERIES_UNIFORM,
  SERIES_RANDOM,
  SERIES_BOPS,
  SERIES_FREE_BITS,       /* of the current target */
  SERIES_LATENCY_FRONT,   /* of the current target */
  SERIES_OTHER_TARGETS,   /* Free Bits and fronts of the other targets */
  N_SERIES
};

struct _FbComparePanel {
  GtkBox            parent_instance;

  /* Template children. */
  GtkComboBoxText  *x_combo;
  GtkToggleButton  *log_x_toggle;
  GtkToggleButton  *log_y_toggle;
  GtkSpinButton    *samples_spin;
  GtkStack         *run_stack;
  GtkWidget        *run_button;
  GtkWidget        *cancel_button;
  GtkProgressBar   *progress_bar;
  GtkLabel         *status_label;
  GtkPaned         *paned;
  FbParetoPlot     *plot;
  GtkLabel         *rho_caption_label;
  GtkLabel         *rho_label;
  GtkLabel         *rho_size_label;
  GtkLabel         *rho_random_label;
  GtkLabel         *matched_label;
  GtkTreeView      *rows_view;

  GtkListStore     *rows;
  FbNetwork        *network;
  char             *target;
  FbLatencyUnit     target_unit;
  FbCompareJob     *job;
  JsonNode         *result;
  GPtrArray        *configs;    /* FbPrecisionConfig or NULL, per entry of result's "configs" */
  FbPointSet       *points;     /* point i = entry i */
  guint             orient_idle;      /* pending switch of the paned's orientation */
  gint64            accuracy_start;  /* when the run's accuracy stage reported accuracy_first */
  guint             accuracy_first;
};

enum {
  SIGNAL_RUN,
  SIGNAL_CONFIG_SELECTED,
  SIGNAL_FAILED,
  SIGNAL_POINTS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbComparePanel, fb_compare_panel, GTK_TYPE_BOX)

char *
fb_compare_format_rho (double rho)
{
  if (isnan (rho))
    return g_strdup ("—");
  /* A real minus sign, as everywhere else in the window. */
  if (rho < 0)
    return g_strdup_printf ("−%.3f", -rho);
  return g_strdup_printf ("%.3f", rho);
}

static double
member_double (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n) || !JSON_NODE_HOLDS_VALUE (n))
    return NAN;
  return json_node_get_double (n);
}

static JsonArray *
result_configs (FbComparePanel *self)
{
  JsonObject *root = self->result ? json_node_get_object (self->result) : NULL;

  return root && json_object_has_member (root, "configs") ? json_object_get_array_member (root, "configs") : NULL;
}

/* The result's object for the current target, or NULL. */
static JsonObject *
target_object (FbComparePanel *self)
{
  JsonObject *root = self->result ? json_node_get_object (self->result) : NULL;
  JsonArray *targets;

  if (root == NULL || self->target == NULL || !json_object_has_member (root, "targets"))
    return NULL;
  targets = json_object_get_array_member (root, "targets");
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *t = json_array_get_object_element (targets, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (t, "target", NULL), self->target) == 0)
        return t;
    }
  return NULL;
}

/* The result's unit for the target, else the loaded table's (the empty
 * page's axis says cycles for gap8, not instructions). */
static FbLatencyUnit
target_unit (FbComparePanel *self, JsonObject *t)
{
  FbLatencyUnit unit = self->target_unit;

  if (t != NULL)
    fb_latency_unit_from_string (json_object_get_string_member_with_default (t, "unit", ""), &unit);
  return unit;
}

static guint
series_of (FbComparePanel *self, const char *source)
{
  const char *colon = strchr (source, ':');

  if (g_str_equal (source, "uniform"))
    return SERIES_UNIFORM;
  if (g_str_equal (source, "random"))
    return SERIES_RANDOM;
  if (g_str_equal (source, "bops"))
    return SERIES_BOPS;
  if (colon != NULL && g_strcmp0 (colon + 1, self->target) == 0)
    return g_str_has_prefix (source, "free-bits:") ? SERIES_FREE_BITS : SERIES_LATENCY_FRONT;
  return SERIES_OTHER_TARGETS;
}

static char *
series_name (FbComparePanel *self, guint series)
{
  switch (series)
    {
    case SERIES_UNIFORM:       return g_strdup (_("Uniform"));
    case SERIES_RANDOM:        return g_strdup (_("Random"));
    case SERIES_BOPS:          return g_strdup (_("BOPs front"));
    /* The target's own searches; its name is on the latency axis. */
    case SERIES_FREE_BITS:     return g_strdup (_("Free Bits"));
    case SERIES_LATENCY_FRONT: return g_strdup (_("Latency front"));
    default:                   return g_strdup (_("Other targets"));
    }
}

/* The point set of the result for the current target: one point per config,
 * in the result's order. */
static FbPointSet *
build_points (FbComparePanel *self)
{
  JsonArray *configs = result_configs (self);
  JsonObject *t = target_object (self);
  FbPointSet *set = fb_point_set_new ();
  guint n = configs ? json_array_get_length (configs) : 0;
  guint count[N_SERIES] = { 0 }, index[N_SERIES] = { 0 };

  fb_point_set_set_latency_unit (set, target_unit (self, t), self->target);
  for (guint i = 0; i < n; i++)
    count[series_of (self, json_object_get_string_member_with_default (
                             json_array_get_object_element (configs, i), "source", ""))]++;
  for (guint s = 0; s < N_SERIES; s++)
    if (count[s] > 0)
      {
        g_autofree char *name = series_name (self, s);
        index[s] = fb_point_set_add_series (set, name);
      }
  for (guint i = 0; i < n; i++)
    {
      JsonObject *e = json_array_get_object_element (configs, i);
      JsonObject *lat = json_object_get_object_member (e, "latency");
      const char *source = json_object_get_string_member_with_default (e, "source", "");
      FbPrecisionConfig *config = i < self->configs->len ? g_ptr_array_index (self->configs, i) : NULL;
      double v[FB_PLOT_N_METRICS];
      guint s = series_of (self, source);

      for (guint m = 0; m < FB_PLOT_N_METRICS; m++)
        v[m] = NAN;
      v[FB_PLOT_METRIC_SIZE] = member_double (e, "size_bytes");
      v[FB_PLOT_METRIC_BOPS] = member_double (e, "bops");
      v[FB_PLOT_METRIC_ACCURACY] = member_double (e, "accuracy");
      if (self->target != NULL)
        v[FB_PLOT_METRIC_LATENCY] = member_double (lat, self->target);
      fb_point_set_append (set, v, index[s], s == SERIES_UNIFORM ? FB_PLOT_POINT_BASELINE : 0,
                           json_object_get_string_member_with_default (e, "label", NULL),
                           config ? fb_precision_config_copy (config) : NULL);
    }
  fb_point_set_seal (set);
  return set;
}

/* Index in "configs" of a row's config (by label and source), or -1. */
static int
find_entry (FbComparePanel *self, JsonObject *row_config)
{
  JsonArray *configs = result_configs (self);
  const char *label, *source;

  if (configs == NULL || row_config == NULL)
    return -1;
  label = json_object_get_string_member_with_default (row_config, "label", "");
  source = json_object_get_string_member_with_default (row_config, "source", "");
  for (guint i = 0; i < json_array_get_length (configs); i++)
    {
      JsonObject *e = json_array_get_object_element (configs, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (e, "label", NULL), label) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "source", NULL), source) == 0)
        return (int) i;
    }
  return -1;
}

/* The accuracy of the w8a8 baseline, the reference of the levels. */
static double
w8a8_accuracy (FbComparePanel *self)
{
  JsonArray *configs = result_configs (self);

  for (guint i = 0; configs != NULL && i < json_array_get_length (configs); i++)
    {
      JsonObject *e = json_array_get_object_element (configs, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (e, "source", NULL), "uniform") == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "label", NULL), "w8a8") == 0)
        return member_double (e, "accuracy");
    }
  return NAN;
}

static char *
config_markup (JsonObject *c, FbLatencyUnit unit)
{
  g_autofree char *lat = fb_ui_format_latency (member_double (c, "latency"), unit);
  g_autofree char *label = g_markup_escape_text (json_object_get_string_member_with_default (c, "label", ""), -1);

  return g_strdup_printf ("<b>%s</b>\n<small>%s</small>", lat, label);
}

static char *
config_tooltip_line (JsonObject *c, FbLatencyUnit unit)
{
  g_autofree char *lat = fb_ui_format_latency (member_double (c, "latency"), unit);
  g_autofree char *bops = fb_ui_format_si (member_double (c, "bops"));
  g_autofree char *size = fb_ui_format_bytes (member_double (c, "size_bytes"));
  g_autofree char *label = g_markup_escape_text (json_object_get_string_member_with_default (c, "label", ""), -1);
  double acc = member_double (c, "accuracy");
  g_autofree char *accuracy = isnan (acc) ? g_strdup ("—") : g_strdup_printf ("%.1f %%", 100 * acc);

  /* TRANSLATORS: a config in the comparison table's tooltip: label, latency, BOPs, Flash, accuracy */
  return g_strdup_printf (_("%s: %s, %s BOPs, %s Flash, accuracy %s"), label, lat, bops, size, accuracy);
}

static void
update_rows (FbComparePanel *self)
{
  JsonObject *root = self->result ? json_node_get_object (self->result) : NULL;
  JsonObject *t = target_object (self);
  FbLatencyUnit unit = target_unit (self, t);
  const char *matched = t ? json_object_get_string_member_with_default (t, "matched_by", "") : "";
  gboolean by_size = g_str_equal (matched, "size");
  double ref = w8a8_accuracy (self);
  JsonArray *rows = t && json_object_has_member (t, "rows") ? json_object_get_array_member (t, "rows") : NULL;

  gtk_list_store_clear (self->rows);
  if (t == NULL)
    {
      gtk_label_set_text (self->matched_label, "");
      return;
    }
  /* The pool of a running comparison: plot and ρ are final, the levels
   * need every accuracy. */
  if (g_strcmp0 (json_object_get_string_member_with_default (root, "accuracy", ""), "pending") == 0)
    {
      gtk_label_set_text (self->matched_label,
                          _("The configs are found; the table follows once their accuracy is measured."));
      return;
    }
  if (by_size)
    gtk_label_set_text (self->matched_label,
                        _("No accuracy was measured, so Flash size stands in for it: more weight bits, more "
                          "capacity (blind to activation bits). At each level, the config with the fewest BOPs "
                          "against the fastest one:"));
  else if (g_str_equal (matched, "accuracy"))
    {
      g_autofree char *text = g_strdup_printf (
        ngettext ("At matched measured accuracy (%u test image), the config with the fewest BOPs against "
                  "the fastest one:",
                  "At matched measured accuracy (%u test images), the config with the fewest BOPs against "
                  "the fastest one:", (gulong) json_object_get_int_member_with_default (root, "accuracy_limit", 0)),
        (guint) json_object_get_int_member_with_default (root, "accuracy_limit", 0));
      gtk_label_set_text (self->matched_label, text);
    }
  else
    gtk_label_set_text (self->matched_label,
                        _("At matched estimated accuracy (the sensitivity proxy), the config with the fewest "
                          "BOPs against the fastest one:"));

  for (guint k = 0; rows != NULL && k < json_array_get_length (rows); k++)
    {
      JsonObject *r = json_array_get_object_element (rows, k);
      double th = member_double (r, "threshold");
      JsonObject *b = json_object_has_member (r, "bops_optimal") ? json_object_get_object_member (r, "bops_optimal") : NULL;
      JsonObject *l = json_object_has_member (r, "latency_optimal") ? json_object_get_object_member (r, "latency_optimal") : NULL;
      double ratio = member_double (r, "latency_ratio");
      g_autofree char *level = NULL, *n_ok = NULL, *bm = NULL, *lm = NULL, *ratio_text = NULL, *tip = NULL;
      g_autofree char *level_markup = NULL, *level_escaped = NULL, *count = NULL;
      guint n_eligible = (guint) json_object_get_int_member_with_default (r, "n_eligible", 0);
      GtkTreeIter iter;

      if (by_size)
        {
          g_autofree char *size = fb_ui_format_bytes (th);
          /* TRANSLATORS: a level of the comparison table, e.g. "Flash ≥ 45.2 kB" */
          level = g_strdup_printf (_("Flash ≥ %s"), size);
        }
      else
        /* TRANSLATORS: a level of the comparison table: accuracy at least w8a8's minus 0.5 percentage points */
        level = g_strdup_printf (_("≥ w8a8 − %.1f pt"), 100 * (ref - th));
      n_ok = g_strdup_printf ("%u", n_eligible);
      /* TRANSLATORS: how many configs reach a level of the comparison table */
      count = g_strdup_printf (ngettext ("%u config", "%u configs", n_eligible), n_eligible);
      level_escaped = g_markup_escape_text (level, -1);
      level_markup = g_strdup_printf ("%s\n<small>%s</small>", level_escaped, count);
      bm = b ? config_markup (b, unit) : g_strdup ("—");
      lm = l ? config_markup (l, unit) : g_strdup ("—");
      ratio_text = isnan (ratio) ? g_strdup ("—") : g_strdup_printf ("%.2f×", ratio);
      if (b != NULL && l != NULL)
        {
          g_autofree char *bl = config_tooltip_line (b, unit), *ll = config_tooltip_line (l, unit);
          /* TRANSLATORS: tooltip of a comparison row; the %s are lines describing configs */
          tip = g_strdup_printf (_("BOPs-optimal: %s\nLatency-optimal: %s\nDouble-click a config to edit it in the "
                                   "layer table."), bl, ll);
        }
      gtk_list_store_insert_with_values (self->rows, &iter, -1,
                                         FB_COMPARE_COLUMN_LEVEL, level,
                                         FB_COMPARE_COLUMN_LEVEL_MARKUP, level_markup,
                                         FB_COMPARE_COLUMN_N_ELIGIBLE, n_ok,
                                         FB_COMPARE_COLUMN_BOPS_OPTIMAL, bm,
                                         FB_COMPARE_COLUMN_LATENCY_OPTIMAL, lm,
                                         FB_COMPARE_COLUMN_RATIO, ratio_text,
                                         FB_COMPARE_COLUMN_RATIO_VALUE, ratio,
                                         FB_COMPARE_COLUMN_TOOLTIP, tip,
                                         FB_COMPARE_COLUMN_BOPS_INDEX, find_entry (self, b),
                                         FB_COMPARE_COLUMN_LATENCY_INDEX, find_entry (self, l),
                                         -1);
    }
}

static void
update_rho (FbComparePanel *self)
{
  JsonObject *t = target_object (self);
  JsonObject *random = t && json_object_has_member (t, "random_only") ? json_object_get_object_member (t, "random_only") : NULL;
  g_autofree char *caption = NULL, *rho = NULL, *size = NULL, *size_text = NULL;
  g_autofree char *rb = NULL, *rs = NULL, *random_text = NULL;

  if (t == NULL)
    {
      gtk_label_set_text (self->rho_caption_label,
                          self->result == NULL ? _("Spearman ρ of BOPs and latency: run Compare to compute it.")
                                               : _("This target was not part of the comparison: run it again."));
      gtk_label_set_text (self->rho_label, "—");
      gtk_label_set_text (self->rho_size_label, "");
      gtk_label_set_text (self->rho_random_label, "");
      return;
    }
  /* TRANSLATORS: %s is a target, e.g. "rv32imc" */
  caption = g_strdup_printf (_("Spearman ρ, BOPs ↔ latency on %s"), self->target);
  gtk_label_set_text (self->rho_caption_label, caption);
  rho = fb_compare_format_rho (member_double (t, "spearman_bops_latency"));
  gtk_label_set_text (self->rho_label, rho);
  size = fb_compare_format_rho (member_double (t, "spearman_size_latency"));
  size_text = g_strdup_printf (_("Flash ↔ latency: ρ = %s"), size);
  gtk_label_set_text (self->rho_size_label, size_text);
  rb = fb_compare_format_rho (member_double (random, "spearman_bops_latency"));
  rs = fb_compare_format_rho (member_double (random, "spearman_size_latency"));
  {
    guint n = (guint) json_object_get_int_member_with_default (random, "n", 0);
    random_text = g_strdup_printf (ngettext ("Random config only (n = %u): BOPs ρ = %s, Flash ρ = %s. "
                                             "ρ = 1: the proxy ranks configs exactly as the table does.",
                                             "Random configs only (n = %u): BOPs ρ = %s, Flash ρ = %s. "
                                             "ρ = 1: the proxy ranks configs exactly as the table does.", n),
                                   n, rb, rs);
  }
  gtk_label_set_text (self->rho_random_label, random_text);
}

static void
update_view (FbComparePanel *self)
{
  /* The old set stays alive until the new one replaces it in the plot. */
  FbPointSet *old = g_steal_pointer (&self->points);

  self->points = build_points (self);
  fb_pareto_plot_set_points (self->plot, self->points);
  g_clear_pointer (&old, fb_point_set_unref);
  update_rho (self);
  update_rows (self);
  g_signal_emit (self, signals[SIGNAL_POINTS_CHANGED], 0);
}

/* The configs of the result's entries: their "config" member when the
 * result carries one, else the uniform baselines from their label. */
static void
parse_configs (FbComparePanel *self)
{
  JsonArray *configs = result_configs (self);

  g_ptr_array_set_size (self->configs, 0);
  for (guint i = 0; configs != NULL && i < json_array_get_length (configs); i++)
    {
      JsonObject *e = json_array_get_object_element (configs, i);
      FbPrecisionConfig *c = NULL;

      if (json_object_has_member (e, "config"))
        c = fb_precision_config_new_from_json (self->network, json_object_get_member (e, "config"), "compare", NULL);
      else if (g_strcmp0 (json_object_get_string_member_with_default (e, "source", NULL), "uniform") == 0)
        c = fb_precision_config_new_from_spec (self->network,
                                               json_object_get_string_member_with_default (e, "label", ""), NULL);
      g_ptr_array_add (self->configs, c);
    }
}

/* ---- job ------------------------------------------------------------------ */

static void show_result (FbComparePanel *self, JsonNode *result, gboolean reset_view);

/* fb_compare_run's progress messages, for people. */
static char *
progress_text (const char *message)
{
  guint i, n;

  if (message == NULL)
    return g_strdup ("");
  if (sscanf (message, "accuracy %u/%u", &i, &n) == 2)
    /* TRANSLATORS: progress of the comparison */
    return g_strdup_printf (_("Measuring accuracy: config %u of %u"), i, n);
  if (g_str_equal (message, "random configs"))
    return g_strdup (_("Random configs evaluated"));
  if (g_str_equal (message, "uniform and BOPs-targeted"))
    return g_strdup (_("Uniform baselines and the BOPs-targeted front found"));
  if (g_str_equal (message, "done"))
    return g_strdup (_("Done"));
  /* Otherwise the target whose searches just finished. */
  /* TRANSLATORS: progress of the comparison; %s is a target */
  return g_strdup_printf (_("Free Bits and latency front for %s found"), message);
}

/* Seconds left, from the pace of the accuracy stage (the long one: one
 * oracle evaluation per config; the searches before it take seconds). NAN
 * before two reports of it. */
static double
seconds_left (FbComparePanel *self)
{
  const char *message = fb_compare_job_get_message (self->job);
  gint64 now = g_get_monotonic_time ();
  guint i, n;

  if (message == NULL || sscanf (message, "accuracy %u/%u", &i, &n) != 2)
    return NAN;
  if (self->accuracy_start == 0 || i < self->accuracy_first)
    {
      self->accuracy_start = now;
      self->accuracy_first = i;
      return NAN;
    }
  if (i == self->accuracy_first)
    return NAN;
  /* Configs accuracy_first .. i − 1 are done; i .. n are left. */
  return (now - self->accuracy_start) / 1e6 / (i - self->accuracy_first) * (n - i + 1);
}

static void
update_progress (FbComparePanel *self)
{
  g_autofree char *percent = NULL, *status = NULL, *left = NULL;
  double eta;

  if (self->job == NULL)
    return;
  eta = seconds_left (self);
  left = isnan (eta) || eta < 1 ? NULL : fb_ui_format_duration (eta);
  /* Two stages, each with its own bar: finding the configs (the first half
   * of fb_compare_run's fraction), then measuring their accuracy. */
  {
    const char *message = fb_compare_job_get_message (self->job);
    guint i, n;

    if (message != NULL && sscanf (message, "accuracy %u/%u", &i, &n) == 2 && n > 0)
      {
        percent = left != NULL
          /* TRANSLATORS: progress bar: config 37 of 120 being measured, "about 2 minutes left" */
          ? g_strdup_printf (_("Measuring accuracy %u/%u · about %s left"), i, n, left)
          : g_strdup_printf (_("Measuring accuracy %u/%u"), i, n);
        gtk_progress_bar_set_fraction (self->progress_bar, (double) (i - 1) / n);
      }
    else
      {
        double f = MIN (1.0, fb_compare_job_get_fraction (self->job) / 0.5);

        /* TRANSLATORS: progress bar of the comparison's first stage: "Finding configs · 40 %" */
        percent = g_strdup_printf (_("Finding configs · %u %%"), (guint) floor (100 * f));
        gtk_progress_bar_set_fraction (self->progress_bar, f);
      }
  }
  status = progress_text (fb_compare_job_get_message (self->job));
  gtk_progress_bar_set_text (self->progress_bar, percent);
  gtk_label_set_text (self->status_label, status);
}

static void
on_job_finished (FbCompareJob *job, FbComparePanel *self)
{
  const GError *error = fb_compare_job_get_error (job);

  gtk_stack_set_visible_child_name (self->run_stack, "run");
  gtk_widget_hide (GTK_WIDGET (self->progress_bar));
  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->status_label, self->result != NULL ? _("Cancelled; the last comparison is still shown.")
                                                                     : _("Cancelled"));
      else
        {
          g_autofree char *msg = g_strdup_printf (_("The comparison failed: %s"), error->message);
          gtk_label_set_text (self->status_label, _("Failed."));
          g_signal_emit (self, signals[SIGNAL_FAILED], 0, msg);
        }
      return;
    }
  {
    JsonObject *root = json_node_get_object (fb_compare_job_get_result (job));
    guint n = (guint) json_object_get_int_member_with_default (root, "n_configs", 0);
    g_autofree char *text = g_strdup_printf (ngettext ("%u config compared in %.1f s.",
                                                       "%u configs compared in %.1f s.", n),
                                             n, fb_compare_job_get_elapsed (job));
    gtk_label_set_text (self->status_label, text);
  }
  /* The partial result of this run is shown already: keep the user's zoom. */
  {
    gboolean keep_view = fb_compare_job_get_partial (job) != NULL && self->result == fb_compare_job_get_partial (job);

    show_result (self, fb_compare_job_get_result (job), !keep_view);
  }
}

/* The pool before its accuracy: drawn at once (the accuracy stage can take
 * minutes); the key table waits for the accuracy. */
static void
on_job_partial (FbCompareJob *job, JsonNode *partial, FbComparePanel *self)
{
  show_result (self, partial, TRUE);
}

void
fb_compare_panel_start (FbComparePanel *self, FbNetwork *network, GPtrArray *tables, FbAccuracyOracle *oracle,
                        guint limit, GCancellable *parent)
{
  FbCompareOptions options;

  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  g_return_if_fail (network != NULL && tables != NULL && tables->len > 0);

  fb_compare_panel_cancel (self);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  if (self->network != network)
    fb_compare_panel_set_network (self, network);

  self->accuracy_start = 0;
  fb_compare_options_init (&options);
  options.samples = fb_compare_panel_get_samples (self);
  options.oracle = oracle;
  options.limit = limit;
  self->job = fb_compare_job_new (network, tables, &options);
  g_signal_connect_swapped (self->job, "progress", G_CALLBACK (update_progress), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_job_finished), self);
  g_signal_connect (self->job, "partial", G_CALLBACK (on_job_partial), self);
  gtk_stack_set_visible_child_name (self->run_stack, "cancel");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, "0 %");
  gtk_widget_show (GTK_WIDGET (self->progress_bar));
  gtk_label_set_text (self->status_label, oracle != NULL ? _("Finding configs; their accuracy is measured next…")
                                                         : _("Finding configs…"));
  fb_compare_job_start (self->job, parent);
}

void
fb_compare_panel_set_waiting (FbComparePanel *self)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  gtk_label_set_text (self->status_label, _("Waiting for the accuracy engine to load the weights and test images…"));
}

void
fb_compare_panel_cancel (FbComparePanel *self)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  if (self->job != NULL && fb_compare_job_is_running (self->job))
    fb_compare_job_cancel (self->job);
}

/* ---- signal handlers ------------------------------------------------------ */

static void
on_run_clicked (FbComparePanel *self)
{
  g_signal_emit (self, signals[SIGNAL_RUN], 0);
}

static void
on_cancel_clicked (FbComparePanel *self)
{
  fb_compare_panel_cancel (self);
}

static void
select_entry (FbComparePanel *self, int index)
{
  const FbPlotPoint *p;

  if (self->points == NULL || index < 0 || (guint) index >= fb_point_set_get_n_points (self->points))
    return;
  p = fb_point_set_get_point (self->points, index);
  if (p->config == NULL)
    {
      /* Older results name their configs without their bit-widths. */
      gtk_label_set_text (self->status_label, _("This config's bit-widths are not part of the comparison's result."));
      return;
    }
  g_signal_emit (self, signals[SIGNAL_CONFIG_SELECTED], 0, p->config, p->label);
}

static void
on_point_selected (FbParetoPlot *plot, int index, FbComparePanel *self)
{
  select_entry (self, index);
}

static void
on_row_activated (GtkTreeView *view, GtkTreePath *path, GtkTreeViewColumn *column, FbComparePanel *self)
{
  GtkTreeIter iter;
  int index = -1;
  /* The BOPs-optimal column shows that config; any other the fastest one. */
  gboolean bops = column != NULL && GPOINTER_TO_INT (g_object_get_data (G_OBJECT (column), "fb-bops-column"));

  if (!gtk_tree_model_get_iter (GTK_TREE_MODEL (self->rows), &iter, path))
    return;
  gtk_tree_model_get (GTK_TREE_MODEL (self->rows), &iter,
                      bops ? FB_COMPARE_COLUMN_BOPS_INDEX : FB_COMPARE_COLUMN_LATENCY_INDEX, &index, -1);
  if (index >= 0)
    fb_pareto_plot_select (self->plot, index);
}

static void
on_x_changed (FbComparePanel *self)
{
  FbPlotMetric x = FB_PLOT_METRIC_BOPS;

  fb_plot_metric_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->x_combo)), &x);
  fb_pareto_plot_set_axes (self->plot, x, FB_PLOT_METRIC_LATENCY);
}

/* ---- construction --------------------------------------------------------- */

static void
add_column (FbComparePanel *self, const char *title, int column, gboolean markup, float xalign, gboolean bops)
{
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *col = gtk_tree_view_column_new_with_attributes (title, cell, markup ? "markup" : "text",
                                                                     column, NULL);

  g_object_set (cell, "xalign", xalign, "yalign", 0.0f, NULL);
  /* Narrow enough for the page's side column; tooltips tell the rest. */
  if (markup)
    g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", 11, NULL);
  gtk_tree_view_column_set_resizable (col, TRUE);
  gtk_tree_view_column_set_expand (col, markup);
  g_object_set_data (G_OBJECT (col), "fb-bops-column", GINT_TO_POINTER (bops));
  gtk_tree_view_append_column (self->rows_view, col);
}

/* Below this page width the ρ and key-table side goes under the plot (with
 * a margin against flapping): beside it, the plot would be a third of a
 * laptop screen. */
#define NARROW_PAGE 960
#define WIDE_PAGE   1040

static gboolean
apply_orientation (gpointer data)
{
  FbComparePanel *self = data;
  GtkAllocation alloc;
  gboolean narrow;

  self->orient_idle = 0;
  gtk_widget_get_allocation (GTK_WIDGET (self->paned), &alloc);
  narrow = gtk_widget_get_allocated_width (GTK_WIDGET (self)) < (NARROW_PAGE + WIDE_PAGE) / 2;
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->paned),
                                  narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  /* The plot gets most of the room either way; beside it, the side gets
   * its natural width (the key table's), at most half the page. */
  if (narrow)
    gtk_paned_set_position (self->paned, alloc.height * 3 / 5);
  else
    {
      int side = 0;
      gtk_widget_get_preferred_width (gtk_paned_get_child2 (self->paned), NULL, &side);
      gtk_paned_set_position (self->paned, MAX (alloc.width - side - 8, alloc.width / 2));
    }
  return G_SOURCE_REMOVE;
}

static void
fb_compare_panel_size_allocate (GtkWidget *widget, GtkAllocation *allocation)
{
  FbComparePanel *self = FB_COMPARE_PANEL (widget);
  GtkOrientation o = gtk_orientable_get_orientation (GTK_ORIENTABLE (self->paned));
  gboolean position_set;

  GTK_WIDGET_CLASS (fb_compare_panel_parent_class)->size_allocate (widget, allocation);
  /* Unset, GtkPaned gives the side its minimum width (cutting its text);
   * the first allocation sets a position. Not from inside an allocation:
   * an idle does it. */
  g_object_get (self->paned, "position-set", &position_set, NULL);
  if (self->orient_idle == 0 &&
      (!position_set ||
       (o == GTK_ORIENTATION_HORIZONTAL && allocation->width < NARROW_PAGE) ||
       (o == GTK_ORIENTATION_VERTICAL && allocation->width >= WIDE_PAGE)))
    self->orient_idle = g_idle_add (apply_orientation, self);
}

static void
fb_compare_panel_dispose (GObject *object)
{
  FbComparePanel *self = FB_COMPARE_PANEL (object);

  g_clear_handle_id (&self->orient_idle, g_source_remove);

  if (self->job != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->job, self);
      fb_compare_job_cancel (self->job);
      g_clear_object (&self->job);
    }
  G_OBJECT_CLASS (fb_compare_panel_parent_class)->dispose (object);
}

static void
fb_compare_panel_finalize (GObject *object)
{
  FbComparePanel *self = FB_COMPARE_PANEL (object);

  g_clear_object (&self->rows);
  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->result, json_node_unref);
  g_clear_pointer (&self->configs, g_ptr_array_unref);
  g_clear_pointer (&self->points, fb_point_set_unref);
  g_free (self->target);
  G_OBJECT_CLASS (fb_compare_panel_parent_class)->finalize (object);
}

static void
fb_compare_panel_class_init (FbComparePanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fb_compare_panel_dispose;
  object_class->finalize = fb_compare_panel_finalize;
  widget_class->size_allocate = fb_compare_panel_size_allocate;

  /* Compare was clicked: the window calls fb_compare_panel_start(). */
  signals[SIGNAL_RUN] = g_signal_new ("run", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A config was picked (plot or table): FbPrecisionConfig * (borrowed), its label. */
  signals[SIGNAL_CONFIG_SELECTED] = g_signal_new ("config-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_STRING);
  /* The run failed: a message for the window's info bar. */
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The plot's points changed (a result, a partial one, another target). */
  signals[SIGNAL_POINTS_CHANGED] = g_signal_new ("points-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (FB_TYPE_PARETO_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/freebits/Explorer/fb-compare-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, x_combo);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, log_x_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, log_y_toggle);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, samples_spin);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, run_stack);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, run_button);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, paned);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, plot);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, rho_caption_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, rho_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, rho_size_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, rho_random_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, matched_label);
  gtk_widget_class_bind_template_child (widget_class, FbComparePanel, rows_view);
  gtk_widget_class_bind_template_callback (widget_class, on_run_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_point_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_x_changed);
}

/* The status line is ellipsized on a narrow page: its tooltip says it all. */
static void
on_status_label_changed (GtkLabel *label, GParamSpec *pspec, gpointer data)
{
  const char *text = gtk_label_get_text (label);

  gtk_widget_set_tooltip_text (GTK_WIDGET (label), text[0] != '\0' ? text : NULL);
}

static void
fb_compare_panel_init (FbComparePanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->status_label, "notify::label", G_CALLBACK (on_status_label_changed), NULL);
  self->target_unit = FB_LATENCY_UNIT_INSTRUCTIONS;
  self->configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  self->rows = gtk_list_store_new (FB_COMPARE_N_COLUMNS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                   G_TYPE_STRING, G_TYPE_STRING, G_TYPE_DOUBLE, G_TYPE_STRING, G_TYPE_INT, G_TYPE_INT);
  gtk_tree_view_set_model (self->rows_view, GTK_TREE_MODEL (self->rows));
  gtk_tree_view_set_tooltip_column (self->rows_view, FB_COMPARE_COLUMN_TOOLTIP);
  add_column (self, _("Matched level"), FB_COMPARE_COLUMN_LEVEL_MARKUP, TRUE, 0, FALSE);
  add_column (self, _("BOPs-optimal"), FB_COMPARE_COLUMN_BOPS_OPTIMAL, TRUE, 0, TRUE);
  add_column (self, _("Latency-optimal"), FB_COMPARE_COLUMN_LATENCY_OPTIMAL, TRUE, 0, FALSE);
  /* TRANSLATORS: column: BOPs-optimal latency divided by the latency-optimal one */
  add_column (self, _("Slower by"), FB_COMPARE_COLUMN_RATIO, FALSE, 1, FALSE);

  gtk_combo_box_text_append (self->x_combo, fb_plot_metric_to_nick (FB_PLOT_METRIC_BOPS),
                             fb_plot_metric_get_short_name (FB_PLOT_METRIC_BOPS));
  gtk_combo_box_text_append (self->x_combo, fb_plot_metric_to_nick (FB_PLOT_METRIC_SIZE),
                             fb_plot_metric_get_short_name (FB_PLOT_METRIC_SIZE));
  g_object_bind_property (self->log_x_toggle, "active", self->plot, "log-x",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->log_y_toggle, "active", self->plot, "log-y",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->x_combo), fb_plot_metric_to_nick (FB_PLOT_METRIC_BOPS));
  fb_plot_view_set_hint (fb_pareto_plot_get_view (self->plot), _("Click a point to edit its config"));
  update_view (self);
}

GtkWidget *
fb_compare_panel_new (void)
{
  return g_object_new (FB_TYPE_COMPARE_PANEL, NULL);
}

void
fb_compare_panel_set_network (FbComparePanel *self, FbNetwork *network)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  if (self->network == network)
    return;
  fb_compare_panel_cancel (self);
  if (network != NULL)
    fb_network_ref (network);
  g_clear_pointer (&self->network, fb_network_unref);
  self->network = network;
  g_clear_pointer (&self->result, json_node_unref);
  g_ptr_array_set_size (self->configs, 0);
  if (self->job == NULL || !fb_compare_job_is_running (self->job))
    gtk_label_set_text (self->status_label, "");
  update_view (self);
}

void
fb_compare_panel_set_target (FbComparePanel *self, const char *target)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  if (g_strcmp0 (self->target, target) == 0)
    return;
  g_free (self->target);
  self->target = g_strdup (target);
  update_view (self);
}

void
fb_compare_panel_set_target_unit (FbComparePanel *self, FbLatencyUnit unit)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  if (self->target_unit == unit)
    return;
  self->target_unit = unit;
  update_view (self);
}

const char *
fb_compare_panel_get_target (FbComparePanel *self)
{
  return self->target;
}

guint
fb_compare_panel_get_samples (FbComparePanel *self)
{
  return (guint) gtk_spin_button_get_value_as_int (self->samples_spin);
}

void
fb_compare_panel_set_samples (FbComparePanel *self, guint samples)
{
  gtk_spin_button_set_value (self->samples_spin, samples);
}

void
fb_compare_panel_set_x_metric (FbComparePanel *self, FbPlotMetric metric)
{
  g_return_if_fail (metric == FB_PLOT_METRIC_BOPS || metric == FB_PLOT_METRIC_SIZE);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->x_combo), fb_plot_metric_to_nick (metric));
}

FbCompareJob *
fb_compare_panel_get_job (FbComparePanel *self)
{
  return self->job;
}

JsonNode *
fb_compare_panel_get_result (FbComparePanel *self)
{
  return self->result;
}

static void
show_result (FbComparePanel *self, JsonNode *result, gboolean reset_view)
{
  if (result != NULL)
    json_node_ref (result);
  g_clear_pointer (&self->result, json_node_unref);
  self->result = result;
  parse_configs (self);
  fb_plot_view_set_selected (fb_pareto_plot_get_view (self->plot), -1);
  update_view (self);
  if (reset_view)
    fb_pareto_plot_reset_view (self->plot);
}

void
fb_compare_panel_set_result (FbComparePanel *self, JsonNode *result)
{
  g_return_if_fail (FB_IS_COMPARE_PANEL (self));
  g_return_if_fail (result == NULL || JSON_NODE_HOLDS_OBJECT (result));
  show_result (self, result, TRUE);
}

FbParetoPlot *
fb_compare_panel_get_plot (FbComparePanel *self)
{
  return self->plot;
}

GtkLabel *
fb_compare_panel_get_rho_label (FbComparePanel *self)
{
  return self->rho_label;
}

GtkLabel *
fb_compare_panel_get_rho_size_label (FbComparePanel *self)
{
  return self->rho_size_label;
}

GtkLabel *
fb_compare_panel_get_rho_random_label (FbComparePanel *self)
{
  return self->rho_random_label;
}

GtkTreeModel *
fb_compare_panel_get_rows (FbComparePanel *self)
{
  return GTK_TREE_MODEL (self->rows);
}

GtkTreeView *
fb_compare_panel_get_rows_view (FbComparePanel *self)
{
  return self->rows_view;
}

GtkWidget *
fb_compare_panel_get_run_button (FbComparePanel *self)
{
  return self->run_button;
}

const char *
fb_compare_panel_get_status (FbComparePanel *self)
{
  return gtk_label_get_text (self->status_label);
}

const char *
fb_compare_panel_get_progress_text (FbComparePanel *self)
{
  return gtk_progress_bar_get_text (self->progress_bar);
}

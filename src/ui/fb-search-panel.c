/* fb-search-panel.c — the search side pane.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "fb-metrics.h"
#include "fb-search-panel.h"
#include "fb-ui-format.h"
#include "fb-ui-widgets.h"

/* How often the ETA is refreshed while the worker is quiet. */
#define TICK_MS 250

struct _FbSearchPanel {
  GtkBox            parent_instance;

  /* Template children. */
  GtkComboBoxText  *method_combo;
  GtkComboBox      *target_combo;
  GtkLabel         *method_description_label;
  GtkStack         *options_stack;
  GtkSpinButton    *tolerance_spin;
  GtkComboBoxText  *objectives_combo;
  GtkWidget        *epsilon_label;
  GtkWidget        *epsilon_spin;
  GtkWidget        *epsilon_unit_label;
  GtkComboBoxText  *diff_cost_combo;
  GtkEntry         *lambdas_entry;
  GtkLabel         *lambdas_error_label;
  GtkSpinButton    *diff_steps_spin;
  GtkSpinButton    *diff_lr_spin;
  GtkSpinButton    *diff_batch_spin;
  GtkSpinButton    *diff_seed_spin;
  GtkLabel         *diff_note_label;
  GtkToggleButton  *latency_check;
  GtkSpinButton    *latency_spin;
  GtkLabel         *latency_unit_label;
  GtkToggleButton  *size_check;
  GtkSpinButton    *size_spin;
  GtkToggleButton  *ram_check;
  GtkSpinButton    *ram_spin;
  GtkToggleButton  *accuracy_check;
  GtkSpinButton    *accuracy_spin;
  GtkComboBoxText  *start_combo;
  GtkWidget        *start_label;
  GtkLabel         *pins_label;
  GtkStack         *run_stack;
  GtkWidget        *run_button;
  GtkWidget        *cancel_button;
  GtkProgressBar   *progress_bar;
  GtkLabel         *status_label;
  GtkLabel         *results_label;

  double            latency_divisor;   /* spin value × divisor = table units */
  gboolean          have_latency;
  char             *lambdas_error;     /* NULL while the λ list is valid */
  FbSearchJob      *job;
  guint             tick_id;
};

enum {
  SIGNAL_RUN,
  SIGNAL_CANCEL,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FbSearchPanel, fb_search_panel, GTK_TYPE_BOX)

/* ---- method and options ------------------------------------------------- */

static void
update_method (FbSearchPanel *self)
{
  static const char *descriptions[FB_SEARCH_N_METHODS] = {
    [FB_SEARCH_METHOD_UNIFORM] =
      N_("Every admissible wXaY that fits the budgets. Quick; the reference every other method must beat."),
    [FB_SEARCH_METHOD_FREE_BITS] =
      N_("From the start config, raise weights and activations to more bits wherever the latency table "
         "says it costs no latency (latency stage of Free Bits). For the paper's two stages, click a "
         "differentiable result in the plot and run this from the config in the table."),
    [FB_SEARCH_METHOD_PARETO] =
      N_("All configs no other config beats in every objective, found exactly by dynamic programming "
         "over the layers."),
    [FB_SEARCH_METHOD_DIFF] =
      N_("Learns on the trained supernet which bit-widths each layer prefers, trading accuracy against "
         "size or BOPs (EdMIPS-style; hardware-agnostic stage of Free Bits): one config per λ, a larger λ "
         "giving a smaller model. About a minute per λ; each result is measured as soon as its λ is done."),
  };
  FbSearchMethod method = fb_search_panel_get_method (self);

  gtk_label_set_text (self->method_description_label, _(descriptions[method]));
  gtk_stack_set_visible_child_name (self->options_stack, fb_search_method_to_nick (method));
  /* The uniform sweep starts from nothing. */
  gtk_widget_set_visible (self->start_label, method != FB_SEARCH_METHOD_UNIFORM);
  gtk_widget_set_visible (GTK_WIDGET (self->start_combo), method != FB_SEARCH_METHOD_UNIFORM);
}

static void
on_method_changed (FbSearchPanel *self)
{
  update_method (self);
}

static void
on_objectives_changed (FbSearchPanel *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->objectives_combo));
  /* ε-dominance applies to three objectives only. */
  gboolean three = g_strcmp0 (id, "latency,size,bops") == 0;

  gtk_widget_set_sensitive (self->epsilon_label, three);
  gtk_widget_set_sensitive (self->epsilon_spin, three);
  gtk_widget_set_sensitive (self->epsilon_unit_label, three);
}

/* "0, 0.5,1" → values ≥ 0. */
static gboolean
parse_lambdas (const char *text, double *values, guint *n_values, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text != NULL ? text : "", ",", -1);
  guint n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *item = g_strstrip (parts[i]);
      char *end = NULL;
      double v;

      if (item[0] == '\0' && parts[i + 1] == NULL && i > 0)
        break;  /* a trailing comma */
      if (item[0] == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("A value is missing between two commas."));
          return FALSE;
        }
      v = g_ascii_strtod (item, &end);
      if (end == item || *end != '\0' || !isfinite (v) || v < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       /* TRANSLATORS: %s is what the user typed in the λ list */
                       _("“%s” is not a number ≥ 0. Give λ values separated by commas, e.g. 0,0.1,1."), item);
          return FALSE;
        }
      if (n == FB_SEARCH_MAX_LAMBDAS)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("At most %u λ values: each one is a search of its own."), FB_SEARCH_MAX_LAMBDAS);
          return FALSE;
        }
      values[n++] = v;
    }
  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give at least one λ value, e.g. 0,0.1,1."));
      return FALSE;
    }
  *n_values = n;
  return TRUE;
}

static void
on_lambdas_changed (FbSearchPanel *self)
{
  double values[FB_SEARCH_MAX_LAMBDAS];
  guint n = 0;
  g_autoptr(GError) error = NULL;
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self->lambdas_entry));

  g_clear_pointer (&self->lambdas_error, g_free);
  if (!parse_lambdas (gtk_entry_get_text (self->lambdas_entry), values, &n, &error))
    self->lambdas_error = g_strdup (error->message);
  gtk_label_set_text (self->lambdas_error_label, self->lambdas_error != NULL ? self->lambdas_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->lambdas_error_label), self->lambdas_error != NULL);
  if (self->lambdas_error != NULL)
    gtk_style_context_add_class (style, GTK_STYLE_CLASS_ERROR);
  else
    gtk_style_context_remove_class (style, GTK_STYLE_CLASS_ERROR);
}

const char *
fb_search_panel_get_lambdas_error (FbSearchPanel *self)
{
  g_return_val_if_fail (FB_IS_SEARCH_PANEL (self), NULL);
  return self->lambdas_error;
}

void
fb_search_panel_set_diff_options (FbSearchPanel *self, FbDiffCost cost, const char *lambdas, guint steps)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->diff_cost_combo), fb_diff_cost_to_string (cost));
  if (lambdas != NULL)
    gtk_entry_set_text (self->lambdas_entry, lambdas);
  if (steps > 0)
    gtk_spin_button_set_value (self->diff_steps_spin, steps);
}

GtkEntry *
fb_search_panel_get_lambdas_entry (FbSearchPanel *self)
{
  g_return_val_if_fail (FB_IS_SEARCH_PANEL (self), NULL);
  return self->lambdas_entry;
}

void
fb_search_panel_set_diff_problem (FbSearchPanel *self, const char *problem)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_label_set_text (self->diff_note_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->diff_note_label), problem != NULL);
}

FbSearchMethod
fb_search_panel_get_method (FbSearchPanel *self)
{
  FbSearchMethod method = FB_SEARCH_METHOD_UNIFORM;

  g_return_val_if_fail (FB_IS_SEARCH_PANEL (self), method);
  fb_search_method_from_nick (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->method_combo)), &method);
  return method;
}

void
fb_search_panel_set_method (FbSearchPanel *self, FbSearchMethod method)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->method_combo), fb_search_method_to_nick (method));
}

/* ---- target, reference, budgets ----------------------------------------- */

void
fb_search_panel_set_target_model (FbSearchPanel *self, GtkTreeModel *model)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_set_model (self->target_combo, model);
}

GtkComboBox *
fb_search_panel_get_target_combo (FbSearchPanel *self)
{
  return self->target_combo;
}

GtkComboBox *
fb_search_panel_get_method_combo (FbSearchPanel *self)
{
  return GTK_COMBO_BOX (self->method_combo);
}

/* The spin shows @value (base units) in the panel's unit, keeping the range
 * wide enough for it. */
static void
set_spin (GtkSpinButton *spin, double shown)
{
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (spin);

  if (shown > gtk_adjustment_get_upper (adj))
    gtk_adjustment_set_upper (adj, shown * 10);
  gtk_spin_button_set_value (spin, shown);
}

void
fb_search_panel_set_reference (FbSearchPanel *self, const FbMetrics *w8a8, FbLatencyUnit latency_unit)
{
  const char *prefix = "";
  g_autofree char *unit = NULL;

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  self->have_latency = w8a8 != NULL && !isnan (w8a8->latency);
  self->latency_divisor = 1;
  if (self->have_latency)
    {
      double ref = w8a8->latency;

      /* Latency budgets in the unit the summary shows it in. */
      if (latency_unit == FB_LATENCY_UNIT_US)
        {
          self->latency_divisor = ref >= 1000 ? 1000 : 1;
          unit = g_strdup (ref >= 1000 ? "ms" : "µs");
        }
      else
        {
          if (ref >= 1e6)
            self->latency_divisor = 1e6, prefix = "M";
          else if (ref >= 1e3)
            self->latency_divisor = 1e3, prefix = "k";
          /* TRANSLATORS: unit of a latency budget, %s an SI prefix ("M cycles") */
          unit = g_strdup_printf (latency_unit == FB_LATENCY_UNIT_CYCLES ? _("%s cycles") : _("%s instr."), prefix);
          g_strstrip (unit);
        }
      gtk_label_set_text (self->latency_unit_label, unit);
      /* Unchecked budgets show w8a8's figure, a natural starting point. */
      if (!gtk_toggle_button_get_active (self->latency_check))
        set_spin (self->latency_spin, ref / self->latency_divisor);
    }
  else
    gtk_label_set_text (self->latency_unit_label, "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->latency_check), self->have_latency);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->latency_check), self->have_latency
                               ? _("Keep only configs at most this slow on the target")
                               : _("Needs a latency table: open one for this network"));
  if (!self->have_latency)
    gtk_toggle_button_set_active (self->latency_check, FALSE);

  if (w8a8 != NULL)
    {
      if (!gtk_toggle_button_get_active (self->size_check))
        set_spin (self->size_spin, w8a8->size_bytes / 1000.0);
      if (!gtk_toggle_button_get_active (self->ram_check))
        set_spin (self->ram_spin, w8a8->ram_bytes / 1000.0);
    }
}

static void
on_budget_toggled (FbSearchPanel *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->latency_spin),
                            gtk_toggle_button_get_active (self->latency_check) && self->have_latency);
  gtk_widget_set_sensitive (GTK_WIDGET (self->size_spin), gtk_toggle_button_get_active (self->size_check));
  gtk_widget_set_sensitive (GTK_WIDGET (self->ram_spin), gtk_toggle_button_get_active (self->ram_check));
  gtk_widget_set_sensitive (GTK_WIDGET (self->accuracy_spin),
                            gtk_toggle_button_get_active (self->accuracy_check) &&
                            gtk_widget_get_sensitive (GTK_WIDGET (self->accuracy_check)));
}

/* The objectives with the accuracy proxy, offered while there is an
 * accuracy engine (the search measures the sensitivities with it, as
 * freebits-cli search does). */
static const struct {
  const char *id;
  const char *label;
} accuracy_objectives[] = {
  { "latency,accuracy", N_("Latency and accuracy proxy") },
  { "size,accuracy", N_("Flash and accuracy proxy") },
};

static void
update_accuracy_objectives (FbSearchPanel *self, gboolean available)
{
  GtkComboBox *combo = GTK_COMBO_BOX (self->objectives_combo);
  GtkTreeModel *model = gtk_combo_box_get_model (combo);
  g_autofree char *active = g_strdup (gtk_combo_box_get_active_id (combo));
  gboolean was_accuracy = active != NULL && strstr (active, "accuracy") != NULL;
  GtkTreeIter iter;
  int n = gtk_tree_model_iter_n_children (model, NULL);
  int id_column = gtk_combo_box_get_id_column (combo);

  /* Remove them (from the end), then add them back when available. */
  for (int i = n - 1; i >= 0; i--)
    if (gtk_tree_model_iter_nth_child (model, &iter, NULL, i))
      {
        g_autofree char *id = NULL;

        gtk_tree_model_get (model, &iter, id_column, &id, -1);
        if (id != NULL && strstr (id, "accuracy") != NULL)
          gtk_combo_box_text_remove (self->objectives_combo, i);
      }
  if (available)
    for (guint i = 0; i < G_N_ELEMENTS (accuracy_objectives); i++)
      gtk_combo_box_text_append (self->objectives_combo, accuracy_objectives[i].id, _(accuracy_objectives[i].label));
  if (was_accuracy)
    gtk_combo_box_set_active_id (combo, available ? active : "latency,size");
}

void
fb_search_panel_set_accuracy_available (FbSearchPanel *self, gboolean available)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  update_accuracy_objectives (self, available);
  gtk_widget_set_sensitive (GTK_WIDGET (self->accuracy_check), available);
  if (!available)
    gtk_toggle_button_set_active (self->accuracy_check, FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->accuracy_check), available
                               ? _("Keep only configs whose measured accuracy reaches this")
                               : _("Needs the accuracy engine: the network's trained weights and "
                                   "the Fashion-MNIST test images (Debian package dataset-fashion-mnist)"));
  on_budget_toggled (self);
}

void
fb_search_panel_set_budget (FbSearchPanel *self, FbPlotMetric metric, double value)
{
  GtkToggleButton *check;
  GtkSpinButton *spin;
  double shown;

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  switch (metric)
    {
    case FB_PLOT_METRIC_LATENCY:
      check = self->latency_check, spin = self->latency_spin, shown = value / self->latency_divisor;
      break;
    case FB_PLOT_METRIC_SIZE:
      check = self->size_check, spin = self->size_spin, shown = value / 1000;
      break;
    case FB_PLOT_METRIC_PEAK_RAM:
      check = self->ram_check, spin = self->ram_spin, shown = value / 1000;
      break;
    case FB_PLOT_METRIC_ACCURACY:
      check = self->accuracy_check, spin = self->accuracy_spin, shown = value * 100;
      break;
    case FB_PLOT_METRIC_BOPS:
    case FB_PLOT_N_METRICS:
    default:
      g_return_if_reached ();
    }
  if (!isnan (value))
    set_spin (spin, shown);
  gtk_toggle_button_set_active (check, !isnan (value));
}

void
fb_search_panel_set_pareto_options (FbSearchPanel *self, const char *objectives, double epsilon)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->objectives_combo), objectives);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->epsilon_spin), epsilon * 100);
}

void
fb_search_panel_set_tolerance (FbSearchPanel *self, double tolerance)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_spin_button_set_value (self->tolerance_spin, tolerance * 100);
}

void
fb_search_panel_get_params (FbSearchPanel *self, FbSearchParams *p)
{
  const char *objectives;

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  /* The method table's defaults, then what the panel shows. */
  fb_search_params_init (p, fb_search_panel_get_method (self));
  if (gtk_toggle_button_get_active (self->latency_check) && self->have_latency)
    p->constraints.max_latency = gtk_spin_button_get_value (self->latency_spin) * self->latency_divisor;
  if (gtk_toggle_button_get_active (self->size_check))
    p->constraints.max_size = (guint64) llround (gtk_spin_button_get_value (self->size_spin) * 1000);
  if (gtk_toggle_button_get_active (self->ram_check))
    p->constraints.max_ram = (guint64) llround (gtk_spin_button_get_value (self->ram_spin) * 1000);
  if (gtk_toggle_button_get_active (self->accuracy_check) &&
      gtk_widget_get_sensitive (GTK_WIDGET (self->accuracy_check)))
    p->constraints.min_accuracy = gtk_spin_button_get_value (self->accuracy_spin) / 100;
  p->tolerance = gtk_spin_button_get_value (self->tolerance_spin) / 100;
  objectives = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->objectives_combo));
  if (objectives == NULL || !fb_pareto_objectives_parse (objectives, &p->objectives, NULL))
    p->objectives = FB_PARETO_LATENCY | FB_PARETO_SIZE;
  /* Without a table latency cannot be an objective: the front of the rest. */
  if (!self->have_latency && (p->objectives & FB_PARETO_LATENCY))
    p->objectives = FB_PARETO_SIZE | FB_PARETO_BOPS;
  p->epsilon = gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->epsilon_spin)) / 100;
  if (!fb_diff_cost_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->diff_cost_combo)), &p->diff_cost))
    p->diff_cost = FB_DIFF_COST_SIZE;
  p->diff_steps = (guint) gtk_spin_button_get_value_as_int (self->diff_steps_spin);
  p->diff_lr = gtk_spin_button_get_value (self->diff_lr_spin);
  p->diff_batch = (guint) gtk_spin_button_get_value_as_int (self->diff_batch_spin);
  p->diff_seed = (guint32) gtk_spin_button_get_value (self->diff_seed_spin);
  /* With the accuracy engine Free Bits also runs its accuracy-checked lowering. */
  p->lower = TRUE;
  /* An invalid list leaves none: the window refuses to run and says why. */
  if (!parse_lambdas (gtk_entry_get_text (self->lambdas_entry), p->lambdas, &p->n_lambdas, NULL))
    p->n_lambdas = 0;
}

/* ---- start config ------------------------------------------------------- */

void
fb_search_panel_set_uniform_starts (FbSearchPanel *self, const char * const *labels)
{
  g_autofree char *old = g_strdup (fb_search_panel_get_start (self));

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_text_remove_all (self->start_combo);
  gtk_combo_box_text_append (self->start_combo, FB_SEARCH_PANEL_START_TABLE, _("Config in the table"));
  for (guint i = 0; labels != NULL && labels[i] != NULL; i++)
    {
      /* TRANSLATORS: a start config in the search panel, %s is e.g. "w4a8" */
      g_autofree char *text = g_strdup_printf (_("Uniform %s"), labels[i]);
      gtk_combo_box_text_append (self->start_combo, labels[i], text);
    }
  if (old == NULL || !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->start_combo), old))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->start_combo), FB_SEARCH_PANEL_START_TABLE);
}

const char *
fb_search_panel_get_start (FbSearchPanel *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->start_combo));

  return id != NULL ? id : FB_SEARCH_PANEL_START_TABLE;
}

void
fb_search_panel_set_start (FbSearchPanel *self, const char *start)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->start_combo), start);
}

void
fb_search_panel_set_n_pins (FbSearchPanel *self, guint n_pins)
{
  g_autofree char *text = NULL;

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  text = n_pins == 0
    ? g_strdup (_("Nothing is pinned. Pin layers in the table to keep their bits in every search."))
    : g_strdup_printf (ngettext ("%u entry pinned in the table keeps its bits in every search.",
                                 "%u entries pinned in the table keep their bits in every search.", n_pins),
                       n_pins);
  gtk_label_set_text (self->pins_label, text);
}

/* ---- running ------------------------------------------------------------ */

char *
fb_search_panel_progress_text (FbSearchJob *job)
{
  const char *stage = fb_job_get_stage_name (FB_JOB (job));
  const char *message = fb_search_job_get_message (job);
  double eta = fb_search_job_get_eta (job);
  /* No "about less than a second left". */
  g_autofree char *left = isnan (eta) || eta < 1 ? NULL : fb_ui_format_duration (eta);
  guint percent = (guint) floor (fb_search_job_get_fraction (job) * 100);
  guint i, n;

  /* Each stage has its own bar, from 0: the search, then (uniform and
   * Pareto with an accuracy engine) the accuracy of its results. */
  if (g_strcmp0 (stage, "measuring accuracy") == 0 && message != NULL &&
      sscanf (message, "accuracy of result %u/%u", &i, &n) == 2)
    return left != NULL
      /* TRANSLATORS: progress bar: result 37 of 120 being measured, "about 2 minutes left" */
      ? g_strdup_printf (_("Measuring accuracy %u/%u · about %s left"), i, n, left)
      /* TRANSLATORS: progress bar: result 37 of 120 being measured */
      : g_strdup_printf (_("Measuring accuracy %u/%u"), i, n);
  if (g_strcmp0 (stage, "measuring accuracy") == 0)
    return g_strdup (_("Measuring accuracy"));
  if (message != NULL && g_str_has_prefix (message, "sensitivity"))
    /* TRANSLATORS: progress bar: the Pareto search measures per-layer sensitivities first */
    return g_strdup_printf (_("Measuring sensitivities · %u %%"), percent);
  if (message != NULL && g_str_has_prefix (message, "lowering"))
    /* TRANSLATORS: progress bar: Free Bits' lowering step, which measures accuracy */
    return g_strdup (_("Lowering bits, measuring accuracy"));
  return left != NULL
    /* TRANSLATORS: progress bar text: "Searching · 42 % · about 12 seconds left" */
    ? g_strdup_printf (_("Searching · %u %% · about %s left"), percent, left)
    /* TRANSLATORS: progress bar text: "Searching · 42 %" */
    : g_strdup_printf (_("Searching · %u %%"), percent);
}

static void
update_progress (FbSearchPanel *self)
{
  FbSearchJob *job = self->job;
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  g_autofree char *tooltip = NULL;
  guint n;

  if (job == NULL)
    return;
  n = fb_search_job_get_n_results (job);
  if (fb_search_job_is_running (job))
    {
      gtk_progress_bar_set_fraction (self->progress_bar, fb_search_job_get_fraction (job));
      text = fb_search_panel_progress_text (job);
      status = g_strdup_printf (ngettext ("%s\n%u candidate so far", "%s\n%u candidates so far", n),
                                fb_search_job_get_message (job) ? fb_search_job_get_message (job) : "", n);
    }
  else
    {
      const GError *error = fb_search_job_get_error (job);
      g_autofree char *took = fb_ui_format_duration (fb_search_job_get_elapsed (job));

      gtk_progress_bar_set_fraction (self->progress_bar, error == NULL ? 1.0 : fb_search_job_get_fraction (job));
      if (error == NULL)
        {
          GPtrArray *changes = fb_search_job_get_changes (job);

          text = g_strdup (_("Done"));
          status = g_strdup_printf (ngettext ("%s: %u candidate in %s.", "%s: %u candidates in %s.", n),
                                    fb_search_method_get_name (fb_search_job_get_method (job)), n, took);
          /* Free Bits says what it changed: a count here, the log on hover. */
          if (changes != NULL)
            {
              g_autoptr(GString) log = g_string_new (NULL);
              g_autofree char *count = g_strdup_printf (ngettext ("%u entry changed (hover for the log).",
                                                                  "%u entries changed (hover for the log).",
                                                                  changes->len), changes->len);
              g_autofree char *both = g_strconcat (status, "\n", count, NULL);

              for (guint i = 0; i < changes->len; i++)
                {
                  const FbFreeBitsChange *c = g_ptr_array_index (changes, i);
                  g_string_append_printf (log, "%s%s", i > 0 ? "\n" : "", c->message);
                }
              g_free (status);
              status = g_steal_pointer (&both);
              tooltip = g_string_free (g_steal_pointer (&log), FALSE);
            }
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          text = g_strdup (_("Cancelled"));
          status = g_strdup_printf (ngettext ("Cancelled after %s; the %u candidate found stays in the plot.",
                                              "Cancelled after %s; the %u candidates found stay in the plot.", n),
                                    took, n);
        }
      else
        {
          text = g_strdup (_("Failed"));
          status = g_strdup (error->message);
        }
    }
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_label_set_text (self->status_label, status);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), tooltip);
}

static gboolean
on_tick (gpointer data)
{
  update_progress (FB_SEARCH_PANEL (data));
  return G_SOURCE_CONTINUE;
}

static void
on_job_finished (FbSearchJob *job, FbSearchPanel *self)
{
  g_clear_handle_id (&self->tick_id, g_source_remove);
  gtk_stack_set_visible_child_name (self->run_stack, "run");
  update_progress (self);
}

void
fb_search_panel_set_job (FbSearchPanel *self, FbSearchJob *job)
{
  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_set_object (&self->job, job);
  if (job == NULL)
    {
      gtk_stack_set_visible_child_name (self->run_stack, "run");
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_progress_bar_set_text (self->progress_bar, "");
      gtk_label_set_text (self->status_label, "");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), NULL);
      return;
    }
  g_signal_connect_swapped (job, "progress", G_CALLBACK (update_progress), self);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  if (fb_search_job_is_running (job))
    {
      gtk_stack_set_visible_child_name (self->run_stack, "cancel");
      /* The ETA moves even when the worker has nothing new to say. */
      self->tick_id = g_timeout_add (TICK_MS, on_tick, self);
    }
  else
    gtk_stack_set_visible_child_name (self->run_stack, "run");
  update_progress (self);
}

void
fb_search_panel_set_n_results (FbSearchPanel *self, guint n_candidates, guint n_sources)
{
  g_autofree char *text = NULL;

  g_return_if_fail (FB_IS_SEARCH_PANEL (self));
  if (n_candidates == 0 && n_sources == 0)
    text = g_strdup (_("No results yet. Run a search, or open a candidates file."));
  else
    {
      g_autofree char *candidates = g_strdup_printf (ngettext ("%u candidate", "%u candidates", n_candidates),
                                                     n_candidates);
      /* TRANSLATORS: "%s" is "123 candidates"; the sources are searches and opened files */
      text = g_strdup_printf (ngettext ("%s from %u source, drawn in the plot.",
                                        "%s from %u sources, drawn in the plot.", n_sources),
                              candidates, n_sources);
    }
  gtk_label_set_text (self->results_label, text);
}

static void
on_run_clicked (FbSearchPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_RUN], 0);
}

static void
on_cancel_clicked (FbSearchPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

const char *
fb_search_panel_get_status (FbSearchPanel *self)
{
  return gtk_label_get_text (self->status_label);
}

GtkWidget *
fb_search_panel_get_run_button (FbSearchPanel *self)
{
  return self->run_button;
}

GtkWidget *
fb_search_panel_get_cancel_button (FbSearchPanel *self)
{
  return self->cancel_button;
}

/* ---- construction ------------------------------------------------------- */

static void
fb_search_panel_dispose (GObject *object)
{
  FbSearchPanel *self = FB_SEARCH_PANEL (object);

  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  G_OBJECT_CLASS (fb_search_panel_parent_class)->dispose (object);
}

static void
fb_search_panel_finalize (GObject *object)
{
  FbSearchPanel *self = FB_SEARCH_PANEL (object);

  g_free (self->lambdas_error);
  G_OBJECT_CLASS (fb_search_panel_parent_class)->finalize (object);
}

static void
fb_search_panel_class_init (FbSearchPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fb_search_panel_dispose;
  object_class->finalize = fb_search_panel_finalize;

  signals[SIGNAL_RUN] = g_signal_new ("run", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CANCEL] = g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/freebits/Explorer/fb-search-panel.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, FbSearchPanel, name)
  BIND (method_combo);
  BIND (target_combo);
  BIND (method_description_label);
  BIND (options_stack);
  BIND (tolerance_spin);
  BIND (objectives_combo);
  BIND (epsilon_label);
  BIND (epsilon_spin);
  BIND (epsilon_unit_label);
  BIND (diff_cost_combo);
  BIND (lambdas_entry);
  BIND (lambdas_error_label);
  BIND (diff_steps_spin);
  BIND (diff_lr_spin);
  BIND (diff_batch_spin);
  BIND (diff_seed_spin);
  BIND (diff_note_label);
  BIND (latency_check);
  BIND (latency_spin);
  BIND (latency_unit_label);
  BIND (size_check);
  BIND (size_spin);
  BIND (ram_check);
  BIND (ram_spin);
  BIND (accuracy_check);
  BIND (accuracy_spin);
  BIND (start_combo);
  BIND (start_label);
  BIND (pins_label);
  BIND (run_stack);
  BIND (run_button);
  BIND (cancel_button);
  BIND (progress_bar);
  BIND (status_label);
  BIND (results_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_method_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_objectives_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_lambdas_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_budget_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_run_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
}

static void
fb_search_panel_init (FbSearchPanel *self)
{
  GtkCellRenderer *cell;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->latency_divisor = 1;

  /* The target combo shows the label column of the window's model. */
  cell = gtk_cell_renderer_text_new ();
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (self->target_combo), cell, TRUE);
  gtk_cell_layout_add_attribute (GTK_CELL_LAYOUT (self->target_combo), cell, "text", 1);
  gtk_combo_box_set_id_column (self->target_combo, 0);

  /* Budget names wrap (German is long) instead of widening the panel. */
  {
    GtkToggleButton *checks[] = { self->latency_check, self->size_check, self->ram_check, self->accuracy_check };
    for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
      gtk_label_set_line_wrap (GTK_LABEL (gtk_bin_get_child (GTK_BIN (checks[i]))), TRUE);
  }
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->method_combo));
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->objectives_combo));
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->start_combo));
  fb_ui_combo_ellipsize (GTK_COMBO_BOX (self->diff_cost_combo));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->method_combo), "pareto");
  update_method (self);
  on_objectives_changed (self);
  on_lambdas_changed (self);
  fb_search_panel_set_uniform_starts (self, NULL);
  fb_search_panel_set_n_pins (self, 0);
  fb_search_panel_set_n_results (self, 0, 0);
  fb_search_panel_set_accuracy_available (self, FALSE);
  fb_search_panel_set_reference (self, NULL, FB_LATENCY_UNIT_INSTRUCTIONS);
}

GtkWidget *
fb_search_panel_new (void)
{
  return g_object_new (FB_TYPE_SEARCH_PANEL, NULL);
}

/* fb-results-table.c — the results table: a GtkListStore of the plotted
 * points under a GtkTreeModelFilter (filter entry, hidden series) and a
 * GtkTreeModelSort (column headers).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "fb-candidate.h"
#include "fb-json.h"
#include "fb-plot-metric.h"
#include "fb-precision-config.h"
#include "fb-results-table.h"
#include "fb-ui-format.h"

struct _FbResultsTable {
  GtkBox        parent_instance;

  GtkSearchEntry *entry;
  GtkWidget     *copy_button;
  GtkLabel      *count_label;
  GtkTreeView   *view;
  GtkTreeViewColumn *accuracy_column;
  GtkListStore  *store;
  GtkTreeModel  *filter;
  GtkTreeModel  *sort;

  FbPointSet    *points;      /* owned (ref): what the rows show */
  FbPointSet    *extra[FB_RESULTS_TABLE_N_EXTRA];        /* owned (ref) or NULL */
  char          *extra_prefix[FB_RESULTS_TABLE_N_EXTRA]; /* owned */
  guint          images;
  gboolean       dirty;       /* @points changed since the rows were built */
  guint          rebuild_source; /* a rebuild soon (results stream in), or 0 */
  char          *filter_text; /* owned, casefolded; NULL: none */
  GHashTable    *hidden;      /* names of hidden series (owned) */
  int            selected;    /* point index of the selected row, or -1 */
  gboolean       selecting;   /* the selection is changed by code */
};

G_DEFINE_FINAL_TYPE (FbResultsTable, fb_results_table, GTK_TYPE_BOX)

enum { POINT_SELECTED, CONFIG_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- rows ----------------------------------------------------------------- */

/* "λ = 0.05", "start w8a8", "12 changes", "latency+flash": what sets this
 * result apart from the others of its method. */
static char *
param_text (const FbPlotPoint *p)
{
  JsonObject *prov = p->candidate ? fb_candidate_get_provenance (p->candidate) : NULL;

  if (prov == NULL && p->config != NULL)
    prov = fb_precision_config_get_provenance (p->config);
  if (prov == NULL)
    return g_strdup ("");
  if (json_object_has_member (prov, "lambda"))
    /* TRANSLATORS: the regularization weight of a differentiable search result */
    return g_strdup_printf (_("λ = %g"), json_object_get_double_member (prov, "lambda"));
  if (json_object_has_member (prov, "start"))
    /* TRANSLATORS: %s is the config a search started from ("w8a8") */
    return g_strdup_printf (_("start %s"), json_object_get_string_member_with_default (prov, "start", "?"));
  if (json_object_has_member (prov, "changes"))
    {
      gint64 n = json_object_get_int_member (prov, "changes");
      /* TRANSLATORS: Free Bits result: how many bit-widths it changed */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d change", "%d changes", (gulong) n), (int) n);
    }
  if (json_object_has_member (prov, "objectives"))
    return g_strdup (json_object_get_string_member_with_default (prov, "objectives", ""));
  return g_strdup ("");
}

static guint
images_of (FbResultsTable *self, const FbPlotPoint *p)
{
  JsonObject *prov = p->candidate ? fb_candidate_get_provenance (p->candidate) : NULL;

  if (isnan (p->values[FB_PLOT_METRIC_ACCURACY]))
    return 0;
  if (prov != NULL && json_object_has_member (prov, "accuracy_images"))
    return (guint) json_object_get_int_member (prov, "accuracy_images");
  return self->images;
}

static void
append_rows (FbResultsTable *self, FbPointSet *set, int slot, const char *prefix)
{
  guint n = set ? fb_point_set_get_n_points (set) : 0;
  const char *target = set ? fb_point_set_get_target (set) : NULL;

  for (guint i = 0; i < n; i++)
    {
      const FbPlotPoint *p = fb_point_set_get_point (set, i);
      JsonObject *prov = p->candidate ? fb_candidate_get_provenance (p->candidate) : NULL;
      const char *searched = prov ? json_object_get_string_member_with_default (prov, "target", NULL) : NULL;
      const char *series = fb_point_set_get_series_name (set, p->series);
      g_autofree char *param = param_text (p);
      g_autofree char *target_text = NULL;
      g_autofree char *method = prefix != NULL ? g_strdup_printf ("%s · %s", prefix, series) : g_strdup (series);

      if (searched != NULL && target != NULL && g_strcmp0 (searched, target) != 0)
        /* TRANSLATORS: a result measured under the current target, searched for another */
        target_text = g_strdup_printf (_("%s (searched for %s)"), target, searched);
      else
        target_text = g_strdup (target != NULL ? target : "—");
      gtk_list_store_insert_with_values (self->store, NULL, -1,
                                         FB_RESULTS_TABLE_COLUMN_INDEX, slot < 0 ? (int) i : -1,
                                         FB_RESULTS_TABLE_COLUMN_NAME, p->label ? p->label : "",
                                         FB_RESULTS_TABLE_COLUMN_METHOD, method,
                                         FB_RESULTS_TABLE_COLUMN_PARAM, param,
                                         FB_RESULTS_TABLE_COLUMN_TARGET, target_text,
                                         FB_RESULTS_TABLE_COLUMN_SIZE, p->values[FB_PLOT_METRIC_SIZE],
                                         FB_RESULTS_TABLE_COLUMN_BOPS, p->values[FB_PLOT_METRIC_BOPS],
                                         FB_RESULTS_TABLE_COLUMN_LATENCY, p->values[FB_PLOT_METRIC_LATENCY],
                                         FB_RESULTS_TABLE_COLUMN_ACCURACY, p->values[FB_PLOT_METRIC_ACCURACY],
                                         FB_RESULTS_TABLE_COLUMN_IMAGES, images_of (self, p),
                                         FB_RESULTS_TABLE_COLUMN_SERIES, p->series,
                                         FB_RESULTS_TABLE_COLUMN_SLOT, slot,
                                         FB_RESULTS_TABLE_COLUMN_EXTRA, slot < 0 ? -1 : (int) i,
                                         -1);
    }
}

static void
fill_store (FbResultsTable *self)
{
  append_rows (self, self->points, -1, NULL);
  for (guint k = 0; k < FB_RESULTS_TABLE_N_EXTRA; k++)
    append_rows (self, self->extra[k], (int) k, self->extra_prefix[k]);
}

static gboolean
contains_folded (const char *haystack, const char *needle)
{
  g_autofree char *folded = g_utf8_casefold (haystack != NULL ? haystack : "", -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
row_visible (GtkTreeModel *model, GtkTreeIter *iter, gpointer data)
{
  FbResultsTable *self = data;
  static const int text_columns[] = { FB_RESULTS_TABLE_COLUMN_NAME, FB_RESULTS_TABLE_COLUMN_METHOD,
                                      FB_RESULTS_TABLE_COLUMN_PARAM, FB_RESULTS_TABLE_COLUMN_TARGET };
  if (g_hash_table_size (self->hidden) > 0)
    {
      g_autofree char *method = NULL;

      gtk_tree_model_get (model, iter, FB_RESULTS_TABLE_COLUMN_METHOD, &method, -1);
      if (method != NULL && g_hash_table_contains (self->hidden, method))
        return FALSE;
    }
  if (self->filter_text == NULL)
    return TRUE;
  for (guint c = 0; c < G_N_ELEMENTS (text_columns); c++)
    {
      g_autofree char *text = NULL;

      gtk_tree_model_get (model, iter, text_columns[c], &text, -1);
      if (contains_folded (text, self->filter_text))
        return TRUE;
    }
  return FALSE;
}

/* Unknown values (NAN) sort after every known one, whatever the order. The
 * sort model calls this for its current sort column, with child iters. */
static int
compare_doubles (GtkTreeModel *model, GtkTreeIter *a, GtkTreeIter *b, gpointer data)
{
  FbResultsTable *self = data;
  int column = FB_RESULTS_TABLE_COLUMN_INDEX;
  GtkSortType order = GTK_SORT_ASCENDING;
  double x, y;

  gtk_tree_sortable_get_sort_column_id (GTK_TREE_SORTABLE (self->sort), &column, &order);
  gtk_tree_model_get (model, a, column, &x, -1);
  gtk_tree_model_get (model, b, column, &y, -1);
  if (isnan (x) || isnan (y))
    {
      if (isnan (x) && isnan (y))
        return 0;
      /* The sort model reverses the result for a descending order. */
      return (isnan (x) ? 1 : -1) * (order == GTK_SORT_DESCENDING ? -1 : 1);
    }
  return x < y ? -1 : x > y ? 1 : 0;
}

static void
update_count (FbResultsTable *self)
{
  guint shown = (guint) gtk_tree_model_iter_n_children (self->sort, NULL);
  guint all = (guint) gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->store), NULL);
  g_autofree char *count = NULL;

  if (shown == all)
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u result", "%u results", all), all);
  else
    /* TRANSLATORS: results left by the filter or the legend, of all */
    count = g_strdup_printf (_("%u of %u results"), shown, all);
  gtk_label_set_text (self->count_label, count);
}

/* New store, filter and sort models (cheaper than changing 10 000 rows
 * under a sorted view); the sort column and the selection carry over. */
static void
rebuild (FbResultsTable *self)
{
  int sort_column = FB_RESULTS_TABLE_COLUMN_INDEX;
  GtkSortType order = GTK_SORT_ASCENDING;
  static const int double_columns[] = { FB_RESULTS_TABLE_COLUMN_SIZE, FB_RESULTS_TABLE_COLUMN_BOPS,
                                        FB_RESULTS_TABLE_COLUMN_LATENCY, FB_RESULTS_TABLE_COLUMN_ACCURACY };

  if (self->view == NULL)
    return;
  self->dirty = FALSE;
  if (self->sort != NULL)
    gtk_tree_sortable_get_sort_column_id (GTK_TREE_SORTABLE (self->sort), &sort_column, &order);
  self->selecting = TRUE;
  gtk_tree_view_set_model (self->view, NULL);
  g_clear_object (&self->sort);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);
  self->store = gtk_list_store_new (FB_RESULTS_TABLE_N_COLUMNS, G_TYPE_INT, G_TYPE_STRING, G_TYPE_STRING,
                                    G_TYPE_STRING, G_TYPE_STRING, G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE,
                                    G_TYPE_DOUBLE, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_INT, G_TYPE_INT);
  fill_store (self);
  self->filter = gtk_tree_model_filter_new (GTK_TREE_MODEL (self->store), NULL);
  gtk_tree_model_filter_set_visible_func (GTK_TREE_MODEL_FILTER (self->filter), row_visible, self, NULL);
  self->sort = gtk_tree_model_sort_new_with_model (self->filter);
  for (guint i = 0; i < G_N_ELEMENTS (double_columns); i++)
    gtk_tree_sortable_set_sort_func (GTK_TREE_SORTABLE (self->sort), double_columns[i], compare_doubles, self, NULL);
  if (sort_column >= 0)
    gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (self->sort), sort_column, order);
  gtk_tree_view_set_model (self->view, self->sort);
  self->selecting = FALSE;
  update_count (self);
  fb_results_table_select (self, self->selected);
}

static void
ensure_rows (FbResultsTable *self)
{
  if (self->dirty)
    rebuild (self);
}

/* ---- cells ---------------------------------------------------------------- */

static void
metric_cell (GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model, GtkTreeIter *iter,
             gpointer data)
{
  FbResultsTable *self = g_object_get_data (G_OBJECT (column), "fb-table");
  FbPlotMetric metric = GPOINTER_TO_INT (data);
  int model_column = metric == FB_PLOT_METRIC_SIZE      ? FB_RESULTS_TABLE_COLUMN_SIZE
                     : metric == FB_PLOT_METRIC_BOPS    ? FB_RESULTS_TABLE_COLUMN_BOPS
                     : metric == FB_PLOT_METRIC_LATENCY ? FB_RESULTS_TABLE_COLUMN_LATENCY
                                                        : FB_RESULTS_TABLE_COLUMN_ACCURACY;
  FbLatencyUnit unit = self->points ? fb_point_set_get_latency_unit (self->points) : FB_LATENCY_UNIT_INSTRUCTIONS;
  double value;
  g_autofree char *text = NULL;

  gtk_tree_model_get (model, iter, model_column, &value, -1);
  text = isnan (value) ? g_strdup ("—") : fb_plot_metric_format (metric, unit, value);
  g_object_set (cell, "text", text, NULL);
}

static void
images_cell (GtkTreeViewColumn *column, GtkCellRenderer *cell, GtkTreeModel *model, GtkTreeIter *iter,
             gpointer data)
{
  guint n;
  g_autofree char *text = NULL;

  gtk_tree_model_get (model, iter, FB_RESULTS_TABLE_COLUMN_IMAGES, &n, -1);
  text = n > 0 ? fb_ui_format_count (n) : g_strdup ("");
  g_object_set (cell, "text", text, NULL);
}

/* Ellipsized text cells ask for @chars characters, so a long name does not
 * squeeze the method and λ / start columns to nothing. */
static void
add_text_column (FbResultsTable *self, const char *title, int model_column, gboolean expand, int chars)
{
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *col = gtk_tree_view_column_new_with_attributes (title, cell, "text", model_column, NULL);

  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", chars, NULL);
  gtk_tree_view_column_set_sort_column_id (col, model_column);
  gtk_tree_view_column_set_resizable (col, TRUE);
  gtk_tree_view_column_set_expand (col, expand);
  gtk_tree_view_column_set_min_width (col, 60);
  gtk_tree_view_append_column (self->view, col);
}

static void
add_number_column (FbResultsTable *self, const char *title, int model_column, GtkTreeCellDataFunc func,
                   gpointer data)
{
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *col = gtk_tree_view_column_new ();

  g_object_set (cell, "xalign", 1.0, NULL);
  gtk_tree_view_column_set_title (col, title);
  gtk_tree_view_column_pack_start (col, cell, TRUE);
  gtk_tree_view_column_set_cell_data_func (col, cell, func, data, NULL);
  g_object_set_data (G_OBJECT (col), "fb-table", self);
  gtk_tree_view_column_set_sort_column_id (col, model_column);
  gtk_tree_view_column_set_resizable (col, TRUE);
  gtk_tree_view_column_set_alignment (col, 1.0);
  gtk_tree_view_append_column (self->view, col);
}

/* ---- selection and copying ------------------------------------------------ */

static char *point_config_text (FbPointSet *set, guint index);

static void
on_selection_changed (GtkTreeSelection *selection, FbResultsTable *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  int index = -1;

  int slot = -1, extra = -1;

  if (gtk_tree_selection_get_selected (selection, &model, &iter))
    gtk_tree_model_get (model, &iter, FB_RESULTS_TABLE_COLUMN_INDEX, &index, FB_RESULTS_TABLE_COLUMN_SLOT, &slot,
                        FB_RESULTS_TABLE_COLUMN_EXTRA, &extra, -1);
  gtk_widget_set_sensitive (self->copy_button, index >= 0 || slot >= 0);
  if (self->selecting)
    return;
  if (slot >= 0 && self->extra[slot] != NULL && extra >= 0 &&
      (guint) extra < fb_point_set_get_n_points (self->extra[slot]))
    {
      const FbPlotPoint *p = fb_point_set_get_point (self->extra[slot], extra);
      self->selected = -1;
      if (p->config != NULL)
        g_signal_emit (self, signals[CONFIG_SELECTED], 0, slot, p->config, p->label);
      return;
    }
  if (index == self->selected)
    return;
  self->selected = index;
  if (index >= 0)
    g_signal_emit (self, signals[POINT_SELECTED], 0, index);
}

char *
fb_results_table_config_text (FbResultsTable *self, int index)
{
  g_return_val_if_fail (FB_IS_RESULTS_TABLE (self), NULL);
  if (self->points == NULL || index < 0 || (guint) index >= fb_point_set_get_n_points (self->points))
    return NULL;
  return point_config_text (self->points, index);
}

/* The config document of a point of @set (copied, with its provenance). */
static char *
point_config_text (FbPointSet *set, guint index)
{
  const FbPlotPoint *p = fb_point_set_get_point (set, index);
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (p->config == NULL)
    return NULL;
  config = fb_precision_config_copy (p->config);
  /* Say where it came from, as Save Config does. */
  if (fb_precision_config_get_provenance (config) == NULL && p->candidate != NULL &&
      fb_candidate_get_provenance (p->candidate) != NULL)
    fb_precision_config_set_provenance (config, fb_candidate_get_provenance (p->candidate));
  root = fb_precision_config_to_json (config);
  return fb_json_to_string (root, TRUE);
}

static void
copy_selected (FbResultsTable *self)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  int index = -1, slot = -1, extra = -1;
  g_autofree char *text = NULL;

  if (!gtk_tree_selection_get_selected (gtk_tree_view_get_selection (self->view), &model, &iter))
    return;
  gtk_tree_model_get (model, &iter, FB_RESULTS_TABLE_COLUMN_INDEX, &index, FB_RESULTS_TABLE_COLUMN_SLOT, &slot,
                      FB_RESULTS_TABLE_COLUMN_EXTRA, &extra, -1);
  if (slot >= 0 && self->extra[slot] != NULL && extra >= 0 &&
      (guint) extra < fb_point_set_get_n_points (self->extra[slot]))
    text = point_config_text (self->extra[slot], extra);
  else
    text = fb_results_table_config_text (self, index);

  if (text != NULL)
    gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD), text, -1);
}

static gboolean
on_button_press (GtkWidget *widget, GdkEventButton *event, FbResultsTable *self)
{
  GtkTreePath *path = NULL;
  GtkWidget *menu, *item;

  if (!gdk_event_triggers_context_menu ((GdkEvent *) event))
    return GDK_EVENT_PROPAGATE;
  if (!gtk_tree_view_get_path_at_pos (self->view, (int) event->x, (int) event->y, &path, NULL, NULL, NULL))
    return GDK_EVENT_PROPAGATE;
  gtk_tree_selection_select_path (gtk_tree_view_get_selection (self->view), path);
  gtk_tree_path_free (path);
  menu = gtk_menu_new ();
  item = gtk_menu_item_new_with_mnemonic (_("_Copy as Config"));
  g_signal_connect_swapped (item, "activate", G_CALLBACK (copy_selected), self);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  gtk_widget_show_all (menu);
  gtk_menu_attach_to_widget (GTK_MENU (menu), widget, NULL);
  g_signal_connect (menu, "deactivate", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_menu_popup_at_pointer (GTK_MENU (menu), (GdkEvent *) event);
  return GDK_EVENT_STOP;
}

static void
on_search_changed (GtkSearchEntry *entry, FbResultsTable *self)
{
  fb_results_table_set_filter (self, gtk_entry_get_text (GTK_ENTRY (entry)));
}

static void
on_map (GtkWidget *widget, FbResultsTable *self)
{
  ensure_rows (self);
}

/* ---- GObject -------------------------------------------------------------- */

static void
fb_results_table_dispose (GObject *object)
{
  FbResultsTable *self = FB_RESULTS_TABLE (object);

  if (self->view != NULL)
    gtk_tree_view_set_model (self->view, NULL);
  /* The box destroys it; nothing is rebuilt from now on. */
  self->view = NULL;
  g_clear_handle_id (&self->rebuild_source, g_source_remove);
  g_clear_object (&self->sort);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);
  g_clear_pointer (&self->points, fb_point_set_unref);
  for (guint k = 0; k < FB_RESULTS_TABLE_N_EXTRA; k++)
    {
      g_clear_pointer (&self->extra[k], fb_point_set_unref);
      g_clear_pointer (&self->extra_prefix[k], g_free);
    }
  g_clear_pointer (&self->filter_text, g_free);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  G_OBJECT_CLASS (fb_results_table_parent_class)->dispose (object);
}

static void
fb_results_table_class_init (FbResultsTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fb_results_table_dispose;
  /* The user selected the row of point @index. */
  signals[POINT_SELECTED] = g_signal_new ("point-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  /* The user selected a row of an extra set: its slot, its config
   * (FbPrecisionConfig *, borrowed) and its label. */
  signals[CONFIG_SELECTED] = g_signal_new ("config-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                           NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_POINTER,
                                           G_TYPE_STRING);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "fbresultstable");
}

static void
build_toolbar (FbResultsTable *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_style_context_add_class (gtk_widget_get_style_context (bar), "fb-table-header");
  self->entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), _("Filter results"));
  gtk_entry_set_width_chars (GTK_ENTRY (self->entry), 16);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry),
                               _("Show only results whose name, method, parameters or target contain this"));
  g_signal_connect (self->entry, "search-changed", G_CALLBACK (on_search_changed), self);
  gtk_box_pack_start (GTK_BOX (bar), GTK_WIDGET (self->entry), FALSE, FALSE, 0);
  self->count_label = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_ellipsize (self->count_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->count_label, 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self->count_label)), "dim-label");
  gtk_box_pack_start (GTK_BOX (bar), GTK_WIDGET (self->count_label), TRUE, TRUE, 0);
  self->copy_button = gtk_button_new_with_mnemonic (_("_Copy as Config"));
  gtk_widget_set_tooltip_text (self->copy_button,
                               _("Copy the selected result as a freebits-config/1 document"));
  gtk_widget_set_sensitive (self->copy_button, FALSE);
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (copy_selected), self);
  gtk_box_pack_end (GTK_BOX (bar), self->copy_button, FALSE, FALSE, 0);
  gtk_widget_show_all (bar);
  gtk_box_pack_start (GTK_BOX (self), bar, FALSE, FALSE, 0);
}

static void
fb_results_table_init (FbResultsTable *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);

  self->selected = -1;
  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  build_toolbar (self);
  self->view = GTK_TREE_VIEW (gtk_tree_view_new ());
  gtk_tree_view_set_enable_search (self->view, FALSE);
  add_text_column (self, _("Name"), FB_RESULTS_TABLE_COLUMN_NAME, TRUE, 12);
  add_text_column (self, _("Method"), FB_RESULTS_TABLE_COLUMN_METHOD, TRUE, 12);
  add_text_column (self, _("λ / start"), FB_RESULTS_TABLE_COLUMN_PARAM, TRUE, 10);
  add_text_column (self, _("Target"), FB_RESULTS_TABLE_COLUMN_TARGET, FALSE, 8);
  add_number_column (self, _("Flash"), FB_RESULTS_TABLE_COLUMN_SIZE, metric_cell,
                     GINT_TO_POINTER (FB_PLOT_METRIC_SIZE));
  add_number_column (self, _("BOPs"), FB_RESULTS_TABLE_COLUMN_BOPS, metric_cell,
                     GINT_TO_POINTER (FB_PLOT_METRIC_BOPS));
  add_number_column (self, _("Latency"), FB_RESULTS_TABLE_COLUMN_LATENCY, metric_cell,
                     GINT_TO_POINTER (FB_PLOT_METRIC_LATENCY));
  add_number_column (self, _("Accuracy"), FB_RESULTS_TABLE_COLUMN_ACCURACY, metric_cell,
                     GINT_TO_POINTER (FB_PLOT_METRIC_ACCURACY));
  self->accuracy_column = gtk_tree_view_get_column (self->view, FB_RESULTS_TABLE_COLUMN_ACCURACY - 1);
  add_number_column (self, _("Images"), FB_RESULTS_TABLE_COLUMN_IMAGES, images_cell, NULL);
  g_signal_connect (gtk_tree_view_get_selection (self->view), "changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect (self->view, "button-press-event", G_CALLBACK (on_button_press), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), self);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
  gtk_container_add (GTK_CONTAINER (scrolled), GTK_WIDGET (self->view));
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_widget_show_all (scrolled);
  gtk_box_pack_start (GTK_BOX (self), scrolled, TRUE, TRUE, 0);
  self->dirty = TRUE;
}

/* ---- API ------------------------------------------------------------------ */

static gboolean
rebuild_cb (gpointer data)
{
  FbResultsTable *self = data;

  self->rebuild_source = 0;
  ensure_rows (self);
  return G_SOURCE_REMOVE;
}

/* Results stream in many times a second: the shown table catches up at most
 * every 200 ms (a hidden one when it is shown; a query at once). */
static void
schedule_rebuild (FbResultsTable *self)
{
  self->dirty = TRUE;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && self->rebuild_source == 0)
    self->rebuild_source = g_timeout_add (200, rebuild_cb, self);
}

GtkWidget *
fb_results_table_new (void)
{
  return g_object_new (FB_TYPE_RESULTS_TABLE, NULL);
}

void
fb_results_table_set_points (FbResultsTable *self, FbPointSet *points, guint images)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  if (points != NULL)
    fb_point_set_ref (points);
  g_clear_pointer (&self->points, fb_point_set_unref);
  self->points = points;
  self->images = images;
  schedule_rebuild (self);
}

void
fb_results_table_set_extra (FbResultsTable *self, guint slot, FbPointSet *points, const char *prefix)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  g_return_if_fail (slot < FB_RESULTS_TABLE_N_EXTRA);
  if (points == self->extra[slot])
    return;
  if (points != NULL)
    fb_point_set_ref (points);
  g_clear_pointer (&self->extra[slot], fb_point_set_unref);
  self->extra[slot] = points;
  g_free (self->extra_prefix[slot]);
  self->extra_prefix[slot] = g_strdup (prefix);
  schedule_rebuild (self);
}

void
fb_results_table_set_series_hidden (FbResultsTable *self, const char *name, gboolean hidden)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  g_return_if_fail (name != NULL);
  if (hidden)
    g_hash_table_add (self->hidden, g_strdup (name));
  else
    g_hash_table_remove (self->hidden, name);
  if (self->filter != NULL && self->view != NULL)
    {
      gtk_tree_model_filter_refilter (GTK_TREE_MODEL_FILTER (self->filter));
      update_count (self);
    }
}

void
fb_results_table_set_filter (FbResultsTable *self, const char *text)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  g_clear_pointer (&self->filter_text, g_free);
  if (text != NULL && *text != '\0')
    self->filter_text = g_utf8_casefold (text, -1);
  if (g_strcmp0 (gtk_entry_get_text (GTK_ENTRY (self->entry)), text ? text : "") != 0)
    gtk_entry_set_text (GTK_ENTRY (self->entry), text ? text : "");
  ensure_rows (self);
  if (self->filter == NULL)
    return;
  gtk_tree_model_filter_refilter (GTK_TREE_MODEL_FILTER (self->filter));
  update_count (self);
}

/* The sort model's iter of point @index, if it is visible. */
static gboolean
find_row (FbResultsTable *self, int index, GtkTreeIter *out)
{
  gboolean ok;

  for (ok = gtk_tree_model_get_iter_first (self->sort, out); ok; ok = gtk_tree_model_iter_next (self->sort, out))
    {
      int i;
      gtk_tree_model_get (self->sort, out, FB_RESULTS_TABLE_COLUMN_INDEX, &i, -1);
      if (i == index)
        return TRUE;
    }
  return FALSE;
}

void
fb_results_table_select (FbResultsTable *self, int index)
{
  GtkTreeSelection *selection;
  GtkTreeIter iter;

  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  self->selected = index;
  /* A selection is rare (a click): the shown table catches up for it; a
   * hidden one selects it when it is rebuilt. */
  if (self->dirty && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      g_clear_handle_id (&self->rebuild_source, g_source_remove);
      rebuild (self);
      return;
    }
  if (self->sort == NULL || self->dirty)
    return;
  selection = gtk_tree_view_get_selection (self->view);
  self->selecting = TRUE;
  if (index >= 0 && find_row (self, index, &iter))
    {
      g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (self->sort, &iter);

      gtk_tree_selection_select_iter (selection, &iter);
      if (gtk_widget_get_realized (GTK_WIDGET (self->view)))
        gtk_tree_view_scroll_to_cell (self->view, path, NULL, FALSE, 0, 0);
    }
  else
    gtk_tree_selection_unselect_all (selection);
  self->selecting = FALSE;
}

int
fb_results_table_get_selected (FbResultsTable *self)
{
  g_return_val_if_fail (FB_IS_RESULTS_TABLE (self), -1);
  return self->selected;
}

guint
fb_results_table_get_n_rows (FbResultsTable *self)
{
  g_return_val_if_fail (FB_IS_RESULTS_TABLE (self), 0);
  ensure_rows (self);
  return self->sort != NULL ? (guint) gtk_tree_model_iter_n_children (self->sort, NULL) : 0;
}

int
fb_results_table_get_row_index (FbResultsTable *self, guint row)
{
  GtkTreeIter iter;
  int index = -1;

  g_return_val_if_fail (FB_IS_RESULTS_TABLE (self), -1);
  ensure_rows (self);
  if (self->sort != NULL && gtk_tree_model_iter_nth_child (self->sort, &iter, NULL, (int) row))
    gtk_tree_model_get (self->sort, &iter, FB_RESULTS_TABLE_COLUMN_INDEX, &index, -1);
  return index;
}

void
fb_results_table_sort (FbResultsTable *self, FbResultsTableColumn column, GtkSortType order)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  ensure_rows (self);
  if (self->sort != NULL)
    gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (self->sort), column, order);
}

void
fb_results_table_set_accuracy_title (FbResultsTable *self, const char *title)
{
  g_return_if_fail (FB_IS_RESULTS_TABLE (self));
  gtk_tree_view_column_set_title (self->accuracy_column, title != NULL ? title : _("Accuracy"));
}

GtkTreeView *
fb_results_table_get_view (FbResultsTable *self)
{
  g_return_val_if_fail (FB_IS_RESULTS_TABLE (self), NULL);
  return self->view;
}

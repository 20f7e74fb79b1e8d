/* fb-layer-table.c — one row per weighted layer, bit-widths editable in place.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>

#include "fb-error.h"
#include "fb-layer-table.h"
#include "fb-metrics.h"
#include "fb-ui-format.h"

struct _FbLayerTable {
  GtkTreeView        parent_instance;

  GtkListStore      *store;
  FbPrecisionConfig *config;
  FbLatencyTable    *latency;
  /* Combo choices per admissible set (bit mask of 8/4/2), shared by rows. */
  GtkListStore      *choices[8];
  GtkTreeViewColumn *share_column;
};

G_DEFINE_TYPE (FbLayerTable, fb_layer_table, GTK_TYPE_TREE_VIEW)

enum {
  CONFIG_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const guint all_bits[] = { 8, 4, 2 };

static guint
bits_mask_bit (guint bits)
{
  return bits == 8 ? 1 : bits == 4 ? 2 : 4;
}

static char *
bits_text (guint bits)
{
  /* TRANSLATORS: a bit-width in a table cell, e.g. "4 bit" */
  return g_strdup_printf (_("%u bit"), bits);
}

/* "4 bit signed": the edit parses the leading number, as for "4 bit". */
static char *
signed_bits_text (guint bits)
{
  /* TRANSLATORS: the bit-width of a signed tensor in a table cell; keep the number first */
  return g_strdup_printf (_("%u bit signed"), bits);
}

static GtkListStore *
choices_for_mask (FbLayerTable *self, guint mask)
{
  if (self->choices[mask] == NULL)
    {
      self->choices[mask] = gtk_list_store_new (1, G_TYPE_STRING);
      for (guint i = 0; i < G_N_ELEMENTS (all_bits); i++)
        if (mask & bits_mask_bit (all_bits[i]))
          {
            g_autofree char *text = bits_text (all_bits[i]);
            gtk_list_store_insert_with_values (self->choices[mask], NULL, -1, 0, text, -1);
          }
    }
  return self->choices[mask];
}

/* Sub-byte widths get a tint, so the precision pattern of a config is
 * visible at a glance down the column. */
static const GdkRGBA *
bits_color (guint bits)
{
  static const GdkRGBA four = { 0.208, 0.518, 0.894, 0.16 }; /* blue */
  static const GdkRGBA two = { 0.902, 0.380, 0.0, 0.18 };    /* orange */

  return bits == 4 ? &four : bits == 2 ? &two : NULL;
}

static char *
op_label (const FbLayer *l)
{
  /* "/2" marks a strided layer: where the resolution halves. */
  g_autofree char *s = l->stride_h > 1 ? g_strdup_printf ("  /%u", l->stride_h) : g_strdup ("");

  switch (l->op)
    {
    case FB_OP_CONV2D:
      if (l->kernel_h == 1 && l->kernel_w == 1)
        /* TRANSLATORS: pointwise (1×1) convolution, abbreviated */
        return g_strdup_printf (_("pointwise 1×1%s"), s);
      return g_strdup_printf (_("conv %u×%u%s"), l->kernel_h, l->kernel_w, s);
    case FB_OP_DEPTHWISE_CONV2D:
      return g_strdup_printf (_("depthwise %u×%u%s"), l->kernel_h, l->kernel_w, s);
    case FB_OP_LINEAR:
      return g_strdup (_("linear"));
    case FB_OP_ADD:
    case FB_OP_GLOBAL_AVG_POOL:
    default:
      return g_strdup (fb_op_to_string (l->op));
    }
}

static guint
weight_mask (FbNetwork *net, guint layer)
{
  guint mask = 0;

  for (guint i = 0; i < G_N_ELEMENTS (all_bits); i++)
    if (fb_network_layer_admits_weight_bits (net, layer, all_bits[i]))
      mask |= bits_mask_bit (all_bits[i]);
  return mask;
}

static guint
tensor_mask (FbNetwork *net, guint tensor)
{
  guint mask = 0;

  for (guint i = 0; i < G_N_ELEMENTS (all_bits); i++)
    if (fb_network_tensor_admits_bits (net, tensor, all_bits[i]))
      mask |= bits_mask_bit (all_bits[i]);
  return mask;
}

/* Refreshes the columns that depend on the config: every row, because one
 * activation change moves the next layer's input bits and BOPs too. */
static void
update_rows (FbLayerTable *self)
{
  FbNetwork *net;
  g_autofree FbLayerMetrics *per_layer = NULL;
  FbMetrics total;
  gboolean have_latency;
  double max_share = 0, sum = 0;
  GtkTreeIter iter;
  gboolean valid;

  if (self->config == NULL)
    return;
  net = fb_precision_config_get_network (self->config);
  per_layer = g_new0 (FbLayerMetrics, fb_network_get_n_layers (net));
  have_latency = self->latency != NULL &&
                 fb_metrics_compute (self->config, self->latency, &total, per_layer, NULL);
  /* A table with holes still leaves the BOPs bars; the window reports why. */
  if (!have_latency)
    fb_metrics_compute (self->config, NULL, &total, per_layer, NULL);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      double v = have_latency ? per_layer[i].latency : (double) per_layer[i].bops;
      if (!fb_layer_is_weighted (fb_network_get_layer (net, i)))
        continue;
      max_share = MAX (max_share, v);
    }
  /* Shares are of the whole network (adds and pools included). */
  sum = have_latency ? total.latency : (double) total.bops;

  gtk_tree_view_column_set_title (self->share_column,
                                  have_latency ? _("Latency share") : _("BOPs share"));

  for (valid = gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->store), &iter);
       valid;
       valid = gtk_tree_model_iter_next (GTK_TREE_MODEL (self->store), &iter))
    {
      guint layer;
      const FbLayer *l;
      const FbTensor *out;
      guint w, a, in;
      gboolean wp, ap, is_act;
      double v, share;
      g_autofree char *w_text = NULL;
      g_autofree char *a_text = NULL;
      g_autofree char *in_text = NULL;
      g_autofree char *flash = NULL;
      g_autofree char *share_text = NULL;
      g_autofree char *cost = NULL;
      g_autofree char *tooltip = NULL;
      char key[FB_LATENCY_KEY_MAX];

      gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, FB_LAYER_TABLE_COLUMN_LAYER, &layer, -1);
      l = fb_network_get_layer (net, layer);
      out = fb_network_get_tensor (net, l->output);
      is_act = out->kind == FB_TENSOR_ACTIVATION;
      w = fb_precision_config_get_weight_bits (self->config, layer);
      a = fb_precision_config_get_tensor_bits (self->config, l->output);
      in = fb_precision_config_get_tensor_bits (self->config, l->inputs[0]);
      wp = fb_precision_config_get_weight_pinned (self->config, layer);
      ap = is_act ? fb_precision_config_get_tensor_pinned (self->config, l->output) : wp;
      v = have_latency ? per_layer[layer].latency : (double) per_layer[layer].bops;
      share = sum > 0 ? v / sum : 0;

      w_text = bits_text (w);
      /* Signed tensors (no ReLU before them: a residual branch's last conv,
       * a linear projection, a signed input) on the symmetric grid. */
      a_text = !is_act ? g_strdup (_("int32"))
               : fb_network_tensor_is_signed (net, l->output) ? signed_bits_text (a) : bits_text (a);
      in_text = fb_network_tensor_is_signed (net, l->inputs[0]) ? signed_bits_text (in) : bits_text (in);
      flash = fb_ui_format_bytes ((double) per_layer[layer].weight_bytes);
      share_text = g_strdup_printf ("%.1f\u202f%%", 100 * share);
      cost = have_latency ? fb_ui_format_latency (v, fb_latency_table_get_unit (self->latency))
                          : fb_ui_format_si (v);
      fb_latency_key_for_layer (self->config, layer, key);
      if (have_latency)
        tooltip = g_markup_printf_escaped (_("<b>%s</b>  %s\n%s on %s: %.1f %% of the network\nFlash: %s"),
                                           l->name, key, cost, fb_latency_table_get_target (self->latency),
                                           100 * share, flash);
      else
        tooltip = g_markup_printf_escaped (_("<b>%s</b>  %s\n%s BOPs: %.1f %% of the network\nFlash: %s"),
                                           l->name, key, cost, 100 * share, flash);

      gtk_list_store_set (self->store, &iter,
                          FB_LAYER_TABLE_COLUMN_IN_BITS, in_text,
                          FB_LAYER_TABLE_COLUMN_W_BITS, w_text,
                          FB_LAYER_TABLE_COLUMN_W_COLOR, bits_color (w),
                          FB_LAYER_TABLE_COLUMN_A_BITS, a_text,
                          FB_LAYER_TABLE_COLUMN_A_COLOR, is_act ? bits_color (a) : NULL,
                          FB_LAYER_TABLE_COLUMN_PINNED, wp && ap,
                          FB_LAYER_TABLE_COLUMN_PIN_PARTIAL, wp != ap,
                          FB_LAYER_TABLE_COLUMN_FLASH, flash,
                          FB_LAYER_TABLE_COLUMN_SHARE, max_share > 0 ? (int) lround (100 * v / max_share) : 0,
                          FB_LAYER_TABLE_COLUMN_SHARE_TEXT, share_text,
                          FB_LAYER_TABLE_COLUMN_TOOLTIP, tooltip,
                          -1);
    }
}

static void
rebuild (FbLayerTable *self)
{
  FbNetwork *net;

  gtk_list_store_clear (self->store);
  if (self->config == NULL)
    return;
  net = fb_precision_config_get_network (self->config);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbTensor *out = fb_network_get_tensor (net, l->output);
      g_autofree char *op = NULL;
      g_autofree char *shape = NULL;
      g_autofree char *macs = NULL;
      g_autofree char *params = NULL;

      if (!fb_layer_is_weighted (l))
        continue;
      op = op_label (l);
      shape = g_strdup_printf ("%u×%u×%u", l->out_shape.h, l->out_shape.w, l->out_shape.c);
      macs = fb_ui_format_count (l->macs);
      params = fb_ui_format_count (l->params);
      gtk_list_store_insert_with_values (self->store, NULL, -1,
        FB_LAYER_TABLE_COLUMN_LAYER, i,
        FB_LAYER_TABLE_COLUMN_NAME, l->name,
        FB_LAYER_TABLE_COLUMN_OP, op,
        FB_LAYER_TABLE_COLUMN_SHAPE, shape,
        FB_LAYER_TABLE_COLUMN_MACS, macs,
        FB_LAYER_TABLE_COLUMN_PARAMS, params,
        FB_LAYER_TABLE_COLUMN_W_CHOICES, choices_for_mask (self, weight_mask (net, i)),
        FB_LAYER_TABLE_COLUMN_A_CHOICES,
          out->kind == FB_TENSOR_ACTIVATION ? choices_for_mask (self, tensor_mask (net, l->output)) : NULL,
        FB_LAYER_TABLE_COLUMN_A_EDITABLE, out->kind == FB_TENSOR_ACTIVATION,
        -1);
    }
  update_rows (self);
}

static gboolean
row_layer (FbLayerTable *self, const char *path_string, guint *layer)
{
  GtkTreeIter iter;

  if (!gtk_tree_model_get_iter_from_string (GTK_TREE_MODEL (self->store), &iter, path_string))
    return FALSE;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, FB_LAYER_TABLE_COLUMN_LAYER, layer, -1);
  return TRUE;
}

static void
on_weight_edited (GtkCellRendererText *cell, const char *path, const char *text, FbLayerTable *self)
{
  guint layer;

  /* Choices come from our own model, so a failure here is a bug; warn. */
  if (row_layer (self, path, &layer))
    {
      g_autoptr(GError) error = NULL;
      if (!fb_layer_table_set_weight_bits (self, layer, (guint) atoi (text), &error))
        g_warning ("%s", error->message);
    }
}

static void
on_activation_edited (GtkCellRendererText *cell, const char *path, const char *text, FbLayerTable *self)
{
  guint layer;

  if (row_layer (self, path, &layer))
    {
      g_autoptr(GError) error = NULL;
      if (!fb_layer_table_set_activation_bits (self, layer, (guint) atoi (text), &error))
        g_warning ("%s", error->message);
    }
}

static void
on_pin_toggled (GtkCellRendererToggle *cell, const char *path, FbLayerTable *self)
{
  GtkTreeIter iter;
  guint layer;
  gboolean pinned, partial;

  if (!gtk_tree_model_get_iter_from_string (GTK_TREE_MODEL (self->store), &iter, path))
    return;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter,
                      FB_LAYER_TABLE_COLUMN_LAYER, &layer,
                      FB_LAYER_TABLE_COLUMN_PINNED, &pinned,
                      FB_LAYER_TABLE_COLUMN_PIN_PARTIAL, &partial, -1);
  /* A half-pinned row (from a file) becomes fully pinned on the first click. */
  fb_layer_table_set_pinned (self, layer, partial ? TRUE : !pinned);
}

static GtkCellRenderer *
add_text_column (FbLayerTable *self, const char *title, int column, float xalign, gboolean numeric,
                 GtkTreeViewColumn **out_column)
{
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *col = gtk_tree_view_column_new_with_attributes (title, cell, "text", column, NULL);

  g_object_set (cell, "xalign", xalign, NULL);
  if (numeric)
    {
      /* Tabular figures line the digits up down the column. */
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      g_object_set (cell, "attributes", attrs, NULL);
      pango_attr_list_unref (attrs);
      gtk_tree_view_column_set_alignment (col, 1.0);
    }
  gtk_tree_view_column_set_resizable (col, TRUE);
  gtk_tree_view_append_column (GTK_TREE_VIEW (self), col);
  if (out_column)
    *out_column = col;
  return cell;
}

static GtkCellRenderer *
add_combo_column (FbLayerTable *self, const char *title, int text_col, int model_col,
                  int color_col, int editable_col)
{
  GtkCellRenderer *cell = gtk_cell_renderer_combo_new ();
  GtkTreeViewColumn *col = gtk_tree_view_column_new ();

  g_object_set (cell, "has-entry", FALSE, "text-column", 0, "editable", TRUE, "xalign", 0.5, NULL);
  gtk_tree_view_column_set_title (col, title);
  gtk_tree_view_column_set_alignment (col, 0.5);
  gtk_tree_view_column_pack_start (col, cell, TRUE);
  gtk_tree_view_column_add_attribute (col, cell, "text", text_col);
  gtk_tree_view_column_add_attribute (col, cell, "model", model_col);
  gtk_tree_view_column_add_attribute (col, cell, "cell-background-rgba", color_col);
  if (editable_col >= 0)
    gtk_tree_view_column_add_attribute (col, cell, "editable", editable_col);
  gtk_tree_view_column_set_min_width (col, 84);
  gtk_tree_view_append_column (GTK_TREE_VIEW (self), col);
  return cell;
}

static void
fb_layer_table_finalize (GObject *object)
{
  FbLayerTable *self = FB_LAYER_TABLE (object);

  g_clear_pointer (&self->config, fb_precision_config_free);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  g_clear_object (&self->store);
  for (guint i = 0; i < G_N_ELEMENTS (self->choices); i++)
    g_clear_object (&self->choices[i]);
  G_OBJECT_CLASS (fb_layer_table_parent_class)->finalize (object);
}

static void
fb_layer_table_class_init (FbLayerTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fb_layer_table_finalize;

  /**
   * FbLayerTable::config-changed:
   *
   * A cell edit changed the config (fb_layer_table_get_config()).
   */
  signals[CONFIG_CHANGED] =
    g_signal_new ("config-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fb_layer_table_init (FbLayerTable *self)
{
  GtkTreeView *view = GTK_TREE_VIEW (self);
  GtkCellRenderer *cell;
  GtkTreeViewColumn *col;

  self->store = gtk_list_store_new (FB_LAYER_TABLE_N_COLUMNS,
                                    G_TYPE_UINT,          /* layer */
                                    G_TYPE_STRING,        /* name */
                                    G_TYPE_STRING,        /* op */
                                    G_TYPE_STRING,        /* shape */
                                    G_TYPE_STRING,        /* macs */
                                    G_TYPE_STRING,        /* params */
                                    G_TYPE_STRING,        /* in bits */
                                    G_TYPE_STRING,        /* w bits */
                                    GTK_TYPE_TREE_MODEL,  /* w choices */
                                    GDK_TYPE_RGBA,        /* w color */
                                    G_TYPE_STRING,        /* a bits */
                                    GTK_TYPE_TREE_MODEL,  /* a choices */
                                    GDK_TYPE_RGBA,        /* a color */
                                    G_TYPE_BOOLEAN,       /* a editable */
                                    G_TYPE_BOOLEAN,       /* pinned */
                                    G_TYPE_BOOLEAN,       /* pin partial */
                                    G_TYPE_STRING,        /* flash */
                                    G_TYPE_INT,           /* share */
                                    G_TYPE_STRING,        /* share text */
                                    G_TYPE_STRING);       /* tooltip */
  gtk_tree_view_set_model (view, GTK_TREE_MODEL (self->store));
  gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self)), "fb-layer-table");
  gtk_tree_view_set_grid_lines (view, GTK_TREE_VIEW_GRID_LINES_HORIZONTAL);
  gtk_tree_view_set_tooltip_column (view, FB_LAYER_TABLE_COLUMN_TOOLTIP);
  gtk_tree_view_set_enable_search (view, TRUE);
  gtk_tree_view_set_search_column (view, FB_LAYER_TABLE_COLUMN_NAME);

  cell = add_text_column (self, _("Layer"), FB_LAYER_TABLE_COLUMN_NAME, 0, FALSE, NULL);
  g_object_set (cell, "weight", PANGO_WEIGHT_SEMIBOLD, NULL);
  add_text_column (self, _("Operation"), FB_LAYER_TABLE_COLUMN_OP, 0, FALSE, NULL);
  add_text_column (self, _("Output H×W×C"), FB_LAYER_TABLE_COLUMN_SHAPE, 1, TRUE, NULL);
  add_text_column (self, _("MACs"), FB_LAYER_TABLE_COLUMN_MACS, 1, TRUE, NULL);
  add_text_column (self, _("Params"), FB_LAYER_TABLE_COLUMN_PARAMS, 1, TRUE, NULL);
  cell = add_text_column (self, _("In bits"), FB_LAYER_TABLE_COLUMN_IN_BITS, 0.5, TRUE, &col);
  g_object_set (cell, "foreground", "#77767b", NULL);
  gtk_tree_view_column_set_alignment (col, 0.5);

  cell = add_combo_column (self, _("Weight bits"), FB_LAYER_TABLE_COLUMN_W_BITS,
                           FB_LAYER_TABLE_COLUMN_W_CHOICES, FB_LAYER_TABLE_COLUMN_W_COLOR, -1);
  g_signal_connect (cell, "edited", G_CALLBACK (on_weight_edited), self);
  cell = add_combo_column (self, _("Out bits"), FB_LAYER_TABLE_COLUMN_A_BITS,
                           FB_LAYER_TABLE_COLUMN_A_CHOICES, FB_LAYER_TABLE_COLUMN_A_COLOR,
                           FB_LAYER_TABLE_COLUMN_A_EDITABLE);
  g_signal_connect (cell, "edited", G_CALLBACK (on_activation_edited), self);

  cell = gtk_cell_renderer_toggle_new ();
  col = gtk_tree_view_column_new_with_attributes (_("Pin"), cell,
                                                  "active", FB_LAYER_TABLE_COLUMN_PINNED,
                                                  "inconsistent", FB_LAYER_TABLE_COLUMN_PIN_PARTIAL,
                                                  NULL);
  gtk_tree_view_column_set_alignment (col, 0.5);
  gtk_tree_view_append_column (view, col);
  g_signal_connect (cell, "toggled", G_CALLBACK (on_pin_toggled), self);

  add_text_column (self, _("Flash"), FB_LAYER_TABLE_COLUMN_FLASH, 1, TRUE, NULL);

  cell = gtk_cell_renderer_progress_new ();
  self->share_column = gtk_tree_view_column_new_with_attributes (_("BOPs share"), cell,
                                                                 "value", FB_LAYER_TABLE_COLUMN_SHARE,
                                                                 "text", FB_LAYER_TABLE_COLUMN_SHARE_TEXT,
                                                                 NULL);
  gtk_tree_view_column_set_expand (self->share_column, TRUE);
  gtk_tree_view_column_set_min_width (self->share_column, 160);
  gtk_tree_view_append_column (view, self->share_column);
}

GtkWidget *
fb_layer_table_new (void)
{
  return g_object_new (FB_TYPE_LAYER_TABLE, NULL);
}

void
fb_layer_table_set_config (FbLayerTable *self, FbPrecisionConfig *config)
{
  gboolean same_network;

  g_return_if_fail (FB_IS_LAYER_TABLE (self));
  same_network = self->config != NULL && config != NULL &&
                 fb_precision_config_get_network (self->config) == fb_precision_config_get_network (config);
  g_clear_pointer (&self->config, fb_precision_config_free);
  if (config != NULL)
    self->config = fb_precision_config_copy (config);
  /* Same network: keep rows (and the scroll position), refresh values. */
  if (same_network)
    update_rows (self);
  else
    rebuild (self);
}

FbPrecisionConfig *
fb_layer_table_get_config (FbLayerTable *self)
{
  g_return_val_if_fail (FB_IS_LAYER_TABLE (self), NULL);
  return self->config;
}

void
fb_layer_table_set_latency_table (FbLayerTable *self, FbLatencyTable *table)
{
  g_return_if_fail (FB_IS_LAYER_TABLE (self));
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->latency, fb_latency_table_unref);
  self->latency = table;
  update_rows (self);
}

guint
fb_layer_table_get_n_rows (FbLayerTable *self)
{
  g_return_val_if_fail (FB_IS_LAYER_TABLE (self), 0);
  return (guint) gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->store), NULL);
}

guint
fb_layer_table_get_row_layer (FbLayerTable *self, guint row)
{
  GtkTreeIter iter;
  guint layer = 0;

  g_return_val_if_fail (FB_IS_LAYER_TABLE (self), 0);
  if (gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->store), &iter, NULL, (int) row))
    gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, FB_LAYER_TABLE_COLUMN_LAYER, &layer, -1);
  return layer;
}

static gboolean
check_layer (FbLayerTable *self, guint layer, GError **error)
{
  FbNetwork *net;

  if (self->config == NULL)
    {
      g_set_error_literal (error, FB_ERROR, FB_ERROR_FIELD, _("No network is loaded"));
      return FALSE;
    }
  net = fb_precision_config_get_network (self->config);
  if (layer >= fb_network_get_n_layers (net) || !fb_layer_is_weighted (fb_network_get_layer (net, layer)))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("Layer %u has no weights"), layer);
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_layer_table_set_weight_bits (FbLayerTable *self, guint layer, guint bits, GError **error)
{
  FbNetwork *net;

  g_return_val_if_fail (FB_IS_LAYER_TABLE (self), FALSE);
  if (!check_layer (self, layer, error))
    return FALSE;
  net = fb_precision_config_get_network (self->config);
  if (!FB_BITS_IS_VALID (bits) || !fb_network_layer_admits_weight_bits (net, layer, bits))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("Layer “%s” cannot hold %u-bit weights"),
                   fb_network_get_layer (net, layer)->name, bits);
      return FALSE;
    }
  if (fb_precision_config_get_weight_bits (self->config, layer) == bits)
    return TRUE;
  fb_precision_config_set_weight_bits (self->config, layer, bits);
  update_rows (self);
  g_signal_emit (self, signals[CONFIG_CHANGED], 0);
  return TRUE;
}

gboolean
fb_layer_table_set_activation_bits (FbLayerTable *self, guint layer, guint bits, GError **error)
{
  FbNetwork *net;
  const FbLayer *l;

  g_return_val_if_fail (FB_IS_LAYER_TABLE (self), FALSE);
  if (!check_layer (self, layer, error))
    return FALSE;
  net = fb_precision_config_get_network (self->config);
  l = fb_network_get_layer (net, layer);
  if (fb_network_get_tensor (net, l->output)->kind != FB_TENSOR_ACTIVATION)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                   _("The output of “%s” is not a searchable activation (the int32 logits)"), l->name);
      return FALSE;
    }
  if (!FB_BITS_IS_VALID (bits) || !fb_network_tensor_admits_bits (net, l->output, bits))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("The output of “%s” cannot hold %u-bit activations"),
                   l->name, bits);
      return FALSE;
    }
  if (fb_precision_config_get_tensor_bits (self->config, l->output) == bits)
    return TRUE;
  fb_precision_config_set_tensor_bits (self->config, l->output, bits);
  update_rows (self);
  g_signal_emit (self, signals[CONFIG_CHANGED], 0);
  return TRUE;
}

void
fb_layer_table_set_pinned (FbLayerTable *self, guint layer, gboolean pinned)
{
  FbNetwork *net;
  const FbLayer *l;

  g_return_if_fail (FB_IS_LAYER_TABLE (self));
  if (!check_layer (self, layer, NULL))
    return;
  net = fb_precision_config_get_network (self->config);
  l = fb_network_get_layer (net, layer);
  fb_precision_config_set_weight_pinned (self->config, layer, pinned);
  if (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION)
    fb_precision_config_set_tensor_pinned (self->config, l->output, pinned);
  update_rows (self);
  g_signal_emit (self, signals[CONFIG_CHANGED], 0);
}

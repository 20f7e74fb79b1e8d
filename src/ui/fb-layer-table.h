/* fb-layer-table.h — one row per weighted layer, bit-widths editable in place.
 *
 * Shows name, op, output shape, MACs and parameters; weight bits and output
 * activation bits as combo cells offering only what the packing admits; a pin
 * toggle (searches keep pinned entries); the layer's Flash bytes and its share
 * of the latency (with a table) or of the BOPs (without). The table owns a
 * copy of the config it shows and emits "config-changed" after every edit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-latency-table.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_TYPE_LAYER_TABLE (fb_layer_table_get_type ())
G_DECLARE_FINAL_TYPE (FbLayerTable, fb_layer_table, FB, LAYER_TABLE, GtkTreeView)

typedef enum {
  FB_LAYER_TABLE_COLUMN_LAYER,        /* guint: network layer index */
  FB_LAYER_TABLE_COLUMN_NAME,
  FB_LAYER_TABLE_COLUMN_OP,
  FB_LAYER_TABLE_COLUMN_SHAPE,
  FB_LAYER_TABLE_COLUMN_MACS,
  FB_LAYER_TABLE_COLUMN_PARAMS,
  FB_LAYER_TABLE_COLUMN_IN_BITS,
  FB_LAYER_TABLE_COLUMN_W_BITS,       /* string "8 bit" */
  FB_LAYER_TABLE_COLUMN_W_CHOICES,    /* GtkTreeModel of admissible values */
  FB_LAYER_TABLE_COLUMN_W_COLOR,      /* GdkRGBA or NULL */
  FB_LAYER_TABLE_COLUMN_A_BITS,
  FB_LAYER_TABLE_COLUMN_A_CHOICES,
  FB_LAYER_TABLE_COLUMN_A_COLOR,
  FB_LAYER_TABLE_COLUMN_A_EDITABLE,   /* FALSE for the int32 logits */
  FB_LAYER_TABLE_COLUMN_PINNED,
  FB_LAYER_TABLE_COLUMN_PIN_PARTIAL,  /* only one of weights/activation pinned */
  FB_LAYER_TABLE_COLUMN_FLASH,
  FB_LAYER_TABLE_COLUMN_SHARE,        /* int 0..100, relative to the largest layer */
  FB_LAYER_TABLE_COLUMN_SHARE_TEXT,
  FB_LAYER_TABLE_COLUMN_TOOLTIP,
  FB_LAYER_TABLE_N_COLUMNS
} FbLayerTableColumn;

GtkWidget         *fb_layer_table_new                   (void);

/* Shows a copy of @config; @table (may be NULL) gives the latency bars. */
void               fb_layer_table_set_config            (FbLayerTable       *self,
                                                         FbPrecisionConfig  *config);
FbPrecisionConfig *fb_layer_table_get_config            (FbLayerTable       *self);
void               fb_layer_table_set_latency_table     (FbLayerTable       *self,
                                                         FbLatencyTable     *table);
guint              fb_layer_table_get_n_rows            (FbLayerTable       *self);
/* Network layer index shown in @row. */
guint              fb_layer_table_get_row_layer         (FbLayerTable       *self,
                                                         guint               row);

/* The model API behind the cells: each checks the packing, updates the
 * config and the row, and emits "config-changed". */
gboolean           fb_layer_table_set_weight_bits       (FbLayerTable       *self,
                                                         guint               layer,
                                                         guint               bits,
                                                         GError            **error);
/* Bits of the tensor @layer writes. */
gboolean           fb_layer_table_set_activation_bits   (FbLayerTable       *self,
                                                         guint               layer,
                                                         guint               bits,
                                                         GError            **error);
/* Pins (or unpins) both the layer's weights and its output activation. */
void               fb_layer_table_set_pinned            (FbLayerTable       *self,
                                                         guint               layer,
                                                         gboolean            pinned);

G_END_DECLS

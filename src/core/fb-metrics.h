/* fb-metrics.h — what a precision config costs: memory, BOPs, latency.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-latency-table.h"

G_BEGIN_DECLS

struct _FbLayerMetrics {
  guint   a_in_bits;         /* bits of inputs[0] */
  guint   mid_bits;          /* weight bits, or the second input's bits for add; 0 for pool */
  guint   out_bits;          /* 32 for the logits */
  guint64 weight_bytes;      /* packed weights + requant parameters (0 for add/pool) */
  guint64 bops;              /* MACs × w_bits × a_in_bits */
  double  latency;           /* table entry, NAN without a table */
  guint64 live_bytes;        /* activation bytes alive while this layer runs */
};

struct _FbMetrics {
  guint64 macs;
  guint64 size_bytes;            /* Σ weight_bytes: what goes to Flash */
  guint64 bops;
  double  latency;               /* Σ table entries, NAN without a table */
  guint64 peak_activation_bytes; /* max live_bytes: what goes to RAM */
  guint   peak_layer;            /* the layer where the peak occurs */
};

/* Bytes of one tensor at @bits: H·W·ceil(C·bits/8); the int32 logits 4 bytes each. */
guint64  fb_metrics_tensor_bytes  (const FbTensor     *tensor,
                                   guint               bits);
/* Flash bytes of one layer's parameters at @w_bits (see docs/formats.md). */
guint64  fb_metrics_weight_bytes  (FbNetwork          *network,
                                   guint               layer,
                                   guint               w_bits);

/* @value in decimal with ',' between groups of three digits ("1,234,567"), as the CLI's
 * tables and the exported bundle's README print counts and bytes. */
char    *fb_metrics_format_count  (guint64             value);

/* Computes everything for @config. @table may be NULL (latency = NAN);
 * @per_layer, if not NULL, has fb_network_get_n_layers() entries.
 * Fails only when the table lacks an entry (the error names layer and key)
 * or belongs to another network. */
gboolean fb_metrics_compute       (FbPrecisionConfig  *config,
                                   FbLatencyTable     *table,
                                   FbMetrics          *out,
                                   FbLayerMetrics     *per_layer,
                                   GError            **error);

G_END_DECLS

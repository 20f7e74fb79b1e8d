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
  guint64 peak_activation_bytes; /* max live_bytes: a lower bound of the activation arena */
  guint   peak_layer;            /* the layer where the peak occurs */
  /* The RAM of the exported bundle on the MCU (fb_plan_compute_ram(), rv32imc build):
   * all 0 when the config cannot be lowered to kernel calls (no bundle exists). */
  guint64 arena_bytes;           /* the plan's activation arena */
  guint64 kernel_scratch_bytes;  /* the kernels' work buffer on rv32imc */
  guint64 ram_bytes;             /* the bundle's FB_NETWORK_SCRATCH_BYTES on rv32imc:
                                  * what goes to RAM, what --max-ram budgets */
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

/* Sets @m's arena_bytes, kernel_scratch_bytes and ram_bytes for @config (fb_metrics_compute()
 * does; for callers that sum the other metrics themselves). */
void     fb_metrics_set_ram       (FbPrecisionConfig  *config,
                                   FbMetrics          *m);

G_END_DECLS

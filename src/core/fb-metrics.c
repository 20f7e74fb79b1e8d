/* fb-metrics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-metrics.h"
#include "fb-plan.h"

/* int32 kappa + int32 lambda per output channel (CONVENTIONS.md). */
#define REQUANT_BYTES_PER_CHANNEL 8
/* The classifier keeps raw int32 accumulators plus an int32 bias. */
#define LOGITS_BIAS_BYTES_PER_CHANNEL 4

guint64
fb_metrics_tensor_bytes (const FbTensor *tensor, guint bits)
{
  guint64 pixels = (guint64) tensor->shape.h * tensor->shape.w;
  if (bits == FB_BITS_LOGITS)
    return pixels * tensor->shape.c * 4;
  return pixels * (((guint64) tensor->shape.c * bits + 7) / 8);
}

guint64
fb_metrics_weight_bytes (FbNetwork *network, guint layer, guint w_bits)
{
  const FbLayer *l = fb_network_get_layer (network, layer);
  gboolean logits = fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_LOGITS;
  guint64 per_channel = logits ? LOGITS_BIAS_BYTES_PER_CHANNEL : REQUANT_BYTES_PER_CHANNEL;

  switch (l->op)
    {
    case FB_OP_CONV2D:
    case FB_OP_LINEAR:
      {
        /* [Cout][Ky][Kx][Cin], each output channel's row padded to a byte.
         * The row length comes from the weight count: a linear layer has no
         * kernel (kernel_h = kernel_w = 0), its row is its Cin inputs. */
        guint64 row_bits = l->n_weights / l->cout * w_bits;
        return l->cout * ((row_bits + 7) / 8) + per_channel * l->cout;
      }
    case FB_OP_DEPTHWISE_CONV2D:
      /* [Ky][Kx][C] packed along C like an activation tensor. */
      return (guint64) l->kernel_h * l->kernel_w * (((guint64) l->cin * w_bits + 7) / 8) +
             per_channel * l->cout;
    case FB_OP_ADD:
    case FB_OP_GLOBAL_AVG_POOL:
    default:
      return 0;
    }
}

gboolean
fb_metrics_compute (FbPrecisionConfig *config,
                    FbLatencyTable    *table,
                    FbMetrics         *out,
                    FbLayerMetrics    *per_layer,
                    GError           **error)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  guint n_layers = fb_network_get_n_layers (net);
  guint n_tensors = fb_network_get_n_tensors (net);
  g_autofree guint64 *tensor_bytes = g_new (guint64, n_tensors);
  FbMetrics m = { 0 };

  if (table != NULL && !fb_latency_table_check_network (table, net, error))
    return FALSE;

  for (guint t = 0; t < n_tensors; t++)
    tensor_bytes[t] = fb_metrics_tensor_bytes (fb_network_get_tensor (net, t),
                                               fb_precision_config_get_tensor_bits (config, t));

  m.latency = table != NULL ? 0.0 : NAN;
  for (guint i = 0; i < n_layers; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      FbLayerMetrics lm = { 0 };

      lm.a_in_bits = fb_precision_config_get_tensor_bits (config, l->inputs[0]);
      lm.out_bits = fb_precision_config_get_tensor_bits (config, l->output);
      if (l->op == FB_OP_ADD)
        lm.mid_bits = fb_precision_config_get_tensor_bits (config, l->inputs[1]);
      else if (fb_layer_is_weighted (l))
        lm.mid_bits = fb_precision_config_get_weight_bits (config, i);

      if (fb_layer_is_weighted (l))
        {
          lm.weight_bytes = fb_metrics_weight_bytes (net, i, lm.mid_bits);
          lm.bops = l->macs * lm.mid_bits * lm.a_in_bits;
        }

      lm.latency = NAN;
      if (table != NULL)
        {
          if (!fb_latency_table_layer_cost (table, config, i, &lm.latency, error))
            return FALSE;
          m.latency += lm.latency;
        }

      /* Tensors alive during layer i: produced at or before i, last read at or after i. */
      for (guint t = 0; t < n_tensors; t++)
        {
          const FbTensor *ten = fb_network_get_tensor (net, t);
          if (ten->producer <= (int) i && ten->last_use >= i)
            lm.live_bytes += tensor_bytes[t];
        }

      m.macs += l->macs;
      m.size_bytes += lm.weight_bytes;
      m.bops += lm.bops;
      if (lm.live_bytes > m.peak_activation_bytes)
        {
          m.peak_activation_bytes = lm.live_bytes;
          m.peak_layer = i;
        }
      if (per_layer != NULL)
        per_layer[i] = lm;
    }
  /* Finite entries (1e308 each) can still sum to infinity, which JSON cannot carry. */
  if (table != NULL && !isfinite (m.latency))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("latency table for \"%s\": the layers' costs sum to more than %g %s; "
                     "is the table in the right unit?"),
                   fb_latency_table_get_target (table), G_MAXDOUBLE,
                   fb_latency_unit_to_string (fb_latency_table_get_unit (table)));
      return FALSE;
    }
  fb_metrics_set_ram (config, &m);
  *out = m;
  return TRUE;
}

void
fb_metrics_set_ram (FbPrecisionConfig *config, FbMetrics *m)
{
  FbPlanRam ram;

  m->arena_bytes = m->kernel_scratch_bytes = m->ram_bytes = 0;
  /* A config the kernels cannot run has no bundle; its other metrics still hold. */
  if (!fb_plan_compute_ram (config, &ram, NULL))
    return;
  m->arena_bytes = ram.arena_bytes;
  m->kernel_scratch_bytes = ram.mcu_scratch_bytes;
  m->ram_bytes = ram.mcu_bytes;
}

char *
fb_metrics_format_count (guint64 value)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  GString *s = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

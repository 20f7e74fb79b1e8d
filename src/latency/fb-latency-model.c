/* fb-latency-model.c — modeled per-layer latency of PULP-NN-style kernels on GAP-8.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every constant below is explained, with its source or marked as an assumption, in
 * docs/latency.md ("The GAP-8 model").
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-build-config.h"
#include "fb-error.h"
#include "fb-latency-measure.h"
#include "fb-latency-model.h"

/* GAP-8 cluster (REFERENCE: 8 cores, cluster clock up to ~175 MHz, L1 64 kB). */
#define CORES               8
#define CLOCK_HZ            175e6
/* L2↔L1 cluster DMA: 8 bytes per cycle (64-bit bus; assumption) plus a setup per transfer. */
#define DMA_BYTES_PER_CYCLE 8.0
#define DMA_SETUP_CYCLES    100.0
/* Fork/join of the 8 cores, tiling loop and DMA programming per layer (assumption). */
#define LAYER_OVERHEAD      2000.0

/* XpulpV2 conv inner loop (PULP-NN: 4 output channels x 2 pixels, 4-way 8-bit dot product
 * pv.sdotusp.b): per 4 k-steps 8 dot products + 2 activation loads + 4 weight loads (fewer
 * when a word holds 8 or 16 sub-byte weights) for 32 MACs; a sub-byte weight word is
 * unpacked to 8-bit, 6 instructions per 4 values (4 p.extract + 2 pack, pulp-nn-mixed
 * pulp_nn_utils.h), for each of the 4 channels. */
static double
conv_cycles_per_mac (int w_bits)
{
  double loads = 2.0 + 4.0 * w_bits / 8.0;
  double unpack = w_bits < 8 ? 4.0 * 6.0 : 0.0;
  return (8.0 + loads + unpack) / 32.0;
}

/* The part of conv_cycles_per_mac() that is unpacking. */
static double
conv_unpack_per_mac (int w_bits)
{
  return w_bits < 8 ? 4.0 * 6.0 / 32.0 : 0.0;
}

/* im2col per element: 8-bit: one word load + store per 4 elements; sub-byte: 6 cycles per
 * 4 values to unpack plus the store. */
static double
im2col_per_element (int a_bits)
{
  return a_bits < 8 ? (6.0 + 1.0) / 4.0 : 0.5;
}

/* Requantization per output element: load kappa/lambda, mul, add, shift, clip, store;
 * sub-byte outputs add one bit-insert to pack. */
static double
requant_per_output (int o_bits)
{
  return o_bits < 8 ? 7.0 : 6.0;
}

/* PLiNIO MPIC MACs/cycle, single core, with nibble/crumb SIMD (REFERENCE.md):
 * rows activation bits 8/4/2, columns weight bits 8/4/2. */
static double
mpic_rate (int a_bits, int w_bits)
{
  static const double table[3][3] = {
    { 2.1, 2.3, 2.5 },
    { 2.1, 3.5, 3.9 },
    { 2.2, 4.0, 6.5 },
  };
  int r = a_bits == 8 ? 0 : a_bits == 4 ? 1 : 2;
  int c = w_bits == 8 ? 0 : w_bits == 4 ? 1 : 2;
  return table[r][c];
}

static double
ceil_div (double a, double b)
{
  return ceil (a / b);
}

gboolean
fb_latency_model_target_is_valid (const char *target)
{
  return g_strcmp0 (target, "gap8") == 0 || g_strcmp0 (target, "gap8-xpulpnn") == 0;
}

gboolean
fb_latency_model_step (const FbPlanStep *st, const char *target, FbLatencyModelCost *cost,
                       GError **error)
{
  gboolean nn = g_strcmp0 (target, "gap8-xpulpnn") == 0;
  int A = (int) st->in_bits, W = (int) st->mid_bits, O = (int) st->out_bits;
  double bytes, transfers = 3.0;

  memset (cost, 0, sizeof *cost);
  if (!fb_latency_model_target_is_valid (target))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("unknown model target \"%s\" (gap8 or gap8-xpulpnn)"), target);
      return FALSE;
    }
  switch (st->kind)
    {
    case FB_PLAN_CONV:
      {
        const FbConvParams *p = &st->conv;
        double k = (double) p->dim_kernel_x * p->dim_kernel_y * p->ch_in;
        double rows = ceil_div (p->dim_out_y, CORES);   /* rows of the busiest core */
        double px = rows * p->dim_out_x;                /* its output pixels */
        if (nn)
          {
            /* MPIC rates are whole-kernel rates (im2col and requantization included) */
            cost->compute = px * p->ch_out * k / mpic_rate (A, W);
          }
        else
          {
            cost->compute = px * p->ch_out * k * (conv_cycles_per_mac (W) - conv_unpack_per_mac (W));
            cost->unpack = px * p->ch_out * k * conv_unpack_per_mac (W);
            cost->im2col = px * k * im2col_per_element (A);
            cost->requant = px * p->ch_out * requant_per_output (O);
          }
      }
      break;
    case FB_PLAN_DEPTHWISE:
      {
        /* PULP-NN depthwise: parallel over channels; per channel the input column is
         * gathered (strided byte copies, unpacked when sub-byte) and every output is
         * ceil(K/4) dot products with one weight and one activation load each. */
        const FbConvParams *p = &st->conv;
        double taps = (double) p->dim_kernel_x * p->dim_kernel_y;
        double ch = ceil_div (p->ch_out, CORES);
        double outs = (double) p->dim_out_x * p->dim_out_y;
        double gathered = (double) p->dim_in_x * p->dim_in_y;
        double gather = (!nn && A < 8) ? 2.0 + 1.5 : 2.0;
        cost->compute = ch * outs * 3.0 * ceil (taps / 4.0);
        cost->im2col = ch * gathered * gather;
        cost->unpack = (!nn && W < 8) ? ch * taps * 1.5 : 0.0;
        cost->requant = ch * outs * requant_per_output (O);
      }
      break;
    case FB_PLAN_LINEAR:
    case FB_PLAN_LINEAR_I32:
      {
        /* parallel over output neurons; per 4 MACs one dot product, one weight load and
         * half an activation load (2 neurons share it); sub-byte weights unpacked (6 per
         * 4), a sub-byte input unpacked once per core (6 per 4). */
        double n = ceil_div (st->num_o_neurons, CORES);
        double v = st->dim_vec;
        double base = n * v / 4.0 * 2.5;
        if (nn)
          cost->compute = base * mpic_rate (8, 8) / mpic_rate (A, W);
        else
          {
            cost->compute = base;
            cost->unpack = W < 8 ? n * v / 4.0 * 6.0 : 0.0;
            cost->im2col = A < 8 ? v / 4.0 * 6.0 : 0.0;
          }
        cost->requant = n * (st->kind == FB_PLAN_LINEAR_I32 ? 3.0 : requant_per_output (O));
      }
      break;
    case FB_PLAN_ADD:
      {
        /* parallel over rows; per element 2 loads, 2 multiplies, add, shift, clip, store
         * (5 cycles with word loads); sub-byte inputs unpacked (1.5 each), sub-byte output
         * packed (1). */
        double el = ceil_div (st->dim_y, CORES) * st->dim_x * st->ch;
        cost->compute = el * 5.0;
        if (!nn)
          cost->im2col = el * ((A < 8 ? 1.5 : 0.0) + ((int) st->mid_bits < 8 ? 1.5 : 0.0));
        cost->requant = el * (O < 8 ? 1.0 : 0.0);
        transfers = 4.0;
        W = 8;
      }
      break;
    case FB_PLAN_AVGPOOL:
      {
        /* parallel over channels; one load + add per element (word loads), unpacking for
         * sub-byte inputs, a multiply-shift per channel */
        double ch = ceil_div (st->ch, CORES);
        double el = ch * st->dim_x * st->dim_y;
        cost->compute = el * 1.0;
        if (!nn)
          cost->im2col = A < 8 ? el * 1.5 : 0.0;
        cost->requant = ch * requant_per_output (A);
        transfers = 2.0;
      }
      break;
    case FB_PLAN_AVGPOOL2D:
    case FB_PLAN_MAXPOOL2D:
      {
        /* parallel over output rows; per window tap a load and an add or compare (the
         * average pays a division per output instead of a multiply-shift), unpacking for
         * sub-byte inputs, packing for sub-byte outputs */
        const FbConvParams *p = &st->conv;
        double outs = ceil_div (p->dim_out_y, CORES) * p->dim_out_x * p->ch_in;
        double taps = (double) p->dim_kernel_x * p->dim_kernel_y;
        cost->compute = outs * taps * 2.0;
        if (!nn)
          cost->im2col = A < 8 ? outs * taps * 1.5 : 0.0;
        cost->requant = outs * ((st->kind == FB_PLAN_AVGPOOL2D ? 8.0 : 0.0) + (A < 8 ? 1.0 : 0.0));
        transfers = 2.0;
      }
      break;
    }
  bytes = (double) st->input_bytes + (double) st->input2_bytes + (double) st->weight_bytes
          + (double) st->output_bytes;
  if (st->kind == FB_PLAN_CONV || st->kind == FB_PLAN_DEPTHWISE || st->kind == FB_PLAN_LINEAR)
    bytes += 8.0 * (st->kind == FB_PLAN_LINEAR ? st->num_o_neurons : st->conv.ch_out);
  else if (st->kind == FB_PLAN_LINEAR_I32)
    bytes += 4.0 * st->num_o_neurons;
  cost->dma = bytes / DMA_BYTES_PER_CYCLE + transfers * DMA_SETUP_CYCLES;
  cost->overhead = LAYER_OVERHEAD;
  cost->total = round (cost->compute + cost->im2col + cost->unpack + cost->requant + cost->dma
                       + cost->overhead);
  return TRUE;
}

gboolean
fb_latency_foreach_step (FbNetwork *network, FbKernelArch arch, FbLatencyStepFunc func,
                         gpointer user_data, GError **error)
{
  for (guint l = 0; l < fb_network_get_n_layers (network); l++)
    {
      const FbLayer *layer = fb_network_get_layer (network, l);
      g_auto (GStrv) keys = fb_latency_admissible_keys (network, l);
      for (char **k = keys; *k != NULL; k++)
        {
          FbPlanStep step;
          guint a, m, o;
          if (!fb_latency_key_parse (*k, &a, &m, &o)
              || !fb_plan_step_init (network, l, a, layer->op == FB_OP_GLOBAL_AVG_POOL ? 0 : m,
                                     o, arch, &step, error)
              || !func (&step, layer, *k, user_data, error))
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("layer \"%s\": bad key \"%s\""),
                             layer->name, *k);
              return FALSE;
            }
        }
    }
  return TRUE;
}

typedef struct {
  FbLatencyTable *table;
  const char *target;
} ModelCtx;

static gboolean
model_one_step (const FbPlanStep *step, const FbLayer *layer, const char *key,
                gpointer user_data, GError **error)
{
  ModelCtx *mc = user_data;
  FbLatencyModelCost cost;

  if (!fb_latency_model_step (step, mc->target, &cost, error))
    return FALSE;
  fb_latency_table_set_cost (mc->table, layer->name, key, cost.total);
  return TRUE;
}

FbLatencyTable *
fb_latency_model (FbNetwork *network, const char *target, GError **error)
{
  g_autoptr (FbLatencyTable) table = NULL;
  g_autoptr (JsonObject) prov = json_object_new ();

  if (!fb_latency_model_target_is_valid (target))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("unknown model target \"%s\" (gap8 or gap8-xpulpnn)"), target);
      return NULL;
    }
  table = fb_latency_table_new (target, FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);
  fb_latency_table_set_clock_hz (table, CLOCK_HZ);
  fb_latency_table_set_network (table, network);
  ModelCtx mc = { table, target };
  if (!fb_latency_foreach_step (network, FB_KERNEL_ARCH_SCALAR, model_one_step, &mc, error))
    return NULL;
  json_object_set_string_member (prov, "tool", "freebits-cli " FB_VERSION);
  json_object_set_string_member (prov, "target", target);
  json_object_set_string_member (
    prov, "model",
    g_str_equal (target, "gap8")
      ? "PULP-NN mixed-precision kernels on the GAP-8 cluster (8 RI5CY cores, XpulpV2: 8-bit "
        "SIMD only, sub-byte operands unpacked to 8-bit), im2col, requantization, parallel "
        "over output rows, per-layer overhead, L2-L1 DMA; see docs/latency.md"
      : "GAP-8 cluster with XpulpNN nibble/crumb SIMD: convolutions at the PLiNIO MPIC "
        "MACs/cycle per precision x 8 cores, parallel over output rows, per-layer overhead, "
        "L2-L1 DMA; see docs/latency.md");
  json_object_set_int_member (prov, "cores", CORES);
  json_object_set_double_member (prov, "dma_bytes_per_cycle", DMA_BYTES_PER_CYCLE);
  json_object_set_int_member (prov, "layer_overhead_cycles", (gint64) LAYER_OVERHEAD);
  fb_latency_table_set_provenance (table, prov);
  return g_steal_pointer (&table);
}

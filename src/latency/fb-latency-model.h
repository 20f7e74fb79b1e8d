/* fb-latency-model.h — modeled per-layer latency of PULP-NN-style kernels on GAP-8.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two targets, both an 8-core GAP-8 cluster at 175 MHz with layers tiled from L2 into the
 * 64 kB L1 by DMA (docs/latency.md derives and cites every constant):
 *  - "gap8": RI5CY cores with XpulpV2, whose SIMD dot products are 8-bit only; sub-byte
 *    operands are unpacked to 8-bit first (p.extract + pack, as pulp-nn-mixed does), so
 *    sub-byte compute is never faster than 8-bit and pays an unpacking overhead per operand;
 *  - "gap8-xpulpnn": the same cluster with nibble/crumb SIMD (XpulpNN), convolutions at the
 *    per-precision MACs/cycle of PLiNIO's MPIC cost model.
 * Per layer: parallel compute over the 8 cores (output rows, or channels/neurons; a core
 * that gets one more row makes everyone wait), im2col, requantization and output packing,
 * a fixed per-layer overhead, and the L2→L1 DMA time of the layer's input(s), weights,
 * requantization parameters and output, which is where lower precision always pays.
 */
#pragma once

#include "fb-latency-table.h"
#include "fb-plan.h"

G_BEGIN_DECLS

typedef struct {
  double compute;     /* MACs (or element operations) on the slowest core */
  double im2col;      /* im2col / gathering, unpacking of activations included */
  double unpack;      /* unpacking of sub-byte weights */
  double requant;     /* requantization and output packing */
  double dma;         /* L2→L1 and L1→L2 transfers */
  double overhead;    /* per-layer fixed cost */
  double total;       /* sum, rounded to whole cycles */
} FbLatencyModelCost;

/* "gap8" or "gap8-xpulpnn" */
gboolean        fb_latency_model_target_is_valid (const char        *target);

/* Cost of one lowered kernel call (a step of fb_plan_step_init()). */
gboolean        fb_latency_model_step            (const FbPlanStep  *step,
                                                  const char        *target,
                                                  FbLatencyModelCost *cost,
                                                  GError           **error);

/* Called on each lowered (layer, key) step; FALSE (with @error set) stops the walk. */
typedef gboolean (*FbLatencyStepFunc) (const FbPlanStep *step,
                                       const FbLayer    *layer,
                                       const char       *key,
                                       gpointer          user_data,
                                       GError          **error);

/* Parses every admissible key of every layer of @network (layer order, then key order),
 * lowers it with fb_plan_step_init() for @arch (a global average pool's weight bits as 0)
 * and calls @func; a key that does not parse is an FB_ERROR_BITS error naming the layer. */
gboolean        fb_latency_foreach_step          (FbNetwork         *network,
                                                  FbKernelArch       arch,
                                                  FbLatencyStepFunc  func,
                                                  gpointer           user_data,
                                                  GError           **error);

/* The table of every (layer, admissible key): unit cycles, clock 175 MHz, method modeled. */
FbLatencyTable *fb_latency_model                 (FbNetwork         *network,
                                                  const char        *target,
                                                  GError           **error);

G_END_DECLS

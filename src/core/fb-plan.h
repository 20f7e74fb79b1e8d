/* fb-plan.h — the one lowering: network + precision config → the exact list of
 * kernel calls, with shapes, variant names, arena offsets and scratch size.
 *
 * The integer evaluator, the latency harness and the C generator all consume a
 * plan; nobody re-derives shapes or offsets (CONVENTIONS.md, "One lowering").
 * Requantization parameters (kappa, lambda, shift) belong to trained weights and
 * are attached by whoever has them; a plan is only geometry and precision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-kernels.h"
#include "fb-precision-config.h"

G_BEGIN_DECLS

typedef struct _FbPlan FbPlan;

typedef enum {
  FB_PLAN_CONV,
  FB_PLAN_DEPTHWISE,
  FB_PLAN_LINEAR,      /* quantized output */
  FB_PLAN_LINEAR_I32,  /* int32 logits */
  FB_PLAN_ADD,
  FB_PLAN_AVGPOOL,     /* global average pool */
  FB_PLAN_AVGPOOL2D,   /* windowed average pool: geometry in conv */
  FB_PLAN_MAXPOOL2D,   /* windowed max pool: geometry in conv */
} FbPlanKind;

/* All offsets are into one activation arena; every tensor lives at one place
 * for its whole lifetime, and the tensors a step reads never overlap the one it
 * writes. Offsets are 4-byte aligned (the logits are int32). */
typedef struct {
  guint         layer;            /* network layer index */
  FbPlanKind    kind;
  char          kernel[32];       /* "fb_conv_u8_u4_i2" */
  guint         in_bits;
  guint         mid_bits;         /* weight bits; add: second input's bits; pool: 0 */
  guint         out_bits;         /* 32 for the logits */
  FbConvParams  conv;             /* conv / depthwise / windowed pool geometry; out_shift left 0.
                                   * conv.flag_relu is the kernel's flag word for every kind:
                                   * FB_KERNEL_FLAG_RELU, _SIGNED_IN, _SIGNED_IN2, _SIGNED_OUT,
                                   * _COUNT_INCLUDE_PAD as the network says */
  gint32        dim_vec;          /* linear: input length */
  gint32        num_o_neurons;    /* linear: output length */
  gint32        dim_x, dim_y, ch; /* add / avgpool */
  gsize         input_offset;
  gsize         input2_offset;    /* add only */
  gsize         output_offset;
  gsize         input_bytes;
  gsize         input2_bytes;
  gsize         output_bytes;
  gsize         weight_bytes;     /* packed weights as the kernel reads them */
  gsize         scratch_bytes;    /* *_get_buffer_size() for the plan's architecture */
  guint64       macs;
} FbPlanStep;

/* Lowers @config; fails (FB_ERROR_BITS) if the config does not validate. */
FbPlan           *fb_plan_new                (FbPrecisionConfig *config,
                                              FbKernelArch       arch,
                                              GError           **error);
/* Fills one step for @layer with explicit bits, as fb_plan_new() would, but
 * without arena offsets: the latency harness measures every combination. */
gboolean          fb_plan_step_init          (FbNetwork         *network,
                                              guint              layer,
                                              guint              in_bits,
                                              guint              mid_bits,
                                              guint              out_bits,
                                              FbKernelArch       arch,
                                              FbPlanStep        *step,
                                              GError           **error);

FbPlan           *fb_plan_ref                (FbPlan            *self);
void              fb_plan_unref              (FbPlan            *self);

FbPrecisionConfig *fb_plan_get_config        (FbPlan            *self);
FbKernelArch      fb_plan_get_arch           (FbPlan            *self);
guint             fb_plan_get_n_steps        (FbPlan            *self);
const FbPlanStep *fb_plan_get_step           (FbPlan            *self,
                                              guint              index);
/* Bytes of the activation arena (input, intermediates, logits). */
gsize             fb_plan_get_arena_bytes    (FbPlan            *self);
/* The largest scratch any step needs (one buffer serves all steps). */
gsize             fb_plan_get_scratch_bytes  (FbPlan            *self);
/* Where the caller writes the u8 input image and reads the int32 logits. */
gsize             fb_plan_get_input_offset   (FbPlan            *self);
gsize             fb_plan_get_logits_offset  (FbPlan            *self);
/* Arena offset of any tensor. */
gsize             fb_plan_get_tensor_offset  (FbPlan            *self,
                                              guint              tensor);

const char       *fb_plan_kind_to_string     (FbPlanKind         kind);

/* How the activation arena is laid out (fb_plan_arena_bytes_for()).  fb_plan_new() runs
 * both placements and keeps the smaller arena. */
typedef enum {
  FB_PLAN_ARENA_TENSOR_ORDER,    /* first fit in tensor (topological) order */
  FB_PLAN_ARENA_GREEDY_BY_SIZE,  /* first fit, largest tensor first (TensorFlow Lite Micro's
                                  * GreedyMemoryPlanner) */
  FB_PLAN_ARENA_LOWER_BOUND,     /* no placement: the largest total of tensors alive at one
                                  * step, which no placement can beat */
} FbPlanArenaStrategy;

/* Arena bytes of @config's tensors placed with @strategy (sizes rounded up to 4 as in a
 * plan); a config that fb_plan_new() accepts. */
gsize             fb_plan_arena_bytes_for    (FbPrecisionConfig *config,
                                              FbPlanArenaStrategy strategy);

/* The RAM an exported bundle needs (one buffer, FB_NETWORK_SCRATCH_BYTES): the activation
 * arena, then, at the arena rounded up to FB_PLAN_SCRATCH_ALIGN, the kernels' work buffer,
 * whose size depends on the kernels' code path.  The exporter writes these figures and
 * `metrics` reports them: one computation. */
#define FB_PLAN_SCRATCH_ALIGN 8

typedef struct {
  gsize arena_bytes;            /* fb_plan_get_arena_bytes() */
  gsize arena_lower_bound;      /* FB_PLAN_ARENA_LOWER_BOUND */
  gsize kernel_scratch_offset;  /* arena_bytes rounded up to FB_PLAN_SCRATCH_ALIGN */
  gsize host_scratch_bytes;     /* largest step scratch, FB_KERNEL_ARCH_HOST */
  gsize mcu_scratch_bytes;      /* largest step scratch, FB_KERNEL_ARCH_SCALAR (rv32imc), conv
                                 * weights laid out at export time as the bundle stores them
                                 * (FB_KERNEL_FLAG_PREPARED_WEIGHTS) */
  gsize host_bytes;             /* offset + host scratch: a host build's buffer */
  gsize mcu_bytes;              /* offset + MCU scratch: an rv32imc build's buffer */
} FbPlanRam;

/* Fills @ram for @config; fails as fb_plan_new() does. */
gboolean          fb_plan_compute_ram        (FbPrecisionConfig *config,
                                              FbPlanRam         *ram,
                                              GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbPlan, fb_plan_unref)

G_END_DECLS

/* fb-plan.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-metrics.h"
#include "fb-plan.h"

struct _FbPlan {
  gatomicrefcount    ref;
  FbPrecisionConfig *config;
  FbKernelArch       arch;
  GArray            *steps;          /* FbPlanStep */
  gsize             *tensor_offset;  /* per tensor */
  gsize              arena_bytes;
  gsize              scratch_bytes;
};

static const char *kind_names[] = { "conv", "depthwise", "linear", "linear_i32", "add", "avgpool",
                                    "avgpool2d", "maxpool2d" };

const char *
fb_plan_kind_to_string (FbPlanKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), "?");
  return kind_names[kind];
}

static gboolean
kernel_status_error (FbKernelStatus status, const FbLayer *l, const char *kernel, GError **error)
{
  if (status == FB_KERNEL_OK)
    return TRUE;
  g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("layer \"%s\": %s rejects this geometry: %s"),
               l->name, kernel, fb_kernel_status_to_string (status));
  return FALSE;
}

/* Geometry of a windowed layer (conv, depthwise, windowed pool). */
static void
fill_window (const FbLayer *l, FbConvParams *p)
{
  p->dim_in_x = l->in_shape.w;
  p->dim_in_y = l->in_shape.h;
  p->ch_in = l->in_shape.c;
  p->dim_out_x = l->out_shape.w;
  p->dim_out_y = l->out_shape.h;
  p->ch_out = l->out_shape.c;
  p->dim_kernel_x = l->kernel_w;
  p->dim_kernel_y = l->kernel_h;
  p->pad_top = l->pad_top;
  p->pad_bottom = l->pad_bottom;
  p->pad_left = l->pad_left;
  p->pad_right = l->pad_right;
  p->stride_x = l->stride_w;
  p->stride_y = l->stride_h;
}

gboolean
fb_plan_step_init (FbNetwork   *network,
                   guint        layer,
                   guint        in_bits,
                   guint        mid_bits,
                   guint        out_bits,
                   FbKernelArch arch,
                   FbPlanStep  *step,
                   GError     **error)
{
  const FbLayer *l = fb_network_get_layer (network, layer);
  const FbTensor *in = fb_network_get_tensor (network, l->inputs[0]);
  const FbTensor *out = fb_network_get_tensor (network, l->output);

  memset (step, 0, sizeof *step);
  /* The kernel's flag word: ReLU, signedness of the operands (which the kernel
   * names do not carry), the average pool's divisor rule. */
  {
    gint32 flags = l->relu ? FB_KERNEL_FLAG_RELU : 0;
    if (fb_network_tensor_is_signed (network, l->inputs[0]))
      flags |= FB_KERNEL_FLAG_SIGNED_IN;
    if (l->n_inputs > 1 && fb_network_tensor_is_signed (network, l->inputs[1]))
      flags |= FB_KERNEL_FLAG_SIGNED_IN2;
    if (out->kind != FB_TENSOR_LOGITS && out->is_signed && !fb_layer_is_pool (l))
      flags |= FB_KERNEL_FLAG_SIGNED_OUT;
    if (l->count_include_pad)
      flags |= FB_KERNEL_FLAG_COUNT_INCLUDE_PAD;
    step->conv.flag_relu = flags;
  }
  step->layer = layer;
  step->in_bits = in_bits;
  step->mid_bits = mid_bits;
  step->out_bits = out_bits;
  step->macs = l->macs;
  step->input_bytes = fb_metrics_tensor_bytes (in, in_bits);
  step->output_bytes = fb_metrics_tensor_bytes (out, out_bits);

  switch (l->op)
    {
    case FB_OP_CONV2D:
    case FB_OP_DEPTHWISE_CONV2D:
      {
        gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
        FbConvParams *p = &step->conv;

        step->kind = dw ? FB_PLAN_DEPTHWISE : FB_PLAN_CONV;
        g_snprintf (step->kernel, sizeof step->kernel, "fb_%s_u%u_u%u_i%u",
                    dw ? "depthwise" : "conv", in_bits, out_bits, mid_bits);
        fill_window (l, p);
        if (!kernel_status_error (fb_conv_check_params (in_bits, out_bits, mid_bits, dw, p), l, step->kernel, error))
          return FALSE;
        step->scratch_bytes = dw
          ? fb_depthwise_get_buffer_size_for_arch (arch, in_bits, out_bits, mid_bits, p)
          : fb_conv_get_buffer_size_for_arch (arch, in_bits, out_bits, mid_bits, p);
        step->weight_bytes = dw
          ? (gsize) l->kernel_h * l->kernel_w * (l->cin * mid_bits / 8)
          : (gsize) l->cout * fb_kernel_weight_row_bytes ((gsize) l->kernel_h * l->kernel_w * l->cin, mid_bits);
      }
      break;
    case FB_OP_LINEAR:
      step->dim_vec = l->cin;
      step->num_o_neurons = l->cout;
      step->weight_bytes = (gsize) l->cout * fb_kernel_weight_row_bytes (l->cin, mid_bits);
      if (out_bits == FB_BITS_LOGITS)
        {
          step->kind = FB_PLAN_LINEAR_I32;
          g_snprintf (step->kernel, sizeof step->kernel, "fb_linear_u%u_i32_i%u", in_bits, mid_bits);
        }
      else
        {
          step->kind = FB_PLAN_LINEAR;
          g_snprintf (step->kernel, sizeof step->kernel, "fb_linear_u%u_u%u_i%u", in_bits, out_bits, mid_bits);
        }
      if ((out_bits == FB_BITS_LOGITS ? (void *) fb_linear_i32_lookup (in_bits, mid_bits)
                                      : (void *) fb_linear_lookup (in_bits, out_bits, mid_bits)) == NULL)
        return kernel_status_error (FB_KERNEL_ERROR_BITS, l, step->kernel, error);
      step->scratch_bytes = fb_linear_get_buffer_size_for_arch (arch, in_bits, out_bits, mid_bits,
                                                                step->dim_vec, step->num_o_neurons);
      break;
    case FB_OP_ADD:
      step->kind = FB_PLAN_ADD;
      g_snprintf (step->kernel, sizeof step->kernel, "fb_add_u%u_u%u_u%u", in_bits, mid_bits, out_bits);
      step->dim_x = l->out_shape.w;
      step->dim_y = l->out_shape.h;
      step->ch = l->out_shape.c;
      step->input2_bytes = fb_metrics_tensor_bytes (fb_network_get_tensor (network, l->inputs[1]), mid_bits);
      if (fb_add_lookup (in_bits, mid_bits, out_bits) == NULL)
        return kernel_status_error (FB_KERNEL_ERROR_BITS, l, step->kernel, error);
      break;
    case FB_OP_GLOBAL_AVG_POOL:
      step->kind = FB_PLAN_AVGPOOL;
      g_snprintf (step->kernel, sizeof step->kernel, "fb_avgpool_u%u", in_bits);
      step->dim_x = l->in_shape.w;
      step->dim_y = l->in_shape.h;
      step->ch = l->in_shape.c;
      if (fb_avgpool_lookup (in_bits) == NULL || out_bits != in_bits)
        return kernel_status_error (FB_KERNEL_ERROR_BITS, l, step->kernel, error);
      break;
    case FB_OP_AVG_POOL2D:
    case FB_OP_MAX_POOL2D:
      {
        gboolean avg = l->op == FB_OP_AVG_POOL2D;
        FbConvParams *p = &step->conv;

        step->kind = avg ? FB_PLAN_AVGPOOL2D : FB_PLAN_MAXPOOL2D;
        g_snprintf (step->kernel, sizeof step->kernel, "fb_%spool2d_u%u", avg ? "avg" : "max", in_bits);
        fill_window (l, p);
        p->ch_out = l->in_shape.c;
        if (out_bits != in_bits)
          return kernel_status_error (FB_KERNEL_ERROR_BITS, l, step->kernel, error);
        if (!kernel_status_error (fb_pool2d_check_params (in_bits, p), l, step->kernel, error))
          return FALSE;
      }
      break;
    }
  return TRUE;
}

/* Arena placement.  A tensor lives from its producer to its last reader; two tensors may
 * share bytes only if their lifetimes are disjoint.  Each strategy places the tensors one by
 * one, in its own order, at the lowest offset that overlaps no placed tensor alive at the same
 * time; they differ only in the order.  The plan takes the smallest arena of the two. */

typedef struct {
  FbNetwork *net;
  guint      n;
  gsize     *size;       /* [n] bytes, rounded up to 4 (offsets stay 4-byte aligned) */
  int       *first;      /* [n] producer step (-1: the network input) */
  int       *last;       /* [n] last reader */
} Lifetimes;

static void
lifetimes_init (Lifetimes *lt, FbPrecisionConfig *config)
{
  lt->net = fb_precision_config_get_network (config);
  lt->n = fb_network_get_n_tensors (lt->net);
  lt->size = g_new0 (gsize, lt->n);
  lt->first = g_new0 (int, lt->n);
  lt->last = g_new0 (int, lt->n);
  for (guint t = 0; t < lt->n; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (lt->net, t);
      lt->size[t] = (fb_metrics_tensor_bytes (ten, fb_precision_config_get_tensor_bits (config, t)) + 3) & ~(gsize) 3;
      lt->first[t] = ten->producer;
      lt->last[t] = (int) ten->last_use;
    }
}

static void
lifetimes_clear (Lifetimes *lt)
{
  g_free (lt->size);
  g_free (lt->first);
  g_free (lt->last);
}

static gboolean
lifetimes_overlap (const Lifetimes *lt, guint a, guint b)
{
  return lt->first[a] <= lt->last[b] && lt->first[b] <= lt->last[a];
}

/* Places the tensors in @order; fills @offset, returns the arena bytes. */
static gsize
place_in_order (const Lifetimes *lt, const guint *order, gsize *offset)
{
  g_autofree gboolean *placed = g_new0 (gboolean, lt->n);
  gsize arena = 0;

  for (guint k = 0; k < lt->n; k++)
    {
      guint t = order[k];
      gsize at = 0;
      gboolean moved;

      /* Every move skips only offsets where @t would overlap a live neighbour, so the first
       * offset that survives a full pass is the lowest that fits. */
      do
        {
          moved = FALSE;
          for (guint u = 0; u < lt->n; u++)
            if (placed[u] && lifetimes_overlap (lt, t, u) &&
                offset[u] < at + lt->size[t] && at < offset[u] + lt->size[u])
              {
                at = offset[u] + lt->size[u];
                moved = TRUE;
              }
        }
      while (moved);
      offset[t] = at;
      placed[t] = TRUE;
      arena = MAX (arena, at + lt->size[t]);
    }
  return arena;
}

/* TensorFlow Lite Micro's GreedyMemoryPlanner order: largest first, then earlier first use. */
static int
cmp_by_size (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const Lifetimes *sort_lt = data;
  guint a = *(const guint *) pa, b = *(const guint *) pb;
  if (sort_lt->size[a] != sort_lt->size[b])
    return sort_lt->size[a] > sort_lt->size[b] ? -1 : 1;
  if (sort_lt->first[a] != sort_lt->first[b])
    return sort_lt->first[a] < sort_lt->first[b] ? -1 : 1;
  return a < b ? -1 : a > b;
}

static gsize
place_with (const Lifetimes *lt, FbPlanArenaStrategy strategy, gsize *offset)
{
  g_autofree guint *order = g_new (guint, lt->n);

  for (guint t = 0; t < lt->n; t++)
    order[t] = t;
  if (strategy == FB_PLAN_ARENA_GREEDY_BY_SIZE)
    g_qsort_with_data (order, (gint) lt->n, sizeof *order, cmp_by_size, (gpointer) lt);
  return place_in_order (lt, order, offset);
}

static gsize
lower_bound (const Lifetimes *lt)
{
  gsize best = 0;
  int n_layers = (int) fb_network_get_n_layers (lt->net);

  for (int i = 0; i < n_layers; i++)
    {
      gsize live = 0;
      for (guint t = 0; t < lt->n; t++)
        if (lt->first[t] <= i && lt->last[t] >= i)
          live += lt->size[t];
      best = MAX (best, live);
    }
  return best;
}

gsize
fb_plan_arena_bytes_for (FbPrecisionConfig *config, FbPlanArenaStrategy strategy)
{
  Lifetimes lt;
  gsize bytes;

  lifetimes_init (&lt, config);
  if (strategy == FB_PLAN_ARENA_LOWER_BOUND)
    bytes = lower_bound (&lt);
  else
    {
      g_autofree gsize *offset = g_new0 (gsize, lt.n);
      bytes = place_with (&lt, strategy, offset);
    }
  lifetimes_clear (&lt);
  return bytes;
}

static void
place_tensors (FbPlan *self)
{
  Lifetimes lt;
  g_autofree gsize *greedy = NULL;
  gsize greedy_bytes;

  lifetimes_init (&lt, self->config);
  greedy = g_new0 (gsize, lt.n);
  self->arena_bytes = place_with (&lt, FB_PLAN_ARENA_TENSOR_ORDER, self->tensor_offset);
  greedy_bytes = place_with (&lt, FB_PLAN_ARENA_GREEDY_BY_SIZE, greedy);
  if (greedy_bytes < self->arena_bytes)
    {
      memcpy (self->tensor_offset, greedy, lt.n * sizeof *greedy);
      self->arena_bytes = greedy_bytes;
    }
  lifetimes_clear (&lt);
}

FbPlan *
fb_plan_new (FbPrecisionConfig *config, FbKernelArch arch, GError **error)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  g_autoptr(FbPlan) self = g_new0 (FbPlan, 1);

  g_atomic_ref_count_init (&self->ref);
  self->config = fb_precision_config_copy (config);
  self->arch = arch;
  self->steps = g_array_new (FALSE, TRUE, sizeof (FbPlanStep));
  self->tensor_offset = g_new0 (gsize, fb_network_get_n_tensors (net));

  if (!fb_precision_config_validate (config, error))
    return NULL;
  place_tensors (self);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      FbPlanStep step;
      guint mid = l->op == FB_OP_ADD
        ? fb_precision_config_get_tensor_bits (config, l->inputs[1])
        : fb_precision_config_get_weight_bits (config, i);

      if (!fb_plan_step_init (net, i,
                              fb_precision_config_get_tensor_bits (config, l->inputs[0]), mid,
                              fb_precision_config_get_tensor_bits (config, l->output),
                              arch, &step, error))
        return NULL;
      step.input_offset = self->tensor_offset[l->inputs[0]];
      if (l->n_inputs > 1)
        step.input2_offset = self->tensor_offset[l->inputs[1]];
      step.output_offset = self->tensor_offset[l->output];
      self->scratch_bytes = MAX (self->scratch_bytes, step.scratch_bytes);
      g_array_append_val (self->steps, step);
    }
  return g_steal_pointer (&self);
}

gboolean
fb_plan_compute_ram (FbPrecisionConfig *config, FbPlanRam *ram, GError **error)
{
  g_autoptr(FbPlan) host = fb_plan_new (config, FB_KERNEL_ARCH_HOST, error);
  g_autoptr(FbPlan) mcu = NULL;

  if (host == NULL)
    return FALSE;
  mcu = fb_plan_new (config, FB_KERNEL_ARCH_SCALAR, error);
  if (mcu == NULL)
    return FALSE;
  memset (ram, 0, sizeof *ram);
  ram->arena_bytes = host->arena_bytes;
  ram->arena_lower_bound = fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_LOWER_BOUND);
  ram->kernel_scratch_offset = (ram->arena_bytes + FB_PLAN_SCRATCH_ALIGN - 1) / FB_PLAN_SCRATCH_ALIGN
                               * FB_PLAN_SCRATCH_ALIGN;
  ram->host_scratch_bytes = host->scratch_bytes;
  /* the bundle lays the conv weights out at export time: no weights in the scratch */
  for (guint i = 0; i < mcu->steps->len; i++)
    {
      const FbPlanStep *st = &g_array_index (mcu->steps, FbPlanStep, i);
      gsize need = st->scratch_bytes;
      if (st->kind == FB_PLAN_CONV)
        {
          FbConvParams p = st->conv;
          p.flag_relu |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
          need = fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, (int) st->in_bits,
                                                   (int) st->out_bits, (int) st->mid_bits, &p);
        }
      ram->mcu_scratch_bytes = MAX (ram->mcu_scratch_bytes, need);
    }
  ram->host_bytes = ram->kernel_scratch_offset + ram->host_scratch_bytes;
  ram->mcu_bytes = ram->kernel_scratch_offset + ram->mcu_scratch_bytes;
  return TRUE;
}

FbPlan *
fb_plan_ref (FbPlan *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_plan_unref (FbPlan *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  fb_precision_config_free (self->config);
  g_array_unref (self->steps);
  g_free (self->tensor_offset);
  g_free (self);
}

FbPrecisionConfig *fb_plan_get_config (FbPlan *self) { return self->config; }
FbKernelArch fb_plan_get_arch (FbPlan *self) { return self->arch; }
guint fb_plan_get_n_steps (FbPlan *self) { return self->steps->len; }
gsize fb_plan_get_arena_bytes (FbPlan *self) { return self->arena_bytes; }
gsize fb_plan_get_scratch_bytes (FbPlan *self) { return self->scratch_bytes; }

const FbPlanStep *
fb_plan_get_step (FbPlan *self, guint index)
{
  g_return_val_if_fail (index < self->steps->len, NULL);
  return &g_array_index (self->steps, FbPlanStep, index);
}

gsize
fb_plan_get_tensor_offset (FbPlan *self, guint tensor)
{
  g_return_val_if_fail (tensor < fb_network_get_n_tensors (fb_precision_config_get_network (self->config)), 0);
  return self->tensor_offset[tensor];
}

gsize
fb_plan_get_input_offset (FbPlan *self)
{
  return self->tensor_offset[0];
}

gsize
fb_plan_get_logits_offset (FbPlan *self)
{
  FbNetwork *net = fb_precision_config_get_network (self->config);
  return self->tensor_offset[fb_network_get_logits (net)->index];
}

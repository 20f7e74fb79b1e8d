/* test-plan.c — the one lowering: kernel names, shapes, arena placement.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-metrics.h"
#include "fb-plan.h"
#include "fb-test-util.h"

#define load_bundled fb_test_load_bundled

/* Every pair of tensors alive at the same time occupies disjoint bytes, and a
 * step never writes over what it reads. */
static void
assert_arena_sound (FbPlan *plan)
{
  FbPrecisionConfig *config = fb_plan_get_config (plan);
  FbNetwork *net = fb_precision_config_get_network (config);
  guint n = fb_network_get_n_tensors (net);

  for (guint a = 0; a < n; a++)
    {
      const FbTensor *ta = fb_network_get_tensor (net, a);
      gsize oa = fb_plan_get_tensor_offset (plan, a);
      gsize sa = fb_metrics_tensor_bytes (ta, fb_precision_config_get_tensor_bits (config, a));

      g_assert_cmpuint (oa % 4, ==, 0);
      g_assert_cmpuint (oa + sa, <=, fb_plan_get_arena_bytes (plan));
      for (guint b = a + 1; b < n; b++)
        {
          const FbTensor *tb = fb_network_get_tensor (net, b);
          gsize ob = fb_plan_get_tensor_offset (plan, b);
          gsize sb = fb_metrics_tensor_bytes (tb, fb_precision_config_get_tensor_bits (config, b));
          gboolean live_together = ta->producer <= (int) tb->last_use && tb->producer <= (int) ta->last_use;
          if (live_together)
            g_assert_true (oa + sa <= ob || ob + sb <= oa);
        }
    }
}

static void
test_plan_fmnist_uniform (void)
{
  g_autoptr(FbNetwork) net = load_bundled ("fmnist-mbv1.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (net, 8, 8, &error);
  g_autoptr(FbPlan) plan = NULL;
  FbMetrics m;

  g_assert_no_error (error);
  plan = fb_plan_new (config, FB_KERNEL_ARCH_HOST, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_plan_get_n_steps (plan), ==, fb_network_get_n_layers (net));
  g_assert_cmpstr (fb_plan_get_step (plan, 0)->kernel, ==, "fb_conv_u8_u8_i8");
  g_assert_cmpstr (fb_plan_get_step (plan, 1)->kernel, ==, "fb_depthwise_u8_u8_i8");
  g_assert_cmpstr (fb_plan_get_step (plan, fb_plan_get_n_steps (plan) - 2)->kernel, ==, "fb_avgpool_u8");
  g_assert_cmpstr (fb_plan_get_step (plan, fb_plan_get_n_steps (plan) - 1)->kernel, ==, "fb_linear_u8_i32_i8");
  g_assert_cmpint (fb_plan_get_step (plan, fb_plan_get_n_steps (plan) - 1)->kind, ==, FB_PLAN_LINEAR_I32);

  /* conv1 of fmnist-mbv1: 28x28x1 → 28x28x16, 3x3, stride 1, pad 1. */
  {
    const FbPlanStep *s = fb_plan_get_step (plan, 0);
    g_assert_cmpint (s->conv.dim_in_x, ==, 28);
    g_assert_cmpint (s->conv.ch_in, ==, 1);
    g_assert_cmpint (s->conv.ch_out, ==, 16);
    g_assert_cmpint (s->conv.dim_out_y, ==, 28);
    g_assert_cmpint (s->conv.pad_left, ==, 1);
    g_assert_cmpuint (s->input_bytes, ==, 28 * 28);
    g_assert_cmpuint (s->output_bytes, ==, 28 * 28 * 16);
    g_assert_cmpuint (s->weight_bytes, ==, 16 * 9);
    g_assert_cmpuint (s->scratch_bytes, >, 0);
  }
  assert_arena_sound (plan);
  g_assert_true (fb_metrics_compute (config, NULL, &m, NULL, &error));
  /* The live-bytes peak is a lower bound of any placement. */
  g_assert_cmpuint (fb_plan_get_arena_bytes (plan), >=, m.peak_activation_bytes);
  g_assert_cmpuint (fb_plan_get_input_offset (plan), ==, fb_plan_get_tensor_offset (plan, 0));
}

static void
test_plan_mixed_names (void)
{
  g_autoptr(FbNetwork) net = load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPlan) plan = NULL;
  const FbLayer *dw2 = fb_network_lookup_layer (net, "dw2");
  const FbLayer *pw7 = fb_network_lookup_layer (net, "pw7");
  const FbLayer *fc = fb_network_lookup_layer (net, "fc");

  /* conv1 out 4 bit, dw2 weights 2 bit and out 2 bit, pw7 out 4 (pool and fc read 4). */
  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "conv1")->index, 4);
  fb_precision_config_set_weight_bits (config, dw2->index, 2);
  fb_precision_config_set_tensor_bits (config, dw2->output, 2);
  fb_precision_config_set_tensor_bits (config, pw7->output, 4);
  fb_precision_config_set_weight_bits (config, fc->index, 4);

  plan = fb_plan_new (config, FB_KERNEL_ARCH_SCALAR, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fb_plan_get_step (plan, 0)->kernel, ==, "fb_conv_u8_u4_i8");
  g_assert_cmpstr (fb_plan_get_step (plan, dw2->index)->kernel, ==, "fb_depthwise_u4_u2_i2");
  g_assert_cmpstr (fb_plan_get_step (plan, dw2->index + 1)->kernel, ==, "fb_conv_u2_u8_i8");
  g_assert_cmpstr (fb_plan_get_step (plan, fc->index - 1)->kernel, ==, "fb_avgpool_u4");
  g_assert_cmpstr (fb_plan_get_step (plan, fc->index)->kernel, ==, "fb_linear_u4_i32_i4");
  /* dw2 on 16 channels at 2 bits: 3x3 taps of 16 channels at 4 per byte. */
  g_assert_cmpuint (fb_plan_get_step (plan, dw2->index)->weight_bytes, ==, 9 * 4);
  assert_arena_sound (plan);
}

/* The plan's packed weight bytes (the kernels' layout) and the size metric agree. */
static void
test_plan_weight_bytes_match_metrics (void)
{
  static const char *nets[] = { "fmnist-mbv1.json", "mobilenet-v2-1.0-224.json" };
  static const guint bits[] = { 8, 4, 2 };

  for (guint n = 0; n < G_N_ELEMENTS (nets); n++)
    {
      g_autoptr(FbNetwork) net = load_bundled (nets[n]);
      for (guint i = 0; i < fb_network_get_n_layers (net); i++)
        {
          const FbLayer *l = fb_network_get_layer (net, i);
          gboolean logits = fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_LOGITS;
          if (!fb_layer_is_weighted (l))
            continue;
          for (guint b = 0; b < G_N_ELEMENTS (bits); b++)
            {
              FbPlanStep step;
              g_autoptr(GError) error = NULL;
              if (!fb_network_layer_admits_weight_bits (net, i, bits[b]))
                continue;
              g_assert_true (fb_plan_step_init (net, i, 8, bits[b], logits ? 32 : 8,
                                                FB_KERNEL_ARCH_HOST, &step, &error));
              g_assert_no_error (error);
              g_assert_cmpuint (step.weight_bytes + (logits ? 4 : 8) * l->cout, ==,
                                fb_metrics_weight_bytes (net, i, bits[b]));
            }
        }
    }
}

static void
test_plan_residual_arena (void)
{
  g_autoptr(FbNetwork) net = load_bundled ("mobilenet-v2-1.0-224.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (net, 4, 4, &error);
  g_autoptr(FbPlan) plan = NULL;
  guint n_add = 0;

  g_assert_no_error (error);
  plan = fb_plan_new (config, FB_KERNEL_ARCH_HOST, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < fb_plan_get_n_steps (plan); i++)
    if (fb_plan_get_step (plan, i)->kind == FB_PLAN_ADD)
      {
        const FbPlanStep *s = fb_plan_get_step (plan, i);
        g_assert_cmpstr (s->kernel, ==, "fb_add_u4_u4_u4");
        g_assert_cmpuint (s->input_offset, !=, s->input2_offset);
        n_add++;
      }
  /* MobileNetV2 has 10 residual adds (blocks with stride 1 and equal channels). */
  g_assert_cmpuint (n_add, ==, 10);
  assert_arena_sound (plan);
}

static void
test_plan_rejects_unpackable (void)
{
  const char *json =
    "{\"format\":\"freebits-network/1\",\"name\":\"odd\",\"input\":{\"name\":\"in\",\"shape\":[4,4,3]},"
    "\"layers\":[{\"name\":\"c\",\"op\":\"conv2d\",\"inputs\":[\"in\"],\"output\":\"c\",\"kernel\":1,\"cout\":6},"
    "{\"name\":\"fc\",\"op\":\"linear\",\"inputs\":[\"c\"],\"output\":\"fc\",\"cout\":2}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (json, -1, "odd.json", &error);
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbPlan) plan = NULL;
  FbPlanStep step;

  g_assert_no_error (error);
  config = fb_precision_config_new (net);
  /* 6 channels cannot hold 2-bit values (4 per byte); bypass the setter's checks
   * through a step with explicit bits. */
  g_assert_false (fb_plan_step_init (net, 0, 8, 8, 2, FB_KERNEL_ARCH_HOST, &step, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "\"c\""));
  g_clear_error (&error);

  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "c")->index, 2);
  plan = fb_plan_new (config, FB_KERNEL_ARCH_HOST, &error);
  g_assert_null (plan);
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
}

/* The lower bound by hand: the largest total (sizes rounded to 4, as placed) of the tensors
 * alive during one layer. */
static gsize
live_lower_bound (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  gsize best = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      gsize live = 0;
      for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
        {
          const FbTensor *ten = fb_network_get_tensor (net, t);
          if (ten->producer <= (int) i && ten->last_use >= i)
            live += (fb_metrics_tensor_bytes (ten, fb_precision_config_get_tensor_bits (config, t)) + 3) & ~(gsize) 3;
        }
      best = MAX (best, live);
    }
  return best;
}

/* Checks one plan's arena against the bound and the two placements; returns the arena. */
static gsize
check_arena (FbPrecisionConfig *config, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPlan) plan = fb_plan_new (config, FB_KERNEL_ARCH_SCALAR, &error);
  gsize arena, bound, order, greedy;

  g_assert_no_error (error);
  assert_arena_sound (plan);
  arena = fb_plan_get_arena_bytes (plan);
  bound = fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_LOWER_BOUND);
  order = fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_TENSOR_ORDER);
  greedy = fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_GREEDY_BY_SIZE);
  g_test_message ("%s: arena %" G_GSIZE_FORMAT ", lower bound %" G_GSIZE_FORMAT
                  ", tensor order %" G_GSIZE_FORMAT ", greedy by size %" G_GSIZE_FORMAT,
                  what, arena, bound, order, greedy);
  g_assert_cmpuint (bound, ==, live_lower_bound (config));
  g_assert_cmpuint (order, >=, bound);
  g_assert_cmpuint (greedy, >=, bound);
  g_assert_cmpuint (arena, ==, MIN (order, greedy));
  return arena;
}

/* On every bundled network and uniform precision the arena is within 5 % of the bound. */
static void
test_plan_arena_bound (void)
{
  static const char *nets[] = { "fmnist-mbv1.json", "mobilenet-v1-0.25-128.json",
                                "mobilenet-v1-1.0-224.json", "mobilenet-v2-1.0-224.json" };
  static const guint bits[] = { 8, 4, 2 };

  for (guint n = 0; n < G_N_ELEMENTS (nets); n++)
    {
      g_autoptr(FbNetwork) net = load_bundled (nets[n]);
      for (guint b = 0; b < G_N_ELEMENTS (bits); b++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (net, bits[b], bits[b], &error);
          g_autofree char *what = g_strdup_printf ("%s w%ua%u", nets[n], bits[b], bits[b]);
          gsize arena;

          g_assert_no_error (error);
          arena = check_arena (config, what);
          g_assert_cmpuint (arena * 100, <=, fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_LOWER_BOUND) * 105);
        }
    }
}

/* Mixed activation precisions change the sizes and so the order of the greedy placement:
 * the plan stays sound and never worse than either strategy. */
static void
test_plan_arena_random_configs (void)
{
  static const char *nets[] = { "fmnist-mbv1.json", "mobilenet-v2-1.0-224.json" };
  static const guint bits[] = { 8, 4, 2 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);

  for (guint n = 0; n < G_N_ELEMENTS (nets); n++)
    {
      g_autoptr(FbNetwork) net = load_bundled (nets[n]);
      for (guint k = 0; k < 20; k++)
        {
          g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
          g_autofree char *what = g_strdup_printf ("%s random %u", nets[n], k);
          for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
            if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
              fb_precision_config_set_tensor_bits (config, t, bits[g_rand_int_range (rand, 0, 3)]);
          check_arena (config, what);
        }
    }
}

/* fb_plan_compute_ram(): the arena of the plan, the largest step scratch of each code path,
 * the scratch after the arena at the documented alignment; metrics report the MCU figure. */
static void
test_plan_ram (void)
{
  g_autoptr(FbNetwork) net = load_bundled ("fmnist-mbv1.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (net, 8, 8, &error);
  g_autoptr(FbPlan) host = fb_plan_new (config, FB_KERNEL_ARCH_HOST, &error);
  g_autoptr(FbPlan) mcu = fb_plan_new (config, FB_KERNEL_ARCH_SCALAR, &error);
  gsize max_mcu = 0;
  FbPlanRam ram;
  FbMetrics m;

  g_assert_no_error (error);
  g_assert_true (fb_plan_compute_ram (config, &ram, &error));
  g_assert_no_error (error);
  /* the bundle's conv weights are laid out at export time: the scalar conv's scratch then
   * holds no weights */
  for (guint i = 0; i < fb_plan_get_n_steps (mcu); i++)
    {
      const FbPlanStep *st = fb_plan_get_step (mcu, i);
      gsize need = st->scratch_bytes;
      if (st->kind == FB_PLAN_CONV)
        {
          FbConvParams p = st->conv;
          gsize prepared = fb_conv_prepared_weights_size (st->in_bits, st->out_bits, st->mid_bits, &p);
          p.flag_relu |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
          need = fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, st->in_bits, st->out_bits,
                                                   st->mid_bits, &p);
          g_assert_cmpuint (need + prepared, ==, st->scratch_bytes);
        }
      max_mcu = MAX (max_mcu, need);
    }
  g_assert_cmpuint (ram.arena_bytes, ==, fb_plan_get_arena_bytes (host));
  g_assert_cmpuint (ram.arena_bytes, ==, fb_plan_get_arena_bytes (mcu));
  g_assert_cmpuint (ram.mcu_scratch_bytes, ==, max_mcu);
  g_assert_cmpuint (ram.host_scratch_bytes, ==, fb_plan_get_scratch_bytes (host));
  g_assert_cmpuint (ram.kernel_scratch_offset % FB_PLAN_SCRATCH_ALIGN, ==, 0);
  g_assert_cmpuint (ram.kernel_scratch_offset, >=, ram.arena_bytes);
  g_assert_cmpuint (ram.kernel_scratch_offset, <, ram.arena_bytes + FB_PLAN_SCRATCH_ALIGN);
  g_assert_cmpuint (ram.mcu_bytes, ==, ram.kernel_scratch_offset + max_mcu);
  g_assert_true (fb_metrics_compute (config, NULL, &m, NULL, &error));
  g_assert_cmpuint (m.ram_bytes, ==, ram.mcu_bytes);
  g_assert_cmpuint (m.arena_bytes, ==, ram.arena_bytes);
  g_assert_cmpuint (m.kernel_scratch_bytes, ==, ram.mcu_scratch_bytes);
  /* the live peak (unrounded sizes) never exceeds the arena's bound */
  g_assert_cmpuint (m.peak_activation_bytes, <=, ram.arena_lower_bound);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/plan/fmnist-uniform", test_plan_fmnist_uniform);
  g_test_add_func ("/core/plan/mixed-names", test_plan_mixed_names);
  g_test_add_func ("/core/plan/weight-bytes-match-metrics", test_plan_weight_bytes_match_metrics);
  g_test_add_func ("/core/plan/residual-arena", test_plan_residual_arena);
  g_test_add_func ("/core/plan/rejects-unpackable", test_plan_rejects_unpackable);
  g_test_add_func ("/core/plan/arena-bound", test_plan_arena_bound);
  g_test_add_func ("/core/plan/arena-random-configs", test_plan_arena_random_configs);
  g_test_add_func ("/core/plan/ram", test_plan_ram);
  return g_test_run ();
}

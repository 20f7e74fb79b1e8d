/* test-metrics.c — FbMetrics on a tiny network computed by hand: weight
 * memory, BOPs, peak activation memory, latency from a table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-metrics.h"
#include "fb-test-util.h"

/* The hand-checked network (layer index: name, tensors):
 *
 *   x  input 4x4x3 (u8)
 *   0  c1  conv2d x → a   k3 s1 pad1 cout 8   → 4x4x8
 *   1  d1  depthwise a → b k3 s2 pad1          → 2x2x8   (Ho = (4+2-3)/2+1 = 2)
 *   2  p1  conv2d b → c   k1 cout 8            → 2x2x8
 *   3  r   add [b, c] → s                      → 2x2x8   (b stays alive until here)
 *   4  g   global_avg_pool s → p               → 1x1x8   (bits follow s)
 *   5  fc  linear p → y   cout 5               → int32 logits
 *
 * MACs:   c1 4·4·8·(3·3·3) = 3456   d1 2·2·8·9 = 288   p1 2·2·8·8 = 256   fc 8·5 = 40
 *         Σ = 4040
 * Params: c1 216+8  d1 72+8  p1 64+8  fc 40+5  → Σ = 421
 *
 * Weight bytes at w bits (packed + 8 B kappa/lambda per output channel;
 * the classifier 4 B int32 bias per class):
 *   c1  rows of 3·3·3 = 27 weights, each row padded to a byte:
 *       w8 27 B, w4 ceil(108/8) = 14 B, w2 ceil(54/8) = 7 B; × 8 rows
 *       = 216 / 112 / 56, + 8·8 = 64 → 280 / 176 / 120
 *   d1  [3][3][8] packed along C: 9 · ceil(8·w/8) = 72 / 36 / 18, + 64 → 136 / 100 / 82
 *   p1  rows of 8 weights: 8 · w/8·8 = 64 / 32 / 16, + 64 → 128 / 96 / 80
 *   fc  rows of 8 weights × 5 = 40 / 20 / 10, + 4·5 = 20 → 60 / 40 / 30
 *
 * Tensor bytes H·W·ceil(C·bits/8): x = 16·3 = 48 always; y = 5·4 = 20 always.
 * Alive while layer i runs: produced at or before i, last read at or after i:
 *   L0 x a   L1 a b   L2 b c   L3 b c s   L4 s p   L5 p y
 */
static const char tiny_json[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-metrics\","
  "  \"input\": { \"name\": \"x\", \"shape\": [4, 4, 3] },"
  "  \"layers\": ["
  "    { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"a\", \"kernel\": 3, \"pad\": 1, \"cout\": 8 },"
  "    { \"name\": \"d1\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"a\"], \"output\": \"b\", \"kernel\": 3, \"stride\": 2, \"pad\": 1 },"
  "    { \"name\": \"p1\", \"op\": \"conv2d\", \"inputs\": [\"b\"], \"output\": \"c\", \"kernel\": 1, \"cout\": 8 },"
  "    { \"name\": \"r\", \"op\": \"add\", \"inputs\": [\"b\", \"c\"], \"output\": \"s\" },"
  "    { \"name\": \"g\", \"op\": \"global_avg_pool\", \"inputs\": [\"s\"], \"output\": \"p\" },"
  "    { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"p\"], \"output\": \"y\", \"cout\": 5 }"
  "  ] }";

/* Layer indices of the weighted layers and tensor indices of the activations. */
enum { L_C1 = 0, L_D1 = 1, L_P1 = 2, L_R = 3, L_G = 4, L_FC = 5, N_LAYERS = 6 };
enum { T_X = 0, T_A = 1, T_B = 2, T_C = 3, T_S = 4, T_P = 5, T_Y = 6 };

typedef struct {
  const char *name;
  guint       w[4];              /* c1, d1, p1, fc */
  guint       a[4];              /* a, b, c, s */
  guint64     weight_bytes[N_LAYERS];
  guint64     size_bytes;
  guint64     bops;
  guint64     live[N_LAYERS];
  guint64     peak;
  guint       peak_layer;
} HandCase;

static const HandCase hand_cases[] = {
  /* BOPs: c1 3456·8·8 = 221184, d1 288·8·8 = 18432, p1 256·64 = 16384, fc 40·64 = 2560.
   * Tensors: a 16·8 = 128, b = c = s = 4·8 = 32, p = 8.
   * Live: L0 48+128 = 176, L1 128+32 = 160, L2 32+32 = 64, L3 96, L4 32+8 = 40, L5 8+20 = 28. */
  { "w8a8", { 8, 8, 8, 8 }, { 8, 8, 8, 8 },
    { 280, 136, 128, 0, 0, 60 }, 604, 258560,
    { 176, 160, 64, 96, 40, 28 }, 176, L_C1 },
  /* BOPs: c1 3456·4·8 = 110592 (input stays 8-bit), d1 288·4·4 = 4608, p1 256·16 = 4096,
   *       fc 40·4·4 = 640 (p follows s = 4 bits) → 119936.
   * Tensors: a 16·4 = 64, b = c = s = 4·4 = 16, p = 4.
   * Live: L0 112, L1 80, L2 32, L3 48, L4 20, L5 24. */
  { "w4a4", { 4, 4, 4, 4 }, { 4, 4, 4, 4 },
    { 176, 100, 96, 0, 0, 40 }, 412, 119936,
    { 112, 80, 32, 48, 20, 24 }, 112, L_C1 },
  /* BOPs: c1 3456·2·8 = 55296, d1 288·2·2 = 1152, p1 256·4 = 1024, fc 40·4 = 160 → 57632.
   * Tensors: a 16·2 = 32, b = c = s = 4·2 = 8, p = 2.
   * Live: L0 80, L1 40, L2 16, L3 24, L4 10, L5 22. */
  { "w2a2", { 2, 2, 2, 2 }, { 2, 2, 2, 2 },
    { 120, 82, 80, 0, 0, 30 }, 312, 57632,
    { 80, 40, 16, 24, 10, 22 }, 80, L_C1 },
  /* Mixed: weights c1 8, d1 4, p1 2, fc 8; activations a 2, b 8, c 8, s 8.
   * Weight bytes 280 + 100 + 80 + 60 = 520.
   * BOPs: c1 3456·8·8 = 221184, d1 288·4·2 = 2304, p1 256·2·8 = 4096, fc 40·8·8 = 2560 → 230144.
   * Tensors: a 32, b = c = s = 32, p = 8.
   * Live: L0 48+32 = 80, L1 64, L2 64, L3 b+c+s = 96 (the residual peak), L4 40, L5 28. */
  { "mixed", { 8, 4, 2, 8 }, { 2, 8, 8, 8 },
    { 280, 100, 80, 0, 0, 60 }, 520, 230144,
    { 80, 64, 64, 96, 40, 28 }, 96, L_R },
};

static FbPrecisionConfig *
hand_config (FbNetwork *net, const HandCase *hc)
{
  static const guint wl[4] = { L_C1, L_D1, L_P1, L_FC };
  static const guint at[4] = { T_A, T_B, T_C, T_S };
  FbPrecisionConfig *config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 4; i++)
    {
      fb_precision_config_set_weight_bits (config, wl[i], hc->w[i]);
      fb_precision_config_set_tensor_bits (config, at[i], hc->a[i]);
    }
  g_assert_true (fb_precision_config_validate (config, &error));
  g_assert_no_error (error);
  return config;
}

static void
test_tiny_structure (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);

  /* The enums above match the file. */
  g_assert_cmpuint (fb_network_get_n_layers (net), ==, N_LAYERS);
  g_assert_cmpstr (fb_network_get_layer (net, L_R)->name, ==, "r");
  g_assert_cmpstr (fb_network_get_tensor (net, T_S)->name, ==, "s");
  g_assert_cmpstr (fb_network_get_tensor (net, T_Y)->name, ==, "y");
  g_assert_cmpuint (fb_network_get_layer (net, L_C1)->macs, ==, 3456);
  g_assert_cmpuint (fb_network_get_layer (net, L_D1)->macs, ==, 288);
  g_assert_cmpuint (fb_network_get_layer (net, L_P1)->macs, ==, 256);
  g_assert_cmpuint (fb_network_get_layer (net, L_FC)->macs, ==, 40);
  g_assert_cmpuint (fb_network_get_macs (net), ==, 4040);
  g_assert_cmpuint (fb_network_get_params (net), ==, 421);
  g_assert_cmpuint (fb_network_get_tensor (net, T_B)->last_use, ==, L_R);
}

static void
test_hand_case (gconstpointer data)
{
  const HandCase *hc = data;
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);
  g_autoptr(FbPrecisionConfig) config = hand_config (net, hc);
  g_autoptr(GError) error = NULL;
  FbLayerMetrics per_layer[N_LAYERS];
  FbMetrics m;
  guint64 sum_w = 0, sum_bops = 0;

  g_assert_true (fb_metrics_compute (config, NULL, &m, per_layer, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (m.macs, ==, 4040);
  g_assert_cmpuint (m.size_bytes, ==, hc->size_bytes);
  g_assert_cmpuint (m.bops, ==, hc->bops);
  g_assert_cmpuint (m.peak_activation_bytes, ==, hc->peak);
  g_assert_cmpuint (m.peak_layer, ==, hc->peak_layer);
  g_assert_true (isnan (m.latency));

  for (guint i = 0; i < N_LAYERS; i++)
    {
      g_assert_cmpuint (per_layer[i].weight_bytes, ==, hc->weight_bytes[i]);
      g_assert_cmpuint (per_layer[i].live_bytes, ==, hc->live[i]);
      g_assert_cmpuint (fb_metrics_weight_bytes (net, i, per_layer[i].mid_bits), ==,
                        fb_layer_is_weighted (fb_network_get_layer (net, i)) ? hc->weight_bytes[i] : 0);
      g_assert_true (isnan (per_layer[i].latency));
      sum_w += per_layer[i].weight_bytes;
      sum_bops += per_layer[i].bops;
    }
  g_assert_cmpuint (sum_w, ==, m.size_bytes);
  g_assert_cmpuint (sum_bops, ==, m.bops);

  /* The bits each layer sees. */
  g_assert_cmpuint (per_layer[L_C1].a_in_bits, ==, 8);
  g_assert_cmpuint (per_layer[L_C1].mid_bits, ==, hc->w[0]);
  g_assert_cmpuint (per_layer[L_C1].out_bits, ==, hc->a[0]);
  g_assert_cmpuint (per_layer[L_R].a_in_bits, ==, hc->a[1]);
  g_assert_cmpuint (per_layer[L_R].mid_bits, ==, hc->a[2]);
  g_assert_cmpuint (per_layer[L_G].mid_bits, ==, 0);
  g_assert_cmpuint (per_layer[L_G].out_bits, ==, hc->a[3]);
  g_assert_cmpuint (per_layer[L_FC].a_in_bits, ==, hc->a[3]);
  g_assert_cmpuint (per_layer[L_FC].out_bits, ==, 32);
  g_assert_cmpuint (per_layer[L_R].bops + per_layer[L_G].bops, ==, 0);
}

/* H·W·ceil(C·bits/8), including channel counts that do not fill the last byte. */
static void
test_tensor_bytes (void)
{
  FbTensor t = { .name = (char *) "t", .shape = { 3, 3, 5 }, .kind = FB_TENSOR_ACTIVATION };
  FbTensor in = { .name = (char *) "in", .shape = { 28, 28, 1 }, .kind = FB_TENSOR_INPUT };

  g_assert_cmpuint (fb_metrics_tensor_bytes (&t, 8), ==, 45);
  g_assert_cmpuint (fb_metrics_tensor_bytes (&t, 4), ==, 27);    /* ceil(20/8) = 3 per pixel */
  g_assert_cmpuint (fb_metrics_tensor_bytes (&t, 2), ==, 18);    /* ceil(10/8) = 2 per pixel */
  g_assert_cmpuint (fb_metrics_tensor_bytes (&t, 32), ==, 180);  /* int32 */
  g_assert_cmpuint (fb_metrics_tensor_bytes (&in, 8), ==, 784);
}

/* ---------------------------------------------------------------------------
 * Latency: the sum of the table entries of the config's keys. */

static FbLatencyTable *
hand_table (FbNetwork *net)
{
  FbLatencyTable *table = fb_latency_table_new ("host", FB_LATENCY_UNIT_US, FB_LATENCY_METHOD_MEASURED);

  fb_latency_table_set_network (table, net);
  /* w8a8 keys */
  fb_latency_table_set_cost (table, "c1", "a8w8o8", 100);
  fb_latency_table_set_cost (table, "d1", "a8w8o8", 20.5);
  fb_latency_table_set_cost (table, "p1", "a8w8o8", 30);
  fb_latency_table_set_cost (table, "r", "a8b8o8", 5);
  fb_latency_table_set_cost (table, "g", "a8o8", 2);
  fb_latency_table_set_cost (table, "fc", "a8w8o32", 7.25);
  /* keys of the mixed config (c1 a8w8o2, d1 a2w4o8, p1 a8w2o8; rest as w8a8) */
  fb_latency_table_set_cost (table, "c1", "a8w8o2", 90);
  fb_latency_table_set_cost (table, "d1", "a2w4o8", 11);
  fb_latency_table_set_cost (table, "p1", "a8w2o8", 40.125);
  /* entries no config here uses: must not be counted */
  fb_latency_table_set_cost (table, "c1", "a8w4o8", 1e6);
  fb_latency_table_set_cost (table, "fc", "a4w4o32", 1e6);
  return table;
}

static void
test_latency_sum (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);
  g_autoptr(FbLatencyTable) table = hand_table (net);
  g_autoptr(FbPrecisionConfig) w8a8 = hand_config (net, &hand_cases[0]);
  g_autoptr(FbPrecisionConfig) mixed = hand_config (net, &hand_cases[3]);
  g_autoptr(GError) error = NULL;
  FbLayerMetrics per_layer[N_LAYERS];
  FbMetrics m;

  /* 100 + 20.5 + 30 + 5 + 2 + 7.25 = 164.75 (exact in binary floating point) */
  g_assert_true (fb_metrics_compute (w8a8, table, &m, per_layer, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (m.latency, ==, 164.75);
  g_assert_cmpfloat (per_layer[L_D1].latency, ==, 20.5);
  g_assert_cmpfloat (per_layer[L_G].latency, ==, 2);
  /* The table changes nothing else. */
  g_assert_cmpuint (m.size_bytes, ==, hand_cases[0].size_bytes);
  g_assert_cmpuint (m.peak_activation_bytes, ==, hand_cases[0].peak);

  /* 90 + 11 + 40.125 + 5 + 2 + 7.25 = 155.375 */
  g_assert_true (fb_metrics_compute (mixed, table, &m, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (m.latency, ==, 155.375);
}

static void
test_latency_missing (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);
  g_autoptr(FbLatencyTable) table = hand_table (net);
  g_autoptr(FbPrecisionConfig) config = hand_config (net, &hand_cases[1]);   /* w4a4 */
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  /* w4a4 needs c1 "a8w4o4"; the table has c1 but not that key. */
  g_assert_false (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISSING);
  fb_test_assert_mentions (error->message, "\"c1\"");
  fb_test_assert_mentions (error->message, "\"a8w4o4\"");
}

static void
test_latency_missing_layer (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("host", FB_LATENCY_UNIT_US, FB_LATENCY_METHOD_MEASURED);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  fb_latency_table_set_cost (table, "c1", "a8w8o8", 1);
  fb_latency_table_set_cost (table, "d1", "a8w8o8", 1);
  /* no "p1" at all */
  g_assert_false (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISSING);
  fb_test_assert_mentions (error->message, "\"p1\"");
  fb_test_assert_mentions (error->message, "\"a8w8o8\"");
}

static void
test_latency_other_network (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (tiny_json);
  g_autoptr(FbNetwork) other = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbLatencyTable) table = hand_table (net);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  fb_latency_table_set_network (table, other);
  g_assert_false (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  fb_test_assert_mentions (error->message, "fmnist-mbv1");
  fb_test_assert_mentions (error->message, "tiny-metrics");
}

/* ---------------------------------------------------------------------------
 * Bundled networks: at 8 bits every weight is one byte, so the size is the
 * weight count plus the requant bytes; BOPs are 64 × MACs. */
static void
test_bundled_w8a8 (gconstpointer data)
{
  const char *file = data;
  g_autoptr(FbNetwork) net = fb_test_load_bundled (file);
  g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new_from_spec (net, "w8a8", NULL);
  g_autoptr(FbPrecisionConfig) w4a8 = fb_precision_config_new_from_spec (net, "w4a8", NULL);
  g_autoptr(GError) error = NULL;
  guint64 expected = 0;
  FbMetrics m8, m4;

  g_assert_nonnull (w8a8);
  g_assert_nonnull (w4a8);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      if (!fb_layer_is_weighted (l))
        continue;
      expected += l->n_weights +
        l->cout * (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_LOGITS ? 4 : 8);
    }
  g_assert_true (fb_metrics_compute (w8a8, NULL, &m8, NULL, &error));
  g_assert_true (fb_metrics_compute (w4a8, NULL, &m4, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m8.size_bytes, ==, expected);
  g_assert_cmpuint (m8.bops, ==, 64 * fb_network_get_macs (net));
  g_assert_cmpuint (m8.macs, ==, fb_network_get_macs (net));
  g_assert_cmpuint (m4.bops, ==, 32 * fb_network_get_macs (net));
  g_assert_cmpuint (m4.size_bytes, <, m8.size_bytes);
  /* Activations unchanged: the same peak. */
  g_assert_cmpuint (m4.peak_activation_bytes, ==, m8.peak_activation_bytes);
  g_assert_cmpuint (m8.peak_activation_bytes, >, 0);
}

/* Peak memory of fmnist-mbv1 at w8a8: the largest pair of adjacent tensors
 * is around pw2 (28·28·16 in, 28·28·32 out = 12544 + 25088 = 37632 bytes). */
static void
test_fmnist_peak (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  g_assert_true (fb_metrics_compute (config, NULL, &m, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m.peak_activation_bytes, ==, 37632);
  g_assert_cmpstr (fb_network_get_layer (net, m.peak_layer)->name, ==, "pw2");
}

/* The grouping the CLI tables and the exported README print. */
static void
test_format_count (void)
{
  static const struct {
    guint64     value;
    const char *text;
  } cases[] = {
    { 0, "0" },
    { 7, "7" },
    { 999, "999" },
    { 1000, "1,000" },
    { 65536, "65,536" },
    { 1234567, "1,234,567" },
    { 100000000, "100,000,000" },
    { G_MAXUINT64, "18,446,744,073,709,551,615" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = fb_metrics_format_count (cases[i].value);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* tests/data/net-signed.json (8x8x4 signed input; conv1 3x3→8, conv2 3x3 8→8,
 * short 1x1 4→8, res add, proj 1x1 8→8, res2 add, mpool 3x3/2 pad 1 → 4x4,
 * apool 2x2/2 → 2x2, global pool, fc 8→4), by hand:
 *   weights at w8: conv1 8·36 + 64 = 352, conv2 8·72 + 64 = 640, short 8·4 + 64 = 96,
 *   proj 8·8 + 64 = 128, fc 4·8 + 16 = 48 → 1264; pools and adds weigh nothing;
 *   at w4 each row halves: 144+64, 288+64, 16+64, 32+64, 16+16 → 768.
 *   MACs 64·(288 + 576 + 32 + 64) + 32 = 61472; BOPs = MACs · w · a.
 *   Peak at a8: while res runs, c2, s and r (512 B each) are alive: 1536;
 *   while mpool runs: r2 (512) + m (4·4·8 = 128) = 640; at a4: 256 + 64 = 320. */
static void
test_signed_and_pools (void)
{
  g_autofree char *path = fb_test_data_path ("net-signed.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new_uniform (net, 8, 8, NULL);
  g_autoptr(FbPrecisionConfig) w4a4 = fb_precision_config_new_uniform (net, 4, 4, NULL);
  guint n = fb_network_get_n_layers (net);
  g_autofree FbLayerMetrics *per = g_new0 (FbLayerMetrics, n);
  guint mp = fb_test_layer_index (net, "mpool");
  FbMetrics m;
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_metrics_compute (w8a8, NULL, &m, per, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m.size_bytes, ==, 1264);
  g_assert_cmpuint (m.macs, ==, 61472);
  g_assert_cmpuint (m.bops, ==, 61472 * 64);
  g_assert_cmpuint (m.peak_activation_bytes, ==, 1536);
  g_assert_cmpuint (m.peak_layer, ==, fb_test_layer_index (net, "res"));
  g_assert_cmpuint (per[mp].live_bytes, ==, 640);
  g_assert_cmpuint (per[mp].weight_bytes + per[mp].bops, ==, 0);
  g_assert_cmpuint (per[mp].a_in_bits, ==, 8);
  g_assert_cmpuint (per[mp].out_bits, ==, 8);

  g_assert_true (fb_metrics_compute (w4a4, NULL, &m, per, &error));
  g_assert_cmpuint (m.size_bytes, ==, 768);
  /* conv1 and short read the 8-bit input: 4 · 8 bit operations per MAC. */
  g_assert_cmpuint (m.bops, ==, (guint64) 64 * (288 + 32) * 4 * 8 + 64 * (576 + 64) * 4 * 4 + 32 * 4 * 4);
  g_assert_cmpuint (per[mp].live_bytes, ==, 320);
  g_assert_cmpuint (per[mp].out_bits, ==, 4);   /* the pool follows r2 */
}

int
main (int argc, char **argv)
{
  static const char *bundled[] = { "fmnist-mbv1.json", "mobilenet-v2-1.0-224.json" };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/metrics/tiny-structure", test_tiny_structure);
  for (guint i = 0; i < G_N_ELEMENTS (hand_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/metrics/hand/%s", hand_cases[i].name);
      g_test_add_data_func (name, &hand_cases[i], test_hand_case);
    }
  g_test_add_func ("/metrics/tensor-bytes", test_tensor_bytes);
  g_test_add_func ("/metrics/latency/sum", test_latency_sum);
  g_test_add_func ("/metrics/latency/missing-key", test_latency_missing);
  g_test_add_func ("/metrics/latency/missing-layer", test_latency_missing_layer);
  g_test_add_func ("/metrics/latency/other-network", test_latency_other_network);
  for (guint i = 0; i < G_N_ELEMENTS (bundled); i++)
    {
      g_autofree char *name = g_strdup_printf ("/metrics/bundled-w8/%s", bundled[i]);
      g_test_add_data_func (name, bundled[i], test_bundled_w8a8);
    }
  g_test_add_func ("/metrics/fmnist-peak", test_fmnist_peak);
  g_test_add_func ("/metrics/format-count", test_format_count);
  g_test_add_func ("/metrics/signed-and-pools", test_signed_and_pools);

  return g_test_run ();
}

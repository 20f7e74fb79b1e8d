/* test-search.c — src/search: candidates, uniform, free bits, Pareto DP, budgets, cancel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "fb-compare.h"
#include "fb-free-bits.h"
#include "fb-json.h"
#include "fb-pareto.h"
#include "fb-search-measure.h"
#include "fb-search-uniform.h"
#include "fb-sensitivity.h"
#include "fb-test-util.h"

/* Six layers, a residual add (c1 stays open across d2 and p3) and a pool:
 * 4 weight entries and 4 activation tensors, 3^8 = 6561 configs. */
static const char tiny_net[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-res\","
  "  \"input\": { \"name\": \"input\", \"shape\": [4, 4, 4] },"
  "  \"layers\": ["
  "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\", \"kernel\": 3, \"pad\": 1, \"cout\": 8 },"
  "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\", \"kernel\": 3, \"pad\": 1 },"
  "   { \"name\": \"p3\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p3\", \"kernel\": 1, \"cout\": 8 },"
  "   { \"name\": \"a4\", \"op\": \"add\", \"inputs\": [\"c1\", \"p3\"], \"output\": \"a4\" },"
  "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"a4\"], \"output\": \"pool\" },"
  "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 4 } ] }";

static FbNetwork *
tiny (void)
{
  g_autoptr(GError) error = NULL;
  FbNetwork *net = fb_network_load_from_data (tiny_net, -1, "tiny-res", &error);
  g_assert_no_error (error);
  return net;
}

/* "a8w4o8" / "a8b4o8" / "a8o8" → bits; mid 0 for pools. */
static void
parse_key (const char *key, guint *a, guint *m, guint *o)
{
  const char *p = key + 1;
  char *end;

  *a = strtoul (p, &end, 10);
  *m = 0;
  if (*end == 'w' || *end == 'b')
    *m = strtoul (end + 1, &end, 10);
  g_assert_true (*end == 'o');
  *o = strtoul (end + 1, NULL, 10);
}

typedef double (*CostFunc) (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data);
static FbLatencyTable *build_table_for (const char *target, FbNetwork *net, CostFunc func, gpointer data);

static FbLatencyTable *
build_table (FbNetwork *net, CostFunc func, gpointer data)
{
  return build_table_for ("test", net, func, data);
}

static FbLatencyTable *
build_table_for (const char *target, FbNetwork *net, CostFunc func, gpointer data)
{
  FbLatencyTable *table = fb_latency_table_new (target, FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);

  fb_latency_table_set_network (table, net);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      for (guint k = 0; keys[k]; k++)
        {
          guint a, m, o;
          parse_key (keys[k], &a, &m, &o);
          fb_latency_table_set_cost (table, l->name, keys[k], func (net, l, a, m, o, data));
        }
    }
  return table;
}

static double
random_cost (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  return g_rand_int_range (data, 1, 100);
}

/* Roughly a core without sub-byte SIMD: unpacking makes sub-byte MACs dearer,
 * smaller tensors make transfers cheaper. */
static double
model_cost (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  double k = 1.0 + (a < 8 ? 0.25 : 0) + (m > 0 && m < 8 ? 0.3 : 0);
  guint ob = o == 32 ? 32 : o;
  return floor (l->macs * k / 4.0 + l->in_shape.h * l->in_shape.w * l->in_shape.c * a / 8.0 +
                l->n_weights * (m ? m : 8) / 8.0 + l->out_shape.h * l->out_shape.w * l->out_shape.c * ob / 8.0);
}

static void
collect (FbCandidate *c, gpointer data)
{
  g_ptr_array_add (data, fb_candidate_ref (c));
}

/* ---- candidates ---- */

static void
test_candidates_round_trip (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autoptr(FbCandidateList) list = fb_candidate_list_new (net);
  g_autoptr(FbCandidateList) back = NULL;
  g_autoptr(FbPrecisionConfig) c1 = fb_precision_config_new_from_spec (net, "w4a8", NULL);
  g_autoptr(FbPrecisionConfig) c2 = fb_precision_config_new_from_spec (net, "w2a4", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fb-search-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cands.json", NULL);
  g_autoptr(JsonObject) prov = json_object_new ();
  FbCandidate *a, *b;

  json_object_set_string_member (prov, "note", "hello");
  fb_precision_config_set_weight_pinned (c1, 0, TRUE);
  a = fb_candidate_new_evaluated (c1, table, 0.875, "uniform", prov, &error);
  g_assert_no_error (error);
  b = fb_candidate_new_evaluated (c2, NULL, NAN, "pareto", NULL, &error);
  g_assert_no_error (error);
  fb_candidate_list_add (list, a);
  fb_candidate_list_add (list, b);
  fb_candidate_unref (a);
  fb_candidate_unref (b);
  g_assert_true (fb_candidate_list_save (list, path, &error));
  g_assert_no_error (error);
  {
    g_autofree char *text = NULL;
    g_autofree char *want = g_strdup_printf ("\"ram_bytes\" : %" G_GUINT64_FORMAT,
                                             fb_candidate_get_metrics (fb_candidate_list_get (list, 0))->ram_bytes);

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, want));
  }

  back = fb_candidate_list_load (net, path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_candidate_list_get_length (back), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      FbCandidate *x = fb_candidate_list_get (list, i), *y = fb_candidate_list_get (back, i);
      const FbMetrics *mx = fb_candidate_get_metrics (x), *my = fb_candidate_get_metrics (y);
      g_assert_true (fb_precision_config_equal (fb_candidate_get_config (x), fb_candidate_get_config (y)));
      g_assert_cmpuint (mx->size_bytes, ==, my->size_bytes);
      g_assert_cmpuint (mx->bops, ==, my->bops);
      g_assert_cmpuint (mx->peak_activation_bytes, ==, my->peak_activation_bytes);
      /* the bundle's RAM: the plan's arena plus kernel scratch, at least the peak */
      g_assert_cmpuint (mx->ram_bytes, >=, mx->peak_activation_bytes);
      g_assert_cmpuint (mx->ram_bytes, ==, my->ram_bytes);
      g_assert_cmpstr (fb_candidate_get_method (x), ==, fb_candidate_get_method (y));
      if (i == 0)
        {
          g_assert_cmpfloat (mx->latency, ==, my->latency);
          g_assert_cmpfloat (fb_candidate_get_accuracy (y), ==, 0.875);
          g_assert_cmpstr (json_object_get_string_member (fb_candidate_get_provenance (y), "note"), ==, "hello");
          g_assert_true (fb_precision_config_get_weight_pinned (fb_candidate_get_config (y), 0));
        }
      else
        {
          g_assert_true (isnan (my->latency));
          g_assert_true (isnan (fb_candidate_get_accuracy (y)));
        }
    }
  g_unlink (path);
  g_rmdir (dir);
}

static void
expect_bad (FbNetwork *net, const char *text, FbError code, const char *mention)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fb_json_load_data (text, -1, "bad.json", &error);
  g_autoptr(FbCandidateList) list = NULL;

  g_assert_no_error (error);
  list = fb_candidate_list_new_from_json (net, root, "bad.json", &error);
  g_assert_null (list);
  g_assert_error (error, FB_ERROR, (gint) code);
  g_assert_nonnull (strstr (error->message, "bad.json"));
  g_assert_nonnull (strstr (error->message, mention));
}

static void
test_candidates_bad_files (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbCandidateList) list = fb_candidate_list_new (net);
  g_autoptr(FbPrecisionConfig) c = fb_precision_config_new (net);
  g_autoptr(FbCandidate) cand = fb_candidate_new_evaluated (c, NULL, NAN, "uniform", NULL, NULL);
  g_autoptr(JsonNode) good = NULL;
  g_autofree char *text = NULL, *stale = NULL, *acc = NULL;
  g_autofree char *size_str = NULL;

  expect_bad (net, "{ \"format\": \"freebits-config/1\" }", FB_ERROR_FORMAT, "freebits-candidates");
  expect_bad (net, "{ \"format\": \"freebits-candidates/1\" }", FB_ERROR_FIELD, "candidates");
  expect_bad (net, "{ \"format\": \"freebits-candidates/1\", \"candidates\": [], \"typo\": 1 }",
              FB_ERROR_FIELD, "typo");
  expect_bad (net, "{ \"format\": \"freebits-candidates/1\", \"network_sha256\": \"00\", \"candidates\": [] }",
              FB_ERROR_MISMATCH, "another network");

  /* A candidate whose size disagrees with its config, and one with accuracy in percent. */
  fb_candidate_list_add (list, cand);
  good = fb_candidate_list_to_json (list);
  text = fb_json_to_string (good, FALSE);
  size_str = g_strdup_printf ("\"size_bytes\":%" G_GUINT64_FORMAT, fb_candidate_get_metrics (cand)->size_bytes);
  g_assert_nonnull (strstr (text, size_str));
  {
    g_auto(GStrv) parts = g_strsplit (text, size_str, 2);
    stale = g_strconcat (parts[0], "\"size_bytes\":1", parts[1], NULL);
    acc = g_strconcat (parts[0], size_str, parts[1], NULL);
  }
  expect_bad (net, stale, FB_ERROR_MISMATCH, "candidates[0]: field \"size_bytes\"");
  {
    g_auto(GStrv) parts = g_strsplit (acc, "\"accuracy\":null", 2);
    g_autofree char *pct = g_strconcat (parts[0], "\"accuracy\":87.5", parts[1], NULL);
    expect_bad (net, pct, FB_ERROR_FIELD, "accuracy");
  }
}

/* ---- uniform ---- */

static void
test_uniform_set (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (2);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GError) error = NULL;
  static const char *names[] = { "w8a8", "w8a4", "w8a2", "w4a8", "w4a4", "w4a2", "w2a8", "w2a4", "w2a2" };

  g_assert_true (fb_search_uniform (net, table, NULL, NULL, collect, NULL, got, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 9);
  for (guint i = 0; i < 9; i++)
    {
      FbCandidate *c = g_ptr_array_index (got, i);
      g_autoptr(FbPrecisionConfig) want = fb_precision_config_new_from_spec (net, names[i], NULL);
      FbMetrics m;
      g_assert_true (fb_precision_config_equal (fb_candidate_get_config (c), want));
      g_assert_true (fb_metrics_compute (want, table, &m, NULL, NULL));
      g_assert_cmpfloat (fb_candidate_get_metrics (c)->latency, ==, m.latency);
      g_assert_cmpstr (fb_candidate_get_method (c), ==, "uniform");
      g_assert_true (isnan (fb_candidate_get_accuracy (c)));
    }
}

/* ---- free bits ---- */

/* Every key costs 100, except @data names a layer whose 8-bit weights cost more. */
static double
flat_but (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  if (g_str_equal (l->name, data) && m == 8)
    return 150;
  return 100;
}

static guint
wbits (FbPrecisionConfig *c, const char *layer)
{
  FbNetwork *net = fb_precision_config_get_network (c);
  return fb_precision_config_get_weight_bits (c, fb_network_lookup_layer (net, layer)->index);
}

static guint
abits (FbPrecisionConfig *c, const char *tensor)
{
  FbNetwork *net = fb_precision_config_get_network (c);
  return fb_precision_config_get_tensor_bits (c, fb_network_lookup_tensor (net, tensor)->index);
}

static FbCandidate *
run_free_bits (FbPrecisionConfig *start, FbLatencyTable *table, double tol, GPtrArray **changes)
{
  g_autoptr(GError) error = NULL;
  FbCandidate *result = NULL;
  FbMetrics before;

  FbFreeBitsOptions opt;

  fb_free_bits_options_init (&opt);
  opt.tolerance = tol;
  g_assert_true (fb_search_free_bits (start, table, &opt, NULL, NULL, NULL, NULL, NULL, changes, &result, &error));
  g_assert_no_error (error);
  g_assert_true (fb_metrics_compute (start, table, &before, NULL, NULL));
  if (tol == 0)
    g_assert_cmpfloat (fb_candidate_get_metrics (result)->latency, <=, before.latency);
  return result;
}

static void
test_free_bits_raise_and_keep (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, flat_but, (gpointer) "p3");
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new_from_spec (net, "w4a8", NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FbCandidate) r = run_free_bits (start, table, 0, &changes);
  FbPrecisionConfig *c = fb_candidate_get_config (r);

  g_assert_cmpuint (wbits (c, "c1"), ==, 8);
  g_assert_cmpuint (wbits (c, "d2"), ==, 8);
  g_assert_cmpuint (wbits (c, "fc"), ==, 8);
  g_assert_cmpuint (wbits (c, "p3"), ==, 4);   /* 8 bit costs 150 > 100 there */
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_nonnull (strstr (((FbFreeBitsChange *) changes->pdata[0])->message,
                            "c1 weights 4→8: latency 100→100 cycles (free)"));
  g_assert_cmpuint (wbits (start, "c1"), ==, 4);   /* the start config is untouched */
}

static void
test_free_bits_pins (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, flat_but, (gpointer) "none");
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new_from_spec (net, "w4a4", NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FbCandidate) r = NULL;
  FbPrecisionConfig *c;

  fb_precision_config_set_weight_pinned (start, fb_network_lookup_layer (net, "c1")->index, TRUE);
  fb_precision_config_set_tensor_pinned (start, fb_network_lookup_tensor (net, "d2")->index, TRUE);
  r = run_free_bits (start, table, 0, &changes);
  c = fb_candidate_get_config (r);
  g_assert_cmpuint (wbits (c, "c1"), ==, 4);
  g_assert_cmpuint (abits (c, "d2"), ==, 4);
  g_assert_true (fb_precision_config_get_weight_pinned (c, fb_network_lookup_layer (net, "c1")->index));
  g_assert_cmpuint (wbits (c, "d2"), ==, 8);   /* everything else is free */
  g_assert_cmpuint (abits (c, "c1"), ==, 8);
  g_assert_cmpuint (abits (c, "a4"), ==, 8);
  g_assert_cmpuint (changes->len, ==, 3 + 3);
}

/* The shared-tensor sums: d2 at 8 bits saves 10 at its producer and costs 10 at
 * its consumer (net 0: raise); c1 at 8 costs nothing at its producer but 1 at
 * its consumer a4 (keep); a4 at 8 costs 3 at fc, reached through the pool (keep). */
static double
coupled (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  double c = 100;
  if (g_str_equal (l->name, "d2") && o == 8) c -= 10;
  if (g_str_equal (l->name, "p3") && a == 8) c += 10;
  if (g_str_equal (l->name, "a4") && a == 8) c += 1;
  if (g_str_equal (l->name, "fc") && a == 8) c += 3;
  return c;
}

static void
test_free_bits_coupling (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, coupled, NULL);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new_from_spec (net, "w8a4", NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FbCandidate) r = run_free_bits (start, table, 0, &changes);
  g_autoptr(FbCandidate) r2 = NULL;
  FbPrecisionConfig *c = fb_candidate_get_config (r);

  g_assert_cmpuint (abits (c, "d2"), ==, 8);
  g_assert_cmpuint (abits (c, "p3"), ==, 8);
  g_assert_cmpuint (abits (c, "c1"), ==, 4);
  g_assert_cmpuint (abits (c, "a4"), ==, 4);
  g_assert_nonnull (strstr (((FbFreeBitsChange *) changes->pdata[0])->message, "d2 activations 4→8 (layers d2, p3)"));

  /* 5 % of the affected layers' latency covers +1 and +3. */
  r2 = run_free_bits (start, table, 0.05, NULL);
  g_assert_cmpuint (abits (fb_candidate_get_config (r2), "c1"), ==, 8);
  g_assert_cmpuint (abits (fb_candidate_get_config (r2), "a4"), ==, 8);
}

/* ---- Pareto DP vs brute force ---- */

typedef struct {
  double v[4];
} Vec;

static int
vec_cmp (const void *a, const void *b)
{
  const Vec *x = a, *y = b;
  for (guint d = 0; d < 4; d++)
    if (x->v[d] != y->v[d])
      return x->v[d] < y->v[d] ? -1 : 1;
  return 0;
}

/* The accuracy proxy comes from @sens (independently summed by the
 * sensitivity's own estimate, not by the DP). */
static void
metrics_vec (const FbMetrics *m, FbParetoObjectives obj, FbSensitivity *sens, FbPrecisionConfig *c, Vec *out)
{
  guint n = 0;
  out->v[0] = out->v[1] = out->v[2] = out->v[3] = 0;
  if (obj & FB_PARETO_LATENCY)  out->v[n++] = m->latency;
  if (obj & FB_PARETO_SIZE)     out->v[n++] = m->size_bytes;
  if (obj & FB_PARETO_BOPS)     out->v[n++] = m->bops;
  if (obj & FB_PARETO_ACCURACY) out->v[n++] = fb_sensitivity_estimate_drop (sens, c);
}

/* Sorted, duplicate-free non-dominated vectors. */
static GArray *
front_of (GArray *all)
{
  GArray *front = g_array_new (FALSE, FALSE, sizeof (Vec));

  g_array_sort (all, vec_cmp);
  for (guint i = 0; i < all->len; i++)
    {
      Vec *p = &g_array_index (all, Vec, i);
      gboolean dom = FALSE;
      for (guint j = 0; j < front->len && !dom; j++)
        {
          Vec *q = &g_array_index (front, Vec, j);
          dom = q->v[0] <= p->v[0] && q->v[1] <= p->v[1] && q->v[2] <= p->v[2] && q->v[3] <= p->v[3];
        }
      if (!dom)
        g_array_append_val (front, *p);
    }
  return front;
}

/* Every config of the tiny network, through fb_metrics_compute. */
static GArray *
brute_force (FbNetwork *net, FbLatencyTable *table, FbSensitivity *sens, FbPrecisionConfig *start,
             FbParetoObjectives obj, const FbSearchConstraints *cons)
{
  static const guint bits[] = { 8, 4, 2 };
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (Vec));
  g_autoptr(GArray) ents = g_array_new (FALSE, FALSE, sizeof (int));   /* layer i ≥ 0, tensor -1-t */

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        int e = i;
        g_array_append_val (ents, e);
      }
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      {
        int e = -1 - (int) t;
        g_array_append_val (ents, e);
      }
  guint total = 1;
  for (guint k = 0; k < ents->len; k++)
    total *= 3;
  for (guint n = 0; n < total; n++)
    {
      g_autoptr(FbPrecisionConfig) c = start ? fb_precision_config_copy (start) : fb_precision_config_new (net);
      guint x = n;
      gboolean skip = FALSE;
      FbMetrics m;
      Vec v;

      for (guint k = 0; k < ents->len; k++, x /= 3)
        {
          int e = g_array_index (ents, int, k);
          guint b = bits[x % 3];
          if (e >= 0)
            {
              if (fb_precision_config_get_weight_pinned (c, e))
                skip |= b != fb_precision_config_get_weight_bits (c, e);
              fb_precision_config_set_weight_bits (c, e, b);
            }
          else
            {
              if (fb_precision_config_get_tensor_pinned (c, -1 - e))
                skip |= b != fb_precision_config_get_tensor_bits (c, -1 - e);
              fb_precision_config_set_tensor_bits (c, -1 - e, b);
            }
        }
      if (skip || !fb_precision_config_validate (c, NULL))
        continue;
      g_assert_true (fb_metrics_compute (c, table, &m, NULL, NULL));
      if (!fb_search_constraints_check (cons, &m, NAN))
        continue;
      metrics_vec (&m, obj, sens, c, &v);
      g_array_append_val (all, v);
    }
  return front_of (all);
}

/* The DP's metrics must be what fb_metrics_compute says of its config. */
static void
check_metrics (FbCandidate *c, FbLatencyTable *table)
{
  const FbMetrics *got = fb_candidate_get_metrics (c);
  FbMetrics want;

  g_assert_true (fb_metrics_compute (fb_candidate_get_config (c), table, &want, NULL, NULL));
  g_assert_cmpuint (got->size_bytes, ==, want.size_bytes);
  g_assert_cmpuint (got->bops, ==, want.bops);
  g_assert_cmpuint (got->macs, ==, want.macs);
  g_assert_cmpuint (got->peak_activation_bytes, ==, want.peak_activation_bytes);
  g_assert_cmpuint (got->peak_layer, ==, want.peak_layer);
  if (table)
    g_assert_cmpfloat (got->latency, ==, want.latency);
  else
    g_assert_true (isnan (got->latency));
}

static void
check_dp_equals_brute_sens (FbNetwork *net, FbLatencyTable *table, FbSensitivity *sens, FbPrecisionConfig *start,
                            FbParetoObjectives obj, const FbSearchConstraints *cons)
{
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GArray) dp = g_array_new (FALSE, FALSE, sizeof (Vec));
  g_autoptr(GArray) bf = brute_force (net, table, sens, start, obj, cons);
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_search_pareto (net, table, sens, start, obj, 0, cons, NULL, collect, NULL, got, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < got->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (got, i);
      Vec v;
      g_assert_true (fb_search_constraints_check (cons, fb_candidate_get_metrics (c), NAN));
      check_metrics (c, table);
      metrics_vec (fb_candidate_get_metrics (c), obj, sens, fb_candidate_get_config (c), &v);
      if (obj & FB_PARETO_ACCURACY)
        g_assert_cmpfloat (json_object_get_double_member (fb_candidate_get_provenance (c), "accuracy_proxy"), ==,
                           fb_sensitivity_estimate_drop (sens, fb_candidate_get_config (c)));
      g_array_append_val (dp, v);
    }
  g_array_sort (dp, vec_cmp);
  g_test_message ("objectives %#x: DP front %u points, brute force %u", obj, dp->len, bf->len);
  g_assert_cmpuint (dp->len, ==, bf->len);
  for (guint i = 0; i < dp->len; i++)
    g_assert_cmpint (vec_cmp (&g_array_index (dp, Vec, i), &g_array_index (bf, Vec, i)), ==, 0);
}

static void
check_dp_equals_brute (FbNetwork *net, FbLatencyTable *table, FbPrecisionConfig *start,
                       FbParetoObjectives obj, const FbSearchConstraints *cons)
{
  check_dp_equals_brute_sens (net, table, NULL, start, obj, cons);
}

static void
test_pareto_brute_force (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  static const FbParetoObjectives objs[] = {
    FB_PARETO_LATENCY | FB_PARETO_SIZE,
    FB_PARETO_LATENCY | FB_PARETO_BOPS,
    FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS,
    FB_PARETO_LATENCY,
  };

  for (guint seed = 1; seed <= 4; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
      for (guint k = 0; k < G_N_ELEMENTS (objs); k++)
        check_dp_equals_brute (net, table, NULL, objs[k], NULL);
    }
}

static void
test_pareto_pins (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new_from_spec (net, "w2a4", NULL);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  guint p3 = fb_network_lookup_layer (net, "p3")->index;
  guint c1 = fb_network_lookup_tensor (net, "c1")->index;

  fb_precision_config_set_weight_pinned (start, p3, TRUE);
  fb_precision_config_set_tensor_pinned (start, c1, TRUE);
  check_dp_equals_brute (net, table, start, FB_PARETO_LATENCY | FB_PARETO_SIZE, NULL);
  g_assert_true (fb_search_pareto (net, table, NULL, start, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL,
                                   NULL, collect, NULL, got, NULL, NULL, NULL));
  g_assert_cmpuint (got->len, >, 0);
  for (guint i = 0; i < got->len; i++)
    {
      FbPrecisionConfig *c = fb_candidate_get_config (g_ptr_array_index (got, i));
      g_assert_cmpuint (fb_precision_config_get_weight_bits (c, p3), ==, 2);
      g_assert_cmpuint (fb_precision_config_get_tensor_bits (c, c1), ==, 4);
    }
}


/* ---- random small networks (≤ 6 weighted layers, residual adds) vs brute force ---- */

/* Stem conv, 1–3 random blocks (conv, depthwise, one- or two-layer residual),
 * pool, classifier: at most 9 searchable entries (3^9 configs to enumerate). */
static FbNetwork *
random_net (GRand *rand)
{
  GString *s = g_string_new ("{ \"format\": \"freebits-network/1\", \"name\": \"rnd\","
                             " \"input\": { \"name\": \"input\", \"shape\": [4, 4, 4] }, \"layers\": ["
                             " { \"name\": \"c0\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"t0\","
                             " \"kernel\": 3, \"pad\": 1, \"cout\": 8 }");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint budget = 6, n = 0;
  const char *cur = "t0";
  char curbuf[16];
  FbNetwork *net;

  while (budget >= 2)
    {
      guint kind = g_rand_int_range (rand, 0, budget >= 5 ? 4 : budget >= 3 ? 3 : 2);
      n++;
      if (kind == 0)
        g_string_append_printf (s, ", { \"name\": \"l%u\", \"op\": \"conv2d\", \"inputs\": [\"%s\"], \"output\": \"x%u\","
                                   " \"kernel\": 1, \"cout\": 8 }", n, cur, n);
      else if (kind == 1)
        g_string_append_printf (s, ", { \"name\": \"l%u\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"%s\"],"
                                   " \"output\": \"x%u\", \"kernel\": 3, \"pad\": 1 }", n, cur, n);
      else if (kind == 2)
        g_string_append_printf (s, ", { \"name\": \"l%u\", \"op\": \"conv2d\", \"inputs\": [\"%s\"], \"output\": \"r%u\","
                                   " \"kernel\": 1, \"cout\": 8 }"
                                   ", { \"name\": \"a%u\", \"op\": \"add\", \"inputs\": [\"%s\", \"r%u\"], \"output\": \"x%u\" }",
                                n, cur, n, n, cur, n, n);
      else
        g_string_append_printf (s, ", { \"name\": \"l%u\", \"op\": \"conv2d\", \"inputs\": [\"%s\"], \"output\": \"r%u\","
                                   " \"kernel\": 1, \"cout\": 8 }"
                                   ", { \"name\": \"m%u\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"r%u\"], \"output\": \"q%u\","
                                   " \"kernel\": 3, \"pad\": 1 }"
                                   ", { \"name\": \"a%u\", \"op\": \"add\", \"inputs\": [\"%s\", \"q%u\"], \"output\": \"x%u\" }",
                                n, cur, n, n, n, n, n, cur, n, n);
      budget -= kind <= 1 ? 2 : kind == 2 ? 3 : 5;
      g_snprintf (curbuf, sizeof curbuf, "x%u", n);
      cur = curbuf;
    }
  g_string_append_printf (s, ", { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"%s\"], \"output\": \"pool\" }"
                             ", { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 4 } ] }",
                          cur);
  text = g_string_free (s, FALSE);
  net = fb_network_load_from_data (text, -1, "rnd", &error);
  g_assert_no_error (error);
  return net;
}

/* Sub-byte operands cost more (no sub-byte SIMD), like gap8. */
static double
slow_subbyte (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  return 100 + (a < 8 ? 30 : 0) + (m > 0 && m < 8 ? 20 + m : 0) + (o < 8 ? 7 : 0) + l->index;
}

static void
test_pareto_random_nets (void)
{
  static const FbParetoObjectives objs[] = {
    FB_PARETO_LATENCY | FB_PARETO_SIZE,
    FB_PARETO_LATENCY | FB_PARETO_BOPS,
    FB_PARETO_BOPS | FB_PARETO_SIZE,
    FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS,
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint adds = 0;

  for (guint k = 0; k < 8; k++)
    {
      g_autoptr(FbNetwork) net = random_net (rand);
      g_autoptr(GRand) trand = g_rand_new_with_seed (100 + k);
      g_autoptr(FbLatencyTable) t1 = build_table (net, random_cost, trand);
      g_autoptr(FbLatencyTable) t2 = build_table (net, model_cost, NULL);
      g_autoptr(FbLatencyTable) t3 = build_table (net, slow_subbyte, NULL);
      FbLatencyTable *tables[] = { t1, t2, t3 };

      g_assert_cmpuint (fb_network_get_n_weighted (net), <=, 6);
      for (guint i = 0; i < fb_network_get_n_layers (net); i++)
        adds += fb_network_get_layer (net, i)->op == FB_OP_ADD;
      for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
        for (guint o = 0; o < G_N_ELEMENTS (objs); o++)
          check_dp_equals_brute (net, tables[t], NULL, objs[o], NULL);
    }
  g_assert_cmpuint (adds, >, 0);   /* the seed does draw residual blocks */
}

/* ---- a deterministic accuracy oracle (test double) ---- */

/* Additive penalties in multiples of 1/1024, so sums are exact in any order. */
static double
pen_w (guint layer, guint bits)
{
  return bits == 8 ? 0 : bits == 4 ? (1 + layer % 3) / 1024.0 : (8 + 4 * (layer % 2)) / 1024.0;
}

static double
pen_a (guint tensor, guint bits)
{
  return bits == 8 ? 0 : bits == 4 ? (2 + tensor % 2) / 1024.0 : (16 + tensor % 3) / 1024.0;
}

static double
synthetic_accuracy (FbPrecisionConfig *c)
{
  FbNetwork *net = fb_precision_config_get_network (c);
  double acc = 0.875;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      acc -= pen_w (i, fb_precision_config_get_weight_bits (c, i));
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      acc -= pen_a (t, fb_precision_config_get_tensor_bits (c, t));
  return acc;
}

typedef struct {
  FbAccuracyOracle parent;
  gint             calls;
  guint            last_limit;
  GCancellable    *cancel;      /* cancelled at call @cancel_at */
  gint             cancel_at;
} TestOracle;

static gboolean
test_oracle_evaluate (FbAccuracyOracle *self, FbPrecisionConfig *config, guint limit, GCancellable *cancellable,
                      double *accuracy, GError **error)
{
  TestOracle *o = (TestOracle *) self;
  gint n = g_atomic_int_add (&o->calls, 1) + 1;

  o->last_limit = limit;
  if (o->cancel && n == o->cancel_at)
    g_cancellable_cancel (o->cancel);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  *accuracy = synthetic_accuracy (config);
  return TRUE;
}

static const FbAccuracyOracleClass test_oracle_class = { "test", test_oracle_evaluate, NULL, NULL };

static TestOracle *
test_oracle_new (FbNetwork *net)
{
  TestOracle *o = g_new0 (TestOracle, 1);
  fb_accuracy_oracle_init (&o->parent, &test_oracle_class, net);
  fb_accuracy_oracle_set_default_limit (&o->parent, 100);
  return o;
}

static guint
n_entries (FbNetwork *net)
{
  guint n = fb_network_get_n_weighted (net);
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    n += fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION;
  return n;
}

static void
test_sensitivity (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  TestOracle *o = test_oracle_new (net);
  g_autoptr(FbAccuracyOracle) oracle = &o->parent;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbSensitivity) sens = fb_sensitivity_measure (oracle, 50, NULL, NULL, NULL, &error);
  g_autoptr(FbSensitivity) back = NULL;
  g_autoptr(FbSensitivity) from_list = NULL;
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(FbCandidateList) list = fb_candidate_list_new (net);
  g_autoptr(FbPrecisionConfig) w2a4 = fb_precision_config_new_from_spec (net, "w2a4", NULL);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);

  g_assert_no_error (error);
  g_assert_cmpint (o->calls, ==, 1 + 2 * (gint) n_entries (net));
  g_assert_cmpuint (o->last_limit, ==, 50);
  g_assert_cmpfloat (fb_sensitivity_get_baseline (sens), ==, 0.875);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      for (guint b = 2; b <= 8; b *= 2)
        g_assert_cmpfloat (fb_sensitivity_get_weight_drop (sens, i, b), ==, pen_w (i, b));
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      for (guint b = 2; b <= 8; b *= 2)
        g_assert_cmpfloat (fb_sensitivity_get_tensor_drop (sens, t, b), ==, pen_a (t, b));
  /* With additive penalties the proxy is exact. */
  g_assert_cmpfloat (fb_sensitivity_estimate_drop (sens, w2a4), ==, 0.875 - synthetic_accuracy (w2a4));

  /* JSON round trip, and the cache in a candidates file's provenance. */
  obj = fb_sensitivity_to_json (sens);
  back = fb_sensitivity_new_from_json (net, obj, "test", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fb_sensitivity_estimate_drop (back, w2a4), ==, fb_sensitivity_estimate_drop (sens, w2a4));
  g_assert_true (fb_search_pareto (net, table, sens, NULL, FB_PARETO_LATENCY | FB_PARETO_ACCURACY, 0, NULL, NULL,
                                   collect, NULL, got, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, >, 1);
  for (guint i = 0; i < got->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (got, i));
  {
    g_autoptr(JsonNode) root = fb_candidate_list_to_json (list);
    g_autoptr(FbCandidateList) reread = fb_candidate_list_new_from_json (net, root, "mem", &error);
    g_assert_no_error (error);
    from_list = fb_sensitivity_new_from_candidates (reread, "mem", &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (fb_sensitivity_estimate_drop (from_list, w2a4), ==, fb_sensitivity_estimate_drop (sens, w2a4));
  }
  /* No sensitivity in a plain list: a clear error. */
  {
    g_autoptr(FbCandidateList) plain = fb_candidate_list_new (net);
    g_autoptr(FbSensitivity) none = fb_sensitivity_new_from_candidates (plain, "plain.json", &error);
    g_assert_null (none);
    g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
    g_assert_nonnull (strstr (error->message, "plain.json"));
    g_clear_error (&error);
  }
}

/* The accuracy objective against brute force (proxy summed independently). */
static void
test_pareto_accuracy_objective (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  TestOracle *o = test_oracle_new (net);
  g_autoptr(FbAccuracyOracle) oracle = &o->parent;
  g_autoptr(FbSensitivity) sens = fb_sensitivity_measure (oracle, 0, NULL, NULL, NULL, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autoptr(GError) error = NULL;

  check_dp_equals_brute_sens (net, table, sens, NULL, FB_PARETO_LATENCY | FB_PARETO_ACCURACY, NULL);
  check_dp_equals_brute_sens (net, table, sens, NULL, FB_PARETO_SIZE | FB_PARETO_ACCURACY, NULL);
  check_dp_equals_brute_sens (net, table, sens, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_ACCURACY, NULL);
  /* Without sensitivities the objective is refused. */
  g_assert_false (fb_search_pareto (net, table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_ACCURACY, 0, NULL, NULL,
                                    NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* ---- Free Bits lowering step ---- */

/* p3: 8-bit weights 100, 4-bit 60, 2-bit 50; c1: sub-byte weights 90; else 100. */
static double
lower_gain (FbNetwork *net, const FbLayer *l, guint a, guint m, guint o, gpointer data)
{
  if (g_str_equal (l->name, "p3"))
    return m == 8 ? 100 : m == 4 ? 60 : 50;
  if (g_str_equal (l->name, "c1"))
    return m == 8 ? 100 : 90;
  return 100;
}

static FbCandidate *
run_lowering (FbNetwork *net, FbLatencyTable *table, FbPrecisionConfig *start, const FbSearchConstraints *cons,
              GPtrArray **changes, TestOracle **out_oracle)
{
  TestOracle *o = test_oracle_new (net);
  g_autoptr(FbAccuracyOracle) oracle = &o->parent;
  g_autoptr(GError) error = NULL;
  FbFreeBitsOptions opt;
  FbCandidate *r = NULL;
  FbMetrics before;

  fb_free_bits_options_init (&opt);
  opt.oracle = oracle;
  opt.max_accuracy_drop = 0.005;   /* 5.12/1024 */
  opt.limit = 200;
  g_assert_true (fb_search_free_bits (start, table, &opt, cons, NULL, NULL, NULL, NULL, changes, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (o->last_limit, ==, 200);
  g_assert_true (fb_metrics_compute (start, table, &before, NULL, NULL));
  g_assert_cmpfloat (fb_candidate_get_metrics (r)->latency, <=, before.latency);
  /* The candidate's accuracy is the oracle's for its config. */
  g_assert_cmpfloat (fb_candidate_get_accuracy (r), ==, synthetic_accuracy (fb_candidate_get_config (r)));
  if (out_oracle)
    *out_oracle = (TestOracle *) fb_accuracy_oracle_ref (oracle);
  return r;
}

static guint
count_applied (GPtrArray *changes, gboolean applied)
{
  guint n = 0;
  for (guint i = 0; i < changes->len; i++)
    n += ((FbFreeBitsChange *) changes->pdata[i])->applied == applied;
  return n;
}

static void
test_free_bits_lowering (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, lower_gain, NULL);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new (net);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(FbCandidate) r = run_lowering (net, table, start, NULL, &changes, NULL);
  FbPrecisionConfig *c = fb_candidate_get_config (r);
  FbFreeBitsChange *first;

  /* p3 → 2 (gain 50) costs 8/1024 > 0.5 pt: vetoed; p3 → 4 (3/1024) and c1 → 4
   * (1/1024) fit; p3 → 2 is not tried again (a vetoed entry/bits stays vetoed). */
  g_assert_cmpuint (wbits (c, "p3"), ==, 4);
  g_assert_cmpuint (wbits (c, "c1"), ==, 4);
  g_assert_cmpuint (wbits (c, "d2"), ==, 8);
  g_assert_cmpuint (wbits (c, "fc"), ==, 8);
  g_assert_cmpuint (abits (c, "c1"), ==, 8);
  g_assert_cmpuint (count_applied (changes, TRUE), ==, 2);
  g_assert_cmpuint (count_applied (changes, FALSE), ==, 1);
  g_assert_cmpuint (changes->len, ==, 3);
  first = changes->pdata[0];
  g_assert_false (first->applied);
  g_assert_cmpuint (first->new_bits, ==, 2);
  g_assert_nonnull (strstr (first->message, "not lowered: p3 weights 8→2"));
  g_assert_cmpfloat (fb_candidate_get_accuracy (r), ==, 0.875 - 4 / 1024.0);
  g_assert_cmpfloat (fb_candidate_get_metrics (r)->latency, ==, 100 * 4 + 60 + 90);
  g_assert_true (json_object_has_member (fb_candidate_get_provenance (r), "reference_accuracy"));
}

static void
test_free_bits_lowering_pins_and_floor (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, lower_gain, NULL);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new (net);
  g_autoptr(GPtrArray) changes = NULL, changes2 = NULL;
  g_autoptr(FbCandidate) r = NULL, r2 = NULL;
  FbSearchConstraints cons;

  /* A pinned p3 stays at 8 bits; only c1 moves. */
  fb_precision_config_set_weight_pinned (start, fb_network_lookup_layer (net, "p3")->index, TRUE);
  r = run_lowering (net, table, start, NULL, &changes, NULL);
  g_assert_cmpuint (wbits (fb_candidate_get_config (r), "p3"), ==, 8);
  g_assert_cmpuint (wbits (fb_candidate_get_config (r), "c1"), ==, 4);
  for (guint i = 0; i < changes->len; i++)
    g_assert_cmpuint (((FbFreeBitsChange *) changes->pdata[i])->index, !=, fb_network_lookup_layer (net, "p3")->index);

  /* A minimum accuracy tighter than the drop budget: p3 → 4 (3/1024) is vetoed. */
  fb_precision_config_set_weight_pinned (start, fb_network_lookup_layer (net, "p3")->index, FALSE);
  fb_search_constraints_init (&cons);
  cons.min_accuracy = 0.875 - 2 / 1024.0;
  r2 = run_lowering (net, table, start, &cons, &changes2, NULL);
  g_assert_cmpuint (wbits (fb_candidate_get_config (r2), "p3"), ==, 8);
  g_assert_cmpuint (wbits (fb_candidate_get_config (r2), "c1"), ==, 4);
  g_assert_cmpfloat (fb_candidate_get_accuracy (r2), >=, cons.min_accuracy);
}

/* ---- measuring results ---- */

typedef struct {
  double fraction[4];
  char  *message[4];
  guint  n;
} Reported;

static void
record_progress (double fraction, const char *message, gpointer data)
{
  Reported *r = data;

  g_assert_cmpuint (r->n, <, G_N_ELEMENTS (r->fraction));
  r->fraction[r->n] = fraction;
  r->message[r->n++] = g_strdup (message);
}

static void
reported_clear (Reported *r)
{
  for (guint i = 0; i < r->n; i++)
    g_free (r->message[i]);
  r->n = 0;
}

/* The oracle's (done, n) as search progress: the i-th of all, the fraction
 * of the whole set, of the call's block, or scaled into a range; the call
 * for done == n reports nothing (the caller says "done"). */
static void
test_measure_progress (void)
{
  Reported r = { 0 };
  FbSearchMeasureProgress whole = { record_progress, &r, "accuracy of result", " (all images)", 0, 0, 0.0, 1.0,
                                    FALSE };
  FbSearchMeasureProgress block = { record_progress, &r, "accuracy", "", 6, 10, 0.5, 0.5, FALSE };
  FbSearchMeasureProgress own = { record_progress, &r, "accuracy", "", 6, 10, 0.0, 1.0, TRUE };

  fb_search_measure_progress (1, 4, &whole);
  fb_search_measure_progress (4, 4, &whole);
  g_assert_cmpuint (r.n, ==, 1);
  g_assert_cmpstr (r.message[0], ==, "accuracy of result 2/4 (all images)");
  g_assert_cmpfloat (r.fraction[0], ==, 0.25);
  reported_clear (&r);

  /* A rank measuring configs 6..9 of 10, its second one under way. */
  fb_search_measure_progress (1, 4, &block);
  fb_search_measure_progress (1, 4, &own);
  g_assert_cmpuint (r.n, ==, 2);
  g_assert_cmpstr (r.message[0], ==, "accuracy 8/10");
  g_assert_cmpfloat (r.fraction[0], ==, 0.5 + 0.5 * 7 / 10);
  g_assert_cmpstr (r.message[1], ==, "accuracy 8/10");
  g_assert_cmpfloat (r.fraction[1], ==, 0.25);
  reported_clear (&r);
}

static void
test_measure (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  TestOracle *o = test_oracle_new (net);
  g_autoptr(FbAccuracyOracle) oracle = &o->parent;
  g_autoptr(GPtrArray) uni = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GPtrArray) out = NULL;
  g_autoptr(GError) error = NULL;
  FbSearchConstraints cons;
  guint expected = 0;

  g_assert_true (fb_search_uniform (net, NULL, NULL, NULL, collect, NULL, uni, NULL, NULL));
  fb_search_constraints_init (&cons);
  cons.min_accuracy = 0.85;
  for (guint i = 0; i < uni->len; i++)
    expected += synthetic_accuracy (fb_candidate_get_config (g_ptr_array_index (uni, i))) >= 0.85;
  g_assert_cmpuint (expected, >, 0);
  g_assert_cmpuint (expected, <, uni->len);
  g_assert_true (fb_search_measure (uni, oracle, 0, &cons, NULL, NULL, NULL, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, expected);
  g_assert_cmpuint (o->last_limit, ==, 0);
  for (guint i = 0; i < out->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (out, i);
      g_assert_cmpfloat (fb_candidate_get_accuracy (c), ==, synthetic_accuracy (fb_candidate_get_config (c)));
      g_assert_cmpint (json_object_get_int_member (fb_candidate_get_provenance (c), "accuracy_limit"), ==, 0);
      g_assert_cmpstr (json_object_get_string_member (fb_candidate_get_provenance (c), "oracle"), ==, "test");
    }
}

/* ---- Spearman ---- */

static void
test_spearman (void)
{
  const double x1[] = { 1, 2, 3, 4, 5 }, y1[] = { 5, 6, 7, 8, 7 };
  const double x2[] = { 10, 20, 20, 30 }, y2[] = { 1, 3, 2, 4 };
  const double x3[] = { 1, 2, 3 }, y3[] = { 3, 2, 1 };
  const double c[] = { 4, 4, 4 };

  /* By hand: ranks y1 = 1, 2, 3.5, 5, 3.5 → Σdxdy = 8, Σdx² = 10, Σdy² = 9.5. */
  g_assert_cmpfloat_with_epsilon (fb_spearman (x1, y1, 5), 8 / sqrt (95.0), 1e-12);
  /* Ranks x2 = 1, 2.5, 2.5, 4 → 4.5 / sqrt (4.5 · 5). */
  g_assert_cmpfloat_with_epsilon (fb_spearman (x2, y2, 4), 4.5 / sqrt (22.5), 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_spearman (x3, y3, 3), -1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (fb_spearman (x3, x3, 3), 1.0, 1e-12);
  g_assert_true (isnan (fb_spearman (x3, c, 3)));
  g_assert_true (isnan (fb_spearman (x3, y3, 1)));
}

/* ---- compare ---- */

static void
test_compare (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (31);
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_latency_table_unref);
  g_autoptr(GError) error = NULL;
  FbCompareOptions opt;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;

  g_ptr_array_add (tables, build_table_for ("random", net, random_cost, rand));
  g_ptr_array_add (tables, build_table_for ("slow-subbyte", net, slow_subbyte, NULL));
  fb_compare_options_init (&opt);
  opt.samples = 40;
  opt.seed = 7;

  /* Deterministic for a fixed seed; another seed draws other random configs. */
  {
    g_autoptr(JsonNode) a = fb_compare_run (net, tables, &opt, NULL, NULL, NULL, &error);
    g_autoptr(JsonNode) b = fb_compare_run (net, tables, &opt, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    t1 = fb_json_to_string (a, FALSE);
    t2 = fb_json_to_string (b, FALSE);
    g_assert_cmpstr (t1, ==, t2);
    opt.seed = 8;
    {
      g_autoptr(JsonNode) c = fb_compare_run (net, tables, &opt, NULL, NULL, NULL, &error);
      t3 = fb_json_to_string (c, FALSE);
      g_assert_cmpstr (t1, !=, t3);
    }
    opt.seed = 7;

    /* Structure and the key table's optimality, recomputed from "configs". */
    {
      JsonObject *root = json_node_get_object (a);
      JsonArray *targets = json_object_get_array_member (root, "targets");
      JsonArray *configs = json_object_get_array_member (root, "configs");
      double rho = json_object_get_double_member (root, "spearman_bops_latency");

      g_assert_cmpstr (json_object_get_string_member (root, "accuracy"), ==, "none");
      g_assert_cmpuint (json_array_get_length (targets), ==, 2);
      g_assert_cmpuint (json_array_get_length (configs), ==, json_object_get_int_member (root, "n_configs"));
      g_assert_cmpfloat (rho, >=, -1);
      g_assert_cmpfloat (rho, <=, 1);
      for (guint t = 0; t < 2; t++)
        {
          JsonObject *to = json_array_get_object_element (targets, t);
          JsonArray *rows = json_object_get_array_member (to, "rows");
          const char *target = json_object_get_string_member (to, "target");
          g_autofree double *bx = g_new (double, json_array_get_length (configs));
          g_autofree double *ly = g_new (double, json_array_get_length (configs));

          for (guint i = 0; i < json_array_get_length (configs); i++)
            {
              JsonObject *ci = json_array_get_object_element (configs, i);
              bx[i] = json_object_get_int_member (ci, "bops");
              ly[i] = json_object_get_double_member (json_object_get_object_member (ci, "latency"), target);
            }
          g_assert_cmpfloat (json_object_get_double_member (to, "spearman_bops_latency"), ==,
                             fb_spearman (bx, ly, json_array_get_length (configs)));
          g_assert_cmpstr (json_object_get_string_member (to, "matched_by"), ==, "size");
          g_assert_cmpuint (json_array_get_length (rows), >, 0);
          for (guint r = 0; r < json_array_get_length (rows); r++)
            {
              JsonObject *row = json_array_get_object_element (rows, r);
              JsonObject *bo = json_object_get_object_member (row, "bops_optimal");
              JsonObject *lo = json_object_get_object_member (row, "latency_optimal");
              double th = json_object_get_double_member (row, "threshold");
              g_assert_cmpfloat (json_object_get_int_member (bo, "size_bytes"), >=, th);
              g_assert_cmpfloat (json_object_get_int_member (lo, "size_bytes"), >=, th);
              for (guint i = 0; i < json_array_get_length (configs); i++)
                {
                  JsonObject *ci = json_array_get_object_element (configs, i);
                  if (json_object_get_int_member (ci, "size_bytes") < th)
                    continue;
                  g_assert_cmpint (json_object_get_int_member (bo, "bops"), <=, json_object_get_int_member (ci, "bops"));
                  g_assert_cmpfloat (json_object_get_double_member (lo, "latency"), <=,
                                     json_object_get_double_member (json_object_get_object_member (ci, "latency"), target));
                }
              g_assert_cmpfloat (json_object_get_double_member (row, "latency_ratio"), ==,
                                 json_object_get_double_member (bo, "latency") / json_object_get_double_member (lo, "latency"));
            }
        }
    }
  }

  /* With an oracle: measured accuracy, matched on accuracy. */
  {
    TestOracle *o = test_oracle_new (net);
    g_autoptr(FbAccuracyOracle) oracle = &o->parent;
    g_autoptr(JsonNode) m = NULL;
    JsonObject *to;
    opt.oracle = oracle;
    opt.limit = 10;
    m = fb_compare_run (net, tables, &opt, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (m), "accuracy"), ==, "measured");
    to = json_array_get_object_element (json_object_get_array_member (json_node_get_object (m), "targets"), 0);
    g_assert_cmpstr (json_object_get_string_member (to, "matched_by"), ==, "accuracy");
    for (guint r = 0; r < json_array_get_length (json_object_get_array_member (to, "rows")); r++)
      {
        JsonObject *row = json_array_get_object_element (json_object_get_array_member (to, "rows"), r);
        double th = json_object_get_double_member (row, "threshold");
        g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (row, "bops_optimal"), "accuracy"), >=, th);
        g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (row, "latency_optimal"), "accuracy"), >=, th);
      }
    g_assert_cmpint (o->calls, ==, json_object_get_int_member (json_node_get_object (m), "n_configs"));
    opt.oracle = NULL;
  }

  /* Two tables of one target are refused (results are keyed by target). */
  {
    g_autoptr(GPtrArray) same = g_ptr_array_new ();
    g_autoptr(JsonNode) bad = NULL;
    g_ptr_array_add (same, g_ptr_array_index (tables, 0));
    g_ptr_array_add (same, g_ptr_array_index (tables, 0));
    bad = fb_compare_run (net, same, &opt, NULL, NULL, NULL, &error);
    g_assert_null (bad);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

/* ---- how the DP grows with depth ---- */

static FbNetwork *
residual_chain (guint blocks)
{
  GString *s = g_string_new ("{ \"format\": \"freebits-network/1\", \"name\": \"chain\","
                             " \"input\": { \"name\": \"input\", \"shape\": [4, 4, 8] }, \"layers\": ["
                             " { \"name\": \"stem\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"b0\","
                             " \"kernel\": 3, \"pad\": 1, \"cout\": 8 }");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  FbNetwork *net;

  for (guint b = 1; b <= blocks; b++)
    g_string_append_printf (s,
      ", { \"name\": \"e%u\", \"op\": \"conv2d\", \"inputs\": [\"b%u\"], \"output\": \"e%u\", \"kernel\": 1, \"cout\": 16 }"
      ", { \"name\": \"d%u\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"e%u\"], \"output\": \"d%u\", \"kernel\": 3, \"pad\": 1 }"
      ", { \"name\": \"p%u\", \"op\": \"conv2d\", \"inputs\": [\"d%u\"], \"output\": \"p%u\", \"kernel\": 1, \"cout\": 8 }"
      ", { \"name\": \"a%u\", \"op\": \"add\", \"inputs\": [\"b%u\", \"p%u\"], \"output\": \"b%u\" }",
      b, b - 1, b, b, b, b, b, b, b, b, b - 1, b, b);
  g_string_append_printf (s, ", { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"b%u\"], \"output\": \"pool\" }"
                             ", { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 } ] }",
                          blocks);
  text = g_string_free (s, FALSE);
  net = fb_network_load_from_data (text, -1, "chain", &error);
  g_assert_no_error (error);
  return net;
}

/* The cost model stated in docs/search.md: states ≤ 3^(open tensors) = 9 on a
 * residual chain; each layer generates at most 9 partial solutions (3 weight ×
 * 3 output bits) per kept one of the layer before, so the work is
 * ≤ 9 × Σ kept — linear in depth times the front size. Checked, with the front
 * sizes and work reported per depth. */
static void
test_pareto_growth (void)
{
  for (guint blocks = 1; blocks <= 16; blocks *= 2)
    {
      g_autoptr(FbNetwork) net = residual_chain (blocks);
      g_autoptr(GRand) rand = g_rand_new_with_seed (blocks);
      g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
      g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
      g_autoptr(GError) error = NULL;
      FbParetoStats st;

      g_assert_true (fb_search_pareto (net, table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL, NULL,
                                       collect, NULL, got, NULL, &st, &error));
      g_assert_no_error (error);
      g_test_message ("chain of %u blocks (%u layers): front %u, max states %u, partials %" G_GUINT64_FORMAT
                      ", kept %" G_GUINT64_FORMAT ", %.2f ms", blocks, st.n_layers, st.front_size, st.max_states,
                      st.partials, st.kept, st.dp_seconds * 1e3);
      g_assert_cmpuint (st.n_layers, ==, 4 * blocks + 3);
      g_assert_cmpuint (st.max_states, <=, 9);
      g_assert_cmpuint (st.partials, <=, 9 * (1 + st.kept));
      g_assert_cmpuint (st.front_size, ==, got->len);
      if (blocks <= 1)
        check_dp_equals_brute (net, table, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, NULL);
    }
}

/* ---- determinism ---- */

static char *
front_text (FbNetwork *net, FbLatencyTable *table, FbParetoObjectives obj)
{
  g_autoptr(FbCandidateList) list = fb_candidate_list_new (net);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(JsonNode) root = NULL;

  g_assert_true (fb_search_pareto (net, table, NULL, NULL, obj, 0.01, NULL, NULL, collect, NULL, got, NULL, NULL, NULL));
  for (guint i = 0; i < got->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (got, i));
  root = fb_candidate_list_to_json (list);
  return fb_json_to_string (root, FALSE);
}

static void
test_determinism (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbLatencyTable) table = build_table (net, model_cost, NULL);
  FbParetoObjectives objs[] = { FB_PARETO_LATENCY | FB_PARETO_SIZE, FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS };

  for (guint k = 0; k < G_N_ELEMENTS (objs); k++)
    {
      g_autofree char *a = front_text (net, table, objs[k]);
      g_autofree char *b = front_text (net, table, objs[k]);
      g_assert_cmpstr (a, ==, b);
    }
}

/* Cancel inside the oracle-driven lowering step and the comparison. */
static void
test_cancel_accuracy (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(FbLatencyTable) table = build_table (net, lower_gain, NULL);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new (net);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestOracle *o = test_oracle_new (net);
  g_autoptr(FbAccuracyOracle) oracle = &o->parent;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new ();
  g_autoptr(JsonNode) none = NULL;
  FbFreeBitsOptions opt;
  FbCompareOptions copt;
  gint64 t0;

  fb_free_bits_options_init (&opt);
  opt.oracle = oracle;
  o->cancel = cancellable;
  o->cancel_at = 2;
  t0 = g_get_monotonic_time ();
  g_assert_false (fb_search_free_bits (start, table, &opt, NULL, NULL, NULL, NULL, cancellable, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat ((g_get_monotonic_time () - t0) / 1e6, <, 2.0);   /* only catches hangs */
  g_clear_error (&error);

  g_cancellable_reset (cancellable);
  o->calls = 0;
  o->cancel_at = 3;
  g_ptr_array_add (tables, table);
  fb_compare_options_init (&copt);
  copt.oracle = oracle;
  none = fb_compare_run (net, tables, &copt, NULL, NULL, cancellable, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- budgets ---- */

static void
test_budgets (void)
{
  g_autoptr(FbNetwork) net = tiny ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autoptr(GPtrArray) uni = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new (net);
  g_autoptr(FbPrecisionConfig) w2a2 = fb_precision_config_new_from_spec (net, "w2a2", NULL);
  FbSearchConstraints cons;
  FbMetrics hi, lo;

  g_assert_true (fb_metrics_compute (w8a8, table, &hi, NULL, NULL));
  g_assert_true (fb_metrics_compute (w2a2, table, &lo, NULL, NULL));

  /* Each budget alone, then all together, in the middle of the range. */
  for (guint k = 0; k < 4; k++)
    {
      fb_search_constraints_init (&cons);
      if (k == 0 || k == 3)
        cons.max_latency = (hi.latency + lo.latency) / 2;
      if (k == 1 || k == 3)
        cons.max_size = (hi.size_bytes + lo.size_bytes) / 2;
      if (k == 2 || k == 3)
        cons.max_ram = (hi.peak_activation_bytes + lo.peak_activation_bytes) / 2;
      check_dp_equals_brute (net, table, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, &cons);
      /* A budget on a quantity that is not an objective. */
      check_dp_equals_brute (net, table, NULL, FB_PARETO_BOPS, &cons);
    }

  fb_search_constraints_init (&cons);
  cons.max_size = (hi.size_bytes + lo.size_bytes) / 2;
  g_assert_true (fb_search_uniform (net, table, NULL, &cons, collect, NULL, uni, NULL, NULL));
  g_assert_cmpuint (uni->len, >, 0);
  g_assert_cmpuint (uni->len, <, 9);
  for (guint i = 0; i < uni->len; i++)
    g_assert_cmpuint (fb_candidate_get_metrics (g_ptr_array_index (uni, i))->size_bytes, <=, cons.max_size);

  /* Free bits never raises past a budget: w2a2 with a size budget just above its size. */
  {
    g_autoptr(FbLatencyTable) flat = build_table (net, flat_but, (gpointer) "none");
    g_autoptr(FbCandidate) r = NULL;
    fb_search_constraints_init (&cons);
    cons.max_size = lo.size_bytes + 1;
    g_assert_true (fb_search_free_bits (w2a2, flat, NULL, &cons, NULL, NULL, NULL, NULL, NULL, &r, NULL));
    g_assert_cmpuint (fb_candidate_get_metrics (r)->size_bytes, <=, cons.max_size);
  }
}

/* ---- cancel ---- */

typedef struct {
  GCancellable *cancellable;
  guint calls, cancel_at;
  gint64 cancelled_at;
} CancelData;

static void
cancel_progress (double fraction, const char *message, gpointer user_data)
{
  CancelData *d = user_data;
  if (++d->calls == d->cancel_at)
    {
      d->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (d->cancellable);
    }
}

static void
test_cancel (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("mobilenet-v2-1.0-224.json");
  g_autoptr(FbLatencyTable) table = build_table (net, model_cost, NULL);
  g_autoptr(FbPrecisionConfig) start = fb_precision_config_new_from_spec (net, "w4a4", NULL);

  for (guint method = 0; method < 3; method++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      CancelData d = { cancellable, 0, 3, 0 };
      gboolean ok;
      double waited;

      if (method == 0)
        ok = fb_search_pareto (net, table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS, 0, NULL,
                               NULL, NULL, cancel_progress, &d, cancellable, NULL, &error);
      else if (method == 1)
        ok = fb_search_free_bits (start, table, NULL, NULL, NULL, cancel_progress, &d, cancellable, NULL, NULL, &error);
      else
        ok = fb_search_uniform (net, table, NULL, NULL, NULL, cancel_progress, &d, cancellable, &error);
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      waited = (g_get_monotonic_time () - d.cancelled_at) / 1e6;
      g_test_message ("method %u stopped %.3f ms after cancel", method, waited * 1e3);
      g_assert_cmpfloat (waited, <, 2.0);   /* only catches hangs */
    }
}

typedef struct {
  FbNetwork      *net;
  FbLatencyTable *table;
  GCancellable   *cancellable;
  gboolean        ok;
  GError         *error;
  gint64          returned_at;
} ThreadRun;

static gpointer
pareto_thread (gpointer data)
{
  ThreadRun *r = data;
  r->ok = fb_search_pareto (r->net, r->table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL, NULL,
                            NULL, NULL, NULL, r->cancellable, NULL, &r->error);
  r->returned_at = g_get_monotonic_time ();
  return NULL;
}

/* The two-objective DP cancelled from another thread, as the GUI does. */
static void
test_cancel_thread (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("mobilenet-v2-1.0-224.json");
  g_autoptr(FbLatencyTable) table = build_table (net, model_cost, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ThreadRun run = { net, table, cancellable, FALSE, NULL, 0 };
  GThread *th = g_thread_new ("pareto", pareto_thread, &run);
  gint64 at;

  g_usleep (2000);
  at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (th);
  if (run.ok)
    g_test_message ("the front finished before the cancel (fast machine)");
  else
    {
      g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_test_message ("stopped %.3f ms after cancel", (run.returned_at - at) / 1e3);
      g_assert_cmpfloat ((run.returned_at - at) / 1e6, <, 120.0);   /* only catches hangs (a loaded machine, ASan) */
    }
  g_clear_error (&run.error);
}

/* ---- bundled networks: front sizes and DP times (reported, not asserted) ---- */

static void
test_pareto_bundled (gconstpointer data)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled (data);
  g_autoptr(FbLatencyTable) table = build_table (net, model_cost, NULL);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  FbParetoStats st;

  g_assert_true (fb_search_pareto (net, table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL,
                                   NULL, collect, NULL, got, NULL, &st, &error));
  g_assert_no_error (error);
  g_test_message ("%s (%u layers, modeled table): front %u points, max %u DP states, %.1f ms",
                  (const char *) data, fb_network_get_n_layers (net), got->len, st.max_states,
                  (g_get_monotonic_time () - t0) / 1e3);
  g_assert_cmpuint (st.front_size, ==, got->len);
  /* Every 97th point (and the last): metrics as fb_metrics_compute gives them. */
  for (guint i = 0; i < got->len; i += 97)
    check_metrics (g_ptr_array_index (got, i), table);
  check_metrics (g_ptr_array_index (got, got->len - 1), table);
  g_assert_cmpuint (got->len, >, 1);
  /* Mutually non-dominated in (latency, size), sorted by latency. */
  for (guint i = 1; i < got->len; i++)
    {
      const FbMetrics *a = fb_candidate_get_metrics (g_ptr_array_index (got, i - 1));
      const FbMetrics *b = fb_candidate_get_metrics (g_ptr_array_index (got, i));
      g_assert_cmpfloat (a->latency, <, b->latency);
      g_assert_cmpuint (a->size_bytes, >, b->size_bytes);
    }
}

/* ---- CLI ---- */

static int
run_cmd (const char *sub, const char *args, char **out, char **err)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s %s", g_getenv ("FB_CLI"), sub, args);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, out, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
run_cli (const char *args, char **out)
{
  return run_cmd ("search", args, out, NULL);
}

static JsonObject *
parse_out (const char *out, JsonNode **keep)
{
  g_autoptr(GError) error = NULL;
  *keep = fb_json_load_data (out, -1, "stdout", &error);
  g_assert_no_error (error);
  return json_node_get_object (*keep);
}

/* The accuracy options, --method bops, compare and bench search, in three parts (@data:
 * "accuracy", "compare", "sensitivity") so that no test runs long; each part sets up the
 * same tables and finds out whether there is an accuracy engine. */
static void
test_cli_more (gconstpointer data)
{
  const char *part = data;
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(FbLatencyTable) table = build_table_for ("rnd", net, random_cost, rand);
  g_autoptr(FbLatencyTable) table2 = build_table_for ("slow", net, slow_subbyte, NULL);
  g_autofree char *dir = g_dir_make_tmp ("fb-search-cli2-XXXXXX", NULL);
  g_autofree char *tpath = g_build_filename (dir, "t.json", NULL);
  g_autofree char *t2path = g_build_filename (dir, "t2.json", NULL);
  g_autofree char *npath = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(GError) error = NULL;
  static const char *accuracy_args[] = {
    "--method pareto --objectives latency,accuracy", "--method free-bits --max-accuracy-drop 0.005",
    "--method uniform --min-accuracy 0.8", "--method pareto --full", "--method uniform --limit 100",
  };
  gboolean engine;

  if (g_getenv ("FB_CLI") == NULL)
    {
      g_test_skip ("FB_CLI not set");
      return;
    }
  g_assert_true (fb_latency_table_save (table, tpath, &error));
  g_assert_true (fb_latency_table_save (table2, t2path, &error));

  /* Without an accuracy engine every accuracy option is a clear input error; once
   * fb_cli_create_oracle() returns one, results carry measured fractions. */
  {
    g_autofree char *args = g_strdup_printf ("%s --method uniform --limit 20 --latency %s --json", npath, tpath);
    g_autofree char *out = NULL, *err = NULL;
    engine = run_cmd ("search", args, &out, &err) == 0;
    if (engine)
      {
        g_autoptr(JsonNode) keep = NULL;
        JsonArray *c = json_object_get_array_member (parse_out (out, &keep), "candidates");
        g_test_message ("accuracy engine present: uniform results measured on 20 images");
        g_assert_cmpuint (json_array_get_length (c), >, 0);
        for (guint i = 0; i < json_array_get_length (c); i++)
          {
            double a = json_object_get_double_member (json_array_get_object_element (c, i), "accuracy");
            g_assert_cmpfloat (a, >=, 0);
            g_assert_cmpfloat (a, <=, 1);
          }
      }
    else
      for (guint k = 0; k < G_N_ELEMENTS (accuracy_args); k++)
        {
          g_autofree char *a2 = g_strdup_printf ("%s %s --latency %s", npath, accuracy_args[k], tpath);
          g_autofree char *e2 = NULL;
          g_assert_cmpint (run_cmd ("search", a2, NULL, &e2), ==, 2);
          g_assert_nonnull (strstr (e2, "no accuracy engine for this network"));
        }
  }
  /* The differentiable search needs the supernet (the engine's weights). With
   * it: a 2-λ sweep of a few steps gives measured "diff" configs, a larger λ a
   * smaller one, and free-bits --starts takes every one of them as a start. */
  if (g_str_equal (part, "accuracy"))
  {
    g_autofree char *dpath = g_build_filename (dir, "diff.json", NULL);
    g_autofree char *args = g_strdup_printf ("%s --method diff --latency %s --steps 4 --lambdas 0,50 "
                                             "--limit-train 1024 --limit 20 --json -o %s", npath, tpath, dpath);
    g_autofree char *out = NULL, *err = NULL;
    if (!engine)
      {
        g_assert_cmpint (run_cmd ("search", args, NULL, &err), ==, 2);
        g_assert_nonnull (strstr (err, "supernet"));
      }
    else
      {
        g_autoptr(JsonNode) keep = NULL;
        g_autofree char *fargs = g_strdup_printf ("%s --method free-bits --latency %s --starts %s --no-measure --json",
                                                  npath, tpath, dpath);
        g_autofree char *fout = NULL;
        g_autoptr(JsonNode) fkeep = NULL;
        g_autofree char *bad = g_strdup_printf ("%s --method diff --cost nope", npath);
        JsonArray *c, *fb;
        JsonObject *a0, *a1;
        g_assert_cmpint (run_cmd ("search", args, &out, &err), ==, 0);
        c = json_object_get_array_member (parse_out (out, &keep), "candidates");
        g_assert_cmpuint (json_array_get_length (c), ==, 2);
        a0 = json_array_get_object_element (c, 0);
        a1 = json_array_get_object_element (c, 1);
        g_assert_cmpstr (json_object_get_string_member (a0, "method"), ==, "diff");
        g_assert_cmpfloat (json_object_get_double_member (a0, "accuracy"), >, 0.1);
        g_assert_cmpint (json_object_get_int_member (a1, "size_bytes"), <, json_object_get_int_member (a0, "size_bytes"));
        /* One free-bits result per start, never slower than its start. */
        g_assert_cmpint (run_cmd ("search", fargs, &fout, NULL), ==, 0);
        fb = json_object_get_array_member (parse_out (fout, &fkeep), "free_bits");
        g_assert_cmpuint (json_array_get_length (fb), ==, 2);
        for (guint i = 0; i < 2; i++)
          {
            JsonObject *o = json_array_get_object_element (fb, i);
            g_assert_cmpfloat (json_object_get_double_member (o, "latency_after"), <=,
                               json_object_get_double_member (o, "latency_before"));
          }
        g_assert_cmpint (run_cmd ("search", bad, NULL, NULL), ==, 2);
        /* A size budget between the two results keeps only the smaller one. */
        {
          gint64 budget = json_object_get_int_member (a0, "size_bytes") - 1;
          g_autofree char *bargs = g_strdup_printf ("%s --method diff --latency %s --steps 4 --lambdas 0,50 "
                                                    "--limit-train 1024 --no-measure --max-size %" G_GINT64_FORMAT
                                                    " --json", npath, tpath, budget);
          g_autofree char *bout = NULL;
          g_autoptr(JsonNode) bkeep = NULL;
          JsonArray *bc;
          g_assert_cmpint (run_cmd ("search", bargs, &bout, NULL), ==, 0);
          bc = json_object_get_array_member (parse_out (bout, &bkeep), "candidates");
          g_assert_cmpuint (json_array_get_length (bc), ==, 1);
          g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (bc, 0), "size_bytes"), <=, budget);
        }
        g_unlink (dpath);
      }
  }

  /* --method bops without accuracy: the exact (BOPs, size) front, named "bops";
   * both are minimized by the lowest bits, so it is the single point w2a2. */
  if (!engine && g_str_equal (part, "accuracy"))
  {
    g_autofree char *args = g_strdup_printf ("%s --method bops --latency %s --json", npath, tpath);
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(JsonNode) keep = NULL;
    g_autoptr(FbPrecisionConfig) w2a2 = fb_precision_config_new_from_spec (net, "w2a2", NULL);
    g_autoptr(FbCandidateList) list = NULL;
    JsonObject *root;
    JsonArray *c;
    g_assert_cmpint (run_cmd ("search", args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (err, "(BOPs, size)"));
    root = parse_out (out, &keep);
    g_assert_cmpstr (json_object_get_string_member (root, "objectives"), ==, "size,bops");
    c = json_object_get_array_member (root, "candidates");
    g_assert_cmpuint (json_array_get_length (c), ==, 1);
    list = fb_candidate_list_new_from_json (net, keep, "stdout", &error);
    g_assert_no_error (error);
    g_assert_true (fb_precision_config_equal (fb_candidate_get_config (fb_candidate_list_get (list, 0)), w2a2));
    for (guint i = 0; i < json_array_get_length (c); i++)
      {
        JsonObject *a = json_array_get_object_element (c, i);
        g_assert_cmpstr (json_object_get_string_member (a, "method"), ==, "bops");
        g_assert_false (json_node_is_null (json_object_get_member (a, "latency")));
        for (guint j = 0; j < json_array_get_length (c); j++)
          {
            JsonObject *b = json_array_get_object_element (c, j);
            if (i != j)
              g_assert_false (json_object_get_int_member (a, "bops") <= json_object_get_int_member (b, "bops") &&
                              json_object_get_int_member (a, "size_bytes") <= json_object_get_int_member (b, "size_bytes"));
          }
      }
  }

  /* Three objectives: ε is said and recorded. --no-measure: with an engine the
   * ~1000-point front would otherwise each be evaluated (minutes). */
  if (g_str_equal (part, "accuracy"))
  {
    g_autofree char *args = g_strdup_printf ("%s --method pareto --objectives latency,size,bops --latency %s"
                                             " --no-measure --json", npath, tpath);
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(JsonNode) keep = NULL;
    g_assert_cmpint (run_cmd ("search", args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (err, "ε = 0.01"));
    g_assert_cmpfloat (json_object_get_double_member (parse_out (out, &keep), "epsilon"), ==, 0.01);
  }

  /* compare: JSON with the Spearman member, deterministic, bad input exits 2.
   * With an engine: 20 images, 2 points per front and 10 samples (the engine measures
   * every sample and front point, each recalibrating batch norm: 30 samples and 4 points
   * took 45 s of CPU a run). */
  if (g_str_equal (part, "compare"))
  {
    guint samples = engine ? 10 : 30;
    g_autofree char *args = g_strdup_printf ("%s --latency %s --latency %s --samples %u --seed 5 --json%s",
                                             npath, tpath, t2path, samples, engine ? " --limit 20 --max-front 2" : "");
    g_autofree char *out = NULL, *out2 = NULL;
    g_autoptr(JsonNode) keep = NULL;
    JsonObject *root;
    g_assert_cmpint (run_cmd ("compare", args, &out, NULL), ==, 0);
    g_assert_cmpint (run_cmd ("compare", args, &out2, NULL), ==, 0);
    g_assert_cmpstr (out, ==, out2);
    root = parse_out (out, &keep);
    g_assert_true (json_object_has_member (root, "spearman_bops_latency"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "targets")), ==, 2);
    g_assert_cmpint (json_object_get_int_member (root, "samples"), ==, samples);
  }
  if (g_str_equal (part, "compare"))
  {
    g_autofree char *args = g_strdup_printf ("%s --samples 3", npath);
    g_assert_cmpint (run_cmd ("compare", args, NULL, NULL), ==, 2);
    g_clear_pointer (&args, g_free);   /* g_autofree: with an engine args is not reassigned */
    if (!engine)
      {
        args = g_strdup_printf ("%s --latency %s --limit 10", npath, tpath);
        g_assert_cmpint (run_cmd ("compare", args, NULL, NULL), ==, 2);
      }
  }

  /* Cached sensitivities (written by a library run with the test oracle) drive
   * the accuracy objective, the BOPs-targeted front and compare without an engine. */
  if (g_str_equal (part, "sensitivity"))
  {
    TestOracle *o = test_oracle_new (net);
    g_autoptr(FbAccuracyOracle) oracle = &o->parent;
    g_autoptr(FbSensitivity) sens = fb_sensitivity_measure (oracle, 20, NULL, NULL, NULL, &error);
    g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
    g_autoptr(FbCandidateList) list = fb_candidate_list_new (net);
    g_autofree char *spath = g_build_filename (dir, "sens.json", NULL);
    g_autofree char *args = NULL, *out = NULL;
    g_autoptr(JsonNode) keep = NULL, keep2 = NULL, keep3 = NULL;
    JsonArray *c;

    g_assert_no_error (error);
    g_assert_true (fb_search_pareto (net, table, sens, NULL, FB_PARETO_LATENCY | FB_PARETO_ACCURACY, 0, NULL, NULL,
                                     collect, NULL, got, NULL, NULL, &error));
    for (guint i = 0; i < got->len; i++)
      fb_candidate_list_add (list, g_ptr_array_index (got, i));
    g_assert_true (fb_candidate_list_save (list, spath, &error));

    args = g_strdup_printf ("%s --method pareto --objectives latency,accuracy --sensitivity %s --latency %s"
                            " --json --no-measure", npath, spath, tpath);
    g_assert_cmpint (run_cmd ("search", args, &out, NULL), ==, 0);
    c = json_object_get_array_member (parse_out (out, &keep), "candidates");
    g_assert_cmpuint (json_array_get_length (c), ==, got->len);
    for (guint i = 0; i < json_array_get_length (c); i++)
      {
        JsonObject *prov = json_object_get_object_member (json_array_get_object_element (c, i), "provenance");
        g_assert_cmpfloat (json_object_get_double_member (prov, "accuracy_proxy"), ==,
                           json_object_get_double_member (fb_candidate_get_provenance (g_ptr_array_index (got, i)),
                                                          "accuracy_proxy"));
      }
    g_free (args);
    g_free (out);
    args = g_strdup_printf ("%s --method bops --sensitivity %s --latency %s --json --no-measure", npath, spath, tpath);
    g_assert_cmpint (run_cmd ("search", args, &out, NULL), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (parse_out (out, &keep2), "objectives"), ==, "bops,accuracy");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (keep2), "candidates")), >, 1);
    g_free (args);
    g_free (out);
    args = g_strdup_printf ("%s --latency %s --samples 10 --sensitivity %s --json%s", npath, tpath, spath,
                            engine ? " --limit 20 --max-front 4" : "");
    g_assert_cmpint (run_cmd ("compare", args, &out, NULL), ==, 0);
    /* Measured accuracy wins over the proxy when there is an engine. */
    g_assert_cmpstr (json_object_get_string_member (parse_out (out, &keep3), "accuracy"), ==,
                     engine ? "measured" : "proxy");
    g_unlink (spath);
  }

  /* bench search: reports the front, the heuristic, the cancel latency, growth. */
  if (g_str_equal (part, "sensitivity"))
  {
    g_autofree char *args = g_strdup_printf ("search %s --latency %s --repeat 1 --json", npath, tpath);
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) keep = NULL;
    JsonObject *root;
    g_assert_cmpint (run_cmd ("bench", args, &out, NULL), ==, 0);
    root = parse_out (out, &keep);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "pareto"), "front_size"), >, 1);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "free_bits"), "starts"), >, 0);
    g_assert_true (json_object_has_member (root, "cancel_latency_ms"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "growth")), >, 2);
  }
  g_unlink (tpath);
  g_unlink (t2path);
  g_rmdir (dir);
}

static void
test_cli (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(FbLatencyTable) table = build_table (net, random_cost, rand);
  g_autofree char *dir = g_dir_make_tmp ("fb-search-cli-XXXXXX", NULL);
  g_autofree char *tpath = g_build_filename (dir, "t.json", NULL);
  g_autofree char *cpath = g_build_filename (dir, "c.json", NULL);
  g_autofree char *npath = fb_test_network_path ("fmnist-mbv1.json");
  g_autofree char *args = NULL, *out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FbCandidateList) list = NULL;
  JsonArray *cands;

  if (g_getenv ("FB_CLI") == NULL)
    {
      g_test_skip ("FB_CLI not set");
      return;
    }
  g_assert_true (fb_latency_table_save (table, tpath, &error));
  g_assert_no_error (error);

  /* Bad input exits 2. */
  g_assert_cmpint (run_cli ("", NULL), ==, 2);
  args = g_strdup_printf ("%s --method nope", npath);
  g_assert_cmpint (run_cli (args, NULL), ==, 2);
  g_free (args);
  args = g_strdup_printf ("%s --method free-bits", npath);   /* no table */
  g_assert_cmpint (run_cli (args, NULL), ==, 2);
  g_free (args);
  args = g_strdup_printf ("%s --method pareto --latency %s --max-size x", npath, tpath);
  g_assert_cmpint (run_cli (args, NULL), ==, 2);
  g_free (args);

  /* --json: a mutually non-dominated front in (latency, size), same as -o. */
  args = g_strdup_printf ("%s --method pareto --latency %s --no-measure --json -o %s", npath, tpath, cpath);
  g_assert_cmpint (run_cli (args, &out), ==, 0);
  root = fb_json_load_data (out, -1, "stdout", &error);
  g_assert_no_error (error);
  cands = json_object_get_array_member (json_node_get_object (root), "candidates");
  g_assert_cmpuint (json_array_get_length (cands), >, 1);
  for (guint i = 0; i < json_array_get_length (cands); i++)
    for (guint j = 0; j < json_array_get_length (cands); j++)
      {
        JsonObject *a = json_array_get_object_element (cands, i), *b = json_array_get_object_element (cands, j);
        if (i == j)
          continue;
        g_assert_false (json_object_get_double_member (a, "latency") <= json_object_get_double_member (b, "latency") &&
                        json_object_get_int_member (a, "size_bytes") <= json_object_get_int_member (b, "size_bytes"));
        g_assert_true (json_node_is_null (json_object_get_member (a, "accuracy")));
      }
  list = fb_candidate_list_load (net, cpath, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_candidate_list_get_length (list), ==, json_array_get_length (cands));
  g_unlink (tpath);
  g_unlink (cpath);
  g_rmdir (dir);
}

/* The binary takes ~150 s on a quiet 2-core machine; meson runs it as four groups
 * (FB_TEST_GROUP=core|pareto|accuracy|cli) so no test runs much over a minute and
 * two groups share the cores. Without FB_TEST_GROUP every case runs. Every case
 * names its group here, so none can fall between them. */
typedef struct
{
  const char   *group;
  const char   *path;
  GTestFunc     func;        /* a case without data, or */
  GTestDataFunc data_func;   /* one with data */
  gconstpointer data;
} SearchCase;

int
main (int argc, char **argv)
{
  static const SearchCase cases[] = {
    { "core", "/search/candidates/round-trip", test_candidates_round_trip, NULL, NULL },
    { "core", "/search/candidates/bad-files", test_candidates_bad_files, NULL, NULL },
    { "core", "/search/uniform/set", test_uniform_set, NULL, NULL },
    { "core", "/search/free-bits/raise-and-keep", test_free_bits_raise_and_keep, NULL, NULL },
    { "core", "/search/free-bits/pins", test_free_bits_pins, NULL, NULL },
    { "core", "/search/free-bits/coupling", test_free_bits_coupling, NULL, NULL },
    { "pareto", "/search/pareto/brute-force", test_pareto_brute_force, NULL, NULL },
    { "pareto", "/search/pareto/pins", test_pareto_pins, NULL, NULL },
    { "core", "/search/budgets", test_budgets, NULL, NULL },
    { "core", "/search/cancel", test_cancel, NULL, NULL },
    { "pareto", "/search/pareto/fmnist-mbv1", NULL, test_pareto_bundled, "fmnist-mbv1.json" },
    { "pareto", "/search/pareto/mobilenet-v2", NULL, test_pareto_bundled, "mobilenet-v2-1.0-224.json" },
    { "cli", "/search/cli", test_cli, NULL, NULL },
    { "cli-accuracy", "/search/cli-more/accuracy", NULL, test_cli_more, "accuracy" },
    { "cli-compare", "/search/cli-more/compare", NULL, test_cli_more, "compare" },
    { "cli-sensitivity", "/search/cli-more/sensitivity", NULL, test_cli_more, "sensitivity" },
    { "pareto", "/search/pareto/random-nets", test_pareto_random_nets, NULL, NULL },
    { "pareto", "/search/pareto/accuracy-objective", test_pareto_accuracy_objective, NULL, NULL },
    { "pareto", "/search/pareto/growth", test_pareto_growth, NULL, NULL },
    { "pareto", "/search/pareto/determinism", test_determinism, NULL, NULL },
    { "accuracy", "/search/sensitivity", test_sensitivity, NULL, NULL },
    { "accuracy", "/search/free-bits/lowering", test_free_bits_lowering, NULL, NULL },
    { "accuracy", "/search/free-bits/lowering-pins-floor", test_free_bits_lowering_pins_and_floor, NULL, NULL },
    { "accuracy", "/search/measure", test_measure, NULL, NULL },
    { "accuracy", "/search/compare/spearman", test_spearman, NULL, NULL },
    { "accuracy", "/search/compare/pool", test_compare, NULL, NULL },
    { "accuracy", "/search/cancel-accuracy", test_cancel_accuracy, NULL, NULL },
    { "core", "/search/cancel-thread", test_cancel_thread, NULL, NULL },
    { "core", "/search/measure-progress", test_measure_progress, NULL, NULL },
  };
  const char *group = g_getenv ("FB_TEST_GROUP");

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (group == NULL || g_str_equal (group, cases[i].group))
      {
        if (cases[i].func != NULL)
          g_test_add_func (cases[i].path, cases[i].func);
        else
          g_test_add_data_func (cases[i].path, cases[i].data, cases[i].data_func);
      }
  return g_test_run ();
}

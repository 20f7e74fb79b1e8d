/* test-search.c — src/search: candidates, uniform, free bits, Pareto DP, budgets, cancel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "fb-free-bits.h"
#include "fb-json.h"
#include "fb-pareto.h"
#include "fb-search-uniform.h"
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

static FbLatencyTable *
build_table (FbNetwork *net, CostFunc func, gpointer data)
{
  FbLatencyTable *table = fb_latency_table_new ("test", FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);

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

  g_assert_true (fb_search_free_bits (start, table, tol, NULL, NULL, NULL, NULL, NULL, changes, &result, &error));
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
  double v[3];
} Vec;

static int
vec_cmp (const void *a, const void *b)
{
  const Vec *x = a, *y = b;
  for (guint d = 0; d < 3; d++)
    if (x->v[d] != y->v[d])
      return x->v[d] < y->v[d] ? -1 : 1;
  return 0;
}

static void
metrics_vec (const FbMetrics *m, FbParetoObjectives obj, Vec *out)
{
  guint n = 0;
  out->v[0] = out->v[1] = out->v[2] = 0;
  if (obj & FB_PARETO_LATENCY) out->v[n++] = m->latency;
  if (obj & FB_PARETO_SIZE)    out->v[n++] = m->size_bytes;
  if (obj & FB_PARETO_BOPS)    out->v[n++] = m->bops;
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
          dom = q->v[0] <= p->v[0] && q->v[1] <= p->v[1] && q->v[2] <= p->v[2];
        }
      if (!dom)
        g_array_append_val (front, *p);
    }
  return front;
}

/* Every config of the tiny network, through fb_metrics_compute. */
static GArray *
brute_force (FbNetwork *net, FbLatencyTable *table, FbPrecisionConfig *start, FbParetoObjectives obj,
             const FbSearchConstraints *cons)
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
      if (skip)
        continue;
      g_assert_true (fb_metrics_compute (c, table, &m, NULL, NULL));
      if (!fb_search_constraints_check (cons, &m, NAN))
        continue;
      metrics_vec (&m, obj, &v);
      g_array_append_val (all, v);
    }
  return front_of (all);
}

static void
check_dp_equals_brute (FbNetwork *net, FbLatencyTable *table, FbPrecisionConfig *start,
                       FbParetoObjectives obj, const FbSearchConstraints *cons)
{
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GArray) dp = g_array_new (FALSE, FALSE, sizeof (Vec));
  g_autoptr(GArray) bf = brute_force (net, table, start, obj, cons);
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_search_pareto (net, table, start, obj, 0, cons, collect, NULL, got, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < got->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (got, i);
      Vec v;
      g_assert_true (fb_search_constraints_check (cons, fb_candidate_get_metrics (c), NAN));
      metrics_vec (fb_candidate_get_metrics (c), obj, &v);
      g_array_append_val (dp, v);
    }
  g_array_sort (dp, vec_cmp);
  g_test_message ("objectives %#x: DP front %u points, brute force %u", obj, dp->len, bf->len);
  g_assert_cmpuint (dp->len, ==, bf->len);
  for (guint i = 0; i < dp->len; i++)
    g_assert_cmpint (vec_cmp (&g_array_index (dp, Vec, i), &g_array_index (bf, Vec, i)), ==, 0);
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
  g_assert_true (fb_search_pareto (net, table, start, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL,
                                   collect, NULL, got, NULL, NULL, NULL));
  g_assert_cmpuint (got->len, >, 0);
  for (guint i = 0; i < got->len; i++)
    {
      FbPrecisionConfig *c = fb_candidate_get_config (g_ptr_array_index (got, i));
      g_assert_cmpuint (fb_precision_config_get_weight_bits (c, p3), ==, 2);
      g_assert_cmpuint (fb_precision_config_get_tensor_bits (c, c1), ==, 4);
    }
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
    g_assert_true (fb_search_free_bits (w2a2, flat, 0, &cons, NULL, NULL, NULL, NULL, NULL, &r, NULL));
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
        ok = fb_search_pareto (net, table, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS, 0, NULL,
                               NULL, cancel_progress, &d, cancellable, NULL, &error);
      else if (method == 1)
        ok = fb_search_free_bits (start, table, 0, NULL, NULL, cancel_progress, &d, cancellable, NULL, NULL, &error);
      else
        ok = fb_search_uniform (net, table, NULL, NULL, NULL, cancel_progress, &d, cancellable, &error);
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      waited = (g_get_monotonic_time () - d.cancelled_at) / 1e6;
      g_test_message ("method %u stopped %.3f ms after cancel", method, waited * 1e3);
      g_assert_cmpfloat (waited, <, 2.0);   /* only catches hangs */
    }
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
  guint n_states = 0;

  g_assert_true (fb_search_pareto (net, table, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL,
                                   collect, NULL, got, NULL, &n_states, &error));
  g_assert_no_error (error);
  g_test_message ("%s (%u layers, modeled table): front %u points, max %u DP states, %.1f ms",
                  (const char *) data, fb_network_get_n_layers (net), got->len, n_states,
                  (g_get_monotonic_time () - t0) / 1e3);
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
run_cli (const char *args, char **out)
{
  g_autofree char *cmd = g_strdup_printf ("%s search %s", g_getenv ("FB_CLI"), args);
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, out, NULL, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
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
  args = g_strdup_printf ("%s --method pareto --latency %s --json -o %s", npath, tpath, cpath);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/search/candidates/round-trip", test_candidates_round_trip);
  g_test_add_func ("/search/candidates/bad-files", test_candidates_bad_files);
  g_test_add_func ("/search/uniform/set", test_uniform_set);
  g_test_add_func ("/search/free-bits/raise-and-keep", test_free_bits_raise_and_keep);
  g_test_add_func ("/search/free-bits/pins", test_free_bits_pins);
  g_test_add_func ("/search/free-bits/coupling", test_free_bits_coupling);
  g_test_add_func ("/search/pareto/brute-force", test_pareto_brute_force);
  g_test_add_func ("/search/pareto/pins", test_pareto_pins);
  g_test_add_func ("/search/budgets", test_budgets);
  g_test_add_func ("/search/cancel", test_cancel);
  g_test_add_data_func ("/search/pareto/fmnist-mbv1", "fmnist-mbv1.json", test_pareto_bundled);
  g_test_add_data_func ("/search/pareto/mobilenet-v2", "mobilenet-v2-1.0-224.json", test_pareto_bundled);
  g_test_add_func ("/search/cli", test_cli);
  return g_test_run ();
}

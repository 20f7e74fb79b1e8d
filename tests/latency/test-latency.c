/* test-latency.c — latency tables: measured (rv32imc under QEMU, host), modeled (GAP-8),
 * imported (CSV), through the library and through freebits-cli as a user runs it.
 *
 * The CLI comes from $FB_CLI (tests/latency/meson.build).  The rv32imc cases are skipped, with
 * a visible message, when the cross toolchain or QEMU is missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-latency-import.h"
#include "fb-latency-measure.h"
#include "fb-latency-model.h"
#include "fb-metrics.h"
#include "fb-plan.h"
#include "fb-rv32.h"
#include "fb-test-util.h"

static const char *cli_path;
static char *tmp_dir;

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                    */

static FbNetwork *
tiny_network (void)
{
  g_autofree char *path = fb_test_source_path ("tests", "data", "latency", "tiny.json", NULL);
  return fb_test_load_network (path);
}

static char *
tmp_file (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static FbLatencyTable *
load_table (const char *path)
{
  g_autoptr (GError) error = NULL;
  FbLatencyTable *t = fb_latency_table_load (path, &error);
  g_assert_no_error (error);
  return t;
}

/* Every layer of the network has exactly its admissible keys, each with a positive cost. */
static void
assert_complete (FbLatencyTable *table, FbNetwork *net)
{
  for (guint l = 0; l < fb_network_get_n_layers (net); l++)
    {
      const char *name = fb_network_get_layer (net, l)->name;
      g_auto (GStrv) keys = fb_latency_admissible_keys (net, l);
      g_auto (GStrv) have = fb_latency_table_get_keys (table, name);
      g_assert_cmpuint (g_strv_length (have), ==, g_strv_length (keys));
      for (char **k = keys; *k != NULL; k++)
        {
          double c = -1;
          g_assert_true (fb_latency_table_lookup (table, name, *k, &c));
          g_assert_cmpfloat (c, >, 0);
        }
    }
}

static double
config_latency (FbNetwork *net, FbLatencyTable *table, const char *spec)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FbPrecisionConfig) config = fb_precision_config_new_from_spec (net, spec, &error);
  FbMetrics m;
  g_assert_no_error (error);
  g_assert_true (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_no_error (error);
  return m.latency;
}

static gboolean
have_rv32 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FbRv32Toolchain) tc = fb_rv32_toolchain_find (&error);
  if (tc == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("rv32imc measurement not tested: %s",
                                              error->message);
      g_test_skip (msg);
      g_printerr ("# SKIP %s\n", msg);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* keys                                                                                       */

static void
test_key_parse (void)
{
  guint a, m, o;
  g_assert_true (fb_latency_key_parse ("a4w2o8", &a, &m, &o));
  g_assert_cmpuint (a, ==, 4);
  g_assert_cmpuint (m, ==, 2);
  g_assert_cmpuint (o, ==, 8);
  g_assert_true (fb_latency_key_parse ("a8w2o32", &a, &m, &o));
  g_assert_cmpuint (o, ==, 32);
  g_assert_true (fb_latency_key_parse ("a2b4o8", &a, &m, &o));
  g_assert_cmpuint (m, ==, 4);
  g_assert_true (fb_latency_key_parse ("a4o4", &a, &m, &o));
  g_assert_cmpuint (m, ==, 0);
  g_assert_false (fb_latency_key_parse ("a3w8o8", &a, &m, &o));
  g_assert_false (fb_latency_key_parse ("w8a8", &a, &m, &o));
  g_assert_false (fb_latency_key_parse ("a8w8o8x", &a, &m, &o));
}

/* ------------------------------------------------------------------------------------------ */
/* model                                                                                      */

static const char *const model_targets[] = { "gap8", "gap8-xpulpnn" };

static FbNetwork *
layer_network (const char *op, guint channels)
{
  g_autofree char *json = NULL;
  if (g_str_equal (op, "conv2d"))
    json = g_strdup_printf (
      "{\"format\":\"freebits-network/1\",\"name\":\"m\",\"input\":{\"name\":\"input\","
      "\"shape\":[16,16,8]},\"layers\":["
      "{\"name\":\"c0\",\"op\":\"conv2d\",\"inputs\":[\"input\"],\"output\":\"c0\","
      "\"kernel\":1,\"cout\":32},"
      "{\"name\":\"x\",\"op\":\"conv2d\",\"inputs\":[\"c0\"],\"output\":\"x\",\"kernel\":3,"
      "\"pad\":1,\"cout\":%u},"
      "{\"name\":\"pool\",\"op\":\"global_avg_pool\",\"inputs\":[\"x\"],\"output\":\"pool\"},"
      "{\"name\":\"fc\",\"op\":\"linear\",\"inputs\":[\"pool\"],\"output\":\"fc\",\"cout\":%u}]}",
      channels, channels);
  else
    json = g_strdup_printf (
      "{\"format\":\"freebits-network/1\",\"name\":\"m\",\"input\":{\"name\":\"input\","
      "\"shape\":[16,16,8]},\"layers\":["
      "{\"name\":\"c0\",\"op\":\"conv2d\",\"inputs\":[\"input\"],\"output\":\"c0\","
      "\"kernel\":1,\"cout\":%u},"
      "{\"name\":\"x\",\"op\":\"depthwise_conv2d\",\"inputs\":[\"c0\"],\"output\":\"x\","
      "\"kernel\":3,\"stride\":2,\"pad\":1},"
      "{\"name\":\"pool\",\"op\":\"global_avg_pool\",\"inputs\":[\"x\"],\"output\":\"pool\"},"
      "{\"name\":\"fc\",\"op\":\"linear\",\"inputs\":[\"pool\"],\"output\":\"fc\",\"cout\":10}]}",
      channels);
  return fb_test_network_from_string (json);
}

/* The same layer with more output channels never costs less, for every key, on both
 * modeled targets: conv "x" and classifier "fc" grow with cout, depthwise "x" with its
 * channels. */
static void
test_model_more_channels (void)
{
  static const char *const ops[] = { "conv2d", "depthwise_conv2d" };
  static const char *const layers[] = { "x", "fc" };
  for (guint t = 0; t < G_N_ELEMENTS (model_targets); t++)
    for (guint o = 0; o < G_N_ELEMENTS (ops); o++)
      {
        g_autoptr (FbLatencyTable) prev = NULL;
        for (guint ch = 8; ch <= 96; ch += 4)
          {
            g_autoptr (GError) error = NULL;
            g_autoptr (FbNetwork) net = layer_network (ops[o], ch);
            g_autoptr (FbLatencyTable) table = fb_latency_model (net, model_targets[t], &error);
            g_assert_no_error (error);
            if (prev != NULL)
              for (guint li = 0; li < G_N_ELEMENTS (layers); li++)
                {
                  g_auto (GStrv) keys = NULL;
                  if (li == 1 && o == 1)
                    continue;   /* the classifier does not change in the depthwise network */
                  keys = fb_latency_table_get_keys (table, layers[li]);
                  g_assert_cmpuint (g_strv_length (keys), >, 0);
                  for (char **k = keys; *k != NULL; k++)
                    {
                      double a = 0, b = 0;
                      if (!fb_latency_table_lookup (prev, layers[li], *k, &a))
                        continue;   /* key not admissible at the smaller width */
                      g_assert_true (fb_latency_table_lookup (table, layers[li], *k, &b));
                      if (b < a)
                        g_error ("%s %s %s: %u channels cost %g < %g with 4 fewer",
                                 model_targets[t], layers[li], *k, ch, b, a);
                    }
                }
            g_clear_pointer (&prev, fb_latency_table_unref);
            prev = g_steal_pointer (&table);
          }
      }
}

static void
test_model_fmnist (void)
{
  g_autofree char *path = fb_test_source_path ("data", "networks", "fmnist-mbv1.json", NULL);
  g_autoptr (FbNetwork) net = fb_test_load_network (path);
  for (guint t = 0; t < G_N_ELEMENTS (model_targets); t++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FbLatencyTable) table = fb_latency_model (net, model_targets[t], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (fb_latency_table_get_target (table), ==, model_targets[t]);
      g_assert_cmpint (fb_latency_table_get_unit (table), ==, FB_LATENCY_UNIT_CYCLES);
      g_assert_cmpint (fb_latency_table_get_method (table), ==, FB_LATENCY_METHOD_MODELED);
      g_assert_cmpfloat (fb_latency_table_get_clock_hz (table), ==, 175e6);
      g_assert_cmpstr (fb_latency_table_get_network_sha256 (table), ==,
                       fb_network_get_sha256 (net));
      assert_complete (table, net);
      g_assert_cmpfloat (config_latency (net, table, "w8a8"), >, 0);
    }
}

/* A compute-bound layer (3x3, 64 -> 64 channels): with nibble/crumb SIMD 2-bit is cheaper
 * than 8-bit; without it (XpulpV2) sub-byte compute is not cheaper than 8-bit, only the
 * DMA shrinks. */
static void
test_model_subbyte (void)
{
  g_autoptr (FbNetwork) net = fb_test_network_from_string (
    "{\"format\":\"freebits-network/1\",\"name\":\"m\",\"input\":{\"name\":\"input\","
    "\"shape\":[16,16,64]},\"layers\":["
    "{\"name\":\"x\",\"op\":\"conv2d\",\"inputs\":[\"input\"],\"output\":\"x\",\"kernel\":3,"
    "\"pad\":1,\"cout\":64},"
    "{\"name\":\"y\",\"op\":\"conv2d\",\"inputs\":[\"x\"],\"output\":\"y\",\"kernel\":3,"
    "\"pad\":1,\"cout\":64},"
    "{\"name\":\"pool\",\"op\":\"global_avg_pool\",\"inputs\":[\"y\"],\"output\":\"pool\"},"
    "{\"name\":\"fc\",\"op\":\"linear\",\"inputs\":[\"pool\"],\"output\":\"fc\",\"cout\":10}]}");
  g_autoptr (GError) error = NULL;
  g_autoptr (FbLatencyTable) nn = fb_latency_model (net, "gap8-xpulpnn", &error);
  g_autoptr (FbLatencyTable) v2 = fb_latency_model (net, "gap8", &error);
  FbPlanStep s8, s2;
  FbLatencyModelCost c8, c2;
  double a8, a2;

  g_assert_no_error (error);
  g_assert_true (fb_latency_table_lookup (nn, "y", "a8w8o8", &a8));
  g_assert_true (fb_latency_table_lookup (nn, "y", "a2w2o2", &a2));
  g_assert_cmpfloat (a2, <, a8 * 0.5);

  g_assert_true (fb_plan_step_init (net, 1, 8, 8, 8, FB_KERNEL_ARCH_SCALAR, &s8, &error));
  g_assert_true (fb_plan_step_init (net, 1, 2, 2, 2, FB_KERNEL_ARCH_SCALAR, &s2, &error));
  g_assert_true (fb_latency_model_step (&s8, "gap8", &c8, &error));
  g_assert_true (fb_latency_model_step (&s2, "gap8", &c2, &error));
  g_assert_cmpfloat (c2.compute + c2.unpack + c2.im2col, >=, c8.compute + c8.unpack + c8.im2col);
  g_assert_cmpfloat (c2.dma, <, c8.dma);
  g_assert_true (fb_latency_table_lookup (v2, "y", "a8w8o8", &a8));
  g_assert_true (fb_latency_table_lookup (v2, "y", "a2w2o2", &a2));
  g_assert_cmpfloat (a2, >, a8);
}

static void
test_model_unknown_target (void)
{
  g_autoptr (FbNetwork) net = tiny_network ();
  g_autoptr (GError) error = NULL;
  g_autoptr (FbLatencyTable) t = fb_latency_model (net, "gap9", &error);
  g_assert_null (t);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "gap9"));
}

/* ------------------------------------------------------------------------------------------ */
/* CLI round trips                                                                            */

/* `latency model` twice gives the same bytes; loading and saving the file reproduces it
 * byte for byte; metrics reads it. */
static void
test_cli_model_roundtrip (void)
{
  g_autofree char *net = fb_test_source_path ("data", "networks", "fmnist-mbv1.json", NULL);
  g_autofree char *a = tmp_file ("model-a.json"), *b = tmp_file ("model-b.json");
  g_autofree char *c = tmp_file ("model-c.json");
  g_autofree char *ta = NULL, *tb = NULL, *tc = NULL;
  g_autoptr (FbLatencyTable) table = NULL;
  g_autoptr (GError) error = NULL;

  for (guint t = 0; t < G_N_ELEMENTS (model_targets); t++)
    {
      g_auto (FbTestRun) r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
      const char *args1[] = { "latency", "model", net, "--target", model_targets[t], "-o", a,
                              NULL };
      const char *args2[] = { "latency", "model", net, "--target", model_targets[t], "-o", b,
                              NULL };
      const char *args3[] = { "metrics", net, "--config", "w4a8", "--latency", a, "--json",
                              NULL };
      fb_test_run_cli (&r1, args1);
      fb_test_run_cli (&r2, args2);
      g_assert_cmpint (r1.status, ==, 0);
      g_assert_cmpint (r2.status, ==, 0);
      g_clear_pointer (&ta, g_free);
      g_clear_pointer (&tb, g_free);
      g_clear_pointer (&tc, g_free);
      ta = fb_test_read_file (a);
      tb = fb_test_read_file (b);
      g_assert_cmpstr (ta, ==, tb);
      g_clear_pointer (&table, fb_latency_table_unref);
      table = load_table (a);
      g_assert_true (fb_latency_table_save (table, c, &error));
      g_assert_no_error (error);
      tc = fb_test_read_file (c);
      g_assert_cmpstr (ta, ==, tc);
      fb_test_run_cli (&r3, args3);
      g_assert_cmpint (r3.status, ==, 0);
      g_assert_nonnull (strstr (r3.out, "\"latency\""));
      g_assert_null (strstr (r3.out, "\"latency\" : null"));
    }
}

static char *
table_to_csv (FbLatencyTable *table, FbNetwork *net)
{
  GString *s = g_string_new ("layer,a_bits,w_bits,o_bits,cost\n");
  for (guint l = 0; l < fb_network_get_n_layers (net); l++)
    {
      const FbLayer *layer = fb_network_get_layer (net, l);
      g_auto (GStrv) keys = fb_latency_table_get_keys (table, layer->name);
      for (char **k = keys; *k != NULL; k++)
        {
          guint a, m, o;
          double c;
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_assert_true (fb_latency_key_parse (*k, &a, &m, &o));
          g_assert_true (fb_latency_table_lookup (table, layer->name, *k, &c));
          if (m == 0)
            g_string_append_printf (s, "%s,%u,,%u,", layer->name, a, o);
          else
            g_string_append_printf (s, "%s,%u,%u,%u,", layer->name, a, m, o);
          g_string_append (s, g_ascii_dtostr (buf, sizeof buf, c));
          g_string_append_c (s, '\n');
        }
    }
  return g_string_free (s, FALSE);
}

/* model → CSV → `latency import` gives the same costs, method imported; the imported file
 * round-trips through load/save byte for byte. @data: a network under tests/data (the
 * signed one has keys with signed operands and windowed pools, which the CSV reader once
 * spelled by hand and refused). */
static void
test_cli_import_roundtrip (gconstpointer data)
{
  g_autofree char *netpath = fb_test_source_path ("tests", "data", (const char *) data, NULL);
  g_autoptr (FbNetwork) net = fb_test_load_network (netpath);
  g_autoptr (GError) error = NULL;
  g_autoptr (FbLatencyTable) model = fb_latency_model (net, "gap8", &error);
  g_autofree char *csv = table_to_csv (model, net);
  g_autofree char *csv_path = tmp_file ("tiny.csv"), *out = tmp_file ("tiny-imported.json");
  g_autofree char *again = tmp_file ("tiny-again.json");
  g_autofree char *t1 = NULL, *t2 = NULL;
  g_autoptr (FbLatencyTable) imported = NULL;
  g_auto (FbTestRun) r = { 0 };
  const char *args[] = { "latency", "import", csv_path, "--network", netpath, "--target",
                         "myboard", "--unit", "cycles", "--clock-hz", "64000000", "-o", out,
                         NULL };

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
  fb_test_run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  imported = load_table (out);
  g_assert_cmpstr (fb_latency_table_get_target (imported), ==, "myboard");
  g_assert_cmpint (fb_latency_table_get_method (imported), ==, FB_LATENCY_METHOD_IMPORTED);
  g_assert_cmpint (fb_latency_table_get_unit (imported), ==, FB_LATENCY_UNIT_CYCLES);
  g_assert_cmpfloat (fb_latency_table_get_clock_hz (imported), ==, 64e6);
  g_assert_cmpstr (fb_latency_table_get_network_sha256 (imported), ==,
                   fb_network_get_sha256 (net));
  assert_complete (imported, net);
  for (guint l = 0; l < fb_network_get_n_layers (net); l++)
    {
      const char *name = fb_network_get_layer (net, l)->name;
      g_auto (GStrv) keys = fb_latency_admissible_keys (net, l);
      for (char **k = keys; *k != NULL; k++)
        {
          double a, b;
          g_assert_true (fb_latency_table_lookup (model, name, *k, &a));
          g_assert_true (fb_latency_table_lookup (imported, name, *k, &b));
          g_assert_cmpfloat (a, ==, b);
        }
    }
  g_assert_true (fb_latency_table_save (imported, again, &error));
  g_assert_no_error (error);
  t1 = fb_test_read_file (out);
  t2 = fb_test_read_file (again);
  g_assert_cmpstr (t1, ==, t2);
}

typedef struct {
  const char *name;
  const char *csv;        /* "@FULL@" is replaced by a complete valid body */
  const char *mentions[4];
} BadCsv;

/* Malformed CSVs: exit status 2, one line on stderr naming file:line and the column. */
static void
test_cli_import_errors (void)
{
  static const BadCsv cases[] = {
    { "empty", "\n# nothing\n", { "empty", "header" } },
    { "header-missing-column", "layer,a_bits,w_bits,o_bits\nconv1,8,8,8\n",
      { ":1:", "missing column \"cost\"" } },
    { "header-unknown-column", "layer,a_bits,w_bits,o_bits,cost,notes\n",
      { ":1:", "unknown column \"notes\"" } },
    { "fields", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,8,8\n",
      { ":2:", "expected 5 fields, got 4" } },
    { "bits", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,3,8,100\n",
      { ":2:", "column \"w_bits\"", "\"3\"", "8, 4 or 2" } },
    { "unknown-layer", "# comment\nlayer,a_bits,w_bits,o_bits,cost\nconv9,8,8,8,100\n",
      { ":3:", "column \"layer\"", "\"conv9\"" } },
    { "cost", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,8,8,-5\n",
      { ":2:", "column \"cost\"", "\"-5\"" } },
    { "cost-text", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,8,8,fast\n",
      { ":2:", "column \"cost\"", "\"fast\"" } },
    { "pool-w", "layer,a_bits,w_bits,o_bits,cost\npool,8,8,8,100\n",
      { ":2:", "column \"w_bits\"", "must be empty", "pool" } },
    { "pool-o", "layer,a_bits,w_bits,o_bits,cost\npool,8,,4,100\n",
      { ":2:", "column \"o_bits\"", "must be 8" } },
    { "logits", "layer,a_bits,w_bits,o_bits,cost\nfc,8,8,8,100\n",
      { ":2:", "column \"o_bits\"", "must be 32" } },
    { "add-bits", "layer,a_bits,w_bits,o_bits,cost\nadd3,8,5,8,100\n",
      { ":2:", "column \"w_bits\" (the add's second input)", "\"5\"" } },
    { "inadmissible", "layer,a_bits,w_bits,o_bits,cost\nconv1,4,8,8,100\n",
      { ":2:", "\"conv1\"", "does not admit a4w8o8", "a8w8o8" } },
    { "duplicate", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,8,8,1\n conv1 , 8 ,8,8,2\n",
      { ":3:", "a8w8o8", "already given on line 2" } },
    { "missing-keys", "layer,a_bits,w_bits,o_bits,cost\nconv1,8,8,8,1\npool,8,,8,3\n",
      { "missing 100 admissible keys", "conv1: a8w8o4, a8w8o2, a8w4o8",
        "… and 60 more" } },
  };
  g_autofree char *netpath = fb_test_source_path ("tests", "data", "latency", "tiny.json", NULL);
  g_autofree char *out = tmp_file ("bad-out.json");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-%s.csv", cases[i].name);
      g_autofree char *path = tmp_file (name);
      g_auto (FbTestRun) r = { 0 };
      const char *args[] = { "latency", "import", path, "--network", netpath, "--target", "b",
                             "--unit", "us", "-o", out, NULL };
      const char *nl;
      g_assert_true (g_file_set_contents (path, cases[i].csv, -1, NULL));
      fb_test_run_cli (&r, args);
      g_test_message ("%s: %s", cases[i].name, r.err);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_cmpstr (r.out, ==, "");
      nl = strchr (r.err, '\n');
      g_assert_nonnull (nl);
      g_assert_cmpstr (nl + 1, ==, "");
      g_assert_nonnull (strstr (r.err, name));
      for (guint m = 0; m < G_N_ELEMENTS (cases[i].mentions) && cases[i].mentions[m]; m++)
        if (strstr (r.err, cases[i].mentions[m]) == NULL)
          g_error ("%s: \"%s\" does not mention \"%s\"", cases[i].name, r.err,
                   cases[i].mentions[m]);
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

static void
test_cli_usage (void)
{
  g_autofree char *net = fb_test_source_path ("tests", "data", "latency", "tiny.json", NULL);
  g_autofree char *out = tmp_file ("usage.json");
  const char *const bad[][8] = {
    { "latency", NULL },
    { "latency", "frobnicate", NULL },
    { "latency", "measure", net, "--target", "gap8", "-o", out, NULL },
    { "latency", "measure", net, "--target", "host", NULL },
    { "latency", "model", net, "--target", "rv32imc", "-o", out, NULL },
    { "latency", "import", net, "--target", "x", "-o", out, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (FbTestRun) r = { 0 };
      fb_test_run_cli (&r, bad[i]);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* measured                                                                                   */

/* Two rv32imc measurements of the tiny network give identical files with every admissible
 * key of every layer (add and pool included). */
static void
test_rv32_deterministic (void)
{
  g_autofree char *net = fb_test_source_path ("tests", "data", "latency", "tiny.json", NULL);
  g_autofree char *a = tmp_file ("rv32-a.json"), *b = tmp_file ("rv32-b.json");
  g_autofree char *ta = NULL, *tb = NULL;
  g_autoptr (FbNetwork) network = tiny_network ();
  g_autoptr (FbLatencyTable) table = NULL;
  g_auto (FbTestRun) r1 = { 0 }, r2 = { 0 };
  const char *args1[] = { "latency", "measure", net, "--target", "rv32imc", "-o", a, NULL };
  const char *args2[] = { "latency", "measure", net, "--target", "rv32imc", "-o", b, "-j", "1",
                          NULL };

  if (!have_rv32 ())
    return;
  fb_test_run_cli (&r1, args1);
  g_assert_cmpint (r1.status, ==, 0);
  /* progress on stderr, one line per entry when not a terminal */
  g_assert_true (g_str_has_prefix (r1.err, "[1/102] "));
  g_assert_nonnull (strstr (r1.err, "] conv1 a8w8o8\n"));
  g_assert_nonnull (strstr (r1.err, "] add3 a2b2o2\n"));
  g_assert_nonnull (strstr (r1.err, "\n[102/102] "));
  fb_test_run_cli (&r2, args2);   /* one QEMU process instead of several: same counts */
  g_assert_cmpint (r2.status, ==, 0);
  ta = fb_test_read_file (a);
  tb = fb_test_read_file (b);
  g_assert_cmpstr (ta, ==, tb);
  g_assert_null (strstr (ta, "scaled_rows"));
  table = load_table (a);
  g_assert_cmpint (fb_latency_table_get_unit (table), ==, FB_LATENCY_UNIT_INSTRUCTIONS);
  g_assert_cmpint (fb_latency_table_get_method (table), ==, FB_LATENCY_METHOD_MEASURED);
  g_assert_cmpfloat (fb_latency_table_get_clock_hz (table), ==, 0);
  assert_complete (table, network);
}

/* The w8a8 network run end to end in one ELF costs the sum of its table entries (1 %). */
static void
test_rv32_end_to_end (void)
{
  g_autoptr (FbNetwork) net = tiny_network ();
  g_autofree char *a = tmp_file ("rv32-a.json");
  g_autoptr (FbLatencyTable) table = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FbPrecisionConfig) config = NULL;
  g_autoptr (GArray) steps = g_array_new (FALSE, TRUE, sizeof (double));
  FbLatencyMeasureOptions opts;
  double total = 0, sum;

  if (!have_rv32 ())
    return;
  if (!g_file_test (a, G_FILE_TEST_EXISTS))
    {
      fb_latency_measure_options_init (&opts, "rv32imc");
      table = fb_latency_measure (net, &opts, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  else
    table = load_table (a);
  config = fb_precision_config_new_from_spec (net, "w8a8", &error);
  g_assert_no_error (error);
  fb_latency_measure_options_init (&opts, "rv32imc");
  g_assert_true (fb_latency_run_plan (config, &opts, &total, steps, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (steps->len, ==, fb_network_get_n_layers (net));
  sum = config_latency (net, table, "w8a8");
  g_test_message ("end to end %.0f, table %.0f", total, sum);
  g_assert_cmpfloat (fabs (total - sum), <=, 0.01 * sum);
}

/* Layers with more output rows than --max-rows are measured on 2 and 4 rows and
 * extrapolated: flagged in the provenance and close to the full measurement. */
static void
test_rv32_row_slices (void)
{
  g_autoptr (FbNetwork) net = tiny_network ();
  g_autoptr (GError) error = NULL;
  g_autoptr (FbLatencyTable) full = NULL, sliced = NULL;
  FbLatencyMeasureOptions opts;
  JsonObject *prov, *scaled;

  if (!have_rv32 ())
    return;
  fb_latency_measure_options_init (&opts, "rv32imc");
  full = fb_latency_measure (net, &opts, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  opts.max_rows = 4;
  opts.slice_rows = 2;
  sliced = fb_latency_measure (net, &opts, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_complete (sliced, net);
  prov = fb_latency_table_get_provenance (sliced);
  g_assert_true (json_object_has_member (prov, "scaled_rows"));
  scaled = json_object_get_object_member (prov, "scaled_rows");
  g_assert_true (json_object_has_member (scaled, "conv1"));
  g_assert_true (json_object_has_member (scaled, "dw2"));
  g_assert_true (json_object_has_member (scaled, "pw2"));
  g_assert_false (json_object_has_member (scaled, "add3"));
  for (guint l = 0; l < 3; l++)
    {
      const char *name = fb_network_get_layer (net, l)->name;
      g_auto (GStrv) keys = fb_latency_admissible_keys (net, l);
      for (char **k = keys; *k != NULL; k++)
        {
          double a, b;
          g_assert_true (fb_latency_table_lookup (full, name, *k, &a));
          g_assert_true (fb_latency_table_lookup (sliced, name, *k, &b));
          if (fabs (a - b) > 0.05 * a)
            g_error ("%s %s: sliced %g vs full %g", name, *k, b, a);
        }
    }
}

/* Ctrl-C stops a long measurement promptly, exit status 130, and no file is written. */
static void
test_rv32_cancel (void)
{
  g_autofree char *net = fb_test_source_path ("data", "networks", "mobilenet-v1-0.25-128.json", NULL);
  g_autofree char *out = tmp_file ("cancelled.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree char *line = NULL;
  gint64 t0;

  if (!have_rv32 ())
    return;
  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                        &error, cli_path, "latency", "measure", net, "--target", "rv32imc",
                        "--max-rows", "0", "-o", out, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stderr_pipe (p));
  /* wait until measuring has started (the first result arrived) */
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "[1/"));
  t0 = g_get_monotonic_time ();
  g_subprocess_send_signal (p, SIGINT);
  g_assert_true (g_subprocess_wait (p, NULL, &error));
  g_test_message ("stopped %.3f s after SIGINT", (g_get_monotonic_time () - t0) * 1e-6);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 130);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* Host timing: every key, microseconds, a spread section. */
static void
test_host_measure (void)
{
  g_autofree char *net = fb_test_source_path ("tests", "data", "latency", "tiny.json", NULL);
  g_autofree char *a = tmp_file ("host.json");
  g_autoptr (FbNetwork) network = tiny_network ();
  g_autoptr (FbLatencyTable) table = NULL;
  g_auto (FbTestRun) r = { 0 };
  const char *args[] = { "latency", "measure", net, "--target", "host", "--repeats", "3", "-q",
                         "-o", a, NULL };
  double spread = -1;

  fb_test_run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  table = load_table (a);
  g_assert_cmpstr (fb_latency_table_get_target (table), ==, "host");
  g_assert_cmpint (fb_latency_table_get_unit (table), ==, FB_LATENCY_UNIT_US);
  g_assert_cmpint (fb_latency_table_get_method (table), ==, FB_LATENCY_METHOD_MEASURED);
  assert_complete (table, network);
  g_assert_true (fb_latency_table_lookup_spread (table, "pw2", "a8w8o8", &spread));
  g_assert_cmpfloat (spread, >=, 0);
}

/* A network with signed tensors and windowed pools (tests/data/net-signed.json): the modeled
 * and the host-measured tables have every admissible key, spelled with 'i' for the signed
 * operands, and a config's latency sums them. */
static void
test_signed_network (void)
{
  g_autofree char *net = fb_test_source_path ("tests", "data", "net-signed.json", NULL);
  g_autofree char *a = tmp_file ("signed-host.json");
  g_autoptr (FbNetwork) network = fb_test_load_network (net);
  g_autoptr (FbLatencyTable) host = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FbLatencyTable) model = fb_latency_model (network, "gap8", &error);
  g_auto (FbTestRun) r = { 0 };
  const char *args[] = { "latency", "measure", net, "--target", "host", "--repeats", "3", "-q",
                         "-o", a, NULL };
  double c = -1;

  g_assert_no_error (error);
  assert_complete (model, network);
  g_assert_true (fb_latency_table_lookup (model, "conv2", "a8w8i8", &c));
  g_assert_true (fb_latency_table_lookup (model, "mpool", "i4i4", &c));
  g_assert_cmpfloat (config_latency (network, model, "w4a4"), >, 0);

  fb_test_run_cli (&r, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  host = load_table (a);
  assert_complete (host, network);
  g_assert_true (fb_latency_table_lookup (host, "res2", "i8b8i8", &c));
  g_assert_true (fb_latency_table_lookup (host, "apool", "i2i2", &c));
  g_assert_cmpfloat (config_latency (network, host, "w8a8"), >, 0);
}

int
main (int argc, char **argv)
{
  int status;
  g_test_init (&argc, &argv, NULL);
  cli_path = g_getenv ("FB_CLI");
  g_assert_nonnull (cli_path);
  g_assert_nonnull (g_getenv ("FB_SOURCE_ROOT"));
  tmp_dir = g_dir_make_tmp ("freebits-test-latency-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/latency/key/parse", test_key_parse);
  g_test_add_func ("/latency/model/more-channels-never-cheaper", test_model_more_channels);
  g_test_add_func ("/latency/model/fmnist-complete", test_model_fmnist);
  g_test_add_func ("/latency/model/subbyte", test_model_subbyte);
  g_test_add_func ("/latency/model/unknown-target", test_model_unknown_target);
  g_test_add_func ("/latency/cli/model-roundtrip", test_cli_model_roundtrip);
  g_test_add_data_func ("/latency/cli/import-roundtrip", "latency/tiny.json",
                        test_cli_import_roundtrip);
  g_test_add_data_func ("/latency/cli/import-roundtrip-signed", "net-signed.json",
                        test_cli_import_roundtrip);
  g_test_add_func ("/latency/cli/import-errors", test_cli_import_errors);
  g_test_add_func ("/latency/cli/usage", test_cli_usage);
  g_test_add_func ("/latency/rv32imc/deterministic", test_rv32_deterministic);
  g_test_add_func ("/latency/rv32imc/end-to-end", test_rv32_end_to_end);
  g_test_add_func ("/latency/rv32imc/row-slices", test_rv32_row_slices);
  g_test_add_func ("/latency/rv32imc/cancel", test_rv32_cancel);
  g_test_add_func ("/latency/host/measure", test_host_measure);
  g_test_add_func ("/latency/signed-network", test_signed_network);
  status = g_test_run ();

  fb_test_remove_tree (tmp_dir);
  return status;
}

/* test-latency-table.c — FbLatencyTable: keys, admissible keys per layer,
 * malformed tables, deterministic save/load, lookups that name what is missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-json.h"
#include "fb-latency-table.h"
#include "fb-test-util.h"

/* ---------------------------------------------------------------------------
 * Malformed tables, one test case per row. */
static const FbBadCase bad_tables[] = {
  { "bad-latency-key.json",         FB_ERROR_FIELD,  { "conv1", "\"a8w3o8\"" } },
  { "bad-latency-negative.json",    FB_ERROR_FIELD,  { "dw1", "\"a8w8o8\"", "negative" } },
  { "bad-latency-unit.json",        FB_ERROR_FIELD,  { "\"unit\"", "\"seconds\"", "cycles" } },
  { "bad-latency-unknown-field.json", FB_ERROR_FIELD, { "\"clock\"", "\"clock_hz\"" } },
  { "bad-latency-no-layers.json",   FB_ERROR_FIELD,  { "\"layers\"", "missing" } },
  { "bad-latency-method.json",      FB_ERROR_FIELD,  { "\"method\"", "\"guessed\"" } },
  { "bad-latency-cost-string.json", FB_ERROR_FIELD,  { "conv1", "\"a8w8o8\"", "number" } },
  { "bad-latency-layer-array.json", FB_ERROR_FIELD,  { "conv1", "array" } },
  { "bad-latency-clock.json",       FB_ERROR_FIELD,  { "\"clock_hz\"", "negative" } },
  /* Other kinds of file. */
  { "net-small.json",               FB_ERROR_FORMAT, { "freebits-network/1", "freebits-latency/1" } },
  { "bad-config-bits3.json",        FB_ERROR_FORMAT, { "freebits-config/1", "freebits-latency/1" } },
};

static void
test_bad_table (gconstpointer data)
{
  const FbBadCase *c = data;
  g_autofree char *path = fb_test_data_path (c->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, &error);

  g_assert_null (table);
  fb_test_assert_bad_case (error, c);
}

/* ---------------------------------------------------------------------------
 * Keys. */
static void
test_valid_keys (void)
{
  static const char *valid[] = {
    "a8w8o8", "a8w4o8", "a2w2o2", "a4w8o2", "a8w8o32", "a2w4o32",   /* weighted, classifier */
    "a8b8o8", "a4b2o8", "a2b2o2",                                   /* add */
    "a8o8", "a4o4", "a2o2",                                         /* pool */
    "a8w4i8", "i8w8o8", "i4w2i2", "i8w8o32",                        /* signed operands */
    "i8b8o8", "a8i4o8", "i8i8i8", "a2b2i2", "i4i4",
  };
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    if (!fb_latency_key_is_valid (valid[i]))
      g_test_fail_printf ("\"%s\" should be a valid key", valid[i]);
}

static void
test_invalid_keys (void)
{
  static const char *invalid[] = {
    "", "a", "a8", "a8w8", "a8w8o", "a8w3o8", "a3w8o8", "a8w8o3", "a8w8o16", "a8w8o8x",
    "a8b8o32", "a8o32", "a32w8o8", "a8w32o8", "w8a8", "A8W8O8", "a8x8o8", "a8w8o8 ", " a8w8o8",
    "a8b8", "a8o", "a8w8o32o8",
    "a8w8i32", "i8w8i32", "i8b8", "i8o32", "i8i8i8i8", "a8w4i", "i8wi8o8", "s8w8o8",
  };
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    if (fb_latency_key_is_valid (invalid[i]))
      g_test_fail_printf ("\"%s\" should not be a valid key", invalid[i]);
}

static void
test_key_for_layer (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  char key[FB_LATENCY_KEY_MAX];

  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "pw8"), 2);
  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "q6")->index, 4);
  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "d1")->index, 2);
  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "r")->index, 4);

  fb_latency_key_for_layer (config, fb_test_layer_index (net, "conv1"), key);
  g_assert_cmpstr (key, ==, "a8w8o8");
  fb_latency_key_for_layer (config, fb_test_layer_index (net, "dw1"), key);
  g_assert_cmpstr (key, ==, "a8w8o2");
  fb_latency_key_for_layer (config, fb_test_layer_index (net, "pw8"), key);
  g_assert_cmpstr (key, ==, "a4w2o8");
  fb_latency_key_for_layer (config, fb_test_layer_index (net, "res"), key);   /* d1 + p8 → r */
  g_assert_cmpstr (key, ==, "a2b8o4");
  fb_latency_key_for_layer (config, fb_test_layer_index (net, "pool"), key);  /* follows r */
  g_assert_cmpstr (key, ==, "a4o4");
  fb_latency_key_for_layer (config, fb_test_layer_index (net, "fc"), key);
  g_assert_cmpstr (key, ==, "a4w8o32");
}

/* Signed operands are spelled 'i' in keys (tests/data/net-signed.json). */
static void
test_signed_keys (void)
{
  g_autofree char *path = fb_test_data_path ("net-signed.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  static const struct { const char *layer, *key, *first_admissible; guint n_admissible; } expect[] = {
    { "conv1", "i8w8o4",  "i8w8o8",  9 },    /* signed input, ReLU output */
    { "conv2", "a4w8i8",  "a8w8i8",  27 },   /* relu false → signed output */
    { "short", "i8w8i8",  "i8w8i8",  9 },
    { "res",   "i8i8o8",  "i8i8o8",  27 },   /* two signed inputs, ReLU after */
    { "res2",  "i8b8i8",  "i8b8i8",  27 },   /* signed + unsigned, no ReLU */
    { "mpool", "i8i8",    "i8i8",    3 },
    { "apool", "i8i8",    "i8i8",    3 },
    { "fc",    "i8w8o32", "i8w8o32", 9 },
  };
  guint key_parts[3];

  fb_precision_config_set_tensor_bits (config, fb_network_lookup_tensor (net, "c1")->index, 4);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      guint layer = fb_test_layer_index (net, expect[i].layer);
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, layer);
      char key[FB_LATENCY_KEY_MAX];

      fb_latency_key_for_layer (config, layer, key);
      g_assert_cmpstr (key, ==, expect[i].key);
      g_assert_true (fb_latency_key_is_valid (key));
      g_assert_cmpstr (keys[0], ==, expect[i].first_admissible);
      g_assert_cmpuint (g_strv_length (keys), ==, expect[i].n_admissible);
    }
  g_assert_true (fb_latency_key_parse ("i8b4i2", &key_parts[0], &key_parts[1], &key_parts[2]));
  g_assert_cmpuint (key_parts[0] * 100 + key_parts[1] * 10 + key_parts[2], ==, 842);
  g_assert_true (fb_latency_key_parse ("i4i4", &key_parts[0], &key_parts[1], &key_parts[2]));
  g_assert_cmpuint (key_parts[0] * 100 + key_parts[1] * 10 + key_parts[2], ==, 404);
  g_assert_true (fb_latency_key_parse ("a2w4o32", &key_parts[0], &key_parts[1], &key_parts[2]));
  g_assert_cmpuint (key_parts[2], ==, 32);
  g_assert_false (fb_latency_key_parse ("i8w8i32", &key_parts[0], &key_parts[1], &key_parts[2]));
}

/* ---------------------------------------------------------------------------
 * Admissible keys respect the channel packing of every tensor involved. */
typedef struct {
  const char *layer;
  guint       n_keys;
  const char *first;
  const char *must_have;
  const char *must_not_contain;   /* substring no key may contain */
} Admissible;

static const Admissible admissible[] = {
  /* input u8 only × weights 8/4/2 × c1 (8 ch) 8/4/2 */
  { "conv1", 9,  "a8w8o8",  "a8w2o2",  "a4" },
  /* d1 (8 ch) 3 × weights 3 × p6 (6 ch) 8/4 */
  { "pw6",   18, "a8w8o8",  "a2w2o4",  "o2" },
  /* p6, depthwise weights and q6 all have 6 channels: no 2-bit anywhere */
  { "dw6",   8,  "a8w8o8",  "a4w4o4",  "2" },
  /* d1, p8, r: 8 channels each */
  { "res",   27, "a8b8o8",  "a2b4o2",  "w" },
  { "pool",  3,  "a8o8",    "a2o2",    "w" },
  /* the classifier: int32 logits */
  { "fc",    9,  "a8w8o32", "a2w2o32", "o8" },
};

static void
test_admissible_keys (gconstpointer data)
{
  const Admissible *a = data;
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_auto(GStrv) keys = fb_latency_admissible_keys (net, fb_test_layer_index (net, a->layer));
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean has = FALSE;

  g_assert_cmpuint (g_strv_length (keys), ==, a->n_keys);
  g_assert_cmpstr (keys[0], ==, a->first);
  for (guint i = 0; keys[i]; i++)
    {
      g_assert_true (fb_latency_key_is_valid (keys[i]));
      g_assert_null (strstr (keys[i], a->must_not_contain));
      g_assert_true (g_hash_table_add (seen, keys[i]));   /* no duplicates */
      has |= g_strcmp0 (keys[i], a->must_have) == 0;
    }
  g_assert_true (has);
}

/* ---------------------------------------------------------------------------
 * Building, saving and loading. */

/* Every admissible key of every layer of net-small, with a cost that is a
 * function of the position (some integral, some not). */
static FbLatencyTable *
full_table (FbNetwork *net, gboolean reverse_keys)
{
  FbLatencyTable *table = fb_latency_table_new ("rv32imc", FB_LATENCY_UNIT_INSTRUCTIONS, FB_LATENCY_METHOD_MEASURED);

  fb_latency_table_set_network (table, net);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      guint n = g_strv_length (keys);
      for (guint k = 0; k < n; k++)
        {
          guint kk = reverse_keys ? n - 1 - k : k;
          double cost = (i + 1) * 1000.0 + kk * (i % 2 ? 7.25 : 3.0);
          fb_latency_table_set_cost (table, l->name, keys[kk], cost);
        }
    }
  return table;
}

static void
test_round_trip (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbLatencyTable) table = full_table (net, FALSE);
  g_autoptr(FbLatencyTable) back = NULL;
  g_autoptr(JsonNode) prov = json_from_string ("{ \"tool\": \"freebits-cli 0.1.0\", \"options\": \"-O2\" }", NULL);
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "t.json", NULL);
  g_autofree char *path2 = g_build_filename (dir, "t2.json", NULL);
  g_autofree char *bytes1 = NULL, *bytes2 = NULL;
  g_autoptr(GPtrArray) layers = NULL;
  guint n_values = 0;

  fb_latency_table_set_clock_hz (table, 175e6);
  fb_latency_table_set_provenance (table, json_node_get_object (prov));
  fb_latency_table_set_spread (table, "conv1", "a8w8o8", 12.5);
  fb_latency_table_set_spread (table, "fc", "a4w2o32", 0.125);

  g_assert_true (fb_latency_table_save (table, path, &error));
  g_assert_no_error (error);
  back = fb_latency_table_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);

  g_assert_cmpstr (fb_latency_table_get_target (back), ==, "rv32imc");
  g_assert_cmpint (fb_latency_table_get_unit (back), ==, FB_LATENCY_UNIT_INSTRUCTIONS);
  g_assert_cmpint (fb_latency_table_get_method (back), ==, FB_LATENCY_METHOD_MEASURED);
  g_assert_cmpfloat (fb_latency_table_get_clock_hz (back), ==, 175e6);
  g_assert_cmpstr (fb_latency_table_get_network (back), ==, "net-small");
  g_assert_cmpstr (fb_latency_table_get_network_sha256 (back), ==, fb_network_get_sha256 (net));
  g_assert_nonnull (fb_latency_table_get_provenance (back));
  g_assert_cmpstr (json_object_get_string_member (fb_latency_table_get_provenance (back), "options"), ==, "-O2");

  layers = fb_latency_table_get_layers (back);
  g_assert_cmpuint (layers->len, ==, fb_network_get_n_layers (net));
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const char *name = fb_network_get_layer (net, i)->name;
      g_auto(GStrv) keys = fb_latency_table_get_keys (table, name);
      g_assert_cmpstr (g_ptr_array_index (layers, i), ==, name);   /* layer order kept */
      for (guint k = 0; keys[k]; k++)
        {
          double a = NAN, b = NAN;
          g_assert_true (fb_latency_table_lookup (table, name, keys[k], &a));
          g_assert_true (fb_latency_table_lookup (back, name, keys[k], &b));
          g_assert_cmpfloat (a, ==, b);
          n_values++;
        }
    }
  /* conv1 9, dw1 27, pw6 18, dw6 8, pw8 18, res 27, pool 3, fc 9 */
  g_assert_cmpuint (n_values, ==, 9 + 27 + 18 + 8 + 18 + 27 + 3 + 9);
  {
    double s = 0;
    g_assert_true (fb_latency_table_lookup_spread (back, "fc", "a4w2o32", &s));
    g_assert_cmpfloat (s, ==, 0.125);
    g_assert_false (fb_latency_table_lookup_spread (back, "fc", "a8w8o32", &s));
  }

  /* Determinism: saving what was loaded gives identical bytes. */
  g_assert_true (fb_latency_table_save (back, path2, &error));
  g_assert_no_error (error);
  bytes1 = fb_test_read_file (path);
  bytes2 = fb_test_read_file (path2);
  g_assert_cmpstr (bytes1, ==, bytes2);

  /* Keys are written from high to low precision; integral costs stay integers. */
  g_assert_cmpuint (fb_test_offset_of (bytes1, "\"a8w8o8\""), <, fb_test_offset_of (bytes1, "\"a8w4o8\""));
  g_assert_cmpuint (fb_test_offset_of (bytes1, "\"a8w4o8\""), <, fb_test_offset_of (bytes1, "\"a8w2o8\""));
  g_assert_nonnull (strstr (bytes1, "\"a8w8o8\" : 1000,"));
  g_assert_null (strstr (bytes1, "1000.0"));

  fb_test_tmpdir_free (dir);
}

/* The same entries inserted in another order give the same file. */
static void
test_save_is_order_independent (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbLatencyTable) a = full_table (net, FALSE);
  g_autoptr(FbLatencyTable) b = full_table (net, TRUE);
  g_autoptr(JsonNode) ja = fb_latency_table_to_json (a);
  g_autoptr(JsonNode) jb = fb_latency_table_to_json (b);
  g_autofree char *ta = fb_json_to_string (ja, TRUE);
  g_autofree char *tb = fb_json_to_string (jb, TRUE);

  g_assert_cmpstr (ta, ==, tb);
  g_assert_null (strstr (ta, "\"spread\""));      /* no spread, no section */
  g_assert_nonnull (strstr (ta, "\"clock_hz\" : null"));
}

static void
test_get_keys_order (void)
{
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("host", FB_LATENCY_UNIT_US, FB_LATENCY_METHOD_MEASURED);
  g_auto(GStrv) keys = NULL;
  g_auto(GStrv) none = NULL;

  fb_latency_table_set_cost (table, "L", "a2w2o2", 1);
  fb_latency_table_set_cost (table, "L", "a8w8o8", 4);
  fb_latency_table_set_cost (table, "L", "a4w8o8", 3);
  fb_latency_table_set_cost (table, "L", "a8w2o4", 2);
  fb_latency_table_set_cost (table, "L", "a8w8o8", 5);   /* replaces */
  keys = fb_latency_table_get_keys (table, "L");
  g_assert_cmpuint (g_strv_length (keys), ==, 4);
  g_assert_cmpstr (keys[0], ==, "a8w8o8");
  g_assert_cmpstr (keys[1], ==, "a8w2o4");
  g_assert_cmpstr (keys[2], ==, "a4w8o8");
  g_assert_cmpstr (keys[3], ==, "a2w2o2");
  {
    double v = 0;
    g_assert_true (fb_latency_table_lookup (table, "L", "a8w8o8", &v));
    g_assert_cmpfloat (v, ==, 5);
    g_assert_false (fb_latency_table_lookup (table, "L", "a8w4o8", &v));
    g_assert_false (fb_latency_table_lookup (table, "M", "a8w8o8", &v));
  }
  none = fb_latency_table_get_keys (table, "M");
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

/* ---------------------------------------------------------------------------
 * Lookups for a config: what is missing is named. */
static void
test_layer_cost (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("gap8", FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);
  g_autoptr(GError) error = NULL;
  double cost = -1;

  fb_latency_table_set_cost (table, "conv1", "a8w8o8", 1234);
  fb_latency_table_set_cost (table, "dw1", "a8w4o8", 50);
  g_assert_true (fb_latency_table_layer_cost (table, config, fb_test_layer_index (net, "conv1"), &cost, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (cost, ==, 1234);

  /* The layer is there, the key is not. */
  g_assert_false (fb_latency_table_layer_cost (table, config, fb_test_layer_index (net, "dw1"), &cost, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISSING);
  fb_test_assert_mentions (error->message, "\"dw1\"");
  fb_test_assert_mentions (error->message, "\"a8w8o8\"");
  g_clear_error (&error);

  /* The layer is not there at all: still say which key was needed. */
  g_assert_false (fb_latency_table_layer_cost (table, config, fb_test_layer_index (net, "fc"), &cost, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISSING);
  fb_test_assert_mentions (error->message, "\"fc\"");
  fb_test_assert_mentions (error->message, "\"a8w8o32\"");
}

static void
test_check_network (void)
{
  g_autoptr(FbNetwork) small = fb_test_load_small ();
  g_autoptr(FbNetwork) fmnist = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("host", FB_LATENCY_UNIT_US, FB_LATENCY_METHOD_MEASURED);
  g_autoptr(GError) error = NULL;

  /* Made for no particular network: accepted for any. */
  g_assert_true (fb_latency_table_check_network (table, small, &error));
  g_assert_no_error (error);

  fb_latency_table_set_network (table, fmnist);
  g_assert_true (fb_latency_table_check_network (table, fmnist, &error));
  g_assert_no_error (error);
  g_assert_false (fb_latency_table_check_network (table, small, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  fb_test_assert_mentions (error->message, "\"fmnist-mbv1\"");
  fb_test_assert_mentions (error->message, "\"net-small\"");
}

static void
test_unit_method_names (void)
{
  for (FbLatencyUnit u = FB_LATENCY_UNIT_CYCLES; u <= FB_LATENCY_UNIT_US; u++)
    {
      FbLatencyUnit back = (FbLatencyUnit) -1;
      g_assert_true (fb_latency_unit_from_string (fb_latency_unit_to_string (u), &back));
      g_assert_cmpint (back, ==, u);
    }
  for (FbLatencyMethod m = FB_LATENCY_METHOD_MEASURED; m <= FB_LATENCY_METHOD_IMPORTED; m++)
    {
      FbLatencyMethod back = (FbLatencyMethod) -1;
      g_assert_true (fb_latency_method_from_string (fb_latency_method_to_string (m), &back));
      g_assert_cmpint (back, ==, m);
    }
  {
    FbLatencyUnit u;
    FbLatencyMethod m;
    g_assert_cmpstr (fb_latency_unit_to_string (FB_LATENCY_UNIT_US), ==, "us");
    g_assert_false (fb_latency_unit_from_string ("ms", &u));
    g_assert_false (fb_latency_method_from_string ("Measured", &m));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_tables); i++)
    {
      g_autofree char *name = g_strdup_printf ("/latency/bad/%s", bad_tables[i].file);
      g_test_add_data_func (name, &bad_tables[i], test_bad_table);
    }
  g_test_add_func ("/latency/keys/valid", test_valid_keys);
  g_test_add_func ("/latency/keys/invalid", test_invalid_keys);
  g_test_add_func ("/latency/keys/for-layer", test_key_for_layer);
  g_test_add_func ("/latency/keys/signed", test_signed_keys);
  for (guint i = 0; i < G_N_ELEMENTS (admissible); i++)
    {
      g_autofree char *name = g_strdup_printf ("/latency/admissible/%s", admissible[i].layer);
      g_test_add_data_func (name, &admissible[i], test_admissible_keys);
    }
  g_test_add_func ("/latency/round-trip", test_round_trip);
  g_test_add_func ("/latency/save-order-independent", test_save_is_order_independent);
  g_test_add_func ("/latency/get-keys-order", test_get_keys_order);
  g_test_add_func ("/latency/layer-cost", test_layer_cost);
  g_test_add_func ("/latency/check-network", test_check_network);
  g_test_add_func ("/latency/unit-method-names", test_unit_method_names);

  return g_test_run ();
}

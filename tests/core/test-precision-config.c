/* test-precision-config.c — FbPrecisionConfig: shorthands, validation against
 * a network, malformed config files, save/load round trips.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-json.h"
#include "fb-precision-config.h"
#include "fb-test-util.h"

static guint
tensor_index (FbNetwork *net, const char *name)
{
  const FbTensor *t = fb_network_lookup_tensor (net, name);
  g_assert_nonnull (t);
  return t->index;
}

/* ---------------------------------------------------------------------------
 * Malformed configs for net-small.json, one test case per row. */
static const FbBadCase bad_configs[] = {
  { "bad-config-bits3.json",            FB_ERROR_BITS,     { "weights.pw6", "3 bits" } },
  { "bad-config-bits-string.json",      FB_ERROR_FIELD,    { "conv1", "string" } },
  { "bad-config-unknown-layer.json",    FB_ERROR_MISMATCH, { "\"conv9\"", "net-small" } },
  { "bad-config-unknown-tensor.json",   FB_ERROR_MISMATCH, { "\"x9\"", "net-small" } },
  { "bad-config-typo-field.json",       FB_ERROR_FIELD,    { "\"activation\"", "\"activations\"" } },
  { "bad-config-weights-on-add.json",   FB_ERROR_FIELD,    { "\"res\"", "no weights" } },
  { "bad-config-pin-input.json",        FB_ERROR_FIELD,    { "pinned", "\"in\"", "input" } },
  { "bad-config-pool-bits.json",        FB_ERROR_FIELD,    { "\"pooled\"", "pool", "\"r\"" } },
  { "bad-config-logits-bits.json",      FB_ERROR_FIELD,    { "\"logits\"" } },
  /* Packing: the message names the tensor / layer and the channel count. */
  { "bad-config-2bit-channels.json",    FB_ERROR_BITS,     { "\"p6\"", "2-bit", "multiple of 4", "6" } },
  { "bad-config-2bit-depthwise.json",   FB_ERROR_BITS,     { "\"dw6\"", "2-bit", "multiple of 4", "6" } },
  { "bad-config-sha-mismatch.json",     FB_ERROR_MISMATCH, { "network_sha256", "\"net-small\"" } },
};

static void
test_bad_config (gconstpointer data)
{
  const FbBadCase *c = data;
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autofree char *path = fb_test_data_path (c->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_load (net, path, &error);

  g_assert_null (config);
  fb_test_assert_bad_case (error, c);
}

/* A network file handed over as a config is refused by its "format". */
static void
test_network_file_as_config (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autofree char *path = fb_test_data_path ("net-small.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_load (net, path, &error);

  g_assert_null (config);
  g_assert_error (error, FB_ERROR, FB_ERROR_FORMAT);
  fb_test_assert_mentions (error->message, "net-small.json");
  fb_test_assert_mentions (error->message, "freebits-config/1");
}

/* ---------------------------------------------------------------------------
 * Shorthands on the bundled Fashion-MNIST network (all channels % 4 == 0). */
typedef struct {
  const char *spec;
  guint w, a;
} Shorthand;

static const Shorthand shorthands[] = {
  { "w8a8", 8, 8 }, { "w4a8", 4, 8 }, { "w2a2", 2, 2 }, { "w4a4", 4, 4 }, { "w2a8", 2, 8 }, { "w8a2", 8, 2 },
};

static void
test_shorthand (gconstpointer data)
{
  const Shorthand *s = data;
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_from_spec (net, s->spec, &error);
  guint n_w = 0, n_a = 0;

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_true (fb_precision_config_get_network (config) == net);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        g_assert_cmpuint (fb_precision_config_get_weight_bits (config, i), ==, s->w);
        n_w++;
      }
    else
      g_assert_cmpuint (fb_precision_config_get_weight_bits (config, i), ==, 0);
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      guint bits = fb_precision_config_get_tensor_bits (config, t);
      switch (ten->kind)
        {
        case FB_TENSOR_INPUT:      g_assert_cmpuint (bits, ==, 8); break;   /* input stays 8-bit */
        case FB_TENSOR_LOGITS:     g_assert_cmpuint (bits, ==, 32); break;
        case FB_TENSOR_POOLED:     g_assert_cmpuint (bits, ==, s->a); break;
        case FB_TENSOR_ACTIVATION: g_assert_cmpuint (bits, ==, s->a); n_a++; break;
        default:                   g_assert_not_reached ();
        }
    }
  g_assert_cmpuint (n_w, ==, 14);
  g_assert_cmpuint (n_a, ==, 13);
  g_assert_true (fb_precision_config_validate (config, &error));
  g_assert_no_error (error);
}

typedef struct {
  const char *spec;
  FbError     code;
  const char *mention;
} BadSpec;

static const BadSpec bad_specs[] = {
  { "w3a8", FB_ERROR_BITS, "w3a8" },
  { "w8a3", FB_ERROR_BITS, "w8a3" },
  { "w1a1", FB_ERROR_BITS, "w1a1" },
  { "bogus", FB_ERROR_IO, "bogus" },
  { "w16a8", FB_ERROR_IO, "w16a8" },
};

static void
test_bad_shorthand (gconstpointer data)
{
  const BadSpec *s = data;
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_from_spec (net, s->spec, &error);

  g_assert_null (config);
  g_assert_error (error, FB_ERROR, (gint) s->code);
  fb_test_assert_mentions (error->message, s->mention);
}

/* w2a2 on a network with 6-channel tensors: the error says which layer and why. */
static void
test_shorthand_packing (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) w2a2 = fb_precision_config_new_from_spec (net, "w2a2", &error);
  g_autoptr(FbPrecisionConfig) w8a2 = NULL;
  g_autoptr(FbPrecisionConfig) w4a4 = NULL;

  g_assert_null (w2a2);
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  fb_test_assert_mentions (error->message, "w2a2");
  fb_test_assert_mentions (error->message, "\"dw6\"");
  g_clear_error (&error);

  /* Weights at 8 bits: now the 6-channel activation p6 is the problem. */
  w8a2 = fb_precision_config_new_uniform (net, 8, 2, &error);
  g_assert_null (w8a2);
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  fb_test_assert_mentions (error->message, "\"p6\"");
  g_clear_error (&error);

  w4a4 = fb_precision_config_new_uniform (net, 4, 4, &error);
  g_assert_no_error (error);
  g_assert_nonnull (w4a4);
}

/* A config file path works where a shorthand does. */
static void
test_spec_file (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(FbPrecisionConfig) back = NULL;
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "c.json", NULL);

  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "pw8"), 2);
  g_assert_true (fb_precision_config_save (config, path, &error));
  g_assert_no_error (error);
  back = fb_precision_config_new_from_spec (net, path, &error);
  g_assert_no_error (error);
  g_assert_true (fb_precision_config_equal (config, back));
  fb_test_tmpdir_free (dir);
}

/* ---------------------------------------------------------------------------
 * Defaults, getters and setters. */
static void
test_defaults (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autofree char *text = NULL;
  guint r = tensor_index (net, "r"), pooled = tensor_index (net, "pooled");

  g_assert_cmpuint (fb_precision_config_get_weight_bits (config, fb_test_layer_index (net, "conv1")), ==, 8);
  g_assert_cmpuint (fb_precision_config_get_weight_bits (config, fb_test_layer_index (net, "res")), ==, 0);
  g_assert_cmpuint (fb_precision_config_get_weight_bits (config, fb_test_layer_index (net, "pool")), ==, 0);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (config, tensor_index (net, "in")), ==, 8);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (config, tensor_index (net, "logits")), ==, 32);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (config, r), ==, 8);
  g_assert_null (fb_precision_config_get_provenance (config));
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    g_assert_false (fb_precision_config_get_weight_pinned (config, i));

  /* A pool output follows its source tensor. */
  fb_precision_config_set_tensor_bits (config, r, 4);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (config, pooled), ==, 4);

  text = fb_precision_config_to_string (config);
  g_assert_cmpstr (text, ==, "w 8 8 8 8 8 8 | a 8 8 8 8 8 4");
}

/* Signed tensors are searchable like unsigned ones; windowed pools' outputs
 * follow their input like global_avg_pool's and cannot be listed. */
static void
test_signed_and_pools (void)
{
  g_autofree char *path = fb_test_data_path ("net-signed.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_autoptr(FbPrecisionConfig) w4a2 = fb_precision_config_new_from_spec (net, "w4a2", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) bad = NULL;
  g_autoptr(JsonNode) json = NULL;
  JsonObject *acts;
  static const char bad_json[] =
    "{ \"format\": \"freebits-config/1\", \"activations\": { \"m\": 4 } }";

  g_assert_nonnull (w4a2);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (w4a2, tensor_index (net, "in")), ==, 8);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (w4a2, tensor_index (net, "c2")), ==, 2);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (w4a2, tensor_index (net, "m")), ==, 2);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (w4a2, tensor_index (net, "a")), ==, 2);
  fb_precision_config_set_tensor_bits (w4a2, tensor_index (net, "r2"), 8);
  g_assert_cmpuint (fb_precision_config_get_tensor_bits (w4a2, tensor_index (net, "a")), ==, 8);
  g_assert_cmpuint (fb_precision_config_get_weight_bits (w4a2, fb_test_layer_index (net, "mpool")), ==, 0);

  json = fb_precision_config_to_json (w4a2);
  acts = json_object_get_object_member (json_node_get_object (json), "activations");
  g_assert_true (json_object_has_member (acts, "c2"));    /* signed, searchable */
  g_assert_true (json_object_has_member (acts, "s"));
  g_assert_false (json_object_has_member (acts, "m"));    /* pool outputs are not listed */
  g_assert_false (json_object_has_member (acts, "a"));

  {
    g_autoptr(JsonNode) root = json_from_string (bad_json, NULL);
    bad = fb_precision_config_new_from_json (net, root, "cfg.json", &error);
  }
  g_assert_null (bad);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  fb_test_assert_mentions (error->message, "\"m\"");
  fb_test_assert_mentions (error->message, "\"r2\"");
}

/* Setting bits through the API is checked by validate(), naming the tensor. */
static void
test_validate (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;

  fb_precision_config_set_tensor_bits (config, tensor_index (net, "c1"), 2);
  fb_precision_config_set_tensor_bits (config, tensor_index (net, "p6"), 4);
  g_assert_true (fb_precision_config_validate (config, &error));
  g_assert_no_error (error);

  fb_precision_config_set_tensor_bits (config, tensor_index (net, "p6"), 2);
  g_assert_false (fb_precision_config_validate (config, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  fb_test_assert_mentions (error->message, "\"p6\"");
  fb_test_assert_mentions (error->message, "\"pw6\"");
  fb_test_assert_mentions (error->message, "6");
  g_clear_error (&error);

  fb_precision_config_set_tensor_bits (config, tensor_index (net, "p6"), 8);
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "dw6"), 2);
  g_assert_false (fb_precision_config_validate (config, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_BITS);
  fb_test_assert_mentions (error->message, "\"dw6\"");
  g_clear_error (&error);

  /* Conv weight rows are padded to a byte: 2-bit fits the 6-output pw6. */
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "dw6"), 4);
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "pw6"), 2);
  g_assert_true (fb_precision_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_copy_equal_hash (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) a = fb_precision_config_new (net);
  g_autoptr(FbPrecisionConfig) b = NULL;
  g_autoptr(FbPrecisionConfig) c = NULL;

  fb_precision_config_set_weight_bits (a, fb_test_layer_index (net, "pw8"), 4);
  fb_precision_config_set_tensor_bits (a, tensor_index (net, "d1"), 2);
  fb_precision_config_set_weight_pinned (a, fb_test_layer_index (net, "conv1"), TRUE);
  b = fb_precision_config_copy (a);
  g_assert_true (fb_precision_config_equal (a, b));
  g_assert_cmpuint (fb_precision_config_hash (a), ==, fb_precision_config_hash (b));
  g_assert_true (fb_precision_config_get_weight_pinned (b, fb_test_layer_index (net, "conv1")));

  /* Pins do not change what the network computes: still equal. */
  fb_precision_config_set_weight_pinned (b, fb_test_layer_index (net, "conv1"), FALSE);
  g_assert_true (fb_precision_config_equal (a, b));

  c = fb_precision_config_copy (a);
  fb_precision_config_set_tensor_bits (c, tensor_index (net, "d1"), 4);
  g_assert_false (fb_precision_config_equal (a, c));
  g_assert_cmpuint (fb_precision_config_hash (a), !=, fb_precision_config_hash (c));
}

/* ---------------------------------------------------------------------------
 * Round trip: bits, pins and provenance survive save/load; saving twice
 * gives the same bytes. */
static void
test_round_trip (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new (net);
  g_autoptr(FbPrecisionConfig) back = NULL;
  g_autoptr(JsonNode) prov_node = NULL;
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *path2 = g_build_filename (dir, "config2.json", NULL);
  g_autofree char *bytes1 = NULL, *bytes2 = NULL, *prov1 = NULL, *prov2 = NULL;

  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "dw1"), 4);
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "pw6"), 2);
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "dw6"), 4);
  fb_precision_config_set_weight_bits (config, fb_test_layer_index (net, "fc"), 2);
  fb_precision_config_set_tensor_bits (config, tensor_index (net, "c1"), 4);
  fb_precision_config_set_tensor_bits (config, tensor_index (net, "d1"), 2);
  fb_precision_config_set_tensor_bits (config, tensor_index (net, "p6"), 4);
  fb_precision_config_set_tensor_bits (config, tensor_index (net, "r"), 2);
  fb_precision_config_set_weight_pinned (config, fb_test_layer_index (net, "conv1"), TRUE);
  fb_precision_config_set_weight_pinned (config, fb_test_layer_index (net, "fc"), TRUE);
  fb_precision_config_set_tensor_pinned (config, tensor_index (net, "p6"), TRUE);

  prov_node = json_from_string ("{ \"method\": \"free-bits\", \"target\": \"rv32imc\", "
                                "\"score\": 0.25, \"options\": { \"seeds\": [1, 2, 3] } }", &error);
  g_assert_no_error (error);
  fb_precision_config_set_provenance (config, json_node_get_object (prov_node));
  g_assert_true (fb_precision_config_validate (config, &error));

  g_assert_true (fb_precision_config_save (config, path, &error));
  g_assert_no_error (error);
  back = fb_precision_config_load (net, path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);

  g_assert_true (fb_precision_config_equal (config, back));
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      g_assert_cmpuint (fb_precision_config_get_weight_bits (back, i), ==,
                        fb_precision_config_get_weight_bits (config, i));
      g_assert_cmpint (fb_precision_config_get_weight_pinned (back, i), ==,
                       fb_precision_config_get_weight_pinned (config, i));
    }
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      g_assert_cmpuint (fb_precision_config_get_tensor_bits (back, t), ==,
                        fb_precision_config_get_tensor_bits (config, t));
      g_assert_cmpint (fb_precision_config_get_tensor_pinned (back, t), ==,
                       fb_precision_config_get_tensor_pinned (config, t));
    }
  g_assert_true (fb_precision_config_get_tensor_pinned (back, tensor_index (net, "p6")));
  g_assert_nonnull (fb_precision_config_get_provenance (back));
  {
    g_autoptr(JsonNode) a = json_node_init_object (json_node_alloc (), fb_precision_config_get_provenance (config));
    g_autoptr(JsonNode) b = json_node_init_object (json_node_alloc (), fb_precision_config_get_provenance (back));
    prov1 = fb_json_to_string (a, FALSE);
    prov2 = fb_json_to_string (b, FALSE);
  }
  g_assert_cmpstr (prov1, ==, prov2);

  /* The file names the network and its topology hash. */
  bytes1 = fb_test_read_file (path);
  g_assert_nonnull (strstr (bytes1, "\"freebits-config/1\""));
  g_assert_nonnull (strstr (bytes1, fb_network_get_sha256 (net)));

  g_assert_true (fb_precision_config_save (back, path2, &error));
  g_assert_no_error (error);
  bytes2 = fb_test_read_file (path2);
  g_assert_cmpstr (bytes1, ==, bytes2);

  fb_test_tmpdir_free (dir);
}

/* A config saved for one network does not load on another. */
static void
test_other_network (void)
{
  g_autoptr(FbNetwork) fmnist = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) small = fb_test_load_small ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (fmnist, 4, 4, NULL);
  g_autoptr(FbPrecisionConfig) back = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (config);
  root = fb_precision_config_to_json (config);
  back = fb_precision_config_new_from_json (small, root, "fmnist-config.json", &error);
  g_assert_null (back);
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  fb_test_assert_mentions (error->message, "fmnist-config.json");
  fb_test_assert_mentions (error->message, "network_sha256");
  fb_test_assert_mentions (error->message, "\"fmnist-mbv1\"");
  g_clear_error (&error);

  /* Without the hash, the first unknown layer name gives it away. */
  json_object_remove_member (json_node_get_object (root), "network_sha256");
  back = fb_precision_config_new_from_json (small, root, "fmnist-config.json", &error);
  g_assert_null (back);
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  fb_test_assert_mentions (error->message, "has no layer");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_configs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/config/bad/%s", bad_configs[i].file);
      g_test_add_data_func (name, &bad_configs[i], test_bad_config);
    }
  g_test_add_func ("/config/bad/network-file", test_network_file_as_config);
  for (guint i = 0; i < G_N_ELEMENTS (shorthands); i++)
    {
      g_autofree char *name = g_strdup_printf ("/config/shorthand/%s", shorthands[i].spec);
      g_test_add_data_func (name, &shorthands[i], test_shorthand);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_specs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/config/shorthand/bad/%s", bad_specs[i].spec);
      g_test_add_data_func (name, &bad_specs[i], test_bad_shorthand);
    }
  g_test_add_func ("/config/shorthand/packing", test_shorthand_packing);
  g_test_add_func ("/config/spec-file", test_spec_file);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/validate", test_validate);
  g_test_add_func ("/config/signed-and-pools", test_signed_and_pools);
  g_test_add_func ("/config/copy-equal-hash", test_copy_equal_hash);
  g_test_add_func ("/config/round-trip", test_round_trip);
  g_test_add_func ("/config/other-network", test_other_network);

  return g_test_run ();
}

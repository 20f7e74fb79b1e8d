/* test-cli-eval.c — `freebits-cli eval`: output, checksum, exit statuses.
 *
 * Runs the real binary ($FB_CLI) on fmnist-mbv1 with random weights and a
 * small synthetic data set written in Fashion-MNIST's file names, so it needs
 * neither the package nor trained weights.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "fb-candidate-list.h"
#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-int-test-util.h"
#include "fb-nn-test-util.h"

/* Synthetic 28×28 train and test splits (gzip, Fashion-MNIST's names). */
static void
write_data (const char *dir)
{
  for (guint split = 0; split < 2; split++)
    {
      const char *prefix = split == 0 ? "train" : "t10k";
      guint count = split == 0 ? 300 : 150;
      g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, prefix, count, 28, 28, 21 + split);
      g_autofree guint8 *pixels = g_new (guint8, (gsize) count * 784);
      g_autofree guint8 *labels = g_new (guint8, count);
      g_autofree char *ip = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", dir, prefix);
      g_autofree char *lp = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", dir, prefix);
      guint32 idims[3] = { count, 28, 28 }, ldims[1] = { count };

      for (guint i = 0; i < count; i++)
        {
          memcpy (pixels + (gsize) i * 784, fb_dataset_get_image (ds, i), 784);
          labels[i] = fb_dataset_get_label (ds, i);
        }
      fb_test_write_idx (ip, 3, idims, pixels, (gsize) count * 784, TRUE);
      fb_test_write_idx (lp, 1, ldims, labels, count, TRUE);
    }
}

static void
save_weights (FbWeights *w, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (fb_weights_save (w, path, &error));
  g_assert_no_error (error);
}

/* The common start of a case: fmnist-mbv1 (*@net), random integer-network weights for it
 * (*@w: @seed, α per bit-width when @with_alpha) and a temporary directory holding the
 * synthetic data set, which is returned; NULL when the case is skipped (no eval command). */
static char *
setup (const char *net_path, guint32 seed, gboolean with_alpha, FbNetwork **net, FbWeights **w)
{
  char *dir;

  if (fb_test_skip_without_cli ("eval"))
    return NULL;
  *net = fb_test_load_network (net_path);
  *w = fb_test_random_int_weights (*net, seed, with_alpha);
  dir = fb_test_tmpdir_new ();
  write_data (dir);
  return dir;
}

static void
test_json_output (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(GError) error = NULL;
  char *dir;

  dir = setup (net_path, 5, TRUE, &net, &w);
  if (dir == NULL)
    return;
  {
    g_autofree char *wpath = g_build_filename (dir, "w.fbw", NULL);
    g_autofree char *test_images = g_build_filename (dir, "t10k-images-idx3-ubyte.gz", NULL);
    g_autofree char *test_labels = g_build_filename (dir, "t10k-labels-idx1-ubyte.gz", NULL);
    const char *args[] = { "eval", net_path, "--config", "w4a8", "--weights", wpath, "--data", dir,
                           "--limit", "100", "--json", NULL };
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(FbDataset) test = NULL;
    g_autoptr(FbPrecisionConfig) cfg = NULL;
    g_autoptr(FbIntNetwork) inet = NULL;
    g_autofree char *hex = NULL;
    FbIntEvalResult r;
    JsonObject *o;
    FbTestRun run = { 0 };

    save_weights (w, wpath);
    fb_test_run_cli (&run, args);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (parser));

    /* The same evaluation in-process. */
    test = fb_dataset_load_idx (test_images, test_labels, 10, NULL, &error);
    g_assert_no_error (error);
    cfg = fb_precision_config_new_from_spec (net, "w4a8", &error);
    inet = fb_int_network_new (cfg, w, wpath, fb_kernel_arch (), &error);
    g_assert_no_error (error);
    g_assert_true (fb_int_network_evaluate (inet, test, 100, 1, NULL, &r, &error));
    hex = g_strdup_printf ("0x%08x", r.logits_fnv1a);

    g_assert_cmpint (json_object_get_int_member (o, "images"), ==, 100);
    g_assert_cmpint (json_object_get_int_member (o, "correct"), ==, r.correct);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "accuracy"), r.accuracy, 1e-12);
    g_assert_cmpstr (json_object_get_string_member (o, "logits_fnv1a"), ==, hex);
    g_assert_false (json_object_get_boolean_member (o, "calibrated"));
    g_assert_true (json_object_get_double_member (o, "float_accuracy") >= 0.0);
    g_assert_true (json_object_get_double_member (o, "float_accuracy") <= 1.0);
    g_assert_true (json_object_get_double_member (o, "seconds") > 0.0);
    g_assert_true (json_object_get_double_member (o, "images_per_s") > 0.0);
    fb_test_run_clear (&run);
  }
  fb_test_tmpdir_free (dir);
}

/* Without --weights, the network file's "weights" (relative to it). */
static void
test_network_weights_field (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  char *dir;

  dir = setup (net_path, 8, TRUE, &net, &w);
  if (dir == NULL)
    return;
  g_assert_true (g_file_get_contents (net_path, &text, NULL, &error));
  {
    g_autofree char *wpath = g_build_filename (dir, "net-weights.fbw", NULL);
    g_autofree char *npath = g_build_filename (dir, "net.json", NULL);
    /* The bundled file plus a "weights" member after "format". */
    g_autofree char *with = NULL;
    const char *args[] = { "eval", npath, "--config", "w8a8", "--data", dir, "--no-float", "--json", NULL };
    char *at = strstr (text, "\"format\"");
    FbTestRun r = { 0 };

    g_assert_nonnull (at);
    /* Drop the bundled file's own "weights" member: members are unique. */
    {
      char *own = strstr (text, "\"weights\": \"fmnist-mbv1.fbw\",\n");
      if (own != NULL)
        {
          char *eol = strchr (own, '\n');
          memmove (own, eol + 1, strlen (eol + 1) + 1);
          at = strstr (text, "\"format\"");
        }
    }
    with = g_strdup_printf ("%.*s\"weights\": \"net-weights.fbw\",\n  %s", (int) (at - text), text, at);
    g_assert_true (g_file_set_contents (npath, with, -1, &error));
    save_weights (w, wpath);
    fb_test_run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    fb_test_assert_mentions (r.out, "net-weights.fbw");
    fb_test_assert_mentions (r.out, "\"accuracy\"");
    fb_test_run_clear (&r);
  }
  fb_test_tmpdir_free (dir);
}

/* Float-only weights: calibrated first; the calibrated file can be saved
 * and then evaluates to the same checksum without calibration. */
static void
test_calibrated (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  char *dir;

  dir = setup (net_path, 6, FALSE, &net, &w);
  if (dir == NULL)
    return;
  {
    g_autofree char *wpath = g_build_filename (dir, "plain.fbw", NULL);
    g_autofree char *cpath = g_build_filename (dir, "cal.fbw", NULL);
    const char *a1[] = { "eval", net_path, "-c", "w2a4", "-w", wpath, "--data", dir, "--no-float",
                         "--calibration-images", "200", "--save-calibrated", cpath, "--json", NULL };
    const char *a2[] = { "eval", net_path, "-c", "w2a4", "-w", cpath, "--data", dir, "--no-float",
                         "--json", NULL };
    g_autoptr(JsonParser) p1 = json_parser_new ();
    g_autoptr(JsonParser) p2 = json_parser_new ();
    JsonObject *o1, *o2;
    FbTestRun r1 = { 0 }, r2 = { 0 };

    save_weights (w, wpath);
    fb_test_run_cli (&r1, a1);
    g_assert_cmpint (r1.status, ==, 0);
    fb_test_run_cli (&r2, a2);
    g_assert_cmpint (r2.status, ==, 0);
    g_assert_true (json_parser_load_from_data (p1, r1.out, -1, NULL));
    g_assert_true (json_parser_load_from_data (p2, r2.out, -1, NULL));
    o1 = json_node_get_object (json_parser_get_root (p1));
    o2 = json_node_get_object (json_parser_get_root (p2));
    g_assert_true (json_object_get_boolean_member (o1, "calibrated"));
    g_assert_cmpint (json_object_get_int_member (o1, "calibration_images"), ==, 200);
    g_assert_false (json_object_get_boolean_member (o2, "calibrated"));
    g_assert_true (json_node_is_null (json_object_get_member (o1, "float_accuracy")));
    g_assert_cmpint (json_object_get_int_member (o1, "images"), ==, 150);
    g_assert_cmpstr (json_object_get_string_member (o1, "logits_fnv1a"), ==,
                     json_object_get_string_member (o2, "logits_fnv1a"));
    fb_test_run_clear (&r1);
    fb_test_run_clear (&r2);
  }
  fb_test_tmpdir_free (dir);
}

static void
test_bad_input (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbNetwork) tiny = NULL;
  g_autoptr(FbWeights) w = NULL, other = NULL;
  char *dir;

  dir = setup (net_path, 7, TRUE, &net, &w);
  if (dir == NULL)
    return;
  tiny = fb_test_tiny_network (28, 28);
  other = fb_test_random_int_weights (tiny, 7, TRUE);
  {
    g_autofree char *good = g_build_filename (dir, "good.fbw", NULL);
    g_autofree char *wrong = g_build_filename (dir, "tiny.fbw", NULL);
    g_autofree char *corrupt = g_build_filename (dir, "corrupt.fbw", NULL);
    g_autofree char *cfg_other = g_build_filename (dir, "tiny-config.json", NULL);
    g_autofree char *cfg_bad = g_build_filename (dir, "bits3.json", NULL);
    g_autofree char *missing = g_build_filename (dir, "nothing", NULL);
    g_autofree char *unweighted = fb_test_network_path ("mobilenet-v1-0.25-128.json");
    g_autoptr(FbPrecisionConfig) tiny_cfg = fb_precision_config_new (tiny);
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize len;
    struct {
      const char *args[14];
      const char *mention;
    } cases[] = {
      { { "eval", net_path, "--weights", good, NULL }, "--config" },
      { { "eval", "--config", "w8a8", "--weights", good, NULL }, "NETWORK" },
      /* A network without a "weights" field needs --weights. */
      { { "eval", unweighted, "--config", "w8a8", NULL }, "--weights" },
      { { "eval", net_path, "--config", "w3a8", "--weights", good, "--data", dir, NULL }, "w3a8" },
      { { "eval", net_path, "--config", cfg_bad, "--weights", good, "--data", dir, NULL }, "bits3.json" },
      { { "eval", net_path, "--config", cfg_other, "--weights", good, "--data", dir, NULL }, "tiny-config.json" },
      { { "eval", net_path, "--config", "w8a8", "--weights", wrong, "--data", dir, NULL }, "tiny.fbw" },
      { { "eval", net_path, "--config", "w8a8", "--weights", corrupt, "--data", dir, NULL }, "corrupt.fbw" },
      { { "eval", net_path, "--config", "w8a8", "--weights", missing, "--data", dir, NULL }, "nothing" },
      { { "eval", net_path, "--config", "w8a8", "--weights", good, "--data", missing, NULL }, "No such file" },
      { { "eval", net_path, "--config", "w8a8", "--weights", good, "--limit", "-1", NULL }, "--limit" },
      { { "eval", net_path, "--config", "w8a8", "--weights", good, "--repeat", "0", NULL }, "--repeat" },
    };

    save_weights (w, good);
    save_weights (other, wrong);
    /* A weights file with a flipped byte in its data. */
    g_assert_true (g_file_get_contents (good, &data, &len, &error));
    data[len - 5] ^= 0x40;
    g_assert_true (g_file_set_contents (corrupt, data, (gssize) len, &error));
    g_assert_true (fb_precision_config_save (tiny_cfg, cfg_other, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_set_contents (cfg_bad,
                                        "{ \"format\": \"freebits-config/1\", \"network\": \"fmnist-mbv1\","
                                        "  \"weights\": { \"conv1\": 3 } }", -1, &error));
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        fb_test_cli_expect (cases[i].args, 2, cases[i].mention);
      }
  }
  fb_test_tmpdir_free (dir);
}

/* eval --repeat N: N integer runs, each timed (int_seconds_each, int_seconds_min the smallest),
 * and the same logits checksum as one run. */
static void
test_repeat (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(GError) error = NULL;
  char *dir;

  dir = setup (net_path, 5, TRUE, &net, &w);
  if (dir == NULL)
    return;
  {
    g_autofree char *wpath = g_build_filename (dir, "w.fbw", NULL);
    const char *once[] = { "eval", net_path, "--config", "w2a2", "--weights", wpath, "--data", dir,
                           "--limit", "60", "--no-float", "--json", NULL };
    const char *thrice[] = { "eval", net_path, "--config", "w2a2", "--weights", wpath, "--data", dir,
                             "--limit", "60", "--no-float", "--json", "--repeat", "3", NULL };
    g_autoptr(JsonParser) p1 = json_parser_new (), p3 = json_parser_new ();
    FbTestRun r1 = { 0 }, r3 = { 0 };
    JsonObject *o1, *o3;
    JsonArray *each;
    double min = G_MAXDOUBLE;

    save_weights (w, wpath);
    fb_test_run_cli (&r1, once);
    fb_test_run_cli (&r3, thrice);
    g_assert_cmpint (r1.status, ==, 0);
    g_assert_cmpint (r3.status, ==, 0);
    g_assert_true (json_parser_load_from_data (p1, r1.out, -1, &error));
    g_assert_true (json_parser_load_from_data (p3, r3.out, -1, &error));
    g_assert_no_error (error);
    o1 = json_node_get_object (json_parser_get_root (p1));
    o3 = json_node_get_object (json_parser_get_root (p3));
    g_assert_false (json_object_has_member (o1, "int_seconds_each"));
    g_assert_cmpint (json_object_get_int_member (o3, "repeat"), ==, 3);
    each = json_object_get_array_member (o3, "int_seconds_each");
    g_assert_cmpuint (json_array_get_length (each), ==, 3);
    for (guint i = 0; i < 3; i++)
      min = MIN (min, json_array_get_double_element (each, i));
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o3, "int_seconds_min"), min, 1e-9);
    g_assert_cmpstr (json_object_get_string_member (o3, "logits_fnv1a"), ==,
                     json_object_get_string_member (o1, "logits_fnv1a"));
    g_assert_cmpint (json_object_get_int_member (o3, "correct"), ==,
                     json_object_get_int_member (o1, "correct"));
    fb_test_run_clear (&r1);
    fb_test_run_clear (&r3);
  }
  fb_test_tmpdir_free (dir);
}

/* eval --configs: each config's accuracy in the candidates file (-o) is what
 * eval --config measures on the same images. */
static void
test_configs (void)
{
  g_autofree char *net_path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(GError) error = NULL;
  const char *specs[] = { "w4a8", "w8a8" };
  char *dir;

  dir = setup (net_path, 5, TRUE, &net, &w);
  if (dir == NULL)
    return;
  {
    g_autofree char *wpath = g_build_filename (dir, "w.fbw", NULL);
    g_autofree char *list = g_build_filename (dir, "configs.txt", NULL);
    g_autofree char *out = g_build_filename (dir, "out.json", NULL);
    const char *args[] = { "eval", net_path, "--configs", list, "--weights", wpath, "--data", dir,
                           "--limit", "100", "-o", out, NULL };
    g_autoptr(FbCandidateList) got = NULL;
    FbTestRun run = { 0 };

    save_weights (w, wpath);
    g_assert_true (g_file_set_contents (list, "w4a8\n# comment\n\nw8a8\n", -1, NULL));
    fb_test_run_cli (&run, args);
    g_assert_cmpint (run.status, ==, 0);
    fb_test_run_clear (&run);
    got = fb_candidate_list_load (net, out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (fb_candidate_list_get_length (got), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        const char *one[] = { "eval", net_path, "--config", specs[i], "--weights", wpath, "--data", dir,
                              "--limit", "100", "--no-float", "--json", NULL };
        g_autoptr(JsonParser) parser = json_parser_new ();
        FbCandidate *c = fb_candidate_list_get (got, i);
        g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (net, specs[i], &error);

        g_assert_true (fb_precision_config_equal (fb_candidate_get_config (c), cfg));
        fb_test_run_cli (&run, one);
        g_assert_cmpint (run.status, ==, 0);
        g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
        g_assert_cmpfloat_with_epsilon (fb_candidate_get_accuracy (c),
                                        json_object_get_double_member (json_node_get_object (
                                          json_parser_get_root (parser)), "accuracy"), 1e-12);
        fb_test_run_clear (&run);
      }
  }
  fb_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-eval/json-output", test_json_output);
  g_test_add_func ("/cli-eval/network-weights-field", test_network_weights_field);
  g_test_add_func ("/cli-eval/calibrated", test_calibrated);
  g_test_add_func ("/cli-eval/bad-input", test_bad_input);
  g_test_add_func ("/cli-eval/configs", test_configs);
  g_test_add_func ("/cli-eval/repeat", test_repeat);
  return g_test_run ();
}

/* test-cli-data.c — `freebits-cli train/eval --data` on the user's own data.
 *
 * One synthetic, learnable 32×32×3 10-class set written as .npz (stored,
 * compressed, float32), a directory of NCHW .npy files, IDX, CIFAR-10
 * batches and PNG class folders: a small network trained on the .npz by
 * `train --data` gives the SAME integer accuracy, top-5, per-class accuracy
 * and logits checksum through `eval --data` on every form. Bad datasets exit
 * 2 with one line naming the file. A network whose output_kind is "values"
 * gets its mean squared error, checked against a direct computation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-int-test-util.h"
#include "fb-nn-oracle.h"
#include "fb-dataset-test-util.h"

#define N_TRAIN 300
#define N_TEST 100

/* Every form of the set under @dir; returns the paths (NULL-terminated). */
static GPtrArray *
write_all_forms (const FbTestSet *s, const char *dir)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  char *p;

  p = g_build_filename (dir, "set.npz", NULL);
  fb_test_set_write_npz (s, N_TRAIN, N_TEST, p, FALSE, FALSE);
  g_ptr_array_add (paths, p);
  p = g_build_filename (dir, "set-compressed.npz", NULL);
  fb_test_set_write_npz (s, N_TRAIN, N_TEST, p, TRUE, FALSE);
  g_ptr_array_add (paths, p);
  p = g_build_filename (dir, "set-float.npz", NULL);
  fb_test_set_write_npz (s, N_TRAIN, N_TEST, p, TRUE, TRUE);
  g_ptr_array_add (paths, p);
  {
    const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
    p = g_build_filename (dir, "npy-nchw", NULL);
    g_assert_cmpint (g_mkdir (p, 0755), ==, 0);
    for (guint i = 0; i < 4; i++)
      {
        guint first = i >= 2 ? N_TRAIN : 0, n = i >= 2 ? N_TEST : N_TRAIN;
        g_autofree char *f = g_strdup_printf ("%s/%s.npy", p, names[i]);
        g_autoptr(GBytes) b = i % 2 == 0 ? fb_test_set_x_npy (s, first, n, TRUE) : fb_test_set_y_npy (s, first, n);
        fb_test_write_bytes (f, b);
      }
    g_ptr_array_add (paths, p);
  }
  p = g_build_filename (dir, "idx", NULL);
  g_assert_cmpint (g_mkdir (p, 0755), ==, 0);
  fb_test_set_write_idx (s, 0, N_TRAIN, p, "train");
  fb_test_set_write_idx (s, N_TRAIN, N_TEST, p, "t10k");
  g_ptr_array_add (paths, p);
  {
    g_autofree char *b1 = NULL, *tb = NULL;
    p = g_build_filename (dir, "cifar", NULL);
    g_assert_cmpint (g_mkdir (p, 0755), ==, 0);
    b1 = g_build_filename (p, "data_batch_1.bin", NULL);
    tb = g_build_filename (p, "test_batch.bin", NULL);
    fb_test_set_write_cifar (s, 0, N_TRAIN, b1);
    fb_test_set_write_cifar (s, N_TRAIN, N_TEST, tb);
    g_ptr_array_add (paths, p);
  }
  {
    g_autofree char *tr = NULL, *te = NULL;
    p = g_build_filename (dir, "images", NULL);
    tr = g_build_filename (p, "train", NULL);
    te = g_build_filename (p, "test", NULL);
    fb_test_set_write_images (s, 0, N_TRAIN, tr);
    fb_test_set_write_images (s, N_TRAIN, N_TEST, te);
    g_ptr_array_add (paths, p);
  }
  return paths;
}

static JsonObject *
eval_json (const char *net, const char *weights, const char *data, JsonParser *parser)
{
  const char *args[] = { "eval", net, "--config", "w8a8", "--weights", weights, "--data", data, "--json", NULL };
  g_auto(FbTestRun) run = { 0 };
  g_autoptr(GError) error = NULL;

  fb_test_run_cli (&run, args);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_same_accuracy_every_form (void)
{
  char *dir;
  g_auto(FbTestSet) s = { 0 };
  g_autoptr(GPtrArray) forms = NULL;
  g_autofree char *net = NULL, *w = NULL;
  g_autoptr(JsonParser) ref_parser = json_parser_new ();
  JsonObject *ref;

  if (fb_test_skip_without_cli ("eval"))
    return;
  dir = fb_test_tmpdir_new ();
  net = g_build_filename (dir, "tiny-rgb.json", NULL);
  w = g_build_filename (dir, "w.fbw", NULL);
  fb_test_write_tiny_rgb_net (net, "");
  /* Cyclic labels: the image folders give the examples back in this order,
   * so even the logits checksum must agree. */
  fb_test_set_init (&s, N_TRAIN + N_TEST, 32, 32, 3, 10, TRUE, 11);
  forms = write_all_forms (&s, dir);

  {
    const char *args[] = { "train", net, "-o", w, "--data", forms->pdata[0], "--epochs", "6", "--batch", "16",
                           "--lr", "0.05", "--no-augment", "--quiet", NULL };
    fb_test_cli_expect (args, 0, NULL);
  }
  ref = eval_json (net, w, forms->pdata[0], ref_parser);
  g_test_message ("npz: top-1 %g, top-5 %g, float %g, %s", json_object_get_double_member (ref, "accuracy"),
                  json_object_get_double_member (ref, "top5"), json_object_get_double_member (ref, "float_accuracy"),
                  json_object_get_string_member (ref, "logits_fnv1a"));
  g_assert_cmpint (json_object_get_int_member (ref, "images"), ==, N_TEST);
  /* Trained on a learnable set: far above the 10 % of chance, yet not all
   * right (the per-class accuracies and top-5 compared below carry information). */
  g_assert_cmpfloat (json_object_get_double_member (ref, "accuracy"), >, 0.3);
  g_assert_cmpfloat (json_object_get_double_member (ref, "accuracy"), <, 1.0);
  g_assert_cmpfloat (json_object_get_double_member (ref, "top5"), >=,
                     json_object_get_double_member (ref, "accuracy"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (ref, "per_class")), ==, 10);

  for (guint i = 1; i < forms->len; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = eval_json (net, w, forms->pdata[i], parser);
      JsonArray *pa, *pb;

      g_test_message ("%s: top-1 %g", (char *) forms->pdata[i], json_object_get_double_member (o, "accuracy"));
      g_assert_cmpint (json_object_get_int_member (o, "images"), ==, N_TEST);
      g_assert_cmpint (json_object_get_int_member (o, "correct"), ==, json_object_get_int_member (ref, "correct"));
      g_assert_cmpfloat (json_object_get_double_member (o, "top5"), ==, json_object_get_double_member (ref, "top5"));
      g_assert_cmpfloat (json_object_get_double_member (o, "float_accuracy"), ==,
                         json_object_get_double_member (ref, "float_accuracy"));
      g_assert_cmpstr (json_object_get_string_member (o, "logits_fnv1a"), ==,
                       json_object_get_string_member (ref, "logits_fnv1a"));
      pa = json_object_get_array_member (o, "per_class");
      pb = json_object_get_array_member (ref, "per_class");
      g_assert_cmpuint (json_array_get_length (pa), ==, 10);
      for (guint c = 0; c < 10; c++)
        {
          JsonObject *x = json_array_get_object_element (pa, c), *z = json_array_get_object_element (pb, c);
          g_assert_cmpint (json_object_get_int_member (x, "images"), ==, json_object_get_int_member (z, "images"));
          g_assert_cmpint (json_object_get_int_member (x, "correct"), ==, json_object_get_int_member (z, "correct"));
          /* Image folders name the classes after their folders. */
          if (strstr (forms->pdata[i], "images") != NULL)
            {
              g_autofree char *want = g_strdup_printf ("c%02u", c);
              g_assert_cmpstr (json_object_get_string_member (x, "name"), ==, want);
            }
          else
            g_assert_false (json_object_has_member (x, "name"));
        }
    }
  fb_test_tmpdir_free (dir);
}

static void
test_human_output (void)
{
  char *dir;
  g_auto(FbTestSet) s = { 0 };
  g_autofree char *net = NULL, *w = NULL, *npz = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_auto(FbTestRun) run = { 0 };

  if (fb_test_skip_without_cli ("eval"))
    return;
  dir = fb_test_tmpdir_new ();
  net = g_build_filename (dir, "tiny-rgb.json", NULL);
  w = g_build_filename (dir, "w.fbw", NULL);
  npz = g_build_filename (dir, "set.npz", NULL);
  fb_test_write_tiny_rgb_net (net, "");
  network = fb_test_load_network (net);
  weights = fb_test_random_int_weights (network, 3, TRUE);
  g_assert_true (fb_weights_save (weights, w, NULL));
  fb_test_set_init (&s, N_TRAIN + N_TEST, 32, 32, 3, 10, FALSE, 12);
  fb_test_set_write_npz (&s, N_TRAIN, N_TEST, npz, FALSE, FALSE);
  {
    const char *args[] = { "eval", net, "--config", "w4a8", "--weights", w, "--data", npz, NULL };
    fb_test_run_cli (&run, args);
  }
  g_assert_cmpint (run.status, ==, 0);
  fb_test_assert_mentions (run.out, "set.npz: x_test (32×32×3 uint8)");
  fb_test_assert_mentions (run.out, "top-5");
  fb_test_assert_mentions (run.out, "per class");
  fb_test_tmpdir_free (dir);
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/* Each bad dataset: exit 2, one line naming the file and the problem. */
static void
test_bad_datasets_exit_2 (void)
{
  char *dir;
  g_auto(FbTestSet) s = { 0 }, small = { 0 };
  g_autofree char *net = NULL, *w = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) weights = NULL;
  struct { const char *name; const char *mention; } cases[] = {
    { "shape.npz", "wrong shape" },
    { "dtype.npz", "wrong dtype" },
    { "label.npz", "label 10 of image" },
    { "trunc.npy", "truncated" },
    { "empty.npz", "empty set" },
    { "noimages", "no images" },
  };

  if (fb_test_skip_without_cli ("eval"))
    return;
  dir = fb_test_tmpdir_new ();
  net = g_build_filename (dir, "tiny-rgb.json", NULL);
  w = g_build_filename (dir, "w.fbw", NULL);
  fb_test_write_tiny_rgb_net (net, "");
  network = fb_test_load_network (net);
  weights = fb_test_random_int_weights (network, 4, TRUE);
  g_assert_true (fb_weights_save (weights, w, NULL));
  fb_test_set_init (&s, 20, 32, 32, 3, 10, FALSE, 13);
  fb_test_set_init (&small, 20, 28, 28, 1, 10, FALSE, 14);
  {
    const char *names[2] = { "x", "y" };
    g_autofree char *p = g_build_filename (dir, "shape.npz", NULL);
    GBytes *m[2] = { fb_test_set_x_npy (&small, 0, 20, FALSE), fb_test_set_y_npy (&small, 0, 20) };
    fb_test_write_npz (p, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    /* float64 examples. */
    {
      g_autofree double *d = g_new0 (double, 20 * 3072);
      guint dims[4] = { 20, 32, 32, 3 };
      g_autofree char *q = g_build_filename (dir, "dtype.npz", NULL);
      m[0] = fb_test_npy_bytes ("<f8", 4, dims, d, 20 * 3072 * sizeof (double));
      fb_test_write_npz (q, 2, names, m, TRUE);
      g_bytes_unref (m[0]);
    }
    g_bytes_unref (m[1]);
  }
  {
    const char *names[2] = { "x", "y" };
    g_autofree char *p = g_build_filename (dir, "label.npz", NULL);
    GBytes *m[2];
    s.y[7] = 10;
    m[0] = fb_test_set_x_npy (&s, 0, 20, FALSE);
    m[1] = fb_test_set_y_npy (&s, 0, 20);
    fb_test_write_npz (p, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
    /* Empty: zero examples. */
    p = (g_free (p), g_build_filename (dir, "empty.npz", NULL));
    m[0] = fb_test_set_x_npy (&s, 0, 0, FALSE);
    m[1] = fb_test_set_y_npy (&s, 0, 0);
    fb_test_write_npz (p, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }
  {
    g_autofree char *p = g_build_filename (dir, "trunc.npy", NULL);
    g_autoptr(GBytes) x = fb_test_set_x_npy (&s, 0, 20, FALSE);
    g_autoptr(GBytes) cut = g_bytes_new_from_bytes (x, 0, g_bytes_get_size (x) - 100);
    fb_test_write_bytes (p, cut);
  }
  {
    g_autofree char *p = g_build_filename (dir, "noimages", "a", NULL);
    g_assert_cmpint (g_mkdir_with_parents (p, 0755), ==, 0);
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = g_build_filename (dir, cases[i].name, NULL);
      const char *args[] = { "eval", net, "--config", "w8a8", "--weights", w, "--data", p, NULL };
      g_auto(FbTestRun) run = { 0 };
      fb_test_run_cli (&run, args);
      g_assert_cmpint (run.status, ==, 2);
      fb_test_assert_mentions (run.err, cases[i].name);
      fb_test_assert_mentions (run.err, cases[i].mention);
      /* One line. */
      g_assert_cmpuint (count_lines (run.err), ==, 1);
    }
  fb_test_tmpdir_free (dir);
}

/* A network with a signed input (the input description) refuses uint8
 * codes, before anything is folded. */
static void
test_signed_input_dtype (void)
{
  char *dir;
  g_autofree char *net = fb_test_data_path ("net-signed.json");
  g_autofree char *w = NULL, *u8 = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_auto(FbTestSet) s = { 0 };

  if (fb_test_skip_without_cli ("eval"))
    return;
  dir = fb_test_tmpdir_new ();
  w = g_build_filename (dir, "signed.fbw", NULL);
  u8 = g_build_filename (dir, "u8.npz", NULL);
  network = fb_test_load_network (net);
  weights = fb_test_random_int_weights (network, 5, TRUE);
  g_assert_true (fb_weights_save (weights, w, NULL));
  fb_test_set_init (&s, 10, 8, 8, 4, 4, FALSE, 16);
  {
    const char *names[2] = { "x", "y" };
    GBytes *m[2] = { fb_test_set_x_npy (&s, 0, 10, FALSE), fb_test_set_y_npy (&s, 0, 10) };
    fb_test_write_npz (u8, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }
  {
    const char *args[] = { "eval", net, "--config", "w8a8", "--weights", w, "--data", u8, NULL };
    g_auto(FbTestRun) run = { 0 };
    fb_test_run_cli (&run, args);
    g_assert_cmpint (run.status, ==, 2);
    fb_test_assert_mentions (run.err, "u8.npz: x: wrong dtype: uint8 examples");
    fb_test_assert_mentions (run.err, "signed");
    g_assert_cmpuint (count_lines (run.err), ==, 1);
  }
  fb_test_tmpdir_free (dir);
}

/* A 12-class keyword-spotting shape: 49×10×1 signed features (scale 1/16).
 * int8 codes and the same values as float32 give the same result; top-5
 * and 12 per-class accuracies are reported. */
static const char kws[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"kws\","
  "  \"input\": { \"name\": \"mfcc\", \"shape\": [49, 10, 1], \"signed\": true, \"scale\": 0.0625 },"
  "  \"layers\": ["
  "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"mfcc\"], \"output\": \"c1\","
  "     \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 8 },"
  "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\", \"kernel\": 3, \"pad\": 1 },"
  "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p2\", \"kernel\": 1, \"cout\": 16 },"
  "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"p2\"], \"output\": \"pool\" },"
  "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 12 }"
  "  ] }";

static void
test_signed_kws (void)
{
  char *dir;
  g_autofree char *net = NULL, *w = NULL, *i8 = NULL, *f32 = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_autoptr(GRand) r = g_rand_new_with_seed (17);
  g_autoptr(JsonParser) p1 = json_parser_new (), p2 = json_parser_new ();
  const guint n = 60, ex = 490;
  g_autofree gint8 *codes = g_new (gint8, n * ex);
  g_autofree float *real = g_new (float, n * ex);
  g_autofree gint64 *y = g_new (gint64, n);
  guint dims[4] = { n, 49, 10, 1 }, ydims[1] = { n };
  const char *names[2] = { "x", "y" };
  JsonObject *a, *b;

  if (fb_test_skip_without_cli ("eval"))
    return;
  dir = fb_test_tmpdir_new ();
  net = g_build_filename (dir, "kws.json", NULL);
  w = g_build_filename (dir, "kws.fbw", NULL);
  i8 = g_build_filename (dir, "kws-int8.npz", NULL);
  f32 = g_build_filename (dir, "kws-float.npz", NULL);
  fb_test_write_text (net, kws);
  network = fb_test_load_network (net);
  weights = fb_test_random_int_weights (network, 7, TRUE);
  g_assert_true (fb_weights_save (weights, w, NULL));
  for (guint i = 0; i < n; i++)
    {
      y[i] = GINT64_TO_LE ((gint64) (i % 12));
      for (guint k = 0; k < ex; k++)
        {
          codes[i * ex + k] = (gint8) g_rand_int_range (r, -128, 128);
          real[i * ex + k] = codes[i * ex + k] * 0.0625f;   /* exact */
        }
    }
  {
    GBytes *m[2] = { fb_test_npy_bytes ("|i1", 4, dims, codes, n * ex),
                     fb_test_npy_bytes ("<i8", 1, ydims, y, n * sizeof (gint64)) };
    fb_test_write_npz (i8, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    m[0] = fb_test_npy_bytes ("<f4", 4, dims, real, n * ex * sizeof (float));
    fb_test_write_npz (f32, 2, names, m, TRUE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }
  a = eval_json (net, w, i8, p1);
  b = eval_json (net, w, f32, p2);
  g_assert_cmpint (json_object_get_int_member (a, "images"), ==, n);
  g_assert_false (json_object_get_null_member (a, "top5"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (a, "per_class")), ==, 12);
  g_assert_cmpint (json_object_get_int_member (a, "correct"), ==, json_object_get_int_member (b, "correct"));
  g_assert_cmpfloat (json_object_get_double_member (a, "top5"), ==, json_object_get_double_member (b, "top5"));
  g_assert_cmpstr (json_object_get_string_member (a, "logits_fnv1a"), ==,
                   json_object_get_string_member (b, "logits_fnv1a"));
  fb_test_tmpdir_free (dir);
}

/* output_kind "values": an autoencoder-shaped network on float32 examples
 * (target = the input): the MSE of its real outputs, computed here from the
 * integer runs, and the same through `eval --json`. */
static const char tiny_ae[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-ae\", \"output_kind\": \"values\","
  "  \"input\": { \"name\": \"x\", \"shape\": [12], \"scale\": 0.02 },"
  "  \"layers\": ["
  "   { \"name\": \"enc\", \"op\": \"linear\", \"inputs\": [\"x\"], \"output\": \"h\", \"cout\": 6, \"relu\": true },"
  "   { \"name\": \"dec\", \"op\": \"linear\", \"inputs\": [\"h\"], \"output\": \"y\", \"cout\": 12 }"
  "  ] }";

static void
test_values_mse (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *net_path = g_build_filename (dir, "ae.json", NULL), *xp = g_build_filename (dir, "x.npy", NULL);
  g_autofree char *wp = g_build_filename (dir, "ae.fbw", NULL);
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(FbPrecisionConfig) cfg = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbDataset) test = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) r = g_rand_new_with_seed (15);
  float x[40 * 12];
  guint dims[2] = { 40, 12 };
  FbDatasetSpec spec;
  FbNnEvalResult res;
  double sse = 0.0, scale;

  fb_test_write_text (net_path, tiny_ae);
  net = fb_test_load_network (net_path);
  g_assert_cmpint (fb_network_get_output_kind (net), ==, FB_OUTPUT_VALUES);
  w = fb_test_random_int_weights (net, 6, TRUE);
  g_assert_true (fb_weights_save (w, wp, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (float) g_rand_double_range (r, 0.0, 4.0);
  fb_test_write_npy (xp, "<f4", 2, dims, x, sizeof x);

  fb_dataset_spec_init_for_network (&spec, net);
  g_assert_true (spec.values);
  g_assert_true (fb_dataset_open (xp, &spec, NULL, &test, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fb_dataset_get_n_targets (test), ==, 12);
  cfg = fb_precision_config_new_from_spec (net, "w8a8", &error);
  inet = fb_int_network_new (cfg, w, wp, fb_kernel_arch (), &error);
  g_assert_no_error (error);
  g_assert_true (fb_nn_evaluate (inet, test, 0, 2, NULL, &res, &error));
  g_assert_no_error (error);

  /* The reference: run each example, compare with its codes' real values. */
  scale = fb_int_network_get_tensor_scale (inet, fb_network_get_logits (net)->index);
  {
    g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (fb_int_network_get_plan (inet)) + 4);
    g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (fb_int_network_get_plan (inet)) + 1);
    for (guint i = 0; i < 40; i++)
      {
        gint32 out[12];
        g_assert_true (fb_int_network_run (inet, fb_dataset_get_image (test, i), out, arena, scratch, &error));
        for (guint k = 0; k < 12; k++)
          {
            /* The input code: round(x / 0.02), clipped to 255. */
            double q = MIN (nearbyint (x[i * 12 + k] * (1 / 0.02)), 255.0);
            double d = out[k] * scale - q * 0.02;
            sse += d * d;
          }
      }
  }
  g_assert_true (res.values);
  g_assert_cmpuint (res.n_images, ==, 40);
  g_assert_cmpfloat_with_epsilon (res.mse, sse / (40 * 12), 1e-9 * (1 + sse));
  g_assert_true (isnan (res.top1));
  g_assert_true (res.quality >= 0.0 && res.quality <= 1.0);
  g_assert_cmpfloat_with_epsilon (res.quality, MAX (0.0, 1.0 - res.mse / res.target_variance), 1e-12);
  fb_nn_eval_result_clear (&res);
  /* The searches' oracle: that explained variance, a fraction in [0, 1]. */
  {
    g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (net, w, wp, test, NULL, NULL, &error);
    double q = -1;
    g_assert_no_error (error);
    g_assert_true (fb_accuracy_oracle_evaluate (o, cfg, 0, NULL, &q, &error));
    g_assert_no_error (error);
    g_assert_true (fb_nn_evaluate (inet, test, 0, 1, NULL, &res, &error));
    g_assert_cmpfloat (q, ==, res.quality);
    fb_nn_eval_result_clear (&res);
  }

  if (!fb_test_skip_without_cli ("eval"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = eval_json (net_path, wp, xp, parser);
      g_autofree char *out = g_build_filename (dir, "ae-trained.fbw", NULL);
      const char *train[] = { "train", net_path, "-o", out, "--data", xp, NULL };
      g_assert_cmpstr (json_object_get_string_member (o, "output_kind"), ==, "values");
      /* The float trainer is a classifier's: refused in one line. */
      fb_test_cli_expect (train, 2, "output_kind \"values\"");
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "mse"), sse / (40 * 12),
                                      1e-9 * (1 + sse));
    }
  fb_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/cli-data/same-accuracy-every-form", test_same_accuracy_every_form);
  g_test_add_func ("/nn/cli-data/human-output", test_human_output);
  g_test_add_func ("/nn/cli-data/bad-datasets-exit-2", test_bad_datasets_exit_2);
  g_test_add_func ("/nn/cli-data/signed-input-dtype", test_signed_input_dtype);
  g_test_add_func ("/nn/cli-data/signed-12-class-kws", test_signed_kws);
  g_test_add_func ("/nn/cli-data/values-mse", test_values_mse);
  return g_test_run ();
}

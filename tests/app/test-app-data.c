/* test-app-data.c — the user's own data through the application layer:
 * `freebits-cli search` (every method that measures accuracy), `compare` and
 * `export` with `--data`, against `eval --data` of the same configs.
 *
 * One synthetic, learnable 32×32×3 10-class set (.npz, made here), a small
 * network trained on it by `train --data` (float, and a supernet for the
 * differentiable search) and an analytical latency table. Every accuracy a
 * search reports equals eval's for the candidate's config; compare's uniform
 * entries too; an exported bundle built and run on the host reproduces
 * eval's logits checksum on the same images (also for a signed 3-channel
 * input); bad data sets exit 2 with one line. FbAppSession's data-set
 * summary is checked directly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <sys/wait.h>

#include "fb-app-session.h"
#include "fb-error.h"
#include "fb-int-test-util.h"
#include "fb-dataset-test-util.h"

#define N_TRAIN 300
#define N_TEST 100

/* Made once, shared by the cases (read-only). */
static struct {
  char *dir, *net, *npz, *weights, *supernet, *table, *one_set;
} fx;

/* The shared fixture: FALSE (the case skips) without freebits-cli. */
static gboolean
fixture (void)
{
  g_auto(FbTestSet) s = { 0 };

  if (fb_test_skip_without_cli ("search"))
    return FALSE;
  if (fx.dir != NULL)
    return TRUE;
  fx.dir = fb_test_tmpdir_new ();
  fx.net = g_build_filename (fx.dir, "tiny-rgb.json", NULL);
  fx.npz = g_build_filename (fx.dir, "set.npz", NULL);
  fx.weights = g_build_filename (fx.dir, "float.fbw", NULL);
  fx.supernet = g_build_filename (fx.dir, "supernet.fbw", NULL);
  fx.table = g_build_filename (fx.dir, "gap8.json", NULL);
  fx.one_set = g_build_filename (fx.dir, "one.npz", NULL);
  fb_test_write_tiny_rgb_net (fx.net, "");
  fb_test_set_init (&s, N_TRAIN + N_TEST, 32, 32, 3, 10, FALSE, 21);
  fb_test_set_write_npz (&s, N_TRAIN, N_TEST, fx.npz, FALSE, FALSE);
  {
    const char *names[2] = { "x", "y" };
    GBytes *m[2] = { fb_test_set_x_npy (&s, 0, N_TRAIN + N_TEST, FALSE), fb_test_set_y_npy (&s, 0, N_TRAIN + N_TEST) };
    fb_test_write_npz (fx.one_set, 2, names, m, TRUE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }
  {
    const char *train[] = { "train", fx.net, "-o", fx.weights, "--data", fx.npz, "--epochs", "4", "--batch", "16",
                            "--lr", "0.05", "--no-augment", "--quiet", NULL };
    const char *super[] = { "train", fx.net, "-o", fx.supernet, "--supernet", "--data", fx.npz, "--epochs", "2",
                            "--batch", "16", "--lr", "0.05", "--no-augment", "--quiet", NULL };
    const char *table[] = { "latency", "model", fx.net, "--target", "gap8", "-o", fx.table, NULL };
    fb_test_cli_expect (train, 0, NULL);
    fb_test_cli_expect (super, 0, NULL);
    fb_test_cli_expect (table, 0, NULL);
  }
  return TRUE;
}

static guint
count_lines (const char *text)
{
  guint n = 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static JsonNode *
run_json (const char *const *args)
{
  g_auto(FbTestRun) run = { 0 };
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  fb_test_run_cli (&run, args);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  return root;
}

/* eval --data of @config (a shorthand or a config file) with @weights. */
static JsonNode *
eval_data (const char *config, const char *weights, const char *limit)
{
  const char *args[] = { "eval", fx.net, "--config", config, "--weights", weights, "--data", fx.npz, "--json",
                         "--no-float", "--limit", limit, NULL };
  return run_json (args);
}

/* Each candidate of a search's JSON: its accuracy is eval's for its config. */
static guint
check_candidates (JsonNode *root, const char *weights, const char *method)
{
  JsonArray *cands = json_object_get_array_member (json_node_get_object (root), "candidates");
  guint n = json_array_get_length (cands);

  g_assert_cmpuint (n, >, 0);
  /* At most 6 evenly spread candidates of a long front: the binary stays short. */
  for (guint k = 0; k < MIN (n, 6u); k++)
    {
      guint i = n <= 6 ? k : k * (n - 1) / 5;
      JsonObject *c = json_array_get_object_element (cands, i);
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.json", fx.dir, method, i);
      g_autofree char *text = json_to_string (json_object_get_member (c, "config"), TRUE);
      g_autoptr(JsonNode) ev = NULL;
      JsonObject *e;

      fb_test_write_text (path, text);
      ev = eval_data (path, weights, "0");
      e = json_node_get_object (ev);
      g_test_message ("%s #%u: search %.4f, eval %.4f (%s)", method, i, json_object_get_double_member (c, "accuracy"),
                      json_object_get_double_member (e, "accuracy"), json_object_get_string_member (e, "bits"));
      g_assert_cmpint (json_object_get_int_member (e, "images"), ==, N_TEST);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (c, "accuracy"),
                                      json_object_get_double_member (e, "accuracy"), 1e-12);
    }
  return MIN (n, 6u);
}

static void
test_search_equals_eval (void)
{
  struct { const char *method; const char *weights; const char *extra[8]; } runs[] = {
    { "uniform", NULL, { NULL } },
    { "free-bits", NULL, { "--latency", "@TABLE", "--max-accuracy-drop", "0.05", NULL } },
    { "pareto", NULL, { "--latency", "@TABLE", "--objectives", "latency,size,accuracy", NULL } },
    { "bops", NULL, { NULL } },
    { "diff", "super", { "--lambdas", "0,0.5", "--steps", "20", "--batch", "16", NULL } },
  };
  guint total = 0;

  if (!fixture ())
    return;
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      const char *w = runs[r].weights != NULL ? fx.supernet : fx.weights;
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autoptr(JsonNode) root = NULL;
      const char *base[] = { "search", fx.net, "--method", runs[r].method, "--weights", w, "--data", fx.npz,
                             "--full", "--json" };

      for (guint i = 0; i < G_N_ELEMENTS (base); i++)
        g_ptr_array_add (args, (gpointer) base[i]);
      for (guint i = 0; runs[r].extra[i] != NULL; i++)
        g_ptr_array_add (args, (gpointer) (g_str_equal (runs[r].extra[i], "@TABLE") ? fx.table : runs[r].extra[i]));
      g_ptr_array_add (args, NULL);
      root = run_json ((const char *const *) args->pdata);
      total += check_candidates (root, w, runs[r].method);
    }
  /* Every method gave candidates. */
  g_assert_cmpuint (total, >=, G_N_ELEMENTS (runs));
}

static void
check_compare (void)
{
  const char *args[] = { "compare", fx.net, "--latency", fx.table, "--weights", fx.weights, "--data", fx.npz,
                         "--samples", "8", "--limit", "100", "--json", NULL };
  g_autoptr(JsonNode) root = NULL;
  JsonArray *targets;
  guint checked = 0;

  root = run_json (args);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "accuracy"), ==, "measured");
  targets = json_object_get_array_member (json_node_get_object (root), "targets");
  for (guint t = 0; t < json_array_get_length (targets); t++)
    {
      JsonArray *rows = json_object_get_array_member (json_array_get_object_element (targets, t), "rows");
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonObject *row = json_array_get_object_element (rows, r);
          const char *sides[] = { "bops_optimal", "latency_optimal" };
          for (guint k = 0; k < 2; k++)
            {
              JsonObject *o;
              g_autoptr(JsonNode) ev = NULL;
              if (!json_object_has_member (row, sides[k]))
                continue;
              o = json_object_get_object_member (row, sides[k]);
              /* A uniform entry's label is its shorthand. */
              if (!g_str_equal (json_object_get_string_member (o, "source"), "uniform"))
                continue;
              ev = eval_data (json_object_get_string_member (o, "label"), fx.weights, "100");
              g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "accuracy"),
                                              json_object_get_double_member (json_node_get_object (ev), "accuracy"),
                                              1e-12);
              checked++;
            }
        }
    }
  g_assert_cmpuint (checked, >, 0);
}

/* (The argument arrays need the fixture's paths: made before they are.) */
static void
test_compare_equals_eval (void)
{
  if (fixture ())
    check_compare ();
}

/* One set split by --val-split (and an explicit --layout): search measures
 * the same test part as eval. */
static void
check_val_split (void)
{
  const char *search[] = { "search", fx.net, "--method", "uniform", "--weights", fx.weights, "--data", fx.one_set,
                           "--val-split", "0.25", "--layout", "nhwc", "--full", "--json", NULL };
  g_autoptr(JsonNode) root = NULL;
  JsonArray *cands;

  root = run_json (search);
  cands = json_object_get_array_member (json_node_get_object (root), "candidates");
  g_assert_cmpuint (json_array_get_length (cands), ==, 9);
  for (guint i = 0; i < 9; i += 4)
    {
      JsonObject *c = json_array_get_object_element (cands, i);
      g_autofree char *path = g_strdup_printf ("%s/split-%u.json", fx.dir, i);
      g_autofree char *text = json_to_string (json_object_get_member (c, "config"), TRUE);
      const char *eval[] = { "eval", fx.net, "--config", path, "--weights", fx.weights, "--data", fx.one_set,
                             "--val-split", "0.25", "--layout", "nhwc", "--json", "--no-float", NULL };
      g_autoptr(JsonNode) ev = NULL;
      JsonObject *e;

      fb_test_write_text (path, text);
      ev = run_json (eval);
      e = json_node_get_object (ev);
      g_assert_cmpint (json_object_get_int_member (e, "images"), ==, (N_TRAIN + N_TEST) / 4);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (c, "accuracy"),
                                      json_object_get_double_member (e, "accuracy"), 1e-12);
    }
}

static void
test_search_val_split (void)
{
  if (fixture ())
    check_val_split ();
}

/* A bad data set: one line naming it, exit 2, in each command. */
static void
test_bad_data_exit_2 (void)
{
  g_auto(FbTestSet) small = { 0 };
  g_autofree char *bad = NULL, *out = NULL;

  if (!fixture ())
    return;
  bad = g_build_filename (fx.dir, "gray.npz", NULL);
  out = g_build_filename (fx.dir, "bundle-bad", NULL);
  fb_test_set_init (&small, 20, 28, 28, 1, 10, FALSE, 22);
  {
    const char *names[2] = { "x", "y" };
    GBytes *m[2] = { fb_test_set_x_npy (&small, 0, 20, FALSE), fb_test_set_y_npy (&small, 0, 20) };
    fb_test_write_npz (bad, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }
  {
    const char *search[] = { "search", fx.net, "--method", "uniform", "--weights", fx.weights, "--data", bad, NULL };
    const char *diff[] = { "search", fx.net, "--method", "diff", "--weights", fx.supernet, "--data", bad, NULL };
    const char *compare[] = { "compare", fx.net, "--latency", fx.table, "--weights", fx.weights, "--data", bad, NULL };
    const char *export[] = { "export", fx.net, "--config", "w8a8", "--weights", fx.weights, "--data", bad, "-o", out,
                             NULL };
    const char *layout[] = { "search", fx.net, "--method", "uniform", "--weights", fx.weights, "--data", fx.npz,
                             "--layout", "chw", NULL };
    const char *missing[] = { "compare", fx.net, "--latency", fx.table, "--weights", fx.weights, "--data",
                              "/nonexistent/set.npz", NULL };
    const char *const *cases[] = { search, diff, compare, export, layout, missing };
    const char *mentions[] = { "gray.npz: x: wrong shape", "gray.npz: x: wrong shape", "gray.npz: x: wrong shape",
                               "gray.npz: x: wrong shape", "--layout", "/nonexistent/set.npz" };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(FbTestRun) run = { 0 };
        fb_test_run_cli (&run, cases[i]);
        g_assert_cmpint (run.status, ==, 2);
        fb_test_assert_mentions (run.err, mentions[i]);
        g_assert_cmpuint (count_lines (run.err), ==, 1);
      }
  }
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* Runs @argv in @dir; returns its exit status, stdout+stderr in *@out. */
static int
run_in (const char *dir, const char *const *argv, char **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s: %s%s", argv[0], *out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128;
}

/* export --data, built and run on the host: eval's checksum bit for bit. */
static void
check_bundle (const char *net, const char *weights, const char *data, const char *config, const char *name,
              const char *const *readme_mentions)
{
  g_autofree char *dir = g_build_filename (fx.dir, name, NULL);
  g_autofree char *images = g_build_filename (dir, "test_images.bin", NULL);
  g_autofree char *readme_path = g_build_filename (dir, "README.md", NULL);
  g_autofree char *readme = NULL, *out = NULL, *want = NULL;
  const char *export[] = { "export", net, "--config", config, "--weights", weights, "--data", data, "--images", "60",
                           "-o", dir, "--quiet", NULL };
  const char *eval[] = { "eval", net, "--config", config, "--weights", weights, "--data", data, "--limit", "60",
                         "--json", "--no-float", NULL };
  const char *make[] = { "make", "host", NULL };
  const char *demo[] = { "./fb_demo", "test_images.bin", "test_labels.bin", NULL };
  g_autoptr(JsonNode) ev = NULL;
  JsonObject *e;
  GStatBuf st;

  fb_test_cli_expect (export, 0, NULL);
  g_assert_cmpint (g_stat (images, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 60 * 32 * 32 * 3);
  readme = fb_test_read_file (readme_path);
  for (guint i = 0; readme_mentions[i] != NULL; i++)
    fb_test_assert_mentions (readme, readme_mentions[i]);
  ev = run_json (eval);
  e = json_node_get_object (ev);
  g_assert_cmpint (json_object_get_int_member (e, "images"), ==, 60);
  /* The README's expected output is eval's. */
  fb_test_assert_mentions (readme, json_object_get_string_member (e, "logits_fnv1a"));
  g_assert_cmpint (run_in (dir, make, &out), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_in (dir, demo, &out), ==, 0);
  want = g_strdup_printf ("logits_fnv1a %s\n", json_object_get_string_member (e, "logits_fnv1a"));
  fb_test_assert_mentions (out, want);
  g_free (want);
  want = g_strdup_printf ("(%" G_GINT64_FORMAT "/60)", json_object_get_int_member (e, "correct"));
  fb_test_assert_mentions (out, want);
}

static void
test_export_bundle_matches_eval (void)
{
  g_autofree char *make = g_find_program_in_path ("make");
  g_autofree char *signed_net = NULL, *signed_w = NULL, *signed_npz = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_auto(FbTestSet) s = { 0 };
  const char *unsigned_mentions[] = { "first 60 examples", "set.npz: x_test", "32×32×3 = 3072 bytes", "uint8",
                                      "unsigned input", "class 0–9 of the network's 10 outputs", NULL };
  const char *signed_mentions[] = { "first 60 examples", "signed.npz: x_test", "32×32×3 = 3072 bytes",
                                    "int8 (signed input", NULL };

  if (!fixture ())
    return;
  if (make == NULL)
    {
      g_test_skip ("make is not installed");
      return;
    }
  check_bundle (fx.net, fx.weights, fx.npz, "w4a8", "bundle-u8", unsigned_mentions);

  /* A signed 3-channel input: int8 codes, random integer weights. */
  signed_net = g_build_filename (fx.dir, "tiny-signed.json", NULL);
  signed_w = g_build_filename (fx.dir, "signed.fbw", NULL);
  signed_npz = g_build_filename (fx.dir, "signed.npz", NULL);
  fb_test_write_tiny_rgb_net (signed_net, ", \"signed\": true, \"scale\": 0.03125");
  network = fb_test_load_network (signed_net);
  weights = fb_test_random_int_weights (network, 23, TRUE);
  g_assert_true (fb_weights_save (weights, signed_w, NULL));
  fb_test_set_init (&s, N_TRAIN + N_TEST, 32, 32, 3, 10, FALSE, 24);
  {
    const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
    guint dims[4] = { 0, 32, 32, 3 };
    GBytes *m[4];
    g_autofree gint8 *codes = g_new (gint8, (gsize) s.n * 3072);
    for (gsize k = 0; k < (gsize) s.n * 3072; k++)
      codes[k] = (gint8) (s.x[k] - 128);
    dims[0] = N_TRAIN;
    m[0] = fb_test_npy_bytes ("|i1", 4, dims, codes, (gsize) N_TRAIN * 3072);
    m[1] = fb_test_set_y_npy (&s, 0, N_TRAIN);
    dims[0] = N_TEST;
    m[2] = fb_test_npy_bytes ("|i1", 4, dims, codes + (gsize) N_TRAIN * 3072, (gsize) N_TEST * 3072);
    m[3] = fb_test_set_y_npy (&s, N_TRAIN, N_TEST);
    fb_test_write_npz (signed_npz, 4, names, m, FALSE);
    for (guint i = 0; i < 4; i++)
      g_bytes_unref (m[i]);
  }
  check_bundle (signed_net, signed_w, signed_npz, "w8a8", "bundle-i8", signed_mentions);
}

/* The summary the window can show, and the session's one-set split. */
static void
test_session_summary (void)
{
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbAppSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *bad = NULL, *want = NULL;
  FbAppDatasetSummary sum;

  if (!fixture ())
    return;
  net = fb_test_load_network (fx.net);
  session = fb_app_session_new (net);
  fb_app_session_set_dataset_path (session, fx.npz);
  g_assert_true (fb_app_session_open_dataset (session, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.n_train, ==, N_TRAIN);
  g_assert_cmpuint (sum.n_test, ==, N_TEST);
  g_assert_cmpuint (sum.height, ==, 32);
  g_assert_cmpuint (sum.width, ==, 32);
  g_assert_cmpuint (sum.channels, ==, 3);
  g_assert_cmpuint (sum.n_classes, ==, 10);
  g_assert_false (sum.input_signed);
  g_assert_false (sum.values);
  text = fb_app_dataset_summary_to_string (&sum);
  want = g_strdup_printf ("%s: x_test: 300 training + 100 test examples, 32×32×3 uint8, 10 classes", fx.npz);
  g_assert_cmpstr (text, ==, want);
  /* The parts the oracle uses are the same sets. */
  g_assert_cmpuint (fb_dataset_get_n_images (fb_app_session_load_dataset (session, FB_DATASET_TEST, &error)), ==,
                    N_TEST);

  /* One set, the last quarter as the test part. */
  fb_app_session_set_dataset_path (session, fx.one_set);
  fb_app_session_set_dataset_options (session, FB_DATASET_LAYOUT_NHWC, 0.25);
  g_assert_true (fb_app_session_open_dataset (session, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.n_train + sum.n_test, ==, N_TRAIN + N_TEST);
  g_assert_cmpuint (sum.n_test, ==, (N_TRAIN + N_TEST) / 4);

  /* A data set of another shape: one error naming the file. */
  bad = g_build_filename (fx.dir, "gray.npz", NULL);
  if (!g_file_test (bad, G_FILE_TEST_EXISTS))
    {
      g_auto(FbTestSet) small = { 0 };
      const char *names[2] = { "x", "y" };
      GBytes *m[2];
      fb_test_set_init (&small, 20, 28, 28, 1, 10, FALSE, 22);
      m[0] = fb_test_set_x_npy (&small, 0, 20, FALSE);
      m[1] = fb_test_set_y_npy (&small, 0, 20);
      fb_test_write_npz (bad, 2, names, m, FALSE);
      g_bytes_unref (m[0]);
      g_bytes_unref (m[1]);
    }
  fb_app_session_set_dataset_path (session, bad);
  g_assert_false (fb_app_session_open_dataset (session, &sum, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_SHAPE);
  fb_test_assert_mentions (error->message, "gray.npz");
  g_assert_null (strchr (error->message, '\n'));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/data/search-equals-eval", test_search_equals_eval);
  g_test_add_func ("/app/data/compare-equals-eval", test_compare_equals_eval);
  g_test_add_func ("/app/data/search-val-split", test_search_val_split);
  g_test_add_func ("/app/data/bad-data-exit-2", test_bad_data_exit_2);
  g_test_add_func ("/app/data/export-bundle-matches-eval", test_export_bundle_matches_eval);
  g_test_add_func ("/app/data/session-summary", test_session_summary);
  status = g_test_run ();
  if (fx.dir != NULL)
    fb_test_tmpdir_free (fx.dir);
  g_free (fx.net);
  g_free (fx.npz);
  g_free (fx.weights);
  g_free (fx.supernet);
  g_free (fx.table);
  g_free (fx.one_set);
  return status;
}

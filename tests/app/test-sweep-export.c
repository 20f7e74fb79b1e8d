/* test-sweep-export.c — a search exported as a folder for a cluster
 * (src/app/fb-sweep-export.h), run there and its results found again.
 *
 * A differentiable sweep with a latency table and weights is exported: the
 * folder holds the inputs and three commands (the sweep, Free Bits from its
 * results, eval --configs on the whole test set); the first command's options
 * parse back to the same search (fb_search_params_parse, as freebits-cli
 * does); run.sh, run as one process (LAUNCH=""), writes the three result
 * files, which fb_sweep_export_list_results() finds and which load as
 * candidates files; a second export into the same folder is refused and
 * leaves nothing behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <sys/stat.h>

#include "fb-candidate-list.h"
#include "fb-sweep-export.h"
#include "fb-test-util.h"
#include "fb-dataset-test-util.h"

static const char tiny[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-sweep\","
  "  \"input\": { \"name\": \"input\", \"shape\": [8, 8, 1] },"
  "  \"layers\": ["
  "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\","
  "     \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 8 },"
  "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"c1\"], \"output\": \"p2\", \"kernel\": 1, \"cout\": 16 },"
  "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"p2\"], \"output\": \"pool\" },"
  "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 }"
  "  ] }";

/* The value after @option in @argv, or NULL. */
static const char *
option (char **argv, const char *name)
{
  for (guint i = 0; argv[i] != NULL && argv[i + 1] != NULL; i++)
    if (g_str_equal (argv[i], name))
      return argv[i + 1];
  return NULL;
}

/* The search command of commands.txt parses back to @p. */
static void
check_round_trip (const char *line, const FbSearchParams *p)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  FbSearchOptionTexts t = { 0 };
  FbSearchParams back;

  g_assert_true (g_shell_parse_argv (line, NULL, &argv, &error));
  g_assert_cmpstr (argv[0], ==, "freebits-cli");
  g_assert_cmpstr (argv[1], ==, "search");
  t.method = option (argv, "--method");
  t.lambdas = option (argv, "--lambdas");
  t.steps = option (argv, "--steps");
  t.batch = option (argv, "--batch");
  t.limit = option (argv, "--limit");
  t.max_size = option (argv, "--max-size");
  t.cost = option (argv, "--cost");
  g_assert_true (fb_search_params_parse (&t, &back, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.method, ==, p->method);
  g_assert_cmpint (back.diff_cost, ==, p->diff_cost);
  g_assert_cmpuint (back.n_lambdas, ==, p->n_lambdas);
  for (guint i = 0; i < p->n_lambdas; i++)
    g_assert_cmpfloat (back.lambdas[i], ==, p->lambdas[i]);
  g_assert_cmpuint (back.diff_steps, ==, p->diff_steps);
  g_assert_cmpuint (back.diff_batch, ==, p->diff_batch);
  g_assert_cmpint (back.accuracy_limit, ==, p->accuracy_limit);
  g_assert_cmpuint (back.constraints.max_size, ==, p->constraints.max_size);
  g_assert_cmpstr (option (argv, "-o"), ==, "results/diff.json");
}

/* The data set, float weights and a modeled table, with freebits-cli. */
static void
make_inputs (const char *dir, char **net, char **npz, char **weights, char **table)
{
  g_auto(FbTestSet) s = { 0 };
  const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
  GBytes *m[4];

  *net = g_build_filename (dir, "tiny.json", NULL);
  *npz = g_build_filename (dir, "set.npz", NULL);
  *weights = g_build_filename (dir, "tiny.fbw", NULL);
  *table = g_build_filename (dir, "gap8.json", NULL);
  g_assert_true (g_file_set_contents (*net, tiny, -1, NULL));
  fb_test_set_init (&s, 160, 8, 8, 1, 10, FALSE, 3);
  m[0] = fb_test_set_x_npy (&s, 0, 128, FALSE);
  m[1] = fb_test_set_y_npy (&s, 0, 128);
  m[2] = fb_test_set_x_npy (&s, 128, 32, FALSE);
  m[3] = fb_test_set_y_npy (&s, 128, 32);
  fb_test_write_npz (*npz, 4, names, m, FALSE);
  for (guint i = 0; i < 4; i++)
    g_bytes_unref (m[i]);
  {
    const char *train[] = { "train", *net, "-o", *weights, "--data", *npz, "--epochs", "1", "--batch", "32",
                            "--quiet", NULL };
    const char *model[] = { "latency", "model", *net, "--target", "gap8", "-o", *table, NULL };
    fb_test_cli_expect (train, 0, NULL);
    fb_test_cli_expect (model, 0, NULL);
  }
}

/* run.sh as one process with this build's freebits-cli. */
static void
run_script (const char *sweep)
{
  g_autofree char *script = g_build_filename (sweep, "run.sh", NULL);
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/bin/sh", script, NULL };
  int status = 0;

  env = g_environ_setenv (env, "LAUNCH", "", TRUE);
  env = g_environ_setenv (env, "FREEBITS_CLI", g_getenv ("FB_CLI"), TRUE);
  g_assert_true (g_spawn_sync ("/", (char **) argv, env, 0, NULL, NULL, &out, &err, &status, &error));
  g_test_message ("run.sh: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_export_run_open (void)
{
  g_autofree char *dir = NULL, *net_path = NULL, *npz = NULL, *weights = NULL, *table_path = NULL;
  g_autofree char *sweep = NULL, *commands = NULL, *sbatch = NULL, *run = NULL, *text = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  FbSearchParams p;
  FbSweepExportOptions o = { 0 };
  struct stat st;

  if (fb_test_skip_without_cli ("train"))
    return;
  dir = fb_test_tmpdir_new ();
  make_inputs (dir, &net_path, &npz, &weights, &table_path);
  net = fb_network_load (net_path, &error);
  g_assert_no_error (error);
  table = fb_latency_table_load (table_path, &error);
  g_assert_no_error (error);

  fb_search_params_init (&p, FB_SEARCH_METHOD_DIFF);
  p.n_lambdas = 2;
  p.lambdas[0] = 0;
  p.lambdas[1] = 0.5;
  p.diff_steps = 4;
  p.diff_batch = 32;
  p.accuracy_limit = 16;
  p.constraints.max_size = 100000;
  o = (FbSweepExportOptions) { .network = net, .table = table, .weights_path = weights, .data_path = npz,
                               .params = &p, .ranks = 3 };
  sweep = g_build_filename (dir, "sweep", NULL);
  g_assert_true (fb_sweep_export_write (&o, sweep, &error));
  g_assert_no_error (error);

  commands = g_build_filename (sweep, "commands.txt", NULL);
  text = fb_test_read_file (commands);
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  check_round_trip (lines[0], &p);
  g_assert_nonnull (strstr (lines[1], "--method free-bits --starts results/diff.json"));
  g_assert_nonnull (strstr (lines[2], "eval inputs/network.json"));
  g_assert_nonnull (strstr (lines[2], "--configs results/free-bits.json"));
  run = g_build_filename (sweep, "run.sh", NULL);
  g_assert_cmpint (g_stat (run, &st), ==, 0);
  g_assert_true (st.st_mode & S_IXUSR);
  sbatch = g_build_filename (sweep, "freebits.sbatch", NULL);
  g_clear_pointer (&text, g_free);
  text = fb_test_read_file (sbatch);
  g_assert_nonnull (strstr (text, "#SBATCH --ntasks=3\n"));

  /* Nothing has come back yet. */
  found = fb_sweep_export_list_results (sweep, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);

  run_script (sweep);
  found = fb_sweep_export_list_results (sweep, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 3);
  for (guint i = 0; i < found->len; i++)
    {
      g_autoptr(FbCandidateList) list = fb_candidate_list_load (net, g_ptr_array_index (found, i), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (fb_candidate_list_get_length (list), >, 0);
      if (i == 2)
        g_assert_false (isnan (fb_candidate_get_accuracy (fb_candidate_list_get (list, 0))));
    }
  g_assert_true (g_str_has_suffix (g_ptr_array_index (found, 2), "results/free-bits-full.json"));

  /* The folder is not empty now: refused, no temporary left. */
  g_assert_false (fb_sweep_export_write (&o, sweep, &error));
  fb_test_assert_mentions (error->message, "not an empty folder");
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)) != NULL)
      g_assert_null (strstr (name, "fb-tmp"));
  }
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* A folder without sweep.json is not an exported sweep: a one-line error. */
static void
test_list_not_a_sweep (void)
{
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = fb_sweep_export_list_results (dir, &error);

  g_assert_null (found);
  g_assert_nonnull (error);
  fb_test_assert_mentions (error->message, "sweep.json");
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/sweep-export/export-run-open", test_export_run_open);
  g_test_add_func ("/app/sweep-export/not-a-sweep", test_list_not_a_sweep);
  return g_test_run ();
}

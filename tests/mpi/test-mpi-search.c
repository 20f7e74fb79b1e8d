/* test-mpi-search.c — the searches' accuracy work under `mpirun -n 2 --oversubscribe`.
 *
 * Each gives the file one process gives: `eval --configs` (the configs split
 * over the ranks), `search` whose results are measured over the ranks, the
 * Pareto front on the accuracy proxy whose sensitivities are measured over them,
 * Free Bits' lowering step (its moves evaluated one per rank at a time), the
 * differentiable λ sweep split by λ (two λ values on two ranks) and split by
 * the training steps' shards (one λ, four shards on two ranks).  Search
 * outputs are compared with their wall-clock "seconds" masked (two
 * one-process runs differ there too).
 *
 * Skipped (g_test_skip) when freebits-cli was built without MPI or mpirun is
 * not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-mpi-test-util.h"

#define SECONDS "\"seconds\" *: *[-0-9.eE+]+"

/* Float weights and a modeled latency table, once. */
static gboolean
have_inputs (void)
{
  g_autofree char *w = NULL, *table = NULL;

  if (!have_mpi ())
    return FALSE;
  w = path ("float.fbw");
  table = path ("gap8.json");
  if (!g_file_test (w, G_FILE_TEST_EXISTS))
    {
      const char *train[] = { "train", fx.net, "-o", w, "--data", fx.npz, "--epochs", "1", "--batch", "32",
                              "--quiet", NULL };
      const char *model[] = { "latency", "model", fx.net, "--target", "gap8", "-o", table, NULL };
      fb_test_cli_expect (train, 0, NULL);
      fb_test_cli_expect (model, 0, NULL);
    }
  return TRUE;
}

/* @args (its -o FILE at @out_at) on one process, then on 2 ranks with -o
 * replaced by a second file; the two files and standard outputs compared,
 * with @mask (NULL: byte for byte). */
static void
same_on_two_ranks_out (const char **args, guint out_at, const char *name, const char *mask, gboolean same_stdout,
                       char **stdout_1)
{
  g_autofree char *one = g_strdup_printf ("%s/%s-1.json", fx.dir, name);
  g_autofree char *two = g_strdup_printf ("%s/%s-2.json", fx.dir, name);
  g_auto(FbTestRun) r1 = { 0 };
  g_auto(FbTestRun) r2 = { 0 };
  const char *const *lists[1] = { args };

  args[out_at] = one;
  fb_test_run_cli (&r1, args);
  g_assert_cmpint (r1.status, ==, 0);
  args[out_at] = two;
  run_mpi (&r2, 2, lists, 1);
  g_assert_cmpint (r2.status, ==, 0);
  if (mask != NULL)
    assert_same_masked (one, two, mask);
  else
    assert_same_file (one, two);
  if (same_stdout)
    g_assert_cmpstr (r1.out, ==, r2.out);
  if (stdout_1 != NULL)
    *stdout_1 = g_strdup (r1.out);
}

static void
same_on_two_ranks (const char **args, guint out_at, const char *name, const char *mask, gboolean same_stdout)
{
  same_on_two_ranks_out (args, out_at, name, mask, same_stdout, NULL);
}

/* eval --configs: five configs (one per line) measured on 2 ranks. */
static void
test_eval_configs (void)
{
  g_autofree char *list = NULL, *w = NULL, *table = NULL, *text = NULL;

  if (!have_inputs ())
    return;
  list = path ("configs.txt");
  w = path ("float.fbw");
  table = path ("gap8.json");
  g_assert_true (g_file_set_contents (list, "# uniform configs\nw8a8\nw4a8\n\nw4a4\nw2a4\nw8a2\n", -1, NULL));
  {
    const char *args[] = { "eval", fx.net, "--configs", list, "-l", table, "--weights", w, "--data", fx.npz,
                           "-o", NULL, NULL };
    same_on_two_ranks (args, 11, "eval", NULL, TRUE);
  }
  {
    g_autofree char *one = path ("eval-1.json");
    text = fb_test_read_file (one);
  }
  g_assert_nonnull (strstr (text, "\"accuracy_limit\" : 0"));
  g_assert_null (strstr (text, "\"accuracy\" : null"));
}

/* search's results measured over the ranks (the uniform baselines), and the
 * sensitivities of Pareto's accuracy objective. */
static void
test_search_measure (void)
{
  g_autofree char *w = NULL, *table = NULL, *text = NULL;

  if (!have_inputs ())
    return;
  w = path ("float.fbw");
  table = path ("gap8.json");
  {
    const char *args[] = { "search", fx.net, "--method", "uniform", "-l", table, "--weights", w, "--data", fx.npz,
                           "--limit", "40", "-o", NULL, NULL };
    same_on_two_ranks (args, 13, "uniform", NULL, TRUE);
  }
  {
    /* The accuracy objective: the sensitivities measured over the ranks. */
    const char *args[] = { "search", fx.net, "--method", "pareto", "--objectives", "latency,size,accuracy",
                           "-l", table, "--weights", w, "--data", fx.npz, "--limit", "40", "--no-measure",
                           "-o", NULL, NULL };
    same_on_two_ranks (args, 16, "pareto-accuracy", NULL, TRUE);
  }
  {
    /* Free Bits' lowering step: its moves evaluated one per rank at a time. */
    const char *args[] = { "search", fx.net, "--method", "free-bits", "--config", "w8a8", "-l", table,
                           "--weights", w, "--data", fx.npz, "--max-accuracy-drop", "0.2", "--min-gain", "0",
                           "--limit", "40", "-o", NULL, NULL };
    g_autofree char *xp = path ("gap8-xpulpnn.json");
    g_autofree char *printed = NULL;
    const char *model[] = { "latency", "model", fx.net, "--target", "gap8-xpulpnn", "-o", xp, NULL };

    /* A core with sub-byte SIMD: lower bits are faster, so there are moves to try. */
    fb_test_cli_expect (model, 0, NULL);
    args[7] = xp;
    same_on_two_ranks_out (args, 19, "free-bits", NULL, TRUE, &printed);
    g_assert_nonnull (strstr (printed, "pt below the reference"));
  }
  {
    g_autofree char *one = path ("uniform-1.json");
    text = fb_test_read_file (one);
  }
  g_assert_nonnull (strstr (text, "\"accuracy_limit\" : 40"));
}

/* The λ sweep: two λ values on two ranks (one each), then one λ with its
 * steps' four shards split over the two ranks. */
static void
test_diff (void)
{
  g_autofree char *w = NULL;

  if (!have_inputs ())
    return;
  w = path ("float.fbw");
  {
    const char *args[] = { "search", fx.net, "--method", "diff", "--weights", w, "--data", fx.npz,
                           "--lambdas", "0,2", "--steps", "6", "--batch", "32", "--limit", "40", "-o", NULL, NULL };
    same_on_two_ranks (args, 17, "diff-lambdas", SECONDS, FALSE);
  }
  {
    const char *args[] = { "search", fx.net, "--method", "diff", "--weights", w, "--data", fx.npz,
                           "--lambdas", "1", "--steps", "6", "--batch", "32", "--shards", "4", "--no-measure",
                           "-o", NULL, NULL };
    same_on_two_ranks (args, 18, "diff-shards", SECONDS, FALSE);
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mpi/eval-configs", test_eval_configs);
  g_test_add_func ("/mpi/search-measure", test_search_measure);
  g_test_add_func ("/mpi/diff-sweep", test_diff);
  status = g_test_run ();
  fb_mpi_test_cleanup ();
  return status;
}

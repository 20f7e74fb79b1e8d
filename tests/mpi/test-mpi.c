/* test-mpi.c — freebits-cli under `mpirun -n 2 --oversubscribe` on localhost.
 *
 * Each distributed command gives the file one process gives, byte for byte:
 * `latency measure` (rv32imc under QEMU) and `compare -o` with measured
 * accuracy (training: test-mpi-train.c).  A
 * rank that fails on a bad input file (MPMD: rank 1 gets another file) ends the
 * whole run: exit status 2, one line naming rank 1, no output file; a rank
 * killed in the middle of training (FB_TEST_MPI_KILL_RANK) ends it too, with
 * mpirun's line naming the rank and no output file.
 *
 * Skipped (g_test_skip) when freebits-cli was built without MPI or mpirun is
 * not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-mpi-test-util.h"

/* compare with accuracy measured on 2 ranks: the same JSON file and text. */
static void
test_compare (void)
{
  g_autofree char *w = NULL, *table = NULL, *c1 = NULL, *c2 = NULL;
  g_auto(FbTestRun) one = { 0 };
  g_auto(FbTestRun) two = { 0 };

  if (!have_mpi ())
    return;
  w = path ("cmp.fbw");
  table = path ("gap8.json");
  c1 = path ("compare-1.json");
  c2 = path ("compare-2.json");
  {
    const char *train[] = { "train", fx.net, "-o", w, "--data", fx.npz, "--epochs", "1", "--batch", "32",
                            "--quiet", NULL };
    const char *model[] = { "latency", "model", fx.net, "--target", "gap8", "-o", table, NULL };
    fb_test_cli_expect (train, 0, NULL);
    fb_test_cli_expect (model, 0, NULL);
  }
  {
    const char *a1[] = { "compare", fx.net, "-l", table, "--weights", w, "--data", fx.npz, "--samples", "12",
                         "--max-front", "4", "-o", c1, NULL };
    const char *a2[] = { "compare", fx.net, "-l", table, "--weights", w, "--data", fx.npz, "--samples", "12",
                         "--max-front", "4", "-o", c2, NULL };
    const char *const *lists[1] = { a2 };
    g_autofree char *text = NULL;

    fb_test_run_cli (&one, a1);
    g_assert_cmpint (one.status, ==, 0);
    run_mpi (&two, 2, lists, 1);
    g_assert_cmpint (two.status, ==, 0);
    assert_same_file (c1, c2);
    g_assert_cmpstr (one.out, ==, two.out);
    text = fb_test_read_file (c1);
    g_assert_nonnull (strstr (text, "\"accuracy\" : \"measured\""));
  }
}

/* latency measure rv32imc: the table of 2 ranks is the table of 1 process. */
static void
test_latency (void)
{
  g_autofree char *t1 = NULL, *t2 = NULL;
  g_auto(FbTestRun) one = { 0 };

  if (!have_mpi ())
    return;
  t1 = path ("rv32-1.json");
  t2 = path ("rv32-2.json");
  {
    const char *a1[] = { "latency", "measure", fx.net, "-t", "rv32imc", "-j", "1", "-q", "-o", t1, NULL };
    const char *a2[] = { "latency", "measure", fx.net, "-t", "rv32imc", "-j", "1", "-q", "-o", t2, NULL };
    fb_test_run_cli (&one, a1);
    if (one.status != 0 && (strstr (one.err, "riscv") != NULL || strstr (one.err, "qemu") != NULL))
      {
        g_test_skip ("no rv32imc toolchain or QEMU (tools/deps.sh FB_PKGS_TARGET)");
        return;
      }
    g_assert_cmpint (one.status, ==, 0);
    expect_mpi_ok (2, a2);
    assert_same_file (t1, t2);
  }
}

/* A bad input on rank 1 only: exit 2, one line that names rank 1 and the file,
 * no output file. */
static void
test_failing_rank (void)
{
  g_autofree char *bad = NULL, *out = NULL, *table = NULL, *bad_data = NULL;

  if (!have_mpi ())
    return;
  bad = path ("bad.json");
  out = path ("never.json");
  table = path ("fail-gap8.json");
  bad_data = path ("bad.npz");
  g_assert_true (g_file_set_contents (bad, "{ \"format\": \"freebits-network/1\", \"name\": 3 }", -1, NULL));
  g_assert_true (g_file_set_contents (bad_data, "not a zip", -1, NULL));
  {
    const char *model[] = { "latency", "model", fx.net, "--target", "gap8", "-o", table, NULL };
    fb_test_cli_expect (model, 0, NULL);
  }
  for (guint c = 0; c < 2; c++)
    {
      /* compare with a bad network on rank 1; train with a bad data set on rank 1 */
      const char *good_cmp[] = { "compare", fx.net, "-l", table, "--samples", "4", "-o", out, NULL };
      const char *bad_cmp[] = { "compare", bad, "-l", table, "--samples", "4", "-o", out, NULL };
      const char *good_train[] = { "train", fx.net, "-o", out, "--data", fx.npz, "--epochs", "1", "--quiet", NULL };
      const char *bad_train[] = { "train", fx.net, "-o", out, "--data", bad_data, "--epochs", "1", "--quiet", NULL };
      const char *const *lists[2] = { c == 0 ? good_cmp : good_train, c == 0 ? bad_cmp : bad_train };
      g_auto(FbTestRun) r = { 0 };
      g_auto(GStrv) lines = NULL;
      guint n_ours = 0;

      run_mpi (&r, 2, lists, 2);
      g_assert_cmpint (r.status, ==, 2);
      lines = g_strsplit (r.err, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (lines[i], "freebits-cli:"))
          {
            n_ours++;
            g_assert_nonnull (strstr (lines[i], "rank 1: "));
            g_assert_nonnull (strstr (lines[i], c == 0 ? "bad.json" : "bad.npz"));
          }
      g_assert_cmpuint (n_ours, ==, 1);
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

/* Rank 1 killed (SIGKILL) at its first all-gather of a training step. */
static void
test_killed_rank (void)
{
  g_autofree char *out = NULL;
  g_auto(FbTestRun) r = { 0 };

  if (!have_mpi ())
    return;
  out = path ("killed.fbw");
  {
    const char *args[] = { "train", fx.net, "-o", out, "--data", fx.npz, "--epochs", "1", "--batch", "32",
                           "--quiet", NULL };
    const char *const *lists[1] = { args };
    g_setenv ("FB_TEST_MPI_KILL_RANK", "1", TRUE);
    loud = TRUE;
    run_mpi (&r, 2, lists, 1);
    loud = FALSE;
    g_unsetenv ("FB_TEST_MPI_KILL_RANK");
  }
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "rank 1"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mpi/failing-rank", test_failing_rank);
  g_test_add_func ("/mpi/killed-rank", test_killed_rank);
  g_test_add_func ("/mpi/compare", test_compare);
  g_test_add_func ("/mpi/latency-measure", test_latency);
  status = g_test_run ();
  fb_mpi_test_cleanup ();
  return status;
}

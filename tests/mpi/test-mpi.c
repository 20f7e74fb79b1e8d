/* test-mpi.c — freebits-cli under `mpirun -n 2 --oversubscribe` on localhost.
 *
 * Each distributed command gives the file one process gives, byte for byte:
 * `latency measure` (rv32imc under QEMU), `compare -o` with measured accuracy,
 * and `train` (float, 2 epochs), `train --supernet` and `finetune` — the weights
 * files equal except the wall-clock "train_seconds" of their provenance.  A
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
#include <unistd.h>

#include "fb-test-util.h"
#include "fb-dataset-test-util.h"

#define N_TRAIN 256
#define N_TEST 64

static const char tiny_rgb[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-rgb\","
  "  \"input\": { \"name\": \"input\", \"shape\": [16, 16, 3] },"
  "  \"layers\": ["
  "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\","
  "     \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 8 },"
  "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\","
  "     \"kernel\": 3, \"stride\": 1, \"pad\": 1 },"
  "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p2\","
  "     \"kernel\": 1, \"cout\": 16 },"
  "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"p2\"], \"output\": \"pool\" },"
  "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 }"
  "  ] }";

static struct {
  char *dir, *net, *npz;
} fx;

/* TRUE when the case can run; else it is skipped with the reason. */
static gboolean
have_mpi (void)
{
  g_autofree char *mpirun = g_find_program_in_path ("mpirun");

  if (g_strcmp0 (g_getenv ("FB_MPI_BUILD"), "1") != 0)
    {
      g_test_skip ("freebits-cli was built without MPI (meson option mpi: install libopenmpi-dev "
                   "and reconfigure)");
      return FALSE;
    }
  if (mpirun == NULL)
    {
      g_test_skip ("mpirun is not installed (Debian: openmpi-bin)");
      return FALSE;
    }
  if (fb_test_skip_without_cli ("train"))
    return FALSE;
  if (fx.dir == NULL)
    {
      g_auto(FbTestSet) s = { 0 };
      const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
      GBytes *m[4];

      fx.dir = fb_test_tmpdir_new ();
      fx.net = g_build_filename (fx.dir, "tiny-rgb.json", NULL);
      fx.npz = g_build_filename (fx.dir, "set.npz", NULL);
      g_assert_true (g_file_set_contents (fx.net, tiny_rgb, -1, NULL));
      fb_test_set_init (&s, N_TRAIN + N_TEST, 16, 16, 3, 10, FALSE, 7);
      m[0] = fb_test_set_x_npy (&s, 0, N_TRAIN, FALSE);
      m[1] = fb_test_set_y_npy (&s, 0, N_TRAIN);
      m[2] = fb_test_set_x_npy (&s, N_TRAIN, N_TEST, FALSE);
      m[3] = fb_test_set_y_npy (&s, N_TRAIN, N_TEST);
      fb_test_write_npz (fx.npz, 4, names, m, FALSE);
      for (guint i = 0; i < 4; i++)
        g_bytes_unref (m[i]);
    }
  return TRUE;
}

static char *
path (const char *name)
{
  return g_build_filename (fx.dir, name, NULL);
}

/* In @cwd (NULL: here): $FB_CLI @ranks[0] with @n 0; else mpirun -n @n $FB_CLI @ranks[0],
 * or with several lists MPMD, one rank each: "-n 1 $FB_CLI A : -n 1 $FB_CLI B". */
static gboolean loud;   /* mpirun without -q: its own messages (a killed rank) */

static void
run_in (FbTestRun *r, const char *cwd, guint n, const char *const *const *ranks, guint n_lists)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *n_text = g_strdup_printf ("%u", n);
  int wait_status = 0;

  if (n > 0)
    {
      g_ptr_array_add (argv, (gpointer) "mpirun");
      g_ptr_array_add (argv, loud ? (gpointer) "-x" : (gpointer) "-q");
      if (loud)
        g_ptr_array_add (argv, (gpointer) "FB_TEST_MPI_KILL_RANK");
      g_ptr_array_add (argv, (gpointer) "--oversubscribe");
      if (getuid () == 0)
        g_ptr_array_add (argv, (gpointer) "--allow-run-as-root");
    }
  for (guint l = 0; l < n_lists; l++)
    {
      if (l > 0)
        g_ptr_array_add (argv, (gpointer) ":");
      if (n > 0)
        {
          g_ptr_array_add (argv, (gpointer) "-n");
          g_ptr_array_add (argv, n_lists > 1 ? (gpointer) "1" : n_text);
        }
      g_ptr_array_add (argv, (gpointer) g_getenv ("FB_CLI"));
      for (guint i = 0; ranks[l][i] != NULL; i++)
        g_ptr_array_add (argv, (gpointer) ranks[l][i]);
    }
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (cwd, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &r->out,
                &r->err, &wait_status, &error);
  g_assert_no_error (error);
  r->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  g_test_message ("%u ranks: exit %d, stderr: %s", n, r->status, r->err);
}

static void
run_mpi (FbTestRun *r, guint n, const char *const *const *ranks, guint n_lists)
{
  run_in (r, NULL, n, ranks, n_lists);
}

/* @args in the subdirectory @sub of the fixture, on @n ranks (0: no mpirun). */
static void
expect_ok_in (const char *sub, guint n, const char *const *args)
{
  g_auto(FbTestRun) r = { 0 };
  g_autofree char *dir = g_build_filename (fx.dir, sub, NULL);
  const char *const *lists[1] = { args };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  run_in (&r, dir, n, lists, 1);
  g_assert_cmpint (r.status, ==, 0);
}

static void
expect_mpi_ok (guint n, const char *const *args)
{
  g_auto(FbTestRun) r = { 0 };
  const char *const *lists[1] = { args };
  run_mpi (&r, n, lists, 1);
  g_assert_cmpint (r.status, ==, 0);
}

static void
assert_same_file (const char *a, const char *b)
{
  g_autofree char *ta = NULL, *tb = NULL;
  gsize la = 0, lb = 0;
  g_assert_true (g_file_get_contents (a, &ta, &la, NULL));
  g_assert_true (g_file_get_contents (b, &tb, &lb, NULL));
  g_assert_cmpuint (la, >, 0);
  g_assert_cmpmem (ta, la, tb, lb);
}

/* freebits-weights/1: a JSON header, a NUL, padding, the float32 blob.  The blobs
 * must be equal bytes; the headers too once "train_seconds" (wall clock) is masked. */
static void
assert_same_weights (const char *a, const char *b)
{
  g_autofree char *ta = NULL, *tb = NULL;
  gsize la = 0, lb = 0;
  g_autoptr(GRegex) re = g_regex_new ("\"train_seconds\" *: *[-0-9.eE+]+", 0, 0, NULL);
  g_autofree char *ha = NULL, *hb = NULL;
  gsize na, nb;

  g_assert_true (g_file_get_contents (a, &ta, &la, NULL));
  g_assert_true (g_file_get_contents (b, &tb, &lb, NULL));
  na = strlen (ta);
  nb = strlen (tb);
  g_assert_cmpuint (na, <, la);
  g_assert_cmpuint (nb, <, lb);
  ha = g_regex_replace_literal (re, ta, -1, 0, "\"train_seconds\": T", 0, NULL);
  hb = g_regex_replace_literal (re, tb, -1, 0, "\"train_seconds\": T", 0, NULL);
  g_assert_nonnull (strstr (ha, "\"train_seconds\": T"));
  g_assert_cmpstr (ha, ==, hb);
  /* the blobs start at the next 64-byte boundary after the NUL */
  na = (na + 1 + 63) / 64 * 64;
  nb = (nb + 1 + 63) / 64 * 64;
  g_assert_cmpuint (la - na, >, 1000);
  g_assert_cmpmem (ta + na, la - na, tb + nb, lb - nb);
}

/* train (float), train --supernet and finetune: 2 ranks = 1 process.  Each run
 * in its own directory ("one", "two") with the same relative file names, so
 * the command recorded in the provenance is the same too. */
static void
test_train (void)
{
  const char *train[] = { "train", NULL, "-o", "float.fbw", "--data", NULL, "--epochs", "2", "--batch", "32",
                          "--shards", "4", "--lr", "0.05", "--quiet", NULL };
  const char *super[] = { "train", NULL, "-o", "super.fbw", "--supernet", "--init", "float.fbw", "--data", NULL,
                          "--epochs", "1", "--batch", "32", "--lr", "0.02", "--distill", "--quiet", NULL };
  const char *fine[] = { "finetune", NULL, "--config", "w4a4", "--weights", "super.fbw", "-o", "fine.fbw",
                         "--data", NULL, "--epochs", "1", "--batch", "32", "--quiet", NULL };
  const char *files[] = { "float.fbw", "super.fbw", "fine.fbw" };
  const char *const *steps[] = { train, super, fine };

  if (!have_mpi ())
    return;
  train[1] = super[1] = fine[1] = fx.net;
  train[5] = super[8] = fine[9] = fx.npz;
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *a = g_build_filename (fx.dir, "one", files[i], NULL);
      g_autofree char *b = g_build_filename (fx.dir, "two", files[i], NULL);
      expect_ok_in ("one", 0, steps[i]);
      expect_ok_in ("two", 2, steps[i]);
      assert_same_weights (a, b);
    }
}

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
  g_test_add_func ("/mpi/train", test_train);
  g_test_add_func ("/mpi/latency-measure", test_latency);
  status = g_test_run ();
  if (fx.dir != NULL)
    fb_test_tmpdir_free (fx.dir);
  return status;
}

/* fb-mpi-test-util.h — freebits-cli under `mpirun --oversubscribe` on localhost,
 * for the tests in tests/mpi: the fixture (a tiny network and data set), runs
 * on N ranks or one process, and byte comparisons of outputs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

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

/* The fixture of a test binary: a temporary folder with a tiny RGB network and
 * a data set (made by the first fb_mpi_test_have_mpi()). */
static struct {
  char *dir, *net, *npz;
} fx;

/* TRUE when the case can run; else it is skipped with the reason. */
static inline gboolean
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

static inline char *
path (const char *name)
{
  return g_build_filename (fx.dir, name, NULL);
}

/* In @cwd (NULL: here): $FB_CLI @ranks[0] with @n 0; else mpirun -n @n $FB_CLI @ranks[0],
 * or with several lists MPMD, one rank each: "-n 1 $FB_CLI A : -n 1 $FB_CLI B". */
static gboolean loud;   /* mpirun without -q: its own messages (a killed rank) */

static inline void
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
      if (g_getenv ("FB_TEST_STOP_AFTER_EPOCH") != NULL)
        {
          g_ptr_array_add (argv, (gpointer) "-x");
          g_ptr_array_add (argv, (gpointer) "FB_TEST_STOP_AFTER_EPOCH");
        }
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

static inline void
run_mpi (FbTestRun *r, guint n, const char *const *const *ranks, guint n_lists)
{
  run_in (r, NULL, n, ranks, n_lists);
}

/* @args in the subdirectory @sub of the fixture, on @n ranks (0: no mpirun). */
static inline void
expect_ok_in (const char *sub, guint n, const char *const *args)
{
  g_auto(FbTestRun) r = { 0 };
  g_autofree char *dir = g_build_filename (fx.dir, sub, NULL);
  const char *const *lists[1] = { args };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  run_in (&r, dir, n, lists, 1);
  g_assert_cmpint (r.status, ==, 0);
}

static inline void
expect_mpi_ok (guint n, const char *const *args)
{
  g_auto(FbTestRun) r = { 0 };
  const char *const *lists[1] = { args };
  run_mpi (&r, n, lists, 1);
  g_assert_cmpint (r.status, ==, 0);
}

static inline void
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
static inline void
assert_same_weights_but (const char *a, const char *b, const char *also)
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
  if (also != NULL)
    {
      /* and @also (e.g. the command line recorded) */
      g_autoptr(GRegex) more = g_regex_new (also, 0, 0, NULL);
      char *ma = g_regex_replace_literal (more, ha, -1, 0, "MASKED", 0, NULL);
      char *mb = g_regex_replace_literal (more, hb, -1, 0, "MASKED", 0, NULL);
      g_free (ha);
      g_free (hb);
      ha = ma;
      hb = mb;
    }
  g_assert_nonnull (strstr (ha, "\"train_seconds\": T"));
  g_assert_cmpstr (ha, ==, hb);
  /* the blobs start at the next 64-byte boundary after the NUL */
  na = (na + 1 + 63) / 64 * 64;
  nb = (nb + 1 + 63) / 64 * 64;
  g_assert_cmpuint (la - na, >, 1000);
  g_assert_cmpmem (ta + na, la - na, tb + nb, lb - nb);
}

static inline void
assert_same_weights (const char *a, const char *b)
{
  assert_same_weights_but (a, b, NULL);
}

/* Two text files equal once every match of @pattern (a wall-clock field) is masked. */
static inline void
assert_same_masked (const char *a, const char *b, const char *pattern)
{
  g_autofree char *ta = NULL, *tb = NULL, *ma = NULL, *mb = NULL;
  g_autoptr(GRegex) re = g_regex_new (pattern, 0, 0, NULL);

  g_assert_true (g_file_get_contents (a, &ta, NULL, NULL));
  g_assert_true (g_file_get_contents (b, &tb, NULL, NULL));
  g_assert_cmpuint (strlen (ta), >, 0);
  ma = g_regex_replace_literal (re, ta, -1, 0, "MASKED", 0, NULL);
  mb = g_regex_replace_literal (re, tb, -1, 0, "MASKED", 0, NULL);
  g_assert_cmpstr (ma, ==, mb);
}

/* Removes the fixture (end of main). */
static inline void
fb_mpi_test_cleanup (void)
{
  if (fx.dir != NULL)
    fb_test_tmpdir_free (fx.dir);
}

/* test-mpi-resume.c — `train --resume` with another rank count.
 *
 * Training stopped after its first epoch (FB_TEST_STOP_AFTER_EPOCH=1, as
 * Ctrl-C would stop it: exit 130, the checkpoint written by rank 0) on 2
 * ranks and resumed on 1 process, and the reverse, ends with the weights of
 * an uninterrupted one-process run: the tensors byte for byte, the header
 * but for the wall-clock "train_seconds" and the command line recorded.
 *
 * Skipped (g_test_skip) when freebits-cli was built without MPI or mpirun is
 * not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-mpi-test-util.h"

/* @args in the subdirectory @sub of the fixture, on @n ranks (0: no
 * mpirun); its exit status. */
static int
run_sub (const char *sub, guint n, const char *const *args)
{
  g_auto(FbTestRun) r = { 0 };
  g_autofree char *dir = g_build_filename (fx.dir, sub, NULL);
  const char *const *lists[1] = { args };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  run_in (&r, dir, n, lists, 1);
  return r.status;
}

/* Train 2 epochs on @first ranks stopped after the first, resumed on @then. */
static void
stop_and_resume (const char *sub, guint first, guint then)
{
  const char *train[] = { "train", fx.net, "-o", "float.fbw", "--data", fx.npz, "--epochs", "2", "--batch", "32",
                          "--shards", "4", "--lr", "0.05", "--quiet", NULL };
  const char *resume[] = { "train", fx.net, "-o", "float.fbw", "--data", fx.npz, "--resume", "--quiet", NULL };
  g_autofree char *ckpt = g_build_filename (fx.dir, sub, "float.fbw.ckpt", NULL);
  g_autofree char *out = g_build_filename (fx.dir, sub, "float.fbw", NULL);
  g_autofree char *straight = g_build_filename (fx.dir, "straight", "float.fbw", NULL);

  g_setenv ("FB_TEST_STOP_AFTER_EPOCH", "1", TRUE);
  g_assert_cmpint (run_sub (sub, first, train), ==, 130);
  g_unsetenv ("FB_TEST_STOP_AFTER_EPOCH");
  g_assert_true (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_sub (sub, then, resume), ==, 0);
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  assert_same_weights_but (straight, out, "\"command\" : \"[^\"]*\"");
}

static void
test_resume (void)
{
  const char *train[] = { "train", fx.net, "-o", "float.fbw", "--data", fx.npz, "--epochs", "2", "--batch", "32",
                          "--shards", "4", "--lr", "0.05", "--quiet", NULL };

  if (!have_mpi ())
    return;
  train[1] = fx.net;
  train[5] = fx.npz;
  g_assert_cmpint (run_sub ("straight", 0, train), ==, 0);
  g_test_message ("2 ranks, then 1 process");
  stop_and_resume ("two-then-one", 2, 0);
  g_test_message ("1 process, then 2 ranks");
  stop_and_resume ("one-then-two", 0, 2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mpi/resume-other-rank-count", test_resume);
  status = g_test_run ();
  fb_mpi_test_cleanup ();
  return status;
}

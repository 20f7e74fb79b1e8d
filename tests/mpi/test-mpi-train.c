/* test-mpi-train.c — training under `mpirun -n 2 --oversubscribe`: `train`
 * (float, 2 epochs), `train --supernet` and `finetune` on 2 ranks give the
 * weights files one process gives — equal but for the wall-clock
 * "train_seconds" of their provenance.
 *
 * Skipped (g_test_skip) when freebits-cli was built without MPI or mpirun is
 * not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-mpi-test-util.h"

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

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mpi/train", test_train);
  status = g_test_run ();
  fb_mpi_test_cleanup ();
  return status;
}

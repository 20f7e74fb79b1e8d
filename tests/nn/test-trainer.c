/* test-trainer.c — training behaviour: loss goes down, checkpoints resume
 * exactly, bad inputs are reported.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-error.h"
#include "fb-nn-test-util.h"
#include "fb-trainer.h"

typedef struct {
  GArray       *epoch_loss;
  GArray       *test_acc;
  GCancellable *cancel_at;   /* cancel after this many steps overall */
  guint         steps_seen;
  guint         cancel_after;
} Recorder;

static gboolean
record (FbTrainer *trainer, const FbTrainProgress *p, gpointer user_data, GError **error)
{
  Recorder *r = user_data;

  if (p->event == FB_TRAIN_EVENT_STEP)
    {
      g_assert_true (isfinite (p->loss));
      g_assert_cmpfloat (p->images_per_s, >, 0.0);
      r->steps_seen++;
      if (r->cancel_at != NULL && r->steps_seen == r->cancel_after)
        g_cancellable_cancel (r->cancel_at);
      return TRUE;
    }
  g_array_append_val (r->epoch_loss, p->loss);
  g_array_append_val (r->test_acc, p->test_accuracy);
  g_test_message ("epoch %u/%u: loss %.4f, train accuracy %.3f, test accuracy %.3f, %.0f images/s",
                  p->epoch + 1, p->epochs, p->loss, p->accuracy, p->test_accuracy, p->images_per_s);
  return TRUE;
}

static void
recorder_init (Recorder *r)
{
  r->epoch_loss = g_array_new (FALSE, FALSE, sizeof (double));
  r->test_acc = g_array_new (FALSE, FALSE, sizeof (double));
  r->cancel_at = NULL;
  r->steps_seen = 0;
  r->cancel_after = 0;
}

static void
recorder_clear (Recorder *r)
{
  g_array_unref (r->epoch_loss);
  g_array_unref (r->test_acc);
}

/* The bundled network on 2 000 Fashion-MNIST images: the loss must fall. */
static void
test_smoke_fashion_mnist (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, &error);
  g_autoptr(FbDataset) test = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbTrainer) trainer = NULL;
  FbTrainOptions opt;
  Recorder rec;
  double initial_loss = 0, acc = 0, loss = 0;
  gint64 t0 = g_get_monotonic_time ();

  if (train == NULL && g_error_matches (error, FB_ERROR, FB_ERROR_IO))
    {
      g_printerr ("SKIP: %s\n", error->message);
      g_test_skip_printf ("Fashion-MNIST is not installed: %s", error->message);
      return;
    }
  g_assert_no_error (error);
  test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
  g_assert_no_error (error);

  net = fb_test_load_bundled ("fmnist-mbv1.json");
  fb_train_options_init (&opt);
  opt.epochs = 3;
  opt.batch_size = 64;
  opt.lr = 0.1;
  opt.warmup_epochs = 0.5;
  opt.limit_train = 2000;
  trainer = fb_trainer_new (net, &opt, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (fb_trainer_evaluate (trainer, train, 2000, NULL, NULL, &initial_loss, &error));
  recorder_init (&rec);
  g_assert_true (fb_trainer_run (trainer, train, NULL, record, &rec, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (fb_trainer_is_finished (trainer));
  g_assert_cmpuint (rec.epoch_loss->len, ==, 3);
  g_assert_true (fb_trainer_evaluate (trainer, test, 1000, NULL, &acc, &loss, &error));
  g_test_message ("initial loss %.3f; epoch losses %.3f %.3f %.3f; test loss %.3f, accuracy %.3f "
                  "on 1000 images; %.1f s",
                  initial_loss, g_array_index (rec.epoch_loss, double, 0),
                  g_array_index (rec.epoch_loss, double, 1), g_array_index (rec.epoch_loss, double, 2),
                  loss, acc, (g_get_monotonic_time () - t0) / 1e6);
  /* Loss falls from chance level (ln 10 ≈ 2.30) epoch after epoch, and the
   * network generalizes well beyond chance (10 %). */
  g_assert_cmpfloat (g_array_index (rec.epoch_loss, double, 2), <, g_array_index (rec.epoch_loss, double, 0));
  g_assert_cmpfloat (g_array_index (rec.epoch_loss, double, 2), <, 0.75 * initial_loss);
  g_assert_cmpfloat (loss, <, initial_loss);
  g_assert_cmpfloat (acc, >, 0.5);
  recorder_clear (&rec);
}

static FbWeights *
train_tiny (FbNetwork *net, FbDataset *ds, const FbTrainOptions *opt, guint cancel_after,
            FbWeights **checkpoint_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) trainer = fb_trainer_new (net, opt, NULL, NULL, &error);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  Recorder rec;
  gboolean ok;

  g_assert_no_error (error);
  recorder_init (&rec);
  rec.cancel_at = cancel;
  rec.cancel_after = cancel_after;
  ok = fb_trainer_run (trainer, ds, ds, record, &rec, cancel, &error);
  recorder_clear (&rec);
  if (cancel_after > 0)
    {
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_false (fb_trainer_is_finished (trainer));
      *checkpoint_out = fb_trainer_get_checkpoint (trainer);
      return NULL;
    }
  g_assert_true (ok);
  return fb_trainer_get_weights (trainer);
}

/* Interrupted, saved, reloaded and resumed training ends with the very
 * weights of an uninterrupted run. Synthetic data: no package needed. */
static void
test_resume_is_exact (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", 300, 12, 12, 9);
  g_autoptr(FbNetwork) net = fb_test_tiny_network (12, 12);
  g_autoptr(FbWeights) straight = NULL, ck = NULL, ck_back = NULL, resumed = NULL;
  g_autoptr(FbTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "ck.fbw", NULL);
  FbTrainOptions opt, opt2;
  Recorder rec;

  fb_train_options_init (&opt);
  opt.epochs = 10;
  opt.batch_size = 32;
  opt.lr = 0.2;
  straight = train_tiny (net, ds, &opt, 0, NULL);
  /* 9 steps per epoch: stop in the middle of the second epoch. */
  train_tiny (net, ds, &opt, 13, &ck);
  g_assert_true (fb_weights_save (ck, path, &error));
  g_assert_no_error (error);

  ck_back = fb_weights_load (path, net, &error);
  g_assert_no_error (error);
  g_assert_true (fb_train_options_from_checkpoint (&opt2, ck_back, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (opt.epochs, ==, opt2.epochs);
  g_assert_cmpuint (opt.batch_size, ==, opt2.batch_size);
  g_assert_cmpfloat (opt.lr, ==, opt2.lr);
  g_assert_cmpfloat (opt.momentum, ==, opt2.momentum);
  g_assert_cmpint (opt.nesterov, ==, opt2.nesterov);
  g_assert_cmpfloat (opt.weight_decay, ==, opt2.weight_decay);
  g_assert_cmpfloat (opt.warmup_epochs, ==, opt2.warmup_epochs);
  g_assert_cmpuint (opt.seed, ==, opt2.seed);
  g_assert_cmpuint (opt.limit_train, ==, opt2.limit_train);
  g_assert_cmpint (opt.augment, ==, opt2.augment);
  trainer = fb_trainer_new (net, &opt2, ck_back, path, &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_resume (trainer, ck_back, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fb_trainer_get_epoch (trainer), ==, 1);
  g_assert_cmpuint (fb_trainer_get_step (trainer), ==, 4);
  recorder_init (&rec);
  g_assert_true (fb_trainer_run (trainer, ds, ds, record, &rec, NULL, &error));
  g_assert_no_error (error);
  recorder_clear (&rec);
  resumed = fb_trainer_get_weights (trainer);

  g_assert_cmpuint (fb_weights_get_n_tensors (resumed), ==, fb_weights_get_n_tensors (straight));
  for (guint i = 0; i < fb_weights_get_n_tensors (straight); i++)
    {
      const FbWeightsTensor *a = fb_weights_get_tensor (straight, i);
      const FbWeightsTensor *b = fb_weights_get_tensor (resumed, i);
      g_assert_cmpstr (a->param, ==, b->param);
      for (gsize k = 0; k < a->n; k++)
        if (fabsf (a->data[k] - b->data[k]) > 1e-5f * MAX (1.0f, fabsf (a->data[k])))
          g_error ("%s/%s[%" G_GSIZE_FORMAT "]: %g uninterrupted, %g resumed", a->layer, a->param,
                   k, a->data[k], b->data[k]);
    }
  /* The synthetic task is easy: the tiny network must have learnt it. */
  g_assert_cmpfloat (fb_trainer_get_test_accuracy (trainer), >, 0.6);
  fb_test_tmpdir_free (dir);
}

/* Trained weights give the same evaluation after a save/load round trip. */
static void
test_weights_reload_same_accuracy (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", 200, 12, 12, 3);
  g_autoptr(FbNetwork) net = fb_test_tiny_network (12, 12);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) w = NULL, back = NULL;
  g_autoptr(FbTrainer) a = NULL, b = NULL;
  g_autofree char *path = g_build_filename (dir, "w.fbw", NULL);
  FbTrainOptions opt;
  double acc_a = 0, acc_b = 0, loss_a = 0, loss_b = 0;

  fb_train_options_init (&opt);
  opt.epochs = 2;
  opt.batch_size = 25;
  w = train_tiny (net, ds, &opt, 0, NULL);
  g_assert_true (fb_weights_save (w, path, &error));
  back = fb_weights_load (path, net, &error);
  g_assert_no_error (error);
  a = fb_trainer_new (net, &opt, w, "memory", &error);
  g_assert_no_error (error);
  b = fb_trainer_new (net, &opt, back, path, &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_evaluate (a, ds, 0, NULL, &acc_a, &loss_a, NULL));
  g_assert_true (fb_trainer_evaluate (b, ds, 0, NULL, &acc_b, &loss_b, NULL));
  g_assert_cmpfloat (acc_a, ==, acc_b);
  g_assert_cmpfloat (loss_a, ==, loss_b);
  g_assert_true (json_object_has_member (fb_weights_get_training (back), "float_test_accuracy"));
  fb_test_tmpdir_free (dir);
}

static void
test_dataset_shape_mismatch (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", 20, 10, 10, 3);
  g_autoptr(FbNetwork) net = fb_test_tiny_network (12, 12);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) t = NULL;
  FbTrainOptions opt;

  fb_train_options_init (&opt);
  opt.batch_size = 8;
  t = fb_trainer_new (net, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fb_trainer_run (t, ds, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_SHAPE);
  fb_test_assert_mentions (error->message, "12×12×1");
  fb_test_assert_mentions (error->message, "10×10×1");
  fb_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/trainer/resume-is-exact", test_resume_is_exact);
  g_test_add_func ("/nn/trainer/weights-reload-same-accuracy", test_weights_reload_same_accuracy);
  g_test_add_func ("/nn/trainer/dataset-shape-mismatch", test_dataset_shape_mismatch);
  g_test_add_func ("/nn/trainer/smoke-fashion-mnist-2000", test_smoke_fashion_mnist);
  return g_test_run ();
}

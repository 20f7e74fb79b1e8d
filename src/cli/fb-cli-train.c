/* fb-cli-train.c — freebits-cli train NETWORK -o WEIGHTS [options]
 *
 * Float training on a dataset (--data; default Fashion-MNIST) with a one-line progress display, a test
 * evaluation and an atomic checkpoint (WEIGHTS.ckpt) after every epoch.
 * Ctrl-C (or SIGTERM) finishes the current step, writes the checkpoint and
 * exits with 130; --resume continues from it with the same batches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fb-mpi.h"
#include "fb-build-config.h"
#include "fb-cli.h"
#include "fb-dataset.h"
#include "fb-error.h"
#include "fb-trainer.h"

#define FB_CLI_EXIT_INTERRUPTED 130

/* Set by the signal handler; the progress callback turns it into a
 * cancellation between steps (GCancellable is not async-signal-safe). */
static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  interrupted = sig;
}

static void
install_handlers (void)
{
  struct sigaction sa = { 0 };

  sa.sa_handler = on_signal;
  /* A second Ctrl-C kills at once: the checkpoint on disk stays whole
   * because it is only ever replaced by rename. */
  sa.sa_flags = SA_RESETHAND;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

typedef struct {
  GCancellable *cancellable;
  const char   *checkpoint_path;
  gboolean      tty;
  gboolean      quiet;
  gint64        last_print;
  gboolean      line_open;   /* a \r progress line is on screen */
} TrainUi;

static char *
format_duration (double s)
{
  guint64 t = (guint64) MAX (s, 0.0);
  if (t >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", t / 3600, (guint) (t / 60 % 60),
                            (guint) (t % 60));
  return g_strdup_printf ("%u:%02u", (guint) (t / 60), (guint) (t % 60));
}

static void
end_line (TrainUi *ui)
{
  if (ui->line_open)
    {
      fputs ("\r\033[K", stderr);
      ui->line_open = FALSE;
    }
}

static gboolean
on_progress (FbTrainer *trainer, const FbTrainProgress *p, gpointer user_data, GError **error)
{
  TrainUi *ui = user_data;
  gint64 now = g_get_monotonic_time ();

  if (interrupted)
    g_cancellable_cancel (ui->cancellable);

  if (p->event == FB_TRAIN_EVENT_STEP)
    {
      /* A TTY gets a live line (≤ 10 updates/s); a log gets one line per 30 s. */
      gint64 period = ui->tty ? G_USEC_PER_SEC / 10 : 30 * G_USEC_PER_SEC;
      if (ui->quiet || (now - ui->last_print < period && !(ui->tty && p->step == p->steps)))
        return TRUE;
      g_autofree char *eta = format_duration (p->eta_s);
      ui->last_print = now;
      g_printerr ("%sepoch %u/%u  step %u/%u  loss %.4f  acc %.1f%%  %.0f img/s  lr %.4f  ETA %s%s",
                  ui->tty ? "\r\033[K" : "", p->epoch + 1, p->epochs, p->step, p->steps, p->loss,
                  100 * p->accuracy, p->images_per_s, p->lr, eta, ui->tty ? "" : "\n");
      ui->line_open = ui->tty;
      return TRUE;
    }

  /* End of an epoch: the trainer has already advanced to the next one, so
   * the checkpoint resumes there. */
  {
    g_autoptr(FbWeights) ck = fb_trainer_get_checkpoint (trainer);
    g_autofree char *eta = format_duration (p->eta_s);

    if (fb_mpi_is_root () && !fb_weights_save (ck, ui->checkpoint_path, error))
      return FALSE;
    /* Tests: FB_TEST_STOP_AFTER_EPOCH=E stops as Ctrl-C would, at the end of
     * epoch E on every rank (a deterministic interruption for --resume). */
    if (g_getenv ("FB_TEST_STOP_AFTER_EPOCH") != NULL &&
        (guint) atoi (g_getenv ("FB_TEST_STOP_AFTER_EPOCH")) == p->epoch + 1)
      g_cancellable_cancel (ui->cancellable);
    end_line (ui);
    if (!ui->quiet && fb_trainer_get_options (trainer)->quant == FB_TRAIN_SUPERNET)
      g_printerr ("epoch %u/%u: train loss %.4f, train accuracy %.2f%% (all-8), test accuracy "
                  "w8a8 %.2f%%, w4a4 %.2f%%, w2a2 %.2f%% (fake-quant; w4a4, w2a2 with recalibrated batch norm), %.0f images/s, ETA %s\n",
                  p->epoch + 1, p->epochs, p->loss, 100 * p->accuracy, 100 * p->test_accuracy,
                  100 * p->test_w4a4, 100 * p->test_w2a2, p->images_per_s, eta);
    else if (!ui->quiet)
      g_printerr ("epoch %u/%u: train loss %.4f, train accuracy %.2f%%, test accuracy %.2f%% (%s), "
                  "%.0f images/s, ETA %s\n",
                  p->epoch + 1, p->epochs, p->loss, 100 * p->accuracy, 100 * p->test_accuracy,
                  fb_trainer_get_options (trainer)->quant == FB_TRAIN_FLOAT ? "float" : "fake-quant",
                  p->images_per_s, eta);
  }
  return TRUE;
}

/* With --resume, an option given on the command line must agree with the
 * checkpoint: silently training with other settings would not be a resume. */
static gboolean
check_same (const char *name, gboolean given, double cli, double ck, const char *path,
            GError **error)
{
  if (given && cli != ck)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: --%s %g differs from the checkpoint's %g; --resume continues with the "
                   "checkpoint's options (drop --%s, or start anew without --resume)",
                   path, name, cli, ck, name);
      return FALSE;
    }
  return TRUE;
}

static void
add_cli_provenance (FbWeights *w, int argc, char **argv, const char *data_path, FbDataset *train)
{
  JsonObject *training = fb_weights_get_training (w);
  g_autoptr(GString) cmd = g_string_new ("freebits-cli");

  for (int i = 0; i < argc; i++)
    {
      g_autofree char *q = g_shell_quote (argv[i]);
      g_string_append_c (cmd, ' ');
      g_string_append (cmd, argv[i][0] != '\0' && strpbrk (argv[i], " '\"\\$*?") == NULL ? argv[i] : q);
    }
  json_object_set_string_member (training, "tool", "freebits-cli " FB_VERSION);
  if (data_path == NULL)
    json_object_set_string_member (training, "data",
                                   "Fashion-MNIST (Debian package " FB_FASHION_MNIST_PACKAGE "), pixels / 255");
  else
    {
      g_autofree char *d = g_strdup_printf ("%s: %u examples %u×%u×%u, %s, %u classes", data_path,
                                            fb_dataset_get_n_images (train), fb_dataset_get_height (train),
                                            fb_dataset_get_width (train), fb_dataset_get_channels (train),
                                            fb_dataset_dtype_to_string (fb_dataset_get_source_dtype (train)),
                                            fb_dataset_get_n_classes (train));
      json_object_set_string_member (training, "data", d);
    }
  json_object_set_string_member (training, "command", cmd->str);
}

/* The training options as typed (-1 / NAN: not given). */
typedef struct {
  gint     epochs, batch, shards, limit, random_configs;
  gint64   seed;
  double   lr, wd, warmup;
  gboolean no_augment, supernet, distill;
  gint     min_bits;
} TrainArgs;

static const char train_summary[] =
  "Trains NETWORK on --data (default: Fashion-MNIST, Debian package dataset-fashion-mnist):\n"
  "conv → batch norm → ReLU, SGD with Nesterov momentum, cosine schedule; in float,\n"
  "or with --supernet quantization-aware for every precision config at once.\n"
  "A checkpoint is written after every epoch; Ctrl-C stops after the current step\n"
  "and writes it; --resume continues exactly where training stopped.";
static const char finetune_summary[] =
  "Quantization-aware fine-tuning of one precision config of NETWORK, starting from\n"
  "supernet weights (freebits-cli train --supernet), on --data (default Fashion-MNIST).\n"
  "The result has the same tensors (act_alpha, w_step, batch-norm statistics of this\n"
  "config).\n"
  "A checkpoint is written after every epoch; Ctrl-C stops after the current step\n"
  "and writes it; --resume continues exactly where training stopped.";

static gboolean
args_in_range (const TrainArgs *a)
{
  return !((a->epochs != -1 && a->epochs < 1) || (a->batch != -1 && a->batch < 1) ||
           (a->limit != -1 && a->limit < 1) || (a->shards != -1 && (a->shards < 1 || a->shards > 256)) ||
           (!isnan (a->lr) && !(a->lr > 0)) || (!isnan (a->wd) && !(a->wd >= 0)) ||
           (!isnan (a->warmup) && !(a->warmup >= 0)) || (a->seed != -1 && (a->seed < 0 || a->seed > G_MAXUINT32)) ||
           (a->random_configs != -1 && (a->random_configs < 0 || a->random_configs > 64)) ||
           (a->min_bits != -1 && a->min_bits != 2 && a->min_bits != 4 && a->min_bits != 8));
}

/* --resume: every option given must match the checkpoint's. */
static gboolean
check_args_same (const TrainArgs *a, const FbTrainOptions *opt, const char *checkpoint, GError **error)
{
  return check_same ("epochs", a->epochs != -1, a->epochs, opt->epochs, checkpoint, error) &&
         check_same ("batch", a->batch != -1, a->batch, opt->batch_size, checkpoint, error) &&
         check_same ("shards", a->shards != -1, a->shards, opt->shards, checkpoint, error) &&
         check_same ("lr", !isnan (a->lr), a->lr, opt->lr, checkpoint, error) &&
         check_same ("weight-decay", !isnan (a->wd), a->wd, opt->weight_decay, checkpoint, error) &&
         check_same ("warmup", !isnan (a->warmup), a->warmup, opt->warmup_epochs, checkpoint, error) &&
         check_same ("seed", a->seed != -1, (double) a->seed, opt->seed, checkpoint, error) &&
         check_same ("limit-train", a->limit != -1, a->limit, opt->limit_train, checkpoint, error) &&
         check_same ("no-augment", a->no_augment, a->no_augment, !opt->augment, checkpoint, error) &&
         check_same ("supernet", a->supernet, a->supernet, opt->quant == FB_TRAIN_SUPERNET, checkpoint, error) &&
         check_same ("random-configs", a->random_configs != -1, a->random_configs, opt->random_configs, checkpoint,
                     error) &&
         check_same ("distill", a->distill, a->distill, opt->distill, checkpoint, error) &&
         check_same ("min-bits", a->min_bits != -1, a->min_bits, opt->min_bits, checkpoint, error);
}

/* A new training: the options given replace the defaults. */
static void
apply_args (const TrainArgs *a, FbTrainOptions *opt)
{
  if (a->epochs != -1)
    opt->epochs = (guint) a->epochs;
  if (a->batch != -1)
    opt->batch_size = (guint) a->batch;
  if (a->shards != -1)
    opt->shards = (guint) a->shards;
  if (!isnan (a->lr))
    opt->lr = a->lr;
  if (!isnan (a->wd))
    opt->weight_decay = a->wd;
  if (!isnan (a->warmup))
    opt->warmup_epochs = a->warmup;
  if (a->seed != -1)
    opt->seed = (guint32) a->seed;
  if (a->limit != -1)
    opt->limit_train = (guint) a->limit;
  opt->augment = !a->no_augment;
  if (a->supernet)
    {
      opt->quant = FB_TRAIN_SUPERNET;
      opt->distill = a->distill;
      if (a->random_configs != -1)
        opt->random_configs = (guint) a->random_configs;
      if (a->min_bits != -1)
        opt->min_bits = (guint) a->min_bits;
    }
}

/* finetune --resume: the checkpoint records the config it fine-tunes. */
static gboolean
check_checkpoint_config (FbWeights *init, const FbTrainOptions *opt, FbPrecisionConfig *config,
                         const char *config_spec, const char *checkpoint, GError **error)
{
  JsonObject *ck = fb_weights_get_checkpoint (init);
  g_autofree char *want = fb_precision_config_to_string (config);
  const char *have = ck != NULL && json_object_has_member (ck, "config")
                       ? json_object_get_string_member (ck, "config") : NULL;

  if (opt->quant != FB_TRAIN_FIXED || g_strcmp0 (have, want) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, "%s: the checkpoint fine-tunes %s, not --config %s",
                   checkpoint, have != NULL ? have : "no fixed config", config_spec);
      return FALSE;
    }
  return TRUE;
}

/* Ctrl-C: the checkpoint written and how to resume. */
static int
report_interrupted (FbTrainer *trainer, const char *checkpoint, gboolean custom, const char *resume_args)
{
  g_autoptr(FbWeights) ck = fb_trainer_get_checkpoint (trainer);
  g_autoptr(GError) save_error = NULL;

  /* Rank 0 alone writes (every rank holds the same state); the others wait
   * for it, so that the run's end (MPI_Abort with this status) finds it written. */
  if (fb_mpi_is_root () && !fb_weights_save (ck, checkpoint, &save_error))
    return fb_cli_error (save_error, FB_CLI_EXIT_FAILED);
  fb_mpi_barrier ();
  if (!fb_mpi_is_root ())
    return FB_CLI_EXIT_INTERRUPTED;
  g_printerr ("freebits-cli: interrupted at epoch %u, step %u; checkpoint written to %s\n"
              "resume with: freebits-cli %s --resume%s%s\n",
              fb_trainer_get_epoch (trainer) + 1, fb_trainer_get_step (trainer), checkpoint, resume_args,
              custom ? " --checkpoint " : "", custom ? checkpoint : "");
  return FB_CLI_EXIT_INTERRUPTED;
}

/* What train and finetune read from their command line (-1 / NAN: not given). */
typedef struct {
  char    *output, *checkpoint, *data_dir, *layout, *init_path, *config_spec;
  double   val_split;
  gint     epochs, batch, shards, limit, random_configs;
  gint64   seed;
  double   lr, wd, warmup;
  gboolean resume, no_augment, quiet, supernet, distill;
  gint     min_bits;
} TrainCli;

static void
train_cli_clear (TrainCli *o)
{
  g_clear_pointer (&o->output, g_free);
  g_clear_pointer (&o->checkpoint, g_free);
  g_clear_pointer (&o->data_dir, g_free);
  g_clear_pointer (&o->layout, g_free);
  g_clear_pointer (&o->init_path, g_free);
  g_clear_pointer (&o->config_spec, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrainCli, train_cli_clear)

/* Parses train's or finetune's options into @o and @args; returns -1, or the
 * exit status of a usage error. */
static int
parse_train_cli (GOptionContext *context, gboolean finetune, int *argc, char ***argv, TrainCli *o,
                 TrainArgs *args)
{
  /* One table for both commands, in each one's --help order; the texts
   * that differ (defaults, the output's name) are picked by @finetune. */
  enum { TRAIN = 1, FINETUNE = 2, BOTH = TRAIN | FINETUNE };
  const struct { guint commands; GOptionEntry entry; } table[] = {
    { FINETUNE, { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_spec, "Precision config to fine-tune: wXaY or a freebits-config/1 file", "C" } },
    { FINETUNE, { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &o->init_path, "Supernet weights to start from", "WEIGHTS" } },
    { BOTH, { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output, "Weights file to write (freebits-weights/1)", finetune ? "OUT" : "WEIGHTS" } },
    { BOTH, { "epochs", 'e', 0, G_OPTION_ARG_INT, &o->epochs, finetune ? "Epochs (default 3)" : "Epochs (default 20)", "N" } },
    { BOTH, { "batch", 'b', 0, G_OPTION_ARG_INT, &o->batch, "Images per step (default 128)", "N" } },
    { TRAIN, { "shards", 0, 0, G_OPTION_ARG_INT, &o->shards, "Shards per batch, run in parallel, each with its own batch-norm statistics (default 2)", "N" } },
    { BOTH, { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, finetune ? "Peak learning rate (default 0.002; 0.2 warm-up epochs, then cosine)"
                                                                 : "Peak learning rate (default 0.1; 1 warm-up epoch, then cosine; --supernet --init: 0.0005, 0.2 warm-up epochs)", "X" } },
    { TRAIN, { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &o->wd, "Weight decay of conv/linear weights (default 1e-4)", "X" } },
    { TRAIN, { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &o->warmup, "Warm-up epochs (default 1; --supernet --init: 0.2)", "EPOCHS" } },
    { BOTH, { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, finetune ? "Seed of shuffling and augmentation (default 1)"
                                                                   : "Seed of initialization, shuffling, augmentation (default 1)", "N" } },
    { BOTH, { "limit-train", 0, 0, G_OPTION_ARG_INT, &o->limit, "Train on the first N images only", "N" } },
    { TRAIN, { "no-augment", 0, 0, G_OPTION_ARG_NONE, &o->no_augment, "No random crop / flip", NULL } },
    { BOTH, { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &o->checkpoint, finetune ? "Checkpoint file (default OUT.ckpt)"
                                                                                  : "Checkpoint file (default WEIGHTS.ckpt)", "FILE" } },
    { BOTH, { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue from the checkpoint", NULL } },
    { TRAIN, { "supernet", 0, 0, G_OPTION_ARG_NONE, &o->supernet, "Quantization-aware supernet training: every step trains all-8, all-2 and random per-layer precision configs on shared weights", NULL } },
    { TRAIN, { "init", 0, 0, G_OPTION_ARG_FILENAME, &o->init_path, "Start from these weights (e.g. the float ones)", "WEIGHTS" } },
    { TRAIN, { "random-configs", 0, 0, G_OPTION_ARG_INT, &o->random_configs, "Supernet: random configs per step besides all-8 and all-2 (default 2; with --init 1)", "N" } },
    { TRAIN, { "distill", 0, 0, G_OPTION_ARG_NONE, &o->distill, "Supernet: in-place distillation, the all-8 pass's predictions teach the other configs", NULL } },
    { TRAIN, { "min-bits", 0, 0, G_OPTION_ARG_INT, &o->min_bits, "Supernet: lowest bit-width trained, 2, 4 or 8 (default 2; with --init 4: the sandwich is all-8 and all-4)", "B" } },
    { BOTH, { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data_dir, "Dataset: .npz, .npy, IDX, CIFAR-10 .bin, class folders of images, or a directory of those (default: Fashion-MNIST, " FB_FASHION_MNIST_DIR ")", "PATH" } },
    { BOTH, { "layout", 0, 0, G_OPTION_ARG_STRING, &o->layout, "Layout of 4-D arrays: nhwc, nchw or auto (default: the one matching the network)", "L" } },
    { BOTH, { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &o->val_split, "One-set data: hold out its last fraction F as the test part (default: test on the training set)", "F" } },
    { BOTH, { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress display", NULL } },
  };
  GOptionEntry entries[G_N_ELEMENTS (table) + 1] = { { NULL } };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].commands & (finetune ? FINETUNE : TRAIN))
      entries[n++] = table[i].entry;

  g_option_context_set_summary (context, finetune ? finetune_summary : train_summary);
  if (!fb_cli_parse_one (context, entries, "NETWORK", argc, argv, NULL))
    return FB_CLI_EXIT_INPUT;
  if (o->output == NULL)
    return fb_cli_usage (context, "missing -o WEIGHTS");
  if (finetune && (o->config_spec == NULL || o->init_path == NULL))
    return fb_cli_usage (context, "finetune needs --config C and --weights WEIGHTS");
  *args = (TrainArgs) { o->epochs, o->batch, o->shards, o->limit, o->random_configs, o->seed, o->lr, o->wd,
                        o->warmup, o->no_augment, o->supernet, o->distill, o->min_bits };
  if (!args_in_range (args))
    return fb_cli_usage (context, "--epochs, --batch and --limit-train must be ≥ 1, --shards 1..256, --lr > 0, "
                                    "--weight-decay and --warmup ≥ 0, --seed in 0..4294967295, --random-configs 0..64, "
                                    "--min-bits 2, 4 or 8");
  if (!o->supernet && (o->random_configs != -1 || o->distill || o->min_bits != -1))
    return fb_cli_usage (context, "--random-configs, --distill and --min-bits need --supernet");
  if (o->resume && o->init_path != NULL && !finetune)
    return fb_cli_usage (context, "--init starts a new training; --resume continues the checkpoint's");
  return -1;
}

/* What a training starts from: the network, finetune's config, the initial
 * weights (--init, --weights or the checkpoint), the options and the trainer. */
typedef struct {
  FbNetwork         *net;
  FbPrecisionConfig *config;
  FbWeights         *init;
  FbTrainOptions     opt;
  FbTrainer         *trainer;
} TrainSetup;

static void
train_setup_clear (TrainSetup *t)
{
  g_clear_pointer (&t->trainer, fb_trainer_free);
  g_clear_pointer (&t->init, fb_weights_unref);
  g_clear_pointer (&t->net, fb_network_unref);
  g_clear_pointer (&t->config, fb_precision_config_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrainSetup, train_setup_clear)

/* Loads and checks everything the training needs before it opens the data
 * (fail before hours of training, not after); every error is the input's. */
static gboolean
open_trainer (const TrainCli *o, gboolean finetune, const char *net_path, const TrainArgs *args,
              TrainSetup *t, GError **error)
{
  g_autofree char *out_dir = NULL;

  t->net = fb_network_load (net_path, error);
  if (t->net == NULL)
    return FALSE;
  if (fb_network_get_output_kind (t->net) == FB_OUTPUT_VALUES)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s: output_kind \"values\": the trainer trains "
                   "classifiers only (softmax cross-entropy); eval measures such a network's MSE", net_path);
      return FALSE;
    }
  if (finetune)
    {
      t->config = fb_precision_config_new_from_spec (t->net, o->config_spec, error);
      if (t->config == NULL)
        return FALSE;
    }

  /* Fail before hours of training, not after. */
  out_dir = g_path_get_dirname (o->output);
  if (g_access (out_dir, W_OK) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: cannot write into directory %s", o->output, out_dir);
      return FALSE;
    }

  fb_train_options_init (&t->opt);
  if (finetune)
    {
      /* From trained supernet weights: a short, gentle schedule. */
      t->opt.epochs = 3;
      t->opt.lr = 0.002;
      t->opt.warmup_epochs = 0.2;
      t->opt.quant = FB_TRAIN_FIXED;
    }
  else if (o->supernet && o->init_path != NULL && !o->resume)
    {
      /* Quantization-aware fine-tuning of trained (e.g. imported) weights:
       * what kept the float accuracy at 8 and 4 bit in the walk-through
       * (docs/training.md, "End to end"): a low peak lr after a short
       * warm-up, and 8 and 4 bit only, since the all-2 pass pulls the shared
       * weights (and batch-norm affine parameters) away from the pretrained
       * optimum. Options given on the command line still win. */
      t->opt.lr = 0.0005;
      t->opt.warmup_epochs = 0.2;
      t->opt.random_configs = 1;
      t->opt.min_bits = 4;
    }
  if (o->resume)
    {
      t->init = fb_weights_load (o->checkpoint, t->net, error);
      if (t->init == NULL || !fb_train_options_from_checkpoint (&t->opt, t->init, o->checkpoint, error) ||
          !check_args_same (args, &t->opt, o->checkpoint, error) ||
          (finetune && !check_checkpoint_config (t->init, &t->opt, t->config, o->config_spec, o->checkpoint, error)))
        return FALSE;
    }
  else
    {
      apply_args (args, &t->opt);
      if (o->init_path != NULL)
        {
          t->init = fb_weights_load (o->init_path, t->net, error);
          if (t->init == NULL)
            return FALSE;
        }
    }

  t->trainer = fb_trainer_new (t->net, &t->opt, t->init, o->resume ? o->checkpoint : o->init_path, error);
  if (t->trainer == NULL || (o->resume && !fb_trainer_resume (t->trainer, t->init, o->checkpoint, error)) ||
      (finetune && !fb_trainer_set_fixed_config (t->trainer, t->config, error)))
    return FALSE;
  if (finetune && !fb_trainer_has_act_alpha (t->trainer))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: no act_alpha (activation clipping values): fine-tune supernet weights "
                   "(freebits-cli train --supernet), not float ones", o->init_path);
      return FALSE;
    }
  return TRUE;
}

static void
spread_over_ranks (FbTrainer *trainer, guint n_shards, gboolean quiet)
{
  /* This rank trains its block of each batch's shards; the shards' records
   * are all-gathered in shard order (src/mpi/fb-mpi.h). */
  const FbTrainerShardSplit split = { fb_mpi_owns_block, fb_mpi_exchange_blocks, NULL };

  if (fb_mpi_get_size () == 1)
    return;
  fb_trainer_set_shard_split (trainer, &split);
  if (!quiet && n_shards < fb_mpi_get_size ())
    g_printerr ("freebits-cli: note: %u shards on %u ranks: ranks %u and above stay idle "
                "(--shards sets the shard count)\n", n_shards, fb_mpi_get_size (), n_shards);
}

/* `train` and `finetune` (fb-cli-finetune.c) share everything but their
 * options: finetune is fixed-config quantization-aware training from
 * supernet weights. */
int
fb_cli_train_or_finetune (int argc, char **argv, gboolean finetune)
{
  g_auto(TrainCli) o = { .epochs = -1, .batch = -1, .shards = -1, .limit = -1, .random_configs = -1, .min_bits = -1,
                         .seed = -1, .lr = NAN, .wd = NAN, .warmup = NAN };
  g_auto(TrainSetup) t = { 0 };
  FbDatasetSpec spec;
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) train = NULL, test = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(FbWeights) result = NULL;
  g_autofree char *default_checkpoint = NULL, *at = NULL;
  TrainArgs args;
  TrainUi ui = { 0 };
  gint64 t0;
  int full_argc = argc, status;
  /* GOption reorders argv; the provenance records the command as typed. */
  g_autofree char **full_argv = g_memdup2 (argv, sizeof (char *) * (argc + 1));
  gboolean ok;

  status = parse_train_cli (context, finetune, &argc, &argv, &o, &args);
  if (status >= 0)
    return status;
  default_checkpoint = g_strconcat (o.output, ".ckpt", NULL);
  if (o.checkpoint == NULL)
    o.checkpoint = g_strdup (default_checkpoint);

  if (!open_trainer (&o, finetune, argv[1], &args, &t, &error))
    goto input_error;

  fb_dataset_spec_init_for_network (&spec, t.net);
  spec.val_split = o.val_split;
  if (!fb_dataset_layout_from_string (o.layout, &spec.layout) || !(o.val_split >= 0 && o.val_split < 1))
    return fb_cli_usage (context, "--layout must be nhwc, nchw or auto, --val-split in [0, 1)");
  if (!fb_dataset_open (o.data_dir, &spec, &train, &test, NULL, &error))
    goto input_error;

  /* From here on Ctrl-C means "stop after this step" (before the banner, so
   * whoever reads it can rely on that). */
  /* Under mpirun Ctrl-C ends every rank (mpirun forwards it); the last
   * epoch's checkpoint is where --resume starts, with any rank count. */
  o.quiet = o.quiet || !fb_mpi_is_root ();
  if (fb_mpi_get_size () == 1)
    install_handlers ();
  spread_over_ranks (t.trainer, MIN (t.opt.shards, t.opt.batch_size), o.quiet);
  if (!o.quiet)
    {
      guint n = t.opt.limit_train ? MIN (t.opt.limit_train, fb_dataset_get_n_images (train))
                                : fb_dataset_get_n_images (train);
      if (o.resume)
        at = g_strdup_printf (" (at epoch %u, step %u)", fb_trainer_get_epoch (t.trainer) + 1,
                              fb_trainer_get_step (t.trainer));
      g_autofree char *cfg = t.config != NULL ? fb_precision_config_to_string (t.config) : NULL;
      g_printerr ("%s %s%s%s%s: %u training images, %u epochs, batch %u, lr %g, seed %u%s\n",
                  o.resume ? "resuming" : finetune ? "fine-tuning" : "training", fb_network_get_name (t.net),
                  t.opt.quant == FB_TRAIN_SUPERNET ? " as a supernet" : "", cfg ? " at " : "",
                  cfg ? cfg : "", n, t.opt.epochs, t.opt.batch_size, t.opt.lr, t.opt.seed, at ? at : "");
    }

  ui.cancellable = cancellable;
  ui.checkpoint_path = o.checkpoint;
  ui.tty = isatty (STDERR_FILENO);
  ui.quiet = o.quiet;
  t0 = g_get_monotonic_time ();
  ok = fb_trainer_run (t.trainer, train, test, on_progress, &ui, cancellable, &error);
  end_line (&ui);
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);

  if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The resume command repeats what was typed. */
      g_autofree char *resume_args = finetune
        ? g_strdup_printf ("finetune %s --config %s --weights %s -o %s", argv[1], o.config_spec, o.init_path, o.output)
        : g_strdup_printf ("train %s -o %s", argv[1], o.output);
      return report_interrupted (t.trainer, o.checkpoint, g_strcmp0 (o.checkpoint, default_checkpoint) != 0, resume_args);
    }
  if (!ok)
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);

  result = fb_trainer_get_weights (t.trainer);
  add_cli_provenance (result, full_argc, full_argv, o.data_dir, train);
  fb_mpi_barrier ();
  if (!fb_mpi_is_root ())
    return FB_CLI_EXIT_OK;
  if (!fb_weights_save (result, o.output, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  /* Finished: nothing left to resume. */
  g_unlink (o.checkpoint);
  g_printerr ("wrote %s: %s test accuracy %.2f%% after %u epochs (%.1f s this run)\n", o.output,
              t.opt.quant == FB_TRAIN_SUPERNET ? "w8a8 fake-quant" : t.opt.quant == FB_TRAIN_FIXED ? "fake-quant" : "float",
              100 * fb_trainer_get_test_accuracy (t.trainer), t.opt.epochs,
              (g_get_monotonic_time () - t0) / 1e6);
  return FB_CLI_EXIT_OK;

input_error:
  return fb_cli_error (error, FB_CLI_EXIT_INPUT);
}

int
fb_cli_train (int argc, char **argv)
{
  return fb_cli_train_or_finetune (argc, argv, FALSE);
}

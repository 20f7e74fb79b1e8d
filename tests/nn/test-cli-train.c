/* test-cli-train.c — `freebits-cli train`: exit statuses, Ctrl-C, --resume.
 *
 * Runs the real binary ($FB_CLI) on a small synthetic data set written in
 * Fashion-MNIST's file names, so it needs neither the package nor minutes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <signal.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-nn-test-util.h"
#include "fb-weights.h"

static const char *
cli_path (void)
{
  return g_getenv ("FB_CLI");
}

static void
wait_status (GSubprocess *p, int *status)
{
  if (g_subprocess_get_if_signaled (p))
    *status = 128 + g_subprocess_get_term_sig (p);
  else
    *status = g_subprocess_get_exit_status (p);
}

/* Synthetic 28×28 train (n images) and test (200) splits in @dir. */
static void
write_data (const char *dir, guint n)
{
  for (guint split = 0; split < 2; split++)
    {
      const char *prefix = split == 0 ? "train" : "t10k";
      guint count = split == 0 ? n : 200;
      g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, prefix, count, 28, 28, 11 + split);
      g_autofree guint8 *pixels = g_new (guint8, (gsize) count * 28 * 28);
      g_autofree guint8 *labels = g_new (guint8, count);
      g_autofree char *ip = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", dir, prefix);
      g_autofree char *lp = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", dir, prefix);
      guint32 idims[3] = { count, 28, 28 }, ldims[1] = { count };

      for (guint i = 0; i < count; i++)
        {
          memcpy (pixels + (gsize) i * 784, fb_dataset_get_image (ds, i), 784);
          labels[i] = fb_dataset_get_label (ds, i);
        }
      fb_test_write_idx (ip, 3, idims, pixels, (gsize) count * 784, TRUE);
      fb_test_write_idx (lp, 1, ldims, labels, count, TRUE);
    }
}

static void
test_bad_input (void)
{
  g_autofree char *net = fb_test_network_path ("fmnist-mbv1.json");
  char *dir;

  if (fb_test_skip_without_cli ("train"))
    return;
  dir = fb_test_tmpdir_new ();
  {
    g_autofree char *out = g_build_filename (dir, "w.fbw", NULL);
    g_autofree char *missing = g_build_filename (dir, "nothing", NULL);
    struct {
      const char *args[10];
      const char *mention;
    } cases[] = {
      { { "train", net, NULL }, "-o WEIGHTS" },
      { { "train", "-o", out, NULL }, "NETWORK" },
      { { "train", missing, "-o", out, NULL }, "nothing" },
      { { "train", net, "-o", out, "--epochs", "0", NULL }, "--epochs" },
      { { "train", net, "-o", out, "--lr", "-1", NULL }, "--lr" },
      { { "train", net, "-o", out, "--bogus", NULL }, "bogus" },
      { { "train", net, "-o", out, "--resume", NULL }, "w.fbw.ckpt" },
      { { "train", net, "-o", out, "--data", missing, NULL }, "No such file" },
      { { "train", net, "-o", "/nonexistent-dir/w.fbw", NULL }, "/nonexistent-dir" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        fb_test_cli_expect (cases[i].args, 2, cases[i].mention);
      }
  }
  fb_test_tmpdir_free (dir);
}

/* Starts training, interrupts it with SIGINT, resumes, and checks the
 * result equals an uninterrupted run's. */
static void
test_interrupt_and_resume (void)
{
  g_autofree char *net = fb_test_network_path ("fmnist-mbv1.json");
  g_autofree char *dir = NULL, *out = NULL, *ckpt = NULL, *ref = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) network = NULL;
  int status;

  if (fb_test_skip_without_cli ("train"))
    return;
  dir = fb_test_tmpdir_new ();
  out = g_build_filename (dir, "w.fbw", NULL);
  ckpt = g_build_filename (dir, "w.fbw.ckpt", NULL);
  ref = g_build_filename (dir, "ref.fbw", NULL);
  write_data (dir, 1280);
  network = fb_test_load_network (net);

  /* Interrupted run: SIGINT once the banner (printed after the handler is
   * installed) has appeared. */
  {
    const char *argv[] = { cli_path (), "train", net, "-o", out, "--data", dir, "--epochs", "3",
                           "--batch", "64", NULL };
    g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
    g_autoptr(GDataInputStream) err = NULL;
    g_autofree char *line = NULL, *rest = NULL;

    g_assert_no_error (error);
    err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (p));
    line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (line);
    g_test_message ("banner: %s", line);
    g_assert_true (g_str_has_prefix (line, "training fmnist-mbv1"));
    g_subprocess_send_signal (p, SIGINT);
    rest = g_data_input_stream_read_upto (err, "", 0, NULL, NULL, &error);
    g_subprocess_wait (p, NULL, &error);
    g_assert_no_error (error);
    wait_status (p, &status);
    g_test_message ("interrupted run: exit %d: %s", status, rest);
    g_assert_cmpint (status, ==, 130);
    fb_test_assert_mentions (rest, "--resume");
    g_assert_true (g_file_test (ckpt, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
  /* The checkpoint is a valid weights file of this network. */
  {
    g_autoptr(FbWeights) ck = fb_weights_load (ckpt, network, &error);
    g_assert_no_error (error);
    g_assert_nonnull (fb_weights_get_checkpoint (ck));
  }
  /* Changing the options on resume is refused. */
  {
    const char *args[] = { "train", net, "-o", out, "--data", dir, "--resume", "--epochs", "4", NULL };
    fb_test_cli_expect (args, 2, "--epochs");
  }
  /* Resume to the end. */
  {
    const char *args[] = { "train", net, "-o", out, "--data", dir, "--resume", NULL };
    fb_test_cli_expect (args, 0, "resuming");
    g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  }
  /* An uninterrupted run gives the same weights. */
  {
    const char *args[] = { "train", net, "-o", ref, "--data", dir, "--epochs", "3", "--batch", "64",
                           "-q", NULL };
    FbTestRun r = { 0 };
    g_autoptr(FbWeights) a = NULL, b = NULL;

    fb_test_run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    fb_test_run_clear (&r);
    a = fb_weights_load (out, network, &error);
    g_assert_no_error (error);
    b = fb_weights_load (ref, network, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (fb_weights_get_n_tensors (a), ==, fb_weights_get_n_tensors (b));
    for (guint i = 0; i < fb_weights_get_n_tensors (a); i++)
      {
        const FbWeightsTensor *ta = fb_weights_get_tensor (a, i), *tb = fb_weights_get_tensor (b, i);
        for (gsize k = 0; k < ta->n; k++)
          g_assert_cmpfloat_with_epsilon (ta->data[k], tb->data[k], 1e-5 * MAX (1.0f, fabsf (ta->data[k])));
      }
    g_assert_true (json_object_has_member (fb_weights_get_training (a), "command"));
  }
  g_remove (ref);
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* `train --supernet` then `finetune --config`: exit statuses, the tensors
 * of the results and their provenance; bad combinations exit 2. */
static void
test_supernet_and_finetune (void)
{
  g_autofree char *net = fb_test_network_path ("fmnist-mbv1.json");
  g_autofree char *dir = NULL, *sn = NULL, *ft = NULL, *flt = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) network = NULL;
  g_autoptr(FbWeights) w = NULL, f = NULL;
  JsonObject *training;

  if (fb_test_skip_without_cli ("train"))
    return;
  dir = fb_test_tmpdir_new ();
  sn = g_build_filename (dir, "sn.fbw", NULL);
  ft = g_build_filename (dir, "ft.fbw", NULL);
  flt = g_build_filename (dir, "float.fbw", NULL);
  write_data (dir, 256);
  network = fb_test_load_network (net);
  {
    const char *args[] = { "train", net, "-o", sn, "--data", dir, "--supernet", "--epochs", "1",
                           "--batch", "64", "--random-configs", "1", "--distill", NULL };
    FbTestRun r = { 0 };
    fb_test_run_cli (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    fb_test_assert_mentions (r.err, "as a supernet");
    fb_test_assert_mentions (r.err, "w2a2");
    fb_test_run_clear (&r);
  }
  w = fb_weights_load (sn, network, &error);
  g_assert_no_error (error);
  training = fb_weights_get_training (w);
  g_assert_cmpstr (json_object_get_string_member (training, "method"), ==, "supernet");
  g_assert_true (json_object_has_member (training, "quantization"));
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    {
      const FbTensor *ten = fb_network_get_tensor (network, t);
      if (ten->kind == FB_TENSOR_ACTIVATION)
        g_assert_nonnull (fb_weights_lookup (w, fb_network_get_layer (network, (guint) ten->producer)->name,
                                             "act_alpha"));
    }
  g_assert_nonnull (fb_weights_lookup (w, "fc", "w_step"));

  {
    const char *args[] = { "finetune", net, "--config", "w4a8", "--weights", sn, "-o", ft, "--data", dir,
                           "--epochs", "1", "--batch", "64", NULL };
    fb_test_cli_expect (args, 0, "fine-tuning");
  }
  f = fb_weights_load (ft, network, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (fb_weights_get_training (f), "method"), ==, "fixed-config");
  g_assert_nonnull (fb_weights_lookup (f, "pw7", "act_alpha"));
  {
    g_autofree char *ft_ckpt = g_strconcat (ft, ".ckpt", NULL);
    g_assert_false (g_file_test (ft_ckpt, G_FILE_TEST_EXISTS));
  }

  /* Float weights (no act_alpha) cannot be fine-tuned; options need their mode. */
  {
    const char *float_args[] = { "train", net, "-o", flt, "--data", dir, "--epochs", "1", "--batch", "64",
                                 "-q", NULL };
    fb_test_cli_expect (float_args, 0, NULL);
  }
  /* --supernet --init: the fine-tuning defaults (low lr, 8 and 4 bit only). */
  {
    const char *args[] = { "train", net, "-o", sn, "--data", dir, "--supernet", "--init", flt, "--epochs", "1",
                           "--batch", "64", NULL };
    g_autoptr(FbWeights) init = NULL;
    JsonObject *options;

    fb_test_cli_expect (args, 0, "lr 0.0005");
    /* The options record min_bits, so --resume restores it. */
    init = fb_weights_load (sn, network, &error);
    g_assert_no_error (error);
    options = json_object_get_object_member (fb_weights_get_training (init), "options");
    g_assert_nonnull (options);
    g_assert_cmpint (json_object_get_int_member (options, "min_bits"), ==, 4);
  }
  {
    struct {
      const char *args[14];
      const char *mention;
    } cases[] = {
      { { "finetune", net, "--weights", sn, "-o", ft, NULL }, "--config" },
      { { "finetune", net, "--config", "w4a4", "-o", ft, NULL }, "--weights" },
      { { "finetune", net, "--config", "w3a4", "--weights", sn, "-o", ft, NULL }, "w3a4" },
      { { "finetune", net, "--config", "w4a4", "--weights", flt, "-o", ft, "--data", dir, NULL }, "act_alpha" },
      { { "train", net, "-o", ft, "--distill", NULL }, "--supernet" },
      { { "train", net, "-o", ft, "--min-bits", "4", NULL }, "--supernet" },
      { { "train", net, "-o", ft, "--supernet", "--min-bits", "3", NULL }, "--min-bits" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        fb_test_cli_expect (cases[i].args, 2, cases[i].mention);
      }
  }
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/cli-train/bad-input-exits-2", test_bad_input);
  g_test_add_func ("/nn/cli-train/interrupt-and-resume", test_interrupt_and_resume);
  g_test_add_func ("/nn/cli-train/supernet-and-finetune", test_supernet_and_finetune);
  return g_test_run ();
}

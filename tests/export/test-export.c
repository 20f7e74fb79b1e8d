/* test-export.c — the exported C bundle computes what freebits computes.
 *
 * For w8a8, w2a2 and a mixed 8/4/2-bit config of fmnist-mbv1 (the committed float
 * weights, calibrated once): the bundle is written with FbExporter, built with the host
 * compiler (-Wall -Wextra -Werror, through its Makefile) and run; its accuracy and
 * logits_fnv1a must equal the in-process evaluation of the same FbIntNetwork on the same
 * images.  Then the rv32imc build runs a few images under QEMU (skipped without the cross
 * toolchain) and must give the same checksum.  Through freebits-cli ($FB_CLI): the bundle's
 * checksum equals `freebits-cli eval --json`'s; bad input (another network's config or
 * latency table, bad weights, an unwritable or existing destination) gives a clear error
 * and leaves nothing behind.
 *
 * Needs the Fashion-MNIST package (dataset-fashion-mnist) and make; skips visibly without.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-exporter.h"
#include "fb-int-network.h"
#include "fb-metrics.h"
#include "fb-plan.h"
#include "fb-export-test-util.h"
#include "fb-rv32.h"
#include "fb-test-util.h"

#define HOST_IMAGES 20   /* host runs: enough to cover several classes, quick to build and run */
#define RV32_IMAGES 2    /* QEMU runs: ~17 M instructions per image */
#define CALIBRATION_IMAGES 300

static FbNetwork *network;
static FbWeights *weights;      /* calibrated */
static FbDataset *test_set;
static char *weights_path;
static char *network_path;
static char *skip_reason;

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

/* Names in @dir, sorted, joined by spaces ("" when empty). */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
list_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static gboolean
have_make (void)
{
  g_autofree char *make = g_find_program_in_path ("make");
  return make != NULL;
}

static gboolean
skip_if_needed (void)
{
  if (skip_reason == NULL)
    return FALSE;
  g_test_skip (skip_reason);
  return TRUE;
}

typedef struct {
  guint   n_images;
  guint   correct;
  guint32 fnv;
  guint64 instructions;   /* rv32 only */
  guint   n_layer_lines;  /* rv32 only: "layer <i> <name> <count>" */
  guint64 layer_sum;
} HarnessOutput;

/* Parses the lines main.c prints. */
static void
parse_harness (const char *text, HarnessOutput *o)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean got_acc = FALSE, got_fnv = FALSE;

  memset (o, 0, sizeof *o);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      unsigned a, b, h;
      unsigned long long ins;
      const char *paren = strchr (lines[i], '(');
      if (g_str_has_prefix (lines[i], "accuracy ") && paren != NULL &&
          sscanf (paren, "(%u/%u)", &a, &b) == 2)
        {
          o->correct = a;
          o->n_images = b;
          got_acc = TRUE;
        }
      else if (sscanf (lines[i], "logits_fnv1a 0x%x", &h) == 1)
        {
          o->fnv = h;
          got_fnv = TRUE;
        }
      else if (sscanf (lines[i], "instructions_per_inference %llu", &ins) == 1)
        o->instructions = ins;
      else if (g_str_has_prefix (lines[i], "layer "))
        {
          g_auto(GStrv) f = g_strsplit (lines[i], " ", -1);
          g_assert_cmpuint (g_strv_length (f), ==, 4);
          g_assert_cmpuint (g_ascii_strtoull (f[1], NULL, 10), ==, o->n_layer_lines);
          o->layer_sum += g_ascii_strtoull (f[3], NULL, 10);
          o->n_layer_lines++;
        }
    }
  if (!got_acc || !got_fnv)
    g_test_message ("harness output:\n%s", text);
  g_assert_true (got_acc);
  g_assert_true (got_fnv);
}

static FbPrecisionConfig *
config_from_spec (const char *spec)
{
  g_autoptr(GError) error = NULL;
  FbPrecisionConfig *c;
  if (g_str_has_suffix (spec, ".json"))
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "export", spec, NULL);
      c = fb_precision_config_load (network, path, &error);
    }
  else
    c = fb_precision_config_new_from_spec (network, spec, &error);
  g_assert_no_error (error);
  return c;
}

static FbIntNetwork *
int_network (const char *spec)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) config = config_from_spec (spec);
  FbIntNetwork *inet = fb_int_network_new (config, weights, weights_path, FB_KERNEL_ARCH_HOST,
                                           &error);
  g_assert_no_error (error);
  return inet;
}

static void
in_process (FbIntNetwork *inet, guint n, FbIntEvalResult *r)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (fb_int_network_evaluate (inet, test_set, n, 1, NULL, r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_images, ==, n);
}

static void
export_bundle (FbIntNetwork *inet, const char *label, guint n_images, const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbExporter) ex = fb_exporter_new (inet);
  g_autofree char *table_path = fb_test_source_path ("data", "latency", "fmnist-mbv1-rv32imc.json", NULL);
  g_autoptr(FbLatencyTable) table = fb_latency_table_load (table_path, &error);

  g_assert_no_error (error);
  fb_exporter_set_config_label (ex, label);
  fb_exporter_set_latency_table (ex, table);
  fb_exporter_set_weights_origin (ex, weights_path);
  fb_exporter_set_test_images (ex, test_set, n_images);
  g_assert_true (fb_exporter_write (ex, dir, FALSE, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------------------------ */
/* host and rv32imc builds                                                                     */

/* `make -n rv32imc run-rv32imc` prints the commands the bundle's Makefile would run: the
 * cross compiler with the flags of src/latency/fb-rv32.c and QEMU with fb_rv32_spawn()'s
 * command line, so an ELF built and run from the bundle is what freebits measures. */
static void
check_makefile_commands (const char *dir)
{
  g_autofree char *out = NULL, *cflags = fb_rv32_cflags_string ();
  g_autofree char *qemu = fb_rv32_qemu_command_string ();
  g_autofree char *qemu_args = g_strjoinv (" ", (char **) fb_rv32_qemu_args ());
  g_autofree char *want_cc = g_strconcat (FB_RV32_CC " -std=c99 -Wall -Wextra -Werror ", cflags,
                                          " ", NULL);
  g_autofree char *want_qemu = g_strconcat (qemu, " fb_demo.elf", NULL);
  g_autofree char *from_args = g_strconcat (FB_RV32_QEMU, " ", qemu_args, NULL);
  const char *argv[] = { "make", "-n", "-B", "rv32imc", "run-rv32imc", NULL };
  g_auto(GStrv) lines = NULL;
  guint n;

  /* the string is the argv fb_rv32_spawn() runs (program name, arguments, then the ELF) */
  g_assert_cmpstr (qemu, ==, from_args);
  g_assert_true (g_str_has_suffix (qemu, " -icount shift=0 -semihosting-config "
                                         "enable=on,target=native -kernel"));

  out = fb_export_test_run_ok (dir, argv);
  g_test_message ("make -n rv32imc run-rv32imc:\n%s", out);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 2);
  g_assert_true (g_str_has_prefix (lines[0], want_cc));
  g_assert_cmpstr (lines[n - 1], ==, want_qemu);
}

/* Every linear layer's weights are stored twice in weights.c, laid out by
 * fb_linear_prepare_weights() for scalar builds (its size) and packed for the host, and
 * network.c passes FB_WEIGHTS_LINEAR_FLAG to every linear call. */
static void
check_linear_prepared (FbPlan *plan, const char *dir, const char *network_c)
{
  g_autofree char *weights_c_path = g_build_filename (dir, "weights.c", NULL);
  g_autofree char *weights_c = NULL;
  guint n_linear = 0, n_prepared = 0, n_flag = 0;
  const char *at;

  g_assert_true (g_file_get_contents (weights_c_path, &weights_c, NULL, NULL));
  for (guint i = 0; i < fb_plan_get_n_steps (plan); i++)
    {
      const FbPlanStep *st = fb_plan_get_step (plan, i);
      gsize n;
      g_autofree char *decl = NULL;
      if (st->kind != FB_PLAN_LINEAR && st->kind != FB_PLAN_LINEAR_I32)
        continue;
      n_linear++;
      n = fb_linear_prepared_weights_size ((int) st->in_bits,
                                           st->kind == FB_PLAN_LINEAR_I32 ? 32 : (int) st->out_bits,
                                           (int) st->mid_bits, st->dim_vec, st->num_o_neurons);
      g_assert_cmpuint (n, >, 0);
      g_assert_nonnull (strstr (weights_c, "(fb_linear_prepare_weights()) */\n"
                                           "FB_WEIGHTS_ALIGN4 const uint8_t "));
      decl = g_strdup_printf ("_weights[%" G_GSIZE_FORMAT "] = {", n);
      g_assert_nonnull (strstr (weights_c, decl));
    }
  for (at = weights_c; (at = strstr (at, "(fb_linear_prepare_weights())")) != NULL; at++)
    n_prepared++;
  for (at = network_c; (at = strstr (at, "| FB_WEIGHTS_LINEAR_FLAG /* flags */")) != NULL; at++)
    n_flag++;
  g_assert_cmpuint (n_prepared, ==, n_linear);
  g_assert_cmpuint (n_flag, ==, n_linear);
}

static void
check_bundle_contents (FbIntNetwork *inet, const char *dir)
{
  FbPlan *plan = fb_int_network_get_plan (inet);
  g_autofree char *network_c_path = g_build_filename (dir, "network.c", NULL);
  g_autofree char *network_c = NULL;
  g_autofree char *files = list_dir (dir);
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_true (g_file_get_contents (network_c_path, &network_c, NULL, NULL));
  /* every planned call, in plan order */
  {
    const char *from = network_c;
    for (guint i = 0; i < fb_plan_get_n_steps (plan); i++)
      {
        const FbPlanStep *st = fb_plan_get_step (plan, i);
        g_autofree char *call = g_strdup_printf ("status = %s (", st->kernel);
        const char *at = strstr (from, call);
        if (at == NULL)
          g_test_fail_printf ("network.c lacks the call of step %u (%s) after the previous one",
                              i, st->kernel);
        else
          from = at + 1;
        g_hash_table_add (used, (gpointer) st->kernel);
      }
  }
  check_linear_prepared (plan, dir, network_c);
  /* only the kernel sources it needs */
  g_test_message ("bundle: %s", files);
  g_assert_null (strstr (files, "fb-kernel-ref"));
  g_assert_null (strstr (files, "fb-kernel-bench"));
  g_assert_null (strstr (files, "fb-kernel-dispatch"));
  g_assert_nonnull (strstr (files, "freebits_config.json"));
  g_assert_nonnull (strstr (files, "README.md"));
  g_assert_nonnull (strstr (files, "Makefile"));
  check_makefile_commands (dir);
  /* the host binary contains the planned variants and no other variant of the families */
  {
    g_autofree char *bin_path = g_build_filename (dir, "fb_demo", NULL);
    g_autofree char *bin = NULL;
    gsize len = 0;
    static const char *const families[] = { "fb_conv_u", "fb_depthwise_u", "fb_linear_u",
                                            "fb_add_u", "fb_avgpool_u", "fb_avgpool2d_u",
                                            "fb_maxpool2d_u" };
    guint n_found = 0;
    g_assert_true (g_file_get_contents (bin_path, &bin, &len, NULL));
    for (gsize off = 0; off < len; off++)
      for (guint f = 0; f < G_N_ELEMENTS (families); f++)
        {
          gsize fl = strlen (families[f]);
          if (off + fl + 12 <= len && memcmp (bin + off, families[f], fl) == 0)
            {
              char name[40];
              gsize k = 0;
              while (k < sizeof name - 1 && off + k < len &&
                     (g_ascii_isalnum (bin[off + k]) || bin[off + k] == '_'))
                {
                  name[k] = bin[off + k];
                  k++;
                }
              name[k] = '\0';
              n_found++;
              if (!g_hash_table_contains (used, name))
                g_test_fail_printf ("the host binary contains %s, which the plan never calls", name);
            }
        }
    /* the binary keeps its symbol table: the check above saw the variants */
    g_assert_cmpuint (n_found, >=, g_hash_table_size (used));
  }
}

/* What the harness must print for the first n images. */
typedef struct {
  guint   n_images;
  guint   correct;
  guint32 fnv;
} Expected;

typedef void (*ReferenceFunc) (FbIntNetwork *inet, const char *dir, guint n, Expected *e);

/* The official in-process evaluation on the Fashion-MNIST test images. */
static void
reference_evaluate (FbIntNetwork *inet, const char *dir, guint n, Expected *e)
{
  FbIntEvalResult r;
  in_process (inet, n, &r);
  e->n_images = r.n_images;
  e->correct = r.correct;
  e->fnv = r.logits_fnv1a;
}

/* fb_int_network_run() on the bundle's own test_images.bin / test_labels.bin. */
static void
reference_run (FbIntNetwork *inet, const char *dir, guint n, Expected *e)
{
  FbPlan *plan = fb_int_network_get_plan (inet);
  g_autofree char *ip = g_build_filename (dir, "test_images.bin", NULL);
  g_autofree char *lp = g_build_filename (dir, "test_labels.bin", NULL);
  g_autofree guint8 *images = NULL, *labels = NULL;
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (plan));
  g_autofree guint8 *scratch = g_malloc0 (MAX (fb_plan_get_scratch_bytes (plan), 1));
  guint classes = fb_int_network_get_n_classes (inet);
  g_autofree gint32 *logits = g_new0 (gint32, classes);
  const FbTensor *in = fb_network_get_input (fb_int_network_get_network (inet));
  gsize image_bytes = (gsize) in->shape.h * in->shape.w * in->shape.c, len = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (ip, (char **) &images, &len, NULL));
  g_assert_cmpuint (len, >=, image_bytes * n);
  g_assert_true (g_file_get_contents (lp, (char **) &labels, &len, NULL));
  g_assert_cmpuint (len, >=, n);
  memset (e, 0, sizeof *e);
  e->fnv = FB_FNV1A32_INIT;
  for (guint i = 0; i < n; i++)
    {
      guint best = 0;
      g_assert_true (fb_int_network_run (inet, images + image_bytes * i, logits, arena, scratch,
                                         &error));
      g_assert_no_error (error);
      for (guint c = 1; c < classes; c++)
        if (logits[c] > logits[best])
          best = c;
      e->correct += best == labels[i];
      /* CONVENTIONS.md: little-endian int32 logits */
      for (guint c = 0; c < classes; c++)
        {
          guint32 u = (guint32) logits[c];
          guint8 b[4] = { u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff, u >> 24 };
          e->fnv = fb_fnv1a32 (e->fnv, b, 4);
        }
      e->n_images++;
    }
}

/* Builds the bundle in @dir for the host and runs its @n_host images, then (toolchain
 * permitting) for rv32imc on @n_rv32 of them; each against @reference. */
static void
build_and_compare (FbIntNetwork *inet, const char *dir, const char *what, guint n_host,
                   guint n_rv32, ReferenceFunc reference)
{
  g_autofree char *out = NULL, *run_out = NULL;
  g_autoptr(FbRv32Toolchain) tc = NULL;
  g_autoptr(GError) error = NULL;
  Expected ref;
  HarnessOutput h;

  /* host: the Makefile's own flags include -Wall -Wextra -Werror */
  {
    const char *argv[] = { "make", "host", "CFLAGS=-O2", NULL };
    out = fb_export_test_run_ok (dir, argv);
    g_assert_nonnull (strstr (out, "-Wall -Wextra -Werror"));
  }
  {
    const char *argv[] = { "./fb_demo", "test_images.bin", "test_labels.bin", NULL };
    run_out = fb_export_test_run_ok (dir, argv);
  }
  parse_harness (run_out, &h);
  reference (inet, dir, n_host, &ref);
  g_test_message ("%s host: %u/%u 0x%08x, in process %u/%u 0x%08x", what, h.correct, h.n_images,
                  h.fnv, ref.correct, ref.n_images, ref.fnv);
  g_assert_cmpuint (h.n_images, ==, ref.n_images);
  g_assert_cmpuint (h.correct, ==, ref.correct);
  g_assert_cmphex (h.fnv, ==, ref.fnv);
  check_bundle_contents (inet, dir);

  /* rv32imc under QEMU, a few images */
  tc = fb_rv32_toolchain_find (&error);
  if (tc == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("rv32imc part skipped: %s", error->message);
      g_test_skip (msg);
      return;
    }
  {
    g_autofree char *make_out = NULL, *qemu_out = NULL, *elf = g_build_filename (dir, "fb_demo.elf", NULL);
    g_autofree char *images_arg = g_strdup_printf ("RV32_IMAGES=%u", n_rv32);
    const char *argv[] = { "make", "rv32imc", images_arg, NULL };
    Expected ref32;
    HarnessOutput h32;
    make_out = fb_export_test_run_ok (dir, argv);
    g_assert_true (fb_rv32_run (tc, elf, dir, &qemu_out, NULL, &error));
    g_assert_no_error (error);
    parse_harness (qemu_out, &h32);
    reference (inet, dir, n_rv32, &ref32);
    g_test_message ("%s rv32imc: %u/%u 0x%08x, in process 0x%08x, %" G_GUINT64_FORMAT
                    " instructions per inference", what, h32.correct, h32.n_images, h32.fnv,
                    ref32.fnv, h32.instructions);
    g_assert_cmpuint (h32.n_images, ==, n_rv32);
    g_assert_cmpuint (h32.correct, ==, ref32.correct);
    g_assert_cmphex (h32.fnv, ==, ref32.fnv);
    /* one profile line per layer, whose counts add up to at most the whole inference */
    g_assert_cmpuint (h32.n_layer_lines, ==, fb_plan_get_n_steps (fb_int_network_get_plan (inet)));
    g_assert_cmpuint (h32.layer_sum, >, 0);
    g_assert_cmpuint (h32.layer_sum, <=, h32.instructions);

    /* the Makefile's own QEMU command line runs the same program */
    {
      g_autofree char *run_make_out = NULL;
      const char *run_argv[] = { "make", "-s", "run-rv32imc", NULL };
      HarnessOutput hm;
      run_make_out = fb_export_test_run_ok (dir, run_argv);
      parse_harness (run_make_out, &hm);
      g_assert_cmphex (hm.fnv, ==, h32.fnv);
      g_assert_cmpuint (hm.instructions, ==, h32.instructions);
    }
  }
}

/* The value of `#define NAME` in @text after @from. */
static guint64
define_after (const char *text, const char *from, const char *name)
{
  const char *at = strstr (text, from);
  g_autofree char *key = g_strdup_printf ("#define %s ", name);

  g_assert_nonnull (at);
  at = strstr (at, key);
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (key), NULL, 10);
}

/* The RAM the bundle declares for each build is what `metrics` reports (ram_bytes: the
 * rv32imc build) and what fb_plan_compute_ram() computes: one figure, not two. */
static void
check_bundle_ram (FbIntNetwork *inet, const char *dir)
{
  FbPrecisionConfig *config = fb_plan_get_config (fb_int_network_get_plan (inet));
  g_autofree char *path = g_build_filename (dir, "network.h", NULL);
  g_autofree char *h = NULL;
  g_autoptr(GError) error = NULL;
  FbMetrics m;
  FbPlanRam ram;
  guint64 arena, offset, mcu_scr, mcu, host_scr, host;

  g_assert_true (g_file_get_contents (path, &h, NULL, NULL));
  arena = define_after (h, "#define FB_NETWORK_ARENA_BYTES", "FB_NETWORK_ARENA_BYTES");
  offset = define_after (h, "#define FB_NETWORK_ARENA_BYTES", "FB_NETWORK_KERNEL_SCRATCH_OFFSET");
  mcu_scr = define_after (h, "#if FB_KERNEL_SCALAR_BUILD", "FB_NETWORK_KERNEL_SCRATCH_BYTES");
  mcu = define_after (h, "#if FB_KERNEL_SCALAR_BUILD", "FB_NETWORK_SCRATCH_BYTES");
  host_scr = define_after (h, "#else", "FB_NETWORK_KERNEL_SCRATCH_BYTES");
  host = define_after (h, "#else", "FB_NETWORK_SCRATCH_BYTES");
  g_assert_true (fb_metrics_compute (config, NULL, &m, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (fb_plan_compute_ram (config, &ram, &error));
  g_test_message ("network.h: arena %" G_GUINT64_FORMAT " + rv32imc scratch %" G_GUINT64_FORMAT
                  " = %" G_GUINT64_FORMAT "; metrics ram_bytes %" G_GUINT64_FORMAT
                  ", peak activations %" G_GUINT64_FORMAT, arena, mcu_scr, mcu, m.ram_bytes,
                  m.peak_activation_bytes);
  g_assert_cmpuint (arena, ==, fb_plan_get_arena_bytes (fb_int_network_get_plan (inet)));
  g_assert_cmpuint (offset, >=, arena);
  g_assert_cmpuint (offset % FB_PLAN_SCRATCH_ALIGN, ==, 0);
  g_assert_cmpuint (mcu, ==, offset + mcu_scr);
  g_assert_cmpuint (host, ==, offset + host_scr);
  g_assert_cmpuint (m.ram_bytes, ==, mcu);
  g_assert_cmpuint (m.arena_bytes, ==, arena);
  g_assert_cmpuint (m.kernel_scratch_bytes, ==, mcu_scr);
  g_assert_cmpuint (ram.host_bytes, ==, host);
  g_assert_cmpuint (m.ram_bytes, >=, m.peak_activation_bytes);
}

static void
test_config (gconstpointer data)
{
  const char *spec = data;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autofree char *tmp = NULL, *dir = NULL;

  if (skip_if_needed ())
    return;
  inet = int_network (spec);
  tmp = fb_test_tmpdir_new ();
  dir = g_build_filename (tmp, "bundle", NULL);
  export_bundle (inet, spec, HOST_IMAGES, dir);
  check_bundle_ram (inet, dir);
  build_and_compare (inet, dir, spec, HOST_IMAGES, RV32_IMAGES, reference_evaluate);
  fb_test_remove_tree (tmp);
}

/* ------------------------------------------------------------------------------------------ */
/* a residual network with random weights (add, pool, 6-channel tensors; no data set needed)   */

static void
fill (GRand *r, float *v, gsize n, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, lo, hi);
}

/* Float weights for every layer of @net with a learned-looking α per activation, so the
 * integer network needs no calibration data. */
static FbWeights *
random_weights (FbNetwork *net, guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  FbWeights *w = fb_weights_new_for_network (net);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbTensor *out = fb_network_get_tensor (net, l->output);
      if (l->op == FB_OP_CONV2D || l->op == FB_OP_DEPTHWISE_CONV2D)
        {
          gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
          guint d4[4] = { l->cout, l->kernel_h, l->kernel_w, l->cin };
          guint d3[3] = { l->kernel_h, l->kernel_w, l->cout };
          guint dc[1] = { l->cout };
          const char *bn[] = { "bn_gamma", "bn_beta", "bn_mean", "bn_var" };
          const double lo[] = { 0.8, -0.1, -0.1, 0.5 }, hi[] = { 1.2, 0.1, 0.1, 1.5 };
          float *wt = dw ? fb_weights_add (w, l->name, "weight", 3, d3)
                         : fb_weights_add (w, l->name, "weight", 4, d4);
          fill (r, wt, (gsize) l->n_weights, -0.5, 0.5);
          for (guint k = 0; k < 4; k++)
            fill (r, fb_weights_add (w, l->name, bn[k], 1, dc), l->cout, lo[k], hi[k]);
        }
      else if (l->op == FB_OP_LINEAR)
        {
          guint d2[2] = { l->cout, l->cin }, dc[1] = { l->cout };
          fill (r, fb_weights_add (w, l->name, "weight", 2, d2), (gsize) l->cout * l->cin, -0.5, 0.5);
          fill (r, fb_weights_add (w, l->name, "bias", 1, dc), l->cout, -0.1, 0.1);
        }
      if (out->kind == FB_TENSOR_ACTIVATION)
        {
          guint d[1] = { 3 };
          float *alpha = fb_weights_add (w, l->name, "act_alpha", 1, d);
          alpha[0] = 3.0f;   /* α at 8, 4, 2 bits */
          alpha[1] = 2.5f;
          alpha[2] = 2.0f;
        }
    }
  return w;
}

/* Exports @net with random weights at @spec, builds the bundle and compares it with the
 * in-process run; @is_signed: @net is tests/data/net-signed.json (signed tensors, pools). */
static void
random_bundle (FbNetwork *net, const char *spec, gboolean is_signed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) ex = NULL;
  g_autoptr(GRand) r = g_rand_new_with_seed (7);
  g_autofree char *tmp = NULL, *dir = NULL, *ip = NULL, *lp = NULL, *network_c = NULL, *ncp = NULL;
  const FbTensor *in;
  gsize image_bytes, n = 6;
  g_autofree guint8 *images = NULL, *labels = NULL;

  if (!have_make ())
    {
      g_test_skip ("make is not installed");
      return;
    }
  w = random_weights (net, 1234);
  config = fb_precision_config_new_from_spec (net, spec, &error);
  g_assert_no_error (error);
  inet = fb_int_network_new (config, w, "random weights", FB_KERNEL_ARCH_HOST, &error);
  g_assert_no_error (error);

  tmp = fb_test_tmpdir_new ();
  dir = g_build_filename (tmp, "small", NULL);
  ex = fb_exporter_new (inet);
  fb_exporter_set_config_label (ex, spec);
  g_assert_true (fb_exporter_write (ex, dir, FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (fb_exporter_get_evaluation (ex));

  /* the network's own input shape (8x8x3): random images, random labels */
  in = fb_network_get_input (net);
  image_bytes = (gsize) in->shape.h * in->shape.w * in->shape.c;
  images = g_malloc (image_bytes * n);
  labels = g_malloc (n);
  for (gsize i = 0; i < image_bytes * n; i++)
    images[i] = (guint8) g_rand_int_range (r, 0, 256);
  for (gsize i = 0; i < n; i++)
    labels[i] = (guint8) g_rand_int_range (r, 0, (gint32) fb_int_network_get_n_classes (inet));
  ip = g_build_filename (dir, "test_images.bin", NULL);
  lp = g_build_filename (dir, "test_labels.bin", NULL);
  g_assert_true (g_file_set_contents (ip, (const char *) images, (gssize) (image_bytes * n), NULL));
  g_assert_true (g_file_set_contents (lp, (const char *) labels, (gssize) n, NULL));

  /* the residual add is called with the folded multipliers */
  ncp = g_build_filename (dir, "network.c", NULL);
  g_assert_true (g_file_get_contents (ncp, &network_c, NULL, NULL));
  g_assert_nonnull (strstr (network_c, "status = fb_add_u"));
  g_assert_nonnull (strstr (network_c, "status = fb_avgpool_u"));
  if (is_signed)
    {
      /* windowed pools, and signed operands passed as kernel flags */
      g_autofree char *network_h = NULL, *nhp = g_build_filename (dir, "network.h", NULL);
      g_assert_nonnull (strstr (network_c, "status = fb_maxpool2d_u"));
      g_assert_nonnull (strstr (network_c, "status = fb_avgpool2d_u"));
      g_assert_nonnull (strstr (network_c, ".flag_relu = 10"));   /* signed in and out (a conv adds FB_WEIGHTS_CONV_FLAG) */
      g_assert_true (g_file_get_contents (nhp, &network_h, NULL, NULL));
      g_assert_nonnull (strstr (network_h, "#define FB_NETWORK_INPUT_SIGNED 1"));
      g_assert_nonnull (strstr (network_h, "#define FB_NETWORK_INPUT_SCALE  0.05"));
    }

  build_and_compare (inet, dir, spec, (guint) n, 2, reference_run);
  fb_test_remove_tree (tmp);
}

/* @data: "NETWORK|SPEC", NETWORK a file of tests/data. */
static void
test_residual (gconstpointer data)
{
  g_auto(GStrv) parts = g_strsplit (data, "|", 2);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", parts[0], NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load (path, &error);

  g_assert_no_error (error);
  random_bundle (net, parts[1], g_str_equal (parts[0], "net-signed.json"));
}

/* Issue 20: layers named a_b_2, a_b and a-b gave two a_b_2_weights arrays and a bundle that
 * did not compile; tensors q-r and q_r likewise; a layer fb_kernel_pack_conv clashed with a
 * kernel function. Every name must get its own C identifier. */
static void
test_identifiers (void)
{
  static const char *renames[][2] = {
    { "\"conv1\"", "\"a_b_2\"" }, { "\"dw1\"", "\"a_b\"" }, { "\"pw6\"", "\"a-b\"" },
    { "\"pw8\"", "\"l_1\"" }, { "\"dw6\"", "\"1\"" }, { "\"fc\"", "\"fb_kernel_pack_conv\"" },
    { "\"c1\"", "\"q-r\"" }, { "\"d1\"", "\"q_r\"" }, { "\"p6\"", "\"q_r_1\"" },
  };
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "net-small.json", NULL);
  g_autofree char *text = fb_test_read_file (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (renames); i++)
    {
      g_auto(GStrv) parts = g_strsplit (text, renames[i][0], -1);
      g_assert_cmpuint (g_strv_length (parts), >=, 2);
      g_free (text);
      text = g_strjoinv (renames[i][1], parts);
    }
  net = fb_network_load_from_data (text, -1, "renamed", &error);
  g_assert_no_error (error);
  g_assert_nonnull (fb_network_lookup_layer (net, "a-b"));
  random_bundle (net, "w8a8", FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* freebits-cli                                                                                */

static gboolean
skip_unless_cli (void)
{
  if (skip_if_needed ())
    return TRUE;
  if (g_getenv ("FB_CLI") == NULL)
    {
      g_test_skip ("$FB_CLI is not set");
      return TRUE;
    }
  return FALSE;
}

/* The check: the bundle's checksum equals `freebits-cli eval --json`'s;
 * with @data the network's own supernet weights, whose batch norm both
 * recalibrate for the config, else the float weights both calibrate. */
static void
test_cli_matches_eval (gconstpointer data)
{
  gboolean supernet = data != NULL;
  const char *w_opt = supernet ? "--bn-images" : "--weights";
  const char *w_val = supernet ? "256" : weights_path;
  g_autofree char *tmp = NULL, *dir = NULL, *config = NULL, *out = NULL, *run_out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  FbTestRun ex = { 0 }, ev = { 0 };
  HarnessOutput h;
  JsonObject *o;
  unsigned eval_fnv = 0;

  if (skip_unless_cli ())
    return;
  tmp = fb_test_tmpdir_new ();
  dir = g_build_filename (tmp, "mixed", NULL);
  config = g_test_build_filename (G_TEST_DIST, "export", "fmnist-mbv1-mixed.json", NULL);
  {
    const char *args[] = { "export", network_path, "--config", config, w_opt, w_val,
                           "--images", "10", "--calibration-images", "300", "-q", "-o", dir, NULL };
    fb_test_run_cli (&ex, args);
  }
  if (ex.status != 0)
    g_test_message ("export: %s", ex.err);
  g_assert_cmpint (ex.status, ==, 0);
  {
    const char *args[] = { "eval", network_path, "--config", config, w_opt, w_val,
                           "--limit", "10", "--calibration-images", "300", "--no-float", "--json",
                           NULL };
    fb_test_run_cli (&ev, args);
  }
  g_assert_cmpint (ev.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, ev.out, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (sscanf (json_object_get_string_member (o, "logits_fnv1a"), "0x%x", &eval_fnv) == 1);

  {
    const char *argv[] = { "make", "host", NULL };
    out = fb_export_test_run_ok (dir, argv);
  }
  {
    const char *argv[] = { "./fb_demo", "test_images.bin", "test_labels.bin", NULL };
    run_out = fb_export_test_run_ok (dir, argv);
  }
  parse_harness (run_out, &h);
  g_assert_cmpuint (h.n_images, ==, 10);
  g_assert_cmphex (h.fnv, ==, eval_fnv);

  /* the config in the bundle reads back as the same config */
  {
    g_autofree char *exported = g_build_filename (dir, "freebits_config.json", NULL);
    g_autoptr(FbPrecisionConfig) a = fb_precision_config_load (network, exported, &error);
    g_autoptr(FbPrecisionConfig) b = NULL;
    g_assert_no_error (error);
    b = fb_precision_config_load (network, config, &error);
    g_assert_no_error (error);
    g_assert_true (fb_precision_config_equal (a, b));
    g_assert_nonnull (fb_precision_config_get_provenance (a));
    g_assert_true (json_object_has_member (fb_precision_config_get_provenance (a), "metrics"));
  }
  fb_test_run_clear (&ex);
  fb_test_run_clear (&ev);
  fb_test_remove_tree (tmp);
}

/* Runs a failing export into @tmp/out and checks the status, the message and that @tmp is
 * left exactly as it was. */
static void
check_cli_failure (const char *tmp, const char *const *extra, int status, const char *mention)
{
  g_autofree char *before = list_dir (tmp), *after = NULL;
  g_autofree char *out_dir = g_build_filename (tmp, "out", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  FbTestRun r = { 0 };

  g_ptr_array_add (args, (gpointer) "export");
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  g_ptr_array_add (args, (gpointer) "-o");
  g_ptr_array_add (args, out_dir);
  g_ptr_array_add (args, NULL);
  fb_test_run_cli (&r, (const char *const *) args->pdata);
  g_test_message ("status %d: %s", r.status, r.err);
  g_assert_cmpint (r.status, ==, status);
  g_assert_nonnull (strstr (r.err, mention));
  after = list_dir (tmp);
  g_assert_cmpstr (after, ==, before);
  fb_test_run_clear (&r);
}

static void
test_cli_errors (void)
{
  g_autofree char *tmp = NULL, *other_config = NULL, *other_table = NULL, *not_weights = NULL;

  if (skip_unless_cli ())
    return;
  tmp = fb_test_tmpdir_new ();
  other_config = g_test_build_filename (G_TEST_DIST, "data", "bad-config-sha-mismatch.json", NULL);
  other_table = fb_test_source_path ("data", "latency", "mobilenet-v1-0.25-128-rv32imc.json", NULL);
  not_weights = g_strdup (network_path);
  {
    /* a config made for another topology */
    const char *args[] = { network_path, "--config", other_config, "--weights", weights_path, NULL };
    check_cli_failure (tmp, args, 2, "network_sha256");
  }
  {
    /* a latency table of another network */
    const char *args[] = { network_path, "--config", "w8a8", "--weights", weights_path,
                           "--latency", other_table, NULL };
    check_cli_failure (tmp, args, 2, "mobilenet-v1-0.25-128-rv32imc.json");
  }
  {
    /* weights that are no weights file */
    const char *args[] = { network_path, "--config", "w8a8", "--weights", not_weights, NULL };
    check_cli_failure (tmp, args, 2, "fmnist-mbv1.json");
  }
  {
    /* the network names no weights */
    g_autofree char *unweighted = fb_test_source_path ("data", "networks", "mobilenet-v1-0.25-128.json", NULL);
    const char *args[] = { unweighted, "--config", "w8a8", NULL };
    check_cli_failure (tmp, args, 2, "--weights");
  }
  {
    /* an output directory that cannot be created (its parent is a file): status 1 after the
     * whole job ran, still nothing left behind */
    g_autofree char *file = g_build_filename (tmp, "a-file", NULL);
    g_autofree char *target = g_build_filename (file, "bundle", NULL);
    g_autofree char *before = NULL, *after = NULL;
    const char *args[] = { "export", network_path, "--config", "w8a8", "--weights", weights_path,
                           "--images", "2", "--calibration-images", "50", "-q", "-o", target, NULL };
    FbTestRun r = { 0 };
    g_assert_true (g_file_set_contents (file, "x", 1, NULL));
    before = list_dir (tmp);
    fb_test_run_cli (&r, args);
    g_test_message ("status %d: %s", r.status, r.err);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "a-file"));
    after = list_dir (tmp);
    g_assert_cmpstr (after, ==, before);
    fb_test_run_clear (&r);
  }
  fb_test_remove_tree (tmp);
}

/* ------------------------------------------------------------------------------------------ */
/* atomic writing                                                                              */

static void
test_destination (void)
{
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) ex = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL, *file = NULL, *under_file = NULL, *dir = NULL, *stale = NULL;
  g_autofree char *other = NULL, *other_file = NULL, *before = NULL, *after = NULL;

  if (skip_if_needed ())
    return;
  inet = int_network ("w4a4");
  ex = fb_exporter_new (inet);
  fb_exporter_set_test_images (ex, test_set, 2);
  tmp = fb_test_tmpdir_new ();

  /* unwritable: the parent is a regular file (fails even as root) */
  file = g_build_filename (tmp, "a-file", NULL);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  under_file = g_build_filename (file, "bundle", NULL);
  before = list_dir (tmp);
  g_assert_false (fb_exporter_write (ex, under_file, FALSE, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "a-file"));
  g_clear_error (&error);
  after = list_dir (tmp);
  g_assert_cmpstr (after, ==, before);
  g_assert_null (fb_exporter_get_files (ex));

  /* unwritable: a read-only parent (only meaningful when not root) */
  if (geteuid () != 0)
    {
      g_autofree char *ro = g_build_filename (tmp, "read-only", NULL);
      g_autofree char *target = g_build_filename (ro, "bundle", NULL);
      g_autofree char *listing = NULL;
      g_assert_cmpint (g_mkdir (ro, 0555), ==, 0);
      g_assert_false (fb_exporter_write (ex, target, FALSE, NULL, &error));
      g_assert_error (error, FB_ERROR, FB_ERROR_IO);
      g_clear_error (&error);
      listing = list_dir (ro);
      g_assert_cmpstr (listing, ==, "");
      g_chmod (ro, 0755);
      g_rmdir (ro);
    }

  /* a fresh destination, then no overwrite without force */
  dir = g_build_filename (tmp, "bundle", NULL);
  g_assert_true (fb_exporter_write (ex, dir, FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (fb_exporter_get_evaluation (ex));
  stale = g_build_filename (dir, "stale.txt", NULL);
  g_assert_true (g_file_set_contents (stale, "old", 3, NULL));
  g_assert_false (fb_exporter_write (ex, dir, FALSE, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "--force"));
  g_clear_error (&error);
  g_assert_true (g_file_test (stale, G_FILE_TEST_EXISTS));

  /* force replaces a bundle entirely */
  g_assert_true (fb_exporter_write (ex, dir, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));

  /* but never a directory that is not a bundle */
  other = g_build_filename (tmp, "precious", NULL);
  g_assert_cmpint (g_mkdir (other, 0755), ==, 0);
  other_file = g_build_filename (other, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (other_file, "keep", 4, NULL));
  g_assert_false (fb_exporter_write (ex, other, TRUE, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_IO);
  g_clear_error (&error);
  g_assert_true (g_file_test (other_file, G_FILE_TEST_EXISTS));

  /* no temporary directories left next to the destinations */
  g_clear_pointer (&after, g_free);
  after = list_dir (tmp);
  g_assert_cmpstr (after, ==, "a-file bundle precious");
  fb_test_remove_tree (tmp);
}

/* ------------------------------------------------------------------------------------------ */
/* export --force killed at every step                                                         */

/* Names and SHA-256 of every file in the flat bundle @dir ("" if @dir is missing). */
static char *
bundle_digest (const char *dir)
{
  g_autofree char *names = list_dir (dir);
  g_auto(GStrv) list = g_strsplit (names, " ", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; list[i] != NULL && list[i][0] != '\0'; i++)
    {
      g_autofree char *path = g_build_filename (dir, list[i], NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_autofree char *sum = NULL;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
      g_string_append_printf (out, "%s %s\n", list[i], sum);
    }
  return g_string_free (out, FALSE);
}

static void
copy_bundle (const char *from, const char *to)
{
  g_autofree char *names = list_dir (from);
  g_auto(GStrv) list = g_strsplit (names, " ", -1);

  fb_test_remove_tree (to);
  g_assert_cmpint (g_mkdir (to, 0755), ==, 0);
  for (guint i = 0; list[i] != NULL && list[i][0] != '\0'; i++)
    {
      g_autofree char *src = g_build_filename (from, list[i], NULL);
      g_autofree char *dst = g_build_filename (to, list[i], NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (src, &data, &len, NULL));
      g_assert_true (g_file_set_contents (dst, data, (gssize) len, NULL));
    }
}

/* `freebits-cli export --force` of @config into @dir with the fault hook at @fault (NULL:
 * none); returns the exit status (128 + signal when killed). */
static int
export_with_fault (const char *config, const char *dir, const char *fault, gboolean no_exchange)
{
  const char *argv[] = { g_getenv ("FB_CLI"), "export", network_path, "--config", config,
                         "--weights", weights_path, "--images", "2", "--calibration-images", "50",
                         "-q", "--force", "-o", dir, NULL };
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  if (fault != NULL)
    env = g_environ_setenv (env, "FB_TEST_EXPORT_FAULT", fault, TRUE);
  if (no_exchange)
    env = g_environ_setenv (env, "FB_TEST_EXPORT_NO_EXCHANGE", "1", TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, NULL, &wait_status, &error);
  g_assert_no_error (error);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
}

/* Issue 20: killed between the two renames, the old export left nothing at the target.
 * Kill at each step of both swaps (renameat2 exchange and the two-rename fallback): the
 * target holds the complete old or the complete new bundle; a fallback killed between its
 * renames is put back by the next export; the next clean export leaves no temporaries. */
static void
test_force_killed (gconstpointer data)
{
  gboolean no_exchange = data != NULL;
  static const char *exchange_steps[] = { "writing", "written", "exchanged", "removing", NULL };
  static const char *fallback_steps[] = { "writing", "written", "moved-aside", "placed", "removing", NULL };
  const char *const *steps = no_exchange ? fallback_steps : exchange_steps;
  g_autofree char *tmp = NULL, *ref_old = NULL, *ref_new = NULL, *target = NULL;
  g_autofree char *old_digest = NULL, *new_digest = NULL, *listing = NULL;

  if (skip_if_needed ())
    return;
  tmp = fb_test_tmpdir_new ();
  ref_old = g_build_filename (tmp, "ref-old", NULL);
  ref_new = g_build_filename (tmp, "ref-new", NULL);
  target = g_build_filename (tmp, "bundle", NULL);
  g_assert_cmpint (export_with_fault ("w8a8", ref_old, NULL, FALSE), ==, 0);
  g_assert_cmpint (export_with_fault ("w4a4", ref_new, NULL, FALSE), ==, 0);
  old_digest = bundle_digest (ref_old);
  new_digest = bundle_digest (ref_new);
  g_assert_cmpstr (old_digest, !=, new_digest);
  g_assert_cmpstr (old_digest, !=, "");

  for (guint i = 0; steps[i] != NULL; i++)
    {
      g_autofree char *digest = NULL;

      copy_bundle (ref_old, target);
      g_assert_cmpint (export_with_fault ("w4a4", target, steps[i], no_exchange), ==, 128 + SIGKILL);
      if (g_strcmp0 (steps[i], "moved-aside") == 0)
        {
          /* The one window of the fallback: the old bundle waits next to the target. The
           * next export puts it back before anything else (killed right after writing, so
           * the target must be the old bundle again). */
          g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
          g_assert_cmpint (export_with_fault ("w4a4", target, "written", no_exchange), ==, 128 + SIGKILL);
        }
      digest = bundle_digest (target);
      g_test_message ("killed at %s: target holds the %s bundle", steps[i],
                      g_str_equal (digest, old_digest) ? "old" : g_str_equal (digest, new_digest) ? "new" : "a broken");
      g_assert_true (g_str_equal (digest, old_digest) || g_str_equal (digest, new_digest));
      /* The next export completes and clears what the killed one left. */
      g_assert_cmpint (export_with_fault ("w4a4", target, NULL, no_exchange), ==, 0);
      g_clear_pointer (&digest, g_free);
      digest = bundle_digest (target);
      g_assert_cmpstr (digest, ==, new_digest);
      listing = list_dir (tmp);
      g_assert_cmpstr (listing, ==, "bundle ref-new ref-old");
      g_clear_pointer (&listing, g_free);
    }
  fb_test_remove_tree (tmp);
  g_free (g_steal_pointer (&tmp));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) train = NULL;
  g_autoptr(FbWeights) raw = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  network_path = fb_test_source_path ("data", "networks", "fmnist-mbv1.json", NULL);
  weights_path = fb_test_source_path ("data", "networks", "fmnist-mbv1-float.fbw", NULL);
  network = fb_network_load (network_path, &error);
  g_assert_no_error (error);
  if (!have_make ())
    skip_reason = g_strdup ("make is not installed");
  else
    {
      test_set = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
      if (test_set != NULL)
        train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, &error);
      if (train == NULL)
        skip_reason = g_strdup_printf ("Fashion-MNIST not available (%s): install %s",
                                       error->message, FB_FASHION_MNIST_PACKAGE);
      g_clear_error (&error);
    }
  if (skip_reason == NULL)
    {
      raw = fb_weights_load (weights_path, network, &error);
      g_assert_no_error (error);
      weights = fb_int_network_needs_calibration (network, raw)
                  ? fb_int_network_calibrate (network, raw, weights_path, train,
                                              CALIBRATION_IMAGES, NULL, &error)
                  : fb_weights_ref (raw);
      g_assert_no_error (error);
    }

  g_test_add_data_func ("/export/bundle/w8a8", "w8a8", test_config);
  g_test_add_data_func ("/export/bundle/w2a2", "w2a2", test_config);
  g_test_add_data_func ("/export/bundle/mixed", "fmnist-mbv1-mixed.json", test_config);
  g_test_add_data_func ("/export/residual/w8a8", "net-small.json|w8a8", test_residual);
  g_test_add_data_func ("/export/residual/w4a4", "net-small.json|w4a4", test_residual);
  g_test_add_data_func ("/export/signed/w8a8", "net-signed.json|w8a8", test_residual);
  g_test_add_data_func ("/export/signed/w4a2", "net-signed.json|w4a2", test_residual);
  g_test_add_func ("/export/identifiers", test_identifiers);
  g_test_add_func ("/export/destination", test_destination);
  g_test_add_data_func ("/export/force-killed/exchange", NULL, test_force_killed);
  g_test_add_data_func ("/export/force-killed/fallback", "fallback", test_force_killed);
  g_test_add_data_func ("/export/cli/matches-eval", NULL, test_cli_matches_eval);
  g_test_add_data_func ("/export/cli/matches-eval-supernet", "supernet", test_cli_matches_eval);
  g_test_add_func ("/export/cli/errors", test_cli_errors);
  status = g_test_run ();

  g_clear_pointer (&weights, fb_weights_unref);
  g_clear_pointer (&test_set, fb_dataset_unref);
  g_clear_pointer (&network, fb_network_unref);
  g_free (network_path);
  g_free (weights_path);
  g_free (skip_reason);
  return status;
}

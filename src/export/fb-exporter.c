/* fb-exporter.c — writes the C bundle of a trained network for one precision config.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE   /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>

#include "fb-build-config.h"
#include "fb-error.h"
#include "fb-export-codegen.h"
#include "fb-export-resources.h"
#include "fb-exporter.h"
#include "fb-file.h"
#include "fb-json.h"

#define RESOURCE_PREFIX "/org/freebits/export/"
#define CONFIG_FILE "freebits_config.json"

struct _FbExporter {
  gatomicrefcount  ref;
  FbIntNetwork    *network;
  FbLatencyTable  *table;
  FbDataset       *dataset;
  guint            n_images;
  char            *config_label;
  char            *weights_origin;
  gboolean         have_eval;
  FbIntEvalResult  eval;
  GStrv            files;
};

FbExporter *
fb_exporter_new (FbIntNetwork *network)
{
  FbExporter *self = g_new0 (FbExporter, 1);
  g_atomic_ref_count_init (&self->ref);
  self->network = fb_int_network_ref (network);
  return self;
}

FbExporter *
fb_exporter_ref (FbExporter *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_exporter_unref (FbExporter *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  fb_int_network_unref (self->network);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  g_clear_pointer (&self->dataset, fb_dataset_unref);
  g_free (self->config_label);
  g_free (self->weights_origin);
  g_strfreev (self->files);
  g_free (self);
}

void
fb_exporter_set_config_label (FbExporter *self, const char *label)
{
  g_free (self->config_label);
  self->config_label = g_strdup (label);
}

void
fb_exporter_set_latency_table (FbExporter *self, FbLatencyTable *table)
{
  if (table != NULL)
    fb_latency_table_ref (table);
  g_clear_pointer (&self->table, fb_latency_table_unref);
  self->table = table;
}

void
fb_exporter_set_weights_origin (FbExporter *self, const char *path)
{
  g_free (self->weights_origin);
  self->weights_origin = g_strdup (path);
}

void
fb_exporter_set_test_images (FbExporter *self, FbDataset *dataset, guint n_images)
{
  if (dataset != NULL)
    fb_dataset_ref (dataset);
  g_clear_pointer (&self->dataset, fb_dataset_unref);
  self->dataset = dataset;
  self->n_images = n_images;
}

const FbIntEvalResult *
fb_exporter_get_evaluation (FbExporter *self)
{
  return self->have_eval ? &self->eval : NULL;
}

const char *const *
fb_exporter_get_files (FbExporter *self)
{
  return (const char *const *) self->files;
}

/* ------------------------------------------------------------------------------------------ */
/* The files of a bundle, in memory                                                            */

typedef struct {
  char   *name;
  GBytes *data;
} BundleFile;

static void
bundle_file_free (gpointer p)
{
  BundleFile *f = p;
  g_free (f->name);
  g_bytes_unref (f->data);
  g_free (f);
}

static void
add_file (GPtrArray *files, const char *name, GBytes *data)
{
  BundleFile *f = g_new0 (BundleFile, 1);
  f->name = g_strdup (name);
  f->data = data;
  g_ptr_array_add (files, f);
}

static void
add_text (GPtrArray *files, const char *name, char *text)
{
  gsize n = strlen (text);
  add_file (files, name, g_bytes_new_take (text, n));
}

static GBytes *
resource (const char *name, GError **error)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
  return g_resource_lookup_data (fb_export_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                 error);
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (path == NULL || !fb_file_read (path, FB_FILE_MAX_WEIGHTS, "a file", &data, &len, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static JsonNode *
config_json (FbExporter *self, FbExportCodegen *cg)
{
  FbPrecisionConfig *config = fb_plan_get_config (cg->plan);
  FbNetwork *net = fb_int_network_get_network (self->network);
  g_autoptr (FbPrecisionConfig) copy = fb_precision_config_copy (config);
  JsonObject *old = fb_precision_config_get_provenance (config);
  g_autoptr (JsonObject) prov = json_object_new ();
  g_autoptr (JsonObject) metrics = json_object_new ();
  g_autofree char *sha = file_sha256 (self->weights_origin);

  if (old != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (old);
      for (GList *m = members; m != NULL; m = m->next)
        json_object_set_member (prov, m->data,
                                json_node_copy (json_object_get_member (old, m->data)));
    }
  if (!json_object_has_member (prov, "method"))
    json_object_set_string_member (prov, "method", "manual");
  if (self->table != NULL)
    json_object_set_string_member (prov, "target", fb_latency_table_get_target (self->table));
  else if (!json_object_has_member (prov, "target"))
    json_object_set_null_member (prov, "target");
  json_object_set_string_member (prov, "network_sha256", fb_network_get_sha256 (net));
  if (self->weights_origin != NULL)
    {
      g_autofree char *base = g_path_get_basename (self->weights_origin);
      json_object_set_string_member (prov, "weights_file", base);
      if (sha != NULL)
        json_object_set_string_member (prov, "weights_sha256", sha);
    }

  json_object_set_int_member (metrics, "macs", cg->metrics.macs);
  json_object_set_int_member (metrics, "size_bytes", cg->metrics.size_bytes);
  json_object_set_int_member (metrics, "bops", cg->metrics.bops);
  if (self->table != NULL)
    {
      json_object_set_double_member (metrics, "latency", cg->metrics.latency);
      json_object_set_string_member (metrics, "latency_unit",
        fb_latency_unit_to_string (fb_latency_table_get_unit (self->table)));
    }
  else
    {
      json_object_set_null_member (metrics, "latency");
      json_object_set_null_member (metrics, "latency_unit");
    }
  json_object_set_int_member (metrics, "peak_activation_bytes", cg->metrics.peak_activation_bytes);
  json_object_set_int_member (metrics, "arena_bytes", cg->ram.arena_bytes);
  json_object_set_int_member (metrics, "kernel_scratch_bytes", cg->ram.mcu_scratch_bytes);
  /* FB_NETWORK_SCRATCH_BYTES of the rv32imc build, metrics' ram_bytes */
  json_object_set_int_member (metrics, "ram_bytes", cg->ram.mcu_bytes);
  json_object_set_int_member (metrics, "scratch_bytes", cg->ram.mcu_bytes);
  json_object_set_int_member (metrics, "const_bytes", cg->const_bytes);
  json_object_set_object_member (prov, "metrics", json_object_ref (metrics));

  if (self->have_eval)
    {
      g_autofree char *hex = g_strdup_printf ("0x%08x", self->eval.logits_fnv1a);
      /* An accuracy the search measured (e.g. on another image set) is kept beside ours. */
      if (json_object_has_member (prov, "accuracy") &&
          !json_object_has_member (prov, "search_accuracy"))
        json_object_set_member (prov, "search_accuracy",
                                json_node_copy (json_object_get_member (prov, "accuracy")));
      json_object_set_double_member (prov, "accuracy", self->eval.accuracy);
      json_object_set_int_member (prov, "accuracy_images", self->eval.n_images);
      json_object_set_string_member (prov, "logits_fnv1a", hex);
    }
  else if (!json_object_has_member (prov, "accuracy"))
    json_object_set_null_member (prov, "accuracy");
  {
    g_autofree char *tool = g_strdup_printf ("freebits-cli %s", FB_VERSION);
    json_object_set_string_member (prov, "exported_by", tool);
  }
  fb_precision_config_set_provenance (copy, prov);
  return fb_precision_config_to_json (copy);
}

static gboolean
build_files (FbExporter *self, FbExportCodegen *cg, GPtrArray *files, GError **error)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new ();
  char *variants;

  {
    g_autoptr (JsonNode) root = config_json (self, cg);
    char *text = fb_json_to_string (root, TRUE);
    char *nl = g_strconcat (text, "\n", NULL);
    g_free (text);
    add_text (files, CONFIG_FILE, nl);
  }
  add_text (files, "network.h", fb_export_codegen_network_h (cg));
  add_text (files, "network.c", fb_export_codegen_network_c (cg));
  add_text (files, "weights.h", fb_export_codegen_weights_h (cg));
  add_text (files, "weights.c", fb_export_codegen_weights_c (cg));

  for (guint i = 0; i < cg->kernel_files->len; i++)
    {
      const char *name = g_ptr_array_index (cg->kernel_files, i);
      GBytes *b = resource (name, error);
      if (b == NULL)
        return FALSE;
      g_ptr_array_add (sources, (gpointer) g_bytes_get_data (b, NULL));
      add_file (files, name, b);
    }
  g_ptr_array_add (sources, NULL);
  /* resource data is NUL-terminated, so the texts can be searched as strings (@files keeps
   * the bytes alive) */
  variants = fb_export_codegen_variants (cg, (const char *const *) sources->pdata, error);
  if (variants == NULL)
    return FALSE;
  add_text (files, "fb-kernel-variants.inc", variants);

  {
    GBytes *main_c = resource ("main.c", error);
    if (main_c == NULL)
      return FALSE;
    add_file (files, "main.c", main_c);
  }
  add_text (files, "Makefile", fb_export_codegen_makefile (cg));

  if (self->dataset != NULL && self->n_images > 0)
    {
      guint n = MIN (self->n_images, fb_dataset_get_n_images (self->dataset));
      /* One example: H×W×C input codes (int8 in the same bytes when signed). */
      gsize px = fb_dataset_get_example_size (self->dataset);
      guint8 *images = g_malloc (px * n), *labels = g_malloc (MAX (n, 1));
      for (guint i = 0; i < n; i++)
        {
          memcpy (images + px * i, fb_dataset_get_image (self->dataset, i), px);
          labels[i] = fb_dataset_get_label (self->dataset, i);
        }
      add_file (files, "test_images.bin", g_bytes_new_take (images, px * n));
      add_file (files, "test_labels.bin", g_bytes_new_take (labels, n));
    }
  add_text (files, "README.md", fb_export_codegen_readme (cg));
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Atomic placement                                                                            */

/* Removes @path and, for a directory, everything below it (symbolic links are removed, not
 * followed). */
static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_remove (path);
}

/* "@what @path: strerror (@err)" */
static gboolean
io_error (GError **error, int err, const char *what, const char *path)
{
  g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s %s: %s", what, path, g_strerror (err));
  return FALSE;
}

/* May @dir be replaced?  Only with @force, and only an empty directory or a bundle. */
static gboolean
check_destination (const char *dir, gboolean force, gboolean *exists, GError **error)
{
  *exists = g_file_test (dir, G_FILE_TEST_EXISTS) || g_file_test (dir, G_FILE_TEST_IS_SYMLINK);
  if (!*exists)
    return TRUE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) || g_file_test (dir, G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO,
                   _("%s exists and is not a directory; choose another output directory"), dir);
      return FALSE;
    }
  if (!force)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO,
                   _("%s already exists; use --force to replace it"), dir);
      return FALSE;
    }
  {
    g_autofree char *marker = g_build_filename (dir, CONFIG_FILE, NULL);
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    if (!g_file_test (marker, G_FILE_TEST_IS_REGULAR) && d != NULL && g_dir_read_name (d) != NULL)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_IO,
                     _("%s is not an exported bundle (no %s) and not empty; "
                       "refusing to replace it even with --force"), dir, CONFIG_FILE);
        return FALSE;
      }
  }
  return TRUE;
}

static char *
sibling_template (const char *dir, const char *what)
{
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *name = g_strdup_printf (".%s.fb-%s-XXXXXX", base, what);
  return g_build_filename (parent, name, NULL);
}

/* Test-only fault hook: with FB_TEST_EXPORT_FAULT=@step the process kills itself
 * (SIGKILL, like kill -9) at that step, so tests can check every state the
 * destination passes through. */
static void
fault_point (const char *step)
{
  const char *fault = g_getenv ("FB_TEST_EXPORT_FAULT");
  if (fault != NULL && strcmp (fault, step) == 0)
    raise (SIGKILL);
}

/* Removes the old bundle, with a fault point halfway through its files. */
static void
remove_old_bundle (const char *old)
{
  g_autoptr (GDir) d = g_dir_open (old, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (old, name, NULL);
      if (n++ == 2)
        fault_point ("removing");
      remove_tree (child);
    }
  g_rmdir (old);
}

/* Leftovers of an export killed earlier (.DIR.fb-tmp-* and .DIR.fb-old-* next to @dir):
 * if @dir is missing but a moved-aside bundle exists (killed between the two renames of
 * the fallback swap), put that bundle back; remove everything else. Concurrent exports
 * to one destination are not supported. */
static void
recover_siblings (const char *dir)
{
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *tmp_prefix = g_strdup_printf (".%s.fb-tmp-", base);
  g_autofree char *old_prefix = g_strdup_printf (".%s.fb-old-", base);
  g_autoptr (GDir) d = g_dir_open (parent, 0, NULL);
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if ((g_str_has_prefix (name, tmp_prefix) && strlen (name) == strlen (tmp_prefix) + 6) ||
        (g_str_has_prefix (name, old_prefix) && strlen (name) == strlen (old_prefix) + 6))
      g_ptr_array_add (stale, g_build_filename (parent, name, NULL));
  for (guint i = 0; i < stale->len; i++)
    {
      const char *path = g_ptr_array_index (stale, i);
      g_autofree char *sib_base = g_path_get_basename (path);
      g_autofree char *marker = g_build_filename (path, CONFIG_FILE, NULL);

      if (g_str_has_prefix (sib_base, old_prefix) && !g_file_test (dir, G_FILE_TEST_EXISTS) &&
          !g_file_test (dir, G_FILE_TEST_IS_SYMLINK) && g_file_test (marker, G_FILE_TEST_IS_REGULAR) &&
          g_rename (path, dir) == 0)
        continue;
      remove_tree (path);
    }
}

/* Puts the complete bundle @tmp at @dir, replacing the bundle there. Linux's
 * renameat2(RENAME_EXCHANGE) swaps the two directories in one step, so @dir always
 * holds either the old or the new bundle. Where it is missing (not Linux, old kernels,
 * some file systems) the fallback renames the old bundle aside first; a kill between its
 * two renames leaves the old bundle at .DIR.fb-old-*, which the next export puts back
 * (recover_siblings). FB_TEST_EXPORT_NO_EXCHANGE=1 forces the fallback for tests. */
static gboolean
swap_into_place (const char *tmp, const char *dir, GError **error)
{
  g_autofree char *old = NULL;

#ifdef RENAME_EXCHANGE
  if (g_getenv ("FB_TEST_EXPORT_NO_EXCHANGE") == NULL)
    {
      if (renameat2 (AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
        {
          fault_point ("exchanged");
          remove_old_bundle (tmp);   /* @tmp now holds the old bundle */
          return TRUE;
        }
      if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        {
          int err = errno;
          remove_tree (tmp);
          return io_error (error, err, "cannot replace the existing", dir);
        }
    }
#endif
  old = sibling_template (dir, "old");
  if (g_mkdtemp_full (old, 0700) == NULL || g_rename (dir, old) != 0)
    {
      int err = errno;
      remove_tree (tmp);
      g_rmdir (old);
      return io_error (error, err, "cannot move aside the existing", dir);
    }
  fault_point ("moved-aside");
  if (g_rename (tmp, dir) != 0)
    {
      int err = errno;
      remove_tree (tmp);
      g_rename (old, dir);
      return io_error (error, err, "cannot rename the bundle to", dir);
    }
  fault_point ("placed");
  remove_old_bundle (old);
  return TRUE;
}

static gboolean
place_bundle (GPtrArray *files, const char *dir, gboolean exists, GError **error)
{
  g_autofree char *tmp = sibling_template (dir, "tmp");

  /* Next to the destination, so the final rename stays on one file system. */
  if (g_mkdtemp_full (tmp, 0755) == NULL)
    {
      g_autofree char *parent = g_path_get_dirname (dir);
      return io_error (error, errno, "cannot create the bundle in", parent);
    }
  for (guint i = 0; i < files->len; i++)
    {
      BundleFile *f = g_ptr_array_index (files, i);
      g_autofree char *path = g_build_filename (tmp, f->name, NULL);
      gsize len = 0;
      const char *data = g_bytes_get_data (f->data, &len);
      g_autoptr (GError) local = NULL;
      if (i == 2)
        fault_point ("writing");
      if (!g_file_set_contents (path, data, (gssize) len, &local))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_IO, _("cannot write the bundle: %s"), local->message);
          remove_tree (tmp);
          return FALSE;
        }
    }
  fault_point ("written");
  if (exists)
    return swap_into_place (tmp, dir, error);
  if (g_rename (tmp, dir) != 0)
    {
      int err = errno;
      remove_tree (tmp);
      return io_error (error, err, "cannot rename the bundle to", dir);
    }
  return TRUE;
}

/* The test images are the network's input codes as they are (HWC, 8 bits,
 * signed or not as the input): the shape and signedness must be the
 * network's, which fb_dataset_open() checked for a dataset opened for it. */
static gboolean
check_test_images (FbExporter *self, GError **error)
{
  FbNetwork *net = fb_int_network_get_network (self->network);
  const FbTensor *in = fb_network_get_input (net);
  FbDataset *d = self->dataset;

  if (fb_dataset_get_height (d) != in->shape.h || fb_dataset_get_width (d) != in->shape.w ||
      fb_dataset_get_channels (d) != in->shape.c)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: test images are %u×%u×%u, network \"%s\" takes %u×%u×%u (H×W×C) inputs"),
                   fb_dataset_get_path (d), fb_dataset_get_height (d), fb_dataset_get_width (d),
                   fb_dataset_get_channels (d), fb_network_get_name (net), in->shape.h, in->shape.w,
                   in->shape.c);
      return FALSE;
    }
  if (fb_dataset_get_input_signed (d) != fb_network_get_input_signed (net))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: test images are %s codes, network \"%s\" takes %s inputs"), fb_dataset_get_path (d),
                   fb_dataset_get_input_signed (d) ? "int8" : "uint8", fb_network_get_name (net),
                   fb_network_get_input_signed (net) ? "signed (int8)" : "unsigned (uint8)");
      return FALSE;
    }
  return TRUE;
}

/* The README's paragraph on test_images.bin / test_labels.bin. */
static char *
describe_test_images (FbExporter *self, guint n)
{
  FbDataset *d = self->dataset;
  gboolean is_signed = fb_dataset_get_input_signed (d);
  guint n_classes = fb_int_network_get_n_classes (self->network);
  gboolean values = fb_network_get_output_kind (fb_int_network_get_network (self->network)) == FB_OUTPUT_VALUES;
  g_autofree char *labels = values
    ? g_strdup ("`test_labels.bin` holds a 0 byte per image: the network's output is values, not\n"
                "classes, so compare `logits_fnv1a`, not the harness's accuracy line.\n")
    : g_strdup_printf ("`test_labels.bin` holds one u8 label per image, a class 0–%u of the network's %u "
                       "outputs.\n", n_classes - 1, n_classes);

  return g_strdup_printf (
    "`test_images.bin` holds the first %u examples of the test part of `%s` (source dtype %s),\n"
    "back to back, each %u×%u×%u = %" G_GSIZE_FORMAT " bytes in HWC order: the network's input\n"
    "codes, %s (%s input; real value = (q − %d) × %.9g), as `fb_network_run()` takes them.\n"
    "%s"
    "`freebits-cli eval --data` on the same data set measures the same images in the same order.",
    n, fb_dataset_get_path (d), fb_dataset_dtype_to_string (fb_dataset_get_source_dtype (d)),
    fb_dataset_get_height (d), fb_dataset_get_width (d), fb_dataset_get_channels (d),
    fb_dataset_get_example_size (d), is_signed ? "int8" : "uint8", is_signed ? "signed" : "unsigned",
    fb_dataset_get_input_zero_point (d), fb_dataset_get_input_scale (d), labels);
}

gboolean
fb_exporter_write (FbExporter *self, const char *dir, gboolean force, GCancellable *cancellable,
                   GError **error)
{
  FbExportCodegen cg;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (bundle_file_free);
  gboolean exists = FALSE, ok = FALSE;
  g_autofree char *images_desc = NULL;

  self->have_eval = FALSE;
  g_clear_pointer (&self->files, g_strfreev);
  recover_siblings (dir);
  if (!check_destination (dir, force, &exists, error))
    return FALSE;
  if (self->dataset != NULL && !check_test_images (self, error))
    return FALSE;
  if (!fb_export_codegen_init (&cg, self->network, self->table, self->config_label, error))
    goto out;
  if (self->dataset != NULL && self->n_images > 0)
    {
      guint n = MIN (self->n_images, fb_dataset_get_n_images (self->dataset));
      if (!fb_int_network_evaluate (self->network, self->dataset, n, 0, cancellable, &self->eval,
                                    error))
        goto out;
      self->have_eval = TRUE;
      cg.eval = &self->eval;
      cg.n_images = n;
      images_desc = describe_test_images (self, n);
      cg.images_desc = images_desc;
    }
  if (!build_files (self, &cg, files, error))
    goto out;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  ok = place_bundle (files, dir, exists, error);
  if (ok)
    {
      self->files = g_new0 (char *, files->len + 1);
      for (guint i = 0; i < files->len; i++)
        self->files[i] = g_strdup (((BundleFile *) g_ptr_array_index (files, i))->name);
    }
out:
  if (!ok)
    self->have_eval = FALSE;
  fb_export_codegen_clear (&cg);
  return ok;
}

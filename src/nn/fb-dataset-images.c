/* fb-dataset-images.c — a folder with one sub-folder of images per class.
 *
 * Class names sorted (byte order) are the labels 0, 1, …; a folder holding
 * train/ and test/ folders of those is two parts (the test part must use
 * the training part's class names). PNG and JPEG files are decoded by
 * gdk-pixbuf (no GTK); images are taken in turn from each class, so the last
 * examples that --val-split holds out cover every class. Images must have
 * the network's H×W (no resizing); 3 channels are RGB (alpha dropped), 1 is
 * the gray level (R when R = G = B, else 0.299 R + 0.587 G + 0.114 B).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>

#include "fb-dataset-private.h"
#include "fb-error.h"

static gboolean
is_image_file (const char *dir, const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return name[0] != '.' && (g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg") ||
                            g_str_has_suffix (lower, ".jpeg")) && g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
is_class_folder (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return name[0] != '.' && g_file_test (path, G_FILE_TEST_IS_DIR);
}

/* Sorted names in @dir: sub-folders (@dirs) or image files. */
static GPtrArray *
list_dir (const char *dir, gboolean dirs)
{
  return fb_dataset_list_dir (dir, dirs ? is_class_folder : is_image_file, FALSE);
}

typedef struct {
  guint       h, w, c;
  GByteArray *codes;
  GArray     *labels;
} Decoded;

static gboolean
decode_one (const char *path, gint64 label, const FbDatasetSpec *spec, Decoded *d, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new_from_file (path, &local);
  guint w, h, nch, stride;
  const guint8 *px;

  if (pb == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: cannot decode the image: %s"), path, local->message);
      return FALSE;
    }
  w = (guint) gdk_pixbuf_get_width (pb);
  h = (guint) gdk_pixbuf_get_height (pb);
  nch = (guint) gdk_pixbuf_get_n_channels (pb);
  stride = (guint) gdk_pixbuf_get_rowstride (pb);
  if (d->h == 0)
    {
      d->h = spec->h ? spec->h : h;
      d->w = spec->w ? spec->w : w;
      d->c = spec->c ? spec->c : 3;
    }
  if (h != d->h || w != d->w || (d->c != 1 && d->c != 3) || gdk_pixbuf_get_bits_per_sample (pb) != 8 || nch < 3)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: wrong shape: a %u×%u image (H×W), network \"%s\" takes %u×%u×%u inputs "
                     "(images give 1 or 3 channels, no resizing)"), path, h, w,
                   spec->network_name != NULL ? spec->network_name : "the network", d->h, d->w, d->c);
      return FALSE;
    }
  px = gdk_pixbuf_read_pixels (pb);
  for (guint r = 0; r < h; r++)
    for (guint x = 0; x < w; x++)
      {
        const guint8 *p = px + (gsize) r * stride + (gsize) x * nch;
        if (d->c == 3)
          g_byte_array_append (d->codes, p, 3);
        else
          {
            guint8 g = p[0] == p[1] && p[1] == p[2] ? p[0]
                       : (guint8) ((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
            g_byte_array_append (d->codes, &g, 1);
          }
      }
  g_array_append_val (d->labels, label);
  return TRUE;
}

/* Loads the class folders of @dir; @classes: the names giving the labels
 * (NULL: @dir's own, returned in *@found). */
static FbDataset *
load_folders (const char *dir, GPtrArray *classes, const FbDatasetSpec *spec, GPtrArray **found,
              GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) names = list_dir (dir, TRUE);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) class_of = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GBytes) bytes = NULL;
  Decoded d = { .codes = g_byte_array_new (), .labels = labels };
  FbDatasetRaw raw = { .origin = dir, .labels_origin = dir, .dtype = FB_DATASET_DTYPE_U8 };
  guint most = 0, total = 0;
  FbDataset *ds;

  if (classes == NULL)
    classes = names;
  for (guint k = 0; k < names->len; k++)
    {
      g_autofree char *sub = g_build_filename (dir, names->pdata[k], NULL);
      GPtrArray *imgs = list_dir (sub, FALSE);
      guint label = 0;
      while (label < classes->len && strcmp (classes->pdata[label], names->pdata[k]) != 0)
        label++;
      if (label == classes->len)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: class folder \"%s\" is not among the "
                         "training classes"), dir, (char *) names->pdata[k]);
          g_ptr_array_unref (imgs);
          g_byte_array_unref (d.codes);
          return NULL;
        }
      g_array_append_val (class_of, label);
      g_ptr_array_add (files, imgs);
      most = MAX (most, imgs->len);
      total += imgs->len;
    }
  if (total == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: no images: expected one sub-folder of PNG or JPEG images per class"), dir);
      g_byte_array_unref (d.codes);
      return NULL;
    }
  /* In turn from each class. */
  for (guint i = 0; i < most; i++)
    for (guint k = 0; k < files->len; k++)
      {
        GPtrArray *imgs = files->pdata[k];
        g_autofree char *path = NULL;
        if (i >= imgs->len)
          continue;
        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          goto fail;
        path = g_build_filename (dir, names->pdata[k], imgs->pdata[i], NULL);
        if (!decode_one (path, g_array_index (class_of, guint, k), spec, &d, error))
          goto fail;
      }
  raw.n = labels->len;
  raw.n_dims = 3;
  raw.dims[0] = d.h, raw.dims[1] = d.w, raw.dims[2] = d.c;
  raw.labels = (const gint64 *) labels->data;
  bytes = g_byte_array_free_to_bytes (d.codes);
  raw.bytes = bytes;
  ds = fb_dataset_build (spec, &raw, error);
  if (ds != NULL)
    fb_dataset_set_class_names (ds, classes);
  if (ds != NULL && found != NULL)
    *found = g_ptr_array_ref (names);
  return ds;

fail:
  g_byte_array_unref (d.codes);
  return NULL;
}

gboolean
fb_dataset_open_images (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
                        GCancellable *cancellable, GError **error)
{
  g_autofree char *trd = g_build_filename (path, "train", NULL), *ted = g_build_filename (path, "test", NULL);
  g_autoptr(GPtrArray) classes = NULL;
  g_autoptr(FbDataset) tr = NULL, te = NULL;

  if (!g_file_test (trd, G_FILE_TEST_IS_DIR) || !g_file_test (ted, G_FILE_TEST_IS_DIR))
    {
      FbDataset *all = load_folders (path, NULL, spec, NULL, cancellable, error);
      if (all == NULL)
        return FALSE;
      fb_dataset_assign_parts (all, spec, train, test);
      return TRUE;
    }
  /* The training part names the classes, even when only the test part is wanted. */
  tr = load_folders (trd, NULL, spec, &classes, cancellable, error);
  if (tr == NULL)
    return FALSE;
  if (test != NULL && (te = load_folders (ted, classes, spec, NULL, cancellable, error)) == NULL)
    return FALSE;
  if (train != NULL)
    *train = g_steal_pointer (&tr);
  if (test != NULL)
    *test = g_steal_pointer (&te);
  return TRUE;
}

/* fb-dataset.c — the dataset type, its checks, IDX and the format dispatch.
 *
 * IDX format (LeCun): a big-endian u32 magic 0x0000TTDD (TT = element type:
 * 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D float32; DD = number of
 * dimensions), DD big-endian u32 sizes, then the data, big-endian.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-dataset-private.h"
#include "fb-error.h"

/* For g_ptr_array_sort(): byte order of the strings. */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

struct _FbDataset {
  gatomicrefcount  ref;
  char            *path;
  guint            n, h, w, c, n_classes;
  FbDatasetDtype   dtype;          /* of the source */
  gboolean         input_signed;
  double           input_scale;
  gint             input_zero_point;
  gboolean         mapped;
  GBytes          *storage;        /* holds codes (shared with slices) */
  const guint8    *codes;          /* n × h × w × c */
  guint8          *labels;         /* n */
  GBytes          *target_storage; /* NULL: target = input */
  const float     *targets;        /* n × n_targets */
  guint            n_targets;
  GStrv            class_names;    /* NULL: none */
  float            lut[256];       /* code byte → real value */
};

/* Largest accepted dimension: far above any dataset, low enough that
 * products of two cannot overflow. */
#define MAX_DIM (1u << 24)
/* Largest example: 4096 × 4096 × 4 bytes. */
#define MAX_EXAMPLE ((gsize) 1 << 26)

void
fb_dataset_spec_init (FbDatasetSpec *spec)
{
  memset (spec, 0, sizeof *spec);
  spec->input_scale = 1.0 / 255.0;
}

gboolean
fb_dataset_layout_from_string (const char *name, FbDatasetLayout *layout)
{
  if (name == NULL || g_ascii_strcasecmp (name, "auto") == 0)
    *layout = FB_DATASET_LAYOUT_AUTO;
  else if (g_ascii_strcasecmp (name, "nhwc") == 0)
    *layout = FB_DATASET_LAYOUT_NHWC;
  else if (g_ascii_strcasecmp (name, "nchw") == 0)
    *layout = FB_DATASET_LAYOUT_NCHW;
  else
    return FALSE;
  return TRUE;
}

void
fb_dataset_spec_init_for_network (FbDatasetSpec *spec, FbNetwork *network)
{
  const FbTensor *in = fb_network_get_input (network);
  const FbTensor *out = fb_network_get_logits (network);

  fb_dataset_spec_init (spec);
  spec->h = in->shape.h;
  spec->w = in->shape.w;
  spec->c = in->shape.c;
  spec->input_signed = fb_network_get_input_signed (network);
  spec->input_scale = fb_network_get_input_scale (network);
  spec->input_zero_point = fb_network_get_input_zero_point (network);
  spec->values = fb_network_get_output_kind (network) == FB_OUTPUT_VALUES;
  spec->n_classes = spec->values ? 0 : out->shape.c;
  spec->n_values = out->shape.h * out->shape.w * out->shape.c;
  spec->network_name = fb_network_get_name (network);
}

static void
fb_dataset_free (FbDataset *self)
{
  g_free (self->path);
  g_bytes_unref (self->storage);
  g_clear_pointer (&self->target_storage, g_bytes_unref);
  g_free (self->labels);
  g_strfreev (self->class_names);
  g_free (self);
}

FbDataset *
fb_dataset_ref (FbDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_dataset_unref (FbDataset *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref))
    fb_dataset_free (self);
}

/* ---- building ----------------------------------------------------------- */

static char *
dims_string (guint n_dims, const guint *dims)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%u", i ? "×" : "", dims[i]);
  return g_string_free (s, FALSE);
}

static const char *
network_name (const FbDatasetSpec *spec)
{
  return spec->network_name != NULL ? spec->network_name : "the network";
}

/* Picks H, W, C and the layout from the stored per-example dims. */
static gboolean
resolve_shape (const FbDatasetSpec *spec, const FbDatasetRaw *raw, guint *h, guint *w, guint *c,
               gboolean *chw, GError **error)
{
  const guint *d = raw->dims;
  guint hwc[3], nchw[3] = { 0, 0, 0 };
  gboolean has_chw = raw->n_dims == 3;
  gboolean any = spec->h == 0 && spec->w == 0 && spec->c == 0;
  gboolean hwc_ok, chw_ok;

  if (raw->n_dims == 1)
    hwc[0] = 1, hwc[1] = 1, hwc[2] = d[0];
  else if (raw->n_dims == 2)
    hwc[0] = d[0], hwc[1] = d[1], hwc[2] = 1;
  else
    hwc[0] = d[0], hwc[1] = d[1], hwc[2] = d[2];
  if (has_chw)
    nchw[0] = d[1], nchw[1] = d[2], nchw[2] = d[0];
  hwc_ok = !raw->chw && spec->layout != FB_DATASET_LAYOUT_NCHW &&
           (any || (hwc[0] == spec->h && hwc[1] == spec->w && hwc[2] == spec->c));
  chw_ok = has_chw && (raw->chw || spec->layout != FB_DATASET_LAYOUT_NHWC) &&
           (any || (nchw[0] == spec->h && nchw[1] == spec->w && nchw[2] == spec->c));
  if (any && raw->chw)
    hwc_ok = FALSE;
  if (any && spec->layout == FB_DATASET_LAYOUT_NCHW && !has_chw)
    hwc_ok = TRUE;   /* a 1-D or 2-D example has one channel either way */
  if (!hwc_ok && !chw_ok && !has_chw && spec->layout == FB_DATASET_LAYOUT_NCHW && !any)
    hwc_ok = hwc[0] == spec->h && hwc[1] == spec->w && hwc[2] == spec->c;
  if (hwc_ok)
    {
      *h = hwc[0], *w = hwc[1], *c = hwc[2], *chw = FALSE;
      return TRUE;
    }
  if (chw_ok)
    {
      *h = nchw[0], *w = nchw[1], *c = nchw[2], *chw = TRUE;
      return TRUE;
    }
  {
    g_autofree char *got = dims_string (raw->n_dims, raw->dims);
    const char *layout = raw->chw ? " (C×H×W)" : spec->layout == FB_DATASET_LAYOUT_NCHW ? " (NCHW)"
                                  : spec->layout == FB_DATASET_LAYOUT_NHWC ? " (NHWC)" : "";
    g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                 _("%s: wrong shape: examples are %s%s, network \"%s\" takes %u×%u×%u (H×W×C) inputs"),
                 raw->origin, got, layout, network_name (spec), spec->h, spec->w, spec->c);
  }
  return FALSE;
}

static gboolean
check_dtype (const FbDatasetSpec *spec, const FbDatasetRaw *raw, GError **error)
{
  if (raw->dtype == FB_DATASET_DTYPE_U8 && spec->input_signed)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: wrong dtype: uint8 examples, but network \"%s\" takes signed (int8) input; "
                     "give int8 codes or float32 values"), raw->origin, network_name (spec));
      return FALSE;
    }
  if (raw->dtype == FB_DATASET_DTYPE_I8 && !spec->input_signed)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: wrong dtype: int8 examples, but network \"%s\" takes unsigned (uint8) input; "
                     "give uint8 codes or float32 values"), raw->origin, network_name (spec));
      return FALSE;
    }
  return TRUE;
}

static float
load_f32 (const guint8 *p, gboolean big_endian)
{
  guint32 u;
  float f;
  memcpy (&u, p, 4);
  u = big_endian ? GUINT32_FROM_BE (u) : GUINT32_FROM_LE (u);
  memcpy (&f, &u, 4);
  return f;
}

/* Converts every example into HWC codes (quantizing float32). */
static gboolean
convert_codes (FbDataset *self, const FbDatasetSpec *spec, const FbDatasetRaw *raw, gboolean chw,
               guint8 *dst, GError **error)
{
  const guint8 *src = (const guint8 *) g_bytes_get_data (raw->bytes, NULL) + raw->offset;
  gsize ex = (gsize) self->h * self->w * self->c, esize = raw->dtype == FB_DATASET_DTYPE_F32 ? 4 : 1;
  int lo = spec->input_signed ? -128 : 0, hi = spec->input_signed ? 127 : 255;

  for (guint i = 0; i < raw->n; i++)
    for (gsize k = 0; k < ex; k++)
      {
        /* k runs over HWC; s is the same element in the stored order. */
        gsize s = k;
        if (chw)
          {
            gsize ch = k % self->c, px = k / self->c;
            s = ch * self->h * self->w + px;
          }
        const guint8 *p = src + ((gsize) i * ex + s) * esize;
        if (raw->dtype != FB_DATASET_DTYPE_F32)
          {
            dst[(gsize) i * ex + k] = *p;
            continue;
          }
        float x = load_f32 (p, raw->big_endian);
        if (!isfinite (x))
          {
            g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                         _("%s: example %u holds a non-finite value (%g)"), raw->origin, i, x);
            return FALSE;
          }
        /* As fb_int_network_quantize_input(): nearest, ties to even. */
        double q = nearbyint (x * (1.0 / spec->input_scale)) + spec->input_zero_point;
        int v = (int) CLAMP (q, lo, hi);
        dst[(gsize) i * ex + k] = (guint8) (v & 0xff);
      }
  return TRUE;
}

static gboolean
build_labels (FbDataset *self, const FbDatasetSpec *spec, const FbDatasetRaw *raw, GError **error)
{
  gint64 max = 0;
  guint limit;

  self->labels = g_new0 (guint8, MAX (raw->n, 1));
  if (raw->labels == NULL)
    {
      if (!spec->values)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: no labels"), raw->origin);
          return FALSE;
        }
      self->n_classes = 1;
      return TRUE;
    }
  for (guint i = 0; i < raw->n; i++)
    max = MAX (max, raw->labels[i]);
  limit = spec->n_classes > 0 ? spec->n_classes : (guint) MIN (max + 1, 257);
  for (guint i = 0; i < raw->n; i++)
    if (raw->labels[i] < 0 || raw->labels[i] >= limit || raw->labels[i] > 255)
      {
        if (spec->n_classes > 0)
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: label %" PRId64 " of image %u is out of range "
                         "(network \"%s\" has %u classes)"),
                       raw->labels_origin, raw->labels[i], i, network_name (spec), limit);
        else
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: label %" PRId64 " of image %u is out of range (0 to 255)"),
                       raw->labels_origin, raw->labels[i], i);
        return FALSE;
      }
    else
      self->labels[i] = (guint8) raw->labels[i];
  self->n_classes = MAX (limit, 2);
  return TRUE;
}

static gboolean
build_targets (FbDataset *self, const FbDatasetSpec *spec, const FbDatasetRaw *raw, GError **error)
{
  gsize ex = (gsize) self->h * self->w * self->c;

  if (!spec->values)
    return TRUE;
  if (raw->targets == NULL)
    {
      /* The target is the input itself: a reconstruction. */
      if (spec->n_values != 0 && spec->n_values != ex)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: no target array, and the network's %u outputs cannot reconstruct "
                         "%zu-value examples"), raw->origin, spec->n_values, ex);
          return FALSE;
        }
      self->n_targets = (guint) ex;
      return TRUE;
    }
  if (spec->n_values != 0 && raw->n_targets != spec->n_values)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: wrong shape: %u target values per example, network \"%s\" has %u outputs"),
                   raw->labels_origin, raw->n_targets, network_name (spec), spec->n_values);
      return FALSE;
    }
  self->target_storage = g_bytes_new (raw->targets, (gsize) raw->n * raw->n_targets * sizeof (float));
  self->targets = g_bytes_get_data (self->target_storage, NULL);
  self->n_targets = raw->n_targets;
  return TRUE;
}

static void
fill_lut (FbDataset *self)
{
  for (guint b = 0; b < 256; b++)
    {
      int q = self->input_signed ? (int) (gint8) b : (int) b;
      /* In double, then rounded once: p / 255 exactly as (float) p / 255.0f. */
      self->lut[b] = (float) ((double) (q - self->input_zero_point) * self->input_scale);
    }
}

FbDataset *
fb_dataset_build (const FbDatasetSpec *spec, const FbDatasetRaw *raw, GError **error)
{
  g_autoptr(FbDataset) self = g_new0 (FbDataset, 1);
  gboolean chw = FALSE;
  gsize ex, total;

  g_atomic_ref_count_init (&self->ref);
  self->path = g_strdup (raw->origin);
  self->dtype = raw->dtype;
  self->input_signed = spec->input_signed;
  self->input_scale = spec->input_scale > 0 ? spec->input_scale : 1.0 / 255.0;
  self->input_zero_point = spec->input_zero_point;
  if (raw->n == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: empty set: no examples"), raw->origin);
      return NULL;
    }
  if (!resolve_shape (spec, raw, &self->h, &self->w, &self->c, &chw, error) ||
      !check_dtype (spec, raw, error))
    return NULL;
  ex = (gsize) self->h * self->w * self->c;
  if (ex == 0 || ex > MAX_EXAMPLE || raw->n > MAX_DIM)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: implausibly large dimensions"), raw->origin);
      return NULL;
    }
  total = ex * raw->n;
  g_assert (g_bytes_get_size (raw->bytes) >= raw->offset +
            total * (raw->dtype == FB_DATASET_DTYPE_F32 ? 4 : 1));
  self->n = raw->n;
  if (!build_labels (self, spec, raw, error) || !build_targets (self, spec, raw, error))
    return NULL;
  if (raw->dtype != FB_DATASET_DTYPE_F32 && !chw)
    {
      /* The file holds the codes as they are: share its memory. */
      self->storage = g_bytes_new_from_bytes (raw->bytes, raw->offset, total);
      self->mapped = raw->mapped;
    }
  else
    {
      guint8 *codes = g_malloc (total);
      self->storage = g_bytes_new_take (codes, total);
      if (!convert_codes (self, spec, raw, chw, codes, error))
        return NULL;
    }
  self->codes = g_bytes_get_data (self->storage, NULL);
  fill_lut (self);
  return g_steal_pointer (&self);
}

FbDataset *
fb_dataset_slice (FbDataset *self, guint first, guint n)
{
  FbDataset *s;
  gsize ex = fb_dataset_get_example_size (self);

  g_return_val_if_fail (first <= self->n && n <= self->n - first, NULL);
  s = g_memdup2 (self, sizeof *self);
  g_atomic_ref_count_init (&s->ref);
  s->path = g_strdup (self->path);
  s->n = n;
  s->storage = g_bytes_new_from_bytes (self->storage, first * ex, n * ex);
  s->codes = g_bytes_get_data (s->storage, NULL);
  s->labels = g_memdup2 (self->labels + first, MAX (n, 1));
  s->class_names = g_strdupv (self->class_names);
  if (self->target_storage != NULL)
    {
      gsize tb = (gsize) self->n_targets * sizeof (float);
      s->target_storage = g_bytes_new_from_bytes (self->target_storage, first * tb, n * tb);
      s->targets = g_bytes_get_data (s->target_storage, NULL);
    }
  return s;
}

void
fb_dataset_assign_parts (FbDataset *all, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test)
{
  guint n = all->n, n_test = 0;

  if (spec->val_split > 0 && spec->val_split < 1)
    n_test = CLAMP ((guint) round (n * spec->val_split), 1u, MAX (n, 2u) - 1);
  if (n_test == 0 || n < 2)
    {
      if (train != NULL)
        *train = fb_dataset_ref (all);
      if (test != NULL)
        *test = fb_dataset_ref (all);
    }
  else
    {
      if (train != NULL)
        *train = fb_dataset_slice (all, 0, n - n_test);
      if (test != NULL)
        *test = fb_dataset_slice (all, n - n_test, n_test);
    }
  fb_dataset_unref (all);
}

/* ---- files -------------------------------------------------------------- */

void
fb_dataset_set_io_error (GError **error, const char *path, GError *local)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (local));
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: truncated: the compressed stream ends early"), path);
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: corrupted compressed data: %s"), path, local->message);
  else if (strstr (local->message, path) != NULL)   /* GIO's message names the file */
    g_set_error_literal (error, FB_ERROR, FB_ERROR_IO, local->message);
  else
    g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", path, local->message);
}

GBytes *
fb_dataset_read_file (const char *path, gboolean *mapped, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, &local);
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *p;
  gsize size;

  if (map == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: No such file"), path);
      else
        fb_dataset_set_io_error (error, path, local);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (map);
  p = g_bytes_get_data (bytes, &size);
  *mapped = TRUE;
  if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b)
    {
      g_autoptr(GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_bytes (bytes);
      g_autoptr(GInputStream) conv = g_converter_input_stream_new (mem, G_CONVERTER (gz));
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

      if (g_output_stream_splice (out, conv, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable,
                                  &local) < 0)
        {
          fb_dataset_set_io_error (error, path, local);
          return NULL;
        }
      *mapped = FALSE;
      return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
  return g_steal_pointer (&bytes);
}

/* ---- IDX ---------------------------------------------------------------- */

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint
idx_elem_size (guint type)
{
  switch (type)
    {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    default: return 0;
    }
}

typedef struct {
  GBytes  *bytes;
  gboolean mapped;
  guint    type, n_dims;
  guint32  dims[4];
  gsize    offset;
} IdxFile;

static void
idx_file_clear (IdxFile *f)
{
  g_clear_pointer (&f->bytes, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IdxFile, idx_file_clear)

/* Reads one IDX file; checks the header against the file's size. */
static gboolean
read_idx (const char *path, IdxFile *f, GCancellable *cancellable, GError **error)
{
  const guint8 *p;
  gsize size, count = 1, esize;
  guint32 magic;

  f->bytes = fb_dataset_read_file (path, &f->mapped, cancellable, error);
  if (f->bytes == NULL)
    return FALSE;
  p = g_bytes_get_data (f->bytes, &size);
  /* The magic first, so a file of the wrong kind is named as such even when
   * it is shorter than the header we expect. */
  if (size < 4)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: truncated: %zu bytes, too short for the IDX magic number"), path, size);
      return FALSE;
    }
  magic = be32 (p);
  f->type = (magic >> 8) & 0xff;
  f->n_dims = magic & 0xff;
  esize = idx_elem_size (f->type);
  if ((magic >> 16) != 0 || esize == 0 || f->n_dims < 1 || f->n_dims > 4)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not an IDX file (magic 0x%08x; expected 0x0000TTDD with type TT 08, 09, 0B, "
                     "0C or 0D and 1 to 4 dimensions DD)"), path, magic);
      return FALSE;
    }
  f->offset = 4 + 4 * (gsize) f->n_dims;
  if (size < f->offset)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: truncated: the IDX dimensions are cut short"), path);
      return FALSE;
    }
  for (guint i = 0; i < f->n_dims; i++)
    {
      f->dims[i] = be32 (p + 4 + 4 * i);
      if (f->dims[i] == 0 || f->dims[i] > MAX_DIM)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                       _("%s: dimension %u is %u, expected 1 to %u"), path, i, f->dims[i], MAX_DIM);
          return FALSE;
        }
      count *= f->dims[i];
      if (count > G_MAXSIZE / 8)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: implausibly large dimensions"), path);
          return FALSE;
        }
    }
  if (size - f->offset < count * esize)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: truncated: %zu bytes of data expected, only %zu present"), path, count * esize, size - f->offset);
      return FALSE;
    }
  /* Trailing bytes mean the header and the data disagree: refuse rather than guess. */
  if (size - f->offset > count * esize)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: trailing bytes after the %zu bytes of data the header declares"),
                   path, count * esize);
      return FALSE;
    }
  return TRUE;
}

static gint64 *
idx_labels (const char *path, IdxFile *f, GError **error)
{
  const guint8 *p = (const guint8 *) g_bytes_get_data (f->bytes, NULL) + f->offset;
  gint64 *labels;

  if (f->n_dims != 1 || f->type == 0x0D)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not an IDX labels file (expected 1 dimension of integers, magic 0x00000801)"), path);
      return NULL;
    }
  labels = g_new (gint64, f->dims[0]);
  for (guint i = 0; i < f->dims[0]; i++)
    switch (f->type)
      {
      case 0x08: labels[i] = p[i]; break;
      case 0x09: labels[i] = (gint8) p[i]; break;
      case 0x0B: labels[i] = (gint16) (((guint16) p[2 * i] << 8) | p[2 * i + 1]); break;
      default:   labels[i] = (gint32) be32 (p + 4 * i); break;
      }
  return labels;
}

FbDataset *
fb_dataset_load_idx_spec (const char *images_path, const char *labels_path, const FbDatasetSpec *spec,
                          GCancellable *cancellable, GError **error)
{
  g_auto(IdxFile) img = { 0 }, lab = { 0 };
  g_autofree gint64 *labels = NULL;
  FbDatasetSpec defaults;
  FbDatasetRaw raw = { .origin = images_path, .labels_origin = labels_path };

  g_return_val_if_fail (images_path != NULL && labels_path != NULL, NULL);
  if (spec == NULL)
    {
      fb_dataset_spec_init (&defaults);
      spec = &defaults;
    }
  if (!read_idx (images_path, &img, cancellable, error))
    return NULL;
  if (img.n_dims < 2 || (img.type != 0x08 && img.type != 0x09 && img.type != 0x0D))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not an IDX images file (magic type 0x%02x with %u dimensions; expected "
                     "u8, i8 or float32 data with 2 to 4 dimensions)"), images_path, img.type, img.n_dims);
      return NULL;
    }
  if (!read_idx (labels_path, &lab, cancellable, error))
    return NULL;
  labels = idx_labels (labels_path, &lab, error);
  if (labels == NULL)
    return NULL;
  if (lab.dims[0] != img.dims[0])
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: %u labels, but %s has %u images"),
                   labels_path, lab.dims[0], images_path, img.dims[0]);
      return NULL;
    }
  raw.dtype = img.type == 0x08 ? FB_DATASET_DTYPE_U8 : img.type == 0x09 ? FB_DATASET_DTYPE_I8
                                                                        : FB_DATASET_DTYPE_F32;
  raw.big_endian = TRUE;
  raw.bytes = img.bytes;
  raw.mapped = img.mapped;
  raw.offset = img.offset;
  raw.n = img.dims[0];
  raw.n_dims = img.n_dims - 1;
  memcpy (raw.dims, img.dims + 1, raw.n_dims * sizeof (guint));
  raw.labels = labels;
  return fb_dataset_build (spec, &raw, error);
}

FbDataset *
fb_dataset_load_idx (const char *images_path, const char *labels_path, guint n_classes,
                     GCancellable *cancellable, GError **error)
{
  FbDatasetSpec spec;

  g_return_val_if_fail (n_classes >= 2 && n_classes <= 256, NULL);
  fb_dataset_spec_init (&spec);
  spec.n_classes = n_classes;
  return fb_dataset_load_idx_spec (images_path, labels_path, &spec, cancellable, error);
}

/* The labels file of an IDX images file: "images" → "labels", "idxN" → "idx1". */
static char *
idx_labels_path (const char *images_path)
{
  g_autofree char *base = g_path_get_basename (images_path);
  g_autofree char *dir = g_path_get_dirname (images_path);
  char *at = strstr (base, "images");
  GString *s;

  if (at == NULL)
    return NULL;
  s = g_string_new_len (base, at - base);
  g_string_append (s, "labels");
  g_string_append (s, at + strlen ("images"));
  for (char *p = strstr (s->str, "idx"); p != NULL; p = strstr (p + 1, "idx"))
    if (g_ascii_isdigit (p[3]))
      p[3] = '1';
  {
    g_autofree char *name = g_string_free (s, FALSE);
    return g_build_filename (dir, name, NULL);
  }
}

static gboolean
is_idx_images_name (const char *name)
{
  return strstr (name, "images") != NULL && strstr (name, "idx") != NULL;
}

GPtrArray *
fb_dataset_list_dir (const char *dir, FbDatasetNameFilter keep, gboolean paths)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (keep == NULL || keep (dir, name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; paths && i < names->len; i++)
    {
      char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_free (names->pdata[i]);
      names->pdata[i] = path;
    }
  return names;
}

/* The IDX images file of @dir whose name starts with one of @prefixes. */
static char *
find_idx (const char *dir, const char *const *prefixes)
{
  g_autoptr(GPtrArray) names = fb_dataset_list_dir (dir, NULL, FALSE);

  for (const char *const *p = prefixes; *p != NULL; p++)
    for (guint i = 0; i < names->len; i++)
      if (g_str_has_prefix (names->pdata[i], *p) && is_idx_images_name (names->pdata[i]))
        return g_build_filename (dir, names->pdata[i], NULL);
  return NULL;
}

static FbDataset *
load_idx_images (const char *images, const FbDatasetSpec *spec, GCancellable *cancellable, GError **error)
{
  g_autofree char *labels = idx_labels_path (images);

  if (labels == NULL || !g_file_test (labels, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: no labels file %s next to it"), images,
                   labels != NULL ? labels : "(its name lacks \"images\")");
      return NULL;
    }
  return fb_dataset_load_idx_spec (images, labels, spec, cancellable, error);
}

static gboolean
open_idx_dir (const char *dir, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
              GCancellable *cancellable, GError **error)
{
  static const char *const train_prefixes[] = { "train", NULL };
  static const char *const test_prefixes[] = { "t10k", "test", NULL };
  g_autofree char *tr = find_idx (dir, train_prefixes), *te = find_idx (dir, test_prefixes);

  if (tr == NULL && te == NULL)
    return FALSE;
  if (tr == NULL || te == NULL)
    {
      /* One set only: both parts, or split. */
      FbDataset *all = load_idx_images (tr != NULL ? tr : te, spec, cancellable, error);
      if (all == NULL)
        return FALSE;
      fb_dataset_assign_parts (all, spec, train, test);
      return TRUE;
    }
  if (test != NULL && (*test = load_idx_images (te, spec, cancellable, error)) == NULL)
    return FALSE;
  if (train != NULL && (*train = load_idx_images (tr, spec, cancellable, error)) == NULL)
    {
      if (test != NULL)
        g_clear_pointer (test, fb_dataset_unref);
      return FALSE;
    }
  return TRUE;
}

/* ---- Fashion-MNIST ------------------------------------------------------ */

static const char *
fashion_dir (const char *dir)
{
  if (dir == NULL)
    dir = g_getenv ("FB_FASHION_MNIST_DIR");
  return dir != NULL ? dir : FB_FASHION_MNIST_DIR;
}

static FbDataset *
load_fashion (const char *dir, FbDatasetSplit split, const FbDatasetSpec *spec, GCancellable *cancellable,
              GError **error)
{
  const char *prefix = split == FB_DATASET_TRAIN ? "train" : "t10k";
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte.gz", prefix);
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte.gz", prefix);
  g_autofree char *images = NULL, *labels = NULL;

  dir = fashion_dir (dir);
  images = g_build_filename (dir, images_name, NULL);
  labels = g_build_filename (dir, labels_name, NULL);

  /* Check both files first so the message is about the missing package,
   * not a generic "no such file". */
  for (guint i = 0; i < 2; i++)
    {
      const char *p = i == 0 ? images : labels;
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_IO,
                       _("%s: no such file: the Fashion-MNIST data set is missing; install the "
                         "Debian package %s (apt install %s) or set FB_FASHION_MNIST_DIR"),
                       p, FB_FASHION_MNIST_PACKAGE, FB_FASHION_MNIST_PACKAGE);
          return NULL;
        }
    }
  return fb_dataset_load_idx_spec (images, labels, spec, cancellable, error);
}

FbDataset *
fb_dataset_load_fashion_mnist (const char *dir, FbDatasetSplit split, GCancellable *cancellable,
                               GError **error)
{
  FbDatasetSpec spec;

  fb_dataset_spec_init (&spec);
  spec.n_classes = 10;
  return load_fashion (dir, split, &spec, cancellable, error);
}

/* ---- dispatch ----------------------------------------------------------- */

static gboolean
open_directory (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (fb_dataset_dir_has_numpy (path))
    return fb_dataset_open_numpy (path, spec, train, test, cancellable, error);
  if (fb_dataset_dir_has_cifar (path))
    return fb_dataset_open_cifar (path, spec, train, test, cancellable, error);
  if (open_idx_dir (path, spec, train, test, cancellable, &local))
    return TRUE;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return fb_dataset_open_images (path, spec, train, test, cancellable, error);
}

static gboolean
open_dataset (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
              GCancellable *cancellable, GError **error)
{
  FbDatasetSpec defaults;
  g_autofree char *base = NULL;
  FbDataset *tr = NULL, *te = NULL;
  gboolean ok;

  if (spec == NULL)
    {
      fb_dataset_spec_init (&defaults);
      spec = &defaults;
    }
  if (path == NULL)
    {
      te = test != NULL ? load_fashion (NULL, FB_DATASET_TEST, spec, cancellable, error) : NULL;
      if (test != NULL && te == NULL)
        return FALSE;
      tr = train != NULL ? load_fashion (NULL, FB_DATASET_TRAIN, spec, cancellable, error) : NULL;
      if (train != NULL && tr == NULL)
        {
          g_clear_pointer (&te, fb_dataset_unref);
          return FALSE;
        }
      if (train != NULL)
        *train = tr;
      if (test != NULL)
        *test = te;
      return TRUE;
    }
  base = g_path_get_basename (path);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    ok = open_directory (path, spec, train ? &tr : NULL, test ? &te : NULL, cancellable, error);
  else if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: No such file or directory"), path);
      return FALSE;
    }
  else if (g_str_has_suffix (base, ".npz") || g_str_has_suffix (base, ".npy"))
    ok = fb_dataset_open_numpy (path, spec, train ? &tr : NULL, test ? &te : NULL, cancellable, error);
  else if (g_str_has_suffix (base, ".bin"))
    ok = fb_dataset_open_cifar (path, spec, train ? &tr : NULL, test ? &te : NULL, cancellable, error);
  else if (is_idx_images_name (base))
    {
      FbDataset *all = load_idx_images (path, spec, cancellable, error);
      ok = all != NULL;
      if (ok)
        fb_dataset_assign_parts (all, spec, train ? &tr : NULL, test ? &te : NULL);
    }
  else
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: unknown dataset kind: expected a .npz or .npy file, an IDX images file "
                     "(…-images-idx…), a CIFAR .bin batch, or a directory of those or of image folders"),
                   path);
      return FALSE;
    }
  if (!ok)
    return FALSE;
  if (train != NULL)
    *train = tr;
  if (test != NULL)
    *test = te;
  return TRUE;
}

gboolean
fb_dataset_open (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
                 GCancellable *cancellable, GError **error)
{
  gboolean ok = open_dataset (path, spec, train, test, cancellable, error);

  /* The loaders quote what they read (a .npy header, names); the error stays one line. */
  fb_error_one_line (error);
  return ok;
}

/* ---- accessors ---------------------------------------------------------- */

guint fb_dataset_get_n_images (FbDataset *self) { return self->n; }
guint fb_dataset_get_height (FbDataset *self) { return self->h; }
guint fb_dataset_get_width (FbDataset *self) { return self->w; }
guint fb_dataset_get_channels (FbDataset *self) { return self->c; }
gsize fb_dataset_get_example_size (FbDataset *self) { return (gsize) self->h * self->w * self->c; }
guint fb_dataset_get_n_classes (FbDataset *self) { return self->n_classes; }
FbDatasetDtype fb_dataset_get_source_dtype (FbDataset *self) { return self->dtype; }
gboolean fb_dataset_get_input_signed (FbDataset *self) { return self->input_signed; }
double fb_dataset_get_input_scale (FbDataset *self) { return self->input_scale; }
gint fb_dataset_get_input_zero_point (FbDataset *self) { return self->input_zero_point; }
gboolean fb_dataset_is_mapped (FbDataset *self) { return self->mapped; }
guint fb_dataset_get_n_targets (FbDataset *self) { return self->n_targets; }
const char *fb_dataset_get_path (FbDataset *self) { return self->path; }

void
fb_dataset_set_class_names (FbDataset *self, GPtrArray *names)
{
  g_strfreev (self->class_names);
  self->class_names = g_new0 (char *, names->len + 1);
  for (guint i = 0; i < names->len; i++)
    self->class_names[i] = g_strdup (names->pdata[i]);
}

const char *
fb_dataset_get_class_name (FbDataset *self, guint c)
{
  if (self->class_names == NULL || c >= g_strv_length (self->class_names))
    return NULL;
  return self->class_names[c];
}

const char *
fb_dataset_dtype_to_string (FbDatasetDtype dtype)
{
  return dtype == FB_DATASET_DTYPE_U8 ? "uint8" : dtype == FB_DATASET_DTYPE_I8 ? "int8" : "float32";
}

const guint8 *
fb_dataset_get_image (FbDataset *self, guint index)
{
  g_return_val_if_fail (index < self->n, NULL);
  return self->codes + (gsize) index * fb_dataset_get_example_size (self);
}

void
fb_dataset_get_float (FbDataset *self, guint index, float *dst)
{
  const guint8 *src = fb_dataset_get_image (self, index);
  gsize ex = fb_dataset_get_example_size (self);

  for (gsize k = 0; k < ex; k++)
    dst[k] = self->lut[src[k]];
}

guint8
fb_dataset_get_label (FbDataset *self, guint index)
{
  g_return_val_if_fail (index < self->n, 0);
  return self->labels[index];
}

const float *
fb_dataset_get_targets (FbDataset *self, guint index)
{
  g_return_val_if_fail (index < self->n, NULL);
  return self->targets != NULL ? self->targets + (gsize) index * self->n_targets : NULL;
}

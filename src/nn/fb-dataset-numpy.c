/* fb-dataset-numpy.c — NumPy .npy / .npz datasets.
 *
 * Arrays: x (uint8, int8 or float32; N×H×W×C, N×C×H×W, N×H×W or N×F) and y
 * (integer labels of any width, N or N×1; float32 targets for a network
 * whose output_kind is "values"), as x_train / y_train / x_test / y_test or
 * x / y: members of a .npz, files of a directory, or one x….npy file with
 * its y….npy next to it.
 *
 * .npy files and the stored (uncompressed, np.savez) members of a .npz are
 * memory-mapped; libzip inflates compressed (np.savez_compressed) members
 * into memory. libzip has no call for a member's offset in the archive, so
 * the local headers are walked (each checked against libzip's name and
 * size) to find a stored member's data; any doubt falls back to a copy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <zip.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-dataset-private.h"
#include "fb-error.h"

typedef struct {
  char     kind;          /* 'u', 'i', 'f', 'b' */
  guint    itemsize;
  gboolean big_endian;
  guint    n_dims;
  guint64  dims[6];
  gsize    offset;        /* of the data in the bytes */
  char    *descr;
} NpyHeader;

static void
npy_header_clear (NpyHeader *h)
{
  g_clear_pointer (&h->descr, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NpyHeader, npy_header_clear)

/* One group of a regex match on @header, or NULL. */
static char *
match_field (const char *header, const char *pattern)
{
  g_autoptr(GRegex) re = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;

  if (!g_regex_match (re, header, 0, &m))
    return NULL;
  return g_match_info_fetch (m, 1);
}

/* Parses the .npy header ("\x93NUMPY", version, length, a Python dict
 * literal with 'descr', 'fortran_order' and 'shape') and checks that the
 * data it declares is all there. */
static gboolean
parse_npy (GBytes *bytes, const char *origin, NpyHeader *h, GError **error)
{
  gsize size, hlen, count = 1;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  g_autofree char *header = NULL, *fortran = NULL, *shape = NULL;
  g_auto(GStrv) parts = NULL;

  if (size < 10 || memcmp (p, "\x93NUMPY", 6) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, "%s: %s", origin,
                   size < 10 ? "truncated: too short for a .npy header" : "not a .npy array (no \\x93NUMPY magic)");
      return FALSE;
    }
  if (p[6] == 1)
    hlen = p[8] | (p[9] << 8), h->offset = 10;
  else if (size >= 12 && (p[6] == 2 || p[6] == 3))
    hlen = p[8] | (p[9] << 8) | ((gsize) p[10] << 16) | ((gsize) p[11] << 24), h->offset = 12;
  else
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: unknown .npy version %u"), origin, p[6]);
      return FALSE;
    }
  if (size - h->offset < hlen)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: truncated: the .npy header is cut short"), origin);
      return FALSE;
    }
  header = g_strndup ((const char *) p + h->offset, hlen);
  h->offset += hlen;
  /* GRegex hands PCRE2 its subject unchecked (PCRE2_NO_UTF_CHECK): invalid UTF-8 is undefined
   * behaviour there, and the JIT-compiled matcher crashed on it (fuzz-dataset). NumPy writes
   * ASCII (UTF-8 in version 3), so anything else is refused before a regex sees it. */
  if (!g_utf8_validate (header, -1, NULL))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, "%s: unreadable .npy header: not ASCII/UTF-8 text",
                   origin);
      return FALSE;
    }
  h->descr = match_field (header, "'descr'\\s*:\\s*'([<>|=]?[a-zA-Z][0-9]*)'");
  fortran = match_field (header, "'fortran_order'\\s*:\\s*(True|False)");
  shape = match_field (header, "'shape'\\s*:\\s*\\(([0-9,\\s]*)\\)");
  if (h->descr == NULL || fortran == NULL || shape == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: unreadable .npy header %s"), origin, header);
      return FALSE;
    }
  if (strcmp (fortran, "True") == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: Fortran-order array; save np.ascontiguousarray(x) instead"), origin);
      return FALSE;
    }
  {
    const char *d = h->descr;
    h->big_endian = d[0] == '>';
    if (strchr ("<>|=", d[0]) != NULL)
      d++;
    h->kind = d[0];
    h->itemsize = (guint) g_ascii_strtoull (d + 1, NULL, 10);
  }
  if (h->itemsize == 0 || strchr ("uifb", h->kind) == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: wrong dtype: '%s' is not a numeric array"),
                   origin, h->descr);
      return FALSE;
    }
  parts = g_strsplit (shape, ",", -1);
  h->n_dims = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] == '\0')
        continue;
      if (h->n_dims == G_N_ELEMENTS (h->dims))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: wrong shape: (%s) has too many dimensions"),
                       origin, shape);
          return FALSE;
        }
      h->dims[h->n_dims] = g_ascii_strtoull (parts[i], NULL, 10);
      count *= MAX (h->dims[h->n_dims], 1);
      if (h->dims[h->n_dims] > (1u << 26) || count > G_MAXSIZE / 16)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: implausibly large shape (%s)"), origin, shape);
          return FALSE;
        }
      if (h->dims[h->n_dims] == 0)
        count = 0;
      h->n_dims++;
    }
  if (size - h->offset < count * h->itemsize)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: truncated: shape (%s) of '%s' needs %zu bytes of data, only %zu present"), origin, shape, h->descr, count * h->itemsize, size - h->offset);
      return FALSE;
    }
  return TRUE;
}

/* ---- where the arrays come from ----------------------------------------- */

typedef struct {
  const char *path;
  gboolean    is_dir;
  zip_t      *zip;       /* .npz */
  GBytes     *file;      /* .npz mapped */
  const char *x_file;    /* a single .npy */
} Source;

/* The offset of stored member @index's data in the mapped archive, or 0. */
static gsize
stored_offset (Source *src, zip_uint64_t index)
{
  gsize size, off = 0;
  const guint8 *p = g_bytes_get_data (src->file, &size);

  for (zip_uint64_t j = 0; j <= index; j++)
    {
      zip_stat_t st;
      const char *name = zip_get_name (src->zip, j, 0);
      guint n, e, flags;

      if (name == NULL || zip_stat_index (src->zip, j, 0, &st) != 0 || off + 30 > size ||
          memcmp (p + off, "PK\3\4", 4) != 0)
        return 0;
      flags = p[off + 6] | (p[off + 7] << 8);
      n = p[off + 26] | (p[off + 27] << 8);
      e = p[off + 28] | (p[off + 29] << 8);
      if ((flags & 8) != 0 || off + 30 + n + e > size || n != strlen (name) ||
          memcmp (p + off + 30, name, n) != 0)
        return 0;
      off += 30 + n + e;
      if (j == index)
        return off + st.comp_size <= size ? off : 0;
      off += st.comp_size;
    }
  return 0;
}

static GBytes *
read_zip_member (Source *src, const char *name, const char *origin, gboolean *mapped, GError **error)
{
  zip_int64_t index = zip_name_locate (src->zip, name, 0);
  zip_stat_t st;
  zip_file_t *zf;
  guint8 *buf;
  zip_int64_t got;

  if (index < 0)
    return NULL;
  if (zip_stat_index (src->zip, (zip_uint64_t) index, 0, &st) != 0 || st.size > G_MAXSIZE / 2)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: unreadable member"), origin);
      return NULL;
    }
  /* The buffer below is sized by the member's declared size: refuse sizes its compressed
   * bytes cannot hold (deflate expands 1032:1 at most), before allocating (fuzz-dataset: a
   * 3.3 GB claim in a small file). */
  if ((st.valid & ZIP_STAT_COMP_SIZE) &&
      ((st.comp_method == ZIP_CM_STORE && st.size > st.comp_size) ||
       (st.comp_method == ZIP_CM_DEFLATE && st.size / 1032 > st.comp_size + 1)))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: member %s declares %" PRIu64 " bytes from %" PRIu64
                     " compressed bytes (corrupted)"), origin, name, (guint64) st.size, (guint64) st.comp_size);
      return NULL;
    }
  if (st.comp_method == ZIP_CM_STORE && st.encryption_method == ZIP_EM_NONE)
    {
      gsize off = stored_offset (src, (zip_uint64_t) index);
      if (off != 0 && st.size >= 6 &&
          memcmp ((const guint8 *) g_bytes_get_data (src->file, NULL) + off, "\x93NUMPY", 6) == 0)
        {
          *mapped = TRUE;
          return g_bytes_new_from_bytes (src->file, off, st.size);
        }
    }
  zf = zip_fopen_index (src->zip, (zip_uint64_t) index, 0);
  if (zf == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, "%s: %s", origin, zip_strerror (src->zip));
      return NULL;
    }
  buf = g_malloc (MAX (st.size, 1));
  got = zip_fread (zf, buf, st.size);
  if (got < 0 || (zip_uint64_t) got != st.size)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: truncated or corrupted member: %s"), origin,
                   got < 0 ? zip_file_strerror (zf) : "short read");
      zip_fclose (zf);
      g_free (buf);
      return NULL;
    }
  zip_fclose (zf);
  *mapped = FALSE;
  return g_bytes_new_take (buf, st.size);
}

/* Array @name ("x_train") of @src, or NULL with no error when absent. */
static GBytes *
read_array (Source *src, const char *name, char **origin, gboolean *mapped, GCancellable *cancellable,
            GError **error)
{
  g_autofree char *file = g_strconcat (name, ".npy", NULL);

  if (src->zip != NULL)
    {
      *origin = g_strdup_printf ("%s: %s", src->path, name);
      return read_zip_member (src, file, *origin, mapped, error);
    }
  if (src->is_dir)
    *origin = g_build_filename (src->path, file, NULL);
  else if (name[0] == 'x')
    *origin = g_strdup (src->x_file);
  else
    {
      /* The labels of x….npy: y….npy next to it. */
      g_autofree char *dir = g_path_get_dirname (src->x_file);
      g_autofree char *base = g_path_get_basename (src->x_file);
      base[0] = base[0] == 'X' ? 'Y' : 'y';
      *origin = g_build_filename (dir, base, NULL);
    }
  if (!g_file_test (*origin, G_FILE_TEST_EXISTS))
    return NULL;
  return fb_dataset_read_file (*origin, mapped, cancellable, error);
}

static gint64 *
decode_labels (const NpyHeader *h, GBytes *bytes, const char *origin, GError **error)
{
  const guint8 *p = (const guint8 *) g_bytes_get_data (bytes, NULL) + h->offset;
  guint64 n = h->n_dims > 0 ? h->dims[0] : 1;
  gint64 *out;

  if ((h->kind != 'u' && h->kind != 'i' && h->kind != 'b') ||
      (h->itemsize != 1 && h->itemsize != 2 && h->itemsize != 4 && h->itemsize != 8))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: wrong dtype: labels are '%s', expected integers"), origin, h->descr);
      return NULL;
    }
  if (h->n_dims < 1 || h->n_dims > 2 || (h->n_dims == 2 && h->dims[1] != 1))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: wrong shape: labels must be one integer per example (N or N×1)"), origin);
      return NULL;
    }
  out = g_new (gint64, MAX (n, 1));
  for (guint64 i = 0; i < n; i++)
    {
      guint64 u = 0;
      const guint8 *e = p + i * h->itemsize;
      for (guint b = 0; b < h->itemsize; b++)
        u |= (guint64) e[h->big_endian ? h->itemsize - 1 - b : b] << (8 * b);
      if (h->kind == 'i' && h->itemsize < 8 && (u >> (8 * h->itemsize - 1)) & 1)
        u |= ~(guint64) 0 << (8 * h->itemsize);
      out[i] = (gint64) u;
      if (h->kind == 'u' && h->itemsize == 8 && out[i] < 0)
        out[i] = G_MAXINT64;   /* out of any range anyway */
    }
  return out;
}

static gboolean
x_dtype (const NpyHeader *h, const char *origin, FbDatasetDtype *dtype, GError **error)
{
  if (h->kind == 'u' && h->itemsize == 1)
    *dtype = FB_DATASET_DTYPE_U8;
  else if (h->kind == 'i' && h->itemsize == 1)
    *dtype = FB_DATASET_DTYPE_I8;
  else if (h->kind == 'f' && h->itemsize == 4)
    *dtype = FB_DATASET_DTYPE_F32;
  else
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: wrong dtype: '%s', expected uint8, int8 or float32 (x.astype(np.float32))"),
                   origin, h->descr);
      return FALSE;
    }
  return TRUE;
}

/* Loads the pair (x_SUFFIX, y_SUFFIX); *@absent when x_SUFFIX is not there. */
static FbDataset *
load_pair (Source *src, const char *suffix, const FbDatasetSpec *spec, gboolean *absent,
           GCancellable *cancellable, GError **error)
{
  g_autofree char *xname = g_strconcat ("x", suffix, NULL), *yname = g_strconcat ("y", suffix, NULL);
  g_autofree char *xorigin = NULL, *yorigin = NULL;
  g_autoptr(GBytes) xb = NULL, yb = NULL;
  g_auto(NpyHeader) xh = { 0 }, yh = { 0 };
  g_autofree gint64 *labels = NULL;
  FbDatasetRaw raw = { 0 };
  gboolean xmapped = FALSE, ymapped = FALSE;

  *absent = FALSE;
  xb = read_array (src, xname, &xorigin, &xmapped, cancellable, error);
  if (xb == NULL)
    {
      *absent = error == NULL || *error == NULL;
      return NULL;
    }
  if (!parse_npy (xb, xorigin, &xh, error) || !x_dtype (&xh, xorigin, &raw.dtype, error))
    return NULL;
  if (xh.n_dims < 2 || xh.n_dims > 4)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: wrong shape: %u dimensions, expected N×H×W×C, N×C×H×W, N×H×W or N×F"),
                   xorigin, xh.n_dims);
      return NULL;
    }
  yb = read_array (src, yname, &yorigin, &ymapped, cancellable, error);
  if (yb == NULL && (error != NULL && *error != NULL))
    return NULL;
  if (yb == NULL && !spec->values)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: no labels: %s is missing"), xorigin, yorigin);
      return NULL;
    }
  if (yb != NULL)
    {
      if (!parse_npy (yb, yorigin, &yh, error))
        return NULL;
      if (yh.n_dims < 1 || yh.dims[0] != xh.dims[0])
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: %" PRIu64 " labels, but %s has %"
                         PRIu64 " examples"), yorigin, yh.n_dims ? yh.dims[0] : 0, xorigin, xh.dims[0]);
          return NULL;
        }
      if (spec->values && yh.kind == 'f' && yh.itemsize == 4 && !yh.big_endian)
        {
          guint64 per = 1;
          for (guint i = 1; i < yh.n_dims; i++)
            per *= yh.dims[i];
          raw.targets = (const float *) ((const guint8 *) g_bytes_get_data (yb, NULL) + yh.offset);
          raw.n_targets = (guint) per;
        }
      else if ((labels = decode_labels (&yh, yb, yorigin, error)) == NULL)
        return NULL;
    }
  raw.origin = xorigin;
  raw.big_endian = xh.big_endian;
  raw.bytes = xb;
  raw.offset = xh.offset;
  raw.mapped = xmapped;
  raw.n = (guint) xh.dims[0];
  raw.n_dims = xh.n_dims - 1;
  for (guint i = 0; i < raw.n_dims; i++)
    raw.dims[i] = (guint) xh.dims[i + 1];
  raw.labels = labels;
  raw.labels_origin = yorigin;
  return fb_dataset_build (spec, &raw, error);
}

/* Whether array @name is in @src (without reading it). */
static gboolean
has_array (Source *src, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".npy", NULL);
  g_autofree char *path = NULL;

  if (src->zip != NULL)
    return zip_name_locate (src->zip, file, 0) >= 0;
  if (!src->is_dir)
    return FALSE;
  path = g_build_filename (src->path, file, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static gboolean
open_source (Source *src, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
             GCancellable *cancellable, GError **error)
{
  gboolean has_train = has_array (src, "x_train"), has_test = has_array (src, "x_test");
  gboolean absent = FALSE;
  FbDataset *all;

  if (has_train && has_test)
    {
      /* Two parts: only those asked for are read. */
      g_autoptr(FbDataset) tr = NULL, te = NULL;
      if (test != NULL && (te = load_pair (src, "_test", spec, &absent, cancellable, error)) == NULL)
        return FALSE;
      if (train != NULL && (tr = load_pair (src, "_train", spec, &absent, cancellable, error)) == NULL)
        return FALSE;
      if (train != NULL)
        *train = g_steal_pointer (&tr);
      if (test != NULL)
        *test = g_steal_pointer (&te);
      return TRUE;
    }
  /* One set: x_train, x_test or x alone, both parts or split by --val-split. */
  all = load_pair (src, has_train ? "_train" : has_test ? "_test" : "", spec, &absent, cancellable, error);
  if (all == NULL)
    {
      if (absent)
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     _("%s: no arrays x_train / x_test or x (with y_train / y_test or y)"), src->path);
      return FALSE;
    }
  fb_dataset_assign_parts (all, spec, train, test);
  return TRUE;
}

gboolean
fb_dataset_dir_has_numpy (const char *dir)
{
  static const char *const names[] = { "x_train.npy", "x_test.npy", "x.npy" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

gboolean
fb_dataset_open_numpy (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
                       GCancellable *cancellable, GError **error)
{
  Source src = { .path = path };
  gboolean ok;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    src.is_dir = TRUE;
  else if (g_str_has_suffix (path, ".npy"))
    src.x_file = path;
  else
    {
      gboolean mapped;
      int code = 0;
      src.file = fb_dataset_read_file (path, &mapped, cancellable, error);
      if (src.file == NULL)
        return FALSE;
      src.zip = zip_open (path, ZIP_RDONLY, &code);
      if (src.zip == NULL)
        {
          zip_error_t ze;
          zip_error_init_with_code (&ze, code);
          g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: not a readable .npz (zip) archive%s: %s"),
                       path, code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS ? ", truncated or corrupted" : "",
                       zip_error_strerror (&ze));
          zip_error_fini (&ze);
          g_bytes_unref (src.file);
          return FALSE;
        }
    }
  ok = open_source (&src, spec, train, test, cancellable, error);
  if (src.zip != NULL)
    zip_discard (src.zip);
  g_clear_pointer (&src.file, g_bytes_unref);
  return ok;
}

/* fb-weights.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-file.h"
#include "fb-json.h"
#include "fb-weights.h"

struct _FbWeights {
  gatomicrefcount  ref;
  char            *network_name;
  char            *network_sha256;
  GPtrArray       *tensors;   /* FbWeightsTensor*, in insertion order */
  GHashTable      *by_key;    /* "layer\nparam" → FbWeightsTensor* */
  JsonObject      *training;
  JsonObject      *checkpoint;
};

/* A header larger than this is not a weights file (and we stop scanning for
 * its terminator). */
#define HEADER_MAX (16u << 20)
#define PARAM_MAX 64

static void
tensor_free (gpointer data)
{
  FbWeightsTensor *t = data;
  g_free (t->layer);
  g_free (t->param);
  g_free (t->data);
  g_free (t);
}

static char *
make_key (const char *layer, const char *param)
{
  /* '\n' cannot occur in layer names (network format) nor params (checked). */
  return g_strconcat (layer, "\n", param, NULL);
}

FbWeights *
fb_weights_new (const char *network_name, const char *network_sha256)
{
  FbWeights *self = g_new0 (FbWeights, 1);

  g_atomic_ref_count_init (&self->ref);
  self->network_name = g_strdup (network_name ? network_name : "");
  self->network_sha256 = g_strdup (network_sha256 ? network_sha256 : "");
  self->tensors = g_ptr_array_new_with_free_func (tensor_free);
  self->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

FbWeights *
fb_weights_new_for_network (FbNetwork *network)
{
  return fb_weights_new (fb_network_get_name (network), fb_network_get_sha256 (network));
}

FbWeights *
fb_weights_ref (FbWeights *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_weights_unref (FbWeights *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_free (self->network_name);
  g_free (self->network_sha256);
  g_ptr_array_unref (self->tensors);
  g_hash_table_unref (self->by_key);
  g_clear_pointer (&self->training, json_object_unref);
  g_clear_pointer (&self->checkpoint, json_object_unref);
  g_free (self);
}

const char *fb_weights_get_network_name (FbWeights *self) { return self->network_name; }
const char *fb_weights_get_network_sha256 (FbWeights *self) { return self->network_sha256; }
guint fb_weights_get_n_tensors (FbWeights *self) { return self->tensors->len; }
JsonObject *fb_weights_get_training (FbWeights *self) { return self->training; }
JsonObject *fb_weights_get_checkpoint (FbWeights *self) { return self->checkpoint; }

const FbWeightsTensor *
fb_weights_get_tensor (FbWeights *self, guint index)
{
  g_return_val_if_fail (index < self->tensors->len, NULL);
  return g_ptr_array_index (self->tensors, index);
}

void
fb_weights_set_training (FbWeights *self, JsonObject *training)
{
  g_clear_pointer (&self->training, json_object_unref);
  self->training = training ? json_object_ref (training) : NULL;
}

void
fb_weights_set_checkpoint (FbWeights *self, JsonObject *checkpoint)
{
  g_clear_pointer (&self->checkpoint, json_object_unref);
  self->checkpoint = checkpoint ? json_object_ref (checkpoint) : NULL;
}

static gboolean
param_name_is_valid (const char *param)
{
  gsize len = strlen (param);

  if (len == 0 || len > PARAM_MAX)
    return FALSE;
  for (const char *p = param; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_' || *p == '@' || *p == '.'))
      return FALSE;
  return TRUE;
}

float *
fb_weights_add (FbWeights *self, const char *layer, const char *param, guint n_dims,
                const guint *dims)
{
  FbWeightsTensor *t;
  char *key;

  g_return_val_if_fail (n_dims >= 1 && n_dims <= FB_WEIGHTS_MAX_DIMS, NULL);
  g_return_val_if_fail (param_name_is_valid (param), NULL);
  key = make_key (layer, param);
  g_return_val_if_fail (!g_hash_table_contains (self->by_key, key), (g_free (key), NULL));

  t = g_new0 (FbWeightsTensor, 1);
  t->layer = g_strdup (layer);
  t->param = g_strdup (param);
  t->n_dims = n_dims;
  t->n = 1;
  for (guint i = 0; i < n_dims; i++)
    {
      t->dims[i] = dims[i];
      t->n *= dims[i];
    }
  t->data = g_new0 (float, MAX (t->n, 1));
  g_ptr_array_add (self->tensors, t);
  g_hash_table_insert (self->by_key, key, t);
  return t->data;
}

const FbWeightsTensor *
fb_weights_lookup (FbWeights *self, const char *layer, const char *param)
{
  g_autofree char *key = make_key (layer, param);
  return g_hash_table_lookup (self->by_key, key);
}

static char *
shape_to_string (guint n_dims, const guint *dims)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%u", i ? ", " : "", dims[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const FbWeightsTensor *
fb_weights_require (FbWeights *self, const char *layer, const char *param, guint n_dims,
                    const guint *dims, const char *origin, GError **error)
{
  const FbWeightsTensor *t = fb_weights_lookup (self, layer, param);
  gboolean same;

  if (t == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISSING, _("%s: no tensor \"%s\" of layer \"%s\""),
                   origin, param, layer);
      return NULL;
    }
  same = t->n_dims == n_dims;
  for (guint i = 0; same && i < n_dims; i++)
    same = t->dims[i] == dims[i];
  if (!same)
    {
      g_autofree char *want = shape_to_string (n_dims, dims);
      g_autofree char *got = shape_to_string (t->n_dims, t->dims);
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: tensor \"%s\" of layer \"%s\" has shape %s, the network needs %s"),
                   origin, param, layer, got, want);
      return NULL;
    }
  return t;
}

/* ---- serialization ------------------------------------------------------- */

static gsize
align_up (gsize v)
{
  return (v + FB_WEIGHTS_ALIGN - 1) / FB_WEIGHTS_ALIGN * FB_WEIGHTS_ALIGN;
}

/* Copies @n floats between host order and the file's little-endian order;
 * the swap is its own inverse, so one function both stores and loads. */
static void
copy_floats_le (void *dst, const void *src, gsize n)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  memcpy (dst, src, n * sizeof (float));
#else
  for (gsize i = 0; i < n; i++)
    {
      guint32 v;
      memcpy (&v, (const guint8 *) src + 4 * i, 4);
      v = GUINT32_TO_LE (v);  /* = GUINT32_FROM_LE */
      memcpy ((guint8 *) dst + 4 * i, &v, 4);
    }
#endif
}

GBytes *
fb_weights_to_bytes (FbWeights *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree gsize *offsets = g_new (gsize, MAX (self->tensors->len, 1));
  g_autofree char *header = NULL;
  g_autofree char *data_sha = NULL;
  gsize data_bytes = 0, header_len, blob_start;
  guint8 *file;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      const FbWeightsTensor *t = g_ptr_array_index (self->tensors, i);
      offsets[i] = data_bytes;
      data_bytes = align_up (data_bytes + t->n * sizeof (float));
    }
  /* The blob is built first: its checksum goes into the header. */
  g_autofree guint8 *blob = g_malloc0 (MAX (data_bytes, 1));
  for (guint i = 0; i < self->tensors->len; i++)
    {
      const FbWeightsTensor *t = g_ptr_array_index (self->tensors, i);
      copy_floats_le (blob + offsets[i], t->data, t->n);
    }
  data_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, blob, data_bytes);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "freebits-weights/1");
  json_builder_set_member_name (b, "network");
  json_builder_add_string_value (b, self->network_name);
  json_builder_set_member_name (b, "network_sha256");
  json_builder_add_string_value (b, self->network_sha256);
  json_builder_set_member_name (b, "byte_order");
  json_builder_add_string_value (b, "little");
  json_builder_set_member_name (b, "alignment");
  json_builder_add_int_value (b, FB_WEIGHTS_ALIGN);
  json_builder_set_member_name (b, "data_bytes");
  json_builder_add_int_value (b, (gint64) data_bytes);
  json_builder_set_member_name (b, "data_sha256");
  json_builder_add_string_value (b, data_sha);
  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->tensors->len; i++)
    {
      const FbWeightsTensor *t = g_ptr_array_index (self->tensors, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "layer");
      json_builder_add_string_value (b, t->layer);
      json_builder_set_member_name (b, "param");
      json_builder_add_string_value (b, t->param);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < t->n_dims; d++)
        json_builder_add_int_value (b, t->dims[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "float32");
      json_builder_set_member_name (b, "offset");
      json_builder_add_int_value (b, (gint64) offsets[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (self->training != NULL)
    {
      json_builder_set_member_name (b, "training");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), self->training));
    }
  if (self->checkpoint != NULL)
    {
      json_builder_set_member_name (b, "checkpoint");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), self->checkpoint));
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  header = fb_json_to_string (root, TRUE);

  /* "JSON\n" NUL, zero padding, blob: `head -c` shows the header, and the
   * blob is aligned for direct use. */
  header_len = strlen (header) + 1;
  blob_start = align_up (header_len + 1);
  file = g_malloc0 (blob_start + data_bytes);
  memcpy (file, header, header_len - 1);
  file[header_len - 1] = '\n';
  file[header_len] = '\0';
  memcpy (file + blob_start, blob, data_bytes);
  return g_bytes_new_take (file, blob_start + data_bytes);
}

gboolean
fb_weights_save (FbWeights *self, const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = fb_weights_to_bytes (self);
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  /* .WEIGHTS.fb-tmp-XXXXXX while writing; a killed save's temporary goes on the next save. */
  return fb_file_write_atomic (path, data, size, 0644, error);
}

static gboolean
parse_shape (JsonObject *obj, const char *where, guint *n_dims, guint *dims, gsize *n,
             GError **error)
{
  JsonArray *arr = NULL;
  guint len;

  if (!fb_json_get_array (obj, "shape", where, TRUE, &arr, error))
    return FALSE;
  len = json_array_get_length (arr);
  if (len < 1 || len > FB_WEIGHTS_MAX_DIMS)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"shape\": expected 1 to %u dimensions, got %u"),
                   where, FB_WEIGHTS_MAX_DIMS, len);
      return FALSE;
    }
  *n = 1;
  for (guint i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (arr, i);
      gint64 v;
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64 ||
          (v = json_node_get_int (e)) < 1 || v > (1 << 24))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: field \"shape\": dimension %u must be an integer in 1..%d"), where, i,
                       1 << 24);
          return FALSE;
        }
      dims[i] = (guint) v;
      *n *= dims[i];
      if (*n > (gsize) 1 << 32)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"shape\": too many elements"),
                       where);
          return FALSE;
        }
    }
  *n_dims = len;
  return TRUE;
}

/* tensors[i]: one tensor's entry, checked, its floats copied from @blob. */
static gboolean
load_tensor (FbWeights    *self,
             JsonArray    *tensors,
             guint         i,
             const char   *origin,
             FbNetwork    *network,
             const guint8 *blob,
             gint64        data_bytes,
             GError      **error)
{
  static const char *tensor_known[] = { "layer", "param", "shape", "dtype", "offset", NULL };
  JsonNode *node = json_array_get_element (tensors, i);
  g_autofree char *where = g_strdup_printf ("%s: tensors[%u]", origin, i);
  const char *layer, *param, *dtype;
  gint64 offset = 0;
  guint n_dims = 0, dims[FB_WEIGHTS_MAX_DIMS];
  gsize n = 0;
  float *dst;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: expected an object, got %s"), where,
                   fb_json_node_describe (node));
      return FALSE;
    }
  JsonObject *t = json_node_get_object (node);
  if (!fb_json_check_members (t, where, tensor_known, error) ||
      !fb_json_get_string (t, "layer", where, TRUE, &layer, error) ||
      !fb_json_get_string (t, "param", where, TRUE, &param, error) ||
      !fb_json_get_string (t, "dtype", where, TRUE, &dtype, error) ||
      !fb_json_get_int (t, "offset", where, TRUE, 0, data_bytes, &offset, error) ||
      !parse_shape (t, where, &n_dims, dims, &n, error))
    return FALSE;
  if (g_strcmp0 (dtype, "float32") != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"dtype\": \"%s\" is not supported (only \"float32\")"), where,
                   dtype);
      return FALSE;
    }
  if (!param_name_is_valid (param))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"param\": \"%s\" is not 1-%d characters of a-z 0-9 _ @ ."),
                   where, param, PARAM_MAX);
      return FALSE;
    }
  if (network != NULL && fb_network_lookup_layer (network, layer) == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                   _("%s: layer \"%s\" is not in network \"%s\""), where, layer,
                   fb_network_get_name (network));
      return FALSE;
    }
  if (offset % 4 != 0 || n * 4 > (gsize) (data_bytes - offset))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: %zu floats at offset %" PRId64
                     " do not fit in the %" PRId64 " bytes of data"),
                   where, n, offset, data_bytes);
      return FALSE;
    }
  if (fb_weights_lookup (self, layer, param) != NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: duplicated tensor \"%s\" of layer \"%s\""),
                   where, param, layer);
      return FALSE;
    }
  dst = fb_weights_add (self, layer, param, n_dims, dims);
  copy_floats_le (dst, blob + offset, n);
  for (gsize k = 0; k < n; k++)
    if (!isfinite (dst[k]))
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     _("%s: tensor \"%s\" of layer \"%s\" holds a NaN or infinite value at "
                       "element %zu"), where, param, layer, k);
        return FALSE;
      }
  return TRUE;
}

static FbWeights *
weights_from_data (const guint8 *data, gsize length, const char *origin,
                   FbNetwork *network, GError **error)
{
  static const char *known[] = { "format", "network", "network_sha256", "byte_order", "alignment",
                                 "data_bytes", "data_sha256", "tensors", "training",
                                 "checkpoint", NULL };
  const guint8 *nul;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FbWeights) self = NULL;
  g_autofree char *sha = NULL;
  JsonObject *obj, *training = NULL, *checkpoint = NULL;
  JsonArray *tensors = NULL;
  const char *name, *net_sha, *byte_order, *data_sha;
  gint64 alignment = 0, data_bytes = 0;
  gsize blob_start;
  const char *end;

  nul = memchr (data, '\0', MIN (length, HEADER_MAX));
  if (length == 0 || data[0] != '{' || nul == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not a freebits-weights/1 file (expected a JSON header ended by a NUL byte)"),
                   origin);
      return NULL;
    }
  if (!g_utf8_validate ((const char *) data, nul - data, &end))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                   _("%s: the header is not UTF-8 text (byte 0x%02X at offset %zu)"),
                   origin, (guchar) *end, (gsize) ((const guint8 *) end - data));
      return NULL;
    }
  root = fb_json_load_data ((const char *) data, nul - data, origin, error);
  if (root == NULL)
    return NULL;
  obj = fb_json_root_object (root, "freebits-weights", origin, error);
  if (obj == NULL ||
      !fb_json_check_members (obj, origin, known, error) ||
      !fb_json_get_string (obj, "network", origin, TRUE, &name, error) ||
      !fb_json_get_string (obj, "network_sha256", origin, TRUE, &net_sha, error) ||
      !fb_json_get_string (obj, "byte_order", origin, TRUE, &byte_order, error) ||
      !fb_json_get_int (obj, "alignment", origin, TRUE, 1, 1 << 20, &alignment, error) ||
      !fb_json_get_int (obj, "data_bytes", origin, TRUE, 0, G_MAXINT64 / 2, &data_bytes, error) ||
      !fb_json_get_string (obj, "data_sha256", origin, TRUE, &data_sha, error) ||
      !fb_json_get_array (obj, "tensors", origin, TRUE, &tensors, error) ||
      !fb_json_get_object (obj, "training", origin, FALSE, &training, error) ||
      !fb_json_get_object (obj, "checkpoint", origin, FALSE, &checkpoint, error))
    return NULL;
  if (g_strcmp0 (byte_order, "little") != 0 || alignment != FB_WEIGHTS_ALIGN)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: unsupported layout (byte_order \"%s\", alignment %" PRId64
                     "); this freebits writes and reads \"little\", %d"),
                   origin, byte_order, alignment, FB_WEIGHTS_ALIGN);
      return NULL;
    }
  if (network != NULL && g_strcmp0 (net_sha, fb_network_get_sha256 (network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("%s: weights made for network \"%s\" (network_sha256 %.12s…), not for \"%s\" "
                     "(network_sha256 %.12s…): the topologies differ"),
                   origin, name, net_sha, fb_network_get_name (network),
                   fb_network_get_sha256 (network));
      return NULL;
    }

  /* The blob must be exactly where the header says, whole, and intact. */
  blob_start = align_up ((gsize) (nul - data) + 1);
  if (blob_start > length || (gsize) data_bytes > length - blob_start)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: truncated: the header declares %" PRId64 " bytes of tensor data "
                     "at offset %zu, but the file has %zu bytes"),
                   origin, data_bytes, blob_start, length);
      return NULL;
    }
  if ((gsize) data_bytes != length - blob_start)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: %zu unexpected bytes after the %" PRId64
                     " bytes of tensor data the header declares"),
                   origin, length - blob_start - (gsize) data_bytes, data_bytes);
      return NULL;
    }
  sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data + blob_start, (gsize) data_bytes);
  if (g_ascii_strcasecmp (sha, data_sha) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: corrupted: the tensor data does not match its checksum (data_sha256)"),
                   origin);
      return NULL;
    }

  self = fb_weights_new (name, net_sha);
  for (guint i = 0; i < json_array_get_length (tensors); i++)
    if (!load_tensor (self, tensors, i, origin, network, data + blob_start, data_bytes, error))
      return NULL;
  fb_weights_set_training (self, training);
  fb_weights_set_checkpoint (self, checkpoint);
  return g_steal_pointer (&self);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbWeights *
fb_weights_load_from_data (const guint8 *data, gsize length, const char *origin,
                           FbNetwork *network, GError **error)
{
  FbWeights *result = weights_from_data (data, length, origin, network, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbWeights *
fb_weights_load (const char *path, FbNetwork *network, GError **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!fb_file_read (path, FB_FILE_MAX_WEIGHTS, "a freebits-weights/1 file", &data, &length, error))
    return NULL;
  return fb_weights_load_from_data ((const guint8 *) data, length, path, network, error);
}

/* fb-onnx-tensor.c — decoding of ONNX initializers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-onnx-tensor.h"

/* Larger constants are not a microcontroller model (and would not fit in memory). */
#define MAX_ELEMENTS (G_GUINT64_CONSTANT (1) << 28)

const char *
fb_onnx_data_type_name (int data_type)
{
  const ProtobufCEnumValue *v =
    protobuf_c_enum_descriptor_get_value (&onnx__tensor_proto__data_type__descriptor, data_type);
  return v != NULL ? v->name : "unknown";
}

void
fb_onnx_tensor_free (FbOnnxTensor *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->f);
  g_free (self->i);
  g_free (self);
}

static gboolean
read_float (FbOnnxTensor *t, const Onnx__TensorProto *p, const char *where, GError **error)
{
  t->is_float = TRUE;
  t->f = g_new (float, MAX (t->n, 1));
  if (p->has_raw_data)
    {
      if (p->raw_data.len != t->n * 4)
        goto count;
      for (gsize k = 0; k < t->n; k++)
        {
          guint32 u;
          memcpy (&u, p->raw_data.data + 4 * k, 4);
          u = GUINT32_FROM_LE (u);
          memcpy (&t->f[k], &u, 4);
        }
      return TRUE;
    }
  if (p->n_float_data != t->n)
    goto count;
  memcpy (t->f, p->float_data, t->n * sizeof (float));
  return TRUE;
count:
  g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
               _("%s: holds %zu float values, its shape needs %zu"),
               where, p->has_raw_data ? p->raw_data.len / 4 : p->n_float_data, t->n);
  return FALSE;
}

static gboolean
read_int (FbOnnxTensor *t, const Onnx__TensorProto *p, const char *where, GError **error)
{
  gsize width = p->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? 8 : 4;
  gsize have;

  t->i = g_new (gint64, MAX (t->n, 1));
  if (p->has_raw_data)
    {
      have = p->raw_data.len / width;
      if (p->raw_data.len != t->n * width)
        goto count;
      for (gsize k = 0; k < t->n; k++)
        {
          if (width == 8)
            {
              guint64 u;
              memcpy (&u, p->raw_data.data + 8 * k, 8);
              t->i[k] = (gint64) GUINT64_FROM_LE (u);
            }
          else
            {
              guint32 u;
              memcpy (&u, p->raw_data.data + 4 * k, 4);
              t->i[k] = (gint32) GUINT32_FROM_LE (u);
            }
        }
      return TRUE;
    }
  have = width == 8 ? p->n_int64_data : p->n_int32_data;
  if (have != t->n)
    goto count;
  for (gsize k = 0; k < t->n; k++)
    t->i[k] = width == 8 ? p->int64_data[k] : p->int32_data[k];
  return TRUE;
count:
  g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
               _("%s: holds %zu integer values, its shape needs %zu"),
               where, have, t->n);
  return FALSE;
}

FbOnnxTensor *
fb_onnx_tensor_new_from_proto (const Onnx__TensorProto *proto, const char *where, GError **error)
{
  g_autoptr(FbOnnxTensor) t = g_new0 (FbOnnxTensor, 1);
  guint64 n = 1;
  int type = proto->has_data_type ? proto->data_type : 0;

  t->name = g_strdup (proto->name != NULL ? proto->name : "");
  if (proto->has_data_location && proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: data stored in an external file is not supported; export with the weights inside the model"),
                   where);
      return NULL;
    }
  if (proto->n_dims > FB_ONNX_MAX_DIMS)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: %zu dimensions (at most %d)"),
                   where, proto->n_dims, FB_ONNX_MAX_DIMS);
      return NULL;
    }
  t->n_dims = proto->n_dims;
  for (guint d = 0; d < t->n_dims; d++)
    {
      if (proto->dims[d] < 0 || !g_uint64_checked_mul (&n, n, (guint64) proto->dims[d]) || n > MAX_ELEMENTS)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: dimension %u is %" PRId64
                         " (negative, or the tensor is too large)"), where, d, proto->dims[d]);
          return NULL;
        }
      t->dims[d] = proto->dims[d];
    }
  t->n = n;
  switch (type)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      if (!read_float (t, proto, where, error))
        return NULL;
      break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      if (!read_int (t, proto, where, error))
        return NULL;
      break;
    default:
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: data type %s (%d) is not supported; freebits imports float32 models (FLOAT weights, INT64 shapes)"),
                   where, fb_onnx_data_type_name (type), type);
      return NULL;
    }
  return g_steal_pointer (&t);
}

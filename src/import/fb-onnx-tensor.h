/* fb-onnx-tensor.h — an ONNX constant (initializer or Constant node) decoded
 * to float32 or int64 values.
 *
 * ONNX stores a tensor either as raw little-endian bytes (`raw_data`, what
 * PyTorch writes) or as a typed array (`float_data`, `int64_data`, ...,
 * what some converters write); both are read here, and the element count is
 * checked against the dims, so a malformed file is an error, not a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "onnx.pb-c.h"

G_BEGIN_DECLS

#define FB_ONNX_MAX_DIMS 8

typedef struct {
  char    *name;
  guint    n_dims;
  gint64   dims[FB_ONNX_MAX_DIMS];
  gsize    n;          /* elements */
  gboolean is_float;   /* float32 data in f, else integer data in i */
  float   *f;
  gint64  *i;
} FbOnnxTensor;

/* @where names the tensor in messages (e.g. "FILE: initializer \"fc.weight\"").
 * Accepts float32 and the integer types shapes and pads use (int64, int32);
 * anything else is an error naming the data type. */
FbOnnxTensor *fb_onnx_tensor_new_from_proto (const Onnx__TensorProto *proto,
                                             const char              *where,
                                             GError                 **error);
void          fb_onnx_tensor_free           (FbOnnxTensor            *self);
/* The ONNX name of a TensorProto data type, e.g. "DOUBLE". */
const char   *fb_onnx_data_type_name        (int                      data_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbOnnxTensor, fb_onnx_tensor_free)

G_END_DECLS

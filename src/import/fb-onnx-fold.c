/* fb-onnx-fold.c — constant evaluation of shape computations.
 *
 * Tensors here are tiny (a shape, a pad list), so the code favours
 * simplicity: every op walks multi-indices element by element.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-onnx-fold.h"

#define MAX_FOLD_ELEMENTS 65536

static const char *const folded_ops[] = {
  "ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast", "Gather", "Unsqueeze", "Squeeze", NULL
};

gboolean
fb_onnx_fold_supports (const char *op_type)
{
  return op_type != NULL && g_strv_contains (folded_ops, op_type);
}

static const Onnx__AttributeProto *
find_attr (const Onnx__NodeProto *n, const char *name)
{
  for (gsize i = 0; i < n->n_attribute; i++)
    if (g_strcmp0 (n->attribute[i]->name, name) == 0)
      return n->attribute[i];
  return NULL;
}

static FbOnnxTensor *
tensor_new (guint n_dims, const gint64 *dims, gboolean is_float, char **why)
{
  FbOnnxTensor *t;
  gsize n = 1;

  if (n_dims > FB_ONNX_MAX_DIMS)
    {
      *why = g_strdup ("too many dimensions");
      return NULL;
    }
  for (guint d = 0; d < n_dims; d++)
    {
      if (dims[d] < 0 || (n *= dims[d]) > MAX_FOLD_ELEMENTS)
        {
          *why = g_strdup ("a constant of this shape is not a shape computation");
          return NULL;
        }
    }
  t = g_new0 (FbOnnxTensor, 1);
  t->name = g_strdup ("");
  t->n_dims = n_dims;
  memcpy (t->dims, dims, n_dims * sizeof (gint64));
  t->n = n;
  t->is_float = is_float;
  if (is_float)
    t->f = g_new0 (float, MAX (n, 1));
  else
    t->i = g_new0 (gint64, MAX (n, 1));
  return t;
}

static double
get (const FbOnnxTensor *t, gsize k)
{
  return t->is_float ? t->f[k] : (double) t->i[k];
}

static void
set (FbOnnxTensor *t, gsize k, double v)
{
  if (t->is_float)
    t->f[k] = v;
  else
    t->i[k] = (gint64) v;
}

/* Flat index of @idx in a tensor of @dims (row-major). */
static gsize
flat (const gint64 *dims, guint n_dims, const gint64 *idx)
{
  gsize k = 0;
  for (guint d = 0; d < n_dims; d++)
    k = k * dims[d] + idx[d];
  return k;
}

static void
unflat (const gint64 *dims, guint n_dims, gsize k, gint64 *idx)
{
  for (guint d = n_dims; d-- > 0;)
    {
      idx[d] = dims[d] ? k % dims[d] : 0;
      k = dims[d] ? k / dims[d] : 0;
    }
}

static gboolean
int_list (const FbOnnxTensor *t, gint64 *out, guint max, guint *n)
{
  if (t == NULL || t->is_float || t->n > max)
    return FALSE;
  for (gsize k = 0; k < t->n; k++)
    out[k] = t->i[k];
  *n = t->n;
  return TRUE;
}

static FbOnnxTensor *
fold_constant_of_shape (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  const Onnx__AttributeProto *a = find_attr (n, "value");
  gint64 dims[FB_ONNX_MAX_DIMS];
  guint nd;
  gboolean is_float = TRUE;
  double v = 0;
  FbOnnxTensor *t;

  if (!int_list (in[0], dims, FB_ONNX_MAX_DIMS, &nd))
    return *why = g_strdup ("the shape should be integers"), NULL;
  if (a != NULL && a->t != NULL)
    {
      g_autoptr(FbOnnxTensor) value = fb_onnx_tensor_new_from_proto (a->t, "value", NULL);
      if (value == NULL || value->n != 1)
        return *why = g_strdup ("attribute \"value\" should be one number"), NULL;
      is_float = value->is_float;
      v = get (value, 0);
    }
  if ((t = tensor_new (nd, dims, is_float, why)) != NULL)
    for (gsize k = 0; k < t->n; k++)
      set (t, k, v);
  return t;
}

static gint64
attr_i (const Onnx__NodeProto *n, const char *name, gint64 def)
{
  const Onnx__AttributeProto *a = find_attr (n, name);
  return a != NULL && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ? a->i : def;
}

static FbOnnxTensor *
fold_concat (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  gint64 axis = attr_i (n, "axis", 0), dims[FB_ONNX_MAX_DIMS];
  FbOnnxTensor *t;
  gsize outer = 1, k = 0;
  guint nd;

  if (n->n_input == 0 || in[0] == NULL)
    return *why = g_strdup ("no inputs"), NULL;
  nd = in[0]->n_dims;
  axis = axis < 0 ? axis + nd : axis;
  if (axis < 0 || axis >= nd)
    return *why = g_strdup ("axis out of range"), NULL;
  memcpy (dims, in[0]->dims, sizeof dims);
  dims[axis] = 0;
  for (gsize i = 0; i < n->n_input; i++)
    {
      if (in[i] == NULL || in[i]->n_dims != nd || in[i]->is_float != in[0]->is_float)
        return *why = g_strdup ("inputs of different ranks or types"), NULL;
      for (guint d = 0; d < nd; d++)
        if (d != axis && in[i]->dims[d] != in[0]->dims[d])
          return *why = g_strdup ("inputs of different shapes"), NULL;
      dims[axis] += in[i]->dims[axis];
    }
  if ((t = tensor_new (nd, dims, in[0]->is_float, why)) == NULL)
    return NULL;
  for (guint d = 0; d < axis; d++)
    outer *= dims[d];
  for (gsize o = 0; o < outer; o++)
    for (gsize i = 0; i < n->n_input; i++)
      {
        gsize chunk = outer ? in[i]->n / outer : 0;
        for (gsize j = 0; j < chunk; j++)
          set (t, k++, get (in[i], o * chunk + j));
      }
  return t;
}

static FbOnnxTensor *
fold_reshape (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  gint64 dims[FB_ONNX_MAX_DIMS];
  guint nd;
  gsize known = 1;
  int minus = -1;
  FbOnnxTensor *t;

  if (!int_list (in[1], dims, FB_ONNX_MAX_DIMS, &nd))
    return *why = g_strdup ("the shape should be integers"), NULL;
  for (guint d = 0; d < nd; d++)
    {
      if (dims[d] == 0 && d < in[0]->n_dims)
        dims[d] = in[0]->dims[d];
      if (dims[d] == -1 && minus < 0)
        minus = d;
      else if (dims[d] < 1)
        return *why = g_strdup ("invalid target shape"), NULL;
      else
        known *= dims[d];
    }
  if (minus >= 0)
    dims[minus] = known ? in[0]->n / known : 0;
  if ((t = tensor_new (nd, dims, in[0]->is_float, why)) == NULL)
    return NULL;
  if (t->n != in[0]->n)
    {
      fb_onnx_tensor_free (t);
      return *why = g_strdup ("the target shape does not hold the same number of elements"), NULL;
    }
  for (gsize k = 0; k < t->n; k++)
    set (t, k, get (in[0], k));
  return t;
}

static FbOnnxTensor *
fold_slice (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  gint64 starts[FB_ONNX_MAX_DIMS], ends[FB_ONNX_MAX_DIMS], axes[FB_ONNX_MAX_DIMS], steps[FB_ONNX_MAX_DIMS];
  gint64 lo[FB_ONNX_MAX_DIMS], st[FB_ONNX_MAX_DIMS], dims[FB_ONNX_MAX_DIMS], idx[FB_ONNX_MAX_DIMS];
  guint ns, ne, na, nst, nd = in[0]->n_dims;
  FbOnnxTensor *t;

  if (!int_list (in[1], starts, nd, &ns) || !int_list (in[2], ends, nd, &ne) || ns != ne)
    return *why = g_strdup ("starts and ends should be integer lists of equal length (opset 10+)"), NULL;
  na = ns, nst = ns;
  for (guint i = 0; i < ns; i++)
    axes[i] = i, steps[i] = 1;
  if ((n->n_input > 3 && in[3] != NULL && (!int_list (in[3], axes, nd, &na) || na != ns)) ||
      (n->n_input > 4 && in[4] != NULL && (!int_list (in[4], steps, nd, &nst) || nst != ns)))
    return *why = g_strdup ("axes and steps should match starts"), NULL;
  for (guint d = 0; d < nd; d++)
    lo[d] = 0, st[d] = 1, dims[d] = in[0]->dims[d];
  for (guint i = 0; i < ns; i++)
    {
      gint64 a = axes[i] < 0 ? axes[i] + nd : axes[i], size, s, e, step;
      if (a < 0 || a >= nd || steps[i] == 0)
        return *why = g_strdup ("axis out of range or step 0"), NULL;
      size = in[0]->dims[a];
      /* A step longer than the axis takes one element at most: clamped, so the counts below
       * cannot overflow (fuzz-onnx: a step near INT64_MIN). */
      step = CLAMP (steps[i], -(size + 1), size + 1);
      s = starts[i] < 0 ? starts[i] + size : starts[i];
      e = ends[i] < 0 ? ends[i] + size : ends[i];
      if (step > 0)
        {
          s = CLAMP (s, 0, size), e = CLAMP (e, 0, size);
          dims[a] = e > s ? (e - s + step - 1) / step : 0;
        }
      else
        {
          s = CLAMP (s, -1, size - 1), e = CLAMP (e, -1, size - 1);
          dims[a] = s > e ? (s - e - step - 1) / -step : 0;
        }
      lo[a] = s, st[a] = step;
    }
  if ((t = tensor_new (nd, dims, in[0]->is_float, why)) == NULL)
    return NULL;
  for (gsize k = 0; k < t->n; k++)
    {
      unflat (dims, nd, k, idx);
      for (guint d = 0; d < nd; d++)
        idx[d] = lo[d] + idx[d] * st[d];
      set (t, k, get (in[0], flat (in[0]->dims, nd, idx)));
    }
  return t;
}

static FbOnnxTensor *
fold_transpose (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  const Onnx__AttributeProto *a = find_attr (n, "perm");
  guint nd = in[0]->n_dims;
  gint64 perm[FB_ONNX_MAX_DIMS], dims[FB_ONNX_MAX_DIMS], idx[FB_ONNX_MAX_DIMS], src[FB_ONNX_MAX_DIMS];
  FbOnnxTensor *t;

  for (guint d = 0; d < nd; d++)
    perm[d] = nd - 1 - d;
  if (a != NULL)
    {
      if (a->n_ints != nd)
        return *why = g_strdup ("perm does not match the rank"), NULL;
      for (guint d = 0; d < nd; d++)
        if ((perm[d] = a->ints[d]) < 0 || perm[d] >= nd)
          return *why = g_strdup ("perm out of range"), NULL;
    }
  for (guint d = 0; d < nd; d++)
    dims[d] = in[0]->dims[perm[d]];
  if ((t = tensor_new (nd, dims, in[0]->is_float, why)) == NULL)
    return NULL;
  for (gsize k = 0; k < t->n; k++)
    {
      unflat (dims, nd, k, idx);
      for (guint d = 0; d < nd; d++)
        src[perm[d]] = idx[d];
      set (t, k, get (in[0], flat (in[0]->dims, nd, src)));
    }
  return t;
}

static FbOnnxTensor *
fold_cast (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  gint64 to = attr_i (n, "to", 0);
  gboolean is_float = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  FbOnnxTensor *t;

  if (!is_float && to != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && to != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
    return *why = g_strdup_printf ("cast to %s is not supported", fb_onnx_data_type_name (to)), NULL;
  if ((t = tensor_new (in[0]->n_dims, in[0]->dims, is_float, why)) != NULL)
    for (gsize k = 0; k < t->n; k++)
      set (t, k, get (in[0], k));
  return t;
}

static FbOnnxTensor *
fold_gather (const Onnx__NodeProto *n, FbOnnxTensor **in, char **why)
{
  FbOnnxTensor *t;

  if (attr_i (n, "axis", 0) != 0 || in[0]->n_dims != 1 || in[1]->is_float || in[1]->n_dims > 1)
    return *why = g_strdup ("only gathering from a 1-D constant along axis 0 is supported"), NULL;
  if ((t = tensor_new (in[1]->n_dims, in[1]->dims, in[0]->is_float, why)) == NULL)
    return NULL;
  for (gsize k = 0; k < t->n; k++)
    {
      gint64 i = in[1]->i[k] < 0 ? in[1]->i[k] + (gint64) in[0]->n : in[1]->i[k];
      if (i < 0 || i >= (gint64) in[0]->n)
        {
          fb_onnx_tensor_free (t);
          return *why = g_strdup ("index out of range"), NULL;
        }
      set (t, k, get (in[0], i));
    }
  return t;
}

/* Unsqueeze and Squeeze: the data stays, the dims change. */
static FbOnnxTensor *
fold_squeeze (const Onnx__NodeProto *n, FbOnnxTensor **in, gboolean un, char **why)
{
  const Onnx__AttributeProto *a = find_attr (n, "axes");
  gint64 axes[FB_ONNX_MAX_DIMS], dims[FB_ONNX_MAX_DIMS];
  guint na = 0, nd = in[0]->n_dims, out_nd = 0, ai = 0;
  gboolean marked[FB_ONNX_MAX_DIMS] = { FALSE };
  FbOnnxTensor *t;

  if (a != NULL && a->n_ints <= FB_ONNX_MAX_DIMS)
    for (na = 0; na < a->n_ints; na++)
      axes[na] = a->ints[na];
  else if (n->n_input > 1 && !int_list (in[1], axes, FB_ONNX_MAX_DIMS, &na))
    return *why = g_strdup ("axes should be integers"), NULL;
  out_nd = un ? nd + na : nd;
  if (out_nd > FB_ONNX_MAX_DIMS)
    return *why = g_strdup ("too many dimensions"), NULL;
  for (guint i = 0; i < na; i++)
    {
      gint64 ax = axes[i] < 0 ? axes[i] + (un ? out_nd : nd) : axes[i];
      if (ax < 0 || ax >= (un ? out_nd : nd) || (!un && in[0]->dims[ax] != 1))
        return *why = g_strdup ("axis out of range"), NULL;
      marked[ax] = TRUE;
    }
  if (un)
    for (guint d = 0; d < out_nd; d++)
      dims[d] = marked[d] ? 1 : in[0]->dims[ai++];
  else
    for (guint d = 0, o = 0; d < nd; d++)
      if (!(na ? marked[d] : in[0]->dims[d] == 1))
        dims[o++] = in[0]->dims[d], ai = o;
  if (!un)
    out_nd = ai;
  if ((t = tensor_new (out_nd, dims, in[0]->is_float, why)) != NULL)
    for (gsize k = 0; k < t->n; k++)
      set (t, k, get (in[0], k));
  return t;
}

FbOnnxTensor *
fb_onnx_fold_node (const Onnx__NodeProto *node, FbOnnxTensor **inputs, char **why)
{
  const char *op = node->op_type;
  guint need = strcmp (op, "ConstantOfShape") == 0 || strcmp (op, "Transpose") == 0 ||
               strcmp (op, "Cast") == 0 || strcmp (op, "Squeeze") == 0 || strcmp (op, "Unsqueeze") == 0 ||
               strcmp (op, "Concat") == 0 ? 1 : strcmp (op, "Slice") == 0 ? 3 : 2;

  if (node->n_input < need)
    return *why = g_strdup_printf ("needs %u inputs", need), NULL;
  for (guint i = 0; i < need; i++)
    if (inputs[i] == NULL)
      return *why = g_strdup_printf ("input %u is missing", i), NULL;
  if (strcmp (op, "ConstantOfShape") == 0)
    return fold_constant_of_shape (node, inputs, why);
  if (strcmp (op, "Concat") == 0)
    return fold_concat (node, inputs, why);
  if (strcmp (op, "Reshape") == 0)
    return fold_reshape (node, inputs, why);
  if (strcmp (op, "Slice") == 0)
    return fold_slice (node, inputs, why);
  if (strcmp (op, "Transpose") == 0)
    return fold_transpose (node, inputs, why);
  if (strcmp (op, "Cast") == 0)
    return fold_cast (node, inputs, why);
  if (strcmp (op, "Gather") == 0)
    return fold_gather (node, inputs, why);
  return fold_squeeze (node, inputs, strcmp (op, "Unsqueeze") == 0, why);
}

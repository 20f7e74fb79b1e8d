/* fb-onnx-convert.c — ONNX nodes → freebits layers.
 *
 * The graph is walked once in node order (ONNX graphs are topologically
 * sorted). Every ONNX value is either a constant (initializer or Constant
 * node) or an activation described by a Value: which freebits layer writes
 * it, its shape, and what is still pending on it (a Pad waiting for its
 * conv, a flatten waiting for its linear layer). Nodes that freebits folds
 * (BatchNormalization, Relu, Clip, a bias Add) change the layer that wrote
 * their input, which is only allowed when nothing else reads that input:
 * otherwise a reader would see the folded value.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-onnx-convert.h"
#include "fb-onnx-fold.h"
#include "fb-onnx-tensor.h"

#define MAX_NAME 100
#define MAX_DIM 4096

typedef struct {
  int      producer;       /* layer index, -1 for the network input */
  guint    rank;           /* 4: c × h × w map; 2: c features */
  guint    c, h, w;
  guint    fc, fh, fw;     /* rank 2 flattened from an NCHW c × h × w map */
  gboolean nchw_flat;      /* ... with h·w > 1: linear weight columns need permuting */
  gboolean nhwc;           /* rank 4 transposed to NHWC: only a flatten may read it */
  gboolean raw_input;      /* the network input as declared, layout still open */
  gboolean has_pad;
  guint    pad[4];         /* pending Pad (top, bottom, left, right) for the next conv */
  gboolean fresh;          /* the producer's output exactly as the layer wrote it */
  gboolean after_relu;     /* ... followed only by its (unbounded) ReLU */
} Value;

typedef struct {
  const char             *origin;
  FbOnnxGraph            *g;
  GHashTable             *consts;  /* name → FbOnnxTensor* */
  GHashTable             *values;  /* name → Value* */
  GHashTable             *uses;    /* name → readers (nodes and graph outputs) */
  GHashTable             *names;   /* layer and tensor names taken */
  const Onnx__NodeProto  *node;
  guint                   node_index;
  gint64                  opset;
} Ctx;

typedef gboolean (*OpFunc) (Ctx *c, GError **error);

void
fb_onnx_graph_init (FbOnnxGraph *g)
{
  memset (g, 0, sizeof *g);
  g->layers = g_ptr_array_new ();
}

static void
layer_free (FbOnnxLayer *l)
{
  g_free (l->name);
  g_free (l->weight);
  g_free (l->bias);
  g_free (l->bn_gamma);
  g_free (l->bn_beta);
  g_free (l->bn_mean);
  g_free (l->bn_var);
  g_free (l);
}

void
fb_onnx_graph_clear (FbOnnxGraph *g)
{
  if (g->layers != NULL)
    {
      for (guint i = 0; i < g->layers->len; i++)
        layer_free (g_ptr_array_index (g->layers, i));
      g_ptr_array_unref (g->layers);
    }
  g_free (g->input_name);
  memset (g, 0, sizeof *g);
}

/* ---------------------------------------------------------------------------
 * messages, names, attributes */

static gboolean G_GNUC_PRINTF (3, 4)
fail (Ctx *c, GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: node %u \"%s\" (%s): %s"), c->origin, c->node_index,
               c->node->name != NULL ? c->node->name : "", c->node->op_type != NULL ? c->node->op_type : "", msg);
  return FALSE;
}

char *
fb_onnx_sanitize_name (const char *name, const char *fallback)
{
  GString *s = g_string_new (NULL);

  while (name != NULL && *name == '/')
    name++;
  for (const char *p = name; p != NULL && *p && s->len < MAX_NAME; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) || strchr ("_-./", *p) != NULL ? *p : '_');
  if (s->len == 0)
    g_string_append (s, fallback);
  return g_string_free (s, FALSE);
}

/* @name sanitized, unique among the layer and tensor names taken. */
static char *
unique_name (Ctx *c, const char *name, const char *fallback)
{
  g_autofree char *base = fb_onnx_sanitize_name (name, fallback);
  char *out = g_strdup (base);

  for (guint k = 2; g_hash_table_contains (c->names, out); k++)
    {
      g_free (out);
      out = g_strdup_printf ("%s_%u", base, k);
    }
  g_hash_table_add (c->names, out);
  return g_strdup (out);
}

static const Onnx__AttributeProto *
attr (Ctx *c, const char *name)
{
  for (gsize i = 0; i < c->node->n_attribute; i++)
    if (g_strcmp0 (c->node->attribute[i]->name, name) == 0)
      return c->node->attribute[i];
  return NULL;
}

/* The attribute @name, or NULL when the node has none; FALSE (with @what, e.g. "an integer",
 * in the error) when it has one of another type. */
static gboolean
attr_typed (Ctx *c, const char *name, Onnx__AttributeProto__AttributeType type, const char *what,
            const Onnx__AttributeProto **out, GError **error)
{
  *out = attr (c, name);
  if (*out != NULL && (*out)->type != type)
    return fail (c, error, "attribute \"%s\" should be %s", name, what);
  return TRUE;
}

/* attr_int () and attr_float (): the attribute @name of that type, or @def when the node has none. */
#define DEFINE_ATTR_SCALAR(func, ctype, type, what, field)                                      \
  static gboolean                                                                               \
  func (Ctx *c, const char *name, ctype def, ctype *out, GError **error)                       \
  {                                                                                             \
    const Onnx__AttributeProto *a;                                                              \
    if (!attr_typed (c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##type, what, &a, error))  \
      return FALSE;                                                                             \
    *out = a != NULL ? a->field : def;                                                          \
    return TRUE;                                                                                \
  }

DEFINE_ATTR_SCALAR (attr_int, gint64, INT, "an integer", i)
DEFINE_ATTR_SCALAR (attr_float, double, FLOAT, "a float", f)

/* Fills @out[0..n) with @def, then with the attribute, which must have n values. */
static gboolean
attr_ints (Ctx *c, const char *name, guint n, gint64 def, gint64 *out, GError **error)
{
  const Onnx__AttributeProto *a = attr (c, name);
  for (guint i = 0; i < n; i++)
    out[i] = def;
  if (a == NULL)
    return TRUE;
  if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS || a->n_ints != n)
    return fail (c, error, "attribute \"%s\" should be %u integers", name, n);
  for (guint i = 0; i < n; i++)
    out[i] = a->ints[i];
  return TRUE;
}

static gboolean
attr_string_is (Ctx *c, const char *name, const char *def, const char *const *allowed, const char **out,
                GError **error)
{
  const Onnx__AttributeProto *a;
  char buf[64] = "";
  *out = def;
  if (!attr_typed (c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, "a string", &a, error))
    return FALSE;
  if (a == NULL)
    return TRUE;
  if (a->s.data != NULL)
    memcpy (buf, a->s.data, MIN (sizeof buf - 1, a->s.len));
  for (guint i = 0; allowed[i] != NULL; i++)
    if (strcmp (buf, allowed[i]) == 0)
      {
        *out = allowed[i];
        return TRUE;
      }
  return fail (c, error, "attribute %s = \"%s\" is not supported", name, buf);
}

/* ---------------------------------------------------------------------------
 * inputs and outputs of the node */

static const char *
input_name (Ctx *c, guint i)
{
  return i < c->node->n_input && c->node->input[i] != NULL && c->node->input[i][0] != '\0'
         ? c->node->input[i] : NULL;
}

static Value *
in_value (Ctx *c, guint i, GError **error)
{
  const char *name = input_name (c, i);
  Value *v;

  if (name == NULL)
    {
      fail (c, error, "input %u is missing", i);
      return NULL;
    }
  v = g_hash_table_lookup (c->values, name);
  if (v != NULL)
    return v;
  if (g_hash_table_contains (c->consts, name))
    fail (c, error, "input %u \"%s\" is a constant; freebits needs an activation here", i, name);
  else
    fail (c, error, "input %u \"%s\" is neither an initializer nor the output of an earlier node", i, name);
  return NULL;
}

/* A constant input, or NULL: absent (when optional) or an error. */
static const FbOnnxTensor *
in_const (Ctx *c, guint i, gboolean required, GError **error)
{
  const char *name = input_name (c, i);
  const FbOnnxTensor *t;

  if (name == NULL)
    {
      if (required)
        fail (c, error, "input %u is missing", i);
      return NULL;
    }
  t = g_hash_table_lookup (c->consts, name);
  if (t != NULL)
    return t;
  if (g_hash_table_contains (c->values, name))
    fail (c, error, "input %u \"%s\" is computed; freebits needs a constant (initializer) here", i, name);
  else
    fail (c, error, "input %u \"%s\" is neither an initializer nor the output of an earlier node", i, name);
  return NULL;
}

static void
set_output (Ctx *c, guint i, const Value *v)
{
  if (i < c->node->n_output && c->node->output[i] != NULL && c->node->output[i][0] != '\0')
    g_hash_table_insert (c->values, g_strdup (c->node->output[i]), g_memdup2 (v, sizeof *v));
}

static guint
uses (Ctx *c, guint input)
{
  const char *name = input_name (c, input);
  return name != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (c->uses, name)) : 0;
}

/* An activation the ops of a 2-D map read: no flatten, no NHWC transpose,
 * and (unless @pad_ok) no pending Pad. */
static Value *
map_input (Ctx *c, guint i, gboolean pad_ok, GError **error)
{
  Value *v = in_value (c, i, error);
  if (v == NULL)
    return NULL;
  if (v->rank != 4 || v->nhwc)
    {
      fail (c, error, "expects an N×C×H×W activation, \"%s\" is %s", input_name (c, i),
            v->rank != 4 ? "flattened" : "transposed to NHWC");
      return NULL;
    }
  if (v->has_pad && !pad_ok)
    {
      fail (c, error, "reads the output of a Pad; freebits folds Pad only into a following Conv");
      return NULL;
    }
  return v;
}

static FbOnnxLayer *
layer_at (Ctx *c, int index)
{
  return index >= 0 ? g_ptr_array_index (c->g->layers, index) : NULL;
}

/* PyTorch names nodes "/module/path/OpType" (or "OpType_3"): the layer
 * takes the module path; a name that is only the op keeps it. */
static const char *
short_node_name (const Onnx__NodeProto *n, char **trimmed)
{
  const char *name = n->name != NULL ? n->name : "";
  const char *slash = strrchr (name, '/');
  const char *last = slash != NULL ? slash + 1 : NULL;
  gsize op_len = n->op_type != NULL ? strlen (n->op_type) : 0;

  if (last == NULL || op_len == 0 || strncmp (last, n->op_type, op_len) != 0 ||
      (last[op_len] != '\0' && (last[op_len] != '_' || strspn (last + op_len + 1, "0123456789") !=
                                 strlen (last + op_len + 1))))
    return name;
  *trimmed = g_strndup (name, slash - name);
  return strspn (*trimmed, "/") == strlen (*trimmed) ? name : *trimmed;
}

static FbOnnxLayer *
new_layer (Ctx *c, FbOnnxOp op, const Value *in)
{
  FbOnnxLayer *l = g_new0 (FbOnnxLayer, 1);
  g_autofree char *fallback = g_strdup_printf ("%s_%u", c->node->op_type, c->node_index);
  g_autofree char *lower = g_ascii_strdown (fallback, -1);
  g_autofree char *trimmed = NULL;

  l->name = unique_name (c, short_node_name (c->node, &trimmed), lower);
  l->op = op;
  l->n_inputs = 1;
  l->inputs[0] = in->producer;
  l->h = in->rank == 4 ? in->h : 1;
  l->w = in->rank == 4 ? in->w : 1;
  l->c = in->c;
  l->kh = l->kw = l->sh = l->sw = 1;
  g_ptr_array_add (c->g->layers, l);
  return l;
}

static void
output_layer (Ctx *c, const FbOnnxLayer *l, guint rank)
{
  Value v = { 0 };
  v.producer = c->g->layers->len - 1;
  v.rank = rank;
  v.c = l->cout;
  v.h = rank == 4 ? l->ho : 1;
  v.w = rank == 4 ? l->wo : 1;
  v.fresh = TRUE;
  set_output (c, 0, &v);
}

/* The layer whose fresh output input @i is, when this node may change it:
 * nothing else reads that output, and (for @no_relu) it has no ReLU yet. */
static FbOnnxLayer *
foldable (Ctx *c, guint i, gboolean weighted_only, const char *what, GError **error)
{
  Value *v = in_value (c, i, error);
  FbOnnxLayer *l;

  if (v == NULL)
    return NULL;
  l = layer_at (c, v->producer);
  if (l == NULL || !v->fresh || v->has_pad || l->relu ||
      (weighted_only ? l->op != FB_ONNX_CONV && l->op != FB_ONNX_DEPTHWISE && l->op != FB_ONNX_LINEAR
                     : l->op != FB_ONNX_CONV && l->op != FB_ONNX_DEPTHWISE && l->op != FB_ONNX_LINEAR &&
                       l->op != FB_ONNX_ADD))
    {
      fail (c, error, "freebits folds %s into the layer before it, which must be a %s; \"%s\" is not "
            "the direct output of one", what, weighted_only ? "Conv, Gemm or MatMul" : "Conv, Gemm, MatMul or Add",
            input_name (c, i));
      return NULL;
    }
  if (uses (c, i) != 1)
    {
      fail (c, error, "\"%s\" is also read by another node, which would then see the folded %s",
            input_name (c, i), what);
      return NULL;
    }
  return l;
}

/* ---------------------------------------------------------------------------
 * convolution and pooling geometry */

typedef struct {
  guint kh, kw, sh, sw, pad[4], ho, wo;
} Window;

/* kernel_shape (or @kh/@kw from the weights), strides, pads, auto_pad,
 * dilations, ceil_mode of a Conv or a pool on @v. */
static gboolean
window (Ctx *c, const Value *v, gint64 kh, gint64 kw, Window *win, GError **error)
{
  static const char *const autopads[] = { "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", NULL };
  gint64 k[2], s[2], p[4], d[2], ceil_mode;
  const char *autopad;
  gint64 size[2] = { v->h + v->pad[0] + v->pad[1], v->w + v->pad[2] + v->pad[3] };

  if (!attr_ints (c, "kernel_shape", 2, -1, k, error) || !attr_ints (c, "strides", 2, 1, s, error) ||
      !attr_ints (c, "pads", 4, 0, p, error) || !attr_ints (c, "dilations", 2, 1, d, error) ||
      !attr_int (c, "ceil_mode", 0, &ceil_mode, error) ||
      !attr_string_is (c, "auto_pad", "NOTSET", autopads, &autopad, error))
    return FALSE;
  if (kh > 0 && ((k[0] >= 0 && k[0] != kh) || (k[1] >= 0 && k[1] != kw)))
    return fail (c, error, "kernel_shape %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " differs from the weights' %"
                 G_GINT64_FORMAT "x%" G_GINT64_FORMAT, k[0], k[1], kh, kw);
  if (kh > 0)
    k[0] = kh, k[1] = kw;
  if (k[0] < 1 || k[1] < 1 || k[0] > 31 || k[1] > 31)
    return fail (c, error, "kernel %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " is missing or not in 1-31", k[0], k[1]);
  if (d[0] != 1 || d[1] != 1)
    return fail (c, error, "dilation %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " is not supported (only 1)", d[0], d[1]);
  if (s[0] < 1 || s[1] < 1 || s[0] > 31 || s[1] > 31)
    return fail (c, error, "stride %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " is not in 1-31", s[0], s[1]);
  for (guint i = 0; i < 4; i++)
    if (p[i] < 0 || p[i] > 31)
      return fail (c, error, "padding %" G_GINT64_FORMAT " is not in 0-31", p[i]);
  if (strcmp (autopad, "SAME_UPPER") == 0 || strcmp (autopad, "SAME_LOWER") == 0)
    for (guint a = 0; a < 2; a++)
      {
        gint64 out = (size[a] + s[a] - 1) / s[a];
        gint64 total = MAX ((out - 1) * s[a] + k[a] - size[a], 0);
        gint64 small = total / 2, large = total - small;
        p[a] = autopad[5] == 'U' ? small : large;     /* begin */
        p[a + 2] = autopad[5] == 'U' ? large : small; /* end */
      }
  else if (strcmp (autopad, "VALID") == 0)
    memset (p, 0, sizeof p);
  win->kh = k[0], win->kw = k[1], win->sh = s[0], win->sw = s[1];
  /* ONNX pads: h_begin, w_begin, h_end, w_end; freebits: top, bottom, left, right. */
  win->pad[0] = v->pad[0] + p[0];
  win->pad[1] = v->pad[1] + p[2];
  win->pad[2] = v->pad[2] + p[1];
  win->pad[3] = v->pad[3] + p[3];
  for (guint a = 0; a < 2; a++)
    {
      gint64 in = (a == 0 ? v->h : v->w) + win->pad[2 * a] + win->pad[2 * a + 1];
      gint64 floor_out = in >= k[a] ? (in - k[a]) / s[a] + 1 : 0;
      gint64 ceil_out = in >= k[a] ? (in - k[a] + s[a] - 1) / s[a] + 1 : 0;
      if (floor_out < 1)
        return fail (c, error, "kernel %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " does not fit the padded input %ux%u",
                     k[0], k[1], v->h, v->w);
      if (ceil_mode && ceil_out != floor_out)
        return fail (c, error, "ceil_mode = 1 adds a partial window here; freebits rounds output sizes down "
                     "(export with ceil_mode = False)");
      if (a == 0)
        win->ho = floor_out;
      else
        win->wo = floor_out;
    }
  if (win->pad[0] >= win->kh || win->pad[1] >= win->kh || win->pad[2] >= win->kw || win->pad[3] >= win->kw)
    return fail (c, error, "padding %u,%u,%u,%u (top, bottom, left, right, with any Pad before it) is not smaller "
                 "than the %ux%u kernel", win->pad[0], win->pad[1], win->pad[2], win->pad[3], win->kh, win->kw);
  return TRUE;
}

static void
set_window (FbOnnxLayer *l, const Window *win)
{
  l->kh = win->kh, l->kw = win->kw, l->sh = win->sh, l->sw = win->sw;
  memcpy (l->pad, win->pad, sizeof l->pad);
  l->ho = win->ho, l->wo = win->wo;
}

/* ---------------------------------------------------------------------------
 * ops */

static gboolean
op_conv (Ctx *c, GError **error)
{
  Value *v = map_input (c, 0, TRUE, error);
  const FbOnnxTensor *w, *b;
  gint64 group, o, ipg, kh, kw;
  Window win;
  FbOnnxLayer *l;

  if (v == NULL || (w = in_const (c, 1, TRUE, error)) == NULL)
    return FALSE;
  b = in_const (c, 2, FALSE, error);
  if (b == NULL && input_name (c, 2) != NULL)
    return FALSE;
  if (!w->is_float || w->n_dims != 4)
    return fail (c, error, "weight \"%s\" should be a 4-D float tensor (O×I×kH×kW)", w->name);
  o = w->dims[0], ipg = w->dims[1], kh = w->dims[2], kw = w->dims[3];
  if (!attr_int (c, "group", 1, &group, error) || !window (c, v, kh, kw, &win, error))
    return FALSE;
  if (group == 1 && ipg != v->c)
    return fail (c, error, "weight \"%s\" has %" G_GINT64_FORMAT " input channels, the input has %u", w->name, ipg, v->c);
  if (group != 1 && !(group == v->c && ipg == 1 && o == v->c))
    return fail (c, error, "grouped convolution (group %" G_GINT64_FORMAT ", %u input and %" G_GINT64_FORMAT
                 " output channels) is not supported; freebits has group 1 and depthwise (group = input channels "
                 "= output channels)", group, v->c, o);
  if (o < 1 || o > MAX_DIM)
    return fail (c, error, "%" G_GINT64_FORMAT " output channels is not in 1-%d", o, MAX_DIM);
  if (b != NULL && (!b->is_float || b->n != (gsize) o))
    return fail (c, error, "bias \"%s\" should hold %" G_GINT64_FORMAT " floats", b->name, o);

  l = new_layer (c, group == 1 ? FB_ONNX_CONV : FB_ONNX_DEPTHWISE, v);
  set_window (l, &win);
  l->cout = o;
  l->n_weight = w->n;
  l->weight = g_new (float, w->n);
  if (group == 1)
    for (gint64 oc = 0; oc < o; oc++)
      for (gint64 y = 0; y < kh; y++)
        for (gint64 x = 0; x < kw; x++)
          for (gint64 ic = 0; ic < ipg; ic++)
            l->weight[((oc * kh + y) * kw + x) * ipg + ic] = w->f[((oc * ipg + ic) * kh + y) * kw + x];
  else
    for (gint64 ch = 0; ch < o; ch++)
      for (gint64 y = 0; y < kh; y++)
        for (gint64 x = 0; x < kw; x++)
          l->weight[(y * kw + x) * o + ch] = w->f[(ch * kh + y) * kw + x];
  l->bias = g_new0 (float, o);
  if (b != NULL)
    memcpy (l->bias, b->f, o * sizeof (float));
  output_layer (c, l, 4);
  return TRUE;
}

/* A linear layer reading @v with weight[o][k] = scale · B[k][o] (or B[o][k]
 * when @trans_b); columns follow freebits' HWC order of a flattened map. */
static gboolean
linear_layer (Ctx *c, Value *v, const FbOnnxTensor *bt, gboolean trans_b, double scale, GError **error)
{
  gint64 k_dim, o;
  FbOnnxLayer *l;

  if (v->rank != 2)
    return fail (c, error, "expects a flattened N×features input; add a Flatten before it");
  if (!bt->is_float || bt->n_dims != 2)
    return fail (c, error, "weight \"%s\" should be a 2-D float tensor", bt->name);
  k_dim = trans_b ? bt->dims[1] : bt->dims[0];
  o = trans_b ? bt->dims[0] : bt->dims[1];
  if (k_dim != v->c)
    return fail (c, error, "weight \"%s\" takes %" G_GINT64_FORMAT " features, the input has %u", bt->name, k_dim, v->c);
  if (o < 1 || o > MAX_DIM * 16)
    return fail (c, error, "%" G_GINT64_FORMAT " outputs is not in 1-%d", o, MAX_DIM * 16);
  l = new_layer (c, FB_ONNX_LINEAR, v);
  l->cout = o;
  l->ho = l->wo = 1;
  l->n_weight = bt->n;
  l->weight = g_new (float, bt->n);
  l->bias = g_new0 (float, o);
  for (gint64 oc = 0; oc < o; oc++)
    for (gint64 k = 0; k < k_dim; k++)
      {
        gint64 col = k;
        if (v->nchw_flat)
          {
            /* ONNX flattens NCHW: k = (ch·H + y)·W + x; freebits is HWC. */
            gint64 ch = k / (v->fh * v->fw), y = (k / v->fw) % v->fh, x = k % v->fw;
            col = (y * v->fw + x) * v->fc + ch;
          }
        l->weight[oc * k_dim + col] = scale * (trans_b ? bt->f[oc * k_dim + k] : bt->f[k * o + oc]);
      }
  output_layer (c, l, 2);
  return TRUE;
}

static gboolean
op_gemm (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  const FbOnnxTensor *bt, *ct;
  gint64 trans_a, trans_b;
  double alpha, beta;
  FbOnnxLayer *l;

  if (v == NULL || (bt = in_const (c, 1, TRUE, error)) == NULL)
    return FALSE;
  ct = in_const (c, 2, FALSE, error);
  if (ct == NULL && input_name (c, 2) != NULL)
    return FALSE;
  if (!attr_int (c, "transA", 0, &trans_a, error) || !attr_int (c, "transB", 0, &trans_b, error) ||
      !attr_float (c, "alpha", 1.0, &alpha, error) || !attr_float (c, "beta", 1.0, &beta, error))
    return FALSE;
  if (trans_a)
    return fail (c, error, "transA = 1 (a transposed activation) is not supported");
  if (!linear_layer (c, v, bt, trans_b != 0, alpha, error))
    return FALSE;
  l = layer_at (c, c->g->layers->len - 1);
  if (ct != NULL)
    {
      if (!ct->is_float || (ct->n != l->cout && ct->n != 1))
        return fail (c, error, "bias \"%s\" should hold %u floats (or one)", ct->name, l->cout);
      for (guint k = 0; k < l->cout; k++)
        l->bias[k] = beta * ct->f[ct->n == 1 ? 0 : k];
    }
  return TRUE;
}

static gboolean
op_matmul (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  const FbOnnxTensor *bt;

  if (v == NULL || (bt = in_const (c, 1, TRUE, error)) == NULL)
    return FALSE;
  return linear_layer (c, v, bt, FALSE, 1.0, error);
}

/* Add of a constant: the bias of the Conv/MatMul/Gemm before it. */
static gboolean
add_bias (Ctx *c, guint vi, const FbOnnxTensor *t, GError **error)
{
  FbOnnxLayer *l = foldable (c, vi, TRUE, "an Add of a constant (a bias)", error);
  Value out;

  if (l == NULL)
    return FALSE;
  if (!t->is_float || (t->n != l->cout && t->n != 1))
    return fail (c, error, "constant \"%s\" holds %" G_GSIZE_FORMAT " values; a bias needs %u (or one)",
                 t->name, t->n, l->cout);
  for (guint k = 0; k < l->cout; k++)
    l->bias[k] += t->f[t->n == 1 ? 0 : k];
  out = *(Value *) g_hash_table_lookup (c->values, input_name (c, vi));
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_add (Ctx *c, GError **error)
{
  const char *n0 = input_name (c, 0), *n1 = input_name (c, 1);
  Value *a, *b;
  FbOnnxLayer *l;

  if (n0 != NULL && g_hash_table_contains (c->consts, n0))
    return add_bias (c, 1, g_hash_table_lookup (c->consts, n0), error);
  if (n1 != NULL && g_hash_table_contains (c->consts, n1))
    return add_bias (c, 0, g_hash_table_lookup (c->consts, n1), error);
  if ((a = in_value (c, 0, error)) == NULL || (b = in_value (c, 1, error)) == NULL)
    return FALSE;
  if (a->rank != b->rank || a->c != b->c || a->h != b->h || a->w != b->w || a->nhwc || b->nhwc ||
      a->has_pad || b->has_pad || a->nchw_flat != b->nchw_flat)
    return fail (c, error, "adds \"%s\" (%ux%ux%u) and \"%s\" (%ux%ux%u); freebits adds tensors of equal "
                 "shape without broadcasting", n0, a->c, a->h, a->w, n1, b->c, b->h, b->w);
  l = new_layer (c, FB_ONNX_ADD, a);
  l->n_inputs = 2;
  l->inputs[1] = b->producer;
  l->cout = a->c;
  l->ho = a->rank == 4 ? a->h : 1;
  l->wo = a->rank == 4 ? a->w : 1;
  output_layer (c, l, a->rank);
  return TRUE;
}

static gboolean
relu_common (Ctx *c, float max, GError **error)
{
  FbOnnxLayer *l = foldable (c, 0, FALSE, max > 0 ? "Clip (a bounded ReLU)" : "Relu", error);
  Value out;

  if (l == NULL)
    return FALSE;
  l->relu = TRUE;
  l->relu_max = max;
  out = *(Value *) g_hash_table_lookup (c->values, input_name (c, 0));
  out.fresh = FALSE;
  out.after_relu = max == 0;
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_relu (Ctx *c, GError **error)
{
  return relu_common (c, 0.0f, error);
}

/* Clip's bounds: attributes before opset 11, optional scalar inputs after. */
static gboolean
clip_bound (Ctx *c, guint input, const char *attr_name, double *out, gboolean *present, GError **error)
{
  const FbOnnxTensor *t;

  *present = FALSE;
  if (attr (c, attr_name) != NULL)
    {
      *present = TRUE;
      return attr_float (c, attr_name, 0.0, out, error);
    }
  if (input_name (c, input) == NULL)
    return TRUE;
  if ((t = in_const (c, input, TRUE, error)) == NULL)
    return FALSE;
  if (!t->is_float || t->n != 1)
    return fail (c, error, "bound \"%s\" should be one float", t->name);
  *present = TRUE;
  *out = t->f[0];
  return TRUE;
}

static gboolean
op_clip (Ctx *c, GError **error)
{
  double lo = 0, hi = 0;
  gboolean has_lo, has_hi;

  if (!clip_bound (c, 1, "min", &lo, &has_lo, error) || !clip_bound (c, 2, "max", &hi, &has_hi, error))
    return FALSE;
  if (!has_lo || lo != 0.0)
    return fail (c, error, "only Clip with min 0 (a ReLU, or ReLU6 with max 6) is supported");
  if (has_hi && !(hi > 0.0 && isfinite (hi)))
    return fail (c, error, "Clip max %g should be a positive number", hi);
  {
    /* PyTorch writes F.relu6 as Relu followed by Clip(0, 6). */
    Value *v = in_value (c, 0, error);
    if (v == NULL)
      return FALSE;
    if (v->after_relu && uses (c, 0) == 1 && has_hi)
      {
        Value out = *v;
        layer_at (c, v->producer)->relu_max = hi;
        out.after_relu = FALSE;
        set_output (c, 0, &out);
        return TRUE;
      }
  }
  return relu_common (c, has_hi ? (float) hi : 0.0f, error);
}

static gboolean
op_batch_norm (Ctx *c, GError **error)
{
  FbOnnxLayer *l = foldable (c, 0, TRUE, "BatchNormalization", error);
  const FbOnnxTensor *p[4];
  double eps;
  gint64 training;
  Value out;

  if (l == NULL)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      if ((p[i] = in_const (c, i + 1, TRUE, error)) == NULL)
        return FALSE;
      if (!p[i]->is_float || p[i]->n != l->cout)
        return fail (c, error, "\"%s\" should hold %u floats (one per channel)", p[i]->name, l->cout);
    }
  if (!attr_float (c, "epsilon", 1e-5, &eps, error) || !attr_int (c, "training_mode", 0, &training, error))
    return FALSE;
  if (training || c->node->n_output > 1)
    return fail (c, error, "training-mode batch norm is not supported; export the model in eval mode");
  for (guint k = 0; k < l->cout; k++)
    if (!(p[3]->f[k] + eps > 0))
      return fail (c, error, "variance \"%s\"[%u] + epsilon is %g, not positive", p[3]->name, k, p[3]->f[k] + eps);
  if (l->op == FB_ONNX_LINEAR)
    {
      /* Exact: y = a (W x + b − μ) + β with a = γ / √(σ² + ε). */
      guint cin = l->n_weight / l->cout;
      for (guint o = 0; o < l->cout; o++)
        {
          double a = p[0]->f[o] / sqrt ((double) p[3]->f[o] + eps);
          for (guint k = 0; k < cin; k++)
            l->weight[o * cin + k] *= a;
          l->bias[o] = a * (l->bias[o] - p[2]->f[o]) + p[1]->f[o];
        }
    }
  else
    {
      if (l->has_bn)
        return fail (c, error, "a second BatchNormalization after the same Conv is not supported");
      l->has_bn = TRUE;
      l->bn_eps = eps;
      l->bn_gamma = g_memdup2 (p[0]->f, l->cout * sizeof (float));
      l->bn_beta = g_memdup2 (p[1]->f, l->cout * sizeof (float));
      l->bn_mean = g_memdup2 (p[2]->f, l->cout * sizeof (float));
      l->bn_var = g_memdup2 (p[3]->f, l->cout * sizeof (float));
    }
  out = *(Value *) g_hash_table_lookup (c->values, input_name (c, 0));
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_global_avg_pool (Ctx *c, GError **error)
{
  Value *v = map_input (c, 0, FALSE, error);
  FbOnnxLayer *l;

  if (v == NULL)
    return FALSE;
  l = new_layer (c, FB_ONNX_GLOBAL_AVG_POOL, v);
  l->cout = v->c;
  l->ho = l->wo = 1;
  output_layer (c, l, 4);
  return TRUE;
}

static gboolean
op_pool (Ctx *c, GError **error)
{
  gboolean avg = strcmp (c->node->op_type, "AveragePool") == 0;
  Value *v = map_input (c, 0, avg, error);
  gint64 include_pad = 0;
  Window win;
  FbOnnxLayer *l;

  if (v == NULL || !window (c, v, 0, 0, &win, error) ||
      (avg && !attr_int (c, "count_include_pad", 0, &include_pad, error)))
    return FALSE;
  if (!avg && c->node->n_output > 1 && c->node->output[1][0] != '\0' &&
      g_hash_table_lookup (c->uses, c->node->output[1]) != NULL)
    return fail (c, error, "the indices output of MaxPool is not supported");
  if (v->has_pad)
    {
      /* PyTorch writes AvgPool2d(count_include_pad=True) as Pad + AveragePool:
       * the explicit zeros count, as the pool's own padding then must. */
      if (!include_pad && attr (c, "pads") != NULL)
        for (guint i = 0; i < 4; i++)
          if (win.pad[i] != v->pad[i])
            return fail (c, error, "a Pad before an AveragePool that pads again without count_include_pad "
                         "is not supported");
      include_pad = 1;
    }
  /* A window over the whole map is the global average pool freebits already has. */
  if (avg && win.kh == v->h && win.kw == v->w && win.ho == 1 && win.wo == 1 &&
      win.pad[0] + win.pad[1] + win.pad[2] + win.pad[3] == 0)
    return op_global_avg_pool (c, error);
  l = new_layer (c, avg ? FB_ONNX_AVG_POOL : FB_ONNX_MAX_POOL, v);
  set_window (l, &win);
  l->cout = v->c;
  l->count_include_pad = include_pad != 0;
  output_layer (c, l, 4);
  return TRUE;
}

/* The node's output: @v flattened to N×(C·H·W) (a no-op on a flat value). */
static gboolean
output_flattened (Ctx *c, const Value *v, GError **error)
{
  Value out = *v;

  if (v->has_pad)
    return fail (c, error, "reads the output of a Pad; freebits folds Pad only into a following Conv");
  out.fresh = FALSE;
  if (v->rank != 2)
    {
      out.rank = 2;
      out.fc = v->c, out.fh = v->h, out.fw = v->w;
      out.nchw_flat = !v->nhwc && v->h * v->w > 1;
      out.nhwc = FALSE;
      out.c = v->c * v->h * v->w;
      out.h = out.w = 1;
    }
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_flatten (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  gint64 axis;

  if (v == NULL || !attr_int (c, "axis", 1, &axis, error))
    return FALSE;
  if (axis != 1)
    return fail (c, error, "axis %" G_GINT64_FORMAT " is not supported (only 1: keep the batch)", axis);
  return output_flattened (c, v, error);
}

static gboolean
op_reshape (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  const FbOnnxTensor *s;
  guint64 total;

  if (v == NULL || (s = in_const (c, 1, TRUE, error)) == NULL)
    return FALSE;
  total = (guint64) v->c * (v->rank == 4 ? (guint64) v->h * v->w : 1);
  if (s->is_float || s->n != 2 ||
      (!((s->i[0] == 1 || s->i[0] == 0 || s->i[0] == -1) && s->i[1] == (gint64) total) &&
       !((s->i[0] == 1 || s->i[0] == 0) && s->i[1] == -1)))
    return fail (c, error, "only a flatten to N×%" G_GUINT64_FORMAT " (before a linear layer) is supported", total);
  return output_flattened (c, v, error);
}

/* Squeeze of the 1×1 spatial axes (Keras/tf2onnx after a global pool). */
static gboolean
op_squeeze (Ctx *c, GError **error)
{
  Value *v = map_input (c, 0, FALSE, error);
  const Onnx__AttributeProto *a;
  const FbOnnxTensor *t = NULL;
  gint64 axes[2] = { 0, 0 };
  guint n = 0;

  if (v == NULL)
    return FALSE;
  if ((a = attr (c, "axes")) != NULL && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS && a->n_ints == 2)
    axes[0] = a->ints[0], axes[1] = a->ints[1], n = 2;
  else if (input_name (c, 1) != NULL)
    {
      if ((t = in_const (c, 1, TRUE, error)) == NULL)
        return FALSE;
      if (!t->is_float && t->n == 2)
        axes[0] = t->i[0], axes[1] = t->i[1], n = 2;
    }
  for (guint i = 0; i < n; i++)
    if (axes[i] < 0)
      axes[i] += 4;
  if (n != 2 || MIN (axes[0], axes[1]) != 2 || MAX (axes[0], axes[1]) != 3 || v->h != 1 || v->w != 1)
    return fail (c, error, "only a Squeeze of the 1x1 spatial axes (2, 3) is supported");
  return output_flattened (c, v, error);
}

/* NHWC ↔ NCHW transposes as tf2onnx writes them around a Keras model: one
 * after the network input (freebits' input is HWC anyway), one before a
 * Flatten (then the flatten is already in freebits' HWC order). */
static gboolean
op_transpose (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  gint64 perm[4];
  Value out;

  if (v == NULL || !attr_ints (c, "perm", 4, -1, perm, error))
    return FALSE;
  out = *v;
  out.fresh = FALSE;
  if (v->rank == 4 && v->raw_input && perm[0] == 0 && perm[1] == 3 && perm[2] == 1 && perm[3] == 2 &&
      uses (c, 0) == 1)
    {
      /* The input was declared N×H×W×C: its dims were read as C, H, W. */
      out.c = v->w, out.h = v->c, out.w = v->h;
      out.raw_input = FALSE;
      c->g->input_h = out.h, c->g->input_w = out.w, c->g->input_c = out.c;
    }
  else if (v->rank == 4 && !v->nhwc && !v->has_pad && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1)
    out.nhwc = TRUE;
  else
    return fail (c, error, "only NHWC/NCHW transposes of the network input or before a Flatten are supported");
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_identity (Ctx *c, GError **error)
{
  const char *name = input_name (c, 0);
  const FbOnnxTensor *k = name != NULL ? g_hash_table_lookup (c->consts, name) : NULL;
  Value *v;
  Value out;

  /* PyTorch shares one initializer between uses through Identity nodes. */
  if (k != NULL && c->node->n_output >= 1)
    {
      FbOnnxTensor *t = g_memdup2 (k, sizeof *k);
      t->name = g_strdup (c->node->output[0]);
      t->f = k->f != NULL ? g_memdup2 (k->f, MAX (k->n, 1) * sizeof (float)) : NULL;
      t->i = k->i != NULL ? g_memdup2 (k->i, MAX (k->n, 1) * sizeof (gint64)) : NULL;
      g_hash_table_insert (c->consts, g_strdup (t->name), t);
      return TRUE;
    }
  if ((v = in_value (c, 0, error)) == NULL)
    return FALSE;
  if (c->node->n_output > 1 && c->node->output[1][0] != '\0' &&
      g_hash_table_lookup (c->uses, c->node->output[1]) != NULL)
    return fail (c, error, "the mask output of Dropout is read; freebits removes Dropout");
  out = *v;
  set_output (c, 0, &out);
  return TRUE;
}

/* A final Softmax changes no argmax: the network ends with the logits. */
static gboolean
op_softmax (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  Value out;

  if (v == NULL)
    return FALSE;
  if (c->node->n_output < 1 || !g_hash_table_contains (c->uses, c->node->output[0]) ||
      GPOINTER_TO_UINT (g_hash_table_lookup (c->uses, c->node->output[0])) != 1 || v->rank != 2)
    return fail (c, error, "only a final Softmax (the model's output, over the classes) is removed; "
                 "anywhere else it is not supported");
  c->g->softmax_removed = TRUE;
  out = *v;
  out.fresh = FALSE;
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean
op_constant (Ctx *c, GError **error)
{
  const Onnx__AttributeProto *a = attr (c, "value");
  g_autofree char *where = NULL;
  FbOnnxTensor *t;

  if (a == NULL || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR || a->t == NULL ||
      c->node->n_output < 1)
    return fail (c, error, "only a Constant with a tensor \"value\" is supported");
  where = g_strdup_printf ("%s: node %u \"%s\" (Constant)", c->origin, c->node_index,
                          c->node->name != NULL ? c->node->name : "");
  if ((t = fb_onnx_tensor_new_from_proto (a->t, where, error)) == NULL)
    return FALSE;
  g_free (t->name);
  t->name = g_strdup (c->node->output[0]);
  g_hash_table_insert (c->consts, g_strdup (t->name), t);
  return TRUE;
}

static gboolean
op_pad (Ctx *c, GError **error)
{
  static const char *const modes[] = { "constant", NULL };
  Value *v = map_input (c, 0, TRUE, error);
  const char *mode;
  gint64 pads[8];
  double value = 0;
  Value out;

  if (v == NULL || !attr_string_is (c, "mode", "constant", modes, &mode, error))
    return FALSE;
  if (attr (c, "pads") != NULL)
    {
      if (!attr_ints (c, "pads", 8, 0, pads, error) || !attr_float (c, "value", 0.0, &value, error))
        return FALSE;
    }
  else
    {
      const FbOnnxTensor *p = in_const (c, 1, TRUE, error), *cv;
      if (p == NULL)
        return FALSE;
      if (p->is_float || p->n != 8)
        return fail (c, error, "pads \"%s\" should be 8 integers", p->name);
      memcpy (pads, p->i, sizeof pads);
      if (input_name (c, 2) != NULL)
        {
          if ((cv = in_const (c, 2, TRUE, error)) == NULL)
            return FALSE;
          value = cv->n == 1 ? (cv->is_float ? cv->f[0] : cv->i[0]) : 1;
        }
    }
  if (value != 0.0)
    return fail (c, error, "padding with %g is not supported (only zeros, folded into the next Conv)", value);
  if (pads[0] || pads[1] || pads[4] || pads[5])
    return fail (c, error, "padding of the batch or channel axis is not supported");
  for (guint i = 0; i < 8; i++)
    if (pads[i] < 0 || pads[i] > 31)
      return fail (c, error, "padding %" G_GINT64_FORMAT " is not in 0-31", pads[i]);
  out = *v;
  out.fresh = FALSE;
  if (pads[2] + pads[3] + pads[6] + pads[7] == 0)
    {
      set_output (c, 0, &out);   /* exporters write empty Pads, e.g. before an AveragePool */
      return TRUE;
    }
  out.has_pad = TRUE;
  out.pad[0] += pads[2], out.pad[1] += pads[6], out.pad[2] += pads[3], out.pad[3] += pads[7];
  set_output (c, 0, &out);
  return TRUE;
}

static gboolean op_shape (Ctx *c, GError **error);

static const struct {
  const char *op;
  OpFunc      func;
} ops[] = {
  { "Conv", op_conv },
  { "Gemm", op_gemm },
  { "MatMul", op_matmul },
  { "Add", op_add },
  { "BatchNormalization", op_batch_norm },
  { "Relu", op_relu },
  { "Clip", op_clip },
  { "GlobalAveragePool", op_global_avg_pool },
  { "AveragePool", op_pool },
  { "MaxPool", op_pool },
  { "Flatten", op_flatten },
  { "Reshape", op_reshape },
  { "Squeeze", op_squeeze },
  { "Transpose", op_transpose },
  { "Pad", op_pad },
  { "Identity", op_identity },
  { "Dropout", op_identity },
  { "Softmax", op_softmax },
  { "LogSoftmax", op_softmax },
  { "Constant", op_constant },
  { "Shape", op_shape },
};

/* ---------------------------------------------------------------------------
 * graph */

static gboolean
read_initializers (Ctx *c, const Onnx__GraphProto *graph, GError **error)
{
  for (gsize i = 0; i < graph->n_initializer; i++)
    {
      const Onnx__TensorProto *p = graph->initializer[i];
      g_autofree char *where = g_strdup_printf ("%s: initializer %" G_GSIZE_FORMAT " \"%s\"", c->origin, i,
                                                p->name != NULL ? p->name : "");
      FbOnnxTensor *t;

      if (p->name == NULL || p->name[0] == '\0')
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: has no name"), where);
          return FALSE;
        }
      if ((t = fb_onnx_tensor_new_from_proto (p, where, error)) == NULL)
        return FALSE;
      g_hash_table_insert (c->consts, g_strdup (p->name), t);
    }
  return TRUE;
}

/* The one graph input that is not an initializer: float, N×C×H×W or N×F
 * with fixed sizes (only the batch may be dynamic). */
static gboolean
read_input (Ctx *c, const Onnx__GraphProto *graph, GError **error)
{
  const Onnx__ValueInfoProto *in = NULL;
  const Onnx__TensorShapeProto *shape;
  guint n = 0;
  gint64 d[4] = { 1, 1, 1, 1 };
  Value v = { 0 };

  for (gsize i = 0; i < graph->n_input; i++)
    if (graph->input[i]->name != NULL && !g_hash_table_contains (c->consts, graph->input[i]->name))
      in = graph->input[i], n++;
  if (n != 1)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: the graph has %u inputs; freebits networks have one"), c->origin, n);
      return FALSE;
    }
  if (in->type == NULL || in->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      in->type->tensor_type == NULL || in->type->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
      (shape = in->type->tensor_type->shape) == NULL)
    {
      int t = in->type != NULL && in->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && in->type->tensor_type
              ? in->type->tensor_type->elem_type : 0;
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: input \"%s\" is %s, expected a float32 tensor of known shape"),
                   c->origin, in->name, t ? fb_onnx_data_type_name (t) : "not a tensor");
      return FALSE;
    }
  if (shape->n_dim != 4 && shape->n_dim != 2)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: input \"%s\" has %zu dimensions; "
                     "expected N×C×H×W (an image) or N×F (features)"), c->origin, in->name, shape->n_dim);
      return FALSE;
    }
  for (gsize i = 1; i < shape->n_dim; i++)
    {
      const Onnx__TensorShapeProto__Dimension *dim = shape->dim[i];
      if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dim->dim_value < 1 ||
          dim->dim_value > MAX_DIM)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: input \"%s\" dimension %zu is %s%s; "
                         "freebits needs fixed sizes (1-%d) except the batch: export with a fixed input size"),
                       c->origin, in->name, i,
                       dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? "dynamic: " : "unknown",
                       dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dim->dim_param : "",
                       MAX_DIM);
          return FALSE;
        }
      d[i - 1] = dim->dim_value;
    }
  c->g->input_name = unique_name (c, in->name, "input");
  c->g->input_rank = shape->n_dim;
  v.producer = -1;
  v.rank = shape->n_dim;
  v.c = d[0], v.h = d[1], v.w = d[2];
  v.raw_input = v.rank == 4;
  c->g->input_c = v.c, c->g->input_h = v.h, c->g->input_w = v.w;
  g_hash_table_insert (c->values, g_strdup (in->name), g_memdup2 (&v, sizeof v));
  return TRUE;
}

static void
count_uses (Ctx *c, const Onnx__GraphProto *graph)
{
  for (gsize i = 0; i < graph->n_node; i++)
    for (gsize j = 0; j < graph->node[i]->n_input; j++)
      {
        const char *name = graph->node[i]->input[j];
        if (name != NULL && name[0] != '\0')
          g_hash_table_insert (c->uses, g_strdup (name),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (c->uses, name)) + 1));
      }
  for (gsize i = 0; i < graph->n_output; i++)
    if (graph->output[i]->name != NULL)
      g_hash_table_insert (c->uses, g_strdup (graph->output[i]->name),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (c->uses, graph->output[i]->name)) + 1));
}

static gboolean
all_inputs_constant (Ctx *c)
{
  for (guint i = 0; i < c->node->n_input; i++)
    if (input_name (c, i) != NULL && !g_hash_table_contains (c->consts, input_name (c, i)))
      return FALSE;
  return TRUE;
}

static gboolean
fold (Ctx *c, GError **error)
{
  g_autofree FbOnnxTensor **in = g_new0 (FbOnnxTensor *, c->node->n_input + 1);
  g_autofree char *why = NULL;
  FbOnnxTensor *t;

  for (guint i = 0; i < c->node->n_input; i++)
    in[i] = input_name (c, i) != NULL ? g_hash_table_lookup (c->consts, input_name (c, i)) : NULL;
  if ((t = fb_onnx_fold_node (c->node, in, &why)) == NULL)
    return fail (c, error, "cannot evaluate this shape computation: %s", why);
  if (c->node->n_output < 1 || c->node->output[0] == NULL)
    {
      fb_onnx_tensor_free (t);
      return fail (c, error, "has no output");
    }
  g_free (t->name);
  t->name = g_strdup (c->node->output[0]);
  g_hash_table_insert (c->consts, g_strdup (t->name), t);
  return TRUE;
}

/* Shape of an activation (batch 1): a constant for the shape computations. */
static gboolean
op_shape (Ctx *c, GError **error)
{
  Value *v = in_value (c, 0, error);
  FbOnnxTensor *t;

  if (v == NULL)
    return FALSE;
  if (attr (c, "start") != NULL || attr (c, "end") != NULL || v->has_pad || v->nhwc || c->node->n_output < 1)
    return fail (c, error, "only Shape of a whole N×C×H×W or N×F activation is supported");
  t = g_new0 (FbOnnxTensor, 1);
  t->name = g_strdup (c->node->output[0]);
  t->n_dims = 1;
  t->dims[0] = t->n = v->rank;
  t->i = g_new (gint64, 4);
  t->i[0] = 1, t->i[1] = v->c, t->i[2] = v->h, t->i[3] = v->w;
  g_hash_table_insert (c->consts, g_strdup (t->name), t);
  return TRUE;
}

static gboolean
run_node (Ctx *c, GError **error)
{
  const Onnx__NodeProto *n = c->node;

  if (n->op_type == NULL)
    return fail (c, error, "has no op_type");
  if (n->domain != NULL && n->domain[0] != '\0' && strcmp (n->domain, "ai.onnx") != 0)
    return fail (c, error, "operator domain \"%s\" is not supported (only the standard ONNX operators)", n->domain);
  if (fb_onnx_fold_supports (n->op_type) && all_inputs_constant (c))
    return fold (c, error);
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (strcmp (n->op_type, ops[i].op) == 0)
      return ops[i].func (c, error);
  return fail (c, error, "operator %s is not supported by freebits (see docs/import.md for the operators it maps)",
               n->op_type);
}

static gboolean
check_output (Ctx *c, const Onnx__GraphProto *graph, GError **error)
{
  const Value *v;

  if (graph->n_output != 1 || graph->output[0]->name == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: the graph has %zu outputs; freebits networks have one"),
                   c->origin, graph->n_output);
      return FALSE;
    }
  v = g_hash_table_lookup (c->values, graph->output[0]->name);
  if (v == NULL || v->producer < 0 || (guint) v->producer != c->g->layers->len - 1 || v->has_pad || v->nhwc)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: output \"%s\" is not the output of the last layer "
                     "(freebits networks end with the layer that writes their output)"), c->origin, graph->output[0]->name);
      return FALSE;
    }
  c->g->output_elements = v->c * v->h * v->w;
  return TRUE;
}

gboolean
fb_onnx_convert (const Onnx__ModelProto *model, const char *origin, FbOnnxGraph *g, GError **error)
{
  const Onnx__GraphProto *graph = model->graph;
  Ctx c = { 0 };
  gboolean ok = FALSE;

  if (graph == NULL || graph->n_node == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s: not an ONNX model (no graph, or a graph without nodes)"), origin);
      return FALSE;
    }
  c.origin = origin;
  c.g = g;
  c.opset = 0;
  for (gsize i = 0; i < model->n_opset_import; i++)
    if (model->opset_import[i]->domain == NULL || model->opset_import[i]->domain[0] == '\0')
      c.opset = model->opset_import[i]->version;
  c.consts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) fb_onnx_tensor_free);
  c.values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c.uses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!read_initializers (&c, graph, error) || !read_input (&c, graph, error))
    goto out;
  count_uses (&c, graph);
  for (gsize i = 0; i < graph->n_node; i++)
    {
      c.node = graph->node[i];
      c.node_index = i;
      if (!run_node (&c, error))
        goto out;
    }
  if (g->layers->len == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: the graph has no layer freebits can run"), origin);
      goto out;
    }
  ok = check_output (&c, graph, error);
out:
  g_hash_table_unref (c.consts);
  g_hash_table_unref (c.values);
  g_hash_table_unref (c.uses);
  g_hash_table_unref (c.names);
  return ok;
}

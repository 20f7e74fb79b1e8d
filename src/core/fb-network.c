/* fb-network.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-json.h"
#include "fb-names.h"
#include "fb-network.h"

/* Limits that keep every derived count (MACs, bytes) far inside 64 bits and
 * reject obviously broken files before they allocate anything. */
#define MAX_SPATIAL   16384
#define MAX_CHANNELS  65536
#define MAX_KERNEL    31
#define MAX_STRIDE    8
#define MAX_LAYERS    4096
/* MACs of one layer and of the whole network (docs/formats.md, "Limits"): keeps BOPs
 * (MACs x 8 x 8) and every sum over layers within 64 bits. */
#define MAX_MACS      (G_GUINT64_CONSTANT (1) << 50)

struct _FbNetwork {
  gatomicrefcount  ref;
  char            *name;
  char            *description;
  char            *path;
  char            *weights_path;
  char            *sha256;
  GPtrArray       *layers;   /* FbLayer* */
  GPtrArray       *tensors;  /* FbTensor* */
  GHashTable      *layer_by_name;
  GHashTable      *tensor_by_name;
  guint64          macs;
  guint64          params;
  guint            n_weighted;
  /* Input description and output meaning (FORMAT: optional, defaults = u8 pixels). */
  gboolean         input_signed;
  double           input_scale;
  int              input_zero_point;
  guint            input_rank;
  FbOutputKind     output_kind;
};

static const char *op_names[] = {
  [FB_OP_CONV2D] = "conv2d",
  [FB_OP_DEPTHWISE_CONV2D] = "depthwise_conv2d",
  [FB_OP_LINEAR] = "linear",
  [FB_OP_ADD] = "add",
  [FB_OP_GLOBAL_AVG_POOL] = "global_avg_pool",
  [FB_OP_AVG_POOL2D] = "avg_pool2d",
  [FB_OP_MAX_POOL2D] = "max_pool2d",
};

static const char *output_kind_names[] = {
  [FB_OUTPUT_CLASSES] = "classes",
  [FB_OUTPUT_VALUES] = "values",
};

FB_NAMES_DEFINE (FbOutputKind, fb_output_kind, output_kind_names)

FB_NAMES_DEFINE (FbOp, fb_op, op_names)

gboolean
fb_layer_is_weighted (const FbLayer *layer)
{
  return layer->op == FB_OP_CONV2D || layer->op == FB_OP_DEPTHWISE_CONV2D || layer->op == FB_OP_LINEAR;
}

gboolean
fb_layer_is_pool (const FbLayer *layer)
{
  return layer->op == FB_OP_GLOBAL_AVG_POOL || layer->op == FB_OP_AVG_POOL2D || layer->op == FB_OP_MAX_POOL2D;
}

static void
layer_free (gpointer data)
{
  FbLayer *layer = data;
  g_free (layer->name);
  g_free (layer);
}

static void
tensor_free (gpointer data)
{
  FbTensor *tensor = data;
  g_free (tensor->name);
  g_free (tensor->consumers);
  g_free (tensor);
}

static FbNetwork *
fb_network_new (void)
{
  FbNetwork *self = g_new0 (FbNetwork, 1);
  g_atomic_ref_count_init (&self->ref);
  self->layers = g_ptr_array_new_with_free_func (layer_free);
  self->tensors = g_ptr_array_new_with_free_func (tensor_free);
  self->layer_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->tensor_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->input_scale = 1.0 / 255.0;
  self->input_rank = 3;
  return self;
}

FbNetwork *
fb_network_ref (FbNetwork *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_network_unref (FbNetwork *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_hash_table_unref (self->layer_by_name);
  g_hash_table_unref (self->tensor_by_name);
  g_ptr_array_unref (self->layers);
  g_ptr_array_unref (self->tensors);
  g_free (self->name);
  g_free (self->description);
  g_free (self->path);
  g_free (self->weights_path);
  g_free (self->sha256);
  g_free (self);
}

static gboolean
valid_name (const char *name)
{
  /* Names appear in generated C comments, CSV cells and latency keys. */
  if (name == NULL || *name == '\0' || strlen (name) > 128)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '.' || *p == '/'))
      return FALSE;
  return TRUE;
}

static gboolean
get_name_field (JsonObject *obj, const char *member, const char *where, const char **out, GError **error)
{
  if (!fb_json_get_string (obj, member, where, TRUE, out, error))
    return FALSE;
  if (!valid_name (*out))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"%s\": \"%s\" is not a valid name (1-128 characters of A-Z a-z 0-9 _ - . /)"),
                   where, member, *out);
      return FALSE;
    }
  return TRUE;
}

/* A string member or NULL, for peeking at layers not parsed yet: unlike
 * json_object_get_string_member_with_default() it never warns about a
 * member of the wrong type (that layer's own parse reports it). */
static const char *
peek_string (JsonObject *obj, const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static FbTensor *
add_tensor (FbNetwork *self, const char *name, FbShape shape, FbTensorKind kind, int producer)
{
  FbTensor *t = g_new0 (FbTensor, 1);
  t->name = g_strdup (name);
  t->index = self->tensors->len;
  t->shape = shape;
  t->kind = kind;
  t->producer = producer;
  t->bits_source = t->index;
  t->last_use = producer < 0 ? 0 : (guint) producer;
  g_ptr_array_add (self->tensors, t);
  g_hash_table_insert (self->tensor_by_name, t->name, t);
  return t;
}

/* Multiplies with an overflow check (FALSE on overflow, then *acc is undefined). */
static gboolean
mul_checked (guint64 *acc, guint64 factor)
{
  return g_uint64_checked_mul (acc, *acc, factor);
}

/* FORMAT: a weighted layer without ReLU writes a signed tensor; an add is
 * unsigned after its ReLU, else signed if any input is; a pool keeps its
 * input's signedness. */
static gboolean
output_is_signed (FbNetwork *self, const FbLayer *layer)
{
  const FbTensor *in = g_ptr_array_index (self->tensors, layer->inputs[0]);

  switch (layer->op)
    {
    case FB_OP_CONV2D:
    case FB_OP_DEPTHWISE_CONV2D:
    case FB_OP_LINEAR:
      return !layer->relu;
    case FB_OP_ADD:
      return !layer->relu &&
             (in->is_signed || ((FbTensor *) g_ptr_array_index (self->tensors, layer->inputs[1]))->is_signed);
    case FB_OP_GLOBAL_AVG_POOL:
    case FB_OP_AVG_POOL2D:
    case FB_OP_MAX_POOL2D:
    default:
      return in->is_signed;
    }
}

/* What parse_layer()'s steps share: the layer being read and what is known of it so far. */
typedef struct {
  FbNetwork      *self;
  JsonObject     *lobj;
  GPtrArray      *all_layer_objs;  /* every layer's JsonObject, for messages about order */
  FbLayer        *layer;
  const char     *op_str;
  const char     *where;           /* "FILE: layer N \"NAME\"" */
  const FbTensor *in;              /* the first input (after parse_layer_inputs) */
  gint64          groups;          /* the "groups" field (1 when absent) */
  gint64          cin;             /* the "cin" field (0 when absent) */
  FbShape         out_shape;
} LayerParse;

/* Resolves the layer's inputs: tensors an earlier layer writes, or the
 * network input; names what is wrong when a later layer writes them. */
static gboolean
parse_layer_inputs (LayerParse *p, GError **error)
{
  guint index = p->layer->index;
  JsonArray *inputs;

  if (!fb_json_get_array (p->lobj, "inputs", p->where, TRUE, &inputs, error))
    return FALSE;
  {
    guint want = p->layer->op == FB_OP_ADD ? 2 : 1;
    if (json_array_get_length (inputs) != want)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: op %s takes %u input%s, got %u"),
                     p->where, p->op_str, want, want == 1 ? "" : "s", json_array_get_length (inputs));
        return FALSE;
      }
    p->layer->n_inputs = want;
  }
  for (guint i = 0; i < p->layer->n_inputs; i++)
    {
      JsonNode *node = json_array_get_element (inputs, i);
      const char *tname;
      FbTensor *t;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: inputs[%u]: expected a tensor name, got %s"),
                       p->where, i, fb_json_node_describe (node));
          return FALSE;
        }
      tname = json_node_get_string (node);
      t = g_hash_table_lookup (p->self->tensor_by_name, tname);
      if (t == NULL)
        {
          if (g_strcmp0 (peek_string (p->lobj, "output"), tname) == 0)
            {
              g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                           _("%s: reads tensor \"%s\", its own output (a cycle)"), p->where, tname);
              return FALSE;
            }
          /* A later producer means the layers are not in topological order (or form a cycle). */
          for (guint j = index + 1; j < p->all_layer_objs->len; j++)
            {
              JsonObject *other = g_ptr_array_index (p->all_layer_objs, j);
              const char *o = peek_string (other, "output");
              if (g_strcmp0 (o, tname) == 0)
                {
                  g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                               _("%s: reads tensor \"%s\", which layer %u \"%s\" writes later; "
                                 "layers must be in topological order (a cycle cannot be)"),
                               p->where, tname, j,
                               peek_string (other, "name") ? peek_string (other, "name") : "?");
                  return FALSE;
                }
            }
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                       _("%s: reads tensor \"%s\", which no earlier layer writes and is not the network input"),
                       p->where, tname);
          return FALSE;
        }
      p->layer->inputs[i] = t->index;
    }
  return TRUE;
}

/* Kernel, stride and padding of the windowed ops (conv, depthwise, pools),
 * which give the output's height and width; the other ops have none. */
static gboolean
parse_layer_window (LayerParse *p, GError **error)
{
  FbLayer *layer = p->layer;
  gint64 kernel[2] = { 1, 1 }, stride[2] = { 1, 1 }, pad[4] = { 0, 0, 0, 0 };

  switch (layer->op)
    {
    case FB_OP_AVG_POOL2D:
    case FB_OP_MAX_POOL2D:
      if (json_object_has_member (p->lobj, "groups"))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: op %s has no field \"groups\""), p->where, p->op_str);
          return FALSE;
        }
      G_GNUC_FALLTHROUGH;
    case FB_OP_CONV2D:
    case FB_OP_DEPTHWISE_CONV2D:
      if (!fb_json_get_int_tuple (p->lobj, "kernel", p->where, TRUE, 1, MAX_KERNEL, 2, kernel, error) ||
          !fb_json_get_int_tuple (p->lobj, "stride", p->where, FALSE, 1, MAX_STRIDE, 2, stride, error) ||
          !fb_json_get_int_tuple (p->lobj, "pad", p->where, FALSE, 0, MAX_KERNEL - 1, 4, pad, error) ||
          !fb_json_get_int (p->lobj, "groups", p->where, FALSE, 1, MAX_CHANNELS, &p->groups, error))
        return FALSE;
      if (pad[0] >= kernel[0] || pad[1] >= kernel[0] || pad[2] >= kernel[1] || pad[3] >= kernel[1])
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: padding [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                         "] (top, bottom, left, right) must be smaller than the kernel %" PRId64 "x%" PRId64),
                       p->where, pad[0], pad[1], pad[2], pad[3], kernel[0], kernel[1]);
          return FALSE;
        }
      if ((gint64) p->in->shape.h + pad[0] + pad[1] < kernel[0] ||
          (gint64) p->in->shape.w + pad[2] + pad[3] < kernel[1])
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: kernel %" PRId64 "x%" PRId64 " does not fit the padded input %ux%u"),
                       p->where, kernel[0], kernel[1], p->in->shape.h, p->in->shape.w);
          return FALSE;
        }
      layer->kernel_h = kernel[0];
      layer->kernel_w = kernel[1];
      layer->stride_h = stride[0];
      layer->stride_w = stride[1];
      layer->pad_top = pad[0];
      layer->pad_bottom = pad[1];
      layer->pad_left = pad[2];
      layer->pad_right = pad[3];
      p->out_shape.h = (p->in->shape.h + pad[0] + pad[1] - kernel[0]) / stride[0] + 1;
      p->out_shape.w = (p->in->shape.w + pad[2] + pad[3] - kernel[1]) / stride[1] + 1;
      break;
    case FB_OP_LINEAR:
    case FB_OP_ADD:
    case FB_OP_GLOBAL_AVG_POOL:
      for (guint i = 0; i < 4; i++)
        {
          static const char *conv_only[] = { "kernel", "stride", "pad", "groups" };
          if (json_object_has_member (p->lobj, conv_only[i]))
            {
              g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: op %s has no field \"%s\""),
                           p->where, p->op_str, conv_only[i]);
              return FALSE;
            }
        }
      break;
    }
  return TRUE;
}

/* Channels, output channels, weight count and MACs for the layer's op. */
static gboolean
parse_layer_channels (LayerParse *p, GError **error)
{
  FbLayer *layer = p->layer;
  gint64 cout = 0;
  guint64 macs = 1, n_weights = 1;

  if (!fb_json_get_int (p->lobj, "cin", p->where, FALSE, 1, G_MAXINT32, &p->cin, error) ||
      !fb_json_get_int (p->lobj, "cout", p->where,
                        layer->op == FB_OP_CONV2D || layer->op == FB_OP_LINEAR,
                        1, MAX_CHANNELS, &cout, error))
    return FALSE;

  switch (layer->op)
    {
    case FB_OP_CONV2D:
      if (p->groups != 1)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: grouped conv2d (groups %" PRId64 ") is not supported; "
                         "use op depthwise_conv2d for groups = channels"),
                       p->where, p->groups);
          return FALSE;
        }
      layer->cin = p->in->shape.c;
      layer->cout = cout;
      p->out_shape.c = cout;
      n_weights = (guint64) layer->kernel_h * layer->kernel_w * layer->cin * layer->cout;
      macs = n_weights;
      if (!mul_checked (&macs, (guint64) p->out_shape.h * p->out_shape.w))
        macs = G_MAXUINT64;   /* reported as too many MACs below */
      break;
    case FB_OP_DEPTHWISE_CONV2D:
      if (json_object_has_member (p->lobj, "groups") && p->groups != p->in->shape.c)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: field \"groups\": depthwise_conv2d needs groups = input channels (%u), got %" PRId64),
                       p->where, p->in->shape.c, p->groups);
          return FALSE;
        }
      if (cout != 0 && cout != p->in->shape.c)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: depthwise_conv2d keeps the channel count: cout %" PRId64 " != input channels %u"),
                       p->where, cout, p->in->shape.c);
          return FALSE;
        }
      layer->cin = layer->cout = p->in->shape.c;
      p->out_shape.c = p->in->shape.c;
      n_weights = (guint64) layer->kernel_h * layer->kernel_w * layer->cin;
      macs = n_weights;
      if (!mul_checked (&macs, (guint64) p->out_shape.h * p->out_shape.w))
        macs = G_MAXUINT64;
      break;
    case FB_OP_LINEAR:
      /* In 64 bits: 16384 x 16384 x 16 features wrapped to 0 in 32. */
      if ((guint64) p->in->shape.h * p->in->shape.w * p->in->shape.c > (guint64) MAX_CHANNELS * 64)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: linear input of %ux%ux%u = %" PRIu64 " features is too large (at most %u)"),
                       p->where, p->in->shape.h, p->in->shape.w, p->in->shape.c,
                       (guint64) p->in->shape.h * p->in->shape.w * p->in->shape.c, MAX_CHANNELS * 64);
          return FALSE;
        }
      layer->cin = p->in->shape.h * p->in->shape.w * p->in->shape.c;
      layer->cout = cout;
      p->out_shape = (FbShape) { 1, 1, cout };
      n_weights = (guint64) layer->cin * layer->cout;
      macs = n_weights;
      break;
    case FB_OP_ADD:
      {
        const FbTensor *in2 = g_ptr_array_index (p->self->tensors, layer->inputs[1]);
        if (p->in->shape.h != in2->shape.h || p->in->shape.w != in2->shape.w || p->in->shape.c != in2->shape.c)
          {
            g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                         _("%s: add needs equal shapes, got \"%s\" %ux%ux%u and \"%s\" %ux%ux%u (HxWxC)"),
                         p->where, p->in->name, p->in->shape.h, p->in->shape.w, p->in->shape.c,
                         in2->name, in2->shape.h, in2->shape.w, in2->shape.c);
            return FALSE;
          }
        if (cout != 0 && cout != p->in->shape.c)
          {
            g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: cout %" PRId64 " != input channels %u"),
                         p->where, cout, p->in->shape.c);
            return FALSE;
          }
        layer->cin = layer->cout = p->in->shape.c;
        p->out_shape = p->in->shape;
        n_weights = 0;
        macs = 0;
      }
      break;
    case FB_OP_GLOBAL_AVG_POOL:
    case FB_OP_AVG_POOL2D:
    case FB_OP_MAX_POOL2D:
      if (cout != 0 && cout != p->in->shape.c)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: cout %" PRId64 " != input channels %u"),
                       p->where, cout, p->in->shape.c);
          return FALSE;
        }
      if (layer->relu)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"relu\": %s has no ReLU"), p->where, p->op_str);
          return FALSE;
        }
      layer->cin = layer->cout = p->in->shape.c;
      if (layer->op == FB_OP_GLOBAL_AVG_POOL)
        p->out_shape = (FbShape) { 1, 1, p->in->shape.c };
      else
        p->out_shape.c = p->in->shape.c;
      /* No multiply-accumulates with weights: MACs and BOPs count weighted layers only. */
      n_weights = 0;
      macs = 0;
      break;
    }

  layer->macs = macs;
  layer->n_weights = n_weights;
  return TRUE;
}

/* What the op's fields leave to check: the declared cin and the sizes freebits handles. */
static gboolean
check_layer_size (LayerParse *p, GError **error)
{
  if (p->cin != 0 && (guint64) p->cin != p->layer->cin)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: field \"cin\" says %" PRId64 " but the input \"%s\" (%ux%ux%u) gives %u"),
                   p->where, p->cin, p->in->name, p->in->shape.h, p->in->shape.w, p->in->shape.c, p->layer->cin);
      return FALSE;
    }
  if (p->layer->op == FB_OP_LINEAR && p->layer->cin > (guint) MAX_CHANNELS * 64)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: linear input of %u features is too large"), p->where, p->layer->cin);
      return FALSE;
    }
  if (p->layer->macs > MAX_MACS)
    {
      if (p->layer->macs == G_MAXUINT64)
        g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: more than 2^64 MACs is beyond what freebits handles (at most 2^50)"), p->where);
      else
        g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: %" PRIu64 " MACs is beyond what freebits handles (at most 2^50)"), p->where, p->layer->macs);
      return FALSE;
    }
  return TRUE;
}

/* Adds the layer's output tensor and records the layer as its inputs' consumer. */
static gboolean
parse_layer_output (LayerParse *p, GError **error)
{
  const char *out_name;

  if (!get_name_field (p->lobj, "output", p->where, &out_name, error))
    return FALSE;
  {
    FbTensor *existing = g_hash_table_lookup (p->self->tensor_by_name, out_name);
    FbTensorKind kind;
    FbTensor *t;

    if (existing != NULL)
      {
        if (existing->producer < 0)
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: writes \"%s\", the network input"), p->where, out_name);
        else
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: writes tensor \"%s\", already written by layer \"%s\""),
                       p->where, out_name,
                       ((FbLayer *) g_ptr_array_index (p->self->layers, existing->producer))->name);
        return FALSE;
      }
    kind = fb_layer_is_pool (p->layer) ? FB_TENSOR_POOLED : FB_TENSOR_ACTIVATION;
    t = add_tensor (p->self, out_name, p->layer->out_shape, kind, p->layer->index);
    if (kind == FB_TENSOR_POOLED)
      t->bits_source = p->in->bits_source;
    t->is_signed = output_is_signed (p->self, p->layer);
    p->layer->output = t->index;
  }

  for (guint i = 0; i < p->layer->n_inputs; i++)
    {
      FbTensor *t = g_ptr_array_index (p->self->tensors, p->layer->inputs[i]);
      if (i == 1 && p->layer->inputs[1] == p->layer->inputs[0])
        continue;
      t->consumers = g_renew (guint, t->consumers, t->n_consumers + 1);
      t->consumers[t->n_consumers++] = p->layer->index;
      t->last_use = p->layer->index;
    }
  return TRUE;
}

static gboolean
parse_layer (FbNetwork   *self,
             JsonObject  *lobj,
             guint        index,
             const char  *origin,
             GPtrArray   *all_layer_objs,
             GError     **error)
{
  g_autofree char *where = NULL;
  const char *name, *op_str;
  FbLayer *layer;
  gboolean relu;
  LayerParse lp;

  where = g_strdup_printf ("%s: layers[%u]", origin, index);
  if (!get_name_field (lobj, "name", where, &name, error))
    return FALSE;
  g_free (where);
  where = g_strdup_printf ("%s: layer %u \"%s\"", origin, index, name);
  {
    static const char *known[] = { "name", "op", "inputs", "output", "kernel", "stride", "pad",
                                   "groups", "cin", "cout", "relu", "count_include_pad", NULL };
    if (!fb_json_check_members (lobj, where, known, error))
      return FALSE;
  }

  if (g_hash_table_contains (self->layer_by_name, name))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: duplicated layer name \"%s\""), where, name);
      return FALSE;
    }

  layer = g_new0 (FbLayer, 1);
  layer->name = g_strdup (name);
  layer->index = index;
  g_ptr_array_add (self->layers, layer);
  g_hash_table_insert (self->layer_by_name, layer->name, layer);

  if (!fb_json_get_string (lobj, "op", where, TRUE, &op_str, error))
    return FALSE;
  if (!fb_op_from_string (op_str, &layer->op))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: unknown op \"%s\" (expected conv2d, depthwise_conv2d, linear, add, global_avg_pool, "
                     "avg_pool2d or max_pool2d)"),
                   where, op_str);
      return FALSE;
    }

  lp = (LayerParse) { self, lobj, all_layer_objs, layer, op_str, where, .groups = 1 };
  if (!parse_layer_inputs (&lp, error))
    return FALSE;
  lp.in = g_ptr_array_index (self->tensors, layer->inputs[0]);
  layer->in_shape = lp.in->shape;

  relu = layer->op == FB_OP_CONV2D || layer->op == FB_OP_DEPTHWISE_CONV2D;
  if (!fb_json_get_bool (lobj, "relu", where, FALSE, &relu, error))
    return FALSE;
  layer->relu = relu;
  if (layer->op == FB_OP_AVG_POOL2D)
    {
      if (!fb_json_get_bool (lobj, "count_include_pad", where, FALSE, &layer->count_include_pad, error))
        return FALSE;
    }
  else if (json_object_has_member (lobj, "count_include_pad"))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: op %s has no field \"count_include_pad\" (only avg_pool2d)"),
                   where, op_str);
      return FALSE;
    }

  if (!parse_layer_window (&lp, error) || !parse_layer_channels (&lp, error) || !check_layer_size (&lp, error))
    return FALSE;
  layer->out_shape = lp.out_shape;
  layer->params = fb_layer_is_weighted (layer) ? layer->n_weights + layer->cout : 0;

  return parse_layer_output (&lp, error);
}

static char *
canonical_topology (FbNetwork *self)
{
  GString *s = g_string_new ("freebits-network/1\n");
  const FbTensor *in = g_ptr_array_index (self->tensors, 0);

  g_string_append_printf (s, "input %s %u %u %u\n", in->name, in->shape.h, in->shape.w, in->shape.c);
  /* Signedness selects other kernels (and latency keys), so it is topology;
   * the input's scale and zero point are numbers of the trained model, not.
   * Extras are appended only when present, so old networks keep their hash. */
  if (self->input_signed)
    g_string_append (s, "input signed\n");
  for (guint i = 0; i < self->layers->len; i++)
    {
      const FbLayer *l = g_ptr_array_index (self->layers, i);
      g_string_append_printf (s, "%s %s", l->name, fb_op_to_string (l->op));
      for (guint j = 0; j < l->n_inputs; j++)
        g_string_append_printf (s, " <%s", ((FbTensor *) g_ptr_array_index (self->tensors, l->inputs[j]))->name);
      g_string_append_printf (s, " >%s k%ux%u s%ux%u p%u,%u,%u,%u c%u,%u r%d\n",
                              ((FbTensor *) g_ptr_array_index (self->tensors, l->output))->name,
                              l->kernel_h, l->kernel_w, l->stride_h, l->stride_w,
                              l->pad_top, l->pad_bottom, l->pad_left, l->pad_right,
                              l->cin, l->cout, l->relu ? 1 : 0);
      if (l->count_include_pad)
        g_string_append_printf (s, "%s count_include_pad\n", l->name);
    }
  return g_string_free (s, FALSE);
}

static gboolean
finish_graph (FbNetwork *self, const char *origin, GError **error)
{
  FbLayer *last;
  FbTensor *out;

  if (self->layers->len == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: field \"layers\" is empty"), origin);
      return FALSE;
    }
  last = g_ptr_array_index (self->layers, self->layers->len - 1);
  out = g_ptr_array_index (self->tensors, last->output);
  if (last->op != FB_OP_LINEAR)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                   _("%s: the last layer \"%s\" must be the linear classifier that writes the logits, it is %s"),
                   origin, last->name, fb_op_to_string (last->op));
      return FALSE;
    }
  out->kind = FB_TENSOR_LOGITS;
  out->is_signed = TRUE;

  for (guint i = 0; i < self->tensors->len; i++)
    {
      FbTensor *t = g_ptr_array_index (self->tensors, i);
      if (t->n_consumers == 0 && t->kind != FB_TENSOR_LOGITS)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                       _("%s: tensor \"%s\"%s%s%s is never read (only the classifier's logits may be left unused)"),
                       origin, t->name,
                       t->producer >= 0 ? " written by layer \"" : "",
                       t->producer >= 0 ? ((FbLayer *) g_ptr_array_index (self->layers, t->producer))->name : "",
                       t->producer >= 0 ? "\"" : "");
          return FALSE;
        }
    }

  for (guint i = 0; i < self->layers->len; i++)
    {
      const FbLayer *l = g_ptr_array_index (self->layers, i);
      if (!g_uint64_checked_add (&self->macs, self->macs, l->macs))
        g_assert_not_reached ();
      self->params += l->params;
      if (fb_layer_is_weighted (l))
        self->n_weighted++;
    }

  {
    g_autofree char *canon = canonical_topology (self);
    self->sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canon, -1);
  }
  return TRUE;
}

/* "input": name, shape [H, W, C] or [N], and the optional description
 * (signed, scale, zero_point) of how real values map to the 8-bit grid. */
static gboolean
parse_input (FbNetwork *self, JsonObject *input, const char *where, GError **error)
{
  JsonNode *shape_node = json_object_get_member (input, "shape");
  const char *in_name;
  gint64 shape[3] = { 1, 1, 1 };
  gint64 zero_point = 0;
  gint64 zp_min, zp_max;
  FbTensor *t;

  if (!get_name_field (input, "name", where, &in_name, error))
    return FALSE;
  if (shape_node != NULL && JSON_NODE_HOLDS_ARRAY (shape_node) &&
      json_array_get_length (json_node_get_array (shape_node)) == 1)
    {
      /* [N]: a vector of N features, treated as 1x1xN. */
      self->input_rank = 1;
      if (!fb_json_get_int_tuple (input, "shape", where, TRUE, 1, MAX_CHANNELS, 1, &shape[2], error))
        return FALSE;
    }
  else
    {
      if (shape_node != NULL && JSON_NODE_HOLDS_ARRAY (shape_node) &&
          json_array_get_length (json_node_get_array (shape_node)) != 3)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: field \"shape\": expected [H, W, C] or [N], got %u integers"),
                       where, json_array_get_length (json_node_get_array (shape_node)));
          return FALSE;
        }
      if (!fb_json_get_int_tuple (input, "shape", where, TRUE, 1, MAX_SPATIAL, 3, shape, error))
        return FALSE;
      if (shape[2] > MAX_CHANNELS)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"shape\": %" PRId64 " channels is more than %d"),
                       where, shape[2], MAX_CHANNELS);
          return FALSE;
        }
    }
  if (!fb_json_get_bool (input, "signed", where, FALSE, &self->input_signed, error) ||
      !fb_json_get_number (input, "scale", where, FALSE, &self->input_scale, error))
    return FALSE;
  if (!(self->input_scale > 0) || self->input_scale > 1e30 || self->input_scale < 1e-30)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"scale\": expected a positive number (real value of one integer step), got %g"),
                   where, self->input_scale);
      return FALSE;
    }
  zp_min = self->input_signed ? -128 : 0;
  zp_max = self->input_signed ? 127 : 255;
  if (!fb_json_get_int (input, "zero_point", where, FALSE, zp_min, zp_max, &zero_point, error))
    return FALSE;
  self->input_zero_point = zero_point;
  t = add_tensor (self, in_name, (FbShape) { shape[0], shape[1], shape[2] }, FB_TENSOR_INPUT, -1);
  t->is_signed = self->input_signed;
  return TRUE;
}

static FbNetwork *
network_from_json (JsonNode *root, const char *origin, const char *base_dir, GError **error)
{
  g_autoptr(FbNetwork) self = fb_network_new ();
  g_autoptr(GPtrArray) layer_objs = g_ptr_array_new ();
  g_autofree char *input_where = g_strdup_printf ("%s: input", origin);
  JsonObject *obj, *input;
  JsonArray *layers;
  const char *name, *desc, *weights, *output_kind = NULL;
  guint64 total_macs = 0;

  obj = fb_json_root_object (root, "freebits-network", origin, error);
  if (obj == NULL)
    return NULL;
  {
    static const char *known[] = { "format", "name", "description", "weights", "input", "layers",
                                   "output_kind", NULL };
    static const char *known_input[] = { "name", "shape", "signed", "scale", "zero_point", NULL };
    JsonNode *in_node = json_object_get_member (obj, "input");
    if (!fb_json_check_members (obj, origin, known, error))
      return NULL;
    if (in_node && JSON_NODE_HOLDS_OBJECT (in_node) &&
        !fb_json_check_members (json_node_get_object (in_node), input_where, known_input, error))
      return NULL;
  }
  if (!get_name_field (obj, "name", origin, &name, error) ||
      !fb_json_get_string (obj, "description", origin, FALSE, &desc, error) ||
      !fb_json_get_string (obj, "weights", origin, FALSE, &weights, error) ||
      !fb_json_get_object (obj, "input", origin, TRUE, &input, error) ||
      !fb_json_get_array (obj, "layers", origin, TRUE, &layers, error) ||
      !fb_json_get_string (obj, "output_kind", origin, FALSE, &output_kind, error))
    return NULL;
  if (output_kind != NULL && !fb_output_kind_from_string (output_kind, &self->output_kind))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"output_kind\": expected \"classes\" or \"values\", got \"%s\""),
                   origin, output_kind);
      return NULL;
    }
  self->name = g_strdup (name);
  self->description = g_strdup (desc);
  if (weights != NULL)
    {
      if (*weights == '\0')
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"weights\" is an empty path"), origin);
          return NULL;
        }
      self->weights_path = g_path_is_absolute (weights) || base_dir == NULL
        ? g_strdup (weights)
        : g_build_filename (base_dir, weights, NULL);
    }

  if (!parse_input (self, input, input_where, error))
    return NULL;

  if (json_array_get_length (layers) > MAX_LAYERS)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: %u layers is more than %d"),
                   origin, json_array_get_length (layers), MAX_LAYERS);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonNode *node = json_array_get_element (layers, i);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: layers[%u]: expected an object, got %s"),
                       origin, i, fb_json_node_describe (node));
          return NULL;
        }
      g_ptr_array_add (layer_objs, json_node_get_object (node));
    }
  for (guint i = 0; i < layer_objs->len; i++)
    {
      const FbLayer *l;

      if (!parse_layer (self, g_ptr_array_index (layer_objs, i), i, origin, layer_objs, error))
        return NULL;
      l = g_ptr_array_index (self->layers, i);
      total_macs += l->macs;   /* each <= MAX_MACS, so no wrap before the check */
      if (total_macs > MAX_MACS)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                       _("%s: layers[%u] \"%s\": the network's MACs pass 2^50, beyond what freebits handles"),
                       origin, i, l->name);
          return NULL;
        }
    }
  if (!finish_graph (self, origin, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbNetwork *
fb_network_new_from_json (JsonNode *root, const char *origin, const char *base_dir, GError **error)
{
  FbNetwork *result = network_from_json (root, origin, base_dir, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbNetwork *
fb_network_load_from_data (const char *data, gssize length, const char *origin, GError **error)
{
  g_autoptr(JsonNode) root = fb_json_load_data (data, length, origin, error);
  if (root == NULL)
    return NULL;
  return fb_network_new_from_json (root, origin, NULL, error);
}

FbNetwork *
fb_network_load (const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_json_load_file (path, error);
  g_autofree char *dir = NULL;
  FbNetwork *self;

  if (root == NULL)
    return NULL;
  {
    /* Absolute, so a relative "weights" resolves to an absolute path
     * (fb_network_get_weights_path) whatever the current directory. */
    g_autofree char *rel_dir = g_path_get_dirname (path);
    dir = g_canonicalize_filename (rel_dir, NULL);
  }
  self = fb_network_new_from_json (root, path, dir, error);
  if (self != NULL)
    self->path = g_canonicalize_filename (path, NULL);
  return self;
}

static JsonNode *
int_array (const guint *values, guint n)
{
  JsonArray *arr = json_array_sized_new (n);
  JsonNode *node;

  for (guint i = 0; i < n; i++)
    json_array_add_int_element (arr, values[i]);
  /* json_node_init_array() takes its own reference. */
  node = json_node_init_array (json_node_alloc (), arr);
  json_array_unref (arr);
  return node;
}

void
fb_network_add_layer_json (FbNetwork *self, const FbLayer *l, JsonBuilder *b)
{
  fb_json_add_string (b, "name", l->name);
  fb_json_add_string (b, "op", fb_op_to_string (l->op));
  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (guint j = 0; j < l->n_inputs; j++)
    json_builder_add_string_value (b, ((FbTensor *) g_ptr_array_index (self->tensors, l->inputs[j]))->name);
  json_builder_end_array (b);
  fb_json_add_string (b, "output", ((FbTensor *) g_ptr_array_index (self->tensors, l->output))->name);
}

JsonNode *
fb_network_to_json (FbNetwork *self, const char *dest_dir)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const FbTensor *in = g_ptr_array_index (self->tensors, 0);

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-network/1");
  fb_json_add_string (b, "name", self->name);
  if (self->description)
    fb_json_add_string (b, "description", self->description);
  if (self->weights_path)
    {
      g_autofree char *abs_dest = dest_dir ? g_canonicalize_filename (dest_dir, NULL) : NULL;
      const char *w = self->weights_path;
      gsize n = abs_dest ? strlen (abs_dest) : 0;
      /* Keep the path relative when the weights sit next to (or below) the file. */
      if (abs_dest && strncmp (w, abs_dest, n) == 0 && w[n] == G_DIR_SEPARATOR)
        w += n + 1;
      fb_json_add_string (b, "weights", w);
    }
  json_builder_set_member_name (b, "input");
  json_builder_begin_object (b);
  fb_json_add_string (b, "name", in->name);
  json_builder_set_member_name (b, "shape");
  if (self->input_rank == 1)
    json_builder_add_value (b, int_array ((guint[]) { in->shape.c }, 1));
  else
    json_builder_add_value (b, int_array ((guint[]) { in->shape.h, in->shape.w, in->shape.c }, 3));
  /* The description only when it differs from the default u8 pixels. */
  if (self->input_signed)
    fb_json_add_boolean (b, "signed", TRUE);
  if (self->input_scale != 1.0 / 255.0)
    fb_json_add_double (b, "scale", self->input_scale);
  if (self->input_zero_point != 0)
    fb_json_add_int (b, "zero_point", self->input_zero_point);
  json_builder_end_object (b);
  if (self->output_kind != FB_OUTPUT_CLASSES)
    fb_json_add_string (b, "output_kind", fb_output_kind_to_string (self->output_kind));

  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->layers->len; i++)
    {
      const FbLayer *l = g_ptr_array_index (self->layers, i);
      json_builder_begin_object (b);
      fb_network_add_layer_json (self, l, b);
      if (l->op == FB_OP_CONV2D || l->op == FB_OP_DEPTHWISE_CONV2D ||
          l->op == FB_OP_AVG_POOL2D || l->op == FB_OP_MAX_POOL2D)
        {
          json_builder_set_member_name (b, "kernel");
          json_builder_add_value (b, int_array ((guint[]) { l->kernel_h, l->kernel_w }, 2));
          json_builder_set_member_name (b, "stride");
          json_builder_add_value (b, int_array ((guint[]) { l->stride_h, l->stride_w }, 2));
          json_builder_set_member_name (b, "pad");
          json_builder_add_value (b, int_array ((guint[]) { l->pad_top, l->pad_bottom, l->pad_left, l->pad_right }, 4));
        }
      fb_json_add_int (b, "cin", l->cin);
      fb_json_add_int (b, "cout", l->cout);
      fb_json_add_boolean (b, "relu", l->relu);
      if (l->op == FB_OP_AVG_POOL2D)
        fb_json_add_boolean (b, "count_include_pad", l->count_include_pad);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
fb_network_save (FbNetwork *self, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonNode) root = fb_network_to_json (self, dir);
  return fb_json_save_file (root, path, error);
}

const char *fb_network_get_name (FbNetwork *self) { return self->name; }
const char *fb_network_get_description (FbNetwork *self) { return self->description; }
const char *fb_network_get_path (FbNetwork *self) { return self->path; }
const char *fb_network_get_weights_path (FbNetwork *self) { return self->weights_path; }
const char *fb_network_get_sha256 (FbNetwork *self) { return self->sha256; }
guint fb_network_get_n_layers (FbNetwork *self) { return self->layers->len; }
guint fb_network_get_n_tensors (FbNetwork *self) { return self->tensors->len; }
guint64 fb_network_get_macs (FbNetwork *self) { return self->macs; }
guint64 fb_network_get_params (FbNetwork *self) { return self->params; }
guint fb_network_get_n_weighted (FbNetwork *self) { return self->n_weighted; }
gboolean fb_network_get_input_signed (FbNetwork *self) { return self->input_signed; }
double fb_network_get_input_scale (FbNetwork *self) { return self->input_scale; }
int fb_network_get_input_zero_point (FbNetwork *self) { return self->input_zero_point; }
guint fb_network_get_input_rank (FbNetwork *self) { return self->input_rank; }
FbOutputKind fb_network_get_output_kind (FbNetwork *self) { return self->output_kind; }

gboolean
fb_network_tensor_is_signed (FbNetwork *self, guint tensor)
{
  return fb_network_get_tensor (self, tensor)->is_signed;
}

const FbLayer *
fb_network_get_layer (FbNetwork *self, guint index)
{
  g_return_val_if_fail (index < self->layers->len, NULL);
  return g_ptr_array_index (self->layers, index);
}

const FbTensor *
fb_network_get_tensor (FbNetwork *self, guint index)
{
  g_return_val_if_fail (index < self->tensors->len, NULL);
  return g_ptr_array_index (self->tensors, index);
}

const FbLayer *
fb_network_lookup_layer (FbNetwork *self, const char *name)
{
  return g_hash_table_lookup (self->layer_by_name, name);
}

const FbTensor *
fb_network_lookup_tensor (FbNetwork *self, const char *name)
{
  return g_hash_table_lookup (self->tensor_by_name, name);
}

const FbTensor *
fb_network_get_input (FbNetwork *self)
{
  return g_ptr_array_index (self->tensors, 0);
}

const FbTensor *
fb_network_get_logits (FbNetwork *self)
{
  const FbLayer *last = g_ptr_array_index (self->layers, self->layers->len - 1);
  return g_ptr_array_index (self->tensors, last->output);
}

gboolean
fb_network_tensor_admits_bits (FbNetwork *self, guint tensor, guint bits)
{
  const FbTensor *t = fb_network_get_tensor (self, tensor);

  switch (t->kind)
    {
    case FB_TENSOR_INPUT:
      return bits == 8;
    case FB_TENSOR_LOGITS:
      return bits == FB_BITS_LOGITS;
    case FB_TENSOR_POOLED:
      return fb_network_tensor_admits_bits (self, t->bits_source, bits);
    case FB_TENSOR_ACTIVATION:
    default:
      /* b-bit values pack 8/b per byte along C. */
      return FB_BITS_IS_VALID (bits) && t->shape.c % (8 / bits) == 0;
    }
}

gboolean
fb_network_layer_admits_weight_bits (FbNetwork *self, guint layer, guint bits)
{
  const FbLayer *l = fb_network_get_layer (self, layer);

  if (!fb_layer_is_weighted (l))
    return FALSE;
  if (!FB_BITS_IS_VALID (bits))
    return FALSE;
  /* Depthwise weights are packed [Ky][Kx][C] along C like an activation;
   * conv/linear rows are padded to a byte, so any count fits. */
  if (l->op == FB_OP_DEPTHWISE_CONV2D)
    return l->cin % (8 / bits) == 0;
  return TRUE;
}

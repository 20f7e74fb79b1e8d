/* test-onnx-synthetic.c — models built here with the protobuf-c structs
 * generated from onnx.proto, for what the PyTorch-exported test files do not
 * cover: initializers as typed arrays (float_data, int64_data) instead of
 * raw_data, and the graph shape tf2onnx writes for a Keras model (an NHWC
 * input with a Transpose to NCHW, MatMul + Add for Dense, a Transpose back
 * to NHWC before the Reshape, Clip with attributes as before opset 11), and
 * two nodes of the same name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-onnx-import.h"
#include "fb-trainer.h"
#include "onnx.pb-c.h"

enum { H = 4, W = 4, C = 2, F = 3, K = 5 };

typedef struct {
  Onnx__NodeProto         nodes[8];
  Onnx__NodeProto        *node_ptrs[8];
  Onnx__AttributeProto    attrs[8];
  Onnx__AttributeProto   *attr_ptrs[8][2];
  Onnx__TensorProto       inits[6];
  Onnx__TensorProto      *init_ptrs[6];
  Onnx__ValueInfoProto    in, out, *in_ptr, *out_ptr;
  Onnx__TypeProto         type;
  Onnx__TypeProto__Tensor ttype;
  Onnx__TensorShapeProto  shape;
  Onnx__TensorShapeProto__Dimension dims[4], *dim_ptrs[4];
  Onnx__GraphProto        graph;
  Onnx__ModelProto        model;
  Onnx__OperatorSetIdProto opset, *opset_ptr;
  int64_t                 perm_in[4], perm_out[4];
  int64_t                 init_dims[6][2];
  int64_t                 reshape[2];
  float                   w1[F * C], b1[F], w2[H * W * F * K], b2[K];
} Model;

static void
node (Model *m, guint i, const char *op, const char *name, char **inputs, guint n_in, char **outputs)
{
  onnx__node_proto__init (&m->nodes[i]);
  m->nodes[i].op_type = (char *) op;
  m->nodes[i].name = (char *) name;
  m->nodes[i].input = inputs;
  m->nodes[i].n_input = n_in;
  m->nodes[i].output = outputs;
  m->nodes[i].n_output = 1;
  m->node_ptrs[i] = &m->nodes[i];
}

static void
ints_attr (Model *m, guint node_i, guint a, const char *name, int64_t *v, guint n)
{
  onnx__attribute_proto__init (&m->attrs[a]);
  m->attrs[a].name = (char *) name;
  m->attrs[a].has_type = TRUE;
  m->attrs[a].type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  m->attrs[a].ints = v;
  m->attrs[a].n_ints = n;
  m->attr_ptrs[node_i][m->nodes[node_i].n_attribute++] = &m->attrs[a];
  m->nodes[node_i].attribute = m->attr_ptrs[node_i];
}

static void
float_attr (Model *m, guint node_i, guint a, const char *name, float v)
{
  onnx__attribute_proto__init (&m->attrs[a]);
  m->attrs[a].name = (char *) name;
  m->attrs[a].has_type = TRUE;
  m->attrs[a].type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  m->attrs[a].has_f = TRUE;
  m->attrs[a].f = v;
  m->attr_ptrs[node_i][m->nodes[node_i].n_attribute++] = &m->attrs[a];
  m->nodes[node_i].attribute = m->attr_ptrs[node_i];
}

static void
float_init (Model *m, guint i, const char *name, float *v, guint n, int64_t d0, int64_t d1)
{
  Onnx__TensorProto *t = &m->inits[i];
  onnx__tensor_proto__init (t);
  t->name = (char *) name;
  t->has_data_type = TRUE;
  t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  m->init_dims[i][0] = d0, m->init_dims[i][1] = d1;
  t->dims = m->init_dims[i];
  t->n_dims = d1 > 0 ? 2 : 1;
  t->float_data = v;
  t->n_float_data = n;
  m->init_ptrs[i] = t;
}

static char *in_x[] = { "x" }, *out_t0[] = { "t0" }, *in_conv[] = { "t0", "w1", "b1" }, *out_c[] = { "c" };
static char *in_c[] = { "c" }, *out_r[] = { "r" }, *in_r[] = { "r" }, *out_t1[] = { "t1" };
static char *in_reshape[] = { "t1", "shape" }, *out_f[] = { "f" }, *in_mm[] = { "f", "w2" }, *out_m[] = { "m" };
static char *in_add[] = { "m", "b2" }, *out_y[] = { "y" };

/* x (1×H×W×C, NHWC) → Transpose → Conv 1×1 (+bias) → Clip(0, 6) →
 * Transpose to NHWC → Reshape (-1, H·W·F) → MatMul → Add → y. */
static GBytes *
build (Model *m, GRand *rand)
{
  Onnx__TensorProto *shape_init;

  memset (m, 0, sizeof *m);
  for (guint i = 0; i < F * C; i++) m->w1[i] = g_rand_double_range (rand, -1, 1);
  for (guint i = 0; i < F; i++) m->b1[i] = g_rand_double_range (rand, -0.5, 0.5);
  for (guint i = 0; i < H * W * F * K; i++) m->w2[i] = g_rand_double_range (rand, -1, 1);
  for (guint i = 0; i < K; i++) m->b2[i] = g_rand_double_range (rand, -1, 1);

  node (m, 0, "Transpose", "input_nchw", in_x, 1, out_t0);
  m->perm_in[0] = 0, m->perm_in[1] = 3, m->perm_in[2] = 1, m->perm_in[3] = 2;
  ints_attr (m, 0, 0, "perm", m->perm_in, 4);
  node (m, 1, "Conv", "conv", in_conv, 3, out_c);
  node (m, 2, "Clip", "relu6", in_c, 1, out_r);
  float_attr (m, 2, 1, "min", 0.0f);
  float_attr (m, 2, 2, "max", 6.0f);
  node (m, 3, "Transpose", "to_nhwc", in_r, 1, out_t1);
  m->perm_out[0] = 0, m->perm_out[1] = 2, m->perm_out[2] = 3, m->perm_out[3] = 1;
  ints_attr (m, 3, 3, "perm", m->perm_out, 4);
  node (m, 4, "Reshape", "flatten", in_reshape, 2, out_f);
  node (m, 5, "MatMul", "conv", in_mm, 2, out_m);   /* a name taken: becomes conv_2 */
  node (m, 6, "Add", "dense_bias", in_add, 2, out_y);

  float_init (m, 0, "w1", m->w1, F * C, F, C);   /* OIHW with H = W = 1: dims below */
  float_init (m, 1, "b1", m->b1, F, F, 0);
  float_init (m, 2, "w2", m->w2, H * W * F * K, H * W * F, K);
  float_init (m, 3, "b2", m->b2, K, K, 0);
  {
    static int64_t conv_dims[4] = { F, C, 1, 1 };
    m->inits[0].dims = conv_dims;
    m->inits[0].n_dims = 4;
  }
  shape_init = &m->inits[4];
  onnx__tensor_proto__init (shape_init);
  shape_init->name = "shape";
  shape_init->has_data_type = TRUE;
  shape_init->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  m->init_dims[4][0] = 2;
  shape_init->dims = m->init_dims[4];
  shape_init->n_dims = 1;
  m->reshape[0] = -1, m->reshape[1] = H * W * F;
  shape_init->int64_data = m->reshape;
  shape_init->n_int64_data = 2;
  m->init_ptrs[4] = shape_init;

  onnx__tensor_shape_proto__init (&m->shape);
  for (guint d = 0; d < 4; d++)
    {
      static const int64_t v[4] = { 1, H, W, C };
      onnx__tensor_shape_proto__dimension__init (&m->dims[d]);
      m->dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      m->dims[d].dim_value = v[d];
      m->dim_ptrs[d] = &m->dims[d];
    }
  m->shape.dim = m->dim_ptrs;
  m->shape.n_dim = 4;
  onnx__type_proto__tensor__init (&m->ttype);
  m->ttype.has_elem_type = TRUE;
  m->ttype.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  m->ttype.shape = &m->shape;
  onnx__type_proto__init (&m->type);
  m->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  m->type.tensor_type = &m->ttype;
  onnx__value_info_proto__init (&m->in);
  m->in.name = "x";
  m->in.type = &m->type;
  m->in_ptr = &m->in;
  onnx__value_info_proto__init (&m->out);
  m->out.name = "y";
  m->out_ptr = &m->out;

  onnx__graph_proto__init (&m->graph);
  m->graph.node = m->node_ptrs;
  m->graph.n_node = 7;
  m->graph.initializer = m->init_ptrs;
  m->graph.n_initializer = 5;
  m->graph.input = &m->in_ptr;
  m->graph.n_input = 1;
  m->graph.output = &m->out_ptr;
  m->graph.n_output = 1;
  onnx__operator_set_id_proto__init (&m->opset);
  m->opset.has_version = TRUE;
  m->opset.version = 9;
  m->opset_ptr = &m->opset;
  onnx__model_proto__init (&m->model);
  m->model.graph = &m->graph;
  m->model.opset_import = &m->opset_ptr;
  m->model.n_opset_import = 1;
  m->model.producer_name = "test-onnx-synthetic";
  {
    gsize len = onnx__model_proto__get_packed_size (&m->model);
    guint8 *buf = g_malloc (len);
    onnx__model_proto__pack (&m->model, buf);
    return g_bytes_new_take (buf, len);
  }
}

static void
test_tf2onnx_style (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autofree Model *m = g_new0 (Model, 1);
  g_autoptr(GBytes) bytes = build (m, rand);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbOnnxImport) imp = NULL;
  FbNetwork *net;
  float x[H * W * C], want[K];
  const float *got;
  FbTrainOptions opt;
  FbTrainer *tr;
  gboolean clipped = FALSE;

  imp = fb_onnx_import_load_from_data (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                       "synthetic.onnx", NULL, &error);
  g_assert_no_error (error);
  net = fb_onnx_import_get_network (imp);
  g_assert_cmpuint (fb_network_get_n_layers (net), ==, 2);
  g_assert_cmpuint (fb_network_get_input (net)->shape.h, ==, H);
  g_assert_cmpuint (fb_network_get_input (net)->shape.w, ==, W);
  g_assert_cmpuint (fb_network_get_input (net)->shape.c, ==, C);
  g_assert_nonnull (fb_weights_lookup (fb_onnx_import_get_weights (imp), "conv", "relu_max"));
  g_assert_cmpint (fb_network_lookup_layer (net, "conv")->op, ==, FB_OP_CONV2D);
  g_assert_cmpint (fb_network_lookup_layer (net, "conv_2")->op, ==, FB_OP_LINEAR);

  /* The reference, computed here in NHWC from the model's own arrays. */
  for (guint i = 0; i < H * W * C; i++)
    x[i] = g_rand_double_range (rand, -8, 8);
  {
    float flat[H * W * F];
    for (guint p = 0; p < H * W; p++)
      for (guint o = 0; o < F; o++)
        {
          float v = m->b1[o];
          for (guint c = 0; c < C; c++)
            v += m->w1[o * C + c] * x[p * C + c];
          clipped |= v > 6.0f;
          flat[p * F + o] = CLAMP (v, 0.0f, 6.0f);
        }
    for (guint j = 0; j < K; j++)
      {
        want[j] = m->b2[j];
        for (guint i = 0; i < H * W * F; i++)
          want[j] += flat[i] * m->w2[i * K + j];
      }
  }
  fb_train_options_init (&opt);
  opt.batch_size = 1;
  opt.shards = 1;
  tr = fb_trainer_new (net, &opt, fb_onnx_import_get_weights (imp), "synthetic", &error);
  g_assert_no_error (error);
  got = fb_trainer_forward_eval (tr, x, 1);
  for (guint j = 0; j < K; j++)
    g_assert_cmpfloat (fabsf (got[j] - want[j]), <, 1e-4f * MAX (1.0f, fabsf (want[j])));
  fb_trainer_free (tr);
  g_assert_true (clipped);   /* the bound mattered */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/import/synthetic/tf2onnx-style", test_tf2onnx_style);
  return g_test_run ();
}

/* test-network.c — FbNetwork: validation of malformed files, shape inference,
 * MAC/parameter counts, the bundled networks, save/load round trips.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-json.h"
#include "fb-network.h"
#include "fb-test-util.h"

/* ---------------------------------------------------------------------------
 * Malformed files: one test case per row. Each message must name the file
 * (checked for every row) and whatever a user needs to find the mistake:
 * the layer, the field, the tensor, the offending value.
 */
static const FbBadCase bad_networks[] = {
  /* Not JSON: json-glib's line:column must survive. */
  { "bad-syntax.json",             FB_ERROR_PARSE,  { "re:bad-syntax\\.json:4:[0-9]+:" } },
  { "bad-empty.json",              FB_ERROR_PARSE,  { "empty" } },
  { "bad-not-utf8.json",           FB_ERROR_PARSE,  { "UTF-8", "bad-not-utf8.json:4:22" } },
  /* Not a network file. */
  { "bad-array-root.json",         FB_ERROR_FORMAT, { "object", "array" } },
  { "bad-format-missing.json",     FB_ERROR_FORMAT, { "\"format\"", "freebits-network/1" } },
  { "bad-format-kind.json",        FB_ERROR_FORMAT, { "freebits-config/1", "freebits-network/1" } },
  { "bad-format-version.json",     FB_ERROR_FORMAT, { "freebits-network/2", "freebits-network/1" } },
  { "bad-format-type.json",        FB_ERROR_FORMAT, { "\"format\"", "integer" } },
  /* Fields missing or of the wrong type. */
  { "bad-name-missing.json",       FB_ERROR_FIELD,  { "\"name\"", "missing" } },
  { "bad-name-chars.json",         FB_ERROR_FIELD,  { "\"name\"", "tiny net; rm -rf" } },
  { "bad-type-cout-string.json",   FB_ERROR_FIELD,  { "\"conv1\"", "\"cout\"", "integer", "string" } },
  { "bad-type-kernel-string.json", FB_ERROR_FIELD,  { "\"conv1\"", "\"kernel\"", "string" } },
  { "bad-type-relu.json",          FB_ERROR_FIELD,  { "\"conv1\"", "\"relu\"" } },
  { "bad-type-layers-object.json", FB_ERROR_FIELD,  { "\"layers\"", "array" } },
  { "bad-type-input-name.json",    FB_ERROR_FIELD,  { "input", "\"name\"" } },
  { "bad-fraction.json",           FB_ERROR_FIELD,  { "\"conv1\"", "\"cout\"", "8.5" } },
  { "bad-op-unknown.json",         FB_ERROR_FIELD,  { "\"pool\"", "\"max_pool\"" } },
  { "bad-linear-kernel.json",      FB_ERROR_FIELD,  { "\"fc\"", "\"kernel\"" } },
  { "bad-pool-relu.json",          FB_ERROR_FIELD,  { "\"pool\"", "\"relu\"" } },
  { "bad-groups.json",             FB_ERROR_FIELD,  { "\"conv1\"", "groups", "3" } },
  { "bad-unknown-field.json",      FB_ERROR_FIELD,  { "\"conv1\"", "\"strides\"", "\"stride\"" } },
  { "bad-pool2d-relu.json",        FB_ERROR_FIELD,  { "\"mp\"", "\"relu\"", "max_pool2d" } },
  { "bad-pool2d-cip-on-max.json",  FB_ERROR_FIELD,  { "\"mp\"", "\"count_include_pad\"", "avg_pool2d" } },
  { "bad-pool2d-no-kernel.json",   FB_ERROR_FIELD,  { "\"ap\"", "\"kernel\"", "missing" } },
  { "bad-pool2d-groups.json",      FB_ERROR_FIELD,  { "\"ap\"", "\"groups\"", "avg_pool2d" } },
  { "bad-input-scale.json",        FB_ERROR_FIELD,  { "input", "\"scale\"", "positive" } },
  { "bad-input-scale-type.json",   FB_ERROR_FIELD,  { "input", "\"scale\"", "number", "string" } },
  { "bad-input-zero-point.json",   FB_ERROR_FIELD,  { "input", "\"zero_point\"", "128" } },
  { "bad-input-signed-type.json",  FB_ERROR_FIELD,  { "input", "\"signed\"", "true or false" } },
  { "bad-input-shape-rank.json",   FB_ERROR_FIELD,  { "input", "\"shape\"", "[H, W, C] or [N]" } },
  { "bad-output-kind.json",        FB_ERROR_FIELD,  { "\"output_kind\"", "\"regression\"", "values" } },
  { "bad-dw-groups-one.json",      FB_ERROR_FIELD,  { "\"dw1\"", "\"groups\"", "4" } },
  { "bad-input-unknown-field.json", FB_ERROR_FIELD, { "input", "\"layout\"" } },
  /* Sizes out of range. */
  { "bad-negative-shape.json",     FB_ERROR_FIELD,  { "input", "\"shape\"", "-8" } },
  { "bad-negative-cout.json",      FB_ERROR_FIELD,  { "\"conv1\"", "\"cout\"", "-8" } },
  { "bad-negative-stride.json",    FB_ERROR_FIELD,  { "\"conv1\"", "\"stride\"", "-1" } },
  { "bad-zero-channels.json",      FB_ERROR_FIELD,  { "\"conv1\"", "\"cout\"", "0" } },
  { "bad-zero-input-channels.json", FB_ERROR_FIELD, { "input", "\"shape\"", "0" } },
  { "bad-huge-int.json",           FB_ERROR_FIELD,  { "re:bad-huge-int\\.json:6:[0-9]+:", "\"cout\"",
                                                      "184467440737095516160" } },
  { "bad-huge-int-negative.json",  FB_ERROR_FIELD,  { "re:bad-huge-int-negative\\.json:4:[0-9]+:", "\"shape\"",
                                                      "-99999999999999999999" } },
  { "bad-huge-float.json",         FB_ERROR_FIELD,  { "\"conv1\"", "\"cout\"", "1e+30" } },
  { "bad-huge-shape.json",         FB_ERROR_FIELD,  { "input", "\"shape\"", "100000" } },
  /* Shapes that do not fit together. */
  { "bad-add-shape.json",          FB_ERROR_SHAPE,  { "\"sum\"", "\"c1\"", "\"c2\"", "8x8x8", "4x4x8" } },
  { "bad-cin-mismatch.json",       FB_ERROR_SHAPE,  { "\"conv2\"", "\"cin\"", "16" } },
  { "bad-dw-cout.json",            FB_ERROR_SHAPE,  { "\"dw\"", "cout", "16" } },
  { "bad-pad-ge-kernel.json",      FB_ERROR_SHAPE,  { "\"conv1\"", "pad", "kernel" } },
  { "bad-pool2d-pad.json",         FB_ERROR_SHAPE,  { "\"ap\"", "padding", "kernel 2x2" } },
  { "bad-kernel-too-large.json",   FB_ERROR_SHAPE,  { "\"conv1\"", "kernel", "11x3" } },
  /* Graph structure. */
  { "bad-add-one-input.json",      FB_ERROR_GRAPH,  { "\"sum\"", "inputs" } },
  { "bad-cycle.json",              FB_ERROR_GRAPH,  { "\"conv2\"", "\"c3\"", "conv3" } },
  { "bad-self-loop.json",          FB_ERROR_GRAPH,  { "\"conv2\"", "\"c2\"", "cycle" } },
  { "bad-dangling.json",           FB_ERROR_GRAPH,  { "\"pool\"", "\"c7\"" } },
  /* Same, while a later layer's "output" is not even a string (no warning allowed). */
  { "bad-dangling-bad-output.json", FB_ERROR_GRAPH, { "\"pool\"", "\"c7\"" } },
  { "bad-dup-layer.json",          FB_ERROR_GRAPH,  { "\"conv1\"", "duplicate" } },
  { "bad-tensor-twice.json",       FB_ERROR_GRAPH,  { "\"conv2\"", "\"c1\"", "conv1" } },
  { "bad-output-is-input.json",    FB_ERROR_GRAPH,  { "\"conv1\"", "\"in\"", "input" } },
  { "bad-unused-tensor.json",      FB_ERROR_GRAPH,  { "\"branch\"", "side" } },
  { "bad-last-not-linear.json",    FB_ERROR_GRAPH,  { "\"pool\"", "linear" } },
  { "bad-no-layers.json",          FB_ERROR_GRAPH,  { "\"layers\"" } },
};

static void
test_bad_network (gconstpointer data)
{
  const FbBadCase *c = data;
  g_autofree char *path = fb_test_data_path (c->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load (path, &error);

  g_assert_null (net);
  fb_test_assert_bad_case (error, c);
}

/* The same rules hold for in-memory data, whose errors name the given origin. */
static void
test_bad_network_from_data (void)
{
  g_autofree char *path = fb_test_data_path ("bad-cycle.json");
  g_autofree char *text = fb_test_read_file (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (text, -1, "pasted-net", &error);

  g_assert_null (net);
  g_assert_error (error, FB_ERROR, FB_ERROR_GRAPH);
  g_assert_true (g_str_has_prefix (error->message, "pasted-net: "));
  fb_test_assert_mentions (error->message, "\"conv2\"");
}

static void
test_missing_file (void)
{
  g_autofree char *path = fb_test_data_path ("no-such-network.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load (path, &error);

  g_assert_null (net);
  g_assert_error (error, FB_ERROR, FB_ERROR_IO);
  fb_test_assert_mentions (error->message, "no-such-network.json");
}

/* ---------------------------------------------------------------------------
 * Shape inference and counts on a hand-checked network. */

/* x 9x7x4
 * c  conv2d    k[3,1] s[2,1] pad[1,0,0,0] cout 6:
 *    Ho = (9+1+0-3)/2+1 = 4, Wo = (7-1)/1+1 = 7 → 4x7x6
 *    MACs = 4·7·6·3·1·4 = 2016, weights 3·1·4·6 = 72, params 78
 * d  depthwise k3 s2 pad1: Ho = (4+2-3)/2+1 = 2, Wo = (7+2-3)/2+1 = 4 → 2x4x6
 *    MACs = 2·4·6·9 = 432, weights 54, params 60
 * h  linear (hidden, relu) cin = 2·4·6 = 48, cout 8: MACs 384, params 392
 * s  add [h, h] → 1x1x8 (the same tensor twice is allowed)
 * p  global_avg_pool → 1x1x8, a pool output whose bits follow s
 * y  linear cout 3: MACs 24, params 27 → the logits
 * Σ MACs = 2016 + 432 + 384 + 24 = 2856, Σ params = 78 + 60 + 392 + 27 = 557 */
static const char shapes_json[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"shapes\","
  "  \"input\": { \"name\": \"x\", \"shape\": [9, 7, 4] },"
  "  \"layers\": ["
  "    { \"name\": \"c\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"c\","
  "      \"kernel\": [3, 1], \"stride\": [2, 1], \"pad\": [1, 0, 0, 0], \"cout\": 6 },"
  "    { \"name\": \"d\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c\"], \"output\": \"d\","
  "      \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cin\": 6, \"cout\": 6 },"
  "    { \"name\": \"h\", \"op\": \"linear\", \"inputs\": [\"d\"], \"output\": \"h\", \"cin\": 48, \"cout\": 8, \"relu\": true },"
  "    { \"name\": \"s\", \"op\": \"add\", \"inputs\": [\"h\", \"h\"], \"output\": \"s\" },"
  "    { \"name\": \"p\", \"op\": \"global_avg_pool\", \"inputs\": [\"s\"], \"output\": \"p\" },"
  "    { \"name\": \"y\", \"op\": \"linear\", \"inputs\": [\"p\"], \"output\": \"y\", \"cout\": 3 }"
  "  ] }";

static void
assert_shape (FbShape s, guint h, guint w, guint c)
{
  g_assert_cmpuint (s.h, ==, h);
  g_assert_cmpuint (s.w, ==, w);
  g_assert_cmpuint (s.c, ==, c);
}

static void
test_shape_inference (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (shapes_json);
  const FbLayer *l;

  g_assert_cmpstr (fb_network_get_name (net), ==, "shapes");
  g_assert_null (fb_network_get_path (net));
  g_assert_cmpuint (fb_network_get_n_layers (net), ==, 6);
  g_assert_cmpuint (fb_network_get_n_tensors (net), ==, 7);
  g_assert_cmpuint (fb_network_get_n_weighted (net), ==, 4);

  l = fb_network_lookup_layer (net, "c");
  g_assert_cmpint (l->op, ==, FB_OP_CONV2D);
  assert_shape (l->in_shape, 9, 7, 4);
  assert_shape (l->out_shape, 4, 7, 6);
  g_assert_cmpuint (l->kernel_h, ==, 3);
  g_assert_cmpuint (l->kernel_w, ==, 1);
  g_assert_cmpuint (l->stride_h, ==, 2);
  g_assert_cmpuint (l->stride_w, ==, 1);
  g_assert_cmpuint (l->pad_top, ==, 1);
  g_assert_cmpuint (l->pad_bottom + l->pad_left + l->pad_right, ==, 0);
  g_assert_cmpuint (l->cin, ==, 4);
  g_assert_cmpuint (l->cout, ==, 6);
  g_assert_true (l->relu);            /* default for conv ops */
  g_assert_cmpuint (l->macs, ==, 2016);
  g_assert_cmpuint (l->n_weights, ==, 72);
  g_assert_cmpuint (l->params, ==, 78);

  l = fb_network_lookup_layer (net, "d");
  g_assert_cmpint (l->op, ==, FB_OP_DEPTHWISE_CONV2D);
  assert_shape (l->out_shape, 2, 4, 6);
  g_assert_cmpuint (l->pad_top + l->pad_bottom + l->pad_left + l->pad_right, ==, 4);
  g_assert_cmpuint (l->macs, ==, 432);
  g_assert_cmpuint (l->params, ==, 60);

  l = fb_network_lookup_layer (net, "h");
  g_assert_cmpuint (l->cin, ==, 48);
  assert_shape (l->out_shape, 1, 1, 8);
  g_assert_cmpuint (l->macs, ==, 384);
  g_assert_cmpuint (l->params, ==, 392);
  g_assert_true (l->relu);

  l = fb_network_lookup_layer (net, "s");
  g_assert_cmpint (l->op, ==, FB_OP_ADD);
  g_assert_cmpuint (l->n_inputs, ==, 2);
  g_assert_false (l->relu);           /* default for add */
  g_assert_cmpuint (l->macs, ==, 0);
  g_assert_cmpuint (l->params, ==, 0);
  g_assert_false (fb_layer_is_weighted (l));

  l = fb_network_lookup_layer (net, "y");
  g_assert_false (l->relu);           /* default for linear */
  g_assert_cmpuint (l->macs, ==, 24);
  g_assert_cmpuint (l->params, ==, 27);

  g_assert_cmpuint (fb_network_get_macs (net), ==, 2856);
  g_assert_cmpuint (fb_network_get_params (net), ==, 557);
  g_assert_null (fb_network_lookup_layer (net, "nope"));
}

static void
test_tensor_graph (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (shapes_json);
  const FbTensor *x = fb_network_get_input (net);
  const FbTensor *h = fb_network_lookup_tensor (net, "h");
  const FbTensor *s = fb_network_lookup_tensor (net, "s");
  const FbTensor *p = fb_network_lookup_tensor (net, "p");
  const FbTensor *y = fb_network_get_logits (net);

  g_assert_cmpstr (x->name, ==, "x");
  g_assert_cmpint (x->kind, ==, FB_TENSOR_INPUT);
  g_assert_cmpint (x->producer, ==, -1);
  g_assert_cmpuint (x->n_consumers, ==, 1);
  g_assert_cmpuint (x->last_use, ==, 0);

  /* h is read twice by the add, but the add is one consumer. */
  g_assert_cmpint (h->kind, ==, FB_TENSOR_ACTIVATION);
  g_assert_cmpint (h->producer, ==, 2);
  g_assert_cmpuint (h->n_consumers, ==, 1);
  g_assert_cmpuint (h->consumers[0], ==, 3);
  g_assert_cmpuint (h->last_use, ==, 3);

  g_assert_cmpint (p->kind, ==, FB_TENSOR_POOLED);
  g_assert_cmpuint (p->bits_source, ==, s->index);
  g_assert_cmpuint (s->bits_source, ==, s->index);

  g_assert_cmpstr (y->name, ==, "y");
  g_assert_cmpint (y->kind, ==, FB_TENSOR_LOGITS);
  g_assert_cmpuint (y->n_consumers, ==, 0);
  g_assert_cmpuint (y->last_use, ==, 5);
  g_assert_true (fb_network_get_tensor (net, y->index) == y);
}

static void
test_admits_bits (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (shapes_json);
  guint c = fb_network_lookup_tensor (net, "c")->index;   /* 6 channels */
  guint h = fb_network_lookup_tensor (net, "h")->index;   /* 8 channels */
  guint p = fb_network_lookup_tensor (net, "p")->index;
  guint y = fb_network_get_logits (net)->index;

  g_assert_true (fb_network_tensor_admits_bits (net, 0, 8));
  g_assert_false (fb_network_tensor_admits_bits (net, 0, 4));
  g_assert_true (fb_network_tensor_admits_bits (net, c, 8));
  g_assert_true (fb_network_tensor_admits_bits (net, c, 4));
  g_assert_false (fb_network_tensor_admits_bits (net, c, 2));
  g_assert_false (fb_network_tensor_admits_bits (net, c, 3));
  g_assert_true (fb_network_tensor_admits_bits (net, h, 2));
  g_assert_true (fb_network_tensor_admits_bits (net, p, 2));
  g_assert_true (fb_network_tensor_admits_bits (net, y, 32));
  g_assert_false (fb_network_tensor_admits_bits (net, y, 8));

  /* Conv rows are padded to a byte: any count; depthwise packs along C. */
  g_assert_true (fb_network_layer_admits_weight_bits (net, 0, 2));
  g_assert_false (fb_network_layer_admits_weight_bits (net, 0, 3));
  g_assert_true (fb_network_layer_admits_weight_bits (net, 1, 4));
  g_assert_false (fb_network_layer_admits_weight_bits (net, 1, 2));
  g_assert_false (fb_network_layer_admits_weight_bits (net, 3, 8));   /* add */
}

static void
test_op_names (void)
{
  for (FbOp op = FB_OP_CONV2D; op <= FB_OP_MAX_POOL2D; op++)
    {
      FbOp back = (FbOp) -1;
      g_assert_true (fb_op_from_string (fb_op_to_string (op), &back));
      g_assert_cmpint (back, ==, op);
    }
  {
    FbOp op;
    g_assert_false (fb_op_from_string ("Conv2D", &op));
    g_assert_false (fb_op_from_string ("", &op));
  }
}

/* ---------------------------------------------------------------------------
 * Signed tensors, windowed pools, the input description (FORMAT, Wave 2). */

/* tests/data/net-signed.json: a ResNet-style block as published (relu-less
 * conv before the add, a bare 1x1 shortcut conv), a signed add, pools. */
static void
test_signed_tensors (void)
{
  g_autofree char *path = fb_test_data_path ("net-signed.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  static const struct { const char *name; gboolean is_signed; } expect[] = {
    { "in", TRUE },      /* "signed": true in the input description */
    { "c1", FALSE },     /* conv with its default ReLU */
    { "c2", TRUE },      /* "relu": false */
    { "s", TRUE },       /* shortcut conv, "relu": false */
    { "r", FALSE },      /* add of two signed inputs, ReLU after it */
    { "p", TRUE },       /* projection without ReLU */
    { "r2", TRUE },      /* add without ReLU, one input signed */
    { "m", TRUE },       /* max pool keeps its input's signedness */
    { "a", TRUE },       /* so does the average pool */
    { "pooled", TRUE },  /* and the global one */
    { "logits", TRUE },  /* int32 */
  };
  const FbLayer *mp = fb_network_lookup_layer (net, "mpool");
  const FbLayer *ap = fb_network_lookup_layer (net, "apool");

  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const FbTensor *t = fb_network_lookup_tensor (net, expect[i].name);
      g_assert_nonnull (t);
      if (fb_network_tensor_is_signed (net, t->index) != expect[i].is_signed)
        g_test_fail_printf ("tensor \"%s\" should be %s", t->name, expect[i].is_signed ? "signed" : "unsigned");
    }
  g_assert_true (fb_network_get_input_signed (net));
  g_assert_cmpfloat (fb_network_get_input_scale (net), ==, 0.05);
  g_assert_cmpint (fb_network_get_input_zero_point (net), ==, 0);
  g_assert_cmpuint (fb_network_get_input_rank (net), ==, 3);
  g_assert_cmpint (fb_network_get_output_kind (net), ==, FB_OUTPUT_CLASSES);

  /* max_pool2d 3x3 /2 pad 1 on 8x8 → 4x4; avg_pool2d 2x2 /2 → 2x2. */
  g_assert_cmpint (mp->op, ==, FB_OP_MAX_POOL2D);
  g_assert_true (fb_layer_is_pool (mp) && fb_layer_is_pool (ap));
  g_assert_false (fb_layer_is_weighted (mp));
  g_assert_cmpuint (mp->out_shape.h, ==, 4);
  g_assert_cmpuint (mp->out_shape.w, ==, 4);
  g_assert_cmpuint (mp->out_shape.c, ==, 8);
  g_assert_cmpuint (mp->pad_top, ==, 1);
  g_assert_cmpuint (mp->stride_h, ==, 2);
  g_assert_false (mp->count_include_pad);
  g_assert_cmpuint (ap->out_shape.h, ==, 2);
  g_assert_true (ap->count_include_pad);
  g_assert_cmpuint (mp->macs + ap->macs + mp->params + ap->params, ==, 0);
  /* Pool outputs are not search choices: they follow the tensor they pool. */
  g_assert_cmpint (fb_network_get_tensor (net, mp->output)->kind, ==, FB_TENSOR_POOLED);
  g_assert_cmpuint (fb_network_get_tensor (net, mp->output)->bits_source, ==,
                    fb_network_lookup_tensor (net, "r2")->index);
  g_assert_cmpuint (fb_network_get_tensor (net, ap->output)->bits_source, ==,
                    fb_network_lookup_tensor (net, "r2")->index);
  /* conv1 3x3x4x8 on 8x8, conv2 3x3x8x8, short 1x1x4x8, proj 1x1x8x8, fc 8x4. */
  g_assert_cmpuint (fb_network_get_macs (net), ==, 64 * (288 + 576 + 32 + 64) + 32);
  g_assert_cmpuint (fb_network_get_params (net), ==, 288 + 576 + 32 + 64 + 32 + 4 * 8 + 4);
}

static const char vector_json[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"ae\", \"output_kind\": \"values\","
  "  \"input\": { \"name\": \"x\", \"shape\": [16], \"scale\": 0.125, \"zero_point\": 3 },"
  "  \"layers\": ["
  "    { \"name\": \"enc\", \"op\": \"linear\", \"inputs\": [\"x\"], \"output\": \"h\", \"cout\": 8, \"relu\": true },"
  "    { \"name\": \"code\", \"op\": \"linear\", \"inputs\": [\"h\"], \"output\": \"z\", \"cout\": 8 },"
  "    { \"name\": \"dec\", \"op\": \"linear\", \"inputs\": [\"z\"], \"output\": \"y\", \"cout\": 16 } ] }";

/* A 1-D input [N] is 1x1xN; a network of linear layers only; "values" output. */
static void
test_vector_input (void)
{
  g_autoptr(FbNetwork) net = fb_test_network_from_string (vector_json);
  const FbTensor *in = fb_network_get_input (net);

  g_assert_cmpuint (fb_network_get_input_rank (net), ==, 1);
  g_assert_cmpuint (in->shape.h, ==, 1);
  g_assert_cmpuint (in->shape.w, ==, 1);
  g_assert_cmpuint (in->shape.c, ==, 16);
  g_assert_false (fb_network_get_input_signed (net));
  g_assert_cmpfloat (fb_network_get_input_scale (net), ==, 0.125);
  g_assert_cmpint (fb_network_get_input_zero_point (net), ==, 3);
  g_assert_cmpint (fb_network_get_output_kind (net), ==, FB_OUTPUT_VALUES);
  g_assert_false (fb_network_tensor_is_signed (net, fb_network_lookup_tensor (net, "h")->index));
  g_assert_true (fb_network_tensor_is_signed (net, fb_network_lookup_tensor (net, "z")->index));
  g_assert_cmpint (fb_network_lookup_tensor (net, "z")->kind, ==, FB_TENSOR_ACTIVATION);
  g_assert_cmpint (fb_network_get_logits (net)->kind, ==, FB_TENSOR_LOGITS);
  g_assert_cmpuint (fb_network_get_macs (net), ==, 16 * 8 + 8 * 8 + 8 * 16);
}

/* Saving writes the new fields back (and only when they are not the
 * defaults), so a network survives a round trip with its hash. */
static void
test_new_fields_round_trip (void)
{
  g_autofree char *path = fb_test_data_path ("net-signed.json");
  g_autoptr(FbNetwork) a = fb_test_load_network (path);
  g_autoptr(FbNetwork) v = fb_test_network_from_string (vector_json);
  g_autoptr(JsonNode) ja = fb_network_to_json (a, NULL);
  g_autoptr(JsonNode) jv = fb_network_to_json (v, NULL);
  g_autofree char *ta = fb_json_to_string (ja, FALSE);
  g_autofree char *tv = fb_json_to_string (jv, FALSE);
  g_autoptr(FbNetwork) a2 = fb_test_network_from_string (ta);
  g_autoptr(FbNetwork) v2 = fb_test_network_from_string (tv);
  JsonObject *vin = json_object_get_object_member (json_node_get_object (jv), "input");

  g_assert_cmpstr (fb_network_get_sha256 (a2), ==, fb_network_get_sha256 (a));
  g_assert_true (fb_network_get_input_signed (a2));
  g_assert_cmpfloat (fb_network_get_input_scale (a2), ==, 0.05);
  g_assert_true (fb_network_lookup_layer (a2, "apool")->count_include_pad);
  g_assert_cmpint (fb_network_lookup_layer (a2, "mpool")->op, ==, FB_OP_MAX_POOL2D);
  g_assert_cmpuint (fb_network_lookup_layer (a2, "mpool")->kernel_h, ==, 3);
  g_assert_true (fb_network_tensor_is_signed (a2, fb_network_lookup_tensor (a2, "r2")->index));

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (vin, "shape")), ==, 1);
  g_assert_false (json_object_has_member (vin, "signed"));
  g_assert_cmpstr (fb_network_get_sha256 (v2), ==, fb_network_get_sha256 (v));
  g_assert_cmpint (fb_network_get_output_kind (v2), ==, FB_OUTPUT_VALUES);
  g_assert_cmpfloat (fb_network_get_input_scale (v2), ==, 0.125);
  g_assert_cmpint (fb_network_get_input_zero_point (v2), ==, 3);
  g_assert_cmpuint (fb_network_get_input_rank (v2), ==, 1);

  /* An old-style file writes no new fields. */
  {
    g_autoptr(FbNetwork) small = fb_test_load_small ();
    g_autoptr(JsonNode) js = fb_network_to_json (small, NULL);
    JsonObject *root = json_node_get_object (js);
    JsonObject *sin = json_object_get_object_member (root, "input");
    g_assert_false (json_object_has_member (root, "output_kind"));
    g_assert_false (json_object_has_member (sin, "scale"));
    g_assert_false (json_object_has_member (sin, "zero_point"));
    g_assert_false (json_object_has_member (sin, "signed"));
  }
}

static char *rewrite_json (const char *text, void (*edit) (JsonObject *root));

static void
edit_input_signed (JsonObject *root)
{
  json_object_set_boolean_member (json_object_get_object_member (root, "input"), "signed", TRUE);
}

static void
edit_input_scale (JsonObject *root)
{
  json_object_set_double_member (json_object_get_object_member (root, "input"), "scale", 0.5);
}

/* Signedness picks other kernels, so it is topology; the scale is a number of
 * the trained model, so it is not. */
static void
test_sha256_signedness (void)
{
  g_autofree char *path = fb_test_data_path ("net-small.json");
  g_autofree char *text = fb_test_read_file (path);
  g_autofree char *s = rewrite_json (text, edit_input_signed);
  g_autofree char *sc = rewrite_json (text, edit_input_scale);
  g_autoptr(FbNetwork) a = fb_test_network_from_string (text);
  g_autoptr(FbNetwork) b = fb_test_network_from_string (s);
  g_autoptr(FbNetwork) c = fb_test_network_from_string (sc);

  g_assert_cmpstr (fb_network_get_sha256 (b), !=, fb_network_get_sha256 (a));
  g_assert_cmpstr (fb_network_get_sha256 (c), ==, fb_network_get_sha256 (a));
}

/* ---------------------------------------------------------------------------
 * The SHA-256 is of the topology, not of the bytes. */

static char *
rewrite_json (const char *text, void (*edit) (JsonObject *root))
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  edit (json_node_get_object (json_parser_get_root (parser)));
  return fb_json_to_string (json_parser_get_root (parser), FALSE);
}

static void
edit_description (JsonObject *root)
{
  json_object_set_string_member (root, "description", "another text, same topology");
}

static void
edit_stride (JsonObject *root)
{
  JsonArray *layers = json_object_get_array_member (root, "layers");
  JsonObject *dw3 = json_array_get_object_element (layers, 3);
  g_assert_cmpstr (json_object_get_string_member (dw3, "name"), ==, "dw3");
  json_object_set_int_member (dw3, "stride", 1);
}

static void
test_sha256_is_topology (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_autofree char *text = fb_test_read_file (path);
  g_autofree char *same = rewrite_json (text, edit_description);
  g_autofree char *other = rewrite_json (text, edit_stride);
  g_autoptr(FbNetwork) a = fb_test_load_network (path);
  g_autoptr(FbNetwork) b = fb_test_network_from_string (same);
  g_autoptr(FbNetwork) c = fb_test_network_from_string (other);
  const char *sha = fb_network_get_sha256 (a);

  g_assert_cmpuint (strlen (sha), ==, 64);
  for (const char *p = sha; *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
  g_assert_cmpstr (fb_network_get_description (b), ==, "another text, same topology");
  g_assert_cmpstr (fb_network_get_sha256 (b), ==, sha);
  g_assert_cmpstr (fb_network_get_sha256 (c), !=, sha);
  /* dw3 at stride 1 keeps 28x28, so everything after it has 4x the MACs. */
  g_assert_cmpuint (fb_network_get_macs (c), >, fb_network_get_macs (a));
}

/* "kernel": 3 and "kernel": [3, 3] (likewise stride and pad) are the same network. */
static void
test_scalar_and_tuple_forms (void)
{
  static const char scalar[] =
    "{ \"format\": \"freebits-network/1\", \"name\": \"n\", \"input\": { \"name\": \"i\", \"shape\": [6, 6, 2] },"
    "  \"layers\": [ { \"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"i\"], \"output\": \"a\","
    "                  \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 4 },"
    "                { \"name\": \"f\", \"op\": \"linear\", \"inputs\": [\"a\"], \"output\": \"f\", \"cout\": 2 } ] }";
  static const char tuple[] =
    "{ \"format\": \"freebits-network/1\", \"name\": \"n\", \"input\": { \"name\": \"i\", \"shape\": [6, 6, 2] },"
    "  \"layers\": [ { \"name\": \"a\", \"op\": \"conv2d\", \"inputs\": [\"i\"], \"output\": \"a\","
    "                  \"kernel\": [3, 3], \"stride\": [2, 2], \"pad\": [1, 1, 1, 1], \"cout\": 4, \"relu\": true },"
    "                { \"name\": \"f\", \"op\": \"linear\", \"inputs\": [\"a\"], \"output\": \"f\", \"cout\": 2,"
    "                  \"relu\": false } ] }";
  g_autoptr(FbNetwork) a = fb_test_network_from_string (scalar);
  g_autoptr(FbNetwork) b = fb_test_network_from_string (tuple);

  /* (6 + 2 - 3) / 2 + 1 = 3 → 3x3x4; a linear on it flattens 36 features. */
  assert_shape (fb_network_get_layer (a, 0)->out_shape, 3, 3, 4);
  g_assert_cmpuint (fb_network_get_layer (a, 1)->cin, ==, 36);
  g_assert_cmpstr (fb_network_get_sha256 (a), ==, fb_network_get_sha256 (b));
  g_assert_cmpuint (fb_network_get_macs (a), ==, fb_network_get_macs (b));
}

/* ---------------------------------------------------------------------------
 * Bundled networks. */

static const char *bundled[] = {
  "fmnist-mbv1.json",
  "mobilenet-v1-0.25-128.json",
  "mobilenet-v1-1.0-224.json",
  "mobilenet-v2-1.0-224.json",
};

static void
assert_layers_equal (const FbLayer *a, FbNetwork *na, const FbLayer *b, FbNetwork *nb)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpint (a->op, ==, b->op);
  g_assert_cmpuint (a->n_inputs, ==, b->n_inputs);
  for (guint j = 0; j < a->n_inputs; j++)
    g_assert_cmpstr (fb_network_get_tensor (na, a->inputs[j])->name, ==,
                     fb_network_get_tensor (nb, b->inputs[j])->name);
  g_assert_cmpstr (fb_network_get_tensor (na, a->output)->name, ==, fb_network_get_tensor (nb, b->output)->name);
  g_assert_cmpuint (a->kernel_h, ==, b->kernel_h);
  g_assert_cmpuint (a->kernel_w, ==, b->kernel_w);
  g_assert_cmpuint (a->stride_h, ==, b->stride_h);
  g_assert_cmpuint (a->stride_w, ==, b->stride_w);
  g_assert_cmpuint (a->pad_top, ==, b->pad_top);
  g_assert_cmpuint (a->pad_bottom, ==, b->pad_bottom);
  g_assert_cmpuint (a->pad_left, ==, b->pad_left);
  g_assert_cmpuint (a->pad_right, ==, b->pad_right);
  g_assert_cmpuint (a->cin, ==, b->cin);
  g_assert_cmpuint (a->cout, ==, b->cout);
  g_assert_cmpint (!!a->relu, ==, !!b->relu);
  g_assert_true (memcmp (&a->in_shape, &b->in_shape, sizeof (FbShape)) == 0);
  g_assert_true (memcmp (&a->out_shape, &b->out_shape, sizeof (FbShape)) == 0);
  g_assert_cmpuint (a->macs, ==, b->macs);
  g_assert_cmpuint (a->n_weights, ==, b->n_weights);
  g_assert_cmpuint (a->params, ==, b->params);
}

static void
test_round_trip (gconstpointer data)
{
  const char *file = data;
  g_autoptr(FbNetwork) net = fb_test_load_bundled (file);
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *path2 = g_build_filename (dir, "again.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) back = NULL;
  g_autofree char *bytes1 = NULL, *bytes2 = NULL;

  g_assert_nonnull (fb_network_get_path (net));
  g_assert_true (g_path_is_absolute (fb_network_get_path (net)));

  g_assert_true (fb_network_save (net, path, &error));
  g_assert_no_error (error);
  back = fb_test_load_network (path);

  g_assert_cmpstr (fb_network_get_name (back), ==, fb_network_get_name (net));
  g_assert_cmpstr (fb_network_get_description (back), ==, fb_network_get_description (net));
  g_assert_cmpstr (fb_network_get_weights_path (back), ==, fb_network_get_weights_path (net));
  g_assert_cmpstr (fb_network_get_sha256 (back), ==, fb_network_get_sha256 (net));
  g_assert_cmpuint (fb_network_get_n_layers (back), ==, fb_network_get_n_layers (net));
  g_assert_cmpuint (fb_network_get_n_tensors (back), ==, fb_network_get_n_tensors (net));
  g_assert_cmpuint (fb_network_get_macs (back), ==, fb_network_get_macs (net));
  g_assert_cmpuint (fb_network_get_params (back), ==, fb_network_get_params (net));
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    assert_layers_equal (fb_network_get_layer (net, i), net, fb_network_get_layer (back, i), back);
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      const FbTensor *a = fb_network_get_tensor (net, t), *b = fb_network_get_tensor (back, t);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->kind, ==, b->kind);
      g_assert_cmpuint (a->last_use, ==, b->last_use);
    }

  /* Saving what was loaded gives the same bytes. */
  g_assert_true (fb_network_save (back, path2, &error));
  g_assert_no_error (error);
  bytes1 = fb_test_read_file (path);
  bytes2 = fb_test_read_file (path2);
  g_assert_cmpstr (bytes1, ==, bytes2);
  g_assert_true (g_str_has_suffix (bytes1, "}\n"));

  fb_test_tmpdir_free (dir);
}

/* A relative "weights" path resolves against the file's directory and is
 * written back relative when saved next to the weights, absolute elsewhere. */
static void
test_weights_path (void)
{
  static const char json[] =
    "{ \"format\": \"freebits-network/1\", \"name\": \"w\", \"weights\": \"w.fbw\","
    "  \"input\": { \"name\": \"i\", \"shape\": [4, 4, 1] },"
    "  \"layers\": [ { \"name\": \"f\", \"op\": \"linear\", \"inputs\": [\"i\"], \"output\": \"f\", \"cout\": 2 } ] }";
  char *dir = fb_test_tmpdir_new ();
  char *other = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "w.json", NULL);
  g_autofree char *path2 = g_build_filename (dir, "w2.json", NULL);
  g_autofree char *path3 = g_build_filename (other, "w3.json", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *text2 = NULL, *text3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbNetwork) moved = NULL;

  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);
  net = fb_test_load_network (path);
  {
    g_autofree char *canon_dir = g_canonicalize_filename (dir, NULL);
    expected = g_build_filename (canon_dir, "w.fbw", NULL);
  }
  g_assert_cmpstr (fb_network_get_weights_path (net), ==, expected);

  g_assert_true (fb_network_save (net, path2, &error));
  g_assert_true (fb_network_save (net, path3, &error));
  g_assert_no_error (error);
  text2 = fb_test_read_file (path2);
  text3 = fb_test_read_file (path3);
  g_assert_nonnull (strstr (text2, "\"weights\" : \"w.fbw\""));
  g_assert_nonnull (strstr (text3, expected));
  moved = fb_test_load_network (path3);
  g_assert_cmpstr (fb_network_get_weights_path (moved), ==, expected);

  fb_test_tmpdir_free (dir);
  fb_test_tmpdir_free (other);
}

/* Loaded through a relative path, the weights path is still absolute, and
 * saving next to the original keeps "weights" relative to the file (not to
 * the current directory). */
static void
test_weights_path_relative (void)
{
  static const char json[] =
    "{ \"format\": \"freebits-network/1\", \"name\": \"w\", \"weights\": \"w.fbw\","
    "  \"input\": { \"name\": \"i\", \"shape\": [4, 4, 1] },"
    "  \"layers\": [ { \"name\": \"f\", \"op\": \"linear\", \"inputs\": [\"i\"], \"output\": \"f\", \"cout\": 2 } ] }";
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *rel = g_build_filename (base, "w.json", NULL);
  g_autofree char *rel2 = g_build_filename (base, "w2.json", NULL);
  g_autofree char *abs = g_build_filename (dir, "w.json", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbNetwork) back = NULL;

  g_file_set_contents (abs, json, -1, &error);
  g_assert_no_error (error);
  {
    g_autofree char *canon_dir = g_canonicalize_filename (dir, NULL);
    expected = g_build_filename (canon_dir, "w.fbw", NULL);
  }

  g_assert_cmpint (g_chdir (parent), ==, 0);
  net = fb_network_load (rel, &error);
  g_assert_no_error (error);
  g_assert_true (fb_network_save (net, rel2, &error));
  g_assert_no_error (error);
  back = fb_network_load (rel2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);

  g_assert_cmpstr (fb_network_get_weights_path (net), ==, expected);
  g_assert_cmpstr (fb_network_get_weights_path (back), ==, expected);
  {
    g_autofree char *abs2 = g_build_filename (dir, "w2.json", NULL);
    text = fb_test_read_file (abs2);
  }
  g_assert_nonnull (strstr (text, "\"weights\" : \"w.fbw\""));

  fb_test_tmpdir_free (dir);
}

static void
assert_within (double value, double reference, double tolerance)
{
  g_test_message ("%g vs reference %g (±%.0f %%)", value, reference, tolerance * 100);
  g_assert_cmpfloat (fabs (value - reference), <=, tolerance * reference);
}

/* Published: 569 M MACs, 4.2 M parameters (Howard et al. 2017, Table 8). */
static void
test_mobilenet_v1_224 (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("mobilenet-v1-1.0-224.json");
  assert_within (fb_network_get_macs (net), 569e6, 0.03);
  assert_within (fb_network_get_params (net), 4.2e6, 0.03);
  g_assert_cmpuint (fb_network_get_n_weighted (net), ==, 28);
  assert_shape (fb_network_get_input (net)->shape, 224, 224, 3);
  g_assert_cmpuint (fb_network_get_logits (net)->shape.c, ==, 1000);
}

/* Published: 300 M MACs, 3.4-3.5 M parameters (Sandler et al. 2018). */
static void
test_mobilenet_v2_224 (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("mobilenet-v2-1.0-224.json");
  guint n_add = 0;

  assert_within (fb_network_get_macs (net), 300e6, 0.03);
  assert_within (fb_network_get_params (net), 3.5e6, 0.03);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    n_add += fb_network_get_layer (net, i)->op == FB_OP_ADD;
  /* Inverted residual blocks with stride 1 and equal channels: 10 adds. */
  g_assert_cmpuint (n_add, ==, 10);
  g_assert_cmpuint (fb_network_get_logits (net)->shape.c, ==, 1000);
}

/* Published "14 M" MACs and 0.47 M parameters: MACs inside the rounding
 * interval [13.5 M, 14.5 M), parameters within 3 %. */
static void
test_mobilenet_v1_025_128 (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("mobilenet-v1-0.25-128.json");
  g_assert_cmpuint (fb_network_get_macs (net), >=, 13500000);
  g_assert_cmpuint (fb_network_get_macs (net), <, 14500000);
  assert_within (fb_network_get_params (net), 0.47e6, 0.03);
  assert_shape (fb_network_get_input (net)->shape, 128, 128, 3);
}

static void
test_fmnist (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  guint n_act = 0;

  g_assert_cmpuint (fb_network_get_n_weighted (net), >=, 10);
  g_assert_cmpuint (fb_network_get_n_weighted (net), <=, 15);
  g_assert_cmpuint (fb_network_get_macs (net), >=, 3000000);
  g_assert_cmpuint (fb_network_get_macs (net), <=, 15000000);
  assert_shape (fb_network_get_input (net)->shape, 28, 28, 1);
  g_assert_cmpuint (fb_network_get_logits (net)->shape.c, ==, 10);

  /* Every searchable tensor can hold 2-bit values. */
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      if (ten->kind != FB_TENSOR_ACTIVATION)
        continue;
      n_act++;
      if (ten->shape.c % 4 != 0)
        g_test_fail_printf ("tensor \"%s\" has %u channels, not a multiple of 4", ten->name, ten->shape.c);
      g_assert_true (fb_network_tensor_admits_bits (net, t, 2));
    }
  g_assert_cmpuint (n_act, ==, fb_network_get_n_weighted (net) - 1);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      g_assert_true (fb_network_layer_admits_weight_bits (net, i, 2));
}

static void
test_refcount (void)
{
  FbNetwork *net = fb_test_network_from_string (shapes_json);
  FbNetwork *again = fb_network_ref (net);

  g_assert_true (again == net);
  fb_network_unref (net);
  /* Still alive through the second reference. */
  g_assert_cmpstr (fb_network_get_name (again), ==, "shapes");
  fb_network_unref (again);
  fb_network_unref (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_networks); i++)
    {
      g_autofree char *name = g_strdup_printf ("/network/bad/%s", bad_networks[i].file);
      g_test_add_data_func (name, &bad_networks[i], test_bad_network);
    }
  g_test_add_func ("/network/bad/from-data-names-origin", test_bad_network_from_data);
  g_test_add_func ("/network/bad/missing-file", test_missing_file);

  g_test_add_func ("/network/shape-inference", test_shape_inference);
  g_test_add_func ("/network/tensor-graph", test_tensor_graph);
  g_test_add_func ("/network/admits-bits", test_admits_bits);
  g_test_add_func ("/network/op-names", test_op_names);
  g_test_add_func ("/network/signed-tensors", test_signed_tensors);
  g_test_add_func ("/network/vector-input", test_vector_input);
  g_test_add_func ("/network/new-fields-round-trip", test_new_fields_round_trip);
  g_test_add_func ("/network/sha256-signedness", test_sha256_signedness);
  g_test_add_func ("/network/sha256-is-topology", test_sha256_is_topology);
  g_test_add_func ("/network/scalar-and-tuple-forms", test_scalar_and_tuple_forms);
  g_test_add_func ("/network/weights-path", test_weights_path);
  g_test_add_func ("/network/weights-path-relative", test_weights_path_relative);
  g_test_add_func ("/network/refcount", test_refcount);

  for (guint i = 0; i < G_N_ELEMENTS (bundled); i++)
    {
      g_autofree char *name = g_strdup_printf ("/network/round-trip/%s", bundled[i]);
      g_test_add_data_func (name, bundled[i], test_round_trip);
    }
  g_test_add_func ("/network/bundled/mobilenet-v1-1.0-224", test_mobilenet_v1_224);
  g_test_add_func ("/network/bundled/mobilenet-v2-1.0-224", test_mobilenet_v2_224);
  g_test_add_func ("/network/bundled/mobilenet-v1-0.25-128", test_mobilenet_v1_025_128);
  g_test_add_func ("/network/bundled/fmnist-mbv1", test_fmnist);

  return g_test_run ();
}

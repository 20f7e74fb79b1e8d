/* fb-onnx-convert.h — private to src/import: an ONNX graph mapped onto
 * freebits layers (FbOnnxGraph), before it is written as a network.
 *
 * Every layer keeps its float parameters in freebits' layout: conv weights
 * [Cout][Ky][Kx][Cin], depthwise [Ky][Kx][C], linear [Cout][Cin], a bias
 * per output channel, and for a conv an optional batch norm (ONNX's own
 * epsilon folded into the variance, see fb-onnx-import.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "onnx.pb-c.h"

G_BEGIN_DECLS

typedef enum {
  FB_ONNX_CONV,
  FB_ONNX_DEPTHWISE,
  FB_ONNX_LINEAR,
  FB_ONNX_ADD,
  FB_ONNX_GLOBAL_AVG_POOL,
  FB_ONNX_AVG_POOL,
  FB_ONNX_MAX_POOL,
} FbOnnxOp;

typedef struct {
  char     *name;            /* unique, in freebits' name alphabet */
  FbOnnxOp  op;
  guint     n_inputs;
  int       inputs[2];       /* producer layer, -1 for the network input */
  guint     kh, kw, sh, sw;
  guint     pad[4];          /* top, bottom, left, right */
  guint     h, w, c;         /* input shape */
  guint     ho, wo, cout;    /* output shape */
  gboolean  relu;
  float     relu_max;        /* Clip(0, max): > 0 when the ReLU is bounded */
  gboolean  count_include_pad;
  float    *weight;
  gsize     n_weight;
  float    *bias;            /* cout, weighted layers */
  gboolean  has_bn;          /* conv/depthwise: gamma, beta, mean, var follow */
  float    *bn_gamma, *bn_beta, *bn_mean, *bn_var;
  double    bn_eps;
} FbOnnxLayer;

typedef struct {
  char      *input_name;
  guint      input_rank;     /* 4 (image, H W C below) or 2 (1-D: C features) */
  guint      input_h, input_w, input_c;
  GPtrArray *layers;         /* FbOnnxLayer*, topological order */
  gboolean   softmax_removed;
  guint      output_elements;
} FbOnnxGraph;

/* @name reduced to freebits' name alphabet (A-Z a-z 0-9 _ - . /, at most
 * 100 characters, no leading '/'); @fallback when nothing is left. */
char    *fb_onnx_sanitize_name (const char            *name,
                                const char            *fallback);
void     fb_onnx_graph_init    (FbOnnxGraph            *g);
void     fb_onnx_graph_clear   (FbOnnxGraph            *g);
/* Maps the model's graph; errors are one line naming @origin, the node, its
 * op and what is wrong. */
gboolean fb_onnx_convert       (const Onnx__ModelProto *model,
                                const char             *origin,
                                FbOnnxGraph            *g,
                                GError                **error);

G_END_DECLS

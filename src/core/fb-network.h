/* fb-network.h — a CNN as an ordered list of layers reading and writing tensors.
 *
 * A network is immutable once loaded and reference counted, so a worker thread
 * and the UI can share it freely.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fb-types.h"

G_BEGIN_DECLS

typedef enum {
  FB_OP_CONV2D,
  FB_OP_DEPTHWISE_CONV2D,
  FB_OP_LINEAR,
  FB_OP_ADD,
  FB_OP_GLOBAL_AVG_POOL,
  FB_OP_AVG_POOL2D,     /* windowed average pool */
  FB_OP_MAX_POOL2D,     /* windowed max pool */
} FbOp;

/* What the last layer's int32 output means (top-level "output_kind"). */
typedef enum {
  FB_OUTPUT_CLASSES,    /* logits: argmax is the class */
  FB_OUTPUT_VALUES,     /* real values (regression, reconstruction): int32 times a float scale */
} FbOutputKind;

typedef struct {
  guint h, w, c;
} FbShape;

typedef enum {
  FB_TENSOR_INPUT,      /* network input: fixed 8 bit (u8 or i8, see the input description) */
  FB_TENSOR_ACTIVATION, /* searchable: 8/4/2 bit, unsigned or signed */
  FB_TENSOR_POOLED,     /* pool output: shares the bits (and signedness) of its source tensor */
  FB_TENSOR_LOGITS,     /* classifier output: int32 */
} FbTensorKind;

struct _FbTensor {
  char         *name;
  guint         index;
  FbShape       shape;
  FbTensorKind  kind;
  int           producer;      /* layer index, -1 for the network input */
  guint         n_consumers;
  guint        *consumers;     /* layer indices, ascending */
  guint         bits_source;   /* tensor whose bits this one has (itself unless POOLED) */
  guint         last_use;      /* index of the last layer that reads it (producer if none) */
  /* Symmetric signed grid [-2^(b-1), 2^(b-1)-1] instead of unsigned [0, 2^b-1];
   * fixed by the network (a layer without ReLU writes it), never a search choice.
   * The int32 logits count as signed. */
  gboolean      is_signed;
};

struct _FbLayer {
  char    *name;
  guint    index;
  FbOp     op;
  guint    n_inputs;
  guint    inputs[2];          /* tensor indices */
  guint    output;             /* tensor index */
  guint    kernel_h, kernel_w;
  guint    stride_h, stride_w;
  guint    pad_top, pad_bottom, pad_left, pad_right;
  guint    cin, cout;
  gboolean relu;
  gboolean count_include_pad;  /* avg_pool2d: padding counts as zeros in the divisor */
  FbShape  in_shape;           /* shape of inputs[0] */
  FbShape  out_shape;
  guint64  macs;
  guint64  n_weights;          /* weight elements (no bias) */
  guint64  params;             /* weights + bias */
};

FbNetwork      *fb_network_load              (const char     *path,
                                              GError        **error);
FbNetwork      *fb_network_load_from_data    (const char     *data,
                                              gssize          length,
                                              const char     *origin,
                                              GError        **error);
FbNetwork      *fb_network_new_from_json     (JsonNode       *root,
                                              const char     *origin,
                                              const char     *base_dir,
                                              GError        **error);
gboolean        fb_network_save              (FbNetwork      *self,
                                              const char     *path,
                                              GError        **error);
JsonNode       *fb_network_to_json           (FbNetwork      *self,
                                              const char     *dest_dir);
/* Adds a layer's "name", "op", "inputs" and "output" (tensor names) members
 * to @b's open object: how the file and `info --json` begin a layer. */
void            fb_network_add_layer_json    (FbNetwork      *self,
                                              const FbLayer  *layer,
                                              JsonBuilder    *b);

FbNetwork      *fb_network_ref               (FbNetwork      *self);
void            fb_network_unref             (FbNetwork      *self);

const char     *fb_network_get_name          (FbNetwork      *self);
const char     *fb_network_get_description   (FbNetwork      *self);
/* The file it was loaded from, or NULL. */
const char     *fb_network_get_path          (FbNetwork      *self);
/* Absolute path of the float weights file named in the network, or NULL. */
const char     *fb_network_get_weights_path  (FbNetwork      *self);
/* SHA-256 (hex) of the canonical topology: names, ops, shapes; not file bytes. */
const char     *fb_network_get_sha256        (FbNetwork      *self);

guint           fb_network_get_n_layers      (FbNetwork      *self);
const FbLayer  *fb_network_get_layer         (FbNetwork      *self,
                                              guint           index);
const FbLayer  *fb_network_lookup_layer      (FbNetwork      *self,
                                              const char     *name);
guint           fb_network_get_n_tensors     (FbNetwork      *self);
const FbTensor *fb_network_get_tensor        (FbNetwork      *self,
                                              guint           index);
const FbTensor *fb_network_lookup_tensor     (FbNetwork      *self,
                                              const char     *name);
const FbTensor *fb_network_get_input         (FbNetwork      *self);
const FbTensor *fb_network_get_logits        (FbNetwork      *self);

/* Whether tensor @tensor holds signed values (see FbTensor.is_signed). */
gboolean        fb_network_tensor_is_signed  (FbNetwork      *self,
                                              guint           tensor);
/* The input description: x_int = round (x_real / scale) + zero_point, clipped
 * to the 8-bit grid (u8, or i8 when signed). Defaults: u8, 1/255, 0. */
gboolean        fb_network_get_input_signed  (FbNetwork      *self);
double          fb_network_get_input_scale   (FbNetwork      *self);
int             fb_network_get_input_zero_point (FbNetwork   *self);
/* 1 for an input given as [N] (treated as 1x1xN), 3 for [H, W, C]. */
guint           fb_network_get_input_rank    (FbNetwork      *self);
FbOutputKind    fb_network_get_output_kind   (FbNetwork      *self);

guint64         fb_network_get_macs          (FbNetwork      *self);
guint64         fb_network_get_params        (FbNetwork      *self);
guint           fb_network_get_n_weighted    (FbNetwork      *self);

/* Whether a tensor can hold @bits: packing along C needs C % (8/bits) == 0;
 * the input is u8, the logits int32, a pool output follows its source. */
gboolean        fb_network_tensor_admits_bits (FbNetwork    *self,
                                              guint           tensor,
                                              guint           bits);
gboolean        fb_network_layer_admits_weight_bits (FbNetwork *self,
                                              guint           layer,
                                              guint           bits);

const char     *fb_op_to_string              (FbOp            op);
gboolean        fb_op_from_string            (const char     *str,
                                              FbOp           *op);
gboolean        fb_layer_is_weighted         (const FbLayer  *layer);
/* global_avg_pool, avg_pool2d, max_pool2d: no weights, output bits = input bits. */
gboolean        fb_layer_is_pool             (const FbLayer  *layer);
const char     *fb_output_kind_to_string     (FbOutputKind    kind);
gboolean        fb_output_kind_from_string   (const char     *str,
                                              FbOutputKind   *kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbNetwork, fb_network_unref)

G_END_DECLS

/* fb-onnx-fold.h — private to src/import: evaluation of the small integer
 * shape computations exporters leave in a graph.
 *
 * PyTorch 1.13 writes F.pad / nn.ZeroPad2d as ConstantOfShape → Concat →
 * Reshape → Slice → Transpose → Reshape → Cast feeding Pad's "pads", and
 * x.view(x.size(0), -1) as Shape → Gather → Unsqueeze → Concat → Reshape.
 * Each node whose inputs are all constants is evaluated here, so the Pad and
 * the Reshape see constants as if the exporter had folded them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-onnx-tensor.h"

G_BEGIN_DECLS

/* Whether freebits evaluates @op_type on constant inputs. */
gboolean      fb_onnx_fold_supports (const char             *op_type);
/* Evaluates @node on @inputs (n_input entries; NULL for an omitted optional
 * input). On failure returns NULL and sets @why to the reason (no prefix). */
FbOnnxTensor *fb_onnx_fold_node     (const Onnx__NodeProto  *node,
                                     FbOnnxTensor          **inputs,
                                     char                  **why);

G_END_DECLS

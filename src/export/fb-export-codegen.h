/* fb-export-codegen.h — the text of a generated C bundle (network.[ch], weights.[ch], the
 * reduced kernel variant list, Makefile, README.md) for one FbIntNetwork.
 *
 * Everything the generated code contains comes from the network's FbPlan (kernel variant,
 * shapes, arena offsets) and its FbIntStep integers (packed weights, kappa, lambda, bias,
 * shift, add multipliers): nothing is re-derived, so the bundle computes what the integer
 * evaluator computes.  FbExporter gathers the inputs and writes the files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-int-network.h"
#include "fb-latency-table.h"
#include "fb-metrics.h"

G_BEGIN_DECLS

typedef struct {
  /* inputs (set by fb_export_codegen_init) */
  FbIntNetwork         *network;          /* host architecture */
  FbPlan               *plan;             /* its plan */
  FbLatencyTable       *table;            /* NULL: no latency in the comments */
  char                 *config_label;     /* "w8a8", "mixed.json", ... */
  /* derived */
  FbMetrics             metrics;
  FbLayerMetrics       *per_layer;        /* [n_layers] */
  char                **layer_idents;     /* [n_layers] C identifiers */
  char                **tensor_idents;    /* [n_tensors] C identifiers */
  FbPlanRam             ram;              /* arena + kernel scratch per build (host, rv32imc) */
  gsize                 const_bytes;      /* bytes of all arrays in weights.c, host build */
  gsize                 const_bytes_mcu;  /* the same for a scalar (rv32imc) build */
  GPtrArray            *kernel_files;     /* basenames of the kernel sources the bundle needs */
  /* set by the caller before generating README.md (optional) */
  const FbIntEvalResult *eval;
  guint                 n_images;
  const char           *images_desc;      /* what test_images.bin holds (Markdown); NULL: none */
} FbExportCodegen;

/* Prepares @cg for @network (built for FB_KERNEL_ARCH_HOST); @table may be NULL.  Fails
 * when the table lacks an entry of this config or was measured for another network. */
gboolean fb_export_codegen_init        (FbExportCodegen *cg,
                                        FbIntNetwork    *network,
                                        FbLatencyTable  *table,
                                        const char      *config_label,
                                        GError         **error);
void     fb_export_codegen_clear       (FbExportCodegen *cg);

char    *fb_export_codegen_network_h   (FbExportCodegen *cg);
char    *fb_export_codegen_network_c   (FbExportCodegen *cg);
char    *fb_export_codegen_weights_h   (FbExportCodegen *cg);
char    *fb_export_codegen_weights_c   (FbExportCodegen *cg);
/* The variant list that replaces src/kernels/fb-kernel-variants.inc: only the variants the
 * plan calls.  @sources are the texts of the kernel files shipped (the IOW list is routed
 * per family by the name of the X macro each file expands it with). */
char    *fb_export_codegen_variants    (FbExportCodegen *cg,
                                        const char *const *sources,
                                        GError         **error);
char    *fb_export_codegen_makefile    (FbExportCodegen *cg);
char    *fb_export_codegen_readme      (FbExportCodegen *cg);

G_END_DECLS

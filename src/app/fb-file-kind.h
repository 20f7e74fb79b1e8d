/* fb-file-kind.h — which freebits file a path holds, from its "format" tag,
 * before the loader for that kind reads it (opening files in the window, on
 * its command line or by drag and drop).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FB_FILE_KIND_UNKNOWN,
  FB_FILE_KIND_NETWORK,     /* freebits-network/N: fb_network_load() */
  FB_FILE_KIND_LATENCY,     /* freebits-latency/N: fb_latency_table_load() */
  FB_FILE_KIND_CONFIG,      /* freebits-config/N: fb_precision_config_load() */
  FB_FILE_KIND_CANDIDATES,  /* freebits-candidates/N: fb_candidate_list_load() */
  FB_FILE_KIND_ONNX,        /* an ONNX model (".onnx"): fb_onnx_import_load() */
  FB_FILE_KIND_DATASET,     /* .npz/.npy, IDX (-ubyte), CIFAR .bin, a folder: fb_dataset_open() */
} FbFileKind;

/* A name ending in ".onnx" (any case) is an ONNX model, whatever it holds:
 * the importer then says what is wrong with it. Otherwise the kind, or FB_FILE_KIND_UNKNOWN with a one-line error naming @path (too
 * large, not JSON, no or an unknown "format"). The loaders then check the
 * version and everything else, with messages that name the field. */
FbFileKind fb_file_kind_detect (const char  *path,
                                GError     **error);

G_END_DECLS

/* fb-types.h — forward declarations shared by every freebits layer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FbNetwork         FbNetwork;
typedef struct _FbLayer           FbLayer;
typedef struct _FbTensor          FbTensor;
typedef struct _FbPrecisionConfig FbPrecisionConfig;
typedef struct _FbLatencyTable    FbLatencyTable;
typedef struct _FbMetrics         FbMetrics;
typedef struct _FbLayerMetrics    FbLayerMetrics;

/* Bit-widths a searchable entry may take. */
#define FB_BITS_IS_VALID(b) ((b) == 8 || (b) == 4 || (b) == 2)
/* The classifier's output is not quantized: int32 logits. */
#define FB_BITS_LOGITS 32

G_END_DECLS

/* fb-ui-types.h — forward declarations and small enums shared by src/ui.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "fb-types.h"

G_BEGIN_DECLS

typedef struct _FbApplication FbApplication;
typedef struct _FbWindow      FbWindow;
typedef struct _FbParetoPlot  FbParetoPlot;
typedef struct _FbLayerTable  FbLayerTable;
typedef struct _FbPointSet    FbPointSet;
typedef struct _FbPlotPoint   FbPlotPoint;
typedef struct _FbPlotView    FbPlotView;

/* The quantities a config can be plotted by. Accuracy is maximized, the
 * others minimized; keep FB_PLOT_N_METRICS last. */
typedef enum {
  FB_PLOT_METRIC_SIZE,      /* weight memory (Flash), bytes */
  FB_PLOT_METRIC_BOPS,      /* Σ MACs × w_bits × a_in_bits */
  FB_PLOT_METRIC_LATENCY,   /* latency table units; NAN without a table */
  FB_PLOT_METRIC_PEAK_RAM,  /* the bundle's RAM (activation arena + kernel scratch), bytes */
  FB_PLOT_METRIC_ACCURACY,  /* fraction in [0, 1]; NAN when not measured */
  FB_PLOT_N_METRICS
} FbPlotMetric;

/* Export formats of the plot (cairo surfaces). */
typedef enum {
  FB_PLOT_FORMAT_PNG,
  FB_PLOT_FORMAT_SVG,
  FB_PLOT_FORMAT_PDF,
} FbPlotFormat;

G_END_DECLS

/* fb-plot-metric.c — names, directions and units of the plottable metrics.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>

#include "fb-plot-metric.h"
#include "fb-ui-format.h"

static const char *nicks[FB_PLOT_N_METRICS] = {
  [FB_PLOT_METRIC_SIZE]     = "size",
  [FB_PLOT_METRIC_BOPS]     = "bops",
  [FB_PLOT_METRIC_LATENCY]  = "latency",
  [FB_PLOT_METRIC_PEAK_RAM] = "peak-ram",
  [FB_PLOT_METRIC_ACCURACY] = "accuracy",
};

const char *
fb_plot_metric_to_nick (FbPlotMetric metric)
{
  g_return_val_if_fail (metric < FB_PLOT_N_METRICS, NULL);
  return nicks[metric];
}

gboolean
fb_plot_metric_from_nick (const char *nick, FbPlotMetric *metric)
{
  for (guint i = 0; i < FB_PLOT_N_METRICS; i++)
    if (g_strcmp0 (nick, nicks[i]) == 0)
      {
        *metric = i;
        return TRUE;
      }
  return FALSE;
}

const char *
fb_plot_metric_get_name (FbPlotMetric metric)
{
  switch (metric)
    {
    case FB_PLOT_METRIC_SIZE:     return _("Weight memory (Flash)");
    case FB_PLOT_METRIC_BOPS:     return _("BOPs");
    case FB_PLOT_METRIC_LATENCY:  return _("Latency");
    case FB_PLOT_METRIC_PEAK_RAM: return _("RAM of the bundle");
    case FB_PLOT_METRIC_ACCURACY: return _("Accuracy");
    case FB_PLOT_N_METRICS:
    default:
      g_return_val_if_reached ("");
    }
}

const char *
fb_plot_metric_get_short_name (FbPlotMetric metric)
{
  switch (metric)
    {
    case FB_PLOT_METRIC_SIZE:     return _("Flash (weights)");
    case FB_PLOT_METRIC_PEAK_RAM: return _("RAM (bundle)");
    case FB_PLOT_METRIC_BOPS:     return _("BOPs");
    case FB_PLOT_METRIC_LATENCY:  return _("Latency");
    case FB_PLOT_METRIC_ACCURACY: return _("Accuracy");
    case FB_PLOT_N_METRICS:
    default:
      g_return_val_if_reached ("");
    }
}

gboolean
fb_plot_metric_maximize (FbPlotMetric metric)
{
  return metric == FB_PLOT_METRIC_ACCURACY;
}

static double
si_divisor (double max_abs, const char **prefix)
{
  if (max_abs >= 1e9)  { *prefix = "G"; return 1e9; }
  if (max_abs >= 1e6)  { *prefix = "M"; return 1e6; }
  if (max_abs >= 1e3)  { *prefix = "k"; return 1e3; }
  *prefix = "";
  return 1;
}

double
fb_plot_metric_axis_scale (FbPlotMetric metric, FbLatencyUnit unit, const char *target,
                           double max_abs, char **title)
{
  const char *prefix;
  double div;

  if (isnan (max_abs))
    max_abs = 0;
  switch (metric)
    {
    case FB_PLOT_METRIC_SIZE:
    case FB_PLOT_METRIC_PEAK_RAM:
      div = si_divisor (max_abs, &prefix);
      /* TRANSLATORS: axis title: metric name, unit ("Weight memory (Flash), kB") */
      *title = g_strdup_printf (_("%s, %sB"), fb_plot_metric_get_name (metric), prefix);
      return div;

    case FB_PLOT_METRIC_BOPS:
      div = si_divisor (max_abs, &prefix);
      if (div >= 1e9)
        *title = g_strdup (_("BOPs, billions"));
      else if (div >= 1e6)
        *title = g_strdup (_("BOPs, millions"));
      else if (div >= 1e3)
        *title = g_strdup (_("BOPs, thousands"));
      else
        *title = g_strdup (_("BOPs"));
      return div;

    case FB_PLOT_METRIC_LATENCY:
      {
        g_autofree char *on = target ? g_strdup_printf (_("Latency on %s"), target)
                                     : g_strdup (_("Latency"));
        if (unit == FB_LATENCY_UNIT_US)
          {
            if (max_abs >= 1e6)
              { *title = g_strdup_printf ("%s, s", on); return 1e6; }
            if (max_abs >= 1e3)
              { *title = g_strdup_printf ("%s, ms", on); return 1e3; }
            *title = g_strdup_printf ("%s, µs", on);
            return 1;
          }
        div = si_divisor (max_abs, &prefix);
        if (unit == FB_LATENCY_UNIT_CYCLES)
          *title = prefix[0] ? g_strdup_printf (_("%s, %s cycles"), on, prefix)
                             : g_strdup_printf (_("%s, cycles"), on);
        else
          /* TRANSLATORS: axis title, e.g. "Latency on rv32imc, M instructions" */
          *title = prefix[0] ? g_strdup_printf (_("%s, %s instructions"), on, prefix)
                             : g_strdup_printf (_("%s, instructions"), on);
        return div;
      }

    case FB_PLOT_METRIC_ACCURACY:
      *title = g_strdup (_("Accuracy, %"));
      return 0.01;

    case FB_PLOT_N_METRICS:
    default:
      *title = g_strdup ("");
      g_return_val_if_reached (1);
    }
}

char *
fb_plot_metric_format (FbPlotMetric metric, FbLatencyUnit unit, double value)
{
  if (isnan (value))
    return g_strdup (metric == FB_PLOT_METRIC_ACCURACY ? _("not measured") : "—");
  switch (metric)
    {
    case FB_PLOT_METRIC_SIZE:
    case FB_PLOT_METRIC_PEAK_RAM:
      return fb_ui_format_bytes (value);
    case FB_PLOT_METRIC_BOPS:
      return fb_ui_format_si (value);
    case FB_PLOT_METRIC_LATENCY:
      return fb_ui_format_latency (value, unit);
    case FB_PLOT_METRIC_ACCURACY:
      return g_strdup_printf ("%.2f\u202f%%", 100 * value);
    case FB_PLOT_N_METRICS:
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

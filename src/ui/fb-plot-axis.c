/* fb-plot-axis.c — "nice" axis ticks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-plot-axis.h"

double
fb_plot_nice_step (double raw)
{
  static const double mantissas[] = { 1, 2, 2.5, 5, 10 };
  double mag;

  if (!(raw > 0) || !isfinite (raw))
    return 1;
  mag = pow (10, floor (log10 (raw)));
  for (guint i = 0; i < G_N_ELEMENTS (mantissas); i++)
    /* A relative tolerance keeps 0.3 / 3 from becoming 0.25 → 0.5 flips. */
    if (mantissas[i] * mag >= raw * (1 - 1e-9))
      return mantissas[i] * mag;
  return 10 * mag;
}

/* The nice step below @step: 5 → 2.5 → 2 → 1 → 0.5 ... */
static double
prev_nice_step (double step)
{
  double mag = pow (10, floor (log10 (step) + 1e-9));
  double m = step / mag;

  if (m > 4.99)
    return 2.5 * mag;
  if (m > 2.49)
    return 2 * mag;
  if (m > 1.99)
    return mag;
  return 0.5 * mag;
}

static guint
linear_ticks (double lo, double hi, guint max_ticks, gboolean log_pos, FbPlotTick *out)
{
  double step, first;
  guint n = 0;

  if (max_ticks < 2)
    max_ticks = 2;
  step = fb_plot_nice_step ((hi - lo) / (max_ticks - 1));
  /* A nice step can still give max_ticks + 1 ticks; widen until it fits. */
  for (;;)
    {
      first = ceil (lo / step - 1e-9) * step;
      if (floor ((hi - first) / step + 1e-9) + 1 <= max_ticks)
        break;
      step = fb_plot_nice_step (step * 1.0001);
    }
  /* ... or a single tick (a range just short of two steps); narrow until
   * there are two, even if that is one more than asked. */
  for (guint guard = 0; guard < 8 && floor ((hi - first) / step + 1e-9) + 1 < 2; guard++)
    {
      step = prev_nice_step (step);
      first = ceil (lo / step - 1e-9) * step;
    }
  for (double v = first; v <= hi + step * 1e-9 && n < max_ticks; v = first + n * step)
    {
      double value = fabs (v) < step * 1e-9 ? 0.0 : v; /* no "-0" */
      if (log_pos && value <= 0)
        {
          /* Only positive values exist on a log axis. */
          first += step;
          continue;
        }
      out[n].value = value;
      out[n].pos = log_pos ? log10 (value) : value;
      n++;
    }
  return n;
}

guint
fb_plot_axis_ticks (double lo, double hi, gboolean log_scale, guint max_ticks, FbPlotTick *out)
{
  static const double mult_125[] = { 1, 2, 5 };
  double span;
  guint n = 0;

  if (lo > hi)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  max_ticks = CLAMP (max_ticks, 2, FB_PLOT_MAX_TICKS);
  if (!isfinite (lo) || !isfinite (hi) || hi - lo <= 0)
    return 0;

  if (!log_scale)
    return linear_ticks (lo, hi, max_ticks, FALSE, out);

  span = hi - lo;
  if (span < 1)
    {
      /* Less than a decade: plain linear steps of the values read better
       * than one lonely power of ten. */
      return linear_ticks (pow (10, lo), pow (10, hi), max_ticks, TRUE, out);
    }

  if (span * 3 <= max_ticks)
    {
      /* 1, 2 and 5 in every decade. */
      for (double d = floor (lo); d <= ceil (hi) && n < max_ticks; d++)
        for (guint k = 0; k < G_N_ELEMENTS (mult_125) && n < max_ticks; k++)
          {
            double pos = d + log10 (mult_125[k]);
            if (pos < lo - 1e-9 || pos > hi + 1e-9)
              continue;
            out[n].value = mult_125[k] * pow (10, d);
            out[n].pos = pos;
            n++;
          }
    }

  else
    {
      /* Every k-th decade. */
      guint every = (guint) ceil (span / (max_ticks - 1));
      double first = ceil (lo / every - 1e-9) * every;
      for (double d = first; d <= hi + 1e-9 && n < max_ticks; d += every)
        {
          out[n].value = pow (10, d);
          out[n].pos = d;
          n++;
        }
    }
  /* Too few decades fell inside for two ticks: step the values linearly. */
  if (n < 2)
    return linear_ticks (pow (10, lo), pow (10, hi), max_ticks, TRUE, out);
  return n;
}

char *
fb_plot_axis_format (double value, double step)
{
  int decimals;

  if (step <= 0)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      /* Log decades and odd steps: up to three significant digits. */
      if (fabs (value) >= 1000 || value == floor (value))
        return g_strdup_printf ("%.0f", value);
      g_snprintf (buf, sizeof buf, "%.3g", value);
      return g_strdup (buf);
    }
  decimals = (int) ceil (-log10 (step) - 1e-9);
  decimals = CLAMP (decimals, 0, 6);
  /* 2.5 steps need one more digit than their decade suggests. */
  if (fabs (step * pow (10, decimals) - round (step * pow (10, decimals))) > 1e-6)
    decimals++;
  if (fabs (value) < step * 1e-6)
    value = 0;
  return g_strdup_printf ("%.*f", decimals, value);
}

/* fb-point-set.c — an immutable, reference-counted batch of plotted configs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fb-candidate.h"
#include "fb-plot-metric.h"
#include "fb-point-set.h"
#include "fb-precision-config.h"

struct _FbPointSet {
  gatomicrefcount  ref_count;
  gboolean         sealed;
  GArray          *points;       /* FbPlotPoint */
  GPtrArray       *series;       /* char* names */
  GArray          *series_size;  /* guint */
  GStringChunk    *strings;      /* labels */
  GPtrArray       *owned;        /* configs given to append (freed with the set) */
  GPtrArray       *candidates;   /* FbCandidate refs whose configs points borrow */
  FbLatencyUnit    latency_unit;
  char            *target;
};

G_DEFINE_BOXED_TYPE (FbPointSet, fb_point_set, fb_point_set_ref, fb_point_set_unref)

FbPointSet *
fb_point_set_new (void)
{
  FbPointSet *self = g_new0 (FbPointSet, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->points = g_array_new (FALSE, FALSE, sizeof (FbPlotPoint));
  self->series = g_ptr_array_new_with_free_func (g_free);
  self->series_size = g_array_new (FALSE, TRUE, sizeof (guint));
  self->strings = g_string_chunk_new (256);
  self->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  self->latency_unit = FB_LATENCY_UNIT_INSTRUCTIONS;
  return self;
}

FbPointSet *
fb_point_set_ref (FbPointSet *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
fb_point_set_unref (FbPointSet *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->owned);
  g_ptr_array_unref (self->candidates);
  g_array_unref (self->points);
  g_ptr_array_unref (self->series);
  g_array_unref (self->series_size);
  g_string_chunk_free (self->strings);
  g_free (self->target);
  g_free (self);
}

guint
fb_point_set_add_series (FbPointSet *self, const char *name)
{
  guint zero = 0;

  g_return_val_if_fail (!self->sealed, 0);
  g_ptr_array_add (self->series, g_strdup (name));
  g_array_append_val (self->series_size, zero);
  return self->series->len - 1;
}

void
fb_point_set_append (FbPointSet *self, const double values[FB_PLOT_N_METRICS], guint series,
                     guint flags, const char *label, FbPrecisionConfig *config)
{
  FbPlotPoint p;

  g_return_if_fail (!self->sealed);
  g_return_if_fail (series < self->series->len);
  memcpy (p.values, values, sizeof p.values);
  p.series = series;
  p.flags = flags;
  p.label = label ? g_string_chunk_insert_const (self->strings, label) : NULL;
  p.config = config;
  p.candidate = NULL;
  if (config != NULL)
    g_ptr_array_add (self->owned, config);
  g_array_append_val (self->points, p);
  g_array_index (self->series_size, guint, series)++;
}

void
fb_point_set_append_candidate (FbPointSet *self, const double values[FB_PLOT_N_METRICS], guint series,
                               const char *label, FbCandidate *candidate)
{
  FbPlotPoint p;

  g_return_if_fail (!self->sealed);
  g_return_if_fail (series < self->series->len);
  g_return_if_fail (candidate != NULL);
  memcpy (p.values, values, sizeof p.values);
  p.series = series;
  p.flags = 0;
  p.label = label ? g_string_chunk_insert_const (self->strings, label) : NULL;
  /* Candidates are immutable: borrow the config instead of copying it, so
   * rebuilding a set of 100 000 search results stays cheap. */
  p.config = fb_candidate_get_config (candidate);
  p.candidate = candidate;
  g_ptr_array_add (self->candidates, fb_candidate_ref (candidate));
  g_array_append_val (self->points, p);
  g_array_index (self->series_size, guint, series)++;
}

void
fb_point_set_set_series_flags (FbPointSet *self, guint series, guint flags)
{
  g_return_if_fail (!self->sealed);
  for (guint i = 0; i < self->points->len; i++)
    {
      FbPlotPoint *p = &g_array_index (self->points, FbPlotPoint, i);
      if (p->series == series)
        p->flags |= flags;
    }
}

void
fb_point_set_set_latency_unit (FbPointSet *self, FbLatencyUnit unit, const char *target)
{
  g_return_if_fail (!self->sealed);
  self->latency_unit = unit;
  g_free (self->target);
  self->target = g_strdup (target);
}

void
fb_point_set_seal (FbPointSet *self)
{
  self->sealed = TRUE;
}

gboolean
fb_point_set_is_sealed (FbPointSet *self)
{
  return self->sealed;
}

guint
fb_point_set_get_n_points (FbPointSet *self)
{
  return self->points->len;
}

const FbPlotPoint *
fb_point_set_get_point (FbPointSet *self, guint index)
{
  g_return_val_if_fail (index < self->points->len, NULL);
  return &g_array_index (self->points, FbPlotPoint, index);
}

guint
fb_point_set_get_n_series (FbPointSet *self)
{
  return self->series->len;
}

const char *
fb_point_set_get_series_name (FbPointSet *self, guint series)
{
  g_return_val_if_fail (series < self->series->len, NULL);
  return g_ptr_array_index (self->series, series);
}

guint
fb_point_set_get_series_size (FbPointSet *self, guint series)
{
  g_return_val_if_fail (series < self->series->len, 0);
  return g_array_index (self->series_size, guint, series);
}

FbLatencyUnit
fb_point_set_get_latency_unit (FbPointSet *self)
{
  return self->latency_unit;
}

const char *
fb_point_set_get_target (FbPointSet *self)
{
  return self->target;
}

gboolean
fb_point_set_has_metric (FbPointSet *self, FbPlotMetric metric)
{
  g_return_val_if_fail (metric < FB_PLOT_N_METRICS, FALSE);
  for (guint i = 0; i < self->points->len; i++)
    if (!isnan (g_array_index (self->points, FbPlotPoint, i).values[metric]))
      return TRUE;
  return FALSE;
}

int
fb_point_set_find_config (FbPointSet *self, FbPrecisionConfig *config)
{
  for (guint i = 0; i < self->points->len; i++)
    {
      FbPlotPoint *p = &g_array_index (self->points, FbPlotPoint, i);
      if (p->config != NULL &&
          fb_precision_config_get_network (p->config) == fb_precision_config_get_network (config) &&
          fb_precision_config_equal (p->config, config))
        return (int) i;
    }
  return -1;
}

/* Sorting key: both axes turned into "smaller is better". */
typedef struct {
  double x, y;
  guint  index;
} FrontKey;

static int
front_key_compare (const void *pa, const void *pb)
{
  const FrontKey *a = pa, *b = pb;

  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  if (a->y != b->y)
    return a->y < b->y ? -1 : 1;
  /* Stable order for duplicates, so the result does not depend on qsort. */
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Points per bin of the pre-filter; below a few bins it is not worth it. */
#define FRONT_BIN_TARGET 64

/* x[i * stride], y[i * stride]: the plot passes its point structs directly,
 * without copying 100 000 coordinates into temporary arrays. */
static guint *
pareto_front_strided (const double *x, const double *y, gsize stride, guint n,
                      gboolean max_x, gboolean max_y, guint *n_out_ret)
{
  const double sx = max_x ? -1 : 1, sy = max_y ? -1 : 1;
  g_autofree FrontKey *keys = NULL;
  g_autofree double *bin_min = NULL;
  guint m = 0, n_valid = 0, n_bins = 0, n_out = 0, cap;
  guint *out;
  double xlo = INFINITY, xhi = -INFINITY, scale = 0;
  double best_y = INFINITY;
  const FrontKey *last = NULL;

  for (guint i = 0; i < n; i++)
    {
      double xi = x[i * stride], yi = y[i * stride];
      if (isnan (xi) || isnan (yi))
        continue;
      xlo = MIN (xlo, sx * xi);
      xhi = MAX (xhi, sx * xi);
      n_valid++;
    }

  /* Pre-filter in O(n) so that only plausible points are sorted: bin by x;
   * a point can be on the front only if its y is at most the smallest y of
   * all bins left of its own (those points all have a smaller x). Clouds
   * of 100 000 search results shrink to a few hundred candidates. */
  if (n_valid >= 4 * FRONT_BIN_TARGET && xhi > xlo && isfinite (xhi - xlo))
    {
      double prefix = INFINITY;

      n_bins = n_valid / FRONT_BIN_TARGET;
      bin_min = g_new (double, n_bins);
      scale = (n_bins - 1) / (xhi - xlo);
      for (guint b = 0; b < n_bins; b++)
        bin_min[b] = INFINITY;
      for (guint i = 0; i < n; i++)
        {
          double xi = x[i * stride], yi = y[i * stride];
          guint b;
          if (isnan (xi) || isnan (yi))
            continue;
          b = (guint) ((sx * xi - xlo) * scale);
          bin_min[b] = MIN (bin_min[b], sy * yi);
        }
      /* bin_min[b] becomes the minimum over the bins strictly left of b. */
      for (guint b = 0; b < n_bins; b++)
        {
          double here = bin_min[b];
          bin_min[b] = prefix;
          prefix = MIN (prefix, here);
        }
    }

  /* Filtered clouds keep few points: start small and grow. */
  cap = MAX (n_bins > 0 ? MIN (n_valid, 4096u) : n_valid, 1u);
  keys = g_new (FrontKey, cap);
  for (guint i = 0; i < n; i++)
    {
      double xi = x[i * stride], yi = y[i * stride];
      if (isnan (xi) || isnan (yi))
        continue;
      xi *= sx;
      yi *= sy;
      /* "<=" keeps exact duplicates of a front point. */
      if (n_bins > 0 && yi > bin_min[(guint) ((xi - xlo) * scale)])
        continue;
      if (m == cap)
        {
          cap *= 2;
          keys = g_renew (FrontKey, keys, cap);
        }
      keys[m].x = xi;
      keys[m].y = yi;
      keys[m].index = i;
      m++;
    }

  qsort (keys, m, sizeof *keys, front_key_compare);
  out = g_new (guint, MAX (m, 1));

  /* Sweep by increasing x: a point is on the front iff its y beats every
   * point with smaller-or-equal x, or it duplicates the last front point. */
  for (guint i = 0; i < m; i++)
    {
      const FrontKey *k = &keys[i];

      if (k->y < best_y ||
          (last != NULL && k->x == last->x && k->y == last->y))
        {
          out[n_out++] = k->index;
          best_y = k->y;
          last = k;
        }
    }
  *n_out_ret = n_out;
  return out;
}

guint
fb_pareto_front (const double *x, const double *y, guint n, gboolean max_x, gboolean max_y,
                 guint *out)
{
  guint n_out;
  g_autofree guint *front = pareto_front_strided (x, y, 1, n, max_x, max_y, &n_out);

  memcpy (out, front, n_out * sizeof *out);
  return n_out;
}

guint *
fb_point_set_compute_front (FbPointSet *self, FbPlotMetric xm, FbPlotMetric ym, guint *n_front)
{
  const FbPlotPoint *p = (const FbPlotPoint *) self->points->data;

  G_STATIC_ASSERT (sizeof (FbPlotPoint) % sizeof (double) == 0);
  if (self->points->len == 0)
    {
      *n_front = 0;
      return g_new (guint, 1);
    }
  return pareto_front_strided (&p[0].values[xm], &p[0].values[ym], sizeof (FbPlotPoint) / sizeof (double),
                               self->points->len, fb_plot_metric_maximize (xm), fb_plot_metric_maximize (ym),
                               n_front);
}

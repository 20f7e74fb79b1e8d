/* test-nn-ops.c — every op's backward against central differences, and
 * every forward against a naive double-precision reference.
 *
 * The loss is L = Σ r·y with a fixed random r (accumulated in double), so
 * dL/dy = r and the numerical gradient of any input or parameter is
 * (L(p + ε) − L(p − ε)) / 2ε.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "fb-nn-ops.h"

typedef void (*ForwardFunc) (gpointer ctx, float *y);

typedef struct {
  const char *name;
  float      *value;     /* perturbed in place */
  gsize       n;
  const float *analytic;
} Checked;

static GRand *test_rand;

static void
fill_random (float *v, gsize n, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (test_rand, lo, hi);
}

/* Values whose magnitude is in [0.1, 1]: far from ReLU's kink compared with ε. */
static void
fill_away_from_zero (float *v, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      float m = (float) g_rand_double_range (test_rand, 0.1, 1.0);
      v[i] = g_rand_boolean (test_rand) ? m : -m;
    }
}

static double
projected_loss (ForwardFunc fwd, gpointer ctx, const float *r, gsize ny)
{
  g_autofree float *y = g_new0 (float, ny);
  double l = 0.0;

  fwd (ctx, y);
  for (gsize i = 0; i < ny; i++)
    l += (double) r[i] * y[i];
  return l;
}

/* Compares analytic gradients with central differences on every element
 * (the shapes are tiny); |num − ana| ≤ atol + rtol·max(|num|, |ana|). */
static void
check_gradients (ForwardFunc fwd, gpointer ctx, const float *r, gsize ny, Checked *list,
                 guint n_list, double eps, double rtol, double atol)
{
  for (guint k = 0; k < n_list; k++)
    {
      Checked *c = &list[k];
      double worst = 0.0;

      for (gsize i = 0; i < c->n; i++)
        {
          float saved = c->value[i];
          double lp, lm, num, ana = c->analytic[i], err;

          c->value[i] = saved + (float) eps;
          lp = projected_loss (fwd, ctx, r, ny);
          c->value[i] = saved - (float) eps;
          lm = projected_loss (fwd, ctx, r, ny);
          c->value[i] = saved;
          /* The float step actually taken, not the nominal ε. */
          num = (lp - lm) / ((double) (saved + (float) eps) - (double) (saved - (float) eps));
          err = fabs (num - ana);
          worst = MAX (worst, err / (atol + rtol * MAX (fabs (num), fabs (ana))));
          if (err > atol + rtol * MAX (fabs (num), fabs (ana)))
            {
              g_test_fail_printf ("d%s[%" G_GSIZE_FORMAT "]: analytic %.6g, numerical %.6g",
                                  c->name, i, ana, num);
              return;
            }
        }
      g_test_message ("d%s: %" G_GSIZE_FORMAT " elements, worst error %.3f of tolerance",
                      c->name, c->n, worst);
    }
}

static void
assert_close (const char *what, const float *got, const double *want, gsize n, double tol)
{
  for (gsize i = 0; i < n; i++)
    if (fabs (got[i] - want[i]) > tol * MAX (1.0, fabs (want[i])))
      {
        g_test_fail_printf ("%s[%" G_GSIZE_FORMAT "]: got %.7g, reference %.7g", what, i, got[i],
                            want[i]);
        return;
      }
}

/* ---- conv2d ------------------------------------------------------------------ */

typedef struct {
  FbNnConv g;
  float   *x, *w, *scratch;
  gboolean depthwise;
} ConvCtx;

static void
conv_fwd (gpointer data, float *y)
{
  ConvCtx *c = data;
  if (c->depthwise)
    fb_nn_depthwise_forward (&c->g, c->x, c->w, y);
  else
    fb_nn_conv2d_forward (&c->g, c->x, c->w, y, c->scratch);
}

/* Direct definition of the convolution, in double. */
static void
conv_reference (const FbNnConv *g, const float *x, const float *w, gboolean depthwise, double *y)
{
  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        for (guint co = 0; co < g->cout; co++)
          {
            double acc = 0.0;
            for (guint ky = 0; ky < g->kh; ky++)
              for (guint kx = 0; kx < g->kw; kx++)
                {
                  int iy = (int) (oy * g->sh + ky) - (int) g->pad_top;
                  int ix = (int) (ox * g->sw + kx) - (int) g->pad_left;
                  if (iy < 0 || iy >= (int) g->h || ix < 0 || ix >= (int) g->w)
                    continue;
                  const float *xp = x + (((gsize) n * g->h + iy) * g->w + ix) * g->cin;
                  if (depthwise)
                    acc += (double) xp[co] * w[((gsize) ky * g->kw + kx) * g->cout + co];
                  else
                    for (guint ci = 0; ci < g->cin; ci++)
                      acc += (double) xp[ci] *
                             w[(((gsize) co * g->kh + ky) * g->kw + kx) * g->cin + ci];
                }
            y[(((gsize) n * g->ho + oy) * g->wo + ox) * g->cout + co] = acc;
          }
}

typedef struct {
  guint n, h, w, cin, cout, kh, kw, sh, sw, pt, pb, pl, pr;
  gboolean depthwise;
} ConvCase;

static void
run_conv_case (const ConvCase *cc)
{
  ConvCtx c = { .depthwise = cc->depthwise };
  gsize nx, nw, ny;
  g_autofree float *x = NULL, *w = NULL, *r = NULL, *dw = NULL, *dx = NULL, *y = NULL;
  g_autofree float *scratch = NULL;
  g_autofree double *ref = NULL;

  fb_nn_conv_init (&c.g, cc->n, cc->h, cc->w, cc->cin, cc->cout, cc->kh, cc->kw, cc->sh, cc->sw,
                   cc->pt, cc->pb, cc->pl, cc->pr);
  nx = (gsize) cc->n * cc->h * cc->w * cc->cin;
  nw = cc->depthwise ? (gsize) cc->kh * cc->kw * cc->cout : (gsize) cc->cout * cc->kh * cc->kw * cc->cin;
  ny = (gsize) cc->n * c.g.ho * c.g.wo * cc->cout;
  x = g_new (float, nx);
  w = g_new (float, nw);
  r = g_new (float, ny);
  y = g_new (float, ny);
  ref = g_new (double, ny);
  dw = g_new0 (float, nw);
  dx = g_new0 (float, nx);
  scratch = g_new0 (float, MAX (fb_nn_conv2d_scratch_size (&c.g), 1));
  fill_random (x, nx, -1, 1);
  fill_random (w, nw, -1, 1);
  fill_random (r, ny, -1, 1);
  c.x = x;
  c.w = w;
  c.scratch = scratch;

  conv_fwd (&c, y);
  conv_reference (&c.g, x, w, cc->depthwise, ref);
  assert_close ("y", y, ref, ny, 1e-5);

  /* Pre-filled gradients check that backward adds rather than overwrites. */
  for (gsize i = 0; i < nx; i++)
    dx[i] = 0.5f;
  for (gsize i = 0; i < nw; i++)
    dw[i] = 0.25f;
  if (cc->depthwise)
    fb_nn_depthwise_backward (&c.g, x, w, r, dw, dx);
  else
    fb_nn_conv2d_backward (&c.g, x, w, r, dw, dx, scratch);
  for (gsize i = 0; i < nx; i++)
    dx[i] -= 0.5f;
  for (gsize i = 0; i < nw; i++)
    dw[i] -= 0.25f;

  Checked list[] = { { "x", x, nx, dx }, { "w", w, nw, dw } };
  check_gradients (conv_fwd, &c, r, ny, list, G_N_ELEMENTS (list), 1e-2, 1e-3, 1e-3);
}

/* The geometries of the conv and depthwise gradient checks, one test case each. */
static const struct {
  const char *path;
  ConvCase    cc;
} conv_cases[] = {
  { "/nn/grad/conv2d/3x3-stride1-pad", { 2, 5, 4, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, FALSE } },
  /* Odd size, asymmetric padding (TF "same" with stride 2). */
  { "/nn/grad/conv2d/3x3-stride2-asymmetric-pad", { 2, 7, 6, 2, 3, 3, 3, 2, 2, 0, 1, 1, 0, FALSE } },
  /* K = 3·3·5 = 45: above the direct path's limit, through im2col + GEMM. */
  { "/nn/grad/conv2d/3x3-im2col-gemm", { 2, 4, 5, 5, 3, 3, 3, 1, 2, 1, 1, 1, 1, FALSE } },
  { "/nn/grad/conv2d/1x1-stride1", { 3, 3, 4, 5, 6, 1, 1, 1, 1, 0, 0, 0, 0, FALSE } },
  { "/nn/grad/conv2d/1x1-stride2", { 2, 5, 5, 4, 3, 1, 1, 2, 2, 0, 0, 0, 0, FALSE } },
  { "/nn/grad/conv2d/2x3-kernel-mixed-stride", { 1, 6, 5, 2, 2, 2, 3, 1, 2, 0, 1, 1, 1, FALSE } },
  { "/nn/grad/depthwise/3x3-stride1", { 2, 5, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, TRUE } },
  { "/nn/grad/depthwise/3x3-stride2", { 2, 7, 6, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, TRUE } },
};

static void
test_conv_case (gconstpointer data)
{
  run_conv_case (data);
}

/* Realistic sizes (im2col chunking, 1×1 GEMM, row-wise depthwise) against
 * the reference, forward and backward. */
static void
test_large_matches_reference (void)
{
  for (guint dw_case = 0; dw_case < 2; dw_case++)
    for (guint pointwise = 0; pointwise < 2; pointwise++)
      {
        gboolean depthwise = dw_case == 1;
        guint k = pointwise ? 1 : 3, cin = 16, cout = depthwise ? 16 : 24;
        FbNnConv g;
        fb_nn_conv_init (&g, 33, 9, 8, cin, cout, k, k, 1, 1, k / 2, k / 2, k / 2, k / 2);
        gsize nx = (gsize) g.n * g.h * g.w * cin, ny = (gsize) g.n * g.ho * g.wo * cout;
        gsize nw = depthwise ? (gsize) k * k * cout : (gsize) cout * k * k * cin;
        g_autofree float *x = g_new (float, nx), *w = g_new (float, nw), *y = g_new (float, ny);
        g_autofree float *dy = g_new (float, ny), *dx = g_new0 (float, nx), *dw = g_new0 (float, nw);
        g_autofree float *scratch = g_new0 (float, MAX (fb_nn_conv2d_scratch_size (&g), 1));
        g_autofree double *ref = g_new (double, ny);
        g_autofree double *ref_dx = g_new0 (double, nx), *ref_dw = g_new0 (double, nw);

        fill_random (x, nx, -1, 1);
        fill_random (w, nw, -1, 1);
        fill_random (dy, ny, -1, 1);
        if (depthwise)
          {
            fb_nn_depthwise_forward (&g, x, w, y);
            fb_nn_depthwise_backward (&g, x, w, dy, dw, dx);
          }
        else
          {
            fb_nn_conv2d_forward (&g, x, w, y, scratch);
            fb_nn_conv2d_backward (&g, x, w, dy, dw, dx, scratch);
          }
        conv_reference (&g, x, w, depthwise, ref);
        assert_close ("y", y, ref, ny, 1e-4);

        /* Reference backward: the adjoint of the direct definition. */
        for (guint n = 0; n < g.n; n++)
          for (guint oy = 0; oy < g.ho; oy++)
            for (guint ox = 0; ox < g.wo; ox++)
              for (guint co = 0; co < cout; co++)
                {
                  double d = dy[(((gsize) n * g.ho + oy) * g.wo + ox) * cout + co];
                  for (guint ky = 0; ky < k; ky++)
                    for (guint kx = 0; kx < k; kx++)
                      {
                        int iy = (int) (oy + ky) - (int) g.pad_top;
                        int ix = (int) (ox + kx) - (int) g.pad_left;
                        if (iy < 0 || iy >= (int) g.h || ix < 0 || ix >= (int) g.w)
                          continue;
                        gsize xo = (((gsize) n * g.h + iy) * g.w + ix) * cin;
                        if (depthwise)
                          {
                            gsize wo = ((gsize) ky * k + kx) * cout + co;
                            ref_dw[wo] += d * x[xo + co];
                            ref_dx[xo + co] += d * w[wo];
                          }
                        else
                          for (guint ci = 0; ci < cin; ci++)
                            {
                              gsize wo = (((gsize) co * k + ky) * k + kx) * cin + ci;
                              ref_dw[wo] += d * x[xo + ci];
                              ref_dx[xo + ci] += d * w[wo];
                            }
                      }
                }
        assert_close ("dx", dx, ref_dx, nx, 1e-4);
        assert_close ("dw", dw, ref_dw, nw, 1e-3);
      }
}

/* ---- batch norm ---------------------------------------------------------------- */

typedef struct {
  guint    m, c;
  gboolean relu;
  float   *x, *gamma, *beta, *mean, *var;
} BnCtx;

static void
bn_fwd (gpointer data, float *y)
{
  BnCtx *b = data;
  fb_nn_batch_norm_train_forward (b->m, b->c, b->x, b->gamma, b->beta, b->relu, y, b->mean, b->var);
}

static void
run_bn_case (guint m, guint c, gboolean relu)
{
  BnCtx b = { .m = m, .c = c, .relu = relu };
  gsize n = (gsize) m * c;
  g_autofree float *x = g_new (float, n), *y = g_new (float, n), *r = g_new (float, n);
  g_autofree float *dx = g_new (float, n), *gamma = g_new (float, c), *beta = g_new (float, c);
  g_autofree float *dgamma = g_new0 (float, c), *dbeta = g_new0 (float, c);
  g_autofree float *mean = g_new (float, c), *var = g_new (float, c);

  /* Channels with different offsets and spreads. */
  for (guint i = 0; i < m; i++)
    for (guint k = 0; k < c; k++)
      x[(gsize) i * c + k] = (float) (0.3 * k - 0.5 + (0.5 + 0.2 * k) * g_rand_double_range (test_rand, -1, 1));
  fill_random (gamma, c, 0.5, 1.5);
  fill_random (beta, c, -0.3, 0.3);
  fill_random (r, n, -1, 1);
  b.x = x;
  b.gamma = gamma;
  b.beta = beta;
  b.mean = mean;
  b.var = var;

  bn_fwd (&b, y);
  /* Forward against the definition. */
  for (guint k = 0; k < c; k++)
    {
      double mu = 0, v = 0;
      for (guint i = 0; i < m; i++)
        mu += x[(gsize) i * c + k];
      mu /= m;
      for (guint i = 0; i < m; i++)
        v += pow (x[(gsize) i * c + k] - mu, 2);
      v /= m;
      g_assert_cmpfloat_with_epsilon (mean[k], mu, 1e-5);
      g_assert_cmpfloat_with_epsilon (var[k], v, 1e-5);
      for (guint i = 0; i < m; i++)
        {
          double want = gamma[k] * (x[(gsize) i * c + k] - mu) / sqrt (v + FB_NN_BN_EPS) + beta[k];
          if (relu)
            want = MAX (want, 0.0);
          g_assert_cmpfloat_with_epsilon (y[(gsize) i * c + k], want, 1e-5);
        }
    }

  fb_nn_batch_norm_backward (m, c, x, y, gamma, mean, var, relu, r, dx, dgamma, dbeta);
  Checked list[] = { { "x", x, n, dx }, { "gamma", gamma, c, dgamma }, { "beta", beta, c, dbeta } };
  check_gradients (bn_fwd, &b, r, n, list, G_N_ELEMENTS (list), 1e-3, 1e-2, 2e-3);
}

static void
test_batch_norm (void)
{
  run_bn_case (12, 3, FALSE);
}

static void
test_batch_norm_relu (void)
{
  run_bn_case (10, 4, TRUE);
}

static void
test_batch_norm_large (void)
{
  /* Many rows: the blocked float/double sums must match the definition. */
  guint m = 6000, c = 24;
  gsize n = (gsize) m * c;
  g_autofree float *x = g_new (float, n), *y = g_new (float, n), *dx = g_new (float, n);
  g_autofree float *gamma = g_new (float, c), *beta = g_new (float, c), *mean = g_new (float, c);
  g_autofree float *var = g_new (float, c), *dg = g_new0 (float, c), *db = g_new0 (float, c);
  g_autofree float *rm = g_new (float, c), *rv = g_new (float, c), *ye = g_new (float, n);

  fill_random (x, n, -2, 3);
  fill_random (gamma, c, 0.5, 1.5);
  fill_random (beta, c, -0.3, 0.3);
  fb_nn_batch_norm_train_forward (m, c, x, gamma, beta, TRUE, y, mean, var);
  for (guint k = 0; k < c; k++)
    {
      double mu = 0, v = 0;
      for (guint i = 0; i < m; i++)
        mu += x[(gsize) i * c + k];
      mu /= m;
      for (guint i = 0; i < m; i++)
        v += pow (x[(gsize) i * c + k] - mu, 2);
      v /= m;
      g_assert_cmpfloat_with_epsilon (mean[k], mu, 1e-5);
      g_assert_cmpfloat_with_epsilon (var[k], v, 1e-4);
      rm[k] = mean[k];
      rv[k] = var[k];
    }
  /* With dy = 1 everywhere, dβ counts the rows the ReLU lets through. */
  for (gsize i = 0; i < n; i++)
    dx[i] = 1.0f;
  fb_nn_batch_norm_backward (m, c, x, y, gamma, mean, var, TRUE, dx, dx, dg, db);
  for (guint k = 0; k < c; k++)
    {
      double pass = 0;
      for (guint i = 0; i < m; i++)
        pass += y[(gsize) i * c + k] > 0;
      g_assert_cmpfloat_with_epsilon (db[k], pass, 1e-3 * pass + 1e-3);
    }
  /* Evaluation with the batch's own statistics reproduces training mode. */
  fb_nn_batch_norm_eval_forward (m, c, x, gamma, beta, rm, rv, TRUE, ye);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ye[i], y[i], 1e-4);
}

/* ---- elementwise, pool, linear, loss ---------------------------------------- */

typedef struct {
  gsize    n;
  float   *x;
} ReluCtx;

static void
relu_fwd (gpointer data, float *y)
{
  ReluCtx *c = data;
  fb_nn_relu_forward (c->n, c->x, y);
}

static void
test_relu (void)
{
  gsize n = 40;
  g_autofree float *x = g_new (float, n), *y = g_new (float, n), *r = g_new (float, n);
  g_autofree float *dx = g_new0 (float, n);
  ReluCtx c = { n, x };

  fill_away_from_zero (x, n);
  fill_random (r, n, -1, 1);
  relu_fwd (&c, y);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, MAX (x[i], 0.0f));
  fb_nn_relu_backward (n, y, r, dx);
  Checked list[] = { { "x", x, n, dx } };
  check_gradients (relu_fwd, &c, r, n, list, 1, 1e-3, 1e-3, 1e-4);
}

typedef struct {
  gsize    n;
  gboolean relu;
  float   *a, *b;
} AddCtx;

static void
add_fwd (gpointer data, float *y)
{
  AddCtx *c = data;
  fb_nn_add_forward (c->n, c->a, c->b, c->relu, y);
}

static void
test_add (void)
{
  gsize n = 30;

  for (guint relu = 0; relu < 2; relu++)
    {
      g_autofree float *a = g_new (float, n), *b = g_new (float, n), *y = g_new (float, n);
      g_autofree float *r = g_new (float, n), *da = g_new0 (float, n), *db = g_new0 (float, n);
      AddCtx c = { n, relu, a, b };

      fill_random (a, n, -1, 1);
      /* Keep a + b away from 0 so the ReLU kink is not straddled. */
      for (gsize i = 0; i < n; i++)
        {
          float s = (float) g_rand_double_range (test_rand, 0.1, 1.0) * (g_rand_boolean (test_rand) ? 1 : -1);
          b[i] = s - a[i];
        }
      fill_random (r, n, -1, 1);
      add_fwd (&c, y);
      fb_nn_add_backward (n, y, relu, r, da, db);
      Checked list[] = { { "a", a, n, da }, { "b", b, n, db } };
      check_gradients (add_fwd, &c, r, n, list, 2, 1e-3, 1e-3, 1e-4);
    }
}

typedef struct {
  guint  n, hw, c;
  float *x;
} PoolCtx;

static void
pool_fwd (gpointer data, float *y)
{
  PoolCtx *p = data;
  fb_nn_global_avg_pool_forward (p->n, p->hw, p->c, p->x, y);
}

static void
test_global_avg_pool (void)
{
  guint n = 3, hw = 6, c = 5;
  gsize nx = (gsize) n * hw * c, ny = (gsize) n * c;
  g_autofree float *x = g_new (float, nx), *y = g_new (float, ny), *r = g_new (float, ny);
  g_autofree float *dx = g_new0 (float, nx);
  PoolCtx p = { n, hw, c, x };

  fill_random (x, nx, -1, 1);
  fill_random (r, ny, -1, 1);
  pool_fwd (&p, y);
  for (guint b = 0; b < n; b++)
    for (guint k = 0; k < c; k++)
      {
        double s = 0;
        for (guint i = 0; i < hw; i++)
          s += x[((gsize) b * hw + i) * c + k];
        g_assert_cmpfloat_with_epsilon (y[(gsize) b * c + k], s / hw, 1e-6);
      }
  fb_nn_global_avg_pool_backward (n, hw, c, r, dx);
  Checked list[] = { { "x", x, nx, dx } };
  check_gradients (pool_fwd, &p, r, ny, list, 1, 1e-2, 1e-3, 1e-4);
}

/* ---- windowed pools --------------------------------------------------------- */

typedef struct {
  FbNnConv g;
  gboolean max, include_pad;
  float   *x;
} Pool2dCtx;

static void
pool2d_fwd (gpointer data, float *y)
{
  Pool2dCtx *p = data;
  if (p->max)
    fb_nn_max_pool2d_forward (&p->g, p->x, y);
  else
    fb_nn_avg_pool2d_forward (&p->g, p->include_pad, p->x, y);
}

/* Brute force of one output: the window over the padded input, as PyTorch
 * defines it (padding is 0 for the average, −∞ for the max). */
static double
pool2d_reference (const Pool2dCtx *p, guint b, guint oy, guint ox, guint ch)
{
  const FbNnConv *g = &p->g;
  double acc = p->max ? -INFINITY : 0.0;
  guint valid = 0;

  for (guint ky = 0; ky < g->kh; ky++)
    for (guint kx = 0; kx < g->kw; kx++)
      {
        int iy = (int) (oy * g->sh + ky) - (int) g->pad_top, ix = (int) (ox * g->sw + kx) - (int) g->pad_left;
        double v;
        if (iy < 0 || ix < 0 || iy >= (int) g->h || ix >= (int) g->w)
          continue;
        v = p->x[(((gsize) b * g->h + iy) * g->w + ix) * g->cin + ch];
        acc = p->max ? MAX (acc, v) : acc + v;
        valid++;
      }
  return p->max ? acc : acc / (p->include_pad ? g->kh * g->kw : valid);
}

static void
check_pool2d (gboolean max, gboolean include_pad, guint k, guint stride, guint pad)
{
  guint n = 2, h = 7, w = 6, c = 3;
  Pool2dCtx p = { .max = max, .include_pad = include_pad };
  gsize nx, ny;
  g_autofree float *y = NULL, *r = NULL, *dx = NULL;
  g_autofree double *want = NULL;

  fb_nn_conv_init (&p.g, n, h, w, c, c, k, k, stride, stride, pad, pad, pad, pad);
  nx = (gsize) n * h * w * c;
  ny = (gsize) n * p.g.ho * p.g.wo * c;
  p.x = g_new (float, nx);
  y = g_new (float, ny), r = g_new (float, ny), dx = g_new0 (float, nx), want = g_new (double, ny);
  fill_random (p.x, nx, -1, 1);
  fill_random (r, ny, -1, 1);
  pool2d_fwd (&p, y);
  for (guint b = 0; b < n; b++)
    for (guint oy = 0; oy < p.g.ho; oy++)
      for (guint ox = 0; ox < p.g.wo; ox++)
        for (guint ch = 0; ch < c; ch++)
          want[(((gsize) b * p.g.ho + oy) * p.g.wo + ox) * c + ch] = pool2d_reference (&p, b, oy, ox, ch);
  assert_close (max ? "max_pool2d" : "avg_pool2d", y, want, ny, 1e-6);
  if (max)
    fb_nn_max_pool2d_backward (&p.g, p.x, y, r, dx);
  else
    fb_nn_avg_pool2d_backward (&p.g, include_pad, r, dx);
  {
    /* Small steps: a max must not change its winner under perturbation. */
    Checked list[] = { { "x", p.x, nx, dx } };
    check_gradients (pool2d_fwd, &p, r, ny, list, 1, max ? 1e-4 : 1e-2, 1e-2, 1e-3);
  }
  g_free (p.x);
}

static void
test_avg_pool2d (void)
{
  check_pool2d (FALSE, FALSE, 3, 1, 1);
  check_pool2d (FALSE, TRUE, 3, 2, 1);
  check_pool2d (FALSE, FALSE, 2, 2, 0);
}

static void
test_max_pool2d (void)
{
  check_pool2d (TRUE, FALSE, 3, 2, 1);
  check_pool2d (TRUE, FALSE, 2, 2, 0);
}

static void
test_mse (void)
{
  enum { N = 3, K = 4 };
  float y[N * K], t[N * K], dy[N * K];
  double loss, want = 0.0;

  fill_random (y, N * K, -2, 2);
  fill_random (t, N * K, -2, 2);
  for (guint i = 0; i < N * K; i++)
    want += (double) (y[i] - t[i]) * (y[i] - t[i]) / (N * K);
  loss = fb_nn_mse (N, K, y, t, dy);
  g_assert_cmpfloat (fabs (loss - want), <, 1e-6 * want);
  for (guint i = 0; i < N * K; i++)
    {
      /* The loss is quadratic: the central difference is exact up to rounding. */
      float saved = y[i];
      double lp, lm;
      y[i] = saved + 1e-2f;
      lp = fb_nn_mse (N, K, y, t, NULL);
      y[i] = saved - 1e-2f;
      lm = fb_nn_mse (N, K, y, t, NULL);
      y[i] = saved;
      g_assert_cmpfloat (fabs ((lp - lm) / ((double) (saved + 1e-2f) - (saved - 1e-2f)) - dy[i]), <, 1e-4);
    }
}

typedef struct {
  guint  n, cin, cout;
  float *x, *w, *b;
} LinearCtx;

static void
linear_fwd (gpointer data, float *y)
{
  LinearCtx *l = data;
  fb_nn_linear_forward (l->n, l->cin, l->cout, l->x, l->w, l->b, y);
}

static void
test_linear (void)
{
  guint n = 4, cin = 7, cout = 5;
  gsize nx = (gsize) n * cin, nw = (gsize) cout * cin, ny = (gsize) n * cout;
  g_autofree float *x = g_new (float, nx), *w = g_new (float, nw), *b = g_new (float, cout);
  g_autofree float *y = g_new (float, ny), *r = g_new (float, ny);
  g_autofree float *dx = g_new0 (float, nx), *dw = g_new0 (float, nw), *db = g_new0 (float, cout);
  LinearCtx l = { n, cin, cout, x, w, b };

  fill_random (x, nx, -1, 1);
  fill_random (w, nw, -1, 1);
  fill_random (b, cout, -1, 1);
  fill_random (r, ny, -1, 1);
  linear_fwd (&l, y);
  for (guint i = 0; i < n; i++)
    for (guint o = 0; o < cout; o++)
      {
        double s = b[o];
        for (guint k = 0; k < cin; k++)
          s += (double) x[i * cin + k] * w[o * cin + k];
        g_assert_cmpfloat_with_epsilon (y[i * cout + o], s, 1e-5);
      }
  fb_nn_linear_backward (n, cin, cout, x, w, r, dw, db, dx);
  Checked list[] = { { "x", x, nx, dx }, { "w", w, nw, dw }, { "b", b, cout, db } };
  check_gradients (linear_fwd, &l, r, ny, list, 3, 1e-2, 1e-3, 1e-4);
}

typedef struct {
  guint   n, k;
  float  *z;
  guint8 *labels;
} CeCtx;

/* The loss itself is the scalar: y has one element and r = 1. */
static void
ce_fwd (gpointer data, float *y)
{
  CeCtx *c = data;
  y[0] = (float) fb_nn_softmax_cross_entropy (c->n, c->k, c->z, c->labels, NULL, NULL);
}

static void
test_softmax_cross_entropy (void)
{
  guint n = 5, k = 4, correct = 0, want_correct = 0;
  g_autofree float *z = g_new (float, n * k), *dz = g_new (float, n * k);
  guint8 labels[5] = { 0, 3, 1, 1, 2 };
  float one = 1.0f;
  CeCtx c = { n, k, z, labels };
  double loss, want = 0;

  fill_random (z, n * k, -3, 3);
  loss = fb_nn_softmax_cross_entropy (n, k, z, labels, dz, &correct);
  for (guint i = 0; i < n; i++)
    {
      double s = 0;
      guint arg = 0;
      for (guint j = 0; j < k; j++)
        {
          s += exp (z[i * k + j]);
          if (z[i * k + j] > z[i * k + arg])
            arg = j;
        }
      want += log (s) - z[i * k + labels[i]];
      want_correct += arg == labels[i];
    }
  g_assert_cmpfloat_with_epsilon (loss, want / n, 1e-6);
  g_assert_cmpuint (correct, ==, want_correct);
  /* Large logits must not overflow. */
  z[0] = 1000.0f;
  g_assert_true (isfinite (fb_nn_softmax_cross_entropy (n, k, z, labels, NULL, NULL)));
  z[0] = 0.5f;
  fb_nn_softmax_cross_entropy (n, k, z, labels, dz, NULL);
  Checked list[] = { { "logits", z, (gsize) n * k, dz } };
  /* Loss in float here: a slightly looser tolerance. */
  check_gradients (ce_fwd, &c, &one, 1, list, 1, 1e-2, 1e-2, 1e-4);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_rand = g_rand_new_with_seed (20240601);

  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    g_test_add_data_func (conv_cases[i].path, &conv_cases[i].cc, test_conv_case);
  g_test_add_func ("/nn/grad/batch-norm", test_batch_norm);
  g_test_add_func ("/nn/grad/batch-norm-relu", test_batch_norm_relu);
  g_test_add_func ("/nn/grad/relu", test_relu);
  g_test_add_func ("/nn/grad/add", test_add);
  g_test_add_func ("/nn/grad/global-avg-pool", test_global_avg_pool);
  g_test_add_func ("/nn/grad/avg-pool2d", test_avg_pool2d);
  g_test_add_func ("/nn/grad/max-pool2d", test_max_pool2d);
  g_test_add_func ("/nn/grad/linear", test_linear);
  g_test_add_func ("/nn/grad/mse", test_mse);
  g_test_add_func ("/nn/grad/softmax-cross-entropy", test_softmax_cross_entropy);
  g_test_add_func ("/nn/ops/conv-large-matches-reference", test_large_matches_reference);
  g_test_add_func ("/nn/ops/batch-norm-large-and-eval", test_batch_norm_large);

  status = g_test_run ();
  g_rand_free (test_rand);
  return status;
}

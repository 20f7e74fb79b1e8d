/* fb-kernel-ref.c — the plain reference implementation (see fb-kernel-ref.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-ref.h"

int64_t
fb_ref_floor_shift (int64_t v, int32_t shift)
{
  int64_t d, q;
  if (shift == 63)   /* 2^63 does not fit: |v| < 2^63, so the quotient is 0 or -1 */
    return v < 0 ? -1 : 0;
  d = (int64_t) 1 << shift;
  q = v / d;            /* truncates toward zero */
  if (v % d != 0 && v < 0)
    q -= 1;
  return q;
}

static int32_t
clip (int64_t v, int out_bits)
{
  int64_t maxv = ((int64_t) 1 << out_bits) - 1;
  return (int32_t) (v < 0 ? 0 : v > maxv ? maxv : v);
}

static int32_t
clip_any (int64_t v, int out_bits, int out_signed)
{
  int64_t lo = -((int64_t) 1 << (out_bits - 1)), hi = ((int64_t) 1 << (out_bits - 1)) - 1;
  if (!out_signed)
    return clip (v, out_bits);
  return (int32_t) (v < lo ? lo : v > hi ? hi : v);
}

int32_t
fb_ref_requant_any (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift, int out_bits,
                    int out_signed)
{
  return clip_any (fb_ref_floor_shift ((int64_t) kappa * acc + lambda, shift), out_bits,
                   out_signed);
}

/* floor (a / b), b > 0 */
static int64_t
floor_div (int64_t a, int64_t b)
{
  int64_t q = a / b;
  if (a % b != 0 && a < 0)
    q -= 1;
  return q;
}

int32_t
fb_ref_requant (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift, int out_bits)
{
  return clip (fb_ref_floor_shift ((int64_t) kappa * acc + lambda, shift), out_bits);
}

/* Conv and depthwise (DW: input channel c only, weights [C][Ky][Kx]). */
static void
conv_or_depthwise (const int32_t *x, const int32_t *w, const int32_t *kappa,
                   const int32_t *lambda, int32_t *y, const FbConvParams *p, int out_bits,
                   int out_signed, int dw)
{
  int32_t oy, ox, co, ky, kx, ci;
  for (oy = 0; oy < p->dim_out_y; oy++)
    for (ox = 0; ox < p->dim_out_x; ox++)
      for (co = 0; co < p->ch_out; co++)
        {
          int64_t acc = 0;
          for (ky = 0; ky < p->dim_kernel_y; ky++)
            for (kx = 0; kx < p->dim_kernel_x; kx++)
              {
                int32_t iy = oy * p->stride_y - p->pad_top + ky;
                int32_t ix = ox * p->stride_x - p->pad_left + kx;
                int64_t px = ((int64_t) iy * p->dim_in_x + ix) * p->ch_in;
                int64_t tap = ((int64_t) co * p->dim_kernel_y + ky) * p->dim_kernel_x + kx;
                if (iy < 0 || iy >= p->dim_in_y || ix < 0 || ix >= p->dim_in_x)
                  continue;   /* zero padding */
                if (dw)
                  acc += (int64_t) x[px + co] * w[tap];
                else
                  for (ci = 0; ci < p->ch_in; ci++)
                    acc += (int64_t) x[px + ci] * w[tap * p->ch_in + ci];
              }
          y[((int64_t) oy * p->dim_out_x + ox) * p->ch_out + co]
            = fb_ref_requant_any ((int32_t) acc, kappa[co], lambda[co], p->out_shift, out_bits,
                                  out_signed);
        }
}

void
fb_ref_conv (const int32_t *x, const int32_t *w, const int32_t *kappa, const int32_t *lambda,
             int32_t *y, const FbConvParams *p, int out_bits, int out_signed)
{
  conv_or_depthwise (x, w, kappa, lambda, y, p, out_bits, out_signed, 0);
}

void
fb_ref_depthwise (const int32_t *x, const int32_t *w, const int32_t *kappa,
                  const int32_t *lambda, int32_t *y, const FbConvParams *p, int out_bits,
                  int out_signed)
{
  conv_or_depthwise (x, w, kappa, lambda, y, p, out_bits, out_signed, 1);
}

void
fb_ref_linear (const int32_t *x, const int32_t *w, const int32_t *kappa, const int32_t *lambda,
               int32_t *y, int32_t dim_vec, int32_t num_o, int32_t out_shift, int out_bits,
               int out_signed)
{
  int32_t o, i;
  for (o = 0; o < num_o; o++)
    {
      int64_t acc = 0;
      for (i = 0; i < dim_vec; i++)
        acc += (int64_t) x[i] * w[(int64_t) o * dim_vec + i];
      y[o] = fb_ref_requant_any ((int32_t) acc, kappa[o], lambda[o], out_shift, out_bits,
                                 out_signed);
    }
}

void
fb_ref_linear_i32 (const int32_t *x, const int32_t *w, const int32_t *bias, int32_t *y,
                   int32_t dim_vec, int32_t num_o, int32_t flag_relu)
{
  int32_t o, i;
  for (o = 0; o < num_o; o++)
    {
      int64_t acc = bias != NULL ? bias[o] : 0;
      for (i = 0; i < dim_vec; i++)
        acc += (int64_t) x[i] * w[(int64_t) o * dim_vec + i];
      if (acc > INT32_MAX)
        acc = INT32_MAX;
      if (acc < INT32_MIN)
        acc = INT32_MIN;
      if (flag_relu && acc < 0)
        acc = 0;
      y[o] = (int32_t) acc;
    }
}

void
fb_ref_add (const int32_t *x1, const int32_t *x2, int32_t *y, int64_t n, int32_t m1, int32_t m2,
            int32_t out_shift, int out_bits, int out_signed)
{
  int64_t i;
  int64_t r = out_shift > 0 ? (int64_t) 1 << (out_shift - 1) : 0;
  for (i = 0; i < n; i++)
    y[i] = clip_any (fb_ref_floor_shift ((int64_t) x1[i] * m1 + (int64_t) x2[i] * m2 + r,
                                         out_shift),
                     out_bits, out_signed);
}

void
fb_ref_avgpool (const int32_t *x, int32_t *y, int32_t dim_x, int32_t dim_y, int32_t ch)
{
  int64_t n = (int64_t) dim_x * dim_y, i;
  int32_t c;
  for (c = 0; c < ch; c++)
    {
      int64_t s = 0;
      for (i = 0; i < n; i++)
        s += x[i * ch + c];
      y[c] = (int32_t) floor_div (2 * s + n, 2 * n);
    }
}

static void
pool2d (const int32_t *x, int32_t *y, const FbConvParams *p, int max, int count_include_pad)
{
  int32_t oy, ox, c, ky, kx;
  for (oy = 0; oy < p->dim_out_y; oy++)
    for (ox = 0; ox < p->dim_out_x; ox++)
      for (c = 0; c < p->ch_in; c++)
        {
          int64_t s = 0, n = 0, m = INT64_MIN;
          for (ky = 0; ky < p->dim_kernel_y; ky++)
            for (kx = 0; kx < p->dim_kernel_x; kx++)
              {
                int32_t iy = oy * p->stride_y - p->pad_top + ky;
                int32_t ix = ox * p->stride_x - p->pad_left + kx;
                int64_t v;
                if (iy < 0 || iy >= p->dim_in_y || ix < 0 || ix >= p->dim_in_x)
                  {
                    n += count_include_pad;   /* a zero that counts, or nothing */
                    continue;
                  }
                v = x[((int64_t) iy * p->dim_in_x + ix) * p->ch_in + c];
                s += v;
                n++;
                m = v > m ? v : m;
              }
          y[((int64_t) oy * p->dim_out_x + ox) * p->ch_in + c]
            = (int32_t) (max ? m : floor_div (2 * s + n, 2 * n));
        }
}

void
fb_ref_avgpool2d (const int32_t *x, int32_t *y, const FbConvParams *p, int count_include_pad)
{
  pool2d (x, y, p, 0, count_include_pad);
}

void
fb_ref_maxpool2d (const int32_t *x, int32_t *y, const FbConvParams *p)
{
  pool2d (x, y, p, 1, 0);
}

/* fb-kernel-bench.c — deterministic workloads for the kernel benchmark and cross-checks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-bench.h"

#include <stdlib.h>
#include <string.h>

#include "fb-kernel-workload.h"
#include "fb-kernel-pack.h"
#include "fb-kernel-ref.h"

/* uniform in [lo, hi] (hi - lo < 2^32) */
static int64_t
rng_range (uint32_t *s, int64_t lo, int64_t hi)
{
  return lo + (int64_t) (fb_kernel_workload_random (s) % (uint32_t) (hi - lo + 1));
}

static int32_t
round_up (int32_t v, int32_t m)
{
  return (v + m - 1) / m * m;
}

void
fb_kernel_bench_standard_shape (FbKernelFamily family, FbKernelBenchShape *shape)
{
  memset (shape, 0, sizeof *shape);
  switch (family)
    {
    case FB_KERNEL_FAMILY_CONV:
    case FB_KERNEL_FAMILY_DEPTHWISE:
      shape->conv.dim_in_x = 16;
      shape->conv.dim_in_y = 16;
      shape->conv.ch_in = 32;
      shape->conv.ch_out = 32;
      shape->conv.dim_kernel_x = 3;
      shape->conv.dim_kernel_y = 3;
      shape->conv.pad_top = shape->conv.pad_bottom = 1;
      shape->conv.pad_left = shape->conv.pad_right = 1;
      shape->conv.stride_x = shape->conv.stride_y = 1;
      break;
    case FB_KERNEL_FAMILY_LINEAR:
      shape->dim_vec = 256;
      shape->num_o = 64;
      /* an MCU build measures what a bundle runs: weights laid out at export time */
      shape->flags = FB_KERNEL_SCALAR_BUILD ? FB_KERNEL_FLAG_PREPARED_WEIGHTS : 0;
      break;
    case FB_KERNEL_FAMILY_LINEAR_I32:
      shape->dim_vec = 256;
      shape->num_o = 16;
      shape->flags = FB_KERNEL_SCALAR_BUILD ? FB_KERNEL_FLAG_PREPARED_WEIGHTS : 0;
      break;
    case FB_KERNEL_FAMILY_ADD:
      shape->dim_x = 16;
      shape->dim_y = 16;
      shape->ch = 32;
      break;
    case FB_KERNEL_FAMILY_AVGPOOL:
      shape->dim_x = 8;
      shape->dim_y = 8;
      shape->ch = 64;
      break;
    case FB_KERNEL_FAMILY_AVGPOOL2D:
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      /* 16x16x32, 3x3 stride 2 pad 1 (a stem's max pool) */
      shape->conv.dim_in_x = 16;
      shape->conv.dim_in_y = 16;
      shape->conv.ch_in = shape->conv.ch_out = 32;
      shape->conv.dim_kernel_x = shape->conv.dim_kernel_y = 3;
      shape->conv.pad_top = shape->conv.pad_bottom = 1;
      shape->conv.pad_left = shape->conv.pad_right = 1;
      shape->conv.stride_x = shape->conv.stride_y = 2;
      break;
    default:
      break;
    }
}

int
fb_kernel_bench_suite (size_t i, FbKernelFamily *family, const char **shape_name,
                       FbKernelBenchShape *shape)
{
  if (i < (size_t) FB_KERNEL_N_FAMILIES)
    {
      *family = (FbKernelFamily) i;
      *shape_name = "std";
      fb_kernel_bench_standard_shape (*family, shape);
      return 1;
    }
  if (i == (size_t) FB_KERNEL_N_FAMILIES || i == (size_t) FB_KERNEL_N_FAMILIES + 1)
    {
      const int pointwise = i == (size_t) FB_KERNEL_N_FAMILIES + 1;
      *family = FB_KERNEL_FAMILY_CONV;
      *shape_name = pointwise ? "64x64-1x1" : "64x64-3x3";
      fb_kernel_bench_standard_shape (FB_KERNEL_FAMILY_CONV, shape);
      shape->conv.ch_in = shape->conv.ch_out = 64;
      if (pointwise)
        {
          shape->conv.dim_kernel_x = shape->conv.dim_kernel_y = 1;
          shape->conv.pad_top = shape->conv.pad_bottom = 0;
          shape->conv.pad_left = shape->conv.pad_right = 0;
        }
      return 1;
    }
  /* the standard conv with a signed output (a layer without ReLU) and with a signed input */
  if (i == (size_t) FB_KERNEL_N_FAMILIES + 2 || i == (size_t) FB_KERNEL_N_FAMILIES + 3)
    {
      const int signed_in = i == (size_t) FB_KERNEL_N_FAMILIES + 3;
      *family = FB_KERNEL_FAMILY_CONV;
      *shape_name = signed_in ? "std-signed-in-out" : "std-signed-out";
      fb_kernel_bench_standard_shape (FB_KERNEL_FAMILY_CONV, shape);
      shape->flags = FB_KERNEL_FLAG_SIGNED_OUT | (signed_in ? FB_KERNEL_FLAG_SIGNED_IN : 0);
      return 1;
    }
  /* a stride-2 depthwise (the MobileNets' downsampling layers): 32x32x32 3x3 pad 1 -> 16x16 */
  if (i == (size_t) FB_KERNEL_N_FAMILIES + 4)
    {
      *family = FB_KERNEL_FAMILY_DEPTHWISE;
      *shape_name = "s2-32x32";
      fb_kernel_bench_standard_shape (FB_KERNEL_FAMILY_DEPTHWISE, shape);
      shape->conv.dim_in_x = shape->conv.dim_in_y = 32;
      shape->conv.stride_x = shape->conv.stride_y = 2;
      return 1;
    }
  return 0;
}

uint32_t
fb_kernel_bench_seed (size_t suite_index, size_t variant)
{
  return 0x600DBE7u + (uint32_t) (suite_index * 100 + variant);
}

void
fb_kernel_bench_clear (FbKernelBenchCase *c)
{
  free (c->input);
  free (c->input2);
  free (c->weights);
  free (c->output);
  free (c->kappa);
  free (c->lambda);
  free (c->bias);
  free (c->output32);
  free (c->buffer);
  free (c->ref_x);
  free (c->ref_x2);
  free (c->ref_w);
  free (c->ref_y);
  memset (c, 0, sizeof *c);
}

static int32_t *
random_values (uint32_t *s, size_t n, int32_t lo, int32_t hi)
{
  int32_t *v = (int32_t *) malloc ((n ? n : 1) * sizeof (int32_t));
  size_t i;
  if (v != NULL)
    for (i = 0; i < n; i++)
      v[i] = (int32_t) rng_range (s, lo, hi);
  return v;
}

/* random_values(), or with `extremes` only the ends of [lo, hi]: hi `top` times in 4 */
static int32_t *
operand_values (uint32_t *s, size_t n, int32_t lo, int32_t hi, int extremes, uint32_t top)
{
  int32_t *v;
  size_t i;
  if (!extremes)
    return random_values (s, n, lo, hi);
  v = (int32_t *) malloc ((n ? n : 1) * sizeof (int32_t));
  if (v != NULL)
    for (i = 0; i < n; i++)
      v[i] = (fb_kernel_workload_random (s) >> 7) % 4u < top ? hi : lo;
  return v;
}

/* An unsigned activation tensor as a ReLU leaves it (trained fmnist-mbv1 layers: 38-73 %
 * zeros): 0 half the time, else uniform in [0, hi]; signed inputs and `extremes` as
 * operand_values(). */
static int32_t *
input_values (uint32_t *s, size_t n, int32_t lo, int32_t hi, int extremes)
{
  int32_t *v;
  size_t i;
  if (extremes || lo < 0)
    return operand_values (s, n, lo, hi, extremes, 3);
  v = (int32_t *) malloc ((n ? n : 1) * sizeof (int32_t));
  if (v != NULL)
    for (i = 0; i < n; i++)
      v[i] = (fb_kernel_workload_random (s) >> 9) & 1u ? (int32_t) rng_range (s, 0, hi) : 0;
  return v;
}

static uint8_t *
pack_u (const int32_t *v, size_t n, int bits)
{
  uint8_t *tmp = (uint8_t *) malloc (n ? n : 1);
  uint8_t *out = (uint8_t *) malloc (fb_kernel_packed_bytes (n, bits) + 1);
  size_t i;
  if (tmp == NULL || out == NULL)
    {
      free (tmp);
      free (out);
      return NULL;
    }
  /* two's complement for signed values: the low bits */
  for (i = 0; i < n; i++)
    tmp[i] = (uint8_t) ((uint32_t) v[i] & ((1u << bits) - 1u));
  fb_kernel_pack_unsigned (tmp, n, bits, out);
  free (tmp);
  return out;
}

static int8_t *
to_i8 (const int32_t *v, size_t n)
{
  int8_t *t = (int8_t *) malloc (n ? n : 1);
  size_t i;
  if (t != NULL)
    for (i = 0; i < n; i++)
      t[i] = (int8_t) v[i];
  return t;
}

/* Mean and variance of the values input_values() draws from [lo, hi]. */
static void
input_moments (int32_t lo, int32_t hi, int extremes, double *mean, double *var)
{
  double sq;
  if (extremes)
    {
      *mean = (3.0 * hi + lo) / 4.0;
      sq = (3.0 * hi * hi + (double) lo * lo) / 4.0;
    }
  else
    {
      const double n = (double) hi - (double) lo + 1.0;
      *mean = ((double) lo + (double) hi) / 2.0;
      sq = (n * n - 1.0) / 12.0 + *mean * *mean;
      if (lo >= 0)   /* zero half the time */
        {
          *mean /= 2.0;
          sq /= 2.0;
        }
    }
  *var = sq - *mean * *mean;
}

static uint32_t
isqrt64 (uint64_t v)
{
  uint64_t r = 0, b = (uint64_t) 1 << 62;
  while (b > v)
    b >>= 2;
  for (; b != 0; b >>= 2)
    if (v >= r + b)
      {
        v -= r + b;
        r = (r >> 1) + b;
      }
    else
      r >>= 1;
  return (uint32_t) r;
}

/* Requantization parameters of a trained, batch-normalized layer, made as the quantizer
 * (src/nn/fb-int-network.c, choose_shift()) makes them: a real scale mul[c] and offset[c]
 * per channel, then the largest shift d <= 31 for which every kappa = mul * 2^d and lambda =
 * offset * 2^d + 2^(d-1) fit int32 (so kappa is near 2^30 unless an offset bounds d, as in
 * trained layers: fmnist-mbv1 has d 21-30). mul and offset normalize channel c's
 * accumulator over its weights w[c * k_len ...] and the inputs' mean and variance (x_mean,
 * x_var): unsigned outputs (a ReLU) zero a little over half the time (mean + 0.15 sigma at
 * 0.5), mean + 2.5 sigma at the top of [0, 2^O - 1] (trained fmnist-mbv1 layers: 38-73 %
 * zeros, 0-3 % at the top); signed outputs centred, +- 2.5 sigma over their range. Per
 * channel a random factor in [0.75, 1.25) on kappa and an offset of up to 1/16 of the range
 * on lambda. Exact double operations and integers only, so the host and the rv32imc ELF make
 * the same values. */
static int
fill_requant (uint32_t *s, int32_t n, int out_bits, int signed_out, int32_t k_len,
              const int32_t *w, double x_mean, double x_var, int32_t *kappa, int32_t *lambda,
              int32_t *shift)
{
  const double levels = (double) ((1 << out_bits) - 1);
  /* the zeros and top levels of trained fmnist-mbv1 layers' outputs (200 test images):
   * 8 bits 38-59 % / 0 %, 4 bits 47-65 % / 0.1 %, 2 bits 59-73 % / 1.6-3.2 %; z0 makes
   * about 48 %, 56 % and 69 % zeros of the bench's random operands) */
  const double z0 = out_bits >= 8 ? 0.0 : out_bits >= 4 ? 0.18 : 0.75;
  const double z1 = out_bits >= 8 ? 3.5 : out_bits >= 4 ? 3.1 : 2.05;
  double *mul = (double *) malloc ((size_t) (n > 0 ? n : 1) * 2 * sizeof (double));
  double *off = mul + (n > 0 ? n : 1);
  double top = 0.0;   /* the largest |kappa| and |lambda| per 2^d */
  int d;
  int32_t i, k;
  if (mul == NULL)
    return -1;
  for (i = 0; i < n; i++)
    {
      const int32_t *wc = w + (size_t) i * (size_t) k_len;
      int64_t s1 = 0, s2 = 0;
      double sd;
      for (k = 0; k < k_len; k++)
        {
          s1 += wc[k];
          s2 += (int64_t) wc[k] * wc[k];
        }
      sd = (double) isqrt64 ((uint64_t) (x_var * (double) s2) + 1u);
      /* unsigned: output 0 below mean + z0 sd, the top level from mean + z1 sd on */
      mul[i] = (signed_out ? levels / (5.0 * sd) : (levels - 1.0) / ((z1 - z0) * sd))
               * (0.75 + (double) (fb_kernel_workload_random (s) % 512u) / 1024.0);
      off[i] = signed_out ? -mul[i] * x_mean * (double) s1 - 0.5
                          : 0.5 - mul[i] * (x_mean * (double) s1 + z0 * sd);
      off[i] += levels * ((double) (fb_kernel_workload_random (s) % 1025u) - 512.0) / 16384.0;
      if (mul[i] > top)
        top = mul[i];
      if ((off[i] < 0 ? -off[i] : off[i]) + 0.5 > top)
        top = (off[i] < 0 ? -off[i] : off[i]) + 0.5;
    }
  for (d = 31; d > 1 && top * (double) ((int64_t) 1 << d) > 2147483000.0; d--)
    ;
  for (i = 0; i < n; i++)
    {
      const double p = (double) ((int64_t) 1 << d);
      kappa[i] = (int32_t) (mul[i] * p);
      lambda[i] = (int32_t) (off[i] * p + (double) ((int64_t) 1 << (d - 1)));
      if (kappa[i] < 1)
        kappa[i] = 1;
    }
  free (mul);
  *shift = d;
  return 0;
}

/* Windowed pools. */
static int
setup_pool2d (FbKernelBenchCase *c, const FbKernelBenchShape *shape, uint32_t s,
             int A, int O, int W, int32_t xlo, int32_t xhi)
{
  FbConvParams *p = &c->shape.conv;
  size_t n_in, n_out;
  if (p->stride_x < 1 || p->stride_y < 1 || p->dim_kernel_x < 1 || p->dim_kernel_y < 1)
    return -1;
  p->ch_in = p->ch_out = round_up (p->ch_in, 8 / A);
  p->dim_out_x = (p->dim_in_x + p->pad_left + p->pad_right - p->dim_kernel_x) / p->stride_x
                 + 1;
  p->dim_out_y = (p->dim_in_y + p->pad_top + p->pad_bottom - p->dim_kernel_y) / p->stride_y
                 + 1;
  p->flag_relu = shape->flags;
  if (fb_pool2d_check_params (A, p) != FB_KERNEL_OK)
    return -1;
  n_in = (size_t) p->dim_in_x * (size_t) p->dim_in_y * (size_t) p->ch_in;
  n_out = (size_t) p->dim_out_x * (size_t) p->dim_out_y * (size_t) p->ch_in;
  c->ref_x = random_values (&s, n_in, xlo, xhi);
  c->ref_y = (int32_t *) malloc (n_out * sizeof (int32_t));
  c->input = pack_u (c->ref_x, n_in, A);
  c->input_bytes = fb_kernel_packed_bytes (n_in, A);
  c->output_bytes = fb_kernel_packed_bytes (n_out, A);
  c->output = (uint8_t *) malloc (c->output_bytes);
  if (c->ref_x == NULL || c->ref_y == NULL || c->input == NULL || c->output == NULL)
    return -1;
  c->work = (uint64_t) n_out * (uint64_t) p->dim_kernel_x * (uint64_t) p->dim_kernel_y;
  return 0;
}

/* Conv and depthwise; a conv with FB_KERNEL_FLAG_PREPARED_WEIGHTS gets its weights laid out
 * by fb_conv_prepare_weights(), as an exported bundle stores them. */
static int
setup_conv (FbKernelBenchCase *c, const FbKernelBenchShape *shape, uint32_t s,
           int A, int O, int W, int32_t xlo, int32_t xhi)
{
  FbConvParams *p = &c->shape.conv;
  const int dw = c->family == FB_KERNEL_FAMILY_DEPTHWISE;
  size_t n_in, n_out, n_w, k_len;
  double xm, xv;
  int8_t *w8;
  if (p->stride_x < 1 || p->stride_y < 1 || p->dim_kernel_x < 1 || p->dim_kernel_y < 1)
    return -1;
  if (dw)
    {
      int32_t m = 8 / A > 8 / O ? 8 / A : 8 / O;
      m = m > 8 / W ? m : 8 / W;
      p->ch_in = p->ch_out = round_up (p->ch_in, m);
    }
  else
    {
      p->ch_in = round_up (p->ch_in, 8 / A);
      p->ch_out = round_up (p->ch_out, 8 / O);
    }
  p->dim_out_x = (p->dim_in_x + p->pad_left + p->pad_right - p->dim_kernel_x) / p->stride_x
                 + 1;
  p->dim_out_y = (p->dim_in_y + p->pad_top + p->pad_bottom - p->dim_kernel_y) / p->stride_y
                 + 1;
  p->flag_relu |= shape->flags;
  if (fb_conv_check_params (A, O, W, dw, p) != FB_KERNEL_OK)
    return -1;
  n_in = (size_t) p->dim_in_x * (size_t) p->dim_in_y * (size_t) p->ch_in;
  n_out = (size_t) p->dim_out_x * (size_t) p->dim_out_y * (size_t) p->ch_out;
  k_len = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y * (dw ? 1 : (size_t) p->ch_in);
  n_w = k_len * (size_t) p->ch_out;
  c->ref_x = input_values (&s, n_in, xlo, xhi, shape->extremes);
  c->ref_w = operand_values (&s, n_w, -(1 << (W - 1)), (1 << (W - 1)) - 1, shape->extremes, 2);
  c->ref_y = (int32_t *) malloc (n_out * sizeof (int32_t));
  c->kappa = (int32_t *) malloc ((size_t) p->ch_out * sizeof (int32_t));
  c->lambda = (int32_t *) malloc ((size_t) p->ch_out * sizeof (int32_t));
  if (c->ref_x == NULL || c->ref_w == NULL || c->ref_y == NULL || c->kappa == NULL
      || c->lambda == NULL)
    return -1;
  input_moments (xlo, xhi, shape->extremes, &xm, &xv);
  if (fill_requant (&s, p->ch_out, O, (p->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0,
                    (int32_t) k_len, c->ref_w, xm, xv, c->kappa, c->lambda, &p->out_shift) != 0)
    return -1;
  c->input = pack_u (c->ref_x, n_in, A);
  c->input_bytes = fb_kernel_packed_bytes (n_in, A);
  w8 = to_i8 (c->ref_w, n_w);
  if (w8 == NULL)
    return -1;
  if (dw)
    {
      c->weights = (uint8_t *) malloc (fb_kernel_depthwise_weights_bytes (
                                         (size_t) p->ch_in, (size_t) p->dim_kernel_y,
                                         (size_t) p->dim_kernel_x, W) + 1);
      if (c->weights != NULL)
        fb_kernel_pack_depthwise_weights (w8, (size_t) p->ch_in, (size_t) p->dim_kernel_y,
                                          (size_t) p->dim_kernel_x, W, c->weights);
      c->buffer_size = fb_depthwise_get_buffer_size (A, O, W, p);
    }
  else
    {
      c->weights = (uint8_t *) malloc (fb_kernel_conv_weights_bytes ((size_t) p->ch_out,
                                                                     k_len, W) + 1);
      if (c->weights != NULL)
        fb_kernel_pack_conv_weights (w8, (size_t) p->ch_out, k_len, W, c->weights);
      if (c->weights != NULL && (p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS))
        {
          /* malloc's alignment suits the prepared words */
          uint8_t *prep = (uint8_t *) malloc (fb_conv_prepared_weights_size (A, O, W, p) + 1);
          if (prep == NULL || fb_conv_prepare_weights (A, O, W, p, c->weights, prep) != FB_KERNEL_OK)
            {
              free (prep);
              free (w8);
              return -1;
            }
          free (c->weights);
          c->weights = prep;
        }
      c->buffer_size = fb_conv_get_buffer_size (A, O, W, p);
    }
  free (w8);
  c->output_bytes = fb_kernel_packed_bytes (n_out, O);
  c->output = (uint8_t *) malloc (c->output_bytes);
  c->buffer = malloc (c->buffer_size ? c->buffer_size : 1);
  if (c->input == NULL || c->weights == NULL || c->output == NULL || c->buffer == NULL)
    return -1;
  c->work = fb_conv_macs (p, dw);
  c->out_shift = p->out_shift;
  return 0;
}

/* Linear, quantized or int32 output. */
static int
setup_linear (FbKernelBenchCase *c, const FbKernelBenchShape *shape, uint32_t s,
             int A, int O, int W, int32_t xlo, int32_t xhi)
{
  const int i32 = c->family == FB_KERNEL_FAMILY_LINEAR_I32;
  int8_t *w8;
  size_t n_w;
  double xm, xv;
  c->shape.dim_vec = round_up (c->shape.dim_vec, 8 / A);
  if (!i32)
    c->shape.num_o = round_up (c->shape.num_o, 8 / O);
  if (c->shape.dim_vec < 1 || c->shape.num_o < 1
      || c->shape.dim_vec > FB_KERNEL_MAX_REDUCTION || c->shape.num_o > FB_KERNEL_MAX_DIM)
    return -1;
  n_w = (size_t) c->shape.dim_vec * (size_t) c->shape.num_o;
  c->ref_x = input_values (&s, (size_t) c->shape.dim_vec, xlo, xhi, shape->extremes);
  c->ref_w = operand_values (&s, n_w, -(1 << (W - 1)), (1 << (W - 1)) - 1, shape->extremes, 2);
  c->ref_y = (int32_t *) malloc ((size_t) c->shape.num_o * sizeof (int32_t));
  if (c->ref_x == NULL || c->ref_w == NULL || c->ref_y == NULL)
    return -1;
  if (i32)
    {
      c->bias = random_values (&s, (size_t) c->shape.num_o, -100000, 100000);
      c->output32 = (int32_t *) malloc ((size_t) c->shape.num_o * sizeof (int32_t));
      c->output_bytes = (size_t) c->shape.num_o * 4;
      if (c->bias == NULL || c->output32 == NULL)
        return -1;
    }
  else
    {
      c->kappa = (int32_t *) malloc ((size_t) c->shape.num_o * sizeof (int32_t));
      c->lambda = (int32_t *) malloc ((size_t) c->shape.num_o * sizeof (int32_t));
      c->output_bytes = fb_kernel_packed_bytes ((size_t) c->shape.num_o, O);
      c->output = (uint8_t *) malloc (c->output_bytes);
      if (c->kappa == NULL || c->lambda == NULL || c->output == NULL)
        return -1;
      input_moments (xlo, xhi, shape->extremes, &xm, &xv);
      if (fill_requant (&s, c->shape.num_o, O, (c->shape.flags & FB_KERNEL_FLAG_SIGNED_OUT) != 0,
                        c->shape.dim_vec, c->ref_w, xm, xv, c->kappa, c->lambda,
                        &c->out_shift) != 0)
        return -1;
    }
  c->input = pack_u (c->ref_x, (size_t) c->shape.dim_vec, A);
  c->input_bytes = fb_kernel_packed_bytes ((size_t) c->shape.dim_vec, A);
  w8 = to_i8 (c->ref_w, n_w);
  c->weights = (uint8_t *) malloc (fb_kernel_conv_weights_bytes (
                                     (size_t) c->shape.num_o, (size_t) c->shape.dim_vec, W)
                                   + 1);
  if (w8 == NULL || c->weights == NULL || c->input == NULL)
    {
      free (w8);
      return -1;
    }
  fb_kernel_pack_conv_weights (w8, (size_t) c->shape.num_o, (size_t) c->shape.dim_vec, W,
                               c->weights);
  free (w8);
  if (c->shape.flags & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
    {
      const size_t np = fb_linear_prepared_weights_size (A, i32 ? 32 : O, W, c->shape.dim_vec,
                                                         c->shape.num_o);
      uint8_t *prep = (uint8_t *) malloc (np + 1);   /* malloc's alignment suits the words */
      if (prep == NULL || fb_linear_prepare_weights (A, i32 ? 32 : O, W, c->shape.dim_vec,
                                                     c->shape.num_o, c->weights, prep)
                            != FB_KERNEL_OK)
        {
          free (prep);
          return -1;
        }
      free (c->weights);
      c->weights = prep;
    }
  c->buffer_size = fb_linear_get_buffer_size (A, i32 ? 32 : O, W, c->shape.dim_vec,
                                              c->shape.num_o);
  c->buffer = malloc (c->buffer_size ? c->buffer_size : 1);
  if (c->buffer == NULL)
    return -1;
  c->work = (uint64_t) c->shape.dim_vec * (uint64_t) c->shape.num_o;
  return 0;
}

/* Residual add and global average pool. */
static int
setup_add_pool (FbKernelBenchCase *c, const FbKernelBenchShape *shape, uint32_t s,
               int A, int O, int W, int32_t xlo, int32_t xhi)
{
  const int add = c->family == FB_KERNEL_FAMILY_ADD;
  const int B = add ? W : A;   /* add: w_bits holds the second input's bits */
  size_t n;
  int32_t m = 8 / A > 8 / O ? 8 / A : 8 / O;
  m = m > 8 / B ? m : 8 / B;
  c->shape.ch = round_up (c->shape.ch, m);
  if (c->shape.dim_x < 1 || c->shape.dim_y < 1 || c->shape.ch < 1)
    return -1;
  n = (size_t) c->shape.dim_x * (size_t) c->shape.dim_y * (size_t) c->shape.ch;
  c->ref_x = random_values (&s, n, xlo, xhi);
  c->input = pack_u (c->ref_x, n, A);
  c->input_bytes = fb_kernel_packed_bytes (n, A);
  if (add)
    {
      const int d = 16;
      if (shape->flags & FB_KERNEL_FLAG_SIGNED_IN2)
        c->ref_x2 = random_values (&s, n, -(1 << (B - 1)), (1 << (B - 1)) - 1);
      else
        c->ref_x2 = random_values (&s, n, 0, (1 << B) - 1);
      c->input2 = pack_u (c->ref_x2, n, B);
      c->ref_y = (int32_t *) malloc (n * sizeof (int32_t));
      c->output_bytes = fb_kernel_packed_bytes (n, O);
      /* scales so that y covers [0, 2^O - 1] */
      c->m1 = (int32_t) (((int64_t) 1 << d) * ((1 << O) - 1) / ((1 << A) - 1) / 2);
      c->m2 = (int32_t) (((int64_t) 1 << d) * ((1 << O) - 1) / ((1 << B) - 1) / 2);
      c->out_shift = d;
    }
  else
    {
      c->ref_y = (int32_t *) malloc ((size_t) c->shape.ch * sizeof (int32_t));
      c->output_bytes = fb_kernel_packed_bytes ((size_t) c->shape.ch, A);
    }
  c->output = (uint8_t *) malloc (c->output_bytes);
  if (c->ref_x == NULL || c->input == NULL || c->ref_y == NULL || c->output == NULL
      || (add && (c->ref_x2 == NULL || c->input2 == NULL)))
    return -1;
  c->work = (uint64_t) n;
  return 0;
}

int
fb_kernel_bench_setup (FbKernelBenchCase *c, FbKernelFamily family, size_t variant,
                       const FbKernelBenchShape *shape, uint32_t seed)
{
  size_t nv = 0;
  const FbKernelVariant *vars = fb_kernel_family_variants (family, &nv);
  const FbKernelVariant *v;
  uint32_t s = seed ? seed : 0x9E3779B9u;
  int A, O, W;
  int32_t xlo, xhi;
  int st = -1;

  memset (c, 0, sizeof *c);
  if (vars == NULL || variant >= nv || shape == NULL)
    return -1;
  v = &vars[variant];
  c->family = family;
  c->variant = v;
  c->shape = *shape;
  A = v->in_bits;
  O = v->out_bits;
  W = v->w_bits;
  /* the input's grid (add: input1) */
  xlo = shape->flags & FB_KERNEL_FLAG_SIGNED_IN ? -(1 << (A - 1)) : 0;
  xhi = shape->flags & FB_KERNEL_FLAG_SIGNED_IN ? (1 << (A - 1)) - 1 : (1 << A) - 1;

  if (family == FB_KERNEL_FAMILY_AVGPOOL2D || family == FB_KERNEL_FAMILY_MAXPOOL2D)
    st = setup_pool2d (c, shape, s, A, O, W, xlo, xhi);
  else if (family == FB_KERNEL_FAMILY_CONV || family == FB_KERNEL_FAMILY_DEPTHWISE)
    st = setup_conv (c, shape, s, A, O, W, xlo, xhi);
  else if (family == FB_KERNEL_FAMILY_LINEAR || family == FB_KERNEL_FAMILY_LINEAR_I32)
    st = setup_linear (c, shape, s, A, O, W, xlo, xhi);
  else if (family == FB_KERNEL_FAMILY_ADD || family == FB_KERNEL_FAMILY_AVGPOOL)
    st = setup_add_pool (c, shape, s, A, O, W, xlo, xhi);
  if (st != 0)
    fb_kernel_bench_clear (c);
  return st;
}

FbKernelStatus
fb_kernel_bench_run (FbKernelBenchCase *c)
{
  const FbKernelVariant *v = c->variant;
  const FbKernelBenchShape *sh = &c->shape;
  switch (c->family)
    {
    case FB_KERNEL_FAMILY_CONV:
      return fb_conv_lookup (v->in_bits, v->out_bits, v->w_bits) (
        c->input, c->weights, c->kappa, c->lambda, c->output, &sh->conv, c->buffer,
        c->buffer_size);
    case FB_KERNEL_FAMILY_DEPTHWISE:
      return fb_depthwise_lookup (v->in_bits, v->out_bits, v->w_bits) (
        c->input, c->weights, c->kappa, c->lambda, c->output, &sh->conv, c->buffer,
        c->buffer_size);
    case FB_KERNEL_FAMILY_LINEAR:
      return fb_linear_lookup (v->in_bits, v->out_bits, v->w_bits) (
        c->input, c->weights, c->kappa, c->lambda, c->output, sh->dim_vec, sh->num_o,
        c->out_shift, sh->flags, c->buffer, c->buffer_size);
    case FB_KERNEL_FAMILY_LINEAR_I32:
      return fb_linear_i32_lookup (v->in_bits, v->w_bits) (
        c->input, c->weights, c->bias, c->output32, sh->dim_vec, sh->num_o, sh->flags, c->buffer,
        c->buffer_size);
    case FB_KERNEL_FAMILY_ADD:
      return fb_add_lookup (v->in_bits, v->w_bits, v->out_bits) (
        c->input, c->input2, c->output, sh->dim_x, sh->dim_y, sh->ch, c->m1, c->m2,
        c->out_shift, sh->flags);
    case FB_KERNEL_FAMILY_AVGPOOL:
      return fb_avgpool_lookup (v->in_bits) (c->input, c->output, sh->dim_x, sh->dim_y, sh->ch,
                                             sh->flags);
    case FB_KERNEL_FAMILY_AVGPOOL2D:
      return fb_avgpool2d_lookup (v->in_bits) (c->input, c->output, &sh->conv);
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      return fb_maxpool2d_lookup (v->in_bits) (c->input, c->output, &sh->conv);
    default:
      return FB_KERNEL_ERROR_NULL;
    }
}

/* Whether the case's output is signed: pools follow their input, the rest the flag. */
static int
output_signed (const FbKernelBenchCase *c)
{
  if (c->family == FB_KERNEL_FAMILY_AVGPOOL || c->family == FB_KERNEL_FAMILY_AVGPOOL2D
      || c->family == FB_KERNEL_FAMILY_MAXPOOL2D)
    return (c->shape.flags & FB_KERNEL_FLAG_SIGNED_IN) != 0;
  return (c->shape.flags & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
}

void
fb_kernel_bench_run_ref (FbKernelBenchCase *c)
{
  const FbKernelVariant *v = c->variant;
  const FbKernelBenchShape *sh = &c->shape;
  const int so = output_signed (c);
  switch (c->family)
    {
    case FB_KERNEL_FAMILY_CONV:
      fb_ref_conv (c->ref_x, c->ref_w, c->kappa, c->lambda, c->ref_y, &sh->conv, v->out_bits,
                   so);
      break;
    case FB_KERNEL_FAMILY_DEPTHWISE:
      fb_ref_depthwise (c->ref_x, c->ref_w, c->kappa, c->lambda, c->ref_y, &sh->conv,
                        v->out_bits, so);
      break;
    case FB_KERNEL_FAMILY_LINEAR:
      fb_ref_linear (c->ref_x, c->ref_w, c->kappa, c->lambda, c->ref_y, sh->dim_vec, sh->num_o,
                     c->out_shift, v->out_bits, so);
      break;
    case FB_KERNEL_FAMILY_LINEAR_I32:
      fb_ref_linear_i32 (c->ref_x, c->ref_w, c->bias, c->ref_y, sh->dim_vec, sh->num_o,
                         sh->flags & FB_KERNEL_FLAG_RELU);
      break;
    case FB_KERNEL_FAMILY_ADD:
      fb_ref_add (c->ref_x, c->ref_x2, c->ref_y,
                  (int64_t) sh->dim_x * sh->dim_y * sh->ch, c->m1, c->m2, c->out_shift,
                  v->out_bits, so);
      break;
    case FB_KERNEL_FAMILY_AVGPOOL:
      fb_ref_avgpool (c->ref_x, c->ref_y, sh->dim_x, sh->dim_y, sh->ch);
      break;
    case FB_KERNEL_FAMILY_AVGPOOL2D:
      fb_ref_avgpool2d (c->ref_x, c->ref_y, &sh->conv,
                        (sh->flags & FB_KERNEL_FLAG_COUNT_INCLUDE_PAD) != 0);
      break;
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      fb_ref_maxpool2d (c->ref_x, c->ref_y, &sh->conv);
      break;
    default:
      break;
    }
}

int
fb_kernel_bench_matches_ref (const FbKernelBenchCase *c)
{
  size_t n, i;
  int bits;
  if (c->family == FB_KERNEL_FAMILY_LINEAR_I32)
    {
      for (i = 0; i < (size_t) c->shape.num_o; i++)
        if (c->output32[i] != c->ref_y[i])
          return 0;
      return 1;
    }
  bits = c->variant->out_bits;
  n = c->output_bytes * 8 / (size_t) bits;
  for (i = 0; i < n; i++)
    {
      size_t bit = i * (size_t) bits;
      int32_t y = (int32_t) ((c->output[bit / 8] >> (bit % 8)) & ((1u << bits) - 1u));
      if (output_signed (c) && y >= 1 << (bits - 1))
        y -= 1 << bits;
      if (y != c->ref_y[i])
        return 0;
    }
  return 1;
}

uint32_t
fb_kernel_bench_output_hash (const FbKernelBenchCase *c)
{
  return fb_kernel_workload_output_hash (c->family, c->output, c->output_bytes, c->output32,
                                (size_t) c->shape.num_o);
}

/* fb-kernel-linear.c — fully connected: fb_linear_uI_uO_iW (27 variants, requantized output)
 * and fb_linear_uI_i32_iW (9 variants, int32 logits).  One template for both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input vector is unpacked once into the scratch buffer; output neurons are computed 4 at
 * a time so that 4 dot products share every activation load.  Host: the 4 weight rows are
 * unpacked to int16 in the scratch buffer and the dot products vectorized.  Scalar path:
 * weights are read straight from the packed rows (each weight is used once), sub-byte values
 * extracted from their bytes in registers.
 */
#include "fb-kernel-internal.h"

#if FB_KI_SCALAR
typedef uint8_t fb_lin_x_t;
typedef int8_t fb_lin_w_t;
#else
typedef int16_t fb_lin_x_t;
typedef int16_t fb_lin_w_t;
#endif

static size_t
linear_buffer_size (FbKernelArch arch, int32_t dim_vec)
{
  const size_t n = FB_KI_ALIGN_UP ((size_t) dim_vec, 16);
  if (arch == FB_KERNEL_ARCH_HOST)
    return 64 + n * 2 + 4 * n * 2;   /* int16 input + 4 int16 weight rows */
  return 4 + n;                      /* uint8 input */
}

size_t
fb_linear_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits, int w_bits,
                                    int32_t dim_vec, int32_t num_o_neurons)
{
  if (fb_ki_check_linear (in_bits, out_bits, w_bits, dim_vec, num_o_neurons, 0) != FB_KERNEL_OK)
    return 0;
  if (arch != FB_KERNEL_ARCH_HOST && arch != FB_KERNEL_ARCH_SCALAR)
    return 0;
  return linear_buffer_size (arch, dim_vec);
}

size_t
fb_linear_get_buffer_size (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                           int32_t num_o_neurons)
{
  return fb_linear_get_buffer_size_for_arch (FB_KI_ARCH, in_bits, out_bits, w_bits, dim_vec,
                                             num_o_neurons);
}

#if !FB_KI_SCALAR
FB_KI_INLINE void
lin_dot4 (const fb_lin_x_t *FB_KI_RESTRICT x, const fb_lin_w_t *FB_KI_RESTRICT w0,
          const fb_lin_w_t *FB_KI_RESTRICT w1, const fb_lin_w_t *FB_KI_RESTRICT w2,
          const fb_lin_w_t *FB_KI_RESTRICT w3, int32_t n, int32_t acc[4])
{
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, k;
  for (k = 0; k < n; k++)
    {
      const int32_t a = x[k];
      s0 += a * w0[k];
      s1 += a * w1[k];
      s2 += a * w2[k];
      s3 += a * w3[k];
    }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}
#endif

FB_KI_INLINE void
fb_ki_unpack_x (const int A, const uint8_t *src, int32_t n, fb_lin_x_t *dst)
{
#if FB_KI_SCALAR
  fb_ki_unpack_u_u8 (A, src, n, dst, 1);
#else
  fb_ki_unpack_u_i16 (A, src, n, dst, 1);
#endif
}

#if !FB_KI_SCALAR
FB_KI_INLINE void
fb_ki_unpack_w (const int W, const uint8_t *src, int32_t n, fb_lin_w_t *dst)
{
#if FB_KI_SCALAR
  fb_ki_unpack_s_i8 (W, src, n, dst);
#else
  fb_ki_unpack_s_i16 (W, src, n, dst);
#endif
}
#endif

/* 4 dot products of the unpacked input x with 4 packed weight rows of n W-bit values. */
FB_KI_INLINE void
lin_scalar_dot4 (const int W, const fb_lin_x_t *FB_KI_RESTRICT x, const uint8_t *r0,
                 const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, int32_t n,
                 int32_t acc[4])
{
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, k;
  if (W == 8)
    {
      for (k = 0; k < n; k++)
        {
          const int32_t a = x[k];
          s0 += a * (int8_t) r0[k];
          s1 += a * (int8_t) r1[k];
          s2 += a * (int8_t) r2[k];
          s3 += a * (int8_t) r3[k];
        }
    }
  else if (W == 4)
    {
#define FB_LIN_W4(s, r)                                                                       \
  do                                                                                          \
    {                                                                                         \
      const int32_t b = (int8_t) (r)[k / 2];                                                  \
      s += a0 * ((int32_t) ((uint32_t) b << 28) >> 28) + a1 * (b >> 4);                      \
    }                                                                                         \
  while (0)
      for (k = 0; k + 2 <= n; k += 2)
        {
          const int32_t a0 = x[k], a1 = x[k + 1];
          FB_LIN_W4 (s0, r0);
          FB_LIN_W4 (s1, r1);
          FB_LIN_W4 (s2, r2);
          FB_LIN_W4 (s3, r3);
        }
#undef FB_LIN_W4
    }
  else
    {
#define FB_LIN_W2(s, r)                                                                       \
  do                                                                                          \
    {                                                                                         \
      const int32_t b = (int8_t) (r)[k / 4];                                                  \
      s += a0 * ((int32_t) ((uint32_t) b << 30) >> 30) + a1 * ((int32_t) ((uint32_t) b << 28) >> 30) \
           + a2 * ((int32_t) ((uint32_t) b << 26) >> 30) + a3 * (b >> 6);                   \
    }                                                                                         \
  while (0)
      for (k = 0; k + 4 <= n; k += 4)
        {
          const int32_t a0 = x[k], a1 = x[k + 1], a2 = x[k + 2], a3 = x[k + 3];
          FB_LIN_W2 (s0, r0);
          FB_LIN_W2 (s1, r1);
          FB_LIN_W2 (s2, r2);
          FB_LIN_W2 (s3, r3);
        }
#undef FB_LIN_W2
    }
  /* the last partial byte of a sub-byte row */
  for (; k < n; k++)
    {
      const int32_t a = x[k];
      s0 += a * fb_ki_get_s (W, r0, (size_t) k);
      s1 += a * fb_ki_get_s (W, r1, (size_t) k);
      s2 += a * fb_ki_get_s (W, r2, (size_t) k);
      s3 += a * fb_ki_get_s (W, r3, (size_t) k);
    }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}

/* O = 32: int32 output with bias (kappa, lambda unused); otherwise requantized. */
FB_KI_INLINE void
linear_impl (const int A, const int O, const int W, const int SO, const uint8_t *input,
             const uint8_t *weights,
             const int32_t *kappa, const int32_t *lambda, const int32_t *bias, uint8_t *output,
             int32_t *output32, int32_t dim_vec, int32_t num_o, int32_t out_shift,
             int32_t flag_relu, void *buffer)
{
  const size_t n16 = FB_KI_ALIGN_UP ((size_t) dim_vec, 16);
  const size_t rb = fb_kernel_weight_row_bytes ((size_t) dim_vec, W);
  fb_lin_x_t *x = (fb_lin_x_t *) fb_ki_align_ptr (buffer, FB_KI_SCALAR ? 4 : 32);
  int32_t o, e, acc[4];

  fb_ki_unpack_x (A, input, dim_vec, x);
  for (o = 0; o < num_o; o += 4)
    {
      const int32_t m = num_o - o < 4 ? num_o - o : 4;
      if (FB_KI_SCALAR || W < 8)
        {
          /* missing rows of the last group read row o again; their sums are dropped */
          const uint8_t *r0 = weights + (size_t) o * rb;
          lin_scalar_dot4 (W, x, r0, m > 1 ? r0 + rb : r0, m > 2 ? r0 + 2 * rb : r0,
                           m > 3 ? r0 + 3 * rb : r0, dim_vec, acc);
        }
#if !FB_KI_SCALAR
      else
        {
          /* host, 8-bit weights: int16 copies of the 4 rows, vectorized dot products */
          fb_lin_w_t *wr = (fb_lin_w_t *) (x + n16);
          for (e = 0; e < 4; e++)
            {
              if (e < m)
                fb_ki_unpack_w (W, weights + (size_t) (o + e) * rb, dim_vec,
                                wr + (size_t) e * n16);
              else
                memset (wr + (size_t) e * n16, 0, (size_t) dim_vec * sizeof (fb_lin_w_t));
            }
          lin_dot4 (x, wr, wr + n16, wr + 2 * n16, wr + 3 * n16, dim_vec, acc);
        }
#else
      (void) e;
      (void) n16;
#endif
      if (O == 32)
        {
          for (e = 0; e < m; e++)
            {
              int64_t v = (int64_t) acc[e] + (bias != NULL ? bias[o + e] : 0);
              if (v > INT32_MAX)
                v = INT32_MAX;
              if (v < INT32_MIN)
                v = INT32_MIN;
              if ((flag_relu & FB_KERNEL_FLAG_RELU) && v < 0)
                v = 0;
              output32[o + e] = (int32_t) v;
            }
        }
      else
        /* m is a multiple of 8/O, so this writes whole bytes */
        fb_ki_requant_pack_any (O == 32 ? 8 : O, SO, acc, kappa + o, lambda + o, out_shift, m,
                            output + (size_t) o * (size_t) (O == 32 ? 8 : O) / 8);
    }
}

FB_KI_INLINE FbKernelStatus
linear_generic (const int A, const int O, const int W, const uint8_t *input,
                const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                uint8_t *output, int32_t dim_vec, int32_t num_o, int32_t out_shift,
                int32_t flag_relu, void *buffer, size_t buffer_size)
{
  FbKernelStatus st;
  if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_ki_check_linear (A, O, W, dim_vec, num_o, out_shift);
  if (st != FB_KERNEL_OK)
    return st;
  if (buffer == NULL || buffer_size < linear_buffer_size (FB_KI_ARCH, dim_vec))
    return FB_KERNEL_ERROR_BUFFER;
  if (flag_relu & FB_KERNEL_FLAG_SIGNED_IN)
    fb_ki_linear_direct (A, O, W, 1, (flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0, input, weights,
                         kappa, lambda, NULL, output, NULL, dim_vec, num_o, out_shift, 0);
  else if (flag_relu & FB_KERNEL_FLAG_SIGNED_OUT)   /* only the clip differs */
    linear_impl (A, O, W, 1, input, weights, kappa, lambda, NULL, output, NULL, dim_vec, num_o,
                 out_shift, 0, buffer);
  else
    linear_impl (A, O, W, 0, input, weights, kappa, lambda, NULL, output, NULL, dim_vec, num_o,
                 out_shift, 0, buffer);
  return FB_KERNEL_OK;
}

FB_KI_INLINE FbKernelStatus
linear_i32_generic (const int A, const int W, const uint8_t *input, const uint8_t *weights,
                    const int32_t *bias, int32_t *output, int32_t dim_vec, int32_t num_o,
                    int32_t flag_relu, void *buffer, size_t buffer_size)
{
  FbKernelStatus st;
  if (input == NULL || weights == NULL || output == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_ki_check_linear (A, 32, W, dim_vec, num_o, 0);
  if (st != FB_KERNEL_OK)
    return st;
  if (buffer == NULL || buffer_size < linear_buffer_size (FB_KI_ARCH, dim_vec))
    return FB_KERNEL_ERROR_BUFFER;
  if (flag_relu & FB_KERNEL_FLAG_SIGNED_IN)
    fb_ki_linear_direct (A, 32, W, 1, 0, input, weights, NULL, NULL, bias, NULL, output, dim_vec,
                         num_o, 0, flag_relu & FB_KERNEL_FLAG_RELU);
  else
    linear_impl (A, 32, W, 0, input, weights, NULL, NULL, bias, NULL, output, dim_vec, num_o, 0,
                 flag_relu, buffer);
  return FB_KERNEL_OK;
}

#define FB_LINEAR_DEFINE(i, o, w)                                                             \
  FbKernelStatus                                                                              \
  fb_linear_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                 \
                                const int32_t *kappa, const int32_t *lambda, uint8_t *output, \
                                int32_t dim_vec, int32_t num_o_neurons, int32_t out_shift,    \
                                int32_t flag_relu, void *buffer, size_t buffer_size)          \
  {                                                                                           \
    return linear_generic (i, o, w, input, weights, kappa, lambda, output, dim_vec,           \
                           num_o_neurons, out_shift, flag_relu, buffer, buffer_size);         \
  }

#define FB_LINEAR_I32_DEFINE(i, w)                                                            \
  FbKernelStatus                                                                              \
  fb_linear_u##i##_i32_i##w (const uint8_t *input, const uint8_t *weights,                    \
                             const int32_t *bias, int32_t *output, int32_t dim_vec,           \
                             int32_t num_o_neurons, int32_t flag_relu, void *buffer,          \
                             size_t buffer_size)                                              \
  {                                                                                           \
    return linear_i32_generic (i, w, input, weights, bias, output, dim_vec, num_o_neurons,    \
                               flag_relu, buffer, buffer_size);                               \
  }

FB_KERNEL_VARIANTS_IOW (FB_LINEAR_DEFINE)
FB_KERNEL_VARIANTS_IW (FB_LINEAR_I32_DEFINE)

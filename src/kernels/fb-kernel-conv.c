/* fb-kernel-conv.c — the convolution family fb_conv_uI_uO_iW (one template, 27 variants).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Algorithm (both paths): for each output row, the range of kernel rows that fall inside the
 * input is the same for every pixel of the row, so rows entirely in the top/bottom padding
 * are skipped (they are a contiguous part of both the im2col column and the weight row).
 * A block of output pixels is gathered (im2col) with sub-byte activations unpacked to one
 * value per byte/halfword, then multiplied with a block of output channels, register-blocked,
 * and the int32 accumulators are requantized and packed.
 *
 *  - Host path (FB_KERNEL_ARCH_HOST): weights unpacked once per call to int16 rows, im2col of
 *    2 pixels in int16, 2 pixels x 4 channels per block; the k loop is a widening int16 dot
 *    product that the compiler vectorizes (pmaddwd and friends).  An AVX2 copy of it and a
 *    separate AVX-512 VNNI path (fb-kernel-conv-x86.c: vpdpbusd on u8 activations x i8
 *    weights) are selected at run time on x86-64.
 *  - Scalar path (FB_KERNEL_ARCH_SCALAR, RV32IMC): see fb-kernel-conv-scalar.h.
 */
#include "fb-kernel-internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Scratch layouts (computable for either architecture on any build)                          */

#define FB_CONV_HOST_ALIGN 64

static size_t
conv_host_kp (size_t k)
{
  return FB_KI_ALIGN_UP (k, 32);
}

/* VNNI layout: each kernel row's Kx*Cin values padded to a multiple of 4 (groups of 4 u8 x i8
 * products, one vpdpbusd lane); output channels padded to 16 (one zmm). */
#define FB_CONV_VNNI_PX 4 /* output pixels per block */

static size_t
conv_vnni_krow (const FbConvParams *p)
{
  return FB_KI_ALIGN_UP ((size_t) p->dim_kernel_x * (size_t) p->ch_in, 4);
}

/* fb-kernel-conv-x86.c's ring of padded u8 input rows (convx_ring_init()), after the block's
 * row pointers and the slots' tags */
static size_t
conv_vnni_ring_size (const FbConvParams *p)
{
  const size_t ky = (size_t) p->dim_kernel_y, sy = (size_t) p->stride_y;
  const size_t n = sy <= ky ? ky + (FB_CONV_VNNI_PX - 1) * sy : FB_CONV_VNNI_PX * ky;
  const size_t row = ((size_t) p->dim_in_x + (size_t) p->pad_left + (size_t) p->pad_right)
                     * (size_t) p->ch_in + 4;
  return FB_KI_ALIGN_UP (sizeof (void *) * FB_CONV_VNNI_PX * ky + 4 * n, FB_CONV_HOST_ALIGN)
         + n * FB_KI_ALIGN_UP (row, FB_CONV_HOST_ALIGN);
}

static size_t
conv_vnni_buffer_size (const FbConvParams *p)
{
  const size_t kq = (size_t) p->dim_kernel_y * conv_vnni_krow (p);
  const size_t cout = (size_t) p->ch_out, cout16 = FB_KI_ALIGN_UP (cout, 16);
  return FB_CONV_HOST_ALIGN                                              /* alignment slack */
         + FB_KI_ALIGN_UP (kq * cout16, FB_CONV_HOST_ALIGN)               /* int8 [g][c][4] */
         + FB_KI_ALIGN_UP (kq * cout + (size_t) p->dim_kernel_x * p->dim_kernel_y * p->ch_in,
                           FB_CONV_HOST_ALIGN)                       /* int8 rows, unpacked */
         + conv_vnni_ring_size (p)                                      /* u8 input rows */
         + FB_CONV_VNNI_PX * cout16 * 4;                                 /* int32 accumulators */
}

static size_t
conv_host_buffer_size (int in_bits, int w_bits, const FbConvParams *p)
{
  size_t k = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y * (size_t) p->ch_in;
  size_t kp = conv_host_kp (k);
  size_t cout = (size_t) p->ch_out;
  size_t sse = FB_CONV_HOST_ALIGN                               /* alignment slack */
               + FB_KI_ALIGN_UP (cout * kp * 2, FB_CONV_HOST_ALIGN) /* int16 weights */
               + FB_KI_ALIGN_UP (2 * kp * 2, FB_CONV_HOST_ALIGN)    /* int16 im2col, 2 pixels */
               + 2 * cout * 4                                   /* int32 accumulators, 2 pixels */
               + cout;                                          /* outputs before packing */
  /* the same size whichever copy the CPU runs (and whatever this build contains) */
  size_t vnni = conv_vnni_buffer_size (p);
  (void) in_bits;
  (void) w_bits;
  return sse > vnni ? sse : vnni;
}

#include "fb-kernel-conv-scalar.h"

size_t
fb_conv_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits, int w_bits,
                                  const FbConvParams *params)
{
  if (fb_ki_check_conv (in_bits, out_bits, w_bits, 0, params) != FB_KERNEL_OK)
    return 0;
  if (arch == FB_KERNEL_ARCH_HOST)
    return conv_host_buffer_size (in_bits, w_bits, params);
  if (arch == FB_KERNEL_ARCH_SCALAR && (params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
      && fb_ki_conv_winograd_applies (in_bits, w_bits, params))
    return fb_ki_conv_winograd_buffer_size (params);
  if (arch == FB_KERNEL_ARCH_SCALAR && !(params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
      && conv_scalar_wide (in_bits, w_bits, out_bits, params))
    return conv_scalar_buffer_size_wide (params);
  if (arch == FB_KERNEL_ARCH_SCALAR)
    return conv_scalar_buffer_size (in_bits, w_bits, params);
  return 0;
}

size_t
fb_conv_get_buffer_size (int in_bits, int out_bits, int w_bits, const FbConvParams *params)
{
  return fb_conv_get_buffer_size_for_arch (FB_KI_ARCH, in_bits, out_bits, w_bits, params);
}

size_t
fb_conv_prepared_weights_size (int in_bits, int out_bits, int w_bits, const FbConvParams *params)
{
  if (fb_ki_check_conv (in_bits, out_bits, w_bits, 0, params) != FB_KERNEL_OK)
    return 0;
  if (fb_ki_conv_winograd_applies (in_bits, w_bits, params))
    return fb_ki_conv_winograd_weights_size (params);
  return conv_scalar_prepared_size_any (in_bits, out_bits, w_bits, params);
}

FbKernelStatus
fb_conv_prepare_weights (int in_bits, int out_bits, int w_bits, const FbConvParams *params,
                         const uint8_t *weights, uint8_t *prepared)
{
  FbKernelStatus st;

  if (weights == NULL || prepared == NULL || params == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_ki_check_conv (in_bits, out_bits, w_bits, 0, params);
  if (st != FB_KERNEL_OK)
    return st;
  if (((uintptr_t) prepared & 3u) != 0)
    return FB_KERNEL_ERROR_LAYOUT;
  if (fb_ki_conv_winograd_applies (in_bits, w_bits, params))
    fb_ki_conv_winograd_prepare (weights, params, prepared);
  else if (conv_scalar_wide (in_bits, w_bits, out_bits, params))
    conv_scalar_prepare_wide (in_bits, w_bits, weights, params, prepared);
  else
    conv_scalar_prepare_all (in_bits, w_bits, weights, params, prepared);
  return FB_KERNEL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Host path                                                                                  */

#if !FB_KI_SCALAR

/* Gather one output pixel's receptive field, kernel rows [ky_lo, ky_hi), into col (indexed by
 * the flat k of the weight row, so col[k] pairs with w[k]). */
FB_KI_INLINE void
conv_host_im2col (const int A, const int SI, const uint8_t *input, const FbConvParams *p,
                  int32_t iy0, int32_t ix0, int32_t ky_lo, int32_t ky_hi, int16_t *col)
{
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in;
  const size_t px_bytes = (size_t) cin * (size_t) A / 8;
  int32_t ky, kx;

  for (ky = ky_lo; ky < ky_hi; ky++)
    {
      const int32_t iy = iy0 + ky;
      for (kx = 0; kx < kxn; kx++)
        {
          const int32_t ix = ix0 + kx;
          int16_t *d = col + ((size_t) ky * (size_t) kxn + (size_t) kx) * (size_t) cin;
          if (ix < 0 || ix >= p->dim_in_x)
            memset (d, 0, (size_t) cin * sizeof (int16_t));
          else if (SI)
            fb_ki_unpack_s_i16 (A, input + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                             * px_bytes,
                                cin, d);
          else
            fb_ki_unpack_u_i16 (A, input + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                             * px_bytes,
                                cin, d, 1);
        }
    }
}

/* 2 pixels x 4 channels over kn values. */
FB_KI_INLINE void
conv_host_dot_2x4 (const int16_t *FB_KI_RESTRICT x0, const int16_t *FB_KI_RESTRICT x1,
                   const int16_t *FB_KI_RESTRICT w0, const int16_t *FB_KI_RESTRICT w1,
                   const int16_t *FB_KI_RESTRICT w2, const int16_t *FB_KI_RESTRICT w3,
                   int32_t kn, int32_t *a0, int32_t *a1)
{
  int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  int32_t k;
  for (k = 0; k < kn; k++)
    {
      const int32_t p0 = x0[k], p1 = x1[k];
      s00 += p0 * w0[k];
      s01 += p0 * w1[k];
      s02 += p0 * w2[k];
      s03 += p0 * w3[k];
      s10 += p1 * w0[k];
      s11 += p1 * w1[k];
      s12 += p1 * w2[k];
      s13 += p1 * w3[k];
    }
  a0[0] = s00; a0[1] = s01; a0[2] = s02; a0[3] = s03;
  a1[0] = s10; a1[1] = s11; a1[2] = s12; a1[3] = s13;
}

FB_KI_INLINE void
conv_host_dot_2x1 (const int16_t *FB_KI_RESTRICT x0, const int16_t *FB_KI_RESTRICT x1,
                   const int16_t *FB_KI_RESTRICT w0, int32_t kn, int32_t *a0, int32_t *a1)
{
  int32_t s0 = 0, s1 = 0, k;
  for (k = 0; k < kn; k++)
    {
      s0 += (int32_t) x0[k] * w0[k];
      s1 += (int32_t) x1[k] * w0[k];
    }
  *a0 = s0;
  *a1 = s1;
}

/* SI, SO: signed input / output (0, 0 for every unsigned call: the code it always was). */
FB_KI_INLINE void
conv_host (const int A, const int O, const int W, const int SI, const int SO,
           const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
           const int32_t *lambda, uint8_t *output, const FbConvParams *p, void *buffer)
{
  const int32_t cin = p->ch_in, cout = p->ch_out;
  const int32_t kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const size_t k_len = (size_t) kxn * (size_t) kyn * (size_t) cin;
  const size_t kp = conv_host_kp (k_len);
  const size_t rb = fb_kernel_weight_row_bytes (k_len, W);
  const size_t out_px_bytes = (size_t) cout * (size_t) O / 8;
  int16_t *wbuf = (int16_t *) fb_ki_align_ptr (buffer, FB_CONV_HOST_ALIGN);
  int16_t *col = wbuf + FB_KI_ALIGN_UP ((size_t) cout * kp * 2, FB_CONV_HOST_ALIGN) / 2;
  int32_t *acc = (int32_t *) (col + FB_KI_ALIGN_UP (2 * kp * 2, FB_CONV_HOST_ALIGN) / 2);
  uint8_t *tmp = (uint8_t *) (acc + 2 * (size_t) cout);
  int32_t c, oy, ox;

  for (c = 0; c < cout; c++)
    fb_ki_unpack_s_i16 (W, weights + (size_t) c * rb, (int32_t) k_len, wbuf + (size_t) c * kp);

  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      const size_t klo = (size_t) ky_lo * (size_t) kxn * (size_t) cin;
      int32_t kn;
      kn = (ky_hi - ky_lo) * kxn * cin;

      for (ox = 0; ox < p->dim_out_x; ox += 2)
        {
          const int32_t npx = p->dim_out_x - ox < 2 ? p->dim_out_x - ox : 2;
          const int16_t *x0 = col + klo, *x1 = col + kp + klo;
          int32_t q;

          for (q = 0; q < 2; q++)
            {
              if (q < npx)
                conv_host_im2col (A, SI, input, p, iy0, (ox + q) * p->stride_x - p->pad_left,
                                  ky_lo, ky_hi, col + (size_t) q * kp);
              else
                memset (col + (size_t) q * kp + klo, 0, (size_t) kn * sizeof (int16_t));
            }
          for (c = 0; c + 4 <= cout; c += 4)
            {
              const int16_t *w0 = wbuf + (size_t) c * kp + klo;
              conv_host_dot_2x4 (x0, x1, w0, w0 + kp, w0 + 2 * kp, w0 + 3 * kp, kn, acc + c,
                                 acc + cout + c);
            }
          for (; c < cout; c++)
            conv_host_dot_2x1 (x0, x1, wbuf + (size_t) c * kp + klo, kn, acc + c,
                               acc + cout + c);
          for (q = 0; q < npx; q++)
            if (SO)
              fb_ki_requant_pack_any (O, 1, acc + (size_t) q * (size_t) cout, kappa, lambda,
                                      p->out_shift, cout,
                                      output + ((size_t) oy * (size_t) p->dim_out_x
                                                + (size_t) (ox + q)) * out_px_bytes);
            else
              fb_ki_requant_pack_host (O, acc + (size_t) q * (size_t) cout, kappa, lambda,
                                       p->out_shift, cout,
                                       output + ((size_t) oy * (size_t) p->dim_out_x
                                                 + (size_t) (ox + q)) * out_px_bytes,
                                       tmp);
        }
    }
}

#endif /* !FB_KI_SCALAR */

/* ------------------------------------------------------------------------------------------ */
/* Host path, AVX-512 VNNI: fb-kernel-conv-x86.c (fb_ki_conv_x86()), with the same scratch     */
/* layout (conv_vnni_buffer_size()).                                                           */

/* ------------------------------------------------------------------------------------------ */
/* The template and its variants                                                              */

#if !FB_KI_SCALAR
/* The host path of one variant compiled for AVX2, selected at run time (x86-64 GCC/Clang). */
typedef void (*ConvHostFunc) (const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
                              const int32_t *lambda, uint8_t *output, const FbConvParams *p,
                              void *buffer);
#if FB_KI_AVX2
#define FB_CONV_AVX2_DEFINE(i, o, w)                                                          \
  __attribute__ ((target ("avx2"), noinline)) static void                                     \
  conv_host_avx2_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,            \
                                     const int32_t *kappa, const int32_t *lambda,             \
                                     uint8_t *output, const FbConvParams *p, void *buffer)    \
  {                                                                                           \
    conv_host (i, o, w, 0, 0, input, weights, kappa, lambda, output, p, buffer);              \
  }
#define FB_CONV_AVX2(i, o, w) , conv_host_avx2_u##i##_u##o##_i##w
#else
#define FB_CONV_AVX2_DEFINE(i, o, w)
#define FB_CONV_AVX2(i, o, w) , NULL
#endif
FB_KERNEL_VARIANTS_IOW (FB_CONV_AVX2_DEFINE)
#if FB_KI_X86_FILES
#define FB_CONV_VNNI_FN(i, o, w) , 1
#else
#define FB_CONV_VNNI_FN(i, o, w) , 0
#endif
#define FB_CONV_AVX2_PARAM , ConvHostFunc avx2, int vnni
#else
#define FB_CONV_AVX2(i, o, w)
#define FB_CONV_VNNI_FN(i, o, w)
#define FB_CONV_AVX2_PARAM
#endif

FB_KI_INLINE FbKernelStatus
conv_generic (const int A, const int O, const int W, const uint8_t *input,
              const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
              uint8_t *output, const FbConvParams *params, void *buffer,
              size_t buffer_size FB_CONV_AVX2_PARAM)
{
  FbKernelStatus st;
  size_t need;

  if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL
      || params == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_ki_check_conv (A, O, W, 0, params);
  if (st != FB_KERNEL_OK)
    return st;
  if (params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
    {
      /* the layout exists for the scalar path only; its words are read aligned */
      if (!FB_KI_SCALAR || ((uintptr_t) weights & 3u) != 0)
        return FB_KERNEL_ERROR_LAYOUT;
    }
  if ((params->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED)
      && (fb_conv_host_prepared_weights_size (A, O, W, params) == 0
          || (params->flag_relu & (FB_KERNEL_FLAGS_SIGNED | FB_KERNEL_FLAG_PREPARED_WEIGHTS))
          || ((uintptr_t) weights & 63u) != 0))
    return FB_KERNEL_ERROR_LAYOUT;
  need = fb_conv_get_buffer_size (A, O, W, params);
  if (buffer == NULL || buffer_size < need)
    return FB_KERNEL_ERROR_BUFFER;
#if FB_KI_SCALAR
  /* 3x3 stride 1 on 8-bit operands: Winograd on the weights transformed at export time */
  if ((params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
      && fb_ki_conv_winograd_applies (A, W, params))
    {
      fb_ki_conv_winograd (O, input, weights, kappa, lambda, output, params, buffer);
      return FB_KERNEL_OK;
    }
#endif
  if (params->flag_relu & FB_KERNEL_FLAGS_SIGNED)
    {
      const int si = (params->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0;
      const int so = (params->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
#if FB_KI_SCALAR
      /* a signed output only changes the clip, a signed input is offset to unsigned */
      conv_scalar (A, O, W, si, so, input, weights, kappa, lambda, output, params, buffer);
#else
      conv_host (A, O, W, si, so, input, weights, kappa, lambda, output, params, buffer);
#endif
      return FB_KERNEL_OK;
    }
#if FB_KI_SCALAR
  conv_scalar (A, O, W, 0, 0, input, weights, kappa, lambda, output, params, buffer);
#else
#if FB_KI_X86_FILES
  if (vnni && fb_ki_cpu_has_vnni ())
    fb_ki_conv_x86 (A, O, W, input, weights, kappa, lambda, output, params, buffer);
  else
#else
  (void) vnni;
#endif
  if (avx2 != NULL && fb_ki_cpu_has_avx2 ())
    avx2 (input, weights, kappa, lambda, output, params, buffer);
  else
    conv_host (A, O, W, 0, 0, input, weights, kappa, lambda, output, params, buffer);
#endif
  return FB_KERNEL_OK;
}

/* u2 x i2 on RV32 first tries conv_scalar_l9_call() (fb-kernel-conv-l9.h) when the whole
 * column fits (a longer one is not called: 8 instructions instead of the call's checks); the
 * hook is empty for every other variant (and elsewhere), whose code it leaves as it was. */
#if FB_KI_SCALAR && FB_KI_RV32_ASM
#define FB_CONV_L9_HOOK_2_2(o)                                                                \
  if (params != NULL                                                                          \
      && params->dim_kernel_x * params->dim_kernel_y * params->ch_in <= FB_CONV_SC_KC        \
      && conv_scalar_l9_call (o, input, weights, kappa, lambda, output, params, buffer,       \
                              buffer_size))                                                   \
    return FB_KERNEL_OK;
#else
#define FB_CONV_L9_HOOK_2_2(o)
#endif
#define FB_CONV_L9_HOOK_2_4(o)
#define FB_CONV_L9_HOOK_2_8(o)
#define FB_CONV_L9_HOOK_4_2(o)
#define FB_CONV_L9_HOOK_4_4(o)
#define FB_CONV_L9_HOOK_4_8(o)
#define FB_CONV_L9_HOOK_8_2(o)
#define FB_CONV_L9_HOOK_8_4(o)
#define FB_CONV_L9_HOOK_8_8(o)

#define FB_CONV_PLAIN(i, o, w)                                                                \
  FbKernelStatus                                                                              \
  fb_conv_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                   \
                              const int32_t *kappa, const int32_t *lambda, uint8_t *output,   \
                              const FbConvParams *params, void *buffer, size_t buffer_size)   \
  {                                                                                           \
    FB_CONV_L9_HOOK_##i##_##w (o)                                                             \
    return conv_generic (i, o, w, input, weights, kappa, lambda, output, params, buffer,      \
                         buffer_size FB_CONV_AVX2 (i, o, w) FB_CONV_VNNI_FN (i, o, w));      \
  }

/* The scalar variants with 16-bit SWAR lanes first try conv_scalar_wide_call() on a short
 * reduction (their weights are prepared as int8 then, conv_scalar_wide()); the rest of the
 * variant is its own function, the code it always was (the call in the same function changed
 * GCC's register allocation of the whole variant).  u8 x i8 and u2 x i2 have no hook. */
#if FB_KI_SCALAR
#define FB_CONV_WIDE(i, o, w)                                                                 \
  FB_KI_NOINLINE FbKernelStatus                                                               \
  conv_body_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                 \
                                const int32_t *kappa, const int32_t *lambda, uint8_t *output, \
                                const FbConvParams *params, void *buffer, size_t buffer_size) \
  {                                                                                           \
    return conv_generic (i, o, w, input, weights, kappa, lambda, output, params, buffer,      \
                         buffer_size);                                                        \
  }                                                                                           \
  FbKernelStatus                                                                              \
  fb_conv_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                   \
                              const int32_t *kappa, const int32_t *lambda, uint8_t *output,   \
                              const FbConvParams *params, void *buffer, size_t buffer_size)   \
  {                                                                                           \
    if (params != NULL && conv_scalar_wide (i, w, o, params)                                  \
        && conv_scalar_wide_call (i, o, w, input, weights, kappa, lambda, output, params,     \
                                  buffer, buffer_size))                                       \
      return FB_KERNEL_OK;                                                                    \
    return conv_body_u##i##_u##o##_i##w (input, weights, kappa, lambda, output, params,       \
                                         buffer, buffer_size);                                \
  }
#else
#define FB_CONV_WIDE(i, o, w) FB_CONV_PLAIN (i, o, w)
#endif
#define FB_CONV_DEFINE_2_2(o) FB_CONV_PLAIN (2, o, 2)
#define FB_CONV_DEFINE_2_4(o) FB_CONV_WIDE (2, o, 4)
#define FB_CONV_DEFINE_2_8(o) FB_CONV_WIDE (2, o, 8)
#define FB_CONV_DEFINE_4_2(o) FB_CONV_WIDE (4, o, 2)
#define FB_CONV_DEFINE_4_4(o) FB_CONV_WIDE (4, o, 4)
#define FB_CONV_DEFINE_4_8(o) FB_CONV_WIDE (4, o, 8)
#define FB_CONV_DEFINE_8_2(o) FB_CONV_WIDE (8, o, 2)
#define FB_CONV_DEFINE_8_4(o) FB_CONV_WIDE (8, o, 4)
#define FB_CONV_DEFINE_8_8(o) FB_CONV_PLAIN (8, o, 8)
#define FB_CONV_DEFINE(i, o, w) FB_CONV_DEFINE_##i##_##w (o)

FB_KERNEL_VARIANTS_IOW (FB_CONV_DEFINE)

size_t
fb_conv_host_prepared_weights_size (int in_bits, int out_bits, int w_bits,
                                    const FbConvParams *params)
{
  if (params == NULL || fb_ki_check_conv (in_bits, out_bits, w_bits, 0, params) != FB_KERNEL_OK)
    return 0;
#if FB_KI_X86_FILES
  if (fb_ki_cpu_has_vnni ())
    return fb_ki_conv_x86_weights_size (params);
#endif
  return 0;
}

FbKernelStatus
fb_conv_host_prepare_weights (int in_bits, int out_bits, int w_bits, const FbConvParams *params,
                              const uint8_t *weights, uint8_t *prepared)
{
  if (params == NULL || weights == NULL || prepared == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (fb_conv_host_prepared_weights_size (in_bits, out_bits, w_bits, params) == 0)
    {
      /* an invalid geometry says why; a valid one has no prepared layout here */
      const FbKernelStatus st = fb_ki_check_conv (in_bits, out_bits, w_bits, 0, params);
      return st != FB_KERNEL_OK ? st : FB_KERNEL_ERROR_LAYOUT;
    }
#if FB_KI_X86_FILES
  fb_ki_conv_x86_prepare (w_bits, weights, params, prepared);
#endif
  return FB_KERNEL_OK;
}

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
 *    separate AVX-512 VNNI path (conv_vnni(): vpdpbusd on u8 activations x i8 weights) are
 *    selected at run time on x86-64.
 *  - Scalar path (FB_KERNEL_ARCH_SCALAR, RV32IMC): see fb-kernel-conv-scalar.h.
 */
#include "fb-kernel-internal.h"

/* AVX-512 VNNI copies of the host path, selected at run time (see FB_KI_VNNI). */
#define FB_CONV_VNNI FB_KI_VNNI

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

static size_t
conv_vnni_buffer_size (const FbConvParams *p)
{
  const size_t kq = (size_t) p->dim_kernel_y * conv_vnni_krow (p);
  const size_t cout = (size_t) p->ch_out, cout16 = FB_KI_ALIGN_UP (cout, 16);
  return FB_CONV_HOST_ALIGN                                              /* alignment slack */
         + FB_KI_ALIGN_UP (kq * cout16, FB_CONV_HOST_ALIGN)               /* int8 [g][c][4] */
         + FB_KI_ALIGN_UP (kq * cout + (size_t) p->dim_kernel_x * p->dim_kernel_y * p->ch_in,
                           FB_CONV_HOST_ALIGN)                       /* int8 rows, unpacked */
         + FB_KI_ALIGN_UP (FB_CONV_VNNI_PX * kq, FB_CONV_HOST_ALIGN)     /* u8 im2col */
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
  return conv_scalar_prepared_size (in_bits, w_bits, params);
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
      const int32_t iy0 = oy * p->stride_y - p->pad_top;
      int32_t ky_lo = iy0 < 0 ? -iy0 : 0;
      int32_t ky_hi = p->dim_in_y - iy0 < kyn ? p->dim_in_y - iy0 : kyn;
      size_t klo;
      int32_t kn;
      if (ky_hi < ky_lo)
        ky_hi = ky_lo;
      klo = (size_t) ky_lo * (size_t) kxn * (size_t) cin;
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
/* Host path, AVX-512 VNNI                                                                    */

#if FB_CONV_VNNI
/* vpdpbusd multiplies 4 u8 activations by 4 i8 weights and adds the 4 products (exact in
 * 16 bits) to an int32 lane, wrapping.  The reduction bound (65 536 · 255 · 128 < 2^31) keeps
 * every partial sum in int32, so the sums equal the portable kernel's; sub-byte operands are
 * unpacked to bytes first.  Weights are rearranged once per call to [group g][channel c][4]
 * (16 channels = one zmm), activations are broadcast 4 bytes at a time; a block is 4 pixels ×
 * up to 64 channels (16 zmm accumulators).  1×1 kernels with an 8-bit input read the input
 * pixels in place, others go through a u8 im2col (zero taps in the padding). */

/* acc[p * acc_n + j * 16 ...] = the 16-channel sums of vector j for pixel p: NP pixels x NC
 * vectors over ng groups; w points at the block's first vector of group 0, nvec vectors per
 * group. */
FB_KI_VNNI_INLINE void
conv_vnni_block (const int NP, const int NC, const uint8_t *const *x, const uint8_t *w,
                 size_t nvec, size_t ng, int32_t *acc, size_t acc_n)
{
  __m512i a0[4], a1[4], a2[4], a3[4];
  size_t g;
  int j;

  for (j = 0; j < NC; j++)
    a0[j] = a1[j] = a2[j] = a3[j] = _mm512_setzero_si512 ();
  for (g = 0; g < ng; g++, w += nvec * 64)
    {
      __m512i wv[4], b;
      int32_t v;
      for (j = 0; j < NC; j++)
        wv[j] = _mm512_load_si512 ((const void *) (w + 64 * j));
#define FB_VNNI_PIXEL(P, A)                                                                   \
      if (NP > P)                                                                             \
        {                                                                                     \
          memcpy (&v, x[P] + 4 * g, 4);                                                       \
          b = _mm512_set1_epi32 (v);                                                          \
          for (j = 0; j < NC; j++)                                                            \
            A[j] = _mm512_dpbusd_epi32 (A[j], b, wv[j]);                                      \
        }
      FB_VNNI_PIXEL (0, a0)
      FB_VNNI_PIXEL (1, a1)
      FB_VNNI_PIXEL (2, a2)
      FB_VNNI_PIXEL (3, a3)
#undef FB_VNNI_PIXEL
    }
  for (j = 0; j < NC; j++)
    {
      _mm512_storeu_si512 ((void *) (acc + 16 * j), a0[j]);
      if (NP > 1)
        _mm512_storeu_si512 ((void *) (acc + acc_n + 16 * j), a1[j]);
      if (NP > 2)
        _mm512_storeu_si512 ((void *) (acc + 2 * acc_n + 16 * j), a2[j]);
      if (NP > 3)
        _mm512_storeu_si512 ((void *) (acc + 3 * acc_n + 16 * j), a3[j]);
    }
}

/* n unsigned A-bit values (n a multiple of 8/A) to bytes, 16 source bytes per step. */
FB_KI_VNNI_INLINE void
conv_vnni_unpack_u (const int A, const uint8_t *src, int32_t n, uint8_t *dst)
{
  const __m128i m = _mm_set1_epi8 (A == 4 ? 15 : 3);
  int32_t i = 0;

  if (A == 4)
    for (; i + 32 <= n; i += 32)
      {
        const __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i / 2));
        const __m128i lo = _mm_and_si128 (b, m), hi = _mm_and_si128 (_mm_srli_epi16 (b, 4), m);
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi8 (lo, hi));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 16), _mm_unpackhi_epi8 (lo, hi));
      }
  else if (A == 2)
    for (; i + 64 <= n; i += 64)
      {
        const __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i / 4));
        const __m128i c0 = _mm_and_si128 (b, m), c1 = _mm_and_si128 (_mm_srli_epi16 (b, 2), m);
        const __m128i c2 = _mm_and_si128 (_mm_srli_epi16 (b, 4), m);
        const __m128i c3 = _mm_and_si128 (_mm_srli_epi16 (b, 6), m);
        const __m128i l01 = _mm_unpacklo_epi8 (c0, c1), l23 = _mm_unpacklo_epi8 (c2, c3);
        const __m128i h01 = _mm_unpackhi_epi8 (c0, c1), h23 = _mm_unpackhi_epi8 (c2, c3);
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi16 (l01, l23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 16), _mm_unpackhi_epi16 (l01, l23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 32), _mm_unpacklo_epi16 (h01, h23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 48), _mm_unpackhi_epi16 (h01, h23));
      }
  fb_ki_unpack_u_u8 (A, src + (size_t) i * (size_t) A / 8, n - i, dst + i, 1);
}

/* One pixel's receptive field as u8, kernel row ky at d + ky * krow (the padding after each
 * row stays as it is: zero). */
FB_KI_VNNI_INLINE void
conv_vnni_im2col (const int A, const uint8_t *input, const FbConvParams *p, int32_t iy0,
                  int32_t ix0, size_t krow, uint8_t *d)
{
  const int32_t cin = p->ch_in, kxn = p->dim_kernel_x;
  const size_t in_px = (size_t) cin * (size_t) A / 8;
  int32_t ky, kx;

  for (ky = 0; ky < p->dim_kernel_y; ky++, d += krow)
    {
      const int32_t iy = iy0 + ky;
      if (iy < 0 || iy >= p->dim_in_y)
        {
          memset (d, 0, (size_t) kxn * (size_t) cin);
          continue;
        }
      if (ix0 >= 0 && ix0 + kxn <= p->dim_in_x)
        {
          /* the whole kernel row inside the input: one contiguous run */
          const uint8_t *src = input
                               + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix0) * in_px;
          if (A == 8)
            memcpy (d, src, (size_t) kxn * (size_t) cin);
          else
            conv_vnni_unpack_u (A, src, kxn * cin, d);
          continue;
        }
      for (kx = 0; kx < kxn; kx++)
        {
          const int32_t ix = ix0 + kx;
          uint8_t *dk = d + (size_t) kx * (size_t) cin;
          if (ix < 0 || ix >= p->dim_in_x)
            memset (dk, 0, (size_t) cin);
          else
            conv_vnni_unpack_u (A, input + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                             * in_px,
                                cin, dk);
        }
    }
}

FB_KI_VNNI_INLINE void
conv_vnni (const int A, const int O, const int W, const uint8_t *input, const uint8_t *weights,
           const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p,
           void *buffer)
{
  const int32_t cin = p->ch_in, cout = p->ch_out;
  const int32_t kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const size_t k_len = (size_t) kxn * (size_t) kyn * (size_t) cin;
  const size_t kr = (size_t) kxn * (size_t) cin, krow = conv_vnni_krow (p);
  const size_t kq = (size_t) kyn * krow, ng = kq / 4;
  const size_t cout16 = FB_KI_ALIGN_UP ((size_t) cout, 16), nvec = cout16 / 16;
  const size_t rb = fb_kernel_weight_row_bytes (k_len, W);
  const size_t in_px = (size_t) cin * (size_t) A / 8;
  const size_t out_px_bytes = (size_t) cout * (size_t) O / 8;
  const size_t npix = (size_t) p->dim_out_x * (size_t) p->dim_out_y;
  const int in_place = A == 8 && kxn == 1 && kyn == 1 && cin % 4 == 0;
  uint8_t *wv = (uint8_t *) fb_ki_align_ptr (buffer, FB_CONV_HOST_ALIGN);
  int8_t *rows = (int8_t *) (wv + FB_KI_ALIGN_UP (kq * cout16, FB_CONV_HOST_ALIGN));
  uint8_t *col = (uint8_t *) rows + FB_KI_ALIGN_UP (kq * (size_t) cout + k_len,
                                                    FB_CONV_HOST_ALIGN);
  int32_t *acc = (int32_t *) (col + FB_KI_ALIGN_UP (FB_CONV_VNNI_PX * kq, FB_CONV_HOST_ALIGN));
  const uint8_t *src;
  size_t src_stride, g, v, pix;
  int32_t c, ky, q;

  /* weight rows as int8 with each kernel row padded to krow (8-bit rows whose kernel rows
   * need no padding are read in place) */
  if (W == 8 && kr == krow)
    {
      src = weights;
      src_stride = rb;
    }
  else
    {
      int8_t *flat = rows + kq * (size_t) cout;
      memset (rows, 0, kq * (size_t) cout);
      for (c = 0; c < cout; c++)
        {
          fb_ki_unpack_s_i8 (W, weights + (size_t) c * rb, (int32_t) k_len, flat);
          for (ky = 0; ky < kyn; ky++)
            memcpy (rows + (size_t) c * kq + (size_t) ky * krow, flat + (size_t) ky * kr, kr);
        }
      src = (const uint8_t *) rows;
      src_stride = kq;
    }
  /* [g][c][4]: a dword gather per 16 channels and group (missing channels are zero) */
  {
    const __m512i idx = _mm512_mullo_epi32 (_mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                               10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32 ((int) src_stride));
    for (v = 0; v < nvec; v++)
      {
        const size_t left = (size_t) cout - v * 16;
        const __mmask16 m = left >= 16 ? (__mmask16) 0xFFFF
                                       : (__mmask16) ((1u << left) - 1u);
        const uint8_t *base = src + v * 16 * src_stride;
        for (g = 0; g < ng; g++)
          _mm512_store_si512 ((void *) (wv + (g * nvec + v) * 64),
                              _mm512_mask_i32gather_epi32 (_mm512_setzero_si512 (), m, idx,
                                                           (const void *) (base + 4 * g), 1));
      }
  }
  if (!in_place)
    memset (col, 0, FB_CONV_VNNI_PX * kq); /* the padding of each kernel row stays 0 */

  for (pix = 0; pix < npix; pix += FB_CONV_VNNI_PX)
    {
      const size_t np = npix - pix < FB_CONV_VNNI_PX ? npix - pix : FB_CONV_VNNI_PX;
      const uint8_t *x[FB_CONV_VNNI_PX];
      for (q = 0; q < FB_CONV_VNNI_PX; q++)
        {
          const size_t pq = pix + ((size_t) q < np ? (size_t) q : 0);
          const int32_t oy = (int32_t) (pq / (size_t) p->dim_out_x);
          const int32_t ox = (int32_t) (pq % (size_t) p->dim_out_x);
          const int32_t iy0 = oy * p->stride_y - p->pad_top;
          const int32_t ix0 = ox * p->stride_x - p->pad_left;
          uint8_t *d = col + (size_t) q * kq;
          if (in_place && iy0 >= 0 && iy0 < p->dim_in_y && ix0 >= 0 && ix0 < p->dim_in_x)
            {
              x[q] = input + ((size_t) iy0 * (size_t) p->dim_in_x + (size_t) ix0) * in_px;
              continue;
            }
          x[q] = d;
          if ((size_t) q < np) /* a padding pixel's contents are never stored */
            conv_vnni_im2col (A, input, p, iy0, ix0, krow, d);
        }
      for (v = 0; v < nvec; v += 4)
        {
          const uint8_t *wb = wv + v * 64;
          int32_t *ab = acc + v * 16;
          switch (nvec - v)
            {
            case 1: conv_vnni_block (FB_CONV_VNNI_PX, 1, x, wb, nvec, ng, ab, cout16); break;
            case 2: conv_vnni_block (FB_CONV_VNNI_PX, 2, x, wb, nvec, ng, ab, cout16); break;
            case 3: conv_vnni_block (FB_CONV_VNNI_PX, 3, x, wb, nvec, ng, ab, cout16); break;
            default: conv_vnni_block (FB_CONV_VNNI_PX, 4, x, wb, nvec, ng, ab, cout16); break;
            }
        }
      for (q = 0; (size_t) q < np; q++)
        fb_ki_requant_pack_vnni (O, acc + (size_t) q * cout16, kappa, lambda, p->out_shift, cout,
                           output + (pix + (size_t) q) * out_px_bytes);
    }
}
#endif /* FB_CONV_VNNI */

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
#if FB_CONV_VNNI
#define FB_CONV_VNNI_DEFINE(i, o, w)                                                          \
  __attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void                             \
  conv_host_vnni_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,            \
                                     const int32_t *kappa, const int32_t *lambda,             \
                                     uint8_t *output, const FbConvParams *p, void *buffer)    \
  {                                                                                           \
    conv_vnni (i, o, w, input, weights, kappa, lambda, output, p, buffer);                    \
  }
#define FB_CONV_VNNI_FN(i, o, w) , conv_host_vnni_u##i##_u##o##_i##w
FB_KERNEL_VARIANTS_IOW (FB_CONV_VNNI_DEFINE)
#else
#define FB_CONV_VNNI_FN(i, o, w) , NULL
#endif
#define FB_CONV_AVX2_PARAM , ConvHostFunc avx2, ConvHostFunc vnni
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
  need = fb_conv_get_buffer_size (A, O, W, params);
  if (buffer == NULL || buffer_size < need)
    return FB_KERNEL_ERROR_BUFFER;
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
#if FB_CONV_VNNI
  if (vnni != NULL && fb_ki_cpu_has_vnni ())
    vnni (input, weights, kappa, lambda, output, params, buffer);
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

#define FB_CONV_DEFINE(i, o, w)                                                               \
  FbKernelStatus                                                                              \
  fb_conv_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                   \
                              const int32_t *kappa, const int32_t *lambda, uint8_t *output,   \
                              const FbConvParams *params, void *buffer, size_t buffer_size)   \
  {                                                                                           \
    return conv_generic (i, o, w, input, weights, kappa, lambda, output, params, buffer,      \
                         buffer_size FB_CONV_AVX2 (i, o, w) FB_CONV_VNNI_FN (i, o, w));      \
  }

FB_KERNEL_VARIANTS_IOW (FB_CONV_DEFINE)

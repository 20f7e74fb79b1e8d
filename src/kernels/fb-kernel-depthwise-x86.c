/* fb-kernel-depthwise-x86.c — AVX-512 VNNI depthwise for 3×3 kernels (x86-64 host only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The host path of fb-kernel-depthwise.c calls fb_ki_depthwise_x86() first on a CPU with
 * AVX-512 VNNI; it handles 3×3 kernels (any stride, padding, bit-widths) and leaves other
 * shapes to the generic code.  16 channels are one zmm of int32 lanes: an activation
 * (a u8 zero-extended: the input itself, or a sub-byte input unpacked to bytes in the scratch,
 * whole rows of all channels at a time) times a weight (sign-extended) is one lane of vpdpwssd
 * (the high 16-bit halves of the activations are 0, so each lane adds exactly x·w;
 * |255·−128| < 2^15), 9 taps per output.  With an 8-bit input (or a sub-byte one that fits
 * the scratch whole) the 9 weight vectors and the requantization constants of a block of 16
 * channels stay in registers for the whole image; the accumulators are requantized in
 * registers (fb_ki_rq_store()) and packed to O bits.  The
 * same int32 sums and outputs as the portable code.
 *
 * Only built into the library when FB_KERNEL_X86_FILES is defined (meson does; an exported
 * bundle, which does not ship this file, keeps the generic host code).
 */
#include "fb-kernel-x86.h"

#if FB_KI_X86_FILES

/* 16 consecutive channels of a u8 pixel (`m` the valid lanes), zero-extended to int32 lanes. */
FB_KI_VNNI_INLINE __m512i
dwx_load_u8 (const uint8_t *p, __mmask16 m)
{
  return _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (m, p));
}

/* 16 consecutive channels of signed W-bit weights, sign-extended to int32 lanes. */
FB_KI_VNNI_INLINE __m512i
dwx_load_s (const int W, const uint8_t *p, __mmask16 mbytes)
{
  const __m128i b = _mm_maskz_loadu_epi8 (mbytes, p);
  if (W == 8)
    return _mm512_cvtepi8_epi32 (b);
  if (W == 4)
    {
      const __m512i idx = _mm512_setr_epi32 (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
      const __m512i sh = _mm512_setr_epi32 (28, 24, 28, 24, 28, 24, 28, 24, 28, 24, 28, 24,
                                            28, 24, 28, 24);
      return _mm512_srai_epi32 (_mm512_sllv_epi32 (_mm512_permutexvar_epi32 (
                                                     idx, _mm512_cvtepu8_epi32 (b)), sh), 28);
    }
  {
    const __m512i idx = _mm512_setr_epi32 (0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m512i sh = _mm512_setr_epi32 (30, 28, 26, 24, 30, 28, 26, 24, 30, 28, 26, 24,
                                          30, 28, 26, 24);
    return _mm512_srai_epi32 (_mm512_sllv_epi32 (_mm512_permutexvar_epi32 (
                                                   idx, _mm512_cvtepu8_epi32 (b)), sh), 30);
  }
}

/* Input row pointers of one output row: kernel row ky at rp[ky] (NULL: in the padding), pixel
 * ix at rp[ky] + ix * px, u8 (the input itself or the ring of unpacked rows). */
typedef struct {
  const uint8_t *rp[3];
  size_t px;
  __mmask16 mload;
} DwxRows;

/* One output row of 16 channels: the windows inside the input along x ([ox_lo, ox_hi), all 3
 * rows inside) sweep with each input column loaded once (stride 1: it serves 3 outputs;
 * stride 2: 2 of the 3 columns are new), the others take their taps checked. */
FB_KI_VNNI_INLINE void
dwx_row (const int O, const DwxRows *r, const __m512i *w, const FbKiRq *rq,
         __m128i sh, __mmask16 mo, const FbConvParams *p, uint8_t *yr, size_t out_px)
{
  const int32_t sx = p->stride_x, in_x = p->dim_in_x;
  const int rows_in = r->rp[0] != NULL && r->rp[1] != NULL && r->rp[2] != NULL;
  const int32_t last = in_x - 3 + p->pad_left; /* ox * sx <= last */
  int32_t ox_lo = (p->pad_left + sx - 1) / sx, ox_hi = last < 0 ? 0 : last / sx + 1;
  int32_t ox;

  if (ox_hi > p->dim_out_x)
    ox_hi = p->dim_out_x;
  if (!rows_in || ox_hi < ox_lo || sx > 2)
    ox_lo = ox_hi = p->dim_out_x;
  if (ox_hi > ox_lo)
    {
      const size_t px = r->px, c0 = (size_t) (ox_lo * sx - p->pad_left) * px;
      __m512i x0[3], x1[3], x2[3], acc_p = _mm512_setzero_si512 ();
      uint8_t *dst_p = NULL;
      int ky;
      for (ky = 0; ky < 3; ky++)
        {
          x0[ky] = dwx_load_u8 (r->rp[ky] + c0, r->mload);
          x1[ky] = dwx_load_u8 (r->rp[ky] + c0 + px, r->mload);
        }
      for (ox = ox_lo; ox < ox_hi; ox++)
        {
          const size_t cx = (size_t) (ox * sx - p->pad_left) * px;
          __m512i acc = _mm512_setzero_si512 ();
          for (ky = 0; ky < 3; ky++)
            {
              if (sx == 2 && ox > ox_lo)
                x1[ky] = dwx_load_u8 (r->rp[ky] + cx + px, r->mload);
              x2[ky] = dwx_load_u8 (r->rp[ky] + cx + 2 * px, r->mload);
              acc = _mm512_dpwssd_epi32 (acc, x0[ky], w[ky * 3]);
              acc = _mm512_dpwssd_epi32 (acc, x1[ky], w[ky * 3 + 1]);
              acc = _mm512_dpwssd_epi32 (acc, x2[ky], w[ky * 3 + 2]);
              x0[ky] = sx == 1 ? x1[ky] : x2[ky];
              x1[ky] = x2[ky];
            }
          /* 4/2-bit outputs in pairs of pixels, which share the packing's byte operations */
          if (O == 8)
            fb_ki_rq_store (O, O == 4, acc, rq, sh, yr + (size_t) ox * out_px, mo);
          else if (dst_p != NULL)
            {
              fb_ki_rq_store2 (O, O == 4, acc_p, acc, rq, sh, dst_p,
                               yr + (size_t) ox * out_px, mo);
              dst_p = NULL;
            }
          else
            {
              acc_p = acc;
              dst_p = yr + (size_t) ox * out_px;
            }
        }
      if (dst_p != NULL)
        fb_ki_rq_store (O, O == 4, acc_p, rq, sh, dst_p, mo);
    }
  for (ox = 0; ox < p->dim_out_x; ox++)
    {
      const int32_t ix0 = ox * sx - p->pad_left;
      __m512i acc = _mm512_setzero_si512 ();
      int ky, kx;
      if (ox >= ox_lo && ox < ox_hi)
        {
          ox = ox_hi - 1; /* done above */
          continue;
        }
      for (ky = 0; ky < 3; ky++)
        {
          if (r->rp[ky] == NULL)
            continue;
          for (kx = 0; kx < 3; kx++)
            {
              const int32_t ix = ix0 + kx;
              if (ix < 0 || ix >= in_x)
                continue;
              acc = _mm512_dpwssd_epi32 (acc, dwx_load_u8 (r->rp[ky] + (size_t) ix * r->px,
                                                          r->mload),
                                         w[ky * 3 + kx]);
            }
        }
      fb_ki_rq_store (O, O == 4, acc, rq, sh, yr + (size_t) ox * out_px, mo);
    }
}

/* The 9 weight vectors of the 16 channels from c (`m` the valid lanes, `mw` their bytes). */
FB_KI_VNNI_INLINE void
dwx_load_weights (const int W, const uint8_t *weights, int32_t ch, int32_t c, __mmask16 m,
                  __mmask16 mw, __m512i *w)
{
  const size_t w_tap = (size_t) ch * (size_t) W / 8;
  int t;
  for (t = 0; t < 9; t++)
    w[t] = W == 8 ? _mm512_cvtepi8_epi32 (_mm_maskz_loadu_epi8 (m, weights + (size_t) t * w_tap
                                                                      + (size_t) c))
                  : dwx_load_s (W, weights + (size_t) t * w_tap + (size_t) c * (size_t) W / 8,
                                mw);
}

/* 8-bit input: channel blocks of 16 outer, the weights and requantization constants of a block
 * in registers for the whole image, the taps read from the input itself. */
FB_KI_VNNI_INLINE void
dwx_3x3_u8 (const int O, const int W, const uint8_t *input, const uint8_t *weights,
            const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p)
{
  const int32_t ch = p->ch_in, in_y = p->dim_in_y;
  const size_t out_px = (size_t) ch * (size_t) O / 8, in_row = (size_t) p->dim_in_x * (size_t) ch;
  /* 4-bit outputs: shifted by 4 less (fb_ki_rq_store2()'s TOP; fb_ki_depthwise_x86() leaves
   * shifts under 4 to the generic code) */
  const __m128i sh = _mm_cvtsi32_si128 (p->out_shift - (O == 4 ? 4 : 0));
  int32_t c, oy;

  for (c = 0; c < ch; c += 16)
    {
      const int32_t left = ch - c < 16 ? ch - c : 16;
      const __mmask16 m = (__mmask16) ((1u << left) - 1u);
      const __mmask16 mw = (__mmask16) ((1u << (left * W / 8)) - 1u);
      const __mmask16 mo = (__mmask16) ((1u << (left * O / 8)) - 1u);
      const FbKiRq rq = fb_ki_rq_load (kappa + c, lambda + c, m);
      uint8_t *yc = output + (size_t) c * (size_t) O / 8;
      __m512i w[9];

      dwx_load_weights (W, weights, ch, c, m, mw, w);
      for (oy = 0; oy < p->dim_out_y; oy++)
        {
          const int32_t iy0 = oy * p->stride_y - p->pad_top;
          DwxRows r;
          int ky;
          r.px = (size_t) ch;
          r.mload = m;
          for (ky = 0; ky < 3; ky++)
            r.rp[ky] = iy0 + ky < 0 || iy0 + ky >= in_y ? NULL
                                                         : input + (size_t) (iy0 + ky) * in_row + c;
          dwx_row (O, &r, w, &rq, sh, mo, p, yc + (size_t) oy * (size_t) p->dim_out_x * out_px,
                   out_px);
        }
    }
}

/* n signed W-bit values (n a multiple of 8/W) to sign-extended bytes: unpacked as unsigned,
 * then (u ^ 2^(W-1)) - 2^(W-1), 64 bytes per step. */
FB_KI_VNNI_INLINE void
dwx_unpack_s (const int W, const uint8_t *src, int32_t n, int8_t *dst)
{
  const __m512i half = _mm512_set1_epi8 ((char) (1 << (W - 1)));
  int32_t i;

  fb_ki_unpack_u_row_call (W, src, n, (uint8_t *) dst);
  for (i = 0; i < n; i += 64)
    {
      const __mmask64 m = n - i >= 64 ? ~(__mmask64) 0 : (((__mmask64) 1) << (n - i)) - 1;
      const __m512i u = _mm512_maskz_loadu_epi8 (m, dst + i);
      _mm512_mask_storeu_epi8 (dst + i, m, _mm512_sub_epi8 (_mm512_xor_si512 (u, half), half));
    }
}

/* Sub-byte input: each input row is unpacked once, all its channels in one contiguous pass
 * (fb_ki_unpack_u_row(), 32 or 64 values per 16 source bytes), into a ring of 3 byte rows in
 * the scratch, and sub-byte weights once per call to bytes after it; then the 8-bit loop reads
 * them, output row by output row, 16 channels at a time.  Unpacking per 16 channels and pixel
 * (masked 8- or 4-byte loads) had cost about as much as the taps at stride 2, where 4 input
 * pixels are new per output.  Scratch: 3·in_x·C + 9·C bytes, within fb-kernel-depthwise.c's
 * host size for a sub-byte input (2·3·in_x·C + 18·C + 8·C). */
FB_KI_VNNI_INLINE void
dwx_3x3_sub (const int A, const int O, const int W, const uint8_t *input, const uint8_t *weights,
             const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p,
             void *buffer)
{
  const int32_t ch = p->ch_in, in_x = p->dim_in_x, in_y = p->dim_in_y;
  const size_t row = (size_t) in_x * (size_t) ch, in_row = row * (size_t) A / 8;
  const size_t out_px = (size_t) ch * (size_t) O / 8;
  /* 4-bit outputs: shifted by 4 less (fb_ki_rq_store2()'s TOP; fb_ki_depthwise_x86() leaves
   * shifts under 4 to the generic code) */
  const __m128i sh = _mm_cvtsi32_si128 (p->out_shift - (O == 4 ? 4 : 0));
  uint8_t *ring = (uint8_t *) buffer;
  int8_t *wb = (int8_t *) (ring + 3 * row);
  const uint8_t *wu = weights;
  int32_t tag[3] = { -1, -1, -1 };
  int32_t c, oy;

  if (W != 8)
    {
      dwx_unpack_s (W, weights, 9 * ch, wb);
      wu = (const uint8_t *) wb;
    }
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      const int32_t iy0 = oy * p->stride_y - p->pad_top;
      uint8_t *yr = output + (size_t) oy * (size_t) p->dim_out_x * out_px;
      const uint8_t *rows[3];
      int ky;
      for (ky = 0; ky < 3; ky++)
        {
          const int32_t iy = iy0 + ky;
          rows[ky] = NULL;
          if (iy < 0 || iy >= in_y)
            continue;
          rows[ky] = ring + (size_t) (iy % 3) * row;
          if (tag[iy % 3] != iy)
            {
              fb_ki_unpack_u_row_call (A, input + (size_t) iy * in_row, (int32_t) row,
                                  ring + (size_t) (iy % 3) * row);
              tag[iy % 3] = iy;
            }
        }
      for (c = 0; c < ch; c += 16)
        {
          const int32_t left = ch - c < 16 ? ch - c : 16;
          const __mmask16 m = (__mmask16) ((1u << left) - 1u);
          const __mmask16 mo = (__mmask16) ((1u << (left * O / 8)) - 1u);
          const FbKiRq rq = fb_ki_rq_load (kappa + c, lambda + c, m);
          DwxRows r;
          __m512i w[9];
          dwx_load_weights (8, wu, ch, c, m, m, w);
          r.px = (size_t) ch;
          r.mload = m;
          for (ky = 0; ky < 3; ky++)
            r.rp[ky] = rows[ky] != NULL ? rows[ky] + c : NULL;
          dwx_row (O, &r, w, &rq, sh, mo, p, yr + (size_t) c * (size_t) O / 8, out_px);
        }
    }
}

/* A sub-byte input whose whole tensor fits the scratch as bytes (next to 9·C weight bytes, the
 * bound of dwx_3x3_sub()'s comment): unpacked in one pass, then the 8-bit loop with the block's
 * weights and requantization constants in registers for the whole image (small late layers,
 * e.g. 7×7×128, where the row ring reloads them per output row and block). */
FB_KI_VNNI_INLINE int
dwx_input_fits (const FbConvParams *p)
{
  const uint64_t ch = (uint64_t) p->ch_in, in_x = (uint64_t) p->dim_in_x;
  return (uint64_t) p->dim_in_y * in_x * ch + 9 * ch <= 6 * in_x * ch + 26 * ch;
}

FB_KI_VNNI_INLINE void
dwx_3x3 (const int A, const int O, const int W, const uint8_t *input, const uint8_t *weights,
         const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p,
         void *buffer)
{
  if (A == 8)
    dwx_3x3_u8 (O, W, input, weights, kappa, lambda, output, p);
  else if (dwx_input_fits (p))
    {
      const size_t n = (size_t) p->dim_in_y * (size_t) p->dim_in_x * (size_t) p->ch_in;
      uint8_t *x = (uint8_t *) buffer;
      fb_ki_unpack_u_row_call (A, input, (int32_t) n, x);
      if (W == 8)
        dwx_3x3_u8 (O, 8, x, weights, kappa, lambda, output, p);
      else
        {
          dwx_unpack_s (W, weights, 9 * p->ch_in, (int8_t *) (x + n));
          dwx_3x3_u8 (O, 8, x, x + n, kappa, lambda, output, p);
        }
    }
  else
    dwx_3x3_sub (A, O, W, input, weights, kappa, lambda, output, p, buffer);
}

#define FB_DWX_DEFINE(i, o, w)                                                                \
  __attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void                          \
  dwx_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights, const int32_t *kappa, \
                          const int32_t *lambda, uint8_t *output, const FbConvParams *p,      \
                          void *buffer)                                                       \
  {                                                                                           \
    dwx_3x3 (i, o, w, input, weights, kappa, lambda, output, p, buffer);                      \
  }
FB_KERNEL_VARIANTS_IOW (FB_DWX_DEFINE)

typedef void (*DwxFunc) (const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
                         const int32_t *lambda, uint8_t *output, const FbConvParams *p,
                         void *buffer);
#define FB_DWX_PTR(i, o, w) dwx_u##i##_u##o##_i##w,
static const DwxFunc dwx_table[27] = { FB_KERNEL_VARIANTS_IOW (FB_DWX_PTR) };

static int
dwx_bits_index (int b)
{
  return b == 8 ? 0 : b == 4 ? 1 : 2;
}

int
fb_ki_depthwise_x86 (int in_bits, int out_bits, int w_bits, const uint8_t *input,
                     const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                     uint8_t *output, const FbConvParams *p, void *buffer)
{
  if (p->dim_kernel_x != 3 || p->dim_kernel_y != 3 || (out_bits == 4 && p->out_shift < 4))
    return 0;
  dwx_table[dwx_bits_index (in_bits) * 9 + dwx_bits_index (out_bits) * 3
            + dwx_bits_index (w_bits)](input, weights, kappa, lambda, output, p, buffer);
  return 1;
}

#else
/* ISO C forbids an empty translation unit */
typedef int fb_kernel_depthwise_x86_unused;
#endif /* FB_KI_X86_FILES */

/* fb-kernel-depthwise-x86.c — AVX-512 VNNI depthwise for 3×3 kernels (x86-64 host only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The host path of fb-kernel-depthwise.c calls fb_ki_depthwise_x86() first on a CPU with
 * AVX-512 VNNI; it handles 3×3 kernels (any stride, padding, bit-widths) and leaves other
 * shapes to the generic code.  16 channels are one zmm of int32 lanes, and one vpdpbusd per
 * kernel column adds the column's 3 taps: lane j of the u8 operand holds the 3 input rows'
 * values of channel j at that column (dwx_col()), lane j of the i8 operand the 3 weights of
 * the kernel column.  At stride 1 two output rows share each column (4 input rows in the 4
 * bytes; the lower row's weights are shifted up a byte), so a column serves 6 outputs.
 * Sub-byte inputs are read packed (8 or 4 bytes per row and 16 channels, moved to their lanes
 * in registers): no unpacked copy in the scratch.  The weights and requantization constants
 * of a block of 16 channels stay in registers for the whole image; the accumulators are
 * requantized in registers (fb_ki_rq_store()) and packed to O bits.  The same int32 sums
 * (|3 · 255 · 128| per vpdpbusd lane) and outputs as the portable code.
 *
 * Only built into the library when FB_KERNEL_X86_FILES is defined (meson does; an exported
 * bundle, which does not ship this file, keeps the generic host code).
 */
#include "fb-kernel-x86.h"

#if FB_KI_X86_FILES

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

/* The input rows of a column (u8 lanes of 16 channels): row k at rp[k] (packed A-bit pixels
 * of the block's channels; the pixel at ix starts ix · C · A / 8 bytes further), m[k] the
 * bytes to load (0: a row in the padding, read as zeros; a masked load with no bits set never
 * faults). */
typedef struct {
  const uint8_t *rp[4];
  __mmask16 m[4];
} DwxCols;

/* Column ix of R input rows (3, or 4 for two output rows at stride 1), 16 channels: lane j is
 * the 4 bytes x[r0][ix][c+j], x[r1][ix][c+j], .. (0 past R rows), the u8 operand of one
 * vpdpbusd per kernel column.  Sub-byte pixels are read packed, 16 channels = 8 (4-bit) or 4
 * (2-bit) bytes per row: the R rows' bytes transposed to dwords (byte k = row k), each dword
 * moved to the lanes of its 2 / 4 channels (vpermd) and shifted there to the channel's field. */
FB_KI_VNNI_INLINE __m512i
dwx_col (const int A, const int R, const int X16, const DwxCols *k, size_t off)
{
  if (A == 8)
    {
      const __m512i v0 = _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (k->m[0], k->rp[0] + off));
      const __m512i v1 = _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (k->m[1], k->rp[1] + off));
      const __m512i v2 = _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (k->m[2], k->rp[2] + off));
      __m512i hi = _mm512_slli_epi32 (v2, 16);
      if (R == 4)
        hi = _mm512_or_si512 (hi, _mm512_slli_epi32 (
                                    _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (k->m[3],
                                                                                k->rp[3] + off)),
                                    24));
      /* ternary 0xFE: v0 | v1 << 8 | hi */
      return _mm512_ternarylogic_epi32 (v0, _mm512_slli_epi32 (v1, 8), hi, 0xFE);
    }
  {
    const __m128i x0 = _mm_maskz_loadu_epi8 (k->m[0], k->rp[0] + off);
    const __m128i x1 = _mm_maskz_loadu_epi8 (k->m[1], k->rp[1] + off);
    const __m128i x2 = _mm_maskz_loadu_epi8 (k->m[2], k->rp[2] + off);
    const __m128i x3 = R == 4 ? _mm_maskz_loadu_epi8 (k->m[3], k->rp[3] + off)
                              : _mm_setzero_si128 ();
    const __m128i t01 = _mm_unpacklo_epi8 (x0, x1), t23 = _mm_unpacklo_epi8 (x2, x3);
    if (A == 4)
      {
        /* the two halves' dwords (bytes 0-3, 4-7) straight into their lanes by one vpermt2d
         * (index 16 + j: dword j of the second table), not an insert and a vpermd */
        const __m512i idx = _mm512_setr_epi32 (0, 0, 1, 1, 2, 2, 3, 3, 16, 16, 17, 17, 18, 18,
                                               19, 19);
        const __m512i sh = _mm512_setr_epi32 (0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
        const __m512i q = _mm512_permutex2var_epi32 (
          _mm512_castsi128_si512 (_mm_unpacklo_epi16 (t01, t23)), idx,
          _mm512_castsi128_si512 (_mm_unpackhi_epi16 (t01, t23)));
        if (X16)
          /* the odd channels' nibbles left in place (16·x, x ≤ 15: still a u8), their sums
           * 16 times too large, divided by dwx_rows() once per output (stride 2: 2 new
           * columns per output) */
          return _mm512_and_si512 (q, _mm512_set1_epi64 ((long long) 0xF0F0F0F00F0F0F0FULL));
        return _mm512_and_si512 (_mm512_srlv_epi32 (q, sh), _mm512_set1_epi32 (0x0F0F0F0F));
      }
    {
      const __m512i idx = _mm512_setr_epi32 (0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
      const __m512i sh = _mm512_setr_epi32 (0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6, 0, 2, 4, 6);
      return _mm512_and_si512 (
        _mm512_srlv_epi32 (_mm512_permutexvar_epi32 (
                             idx, _mm512_castsi128_si512 (_mm_unpacklo_epi16 (t01, t23))), sh),
        _mm512_set1_epi32 (0x03030303));
    }
  }
}

/* Column ix, zeros outside the input (the left / right padding). */
FB_KI_VNNI_INLINE __m512i
dwx_col_at (const int A, const int R, const int X16, const DwxCols *k, int32_t ix, int32_t in_x,
            size_t px)
{
  if (ix < 0 || ix >= in_x)
    return _mm512_setzero_si512 ();
  return dwx_col (A, R, X16, k, (size_t) ix * px);
}

/* P output rows (2: rows oy and oy + 1 at stride 1, from the 4 input rows of the column;
 * 1: row oy from 3) of 16 channels: per output pixel one vpdpbusd per kernel column and row,
 * wa[kx] the weights of kernel column kx as bytes (w[0][kx], w[1][kx], w[2][kx], 0) and
 * wb[kx] those shifted up a byte (the lower output row).  Along x each input column is built
 * once (stride 1: it serves 3 outputs; stride 2: 2 of the 3 are new).  4/2-bit outputs are
 * stored in pairs (fb_ki_rq_store2()): the two rows' pixels, or neighbouring pixels of one
 * row. */
FB_KI_VNNI_INLINE void
dwx_rows (const int A, const int O, const int TH, const int P, const int X16, const DwxCols *k,
          const __m512i *wa,
          const __m512i *wb, const FbKiRq *rq, const FbKiThr *th, __m128i sh, __mmask16 mo,
          const FbConvParams *p, uint8_t *y0, uint8_t *y1, size_t out_px)
{
  const int R = P == 2 ? 4 : 3;
  const int32_t sx = p->stride_x, in_x = p->dim_in_x;
  const size_t px = (size_t) p->ch_in * (size_t) A / 8;
  __m512i c0 = _mm512_setzero_si512 (), c1 = c0, c2 = c0, acc_p = c0;
  uint8_t *dst_p = NULL;
  int32_t ox;

  for (ox = 0; ox < p->dim_out_x; ox++)
    {
      const int32_t ix0 = ox * sx - p->pad_left;
      __m512i a;
      if (sx == 1 && ox > 0)
        {
          c0 = c1;
          c1 = c2;
        }
      else if (sx == 2 && ox > 0)
        {
          c0 = c2;
          c1 = dwx_col_at (A, R, X16, k, ix0 + 1, in_x, px);
        }
      else
        {
          c0 = dwx_col_at (A, R, X16, k, ix0, in_x, px);
          c1 = dwx_col_at (A, R, X16, k, ix0 + 1, in_x, px);
        }
      c2 = dwx_col_at (A, R, X16, k, ix0 + 2, in_x, px);
      a = _mm512_dpbusd_epi32 (_mm512_setzero_si512 (), c0, wa[0]);
      a = _mm512_dpbusd_epi32 (a, c1, wa[1]);
      a = _mm512_dpbusd_epi32 (a, c2, wa[2]);
      if (X16)
        /* the odd channels' sums are multiples of 16: exact */
        a = _mm512_mask_srai_epi32 (a, 0xAAAA, a, 4);
      if (P == 2)
        {
          __m512i b = _mm512_dpbusd_epi32 (_mm512_setzero_si512 (), c0, wb[0]);
          b = _mm512_dpbusd_epi32 (b, c1, wb[1]);
          b = _mm512_dpbusd_epi32 (b, c2, wb[2]);
          if (X16)
            b = _mm512_mask_srai_epi32 (b, 0xAAAA, b, 4);
          if (TH)
            fb_ki_store_pair (2, fb_ki_thr_pack2 (a, b, th), y0 + (size_t) ox * out_px,
                              y1 + (size_t) ox * out_px, mo);
          else
            fb_ki_rq_store2 (O, O == 4, a, b, rq, sh, y0 + (size_t) ox * out_px,
                           y1 + (size_t) ox * out_px, mo);
        }
      else if (O == 8)
        fb_ki_rq_store (O, 0, a, rq, sh, y0 + (size_t) ox * out_px, mo);
      else if (dst_p != NULL && TH)
        {
          fb_ki_store_pair (2, fb_ki_thr_pack2 (acc_p, a, th), dst_p, y0 + (size_t) ox * out_px,
                            mo);
          dst_p = NULL;
        }
      else if (dst_p != NULL)
        {
          fb_ki_rq_store2 (O, O == 4, acc_p, a, rq, sh, dst_p, y0 + (size_t) ox * out_px, mo);
          dst_p = NULL;
        }
      else
        {
          acc_p = a;
          dst_p = y0 + (size_t) ox * out_px;
        }
    }
  /* an unpaired last pixel: paired with itself, stored once */
  if (dst_p != NULL && TH)
    fb_ki_store_pair (2, fb_ki_thr_pack2 (acc_p, acc_p, th), dst_p, dst_p, mo);
  else if (dst_p != NULL)
    fb_ki_rq_store (O, O == 4, acc_p, rq, sh, dst_p, mo);
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

/* The block's kernel columns as vpdpbusd bytes: wa[kx] lane j = (w[0][kx], w[1][kx],
 * w[2][kx], 0) of channel c + j. */
FB_KI_VNNI_INLINE void
dwx_weight_cols (const int W, const uint8_t *weights, int32_t ch, int32_t c, __mmask16 m,
                 __mmask16 mw, __m512i *wa)
{
  const __m512i lo8 = _mm512_set1_epi32 (0xFF);
  __m512i w[9];
  int kx;

  dwx_load_weights (W, weights, ch, c, m, mw, w);
  for (kx = 0; kx < 3; kx++)
    /* ternary 0xEA: (w0 & 0xFF) | ((w1 & 0xFF) << 8 | (w2 & 0xFF) << 16) */
    wa[kx] = _mm512_ternarylogic_epi32 (
      w[kx], lo8,
      _mm512_or_si512 (_mm512_slli_epi32 (_mm512_and_si512 (w[3 + kx], lo8), 8),
                       _mm512_slli_epi32 (_mm512_and_si512 (w[6 + kx], lo8), 16)),
      0xEA);
}

/* Bytes per 16-channel block of the prepared layout (FB_KERNEL_FLAG_HOST_PREPARED): wa[0..2]
 * (dwx_weight_cols()), then for 2-bit outputs the thresholds t[0..2] and the sign lanes s
 * (fb_ki_thr_load()), 64 bytes each. */
static inline size_t
dwx_block_bytes (int O)
{
  return (size_t) (O == 2 ? 7 : 3) * 64;
}

/* Channel blocks of 16 outer: the block's weights (as vpdpbusd bytes) and requantization
 * constants stay in registers for the whole image; output rows in pairs at stride 1. */
FB_KI_VNNI_INLINE void
dwx_3x3 (const int A, const int O, const int W, const int TH, const uint8_t *input,
         const uint8_t *weights, const int32_t *kappa, const int32_t *lambda, uint8_t *output,
         const FbConvParams *p, const uint8_t *prep)
{
  const int32_t ch = p->ch_in, in_y = p->dim_in_y, out_y = p->dim_out_y;
  const size_t in_row = (size_t) p->dim_in_x * (size_t) ch * (size_t) A / 8;
  const size_t out_px = (size_t) ch * (size_t) O / 8, out_row = (size_t) p->dim_out_x * out_px;
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
      const __mmask16 mi = (__mmask16) ((1u << (left * A / 8)) - 1u);
      /* TH: 2-bit outputs by thresholds (fb_ki_thr_load()), else the multiply form; prep:
       * the block's wa[] and thresholds made once per layer (dwx_prepare_block()) */
      FbKiRq rq;
      FbKiThr th;
      const __m512i *pv = prep != NULL ? (const __m512i *) (const void *) (prep + (size_t) (c / 16)
                                                                         * dwx_block_bytes (O))
                                       : NULL;
      if (TH && pv != NULL)
        {
          th.t[0] = _mm512_load_si512 (pv + 3);
          th.t[1] = _mm512_load_si512 (pv + 4);
          th.t[2] = _mm512_load_si512 (pv + 5);
          th.s = _mm512_load_si512 (pv + 6);
        }
      else if (TH)
        th = fb_ki_thr_load (kappa + c, lambda + c, p->out_shift, m);
      else
        rq = fb_ki_rq_load (kappa + c, lambda + c, m);
      const size_t xoff = (size_t) c * (size_t) A / 8;
      uint8_t *yc = output + (size_t) c * (size_t) O / 8;
      __m512i wa[3], wb[3];
      int kx;

      if (pv != NULL)
        for (kx = 0; kx < 3; kx++)
          wa[kx] = _mm512_load_si512 (pv + kx);
      else
        dwx_weight_cols (W, weights, ch, c, m, mw, wa);
      for (kx = 0; kx < 3; kx++)
        wb[kx] = _mm512_slli_epi32 (wa[kx], 8);
      for (oy = 0; oy < out_y;)
        {
          const int P = p->stride_y == 1 && oy + 1 < out_y ? 2 : 1;
          const int32_t iy0 = oy * p->stride_y - p->pad_top;
          uint8_t *y0 = yc + (size_t) oy * out_row;
          DwxCols k;
          int r;
          for (r = 0; r < 4; r++)
            {
              const int32_t iy = iy0 + r;
              const int in = r < P + 2 && iy >= 0 && iy < in_y;
              k.rp[r] = input + (in ? (size_t) iy * in_row : 0) + xoff;
              k.m[r] = in ? mi : 0;
            }
          /* X16 for 4-bit inputs at stride 2 (fewer outputs than columns per row) */
          if (A == 4 && p->stride_x == 2)
            {
              if (P == 2)
                dwx_rows (A, O, TH, 2, 1, &k, wa, wb, &rq, &th, sh, mo, p, y0, y0 + out_row,
                          out_px);
              else
                dwx_rows (A, O, TH, 1, 1, &k, wa, wb, &rq, &th, sh, mo, p, y0, NULL, out_px);
            }
          else if (P == 2)
            dwx_rows (A, O, TH, 2, 0, &k, wa, wb, &rq, &th, sh, mo, p, y0, y0 + out_row,
                      out_px);
          else
            dwx_rows (A, O, TH, 1, 0, &k, wa, wb, &rq, &th, sh, mo, p, y0, NULL, out_px);
          oy += P;
        }
    }
}

/* 2-bit outputs by thresholds from FB_KI_THR_PIXELS output pixels on.  Measured (2026-12-04,
 * per-layer minima, load 15): fmnist-mbv1's dw2 (28×28 outputs) 1.94–1.96 → 1.72–1.73 µs, dw4
 * (14×14) 2.01 → 1.84–1.85, dw3 (14×14, stride 2) 1.62 → 1.58; the 7×7 layers dw5–dw7
 * +0.04–0.06 µs (so they keep the multiply form).  With the thresholds prepared once per
 * layer (FB_KERNEL_FLAG_HOST_PREPARED) there is no set-up left: thresholds at any size. */

#define FB_DWX_DEFINE(i, o, w)                                                                \
  __attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void                          \
  dwx_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights, const int32_t *kappa, \
                          const int32_t *lambda, uint8_t *output, const FbConvParams *p,      \
                          void *buffer)                                                       \
  {                                                                                           \
    const uint8_t *prep = (p->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED) ? weights : NULL;    \
    (void) buffer;                                                                            \
    if (o == 2 && (prep != NULL || (int64_t) p->dim_out_x * p->dim_out_y >= FB_KI_THR_PIXELS)) \
      dwx_3x3 (i, o, w, 1, input, weights, kappa, lambda, output, p, prep);                   \
    else                                                                                      \
      dwx_3x3 (i, o, w, 0, input, weights, kappa, lambda, output, p, prep);                   \
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
fb_ki_depthwise_x86_applies (int out_bits, const FbConvParams *p)
{
  /* 4-bit outputs shift by 4 less, 2-bit ones compare with j·2^shift (fb_ki_thr_load()) */
  return p->dim_kernel_x == 3 && p->dim_kernel_y == 3 && !(out_bits == 4 && p->out_shift < 4)
         && !(out_bits == 2 && p->out_shift > 31);
}

int
fb_ki_depthwise_x86 (int in_bits, int out_bits, int w_bits, const uint8_t *input,
                     const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                     uint8_t *output, const FbConvParams *p, void *buffer)
{
  if (!fb_ki_depthwise_x86_applies (out_bits, p))
    return 0;
  dwx_table[dwx_bits_index (in_bits) * 9 + dwx_bits_index (out_bits) * 3
            + dwx_bits_index (w_bits)](input, weights, kappa, lambda, output, p, buffer);
  return 1;
}

size_t
fb_ki_depthwise_x86_prepared_size (int out_bits, const FbConvParams *p)
{
  return (size_t) (p->ch_in + 15) / 16 * dwx_block_bytes (out_bits);
}

__attribute__ ((target (FB_KI_VNNI_TARGET))) void
fb_ki_depthwise_x86_prepare (int out_bits, int w_bits, const uint8_t *weights,
                             const int32_t *kappa, const int32_t *lambda, const FbConvParams *p,
                             uint8_t *prepared)
{
  const int32_t ch = p->ch_in;
  int32_t c;

  for (c = 0; c < ch; c += 16)
    {
      const int32_t left = ch - c < 16 ? ch - c : 16;
      const __mmask16 m = (__mmask16) ((1u << left) - 1u);
      const __mmask16 mw = (__mmask16) ((1u << (left * w_bits / 8)) - 1u);
      __m512i *pv = (__m512i *) (void *) (prepared + (size_t) (c / 16) * dwx_block_bytes (out_bits));
      __m512i wa[3];
      int kx;

      if (w_bits == 8)
        dwx_weight_cols (8, weights, ch, c, m, mw, wa);
      else if (w_bits == 4)
        dwx_weight_cols (4, weights, ch, c, m, mw, wa);
      else
        dwx_weight_cols (2, weights, ch, c, m, mw, wa);
      for (kx = 0; kx < 3; kx++)
        _mm512_storeu_si512 (pv + kx, wa[kx]);
      if (out_bits == 2)
        {
          const FbKiThr th = fb_ki_thr_load (kappa + c, lambda + c, p->out_shift, m);
          _mm512_storeu_si512 (pv + 3, th.t[0]);
          _mm512_storeu_si512 (pv + 4, th.t[1]);
          _mm512_storeu_si512 (pv + 5, th.t[2]);
          _mm512_storeu_si512 (pv + 6, th.s);
        }
    }
}

#else
/* ISO C forbids an empty translation unit */
typedef int fb_kernel_depthwise_x86_unused;
#endif /* FB_KI_X86_FILES */

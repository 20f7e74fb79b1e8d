/* fb-kernel-conv-gather.h — the scalar conv path's column gathers of whole blocks of 4 pixels:
 * u2 x i2 in L9 words (conv_scalar_gather_l9()), 8-bit inputs for the fused path
 * (conv_scalar_gather_u8()) and 4- or 2-bit inputs spread to bytes for the widened variants
 * (conv_scalar_gather_sub()).  Included once, by fb-kernel-conv-scalar.h, where they stood
 * (they use that header's helpers); not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Whether conv_scalar_gather_l9() takes a whole column: u2 x i2 with whole-word taps, at
 * most 21 words per input pixel (its byte lanes of sums). */
FB_KI_INLINE int
conv_scalar_l9_fast (const int A, const int W, const FbConvParams *p)
{
  return A == 2 && W == 2 && conv_scalar_perm (A, p->ch_in) && p->ch_in <= 336;
}

/* u2 x i2 with whole-word taps (conv_scalar_l9_fast()): the whole columns (kernel rows
 * [ky_lo, ky_hi)) of the block of 4 pixels from ox (npx real, the others zero) in L9 words.
 * Each input pixel of the block's window is loaded and spread once (the L9 words of
 * conv_scalar_copy_groups()) and stored into every column that has it as a tap (up to Kx of
 * them at stride 1) instead of once per column; a tap in the padding gets the pad word.
 * colsum[q] = the sum of pixel q's values. */
FB_KI_INLINE void
conv_scalar_gather_l9 (const int ALIGNED, const int S1, const int SI, const uint8_t *input,
                       const FbConvParams *p, int32_t iy0, int32_t ox, int32_t npx,
                       int32_t ky_lo, int32_t ky_hi, uint8_t *col, int32_t *colsum)
{
  /* S1: stride 1 (its own copy, without divisions) */
  const int32_t kxn = p->dim_kernel_x, sx = S1 ? 1 : p->stride_x, cin = p->ch_in, nw = cin / 16;
  const int32_t g_tap = cin / 4, x0 = ox * sx - p->pad_left, win = p->dim_in_x;
  const int32_t xend = (ox + npx - 1) * sx - p->pad_left + kxn;
  const size_t px_bytes = (size_t) cin / 4, row_groups = (size_t) kxn * (size_t) g_tap;
  const size_t row_bytes = (size_t) win * px_bytes;
  const uint32_t K = fb_ki_l9_k (), N = 0x000F000Fu, pad = SI ? FB_KI_L9_PAD : 0;
  /* from pixel q's column to pixel q + 1's at the same input pixel (its tap sx lower) */
  const ptrdiff_t dq = 4 - (ptrdiff_t) sx * (ptrdiff_t) g_tap * 16;
  /* the sums in a local array (the stores into col cannot reach it), written back at the end */
  int32_t cs4[FB_CONV_SC_PIX] = { 0, 0, 0, 0 };
  int32_t ky, x, q, w;
  size_t g;

  for (q = npx; q < FB_CONV_SC_PIX; q++)
    for (g = 0; g < (size_t) (ky_hi - ky_lo) * row_groups; g++)
      fb_ki_st32 (col + g * 16 + (size_t) q * 4, 0);
  for (ky = ky_lo; ky < ky_hi; ky++, col += row_groups * 16)
    {
      const uint8_t *row = input + (size_t) (iy0 + ky) * row_bytes;
      for (x = x0; x < xend; x++)
        {
          /* the pixels q whose tap kx = x - x0 - q sx is in [0, Kx) */
          const int32_t rel = x - x0;
          const int32_t q_lo = rel >= kxn ? (rel - kxn) / sx + 1 : 0;
          const int32_t q_hi = rel / sx < npx - 1 ? rel / sx : npx - 1;
          uint8_t *d0 = col + (size_t) q_lo * 4 + (size_t) (rel - q_lo * sx) * (size_t) g_tap * 16;
          int32_t c;
          uint32_t cs = 0;
          if (q_lo > q_hi)
            continue;
          if ((uint32_t) x >= (uint32_t) win)   /* x < 0 or x >= the input's width */
            {
              for (q = q_lo; q <= q_hi; q++, d0 += dq)
                {
                  for (g = 0; g < (size_t) g_tap; g++)
                    fb_ki_st32 (d0 + g * 16, pad);
                  cs4[q] += SI ? 2 * cin : 0;
                }
              continue;
            }
          {
            const uint8_t *sp = row + (size_t) x * px_bytes;
            for (w = 0; w < nw; w++, d0 += 64, sp += 4)
              {
                uint32_t v, x0w, x1w, x2w, x3w;
                uint8_t *d = d0;
                if (ALIGNED)
                  v = fb_ki_ld32 (sp);
                else
                  memcpy (&v, sp, 4);
                if (SI)
                  v ^= 0xAAAAAAAAu;
                x0w = ((v & N) * K) & FB_KI_L9_M;
                x1w = (((v >> 4) & N) * K) & FB_KI_L9_M;
                x2w = (((v >> 8) & N) * K) & FB_KI_L9_M;
                x3w = (((v >> 12) & N) * K) & FB_KI_L9_M;
                cs += fb_ki_crumbsum4 (v);   /* bytes <= 12 per word */
                for (q = q_lo; q <= q_hi; q++, d += dq)
                  {
                    fb_ki_st32 (d, x0w);
                    fb_ki_st32 (d + 16, x1w);
                    fb_ki_st32 (d + 32, x2w);
                    fb_ki_st32 (d + 48, x3w);
                  }
              }
          }
          cs = fb_ki_bytesum2 (cs);
          c = (int32_t) ((cs & 0xFFFFu) + (cs >> 16));
          for (q = q_lo; q <= q_hi; q++)
            cs4[q] += c;
        }
    }
  for (q = 0; q < FB_CONV_SC_PIX; q++)
    colsum[q] = cs4[q];
}

/* The fused path's gather (8-bit unsigned input, whole columns): when all 4 pixels' windows
 * lie inside the input along x, each kernel row of the 4 columns is copied side by side, in
 * words when the rows are runs of whole aligned words (a 1x1 conv: the input pixels as they
 * are), else byte by byte, one position computed for the 4 pixels; other blocks (padding, a
 * short block) take the per-pixel gather. */
FB_KI_INLINE void
conv_scalar_gather_u8 (const uint8_t *input, const FbConvParams *p, int32_t iy0, int32_t ox,
                       int32_t npx, int32_t ky_lo, int32_t ky_hi, int32_t kn, uint8_t *col)
{
  const int32_t cin = p->ch_in, kxn = p->dim_kernel_x, sx = p->stride_x;
  const int32_t ix0 = ox * sx - p->pad_left;
  const uint32_t run = (uint32_t) (kxn * cin);
  const size_t s1 = (size_t) sx * (size_t) cin, row_bytes = (size_t) p->dim_in_x * (size_t) cin;
  int32_t colsum[FB_CONV_SC_PIX] = { 0, 0, 0, 0 };   /* not summed (SUM = 0) */
  uint32_t e, j = 0;
  int32_t ky;

  if (npx < FB_CONV_SC_PIX || ix0 < 0 || ix0 + 3 * sx + kxn > p->dim_in_x)
    {
      conv_scalar_gather (8, 0, 0, 0, input, p, iy0, ox, npx, ky_lo, ky_hi, 0, kn, kn, col,
                          colsum);
      return;
    }
  for (ky = ky_lo; ky < ky_hi; ky++)
    {
      const uint8_t *r = input + (size_t) (iy0 + ky) * row_bytes + (size_t) ix0 * (size_t) cin;
      if (FB_KI_LITTLE_ENDIAN && cin % 4 == 0 && ((uintptr_t) r & 3u) == 0 && s1 % 4 == 0)
        for (e = 0; e < run; e += 4, j += 4)
          {
            uint8_t *d = col + j * 4;
            fb_ki_st32 (d, fb_ki_ld32 (r + e));
            fb_ki_st32 (d + 4, fb_ki_ld32 (r + s1 + e));
            fb_ki_st32 (d + 8, fb_ki_ld32 (r + 2 * s1 + e));
            fb_ki_st32 (d + 12, fb_ki_ld32 (r + 3 * s1 + e));
          }
      else
        for (e = 0; e < run; e++, j++)
          {
            uint8_t *d = col + (j >> 2) * 16 + (j & 3u);
            d[0] = r[e];
            d[4] = r[s1 + e];
            d[8] = r[2 * s1 + e];
            d[12] = r[3 * s1 + e];
          }
    }
  for (; j % 4 != 0; j++)   /* the rest of the last group: zeros */
    {
      uint8_t *d = col + (j >> 2) * 16 + (j & 3u);
      d[0] = d[4] = d[8] = d[12] = 0;
    }
}

/* The fused path's gather of a sub-byte unsigned input (a variant widened to u8 x i8,
 * conv_scalar_wide()): one value per byte.  When the taps are whole words
 * (conv_scalar_perm()), the input aligned and all 4 pixels' windows inside the input along x,
 * each input word of a kernel row is spread into 8 / A words of the 4 columns by a shift and
 * a mask each (the permuted k order of the prepared weights); other blocks take the per-pixel
 * gather (the last group's rest and the absent pixels' columns zero). */
FB_KI_INLINE void
conv_scalar_gather_sub (const int A, const uint8_t *input, const FbConvParams *p, int32_t iy0,
                        int32_t ox, int32_t npx, int32_t ky_lo, int32_t ky_hi, int32_t kn,
                        uint8_t *col)
{
  const int32_t cin = p->ch_in, kxn = p->dim_kernel_x, sx = p->stride_x;
  const int32_t ix0 = ox * sx - p->pad_left;
  const uint32_t M = A == 4 ? 0x0F0F0F0Fu : 0x03030303u;
  const size_t px_bytes = (size_t) cin * (size_t) A / 8;
  const size_t s1 = (size_t) sx * px_bytes, row_bytes = (size_t) p->dim_in_x * px_bytes;
  const uint32_t nw = (uint32_t) kxn * (uint32_t) px_bytes / 4;
  int32_t colsum[FB_CONV_SC_PIX] = { 0, 0, 0, 0 };   /* not summed (SUM = 0) */
  uint8_t *d = col;
  uint32_t e;
  int32_t ky;

  if (!conv_scalar_perm (A, cin) || ((uintptr_t) input & 3u) != 0 || npx < FB_CONV_SC_PIX
      || ix0 < 0 || ix0 + 3 * sx + kxn > p->dim_in_x)
    {
      conv_scalar_gather (A, 0, 0, 0, input, p, iy0, ox, npx, ky_lo, ky_hi, 0, kn, kn, col,
                          colsum);
      return;
    }
  for (ky = ky_lo; ky < ky_hi; ky++)
    {
      const uint8_t *r = input + (size_t) (iy0 + ky) * row_bytes + (size_t) ix0 * px_bytes;
      for (e = 0; e < nw; e++, r += 4)
        {
          const uint32_t v0 = fb_ki_ld32 (r), v1 = fb_ki_ld32 (r + s1);
          const uint32_t v2 = fb_ki_ld32 (r + 2 * s1), v3 = fb_ki_ld32 (r + 3 * s1);
          int f;
          for (f = 0; f < 8 / A; f++, d += 16)
            {
              fb_ki_st32 (d, (v0 >> (A * f)) & M);
              fb_ki_st32 (d + 4, (v1 >> (A * f)) & M);
              fb_ki_st32 (d + 8, (v2 >> (A * f)) & M);
              fb_ki_st32 (d + 12, (v3 >> (A * f)) & M);
            }
        }
    }
}

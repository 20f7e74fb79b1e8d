/* fb-kernel-conv-im2col.h — the scalar conv path's im2col: copy / unpack of input groups into
 * the column buffer (8-bit, 4-bit and 2-bit inputs, u2 x i2's 9-bit lanes, T3's words).
 * Included once, by fb-kernel-conv-scalar.h, where it stood (it uses that header's helpers:
 * fb_ki_ld32, fb_ki_l9, fb_ki_crumbsum4, conv_scalar_kpos ...); not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* Copy / unpack n4 groups of 4 values (A bits each) from src to d[i * 16]; returns their sum
 * when SUM.  src must be 4-byte aligned when ALIGNED (A = 8, or PERM).  PERM (sub-byte, n4 a
 * multiple of 8 / A): by whole words in the permuted k order (see conv_scalar_perm()).  L9
 * (A = 2): the words in u2 x i2's 9-bit lanes (fb_ki_l9()); with PERM in the L9 order of
 * conv_scalar_kpos(): group g of an input word takes the nibbles g of its two halves
 * (fb_ki_l9_k()), 3 or 4 operations per stored word. */
FB_KI_INLINE int32_t
conv_scalar_copy_groups (const int A, const int L9, const int SI, const int SUM,
                         const int ALIGNED, const int PERM, const uint8_t *src, int32_t n4,
                         uint8_t *d)
{
  /* 8 bits: 16-bit lanes of s take 128 groups; sub-byte values add up in the bytes of s
   * directly (one add per group), 17 groups of 4-bit values or 85 of 2-bit ones (L9 with
   * PERM: <= 12 per byte and input word of 4 groups, fb_ki_crumbsum4()) */
  const int32_t run = A == 8 ? 128 : A == 4 ? 16 : 64;
  int32_t total = 0, i = 0;
  while (i < n4)
    {
      const int32_t end = n4 - i > run ? i + run : n4;
      uint32_t s = 0;
      if (PERM && L9 && A == 2)
        {
          const uint32_t K = fb_ki_l9_k (), N = 0x000F000Fu;
          const uint8_t *sp = src + (size_t) i;
          for (; i < end; i += 4, sp += 4, d += 64)
            {
              uint32_t v;
              if (ALIGNED)
                v = fb_ki_ld32 (sp);
              else
                memcpy (&v, sp, 4);
              if (SI)
                v ^= 0xAAAAAAAAu;
              fb_ki_st32 (d, ((v & N) * K) & FB_KI_L9_M);
              fb_ki_st32 (d + 16, (((v >> 4) & N) * K) & FB_KI_L9_M);
              fb_ki_st32 (d + 32, (((v >> 8) & N) * K) & FB_KI_L9_M);
              fb_ki_st32 (d + 48, (((v >> 12) & N) * K) & FB_KI_L9_M);
              if (SUM)
                s += fb_ki_crumbsum4 (v);
            }
        }
      else if (PERM)
        {
          const int F = 8 / A;
          const uint32_t M = A == 4 ? 0x0F0F0F0Fu : 0x03030303u;
          /* the F fields written out (GCC -O2 kept a loop over them: 7 instructions per
           * stored word instead of 4) and the source walked by a pointer */
          const uint8_t *sp = src + (size_t) i * (size_t) A / 2;
          for (; i < end; i += F, sp += 4, d += 16 * F)
            {
              uint32_t v, u0, u1, u2 = 0, u3 = 0;
              if (ALIGNED)
                v = fb_ki_ld32 (sp);
              else
                memcpy (&v, sp, 4);
              u0 = v & M;
              u1 = (v >> A) & M;
              if (F == 4)
                {
                  u2 = (v >> 4) & M;
                  u3 = (v >> 6) & M;
                }
              if (SI)
                {
                  u0 ^= fb_ki_offset_word (A);
                  u1 ^= fb_ki_offset_word (A);
                  if (F == 4)
                    {
                      u2 ^= fb_ki_offset_word (A);
                      u3 ^= fb_ki_offset_word (A);
                    }
                }
              fb_ki_st32 (d, u0);
              fb_ki_st32 (d + 16, u1);
              if (F == 4)
                {
                  fb_ki_st32 (d + 32, u2);
                  fb_ki_st32 (d + 48, u3);
                }
              if (SUM)
                s += u0 + u1 + u2 + u3;
            }
        }
      else
        {
          for (; i < end; i++, d += 16)
            {
              uint32_t v;
              if (A == 8)
                {
                  if (ALIGNED)
                    v = fb_ki_ld32 (src + (size_t) i * 4);
                  else
                    memcpy (&v, src + (size_t) i * 4, 4);
                }
              else if (A == 4)
                {
                  v = (uint32_t) src[2 * i] | (uint32_t) src[2 * i + 1] << 16;
                  v = (v & 0x000F000Fu) | (v & 0x00F000F0u) << 4;
                }
              else
                {
                  v = src[i];
                  v = (v | v << 6 | v << 12 | v << 18) & 0x03030303u;
                }
              if (SI)
                v ^= fb_ki_offset_word (A);
              fb_ki_st32 (d, L9 ? fb_ki_l9 (v) : v);
              if (SUM)
                s += A == 8 ? fb_ki_bytesum2 (v) : v;
            }
        }
      if (SUM && A != 8)
        s = fb_ki_bytesum2 (s);
      if (SUM)
        total += (int32_t) ((s & 0xFFFFu) + (s >> 16));
    }
  return total;
}

/* Gather one pixel's column, kernel rows [ky_lo, ky_hi), into col (already offset by
 * pixel * 4): element j goes to col[(j / 4) * 16 + j % 4].  Returns the sum of the gathered
 * values when SUM (0 otherwise). */
FB_KI_INLINE int32_t
conv_scalar_im2col (const int A, const int L9, const int SI, const int SUM, const uint8_t *input,
                    const FbConvParams *p, int32_t iy0, int32_t ix0, int32_t ky_lo, int32_t ky_hi,
                    uint8_t *col)
{
  const uint32_t pad_word = SI ? (L9 ? FB_KI_L9_PAD : fb_ki_offset_word (A)) : 0;
  const int32_t pad_value = SI ? 1 << (A - 1) : 0;
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in;
  const size_t px_bytes = (size_t) cin * (size_t) A / 8;
  const int32_t kx_lo = ix0 < 0 ? (-ix0 < kxn ? -ix0 : kxn) : 0;
  const int32_t kx_hi = p->dim_in_x - ix0 < kxn ? (p->dim_in_x - ix0 > kx_lo ? p->dim_in_x - ix0
                                                                               : kx_lo)
                                                : kxn;
  const int perm = conv_scalar_perm (A, cin);
  int32_t ky, i, total = 0;

  if (FB_KI_LITTLE_ENDIAN && cin % 4 == 0)
    {
      /* every tap starts a group; the taps [kx_lo, kx_hi) of a kernel row are contiguous in
       * the input, copied as one run of whole words */
      const int32_t g_row = kxn * cin / 4, g_lo = kx_lo * cin / 4, g_hi = kx_hi * cin / 4;
      uint8_t *d = col;
      for (ky = ky_lo; ky < ky_hi; ky++, d += (size_t) g_row * 16)
        {
          for (i = 0; i < g_lo; i++)
            fb_ki_st32 (d + (size_t) i * 16, pad_word);
          for (i = g_hi; i < g_row; i++)
            fb_ki_st32 (d + (size_t) i * 16, pad_word);
          if (SI)
            total += 4 * pad_value * (g_lo + g_row - g_hi);
          if (g_hi > g_lo)
            {
              const uint8_t *src = input + ((size_t) (iy0 + ky) * (size_t) p->dim_in_x
                                            + (size_t) (ix0 + kx_lo)) * px_bytes;
              if ((A == 8 || perm) && ((uintptr_t) src & 3u) != 0)
                total += conv_scalar_copy_groups (A, L9, SI, SUM, 0, perm, src, g_hi - g_lo,
                                                  d + (size_t) g_lo * 16);
              else
                total += conv_scalar_copy_groups (A, L9, SI, SUM, 1, perm, src, g_hi - g_lo,
                                                  d + (size_t) g_lo * 16);
            }
        }
    }
  else
    {
      int32_t kx, j = 0;
      for (ky = ky_lo; ky < ky_hi; ky++)
        for (kx = 0; kx < kxn; kx++, j += cin)
          {
            const int32_t ix = ix0 + kx;
            const int pad = ix < 0 || ix >= p->dim_in_x;
            const uint8_t *src = pad ? NULL
                                 : input + ((size_t) (iy0 + ky) * (size_t) p->dim_in_x
                                            + (size_t) ix) * px_bytes;
            for (i = 0; i < cin; i++)
              {
                const uint32_t jj = (uint32_t) (j + i);
                const int32_t v = pad ? pad_value
                                      : fb_ki_get_u (A, src, (size_t) i) ^ pad_value;
                col[(jj >> 2) * 16 + (jj & 3u)] = (uint8_t) (L9 ? v << (3 + (jj & 3u)) : v);
                total += v;
              }
          }
      for (; j % 4 != 0; j++)   /* the rest of the last group: zeros */
        col[((uint32_t) j >> 2) * 16 + ((uint32_t) j & 3u)] = 0;
    }
  return SUM ? total : 0;
}

/* Gather values [kb, ke) of one pixel's column over kernel rows ky_lo... (k counted from the
 * first of those rows; kb a multiple of 4) into col (already offset by pixel * 4): value k
 * goes to col[((k - kb) / 4) * 16 + (k - kb) % 4].  Returns their sum when SUM.  The column of
 * a long reduction is gathered in parts this way (see FB_CONV_SC_KC). */
FB_KI_INLINE int32_t
conv_scalar_im2col_part (const int A, const int L9, const int SI, const int SUM,
                         const uint8_t *input, const FbConvParams *p, int32_t iy0, int32_t ix0,
                         int32_t ky_lo, int32_t kb, int32_t ke, uint8_t *col)
{
  const uint32_t pad_word = SI ? (L9 ? FB_KI_L9_PAD : fb_ki_offset_word (A)) : 0;
  const int32_t pad_value = SI ? 1 << (A - 1) : 0;
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in;
  const size_t px_bytes = (size_t) cin * (size_t) A / 8;
  const int perm = conv_scalar_perm (A, cin);
  int32_t k, total = 0;

  if (FB_KI_LITTLE_ENDIAN && cin % 4 == 0)
    {
      /* tap by tap: the part's share of a tap's channels is a run of whole groups */
      uint8_t *d = col;
      for (k = kb; k < ke;)
        {
          const int32_t t = k / cin, ci0 = k - t * cin;
          const int32_t n = cin - ci0 < ke - k ? cin - ci0 : ke - k;
          const int32_t ix = ix0 + t % kxn, iy = iy0 + ky_lo + t / kxn;
          int32_t g;
          if (ix < 0 || ix >= p->dim_in_x)
            {
              for (g = 0; g < n / 4; g++)
                fb_ki_st32 (d + (size_t) g * 16, pad_word);
              if (SI)
                total += pad_value * n;
            }
          else
            {
              const uint8_t *src = input + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                             * px_bytes
                                   + (size_t) ci0 * (size_t) A / 8;
              if ((A == 8 || perm) && ((uintptr_t) src & 3u) != 0)
                total += conv_scalar_copy_groups (A, L9, SI, SUM, 0, perm, src, n / 4, d);
              else
                total += conv_scalar_copy_groups (A, L9, SI, SUM, 1, perm, src, n / 4, d);
            }
          d += (size_t) (n / 4) * 16;
          k += n;
        }
    }
  else
    for (k = kb; k < ke; k++)
      {
        const int32_t t = k / cin, ci = k - t * cin;
        const int32_t ix = ix0 + t % kxn, iy = iy0 + ky_lo + t / kxn;
        const int32_t v = ix < 0 || ix >= p->dim_in_x
                            ? pad_value
                            : fb_ki_get_u (A, input + ((size_t) iy * (size_t) p->dim_in_x
                                                       + (size_t) ix) * px_bytes,
                                           (size_t) ci) ^ pad_value;
        col[(size_t) ((k - kb) / 4) * 16 + (size_t) ((k - kb) % 4)]
          = (uint8_t) (L9 ? v << (3 + (k - kb) % 4) : v);
        total += v;
      }
  return SUM ? total : 0;
}

/* Word i of a T3 kernel row: the input's word (a signed input's values offset, see
 * fb_ki_offset_word()) or, for a tap in the padding, the padded value's. */
FB_KI_INLINE uint32_t
conv_scalar_t3_word (const int ALIGNED, const int SI, const uint8_t *src, int32_t i,
                     int32_t g_lo, int32_t g_hi)
{
  uint32_t v;
  if (i < g_lo || i >= g_hi)
    return SI ? 0x88888888u : 0;
  if (ALIGNED)
    v = fb_ki_ld32 (src + (size_t) (i - g_lo) * 4);
  else
    memcpy (&v, src + (size_t) (i - g_lo) * 4, 4);
  return SI ? v ^ 0x88888888u : v;
}

/* One kernel row of a pixel's T3 column (see conv_scalar_t3_row_words()): r input words, those
 * in [g_lo, g_hi) from src, into d[i * 16] for X word i.  Returns the sum of the values when
 * SUM. */
FB_KI_INLINE int32_t
conv_scalar_t3_row (const int ALIGNED, const int SI, const int SUM, const uint8_t *src,
                    int32_t r, int32_t g_lo, int32_t g_hi, uint8_t *d)
{
  const uint32_t M = 0xF00F00F0u, N = 0x0F0F0F0Fu;
  uint32_t s = 0;
  int32_t i, total = 0;
  for (i = 0; i + 3 <= r; i += 3, d += 128)
    {
      const uint32_t v0 = conv_scalar_t3_word (ALIGNED, SI, src, i, g_lo, g_hi);
      const uint32_t v1 = conv_scalar_t3_word (ALIGNED, SI, src, i + 1, g_lo, g_hi);
      const uint32_t v2 = conv_scalar_t3_word (ALIGNED, SI, src, i + 2, g_lo, g_hi);
      fb_ki_st32 (d, v0 & M);
      fb_ki_st32 (d + 16, (v0 << 4) & M);
      fb_ki_st32 (d + 32, v1 & M);
      fb_ki_st32 (d + 48, (v1 << 4) & M);
      fb_ki_st32 (d + 64, v2 & M);
      fb_ki_st32 (d + 80, (v2 << 4) & M);
      fb_ki_st32 (d + 96, ((v0 >> 4) & M) | (v2 >> 8) << 28);
      fb_ki_st32 (d + 112, ((v1 >> 4) & M) | (v2 >> 20) << 28);
      if (SUM)
        {
          /* nibbles summed in the bytes: 30 per word, 6 words before the bytes are added */
          s += (v0 & N) + ((v0 >> 4) & N) + (v1 & N) + ((v1 >> 4) & N) + (v2 & N)
               + ((v2 >> 4) & N);
          if (i % 6 == 3)
            {
              s = fb_ki_bytesum2 (s);
              total += (int32_t) ((s & 0xFFFFu) + (s >> 16));
              s = 0;
            }
        }
    }
  if (r - i > 0)
    {
      const int32_t n = r - i;
      const uint32_t v0 = conv_scalar_t3_word (ALIGNED, SI, src, i, g_lo, g_hi);
      const uint32_t v1 = n > 1 ? conv_scalar_t3_word (ALIGNED, SI, src, i + 1, g_lo, g_hi) : 0;
      fb_ki_st32 (d, v0 & M);
      fb_ki_st32 (d + 16, (v0 << 4) & M);
      if (n > 1)
        {
          fb_ki_st32 (d + 32, v1 & M);
          fb_ki_st32 (d + 48, (v1 << 4) & M);
        }
      fb_ki_st32 (d + 32 * n, (v0 >> 4) & M);
      if (n > 1)
        fb_ki_st32 (d + 80, (v1 >> 4) & M);
      if (SUM)
        s += (v0 & N) + ((v0 >> 4) & N) + (v1 & N) + ((v1 >> 4) & N);
    }
  if (SUM)
    {
      s = fb_ki_bytesum2 (s);
      total += (int32_t) ((s & 0xFFFFu) + (s >> 16));
    }
  return SUM ? total : 0;
}

/* A pixel's whole T3 column, kernel rows [ky_lo, ky_hi), into col (already offset by
 * pixel * 4).  Returns the sum of its values when SUM. */
FB_KI_INLINE int32_t
conv_scalar_im2col_t3 (const int SI, const int SUM, const uint8_t *input, const FbConvParams *p,
                       int32_t iy0, int32_t ix0, int32_t ky_lo, int32_t ky_hi, uint8_t *col)
{
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in;
  const int32_t r = kxn * cin / 8, nx = conv_scalar_t3_row_words (kxn, cin);
  const size_t px_bytes = (size_t) cin / 2;
  const int32_t kx_lo = ix0 < 0 ? (-ix0 < kxn ? -ix0 : kxn) : 0;
  const int32_t kx_hi = p->dim_in_x - ix0 < kxn ? (p->dim_in_x - ix0 > kx_lo ? p->dim_in_x - ix0
                                                                               : kx_lo)
                                                : kxn;
  const int32_t g_lo = kx_lo * cin / 8, g_hi = kx_hi * cin / 8;
  int32_t ky, total = 0;
  for (ky = ky_lo; ky < ky_hi; ky++, col += (size_t) nx * 16)
    {
      const uint8_t *src = g_hi > g_lo ? input + ((size_t) (iy0 + ky) * (size_t) p->dim_in_x
                                                  + (size_t) (ix0 + kx_lo)) * px_bytes
                                       : input;
      if (((uintptr_t) src & 3u) == 0)
        total += conv_scalar_t3_row (1, SI, SUM, src, r, g_lo, g_hi, col);
      else
        total += conv_scalar_t3_row (0, SI, SUM, src, r, g_lo, g_hi, col);
    }
  return total;
}

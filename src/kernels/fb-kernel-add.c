/* fb-kernel-add.c — residual add fb_add_uA_uB_uO (one template, 27 variants), global
 * average pooling fb_avgpool_uB and windowed pooling fb_avgpool2d_uB, fb_maxpool2d_uB
 * (3 variants each).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Residual add                                                                               */

/* How one element is computed: int32 arithmetic when it is exact (|x1 m1| + |x2 m2| + r
 * < 2^31 for all inputs, shift <= 31: much cheaper on 32-bit cores), else int64, where a
 * shift >= 32 (HI, given as shift - 32) takes the high word. */
enum { ADD_32 = 0, ADD_64 = 1, ADD_HI = 2, ADD_TAB = 3 };

#if defined(__GNUC__)
#define FB_ADD_UNROLL _Pragma ("GCC unroll 4")   /* the rv32 build is -O2 */
#else
#define FB_ADD_UNROLL
#endif

FB_KI_INLINE uint32_t
add_one (const int MODE, int32_t x1, int32_t x2, int32_t m1, int32_t m2, int64_t r,
         int32_t shift, uint32_t maxv)
{
  int32_t y;
  if (MODE == ADD_32)
    y = (x1 * m1 + x2 * m2 + (int32_t) r) >> shift;
  else if (MODE == ADD_HI)
    y = (int32_t) (((int64_t) x1 * m1 + (int64_t) x2 * m2 + r) >> 32) >> shift;
  else
    {
      const int64_t v = ((int64_t) x1 * m1 + (int64_t) x2 * m2 + r) >> shift;
      y = v < 0 ? -1 : v > (int64_t) maxv ? (int32_t) maxv : (int32_t) v;
    }
  /* one unsigned compare for the in-range case */
  if ((uint32_t) y > maxv)
    y = y < 0 ? 0 : (int32_t) maxv;
  return (uint32_t) y;
}

/* Element e of a group whose G * A / 8 input bytes are in b[] (e, A, G constants). */
FB_KI_INLINE int32_t
add_elem (const int A, const uint32_t *b, const int e)
{
  if (A == 8)
    return (int32_t) b[e];
  return (int32_t) ((b[e * A / 8] >> ((e * A) % 8)) & ((1u << A) - 1u));
}

/* Unsigned operands.  Groups of G = max (8/A, 8/B, 8/O) elements (n is a multiple of each
 * 8/bits: ch is, and n = pixels * ch): the group's input bytes are loaded once and every
 * element is taken out of them with constant shifts, the output bytes are assembled in
 * registers; 8-bit tensors go 4 elements per iteration.  MODE == ADD_TAB: y is tab[x1 +
 * 2^A x2] (sub-byte inputs, see add_generic()). */
FB_KI_INLINE void
add_impl (const int A, const int B, const int O, const int MODE, const uint8_t *in1,
          const uint8_t *in2, uint8_t *out, int64_t n, int32_t m1, int32_t m2, int64_t r,
          int32_t shift, const uint8_t *tab)
{
  const int G0 = 8 / A > 8 / B ? 8 / A : 8 / B;
  const int G1 = G0 > 8 / O ? G0 : 8 / O;
  const uint32_t maxv = (1u << O) - 1u;
  /* pointers and a 32-bit count: n <= FB_KERNEL_MAX_ELEMENTS (int64 indices cost 64-bit
   * arithmetic on RV32) */
  const uint8_t *p1 = in1, *p2 = in2;
  uint8_t *q = out;
  size_t left = (size_t) n;
  int e;
  if (G1 == 1)
    for (; left >= 4; left -= 4, p1 += 4, p2 += 4, q += 4)
      FB_ADD_UNROLL
      for (e = 0; e < 4; e++)   /* all 8-bit: unrolled, one element per byte */
        q[e] = (uint8_t) add_one (MODE, p1[e], p2[e], m1, m2, r, shift, maxv);
  for (; left > 0; left -= (size_t) G1, p1 += G1 * A / 8, p2 += G1 * B / 8, q += G1 * O / 8)
    {
      uint32_t b1[4], b2[4], y[4] = { 0, 0, 0, 0 };
      FB_ADD_UNROLL
      for (e = 0; e < G1 * A / 8; e++)
        b1[e] = p1[e];
      FB_ADD_UNROLL
      for (e = 0; e < G1 * B / 8; e++)
        b2[e] = p2[e];
      FB_ADD_UNROLL
      for (e = 0; e < G1; e++)
        y[e * O / 8] |= (MODE == ADD_TAB
                           ? (uint32_t) tab[add_elem (A, b1, e) | (add_elem (B, b2, e) << A)]
                           : add_one (MODE, add_elem (A, b1, e), add_elem (B, b2, e), m1, m2,
                                      r, shift, maxv))
                        << ((e * O) % 8);
      FB_ADD_UNROLL
      for (e = 0; e < G1 * O / 8; e++)
        q[e] = (uint8_t) y[e];
    }
}

/* Signed inputs (S1, S2) and/or output (SO): the int64 formula, one element at a time. */
FB_KI_INLINE void
add_impl_signed (const int A, const int B, const int O, const int S1, const int S2,
                 const int SO, const uint8_t *in1, const uint8_t *in2, uint8_t *out, int64_t n,
                 int32_t m1, int32_t m2, int64_t r, int32_t shift)
{
  const int64_t lo = SO ? -((int64_t) 1 << (O - 1)) : 0;
  const int64_t hi = SO ? ((int64_t) 1 << (O - 1)) - 1 : ((int64_t) 1 << O) - 1;
  int64_t i;
  for (i = 0; i < n; i++)
    {
      const int64_t v = ((int64_t) fb_ki_get_a (A, S1, in1, (size_t) i) * m1
                         + (int64_t) fb_ki_get_a (B, S2, in2, (size_t) i) * m2 + r) >> shift;
      fb_ki_put_any (O, out, (size_t) i, (int32_t) (v < lo ? lo : v > hi ? hi : v));
    }
}

FB_KI_INLINE FbKernelStatus
add_generic (const int A, const int B, const int O, const uint8_t *in1, const uint8_t *in2,
             uint8_t *out, int32_t dim_x, int32_t dim_y, int32_t ch, int32_t m1, int32_t m2,
             int32_t out_shift, int32_t flags)
{
  int64_t n, r;
  if (in1 == NULL || in2 == NULL || out == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (dim_x < 1 || dim_y < 1 || ch < 1 || dim_x > FB_KERNEL_MAX_DIM || dim_y > FB_KERNEL_MAX_DIM
      || ch > FB_KERNEL_MAX_DIM
      || (int64_t) dim_x * dim_y * ch > (int64_t) FB_KERNEL_MAX_ELEMENTS)
    return FB_KERNEL_ERROR_DIM;
  if (ch % (8 / A) != 0 || ch % (8 / B) != 0 || ch % (8 / O) != 0)
    return FB_KERNEL_ERROR_CHANNELS;
  if (out_shift < 0 || out_shift > FB_KERNEL_MAX_SHIFT)
    return FB_KERNEL_ERROR_SHIFT;
  n = (int64_t) dim_x * dim_y * ch;
  r = out_shift > 0 ? (int64_t) 1 << (out_shift - 1) : 0;
  if (flags & FB_KERNEL_FLAGS_SIGNED)
    {
      add_impl_signed (A, B, O, (flags & FB_KERNEL_FLAG_SIGNED_IN) != 0,
                       (flags & FB_KERNEL_FLAG_SIGNED_IN2) != 0,
                       (flags & FB_KERNEL_FLAG_SIGNED_OUT) != 0, in1, in2, out, n, m1, m2, r,
                       out_shift);
      return FB_KERNEL_OK;
    }
  if (A < 8 && B < 8 && n >= (int64_t) 16 << (A + B))
    {
      /* sub-byte inputs: y depends on (x1, x2) only, so with many elements a table of the
       * 2^(A+B) <= 256 outputs, computed first with the int64 formula, replaces the two
       * multiplies, the shift and the clip of every element */
      uint8_t tab[256];
      int32_t x1, x2;
      for (x2 = 0; x2 < 1 << B; x2++)
        for (x1 = 0; x1 < 1 << A; x1++)
          tab[x1 | (x2 << A)] = (uint8_t) add_one (ADD_64 + (out_shift >= 32), x1, x2, m1, m2, r,
                                                   out_shift - (out_shift >= 32 ? 32 : 0),
                                                   (1u << O) - 1u);
      add_impl (A, B, O, ADD_TAB, in1, in2, out, n, m1, m2, r, out_shift, tab);
      return FB_KERNEL_OK;
    }
  {
    const int64_t am1 = m1 < 0 ? -(int64_t) m1 : m1, am2 = m2 < 0 ? -(int64_t) m2 : m2;
    if (out_shift <= 31 && am1 * ((1 << A) - 1) + am2 * ((1 << B) - 1) + r < ((int64_t) 1 << 31))
      add_impl (A, B, O, ADD_32, in1, in2, out, n, m1, m2, r, out_shift, NULL);
    else if (out_shift >= 32)
      add_impl (A, B, O, ADD_HI, in1, in2, out, n, m1, m2, r, out_shift - 32, NULL);
    else
      add_impl (A, B, O, ADD_64, in1, in2, out, n, m1, m2, r, out_shift, NULL);
  }
  return FB_KERNEL_OK;
}

#define FB_ADD_DEFINE(a, b, o)                                                                \
  FbKernelStatus                                                                              \
  fb_add_u##a##_u##b##_u##o (const uint8_t *input1, const uint8_t *input2, uint8_t *output,   \
                             int32_t dim_x, int32_t dim_y, int32_t ch, int32_t m1, int32_t m2, \
                             int32_t out_shift, int32_t flags)                                \
  {                                                                                           \
    return add_generic (a, b, o, input1, input2, output, dim_x, dim_y, ch, m1, m2, out_shift, \
                        flags);                                                               \
  }

FB_KERNEL_VARIANTS_ADD (FB_ADD_DEFINE)

/* ------------------------------------------------------------------------------------------ */
/* Global average pooling                                                                     */

int
fb_avgpool_reciprocal (int32_t n, uint64_t *m, int32_t *s)
{
  uint64_t d;
  int32_t l = 0;
  if (n < 1 || n > FB_KERNEL_MAX_POOL || m == NULL || s == NULL)
    return 0;
  d = 2 * (uint64_t) n;
  while (((uint64_t) 1 << l) < d)   /* l = ceil (log2 (2n)) */
    l++;
  *s = 30 + l;
  *m = (((uint64_t) 1 << *s) + d - 1) / d;
  return 1;
}

/* Word columns (32/A channels) summed in lanes of L bits (every sum under 2^L: npix *
 * (2^A - 1) < 2^L): L / A masked adds per word, the sums split out after the column; a 2-bit
 * pool of 7 x 7 pixels takes 13 instructions per 16 channels and pixel on RV32IMC instead of
 * 13 per 4.  px_bytes a multiple of 4 and in 4-aligned (RV32 has no misaligned loads). */
FB_KI_INLINE void
avgpool_lanes (const int A, const int L, const uint8_t *in, uint8_t *out, int32_t npix,
               size_t px_bytes, uint64_t m, int32_t s)
{
  const uint32_t mask = (1u << A) - 1u;
  const uint32_t lmask = L == 8 ? mask * 0x01010101u : mask * 0x00010001u;
  const int nacc = L / A, per_w = 32 / A; /* up to 8 accumulators (A = 2, L = 16) */
  size_t cb;
  for (cb = 0; cb < px_bytes; cb += 4)
    {
      /* the accumulators in registers (nacc is a constant: the unused ones drop out) */
      uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, acc[8];
      uint32_t word[4] = { 0, 0, 0, 0 };
      const uint8_t *p = in + cb, *const end = in + cb + (size_t) npix * px_bytes;
      int c;
      for (; p != end; p += px_bytes)
        {
          uint32_t w;
          memcpy (&w, __builtin_assume_aligned (p, 4), 4);
          a0 += w & lmask;
          if (nacc > 1)
            a1 += (w >> A) & lmask;
          if (nacc > 2)
            a2 += (w >> (2 * A % 32)) & lmask;
          if (nacc > 3)
            a3 += (w >> (3 * A % 32)) & lmask;
          if (nacc > 4)
            {
              a4 += (w >> (4 * A % 32)) & lmask;
              a5 += (w >> (5 * A % 32)) & lmask;
              a6 += (w >> (6 * A % 32)) & lmask;
              a7 += (w >> (7 * A % 32)) & lmask;
            }
        }
      acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
      acc[4] = a4, acc[5] = a5, acc[6] = a6, acc[7] = a7;
      /* channel c of the word: lane c / nacc of accumulator c % nacc */
      for (c = 0; c < per_w; c++)
        {
          const uint32_t sum = (acc[c % nacc] >> ((c / nacc) * L)) & ((1u << L) - 1u);
          word[c * A / 8] |= (uint32_t) (((uint64_t) (2 * sum + (uint32_t) npix) * m) >> s)
                             << ((c * A) % 8);
        }
      for (c = 0; c < 4; c++)
        out[cb + (size_t) c] = (uint8_t) word[c];
    }
}

FB_KI_INLINE void
avgpool_impl (const int A, const uint8_t *in, uint8_t *out, int32_t npix, int32_t ch)
{
  const int per = 8 / A;
  const size_t px_bytes = (size_t) ch * (size_t) A / 8;
  const uint32_t mask = (1u << A) - 1u;
  uint64_t m = 1;
  int32_t s = 0, i;
  size_t cb;
  int e;
  fb_avgpool_reciprocal (npix, &m, &s);
  cb = 0;
  /* word columns in lanes (avgpool_lanes()) when every sum fits 16 bits */
  if (px_bytes % 4 == 0 && ((uintptr_t) in & 3) == 0 && (uint32_t) npix * mask <= 65535u)
    {
      if ((uint32_t) npix * mask <= 255u)
        avgpool_lanes (A, 8, in, out, npix, px_bytes, m, s);
      else
        avgpool_lanes (A, 16, in, out, npix, px_bytes, m, s);
      cb = px_bytes;
    }
  /* one byte column (8/A channels) at a time: each input byte is loaded once */
  for (; cb < px_bytes; cb++)
    {
      uint32_t sum[4] = { 0, 0, 0, 0 };   /* <= 255 * 2^21 < 2^32 */
      uint32_t byte = 0;
      const uint8_t *p = in + cb;
      for (i = 0; i < npix; i++, p += px_bytes)
        {
          const uint32_t b = *p;
          for (e = 0; e < per; e++)
            sum[e] += (b >> (e * A)) & mask;
        }
      for (e = 0; e < per; e++)
        /* (2S + N) * m >> s == floor ((2S + N) / 2N), see fb-kernels.h */
        byte |= (uint32_t) (((uint64_t) (2 * sum[e] + (uint32_t) npix) * m) >> s) << (e * A);
      out[cb] = (uint8_t) byte;
    }
}

/* floor ((2 S + N) / (2 N)) for any sign of S (N >= 1), by division. */
FB_KI_INLINE int32_t
pool_round_div (int64_t s, int64_t n)
{
  const int64_t x = 2 * s + n, d = 2 * n;
  int64_t q = x / d;
  if (x % d != 0 && x < 0)
    q -= 1;
  return (int32_t) q;
}

/* Signed input: per channel, the int64 sum and a division. */
FB_KI_INLINE void
avgpool_impl_signed (const int A, const uint8_t *in, uint8_t *out, int32_t npix, int32_t ch)
{
  int32_t c, i;
  for (c = 0; c < ch; c++)
    {
      int64_t s = 0;
      for (i = 0; i < npix; i++)
        s += fb_ki_get_s (A, in, (size_t) i * (size_t) ch + (size_t) c);
      fb_ki_put_any (A, out, (size_t) c, pool_round_div (s, npix));
    }
}

FB_KI_INLINE FbKernelStatus
avgpool_generic (const int A, const uint8_t *in, uint8_t *out, int32_t dim_x, int32_t dim_y,
                 int32_t ch, int32_t flags)
{
  if (in == NULL || out == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (dim_x < 1 || dim_y < 1 || ch < 1 || ch > FB_KERNEL_MAX_DIM
      || (int64_t) dim_x * dim_y > FB_KERNEL_MAX_POOL)
    return FB_KERNEL_ERROR_DIM;
  if (ch % (8 / A) != 0)
    return FB_KERNEL_ERROR_CHANNELS;
  if (flags & FB_KERNEL_FLAG_SIGNED_IN)
    avgpool_impl_signed (A, in, out, dim_x * dim_y, ch);
  else
    avgpool_impl (A, in, out, dim_x * dim_y, ch);
  return FB_KERNEL_OK;
}

#define FB_POOL_DEFINE(b)                                                                     \
  FbKernelStatus                                                                              \
  fb_avgpool_u##b (const uint8_t *input, uint8_t *output, int32_t dim_x, int32_t dim_y,       \
                   int32_t ch, int32_t flags)                                                 \
  {                                                                                           \
    return avgpool_generic (b, input, output, dim_x, dim_y, ch, flags);                       \
  }

FB_KERNEL_VARIANTS_POOL (FB_POOL_DEFINE)

/* ------------------------------------------------------------------------------------------ */
/* Windowed pooling                                                                           */

FbKernelStatus
fb_pool2d_check_params (int bits, const FbConvParams *p)
{
  FbKernelStatus st;
  if (p == NULL)
    return FB_KERNEL_ERROR_NULL;
  /* the geometry of a depthwise conv whose "weights" have the activation's bits */
  st = fb_ki_check_conv (bits, bits, bits, 1, p);
  if (st != FB_KERNEL_OK)
    return st;
  if (p->pad_top >= p->dim_kernel_y || p->pad_bottom >= p->dim_kernel_y
      || p->pad_left >= p->dim_kernel_x || p->pad_right >= p->dim_kernel_x)
    return FB_KERNEL_ERROR_SHAPE;   /* a window entirely in the padding has no pixel */
  return FB_KERNEL_OK;
}

/* One template for both pools (MAX: max, else average); the window's pixels inside the input
 * are [y0, y1) x [x0, x1). */
FB_KI_INLINE void
pool2d_impl (const int A, const int MAX, const int S, const uint8_t *in, uint8_t *out,
             const FbConvParams *p)
{
  const int32_t ch = p->ch_in;
  const int cip = (p->flag_relu & FB_KERNEL_FLAG_COUNT_INCLUDE_PAD) != 0;
  int32_t oy, ox, c, y, x;
  size_t o = 0;
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      const int32_t iy = oy * p->stride_y - p->pad_top;
      const int32_t y0 = iy < 0 ? 0 : iy;
      const int32_t y1 = iy + p->dim_kernel_y > p->dim_in_y ? p->dim_in_y : iy + p->dim_kernel_y;
      for (ox = 0; ox < p->dim_out_x; ox++)
        {
          const int32_t ix = ox * p->stride_x - p->pad_left;
          const int32_t x0 = ix < 0 ? 0 : ix;
          const int32_t x1 = ix + p->dim_kernel_x > p->dim_in_x ? p->dim_in_x
                                                                : ix + p->dim_kernel_x;
          const int64_t n = cip ? (int64_t) p->dim_kernel_x * p->dim_kernel_y
                                : (int64_t) (y1 - y0) * (x1 - x0);
          for (c = 0; c < ch; c++, o++)
            {
              int64_t acc = MAX ? INT32_MIN : 0;
              for (y = y0; y < y1; y++)
                for (x = x0; x < x1; x++)
                  {
                    const int32_t v = fb_ki_get_a (A, S, in, ((size_t) y * (size_t) p->dim_in_x
                                                              + (size_t) x) * (size_t) ch
                                                                 + (size_t) c);
                    if (MAX)
                      acc = v > acc ? v : acc;
                    else
                      acc += v;
                  }
              fb_ki_put_any (A, out, o, MAX ? (int32_t) acc : pool_round_div (acc, n));
            }
        }
    }
}

FB_KI_INLINE FbKernelStatus
pool2d_generic (const int A, const int MAX, const uint8_t *in, uint8_t *out,
                const FbConvParams *p)
{
  FbKernelStatus st;
  if (in == NULL || out == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_pool2d_check_params (A, p);
  if (st != FB_KERNEL_OK)
    return st;
  if (p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN)
    pool2d_impl (A, MAX, 1, in, out, p);
  else
    pool2d_impl (A, MAX, 0, in, out, p);
  return FB_KERNEL_OK;
}

#define FB_AVGPOOL2D_DEFINE(b)                                                                \
  FbKernelStatus                                                                              \
  fb_avgpool2d_u##b (const uint8_t *input, uint8_t *output, const FbConvParams *params)       \
  {                                                                                           \
    return pool2d_generic (b, 0, input, output, params);                                      \
  }
#define FB_MAXPOOL2D_DEFINE(b)                                                                \
  FbKernelStatus                                                                              \
  fb_maxpool2d_u##b (const uint8_t *input, uint8_t *output, const FbConvParams *params)       \
  {                                                                                           \
    return pool2d_generic (b, 1, input, output, params);                                      \
  }

FB_KERNEL_VARIANTS_AVGPOOL2D (FB_AVGPOOL2D_DEFINE)
FB_KERNEL_VARIANTS_MAXPOOL2D (FB_MAXPOOL2D_DEFINE)

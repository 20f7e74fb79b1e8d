/* fb-kernel-internal.h — helpers shared by the kernel templates (not installed, not public).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every kernel family is written once as a `static` generic function whose bit-widths are
 * parameters; each variant calls it with constant bit-widths and FB_KI_INLINE forces it inline,
 * so the compiler specializes every unpack, SWAR lane count and requantization.
 */
#ifndef FB_KERNEL_INTERNAL_H
#define FB_KERNEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fb-kernels.h"

#if defined(__GNUC__)
#define FB_KI_INLINE static inline __attribute__ ((always_inline, unused))
#define FB_KI_NOINLINE static __attribute__ ((noinline))
#define FB_KI_RESTRICT __restrict__
#define FB_KI_UNLIKELY(c) __builtin_expect ((c), 0)
#else
#define FB_KI_INLINE static inline
#define FB_KI_NOINLINE static
#define FB_KI_RESTRICT
#define FB_KI_UNLIKELY(c) (c)
#endif

/* Code path: the scalar (MCU) path on RISC-V and other 32-bit targets, or when forced. */
#if FB_KERNEL_SCALAR_BUILD
#define FB_KI_SCALAR 1
#define FB_KI_ARCH FB_KERNEL_ARCH_SCALAR
#else
#define FB_KI_SCALAR 0
#define FB_KI_ARCH FB_KERNEL_ARCH_HOST
#endif

/* The requantization relies on `>>` of a negative signed integer being an arithmetic shift
 * (floor), as GCC and Clang define it.  Refuse to build where it is not. */
typedef char fb_ki_arithmetic_shift_check[((-1) >> 1) == -1 && ((int64_t) -3 >> 1) == -2 ? 1 : -1];

#define FB_KI_ALIGN_UP(n, a) (((n) + ((size_t) (a) - 1)) / (size_t) (a) * (size_t) (a))

/* Align a scratch pointer up to `align` bytes (power of two). */
FB_KI_INLINE void *
fb_ki_align_ptr (void *p, size_t align)
{
  uintptr_t u = (uintptr_t) p;
  return (void *) ((u + (align - 1)) & ~(uintptr_t) (align - 1));
}

/* Requantize one accumulator: clip ((kappa * acc + lambda) >> shift, 0, maxv). */
FB_KI_INLINE int32_t
fb_ki_requant (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift, int32_t maxv)
{
  int64_t v = (int64_t) kappa * acc + lambda;
  v >>= shift;
  return v < 0 ? 0 : v > maxv ? maxv : (int32_t) v;
}

/* The same for shift >= 32, given shift - 32: floor (v / 2^shift) is the high word of v
 * shifted by shift - 32, which saves the 64-bit shift and compare on 32-bit cores. */
FB_KI_INLINE int32_t
fb_ki_requant_hi (int32_t acc, int32_t kappa, int32_t lambda, int32_t shift_hi, int32_t maxv)
{
  int32_t v = (int32_t) (((int64_t) kappa * acc + lambda) >> 32) >> shift_hi;
  /* one unsigned compare for the in-range case */
  if ((uint32_t) v > (uint32_t) maxv)
    v = v < 0 ? 0 : maxv;
  return v;
}

FB_KI_INLINE void
fb_ki_requant_pack_impl (const int O, const int HI, const int32_t *acc, const int32_t *kappa,
                         const int32_t *lambda, int32_t shift, int32_t n, uint8_t *dst)
{
  const int32_t maxv = (1 << O) - 1;
  const int per = 8 / O;
  int32_t i, e;

#define FB_KI_RQ(j) (HI ? fb_ki_requant_hi (acc[j], kappa[j], lambda[j], shift, maxv)      \
                        : fb_ki_requant (acc[j], kappa[j], lambda[j], shift, maxv))
  i = 0;
  if (O == 8)
    {
      /* 4 per iteration: one pointer increment per array for 4 outputs */
      for (; i + 4 <= n; i += 4)
        {
          dst[i] = (uint8_t) FB_KI_RQ (i);
          dst[i + 1] = (uint8_t) FB_KI_RQ (i + 1);
          dst[i + 2] = (uint8_t) FB_KI_RQ (i + 2);
          dst[i + 3] = (uint8_t) FB_KI_RQ (i + 3);
        }
    }
#undef FB_KI_RQ
  for (; i < n; i += per)
    {
      uint32_t byte = 0;
      for (e = 0; e < per; e++)
        {
          const int32_t y = HI ? fb_ki_requant_hi (acc[i + e], kappa[i + e], lambda[i + e],
                                                   shift, maxv)
                               : fb_ki_requant (acc[i + e], kappa[i + e], lambda[i + e], shift,
                                                maxv);
          byte |= (uint32_t) y << (e * O);
        }
      dst[i / per] = (uint8_t) byte;
    }
}

/* Requantize n accumulators (n a multiple of 8/O) and pack them at O bits into dst. */
FB_KI_INLINE void
fb_ki_requant_pack (const int O, const int32_t *acc, const int32_t *kappa, const int32_t *lambda,
                    int32_t shift, int32_t n, uint8_t *dst)
{
  if (shift >= 32)
    fb_ki_requant_pack_impl (O, 1, acc, kappa, lambda, shift - 32, n, dst);
  else
    fb_ki_requant_pack_impl (O, 0, acc, kappa, lambda, shift, n, dst);
}

#if !FB_KI_SCALAR
/* Host only: the same requantization and packing in a form the compiler vectorizes.  A
 * negative v is clamped to 0 before the shift (floor (v / 2^d) < 0 exactly when v < 0, and
 * the clip maps both to 0), so the shift is a logical one: SSE2/AVX2 have no 64-bit
 * arithmetic shift.  Outputs go through tmp (n bytes, not overlapping the other arrays) when
 * O < 8. */
FB_KI_INLINE void
fb_ki_requant_pack_host (const int O, const int32_t *FB_KI_RESTRICT acc,
                         const int32_t *FB_KI_RESTRICT kappa,
                         const int32_t *FB_KI_RESTRICT lambda, int32_t shift, int32_t n,
                         uint8_t *FB_KI_RESTRICT dst, uint8_t *FB_KI_RESTRICT tmp)
{
  const uint64_t maxv = (1u << O) - 1u;
  uint8_t *FB_KI_RESTRICT y = O == 8 ? dst : tmp;
  int32_t i, e;

  for (i = 0; i < n; i++)
    {
      const int64_t v = (int64_t) kappa[i] * acc[i] + lambda[i];
      uint64_t u = v < 0 ? 0 : (uint64_t) v;
      u >>= shift;
      y[i] = (uint8_t) (u > maxv ? maxv : u);
    }
  if (O != 8)
    for (i = 0; i < n / (8 / O); i++)
      {
        uint32_t byte = 0;
        for (e = 0; e < 8 / O; e++)
          byte |= (uint32_t) tmp[i * (8 / O) + e] << (e * O);
        dst[i] = (uint8_t) byte;
      }
}
#endif

/* Run-time selected x86-64 copies of the host path (GCC/Clang): AVX2 (conv, depthwise) unless
 * -DFB_KERNEL_NO_AVX2, AVX-512 VNNI (conv) unless -DFB_KERNEL_NO_VNNI or -DFB_KERNEL_NO_AVX2. */
#if !FB_KI_SCALAR && defined(__x86_64__) && defined(__GNUC__) && !defined(FB_KERNEL_NO_AVX2)
#define FB_KI_AVX2 1
#else
#define FB_KI_AVX2 0
#endif
#if FB_KI_AVX2 && !defined(FB_KERNEL_NO_VNNI)
#define FB_KI_VNNI 1
#else
#define FB_KI_VNNI 0
#endif

#if FB_KI_AVX2
/* The best copy this CPU (and OS) runs, as far as this build has it: resolved on the first
 * call and cached for the process (fb-kernel-dispatch.c), so the kernels do not test CPU
 * features on every call. */
enum { FB_KI_LEVEL_BASELINE = 0, FB_KI_LEVEL_AVX2 = 1, FB_KI_LEVEL_VNNI = 2 };
int fb_ki_host_level (void);

FB_KI_INLINE int
fb_ki_cpu_has_avx2 (void)
{
  return fb_ki_host_level () >= FB_KI_LEVEL_AVX2;
}
#else
/* No AVX2 copies in this build (-DFB_KERNEL_NO_AVX2, not x86-64 GCC/Clang). */
FB_KI_INLINE int
fb_ki_cpu_has_avx2 (void)
{
  return 0;
}
#endif

/* The x86-only kernel files (fb-kernel-*-x86.c): in the library when meson defines
 * FB_KERNEL_X86_FILES; an exported bundle, which ships the portable files only, goes without. */
#if FB_KI_VNNI && defined(FB_KERNEL_X86_FILES)
#define FB_KI_X86_FILES 1
#else
#define FB_KI_X86_FILES 0
#endif

#if FB_KI_VNNI
/* Whether the CPU (and OS) run the AVX-512 VNNI copies. */
FB_KI_INLINE int
fb_ki_cpu_has_vnni (void)
{
  return fb_ki_host_level () >= FB_KI_LEVEL_VNNI;
}

#include <immintrin.h>

#define FB_KI_VNNI_TARGET "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni"
#define FB_KI_VNNI_INLINE                                                                     \
  static inline __attribute__ ((always_inline, unused, target (FB_KI_VNNI_TARGET)))

/* fb_ki_requant_pack_host() with intrinsics, 16 channels per step (masked tail): the same
 * clamp-then-logical-shift formula, so the same outputs (GCC's vectorization of the C leaves
 * the short channel counts of small layers to scalar code). */
FB_KI_VNNI_INLINE void
fb_ki_requant_pack_vnni (const int O, const int32_t *acc, const int32_t *kappa,
                         const int32_t *lambda, int32_t shift, int32_t n, uint8_t *dst)
{
  const __m512i maxv = _mm512_set1_epi64 ((1 << O) - 1), zero = _mm512_setzero_si512 ();
  const __m128i sh = _mm_cvtsi32_si128 (shift);
  int32_t i;

  for (i = 0; i < n; i += 16)
    {
      const int32_t left = n - i < 16 ? n - i : 16;
      const __mmask16 m = (__mmask16) ((1u << left) - 1u);
      const __m512i a = _mm512_maskz_loadu_epi32 (m, acc + i);
      const __m512i k = _mm512_maskz_loadu_epi32 (m, kappa + i);
      const __m512i l = _mm512_maskz_loadu_epi32 (m, lambda + i);
      __m512i v0 = _mm512_add_epi64 (
        _mm512_mul_epi32 (_mm512_cvtepi32_epi64 (_mm512_castsi512_si256 (a)),
                          _mm512_cvtepi32_epi64 (_mm512_castsi512_si256 (k))),
        _mm512_cvtepi32_epi64 (_mm512_castsi512_si256 (l)));
      __m512i v1 = _mm512_add_epi64 (
        _mm512_mul_epi32 (_mm512_cvtepi32_epi64 (_mm512_extracti64x4_epi64 (a, 1)),
                          _mm512_cvtepi32_epi64 (_mm512_extracti64x4_epi64 (k, 1))),
        _mm512_cvtepi32_epi64 (_mm512_extracti64x4_epi64 (l, 1)));
      __m128i y;
      v0 = _mm512_min_epu64 (_mm512_srl_epi64 (_mm512_max_epi64 (v0, zero), sh), maxv);
      v1 = _mm512_min_epu64 (_mm512_srl_epi64 (_mm512_max_epi64 (v1, zero), sh), maxv);
      y = _mm_unpacklo_epi64 (_mm512_cvtepi64_epi8 (v0), _mm512_cvtepi64_epi8 (v1));
      if (O == 8)
        _mm_mask_storeu_epi8 (dst + i, m, y);
      else if (O == 4)
        {
          /* byte pairs -> x0 + 16 x1 in 16-bit lanes -> bytes */
          const __m128i z = _mm_maddubs_epi16 (y, _mm_set1_epi16 (0x1001));
          _mm_mask_storeu_epi8 (dst + i / 2, (__mmask16) ((1u << (left / 2)) - 1u),
                                _mm_packus_epi16 (z, z));
        }
      else
        {
          /* x0 + 4 x1 in 16-bit lanes, then pairs of those + 16 x in 32-bit lanes -> bytes */
          const __m128i z = _mm_madd_epi16 (_mm_maddubs_epi16 (y, _mm_set1_epi16 (0x0401)),
                                            _mm_set1_epi32 (0x00100001));
          const __m128i b = _mm_packus_epi32 (z, z);
          _mm_mask_storeu_epi8 (dst + i / 4, (__mmask16) ((1u << (left / 4)) - 1u),
                                _mm_packus_epi16 (b, b));
        }
    }
}
#endif

/* Unpack n unsigned A-bit values (n a multiple of 8/A) from src into dst[i * stride]. */
#define FB_KI_DEFINE_UNPACK_U(suffix, T)                                                      \
  FB_KI_INLINE void                                                                           \
  fb_ki_unpack_u_##suffix (const int A, const uint8_t *FB_KI_RESTRICT src, int32_t n,         \
                           T *FB_KI_RESTRICT dst, const int32_t stride)                       \
  {                                                                                           \
    int32_t i;                                                                                \
    if (A == 8)                                                                               \
      {                                                                                       \
        for (i = 0; i < n; i++)                                                               \
          dst[i * stride] = (T) src[i];                                                       \
      }                                                                                       \
    else if (A == 4)                                                                          \
      {                                                                                       \
        for (i = 0; i < n / 2; i++)                                                           \
          {                                                                                   \
            unsigned b = src[i];                                                              \
            dst[(2 * i) * stride] = (T) (b & 15u);                                            \
            dst[(2 * i + 1) * stride] = (T) (b >> 4);                                         \
          }                                                                                   \
      }                                                                                       \
    else                                                                                      \
      {                                                                                       \
        for (i = 0; i < n / 4; i++)                                                           \
          {                                                                                   \
            unsigned b = src[i];                                                              \
            dst[(4 * i) * stride] = (T) (b & 3u);                                             \
            dst[(4 * i + 1) * stride] = (T) ((b >> 2) & 3u);                                  \
            dst[(4 * i + 2) * stride] = (T) ((b >> 4) & 3u);                                  \
            dst[(4 * i + 3) * stride] = (T) (b >> 6);                                         \
          }                                                                                   \
      }                                                                                       \
  }

FB_KI_DEFINE_UNPACK_U (u8, uint8_t)
FB_KI_DEFINE_UNPACK_U (i16, int16_t)

/* The int32-output linear's value of one row: accumulator plus bias, saturated to int32,
 * then the ReLU flag (PULP-NN's order).  The saturation in 32 bits, the same as clamping the
 * 64-bit sum acc + bias to [INT32_MIN, INT32_MAX] on every input: s is that sum modulo 2^32.
 * If acc and bias differ in sign, the sum is in range (s is it) and s shares its sign with
 * one of them, so one xor has its sign bit clear and the test is false.  If they share a
 * sign, the sum is out of range exactly when s has the other sign (both xors negative), and
 * then it is above INT32_MAX when acc >= 0, below INT32_MIN when acc < 0.  On RV32 the
 * 64-bit compare took ~20 instructions per row, this 6. */
FB_KI_INLINE int32_t
fb_ki_linear_int32 (int32_t acc, int32_t bias, int relu)
{
  uint32_t s = (uint32_t) acc + (uint32_t) bias;
  if (FB_KI_UNLIKELY ((int32_t) ((s ^ (uint32_t) acc) & (s ^ (uint32_t) bias)) < 0))
    s = (uint32_t) (acc >> 31) ^ 0x7FFFFFFFu;   /* acc < 0: INT32_MIN, else INT32_MAX */
  return relu && (int32_t) s < 0 ? 0 : (int32_t) s;
}

/* Signed element i of a packed W-bit array (any i, no alignment requirement). */
FB_KI_INLINE int32_t
fb_ki_get_s (const int W, const uint8_t *src, size_t i)
{
  if (W == 8)
    return (int32_t) (int8_t) src[i];
  else
    {
      size_t bit = i * (size_t) W;
      int32_t v = (int32_t) ((src[bit / 8] >> (bit % 8)) & ((1u << W) - 1u));
      return v - ((v & (1 << (W - 1))) << 1);
    }
}

/* Unsigned element i of a packed A-bit array. */
FB_KI_INLINE int32_t
fb_ki_get_u (const int A, const uint8_t *src, size_t i)
{
  if (A == 8)
    return src[i];
  else
    {
      size_t bit = i * (size_t) A;
      return (int32_t) ((src[bit / 8] >> (bit % 8)) & ((1u << A) - 1u));
    }
}

/* Unpack a signed packed row of n W-bit values (starting at a byte boundary) into dst. */
#define FB_KI_DEFINE_UNPACK_S(suffix, T)                                                      \
  FB_KI_INLINE void                                                                           \
  fb_ki_unpack_s_##suffix (const int W, const uint8_t *FB_KI_RESTRICT src, int32_t n,         \
                           T *FB_KI_RESTRICT dst)                                             \
  {                                                                                           \
    int32_t i;                                                                                \
    if (W == 8)                                                                               \
      {                                                                                       \
        for (i = 0; i < n; i++)                                                               \
          dst[i] = (T) (int8_t) src[i];                                                       \
      }                                                                                       \
    else if (W == 4)                                                                          \
      {                                                                                       \
        for (i = 0; i + 2 <= n; i += 2)                                                       \
          {                                                                                   \
            int32_t b = (int8_t) src[i / 2];                                                  \
            dst[i] = (T) ((int32_t) ((uint32_t) b << 28) >> 28);                              \
            dst[i + 1] = (T) (b >> 4);                                                        \
          }                                                                                   \
        for (; i < n; i++)                                                                    \
          dst[i] = (T) fb_ki_get_s (4, src, (size_t) i);                                      \
      }                                                                                       \
    else                                                                                      \
      {                                                                                       \
        for (i = 0; i + 4 <= n; i += 4)                                                       \
          {                                                                                   \
            int32_t b = (int8_t) src[i / 4];                                                  \
            dst[i] = (T) ((int32_t) ((uint32_t) b << 30) >> 30);                              \
            dst[i + 1] = (T) ((int32_t) ((uint32_t) b << 28) >> 30);                          \
            dst[i + 2] = (T) ((int32_t) ((uint32_t) b << 26) >> 30);                          \
            dst[i + 3] = (T) (b >> 6);                                                        \
          }                                                                                   \
        for (; i < n; i++)                                                                    \
          dst[i] = (T) fb_ki_get_s (2, src, (size_t) i);                                      \
      }                                                                                       \
  }

FB_KI_DEFINE_UNPACK_S (i8, int8_t)
FB_KI_DEFINE_UNPACK_S (i16, int16_t)

FB_KI_INLINE int
fb_ki_bits_ok (int b)
{
  return b == 8 || b == 4 || b == 2;
}

/* ------------------------------------------------------------------------------------------ */
/* Signed activations (FB_KERNEL_FLAG_SIGNED_*): the plain loop nests every signed call takes  */
/* except the host conv.  A, O, W are constants at every call site; SI, SO need not be.        */

/* Activation element i of a packed A-bit array, sign-extended when SI. */
FB_KI_INLINE int32_t
fb_ki_get_a (const int A, const int SI, const uint8_t *src, size_t i)
{
  return SI ? fb_ki_get_s (A, src, i) : fb_ki_get_u (A, src, i);
}

/* clip (floor ((kappa * acc + lambda) / 2^shift)) to the O-bit grid, signed when SO. */
FB_KI_INLINE int32_t
fb_ki_requant_any (const int O, const int SO, int32_t acc, int32_t kappa, int32_t lambda,
                   int32_t shift)
{
  const int64_t v = ((int64_t) kappa * acc + lambda) >> shift;
  const int64_t lo = SO ? -((int64_t) 1 << (O - 1)) : 0;
  const int64_t hi = SO ? ((int64_t) 1 << (O - 1)) - 1 : ((int64_t) 1 << O) - 1;
  return (int32_t) (v < lo ? lo : v > hi ? hi : v);
}

/* Writes value y (two's complement, any sign) as element i of a packed O-bit array whose
 * byte of element i was cleared when i % (8/O) == 0. */
FB_KI_INLINE void
fb_ki_put_any (const int O, uint8_t *dst, size_t i, int32_t y)
{
  const size_t bit = i * (size_t) O;
  const uint32_t mask = O == 8 ? 0xFFu : (1u << O) - 1u;
  if (bit % 8 == 0)
    dst[bit / 8] = 0;
  dst[bit / 8] = (uint8_t) (dst[bit / 8] | (((uint32_t) y & mask) << (bit % 8)));
}

/* Requantize n accumulators (n a multiple of 8/O) and pack them at O bits, signed when SO. */
FB_KI_INLINE void
fb_ki_requant_pack_any (const int O, const int SO, const int32_t *acc, const int32_t *kappa,
                        const int32_t *lambda, int32_t shift, int32_t n, uint8_t *dst)
{
  int32_t i;
  if (!SO)
    {
      fb_ki_requant_pack (O, acc, kappa, lambda, shift, n, dst);
      return;
    }
  for (i = 0; i < n; i++)
    fb_ki_put_any (O, dst, (size_t) i, fb_ki_requant_any (O, 1, acc[i], kappa[i], lambda[i], shift));
}

/* Direct convolution (depthwise: DW) with signed and/or unsigned activations: one
 * accumulator at a time, operands read from the packed arrays, no scratch. */
FB_KI_INLINE void
fb_ki_conv_direct (const int A, const int O, const int W, const int DW, const int SI,
                   const int SO, const uint8_t *input, const uint8_t *weights,
                   const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                   const FbConvParams *p)
{
  const int32_t cin = p->ch_in, cout = p->ch_out, kxn = p->dim_kernel_x;
  const size_t rb = DW ? 0 : fb_kernel_weight_row_bytes ((size_t) kxn * (size_t) p->dim_kernel_y
                                                         * (size_t) cin, W);
  int32_t oy, ox, c, ky, kx, ci;
  size_t o = 0;

  for (oy = 0; oy < p->dim_out_y; oy++)
    for (ox = 0; ox < p->dim_out_x; ox++)
      for (c = 0; c < cout; c++, o++)
        {
          int32_t acc = 0;
          for (ky = 0; ky < p->dim_kernel_y; ky++)
            {
              const int32_t iy = oy * p->stride_y - p->pad_top + ky;
              if (iy < 0 || iy >= p->dim_in_y)
                continue;
              for (kx = 0; kx < kxn; kx++)
                {
                  const int32_t ix = ox * p->stride_x - p->pad_left + kx;
                  const size_t px = ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                    * (size_t) cin;
                  const size_t tap = (size_t) ky * (size_t) kxn + (size_t) kx;
                  if (ix < 0 || ix >= p->dim_in_x)
                    continue;
                  if (DW)
                    acc += fb_ki_get_a (A, SI, input, px + (size_t) c)
                           * fb_ki_get_s (W, weights, tap * (size_t) cout + (size_t) c);
                  else
                    for (ci = 0; ci < cin; ci++)
                      acc += fb_ki_get_a (A, SI, input, px + (size_t) ci)
                             * fb_ki_get_s (W, weights + (size_t) c * rb,
                                            tap * (size_t) cin + (size_t) ci);
                }
            }
          fb_ki_put_any (O, output, o, fb_ki_requant_any (O, SO, acc, kappa[c], lambda[c],
                                                          p->out_shift));
        }
}

/* Direct linear layer; O = 32: int32 output with bias, saturation and optional ReLU. */
FB_KI_INLINE void
fb_ki_linear_direct (const int A, const int O, const int W, const int SI, const int SO,
                     const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
                     const int32_t *lambda, const int32_t *bias, uint8_t *output,
                     int32_t *output32, int32_t dim_vec, int32_t num_o, int32_t out_shift,
                     int32_t relu)
{
  const size_t rb = fb_kernel_weight_row_bytes ((size_t) dim_vec, W);
  int32_t o, i;
  for (o = 0; o < num_o; o++)
    {
      const uint8_t *row = weights + (size_t) o * rb;
      int32_t acc = 0;
      for (i = 0; i < dim_vec; i++)
        acc += fb_ki_get_a (A, SI, input, (size_t) i) * fb_ki_get_s (W, row, (size_t) i);
      if (O == 32)
        output32[o] = fb_ki_linear_int32 (acc, bias != NULL ? bias[o] : 0, relu);
      else
        fb_ki_put_any (O == 32 ? 8 : O, output, (size_t) o,
                       fb_ki_requant_any (O == 32 ? 8 : O, SO, acc, kappa[o], lambda[o], out_shift));
    }
}

#if FB_KI_X86_FILES
/* fb-kernel-depthwise-x86.c: the AVX-512 VNNI depthwise of a validated, unsigned call with a
 * 3×3 kernel (a sub-byte input uses the host scratch for rows of bytes); returns 0 without
 * writing anything for other shapes.  Call only when fb_ki_cpu_has_vnni (). */
int fb_ki_depthwise_x86 (int in_bits, int out_bits, int w_bits, const uint8_t *input,
                         const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                         uint8_t *output, const FbConvParams *p, void *buffer);
/* Whether fb_ki_depthwise_x86() runs this shape; its prepared layout (FB_KERNEL_FLAG_HOST_PREPARED:
 * per 16 channels the kernel columns as vpdpbusd bytes, for 2-bit outputs the thresholds of
 * kappa, lambda and out_shift) and its size. */
int fb_ki_depthwise_x86_applies (int out_bits, const FbConvParams *p);
size_t fb_ki_depthwise_x86_prepared_size (int out_bits, const FbConvParams *p);
void fb_ki_depthwise_x86_prepare (int out_bits, int w_bits, const uint8_t *weights,
                                  const int32_t *kappa, const int32_t *lambda,
                                  const FbConvParams *p, uint8_t *prepared);
/* fb-kernel-conv-x86.c: the AVX-512 VNNI conv of a validated, unsigned call (scratch:
 * fb-kernel-conv.c's VNNI layout; FB_KERNEL_FLAG_HOST_PREPARED: weights already in order),
 * and that weight order. */
void fb_ki_conv_x86 (int in_bits, int out_bits, int w_bits, const uint8_t *input,
                     const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                     uint8_t *output, const FbConvParams *p, void *buffer);
size_t fb_ki_conv_x86_weights_size (const FbConvParams *p);
void fb_ki_conv_x86_prepare (int w_bits, const uint8_t *weights, const FbConvParams *p,
                             uint8_t *prepared);
#endif

/* fb-kernel-conv-winograd.c: integer Winograd F(2x2, 3x3) for the scalar (MCU) conv of 8-bit
 * activations (unsigned or signed) and 8-bit weights, 3x3, stride 1, any padding and output,
 * on weights transformed once (FB_KERNEL_FLAG_PREPARED_WEIGHTS: fb_conv_prepare_weights()
 * writes its layout where this holds).  Below 16 input or output channels the transforms cost
 * about as much as the multiplications saved (measured: tools/bench-rv32-winograd.sh); above
 * 1024 input channels 4 * acc could leave int32. */
#ifndef FB_KI_WINO_MIN_CH   /* overridable to measure the direct path (tools/bench-rv32-winograd.sh) */
#define FB_KI_WINO_MIN_CH 16
#endif
#define FB_KI_WINO_MAX_CIN 1024

FB_KI_INLINE int
fb_ki_conv_winograd_applies (int in_bits, int w_bits, const FbConvParams *p)
{
  return in_bits == 8 && w_bits == 8 && p->dim_kernel_x == 3 && p->dim_kernel_y == 3
         && p->stride_x == 1 && p->stride_y == 1 && p->ch_in >= FB_KI_WINO_MIN_CH
         && p->ch_in <= FB_KI_WINO_MAX_CIN && p->ch_out >= FB_KI_WINO_MIN_CH;
}

/* Scratch bytes of the Winograd path (a constant, under 2 KiB), bytes of its prepared weights,
 * and the transform that writes them (from packed i8 rows, little-endian int16, any alignment). */
size_t fb_ki_conv_winograd_buffer_size (const FbConvParams *p);
size_t fb_ki_conv_winograd_weights_size (const FbConvParams *p);
void fb_ki_conv_winograd_prepare (const uint8_t *weights, const FbConvParams *p,
                                  uint8_t *prepared);
#if FB_KI_SCALAR
/* Runs a validated call (prepared weights 4-byte aligned, scratch as sized above). */
void fb_ki_conv_winograd (int out_bits, const uint8_t *input, const uint8_t *prepared,
                          const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                          const FbConvParams *p, void *buffer);
#endif

/* Shared validation (fb-kernel-common.c). */
FbKernelStatus fb_ki_check_conv (int in_bits, int out_bits, int w_bits, int depthwise,
                                 const FbConvParams *p);
FbKernelStatus fb_ki_check_linear (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                                   int32_t num_o, int32_t out_shift);

/* The kernel rows [*ky_lo, *ky_hi) of output row oy that lie inside the input (the conv and
 * depthwise row loops skip the rows in the top/bottom padding); returns the input row under
 * kernel row 0. */
FB_KI_INLINE int32_t
fb_ki_rows_inside (const FbConvParams *p, int32_t oy, int32_t *ky_lo, int32_t *ky_hi)
{
  const int32_t iy0 = oy * p->stride_y - p->pad_top, kyn = p->dim_kernel_y;
  const int32_t lo = iy0 < 0 ? (-iy0 < kyn ? -iy0 : kyn) : 0;
  const int32_t hi = p->dim_in_y - iy0 < kyn ? p->dim_in_y - iy0 : kyn;
  *ky_lo = lo;
  *ky_hi = hi < lo ? lo : hi;
  return iy0;
}

#endif /* FB_KERNEL_INTERNAL_H */

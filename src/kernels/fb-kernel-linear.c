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
#if FB_KI_X86_FILES
/* not in an exported bundle, which ships the portable files only */
#include "fb-kernel-x86.h"
#endif

#if FB_KI_SCALAR
typedef uint8_t fb_lin_x_t;
typedef int8_t fb_lin_w_t;
#else
typedef int16_t fb_lin_x_t;
typedef int16_t fb_lin_w_t;
#endif

static size_t lin_prepared_scratch (int A, int W, int32_t dim_vec);

/* The same for packed and prepared weights: the larger of the two paths' needs. */
static size_t
linear_buffer_size (FbKernelArch arch, int A, int W, int32_t dim_vec)
{
  const size_t n = FB_KI_ALIGN_UP ((size_t) dim_vec, 16);
  const size_t prep = lin_prepared_scratch (A, W, dim_vec);   /* SWAR input words */
  if (arch == FB_KERNEL_ARCH_HOST)
    return 64 + n * 2 + 4 * n * 2;   /* int16 input + 4 int16 weight rows (> prep) */
  return 4 + n > prep ? 4 + n : prep;   /* uint8 input */
}

size_t
fb_linear_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits, int w_bits,
                                    int32_t dim_vec, int32_t num_o_neurons)
{
  if (fb_ki_check_linear (in_bits, out_bits, w_bits, dim_vec, num_o_neurons, 0) != FB_KERNEL_OK)
    return 0;
  if (arch != FB_KERNEL_ARCH_HOST && arch != FB_KERNEL_ARCH_SCALAR)
    return 0;
  return linear_buffer_size (arch, in_bits, w_bits, dim_vec);
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

/* ------------------------------------------------------------------------------------------ */
/* Prepared weights (FB_KERNEL_FLAG_PREPARED_WEIGHTS): SWAR dot products                      */
/*
 * A 32-bit multiply makes T products at once: the input words hold T consecutive inputs in
 * lanes of L bits, X = x0 + x1 2^L + ... , the prepared weight words hold the same T weights
 * of one output row in the reverse lane order, W = u(T-1) + ... + u0 2^(L(T-1)).  The lane at
 * 2^(L(T-1)) of X*W is then the dot product x0 u0 + ... ; every cross term above it is a
 * multiple of 2^32 (dropped), those below it are bounded so they never carry into it:
 *   T = 4, L = 8     2-bit x 2/4-bit (top lane 8 bits)
 *   T = 3, L = 11    4-bit x 4-bit   (top lane 10 bits; the table now takes HI below)
 *   T = 2, L = 16    8-bit x sub-byte, sub-byte x 8-bit
 * Weights enter offset to unsigned (u = w + 2^(W-1)) and, for a signed input, so does x
 * (x + 2^(A-1)); the offsets come back out exactly once per row with the input's sum and the
 * row's weight sum.  Up to c products accumulate before the top lane is taken out (c = 1: at
 * every step).  8-bit x 8-bit has no room for unsigned lanes: x is centred (x - 127, or x + 1
 * for a signed input) and the weights stay signed, so every product fits 15 bits and a
 * 2-term dot 16; adding 2^15 before the arithmetic shift absorbs the signed term below.
 * HI: the high word of the 64-bit product (mulhu) instead.  X's lanes start at bit a, W's at
 * bit b, with a + b + L (T-1) = 32, so the dot product is the low L bits of the high word:
 * the terms below it (all of them, not one lane) only have to stay under 2^32, and those
 * above it land above bit L of the high word, where they wrap harmlessly in a running sum.
 * Up to c words accumulate as long as c T (2^A - 1)(2^W - 1) < 2^L: T = 2 with 8-bit x
 * sub-byte operands gets L = 20-22 (a whole row, where the low word had to be taken out
 * every 8 words), u4 x i4 T = 3, L = 12 (6 words, where the low word allowed 1).
 * The layout, per group of up to 16 rows (a block of 16, else blocks of 4 then of 1): for
 * each step (T inputs) the words of the block's rows; then num_o int32 row sums of w.
 */
enum { LIN_ACC = 0, LIN_DIRECT = 1, LIN_S16 = 2, LIN_HI = 3 };

typedef struct {
  int t, l, c, mode;
  int a, b;   /* LIN_HI: bit of X's and of W's first lane (otherwise 0) */
} LinSwar;

/* The plan per (input bits, weight bits), [A / 4][W / 4] for 2, 4, 8 bits: T inputs per word
 * in lanes of L bits, c words summed before the dot product is taken out, the mode, and the
 * HI mode's first lane bits a (X) and b (W).  A constant: the search that picks the fewest
 * instructions per MAC under the no-carry bounds above (lw, mul[hu], add per word plus the
 * take-out per c words) ran in 32-bit arithmetic on every call, and twice (the scratch size
 * check too); tests/kernels (linear-plans) re-runs it and checks this table against it and
 * the bounds with worst-case operands.  fb_linear_swar_plan() hands it to the test. */
static const LinSwar lin_plans[3][3] = {
  /* A = 2: W = 2, 4, 8 */
  { { 4, 9, 14, LIN_HI, 3, 2 }, { 4, 8, 1, LIN_DIRECT, 0, 0 }, { 2, 22, 2741, LIN_HI, 8, 2 } },
  /* A = 4 */
  { { 4, 8, 1, LIN_DIRECT, 0, 0 }, { 3, 12, 6, LIN_HI, 4, 4 }, { 2, 20, 137, LIN_HI, 8, 4 } },
  /* A = 8 */
  { { 2, 22, 2741, LIN_HI, 2, 8 }, { 2, 20, 137, LIN_HI, 4, 8 }, { 2, 16, 1, LIN_S16, 0, 0 } },
};

FB_KI_INLINE void
lin_swar_plan (int A, int W, LinSwar *sw)
{
  *sw = lin_plans[A >> 2][W >> 2];
}

int
fb_linear_swar_plan (int in_bits, int w_bits, int32_t plan[6])
{
  LinSwar sw;
  if ((in_bits != 2 && in_bits != 4 && in_bits != 8) || (w_bits != 2 && w_bits != 4 && w_bits != 8)
      || plan == NULL)
    return -1;
  lin_swar_plan (in_bits, w_bits, &sw);
  plan[0] = sw.t;
  plan[1] = sw.l;
  plan[2] = sw.c;
  plan[3] = sw.mode;
  plan[4] = sw.a;
  plan[5] = sw.b;
  return 0;
}

static size_t
lin_prepared_steps (const LinSwar *sw, int32_t dim_vec)
{
  return ((size_t) dim_vec + (size_t) sw->t - 1) / (size_t) sw->t;
}

/* A longer input is staged in parts of LIN_CHUNK words, each part run over a set of up to
 * LIN_SET rows whose partial sums wait in scratch (4 B per row): the ImageNet classifiers'
 * fc (1 024 / 1 280 inputs at u8 x i8, 2 inputs per word) needed 2 052 / 2 564 B for the
 * whole input, more than the 2 KiB an MCU build budgets for kernel scratch.  384 words
 * cover every smaller bundled layer in one part (no re-staging); a set of 96 rows re-stages
 * the input once per 96 rows, a few instructions per input against 96 dot products. */
#define LIN_CHUNK 384
#define LIN_SET 96

/* Scratch of the prepared path: the input words (4-byte aligned) and, when staged in
 * parts, the partial sums of a set of rows. */
static size_t
lin_prepared_scratch (int A, int W, int32_t dim_vec)
{
  LinSwar sw;
  size_t ns;
  lin_swar_plan (A, W, &sw);
  ns = lin_prepared_steps (&sw, dim_vec);
  if (ns > LIN_CHUNK)
    return 4 + 4 * LIN_CHUNK + 4 * LIN_SET;
  return 4 + 4 * ns;
}

size_t
fb_linear_prepared_weights_size (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                                 int32_t num_o_neurons)
{
  LinSwar sw;
  if (fb_ki_check_linear (in_bits, out_bits, w_bits, dim_vec, num_o_neurons, 0) != FB_KERNEL_OK)
    return 0;
  lin_swar_plan (in_bits, w_bits, &sw);
  return ((size_t) num_o_neurons * lin_prepared_steps (&sw, dim_vec) + (size_t) num_o_neurons) * 4;
}

static void
lin_put_word (uint8_t *dst, uint32_t v)
{
  dst[0] = (uint8_t) v;
  dst[1] = (uint8_t) (v >> 8);
  dst[2] = (uint8_t) (v >> 16);
  dst[3] = (uint8_t) (v >> 24);
}

/* Rows of the block that starts at row o of a group of m rows starting at g. */
static int32_t
lin_block_rows (int32_t m, int32_t o, int32_t g)
{
  if (m == 16)
    return 16;
  return o - g + 4 <= m - (m % 4) ? 4 : 1;
}

FbKernelStatus
fb_linear_prepare_weights (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                           int32_t num_o_neurons, const uint8_t *weights, uint8_t *prepared)
{
  const size_t rb = fb_kernel_weight_row_bytes ((size_t) dim_vec, w_bits);
  LinSwar sw;
  size_t ns, s;
  int32_t g, o, r, i;
  uint8_t *dst = prepared;
  if (weights == NULL || prepared == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (fb_ki_check_linear (in_bits, out_bits, w_bits, dim_vec, num_o_neurons, 0) != FB_KERNEL_OK)
    return fb_ki_check_linear (in_bits, out_bits, w_bits, dim_vec, num_o_neurons, 0);
  lin_swar_plan (in_bits, w_bits, &sw);
  ns = lin_prepared_steps (&sw, dim_vec);
  for (g = 0; g < num_o_neurons; g += 16)
    {
      const int32_t m = num_o_neurons - g < 16 ? num_o_neurons - g : 16;
      int32_t R;
      for (o = g; o < g + m; o += R)
        {
          R = lin_block_rows (m, o, g);
          for (s = 0; s < ns; s++)
            for (r = 0; r < R; r++)
              {
                const uint8_t *row = weights + (size_t) (o + r) * rb;
                uint32_t v = 0;
                for (i = 0; i < sw.t; i++)
                  {
                    const size_t k = s * (size_t) sw.t + (size_t) i;
                    int32_t w = k < (size_t) dim_vec ? fb_ki_get_s (w_bits, row, k) : 0;
                    if (sw.mode != LIN_S16)
                      w += 1 << (w_bits - 1);
                    /* reverse lane order: x_i meets u_i in the top lane */
                    v += (uint32_t) w << (sw.b + sw.l * (sw.t - 1 - i));
                  }
                lin_put_word (dst, v);
                dst += 4;
              }
        }
    }
  for (o = 0; o < num_o_neurons; o++)
    {
      const uint8_t *row = weights + (size_t) o * rb;
      int32_t sum = 0;
      for (i = 0; i < dim_vec; i++)
        sum += fb_ki_get_s (w_bits, row, (size_t) i);
      lin_put_word (dst, (uint32_t) sum);
      dst += 4;
    }
  return FB_KERNEL_OK;
}

#if defined(__GNUC__)
#define FB_LIN_UNROLL _Pragma ("GCC unroll 16")
#define FB_LIN_UNROLL2 _Pragma ("GCC unroll 2")
#else
#define FB_LIN_UNROLL
#define FB_LIN_UNROLL2
#endif

#if defined(__riscv) && defined(__GNUC__) && __riscv_xlen == 32
/* One step of 8 rows in RV32IM assembly (a 16-row block runs two): GCC's schedule of the C
 * loop hoists the 16 weight loads and spills 6 of the 16 running sums (measured: 3.3-3.9
 * instructions per MAC instead of 1.4-2.6).  The offsets are immediates, w the block's words.
 * Its asm (FB_LIN_STEP8_*) and the 16-row blocks in assembly (fb_ki_rv32_lin_*, called from
 * lin_run_block ()) are generated by fb-kernel-rv32-lin-asm.py, which has their contract. */
#define FB_LIN_ASM16 1
#include "fb-kernel-rv32-lin-asm.inc"
FB_KI_INLINE void
lin_step8 (const int MODE, const int B, uint32_t *v, uint32_t xv, const uint32_t *w, uint32_t k)
{
  uint32_t t;
  if (MODE == LIN_HI)
    FB_LIN_STEP8_HI (v, t, xv, w, k, B);
  else if (MODE == LIN_ACC)
    FB_LIN_STEP8_ACC (v, t, xv, w, k, B);
  else if (MODE == LIN_DIRECT)
    FB_LIN_STEP8_DIRECT (v, t, xv, w, k, B);
  else
    FB_LIN_STEP8_S16 (v, t, xv, w, k, B);
}

FB_KI_INLINE void
lin_step16 (const int MODE, uint32_t *v, uint32_t xv, const uint32_t *w, uint32_t k)
{
  lin_step8 (MODE, 0, v, xv, w, k);
  lin_step8 (MODE, 32, v + 8, xv, w, k);
}
#else
#define FB_LIN_ASM16 0
#endif

/* sum[r] += the top lanes over ns steps of R rows; the block's words, [step][R]. */
FB_KI_INLINE void
lin_block (const int R, const int MODE, const uint32_t *FB_KI_RESTRICT x,
           const uint32_t *FB_KI_RESTRICT w, int32_t ns, int32_t c, int sh,
           int32_t *FB_KI_RESTRICT sum)
{
  uint32_t s[16];
  int32_t a[16];
  int32_t p0, p, r;
  FB_LIN_UNROLL
  for (r = 0; r < R; r++)
    a[r] = 0;
  if (MODE == LIN_ACC || MODE == LIN_HI)
    for (p0 = 0; p0 < ns; p0 += c)
      {
        const int32_t p1 = ns - p0 < c ? ns : p0 + c;
        FB_LIN_UNROLL
        for (r = 0; r < R; r++)
          s[r] = 0;
        for (p = p0; p < p1; p++, w += R)
          {
            const uint32_t xv = x[p];
#if FB_LIN_ASM16
            if (R == 16)
              {
                lin_step16 (MODE, s, xv, w, 0);
                continue;
              }
#endif
            FB_LIN_UNROLL
            for (r = 0; r < R; r++)
              s[r] += MODE == LIN_HI ? (uint32_t) (((uint64_t) xv * w[r]) >> 32) : xv * w[r];
          }
        FB_LIN_UNROLL
        for (r = 0; r < R; r++)   /* HI: sh is L, the dot the low L bits */
          a[r] += MODE == LIN_HI ? (int32_t) (s[r] & ((1u << sh) - 1u)) : (int32_t) (s[r] >> sh);
      }
  else
    for (p = 0; p < ns; p++, w += R)
      {
        const uint32_t xv = x[p];
#if FB_LIN_ASM16
        if (R == 16)
          {
            lin_step16 (MODE, (uint32_t *) a, xv, w, MODE == LIN_DIRECT ? (uint32_t) sh : 0x8000u);
            continue;
          }
#endif
        FB_LIN_UNROLL
        for (r = 0; r < R; r++)
          {
            if (MODE == LIN_DIRECT)
              a[r] += (int32_t) ((xv * w[r]) >> sh);
            else   /* arithmetic shift of the biased signed lane */
              a[r] += (int32_t) (xv * w[r] + 0x8000u) >> 16;
          }
      }
  FB_LIN_UNROLL
  for (r = 0; r < R; r++)
    sum[r] = a[r];
}

/* not cloned for the one mode that reaches lin_block_16 () on rv32 (HI: the other plans of
 * 16 rows run in assembly): GCC's clone of it was 8 instructions a call slower */
#if defined(__GNUC__) && !defined(__clang__)
#define FB_LIN_NOCLONE __attribute__ ((noclone))
#else
#define FB_LIN_NOCLONE
#endif
#define FB_LIN_BLOCK(R)                                                                       \
  FB_KI_NOINLINE FB_LIN_NOCLONE void lin_block_##R (int mode, const uint32_t *x, const uint32_t *w,          \
                                     int32_t ns, int32_t c, int sh, int32_t *sum)             \
  {                                                                                           \
    if (mode == LIN_ACC)                                                                      \
      lin_block (R, LIN_ACC, x, w, ns, c, sh, sum);                                           \
    else if (mode == LIN_HI)                                                                  \
      lin_block (R, LIN_HI, x, w, ns, c, sh, sum);                                            \
    else if (mode == LIN_DIRECT)                                                              \
      lin_block (R, LIN_DIRECT, x, w, ns, c, sh, sum);                                        \
    else                                                                                      \
      lin_block (R, LIN_S16, x, w, ns, c, sh, sum);                                           \
  }
FB_LIN_BLOCK (16)
FB_LIN_BLOCK (4)
FB_LIN_BLOCK (1)
#undef FB_LIN_BLOCK
#undef FB_LIN_NOCLONE

/* Element k of a packed A-bit array, raw bits. */
FB_KI_INLINE uint32_t
lin_raw (const int A, const uint8_t *in, int32_t k)
{
  if (A == 8)
    return in[k];
  if (A == 4)
    return (uint32_t) (in[k >> 1] >> ((k & 1) << 2)) & 15u;
  return (uint32_t) (in[k >> 2] >> ((k & 3) << 1)) & 3u;
}

/* 2-bit inputs: a byte's 4 inputs as the SWAR word of the plan (T = 4: one word; T = 2: one
 * word per nibble) by table, and their sum: 6-8 instructions per word (lbu, index, lw, sw,
 * the sum's lbu and add) where extracting every field took 21 (T = 4) and 25 (T = 2).  One
 * table per plan with 2-bit inputs (lin_plans[0][]): u2 x i2 (L = 9, a = 3), u2 x i4 (L = 8,
 * a = 0), u2 x i8 (T = 2, L = 22, a = 8). */
#define FB_LIN_F2(b, i) (((uint32_t) (b) >> (2 * (i))) & 3u)
#define FB_LIN_W4(b, L, a)                                                                    \
  ((FB_LIN_F2 (b, 0) << (a)) | (FB_LIN_F2 (b, 1) << ((a) + (L)))                            \
   | (FB_LIN_F2 (b, 2) << ((a) + 2 * (L))) | (FB_LIN_F2 (b, 3) << ((a) + 3 * (L))))
#define FB_LIN_W2(b, L, a) ((FB_LIN_F2 (b, 0) << (a)) | (FB_LIN_F2 (b, 1) << ((a) + (L))))
#define FB_LIN_S4(b, L, a) (FB_LIN_F2 (b, 0) + FB_LIN_F2 (b, 1) + FB_LIN_F2 (b, 2) + FB_LIN_F2 (b, 3))
#define FB_LIN_T4(M, b, L, a) M (b, L, a), M ((b) + 1, L, a), M ((b) + 2, L, a), M ((b) + 3, L, a)
#define FB_LIN_T16(M, b, L, a)                                                                \
  FB_LIN_T4 (M, b, L, a), FB_LIN_T4 (M, (b) + 4, L, a), FB_LIN_T4 (M, (b) + 8, L, a),       \
    FB_LIN_T4 (M, (b) + 12, L, a)
#define FB_LIN_T64(M, b, L, a)                                                                \
  FB_LIN_T16 (M, b, L, a), FB_LIN_T16 (M, (b) + 16, L, a), FB_LIN_T16 (M, (b) + 32, L, a),  \
    FB_LIN_T16 (M, (b) + 48, L, a)
#define FB_LIN_T256(M, L, a)                                                                  \
  FB_LIN_T64 (M, 0, L, a), FB_LIN_T64 (M, 64, L, a), FB_LIN_T64 (M, 128, L, a),              \
    FB_LIN_T64 (M, 192, L, a)
static const uint32_t lin_tab2_9_3[256] = { FB_LIN_T256 (FB_LIN_W4, 9, 3) };
static const uint32_t lin_tab2_8_0[256] = { FB_LIN_T256 (FB_LIN_W4, 8, 0) };
/* T = 2, a nibble (2 inputs) per word: x0 << 8 | x1 << 30 */
static const uint32_t lin_tab2_22_8[16] = { FB_LIN_T16 (FB_LIN_W2, 0, 22, 8) };
static const uint8_t lin_sum2[256] = { FB_LIN_T256 (FB_LIN_S4, 0, 0) };
#undef FB_LIN_T256
#undef FB_LIN_T64
#undef FB_LIN_T16
#undef FB_LIN_T4
#undef FB_LIN_S4
#undef FB_LIN_W4
#undef FB_LIN_W2
#undef FB_LIN_F2

/* The whole bytes of a 2-bit input by the tables above (flip: the byte's xor, 0xAA for a
 * signed input); returns the sum, the words written are nb (T = 4) or 2 nb (T = 2). */
FB_KI_INLINE int32_t
lin_stage2_tab (const int T, const uint32_t *FB_KI_RESTRICT tab, const uint8_t *FB_KI_RESTRICT in,
                int32_t nb, const uint32_t flip, uint32_t *FB_KI_RESTRICT x)
{
  const uint8_t *end = in + nb;
  int32_t sum = 0;
  FB_LIN_UNROLL2
  for (; in < end; in++)
    {
      const uint32_t b = *in ^ flip;
      sum += lin_sum2[b];
      if (T == 4)
        *x++ = tab[b];
      else
        {
          x[0] = tab[b & 15u];
          x[1] = tab[b >> 4];
          x += 2;
        }
    }
  return sum;
}

/* u4 x i4 (T = 3, L = 12, a = 4): the n inputs as words; F2 flips both nibbles of a byte
 * (0x88 for a signed input); returns the sum.  3 bytes (6 inputs) make 2 words by a multiply
 * each: b0 = n0 + 16 n1 times 2^4 + 2^12 has n0 at bit 4 and n1 at bit 16 among its copies
 * (the mask keeps those), b1 << 28 is n2 at 28 and b1 & 0xF0 is n3 at 4, b2 times 2^16 + 2^24
 * has n4 at 16 and n5 at 28.  The sum: mulhu (word, 2^4 + 2^16 + 2^28) is the HI take-out
 * with every weight 1, n0 + n1 + n2 in the low 12 bits of a running sum of up to 88 words
 * (88 * 3 * 15 < 2^12).  8.25 instructions per word where extracting every nibble took 18.
 * Its own function (one per F2), called from the variant: inside lin_stage_input () it made
 * every variant save 2 more registers. */
#define FB_LIN_U4X3(src, dst)                                                                 \
  do                                                                                          \
    {                                                                                         \
      const uint32_t b0 = (src)[0] ^ F2, b1 = (src)[1] ^ F2, b2 = (src)[2] ^ F2;              \
      const uint32_t w0 = ((b0 * k0) & 0x000F00F0u) | (b1 << 28);                             \
      const uint32_t w1 = (b1 & 0xF0u) | ((b2 * k1) & 0xF00F0000u);                          \
      (dst)[0] = w0;                                                                          \
      (dst)[1] = w1;                                                                          \
      s += (uint32_t) (((uint64_t) w0 * 0x10010010u) >> 32)                                   \
           + (uint32_t) (((uint64_t) w1 * 0x10010010u) >> 32);                                \
    }                                                                                         \
  while (0)
FB_KI_INLINE int32_t
lin_stage_u4x3 (const uint32_t F2, const uint8_t *FB_KI_RESTRICT in, int32_t n,
                uint32_t *FB_KI_RESTRICT x)
{
  const int32_t nw = n / 6 * 2;   /* whole pairs of words */
  const uint8_t *src = in;
  uint32_t *dst = x, *const end = x + nw;
  uint32_t k0 = 0x1010u, k1 = 0x01010000u, s;
  int32_t sum = 0;
#if defined(__GNUC__)
  /* a multiply each, not GCC's two shifts and an add */
  __asm__ ("" : "+r" (k0), "+r" (k1));
#endif
  while (end - dst >= 4)
    {
      /* 4 words (6 bytes) per iteration, up to 88 words per running sum */
      const uint32_t *e = end - dst >= 88 ? dst + 88 : dst + ((end - dst) & ~3);
      s = 0;
      for (; dst < e; dst += 4, src += 6)
        {
          FB_LIN_U4X3 (src, dst);
          FB_LIN_U4X3 (src + 3, dst + 2);
        }
      sum += (int32_t) (s & 0xFFFu);
    }
  s = 0;
  if (dst < end)
    {
      FB_LIN_U4X3 (src, dst);
      src += 3;
    }
  if (n > nw * 3)
    {
      /* the last 1-5 inputs: their bytes, padded with F2 (0 after the flip), through the
       * same step into a copy; the second word only if it holds inputs */
      const int32_t r = n - nw * 3;
      uint8_t t[3];
      uint32_t v[2];
      t[0] = src[0];   /* (r + 1) / 2 bytes of input */
      t[1] = r > 2 ? src[1] : (uint8_t) F2;
      t[2] = r > 4 ? src[2] : (uint8_t) F2;
      if (r & 1)
        t[r / 2] = (uint8_t) ((t[r / 2] & 15u) | (F2 & 0xF0u));
      FB_LIN_U4X3 (t, v);
      x[nw] = v[0];
      if (r > 3)
        x[nw + 1] = v[1];
    }
  return sum + (int32_t) (s & 0xFFFu);
}
#undef FB_LIN_U4X3

/* One copy per input signedness (the xor constant). */
FB_KI_NOINLINE int32_t
lin_stage_u4x3_u (const uint8_t *in, int32_t n, uint32_t *x)
{
  return lin_stage_u4x3 (0, in, n, x);
}

FB_KI_NOINLINE int32_t
lin_stage_u4x3_s (const uint8_t *in, int32_t n, uint32_t *x)
{
  return lin_stage_u4x3 (0x88, in, n, x);
}

/* The input as SWAR words of T lanes of L bits from bit a on in x; the value of a lane is
 * (raw ^ flip) - c: flip = 2^(A-1) offsets a signed input to unsigned, c centres it (u8 x i8).
 * Returns the sum of the lane values.  Specialized per (A, T, flip, c): runs once per call
 * but over every input, which for few output rows costs as much as the dot products. */
FB_KI_INLINE int32_t
lin_stage (const int A, const int T, const uint8_t *FB_KI_RESTRICT in, int32_t n,
           const uint32_t flip, const int32_t c, int L, int a, uint32_t *FB_KI_RESTRICT x)
{
  const int32_t nf = n / T;
  int32_t p, i, k, sum = 0;
  const uint32_t *tab2 = NULL;
  if (A == 2 && c == 0)
    tab2 = T == 4 && L == 9 && a == 3   ? lin_tab2_9_3
           : T == 4 && L == 8 && a == 0 ? lin_tab2_8_0
           : T == 2 && L == 22 && a == 8 ? lin_tab2_22_8
                                         : NULL;
  if (tab2 != NULL)
    {
      /* whole bytes by table, then the words left (T = 2: a byte's low nibble) below */
      const int32_t nb = n / 4;
      sum = lin_stage2_tab (T, tab2, in, nb, flip * 85u, x);
      for (p = nb * (4 / T); p < nf; p++)
        {
          uint32_t word = 0;
          FB_LIN_UNROLL
          for (i = 0; i < T; i++)
            {
              const int32_t v = (int32_t) (lin_raw (A, in, p * T + i) ^ flip);
              sum += v;
              word += (uint32_t) v << (a + L * i);
            }
          x[p] = word;
        }
    }
  else if (A == 4 && T == 4 && L == 8 && a == 0)
    {
      /* u4 x i2 (T = 4, L = 8): the 2 bytes loaded to bits 0 and 16 of the word and spread
       * to its 4 bytes by one shift-or-mask step, the sum in the word's byte lanes, 16 words
       * at a time (a lane <= 240), then in 16-bit lanes: 10-11 instructions per word where
       * the generic loop took 20 (13-14 with the 2 bytes side by side and two steps) */
      const uint32_t f4 = flip * 0x00110011u;
      uint32_t s2 = 0;
      for (p = 0; p < nf;)
        {
          const int32_t pe = nf - p < 16 ? nf : p + 16;
          uint32_t s1 = 0;
          FB_LIN_UNROLL2
          for (; p < pe; p++)
            {
              uint32_t v = ((uint32_t) in[2 * p] | (uint32_t) in[2 * p + 1] << 16) ^ f4;
              v = (v | v << 4) & 0x0F0F0F0Fu;
              x[p] = v;
              s1 += v;
            }
          s2 += (s1 & 0x00FF00FFu) + ((s1 >> 8) & 0x00FF00FFu);
        }
      sum = (int32_t) ((s2 & 0xFFFFu) + (s2 >> 16));
    }
  else if ((T * A) % 8 == 0)
    {
      /* whole bytes per word: pointers, no index, two words per iteration (-3 instructions
       * per word with 8-bit inputs) */
      const uint8_t *src = in;
      uint32_t *dst = x;
      const uint32_t *end = x + nf;
      FB_LIN_UNROLL2
      for (; dst < end; dst++, src += T * A / 8)
        {
          uint32_t word = 0;
          FB_LIN_UNROLL
          for (i = 0; i < T; i++)
            {
              const int32_t v = (int32_t) (lin_raw (A, src, i) ^ flip) - c;
              sum += v;
              word += (uint32_t) v << (a + L * i);
            }
          *dst = word;
        }
    }
  else
    {
      p = 0;
      for (; p < nf; p++)
      {
        uint32_t word = 0;
        FB_LIN_UNROLL
        for (i = 0; i < T; i++)
          {
            const int32_t v = (int32_t) (lin_raw (A, in, p * T + i) ^ flip) - c;
            sum += v;
            word += (uint32_t) v << (a + L * i);
          }
        x[p] = word;
      }
    }
  if (nf * T < n)
    {
      uint32_t word = 0;
      for (k = nf * T, i = 0; k < n; k++, i++)
        {
          const int32_t v = (int32_t) (lin_raw (A, in, k) ^ flip) - c;
          sum += v;
          word += (uint32_t) v << (a + L * i);
        }
      x[nf] = word;
    }
  return sum;
}

static int32_t
lin_stage_input (int A, int SI, const LinSwar *sw, const uint8_t *input, int32_t n,
                 uint32_t *x)
{
  const int L = sw->l, a = sw->a;
  if (A == 8)   /* S16: x - 127, a signed input x + 1 */
    return sw->mode == LIN_S16 ? (SI ? lin_stage (8, 2, input, n, 128, 127, L, a, x)
                                     : lin_stage (8, 2, input, n, 0, 127, L, a, x))
           : SI ? lin_stage (8, 2, input, n, 128, 0, L, a, x)
                : lin_stage (8, 2, input, n, 0, 0, L, a, x);
#define FB_LIN_STAGE_T(A_, F_)                                                                \
  (sw->t == 5   ? lin_stage (A_, 5, input, n, F_, 0, L, a, x)                                 \
   : sw->t == 4 ? lin_stage (A_, 4, input, n, F_, 0, L, a, x)                                 \
   : sw->t == 3 ? lin_stage (A_, 3, input, n, F_, 0, L, a, x)                                 \
                : lin_stage (A_, 2, input, n, F_, 0, L, a, x))
  if (A == 4)
    return SI ? FB_LIN_STAGE_T (4, 8) : FB_LIN_STAGE_T (4, 0);
  return SI ? FB_LIN_STAGE_T (2, 2) : FB_LIN_STAGE_T (2, 0);
#undef FB_LIN_STAGE_T
}

/* The staging of a variant: u4 x i4 by its own functions, the others by lin_stage_input (). */
FB_KI_INLINE int32_t
lin_stage_any (const int A, const int W, const int SI, const LinSwar *sw, const uint8_t *input,
               int32_t n, uint32_t *x)
{
  if (A == 4 && W == 4 && sw->t == 3 && sw->l == 12 && sw->a == 4)
    return SI ? lin_stage_u4x3_s (input, n, x) : lin_stage_u4x3_u (input, n, x);
  return lin_stage_input (A, SI, sw, input, n, x);
}

/* The rows of block R at row o over the steps [p0, p0 + np): sum[r] = their dot products. */
FB_KI_INLINE void
lin_run_block (const int A, const int W, int32_t R, const LinSwar *sw, int sh, const uint32_t *x,
               const uint32_t *w, int32_t np, int32_t *sum)
{
#if FB_LIN_ASM16
  /* the 16-row blocks in assembly (the plans are constants per variant): HI with c >= 6,
   * u4 x i4 (L = 12) and u2 x i2 (L = 9, c = 14); DIRECT, T = 4, L = 8, u4 x i2 and u2 x i4
   * (lin_plans[1][0], [0][1]); S16, u8 x i8 (lin_plans[2][2]) */
  if (R == 16 && A == W)
    {
      if (A == 4)
        fb_ki_rv32_lin_hi16x6 (x, w, np, sum);
      else if (A == 2)
        fb_ki_rv32_lin_hi16x6_l9 (x, w, np, sum);
      else
        fb_ki_rv32_lin_s16x16 (x, w, np, sum);
      return;
    }
  if (R == 16 && A + W == 6)
    {
      fb_ki_rv32_lin_dir16 (x, w, np, sum);
      return;
    }
  /* HI, 8-bit x sub-byte operands (T = 2): a block within c words takes the lanes out once,
   * at the end (L = 20, c = 137: 8 x 4 bits; L = 22, c = 2741: 8 x 2 bits) */
  if (R == 16 && A != W && (A == 8 || W == 8) && np <= sw->c)
    {
      if (A + W == 12)
        fb_ki_rv32_lin_hi16x20 (x, w, np, sum);
      else
        fb_ki_rv32_lin_hi16x22 (x, w, np, sum);
      return;
    }
#else
  (void) A;
  (void) W;
#endif
  if (R == 16)
    lin_block_16 (sw->mode, x, w, np, sw->c, sh, sum);
  else if (R == 4)
    lin_block_4 (sw->mode, x, w, np, sw->c, sh, sum);
  else
    lin_block_1 (sw->mode, x, w, np, sw->c, sh, sum);
}

static const int32_t lin_zero16[16];

/* int32 output of m rows in place: y = the dot product d - off - kw wsum, then
 * fb_ki_linear_int32 () with the bias, the ReLU (rare on logits) a second pass; KW: kw is
 * not 0.  (One loop with the ReLU flag as a constant: GCC merged its two copies into one
 * that tested the flag per row.) */
FB_KI_INLINE void
lin_out32 (const int KW, int32_t *y, int32_t off, int32_t kw, const int32_t *wsum,
           const int32_t *bias, int32_t m, int32_t relu)
{
  int32_t *const end = y + m, *p;
  for (p = y; p < end; p++, bias++)
    {
      const int32_t v = *p - off - (KW ? kw * *wsum++ : 0);
      *p = fb_ki_linear_int32 (v, *bias, 0);
    }
  if (relu)
    for (p = y; p < end; p++)
      *p = fb_ki_linear_int32 (*p, 0, 1);
}

/* The m rows from row g: the offsets out of the dot products (see above), then the output.
 * The dot product of the input with row r is d - off - kw wsum[r] for the block's sum d:
 * off = 2^(W-1) sumx takes out the weights' offset (none for S16), kw the signed input's
 * offset 2^(A-1) (S16: the centring, x - 127, or x + 1 for a signed input).  Quantized
 * outputs: d in acc (requantized from there); int32: d in output32 + g, replaced by the
 * output (the saturation and ReLU of fb_ki_linear_int32 (), a zero table for a missing
 * bias). */
FB_KI_INLINE void
lin_finish (const int A, const int O, const int W, const int SI, const int SO, int32_t *acc,
            int32_t sumx, const int32_t *wsum, const int32_t *kappa, const int32_t *lambda,
            const int32_t *bias, uint8_t *output, int32_t *output32, int32_t g, int32_t m,
            int32_t out_shift, int32_t flag_relu)
{
  const int s16 = A == 8 && W == 8;   /* the only LIN_S16 plan of lin_plans[][] */
  const int32_t off = s16 ? 0 : (1 << (W - 1)) * sumx;
  const int32_t kw = s16 ? (SI ? 1 : -127) : (SI ? (1 << (A - 1)) : 0);
  int32_t e;
  if (O == 32)
    {
      const int32_t *bp = bias != NULL ? bias + g : lin_zero16;
      if (s16 || SI)   /* SI is not a constant here: a loop without wsum for kw = 0 */
        lin_out32 (1, output32 + g, off, kw, wsum + g, bp, m, flag_relu & FB_KERNEL_FLAG_RELU);
      else
        lin_out32 (0, output32 + g, off, kw, wsum + g, bp, m, flag_relu & FB_KERNEL_FLAG_RELU);
      return;
    }
  for (e = 0; e < m; e++)
    acc[e] -= off + (s16 || SI ? kw * wsum[g + e] : 0);
  fb_ki_requant_pack_any (O, SO, acc, kappa + g, lambda + g, out_shift, m,
                          output + (size_t) g * (size_t) O / 8);
}

/* The whole prepared call; specialized per variant (staging and requantization run over
 * every input and output: with few rows they cost as much as the dot products), the blocks
 * are shared. */
FB_KI_INLINE void
linear_prepared (const int A, const int O, const int W, const int SI, const int SO, const uint8_t *input,
                 const uint8_t *prepared, const int32_t *kappa, const int32_t *lambda,
                 const int32_t *bias, uint8_t *output, int32_t *output32, int32_t dim_vec,
                 int32_t num_o, int32_t out_shift, int32_t flag_relu, void *buffer)
{
  /* the table entry itself: a copy in the frame cost ~14 instructions a call */
  const LinSwar *const sw = &lin_plans[A >> 2][W >> 2];
  uint32_t *x = (uint32_t *) fb_ki_align_ptr (buffer, 4);
  const uint32_t *w = (const uint32_t *) (const void *) prepared;
  const int32_t *wsum;
  int32_t sumx, g, o, acc[16];
  size_t ns;
  int sh;

  ns = lin_prepared_steps (sw, dim_vec);
  wsum = (const int32_t *) (const void *) (w + ns * (size_t) num_o);
  sh = sw->mode == LIN_HI ? sw->l : sw->l * (sw->t - 1);
  if (ns > LIN_CHUNK)
    {
      /* staged in parts (see LIN_CHUNK): per set of rows, per part of the input, every
       * block of the set; a part's words start at input k0 = p0 T, a whole byte as
       * LIN_CHUNK T A is a multiple of 8 */
      int32_t *part = (int32_t *) (x + LIN_CHUNK), set, p0, r;
      sumx = 0;
      for (set = 0; set < num_o; set += LIN_SET)
        {
          const int32_t ms = num_o - set < LIN_SET ? num_o - set : LIN_SET;
          for (r = 0; r < ms; r++)
            part[r] = 0;
          for (p0 = 0; p0 < (int32_t) ns; p0 += LIN_CHUNK)
            {
              const int32_t np = (int32_t) ns - p0 < LIN_CHUNK ? (int32_t) ns - p0 : LIN_CHUNK;
              const int32_t k0 = p0 * sw->t;
              const int32_t nk = dim_vec - k0 < np * sw->t ? dim_vec - k0 : np * sw->t;
              const int32_t sx = lin_stage_any (A, W, SI, sw, input + (size_t) k0 * A / 8, nk, x);
              if (set == 0)
                sumx += sx;
              for (g = set; g < set + ms; g += 16)
                {
                  const int32_t m = num_o - g < 16 ? num_o - g : 16;
                  int32_t R;
                  for (o = g; o < g + m; o += R)
                    {
                      R = lin_block_rows (m, o, g);
                      lin_run_block (A, W, R, sw, sh, x,
                                     w + (size_t) o * ns + (size_t) p0 * R, np, acc);
                      for (r = 0; r < R; r++)
                        part[o - set + r] += acc[r];
                    }
                }
            }
          if (O == 32)   /* lin_finish () takes the int32 dot products in the output */
            for (r = 0; r < ms; r++)
              output32[set + r] = part[r];
          for (g = set; g < set + ms; g += 16)
            lin_finish (A, O, W, SI, SO, part + (g - set), sumx, wsum, kappa, lambda, bias,
                        output, output32, g, num_o - g < 16 ? num_o - g : 16, out_shift,
                        flag_relu);
        }
      return;
    }
  sumx = lin_stage_any (A, W, SI, sw, input, dim_vec, x);
  for (g = 0; g < num_o; g += 16)
    {
      const int32_t m = num_o - g < 16 ? num_o - g : 16;
      int32_t *d = O == 32 ? output32 + g : acc;   /* the dot products (see lin_finish ()) */
      int32_t R;
      for (o = g; o < g + m; o += R, w += ns * (size_t) R)
        {
          R = lin_block_rows (m, o, g);
          lin_run_block (A, W, R, sw, sh, x, w, (int32_t) ns, d + (o - g));
        }
      lin_finish (A, O, W, SI, SO, acc, sumx, wsum, kappa, lambda, bias, output, output32, g, m,
                  out_shift, flag_relu);
    }
}

#if FB_KI_X86_FILES
/* Host, AVX-512 VNNI, 4/2-bit weights: the input as u8 (zero past n, to a multiple of 64), 64
 * weights of a row per step expanded in registers to bytes offset by 2^(W-1) (the packed
 * row's bytes xored with 0x88 / 0xAA flip each field's sign bit: field ^ 2^(W-1) =
 * w + 2^(W-1), in [0, 2^W)), one vpdpbusd per 64 MACs; the offset's share, 2^(W-1) · Σx, is
 * subtracted at the end.  The int32 lanes wrap as the reference's int32 sums would; the result
 * is the same modulo 2^32, hence the same.  Bytes past a row's end are masked off (read as
 * 0, i.e. weight -2^(W-1), against x = 0). */
FB_KI_VNNI_INLINE __m512i
lin_vnni_w64 (const int W, const uint8_t *row, size_t rb, size_t k)
{
  const size_t b0 = k * (size_t) W / 8, nb = rb - b0;
  if (W == 4)
    {
      const __mmask32 m = nb >= 32 ? (__mmask32) 0xFFFFFFFFu : (__mmask32) ((1u << nb) - 1u);
      const __m512i w = _mm512_cvtepu8_epi16 (
        _mm256_xor_si256 (_mm256_maskz_loadu_epi8 (m, row + b0), _mm256_set1_epi8 ((char) 0x88)));
      const __m512i hi = _mm512_and_si512 (_mm512_slli_epi16 (w, 4), _mm512_set1_epi16 (0x0F00));
      /* ternary 0xEA: (w & 0x000F) | hi (fb_ki_unpack_u_row()) */
      return _mm512_ternarylogic_epi32 (w, _mm512_set1_epi16 (0x000F), hi, 0xEA);
    }
  {
    const __mmask16 m = nb >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << nb) - 1u);
    const __m512i d = _mm512_cvtepu8_epi32 (
      _mm_xor_si128 (_mm_maskz_loadu_epi8 (m, row + b0), _mm_set1_epi8 ((char) 0xAA)));
    const __m512i t = _mm512_or_si512 (d, _mm512_slli_epi32 (d, 6));
    /* ternary 0xA8: (t | t << 12) & 0x03030303 */
    return _mm512_ternarylogic_epi32 (t, _mm512_slli_epi32 (t, 12),
                                      _mm512_set1_epi32 (0x03030303), 0xA8);
  }
}

/* The input as u8 at the 64-byte aligned start of xs (ALIGN_UP (n, 64) + 64 bytes), zero
 * past n; returns Σx. */
__attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static int32_t
lin_vnni_stage (int A, const uint8_t *input, int32_t n, uint8_t *xs)
{
  const size_t n64 = FB_KI_ALIGN_UP ((size_t) n, 64);
  uint8_t *x = (uint8_t *) fb_ki_align_ptr (xs, 64);
  __m512i sx = _mm512_setzero_si512 ();
  size_t k;

  if (A == 8)
    memcpy (x, input, (size_t) n);
  else
    fb_ki_unpack_u_row_call (A, input, n, x);
  memset (x + n, 0, n64 - (size_t) n);
  for (k = 0; k < n64; k += 64)
    sx = _mm512_add_epi64 (sx, _mm512_sad_epu8 (_mm512_load_si512 ((const void *) (x + k)),
                                                _mm512_setzero_si512 ()));
  {
    /* not _mm512_reduce_add_epi64 (): GCC 12 warns of an uninitialized value inside it */
    uint64_t q[8];
    int32_t i;
    uint64_t t = 0;
    _mm512_storeu_si512 ((void *) q, sx);
    for (i = 0; i < 8; i++)
      t += q[i];
    return (int32_t) t;
  }
}

/* 4 rows' dot products with the staged input x (n64 bytes); the 4 rows share each x load. */
FB_KI_VNNI_INLINE void
lin_vnni_dot4 (const int W, const uint8_t *x, size_t n64, int32_t sumx, const uint8_t *r0,
               const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, size_t rb,
               int32_t acc[4])
{
  __m512i a0 = _mm512_setzero_si512 (), a1 = a0, a2 = a0, a3 = a0;
  const uint32_t off = (uint32_t) sumx << (W - 1);
  size_t k;

  for (k = 0; k < n64; k += 64)
    {
      const __m512i xv = _mm512_load_si512 ((const void *) (x + k));
      a0 = _mm512_dpbusd_epi32 (a0, xv, lin_vnni_w64 (W, r0, rb, k));
      a1 = _mm512_dpbusd_epi32 (a1, xv, lin_vnni_w64 (W, r1, rb, k));
      a2 = _mm512_dpbusd_epi32 (a2, xv, lin_vnni_w64 (W, r2, rb, k));
      a3 = _mm512_dpbusd_epi32 (a3, xv, lin_vnni_w64 (W, r3, rb, k));
    }
  {
    /* the 4 sums at once: per 128-bit lane the 4 rows' partial sums, then the 4 lanes added */
    const __m512i t0 = _mm512_add_epi32 (_mm512_unpacklo_epi32 (a0, a1),
                                         _mm512_unpackhi_epi32 (a0, a1));
    const __m512i t1 = _mm512_add_epi32 (_mm512_unpacklo_epi32 (a2, a3),
                                         _mm512_unpackhi_epi32 (a2, a3));
    __m512i u = _mm512_add_epi32 (_mm512_unpacklo_epi64 (t0, t1), _mm512_unpackhi_epi64 (t0, t1));
    u = _mm512_add_epi32 (u, _mm512_shuffle_i64x2 (u, u, 0x4E));
    u = _mm512_add_epi32 (u, _mm512_shuffle_i64x2 (u, u, 0xB1));
    _mm_storeu_si128 ((__m128i *) (void *) acc,
                      _mm_sub_epi32 (_mm512_castsi512_si128 (u), _mm_set1_epi32 ((int) off)));
  }
}

__attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void
lin_vnni_dot4_call (int W, const uint8_t *x, size_t n64, int32_t sumx, const uint8_t *r0,
                    const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, size_t rb,
                    int32_t acc[4])
{
  if (W == 4)
    lin_vnni_dot4 (4, x, n64, sumx, r0, r1, r2, r3, rb, acc);
  else
    lin_vnni_dot4 (2, x, n64, sumx, r0, r1, r2, r3, rb, acc);
}
#endif

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

#if FB_KI_X86_FILES
  /* host, 4/2-bit weights on a VNNI CPU: u8 input, weights expanded in registers */
  const int vnni = W < 8 && fb_ki_cpu_has_vnni ();
  int32_t sumx = 0;
  if (vnni)
    sumx = lin_vnni_stage (A, input, dim_vec, (uint8_t *) buffer);
  else
#endif
    fb_ki_unpack_x (A, input, dim_vec, x);
  for (o = 0; o < num_o; o += 4)
    {
      const int32_t m = num_o - o < 4 ? num_o - o : 4;
#if FB_KI_X86_FILES
      if (vnni)
        {
          const uint8_t *r0 = weights + (size_t) o * rb;
          lin_vnni_dot4_call (W, (const uint8_t *) fb_ki_align_ptr (buffer, 64),
                              FB_KI_ALIGN_UP ((size_t) dim_vec, 64), sumx, r0,
                              m > 1 ? r0 + rb : r0, m > 2 ? r0 + 2 * rb : r0,
                              m > 3 ? r0 + 3 * rb : r0, rb, acc);
        }
      else
#endif
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
        for (e = 0; e < m; e++)
          output32[o + e] = fb_ki_linear_int32 (acc[e], bias != NULL ? bias[o + e] : 0,
                                                flag_relu & FB_KERNEL_FLAG_RELU);
      else
        /* m is a multiple of 8/O, so this writes whole bytes */
        fb_ki_requant_pack_any (O == 32 ? 8 : O, SO, acc, kappa + o, lambda + o, out_shift, m,
                            output + (size_t) o * (size_t) (O == 32 ? 8 : O) / 8);
    }
}

/* Both families: O = 32 is the int32 one (bias, ReLU flag), otherwise requantized. */
FB_KI_INLINE FbKernelStatus
linear_any (const int A, const int O, const int W, const uint8_t *input, const uint8_t *weights,
            const int32_t *kappa, const int32_t *lambda, const int32_t *bias, uint8_t *output,
            int32_t *output32, int32_t dim_vec, int32_t num_o, int32_t out_shift, int32_t flags,
            void *buffer, size_t buffer_size)
{
  const int si = (flags & FB_KERNEL_FLAG_SIGNED_IN) != 0;
  const int so = O != 32 && (flags & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
  const int32_t relu = O == 32 ? flags & FB_KERNEL_FLAG_RELU : 0;
  FbKernelStatus st = fb_ki_check_linear (A, O, W, dim_vec, num_o, out_shift);
  if (st != FB_KERNEL_OK)
    return st;
  if (buffer == NULL || buffer_size < linear_buffer_size (FB_KI_ARCH, A, W, dim_vec))
    return FB_KERNEL_ERROR_BUFFER;
  if (flags & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
    {
      if (((uintptr_t) weights & 3u) != 0)
        return FB_KERNEL_ERROR_LAYOUT;
      linear_prepared (A, O, W, si, so, input, weights, kappa, lambda, bias, output, output32,
                       dim_vec, num_o, out_shift, relu, buffer);
    }
  else if (si)
    fb_ki_linear_direct (A, O, W, 1, so, input, weights, kappa, lambda, bias, output, output32,
                         dim_vec, num_o, out_shift, relu);
  else if (so)   /* only the clip differs */
    linear_impl (A, O, W, 1, input, weights, kappa, lambda, bias, output, output32, dim_vec,
                 num_o, out_shift, relu, buffer);
  else
    linear_impl (A, O, W, 0, input, weights, kappa, lambda, bias, output, output32, dim_vec,
                 num_o, out_shift, relu, buffer);
  return FB_KERNEL_OK;
}

#define FB_LINEAR_DEFINE(i, o, w)                                                             \
  FbKernelStatus                                                                              \
  fb_linear_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                 \
                                const int32_t *kappa, const int32_t *lambda, uint8_t *output, \
                                int32_t dim_vec, int32_t num_o_neurons, int32_t out_shift,    \
                                int32_t flag_relu, void *buffer, size_t buffer_size)          \
  {                                                                                           \
    if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL)  \
      return FB_KERNEL_ERROR_NULL;                                                            \
    return linear_any (i, o, w, input, weights, kappa, lambda, NULL, output, NULL, dim_vec,   \
                       num_o_neurons, out_shift, flag_relu, buffer, buffer_size);             \
  }

#define FB_LINEAR_I32_DEFINE(i, w)                                                            \
  FbKernelStatus                                                                              \
  fb_linear_u##i##_i32_i##w (const uint8_t *input, const uint8_t *weights,                    \
                             const int32_t *bias, int32_t *output, int32_t dim_vec,           \
                             int32_t num_o_neurons, int32_t flag_relu, void *buffer,          \
                             size_t buffer_size)                                              \
  {                                                                                           \
    if (input == NULL || weights == NULL || output == NULL)                                   \
      return FB_KERNEL_ERROR_NULL;                                                            \
    return linear_any (i, 32, w, input, weights, NULL, NULL, bias, NULL, output, dim_vec,     \
                       num_o_neurons, 0, flag_relu, buffer, buffer_size);                     \
  }

FB_KERNEL_VARIANTS_IOW (FB_LINEAR_DEFINE)
FB_KERNEL_VARIANTS_IW (FB_LINEAR_I32_DEFINE)

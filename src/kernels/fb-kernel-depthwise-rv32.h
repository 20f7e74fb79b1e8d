/* fb-kernel-depthwise-rv32.h — the scalar depthwise's rv32 glue: the zero threshold, the row
 * and pair jobs, the per-channel choice of the generated routines (fb-kernel-rv32-dw-asm.inc)
 * and dw_sc_rows_asm().  Included once, by fb-kernel-depthwise.c, where it stood (it uses that
 * file's job types and routine tables); not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#if DW_ROW_ASM
/* The sweeps' zero threshold: an accumulator v below it has kappa * v + lam < 2^(32 + shr),
 * so its output is 0 and the sweep stores 0 without requantizing (a ReLU layer's negative
 * sums).  No division (a 64-bit one per channel cost more than it saved end to end): with
 * kappa < 2^e, v < n / 2^e gives kappa * v < n for v >= 0, and v < 0 gives kappa * v <= 0 < n;
 * a bound within 2x of the exact threshold, the outputs between take the requantization.
 * INT32_MIN (never taken) when kappa <= 0 or requant (0) > 0. */
/* The bit length of x > 0 (32 - __builtin_clz (x)): rv32imc without Zbb has no clz, and
 * GCC's __clzsi2 call made the per-channel set-up spill its registers around it. */
FB_KI_INLINE int32_t
dw_bitlen (uint32_t x)
{
#if defined(__riscv) && !defined(__riscv_zbb)
  int32_t e = 1;
  if (x >> 16)
    e += 16, x >>= 16;
  if (x >> 8)
    e += 8, x >>= 8;
  if (x >> 4)
    e += 4, x >>= 4;
  if (x >> 2)
    e += 2, x >>= 2;
  return e + (int32_t) (x >> 1);
#else
  return 32 - __builtin_clz (x);
#endif
}

FB_KI_INLINE int32_t
dw_zero_below (int32_t ka, int64_t lam, int32_t shr)
{
  uint32_t lo = (uint32_t) lam, nhi, nlo;
  int32_t hi = (int32_t) (lam >> 32), e;

  if (ka <= 0 || shr < 0 || shr > 29)
    return INT32_MIN;
  /* n = 2^(32 + shr) - lam in two words (no 64-bit helpers) */
  nlo = 0u - lo;
  hi = (int32_t) ((1u << shr) - (uint32_t) hi - (lo != 0));
  if (hi < 0 || (hi == 0 && nlo == 0))
    return INT32_MIN;
  nhi = (uint32_t) hi;
  e = dw_bitlen ((uint32_t) ka); /* 1-31 */
  /* n >> e, saturated to INT32_MAX */
  if (nhi >> (e - 1))
    return INT32_MAX;
  return (int32_t) ((nhi << (32 - e)) | (nlo >> e));
}

/* The exact zero threshold of a sweep (stride 1 or 2, out_shift d <= 31) whose sums are
 * acc << s (s <= 31): the smallest T with kappa * T + lambda >= 2^d, times 2^s, saturated to
 * int32, so a sum v < thr has kappa * acc + lambda < 2^d, output 0.  With one 32-bit division
 * (`divu` / `div`, one instruction each on rv32im): n = 2^d - lambda is in (-2^31, 2^32], T = ceil
 * (n / kappa): for n >= 1, (n - 1) / kappa + 1 with n - 1 as a uint32; for n <= 0 (lambda >=
 * 2^d, d <= 30) n / kappa truncated, an int32.  dw_zero_below()'s bound was within 2x of T
 * and INT32_MIN for every n <= 0: the channels whose outputs are 0 for a negative sum (sub-
 * byte weights' channels, whose mean sum is negative: most of them on the trained-style
 * bench) requantized every output.  INT32_MIN when kappa <= 0. */
FB_KI_INLINE int32_t
dw_zero_thr (int32_t ka, int32_t la, int32_t d, int32_t s)
{
  const uint32_t m = (1u << d) - (uint32_t) la - 1u;

  if (ka <= 0)
    return INT32_MIN;
  if (d <= 30 && la >= (int32_t) (1u << d))
    {
      /* n <= 0: T = n / kappa (truncated toward 0 = the ceiling), -2^31 < T <= 0 */
      const int32_t q = (int32_t) (m + 1u) / ka;
      return (q >> (31 - s)) < -1 ? INT32_MIN : (int32_t) ((uint32_t) q << s);
    }
  {
    const uint32_t q = m / (uint32_t) ka; /* T - 1 */
    return q >= (1u << (31 - s)) - 1u ? INT32_MAX : (int32_t) ((q + 1u) << s);
  }
}

/* lambda << u (u < 32) as the two words the sweeps add and as an int64, with two 32-bit
 * shifts (per channel and call: the set-up is what a row slice of a call pays). */
FB_KI_INLINE void
dw_lam_shifted (int32_t la, int32_t u, int32_t *lo, int32_t *hi, int64_t *lam)
{
  *lo = (int32_t) ((uint32_t) la << u);
  *hi = u == 0 ? la >> 31 : la >> (32 - u);
  *lam = (int64_t) (((uint64_t) (uint32_t) *hi << 32) | (uint32_t) *lo);
}

/* The pair sweep's channel-independent fields (once per call, from the row plan). */
FB_KI_INLINE void
dw_sc_pair_plan (const FbConvParams *p, const DwRowJob *j, DwPairJob *pj)
{
  pj->in_px = j->in_px;
  pj->in_row = j->in_step / p->stride_y;
  pj->out_row = j->out_row;
  pj->out_px = j->out_px;
  pj->gbytes = j->gbytes;
  /* stride 2: rem | drain << 1 (the sweep's one test for a row with neither) */
  pj->rem = p->stride_x == 2 ? j->rem | j->drain << 1 : j->rem;
  pj->warm = j->warm;
  pj->drain = j->drain;
  pj->maxv = j->maxv;
  pj->row_back = j->row_back + j->in_step; /* two rows on */
}

/* The pair sweep's job for channel c (weights wf[9], all kernel rows inside the input; bound:
 * sum |w|): 1,
 * 2 (a sub-byte input shifted down: fb_ki_rv32_dwpair_ar_*), 4 (the same at stride 1 for a
 * channel at the top of its byte: fb_ki_rv32_dwpair_at_*) or 0 when its lanes could
 * overflow (sum |w| * the largest x, as the lanes hold it, over 2^15 - 1) or out_shift is not
 * in [32, 63 - sh].  A sub-byte input's lanes hold x << sh (sh: the channel's bit in its
 * byte), which the requantization divides out, or x when only that fits. */
FB_KI_INLINE int
dw_sc_pair_job (const int A, const int O, const int S, const int32_t *wf, int32_t ka,
                int32_t la, const FbConvParams *p, int32_t jthr, int32_t c, int32_t bound,
                DwPairJob *pj)
{
  int32_t sh = A == 8 ? 0 : (c * A) & 7, xmax = ((1 << A) - 1) << sh, res = 1;
  int64_t lam;

  if (p->dim_kernel_y != 3 || p->out_shift < 16)
    return 0;
  pj->sh = sh;
  if (bound * xmax > 32767)
    {
      if (sh == 0 || bound * (xmax >> sh) > 32767)
        return 0;
      /* shifted down: the lanes hold x; at stride 1 a channel at the top of its byte takes
       * each byte shifted down (4: fb_ki_rv32_dwpair_at_*) */
      res = S == 1 && sh == 8 - A ? 4 : 2;
      xmax >>= sh;
      sh = 0;
    }
  /* the lanes are requantized times 2^16 (the sweep's cheaper extraction) */
  dw_lam_shifted (la, sh + 16, &pj->lam_lo, &pj->lam_hi, &lam);
  pj->lam_lo = ~pj->lam_lo; /* the sweeps take ~lam_lo (their carry in one sltu) */
  pj->kappa = ka;
  /* a shift over 31 (the 64-bit value over 2^63 in magnitude: never) gives the same 0 or -1
   * as 31 */
  pj->shr = p->out_shift - 16 + sh > 31 ? 31 : p->out_shift - 16 + sh;
  pj->mask = A == 8 ? 0 : xmax | (xmax << 16);
  pj->osh = (c * O) & 7;
  pj->w = wf;
  /* out_shift <= 31: the exact threshold; else (out_shift >= 32: the row sweep's weights
   * taken << 0) the row job's threshold times 2^16 when its sums are these over 2^16 (the
   * same sh): its sums are under 2^15 in magnitude (the lanes' bound), so a threshold
   * outside that range saturates */
  if (p->out_shift <= 31)
    pj->thr = dw_zero_thr (ka, la, p->out_shift, sh + 16); /* the lanes: acc << (sh + 16) */
  else if (res == 1)
    pj->thr = jthr >= 32768 ? INT32_MAX
              : jthr < -32768 ? INT32_MIN
                              : (int32_t) ((uint32_t) jthr << 16);
  else
    pj->thr = dw_zero_below (ka, lam, pj->shr);
  return res;
}

/* The 32-bit pair sweep's job (fb_ki_rv32_dwpair32_*: an 8-bit input at stride 1, every
 * kernel row inside) for a channel whose lanes do not fit: the row sweep's requantization
 * (the channel's: kappa, ~lam_lo, lam_hi, shr, thr, osh) and weights (wt: << t).  3:
 * dw_sc_rows_asm()'s code for it. */
FB_KI_INLINE int
dw_sc_pair32_job (int32_t ka, int32_t nlo, int32_t hi, int32_t shr, int32_t thr, int32_t osh,
                  const int32_t *wt, DwPairJob *pj)
{
  pj->kappa = ka;
  pj->lam_lo = nlo;
  pj->lam_hi = hi;
  pj->shr = shr;
  pj->thr = thr;
  pj->osh = osh;
  pj->w = wt;
  return 3;
}

/* Consecutive output rows with the same kernel rows [ky_lo, ky_hi) inside the input (both 0:
 * the window is entirely in the padding). */
typedef struct {
  int32_t oy, n, ky_lo, ky_hi;
} DwRowGroup;
#define DW_MAX_GROUPS 16

/* The row groups and the channel-independent fields of the row sweep's job, once per call;
 * 0 when the sweep does not apply (out_shift 0 or over 63, a padding along x not 0-2 columns
 * on either side, more groups than DW_MAX_GROUPS). */
FB_KI_INLINE int
dw_sc_rows_plan (const int O, const int S, const FbConvParams *p, const DwScGeom *g,
                 DwRowJob *j, DwRowGroup *grp, int32_t *ngrp)
{
  const int32_t in_x = p->dim_in_x, nox = p->dim_out_x, pl = p->pad_left, kyn = p->dim_kernel_y;
  /* stride 1: outputs whose last column is right padding; stride 2: outputs [0, full) have
   * their columns kx = 1, 2 inside, at most one more its kx = 1 only */
  const int32_t full = in_x + pl - 3 < 0 ? 0 : (in_x + pl - 3) / 2 + 1;
  const int32_t drain = S == 2 ? (nox > full ? nox - full : 0)
                               : (nox + 2 - pl - in_x > 0 ? nox + 2 - pl - in_x : 0);
  const int32_t steps = nox - drain, out_px = (int32_t) g->out_px;
  const int32_t cols = S == 2 ? 1 - pl + 2 * steps + drain : 2 - pl + steps;
  int32_t n = 0, oy;

  if (p->out_shift < 1 || p->out_shift > 63 || pl < 0 || pl > 3 - S || drain > 3 - S
      || steps < 0 || cols > in_x)
    return 0;
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      const int32_t iy0 = oy * p->stride_y - p->pad_top;
      int32_t lo = iy0 < 0 ? -iy0 : 0, hi = p->dim_in_y - iy0 < kyn ? p->dim_in_y - iy0 : kyn;
      if (lo >= hi)
        lo = hi = 0;
      if (n > 0 && grp[n - 1].ky_lo == lo && grp[n - 1].ky_hi == hi)
        grp[n - 1].n++;
      else if (n == DW_MAX_GROUPS)
        return 0;
      else
        {
          grp[n].oy = oy;
          grp[n].n = 1;
          grp[n].ky_lo = lo;
          grp[n++].ky_hi = hi;
        }
    }
  *ngrp = n;
  j->in_px = (int32_t) g->in_px;
  j->in_step = p->stride_y * (int32_t) g->in_row;
  j->out_px = out_px;
  j->out_row = nox * out_px;
  j->gbytes = steps / (4 - S) * (4 - S) * out_px; /* groups of 3 (S = 1) or 2 outputs */
  j->rem = steps % (4 - S);
  j->warm = S == 2 ? 1 - pl : 2 - pl;
  j->drain = drain;
  j->shr = p->out_shift >= 32 ? p->out_shift - 32 : 0;
  j->row_back = j->in_step - cols * j->in_px;
  j->maxv = (1 << O) - 1;
  return 1;
}

/* The lane-pair tables' input index for dw_sc_pair_job()'s code pairs (1, 2 or 4): 8-bit,
 * sub-byte in place, shifted down, at the top of its byte. */
FB_KI_INLINE int
dw_pair_kind (const int A, int pairs)
{
  return A == 8 ? 0 : pairs == 4 ? 3 : pairs;
}

/* Once per call for dw_sc_pairs_all(): the input and output offsets of the pairs' first row
 * (s3off[2]), the job's pair count and its padded rows' code. */
FB_KI_INLINE void
dw_sc_pairs_all_plan (const FbConvParams *p, const DwScGeom *g, const DwRowJob *jp,
                      DwPairJob *pjp, const DwRowGroup *grp, size_t *s3off)
{
  const int32_t oy = grp[1].oy + 1;

  s3off[0] = (size_t) (oy - p->pad_top) * g->in_row;
  s3off[1] = (size_t) oy * (size_t) jp->out_row;
  pjp->npairs = (grp[1].n - 2) / 2;
  pjp->tb = 3;
  s3off[2] = 0;
}

/* Zero output bytes [o, e): bytes to a word boundary, then 8 words a step (picolibc's memset
 * goes byte by byte); inline, for a stride-1 channel's plane (dw_sc_std3_zero(): the out-of-line
 * dw_zero_bytes64() there cost about 5 per channel, mobilenet-v1-1.0-224 dw14 a8w8o4 +5,193) */
FB_KI_INLINE void
dw_zero_bytes (uint8_t *o, uint8_t *const e)
{
  for (; ((uintptr_t) o & 3) != 0 && o < e; o++)
    *o = 0;
  for (; e - o >= 32; o += 32)
    {
      uint32_t *const q = (uint32_t *) (void *) o;
      q[0] = q[1] = q[2] = q[3] = q[4] = q[5] = q[6] = q[7] = 0;
      __asm__ volatile ("" : : "r" (o) : "memory"); /* not turned into a memset call */
    }
  for (; o < e; o++)
    *o = 0;
}

/* dw_zero_bytes() by 16 words a step (3 instructions of loop per 64 bytes instead of per 32;
 * dw_s2_zero()'s whole outputs), then words, then bytes; out of line (inlined, it changed
 * the stride-1 instances' code: fmnist-mbv1 w4a4 dw6, dw7 +256 each) */
FB_KI_NOINLINE void
dw_zero_bytes64 (uint8_t *o, uint8_t *const e)
{
  for (; ((uintptr_t) o & 3) != 0 && o < e; o++)
    *o = 0;
  for (; e - o >= 64; o += 64)
    {
      uint32_t *const q = (uint32_t *) (void *) o;
      q[0] = q[1] = q[2] = q[3] = q[4] = q[5] = q[6] = q[7] = 0;
      q[8] = q[9] = q[10] = q[11] = q[12] = q[13] = q[14] = q[15] = 0;
      __asm__ volatile ("" : : "r" (o) : "memory"); /* not turned into a memset call */
    }
  for (; e - o >= 4; o += 4)
    {
      *(uint32_t *) (void *) o = 0;
      __asm__ volatile ("" : : "r" (o) : "memory");
    }
  for (; o < e; o++)
    *o = 0;
}

/* An 8-bit input with 8-bit weights (its channels mostly in 32-bit pairs) in
 * dw_sc_pairs_all()'s layout or stride 2's (dw_sc_s2_plan()): the output zeroed once per
 * call (*zflag = 1: s3off[2], s2off[5]), so the 32-bit pairs routines store no output under
 * the zero threshold (dw_pair32_allz_fns, dw_pair32_s2z_fns): a word store per 4 output
 * bytes instead of 2 instructions per zero output. */
FB_KI_INLINE void
dw_sc_std3_zero (const int A, const int W, const FbConvParams *p, uint8_t *output,
                 const DwRowJob *jp, size_t *zflag)
{
  uint8_t *o = output, *const e = output + (size_t) p->dim_out_y * (size_t) jp->out_row;

  if (A != 8 || W != 8)
    return;
  dw_zero_bytes (o, e);
  *zflag = 1;
}

/* A padded top row and the next group's first row: the pad pair upside down (the low lane
 * the lower row, rows read upwards from the last, weights' rows flipped into wfl), so the
 * padded row is the last one, not read (q0: the last input row, op: the lower output row). */
FB_KI_INLINE void
dw_sc_pad_top_pair (const int32_t *wp, int32_t *wfl, const uint8_t *q0, uint8_t *op,
                    DwPairJob *pjp, DwPairFn fn)
{
  wfl[0] = wp[6], wfl[1] = wp[7], wfl[2] = wp[8];
  wfl[3] = wp[3], wfl[4] = wp[4], wfl[5] = wp[5];
  wfl[6] = wp[0], wfl[7] = wp[1], wfl[8] = wp[2];
  pjp->w = wfl;
  pjp->q0 = q0;
  pjp->in_row = -pjp->in_row;
  pjp->op = op;
  pjp->out_row = -pjp->out_row;
  pjp->npairs = 1;
  fn (pjp);
  pjp->w = wp;
  pjp->in_row = -pjp->in_row;
  pjp->out_row = -pjp->out_row;
}

/* Stride 2, a padded top row and an odd number (3 or more) of full rows: once per call the
 * offsets of the padded pair (upside down, as dw_sc_rows_asm() takes it: input row 2 + S of
 * the first window, output row 1) and of the pairs after it, and their count (s2off[5]). */
FB_KI_INLINE void
dw_sc_s2_plan (const FbConvParams *p, const DwScGeom *g, const DwRowJob *jp,
               const DwRowGroup *grp, size_t *s2off)
{
  const int32_t oy = grp[1].oy + 1, iy0 = grp[0].oy * p->stride_y - p->pad_top;

  s2off[0] = (size_t) (iy0 + 4) * g->in_row;
  s2off[1] = (size_t) (grp[0].oy + 1) * (size_t) jp->out_row;
  s2off[2] = (size_t) (oy * p->stride_y - p->pad_top) * g->in_row;
  s2off[3] = (size_t) oy * (size_t) jp->out_row;
  s2off[4] = (size_t) ((grp[1].n - 1) / 2);
}

/* Stride 2, a channel in 32-bit pairs: its routine (pad: the padded pair's), into the output
 * zeroed first (s2off[5], dw_sc_std3_zero()) when its shr allows (dw_pair32_s2z_fns) */
FB_KI_INLINE DwPairFn
dw_s2_p32_fn (const int O, int pad, int plain, int32_t lam_hi, const DwPairJob *pjp,
              const size_t *s2off)
{
  if (s2off[5] && pjp->shr >= pjp->osh)
    return dw_pair32_s2z_fns[lam_hi == 0 && pjp->thr >= 0 && pjp->kappa > 0][pad]
                            [O != 8 && pjp->osh == 0 ? 4 : pjp->osh / 2];
  return dw_pair32_s2_fns[lam_hi == 0][pad][plain ? 0 : 1];
}

/* The _h0 sub-byte-output forms' saturation sum (job->mask): a q with (kappa q + lam) >>
 * (32 + shr) >= maxv for every sum from q on (lam = ~job->lam_lo, lam_hi 0, kappa > 0), an
 * upper bound of the exact one from one 32-bit division (kappa's top 16 bits); INT32_MAX
 * (never) when over 2^17 or out of range. */
FB_KI_INLINE int32_t
dw_s2_sat_from (const DwPairJob *pjp)
{
  const uint32_t lam = ~(uint32_t) pjp->lam_lo, ka = (uint32_t) pjp->kappa;
  const int32_t shr = pjp->shr, e = dw_bitlen (ka), d = e > 16 ? e - 16 : 0;
  uint32_t nlo, nhi, num;

  if (shr > 27)
    return INT32_MAX;
  /* n = maxv 2^(32 + shr) - lam in two words */
  nlo = 0u - lam;
  nhi = ((uint32_t) pjp->maxv << shr) - (lam != 0);
  if ((int32_t) nhi < 0)
    return INT32_MIN;
  /* num >= n / 2^d, kappa >= (kappa >> d) 2^d, so n / kappa < num / (kappa >> d) */
  if ((d == 0 ? nhi : nhi >> d) != 0)
    return INT32_MAX;
  num = (d == 0 ? nlo : (nhi << (32 - d)) | (nlo >> d));
  if (num == UINT32_MAX)
    return INT32_MAX;
  return (int32_t) ((num + 1) / (ka >> d)) + 1;
}

/* stride 2, the padded pair of an output zeroed once per call (dw_s2_zero()), a byte-storing
 * channel: no zero output stored; [input: 8-bit, sub-byte in place, shifted down (or at the
 * top)] */
void fb_ki_rv32_dwpair_s2_pad_a8_o8_z (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_as_o8_z (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_ar_o8_z (const DwPairJob *job);
static const DwPairFn dw_pair_s2_padz_fns[3] = {
  fb_ki_rv32_dwpair_s2_pad_a8_o8_z, fb_ki_rv32_dwpair_s2_pad_as_o8_z,
  fb_ki_rv32_dwpair_s2_pad_ar_o8_z
};

/* Stride 2, channel c in pairs (pairs: dw_sc_rows_asm()'s code, weights w2) of
 * dw_sc_s2_plan()'s layer: the padded top pair upside down, its routine chosen here only
 * (pjp's q0, op and npairs left to dw_sc_s2_pairs()). */
FB_KI_INLINE void
dw_sc_s2_pad (const int A, const int O, const uint8_t *xc, uint8_t *output, int32_t c,
              int pairs, int plain, int32_t lam_hi, const int32_t *w2, DwPairJob *pjp,
              const size_t *s2off, int zero)
{
  /* the output zeroed (dw_s2_zero()): a byte-storing channel stores no zero output */
  const DwPairFn pf = pairs == 3       ? dw_s2_p32_fn (O, 1, plain, lam_hi, pjp, s2off)
                      : zero && plain ? dw_pair_s2_padz_fns[dw_pair_kind (A, pairs)]
                                      : dw_pair_fns[1][1][dw_pair_kind (A, pairs)][plain ? 0 : 1];
  int32_t wfl[9];

  dw_sc_pad_top_pair (w2, wfl, xc + s2off[0], output + s2off[1] + (size_t) c * (size_t) O / 8,
                      pjp, pf);
}

/* The same layer's full pairs: pjp set for them (the group loop's calls, without its
 * per-group arithmetic), which the caller hands to the two-channel pass (dw_s2_pairs()) or
 * to dw_sc_s2_pairs_run(). */
FB_KI_INLINE void
dw_sc_s2_pairs (const int O, const uint8_t *xc, uint8_t *output, int32_t c, DwPairJob *pjp,
                const size_t *s2off)
{
  pjp->q0 = xc + s2off[2];
  pjp->op = output + s2off[3] + (size_t) c * (size_t) O / 8;
  pjp->npairs = (int32_t) s2off[4];
}

/* The deferred padded top pair alone (the two-channel pass did not take the channel): pjp's
 * full-pair fields kept (they are set already) */
FB_KI_INLINE void
dw_sc_s2_pad_only (const int A, const int O, const uint8_t *xc, uint8_t *output, int32_t c,
                   int pairs, int plain, const int32_t *w2, DwPairJob *pjp,
                   const size_t *s2off)
{
  const uint8_t *const q0 = pjp->q0;
  uint8_t *const op = pjp->op;
  const int32_t np = pjp->npairs;

  dw_sc_s2_pad (A, O, xc, output, c, pairs, plain, 0, w2, pjp, s2off, 1);
  pjp->q0 = q0;
  pjp->op = op;
  pjp->npairs = np;
}

/* dw_sc_s2_pairs()'s full pairs (pjp set by it), when the two-channel pass did not take them */
FB_KI_INLINE void
dw_sc_s2_pairs_run (const int A, const int O, int pairs, int plain, int32_t lam_hi,
                    const DwPairJob *pjp, const size_t *s2off)
{
  if (pairs == 3)
    dw_s2_p32_fn (O, 0, plain, lam_hi, pjp, s2off) (pjp);
  else
    dw_pair_fns[1][0][dw_pair_kind (A, pairs)][plain ? 0 : 1](pjp);
}

/* Stride 1, channel c in pairs (pairs: dw_sc_rows_asm()'s code) of a layer whose row groups
 * are a padded top row, an even number of full rows and a padded bottom row: the padded top
 * pair, the pairs and the padded bottom pair in one call, the pairs from the full group's
 * second row on (xc: the channel's input; the rest from dw_sc_pairs_all_plan()). */
FB_KI_INLINE void
dw_sc_pairs_all (const int A, const int O, const uint8_t *xc, uint8_t *output, int32_t c,
                 int pairs, int plain, int32_t lam_hi, DwPairJob *pjp, const size_t *s3off)
{
  const int h0 = lam_hi == 0 && pjp->thr >= 0 && pjp->kappa > 0;

  pjp->q0 = xc + s3off[0];
  pjp->op = output + s3off[1] + (size_t) c * (size_t) O / 8;
  if (pairs == 3 && pjp->shr == 0 && (s3off[2] || !plain))
    /* shr 0 (out_shift <= 31): the _s0 forms (a byte-storing one into the zeroed output) */
    dw_pair32_all_s0_fns[plain ? h0 : 2 + (lam_hi == 0)](pjp);
  else if (A != 8 && pairs == 1 && !plain && pjp->osh == 4 && pjp->shr >= 4)
    fb_ki_rv32_dwpair_all_as_os4 (pjp); /* in place, osh 4 folded into shr */
  else if (pairs == 3 && s3off[2] && pjp->shr >= pjp->osh)
    dw_pair32_allz_fns[h0][pjp->osh / 2](pjp); /* the output zeroed (dw_sc_std3_zero()) */
  else
    (pairs == 3 ? dw_pair32_all_fns[lam_hi == 0]
                : dw_pair_all_fns[dw_pair_kind (A, pairs)])[plain ? 0 : 1](pjp);
}

/* wt[k] = wf[k] << t for the 9 weights, unrolled (out_shift < 32; the sum |w| comes with the
 * caller's unpacking). */
FB_KI_INLINE void
dw_sc_shift9 (const int32_t *wf, int32_t t, int32_t *wt)
{
#define DW_SHIFT_W(k) wt[k] = (int32_t) ((uint32_t) wf[k] << t)
  DW_SHIFT_W (0), DW_SHIFT_W (1), DW_SHIFT_W (2), DW_SHIFT_W (3), DW_SHIFT_W (4);
  DW_SHIFT_W (5), DW_SHIFT_W (6), DW_SHIFT_W (7), DW_SHIFT_W (8);
#undef DW_SHIFT_W
}

/* Stride 2, a sub-byte input: two channels that share their input bytes (c, c + 1 with c at
 * bit 0 of its byte, or a 2-bit input's c at bit 4) take their full pairs in one pass of
 * fb_ki_rv32_dwpair2_s2_* (the column packing once for both): the first channel's pair job
 * is kept (DwS2Keep) and run with the second's, or alone (dw_s2_flush()) when the second
 * does not pair.  [shift pair: 0/4, 0/2, 4/6][outputs: both bytes (8-bit output), the
 * first stores its byte and the second ORs in, both OR in]. */
void fb_ki_rv32_dwpair2_s2_04_bb (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_oo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bb (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_oo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bb (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_oo (const DwPairJob *a, const DwPairJob *b);
/* an 8-bit input's channels c (even), c + 1: one lhu per value (q0 and in_px even) */
void fb_ki_rv32_dwpair2_s2_08_bb (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_08_bo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_08_oo (const DwPairJob *a, const DwPairJob *b);
/* the output zeroed once per call (dw_s2_zero()): no zero output stored */
void fb_ki_rv32_dwpair2_s2_04_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_08_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_08_bo_z (const DwPairJob *a, const DwPairJob *b);
/* a sub-byte input with 8-bit weights (about half its outputs requantized), the output
 * zeroed: the requantization inline, shr in a register */
void fb_ki_rv32_dwpair2_s2_04_bb_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_oo_i (const DwPairJob *a, const DwPairJob *b);
/* u4 outputs: the OR-in channel's osh 4 an immediate (m; else it jumps to _bo_zi) */
void fb_ki_rv32_dwpair2_s2_04_bo_zim (const DwPairJob *a, const DwPairJob *b);
/* the requantization without lam_hi and shr (q: kappa > 0, out_shift <= 32, kappa <
 * 2^out_shift, the sums moved by floor (lambda / kappa); else they jump to the forms above) */
void fb_ki_rv32_dwpair2_s2_04_bb_ziq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo_zimq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_oo_iq (const DwPairJob *a, const DwPairJob *b);
/* u2 outputs' 'bo' pair (osh 2), entered from _bo_zimq */
void fb_ki_rv32_dwpair2_s2_04_bo_zi2q (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bb_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bo_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_oo_i (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bb_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bo_zi (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_oo_i (const DwPairJob *a, const DwPairJob *b);
/* the q form (out_shift <= 32, kappa > 0, |f| <= 15487; else the form above) for a u2 input:
 * 'bo' takes osh from the frame (4: u4 outputs, 2: the 0/2 pair of u2 outputs), 'oo' 4 / 6 */
void fb_ki_rv32_dwpair2_s2_02_bb_ziq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bo_ziq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bb_ziq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bo_ziq (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_oo_iq (const DwPairJob *a, const DwPairJob *b);
typedef void (*DwPair2Fn) (const DwPairJob *a, const DwPairJob *b);
/* [zeroed output: no, yes, yes with the requantization inline (kp->zero 2: a sub-byte input;
 * an 8-bit input never takes it)][shift pair: 0/4, 0/2, 4/6, an 8-bit
 * input][outputs: bb, bo, oo] */
static const DwPair2Fn dw_pair2_s2_fns[3][4][3] = {
  { { fb_ki_rv32_dwpair2_s2_04_bb, fb_ki_rv32_dwpair2_s2_04_bo, fb_ki_rv32_dwpair2_s2_04_oo },
    { fb_ki_rv32_dwpair2_s2_02_bb, fb_ki_rv32_dwpair2_s2_02_bo, fb_ki_rv32_dwpair2_s2_02_oo },
    { fb_ki_rv32_dwpair2_s2_46_bb, fb_ki_rv32_dwpair2_s2_46_bo, fb_ki_rv32_dwpair2_s2_46_oo },
    { fb_ki_rv32_dwpair2_s2_08_bb, fb_ki_rv32_dwpair2_s2_08_bo, fb_ki_rv32_dwpair2_s2_08_oo } },
  { { fb_ki_rv32_dwpair2_s2_04_bb_z, fb_ki_rv32_dwpair2_s2_04_bo_z,
      fb_ki_rv32_dwpair2_s2_04_oo },
    { fb_ki_rv32_dwpair2_s2_02_bb_z, fb_ki_rv32_dwpair2_s2_02_bo_z,
      fb_ki_rv32_dwpair2_s2_02_oo },
    { fb_ki_rv32_dwpair2_s2_46_bb_z, fb_ki_rv32_dwpair2_s2_46_bo_z,
      fb_ki_rv32_dwpair2_s2_46_oo },
    { fb_ki_rv32_dwpair2_s2_08_bb_z, fb_ki_rv32_dwpair2_s2_08_bo_z,
      fb_ki_rv32_dwpair2_s2_08_oo } },
  { { fb_ki_rv32_dwpair2_s2_04_bb_ziq, fb_ki_rv32_dwpair2_s2_04_bo_zimq,
      fb_ki_rv32_dwpair2_s2_04_oo_i },
    { fb_ki_rv32_dwpair2_s2_02_bb_ziq, fb_ki_rv32_dwpair2_s2_02_bo_zi,
      fb_ki_rv32_dwpair2_s2_02_oo_i },
    { fb_ki_rv32_dwpair2_s2_46_bb_ziq, fb_ki_rv32_dwpair2_s2_46_bo_ziq,
      fb_ki_rv32_dwpair2_s2_46_oo_i },
    { fb_ki_rv32_dwpair2_s2_08_bb_z, fb_ki_rv32_dwpair2_s2_08_bo_z,
      fb_ki_rv32_dwpair2_s2_08_oo } }
};

/* The q forms with K, ~R, D from fb_ki_rv32_dw_s2_qk() (dwpair2_s2_qk() in the generator) */
void fb_ki_rv32_dwpair2_s2_04_bb_ziqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo_zimqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_bo_zi2qk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_04_oo_iqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bb_ziqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_02_bo_ziqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bb_ziqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_bo_ziqk (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_46_oo_iqk (const DwPairJob *a, const DwPairJob *b);

/* Entered (a tail call, with the caller's return address) from a q routine's entry when a
 * channel has kappa >= 2^s (s = out_shift: a sub-byte input's small sums to a wider output,
 * a gain over 1), where K = kappa << (32 - s) does not fit a word: per channel the smallest
 * k with kappa < 2^(s + k) <= 2^32, the weights taken << k (the lanes hold x 2^k), and
 * y = (kappa x 2^k + lambda 2^k) >> (s + k), the same value, by the q form with f =
 * floor (lambda 2^k / kappa) (floor (lambda / kappa), then k steps of long division on the
 * remainder), K = kappa << (32 - s - k), R = rho << (32 - s - k): both jobs' kappa, lam_lo,
 * lam_hi words hold K, ~R, D for the call of fk (the routine past its entry), restored after.
 * gen (the general form) when a condition does not hold: kappa <= 0, s + k > 32,
 * |f| > 15487, the lanes' |x| 2^k + |f| over 32767.  Both jobs' lanes hold x (sh 0: mask the
 * input's largest value twice), shr is s - 16 (the routine's entry checked s <= 32). */
void fb_ki_rv32_dw_s2_qk (DwPairJob *a, DwPairJob *b, DwPair2Fn fk, DwPair2Fn gen);
__attribute__ ((used, noinline)) void
fb_ki_rv32_dw_s2_qk (DwPairJob *a, DwPairJob *b, DwPair2Fn fk, DwPair2Fn gen)
{
  DwPairJob *const jb[2] = { a, b };
  const int32_t *const ws[2] = { a->w, b->w };
  const int32_t s = a->shr + 16;
  int32_t save[2][3], wt[2][9], ch, i;
  uint32_t kq[2], nr[2], dq[2];

  for (ch = 0; ch < 2; ch++)
    {
      const DwPairJob *const j = jb[ch];
      const int32_t ka = j->kappa, xmax = j->mask & 0xffff;
      /* lambda from lam_lo (complemented) and lam_hi: lambda << 16 */
      const int32_t la = (int32_t) ((~(uint32_t) j->lam_lo >> 16) | ((uint32_t) j->lam_hi << 16));
      int32_t k, f, rho, bound = 0;
      uint32_t r;
      if (ka <= 0)
        goto general;
      k = dw_bitlen ((uint32_t) ka) - s;
      k = k < 0 ? 0 : k;
      if (s + k > 32)
        goto general;
      f = la / ka, rho = la % ka;
      if (rho < 0)
        rho += ka, f--;
      if (f > 15487 || f < -15487)
        goto general;
      for (r = (uint32_t) rho, i = 0; i < k; i++)
        {
          r <<= 1, f *= 2;
          if (r >= (uint32_t) ka)
            r -= (uint32_t) ka, f++;
        }
      for (i = 0; i < 9; i++)
        bound += ws[ch][i] < 0 ? -ws[ch][i] : ws[ch][i];
      /* bound * xmax is under 2^15 (dw_sc_pair_job()), k at most 16 */
      if ((f < 0 ? -f : f) + ((bound * xmax) << k) > 32767)
        goto general;
      kq[ch] = (uint32_t) ka << (32 - s - k);
      nr[ch] = ~(r << (32 - s - k));
      dq[ch] = (uint32_t) f + ((uint32_t) f << 16);
      for (i = 0; i < 9; i++)
        wt[ch][i] = (int32_t) ((uint32_t) ws[ch][i] << k);
    }
  for (ch = 0; ch < 2; ch++)
    {
      DwPairJob *const j = jb[ch];
      save[ch][0] = j->kappa, save[ch][1] = j->lam_lo, save[ch][2] = j->lam_hi;
      j->kappa = (int32_t) kq[ch], j->lam_lo = (int32_t) nr[ch], j->lam_hi = (int32_t) dq[ch];
      j->w = wt[ch];
    }
  fk (a, b);
  for (ch = 0; ch < 2; ch++)
    {
      DwPairJob *const j = jb[ch];
      j->kappa = save[ch][0], j->lam_lo = save[ch][1], j->lam_hi = save[ch][2];
      j->w = ws[ch];
    }
  return;
general:
  gen (a, b);
}

/* the padded top pair of both channels of a sub-byte input (upside down, as
 * dw_sc_pad_top_pair()), of an output zeroed once per call (dw_s2_zero()): [shift pair 0/4,
 * 0/2, 4/6][outputs: bb, bo (no zero output stored), oo] */
void fb_ki_rv32_dwpair2_s2_pad_04_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_04_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_04_oo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_02_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_02_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_02_oo (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_46_bb_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_46_bo_z (const DwPairJob *a, const DwPairJob *b);
void fb_ki_rv32_dwpair2_s2_pad_46_oo (const DwPairJob *a, const DwPairJob *b);
static const DwPair2Fn dw_pair2_s2_pad_fns[3][3] = {
  { fb_ki_rv32_dwpair2_s2_pad_04_bb_z, fb_ki_rv32_dwpair2_s2_pad_04_bo_z,
    fb_ki_rv32_dwpair2_s2_pad_04_oo },
  { fb_ki_rv32_dwpair2_s2_pad_02_bb_z, fb_ki_rv32_dwpair2_s2_pad_02_bo_z,
    fb_ki_rv32_dwpair2_s2_pad_02_oo },
  { fb_ki_rv32_dwpair2_s2_pad_46_bb_z, fb_ki_rv32_dwpair2_s2_pad_46_bo_z,
    fb_ki_rv32_dwpair2_s2_pad_46_oo }
};

typedef struct {
  DwPairJob job;
  int32_t w[9];
  int32_t c; /* the kept channel, -1: none */
  int plain;
  int full; /* 1 until job holds the call's channel-independent fields */
  /* the output zeroed once per call (dw_s2_zero()): the channels' padded top pairs are left
   * to the two-channel pass (dw_s2_pad_kept()); 2: the pass's inline-requantization forms
   * too (a sub-byte input: with sub-byte weights as well since the trained-layer bench, where
   * the frame-loaded _z forms cost s2-32x32 u4/u4/i4 +68k); s2off: dw_sc_s2_plan()'s offsets */
  int zero;
  const size_t *s2off;
} DwS2Keep;

/* Stride 2, sub-byte weights or a sub-byte input (8-bit weights: its channels pair in the
 * two-channel pass too), dw_sc_s2_plan()'s layer whose full pairs pair channels
 * (dw_s2_two()'s gate): the output zeroed once per call, so that the two-channel pass's
 * byte-storing channels store no zero output (kp->zero; a ReLU layer's outputs are mostly
 * 0): about 0.3 instructions per output byte for 1 per zero output saved. */
FB_KI_INLINE void
dw_s2_zero (const int A, const int W, const FbConvParams *p, uint8_t *output,
            const DwRowJob *jp, const size_t *s2off, DwS2Keep *kp)
{
  kp->zero = 0;
  if ((W == 8 && A == 8) || p->ch_in < 2 || (int32_t) s2off[4] * p->dim_out_x < 32
      || (A == 8 && (p->ch_in & 1)))
    return;
  dw_zero_bytes64 (output, output + (size_t) p->dim_out_y * (size_t) jp->out_row);
  kp->zero = 2;
  kp->s2off = s2off;
}

/* The kept job's padded top pair (kp->zero), upside down: its weights flipped into wa, the
 * job's q0, op, npairs, in_row, out_row and w set for it (dw_s2_pad_back() restores them) */
FB_KI_INLINE void
dw_s2_pad_kept (DwS2Keep *kp, int32_t *wa)
{
  const int32_t *const w = kp->w;
  const size_t *const o = kp->s2off;
  DwPairJob *const j = &kp->job;

  wa[0] = w[6], wa[1] = w[7], wa[2] = w[8];
  wa[3] = w[3], wa[4] = w[4], wa[5] = w[5];
  wa[6] = w[0], wa[7] = w[1], wa[8] = w[2];
  j->w = wa;
  j->q0 = j->q0 - o[2] + o[0];
  j->op = j->op - o[3] + o[1];
  j->npairs = 1;
  j->in_row = -j->in_row;
  j->out_row = -j->out_row;
}

FB_KI_INLINE void
dw_s2_pad_back (DwS2Keep *kp)
{
  const size_t *const o = kp->s2off;
  DwPairJob *const j = &kp->job;

  j->w = kp->w;
  j->q0 = j->q0 - o[0] + o[2];
  j->op = j->op - o[1] + o[3];
  j->npairs = (int32_t) o[4];
  j->in_row = -j->in_row;
  j->out_row = -j->out_row;
}

/* A kept channel's full pairs alone (fb_ki_rv32_dwpair_s2_ar_*: its job is the shifted-down
 * form, job.sh its bit; an 8-bit input's fb_ki_rv32_dwpair_s2_a8_*), its padded top pair
 * first when the output is zeroed (dw_s2_zero()). */
/* The kept channel's padded top pair (kp->zero), out of line: inlined into dw_s2_flush(),
 * it changed the code GCC emits for every instance (fmnist-mbv1 w8a4, u4 x i8, +2.9k) */
FB_KI_NOINLINE void
dw_s2_flush_pad (DwS2Keep *kp)
{
  int32_t wa[9];

  dw_s2_pad_kept (kp, wa);
  /* only called for a sub-byte input (shifted down: index 2) */
  (kp->plain ? dw_pair_s2_padz_fns[2] : dw_pair_fns[1][1][2][1])(&kp->job);
  dw_s2_pad_back (kp);
}

static void
dw_s2_flush (const int A, DwS2Keep *kp)
{
  if (kp->c < 0)
    return;
  if (A != 8 && kp->zero)
    dw_s2_flush_pad (kp);
  dw_pair_fns[1][0][A == 8 ? 0 : 2][kp->plain ? 0 : 1](&kp->job);
  kp->c = -1;
}

/* The pair job pj of a channel in lanes of x (dw_sc_pair_job()'s code 2, the channel's bits
 * shifted down), from code 1 (in place, x << sh) */
static void
dw_s2_down (const int A, int32_t ka, int32_t la, const FbConvParams *p, DwPairJob *pj)
{
  const int32_t xmax = (1 << A) - 1;
  int64_t lam;

  dw_lam_shifted (la, 16, &pj->lam_lo, &pj->lam_hi, &lam);
  pj->lam_lo = ~pj->lam_lo;
  pj->shr = p->out_shift - 16 > 31 ? 31 : p->out_shift - 16;
  pj->mask = xmax | (xmax << 16);
  /* out_shift <= 31: the exact threshold (the lanes: acc << 16), as dw_sc_pair_job()'s */
  pj->thr = p->out_shift <= 31 ? dw_zero_thr (ka, la, p->out_shift, 16)
                               : dw_zero_below (ka, lam, pj->shr);
}

/* The kept channel's and channel pj's full pairs in one pass (fn), their padded top pair
 * first in one pass too (fpad) when the output is zeroed (kp->zero; wf: pj's weights) */
FB_KI_NOINLINE void
dw_s2_run2_pad (DwS2Keep *kp, DwPairJob *pj, const int32_t *wf, DwPair2Fn fpad)
{
  int32_t wa[9], wb[9];

  dw_s2_pad_kept (kp, wa);
  wb[0] = wf[6], wb[1] = wf[7], wb[2] = wf[8];
  wb[3] = wf[3], wb[4] = wf[4], wb[5] = wf[5];
  wb[6] = wf[0], wb[7] = wf[1], wb[8] = wf[2];
  pj->w = wb;
  fpad (&kp->job, pj);
  pj->w = wf;
  dw_s2_pad_back (kp);
}

FB_KI_INLINE void
dw_s2_run2 (const int A, DwS2Keep *kp, DwPairJob *pj, const int32_t *wf, DwPair2Fn fn, DwPair2Fn fpad)
{
  if (A != 8 && kp->zero)
    dw_s2_run2_pad (kp, pj, wf, fpad);
  fn (&kp->job, pj);
}

/* Stride 2, channel c's full pairs (job pj, code pairs of dw_sc_pair_job(), weights wf): 1
 * when kept (the first channel of two) or done with the kept one, 0 for the caller's own
 * call (the kept one, if any, done first). */
FB_KI_INLINE int
dw_s2_two (const int A, const int O, const int32_t *wf, int32_t ka, int32_t la,
           const FbConvParams *p, int32_t c, int pairs, int plain, DwPairJob *pj,
           DwS2Keep *kp)
{
  const int32_t sh = (c * A) & 7;
  DwPair2Fn fn;
  int k, sp, ok;

  if (pairs != 1 && (A == 8 || pairs != 2))
    {
      dw_s2_flush (A, kp);
      return 0;
    }
  if (A == 8 ? (c & 1) == 0 : sh == 0 || (A == 2 && sh == 4))
    {
      dw_s2_flush (A, kp);
      /* a short call: the frame-loaded requantization values cost more than the packing
       * saves (fmnist-mbv1's dw5, 7 x 7 outputs, 2 pairs: +69 per channel); an 8-bit
       * input's halfword loads need q0 and in_px even */
      if (c + 1 >= p->ch_in || pj->npairs * p->dim_out_x < 32
          || (A == 8 && (((uintptr_t) pj->q0 | (uintptr_t) pj->in_px) & 1)))
        return 0;
      if (kp->full)
        kp->job = *pj, kp->full = 0;
      else
        {
          /* the fields dw_sc_pair_job() and the pair sweeps' callers set per channel */
          kp->job.q0 = pj->q0, kp->job.op = pj->op, kp->job.npairs = pj->npairs;
          kp->job.kappa = pj->kappa, kp->job.lam_lo = pj->lam_lo, kp->job.lam_hi = pj->lam_hi;
          kp->job.shr = pj->shr, kp->job.mask = pj->mask, kp->job.osh = pj->osh;
          kp->job.thr = pj->thr, kp->job.sh = pj->sh;
        }
      for (k = 0; k < 9; k++)
        kp->w[k] = wf[k];
      kp->job.w = kp->w;
      if (pairs == 1 && sh)
        dw_s2_down (A, ka, la, p, &kp->job);
      kp->c = c;
      kp->plain = plain;
      return 1;
    }
  if (kp->c != c - 1 || kp->job.q0 + (A == 8) != pj->q0 || kp->job.npairs != pj->npairs
      || kp->job.op + (O == 8) != pj->op)
    {
      dw_s2_flush (A, kp);
      return 0;
    }
  sp = A == 8 ? 3 : A == 4 ? 0 : kp->job.sh == 0 ? 1 : 2;
  ok = O == 8 ? 0 : kp->plain ? 1 : 2;
  fn = dw_pair2_s2_fns[kp->zero][sp][ok];
  /* the second channel's job shifted down in place, its five fields restored after the
   * pass (the group loop's padded bottom pair may take the job next) */
  if (pairs == 1 && A != 8)
    {
      const int32_t lo = pj->lam_lo, hi = pj->lam_hi, shr = pj->shr, m = pj->mask;
      const int32_t thr = pj->thr;
      dw_s2_down (A, ka, la, p, pj);
      dw_s2_run2 (A, kp, pj, wf, fn, A == 8 ? fn : dw_pair2_s2_pad_fns[sp][ok]);
      pj->lam_lo = lo, pj->lam_hi = hi, pj->shr = shr, pj->mask = m, pj->thr = thr;
    }
  else
    dw_s2_run2 (A, kp, pj, wf, fn, A == 8 ? fn : dw_pair2_s2_pad_fns[sp][ok]);
  kp->c = -1;
  return 1;
}

/* Stride 2, a sub-byte input: dw_s2_two(); 0 for the others */
FB_KI_INLINE int
dw_s2_pairs (const int A, const int O, const int S, const int32_t *wf, int32_t ka, int32_t la,
             const FbConvParams *p, int32_t c, int pairs, int plain, DwPairJob *pj,
             DwS2Keep *kp)
{
  if (S == 2 && A == 8 && pairs != 1)
    {
      /* an 8-bit input's 32-bit pairs: a kept channel done first */
      if (kp->c >= 0)
        dw_s2_flush (A, kp);
      return 0;
    }
  return S == 2 && dw_s2_two (A, O, wf, ka, la, p, c, pairs, plain, pj, kp);
}

/* dw_sc_rows_asm()'s 0 (channel c by the C loop): a kept channel done first */
FB_KI_INLINE int
dw_s2_none (const int A, const int S, DwS2Keep *kp)
{
  if (S == 2)
    dw_s2_flush (A, kp);
  return 0;
}

/* dw_sc_rows_asm()'s 1: a kept channel other than c (the second did not take it) done */
FB_KI_INLINE int
dw_s2_end (const int A, const int S, int32_t c, DwS2Keep *kp)
{
  if (S == 2 && kp->c >= 0 && kp->c != c)
    dw_s2_flush (A, kp);
  return 1;
}

/* Stride 2, an 8-bit input's channel in lanes, four output rows per pass (the padded top
 * pass first when tb is 1), into an output zeroed once per call: [lam_hi is 0][osh / 2] (0:
 * the channel stores its byte; 1-3: ORs in at osh 2, 4, 6) */
void fb_ki_rv32_dwquad_s2_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_a8_os6 (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_lh0_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_lh0_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_lh0_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwquad_s2_lh0_a8_os6 (const DwPairJob *job);
static const DwPairFn dw_quad_s2_fns[2][4] = {
  { fb_ki_rv32_dwquad_s2_a8_oz, fb_ki_rv32_dwquad_s2_a8_os2, fb_ki_rv32_dwquad_s2_a8_os4,
    fb_ki_rv32_dwquad_s2_a8_os6 },
  { fb_ki_rv32_dwquad_s2_lh0_a8_oz, fb_ki_rv32_dwquad_s2_lh0_a8_os2,
    fb_ki_rv32_dwquad_s2_lh0_a8_os4, fb_ki_rv32_dwquad_s2_lh0_a8_os6 }
};

/* Stride 2, dw_sc_s2_plan()'s layer, an 8-bit input's channel c in lanes (pairs 1, weights
 * wf) of an output zeroed once per call: every row in passes of four
 * (fb_ki_rv32_dwquad_s2_*), the padded top row in the first when the full pairs are odd in
 * number (s2off[4]), else the padded top pair first by itself.  Out of line (O not a
 * constant): inlined, the larger function changed the code GCC emits for the stride-1
 * instances too (fmnist-mbv1 w8a8 dw6 / dw7, 7 x 7, +508 each). */
FB_KI_NOINLINE void
dw_s2_quad (int O, const uint8_t *xc, uint8_t *output, int32_t c, int plain, const int32_t *wf,
            DwPairJob *pjp, const size_t *s2off)
{
  const int32_t np = (int32_t) s2off[4];
  const size_t co = (size_t) c * (size_t) O / 8;

  const int osh = (c * O) & 7;

  if (np & 1)
    {
      /* rows 0-3 first (input rows -1 .. 7, row -1 not read): the first row read is 0 */
      pjp->q0 = xc;
      pjp->op = output + s2off[1] - (size_t) pjp->out_row + co;
      pjp->npairs = (np + 1) / 2;
      pjp->tb = 1;
    }
  else
    {
      dw_sc_s2_pad (8, O, xc, output, c, 1, plain, 0, wf, pjp, s2off, 1);
      pjp->q0 = xc + s2off[2];
      pjp->op = output + s2off[3] + co;
      pjp->npairs = np / 2;
      pjp->tb = 0;
    }
  dw_quad_s2_fns[pjp->lam_hi == 0][O == 8 ? 0 : osh / 2](pjp);
}

/* Stride 2, dw_sc_s2_plan()'s layer, channel c in pairs (code pairs, weights w2 as the pair
 * routines take them, wf as dw_sc_pair_job() took them): the padded top pair and the full
 * pairs, alone or with the kept channel (dw_s2_pairs()); 1 (dw_sc_rows_asm()'s). */
FB_KI_INLINE int
dw_sc_s2_std (const int A, const int O, const int S, const uint8_t *xc, uint8_t *output,
              int32_t c, int pairs, int plain, int32_t lam_hi, const int32_t *w2,
              const int32_t *wf, int32_t ka, int32_t la, const FbConvParams *p, DwPairJob *pjp,
              const size_t *s2off, DwS2Keep *kp)
{
  /* a sub-byte input's zeroed output: the padded top pair with the full pairs (dw_s2_run2();
   * an 8-bit input's two-channel pad pass, its requantization out of line with the values
   * from the frame, cost s2-32x32 u8/u4/i4 +1,097) */
  const int defer = A != 8 && kp->zero && pairs != 3;

  if (A == 8 && pairs == 1 && (kp->zero || s2off[5]))
    {
      /* an 8-bit input in lanes, the output zeroed: four rows per pass */
      if (kp->c >= 0)
        dw_s2_flush (A, kp);
      dw_s2_quad (O, xc, output, c, plain, wf, pjp, s2off);
      return 1;
    }
  /* the _h0 sub-byte 32-bit forms' saturation sum, for the pad pair and the full pairs */
  if (O != 8 && pairs == 3 && s2off[5])
    pjp->mask = dw_s2_sat_from (pjp);
  if (!defer)
    dw_sc_s2_pad (A, O, xc, output, c, pairs, plain, lam_hi, w2, pjp, s2off, kp->zero);
  dw_sc_s2_pairs (O, xc, output, c, pjp, s2off);
  if (!dw_s2_pairs (A, O, S, wf, ka, la, p, c, pairs, plain, pjp, kp))
    {
      if (defer)
        dw_sc_s2_pad_only (A, O, xc, output, c, pairs, plain, w2, pjp, s2off);
      dw_sc_s2_pairs_run (A, O, pairs, plain, lam_hi, pjp, s2off);
    }
  return dw_s2_end (A, S, c, kp);
}

/* Stride 1, channel c with weights wf[9] (zero for kernel rows beyond dim_kernel_y): every
 * output row by fb_ki_rv32_dwrow_*, each row group (dw_sc_rows_plan()) in one call (zero
 * weights for the kernel rows outside), the edge columns as the sweep's warm-up and drain;
 * the rows with every kernel row inside go by pairs to fb_ki_rv32_dwpair_* when the
 * channel's lanes fit (dw_sc_pair_job()).  A sub-byte output's first channel in a byte
 * stores it, the others OR in.  The requantization is exact in the high word of
 * kappa * (acc << u) + (lambda << u), u = t + sh, t = 32 - out_shift (0 when out_shift >= 32;
 * that high word then shifted by out_shift - 32 + sh), so the weights are taken << t and a
 * sub-byte input's values, masked in place, are x << sh (sh: the channel's bit in its byte):
 * 0 (the caller does the channel) when the largest |acc| << u would overflow int32.
 * wx (the caller's, its zeros set once per call): the weights << t as the row sweep takes
 * them: kernel rows 0-1 and a zero row (wx, a padded bottom row; rows 0-1 copied when taken),
 * then rows 0-2 (wt = wx + 9, every row inside; wf itself when t is 0) and a zero row (wx +
 * 12: rows 1-2, a padded top row, read from rows 0-1 of the group's first input row); bound:
 * sum |wf[k]|.  The plans' channel-independent fields are used as they are, the others set
 * here (no copies).  A sub-byte input's std3 channel at stride 1 with out_shift <= 31 goes to
 * the 16-bit lanes (dw_sc_pair_job(), whose jthr they do not read) before the weights << t,
 * lambda << u and the 32-bit sums' threshold are made, which the lanes do not take (8-bit
 * inputs as they were: rv32dws16's unrestricted form cost their 32-bit pairs' layout,
 * fmnist-mbv1 w8a8 +6,239). */
FB_KI_INLINE int
dw_sc_rows_asm (const int A, const int O, const int S, const int HI, const uint8_t *input,
                const int32_t *wf, int32_t bound, int32_t *wx, int32_t ka, int32_t la,
                uint8_t *output, const FbConvParams *p, const DwScGeom *g, int32_t c,
                DwRowJob *jp, DwPairJob *pjp, const DwRowGroup *grp, int32_t ngrp, int std3,
                const size_t *s3off, DwS2Keep *kp)
{
  const int32_t t = HI ? 0 : 32 - p->out_shift;
  /* a sub-byte input is masked in place: the sums are acc << (t + sh) */
  const int32_t sh = A == 8 ? 0 : (c * A) & 7, u = t + sh;
  const uint8_t *xc = input + (size_t) c * (size_t) A / 8;
  /* a sub-byte output's first channel in its byte stores it like an 8-bit output */
  const int plain = O == 8 || ((c * O) & 7) == 0;
  int64_t lam;
  int32_t *const wt = wx + 9, wz[9], wfl[9], k, i, r, pairs, taken;
  int32_t lam_lo, lam_hi, thr;
  const int32_t shr = p->out_shift + u - 32;
  const DwPairFn *fns, *pads;
  const int32_t *wp;

  if (u > 31 || p->out_shift + u - 32 > 31)
    return dw_s2_none (A, S, kp);
  if (S == 1 && A != 8 && !HI && std3 /* (stride_y 1) */
      && bound * ((1 << A) - 1) <= (INT32_MAX >> u))
    {
      pairs = dw_sc_pair_job (A, O, S, wf, ka, la, p, INT32_MIN, c, bound, pjp);
      if (pairs)
        {
          dw_sc_pairs_all (A, O, xc, output, c, pairs, plain, 1, pjp, s3off);
          return 1;
        }
    }
  if (!HI)
    dw_sc_shift9 (wf, t, wt);
  /* the largest |acc| << u within int32 (bound * (2^A - 1) is under 2^19: 32 bits) */
  if (bound * ((1 << A) - 1) > (INT32_MAX >> u))
    return dw_s2_none (A, S, kp);
  /* the row job's fields written only when a row sweep runs (not for a std3 channel) */
  dw_lam_shifted (la, u, &lam_lo, &lam_hi, &lam);
  /* exact when out_shift <= 31 (the sums are acc << u) */
  thr = !HI ? dw_zero_thr (ka, la, p->out_shift, u) : dw_zero_below (ka, lam, shr);
  pairs = p->stride_y == S ? dw_sc_pair_job (A, O, S, wf, ka, la, p, thr, c, bound, pjp) : 0;
  if (!pairs && A == 8 && p->stride_y == S && p->dim_kernel_y == 3)
    pairs = dw_sc_pair32_job (ka, ~lam_lo, lam_hi, shr, thr, (c * O) & 7, wt, pjp);
  if (S == 1 && std3 && pairs)
    {
      dw_sc_pairs_all (A, O, xc, output, c, pairs, plain, lam_hi, pjp, s3off);
      return 1;
    }
  if (S == 2 && std3 && pairs)
    return dw_sc_s2_std (A, O, S, xc, output, c, pairs, plain, lam_hi, pairs == 3 ? wt : wf, wf,
                         ka, la, p, pjp, s3off, kp);
  jp->kappa = ka;
  jp->lam_lo = ~lam_lo; /* the sweeps take ~lam_lo */
  jp->lam_hi = lam_hi;
  jp->shr = shr;
  jp->sh = sh;
  jp->mask = ((1 << A) - 1) << sh;
  jp->osh = (c * O) & 7;
  jp->thr = thr;
  /* pairs 3: in 32-bit sums (weights wt, << t; _h0 / _lh0 when lam_hi is 0) */
  fns = pairs == 3 ? (S == 1 ? dw_pair32_fns : dw_pair32_s2_fns)[jp->lam_hi == 0][0]
        : pairs ? dw_pair_fns[S - 1][0][dw_pair_kind (A, pairs)] : NULL;
  pads = pairs == 3 ? (S == 1 ? dw_pair32_fns : dw_pair32_s2_fns)[jp->lam_hi == 0][1]
         : pairs ? dw_pair_fns[S - 1][1][dw_pair_kind (A, pairs)] : NULL;
  if (S == 1 && pairs == 3 && shr == 0) /* out_shift <= 31: no sra, out_px in a register */
    fns = dw_pair32_s0_fns[jp->lam_hi == 0][0], pads = dw_pair32_s0_fns[jp->lam_hi == 0][1];
  wp = pairs == 3 ? wt : wf;
  for (i = 0, taken = 0; i < ngrp; i++)
    {
      const int32_t ky_lo = grp[i].ky_lo, ky_hi = grp[i].ky_hi;
      /* taken: rows of this group the previous one's last pair took */
      const int32_t oy = grp[i].oy + taken, iy0 = oy * p->stride_y - p->pad_top;
      uint8_t *orow = output + (size_t) oy * (size_t) jp->out_row + (size_t) c * (size_t) O / 8;
      int32_t rows = grp[i].n - taken;
      /* a pair may take a padded row (kernel row 0 or 2 outside) with a full row beside it */
      const int next_full = i + 1 < ngrp && grp[i + 1].ky_lo == 0 && grp[i + 1].ky_hi == 3;
      const int next_bottom = i + 1 < ngrp && grp[i + 1].ky_lo == 0 && grp[i + 1].ky_hi == 2
                              && grp[i + 1].n == 1;
      size_t d1, d2;
      taken = 0;
      if (rows <= 0)
        continue;
      if (ky_lo >= ky_hi) /* window entirely in the padding: requant (0) everywhere */
        {
          const uint32_t y = (uint32_t) fb_ki_requant (0, ka, la, p->out_shift, jp->maxv);
          for (r = rows * p->dim_out_x; r > 0; r--, orow += jp->out_px)
            *orow = (uint8_t) (plain ? y : *orow | (y << jp->osh));
          continue;
        }
      jp->q0 = xc + (size_t) (iy0 + ky_lo) * g->in_row;
      if (pairs && ky_lo == 1 && ky_hi == 3 && rows == 1 && next_full)
        {
          /* a padded top row and the next group's first row: the pad pair upside down */
          dw_sc_pad_top_pair (wp, wfl, xc + (size_t) (iy0 + 2 + S) * g->in_row,
                              orow + jp->out_row, pjp, pads[plain ? 0 : 1]);
          taken = 1;
          continue;
        }
      if (pairs && ky_lo == 0 && ky_hi == 3 && (rows >= 2 || next_bottom))
        {
          pjp->q0 = jp->q0;
          pjp->op = orow;
          pjp->npairs = rows / 2;
          if (rows >= 2
              && !dw_s2_pairs (A, O, S, wf, ka, la, p, c, pairs, plain, pjp, kp))
            fns[plain ? 0 : 1](pjp);
          if (rows % 2 == 0)
            continue;
          orow += (size_t) (rows - 1) * (size_t) jp->out_row;
          jp->q0 += (size_t) (rows - 1) * (size_t) jp->in_step;
          if (next_bottom)
            {
              /* the odd row and the padded bottom row: the pad pair (the last row not read) */
              pjp->q0 = jp->q0;
              pjp->op = orow;
              pjp->npairs = 1;
              pads[plain ? 0 : 1](pjp);
              taken = 1;
              continue;
            }
          /* the odd row left: by the one-row sweep */
          rows = 1;
        }
      if (ky_hi - ky_lo >= 2)
        {
          if (ky_hi - ky_lo == 2 && ky_lo == 0)
            for (k = 0; k < 6; k++)
              wx[k] = wt[k];
          /* every row, a padded top row (wx + 12) or a padded bottom row (wx): the kernel
           * rows inside from the group's first input row on, the zero row reading it */
          jp->w = ky_hi - ky_lo == 3 ? wt : ky_lo == 1 ? wx + 12 : wx;
          d1 = g->in_row;
          d2 = ky_hi - ky_lo == 3 ? 2 * g->in_row : 0;
        }
      else
        {
          for (k = 0; k < 9; k++)
            wz[k] = k >= 3 * ky_lo && k < 3 * ky_hi ? wt[k] : 0;
          jp->w = wz;
          d1 = 1 >= ky_lo && 1 < ky_hi ? (size_t) (1 - ky_lo) * g->in_row : 0;
          d2 = 2 >= ky_lo && 2 < ky_hi ? (size_t) (2 - ky_lo) * g->in_row : 0;
        }
      jp->q1 = jp->q0 + d1;
      jp->q2 = jp->q0 + d2;
      jp->op = orow;
      jp->nrows = rows;
      dw_row_fns[S - 1][A == 8 ? 0 : A == 4 ? 1 : 2][plain ? 0 : 1](jp);
    }
  return dw_s2_end (A, S, c, kp);
}
#endif

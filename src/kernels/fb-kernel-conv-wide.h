/* fb-kernel-conv-wide.h — the scalar conv path's variants widened to u8 x i8
 * (conv_scalar_wide(): an unsigned input, 16-bit SWAR lanes, a reduction short enough for
 * the operands and ch_out, fb_conv_sc_wide_rule): the whole call through the fused path with
 * the variant's epilogue, or plain C when that path refuses it.  Included once, by
 * fb-kernel-conv-scalar.h, at its end (it uses that header's helpers); not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A widened call the fused path cannot take (ch_out not a multiple of 4, a requantization
 * that conv_scalar_rq_ok() refuses): per output pixel its column (one value per byte, in the
 * order of the prepared weights), per channel the dot product with the int8 weights, then the
 * requantization, in passes of chn channels.  Plain C: a rare case. */
static void
conv_scalar_wide_c (int A, int O, int SO, const uint8_t *input, const uint8_t *wk,
                    const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                    const FbConvParams *p, size_t kp, int32_t *acc, int32_t chn, uint8_t *col)
{
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in, cout = p->ch_out;
  const size_t out_px_bytes = (size_t) cout * (size_t) O / 8;
  int32_t oy, ox, c0, c, j;

  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      const int32_t kn = (ky_hi - ky_lo) * kxn * cin;
      const int8_t *w = (const int8_t *) wk + (size_t) ky_lo * (size_t) kxn * (size_t) cin * 4;
      for (ox = 0; ox < p->dim_out_x; ox++)
        {
          uint8_t *out = output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox)
                                  * out_px_bytes;
          if (kn > 0)
            conv_scalar_im2col (A, 0, 0, 0, input, p, iy0, ox * p->stride_x - p->pad_left,
                                ky_lo, ky_hi, col);
          for (c0 = 0; c0 < cout; c0 += chn)
            {
              const int32_t nch = cout - c0 < chn ? cout - c0 : chn;
              for (c = 0; c < nch; c++)
                {
                  const int8_t *wc = w + (size_t) ((c0 + c) / 4) * kp * 4 + (size_t) ((c0 + c) % 4);
                  int32_t s = 0;
                  for (j = 0; j < kn; j++)
                    s += (int32_t) col[(j >> 2) * 16 + (j & 3)] * wc[(size_t) j * 4];
                  acc[c] = s;
                }
              fb_ki_requant_pack_any (O, SO, acc, kappa + c0, lambda + c0, p->out_shift, nch,
                                      out + (size_t) c0 * (size_t) O / 8);
            }
        }
    }
}

/* A variant widened to u8 x i8 (conv_scalar_wide()): the whole call, returning 1, after
 * conv_generic()'s checks; 0 with nothing written when one fails (conv_generic() then reports
 * the error; its caller, FB_CONV_WIDE, has checked conv_scalar_wide()).  Weights laid out at
 * export time are read in place, otherwise widened into the scratch
 * (conv_scalar_buffer_size_wide() counts them); then the fused path (fb_ki_rv32_plain_rq with
 * the variant's epilogue), or conv_scalar_wide_c().  Called before conv_generic() by the
 * variants with 16-bit SWAR lanes (FB_CONV_WIDE in fb-kernel-conv.c), out of line so that
 * their code in conv_scalar() stays as it was. */
FB_KI_NOINLINE __attribute__ ((unused)) int
conv_scalar_wide_call (int A, int O, int W, const uint8_t *input, const uint8_t *weights,
                       const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                       const FbConvParams *params, void *buffer, size_t buffer_size)
{
  const FbConvParams *p = params;
  int32_t kxn, kyn, chn;
  size_t kp, kc;
  int32_t *acc;
  uint8_t *col;
  const uint8_t *wk = weights;
  int SO, rq;
  FbConvParams flat;

  if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL
      || params == NULL || buffer == NULL || fb_ki_check_conv (A, O, W, 0, params) != FB_KERNEL_OK
      || (params->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED)
      || ((params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS) && ((uintptr_t) weights & 3u) != 0))
    return 0;
  SO = (params->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
  kxn = p->dim_kernel_x;
  kyn = p->dim_kernel_y;
  /* (conv_scalar_kp(), conv_scalar_channels_per_pass() and conv_scalar_buffer_size() written
   * out, as in conv_scalar_l9_call(): a call from here changes GCC's inlining of them into
   * the variants; conv_scalar_buffer_size_wide()) */
  kp = FB_KI_ALIGN_UP ((size_t) kxn * (size_t) kyn * (size_t) p->ch_in, 4);
  kc = kp < FB_CONV_SC_KC ? kp : FB_CONV_SC_KC;
  chn = FB_KI_ALIGN_UP (p->ch_out, 4) < FB_CONV_SC_CH ? FB_KI_ALIGN_UP (p->ch_out, 4)
                                                       : FB_CONV_SC_CH;
  if (buffer_size < 4 + (size_t) (FB_CONV_SC_PIX * chn * 4) + FB_CONV_SC_PIX * kc
                      + ((p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
                           ? 0 : FB_KI_ALIGN_UP ((size_t) p->ch_out, 4) * kp
                                   + FB_CONV_SC_WSLACK))
    return 0;
  acc = (int32_t *) fb_ki_align_ptr (buffer, 4);
  col = (uint8_t *) (acc + FB_CONV_SC_PIX * chn);
  if (!(p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS))
    {
      uint8_t *wbuf = col + FB_CONV_SC_PIX * kc;
      conv_scalar_prepare_wide (A, W, weights, p, wbuf);
      wk = wbuf;
    }
  FB_CONV_SC_FLAT_1X1 (kxn, kyn, p, flat);
  rq = p->ch_out % 4 == 0 ? conv_scalar_rq_ok (A, W, 0, p, kappa, 0) : 0;
  if (!rq)
    conv_scalar_wide_c (A, O, SO, input, wk, kappa, lambda, output, p, kp, acc, chn, col);
  else if (A == 8)
    conv_scalar_fused (8, O, SO, rq == 2, input, wk, kappa, lambda, output, p, kp, col);
  else if (A == 4)
    conv_scalar_fused (4, O, SO, rq == 2, input, wk, kappa, lambda, output, p, kp, col);
  else
    conv_scalar_fused (2, O, SO, rq == 2, input, wk, kappa, lambda, output, p, kp, col);
  return 1;
}

/* fb-kernel-pack.c — packing and unpacking of sub-byte tensors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-pack.h"

#include <string.h>

int
fb_kernel_bits_valid (int bits)
{
  return bits == 8 || bits == 4 || bits == 2;
}

size_t
fb_kernel_packed_bytes (size_t n, int bits)
{
  if (!fb_kernel_bits_valid (bits))
    return 0;
  /* n * bits / 8 rounded up, without overflowing n * bits */
  return n / 8 * (size_t) bits + ((n % 8) * (size_t) bits + 7) / 8;
}

size_t
fb_kernel_weight_row_bytes (size_t n, int bits)
{
  return fb_kernel_packed_bytes (n, bits);
}

FbKernelStatus
fb_kernel_pack_unsigned (const uint8_t *values, size_t n, int bits, uint8_t *packed)
{
  size_t i;
  unsigned max;

  if (values == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  max = (1u << bits) - 1u;
  for (i = 0; i < n; i++)
    if (values[i] > max)
      return FB_KERNEL_ERROR_DIM;
  if (bits == 8)
    {
      memcpy (packed, values, n);
      return FB_KERNEL_OK;
    }
  memset (packed, 0, fb_kernel_packed_bytes (n, bits));
  for (i = 0; i < n; i++)
    {
      size_t bit = i * (size_t) bits;
      packed[bit / 8] |= (uint8_t) (values[i] << (bit % 8));
    }
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_unsigned (const uint8_t *packed, size_t n, int bits, uint8_t *values)
{
  size_t i;
  unsigned mask;

  if (values == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  mask = (1u << bits) - 1u;
  for (i = 0; i < n; i++)
    {
      size_t bit = i * (size_t) bits;
      values[i] = (uint8_t) ((packed[bit / 8] >> (bit % 8)) & mask);
    }
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_pack_signed (const int8_t *values, size_t n, int bits, uint8_t *packed)
{
  size_t i;
  int lo, hi;
  unsigned mask;

  if (values == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  lo = -(1 << (bits - 1));
  hi = (1 << (bits - 1)) - 1;
  for (i = 0; i < n; i++)
    if (values[i] < lo || values[i] > hi)
      return FB_KERNEL_ERROR_DIM;
  mask = (1u << bits) - 1u;
  memset (packed, 0, fb_kernel_packed_bytes (n, bits));
  for (i = 0; i < n; i++)
    {
      size_t bit = i * (size_t) bits;
      packed[bit / 8] |= (uint8_t) (((unsigned) (uint8_t) values[i] & mask) << (bit % 8));
    }
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_signed (const uint8_t *packed, size_t n, int bits, int8_t *values)
{
  size_t i;
  unsigned mask, sign;

  if (values == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  mask = (1u << bits) - 1u;
  sign = 1u << (bits - 1);
  for (i = 0; i < n; i++)
    {
      size_t bit = i * (size_t) bits;
      unsigned v = (packed[bit / 8] >> (bit % 8)) & mask;
      /* sign-extend without implementation-defined conversions */
      values[i] = (int8_t) ((int) (v ^ sign) - (int) sign);
    }
  return FB_KERNEL_OK;
}

size_t
fb_kernel_conv_weights_bytes (size_t n_rows, size_t row_len, int bits)
{
  return n_rows * fb_kernel_weight_row_bytes (row_len, bits);
}

FbKernelStatus
fb_kernel_pack_conv_weights (const int8_t *weights, size_t n_rows, size_t row_len, int bits,
                             uint8_t *packed)
{
  size_t r, rb;
  FbKernelStatus st;

  if (weights == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  /* validate everything first so that an error leaves packed untouched */
  {
    int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    size_t i, n = n_rows * row_len;
    for (i = 0; i < n; i++)
      if (weights[i] < lo || weights[i] > hi)
        return FB_KERNEL_ERROR_DIM;
  }
  rb = fb_kernel_weight_row_bytes (row_len, bits);
  for (r = 0; r < n_rows; r++)
    {
      st = fb_kernel_pack_signed (weights + r * row_len, row_len, bits, packed + r * rb);
      if (st != FB_KERNEL_OK)
        return st;
    }
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_conv_weights (const uint8_t *packed, size_t n_rows, size_t row_len, int bits,
                               int8_t *weights)
{
  size_t r, rb;
  FbKernelStatus st;

  if (weights == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  rb = fb_kernel_weight_row_bytes (row_len, bits);
  for (r = 0; r < n_rows; r++)
    {
      st = fb_kernel_unpack_signed (packed + r * rb, row_len, bits, weights + r * row_len);
      if (st != FB_KERNEL_OK)
        return st;
    }
  return FB_KERNEL_OK;
}

size_t
fb_kernel_depthwise_weights_bytes (size_t ch, size_t ky, size_t kx, int bits)
{
  return fb_kernel_packed_bytes (ch * ky * kx, bits);
}

FbKernelStatus
fb_kernel_pack_depthwise_weights (const int8_t *weights, size_t ch, size_t ky, size_t kx,
                                  int bits, uint8_t *packed)
{
  size_t c, t, taps = ky * kx;
  int lo, hi;
  unsigned mask;

  if (weights == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  if (ch % (size_t) (8 / bits) != 0)
    return FB_KERNEL_ERROR_CHANNELS;
  lo = -(1 << (bits - 1));
  hi = (1 << (bits - 1)) - 1;
  for (t = 0; t < ch * taps; t++)
    if (weights[t] < lo || weights[t] > hi)
      return FB_KERNEL_ERROR_DIM;
  mask = (1u << bits) - 1u;
  memset (packed, 0, fb_kernel_depthwise_weights_bytes (ch, ky, kx, bits));
  for (t = 0; t < taps; t++)
    for (c = 0; c < ch; c++)
      {
        size_t bit = (t * ch + c) * (size_t) bits;
        unsigned v = (unsigned) (uint8_t) weights[c * taps + t] & mask;
        packed[bit / 8] |= (uint8_t) (v << (bit % 8));
      }
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_depthwise_weights (const uint8_t *packed, size_t ch, size_t ky, size_t kx,
                                    int bits, int8_t *weights)
{
  size_t c, t, taps = ky * kx;
  unsigned mask, sign;

  if (weights == NULL || packed == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  if (ch % (size_t) (8 / bits) != 0)
    return FB_KERNEL_ERROR_CHANNELS;
  mask = (1u << bits) - 1u;
  sign = 1u << (bits - 1);
  for (t = 0; t < taps; t++)
    for (c = 0; c < ch; c++)
      {
        size_t bit = (t * ch + c) * (size_t) bits;
        unsigned v = (packed[bit / 8] >> (bit % 8)) & mask;
        weights[c * taps + t] = (int8_t) ((int) (v ^ sign) - (int) sign);
      }
  return FB_KERNEL_OK;
}

/* fb-kernel-pack.h — packing and unpacking of sub-byte tensors (pure C99, no GLib).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one place that knows how freebits lays out packed activations and weights; used by the
 * kernels' tests and benchmark, the training/integer engine (src/nn) and the C exporter.
 *
 *  - b-bit values (b = 8, 4, 2) are packed LSB-first: element i of a byte is at bits
 *    [i*b, i*b + b).  Element n of a packed array is in byte n*b/8.
 *  - Unsigned values (activations) are in [0, 2^b - 1]; signed values (weights) are two's
 *    complement in [-2^(b-1), 2^(b-1) - 1].
 *  - Activation tensors are HWC packed along C as one flat array (C a multiple of 8/b).
 *  - Conv / linear weights [Cout][Ky][Kx][Cin]: each output channel's row of Ky*Kx*Cin values
 *    is packed separately and padded with zero bits to a whole byte.
 *  - Depthwise weights: the caller gives [C][Ky][Kx] (PyTorch order, one filter per channel);
 *    the packed layout is [Ky][Kx][C] packed along C (C a multiple of 8/b), the layout the
 *    depthwise kernels read.
 *
 * All functions return FB_KERNEL_OK, FB_KERNEL_ERROR_NULL, FB_KERNEL_ERROR_BITS (b not 8/4/2),
 * FB_KERNEL_ERROR_DIM (a value outside the b-bit range, or a size that does not fit) or
 * FB_KERNEL_ERROR_CHANNELS; on error the output is untouched.
 */
#ifndef FB_KERNEL_PACK_H
#define FB_KERNEL_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "fb-kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if bits is 8, 4 or 2. */
int fb_kernel_bits_valid (int bits);

/* Bytes holding n packed b-bit elements (rounded up). */
size_t fb_kernel_packed_bytes (size_t n, int bits);

/* Pack n unsigned values (each < 2^bits) into fb_kernel_packed_bytes (n, bits) bytes; the
 * unused high bits of a partial last byte are zero. */
FbKernelStatus fb_kernel_pack_unsigned (const uint8_t *values, size_t n, int bits,
                                        uint8_t *packed);
/* Inverse: n values in [0, 2^bits - 1]. */
FbKernelStatus fb_kernel_unpack_unsigned (const uint8_t *packed, size_t n, int bits,
                                          uint8_t *values);

/* Pack n signed values (each in [-2^(bits-1), 2^(bits-1) - 1]), two's complement. */
FbKernelStatus fb_kernel_pack_signed (const int8_t *values, size_t n, int bits, uint8_t *packed);
/* Inverse, sign-extended. */
FbKernelStatus fb_kernel_unpack_signed (const uint8_t *packed, size_t n, int bits,
                                        int8_t *values);

/* Conv / linear weights: rows of row_len values (Ky*Kx*Cin or dim_vec), one per output
 * channel.  packed receives n_rows * fb_kernel_weight_row_bytes (row_len, bits) bytes. */
size_t fb_kernel_conv_weights_bytes (size_t n_rows, size_t row_len, int bits);
FbKernelStatus fb_kernel_pack_conv_weights (const int8_t *weights, size_t n_rows, size_t row_len,
                                            int bits, uint8_t *packed);
FbKernelStatus fb_kernel_unpack_conv_weights (const uint8_t *packed, size_t n_rows,
                                              size_t row_len, int bits, int8_t *weights);

/* Depthwise weights: weights is [ch][ky][kx] (ky = kernel height); packed receives
 * fb_kernel_depthwise_weights_bytes() bytes in the kernels' layout ([ky][kx][ch] along ch).
 * ch must be a multiple of 8/bits. */
size_t fb_kernel_depthwise_weights_bytes (size_t ch, size_t ky, size_t kx, int bits);
FbKernelStatus fb_kernel_pack_depthwise_weights (const int8_t *weights, size_t ch, size_t ky,
                                                 size_t kx, int bits, uint8_t *packed);
FbKernelStatus fb_kernel_unpack_depthwise_weights (const uint8_t *packed, size_t ch, size_t ky,
                                                   size_t kx, int bits, int8_t *weights);

#ifdef __cplusplus
}
#endif

#endif /* FB_KERNEL_PACK_H */

/* fb-kernels.h — the mixed-precision kernel family of freebits (pure C99, no GLib).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Convolution, depthwise convolution, fully connected (quantized or int32 output), residual
 * add and global average pooling for every combination of 8/4/2-bit activations and weights,
 * with the numerics of PULP-NN (pulp-platform/pulp-nn-mixed) and of freebits'
 * CONVENTIONS.md.  The variant list lives in fb-kernel-variants.inc; this header, the
 * definitions, the dispatch tables, the tests and the benchmark are all expanded from it.
 *
 * Naming (PULP-NN order): fb_conv_u8_u4_i2 = input u8, output u4, weights i2.
 *
 * ## Data layout (shared with the packing helpers in fb-kernel-pack.h)
 * - Activations are HWC, unsigned, zero point 0.  A tensor of b bits (b = 8, 4, 2) is packed
 *   along C, LSB-first: element i of a byte sits at bits [i*b, i*b + b).  Its channel count
 *   must be a multiple of 8/b, so every pixel starts on a byte boundary.
 * - Conv and linear weights are [Cout][Ky][Kx][Cin] (linear: [Cout][dim_vec]), signed two's
 *   complement on the full grid [-2^(b-1), 2^(b-1)-1].  Each output channel's flattened row of
 *   Ky*Kx*Cin elements is packed LSB-first and padded with zero bits to a whole byte; row c
 *   starts at byte c * fb_kernel_weight_row_bytes (Ky*Kx*Cin, b).
 * - Depthwise weights are [Ky][Kx][C], packed along C LSB-first exactly like an activation
 *   tensor of C channels (C a multiple of 8/b, no padding).  fb_kernel_pack_depthwise_weights()
 *   is the one function that writes this layout.
 *
 * ## Numerics
 * - acc[c] = sum over the taps inside the input of x * w, in int32 (zero padding contributes 0).
 *   The reduction length (Ky*Kx*Cin, Ky*Kx or dim_vec) is limited to FB_KERNEL_MAX_REDUCTION =
 *   65536, which makes int32 overflow impossible (65536 * 255 * 128 < 2^31).
 * - Requantization (conv, depthwise, linear with quantized output), per output channel c:
 *       y = clip (((int64) kappa[c] * acc[c] + lambda[c]) >> out_shift, 0, 2^out_bits - 1)
 *   with `>>` an arithmetic shift (floor).  Round to nearest is folded into lambda by the
 *   caller (+ 2^(out_shift-1)).  out_shift is in [0, 63].
 * - flag_relu: the quantized outputs are unsigned, so the clip at 0 is a ReLU that always
 *   applies; flag_relu is accepted for PULP-NN compatibility and has no effect on them.  It
 *   does act on the int32-output linear kernels (logits), see there.
 *
 * ## Signed activations (run-time flags, not more variants)
 * The flag word of every kernel (FbConvParams.flag_relu, the linear kernels' flag_relu
 * argument, the `flags` argument of add and the pools) holds, besides PULP-NN's ReLU bit
 * (FB_KERNEL_FLAG_RELU), the signedness of the activation operands:
 *   FB_KERNEL_FLAG_SIGNED_IN    the input (add: input1) is signed: symmetric two's complement
 *                               on [-2^(b-1), 2^(b-1)-1], packed like an unsigned tensor and
 *                               sign-extended when unpacked
 *   FB_KERNEL_FLAG_SIGNED_IN2   add only: input2 is signed
 *   FB_KERNEL_FLAG_SIGNED_OUT   the quantized output is signed: the requantization clips to
 *                               [-2^(O-1), 2^(O-1)-1] instead of [0, 2^O-1] (pools: the output
 *                               has the input's signedness, this bit is ignored)
 * A variant's name gives its bit-widths ("u" is PULP-NN's spelling of the default, unsigned).
 * With no signedness bit set every kernel runs exactly the code it ran before the flags
 * existed (one test of the flag word per call), so unsigned networks keep their speed.  The
 * signed paths: conv on RV32 keeps its SWAR path (a signed output changes only the clip; a
 * signed input enters offset by 2^(b-1), taken back out per kernel row); conv on the host
 * reuses the vectorized int16 path (not the AVX2/VNNI copies); a linear layer with a signed
 * output only changes its clip; every other signed call (depthwise, linear with a signed
 * input, add, pools) runs a plain loop nest specialized for its bit-widths (docs/kernels.md
 * has their measured speed).
 *
 * ## Conventions of every kernel
 * - Returns FB_KERNEL_OK or an error status; on error nothing has been written to the output.
 * - Never reads or writes outside the documented extent of its buffers when it returns OK, and
 *   never touches the output when it returns an error.
 * - Inputs and outputs must not overlap.  Scratch ("buffer") memory is provided by the caller,
 *   sized by the matching *_get_buffer_size() function, and needs no particular alignment.
 * - Kernels are reentrant: no global state.
 */
#ifndef FB_KERNELS_H
#define FB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "fb-kernel-variants.inc"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status and limits                                                                          */

typedef enum {
  FB_KERNEL_OK = 0,
  FB_KERNEL_ERROR_NULL = -1,      /* a required pointer is NULL */
  FB_KERNEL_ERROR_BITS = -2,      /* unsupported bit-width (generic entry points only) */
  FB_KERNEL_ERROR_DIM = -3,       /* a dimension is <= 0, a padding < 0, or a size is too large */
  FB_KERNEL_ERROR_CHANNELS = -4,  /* a channel count is not a multiple of 8/bits (or cin != cout
                                   * for depthwise) */
  FB_KERNEL_ERROR_SHIFT = -5,     /* out_shift outside [0, 63] */
  FB_KERNEL_ERROR_SHAPE = -6,     /* output size inconsistent with input, kernel, padding, stride */
  FB_KERNEL_ERROR_BUFFER = -7,    /* scratch buffer NULL or smaller than *_get_buffer_size() */
  FB_KERNEL_ERROR_LAYOUT = -8,    /* prepared weights on a non-scalar build, or not 4-byte aligned */
} FbKernelStatus;

/* A short, static, English name of a status ("ok", "null pointer", ...). */
const char *fb_kernel_status_to_string (FbKernelStatus status);

#define FB_KERNEL_MAX_DIM        32767   /* any single dimension, padding or stride */
#define FB_KERNEL_MAX_REDUCTION  65536   /* Ky*Kx*Cin, Ky*Kx, dim_vec */
#define FB_KERNEL_MAX_ELEMENTS   0x7fffffffL /* elements of any one tensor */
#define FB_KERNEL_MAX_POOL       2097152 /* dim_x * dim_y of a pooled tensor (2^21) */
#define FB_KERNEL_MAX_SHIFT      63

/* Bits of the flag word (see "Signed activations" above). */
#define FB_KERNEL_FLAG_RELU              1
#define FB_KERNEL_FLAG_SIGNED_IN         2
#define FB_KERNEL_FLAG_SIGNED_IN2        4
#define FB_KERNEL_FLAG_SIGNED_OUT        8
#define FB_KERNEL_FLAG_COUNT_INCLUDE_PAD 16  /* windowed average pool: padding counts (as 0) */
/* conv: `weights` holds fb_conv_prepare_weights()'s output (the scalar path's order, laid out
 * once, e.g. by an exporter into Flash) instead of packed rows, 4-byte aligned; the scratch
 * then holds no weights.  Scalar (MCU) builds only: elsewhere FB_KERNEL_ERROR_LAYOUT. */
#define FB_KERNEL_FLAG_PREPARED_WEIGHTS  32
/* linear (fb_linear_*, fb_linear_*_i32): the same bit means fb_linear_prepare_weights()'s
 * layout instead, taken on every build (see there). */
/* conv: `weights` holds fb_conv_host_prepare_weights()'s output (64-byte aligned);
 * depthwise: fb_depthwise_host_prepare()'s output (64-byte aligned) */
#define FB_KERNEL_FLAG_HOST_PREPARED     64
#define FB_KERNEL_FLAGS_SIGNED (FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_IN2 \
                                | FB_KERNEL_FLAG_SIGNED_OUT)

/* 1 where the kernels compile their scalar (MCU) path: RISC-V and other 32-bit targets, or
 * forced with -DFB_KERNEL_FORCE_SCALAR.  An exported network.h sizes its scratch with it. */
#if defined(FB_KERNEL_FORCE_SCALAR) || defined(__riscv) || (defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ < 8)
#define FB_KERNEL_SCALAR_BUILD 1
#else
#define FB_KERNEL_SCALAR_BUILD 0
#endif

/* Which code path this build of the kernels uses.  The scratch size depends on it. */
typedef enum {
  FB_KERNEL_ARCH_HOST = 0,    /* 64-bit host: int16 operands laid out for the auto-vectorizer */
  FB_KERNEL_ARCH_SCALAR = 1,  /* 32-bit MCU (RV32IMC) path: 8-bit operands, register blocking,
                               * packed sub-byte products (SWAR); also forced on the host with
                               * -DFB_KERNEL_FORCE_SCALAR (the tests do) */
} FbKernelArch;

/* The architecture this copy of the kernels was compiled for. */
FbKernelArch fb_kernel_arch (void);

/* The instruction set the conv kernels run with on this CPU: "avx512vnni" or "avx2" (x86-64
 * copies selected at run time), "baseline" (the host path compiled for the build's target, e.g.
 * SSE2) or "scalar" (FB_KERNEL_ARCH_SCALAR).  Same results on every path. */
const char *fb_kernel_host_code (void);

/* Bytes of one packed weight row of n signed elements of w_bits (padded to a whole byte). */
size_t fb_kernel_weight_row_bytes (size_t n, int w_bits);

/* ------------------------------------------------------------------------------------------ */
/* Convolution and depthwise convolution                                                      */

/* Geometry of a convolution (also used by the depthwise kernels).
 *   dim_in_x, dim_in_y    input width and height (pixels), >= 1
 *   ch_in                 input channels; a multiple of 8/in_bits
 *   dim_out_x, dim_out_y  output width and height; must equal
 *                         (dim_in + pad_before + pad_after - dim_kernel) / stride + 1 (floor),
 *                         with dim_in + pad_before + pad_after >= dim_kernel
 *   ch_out                output channels; a multiple of 8/out_bits.  Depthwise: == ch_in, and
 *                         also a multiple of 8/w_bits
 *   dim_kernel_x/_y       kernel width and height, >= 1
 *   pad_top/_bottom/_left/_right  zero padding on each side, >= 0 (may exceed the kernel: a
 *                         window entirely in the padding gives acc = 0)
 *   stride_x/_y           >= 1
 *   out_shift             requantization shift d, in [0, 63]
 *   flag_relu             the flag word: FB_KERNEL_FLAG_RELU (no effect on the quantized
 *                         outputs), FB_KERNEL_FLAG_SIGNED_IN / _OUT (see top of file); the
 *                         windowed pools also read FB_KERNEL_FLAG_COUNT_INCLUDE_PAD
 */
typedef struct {
  int32_t dim_in_x, dim_in_y, ch_in;
  int32_t dim_out_x, dim_out_y, ch_out;
  int32_t dim_kernel_x, dim_kernel_y;
  int32_t pad_top, pad_bottom, pad_left, pad_right;
  int32_t stride_x, stride_y;
  int32_t out_shift;
  int32_t flag_relu;
} FbConvParams;

/* Convolution fb_conv_uI_uO_iW (27 variants, see FB_KERNEL_VARIANTS_IOW):
 *   input        [dim_in_y][dim_in_x][ch_in] activations, packed at I bits
 *   weights      [ch_out] rows of dim_kernel_y*dim_kernel_x*ch_in signed W-bit values, each row
 *                packed LSB-first and padded to a whole byte
 *                (total ch_out * fb_kernel_weight_row_bytes (Ky*Kx*Cin, W) bytes)
 *   kappa        [ch_out] int32 requantization multipliers
 *   lambda       [ch_out] int32 requantization offsets (rounding included)
 *   output       [dim_out_y][dim_out_x][ch_out], packed at O bits
 *   params       geometry, shift, flag (see FbConvParams)
 *   buffer       scratch of at least buffer_size bytes, any alignment; may be NULL only when
 *                fb_conv_get_buffer_size() returns 0 (it never does today)
 *   buffer_size  bytes available at buffer
 * Returns FB_KERNEL_OK or an error status (nothing written then). */
typedef FbKernelStatus (*FbConvFunc) (const uint8_t *input, const uint8_t *weights,
                                      const int32_t *kappa, const int32_t *lambda,
                                      uint8_t *output, const FbConvParams *params,
                                      void *buffer, size_t buffer_size);

/* Depthwise convolution fb_depthwise_uI_uO_iW (27 variants): as fb_conv_*, except
 *   weights      [dim_kernel_y][dim_kernel_x][ch] packed along ch at W bits (no row padding)
 *   kappa/lambda [ch]
 *   buffer       scratch of fb_depthwise_get_buffer_size() bytes (RV32: 4 + 8 * ch; the host
 *                path also holds int16 weights and, for sub-byte inputs, int16 input rows)
 * and params->ch_in == params->ch_out == ch, a multiple of 8/I, 8/O and 8/W. */
typedef FbConvFunc FbDepthwiseFunc;

/* Scratch bytes a conv / depthwise variant needs for this geometry, for the architecture of
 * this build (fb_kernel_arch()) or for a named one (e.g. an exporter on the host sizing the
 * buffers of an RV32 build).  Returns 0 when the arguments are invalid (bits or params). */
size_t fb_conv_get_buffer_size (int in_bits, int out_bits, int w_bits, const FbConvParams *params);
size_t fb_conv_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits, int w_bits,
                                         const FbConvParams *params);
size_t fb_depthwise_get_buffer_size (int in_bits, int out_bits, int w_bits,
                                     const FbConvParams *params);
size_t fb_depthwise_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits,
                                              int w_bits, const FbConvParams *params);

/* The scalar conv's weight layout, computed once (FB_KERNEL_FLAG_PREPARED_WEIGHTS): blocks
 * of 4 output channels in the order its inner loops read them (docs/kernels.md), then, for a
 * signed input (params->flag_relu & FB_KERNEL_FLAG_SIGNED_IN), the int32 sum of each channel's
 * weights per kernel row.  Available on every build (an exporter on the host prepares the
 * weights of an RV32 build).  _size returns 0 for invalid arguments; prepare writes
 * fb_conv_prepared_weights_size() bytes at @prepared (little-endian words, any alignment)
 * from packed rows as fb_conv_* take them.  A 3x3 stride-1 conv of 8-bit activations and
 * weights with 16 to 1024 input and at least 16 output channels gets the Winograd F(2x2, 3x3)
 * transform of its weights instead (int16, 32 bytes per input x output channel), which the
 * scalar conv then runs on (fb-kernel-conv-winograd.c, docs/kernels.md). */
size_t fb_conv_prepared_weights_size (int in_bits, int out_bits, int w_bits,
                                      const FbConvParams *params);
FbKernelStatus fb_conv_prepare_weights (int in_bits, int out_bits, int w_bits,
                                        const FbConvParams *params, const uint8_t *weights,
                                        uint8_t *prepared);
/* The host conv's weight layout (x86-64 with AVX-512 VNNI: int8 [k/4][Cout16][4]), computed
 * once (FB_KERNEL_FLAG_HOST_PREPARED, unsigned calls only).  _size returns 0 where that code
 * does not run (other CPUs and builds, invalid arguments): then pass the packed weights.
 * prepare writes that many bytes at @prepared (64-byte aligned when passed to fb_conv_*). */
size_t fb_conv_host_prepared_weights_size (int in_bits, int out_bits, int w_bits,
                                           const FbConvParams *params);
FbKernelStatus fb_conv_host_prepare_weights (int in_bits, int out_bits, int w_bits,
                                             const FbConvParams *params, const uint8_t *weights,
                                             uint8_t *prepared);
/* The host depthwise's per-layer data (x86-64 with AVX-512 VNNI, 3x3 kernels, unsigned
 * calls: per 16 channels the kernel columns in the order its dot products read them and, for
 * 2-bit outputs, per-channel thresholds made from kappa, lambda and params->out_shift),
 * computed once (FB_KERNEL_FLAG_HOST_PREPARED; the calls must then pass the same kappa,
 * lambda and out_shift).  _size returns 0 where that code does not run: then pass the packed
 * weights.  prepare writes that many bytes at @prepared, which must be 64-byte aligned. */
size_t fb_depthwise_host_prepared_size (int in_bits, int out_bits, int w_bits,
                                        const FbConvParams *params);
FbKernelStatus fb_depthwise_host_prepare (int in_bits, int out_bits, int w_bits,
                                          const FbConvParams *params, const uint8_t *weights,
                                          const int32_t *kappa, const int32_t *lambda,
                                          uint8_t *prepared);

/* Validate a conv (depthwise = 0) or depthwise (depthwise = 1) geometry for the given
 * bit-widths without running anything.  Same checks, same status as the kernels, except the
 * pointer and buffer checks. */
FbKernelStatus fb_conv_check_params (int in_bits, int out_bits, int w_bits, int depthwise,
                                     const FbConvParams *params);

/* Number of multiply-accumulates over taps inside the input (padding taps not counted). */
uint64_t fb_conv_macs (const FbConvParams *params, int depthwise);

/* ------------------------------------------------------------------------------------------ */
/* Fully connected                                                                            */

/* Linear with quantized output fb_linear_uI_uO_iW (27 variants):
 *   input          [dim_vec] activations packed at I bits (dim_vec a multiple of 8/I)
 *   weights        [num_o_neurons] rows of dim_vec signed W-bit values, each row packed
 *                  LSB-first and padded to a whole byte
 *   kappa, lambda  [num_o_neurons] int32 requantization parameters
 *   output         [num_o_neurons] packed at O bits (num_o_neurons a multiple of 8/O)
 *   dim_vec        input length, 1 .. FB_KERNEL_MAX_REDUCTION
 *   num_o_neurons  output length, 1 .. FB_KERNEL_MAX_DIM
 *   out_shift      requantization shift, [0, 63]
 *   flag_relu      the flag word: FB_KERNEL_FLAG_SIGNED_IN / _OUT; the ReLU bit has no effect
 *   buffer, buffer_size  scratch, see fb_linear_get_buffer_size() */
typedef FbKernelStatus (*FbLinearFunc) (const uint8_t *input, const uint8_t *weights,
                                        const int32_t *kappa, const int32_t *lambda,
                                        uint8_t *output, int32_t dim_vec, int32_t num_o_neurons,
                                        int32_t out_shift, int32_t flag_relu,
                                        void *buffer, size_t buffer_size);

/* Linear with int32 output (logits) fb_linear_uI_i32_iW (9 variants), no requantization:
 *   y[j] = saturate_int32 (acc[j] + bias[j]), then y[j] = max (y[j], 0) if flag_relu has
 *   FB_KERNEL_FLAG_RELU; FB_KERNEL_FLAG_SIGNED_IN: a signed input
 *   input, weights, dim_vec, num_o_neurons, buffer, buffer_size  as FbLinearFunc
 *   bias           [num_o_neurons] int32 (may be NULL: no bias)
 *   output         [num_o_neurons] int32 */
typedef FbKernelStatus (*FbLinearI32Func) (const uint8_t *input, const uint8_t *weights,
                                           const int32_t *bias, int32_t *output,
                                           int32_t dim_vec, int32_t num_o_neurons,
                                           int32_t flag_relu, void *buffer, size_t buffer_size);

/* Scratch bytes of a linear variant (out_bits 32 for the int32-output ones); 0 if invalid. */
size_t fb_linear_get_buffer_size (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                                  int32_t num_o_neurons);
size_t fb_linear_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits,
                                           int w_bits, int32_t dim_vec, int32_t num_o_neurons);
/* The linear kernels' SWAR weight layout, computed once (FB_KERNEL_FLAG_PREPARED_WEIGHTS in
 * flag_relu of fb_linear_* / fb_linear_*_i32): per group of up to 16 output rows, 32-bit
 * words that each hold T = 2, 3 or 4 consecutive weights of one row in lanes (offset to
 * unsigned, except for 8-bit inputs with 8-bit weights), then the int32 weight sum of every
 * row (docs/kernels.md).  Available on every build; the kernels take it on every build too
 * (4-byte aligned, else FB_KERNEL_ERROR_LAYOUT); the scratch size is the same.  _size returns
 * 0 for invalid arguments (out_bits 32 for the int32-output ones); prepare writes that many
 * bytes (little-endian words, any alignment) from packed rows as fb_linear_* take them. */
size_t fb_linear_prepared_weights_size (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                                        int32_t num_o_neurons);
FbKernelStatus fb_linear_prepare_weights (int in_bits, int out_bits, int w_bits, int32_t dim_vec,
                                          int32_t num_o_neurons, const uint8_t *weights,
                                          uint8_t *prepared);
/* The SWAR plan of the prepared linear for these operand widths (for the tests):
 * plan = { T, L, c, mode (0 low word summed c words, 1 low word per word, 2 signed 16-bit
 * lanes, 3 high word), a, b }; -1 for widths other than 2, 4, 8. */
int fb_linear_swar_plan (int in_bits, int w_bits, int32_t plan[6]);

/* ------------------------------------------------------------------------------------------ */
/* Residual add                                                                               */

/* Residual add fb_add_uA_uB_uO (27 variants, in1 bits A, in2 bits B, out bits O):
 *   y = clip ((x1 * m1 + x2 * m2 + r) >> out_shift, 0, 2^O - 1),  r = 2^(out_shift-1), or 0
 *   when out_shift = 0; computed in int64, `>>` arithmetic.  flags: FB_KERNEL_FLAG_SIGNED_IN,
 *   _IN2 (signed inputs), _SIGNED_OUT (clip to [-2^(O-1), 2^(O-1)-1]; without it the clip at 0
 *   is the ReLU after the add).
 *   input1         [dim_y][dim_x][ch] packed at A bits
 *   input2         [dim_y][dim_x][ch] packed at B bits
 *   output         [dim_y][dim_x][ch] packed at O bits
 *   dim_x, dim_y   >= 1;  ch >= 1, a multiple of 8/A, 8/B and 8/O
 *   m1, m2         int32 multipliers (m_i = round (2^d * s_i / s_y))
 *   out_shift      d in [0, 63]
 * No scratch. */
typedef FbKernelStatus (*FbAddFunc) (const uint8_t *input1, const uint8_t *input2,
                                     uint8_t *output, int32_t dim_x, int32_t dim_y, int32_t ch,
                                     int32_t m1, int32_t m2, int32_t out_shift, int32_t flags);

/* ------------------------------------------------------------------------------------------ */
/* Global average pooling                                                                     */

/* Global average pool fb_avgpool_uB (3 variants; output bits = input bits):
 *   y[c] = floor ((2 * S[c] + N) / (2 * N))   (S/N rounded to nearest, ties up)
 *   with N = dim_x * dim_y and S[c] the int32 sum of channel c over all pixels.  Computed
 *   without division as (X * m) >> s, X = 2*S + N, s = 30 + ceil (log2 (2N)),
 *   m = ceil (2^s / (2N)) (the reciprocal of 2N), which is exact for X < 2^30, i.e. for all
 *   N <= FB_KERNEL_MAX_POOL.  The result never exceeds 2^B - 1, so no clip is needed.
 *   input          [dim_y][dim_x][ch] packed at B bits
 *   output         [ch] packed at B bits
 *   dim_x, dim_y   >= 1, dim_x * dim_y <= FB_KERNEL_MAX_POOL;  ch a multiple of 8/B
 *   flags          FB_KERNEL_FLAG_SIGNED_IN: signed input and output; the same formula with
 *                  floor on negative sums, computed by division
 * No scratch. */
typedef FbKernelStatus (*FbAvgPoolFunc) (const uint8_t *input, uint8_t *output,
                                         int32_t dim_x, int32_t dim_y, int32_t ch, int32_t flags);

/* ------------------------------------------------------------------------------------------ */
/* Windowed pooling                                                                           */

/* Windowed average pool fb_avgpool2d_uB and max pool fb_maxpool2d_uB (3 variants each;
 * output bits and signedness = the input's):
 *   params       the geometry of a depthwise convolution (FbConvParams: ch_in == ch_out,
 *                dim_out as for a convolution, each pad smaller than the kernel so that every
 *                window covers at least one input pixel); out_shift unused; flag_relu the flag
 *                word: FB_KERNEL_FLAG_SIGNED_IN, FB_KERNEL_FLAG_COUNT_INCLUDE_PAD
 *   average      y = floor ((2 S + N) / (2 N)) (S / N rounded to nearest, ties up), S the int32
 *                sum of the window's pixels inside the input, N their count, or Ky * Kx with
 *                FB_KERNEL_FLAG_COUNT_INCLUDE_PAD (padding counted as zeros)
 *   max          y = the largest of the window's pixels inside the input (padding ignored)
 * No scratch. */
typedef FbKernelStatus (*FbPool2dFunc) (const uint8_t *input, uint8_t *output,
                                        const FbConvParams *params);

/* Validates a windowed pool's geometry for bits (same checks and status as the kernels). */
FbKernelStatus fb_pool2d_check_params (int bits, const FbConvParams *params);

/* The reciprocal used by the average pool (exposed for tests and for the integer evaluator):
 * sets *m and *s for N = dim_x * dim_y as documented above.  Returns 0 if N is out of range. */
int fb_avgpool_reciprocal (int32_t n, uint64_t *m, int32_t *s);

/* ------------------------------------------------------------------------------------------ */
/* Declarations of every variant, from the X-macro list                                       */

#define FB_KERNEL_DECLARE_CONV(i, o, w) \
  FbKernelStatus fb_conv_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights, \
                                              const int32_t *kappa, const int32_t *lambda, \
                                              uint8_t *output, const FbConvParams *params, \
                                              void *buffer, size_t buffer_size);
#define FB_KERNEL_DECLARE_DEPTHWISE(i, o, w) \
  FbKernelStatus fb_depthwise_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights, \
                                                   const int32_t *kappa, const int32_t *lambda, \
                                                   uint8_t *output, const FbConvParams *params, \
                                                   void *buffer, size_t buffer_size);
#define FB_KERNEL_DECLARE_LINEAR(i, o, w) \
  FbKernelStatus fb_linear_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights, \
                                                const int32_t *kappa, const int32_t *lambda, \
                                                uint8_t *output, int32_t dim_vec, \
                                                int32_t num_o_neurons, int32_t out_shift, \
                                                int32_t flag_relu, void *buffer, \
                                                size_t buffer_size);
#define FB_KERNEL_DECLARE_LINEAR_I32(i, w) \
  FbKernelStatus fb_linear_u##i##_i32_i##w (const uint8_t *input, const uint8_t *weights, \
                                             const int32_t *bias, int32_t *output, \
                                             int32_t dim_vec, int32_t num_o_neurons, \
                                             int32_t flag_relu, void *buffer, \
                                             size_t buffer_size);
#define FB_KERNEL_DECLARE_ADD(a, b, o) \
  FbKernelStatus fb_add_u##a##_u##b##_u##o (const uint8_t *input1, const uint8_t *input2, \
                                             uint8_t *output, int32_t dim_x, int32_t dim_y, \
                                             int32_t ch, int32_t m1, int32_t m2, \
                                             int32_t out_shift, int32_t flags);
#define FB_KERNEL_DECLARE_POOL(b) \
  FbKernelStatus fb_avgpool_u##b (const uint8_t *input, uint8_t *output, int32_t dim_x, \
                                  int32_t dim_y, int32_t ch, int32_t flags);
#define FB_KERNEL_DECLARE_AVGPOOL2D(b) \
  FbKernelStatus fb_avgpool2d_u##b (const uint8_t *input, uint8_t *output, \
                                    const FbConvParams *params);
#define FB_KERNEL_DECLARE_MAXPOOL2D(b) \
  FbKernelStatus fb_maxpool2d_u##b (const uint8_t *input, uint8_t *output, \
                                    const FbConvParams *params);

FB_KERNEL_VARIANTS_IOW (FB_KERNEL_DECLARE_CONV)
FB_KERNEL_VARIANTS_IOW (FB_KERNEL_DECLARE_DEPTHWISE)
FB_KERNEL_VARIANTS_IOW (FB_KERNEL_DECLARE_LINEAR)
FB_KERNEL_VARIANTS_IW (FB_KERNEL_DECLARE_LINEAR_I32)
FB_KERNEL_VARIANTS_ADD (FB_KERNEL_DECLARE_ADD)
FB_KERNEL_VARIANTS_POOL (FB_KERNEL_DECLARE_POOL)
FB_KERNEL_VARIANTS_AVGPOOL2D (FB_KERNEL_DECLARE_AVGPOOL2D)
FB_KERNEL_VARIANTS_MAXPOOL2D (FB_KERNEL_DECLARE_MAXPOOL2D)

/* ------------------------------------------------------------------------------------------ */
/* Dispatch: variant lookup by bit-widths (8, 4 or 2; linear out_bits may be 32)            */

/* NULL when the combination does not exist. */
FbConvFunc      fb_conv_lookup (int in_bits, int out_bits, int w_bits);
FbDepthwiseFunc fb_depthwise_lookup (int in_bits, int out_bits, int w_bits);
FbLinearFunc    fb_linear_lookup (int in_bits, int out_bits, int w_bits);
FbLinearI32Func fb_linear_i32_lookup (int in_bits, int w_bits);
FbAddFunc       fb_add_lookup (int in1_bits, int in2_bits, int out_bits);
FbAvgPoolFunc   fb_avgpool_lookup (int bits);
FbPool2dFunc    fb_avgpool2d_lookup (int bits);
FbPool2dFunc    fb_maxpool2d_lookup (int bits);

/* Tables of all variants, in the order of fb-kernel-variants.inc. */
typedef struct {
  const char *name;   /* "fb_conv_u8_u4_i2" */
  int in_bits;        /* add: in1 bits */
  int out_bits;       /* 32 for the int32-output linear kernels */
  int w_bits;         /* add: in2 bits; pool: 0 */
} FbKernelVariant;

typedef enum {
  FB_KERNEL_FAMILY_CONV,
  FB_KERNEL_FAMILY_DEPTHWISE,
  FB_KERNEL_FAMILY_LINEAR,
  FB_KERNEL_FAMILY_LINEAR_I32,
  FB_KERNEL_FAMILY_ADD,
  FB_KERNEL_FAMILY_AVGPOOL,
  FB_KERNEL_FAMILY_AVGPOOL2D,
  FB_KERNEL_FAMILY_MAXPOOL2D,
  FB_KERNEL_N_FAMILIES
} FbKernelFamily;

/* The variants of a family; *n_variants receives their count (27, 27, 27, 9, 27, 3, 3, 3). */
const FbKernelVariant *fb_kernel_family_variants (FbKernelFamily family, size_t *n_variants);
/* "conv", "depthwise", "linear", "linear_i32", "add", "avgpool", "avgpool2d", "maxpool2d" */
const char *fb_kernel_family_name (FbKernelFamily family);

#ifdef __cplusplus
}
#endif

#endif /* FB_KERNELS_H */

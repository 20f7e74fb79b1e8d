/* fb-latency-job.h — one kernel call to measure, as a line of text (pure C99, no GLib).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The latency harness lowers every (layer, precision key) with fb_plan_step_init() on the
 * host, writes each resulting kernel call as one "J" line, and runs the lines either in this
 * process (host timing) or inside the rv32imc ELF under QEMU (fb-latency-harness-rv32.c,
 * minstret).  Both sides use this file to parse a line, to lay the call's buffers out in a
 * bump arena (so a job's addresses never depend on the jobs run before it) and to fill them
 * with seeded xorshift data, then to make exactly the kernel call of the plan step.
 *
 * Line format (decimal integers separated by single spaces):
 *   J id family in_bits mid_bits out_bits
 *     dim_in_x dim_in_y ch_in dim_out_x dim_out_y ch_out dim_kernel_x dim_kernel_y
 *     pad_top pad_bottom pad_left pad_right stride_x stride_y flag_relu
 *     dim_vec num_o dim_x dim_y ch shift scratch_bytes seed input_offset input2_offset
 *     output_offset
 * family is an FbKernelFamily; mid_bits are the weight bits (add: the second input's bits;
 * avgpool: 0); out_bits 32 for the int32 linear; scratch_bytes as the plan computed them for
 * the architecture that runs the job (0: ask the kernels); the three offsets place the
 * activations inside a chain's arena (see fb-latency-harness-rv32.c) and are 0 otherwise.
 */
#ifndef FB_LATENCY_JOB_H
#define FB_LATENCY_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "fb-kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_LATENCY_JOB_N_FIELDS 31
#define FB_LATENCY_JOB_LINE_MAX 512

typedef struct {
  uint32_t id;
  FbKernelFamily family;
  int32_t in_bits, mid_bits, out_bits;
  FbConvParams conv;              /* conv / depthwise geometry (out_shift = shift) */
  int32_t dim_vec, num_o;         /* linear */
  int32_t dim_x, dim_y, ch;       /* add / avgpool */
  int32_t shift;                  /* requantization shift d (conv, depthwise, linear, add) */
  uint32_t scratch_bytes;         /* from the plan; 0 = *_get_buffer_size () of this build */
  uint32_t seed;                  /* xorshift32 seed of the job's data */
  uint32_t input_offset, input2_offset, output_offset;   /* chains only */
} FbLatencyJob;

/* The buffers of one call (pointers into an arena). */
typedef struct {
  uint8_t *input, *input2, *weights, *output;
  int32_t *kappa, *lambda, *bias, *output32;
  void *scratch;
  size_t scratch_size;
  size_t input_bytes, input2_bytes, weight_bytes, output_bytes;
  int32_t m1, m2;                 /* add multipliers */
} FbLatencyCall;

/* A bump allocator: 16-byte aligned blocks, reset per job, so every job's buffers sit at
 * the same addresses whatever ran before it. */
typedef struct {
  uint8_t *base;
  size_t size, used;
} FbLatencyArena;

void   fb_latency_arena_init  (FbLatencyArena *a, void *base, size_t size);
void   fb_latency_arena_reset (FbLatencyArena *a);
/* NULL when the arena is full. */
void  *fb_latency_arena_alloc (FbLatencyArena *a, size_t bytes);

/* Writes the "J ..." line (no newline) into buf; returns the length or -1 if it does not fit. */
int    fb_latency_job_format  (const FbLatencyJob *j, char *buf, size_t n);
/* Parses a "J ..." line; returns 0 on success, -1 on a malformed line. */
int    fb_latency_job_parse   (const char *line, FbLatencyJob *j);

/* Bytes of the packed tensors of the job. */
void   fb_latency_job_sizes   (const FbLatencyJob *j, size_t *input, size_t *input2,
                               size_t *weights, size_t *output);
/* Upper bound of the arena bytes fb_latency_job_setup () takes (with_io as there). */
size_t fb_latency_job_arena_bytes (const FbLatencyJob *j, int with_io);

/* Allocates the job's weights, requantization parameters and scratch from the arena and
 * fills them from the job's seed; with_io also allocates and fills the input(s) and the
 * output, otherwise the caller points input/input2/output/output32 into its own activation
 * arena (chains).  Returns 0, or -1 when the arena is too small or the job is invalid. */
int    fb_latency_job_setup   (const FbLatencyJob *j, FbLatencyArena *a, int with_io,
                               FbLatencyCall *c);
/* Fills n bytes from an xorshift32 state (any byte is a valid packed activation). */
void   fb_latency_fill_random (uint32_t *state, uint8_t *dst, size_t n);

/* Exactly the kernel call of the job (the variant looked up by bits). */
FbKernelStatus fb_latency_job_run (const FbLatencyJob *j, const FbLatencyCall *c);
/* FNV-1a 32-bit of the output bytes (int32 outputs little-endian). */
uint32_t fb_latency_call_hash (const FbLatencyJob *j, const FbLatencyCall *c);

#ifdef __cplusplus
}
#endif

#endif /* FB_LATENCY_JOB_H */

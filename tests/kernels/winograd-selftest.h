/* winograd-selftest.h — workloads of the Winograd conv path (fb-kernel-conv-winograd.c),
 * compared with the reference on the device and between the host and rv32imc (pure C99:
 * compiled into test-kernels-winograd, test-kernels-winograd-rv32 and the QEMU ELF).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef WINOGRAD_SELFTEST_H
#define WINOGRAD_SELFTEST_H

/* Random 3x3 stride-1 convs of the u8/i8 variants (u8, u4, u2 outputs) with prepared weights
 * (random sizes, channel counts, padding on each side, signed input and/or output), then the
 * extreme cases (every input and weight at the end of its grid, Cin up to 1024, requantized
 * so that an error of one in an accumulator shows).  A build that does not take prepared
 * weights (the host path) runs the same cases with packed ones, so its lines hash the same
 * outputs.  emit gets one line per case:
 *   "wino <case> <variant> f<flags hex> st=<status> ref=<1 if equal to the reference>
 *    h=<fnv1a hex of the output>"
 * Returns the number of cases that failed or differ from the reference; *n_cases (if not
 * NULL) gets the number run and *n_winograd the number whose shape takes the Winograd path. */
int winograd_selftest_run (void (*emit) (const char *line, void *user_data), void *user_data,
                           int *n_cases, int *n_winograd);

#endif

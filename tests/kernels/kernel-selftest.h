/* kernel-selftest.h — a fixed list of kernel workloads whose outputs are compared between the
 * host and the rv32imc build (pure C99: compiled into the test and into the QEMU ELF).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

/* Runs every workload and calls emit once per workload with a line
 * "<variant> s<shape> st=<status> ref=<1 if equal to the reference> n=<bytes> h=<fnv1a hex>".
 * Returns the number of workloads whose output differs from the reference or failed. */
int kernel_selftest_run (void (*emit) (const char *line, void *user_data), void *user_data);

#endif

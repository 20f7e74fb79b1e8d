/* rv32-test-util.h — cross-builds a test ELF from the kernel sources plus a test's own files
 * for rv32imc and runs it under QEMU (the toolchain code of src/latency/fb-rv32.c, which the
 * latency harness and the benchmark use too).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* Returns QEMU's console output of the ELF built from every kernel source and @test_files
 * (NULL-terminated, names in tests/kernels), with "\r" turned into "\n"; or NULL with
 * *skip_reason set when the cross toolchain or QEMU is missing.  Build or run errors fail the
 * test. */
char *rv32_test_build_run (const char *name, const char *const *test_files, char **skip_reason);

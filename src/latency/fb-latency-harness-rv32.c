/* fb-latency-harness-rv32.c — main of the rv32imc latency harness ELF (not part of any
 * library).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built once at run time by `freebits-cli latency measure|run --target rv32imc` from the
 * kernel sources and fb-latency-job.c (riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32
 * -O2, picolibc, semihosting) and run under qemu-system-riscv32 -icount shift=0.  It reads
 * the job list "jobs.txt" from QEMU's working directory through semihosting:
 *
 *   A <bytes>                 allocate the arena every job is laid out in (once, first line)
 *   J ...                     one job (fb-latency-job.h): set up, then count the retired
 *                             instructions (minstret) of exactly its kernel call; prints
 *                             R <id> <instructions> <status> <fnv1a of the output>
 *   C <id> <n> <bytes> <seed> a chain: the next n J lines are the steps of one plan, whose
 *                             activations live in one arena of <bytes> at the steps' offsets
 *                             (filled from <seed>); counts the whole sequence of calls and
 *                             each call; prints S <id> <step> <instructions> <status> per step,
 *                             then T <id> <instructions> <status> <fnv1a of the arena>
 *
 * Linear and conv jobs run with their weights laid out once by fb_linear_prepare_weights() /
 * fb_conv_prepare_weights(), outside the counted call, as an exported bundle stores them in
 * Flash (FB_KERNEL_FLAG_PREPARED_WEIGHTS).
 *
 * and ends with "done".  Counts are deterministic (the arena puts every buffer of a job at
 * the same address whatever ran before it).  Output goes to the semihosting console (QEMU's
 * stderr), one flushed line per job, so the caller can show progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb-kernel-workload.h"
#include "fb-latency-job.h"

#define MAX_CHAIN 256

static FbLatencyJob chain_jobs[MAX_CHAIN];
static FbLatencyCall chain_calls[MAX_CHAIN];
static uint32_t chain_counts[MAX_CHAIN];
static int chain_status[MAX_CHAIN];
static void *chain_prepared[MAX_CHAIN];

static void
fail (const char *what)
{
  printf ("E %s\n", what);
  fflush (stdout);
  exit (1);
}

/* A linear or conv job's weights laid out as a bundle stores them (malloc'd: the prepared
 * words can be larger than the arena's packed rows); NULL for other jobs or when it fails
 * (the job then runs with its packed rows). */
static void *
prepare_weights (FbLatencyJob *j, FbLatencyCall *c)
{
  const int i32 = j->family == FB_KERNEL_FAMILY_LINEAR_I32;
  size_t n;
  uint8_t *p;
  if (j->family == FB_KERNEL_FAMILY_CONV)
    {
      /* conv likewise (fb_conv_prepare_weights(), the layout of the scalar path) */
      n = fb_conv_prepared_weights_size (j->in_bits, j->out_bits, j->mid_bits, &j->conv);
      p = n > 0 ? (uint8_t *) malloc (n) : NULL;
      if (p == NULL || fb_conv_prepare_weights (j->in_bits, j->out_bits, j->mid_bits, &j->conv,
                                                c->weights, p) != FB_KERNEL_OK)
        {
          free (p);
          return NULL;
        }
      c->weights = p;
      j->conv.flag_relu |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
      return p;
    }
  if (j->family != FB_KERNEL_FAMILY_LINEAR && !i32)
    return NULL;
  n = fb_linear_prepared_weights_size (j->in_bits, i32 ? 32 : j->out_bits, j->mid_bits,
                                       j->dim_vec, j->num_o);
  p = n > 0 ? (uint8_t *) malloc (n) : NULL;
  if (p == NULL || fb_linear_prepare_weights (j->in_bits, i32 ? 32 : j->out_bits, j->mid_bits,
                                              j->dim_vec, j->num_o, c->weights, p)
                     != FB_KERNEL_OK)
    {
      free (p);
      return NULL;
    }
  c->weights = p;
  j->conv.flag_relu |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
  return p;
}

static void
run_job (FbLatencyArena *arena, const FbLatencyJob *job)
{
  FbLatencyJob jj = *job, *j = &jj;
  FbLatencyCall c;
  uint32_t t0, t1;
  int st;
  void *prep;
  fb_latency_arena_reset (arena);
  if (fb_latency_job_setup (j, arena, 1, &c) != 0)
    {
      printf ("R %lu 0 -100 0\n", (unsigned long) j->id);
      fflush (stdout);
      return;
    }
  prep = prepare_weights (j, &c);
  t0 = fb_kernel_workload_instret ();
  st = (int) fb_latency_job_run (j, &c);
  t1 = fb_kernel_workload_instret ();
  free (prep);
  printf ("R %lu %lu %d %08lx\n", (unsigned long) j->id, (unsigned long) (t1 - t0), st,
          (unsigned long) fb_latency_call_hash (j, &c));
  fflush (stdout);
}

static void
run_chain (FbLatencyArena *arena, FILE *f, unsigned long id, int n, unsigned long bytes,
           unsigned long seed)
{
  char line[FB_LATENCY_JOB_LINE_MAX];
  uint8_t *act;
  uint32_t s = (uint32_t) seed, t0, t1, h;
  int i, worst = 0;

  if (n < 1 || n > MAX_CHAIN)
    fail ("chain too long");
  fb_latency_arena_reset (arena);
  act = (uint8_t *) fb_latency_arena_alloc (arena, bytes);
  if (act == NULL)
    fail ("chain arena too small");
  fb_latency_fill_random (&s, act, bytes);
  for (i = 0; i < n; i++)
    {
      FbLatencyJob *j = &chain_jobs[i];
      FbLatencyCall *c = &chain_calls[i];
      if (fgets (line, sizeof line, f) == NULL || fb_latency_job_parse (line, j) != 0)
        fail ("bad chain step");
      if (fb_latency_job_setup (j, arena, 0, c) != 0)
        fail ("chain step does not fit the arena");
      c->input = act + j->input_offset;
      c->input2 = act + j->input2_offset;
      if (j->family == FB_KERNEL_FAMILY_LINEAR_I32)
        c->output32 = (int32_t *) (void *) (act + j->output_offset);
      else
        c->output = act + j->output_offset;
      chain_prepared[i] = prepare_weights (j, c);
    }
  t0 = fb_kernel_workload_instret ();
  for (i = 0; i < n; i++)
    {
      uint32_t a = fb_kernel_workload_instret ();
      chain_status[i] = (int) fb_latency_job_run (&chain_jobs[i], &chain_calls[i]);
      chain_counts[i] = fb_kernel_workload_instret () - a;
    }
  t1 = fb_kernel_workload_instret ();
  for (i = 0; i < n; i++)
    free (chain_prepared[i]);
  for (i = 0; i < n; i++)
    {
      printf ("S %lu %d %lu %d\n", id, i, (unsigned long) chain_counts[i], chain_status[i]);
      if (chain_status[i] != 0)
        worst = chain_status[i];
    }
  h = fb_kernel_workload_hash (FB_KERNEL_WORKLOAD_HASH_INIT, act, bytes);
  printf ("T %lu %lu %d %08lx\n", id, (unsigned long) (t1 - t0), worst, (unsigned long) h);
  fflush (stdout);
}

int
main (void)
{
  char line[FB_LATENCY_JOB_LINE_MAX];
  FbLatencyArena arena = { 0, 0, 0 };
  void *mem = NULL;
  FILE *f = fopen ("jobs.txt", "r");

  if (f == NULL)
    fail ("cannot open jobs.txt");
  while (fgets (line, sizeof line, f) != NULL)
    {
      if (line[0] == 'A')
        {
          unsigned long bytes = strtoul (line + 1, NULL, 10);
          if (mem != NULL)
            fail ("second arena");
          mem = malloc (bytes + 16);
          if (mem == NULL)
            fail ("cannot allocate the arena");
          fb_latency_arena_init (&arena, mem, bytes + 16);
        }
      else if (line[0] == 'J')
        {
          FbLatencyJob j;
          if (mem == NULL || fb_latency_job_parse (line, &j) != 0)
            fail ("bad job line");
          run_job (&arena, &j);
        }
      else if (line[0] == 'C')
        {
          unsigned long id, bytes, seed;
          int n;
          if (mem == NULL || sscanf (line + 1, "%lu %d %lu %lu", &id, &n, &bytes, &seed) != 4)
            fail ("bad chain line");
          run_chain (&arena, f, id, n, bytes, seed);
        }
    }
  fclose (f);
  printf ("done\n");
  fflush (stdout);
  exit (0);   /* ends QEMU; returning from main does not */
}

/* fb-latency-measure.c — measured per-layer latency tables (rv32imc under QEMU, host).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>

#include "fb-build-config.h"
#include "fb-error.h"
#include "fb-kernel-workload.h"
#include "fb-latency-job.h"
#include "fb-latency-measure.h"
#include "fb-latency-model.h"
#include "fb-mpi.h"
#include "fb-plan.h"
#include "fb-rv32.h"

#ifndef FB_KERNELS_SOURCE_DIR
#error "FB_KERNELS_SOURCE_DIR must name src/kernels"
#endif
#ifndef FB_LATENCY_SOURCE_DIR
#error "FB_LATENCY_SOURCE_DIR must name src/latency"
#endif

/* What the harness ELF is made of: the kernels as an exported bundle ships them, the job
 * runner and the harness main. */
static const char *const kernel_files[] = {
  "fb-kernel-common.c", "fb-kernel-pack.c", "fb-kernel-conv.c", "fb-kernel-depthwise.c",
  "fb-kernel-conv-winograd.c",
  "fb-kernel-linear.c", "fb-kernel-add.c", "fb-kernel-dispatch.c",
};
static const char *const latency_files[] = { "fb-latency-job.c", "fb-latency-harness-rv32.c" };

/* The emulated machine has 112 MiB of RAM after the code; leave room for the stack. */
#define RV32_ARENA_MAX ((gsize) 100 * 1024 * 1024)

void
fb_latency_measure_options_init (FbLatencyMeasureOptions *opts, const char *target)
{
  memset (opts, 0, sizeof *opts);
  opts->target = target;
  opts->max_rows = 32;
  opts->slice_rows = 4;
  opts->workers = MAX (1, g_get_num_processors ());
  opts->shift = 24; /* trained fmnist-mbv1 layers have shifts 21-30 (docs/latency.md) */
  opts->repeats = 11;
  opts->min_sample = 0.002;
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs from plan steps                                                                       */

static void
job_from_step (const FbPlanStep *st, gint shift, FbLatencyJob *j)
{
  static const FbKernelFamily family[] = {
    [FB_PLAN_CONV] = FB_KERNEL_FAMILY_CONV,
    [FB_PLAN_DEPTHWISE] = FB_KERNEL_FAMILY_DEPTHWISE,
    [FB_PLAN_LINEAR] = FB_KERNEL_FAMILY_LINEAR,
    [FB_PLAN_LINEAR_I32] = FB_KERNEL_FAMILY_LINEAR_I32,
    [FB_PLAN_ADD] = FB_KERNEL_FAMILY_ADD,
    [FB_PLAN_AVGPOOL] = FB_KERNEL_FAMILY_AVGPOOL,
    [FB_PLAN_AVGPOOL2D] = FB_KERNEL_FAMILY_AVGPOOL2D,
    [FB_PLAN_MAXPOOL2D] = FB_KERNEL_FAMILY_MAXPOOL2D,
  };
  memset (j, 0, sizeof *j);
  j->family = family[st->kind];
  j->in_bits = (int32_t) st->in_bits;
  j->mid_bits = (int32_t) st->mid_bits;
  j->out_bits = (int32_t) st->out_bits;
  j->conv = st->conv;
  j->conv.out_shift = shift;
  j->shift = shift;
  j->dim_vec = st->dim_vec;
  j->num_o = st->num_o_neurons;
  j->dim_x = st->dim_x;
  j->dim_y = st->dim_y;
  j->ch = st->ch;
  j->scratch_bytes = (uint32_t) st->scratch_bytes;
  j->input_offset = (uint32_t) st->input_offset;
  j->input2_offset = (uint32_t) st->input2_offset;
  j->output_offset = (uint32_t) st->output_offset;
}

/* Output rows whose window reaches into the top or the bottom padding. */
static guint
edge_rows (const FbConvParams *p)
{
  const gint32 sy = p->stride_y > 0 ? p->stride_y : 1;
  return (guint) ((p->pad_top + sy - 1) / sy + (p->pad_bottom + sy - 1) / sy);
}

/* The same call on @rows output rows of the layer with both its top and its bottom padding,
 * a small image of the layer's kind: two slices then differ only by interior rows, so the
 * extrapolation also counts the edge rows' work (the rv32imc depthwise sweep handles a padded
 * row in a call of its own).  Falls back to the first @rows rows, top padding only, when the
 * layer has too few input rows for that. */
static gboolean
slice_job (const FbLatencyJob *full, guint rows, FbKernelArch arch, FbLatencyJob *out)
{
  FbConvParams *p;
  gint32 needed;
  gboolean dw = full->family == FB_KERNEL_FAMILY_DEPTHWISE;

  *out = *full;
  p = &out->conv;
  p->dim_out_y = (gint32) rows;
  needed = ((gint32) rows - 1) * p->stride_y + p->dim_kernel_y - p->pad_top - p->pad_bottom;
  if (needed >= 1 && needed <= full->conv.dim_in_y)
    p->dim_in_y = needed;
  else
    {
      needed = ((gint32) rows - 1) * p->stride_y + p->dim_kernel_y - p->pad_top;
      if (needed < 1)
        return FALSE;
      if (needed <= full->conv.dim_in_y)
        {
          p->dim_in_y = needed;
          p->pad_bottom = 0;
        }
      else
        {
          p->dim_in_y = full->conv.dim_in_y;
          p->pad_bottom = needed - full->conv.dim_in_y;
        }
    }
  if (fb_conv_check_params (out->in_bits, out->out_bits, out->mid_bits, dw, p) != FB_KERNEL_OK)
    return FALSE;
  out->scratch_bytes = (uint32_t) (dw ? fb_depthwise_get_buffer_size_for_arch (
                                          arch, out->in_bits, out->out_bits, out->mid_bits, p)
                                      : fb_conv_get_buffer_size_for_arch (
                                          arch, out->in_bits, out->out_bits, out->mid_bits, p));
  return TRUE;
}

static guint32
seed_for (const char *layer, const char *key, guint rows)
{
  g_autofree char *s = g_strdup_printf ("%s/%s/%u", layer, key, rows);
  guint32 h = fb_kernel_workload_hash (FB_KERNEL_WORKLOAD_HASH_INIT, (const guint8 *) s, strlen (s));
  return h ? h : 1;
}

/* A rough instruction estimate, to balance the QEMU processes. */
static double
job_work (const FbLatencyJob *j)
{
  switch (j->family)
    {
    case FB_KERNEL_FAMILY_CONV:
      return 3.0 * (double) fb_conv_macs (&j->conv, 0) + 4.0 * j->conv.ch_out * j->conv.ch_in;
    case FB_KERNEL_FAMILY_DEPTHWISE:
      return 10.0 * (double) fb_conv_macs (&j->conv, 1);
    case FB_KERNEL_FAMILY_LINEAR:
    case FB_KERNEL_FAMILY_LINEAR_I32:
      return 6.0 * j->dim_vec * (double) j->num_o;
    default:
      return 30.0 * j->dim_x * (double) j->dim_y * j->ch;
    }
}

typedef struct {
  guint layer;
  char key[FB_LATENCY_KEY_MAX];
  guint n_jobs;
  guint job[2];
  guint rows[2];       /* measured output rows when sliced */
  guint full_rows;     /* 0: measured whole */
  guint remaining;
} Entry;

typedef struct {
  FbNetwork *network;
  const FbLatencyMeasureOptions *opts;
  GArray *entries;     /* Entry */
  GArray *jobs;        /* FbLatencyJob */
  guint *job_entry;    /* job → entry index */
  double *value;       /* per job: instructions or us */
  double *spread;      /* per job (host) */
  int *status;
  gboolean *have;
  guint *rank_of;      /* per job: the MPI rank that measures it */
  guint n_done;
  FbLatencyProgressFunc progress;
  gpointer user_data;
} Plan;

static void
plan_clear (Plan *p)
{
  g_clear_pointer (&p->entries, g_array_unref);
  g_clear_pointer (&p->jobs, g_array_unref);
  g_clear_pointer (&p->job_entry, g_free);
  g_clear_pointer (&p->value, g_free);
  g_clear_pointer (&p->spread, g_free);
  g_clear_pointer (&p->status, g_free);
  g_clear_pointer (&p->have, g_free);
  g_clear_pointer (&p->rank_of, g_free);
}

typedef struct {
  Plan *p;
  FbKernelArch arch;
  gboolean slicing;
} PlanCtx;

/* One (layer, key): its entry and its job, or two row slices of it when the layer is tall. */
static gboolean
plan_add_step (const FbPlanStep *step, const FbLayer *layer, const char *key,
               gpointer user_data, GError **error)
{
  const PlanCtx *c = user_data;
  Plan *p = c->p;
  const FbLatencyMeasureOptions *o = p->opts;
  FbKernelArch arch = c->arch;
  gboolean slicing = c->slicing;
  FbLatencyJob full;
  Entry e = { 0 };

  job_from_step (step, o->shift, &full);
  e.layer = step->layer;
  g_strlcpy (e.key, key, sizeof e.key);
  if (slicing && o->max_rows > 0 && o->slice_rows > 0
      && (full.family == FB_KERNEL_FAMILY_CONV
          || full.family == FB_KERNEL_FAMILY_DEPTHWISE)
      && (guint) full.conv.dim_out_y > o->max_rows
      && 2 * o->slice_rows + edge_rows (&full.conv) < (guint) full.conv.dim_out_y)
    {
      for (guint s = 0; s < 2; s++)
        {
          FbLatencyJob j;
          /* both slices hold every padded edge row and slice_rows * (s + 1) inner ones */
          guint rows = o->slice_rows * (s + 1) + edge_rows (&full.conv);
          if (!slice_job (&full, rows, arch, &j))
            {
              g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                           _("layer \"%s\": cannot measure a slice of %u output rows"),
                           layer->name, rows);
              return FALSE;
            }
          j.id = p->jobs->len;
          /* the full layer's seed: the same weights and requantization as it (the data come
           * after them), so that kernels whose cost depends on the data (the rv32imc
           * depthwise skips the requantization of outputs that are surely 0) extrapolate */
          j.seed = seed_for (layer->name, key, 0);
          e.job[s] = j.id;
          e.rows[s] = rows;
          g_array_append_val (p->jobs, j);
        }
      e.n_jobs = 2;
      e.full_rows = (guint) full.conv.dim_out_y;
    }
  else
    {
      full.id = p->jobs->len;
      full.seed = seed_for (layer->name, key, 0);
      e.job[0] = full.id;
      e.n_jobs = 1;
      g_array_append_val (p->jobs, full);
    }
  e.remaining = e.n_jobs;
  g_array_append_val (p->entries, e);
  return TRUE;
}

static gboolean
plan_build (Plan *p, FbKernelArch arch, gboolean slicing, GError **error)
{
  PlanCtx c = { p, arch, slicing };

  p->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  p->jobs = g_array_new (FALSE, TRUE, sizeof (FbLatencyJob));
  if (!fb_latency_foreach_step (p->network, arch, plan_add_step, &c, error))
    return FALSE;
  p->job_entry = g_new0 (guint, p->jobs->len);
  for (guint i = 0; i < p->entries->len; i++)
    {
      Entry *e = &g_array_index (p->entries, Entry, i);
      for (guint s = 0; s < e->n_jobs; s++)
        p->job_entry[e->job[s]] = i;
    }
  p->value = g_new0 (double, p->jobs->len);
  p->spread = g_new0 (double, p->jobs->len);
  p->status = g_new0 (int, p->jobs->len);
  p->have = g_new0 (gboolean, p->jobs->len);
  p->rank_of = g_new0 (guint, p->jobs->len);
  return TRUE;
}

static void
plan_job_done (Plan *p, guint job)
{
  Entry *e = &g_array_index (p->entries, Entry, p->job_entry[job]);
  if (p->have[job] || e->remaining == 0)
    return;
  p->have[job] = TRUE;
  if (--e->remaining == 0)
    {
      p->n_done++;
      if (p->progress != NULL)
        p->progress (p->n_done, p->entries->len,
                     fb_network_get_layer (p->network, e->layer)->name, e->key, p->user_data);
    }
}

typedef struct {
  double value, spread;
  gint32 status, have;
} JobResult;

/* Under MPI every rank measured the jobs p->rank_of gives it: afterwards every rank has every
 * result, each from the rank that measured it, so the table is the one-process table. */
static void
plan_gather (Plan *p)
{
  guint n = p->jobs->len, me = fb_mpi_get_rank ();
  g_autofree JobResult *r = NULL;

  if (fb_mpi_get_size () == 1)
    return;
  r = g_new0 (JobResult, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    r[i] = (JobResult) { p->value[i], p->spread[i], p->status[i], p->have[i] };
  fb_mpi_allgather_owned (r, n, sizeof *r, p->rank_of);
  for (guint i = 0; i < n; i++)
    if (p->rank_of[i] != me)
      {
        p->value[i] = r[i].value;
        p->spread[i] = r[i].spread;
        p->status[i] = r[i].status;
        if (r[i].have)
          plan_job_done (p, i);
      }
}

/* ------------------------------------------------------------------------------------------ */
/* Running job lists under QEMU                                                               */

typedef struct _QemuRun QemuRun;

typedef struct {
  QemuRun *run;
  GSubprocess *proc;
  GDataInputStream *in;
  char *dir;
  gboolean saw_done, exited;
  GString *other;       /* console lines that are not results, for error messages */
} Worker;

struct _QemuRun {
  FbRv32Toolchain *tc;
  char *elf;
  GPtrArray *workers;   /* Worker* */
  GCancellable *cancellable;
  gulong cancel_id;
  GError *error;
  guint n_running;
  void (*on_line) (QemuRun *run, const char *line);
  gpointer data;
};

static void
worker_free (gpointer data)
{
  Worker *w = data;
  if (w->dir != NULL)
    {
      g_autofree char *jobs = g_build_filename (w->dir, "jobs.txt", NULL);
      g_remove (jobs);
      g_rmdir (w->dir);
    }
  g_clear_object (&w->in);
  g_clear_object (&w->proc);
  g_free (w->dir);
  g_string_free (w->other, TRUE);
  g_free (w);
}

static void
run_fail (QemuRun *run, GError *error)
{
  if (run->error == NULL)
    run->error = error;
  else
    g_error_free (error);
  for (guint i = 0; i < run->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (run->workers, i);
      if (w->proc != NULL && !w->exited)
        g_subprocess_force_exit (w->proc);
    }
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  QemuRun *run = data;
  for (guint i = 0; i < run->workers->len; i++)
    {
      Worker *w = g_ptr_array_index (run->workers, i);
      if (w->proc != NULL && !w->exited)
        g_subprocess_force_exit (w->proc);
    }
}

static void
wait_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  QemuRun *run = w->run;
  g_autoptr (GError) error = NULL;

  g_subprocess_wait_finish (w->proc, res, &error);
  w->exited = TRUE;
  run->n_running--;
  if (run->error != NULL || g_cancellable_is_cancelled (run->cancellable))
    return;
  if (!g_subprocess_get_successful (w->proc) || !w->saw_done)
    {
      g_autofree char *what = g_subprocess_get_if_exited (w->proc)
                                ? g_strdup_printf ("exited with status %d",
                                                   g_subprocess_get_exit_status (w->proc))
                                : g_strdup ("was killed");
      run_fail (run, g_error_new (G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                                  _("%s %s before finishing its jobs%s%s"), FB_RV32_QEMU, what,
                                  w->other->len > 0 ? ": " : "", w->other->str));
    }
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  Worker *w = data;
  QemuRun *run = w->run;
  GError *error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (w->in, res, NULL, &error);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* cancelled before on_cancelled saw this process: stop it now */
          g_subprocess_force_exit (w->proc);
          g_clear_error (&error);
        }
      else
        run_fail (run, error);
      line = NULL;
    }
  if (line == NULL)
    {
      g_subprocess_wait_async (w->proc, NULL, wait_cb, w);
      return;
    }
  g_strchomp (line);
  if (g_str_equal (line, "done"))
    w->saw_done = TRUE;
  else if (g_str_has_prefix (line, "E "))
    run_fail (run, g_error_new (G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                                _("the rv32imc harness failed: %s"), line + 2));
  else if (line[0] == 'R' || line[0] == 'S' || line[0] == 'T')
    run->on_line (run, line);
  else if (w->other->len < 2000 && line[0] != '\0')
    g_string_append_printf (w->other, "%s%s", w->other->len ? " | " : "", line);
  g_data_input_stream_read_line_async (w->in, G_PRIORITY_DEFAULT, run->cancellable, read_cb, w);
}

/* Runs each job list (one per worker) in its own QEMU process, in parallel, feeding every
 * console line to on_line; returns when all have ended. */
static gboolean
qemu_run (FbRv32Toolchain *tc, const char *elf, GPtrArray *lists,
          void (*on_line) (QemuRun *, const char *), gpointer data,
          GCancellable *cancellable, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_ref_thread_default ();
  g_autoptr (GCancellable) own = g_cancellable_new ();
  QemuRun run = { 0 };
  gboolean ok;

  run.tc = tc;
  run.workers = g_ptr_array_new_with_free_func (worker_free);
  run.cancellable = cancellable != NULL ? cancellable : own;
  run.on_line = on_line;
  run.data = data;
  run.cancel_id = g_cancellable_connect (run.cancellable, G_CALLBACK (on_cancelled), &run, NULL);

  for (guint i = 0; i < lists->len && run.error == NULL
                   && !g_cancellable_is_cancelled (run.cancellable); i++)
    {
      Worker *w = g_new0 (Worker, 1);
      GError *e = NULL;
      g_autofree char *jobs = NULL;
      w->run = &run;
      w->other = g_string_new (NULL);
      g_ptr_array_add (run.workers, w);
      w->dir = g_dir_make_tmp ("freebits-latency-XXXXXX", &e);
      if (w->dir == NULL)
        {
          run_fail (&run, e);
          break;
        }
      jobs = g_build_filename (w->dir, "jobs.txt", NULL);
      if (!g_file_set_contents (jobs, ((GString *) g_ptr_array_index (lists, i))->str, -1, &e))
        {
          run_fail (&run, e);
          break;
        }
      w->proc = fb_rv32_spawn (tc, elf, w->dir, &e);
      if (w->proc == NULL)
        {
          run_fail (&run, e);
          break;
        }
      run.n_running++;
      w->in = g_data_input_stream_new (g_subprocess_get_stderr_pipe (w->proc));
      g_data_input_stream_read_line_async (w->in, G_PRIORITY_DEFAULT, run.cancellable, read_cb,
                                           w);
    }
  while (run.n_running > 0)
    g_main_context_iteration (ctx, TRUE);

  g_cancellable_disconnect (run.cancellable, run.cancel_id);
  ok = run.error == NULL && !g_cancellable_is_cancelled (run.cancellable);
  if (!ok)
    {
      if (g_cancellable_set_error_if_cancelled (run.cancellable, error))
        g_clear_error (&run.error);
      else
        g_propagate_error (error, g_steal_pointer (&run.error));
    }
  g_ptr_array_unref (run.workers);
  return ok;
}

static char *
harness_elf (FbRv32Toolchain *tc, gboolean *temporary, GCancellable *cancellable,
             GError **error)
{
  g_autofree char *kdir = fb_rv32_find_source_dir ("src/kernels", "fb-kernels.h",
                                                   FB_KERNELS_SOURCE_DIR);
  g_autofree char *ldir = fb_rv32_find_source_dir ("src/latency", "fb-latency-job.h",
                                                   FB_LATENCY_SOURCE_DIR);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  const char *inc[3];

  if (kdir == NULL || ldir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("the kernel and latency sources were not found; set FB_SOURCE_ROOT to the "
                     "freebits source tree"));
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (kernel_files); i++)
    g_ptr_array_add (sources, g_build_filename (kdir, kernel_files[i], NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (latency_files); i++)
    g_ptr_array_add (sources, g_build_filename (ldir, latency_files[i], NULL));
  g_ptr_array_add (sources, NULL);
  inc[0] = kdir;
  inc[1] = ldir;
  inc[2] = NULL;
  return fb_rv32_build_elf (tc, "latency-harness", (const char *const *) sources->pdata, inc,
                            temporary, cancellable, error);
}

static void
measure_line (QemuRun *run, const char *line)
{
  Plan *p = run->data;
  g_auto (GStrv) f = g_strsplit (line, " ", -1);
  guint64 id;
  if (line[0] != 'R' || g_strv_length (f) != 5)
    return;
  id = g_ascii_strtoull (f[1], NULL, 10);
  if (id >= p->jobs->len)
    return;
  p->value[id] = (double) g_ascii_strtoull (f[2], NULL, 10);
  p->status[id] = (int) g_ascii_strtoll (f[3], NULL, 10);
  plan_job_done (p, (guint) id);
}

static gboolean
measure_rv32 (Plan *p, FbRv32Toolchain *tc, GCancellable *cancellable, GError **error)
{
  const FbLatencyMeasureOptions *o = p->opts;
  guint n_workers = CLAMP (o->workers, 1, 64), n_slots;
  g_autoptr (GPtrArray) lists = g_ptr_array_new ();
  g_autofree double *load = NULL;
  g_autofree guint *order = NULL;
  g_autofree guint *owner = NULL;
  g_autofree char *elf = NULL;
  gboolean temporary = FALSE, ok;
  gsize arena = 0;
  char line[FB_LATENCY_JOB_LINE_MAX];

  for (guint i = 0; i < p->jobs->len; i++)
    {
      const FbLatencyJob *j = &g_array_index (p->jobs, FbLatencyJob, i);
      arena = MAX (arena, fb_latency_job_arena_bytes (j, 1));
    }
  if (arena > RV32_ARENA_MAX)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("a layer needs %zu bytes, more than the emulated RAM holds; "
                     "measure large layers on row slices (--max-rows)"), arena);
      return FALSE;
    }
  n_workers = MIN (n_workers, MAX (1, p->jobs->len));
  /* Under MPI the QEMU processes of all ranks share the jobs: slot w runs on rank
   * w / n_workers.  Every rank computes the same assignment. */
  n_slots = n_workers * fb_mpi_get_size ();

  /* longest jobs first, each to the least loaded worker */
  order = g_new (guint, p->jobs->len);
  owner = g_new0 (guint, p->jobs->len);
  load = g_new0 (double, n_slots);
  for (guint i = 0; i < p->jobs->len; i++)
    order[i] = i;
  {
    g_autofree double *work = g_new (double, p->jobs->len);
    for (guint i = 0; i < p->jobs->len; i++)
      work[i] = job_work (&g_array_index (p->jobs, FbLatencyJob, i)) + 2000.0;
    /* simple insertion sort by descending work (job lists are a few thousand at most) */
    for (guint i = 1; i < p->jobs->len; i++)
      {
        guint v = order[i], k = i;
        while (k > 0 && (work[order[k - 1]] < work[v]
                         || (work[order[k - 1]] == work[v] && order[k - 1] > v)))
          {
            order[k] = order[k - 1];
            k--;
          }
        order[k] = v;
      }
    for (guint i = 0; i < p->jobs->len; i++)
      {
        guint best = 0;
        for (guint w = 1; w < n_slots; w++)
          if (load[w] < load[best])
            best = w;
        owner[order[i]] = best;
        p->rank_of[order[i]] = best / n_workers;
        load[best] += work[order[i]];
      }
  }
  for (guint w = fb_mpi_get_rank () * n_workers; w < (fb_mpi_get_rank () + 1) * n_workers; w++)
    {
      GString *s = g_string_new (NULL);
      g_string_append_printf (s, "A %" G_GSIZE_FORMAT "\n", arena + 4096);
      /* in job order, so that progress follows the layers */
      for (guint i = 0; i < p->jobs->len; i++)
        if (owner[i] == w)
          {
            if (fb_latency_job_format (&g_array_index (p->jobs, FbLatencyJob, i), line,
                                       sizeof line) < 0)
              g_assert_not_reached ();
            g_string_append (s, line);
            g_string_append_c (s, '\n');
          }
      g_ptr_array_add (lists, s);
    }

  elf = harness_elf (tc, &temporary, cancellable, error);
  if (elf == NULL)
    {
      for (guint i = 0; i < lists->len; i++)
        g_string_free (g_ptr_array_index (lists, i), TRUE);
      return FALSE;
    }
  ok = qemu_run (tc, elf, lists, measure_line, p, cancellable, error);
  if (temporary)
    fb_rv32_remove_temporary (elf);
  for (guint i = 0; i < lists->len; i++)
    g_string_free (g_ptr_array_index (lists, i), TRUE);
  return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Host timing                                                                                */

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
quantile (const double *sorted, guint n, double q)
{
  double pos = q * (double) (n - 1);
  guint i = (guint) floor (pos);
  double f = pos - (double) i;
  if (i + 1 >= n)
    return sorted[n - 1];
  return sorted[i] * (1.0 - f) + sorted[i + 1] * f;
}

static double
round_us (double v)
{
  return round (v * 1000.0) / 1000.0;
}

typedef FbKernelStatus (*SampleFunc) (gpointer data);

/* Warm-up, then opts->repeats samples of enough calls each; median and IQR in us per call. */
static gboolean
time_calls (SampleFunc fn, gpointer data, const FbLatencyMeasureOptions *o,
            GCancellable *cancellable, double *median, double *iqr, int *status)
{
  guint n = 0, reps, repeats = MAX (o->repeats, 1);
  double t0 = now_s (), per;
  g_autofree double *samples = g_new (double, repeats);

  *status = 0;
  do
    {
      int st = (int) fn (data);
      if (st != 0)
        {
          *status = st;
          return TRUE;
        }
      n++;
    }
  while ((now_s () - t0 < 0.01 || n < 2) && n < 100000);
  per = (now_s () - t0) / n;
  reps = (guint) CLAMP (ceil (o->min_sample / MAX (per, 1e-9)), 1, 1e7);
  for (guint s = 0; s < repeats; s++)
    {
      double t;
      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      t = now_s ();
      for (guint r = 0; r < reps; r++)
        fn (data);
      samples[s] = (now_s () - t) / reps * 1e6;
    }
  qsort (samples, repeats, sizeof (double), compare_doubles);
  *median = quantile (samples, repeats, 0.5);
  *iqr = quantile (samples, repeats, 0.75) - quantile (samples, repeats, 0.25);
  return TRUE;
}

typedef struct {
  const FbLatencyJob *job;
  const FbLatencyCall *call;
} OneCall;

static FbKernelStatus
one_call (gpointer data)
{
  OneCall *c = data;
  return fb_latency_job_run (c->job, c->call);
}

typedef struct {
  Plan *plan;
  GMainContext *ctx;
  GCancellable *cancellable;
  gint finished;
  GError *error;
} HostRun;

typedef struct {
  HostRun *run;
  guint job;
} HostDone;

static gboolean
host_done_dispatch (gpointer data)
{
  HostDone *d = data;
  plan_job_done (d->run->plan, d->job);
  return G_SOURCE_REMOVE;
}

static gpointer
host_thread (gpointer data)
{
  HostRun *run = data;
  Plan *p = run->plan;

  for (guint i = 0; i < p->jobs->len; i++)
    {
      const FbLatencyJob *j = &g_array_index (p->jobs, FbLatencyJob, i);
      gsize bytes = fb_latency_job_arena_bytes (j, 1) + 64;
      g_autofree void *mem = NULL;
      FbLatencyArena arena;
      FbLatencyCall call;
      OneCall oc = { j, &call };
      HostDone *d;

      if (p->rank_of[i] != fb_mpi_get_rank ())
        continue;
      mem = g_malloc (bytes);
      fb_latency_arena_init (&arena, mem, bytes);
      if (fb_latency_job_setup (j, &arena, 1, &call) != 0)
        p->status[i] = -100;
      else if (!time_calls (one_call, &oc, p->opts, run->cancellable, &p->value[i],
                            &p->spread[i], &p->status[i]))
        break;
      d = g_new (HostDone, 1);
      d->run = run;
      d->job = i;
      g_main_context_invoke_full (run->ctx, G_PRIORITY_DEFAULT, host_done_dispatch, d, g_free);
    }
  g_atomic_int_set (&run->finished, 1);
  g_main_context_wakeup (run->ctx);
  return NULL;
}

static gboolean
measure_host (Plan *p, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_ref_thread_default ();
  g_autoptr (GCancellable) own = g_cancellable_new ();
  HostRun run = { p, ctx, cancellable != NULL ? cancellable : own, 0, NULL };
  GThread *t;

  /* Under MPI, jobs go round-robin over the ranks (each rank times its own on its node). */
  for (guint i = 0; i < p->jobs->len; i++)
    p->rank_of[i] = i % fb_mpi_get_size ();
  t = g_thread_new ("freebits-latency", host_thread, &run);

  while (!g_atomic_int_get (&run.finished))
    g_main_context_iteration (ctx, TRUE);
  g_thread_join (t);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  return !g_cancellable_set_error_if_cancelled (run.cancellable, error);
}

/* ------------------------------------------------------------------------------------------ */
/* The table                                                                                  */

static char *
host_cpu (void)
{
  g_autofree char *text = NULL;
  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (char **l = lines; *l != NULL; l++)
        if (g_str_has_prefix (*l, "model name"))
          {
            const char *c = strchr (*l, ':');
            if (c != NULL)
              return g_strstrip (g_strdup (c + 1));
          }
    }
  return g_strdup ("unknown");
}

static FbLatencyTable *
plan_table (Plan *p, FbRv32Toolchain *tc, GError **error)
{
  gboolean rv32 = tc != NULL;
  g_autoptr (FbLatencyTable) table = fb_latency_table_new (
    p->opts->target, rv32 ? FB_LATENCY_UNIT_INSTRUCTIONS : FB_LATENCY_UNIT_US,
    FB_LATENCY_METHOD_MEASURED);
  g_autoptr (JsonObject) prov = json_object_new ();
  JsonObject *scaled = json_object_new ();

  for (guint i = 0; i < p->entries->len; i++)
    {
      Entry *e = &g_array_index (p->entries, Entry, i);
      const char *name = fb_network_get_layer (p->network, e->layer)->name;
      double cost, spread = 0;
      for (guint s = 0; s < e->n_jobs; s++)
        if (!p->have[e->job[s]] || p->status[e->job[s]] != 0)
          {
            int st = p->status[e->job[s]];
            g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                         _("layer \"%s\" key %s: the kernel call failed: %s"), name, e->key,
                         !p->have[e->job[s]] ? "no result"
                         : st == -100        ? "its buffers do not fit the arena"
                                             : fb_kernel_status_to_string ((FbKernelStatus) st));
            json_object_unref (scaled);
            return NULL;
          }
      if (e->n_jobs == 2)
        {
          double c1 = p->value[e->job[0]], c2 = p->value[e->job[1]];
          double slope = (c2 - c1) / (double) (e->rows[1] - e->rows[0]);
          cost = round (c1 + slope * (double) (e->full_rows - e->rows[0]));
          if (!json_object_has_member (scaled, name))
            {
              JsonObject *o = json_object_new ();
              JsonArray *rows = json_array_new ();
              json_array_add_int_element (rows, e->rows[0]);
              json_array_add_int_element (rows, e->rows[1]);
              json_object_set_array_member (o, "measured_rows", rows);
              json_object_set_int_member (o, "output_rows", e->full_rows);
              json_object_set_object_member (scaled, name, o);
            }
        }
      else
        {
          cost = p->value[e->job[0]];
          spread = p->spread[e->job[0]];
        }
      if (!rv32)
        {
          cost = round_us (cost);
          fb_latency_table_set_spread (table, name, e->key, round_us (spread));
        }
      fb_latency_table_set_cost (table, name, e->key, cost);
    }

  fb_latency_table_set_network (table, p->network);
  json_object_set_string_member (prov, "tool", "freebits-cli " FB_VERSION);
  json_object_set_string_member (prov, "target", p->opts->target);
  if (rv32)
    {
      g_autofree char *flags = fb_rv32_cflags_string ();
      json_object_set_string_member (prov, "measurement",
                                     "minstret around exactly the kernel call of each "
                                     "fb_plan_step_init () step (FB_KERNEL_ARCH_SCALAR, scratch "
                                     "preparation, im2col and requantization included) under "
                                     FB_RV32_QEMU " -icount shift=0");
      json_object_set_string_member (prov, "compiler", tc->cc_version);
      json_object_set_string_member (prov, "cflags", flags);
    }
  else
    {
      g_autofree char *cpu = host_cpu ();
      g_autofree char *how = g_strdup_printf (
        "median of %u samples of at least %g s after a 10 ms warm-up, microseconds per call "
        "of exactly the kernel call of each fb_plan_step_init () step (FB_KERNEL_ARCH_HOST); "
        "spread: inter-quartile range", MAX (p->opts->repeats, 1), p->opts->min_sample);
      json_object_set_string_member (prov, "measurement", how);
      json_object_set_string_member (prov, "cpu", cpu);
#ifdef __VERSION__
      json_object_set_string_member (prov, "compiler", "gcc " __VERSION__);
#endif
    }
  {
    g_autofree char *data = g_strdup_printf (
      "xorshift32 random activations and weights seeded per layer and key; random kappa and "
      "lambda of a trained layer's magnitude; requantization shift %d", p->opts->shift);
    json_object_set_string_member (prov, "data", data);
  }
  if (json_object_get_size (scaled) > 0)
    {
      json_object_set_string_member (
        prov, "scaling",
        "layers under scaled_rows were measured on their first N and 2N output rows and "
        "extrapolated linearly to all output rows");
      json_object_set_object_member (prov, "scaled_rows", scaled);
    }
  else
    json_object_unref (scaled);
  fb_latency_table_set_provenance (table, prov);
  return g_steal_pointer (&table);
}

FbLatencyTable *
fb_latency_measure (FbNetwork *network, const FbLatencyMeasureOptions *opts,
                    FbLatencyProgressFunc progress, gpointer user_data,
                    GCancellable *cancellable, GError **error)
{
  gboolean rv32 = g_strcmp0 (opts->target, "rv32imc") == 0;
  g_autoptr (FbRv32Toolchain) tc = NULL;
  Plan p = { 0 };
  FbLatencyTable *table = NULL;

  if (!rv32 && g_strcmp0 (opts->target, "host") != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("cannot measure target \"%s\" (rv32imc or host)"), opts->target);
      return NULL;
    }
  if (rv32 && (tc = fb_rv32_toolchain_find (error)) == NULL)
    return NULL;
  p.network = network;
  p.opts = opts;
  p.progress = progress;
  p.user_data = user_data;
  if (plan_build (&p, rv32 ? FB_KERNEL_ARCH_SCALAR : FB_KERNEL_ARCH_HOST, rv32, error)
      && (rv32 ? measure_rv32 (&p, tc, cancellable, error)
               : measure_host (&p, cancellable, error)))
    {
      plan_gather (&p);
      table = plan_table (&p, tc, error);
    }
  plan_clear (&p);
  return table;
}

/* ------------------------------------------------------------------------------------------ */
/* End to end                                                                                 */

typedef struct {
  guint n_steps;
  double total;
  double *per_step;
  int status;
  gboolean have_total;
} ChainResult;

static void
chain_line (QemuRun *run, const char *line)
{
  ChainResult *r = run->data;
  g_auto (GStrv) f = g_strsplit (line, " ", -1);
  if (line[0] == 'S' && g_strv_length (f) == 5)
    {
      guint64 k = g_ascii_strtoull (f[2], NULL, 10);
      if (k < r->n_steps)
        r->per_step[k] = (double) g_ascii_strtoull (f[3], NULL, 10);
    }
  else if (line[0] == 'T' && g_strv_length (f) == 5)
    {
      r->total = (double) g_ascii_strtoull (f[2], NULL, 10);
      r->status = (int) g_ascii_strtoll (f[3], NULL, 10);
      r->have_total = TRUE;
    }
}

typedef struct {
  FbLatencyJob *jobs;
  FbLatencyCall *calls;
  guint n;
  double *step_time;
} Chain;

static FbKernelStatus
chain_call (gpointer data)
{
  Chain *c = data;
  FbKernelStatus worst = FB_KERNEL_OK;
  for (guint i = 0; i < c->n; i++)
    {
      double t = now_s ();
      FbKernelStatus st = fb_latency_job_run (&c->jobs[i], &c->calls[i]);
      c->step_time[i] += now_s () - t;
      if (st != FB_KERNEL_OK)
        worst = st;
    }
  return worst;
}

/* One ELF run of the whole chain under QEMU. */
static gboolean
run_plan_rv32 (FbLatencyJob *jobs, guint n, gsize act_bytes, guint32 seed, double *total,
               GArray *per_step, GCancellable *cancellable, GError **error)
{
  g_autoptr (FbRv32Toolchain) tc = fb_rv32_toolchain_find (error);
  g_autoptr (GPtrArray) lists = NULL;
  g_autofree char *elf = NULL;
  g_autofree double *steps = NULL;
  GString *s;
  gsize arena = act_bytes + 64;
  char line[FB_LATENCY_JOB_LINE_MAX];
  ChainResult r = { 0 };
  gboolean temporary = FALSE, ok;

  if (tc == NULL)
    return FALSE;
  if (n > 256)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("the harness runs at most 256 steps"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    arena += fb_latency_job_arena_bytes (&jobs[i], 0);
  if (arena > RV32_ARENA_MAX)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("the network needs %zu bytes, more than the emulated "
                     "RAM holds"), arena);
      return FALSE;
    }
  s = g_string_new (NULL);
  g_string_append_printf (s, "A %" G_GSIZE_FORMAT "\nC 0 %u %" G_GSIZE_FORMAT " %u\n",
                          arena + 4096, n, act_bytes, seed);
  for (guint i = 0; i < n; i++)
    {
      if (fb_latency_job_format (&jobs[i], line, sizeof line) < 0)
        g_assert_not_reached ();
      g_string_append (s, line);
      g_string_append_c (s, '\n');
    }
  lists = g_ptr_array_new ();
  g_ptr_array_add (lists, s);
  steps = g_new0 (double, n);
  r.n_steps = n;
  r.per_step = steps;
  elf = harness_elf (tc, &temporary, cancellable, error);
  if (elf == NULL)
    {
      g_string_free (s, TRUE);
      return FALSE;
    }
  ok = qemu_run (tc, elf, lists, chain_line, &r, cancellable, error);
  if (temporary)
    fb_rv32_remove_temporary (elf);
  g_string_free (s, TRUE);
  if (!ok)
    return FALSE;
  if (!r.have_total || r.status != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("the end-to-end run failed: %s"),
                   r.have_total ? fb_kernel_status_to_string ((FbKernelStatus) r.status)
                                : "no result");
      return FALSE;
    }
  *total = r.total;
  if (per_step != NULL)
    g_array_append_vals (per_step, steps, n);
  return TRUE;
}

/* The median time of the whole chain on this CPU. */
static gboolean
run_plan_host (FbLatencyJob *jobs, guint n, gsize act_bytes, guint32 seed,
               const FbLatencyMeasureOptions *opts, double *total, GArray *per_step,
               GCancellable *cancellable, GError **error)
{
  gsize bytes = act_bytes + 64;
  g_autofree void *mem = NULL;
  g_autofree FbLatencyCall *calls = g_new0 (FbLatencyCall, n);
  g_autofree double *step_time = g_new0 (double, n);
  FbLatencyArena arena;
  uint8_t *act;
  guint32 s = seed;
  Chain chain = { jobs, calls, n, step_time };
  double median = 0, iqr = 0;
  int status = 0;

  for (guint i = 0; i < n; i++)
    bytes += fb_latency_job_arena_bytes (&jobs[i], 0);
  mem = g_malloc (bytes);
  fb_latency_arena_init (&arena, mem, bytes);
  act = fb_latency_arena_alloc (&arena, act_bytes);
  fb_latency_fill_random (&s, act, act_bytes);
  for (guint i = 0; i < n; i++)
    {
      if (fb_latency_job_setup (&jobs[i], &arena, 0, &calls[i]) != 0)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("step %u does not fit its arena"), i);
          return FALSE;
        }
      calls[i].input = act + jobs[i].input_offset;
      calls[i].input2 = act + jobs[i].input2_offset;
      if (jobs[i].family == FB_KERNEL_FAMILY_LINEAR_I32)
        calls[i].output32 = (int32_t *) (void *) (act + jobs[i].output_offset);
      else
        calls[i].output = act + jobs[i].output_offset;
    }
  if (!time_calls (chain_call, &chain, opts, cancellable, &median, &iqr, &status))
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (status != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("the end-to-end run failed: %s"),
                   fb_kernel_status_to_string ((FbKernelStatus) status));
      return FALSE;
    }
  *total = round_us (median);
  if (per_step != NULL)
    {
      double sum = 0;
      for (guint i = 0; i < n; i++)
        sum += step_time[i];
      /* split the median in proportion to each call's share of all the time spent */
      for (guint i = 0; i < n; i++)
        {
          double v = sum > 0 ? round_us (median * step_time[i] / sum) : 0;
          g_array_append_val (per_step, v);
        }
    }
  return TRUE;
}

gboolean
fb_latency_run_plan (FbPrecisionConfig *config, const FbLatencyMeasureOptions *opts,
                     double *total, GArray *per_step, GCancellable *cancellable,
                     GError **error)
{
  gboolean rv32 = g_strcmp0 (opts->target, "rv32imc") == 0;
  g_autoptr (FbPlan) plan = NULL;
  g_autofree FbLatencyJob *jobs = NULL;
  guint n;
  gsize act_bytes;
  const guint32 seed = 0x5eed1234u;

  if (!rv32 && g_strcmp0 (opts->target, "host") != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("cannot measure target \"%s\" (rv32imc or host)"), opts->target);
      return FALSE;
    }
  plan = fb_plan_new (config, rv32 ? FB_KERNEL_ARCH_SCALAR : FB_KERNEL_ARCH_HOST, error);
  if (plan == NULL)
    return FALSE;
  n = fb_plan_get_n_steps (plan);
  act_bytes = fb_plan_get_arena_bytes (plan);
  jobs = g_new0 (FbLatencyJob, n);
  for (guint i = 0; i < n; i++)
    {
      const FbPlanStep *st = fb_plan_get_step (plan, i);
      job_from_step (st, opts->shift, &jobs[i]);
      jobs[i].id = i;
      jobs[i].seed = seed + i;
    }

  if (rv32)
    return run_plan_rv32 (jobs, n, act_bytes, seed, total, per_step, cancellable, error);
  return run_plan_host (jobs, n, act_bytes, seed, opts, total, per_step, cancellable, error);
}

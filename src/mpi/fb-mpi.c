/* fb-mpi.c — the process group a run is spread over (MPI when built with it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb-mpi.h"

#ifdef FB_HAVE_MPI
#include <mpi.h>
#endif

static guint mpi_rank = 0;
static guint mpi_size = 1;
static char prefix[32];
#ifdef FB_HAVE_MPI
static gboolean started;        /* fb_mpi_init called MPI_Init_thread */
/* Tests: FB_TEST_MPI_KILL_RANK=R kills rank R (SIGKILL) at its first all-gather,
 * a process lost in the middle of the work. */
static int kill_rank = -1;
#endif

gboolean
fb_mpi_is_available (void)
{
#ifdef FB_HAVE_MPI
  return TRUE;
#else
  return FALSE;
#endif
}

void
fb_mpi_init (int *argc, char ***argv)
{
#ifdef FB_HAVE_MPI
  int initialized = 0, provided = 0, rank = 0, size = 1;

  /* Only under a launcher (mpirun, mpiexec, srun): a plain run stays one
   * process and never pays for MPI's start-up. */
  if (g_getenv ("OMPI_COMM_WORLD_SIZE") == NULL && g_getenv ("PMI_SIZE") == NULL
      && g_getenv ("PMI_RANK") == NULL && g_getenv ("PMIX_RANK") == NULL)
    return;
  MPI_Initialized (&initialized);
  if (!initialized)
    {
      /* FUNNELED: the trainer and the latency measurement run worker threads,
       * but only the main thread talks to MPI. */
      if (MPI_Init_thread (argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return;
      started = TRUE;
    }
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  mpi_rank = (guint) rank;
  mpi_size = (guint) MAX (size, 1);
  if (mpi_size > 1)
    g_snprintf (prefix, sizeof prefix, "rank %u: ", mpi_rank);
  if (g_getenv ("FB_TEST_MPI_KILL_RANK") != NULL)
    kill_rank = atoi (g_getenv ("FB_TEST_MPI_KILL_RANK"));
#endif
}

void
fb_mpi_finalize (void)
{
#ifdef FB_HAVE_MPI
  if (started)
    MPI_Finalize ();
  started = FALSE;
#endif
}

guint
fb_mpi_get_rank (void)
{
  return mpi_rank;
}

guint
fb_mpi_get_size (void)
{
  return mpi_size;
}

gboolean
fb_mpi_is_root (void)
{
  return mpi_rank == 0;
}

const char *
fb_mpi_rank_prefix (void)
{
  return prefix;
}

void
fb_mpi_barrier (void)
{
#ifdef FB_HAVE_MPI
  if (mpi_size > 1)
    MPI_Barrier (MPI_COMM_WORLD);
#endif
}

void
fb_mpi_block (guint n, guint rank, guint *lo, guint *hi)
{
  *lo = (guint) ((guint64) n * rank / mpi_size);
  *hi = (guint) ((guint64) n * (rank + 1) / mpi_size);
}

guint
fb_mpi_block_owner (guint n, guint item)
{
  for (guint r = 0; r + 1 < mpi_size; r++)
    {
      guint lo, hi;
      fb_mpi_block (n, r, &lo, &hi);
      if (item < hi)
        return r;
    }
  return mpi_size - 1;
}

#ifdef FB_HAVE_MPI
/* MPI counts are int: a block larger than that goes in several rounds. */
static void
allgather_rounds (guint8 *base, const gsize *offset, const gsize *length)
{
  const gsize chunk = 1 << 30;
  g_autofree int *counts = g_new (int, mpi_size);
  g_autofree int *displs = g_new (int, mpi_size);
  gboolean more = TRUE;

  if (kill_rank == (int) mpi_rank)
    raise (SIGKILL);
  for (gsize done = 0; more; done += chunk)
    {
      /* Round k moves bytes [k·chunk, (k+1)·chunk) of every rank's block; the
       * displacements are relative to a per-round temporary window. */
      g_autofree guint8 *window = NULL;
      gsize total = 0;

      more = FALSE;
      for (guint r = 0; r < mpi_size; r++)
        {
          gsize left = length[r] > done ? length[r] - done : 0;
          counts[r] = (int) MIN (left, chunk);
          displs[r] = (int) total;
          total += (gsize) counts[r];
          more |= left > chunk;
        }
      window = g_malloc (MAX (total, 1));
      memcpy (window + displs[mpi_rank], base + offset[mpi_rank] + done, (gsize) counts[mpi_rank]);
      if (MPI_Allgatherv (MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, window, counts, displs, MPI_BYTE,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
        fb_mpi_abort (1, "MPI_Allgatherv failed");
      for (guint r = 0; r < mpi_size; r++)
        memcpy (base + offset[r] + done, window + displs[r], (gsize) counts[r]);
    }
}
#endif

void
fb_mpi_allgather_blocks (gpointer items, guint n, gsize item_size)
{
#ifdef FB_HAVE_MPI
  g_autofree gsize *offset = NULL, *length = NULL;

  if (mpi_size == 1)
    return;
  offset = g_new (gsize, mpi_size);
  length = g_new (gsize, mpi_size);
  for (guint r = 0; r < mpi_size; r++)
    {
      guint lo, hi;
      fb_mpi_block (n, r, &lo, &hi);
      offset[r] = (gsize) lo * item_size;
      length[r] = (gsize) (hi - lo) * item_size;
    }
  allgather_rounds (items, offset, length);
#endif
}

void
fb_mpi_allgather_owned (gpointer items, guint n, gsize item_size, const guint *owner)
{
#ifdef FB_HAVE_MPI
  g_autofree gsize *offset = NULL, *length = NULL, *fill = NULL;
  g_autofree guint8 *packed = NULL;
  guint8 *base = items;

  if (mpi_size == 1)
    return;
  /* Every rank's items packed in item order, the ranks one after the other. */
  offset = g_new0 (gsize, mpi_size);
  length = g_new0 (gsize, mpi_size);
  fill = g_new0 (gsize, mpi_size);
  for (guint i = 0; i < n; i++)
    length[MIN (owner[i], mpi_size - 1)] += item_size;
  for (guint r = 1; r < mpi_size; r++)
    offset[r] = offset[r - 1] + length[r - 1];
  packed = g_malloc (MAX (offset[mpi_size - 1] + length[mpi_size - 1], 1));
  for (guint i = 0; i < n; i++)
    if (MIN (owner[i], mpi_size - 1) == mpi_rank)
      {
        memcpy (packed + offset[mpi_rank] + fill[mpi_rank], base + (gsize) i * item_size, item_size);
        fill[mpi_rank] += item_size;
      }
  allgather_rounds (packed, offset, length);
  memset (fill, 0, mpi_size * sizeof (gsize));
  for (guint i = 0; i < n; i++)
    {
      guint r = MIN (owner[i], mpi_size - 1);
      memcpy (base + (gsize) i * item_size, packed + offset[r] + fill[r], item_size);
      fill[r] += item_size;
    }
#endif
}

GPtrArray *
fb_mpi_allgather_bytes (GBytes *mine)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
#ifdef FB_HAVE_MPI
  g_autofree guint64 *sizes = NULL;
  g_autofree gsize *offset = NULL, *length = NULL;
  g_autofree guint8 *packed = NULL;
  gsize total = 0;

  if (mpi_size > 1)
    {
      /* First every rank's size, then the bytes, packed in rank order. */
      sizes = g_new0 (guint64, mpi_size);
      sizes[mpi_rank] = g_bytes_get_size (mine);
      fb_mpi_allgather_blocks (sizes, mpi_size, sizeof (guint64));
      offset = g_new0 (gsize, mpi_size);
      length = g_new0 (gsize, mpi_size);
      for (guint r = 0; r < mpi_size; r++)
        {
          offset[r] = total;
          length[r] = (gsize) sizes[r];
          total += length[r];
        }
      packed = g_malloc (MAX (total, 1));
      if (length[mpi_rank] > 0)
        memcpy (packed + offset[mpi_rank], g_bytes_get_data (mine, NULL), length[mpi_rank]);
      allgather_rounds (packed, offset, length);
      for (guint r = 0; r < mpi_size; r++)
        g_ptr_array_add (all, g_bytes_new (packed + offset[r], length[r]));
      return all;
    }
#endif
  g_ptr_array_add (all, g_bytes_ref (mine));
  return all;
}

gboolean
fb_mpi_owns_block (guint item, guint n, gpointer user_data)
{
  return fb_mpi_block_owner (n, item) == mpi_rank;
}

void
fb_mpi_exchange_blocks (gpointer items, guint n, gsize item_size, gpointer user_data)
{
  fb_mpi_allgather_blocks (items, n, item_size);
}

guint64
fb_mpi_allreduce_sum (guint64 value)
{
#ifdef FB_HAVE_MPI
  guint64 sum = value;
  if (mpi_size > 1 && MPI_Allreduce (&value, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD)
                        != MPI_SUCCESS)
    fb_mpi_abort (1, "MPI_Allreduce failed");
  return sum;
#else
  return value;
#endif
}

void
fb_mpi_abort (int status, const char *message)
{
  if (mpi_size > 1 && mpi_rank != 0)
    g_usleep (G_USEC_PER_SEC / 2);
  if (message != NULL)
    {
      fprintf (stderr, "freebits-cli: %s%s\n", prefix, message);
      fflush (stderr);
    }
#ifdef FB_HAVE_MPI
  if (mpi_size > 1)
    MPI_Abort (MPI_COMM_WORLD, status);
#endif
  exit (status);
}

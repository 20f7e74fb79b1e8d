/* fb-diff-split.c — the differentiable λ sweep over the ranks of an MPI run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-diff-split.h"
#include "fb-error.h"
#include "fb-json.h"
#include "fb-mpi.h"

/* The sweep of this rank's λ block: results packed, progress passed on. */
typedef struct {
  GByteArray               *out;
  FbDiffSearchProgressFunc  progress_func;
  gpointer                  user_data;
} Block;

static void
block_progress (double fraction, const char *message, gpointer user_data)
{
  Block *b = user_data;

  if (b->progress_func != NULL)
    b->progress_func (fraction, message, b->user_data);
}

/* This rank's results, packed as records: the FbDiffSearchResult, the
 * length of the config's JSON text, the text (with its NUL). */
static void
pack_result (FbPrecisionConfig *config, const FbDiffSearchResult *result, gpointer user_data)
{
  GByteArray *out = ((Block *) user_data)->out;
  g_autoptr(JsonNode) node = fb_precision_config_to_json (config);
  g_autofree char *text = json_to_string (node, FALSE);
  guint64 length = strlen (text) + 1;

  g_byte_array_append (out, (const guint8 *) result, sizeof *result);
  g_byte_array_append (out, (const guint8 *) &length, sizeof length);
  g_byte_array_append (out, (const guint8 *) text, (guint) length);
}

/* Every rank's records, in rank order (= λ order), to @result_func. */
static gboolean
unpack_results (FbNetwork *net, GPtrArray *all, FbDiffSearchResultFunc result_func, gpointer user_data,
                GError **error)
{
  for (guint r = 0; r < all->len; r++)
    {
      gsize size;
      const guint8 *at = g_bytes_get_data (g_ptr_array_index (all, r), &size);
      const guint8 *end = at + size;

      while (at < end)
        {
          FbDiffSearchResult result;
          guint64 length;
          g_autoptr(JsonNode) node = NULL;
          g_autoptr(FbPrecisionConfig) config = NULL;

          memcpy (&result, at, sizeof result);
          memcpy (&length, at + sizeof result, sizeof length);
          at += sizeof result + sizeof length;
          node = json_from_string ((const char *) at, error);
          at += length;
          if (node == NULL || !(config = fb_precision_config_new_from_json (net, node, "λ sweep", error)))
            return FALSE;
          if (result_func != NULL)
            result_func (config, &result, user_data);
        }
    }
  return TRUE;
}

gboolean
fb_diff_split_sweep (const FbDiffSweep *sweep, GError **error)
{
  guint size = fb_mpi_get_size (), lo, hi;
  g_autoptr(GByteArray) mine = NULL;
  g_autoptr(GBytes) packed = NULL;
  g_autoptr(GPtrArray) all = NULL;

  if (size == 1)
    return fb_diff_search_sweep (sweep, error);
  if (sweep->n_lambdas < size)
    {
      /* Fewer λ than ranks: every rank steps through every λ, on its shards. */
      const FbTrainerShardSplit split = { fb_mpi_owns_block, fb_mpi_exchange_blocks, NULL };
      FbDiffSearchOptions o = *sweep->options;
      FbDiffSweep s = *sweep;

      o.split = &split;
      s.options = &o;
      return fb_diff_search_sweep (&s, error);
    }
  fb_mpi_block (sweep->n_lambdas, fb_mpi_get_rank (), &lo, &hi);
  {
    Block b = { g_byte_array_new (), sweep->progress_func, sweep->user_data };
    FbDiffSweep s = *sweep;

    mine = b.out;
    s.lambdas = sweep->lambdas + lo;
    s.n_lambdas = hi - lo;
    s.result_func = pack_result;
    s.progress_func = block_progress;
    s.user_data = &b;
    if (!fb_diff_search_sweep (&s, error))
      return FALSE;
  }
  packed = g_byte_array_free_to_bytes (g_steal_pointer (&mine));
  all = fb_mpi_allgather_bytes (packed);
  return unpack_results (sweep->network, all, sweep->result_func, sweep->user_data, error);
}

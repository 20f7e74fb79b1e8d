/* fb-sweep-export.c — a search exported as a folder to run on a cluster.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <math.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-file.h"
#include "fb-json.h"
#include "fb-sweep-export.h"

#define DEFAULT_RANKS 4

/* ---- the search's options --------------------------------------------------- */

static void
add_option (GPtrArray *args, const char *option, char *value)
{
  g_ptr_array_add (args, g_strdup (option));
  g_ptr_array_add (args, value);
}

static char *
number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

static void
add_diff_args (GPtrArray *a, const FbSearchParams *p, const FbSearchParams *d)
{
  gboolean same = p->n_lambdas == d->n_lambdas;

  for (guint i = 0; same && i < p->n_lambdas; i++)
    same = p->lambdas[i] == d->lambdas[i];
  if (p->diff_cost != d->diff_cost)
    add_option (a, "--cost", g_strdup (fb_diff_cost_to_string (p->diff_cost)));
  if (!same && p->n_lambdas > 0)
    {
      g_autoptr(GString) list = g_string_new (NULL);
      for (guint i = 0; i < p->n_lambdas; i++)
        {
          g_autofree char *v = number (p->lambdas[i]);
          g_string_append_printf (list, "%s%s", i ? "," : "", v);
        }
      add_option (a, "--lambdas", g_strdup (list->str));
    }
  if (p->diff_steps != 0 && p->diff_steps != d->diff_steps)
    add_option (a, "--steps", g_strdup_printf ("%u", p->diff_steps));
  if (p->diff_batch != 0 && p->diff_batch != d->diff_batch)
    add_option (a, "--batch", g_strdup_printf ("%u", p->diff_batch));
  if (p->diff_lr != 0 && p->diff_lr != d->diff_lr)
    add_option (a, "--lr", number (p->diff_lr));
  if (p->diff_seed != d->diff_seed)
    add_option (a, "--seed", g_strdup_printf ("%u", p->diff_seed));
  if (p->diff_limit_train != 0)
    add_option (a, "--limit-train", g_strdup_printf ("%u", p->diff_limit_train));
  if (p->diff_shards != 0)
    add_option (a, "--shards", g_strdup_printf ("%u", p->diff_shards));
}

char **
fb_sweep_export_search_args (const FbSearchParams *p)
{
  const FbSearchMethodInfo *info = fb_search_method_get_info (p->method);
  const FbSearchConstraints *c = &p->constraints;
  GPtrArray *a = g_ptr_array_new ();
  FbSearchParams d;

  fb_search_params_init (&d, p->method);
  add_option (a, "--method", g_strdup (info->nick));
  if (isfinite (c->max_latency))
    add_option (a, "--max-latency", number (c->max_latency));
  if (c->max_size > 0)
    add_option (a, "--max-size", g_strdup_printf ("%" G_GUINT64_FORMAT, c->max_size));
  if (c->max_ram > 0)
    add_option (a, "--max-ram", g_strdup_printf ("%" G_GUINT64_FORMAT, c->max_ram));
  if (!isnan (c->min_accuracy))
    add_option (a, "--min-accuracy", number (c->min_accuracy));
  if ((info->takes & FB_SEARCH_TAKES_TOLERANCE) && p->tolerance != d.tolerance)
    add_option (a, "--tolerance", number (p->tolerance));
  if ((info->takes & FB_SEARCH_TAKES_LOWERING) && p->lower)
    {
      add_option (a, "--max-accuracy-drop", number (p->max_accuracy_drop));
      if (p->min_gain != d.min_gain)
        add_option (a, "--min-gain", number (p->min_gain));
    }
  if ((info->takes & FB_SEARCH_TAKES_OBJECTIVES) && p->objectives != d.objectives)
    add_option (a, "--objectives", fb_pareto_objectives_to_string (p->objectives));
  if ((info->takes & FB_SEARCH_TAKES_EPSILON) && fb_pareto_objectives_count (p->objectives) >= 3)
    add_option (a, "--epsilon", number (p->epsilon));
  if (info->takes & FB_SEARCH_TAKES_DIFF)
    add_diff_args (a, p, &d);
  if (p->accuracy_limit >= 0)
    add_option (a, "--limit", g_strdup_printf ("%d", p->accuracy_limit));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

/* ---- the folder ---------------------------------------------------------------- */

/* Removes @path and everything under it (a failed export's temporary folder). */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Copies the file or folder @from to @to (a folder: recursively). */
static gboolean
copy_tree (const char *from, const char *to, GError **error)
{
  g_autoptr(GFile) src = g_file_new_for_path (from);
  g_autoptr(GFile) dst = g_file_new_for_path (to);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (from, G_FILE_TEST_IS_DIR))
    return g_file_copy (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error);
  if (g_mkdir (to, 0755) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", to, g_strerror (errno));
      return FALSE;
    }
  if (!(dir = g_dir_open (from, 0, error)))
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *a = g_build_filename (from, name, NULL);
      g_autofree char *b = g_build_filename (to, name, NULL);
      if (!copy_tree (a, b, error))
        return FALSE;
    }
  return TRUE;
}

/* The commands of the sweep and the files they write. */
typedef struct {
  GPtrArray *commands;   /* GStrv */
  GPtrArray *results;    /* char *, relative to the folder */
} Plan;

static void
plan_add (Plan *plan, GPtrArray *argv, const char *result)
{
  g_ptr_array_add (argv, NULL);
  g_ptr_array_add (plan->commands, g_ptr_array_free (argv, FALSE));
  g_ptr_array_add (plan->results, g_strdup (result));
}

/* "freebits-cli COMMAND inputs/network.json" and the inputs every command shares. */
static GPtrArray *
command_new (const char *command, const char *const *inputs)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_strdup ("freebits-cli"));
  g_ptr_array_add (argv, g_strdup (command));
  g_ptr_array_add (argv, g_strdup ("inputs/network.json"));
  for (guint i = 0; inputs[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (inputs[i]));
  return argv;
}

static void
plan_make (Plan *plan, const FbSweepExportOptions *o, const char *const *inputs, const char *table)
{
  const char *nick = fb_search_method_to_nick (o->params->method);
  g_autofree char *first = g_strdup_printf ("results/%s.json", nick);
  g_auto(GStrv) search = fb_sweep_export_search_args (o->params);
  GPtrArray *argv = command_new ("search", inputs);
  const char *last = first;

  for (guint i = 0; search[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (search[i]));
  if (o->start != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--config"));
      g_ptr_array_add (argv, g_strdup ("inputs/start.json"));
    }
  g_ptr_array_add (argv, g_strdup ("-o"));
  g_ptr_array_add (argv, g_strdup (first));
  plan_add (plan, argv, first);
  /* The paper's two stages: Free Bits from every config of the λ sweep. */
  if (o->params->method == FB_SEARCH_METHOD_DIFF && table != NULL)
    {
      argv = command_new ("search", inputs);
      for (const char *const *s = (const char *const[]) { "--method", "free-bits", "--starts", first, "-o",
                                                           "results/free-bits.json", NULL }; *s; s++)
        g_ptr_array_add (argv, g_strdup (*s));
      plan_add (plan, argv, "results/free-bits.json");
      last = "results/free-bits.json";
    }
  /* The final accuracy, on the whole test set. */
  if (o->weights_path != NULL)
    {
      g_autofree char *full = g_strndup (last, strlen (last) - strlen (".json"));
      g_autofree char *out = g_strconcat (full, "-full.json", NULL);
      argv = command_new ("eval", inputs);
      for (const char *const *s = (const char *const[]) { "--configs", last, "-o", out, NULL }; *s; s++)
        g_ptr_array_add (argv, g_strdup (*s));
      plan_add (plan, argv, out);
    }
}

/* @arg as the shell reads it: quoted only when it has to be. */
static char *
shell_word (const char *arg)
{
  const char *safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./,:=+-";

  return arg[0] != '\0' && strspn (arg, safe) == strlen (arg) ? g_strdup (arg) : g_shell_quote (arg);
}

static char *
quote_line (char **argv, const char *prefix)
{
  g_autoptr(GString) line = g_string_new (prefix);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *q = shell_word (argv[i]);
      g_string_append_printf (line, "%s%s", line->len ? " " : "",
                              i == 0 && prefix[0] != '\0' ? "\"$FREEBITS_CLI\"" : i == 0 ? argv[i] : q);
    }
  g_string_append_c (line, '\n');
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static gboolean
write_text (const char *dir, const char *name, const char *text, int mode, GError **error)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  return fb_file_write_atomic (p, text, strlen (text), mode, error);
}

static JsonNode *
manifest (const Plan *plan, guint ranks)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-sweep/1");
  fb_json_add_string (b, "network", "inputs/network.json");
  fb_json_add_int (b, "ranks", ranks);
  json_builder_set_member_name (b, "commands");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->commands->len; i++)
    {
      char **argv = g_ptr_array_index (plan->commands, i);
      json_builder_begin_array (b);
      for (guint k = 0; argv[k] != NULL; k++)
        json_builder_add_string_value (b, argv[k]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->results->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (plan->results, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* commands.txt, run.sh, freebits.sbatch and sweep.json into @dir. */
static gboolean
write_scripts (const char *dir, const Plan *plan, guint ranks, GError **error)
{
  g_autoptr(GString) commands = g_string_new (NULL);
  g_autoptr(GString) run = g_string_new (NULL);
  g_autofree char *sbatch = NULL, *json_path = g_build_filename (dir, "sweep.json", NULL);
  g_autoptr(JsonNode) root = manifest (plan, ranks);

  g_string_append_printf (run,
                          "#!/bin/sh\n"
                          "# freebits sweep: each command on %u MPI ranks (LAUNCH=\"srun\" under Slurm,\n"
                          "# LAUNCH=\"\" for one process; FREEBITS_CLI: the program). Results go to results/.\n"
                          "set -e\n"
                          "cd \"$(dirname \"$0\")\"\n"
                          "LAUNCH=${LAUNCH-\"mpirun -n %u\"}\n"
                          "FREEBITS_CLI=${FREEBITS_CLI:-freebits-cli}\n"
                          "mkdir -p results\n", ranks, ranks);
  for (guint i = 0; i < plan->commands->len; i++)
    {
      g_autofree char *plain = quote_line (g_ptr_array_index (plan->commands, i), "");
      g_autofree char *launched = quote_line (g_ptr_array_index (plan->commands, i), "$LAUNCH");
      g_string_append (commands, plain);
      g_string_append (run, launched);
    }
  sbatch = g_strdup_printf ("#!/bin/sh\n"
                            "#SBATCH --job-name=freebits-sweep\n"
                            "#SBATCH --ntasks=%u\n"
                            "#SBATCH --output=results/slurm-%%j.log\n"
                            "# sbatch freebits.sbatch (from this folder); then copy the folder back and\n"
                            "# open it in freebits: Open Cluster Results.\n"
                            "LAUNCH=srun sh ./run.sh\n", ranks);
  return write_text (dir, "commands.txt", commands->str, 0644, error) &&
         write_text (dir, "run.sh", run->str, 0755, error) &&
         write_text (dir, "freebits.sbatch", sbatch, 0644, error) &&
         fb_json_save_file (root, json_path, error);
}

/* The inputs into @tmp/inputs; their options into @inputs. */
static gboolean
write_inputs (const FbSweepExportOptions *o, const char *tmp, GPtrArray *inputs, char **table_out,
              GError **error)
{
  g_autofree char *in = g_build_filename (tmp, "inputs", NULL);
  g_autofree char *net = g_build_filename (in, "network.json", NULL);

  if (!fb_network_save (o->network, net, error))
    return FALSE;
  if (o->table != NULL)
    {
      g_autofree char *target = g_strcanon (g_strdup (fb_latency_table_get_target (o->table)),
                                            G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "-_", '_');
      g_autofree char *name = g_strdup_printf ("latency-%s.json", target);
      g_autofree char *p = g_build_filename (in, name, NULL);
      if (!fb_latency_table_save (o->table, p, error))
        return FALSE;
      *table_out = g_strconcat ("inputs/", name, NULL);
      g_ptr_array_add (inputs, g_strdup ("-l"));
      g_ptr_array_add (inputs, g_strdup (*table_out));
    }
  if (o->start != NULL)
    {
      g_autofree char *p = g_build_filename (in, "start.json", NULL);
      if (!fb_precision_config_save (o->start, p, error))
        return FALSE;
    }
  if (o->weights_path != NULL)
    {
      g_autofree char *p = g_build_filename (in, "weights.fbw", NULL);
      if (!copy_tree (o->weights_path, p, error))
        return FALSE;
      g_ptr_array_add (inputs, g_strdup ("--weights"));
      g_ptr_array_add (inputs, g_strdup ("inputs/weights.fbw"));
    }
  if (o->data_path != NULL)
    {
      g_autofree char *base = g_path_get_basename (o->data_path);
      g_autofree char *data = g_build_filename (in, "data", NULL);
      g_autofree char *p = g_build_filename (data, base, NULL);
      if (g_mkdir (data, 0755) != 0 || !copy_tree (o->data_path, p, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", data, g_strerror (errno));
          return FALSE;
        }
      g_ptr_array_add (inputs, g_strdup ("--data"));
      g_ptr_array_add (inputs, g_strconcat ("inputs/data/", base, NULL));
    }
  g_ptr_array_add (inputs, NULL);
  return TRUE;
}

/* @dir may be replaced: absent, or an empty folder. */
static gboolean
check_target (const char *dir, GError **error)
{
  g_autoptr(GDir) d = NULL;

  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) || !(d = g_dir_open (dir, 0, NULL)) || g_dir_read_name (d) != NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: exists and is not an empty folder", dir);
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_sweep_export_write (const FbSweepExportOptions *o, const char *dir, GError **error)
{
  g_autofree char *tmp = NULL, *results = NULL, *inputs_dir = NULL, *table = NULL;
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  Plan plan = { NULL, NULL };   /* made once the folder is there (no early return leaks it) */
  guint ranks = o->ranks > 0 ? o->ranks : DEFAULT_RANKS;
  gboolean ok;

  g_return_val_if_fail (o->network != NULL && o->params != NULL && dir != NULL, FALSE);
  if (!check_target (dir, error))
    return FALSE;
  {
    /* ".NAME.fb-tmp-XXXXXX" next to it, as every freebits write. */
    g_autofree char *parent = g_path_get_dirname (dir), *base = g_path_get_basename (dir);
    g_autofree char *name = g_strconcat (".", base, ".fb-tmp-XXXXXX", NULL);
    tmp = g_build_filename (parent, name, NULL);
  }
  if (g_mkdtemp (tmp) == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  plan.commands = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  plan.results = g_ptr_array_new_with_free_func (g_free);
  results = g_build_filename (tmp, "results", NULL);
  inputs_dir = g_build_filename (tmp, "inputs", NULL);
  ok = g_mkdir (results, 0755) == 0 && g_mkdir (inputs_dir, 0755) == 0;
  if (!ok)
    g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", tmp, g_strerror (errno));
  ok = ok && write_inputs (o, tmp, inputs, &table, error);
  if (ok)
    plan_make (&plan, o, (const char *const *) inputs->pdata, table);
  ok = ok && write_scripts (tmp, &plan, ranks, error);
  if (ok && g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_rmdir (dir);
  if (ok && g_rename (tmp, dir) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", dir, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    remove_tree (tmp);
  g_ptr_array_unref (plan.commands);
  g_ptr_array_unref (plan.results);
  return ok;
}

GPtrArray *
fb_sweep_export_list_results (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "sweep.json", NULL);
  g_autoptr(JsonNode) root = fb_json_load_file (path, error);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  JsonObject *obj;
  JsonArray *results = NULL;

  if (root == NULL || !(obj = fb_json_root_object (root, "freebits-sweep", path, error)) ||
      !fb_json_get_array (obj, "results", path, TRUE, &results, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonNode *node = json_array_get_element (results, i);
      const char *name = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                           ? json_node_get_string (node) : NULL;
      g_autofree char *p = NULL;
      if (name == NULL || g_path_is_absolute (name) || strstr (name, "..") != NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s: field \"results\" [%u]: expected a relative path",
                       path, i);
          return NULL;
        }
      p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (found, g_steal_pointer (&p));
    }
  return g_steal_pointer (&found);
}

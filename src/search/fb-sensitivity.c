/* fb-sensitivity.c — per-entry accuracy drops measured through an oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-json.h"
#include "fb-mpi.h"
#include "fb-sensitivity.h"

struct _FbSensitivity {
  gatomicrefcount ref;
  FbNetwork      *network;
  double          baseline;
  guint           limit;
  char           *oracle_name;
  double         *wdrop;   /* [layer][code]: code 0 = 8, 1 = 4, 2 = 2 bits */
  double         *adrop;   /* [tensor][code] */
};

static int
code_of (guint bits)
{
  return bits == 4 ? 1 : bits == 2 ? 2 : bits == 8 ? 0 : -1;
}

FbSensitivity *
fb_sensitivity_new (FbNetwork *network, double baseline, guint limit, const char *oracle_name)
{
  FbSensitivity *self = g_new0 (FbSensitivity, 1);

  g_atomic_ref_count_init (&self->ref);
  self->network = fb_network_ref (network);
  self->baseline = baseline;
  self->limit = limit;
  self->oracle_name = g_strdup (oracle_name ? oracle_name : "unknown");
  self->wdrop = g_new0 (double, (gsize) fb_network_get_n_layers (network) * 3);
  self->adrop = g_new0 (double, (gsize) fb_network_get_n_tensors (network) * 3);
  return self;
}

FbSensitivity *
fb_sensitivity_ref (FbSensitivity *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_sensitivity_unref (FbSensitivity *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  fb_network_unref (self->network);
  g_free (self->oracle_name);
  g_free (self->wdrop);
  g_free (self->adrop);
  g_free (self);
}

FbNetwork *fb_sensitivity_get_network  (FbSensitivity *self) { return self->network; }
double     fb_sensitivity_get_baseline (FbSensitivity *self) { return self->baseline; }
guint      fb_sensitivity_get_limit    (FbSensitivity *self) { return self->limit; }

void
fb_sensitivity_set_weight_drop (FbSensitivity *self, guint layer, guint bits, double drop)
{
  int c = code_of (bits);
  g_return_if_fail (c > 0 && layer < fb_network_get_n_layers (self->network));
  self->wdrop[layer * 3 + c] = MAX (drop, 0.0);
}

void
fb_sensitivity_set_tensor_drop (FbSensitivity *self, guint tensor, guint bits, double drop)
{
  int c = code_of (bits);
  g_return_if_fail (c > 0 && tensor < fb_network_get_n_tensors (self->network));
  self->adrop[tensor * 3 + c] = MAX (drop, 0.0);
}

double
fb_sensitivity_get_weight_drop (FbSensitivity *self, guint layer, guint bits)
{
  int c = code_of (bits);
  return c > 0 ? self->wdrop[layer * 3 + c] : 0.0;
}

double
fb_sensitivity_get_tensor_drop (FbSensitivity *self, guint tensor, guint bits)
{
  int c = code_of (bits);
  return c > 0 ? self->adrop[tensor * 3 + c] : 0.0;
}

double
fb_sensitivity_estimate_drop (FbSensitivity *self, FbPrecisionConfig *config)
{
  FbNetwork *net = self->network;
  double sum = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      sum += fb_sensitivity_get_weight_drop (self, i, fb_precision_config_get_weight_bits (config, i));
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      sum += fb_sensitivity_get_tensor_drop (self, t, fb_precision_config_get_tensor_bits (config, t));
  return sum;
}

/* One evaluation of fb_sensitivity_measure: all-8 with one entry lowered
 * (@bits 8: the baseline itself). */
typedef struct {
  gboolean weight;
  guint    entry;
  guint    bits;
} Probe;

static GArray *
sensitivity_probes (FbNetwork *net)
{
  static const guint lower[] = { 4, 2 };
  GArray *probes = g_array_new (FALSE, FALSE, sizeof (Probe));
  Probe base = { TRUE, 0, 8 };

  g_array_append_val (probes, base);
  for (guint pass = 0; pass < 2; pass++)
    for (guint e = 0; e < (pass == 0 ? fb_network_get_n_layers (net) : fb_network_get_n_tensors (net)); e++)
      {
        gboolean weight = pass == 0;

        if (weight && !fb_layer_is_weighted (fb_network_get_layer (net, e)))
          continue;
        if (!weight && fb_network_get_tensor (net, e)->kind != FB_TENSOR_ACTIVATION)
          continue;
        for (guint k = 0; k < 2; k++)
          {
            Probe p = { weight, e, lower[k] };
            /* The packing cannot hold it: never chosen, drop stays 0. */
            if (weight ? fb_network_layer_admits_weight_bits (net, e, lower[k])
                       : fb_network_tensor_admits_bits (net, e, lower[k]))
              g_array_append_val (probes, p);
          }
      }
  return probes;
}

/* Under mpirun each rank evaluates its block of the probes and the
 * accuracies are all-gathered in probe order (as fb-accuracy-split.h). */
FbSensitivity *
fb_sensitivity_measure (FbAccuracyOracle *oracle, guint limit, FbSearchProgressFunc progress_func,
                        gpointer user_data, GCancellable *cancellable, GError **error)
{
  FbNetwork *net = fb_accuracy_oracle_get_network (oracle);
  g_autoptr(GArray) probes = sensitivity_probes (net);
  g_autofree double *acc = g_new0 (double, probes->len);
  g_autoptr(FbSensitivity) self = NULL;
  guint lo, hi;

  fb_mpi_block (probes->len, fb_mpi_get_rank (), &lo, &hi);
  for (guint i = lo; i < hi; i++)
    {
      const Probe *p = &g_array_index (probes, Probe, i);
      g_autoptr(FbPrecisionConfig) c = fb_precision_config_new (net);

      if (progress_func && i > 0)
        {
          g_autofree char *msg = g_strdup_printf ("sensitivity: %s %s at %u bits",
                                                  p->weight ? fb_network_get_layer (net, p->entry)->name
                                                            : fb_network_get_tensor (net, p->entry)->name,
                                                  p->weight ? "weights" : "activations", p->bits);
          progress_func ((double) (i - lo) / MAX (hi - lo, 1), msg, user_data);
        }
      if (p->weight && p->bits != 8)
        fb_precision_config_set_weight_bits (c, p->entry, p->bits);
      else if (p->bits != 8)
        fb_precision_config_set_tensor_bits (c, p->entry, p->bits);
      if (!fb_accuracy_oracle_evaluate (oracle, c, limit, cancellable, &acc[i], error))
        return NULL;
    }
  fb_mpi_allgather_blocks (acc, probes->len, sizeof (double));
  self = fb_sensitivity_new (net, acc[0], limit, fb_accuracy_oracle_get_name (oracle));
  for (guint i = 1; i < probes->len; i++)
    {
      const Probe *p = &g_array_index (probes, Probe, i);
      if (p->weight)
        fb_sensitivity_set_weight_drop (self, p->entry, p->bits, acc[0] - acc[i]);
      else
        fb_sensitivity_set_tensor_drop (self, p->entry, p->bits, acc[0] - acc[i]);
    }
  if (progress_func)
    progress_func (1.0, "sensitivity: done", user_data);
  return g_steal_pointer (&self);
}

static JsonObject *
drops_object (const double *d)
{
  JsonObject *o = json_object_new ();
  json_object_set_double_member (o, "4", d[1]);
  json_object_set_double_member (o, "2", d[2]);
  return o;
}

JsonObject *
fb_sensitivity_to_json (FbSensitivity *self)
{
  FbNetwork *net = self->network;
  JsonObject *obj = json_object_new ();
  JsonObject *w = json_object_new (), *a = json_object_new ();

  json_object_set_string_member (obj, "oracle", self->oracle_name);
  json_object_set_int_member (obj, "limit", self->limit);
  json_object_set_double_member (obj, "baseline", self->baseline);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      json_object_set_object_member (w, fb_network_get_layer (net, i)->name, drops_object (&self->wdrop[i * 3]));
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      json_object_set_object_member (a, fb_network_get_tensor (net, t)->name, drops_object (&self->adrop[t * 3]));
  json_object_set_object_member (obj, "weights", w);
  json_object_set_object_member (obj, "activations", a);
  return obj;
}

static gboolean
read_drops (JsonObject *entries, const char *name, const char *where, double *d, GError **error)
{
  JsonObject *o = NULL;
  g_autofree char *w = g_strdup_printf ("%s \"%s\"", where, name);
  static const char *known[] = { "4", "2", NULL };

  if (!fb_json_get_object (entries, name, where, TRUE, &o, error) ||
      !fb_json_check_members (o, w, known, error) ||
      !fb_json_get_number (o, "4", w, TRUE, &d[1], error) ||
      !fb_json_get_number (o, "2", w, TRUE, &d[2], error))
    return FALSE;
  if (!(d[1] >= 0 && d[1] <= 1 && d[2] >= 0 && d[2] <= 1))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: drops must be fractions in [0, 1]"), w);
      return FALSE;
    }
  return TRUE;
}

FbSensitivity *
fb_sensitivity_new_from_json (FbNetwork *network, JsonObject *obj, const char *where, GError **error)
{
  static const char *known[] = { "oracle", "limit", "baseline", "weights", "activations", NULL };
  g_autoptr(FbSensitivity) self = NULL;
  const char *oracle = NULL;
  gint64 limit = 0;
  double base = NAN;
  JsonObject *w = NULL, *a = NULL;

  if (!fb_json_check_members (obj, where, known, error) ||
      !fb_json_get_string (obj, "oracle", where, FALSE, &oracle, error) ||
      !fb_json_get_int (obj, "limit", where, TRUE, 0, G_MAXUINT32, &limit, error) ||
      !fb_json_get_number (obj, "baseline", where, TRUE, &base, error) ||
      !fb_json_get_object (obj, "weights", where, TRUE, &w, error) ||
      !fb_json_get_object (obj, "activations", where, TRUE, &a, error))
    return NULL;
  if (!(base >= 0 && base <= 1))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"baseline\" must be a fraction in [0, 1]"), where);
      return NULL;
    }
  self = fb_sensitivity_new (network, base, (guint) limit, oracle);
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (network, i)) &&
        !read_drops (w, fb_network_get_layer (network, i)->name, where, &self->wdrop[i * 3], error))
      return NULL;
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    if (fb_network_get_tensor (network, t)->kind == FB_TENSOR_ACTIVATION &&
        !read_drops (a, fb_network_get_tensor (network, t)->name, where, &self->adrop[t * 3], error))
      return NULL;
  return g_steal_pointer (&self);
}

FbSensitivity *
fb_sensitivity_new_from_candidates (FbCandidateList *list, const char *origin, GError **error)
{
  for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
    {
      JsonObject *prov = fb_candidate_get_provenance (fb_candidate_list_get (list, i));
      if (prov && json_object_has_member (prov, "sensitivity") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (prov, "sensitivity")))
        {
          g_autofree char *where = g_strdup_printf ("%s: candidates[%u].provenance.sensitivity", origin, i);
          return fb_sensitivity_new_from_json (fb_candidate_list_get_network (list),
                                               json_object_get_object_member (prov, "sensitivity"), where, error);
        }
    }
  g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: no candidate carries a \"sensitivity\" in its provenance "
                 "(write one with search --objectives ...,accuracy -o FILE)"), origin);
  return NULL;
}

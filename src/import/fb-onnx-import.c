/* fb-onnx-import.c — FbOnnxGraph → network JSON + FbWeights.
 *
 * How the float parameters are written, so that the trainer's float
 * forward (fb-trainer.h: conv → batch norm → ReLU; linear with bias)
 * computes what the ONNX model computes:
 * - conv/depthwise have no bias in freebits; their batch norm carries it.
 *   With a BatchNormalization in the model (γ, β, μ, σ², ε): γ, β,
 *   μ − b (b the conv's bias), σ² + ε − FB_NN_BN_EPS. Without one (PyTorch
 *   folds batch norm into the conv when exporting in eval mode): γ = 1,
 *   β = 0, μ = −b, σ² = 1 − FB_NN_BN_EPS, an identity plus the bias.
 * - linear layers carry weight and bias; a BatchNormalization after one is
 *   folded into both (fb-onnx-convert.c).
 * - a Clip(0, max) (ReLU6) keeps its bound as the tensor ("layer",
 *   "relu_max") [1]; see docs/import.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-json.h"
#include "fb-nn-ops.h"
#include "fb-onnx-convert.h"
#include "fb-onnx-import.h"

struct _FbOnnxImport {
  JsonNode  *json;       /* the network, without its "weights" field */
  FbNetwork *network;
  FbWeights *weights;
  GPtrArray *notes;      /* char*, NULL-terminated */
};

void
fb_onnx_import_options_init (FbOnnxImportOptions *options)
{
  memset (options, 0, sizeof *options);
}

void
fb_onnx_import_free (FbOnnxImport *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->json, json_node_unref);
  g_clear_pointer (&self->network, fb_network_unref);
  g_clear_pointer (&self->weights, fb_weights_unref);
  g_ptr_array_unref (self->notes);
  g_free (self);
}

FbNetwork *fb_onnx_import_get_network (FbOnnxImport *self) { return self->network; }
FbWeights *fb_onnx_import_get_weights (FbOnnxImport *self) { return self->weights; }
const char * const *fb_onnx_import_get_notes (FbOnnxImport *self) { return (const char * const *) self->notes->pdata; }

static void
add_note (FbOnnxImport *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
add_note (FbOnnxImport *self, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_insert (self->notes, self->notes->len - 1, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

/* ---------------------------------------------------------------------------
 * input normalization */

static double
per_channel (const double *v, guint n, guint c)
{
  return n == 1 ? v[0] : v[c];
}

/* x' = (x − m[c]) / s[c] folded into the one layer reading the input:
 * its weights divided by s[c], its bias lowered by Σ w·m[c]/s[c]. */
static gboolean
fold_normalization (FbOnnxImport *self, FbOnnxGraph *g, const FbOnnxImportOptions *o, const char *origin,
                    GError **error)
{
  guint channels = g->input_c, n_readers = 0;
  FbOnnxLayer *l = NULL;

  if (o->n_mean == 0 && o->n_std == 0)
    return TRUE;
  if ((o->n_mean != 0 && o->n_mean != 1 && o->n_mean != channels) ||
      (o->n_std != 0 && o->n_std != 1 && o->n_std != channels))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: --mean and --std need 1 or %u values (one per input channel)"),
                   origin, channels);
      return FALSE;
    }
  for (guint i = 0; i < o->n_std; i++)
    if (!(o->std[i] > 0))
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: --std value %g is not positive"), origin, o->std[i]);
        return FALSE;
      }
  for (guint i = 0; i < g->layers->len; i++)
    {
      FbOnnxLayer *li = g_ptr_array_index (g->layers, i);
      for (guint j = 0; j < li->n_inputs; j++)
        if (li->inputs[j] == -1)
          n_readers++, l = li;
    }
  if (n_readers != 1 || l->op == FB_ONNX_ADD || l->op == FB_ONNX_GLOBAL_AVG_POOL ||
      l->op == FB_ONNX_AVG_POOL || l->op == FB_ONNX_MAX_POOL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("%s: --mean/--std fold into the one conv or linear layer that "
                     "reads the input; this model's input is read by %u layer(s)%s"), origin, n_readers,
                   n_readers == 1 ? " that has no weights" : "");
      return FALSE;
    }
  {
    guint per_out = l->n_weight / (l->op == FB_ONNX_DEPTHWISE ? 1 : l->cout);
    for (guint oc = 0; oc < (l->op == FB_ONNX_DEPTHWISE ? 1 : l->cout); oc++)
      for (guint k = 0; k < per_out; k++)
        {
          /* The input channel of weight k: innermost in every freebits layout. */
          guint ch = k % channels;
          guint out = l->op == FB_ONNX_DEPTHWISE ? ch : oc;
          double s = o->n_std ? per_channel (o->std, o->n_std, ch) : 1.0;
          double m = o->n_mean ? per_channel (o->mean, o->n_mean, ch) : 0.0;
          float *w = &l->weight[oc * per_out + k];
          *w = *w / s;
          l->bias[out] -= *w * m;
        }
  }
  if (l->pad[0] + l->pad[1] + l->pad[2] + l->pad[3] > 0 && o->n_mean > 0)
    add_note (self, "%s: layer \"%s\": --mean is folded exactly except at the zero-padded border: the model padded "
              "the normalized input with 0, the folded network pads the raw input with 0 (= -mean/std normalized)",
              origin, l->name);
  return TRUE;
}

/* ---------------------------------------------------------------------------
 * network JSON */

static const char *
op_name (FbOnnxOp op)
{
  static const char *names[] = { "conv2d", "depthwise_conv2d", "linear", "add", "global_avg_pool",
                                 "avg_pool2d", "max_pool2d" };
  return names[op];
}

static void
add_ints (JsonBuilder *b, const char *member, const guint *v, guint n)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

static const char *
tensor_name (FbOnnxGraph *g, int producer)
{
  return producer < 0 ? g->input_name : ((FbOnnxLayer *) g_ptr_array_index (g->layers, producer))->name;
}

static void
add_layer (JsonBuilder *b, FbOnnxGraph *g, const FbOnnxLayer *l)
{
  gboolean windowed = l->op == FB_ONNX_CONV || l->op == FB_ONNX_DEPTHWISE || l->op == FB_ONNX_AVG_POOL ||
                      l->op == FB_ONNX_MAX_POOL;

  json_builder_begin_object (b);
  fb_json_add_string (b, "name", l->name);
  fb_json_add_string (b, "op", op_name (l->op));
  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (guint i = 0; i < l->n_inputs; i++)
    json_builder_add_string_value (b, tensor_name (g, l->inputs[i]));
  json_builder_end_array (b);
  fb_json_add_string (b, "output", l->name);
  if (windowed)
    {
      add_ints (b, "kernel", (guint[]) { l->kh, l->kw }, 2);
      add_ints (b, "stride", (guint[]) { l->sh, l->sw }, 2);
      add_ints (b, "pad", l->pad, 4);
    }
  if (l->op == FB_ONNX_CONV || l->op == FB_ONNX_LINEAR)
    fb_json_add_int (b, "cout", l->cout);
  if (l->op == FB_ONNX_AVG_POOL)
    fb_json_add_boolean (b, "count_include_pad", l->count_include_pad);
  if (l->op == FB_ONNX_CONV || l->op == FB_ONNX_DEPTHWISE || l->op == FB_ONNX_LINEAR || l->op == FB_ONNX_ADD)
    fb_json_add_boolean (b, "relu", l->relu);
  json_builder_end_object (b);
}

static JsonNode *
network_json (FbOnnxGraph *g, const char *name, const char *description, const FbOnnxImportOptions *o,
              const char *output_kind)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  double scale = o->input_scale > 0 ? o->input_scale : 1.0 / 255.0;

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-network/1");
  fb_json_add_string (b, "name", name);
  fb_json_add_string (b, "description", description);
  json_builder_set_member_name (b, "input");
  json_builder_begin_object (b);
  fb_json_add_string (b, "name", g->input_name);
  if (g->input_rank == 4)
    add_ints (b, "shape", (guint[]) { g->input_h, g->input_w, g->input_c }, 3);
  else
    add_ints (b, "shape", (guint[]) { g->input_c }, 1);
  /* Only what differs from the default (u8 pixels, 1/255, 0). */
  if (o->input_signed)
    fb_json_add_boolean (b, "signed", TRUE);
  if (fabs (scale - 1.0 / 255.0) > 1e-12)
    fb_json_add_double (b, "scale", scale);
  if (o->input_zero_point != 0)
    fb_json_add_int (b, "zero_point", o->input_zero_point);
  json_builder_end_object (b);
  if (strcmp (output_kind, "classes") != 0)
    fb_json_add_string (b, "output_kind", output_kind);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < g->layers->len; i++)
    add_layer (b, g, g_ptr_array_index (g->layers, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---------------------------------------------------------------------------
 * weights */

static void
add_conv_weights (FbWeights *w, const FbOnnxLayer *l)
{
  guint c = l->cout;
  gboolean dw = l->op == FB_ONNX_DEPTHWISE;
  guint dims[4] = { dw ? l->kh : l->cout, dw ? l->kw : l->kh, dw ? l->cout : l->kw, l->c };
  float *gamma, *beta, *mean, *var;

  memcpy (fb_weights_add (w, l->name, "weight", dw ? 3 : 4, dims), l->weight, l->n_weight * sizeof (float));
  gamma = fb_weights_add (w, l->name, "bn_gamma", 1, &c);
  beta = fb_weights_add (w, l->name, "bn_beta", 1, &c);
  mean = fb_weights_add (w, l->name, "bn_mean", 1, &c);
  var = fb_weights_add (w, l->name, "bn_var", 1, &c);
  for (guint k = 0; k < c; k++)
    {
      if (!l->has_bn)
        {
          gamma[k] = 1.0f, beta[k] = 0.0f, mean[k] = -l->bias[k], var[k] = 1.0f - FB_NN_BN_EPS;
          continue;
        }
      gamma[k] = l->bn_gamma[k];
      beta[k] = l->bn_beta[k];
      mean[k] = l->bn_mean[k] - l->bias[k];
      var[k] = (double) l->bn_var[k] + l->bn_eps - FB_NN_BN_EPS;
      if (!(var[k] > 0))
        {
          /* The model's ε is below freebits': keep the affine map, γ / √(σ² + ε). */
          gamma[k] = l->bn_gamma[k] / sqrt ((double) l->bn_var[k] + l->bn_eps);
          var[k] = 1.0f - FB_NN_BN_EPS;
        }
    }
}

static FbWeights *
make_weights (FbNetwork *network, FbOnnxGraph *g)
{
  FbWeights *w = fb_weights_new_for_network (network);

  for (guint i = 0; i < g->layers->len; i++)
    {
      const FbOnnxLayer *l = g_ptr_array_index (g->layers, i);
      guint one = 1;
      if (l->op == FB_ONNX_CONV || l->op == FB_ONNX_DEPTHWISE)
        add_conv_weights (w, l);
      else if (l->op == FB_ONNX_LINEAR)
        {
          memcpy (fb_weights_add (w, l->name, "weight", 2, (guint[]) { l->cout, l->n_weight / l->cout }),
                  l->weight, l->n_weight * sizeof (float));
          memcpy (fb_weights_add (w, l->name, "bias", 1, &l->cout), l->bias, l->cout * sizeof (float));
        }
      if (l->relu_max > 0)
        fb_weights_add (w, l->name, "relu_max", 1, &one)[0] = l->relu_max;
    }
  return w;
}

/* ---------------------------------------------------------------------------
 * loading */

static const char *
choose_output_kind (FbOnnxGraph *g, const FbOnnxImportOptions *o)
{
  guint in_elements = g->input_c * (g->input_rank == 4 ? g->input_h * g->input_w : 1);

  if (o->output_kind != NULL)
    return o->output_kind;
  /* A reconstruction has as many values as the input; a classifier far fewer. */
  return !g->softmax_removed && g->output_elements == in_elements ? "values" : "classes";
}

static char *
describe (const Onnx__ModelProto *m, const char *origin)
{
  g_autofree char *base = g_path_get_basename (origin);
  gint64 opset = 0;

  for (gsize i = 0; i < m->n_opset_import; i++)
    if (m->opset_import[i]->domain == NULL || m->opset_import[i]->domain[0] == '\0')
      opset = m->opset_import[i]->version;
  return g_strdup_printf ("Imported from %s (%s %s, ONNX opset %" G_GINT64_FORMAT ") by freebits-cli import.",
                          base, m->producer_name != NULL && *m->producer_name ? m->producer_name : "unknown producer",
                          m->producer_version != NULL ? m->producer_version : "", opset);
}

static gboolean
check_options (const FbOnnxImportOptions *o, const char *origin, GError **error)
{
  if (o->output_kind != NULL && strcmp (o->output_kind, "classes") != 0 && strcmp (o->output_kind, "values") != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: output kind \"%s\" is not \"classes\" or \"values\""),
                   origin, o->output_kind);
      return FALSE;
    }
  if (o->input_zero_point < (o->input_signed ? -128 : 0) || o->input_zero_point > (o->input_signed ? 127 : 255))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: input zero point %d is outside the %s 8-bit range"),
                   origin, o->input_zero_point, o->input_signed ? "signed" : "unsigned");
      return FALSE;
    }
  return TRUE;
}

static FbOnnxImport *
load_from_data (const guint8 *data, gsize length, const char *origin,
                const FbOnnxImportOptions *options, GError **error)
{
  FbOnnxImportOptions defaults;
  Onnx__ModelProto *model;
  g_autoptr(FbOnnxImport) self = NULL;
  FbOnnxGraph g;
  g_autofree char *base = NULL, *stem = NULL, *name = NULL, *description = NULL;
  gboolean ok;

  if (options == NULL)
    {
      fb_onnx_import_options_init (&defaults);
      options = &defaults;
    }
  if (!check_options (options, origin, error))
    return NULL;
  model = onnx__model_proto__unpack (NULL, length, data);
  if (model == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s: not a valid ONNX protobuf (truncated or corrupted)"), origin);
      return NULL;
    }
  self = g_new0 (FbOnnxImport, 1);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->notes, NULL);
  fb_onnx_graph_init (&g);
  ok = fb_onnx_convert (model, origin, &g, error) && fold_normalization (self, &g, options, origin, error);
  if (ok)
    {
      base = g_path_get_basename (origin);
      stem = g_str_has_suffix (base, ".onnx") ? g_strndup (base, strlen (base) - 5) : g_strdup (base);
      name = fb_onnx_sanitize_name (options->name != NULL ? options->name : stem, "imported");
      description = describe (model, origin);
      self->json = network_json (&g, name, description, options, choose_output_kind (&g, options));
      self->network = fb_network_new_from_json (self->json, origin, NULL, error);
      ok = self->network != NULL;
    }
  if (ok)
    self->weights = make_weights (self->network, &g);
  fb_onnx_graph_clear (&g);
  onnx__model_proto__free_unpacked (model, NULL);
  return ok ? g_steal_pointer (&self) : NULL;
}

FbOnnxImport *
fb_onnx_import_load_from_data (const guint8 *data, gsize length, const char *origin,
                               const FbOnnxImportOptions *options, GError **error)
{
  FbOnnxImport *self = load_from_data (data, length, origin, options, error);

  /* Names in the file (nodes, attributes) may hold newlines; the error stays one line. */
  fb_error_one_line (error);
  return self;
}

FbOnnxImport *
fb_onnx_import_load (const char *path, const FbOnnxImportOptions *options, GError **error)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (path, &data, &length, &local))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s", local->message);
      return NULL;
    }
  return fb_onnx_import_load_from_data ((const guint8 *) data, length, path, options, error);
}

gboolean
fb_onnx_import_save (FbOnnxImport *self, const char *network_path, char **weights_path, GError **error)
{
  g_autofree char *stem = g_str_has_suffix (network_path, ".json")
                          ? g_strndup (network_path, strlen (network_path) - 5) : g_strdup (network_path);
  g_autofree char *wpath = g_strconcat (stem, ".fbw", NULL);
  g_autofree char *wbase = g_path_get_basename (wpath);
  g_autoptr(JsonNode) json = json_node_copy (self->json);

  json_object_set_string_member (json_node_get_object (json), "weights", wbase);
  if (!fb_weights_save (self->weights, wpath, error))
    return FALSE;
  if (!fb_json_save_file (json, network_path, error))
    {
      /* No half import: the weights alone would name no network file. */
      g_unlink (wpath);
      return FALSE;
    }
  if (weights_path != NULL)
    *weights_path = g_steal_pointer (&wpath);
  return TRUE;
}

/* fb-optimizer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "fb-optimizer.h"

typedef struct {
  char     *layer;
  char     *param;
  float    *value;
  float    *grad;
  float    *velocity;
  gsize     n;
  gboolean  decay;
} Param;

struct _FbOptimizer {
  double   momentum;
  gboolean nesterov;
  double   weight_decay;
  GArray  *params;   /* Param */
};

static void
param_clear (gpointer data)
{
  Param *p = data;
  g_free (p->layer);
  g_free (p->param);
  g_free (p->velocity);
}

FbOptimizer *
fb_optimizer_new_sgd (double momentum, gboolean nesterov, double weight_decay)
{
  FbOptimizer *self = g_new0 (FbOptimizer, 1);
  self->momentum = momentum;
  self->nesterov = nesterov;
  self->weight_decay = weight_decay;
  self->params = g_array_new (FALSE, TRUE, sizeof (Param));
  g_array_set_clear_func (self->params, param_clear);
  return self;
}

void
fb_optimizer_free (FbOptimizer *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->params);
  g_free (self);
}

void
fb_optimizer_add (FbOptimizer *self, const char *layer, const char *param, float *value,
                  float *grad, gsize n, gboolean decay)
{
  Param p = {
    .layer = g_strdup (layer),
    .param = g_strdup (param),
    .value = value,
    .grad = grad,
    .velocity = g_new0 (float, MAX (n, 1)),
    .n = n,
    .decay = decay,
  };
  g_array_append_val (self->params, p);
}

void
fb_optimizer_zero_grad (FbOptimizer *self)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);
      memset (p->grad, 0, p->n * sizeof (float));
    }
}

/* PyTorch's SGD: g += wd·w; v = μv + g; w −= lr·(g + μv) (Nesterov) or lr·v. */
void
fb_optimizer_step (FbOptimizer *self, double lr)
{
  float mu = (float) self->momentum, flr = (float) lr;

  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);
      float wd = p->decay ? (float) self->weight_decay : 0.0f;
      for (gsize k = 0; k < p->n; k++)
        {
          float g = p->grad[k] + wd * p->value[k];
          float v = mu * p->velocity[k] + g;
          p->velocity[k] = v;
          p->value[k] -= flr * (self->nesterov ? g + mu * v : v);
        }
    }
}

void
fb_optimizer_save_state (FbOptimizer *self, FbWeights *weights)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);
      g_autofree char *name = g_strconcat (p->param, "@momentum", NULL);
      guint dims[1] = { (guint) p->n };
      float *dst = fb_weights_add (weights, p->layer, name, 1, dims);
      memcpy (dst, p->velocity, p->n * sizeof (float));
    }
}

gboolean
fb_optimizer_load_state (FbOptimizer *self, FbWeights *weights, const char *origin, GError **error)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      Param *p = &g_array_index (self->params, Param, i);
      g_autofree char *name = g_strconcat (p->param, "@momentum", NULL);
      guint dims[1] = { (guint) p->n };
      const FbWeightsTensor *t = fb_weights_require (weights, p->layer, name, 1, dims, origin, error);
      if (t == NULL)
        return FALSE;
      memcpy (p->velocity, t->data, p->n * sizeof (float));
    }
  return TRUE;
}

double
fb_optimizer_cosine_lr (double base, guint64 step, guint64 total, guint64 warmup)
{
  if (total == 0)
    return base;
  if (step < warmup)
    return base * (double) (step + 1) / (double) warmup;
  if (step >= total)
    return 0.0;
  return 0.5 * base * (1.0 + cos (G_PI * (double) (step - warmup) / (double) MAX (total - warmup, 1)));
}

/* fb-candidate-list.c — freebits-candidates/1 files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-candidate-list.h"
#include "fb-error.h"
#include "fb-json.h"

struct _FbCandidateList {
  FbNetwork *network;
  GPtrArray *items;   /* FbCandidate */
};

FbCandidateList *
fb_candidate_list_new (FbNetwork *network)
{
  FbCandidateList *self = g_new0 (FbCandidateList, 1);

  self->network = fb_network_ref (network);
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  return self;
}

void
fb_candidate_list_free (FbCandidateList *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->items);
  fb_network_unref (self->network);
  g_free (self);
}

FbNetwork *fb_candidate_list_get_network (FbCandidateList *self) { return self->network; }
guint      fb_candidate_list_get_length  (FbCandidateList *self) { return self->items->len; }

void
fb_candidate_list_add (FbCandidateList *self, FbCandidate *candidate)
{
  g_return_if_fail (fb_precision_config_get_network (fb_candidate_get_config (candidate)) == self->network);
  g_ptr_array_add (self->items, fb_candidate_ref (candidate));
}

FbCandidate *
fb_candidate_list_get (FbCandidateList *self, guint index)
{
  g_return_val_if_fail (index < self->items->len, NULL);
  return g_ptr_array_index (self->items, index);
}

JsonNode *
fb_candidate_list_to_json (FbCandidateList *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "freebits-candidates/1");
  json_builder_set_member_name (b, "network");
  json_builder_add_string_value (b, fb_network_get_name (self->network));
  json_builder_set_member_name (b, "network_sha256");
  json_builder_add_string_value (b, fb_network_get_sha256 (self->network));
  json_builder_set_member_name (b, "candidates");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->items->len; i++)
    json_builder_add_value (b, fb_candidate_to_json (g_ptr_array_index (self->items, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
fb_candidate_list_save (FbCandidateList *self, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_candidate_list_to_json (self);

  return fb_json_save_file (root, path, error);
}

static FbCandidateList *
candidate_list_from_json (FbNetwork *network, JsonNode *root, const char *origin, GError **error)
{
  /* The rest are what search --json adds about the run (informative, not read). */
  static const char *allowed[] = { "format", "network", "network_sha256", "candidates", "method", "seed",
                                   "target", "latency_unit", "objectives", "epsilon", "free_bits", NULL };
  g_autoptr(FbCandidateList) self = NULL;
  JsonObject *obj;
  JsonArray *arr = NULL;
  const char *sha = NULL;

  obj = fb_json_root_object (root, "freebits-candidates", origin, error);
  if (obj == NULL)
    return NULL;
  if (!fb_json_check_members (obj, origin, allowed, error) ||
      !fb_json_get_string (obj, "network_sha256", origin, FALSE, &sha, error) ||
      !fb_json_get_array (obj, "candidates", origin, TRUE, &arr, error))
    return NULL;
  if (sha != NULL && strcmp (sha, fb_network_get_sha256 (network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("%s: candidates were made for another network (network_sha256 %.12s…, "
                     "network \"%s\" has %.12s…)"), origin, sha, fb_network_get_name (network),
                   fb_network_get_sha256 (network));
      return NULL;
    }

  self = fb_candidate_list_new (network);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      g_autofree char *where = g_strdup_printf ("%s: candidates[%u]", origin, i);
      FbCandidate *c = fb_candidate_new_from_json (network, json_array_get_element (arr, i), where, error);

      if (c == NULL)
        return NULL;
      g_ptr_array_add (self->items, c);
    }
  return g_steal_pointer (&self);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbCandidateList *
fb_candidate_list_new_from_json (FbNetwork *network, JsonNode *root, const char *origin, GError **error)
{
  FbCandidateList *result = candidate_list_from_json (network, root, origin, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbCandidateList *
fb_candidate_list_load (FbNetwork *network, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_json_load_file (path, error);

  if (root == NULL)
    return NULL;
  return fb_candidate_list_new_from_json (network, root, path, error);
}

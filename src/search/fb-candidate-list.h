/* fb-candidate-list.h — an ordered list of candidates for one network, and the
 * freebits-candidates/1 file:
 *
 *   { "format": "freebits-candidates/1", "network": NAME, "network_sha256": HEX,
 *     "candidates": [ { "config": {freebits-config/1}, "size_bytes": N, "bops": N,
 *                       "latency": X|null, "peak_activation_bytes": N,
 *                       "accuracy": F|null, "method": S, "provenance": {...} } ] }
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-candidate.h"

G_BEGIN_DECLS

typedef struct _FbCandidateList FbCandidateList;

FbCandidateList *fb_candidate_list_new            (FbNetwork        *network);
FbCandidateList *fb_candidate_list_load           (FbNetwork        *network,
                                                   const char       *path,
                                                   GError          **error);
FbCandidateList *fb_candidate_list_new_from_json  (FbNetwork        *network,
                                                   JsonNode         *root,
                                                   const char       *origin,
                                                   GError          **error);
JsonNode        *fb_candidate_list_to_json        (FbCandidateList  *self);
/* Atomic (temporary file + rename). */
gboolean         fb_candidate_list_save           (FbCandidateList  *self,
                                                   const char       *path,
                                                   GError          **error);
void             fb_candidate_list_free           (FbCandidateList  *self);

FbNetwork       *fb_candidate_list_get_network    (FbCandidateList  *self);
/* Takes a reference. */
void             fb_candidate_list_add            (FbCandidateList  *self,
                                                   FbCandidate      *candidate);
guint            fb_candidate_list_get_length     (FbCandidateList  *self);
FbCandidate     *fb_candidate_list_get            (FbCandidateList  *self,
                                                   guint             index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbCandidateList, fb_candidate_list_free)

G_END_DECLS

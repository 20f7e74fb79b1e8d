/* fb-search-method.h — the one table of search methods under freebits-cli
 * search and the GUI's search panel.
 *
 * Each method (uniform, free-bits, pareto, diff, bops) is a row: its stable
 * nick, its translated name, the options it takes and its run function. The
 * CLI parses its option texts into FbSearchParams with
 * fb_search_params_parse(); the GUI's panel fills the same struct from its
 * widgets; both hand it with the inputs (FbSearchRun) to
 * fb_search_method_run(), so a method or an option is added once and the two
 * front ends cannot drift.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-accuracy-oracle.h"
#include "fb-dataset.h"
#include "fb-diff-search.h"
#include "fb-free-bits.h"
#include "fb-pareto.h"
#include "fb-search-uniform.h"
#include "fb-sensitivity.h"

G_BEGIN_DECLS

typedef enum {
  FB_SEARCH_METHOD_UNIFORM,
  FB_SEARCH_METHOD_FREE_BITS,
  FB_SEARCH_METHOD_PARETO,
  FB_SEARCH_METHOD_DIFF,
  FB_SEARCH_METHOD_BOPS,
  FB_SEARCH_N_METHODS
} FbSearchMethod;

/* Which options a method takes (besides the budgets, which all take). */
typedef enum {
  FB_SEARCH_TAKES_START        = 1 << 0,  /* a start config; its pins hold */
  FB_SEARCH_TAKES_STARTS       = 1 << 1,  /* several start configs (a candidates file) */
  FB_SEARCH_TAKES_TOLERANCE    = 1 << 2,  /* free-bits raise */
  FB_SEARCH_TAKES_LOWERING     = 1 << 3,  /* free-bits lowering: accuracy drop, min gain */
  FB_SEARCH_TAKES_OBJECTIVES   = 1 << 4,
  FB_SEARCH_TAKES_EPSILON      = 1 << 5,
  FB_SEARCH_TAKES_SENSITIVITY  = 1 << 6,  /* the accuracy proxy */
  FB_SEARCH_TAKES_DIFF         = 1 << 7,  /* cost, λ list, steps, lr, batch, seed, limit-train */
} FbSearchTakes;

/* Most λ values one differentiable sweep takes (each is a search of its own,
 * about a minute). */
#define FB_SEARCH_MAX_LAMBDAS 32

typedef struct {
  FbSearchMethod       method;
  FbSearchConstraints  constraints;
  double               tolerance;   /* free-bits: accepted latency cost of a raise (fraction) */
  FbParetoObjectives   objectives;  /* pareto front */
  double               epsilon;     /* pareto front with three or more objectives */
  FbDiffCost           diff_cost;   /* diff: the regularized cost */
  guint                diff_steps;  /* diff: θ updates per λ (0: the default) */
  guint                n_lambdas;   /* diff: the sweep, in order */
  double               lambdas[FB_SEARCH_MAX_LAMBDAS];
  double               diff_lr;          /* diff: Adam step on θ (0: the default) */
  guint                diff_batch;       /* diff: batch size (0: the default) */
  guint32              diff_seed;        /* diff: batches and augmentation */
  guint                diff_limit_train; /* diff: first N training images (0: all) */
  guint                diff_shards;      /* diff: shards of each step's batch (0: the trainer's default) */
  gboolean             lower;            /* free-bits: the lowering step (needs an oracle) */
  double               max_accuracy_drop;/* free-bits lowering */
  double               min_gain;         /* free-bits lowering */
  int                  accuracy_limit;   /* images per oracle call; -1: the oracle's default */
} FbSearchParams;

typedef struct _FbSearchRun FbSearchRun;

typedef struct {
  FbSearchMethod  method;
  const char     *nick;        /* "free-bits": the CLI's --method, candidates' "method" */
  const char     *name;        /* untranslated (N_): "Free Bits" */
  FbSearchTakes   takes;
  gboolean        needs_table; /* a latency table, whatever the objectives */
  gboolean      (*run) (FbSearchRun *run, GError **error);
} FbSearchMethodInfo;

/* Free Bits from one start config. */
typedef struct {
  char      *start;            /* the start's spec or summary ("w8a8") */
  double     latency_before;
  double     latency_after;
  GPtrArray *changes;          /* FbFreeBitsChange, in the order applied */
} FbFreeBitsRun;

/* Each λ of the differentiable sweep: its candidate (accuracy unknown) and
 * whether it fits the budgets. */
typedef void (*FbSearchDiffFunc) (const FbDiffSearchResult *result,
                                  FbCandidate              *candidate,
                                  gboolean                  fits,
                                  gpointer                  user_data);

/* Inputs (borrowed) and outputs of one run. */
struct _FbSearchRun {
  FbNetwork             *network;
  FbLatencyTable        *table;          /* may be NULL (then no latency) */
  FbPrecisionConfig     *start;          /* may be NULL */
  GPtrArray             *starts;         /* free-bits: FbPrecisionConfig; NULL: @start, else every uniform */
  const char            *start_name;     /* free-bits: how @start is named in the runs */
  FbAccuracyOracle      *oracle;         /* may be NULL */
  FbSensitivity         *sensitivity;    /* NULL: measured with @oracle when an objective needs it */
  FbWeights             *supernet;       /* diff */
  const char            *supernet_origin;
  FbDataset             *train;          /* diff */
  gboolean               measure_streamed; /* diff: measure each λ's result with @oracle before streaming */
  const FbSearchParams  *params;
  FbSearchCandidateFunc  candidate_func;
  FbSearchProgressFunc   progress_func;
  gpointer               user_data;      /* of candidate_func and progress_func */
  FbSearchDiffFunc       diff_func;      /* optional */
  gpointer               diff_data;
  GCancellable          *cancellable;

  /* Out: free-bits runs (FbFreeBitsRun), the objectives used (pareto, bops),
   * the DP's statistics and the sensitivity measured. Free with
   * fb_search_run_clear(). */
  GPtrArray             *free_bits_runs;
  FbParetoObjectives     objectives_used;
  FbParetoStats          pareto_stats;
  FbSensitivity         *measured_sensitivity;
};

const FbSearchMethodInfo *fb_search_method_get_info (FbSearchMethod  method);
/* By nick ("freebits" is accepted for "free-bits"); NULL when unknown. */
const FbSearchMethodInfo *fb_search_method_lookup   (const char     *nick);
/* "uniform, free-bits, pareto, diff or bops" for messages. */
char                     *fb_search_method_list_nicks (void);

/* Stable identifiers, as in the CLI and in candidates' "method". */
const char *fb_search_method_to_nick   (FbSearchMethod  method);
gboolean    fb_search_method_from_nick (const char     *nick,
                                        FbSearchMethod *method);
/* Translated name for the plot legend and status ("Free Bits", "Pareto DP"). */
const char *fb_search_method_get_name  (FbSearchMethod  method);

/* The defaults of @method: no budgets, latency+size objectives, ε 0, the
 * diff search's defaults and λ list 0,0.02,0.05,0.1,0.2,0.5,1, the oracle's
 * default number of images. */
void        fb_search_params_init      (FbSearchParams *params,
                                        FbSearchMethod  method);
/* The series (and candidates' "method") of a search with @params: the nick,
 * except "diff-bops" for the BOPs-regularized diff search. With
 * fb_search_params_get_series_name() translated for the GUI. */
const char *fb_search_params_get_method_name (const FbSearchParams *params);
const char *fb_search_params_get_series_name (const FbSearchParams *params);
/* The objectives the front is taken over: pareto's own, bops's (BOPs against
 * the accuracy proxy with @have_sensitivity, else against size). */
FbParetoObjectives fb_search_params_get_objectives (const FbSearchParams *params,
                                                    gboolean              have_sensitivity);
/* Whether the run needs accuracy measurements (a minimum accuracy, the
 * lowering step, an accuracy objective without cached sensitivities). */
gboolean    fb_search_params_wants_accuracy (const FbSearchParams *params,
                                             gboolean              have_sensitivity);

/* Whether a search with @params cannot run without a latency table. */
gboolean    fb_search_params_needs_table (const FbSearchParams *params);

/* Options as the user typed them (NULL: not given). */
typedef struct {
  const char *method;
  const char *objectives, *epsilon;
  const char *max_latency, *max_size, *max_ram, *min_accuracy;
  const char *tolerance, *max_accuracy_drop, *min_gain;
  const char *cost, *lambdas, *lr, *batch, *seed, *steps, *limit_train, *shards;
  const char *limit;
  gboolean    start, starts, sensitivity;  /* given (their files are read elsewhere) */
} FbSearchOptionTexts;

/* Parses and checks @texts for their method: every value in range, every
 * option one the method takes. A ONE-line G_OPTION_ERROR naming the option
 * otherwise. *@epsilon_defaulted says ε was set to 0.01 for 3+ objectives. */
gboolean    fb_search_params_parse     (const FbSearchOptionTexts *texts,
                                        FbSearchParams            *params,
                                        gboolean                  *epsilon_defaulted,
                                        GError                   **error);

/* Runs @run->params's method (the sensitivity first when needed and not given). */
gboolean    fb_search_method_run       (FbSearchRun               *run,
                                        GError                   **error);
void        fb_search_run_clear        (FbSearchRun               *run);

/* The admissible uniform configs, w8a8 first (FbPrecisionConfig): the
 * starts of Free Bits when none is given. */
GPtrArray  *fb_search_uniform_configs  (FbNetwork                 *network);

void        fb_free_bits_run_free      (FbFreeBitsRun             *run);

G_END_DECLS

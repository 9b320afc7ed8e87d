/*
 * swiftpg.h — the C ABI of libswiftpg.so, a policy-gradient RL library.
 *
 * This header is hand-written and is the contract: the Swift entry points are
 * declared `@c @implementation`, so the compiler rejects any implementation
 * whose signature differs from the declaration below.
 *
 * Conventions
 * -----------
 * - Every function returns an int32_t status: SWIFTPG_OK (0) or a negative
 *   SWIFTPG_ERR_* code. Results are written through `_out` pointers, and only
 *   when the call succeeds. A failed call changes nothing.
 * - After a failure, swiftpg_last_error() returns a message for the calling
 *   thread naming the argument, the value and what was expected.
 * - Objects (environments, policies, algorithms) are uint64_t handles. 0 is
 *   never a valid handle. A destroyed, stale, garbage or wrong-type handle is
 *   refused with SWIFTPG_ERR_BAD_HANDLE; it never crashes.
 * - Arrays are C-contiguous, row-major. Reals are double, discrete actions
 *   and sizes int32_t, flags uint8_t (0 or 1). Rollout arrays are time-major.
 *   The caller owns every buffer and must size it as documented: C cannot
 *   check the length of a pointer (the Python package does check).
 * - Thread safety: every function may be called from any thread. Calls on
 *   different objects run concurrently. A call on an object that another
 *   thread is using at that moment fails with SWIFTPG_ERR_BUSY instead of
 *   racing.
 * - Nothing in the library aborts the process on bad input.
 */
#ifndef SWIFTPG_H
#define SWIFTPG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version: bumped whenever a declaration or struct layout changes. */
#define SWIFTPG_ABI_VERSION 16

/* ---------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------- */
#define SWIFTPG_OK 0
/* An argument has a value outside its documented domain. */
#define SWIFTPG_ERR_INVALID_ARGUMENT -1
/* A required pointer argument is NULL. */
#define SWIFTPG_ERR_NULL_POINTER -2
/* The handle is 0, destroyed, stale, garbage, or of another object type. */
#define SWIFTPG_ERR_BAD_HANDLE -3
/* An index or action is outside its range. */
#define SWIFTPG_ERR_OUT_OF_RANGE -4
/* No environment (or other registered name) has this id. */
#define SWIFTPG_ERR_UNKNOWN_ID -5
/* A size is too large to allocate, or a size product overflows. */
#define SWIFTPG_ERR_TOO_LARGE -6
/* Another thread is using this object right now. */
#define SWIFTPG_ERR_BUSY -7
/* A NaN or infinite value where a finite one is required. */
#define SWIFTPG_ERR_NOT_FINITE -8
/* A caller buffer is too small for the result. */
#define SWIFTPG_ERR_BUFFER_TOO_SMALL -9
/* A computation produced NaN or infinity (e.g. diverging training, or
 * policy outputs from parameters too extreme for Double arithmetic). The
 * output buffers of a call that fails with this code hold unspecified
 * values; objects are unchanged. */
#define SWIFTPG_ERR_NUMERICAL -10
/* A file could not be read or written (the message has the OS's reason). */
#define SWIFTPG_ERR_IO -11
/* A file is not a valid checkpoint (truncated, corrupted, wrong version,
 * wrong kind or family). */
#define SWIFTPG_ERR_BAD_FORMAT -12
/* A long call (evaluation, episode collection, a training iteration or
 * search generation, a reward-model or preference-trainer fit) stopped
 * early because swiftpg_cancel was called on its handle. A learner's
 * parameters, optimiser state and counters are as before the call;
 * episodes in progress are discarded (the environment's generators have
 * advanced). A cancelled fit changes nothing. */
#define SWIFTPG_ERR_CANCELLED -13
/* The object cannot do this (e.g. a population search asked to update on
 * externally collected transitions). */
#define SWIFTPG_ERR_NOT_SUPPORTED -14
/* A bug in swiftpg; please report it with the last-error message. */
#define SWIFTPG_ERR_INTERNAL -99

/* A static, never-NULL English name for a status code ("invalid argument").
 * Unknown codes give "unknown status code". */
const char *swiftpg_status_string(int32_t status);

/* The detailed message of the last failed call made by this thread, or ""
 * if the last call succeeded. The pointer stays valid until this thread's
 * next swiftpg call. Never NULL. */
const char *swiftpg_last_error(void);

/* Writes SWIFTPG_ABI_VERSION of the built library. */
int32_t swiftpg_abi_version(int32_t *version_out);

/* Asks the long call now running on `handle` (an environment: its
 * episodic evaluation; an algorithm: iterate, evaluate; a reward model or
 * a preference trainer: fit; an RLHF learner: iterate, update; a game:
 * playouts, an arena; a game player: its search; a board learner: its
 * iteration; a board network: its supervised policy fit) to stop at
 * its next check (between
 * environment steps, minibatches, epochs or generations): that
 * call returns SWIFTPG_ERR_CANCELLED and consumes the request.
 * requested = 1 requests, 0 withdraws a request no call has consumed
 * (e.g. when the call finished first). Never blocks; may be called from
 * any thread while the handle is busy. Errors: BAD_HANDLE,
 * INVALID_ARGUMENT (requested not 0 or 1). */
int32_t swiftpg_cancel(uint64_t handle, int32_t requested);

/* Handle kinds, for swiftpg_live_handles. */
#define SWIFTPG_KIND_ALL 0
#define SWIFTPG_KIND_ENV 1
#define SWIFTPG_KIND_POLICY 2
#define SWIFTPG_KIND_ALGORITHM 3
#define SWIFTPG_KIND_VALUE 4
/* 5 to 8 (sequence tasks and policies, reward models, preference
 * trainers): see "Sequences and preferences"; 9 (RLHF learners), 10
 * (two-player games), 11 (game players), 12 (DQN learners), 13 (board
 * networks), 14 (board learners) and 16 (AlphaGo pipelines): see their
 * sections. */

/* Number of live (created and not destroyed) handles of a kind; lets tests
 * find leaks. Errors: INVALID_ARGUMENT (unknown kind), NULL_POINTER. */
int32_t swiftpg_live_handles(int32_t kind, int64_t *count_out);

/* ---------------------------------------------------------------------------
 * Batched environments
 *
 * One handle holds N instances of one environment, stepped together.
 * Instance i of an environment created (or reset) with seed s draws from its
 * own generator, numpy's PCG64 seeded by SeedSequence(s + i); this is what
 * Gymnasium's env.reset(seed=s + i) uses, so the starting states and every
 * later automatic reset equal Gymnasium's bit for bit.
 *
 * Automatic reset: when an instance terminates or is truncated, the same
 * swiftpg_env_step call writes its last observation to row i of
 * final_observations_out, then resets it and writes the first observation of
 * the new episode to row i of observations_out. rewards_out, terminated_out
 * and truncated_out describe the step that ended the episode. Rows of
 * final_observations_out whose instance did not end are set to 0.
 * (This is Gymnasium's AutoresetMode.SAME_STEP.)
 *
 * terminated: the MDP reached a terminal state (do not bootstrap).
 * truncated: the time limit cut the episode (bootstrap from the final
 * observation). Both may be 1 on the same step.
 * ------------------------------------------------------------------------- */

#define SWIFTPG_ACTION_DISCRETE 0
#define SWIFTPG_ACTION_CONTINUOUS 1

/* A vector observation, or the one-hot encoding of a state index
 * (tabular environments: observation_size is the number of states). */
#define SWIFTPG_OBSERVATION_VECTOR 0
#define SWIFTPG_OBSERVATION_ONE_HOT 1

typedef struct swiftpg_env_info {
  int32_t num_envs;          /* N */
  int32_t observation_size;  /* length of one observation */
  int32_t state_size;        /* length of one physics state */
  int32_t action_kind;       /* SWIFTPG_ACTION_DISCRETE or _CONTINUOUS */
  int32_t num_actions;       /* discrete: actions are 0 ..< num_actions */
  int32_t action_size;       /* discrete: 1; continuous: action dimension */
  int32_t max_episode_steps; /* time limit of instance 0 (0: none) */
  int32_t observation_kind;  /* SWIFTPG_OBSERVATION_* */
  double reward_threshold;   /* Gymnasium's reward_threshold, NaN if none */
} swiftpg_env_info;

/* Writes the registered environment ids, separated by '\n', as a
 * NUL-terminated string into buffer (capacity bytes). length_out receives
 * the string length without the NUL, also when the buffer is too small
 * (then the call fails with BUFFER_TOO_SMALL and writes nothing), so a
 * caller may pass capacity 0 first to learn the size. */
int32_t swiftpg_env_list(char *buffer, size_t capacity, size_t *length_out);

/* Creates N = num_envs instances of environment `id` (e.g. "CartPole-v1"),
 * seeded with `seed` as described above, and resets them.
 * Errors: NULL_POINTER, UNKNOWN_ID, INVALID_ARGUMENT (num_envs < 1),
 * TOO_LARGE (num_envs above 16,777,216). */
int32_t swiftpg_env_create(const char *id, int32_t num_envs, uint64_t seed,
                           uint64_t *env_out);

/* Destroys the environment. Later calls with the handle give BAD_HANDLE. */
int32_t swiftpg_env_destroy(uint64_t env);

int32_t swiftpg_env_get_info(uint64_t env, swiftpg_env_info *info_out);

/* Observation bounds, observation_size doubles each (may be +-inf). */
int32_t swiftpg_env_observation_bounds(uint64_t env, double *low_out,
                                       double *high_out);

/* Bounds of a continuous action space, action_size doubles each.
 * INVALID_ARGUMENT for a discrete action space. Environments named like
 * Gymnasium ones use continuous actions as float32 (the precision of
 * Gymnasium's action space) and clip them as Gymnasium does. */
int32_t swiftpg_env_action_bounds(uint64_t env, double *low_out,
                                  double *high_out);

/* Resets every instance. If seed is non-NULL, instance i is first reseeded
 * from *seed + i; otherwise each continues its own random stream.
 * observations_out: [N, observation_size]. */
int32_t swiftpg_env_reset(uint64_t env, const uint64_t *seed,
                          double *observations_out);

/* Reseeds instance i from seeds[i] where which[i] is 1 (which NULL: every
 * instance), as if it were reseeded from *seed + i: Gymnasium's per-env
 * seeds (reset(seed=[s0, None, s2, ...]) of a vector env). Instances with
 * which[i] = 0 keep their streams; nothing is reset (call
 * swiftpg_env_reset with seed NULL next). seeds and which hold N values.
 * Errors: NULL_POINTER (seeds), INVALID_ARGUMENT (a flag not 0 or 1;
 * nothing reseeded). */
int32_t swiftpg_env_reseed_instances(uint64_t env, const uint64_t *seeds, const uint8_t *which);

/* Steps every instance once.
 * actions: [N] int32_t for discrete action spaces, each in
 *          0 ..< num_actions; [N, action_size] double for continuous ones.
 *          All actions are checked before any instance moves: one bad
 *          action fails the call (OUT_OF_RANGE / NOT_FINITE) and nothing
 *          changes.
 * observations_out: [N, observation_size]; rewards_out: [N];
 * terminated_out, truncated_out: [N];
 * final_observations_out: [N, observation_size], or NULL if not wanted;
 *          rows of instances that did not end are set to 0.
 * ended_count_out: receives the number of instances that terminated or were
 * truncated in this step (NULL if not wanted). */
int32_t swiftpg_env_step(uint64_t env, const void *actions,
                         double *observations_out, double *rewards_out,
                         uint8_t *terminated_out, uint8_t *truncated_out,
                         double *final_observations_out,
                         int32_t *ended_count_out);

/* The physics state of every instance, [N, state_size]. For CartPole-v1 a
 * row is (x, x_dot, theta, theta_dot). */
int32_t swiftpg_env_get_state(uint64_t env, double *states_out);

/* Overwrites the physics state of every instance ([N, state_size], all
 * finite). Episode step counters are not changed. Writes the matching
 * observations to observations_out ([N, observation_size]) if non-NULL. */
int32_t swiftpg_env_set_state(uint64_t env, const double *states,
                              double *observations_out);

/* Steps taken in the current episode of each instance, [N]. */
int32_t swiftpg_env_get_elapsed_steps(uint64_t env, int32_t *steps_out);

/* The physics state ([N, state_size]) and step count ([N], optional) each
 * instance was in when its last episode ended, before the same-step
 * autoreset: the terminal state that produced final_observations, as
 * Gymnasium's unwrapped.state reads after a terminating step. Zeros for an
 * instance that has not ended an episode. */
int32_t swiftpg_env_get_final_state(uint64_t env, double *states_out,
                                    int32_t *steps_out);

/* Threads used by swiftpg_env_step (1 to 64; default 1: the calling thread
 * only). Large batches are split into chunks (at least 128 to 2048 instances
 * each, depending on the cost of the environment's step) run by a shared
 * pool of worker threads; smaller batches, or calls made while another
 * caller uses the pool, run on the calling thread.
 * Results are identical for every thread count (instances are independent).
 * Errors: INVALID_ARGUMENT (outside 1..64). */
int32_t swiftpg_env_set_threads(uint64_t env, int32_t num_threads);

/* ---------------------------------------------------------------------------
 * Environment parameters and domain randomisation
 *
 * Every environment has named scalar parameters (CartPole-v1: gravity,
 * masscart, masspole, length, force_mag, tau, sutton_barto_reward; all:
 * max_episode_steps). Each instance has its own values, so a batch can hold
 * N differently parameterised systems. Errors: INVALID_ARGUMENT (unknown
 * name, with the list of known ones; value outside the parameter's domain),
 * NOT_FINITE.
 * ------------------------------------------------------------------------- */

/* The parameter names separated by '\n', as swiftpg_env_list writes ids. */
int32_t swiftpg_env_parameter_names(uint64_t env, char *buffer, size_t capacity,
                                    size_t *length_out);

/* Sets parameter `name` of every instance to `value` now and stops
 * randomising it. To start from the new values, reset after setting. */
int32_t swiftpg_env_set_parameter(uint64_t env, const char *name,
                                  double value);

/* From the next reset of each instance on, draws its parameter `name`
 * uniformly from [low, high] (low <= high, both valid values). The draws
 * use a generator separate from the state's, so starting states are the
 * same with and without randomisation. */
int32_t swiftpg_env_randomize_parameter(uint64_t env, const char *name,
                                        double low, double high);

/* The current value of parameter `name` in each instance, [N]. */
int32_t swiftpg_env_get_parameter(uint64_t env, const char *name,
                                  double *values_out);

/* Autoreset modes (Gymnasium's AutoresetMode). SAME_STEP (the default): the
 * step that ends an episode starts the next one and returns its first
 * observation, the final one in final_observations_out. NEXT_STEP
 * (Gymnasium 1.x's default): the step that ends an episode returns its
 * final observation (also in final_observations_out); the next step ignores
 * that instance's action and resets it: the first observation, reward 0,
 * neither terminated nor truncated. The learners, collectors and
 * evaluations need SAME_STEP (a NEXT_STEP batch gives INVALID_ARGUMENT). */
#define SWIFTPG_AUTORESET_SAME_STEP 0
#define SWIFTPG_AUTORESET_NEXT_STEP 1

/* Chooses the mode (right after creation; no instance then waits for a
 * next-step reset). Errors: INVALID_ARGUMENT (another mode). */
int32_t swiftpg_env_set_autoreset_mode(uint64_t env, int32_t mode);
int32_t swiftpg_env_get_autoreset_mode(uint64_t env, int32_t *mode_out);

/* "Custom physics" effects (OpenAI et al. 2019, "Solving Rubik's Cube with
 * a Robot Hand", section 5: observation noise and action latency). The
 * classic-control environments (CartPole-v1, Acrobot-v1, MountainCar-v0,
 * MountainCarContinuous-v0, Pendulum-v1) have two more parameters, set,
 * randomised and ADR-controlled like the physical ones, both 0 (off) by
 * default, so that with them off every result is bit-identical to the
 * environment without effects:
 * - observation_noise, sigma >= 0 in observation units: each observation
 *   returned by reset and step (and each final observation) gets
 *   independent N(0, sigma^2) noise on every component, drawn from the
 *   instance's generator after the step's own draws (none when sigma = 0).
 *   The state is unchanged and noisy observations are not clipped to the
 *   observation bounds. swiftpg_env_set_state's observations re-observe the
 *   state without noise; a learner's file keeps the observations its next
 *   step acts on, so a restored learner continues exactly.
 * - action_delay, d in [0, 65) (the delay is floor(d) steps; a range
 *   [0, K + 0.999] randomises over 0..K about equally often): the action
 *   applied at step t of an episode is the one given min(floor(d), t) steps
 *   earlier - an episode's first step fills the (empty) history with its
 *   action, which is then held until the delay has passed. floor(d) must
 *   not exceed the environment's max_action_delay K, which is 0 at creation.
 * swiftpg_env_set_max_action_delay sets K (0-64) and allocates the action
 * history, hidden state that the public state then ends with: the last K
 * actions given, most recent first (continuous ones clamped to the action
 * bounds, as the dynamics apply them), and a started flag (1 once the
 * episode's first step filled the history, 0 before: the next step fills
 * it). So state_size grows by K * action_size + 1 (swiftpg_env_get_info),
 * and get_state / set_state (entries must be valid actions, the flag 0 or
 * 1), the final states and the environment's file include them. Histories
 * start empty. Errors: NOT_SUPPORTED (an environment without effects),
 * INVALID_ARGUMENT (K outside 0-64, or below a delay a value, a
 * randomisation range or ADR's limits use; nothing changes). A learner or
 * environment file restored into an existing environment must have the
 * same K (BAD_FORMAT otherwise); one opened from a file takes the file's. */
int32_t swiftpg_env_set_max_action_delay(uint64_t env, int32_t max_action_delay);
int32_t swiftpg_env_get_max_action_delay(uint64_t env, int32_t *max_action_delay_out);

/* Automatic domain randomisation (ADR; OpenAI et al. 2019, "Solving Rubik's
 * Cube with a Robot Hand", section 5), run inside the environment: each
 * named parameter gets a range starting at its nominal value with zero
 * width. Every new episode (a reset, or the
 * automatic reset inside swiftpg_env_step and the learners' rollouts)
 * draws the ranges uniformly and, with probability boundary_probability
 * (p_b), pins one parameter (uniformly chosen) to one of its two
 * boundaries (uniformly chosen). When an episode ends, its undiscounted
 * return decides success (return >= success_return); a pinned episode's
 * success goes into that boundary's buffer, and a buffer of buffer_size
 * (m) results decides: a success rate >= upper_threshold (t_H) moves the
 * boundary outwards by the parameter's step (up to its limit), <=
 * lower_threshold (t_L) inwards (never past the nominal value); the buffer
 * is then cleared. Boundary tags: 2k (lower boundary of parameter k), 2k + 1
 * (upper), -1 none.
 *
 * names: count parameter names separated by '\n'; nominals: [count] or
 * NULL (instance 0's current values), set in every instance when ADR
 * starts; steps, lower_limits, upper_limits: [count] (steps finite > 0;
 * limits values the parameter may take, around the nominal value).
 * Everything is checked before anything changes; the episode records
 * (swiftpg_env_last_episodes) are cleared, here and at disable. Requires 0 < p_b <= 1, 1 <= m <=
 * 2^20, 0 <= t_L < t_H <= 1, success_return finite. Replaces any earlier
 * ADR (its state is lost) and the uniform ranges of these parameters;
 * while ADR runs, set_parameter and randomize_parameter refuse them.
 * Errors: INVALID_ARGUMENT (an unknown or repeated name, max_episode_steps,
 * a bad step, limit or setting; nothing changes), NULL_POINTER,
 * NOT_FINITE. */
int32_t swiftpg_env_adr_enable(uint64_t env, const char *names, const double *nominals, const double *steps,
                               const double *lower_limits, const double *upper_limits, int32_t count,
                               double boundary_probability, int32_t buffer_size, double upper_threshold,
                               double lower_threshold, double success_return);

/* The names of ADR's parameters, in the order of enable, separated by '\n'
 * (empty with ADR off), written like swiftpg_env_parameter_names. */
int32_t swiftpg_env_adr_parameter_names(uint64_t env, char *buffer, size_t capacity, size_t *length_out);

/* Stops ADR: its parameters keep the values of the running episodes and are
 * no longer randomised. Nothing happens when ADR is off. */
int32_t swiftpg_env_adr_disable(uint64_t env);

typedef struct swiftpg_adr_stats {
  int32_t enabled;        /* 1 while ADR runs; the rest is 0 otherwise */
  int32_t num_parameters; /* P */
  int64_t episodes;       /* episodes recorded since enable */
  int64_t boundary_episodes; /* of which pinned a boundary */
  int64_t successes;      /* of which succeeded */
  int64_t decisions;      /* full buffers that decided */
  int64_t moves;          /* decisions that moved a boundary */
  double entropy;         /* mean log(high - low), nats per dimension; NaN
                             while a range has zero width */
} swiftpg_adr_stats;

/* ADR's state: stats_out, and the ranges low_out / high_out [capacity >=
 * P] in the order of enable (each may be NULL; with ADR off P = 0 and
 * nothing is written to them). Errors: NULL_POINTER (stats_out),
 * BUFFER_TOO_SMALL (capacity < P with a range output given). */
int32_t swiftpg_env_adr_state(uint64_t env, swiftpg_adr_stats *stats_out, double *low_out, double *high_out,
                              int32_t capacity);

/* Per instance [N], the boundary tag (-1: none) and the undiscounted return
 * of its last finished episode; -1 and 0 before any episode ended, and
 * always without ADR. */
int32_t swiftpg_env_last_episodes(uint64_t env, int32_t *tags_out, double *returns_out);

/* ---------------------------------------------------------------------------
 * Tabular MDPs, gridworlds and bandits
 *
 * Registered ids also include SimpleRegulator-v0, TwoAction-v0,
 * ShortCorridor-v0 and GridWorld-v0 (the default layout). These
 * constructors build environments from your own data.
 * ------------------------------------------------------------------------- */

/* A finite MDP: transitions [S, A, S] (P(s'|s,a), rows summing to 1 within
 * 1e-9), rewards [S, A] or, if rewards_per_next_state, [S, A, S], initial
 * [S] (the start distribution, no mass on terminal states), terminal [S]
 * (NULL: none). horizon > 0 gives the finite-horizon objective (the
 * horizon-th step terminates); horizon = 0 the discounted one with gamma in
 * [0, 1] and a time limit of max_episode_steps (0: 1000) that truncates.
 * Observations are one-hot (observation_size = S); the state is the index.
 * Errors: INVALID_ARGUMENT naming the offending entry, NOT_FINITE,
 * NULL_POINTER, TOO_LARGE. */
int32_t swiftpg_env_create_tabular(int32_t num_envs, uint64_t seed,
                                   int32_t num_states, int32_t num_actions,
                                   const double *transitions,
                                   const double *rewards,
                                   int32_t rewards_per_next_state,
                                   const double *initial,
                                   const uint8_t *terminal, int32_t horizon,
                                   double gamma, int32_t max_episode_steps,
                                   uint64_t *env_out);

/* A gridworld from a text layout (rows separated by '\n'): '.' free, '#'
 * wall, 'S' start (none: uniform over free cells), 'G' goal and 'P' pit
 * (terminal). Actions 0 up, 1 right, 2 down, 3 left; with probability slip
 * the move goes to one of the two perpendicular directions instead (slip/2
 * each); walls and edges leave the agent in place. Each step gives
 * step_reward, plus goal_reward / pit_reward on entering G / P. Built on
 * the tabular MDP (discounted with gamma; max_episode_steps 0: 1000). */
int32_t swiftpg_env_create_gridworld(int32_t num_envs, uint64_t seed,
                                     const char *layout, double slip,
                                     double step_reward, double goal_reward,
                                     double pit_reward, double gamma,
                                     int32_t max_episode_steps,
                                     uint64_t *env_out);

#define SWIFTPG_BANDIT_GAUSSIAN 0
#define SWIFTPG_BANDIT_BERNOULLI 1

/* A K-armed bandit: Gaussian arms N(means[a], stds[a]^2) (stds NULL: all 1)
 * or Bernoulli arms with success probabilities means[a]. Episodes last
 * `horizon` pulls (>= 1). Observation: the constant 1. */
int32_t swiftpg_env_create_bandit(int32_t num_envs, uint64_t seed,
                                  int32_t kind, int32_t num_arms,
                                  const double *means, const double *stds,
                                  int32_t horizon, uint64_t *env_out);

/* The environment's id ("CartPole-v1", "TabularMDP", "GridWorld", "Bandit",
 * ...), written like swiftpg_env_list. */
int32_t swiftpg_env_get_id(uint64_t env, char *buffer, size_t capacity, size_t *length_out);

/* A fresh batch of the same environment: the same id, tabular model or
 * bandit arms, with the parameters it was created with (not those set or
 * randomised since) and its max_action_delay, num_envs instances seeded
 * with `seed` and reset. */
int32_t swiftpg_env_spawn(uint64_t env, int32_t num_envs, uint64_t seed, uint64_t *env_out);

/* A text picture of instance `instance` (gridworlds: the layout with 'A' at
 * the agent), written like swiftpg_env_list. INVALID_ARGUMENT if the
 * environment has no text rendering. */
int32_t swiftpg_env_render_text(uint64_t env, int32_t instance, char *buffer,
                                size_t capacity, size_t *length_out);

/* Sizes of the finite MDP behind a tabular environment (tabular MDPs,
 * gridworlds, ShortCorridor-v0). INVALID_ARGUMENT for other environments. */
int32_t swiftpg_env_tabular_sizes(uint64_t env, int32_t *num_states_out,
                                  int32_t *num_actions_out);

/* The finite MDP: transitions [S, A, S], rewards [S, A, S], initial [S],
 * terminal [S], the horizon (0: discounted) and gamma. Any output may be
 * NULL. */
int32_t swiftpg_env_get_tabular(uint64_t env, double *transitions_out,
                                double *rewards_out, double *initial_out,
                                uint8_t *terminal_out, int32_t *horizon_out,
                                double *gamma_out);

/* ---------------------------------------------------------------------------
 * Policies
 *
 * A policy maps a batch of B observations (row-major [B, observation_size])
 * to a distribution over actions. Its parameters are one flat double vector.
 * Action buffers carry the family's type: int32_t [B] for discrete policies,
 * double [B, action_size] for continuous ones (see swiftpg_policy_info).
 * Every gradient is hand-written and tested against finite differences.
 * ------------------------------------------------------------------------- */

#define SWIFTPG_ACTIVATION_TANH 0
#define SWIFTPG_ACTIVATION_RELU 1

/* Policy families (also the family codes of checkpoints). */
#define SWIFTPG_POLICY_SOFTMAX_MLP 1     /* softmax over MLP/linear logits */
#define SWIFTPG_POLICY_TABULAR 2         /* softmax over a table theta[s, a] */
#define SWIFTPG_POLICY_LINEAR_FEATURES 3 /* softmax over theta . phi(s, a) */
#define SWIFTPG_POLICY_GAUSSIAN 4        /* N(mu(s), diag sigma^2) */
#define SWIFTPG_POLICY_CLAMP 5           /* pi(L) = clamp(theta, 0, 1) */
#define SWIFTPG_POLICY_FACTORED_SOFTMAX 6 /* prod_k softmax(z_k)[a_k] */

typedef struct swiftpg_policy_info {
  int32_t family;           /* SWIFTPG_POLICY_* */
  int32_t observation_size; /* width of an observation row */
  int32_t action_kind;      /* SWIFTPG_ACTION_DISCRETE or _CONTINUOUS */
  int32_t num_actions;      /* discrete: actions are 0 ..< num_actions (joint) */
  int32_t action_size;      /* discrete: 1; continuous: dimensions */
  int32_t reserved;
  int64_t num_params;
} swiftpg_policy_info;

/* A categorical (softmax) policy whose logits are a multilayer perceptron of
 * the observation: hidden layer sizes hidden_sizes[0 ..< num_hidden] with the
 * given activation, then a linear layer to num_actions logits. num_hidden = 0
 * gives the linear softmax policy pi(a|s) ∝ exp(W[a]·s + b[a]).
 * Parameters: per layer the weight matrix [out, in] row-major then the bias
 * [out]. Weights are orthogonal with gain hidden_gain (sqrt 2 is usual) for
 * hidden layers and head_gain (0.01 is PPO's choice) for the last one;
 * biases are 0. Errors: INVALID_ARGUMENT (sizes < 1, num_actions < 2,
 * unknown activation, gains not finite or negative), NULL_POINTER
 * (hidden_sizes NULL with num_hidden > 0), TOO_LARGE. */
int32_t swiftpg_policy_create_softmax(int32_t observation_size,
                                      int32_t num_actions,
                                      const int32_t *hidden_sizes,
                                      int32_t num_hidden, int32_t activation,
                                      double hidden_gain, double head_gain,
                                      uint64_t seed, uint64_t *policy_out);

/* A factored categorical policy for MultiDiscrete / MultiBinary actions (as
 * Stable-Baselines3's MultiCategoricalDistribution): the MLP of
 * swiftpg_policy_create_softmax with sum_k n_k logits, n_k =
 * factor_sizes[k] for k < num_factors, segment k being the logits z_k of
 * factor k, and pi(a|s) = prod_k softmax(z_k(s))[a_k]. Every function
 * taking or returning discrete actions uses the joint index
 *   a = sum_k a_k * prod_{j<k} n_j   (mixed radix, factor 0 least
 * significant), so num_actions (info) is prod_k n_k and every learner
 * trains it unchanged; log pi, entropy and KL are sums over the factors,
 * sampling and greedy actions are drawn per factor (one uniform per factor
 * and row). swiftpg_policy_probabilities writes [batch, prod_k n_k] joint
 * probabilities. With one factor it computes exactly what the softmax
 * policy of the same seed does (only the family code differs).
 * Parameters and initialisation as swiftpg_policy_create_softmax.
 * Errors: INVALID_ARGUMENT (num_factors outside [1, 64], a factor size
 * outside [1, 65536], prod_k n_k < 2, the softmax policy's errors),
 * NULL_POINTER (factor_sizes NULL), TOO_LARGE (prod_k n_k > 2^31 - 1 or
 * sum_k n_k > 65536). */
int32_t swiftpg_policy_create_factored_softmax(
    int32_t observation_size, const int32_t *factor_sizes, int32_t num_factors,
    const int32_t *hidden_sizes, int32_t num_hidden, int32_t activation,
    double hidden_gain, double head_gain, uint64_t seed, uint64_t *policy_out);

/* The factor sizes of a discrete policy: n_0 .. n_{K-1} of a factored
 * softmax policy, [num_actions] for the other discrete families. Writes K
 * to num_factors_out and, when capacity > 0, the sizes to
 * factor_sizes_out[0 ..< K] (capacity 0 asks for K only; factor_sizes_out
 * may then be NULL). Errors: INVALID_ARGUMENT (continuous policy, capacity
 * < 0), NULL_POINTER, BUFFER_TOO_SMALL (0 < capacity < K). */
int32_t swiftpg_policy_get_factor_sizes(uint64_t policy,
                                        int32_t *factor_sizes_out,
                                        int32_t capacity,
                                        int32_t *num_factors_out);

/* pi(a|s) = softmax(theta[s, :]); observations are one-hot states
 * (observation_size = num_states), as the tabular environments produce.
 * theta starts at 0 (the uniform policy). */
int32_t swiftpg_policy_create_tabular(int32_t num_states, int32_t num_actions,
                                      uint64_t seed, uint64_t *policy_out);

/* pi(a|s) ∝ exp(theta . phi(s, a)) with features supplied by the caller: an
 * observation row is phi(s, .) flattened, [num_actions, feature_size].
 * theta (feature_size values) starts at 0. */
int32_t swiftpg_policy_create_linear_features(int32_t feature_size,
                                              int32_t num_actions,
                                              uint64_t seed,
                                              uint64_t *policy_out);

/* A diagonal Gaussian N(mu(s), diag sigma(s)^2): mu is an MLP of the
 * observation (linear with num_hidden = 0); log sigma is a free vector
 * (state_dependent_std = 0; starts at initial_log_std) or a second head of
 * the MLP (1). Parameters: the MLP's, then the free log sigma (if any).
 * Samples are not clipped: log-probabilities refer to the sampled values. */
int32_t swiftpg_policy_create_gaussian(int32_t observation_size,
                                       int32_t action_size,
                                       const int32_t *hidden_sizes,
                                       int32_t num_hidden, int32_t activation,
                                       int32_t state_dependent_std,
                                       double initial_log_std,
                                       double hidden_gain, double head_gain,
                                       uint64_t seed, uint64_t *policy_out);

/* A Gaussian policy with generalized state-dependent exploration (gSDE,
 * Raffin et al. 2021): mu as in swiftpg_policy_create_gaussian; with phi(s)
 * the output layer's input (last hidden layer, or the observation) and a
 * parameter matrix L [F, action_size] (F = width of phi, all entries start
 * at initial_log_std), sigma_j(s)^2 = sum_i phi_i(s)^2 exp(2 L_ij) + 1e-6.
 * Sampling holds a noise matrix E ~ N(0, exp(2L)) per batch row for
 * noise_interval (>= 1) calls: a = mu(s) + phi(s)^T E (+ N(0, 1e-6)), so
 * exploration is smooth in time while every action is N(mu(s), sigma(s)^2),
 * which log-probabilities and gradients use. phi is held constant in sigma:
 * gradients reach the network only through mu (exact without hidden
 * layers). Parameters: the MLP's, then L row-major. */
int32_t swiftpg_policy_create_gsde(int32_t observation_size,
                                   int32_t action_size,
                                   const int32_t *hidden_sizes,
                                   int32_t num_hidden, int32_t activation,
                                   double initial_log_std,
                                   int32_t noise_interval, double hidden_gain,
                                   double head_gain, uint64_t seed,
                                   uint64_t *policy_out);

/* The two-action lecture policy: pi(L) = clamp(theta, 0, 1), pi(R) =
 * clamp(1 - theta, 0, 1); action 0 is L. Observations have one (ignored)
 * value. Outside 0 < theta < 1 the gradient used is the subgradient 0. */
int32_t swiftpg_policy_create_clamp(double theta, uint64_t seed,
                                    uint64_t *policy_out);

int32_t swiftpg_policy_destroy(uint64_t policy);

int32_t swiftpg_policy_get_info(uint64_t policy, swiftpg_policy_info *info_out);

/* Sizes of the policy: observation size, number of actions (discrete; 0 for
 * continuous), parameters. */
int32_t swiftpg_policy_get_sizes(uint64_t policy, int32_t *observation_size_out,
                                 int32_t *num_actions_out,
                                 int64_t *num_params_out);

/* Copies the num_params parameters out / in. count must equal num_params.
 * set_params refuses non-finite values (NOT_FINITE) and changes nothing. */
int32_t swiftpg_policy_get_params(uint64_t policy, double *params_out,
                                  int64_t count);
int32_t swiftpg_policy_set_params(uint64_t policy, const double *params,
                                  int64_t count);

/* Arithmetic of an MLP policy's (softmax, Gaussian) or value function's
 * network: bits = 64 (default) or 32. Parameters stay double; 32 runs the
 * layers in single precision (sgemm, a float tanh; about twice as fast),
 * so outputs and gradients carry float rounding (relative ~1e-6). Not
 * saved in checkpoints. INVALID_ARGUMENT for other bits or families. */
int32_t swiftpg_policy_set_precision(uint64_t policy, int32_t bits);
int32_t swiftpg_value_set_precision(uint64_t value, int32_t bits);

/* Reseeds the policy's own sampling generator. */
int32_t swiftpg_policy_seed(uint64_t policy, uint64_t seed);

/* Samples one action per observation row with the policy's generator;
 * greedy != 0 takes the mode (argmax / mean) instead.
 * observations: [batch, observation_size], finite (one-hot for tabular);
 * actions_out: the family's action buffer. */
int32_t swiftpg_policy_sample(uint64_t policy, const double *observations,
                              int64_t batch, int32_t greedy,
                              void *actions_out);

/* Action probabilities, [batch, num_actions] (discrete policies). */
int32_t swiftpg_policy_probabilities(uint64_t policy,
                                     const double *observations, int64_t batch,
                                     double *probabilities_out);

/* log pi(a_i|s_i) for i < batch. Discrete actions must be in range (an
 * action of probability 0 gives -inf); continuous ones finite. */
int32_t swiftpg_policy_log_prob(uint64_t policy, const double *observations,
                                const void *actions, int64_t batch,
                                double *log_probs_out);

/* Entropy of pi(.|s_i) for each row, [batch]. */
int32_t swiftpg_policy_entropy(uint64_t policy, const double *observations,
                               int64_t batch, double *entropies_out);

/* KL(pi_old(.|s_i) || pi(.|s_i)) for each row, where pi_old is this policy
 * with parameters old_params (count = num_params, finite). */
int32_t swiftpg_policy_kl(uint64_t policy, const double *observations,
                          int64_t batch, const double *old_params,
                          int64_t count, double *kl_out);

/* The weighted score gradient  sum_i weights[i] * grad_theta log pi(a_i|s_i),
 * written to gradient_out ([num_params]). weights must be finite. */
int32_t swiftpg_policy_score_gradient(uint64_t policy,
                                      const double *observations,
                                      const void *actions,
                                      const double *weights, int64_t batch,
                                      double *gradient_out);

/* Per-sample score vectors: row i of scores_out ([batch, num_params]) is
 * grad_theta log pi(a_i|s_i). */
int32_t swiftpg_policy_score_vectors(uint64_t policy,
                                     const double *observations,
                                     const void *actions, int64_t batch,
                                     double *scores_out);

/* sum_i weights[i] * grad_theta H(pi(.|s_i)), [num_params]. */
int32_t swiftpg_policy_entropy_gradient(uint64_t policy,
                                        const double *observations,
                                        const double *weights, int64_t batch,
                                        double *gradient_out);

/* sum_i weights[i] * grad_theta KL(pi_old(.|s_i) || pi_theta(.|s_i)). */
int32_t swiftpg_policy_kl_gradient(uint64_t policy, const double *observations,
                                   const double *old_params, int64_t count,
                                   const double *weights, int64_t batch,
                                   double *gradient_out);

/* (1/batch) sum_i F(s_i) v with F(s) = E_{a~pi}[grad log pi grad log pi^T]
 * (the Hessian of the mean KL at theta_old = theta), for natural gradients
 * and TRPO. vector: [num_params] (count = num_params); product_out
 * [num_params]. */
int32_t swiftpg_policy_fisher_vector_product(uint64_t policy,
                                             const double *observations,
                                             int64_t batch,
                                             const double *vector,
                                             int64_t count,
                                             double *product_out);

/* Saves the policy (family, sizes, parameters) to `path`: a versioned
 * binary file with a checksum, written to a temporary file, flushed and
 * renamed, so a crash mid-save never destroys an existing checkpoint.
 * Errors: IO (with the OS's reason), NULL_POINTER. */
int32_t swiftpg_policy_save(uint64_t policy, const char *path);

/* Loads a policy saved by swiftpg_policy_save, or the policy of a policy or
 * learner bundle file (a new handle; the policy's sampling generator is
 * seeded with `seed`). A truncated, corrupted, wrong-version or
 * value-function file gives BAD_FORMAT; a missing file IO. */
int32_t swiftpg_policy_load(const char *path, uint64_t seed,
                            uint64_t *policy_out);

/* Runs `episodes` whole episodes of the policy in the environment (resetting
 * it first with `seed`) and writes each episode's undiscounted return and
 * length. greedy != 0 acts by argmax. The environment's observation size and
 * action count must match the policy. returns_out: [episodes] double,
 * lengths_out: [episodes] int32_t (either may be NULL). Episodes are
 * recorded in the order they started. Results stream: each entry is written
 * when its episode ends (memory O(num_envs) whatever `episodes` is), so
 * after SWIFTPG_ERR_CANCELLED (swiftpg_cancel on `env`) the entries of the
 * episodes that finished hold their results and the rest are unchanged —
 * the one exception to "outputs only on success". An env without a time
 * limit (max_episode_steps 0) is refused (INVALID_ARGUMENT): set one. */
int32_t swiftpg_policy_evaluate(uint64_t policy, uint64_t env,
                                int32_t episodes, int32_t greedy,
                                uint64_t seed, double *returns_out,
                                int32_t *lengths_out);

/* ---------------------------------------------------------------------------
 * Estimators: returns and advantages of time-major rollouts [T, N]
 *
 * rewards, terminated, truncated: [T, N] (flags 0 or 1) for steps t < T;
 * values: [T + 1, N], V(s_t) (row T: the observation after the last step);
 * final_values: [T, N], V of the final observation of an episode that ended
 * at step t (read where truncated and not terminated; may be NULL when no
 * step is truncated). The value after step t is 0 if terminated, the final
 * value if truncated, values[t + 1] otherwise; recursions stop at every
 * episode end (with same-step autoreset, row t + 1 then belongs to the next
 * episode). gamma and lambda are in [0, 1]. Errors: INVALID_ARGUMENT (sizes,
 * flags not 0/1, gamma/lambda/n out of range, final_values missing while a
 * step is truncated), NOT_FINITE, NULL_POINTER, TOO_LARGE.
 * ------------------------------------------------------------------------- */

/* G_t = r_t + gamma * next_t at episode ends, r_t + gamma * G_{t+1} otherwise,
 * G_T = values[T] (values may be NULL: 0, the plain reward-to-go). */
int32_t swiftpg_discounted_returns(int64_t steps, int64_t num_envs,
                                   const double *rewards,
                                   const uint8_t *terminated,
                                   const uint8_t *truncated,
                                   const double *values,
                                   const double *final_values, double gamma,
                                   double *returns_out);

/* delta_t = r_t + gamma * next_t - V(s_t), the TD(0) advantage. */
int32_t swiftpg_td_errors(int64_t steps, int64_t num_envs,
                          const double *rewards, const uint8_t *terminated,
                          const uint8_t *truncated, const double *values,
                          const double *final_values, double gamma,
                          double *deltas_out);

/* GAE(gamma, lambda): A_t = delta_t + gamma * lambda * A_{t+1} within an
 * episode (Schulman et al. 2016, eq. 16). */
int32_t swiftpg_gae(int64_t steps, int64_t num_envs, const double *rewards,
                    const uint8_t *terminated, const uint8_t *truncated,
                    const double *values, const double *final_values,
                    double gamma, double lambda, double *advantages_out);

/* TD(lambda) returns: GAE + V(s_t), the value targets that go with GAE. */
int32_t swiftpg_lambda_returns(int64_t steps, int64_t num_envs,
                               const double *rewards,
                               const uint8_t *terminated,
                               const uint8_t *truncated, const double *values,
                               const double *final_values, double gamma,
                               double lambda, double *returns_out);

/* n-step returns (n >= 1): up to n discounted rewards, then the value that
 * follows (stopping early at episode and segment ends); values may be NULL
 * (bootstrap 0). */
int32_t swiftpg_n_step_returns(int64_t steps, int64_t num_envs,
                               const double *rewards,
                               const uint8_t *terminated,
                               const uint8_t *truncated, const double *values,
                               const double *final_values, double gamma,
                               int32_t n, double *returns_out);

/* n-step advantages: n-step returns - V(s_t). */
int32_t swiftpg_n_step_advantages(int64_t steps, int64_t num_envs,
                                  const double *rewards,
                                  const uint8_t *terminated,
                                  const uint8_t *truncated,
                                  const double *values,
                                  const double *final_values, double gamma,
                                  int32_t n, double *advantages_out);

/* V-trace (Espeholt et al. 2018, eq. 1 and section 4.2): targets v_t and
 * policy-gradient advantages A_t of a batch acted by a behaviour policy b
 * while the learner's policy is pi, from log_rhos [steps*num_envs] =
 * log pi(a|s) - log b(a|s) (finite):
 *   rho_t = min(rho_bar, exp(log_rho_t)), c_t = lambda * min(c_bar, exp(log_rho_t)),
 *   v_t = V(s_t) + rho_t (r_t + gamma next_t - V(s_t)) + gamma c_t k_t (v_{t+1} - V(s_{t+1})),
 *   A_t = rho_t (r_t + gamma (next_t + k_t (v_{t+1} - V(s_{t+1}))) - V(s_t)),
 * with next_t and k_t (step t continues its episode) as for GAE; values
 * [steps+1, num_envs] required. rho_bar, c_bar > 0 (inf: no truncation),
 * lambda in [0, 1]. On-policy (log_rhos 0, bars >= 1, lambda 1) v_t is the
 * discounted return and A_t GAE(gamma, 1). Outputs [steps*num_envs] each.
 * Segment learners use it with advantage = SWIFTPG_ADVANTAGE_VTRACE. */
int32_t swiftpg_vtrace(int64_t steps, int64_t num_envs, const double *rewards,
                       const uint8_t *terminated, const uint8_t *truncated,
                       const double *values, const double *final_values,
                       const double *log_rhos, double gamma, double rho_bar,
                       double c_bar, double lambda, double *targets_out,
                       double *advantages_out);

/* Episode-level weights of the score-function estimator, on the same
 * rollouts (an episode segment starts at row 0 or after an episode end):
 * every step gets its episode's discounted return R(tau) = sum_k gamma^k r_k
 * (plain REINFORCE). */
int32_t swiftpg_episode_returns(int64_t steps, int64_t num_envs,
                                const double *rewards,
                                const uint8_t *terminated,
                                const uint8_t *truncated, double gamma,
                                double *returns_out);

/* gamma^k * G_k, the reward-to-go times the gamma^k factor of the exact
 * discounted policy gradient (k: the step's index in its episode segment);
 * the common implementations drop this factor. */
int32_t swiftpg_discounted_reward_to_go(int64_t steps, int64_t num_envs,
                                        const double *rewards,
                                        const uint8_t *terminated,
                                        const uint8_t *truncated, double gamma,
                                        double *weights_out);

/* The batch-mean baseline: out[i] = values[i] - b with b the mean of
 * values[0..count), or with leave_one_out = 1 the mean of the other
 * count - 1 values (unbiased; count >= 2). mean_out (may be NULL): the plain
 * mean. values, out: [count]. */
int32_t swiftpg_mean_baseline(int64_t count, const double *values,
                              int32_t leave_one_out, double *out,
                              double *mean_out);

/* values - b_k with b_k the mean of values over the steps with episode index
 * k (the per-time-step mean baseline). values: [T, N]. */
int32_t swiftpg_time_step_baseline(int64_t steps, int64_t num_envs,
                                   const double *values,
                                   const uint8_t *terminated,
                                   const uint8_t *truncated, double *out);

#define SWIFTPG_IS_PER_STEP 0     /* rho_t = pi(a_t|s_t) / beta(a_t|s_t) */
#define SWIFTPG_IS_PER_DECISION 1 /* prod_{j <= t} rho_j within the episode */
#define SWIFTPG_IS_TRAJECTORY 2   /* prod over the whole episode segment */

/* Importance weights from log-probabilities of the taken actions under the
 * target policy (log_probs) and the behaviour policy, [T, N]; each weight
 * truncated at clip (min(w, clip); +inf for none; clip > 0). */
int32_t swiftpg_importance_weights(int64_t steps, int64_t num_envs,
                                   const double *log_probs,
                                   const double *behavior_log_probs,
                                   const uint8_t *terminated,
                                   const uint8_t *truncated, int32_t kind,
                                   double clip, double *weights_out);

/* PPO's clipped surrogate for `count` samples: objectives_out[k] =
 * min(rho A, clip(rho, 1-eps, 1+eps) A); weights_out[k] = the weight w with
 * grad L = w grad log pi (rho A where the unclipped term is active, else 0);
 * summary_out[3] = {mean objective, clip fraction, mean k3 KL}. epsilon > 0
 * (+inf: the plain importance-weighted surrogate). Outputs may be NULL. */
int32_t swiftpg_clipped_surrogate(int64_t count, const double *log_probs,
                                  const double *old_log_probs,
                                  const double *advantages, double epsilon,
                                  double *objectives_out, double *weights_out,
                                  double *summary_out);

/* KL(pi_old || pi) sample estimates from actions drawn by pi_old: k1 = -log
 * rho, k3 = (rho - 1) - log rho (rho = pi/pi_old). Outputs may be NULL. */
int32_t swiftpg_kl_estimates(int64_t count, const double *log_probs,
                             const double *old_log_probs, double *k1_out,
                             double *k3_out);

/* Kochenderfer's optimal per-parameter baseline (Alg. 11.6) and its
 * gradient: scores [steps, num_params] (score vectors, gamma^k-weighted if
 * discounting), returns [steps] (reward-to-go), episodes [steps] (trajectory
 * id in 0 ..< num_trajectories, num_trajectories <= steps: a trajectory
 * has at least one step); per_trajectory = 1 averages per-trajectory
 * ratios (the book's code), 0 pools all steps. baseline_out, gradient_out:
 * [num_params]; gradient = (1/m) sum_k l(k) (G_k - b). */
int32_t swiftpg_optimal_baseline(int64_t steps, int64_t num_params,
                                 const double *scores, const double *returns,
                                 const int32_t *episodes,
                                 int32_t num_trajectories,
                                 int32_t per_trajectory, double *baseline_out,
                                 double *gradient_out);

/* Zeroth-order gradient estimates (Kochenderfer Alg. 11.2, 11.3).
 * Finite differences: gradient_out[i] = (plus[i] - base) / delta, or with
 * minus != NULL the central (plus[i] - minus[i]) / (2 delta); plus, minus,
 * gradient_out: [num_params] utilities U(theta +- delta e_i). */
int32_t swiftpg_finite_difference_gradient(int64_t num_params, double base,
                                           const double *plus,
                                           const double *minus, double delta,
                                           double *gradient_out);

/* Kochenderfer's scale_gradient: gradient_out = gradient * min(1,
 * max_norm / ||gradient||_2) (max_norm 0: a plain copy); norm_out (may be
 * NULL) receives the norm before scaling. gradient_out may equal gradient. */
int32_t swiftpg_scale_gradient(int64_t num_params, const double *gradient,
                               double max_norm, double *gradient_out,
                               double *norm_out);

/* Kochenderfer's clip_gradient: every component clamped to [low, high]
 * (element-wise, so the direction can change); clipped_out (may be NULL)
 * receives how many components changed. gradient_out may equal gradient. */
int32_t swiftpg_clip_gradient(int64_t num_params, const double *gradient,
                              double low, double high, double *gradient_out,
                              int64_t *clipped_out);

/* Optimiser steps as pure functions of their state (optax style); the
 * learners take exactly these steps. Adam (Kingma & Ba 2015, Algorithm 1):
 * t <- t + 1; m <- beta1 m + (1 - beta1) g; v <- beta2 v + (1 - beta2) g^2;
 * theta <- theta -+ lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * (+ with ascend 1). params, m, v [num_params] and *t are updated in place;
 * nothing changes on error (gradient or state not finite, v < 0, lr <= 0,
 * beta outside [0, 1), eps <= 0). */
int32_t swiftpg_adam_step(int64_t num_params, double *params, const double *gradient,
                          double *m, double *v, int64_t *t, double learning_rate,
                          double beta1, double beta2, double epsilon, int32_t ascend);

/* SGD with heavy-ball momentum: velocity <- momentum velocity + g;
 * theta <- theta -+ lr velocity (+ with ascend 1). In place; nothing changes
 * on error. */
int32_t swiftpg_sgd_step(int64_t num_params, double *params, const double *gradient,
                         double *velocity, double learning_rate, double momentum,
                         int32_t ascend);

/* Regression gradient: the least-squares (rows >= columns) or minimum-norm
 * (rows < columns) solution g = pinv(D) dU of D g = dU, with perturbations
 * D: [num_perturbations, num_params] row-major and changes dU:
 * [num_perturbations] (U(theta + D_j) - U(theta)). gradient_out:
 * [num_params]. SWIFTPG_ERR_INVALID_ARGUMENT if D is rank deficient. */
int32_t swiftpg_regression_gradient(int64_t num_perturbations,
                                    int64_t num_params,
                                    const double *perturbations,
                                    const double *changes,
                                    double *gradient_out);

/* ---------------------------------------------------------------------------
 * Exact policy evaluation and gradients of finite MDPs
 * ------------------------------------------------------------------------- */

/* For a tabular environment (swiftpg_env_tabular_sizes succeeds) and a
 * discrete policy with as many actions, computes exactly: the objective J
 * (discounted: E sum_t gamma^t r_t; finite horizon H: E sum_{t<H} gamma^t
 * r_t), V [S], Q [S, A], A = Q - V [S, A] (t = 0 for finite horizons), the
 * discounted state visitation d(s) = sum_t gamma^t Pr(s_t = s) [S], and the
 * policy gradient dJ/dtheta [num_params] by the policy gradient theorem.
 * state_observations [S, observation_size]: what the policy sees in each
 * state; NULL means the environment's one-hot observations (error for other
 * environments, e.g. ShortCorridor-v0, whose observation is aliased). Any
 * output may be NULL. NUMERICAL if I - gamma P_pi is singular (with gamma = 1
 * the policy never ends an episode). */
int32_t swiftpg_exact_solve(uint64_t env, uint64_t policy,
                            const double *state_observations,
                            double *objective_out, double *values_out,
                            double *action_values_out, double *advantages_out,
                            double *visitation_out, double *gradient_out);

/* ---------------------------------------------------------------------------
 * Value functions (critics): V(s) for a batch of observations
 * ------------------------------------------------------------------------- */

/* V(s) = MLP(s) (linear with num_hidden = 0), orthogonal init with gain
 * sqrt 2 for hidden layers and 1 for the output. */
int32_t swiftpg_value_create_mlp(int32_t observation_size,
                                 const int32_t *hidden_sizes,
                                 int32_t num_hidden, int32_t activation,
                                 uint64_t seed, uint64_t *value_out);

/* V(s) = theta[s] over one-hot observations of num_states states (init 0). */
int32_t swiftpg_value_create_tabular(int32_t num_states, uint64_t *value_out);

int32_t swiftpg_value_destroy(uint64_t value);

int32_t swiftpg_value_get_sizes(uint64_t value, int32_t *observation_size_out,
                                int64_t *num_params_out);
int32_t swiftpg_value_get_params(uint64_t value, double *params_out,
                                 int64_t count);
int32_t swiftpg_value_set_params(uint64_t value, const double *params,
                                 int64_t count);

/* V(s_i) for each row, [batch]. */
int32_t swiftpg_value_predict(uint64_t value, const double *observations,
                              int64_t batch, double *values_out);

/* sum_i weights[i] * grad_theta V(s_i), [num_params]. */
int32_t swiftpg_value_gradient(uint64_t value, const double *observations,
                               const double *weights, int64_t batch,
                               double *gradient_out);

/* Checkpoints, as for policies (load also reads the critic of a learner
 * bundle file). */
int32_t swiftpg_value_save(uint64_t value, const char *path);
int32_t swiftpg_value_load(const char *path, uint64_t *value_out);

/* ---------------------------------------------------------------------------
 * Policy-gradient learners: REINFORCE (with its weighting and baseline
 * variants), online actor-critic, batch actor-critic / A2C, off-policy PG
 * with importance sampling, natural policy gradient, TRPO and PPO.
 *
 * Each algorithm has its own configuration struct holding only the fields it
 * reads; its first field `size` must be sizeof the struct (the default_config
 * function sets it; a different value is refused with INVALID_ARGUMENT, so a
 * caller compiled against another layout cannot be misread).
 * swiftpg_<algo>_default_config fills the defaults (the values of the
 * reference implementation named in REFERENCE.md §4) and
 * swiftpg_<algo>_create makes the learner; every other call below takes any
 * policy-gradient learner handle.
 *
 * REINFORCE and off-policy PG collect whole episodes (an instance starts an
 * episode only while fewer than steps_per_iteration transitions are
 * collected; every started episode is completed); the others collect
 * fixed-length segments of steps_per_env steps of every instance, episodes
 * continuing across iterations, and bootstrap truncated episodes from V of
 * their final observation. Formulas and sources: the Swift file of each
 * algorithm (Sources/SwiftPG/Algorithms/<Name>.swift), REFERENCE.md §4.
 * ------------------------------------------------------------------------- */

#define SWIFTPG_WEIGHTING_FULL_RETURN 0
#define SWIFTPG_WEIGHTING_REWARD_TO_GO 1
#define SWIFTPG_WEIGHTING_DISCOUNTED_REWARD_TO_GO 2

#define SWIFTPG_BASELINE_NONE 0
#define SWIFTPG_BASELINE_MEAN 1
#define SWIFTPG_BASELINE_OPTIMAL 2
#define SWIFTPG_BASELINE_VALUE 3

#define SWIFTPG_ADVANTAGE_GAE 0
#define SWIFTPG_ADVANTAGE_NSTEP 1
/* V-trace with rho_bar = vtrace_rho_bar, c_bar = vtrace_c_bar (default 1
 * each) and c_t scaled by gae_lambda
 * (swiftpg_vtrace): log rho = log pi - log b with b the behaviour
 * log-probabilities of the batch (swiftpg_pg_update_behavior: a rollout
 * worker's, possibly stale, policy) and pi the learner's policy before the
 * update; the critic is fitted to the V-trace targets (value_target is not
 * read). On a batch the learner collected itself, log rho is the rounding
 * difference between the sampling pass and a log-probability pass. */
#define SWIFTPG_ADVANTAGE_VTRACE 2

#define SWIFTPG_VALUE_TARGET_BOOTSTRAP 0
#define SWIFTPG_VALUE_TARGET_MONTE_CARLO 1

#define SWIFTPG_OPTIMIZER_ADAM 0
#define SWIFTPG_OPTIMIZER_SGD 1

/* The learner kinds (what a checkpoint records). */
#define SWIFTPG_ALGO_REINFORCE 0
#define SWIFTPG_ALGO_ACTOR_CRITIC 1
#define SWIFTPG_ALGO_A2C 2
#define SWIFTPG_ALGO_OFFPOLICY_PG 3
#define SWIFTPG_ALGO_NPG 4
#define SWIFTPG_ALGO_TRPO 5
#define SWIFTPG_ALGO_PPO 6

/* REINFORCE (Williams 1992; Sutton & Barto §13.3-13.4). Defaults: 5000 steps
 * per iteration, gamma 0.99, reward-to-go weights, mean baseline, normalised
 * weights, Adam lr 0.01 (eps 1e-8), no clipping; value baseline: critic lr
 * 1e-3, 5 passes. The critic handle is needed only with BASELINE_VALUE. */
typedef struct swiftpg_reinforce_config {
  uint32_t size;                 /* sizeof(swiftpg_reinforce_config) */
  int32_t steps_per_iteration;   /* min transitions of whole episodes per iteration */
  int32_t weighting;             /* SWIFTPG_WEIGHTING_* */
  int32_t baseline;              /* SWIFTPG_BASELINE_* */
  int32_t normalize_advantages;  /* 1: divide the weights by their std (not with OPTIMAL) */
  int32_t episode_average;       /* 1: divide the summed gradient by the number of episodes
                                    (Sutton & Barto's Monte Carlo estimate); 0: by the steps */
  int32_t value_epochs;          /* BASELINE_VALUE: critic passes per batch (>= 0) */
  int32_t optimizer;             /* SWIFTPG_OPTIMIZER_* */
  double gamma;                  /* discount in [0, 1] */
  double learning_rate;          /* policy step size (> 0) */
  double value_learning_rate;    /* BASELINE_VALUE: critic step size; 0: learning_rate */
  double adam_epsilon;           /* > 0 */
  double max_grad_norm;          /* L2 norm clip of the gradient; 0: off */
  double max_grad_value;         /* clamp each component to +-this before the step; 0: off */
  double entropy_coef;           /* entropy bonus coefficient (>= 0) */
  uint64_t seed;                 /* action sampling and critic minibatch shuffling */
} swiftpg_reinforce_config;

/* Online actor-critic (Levine CS 285; Sutton & Barto §13.5): T steps of every
 * instance, a TD(0) critic step, then a policy step on the TD errors.
 * Defaults: T 1, gamma 0.99, SGD lr 0.01, critic lr 0.05, 1 critic pass. */
typedef struct swiftpg_actor_critic_config {
  uint32_t size;                 /* sizeof(swiftpg_actor_critic_config) */
  int32_t steps_per_env;         /* T steps of every instance per iteration */
  int32_t value_epochs;          /* critic steps on each batch (>= 1 used) */
  int32_t normalize_advantages;  /* 1: standardise the TD errors */
  int32_t optimizer;             /* SWIFTPG_OPTIMIZER_* */
  int32_t reserved;              /* 0 */
  double gamma;
  double learning_rate;
  double value_learning_rate;    /* 0: learning_rate */
  double adam_epsilon;
  double max_grad_norm;
  double max_grad_value;
  double entropy_coef;
  uint64_t seed;
} swiftpg_actor_critic_config;

/* When a normalising segment learner (normalize_observations,
 * normalize_rewards) folds its collection into the running statistics:
 * PER_STEP (the default, as SB3's VecNormalize): at every step, before the
 * policy sees the step's observations. PER_SEGMENT: the policy sees the
 * observations normalised with the statistics frozen at the start of the
 * segment; the raw segment is folded in afterwards, step by step in time
 * order, and the batch normalised with the frozen statistics, its rewards
 * scaled as they are folded: what a learner does with the raw batches of
 * rollout workers (swiftpg_pg_update_raw), so a PER_SEGMENT learner trains
 * bit-identically alone and across any number of workers. */
#define SWIFTPG_NORMALIZATION_UPDATE_PER_STEP 0
#define SWIFTPG_NORMALIZATION_UPDATE_PER_SEGMENT 1

/* The fields shared by the segment learners A2C, NPG, TRPO and PPO, in this
 * order at the start of each of their structs (after `size`). vtrace_rho_bar
 * and vtrace_c_bar are V-trace's truncation levels (Espeholt et al. 2018,
 * section 4.1; read with advantage = SWIFTPG_ADVANTAGE_VTRACE): rho_bar
 * selects the fixed point (the value of a policy between the behaviour
 * policy and pi; pi itself as rho_bar -> inf), c_bar the speed of the
 * contraction (the variance of the traces). The paper assumes
 * c_bar <= rho_bar, under which its contraction result is proved; it is
 * not required here. */
#define SWIFTPG_SEGMENT_CONFIG_FIELDS                                          \
  int32_t steps_per_env;         /* T steps of every instance per iteration */ \
  int32_t advantage;             /* SWIFTPG_ADVANTAGE_* */                     \
  int32_t n_steps;               /* n of n-step advantages (>= 1) */           \
  int32_t value_target;          /* SWIFTPG_VALUE_TARGET_* */                  \
  int32_t value_epochs;          /* critic passes per batch */                 \
  int32_t normalize_advantages;  /* 1: standardise advantages */              \
  int32_t optimizer;             /* SWIFTPG_OPTIMIZER_* */                     \
  int32_t minibatch_size;        /* must divide num_envs*steps_per_env; 0: whole batch */ \
  int32_t anneal_learning_rate;  /* 1: decay linearly to 0 over total_env_steps */ \
  int32_t normalize_observations;/* 1: running mean/std normalisation, clipped */ \
  int32_t normalize_rewards;     /* 1: divide by the std of the discounted return */ \
  int32_t normalization_update;  /* SWIFTPG_NORMALIZATION_UPDATE_* */          \
  int64_t total_env_steps;       /* horizon of the annealing schedules */     \
  double gamma;                  /* discount in [0, 1] */                      \
  double gae_lambda;             /* GAE lambda in [0, 1] */                    \
  double learning_rate;          /* policy step size (> 0) */                  \
  double value_learning_rate;    /* critic step size; 0: learning_rate */      \
  double adam_epsilon;           /* > 0 */                                     \
  double max_grad_norm;          /* L2 norm clip; 0: off */                    \
  double max_grad_value;         /* clamp each component; 0: off */            \
  double entropy_coef;           /* entropy bonus coefficient (>= 0) */        \
  double clip_observations;      /* normalised observations clipped to +-this */ \
  double clip_rewards;           /* scaled rewards clipped to +-this */        \
  double vtrace_rho_bar;         /* ADVANTAGE_VTRACE: rho_bar (finite, > 0; 1) */ \
  double vtrace_c_bar;           /* ADVANTAGE_VTRACE: c_bar (finite, > 0; 1) */ \
  uint64_t seed;                 /* action sampling and minibatch shuffling */

/* Synchronous advantage actor-critic (Mnih et al. 2016). Defaults: T 5,
 * GAE lambda 1 (n-step returns of the segment), Adam lr 7e-4, value_coef 0.5,
 * max_grad_norm 0.5, advantages not normalised. */
typedef struct swiftpg_a2c_config {
  uint32_t size;                 /* sizeof(swiftpg_a2c_config) */
  SWIFTPG_SEGMENT_CONFIG_FIELDS
  double value_coef;             /* weight of the critic loss in the joint clip */
} swiftpg_a2c_config;

/* Natural policy gradient (Kakade 2001): the full natural step of KL delta.
 * Defaults: T 256, lr (critic) 1e-3, 10 critic passes of minibatches of 128,
 * max_kl 0.01, 15 CG iterations, damping 0.1. */
typedef struct swiftpg_npg_config {
  uint32_t size;                 /* sizeof(swiftpg_npg_config) */
  SWIFTPG_SEGMENT_CONFIG_FIELDS
  int32_t cg_iterations;         /* conjugate-gradient steps (1..1000) */
  int32_t reserved2;             /* 0 */
  double max_kl;                 /* KL budget delta (> 0) */
  double cg_damping;             /* added to the Fisher matrix (>= 0) */
} swiftpg_npg_config;

/* TRPO (Schulman et al. 2015): the natural step with a backtracking line
 * search. Defaults as NPG plus 10 backtracks of ratio 0.8. */
typedef struct swiftpg_trpo_config {
  uint32_t size;                 /* sizeof(swiftpg_trpo_config) */
  SWIFTPG_SEGMENT_CONFIG_FIELDS
  int32_t cg_iterations;
  int32_t line_search_steps;     /* backtracking steps (1..100) */
  double max_kl;
  double cg_damping;
  double backtrack_ratio;        /* step fraction per backtrack, in (0, 1) */
} swiftpg_trpo_config;

/* PPO (Schulman et al. 2017) with the details of Huang et al. (2022).
 * Defaults: T 128, 10 epochs of minibatches of 64, clip 0.2, GAE 0.95, Adam
 * lr 3e-4 (eps 1e-5), max_grad_norm 0.5, value_coef 0.5. */
typedef struct swiftpg_ppo_config {
  uint32_t size;                 /* sizeof(swiftpg_ppo_config) */
  SWIFTPG_SEGMENT_CONFIG_FIELDS
  int32_t epochs;                /* passes over each batch (1..10000) */
  int32_t anneal_clip_range;     /* 1: decay epsilon linearly to 0 */
  int32_t kl_penalty;            /* 1: adaptive KL penalty instead of clipping */
  int32_t shared_network;        /* 1: policy and critic share their hidden layers */
  int32_t update_threads;        /* 1-64; 2 or more: policy and critic passes concurrently */
  int32_t reserved2;             /* 0 */
  double clip_range;             /* epsilon of the clipped surrogate */
  double value_clip_range;       /* clip V - V_old to +-this; 0: off */
  double value_coef;             /* critic loss coefficient */
  double target_kl;              /* stop the epochs when approx KL > 1.5x; 0: off */
  double kl_beta;                /* KL penalty: initial beta */
  double kl_target;              /* KL penalty: d_targ */
} swiftpg_ppo_config;

/* Off-policy PG with importance sampling (Sutton & Barto §5.5; Precup et al.
 * 2000): reuses the last reuse_batches batches of whole episodes. Defaults:
 * 5000 steps, mean baseline, per-decision weights, no truncation, 4 batches,
 * Adam lr 0.01 (eps 1e-8). */
typedef struct swiftpg_offpolicy_pg_config {
  uint32_t size;                 /* sizeof(swiftpg_offpolicy_pg_config) */
  int32_t steps_per_iteration;   /* min transitions of whole episodes per iteration */
  int32_t baseline;              /* SWIFTPG_BASELINE_NONE or _MEAN */
  int32_t normalize_advantages;  /* 1: divide the weights by their std */
  int32_t reuse_batches;         /* batches reused per update (>= 1) */
  int32_t per_decision;          /* 1 per-decision, 0 trajectory weights */
  int32_t optimizer;             /* SWIFTPG_OPTIMIZER_* */
  int32_t reserved;              /* 0 */
  double gamma;
  double learning_rate;
  double adam_epsilon;
  double max_grad_norm;
  double max_grad_value;
  double entropy_coef;
  double importance_clip;        /* truncate importance weights (inf: none) */
  uint64_t seed;
} swiftpg_offpolicy_pg_config;

/* Statistics of one iteration or update. Zero where a learner has no such
 * quantity (named per field). */
typedef struct swiftpg_train_stats {
  uint32_t size;               /* written: sizeof(swiftpg_train_stats) */
  int32_t episodes;            /* episodes that ended in this batch */
  int64_t iteration;           /* 1 for the first iteration */
  int64_t env_steps;           /* transitions used in this iteration */
  int64_t total_env_steps;     /* since creation */
  int32_t epochs;              /* PPO: epochs run (target-KL stop); others 1 */
  int32_t line_search_step;    /* TRPO: accepted backtrack j (-1: none accepted) */
  double mean_return;          /* undiscounted, raw rewards; NaN without episodes */
  double std_return;
  double min_return;
  double max_return;
  double mean_length;
  double success_rate;         /* fraction of episodes that reached the goal; NaN
                                  without episodes or where the env defines none */
  double policy_loss;          /* the loss minimised: minus the surrogate objective
                                  (CleanRL's sign) */
  double value_loss;           /* 0.5 mean (V - target)^2 */
  double entropy;              /* mean policy entropy after the update */
  double approx_kl;            /* k3: mean (r - 1) - log r against the acting policy */
  double clip_fraction;        /* PPO: fraction of ratios outside 1 +- epsilon */
  double explained_variance;   /* 1 - Var[target - V] / Var[target] */
  double grad_norm;            /* L2 norm of the gradient before clipping */
  double learning_rate;        /* after annealing */
  double kl_coef;              /* PPO with kl_penalty: beta after adaptation */
  double effective_sample_size;/* off-policy PG: ESS of the trajectory weights
                                  divided by the number of trajectories, (0, 1] */
  double seconds;              /* wall time of the iteration */
} swiftpg_train_stats;

/* Defaults of each learner (sets size). */
int32_t swiftpg_reinforce_default_config(swiftpg_reinforce_config *config_out);
int32_t swiftpg_actor_critic_default_config(swiftpg_actor_critic_config *config_out);
int32_t swiftpg_a2c_default_config(swiftpg_a2c_config *config_out);
int32_t swiftpg_npg_default_config(swiftpg_npg_config *config_out);
int32_t swiftpg_trpo_default_config(swiftpg_trpo_config *config_out);
int32_t swiftpg_ppo_default_config(swiftpg_ppo_config *config_out);
int32_t swiftpg_offpolicy_pg_default_config(swiftpg_offpolicy_pg_config *config_out);

/* Creates a learner training `policy` on `env` (the action spaces and sizes
 * must match: categorical policies for discrete, Gaussian for continuous
 * actions), with the critic `value` (0 when the algorithm needs none; every
 * learner but REINFORCE and off-policy PG needs one, REINFORCE only with
 * BASELINE_VALUE). env may be 0: the learner then only updates on data
 * passed to swiftpg_pg_update (sizes and action space come from the
 * policy). The learner keeps the objects alive even if their handles are
 * destroyed. Every configuration error is reported here, before any
 * training: INVALID_ARGUMENT with the field named. */
int32_t swiftpg_reinforce_create(uint64_t env, uint64_t policy, uint64_t value,
                                 const swiftpg_reinforce_config *config, uint64_t *learner_out);
int32_t swiftpg_actor_critic_create(uint64_t env, uint64_t policy, uint64_t value,
                                    const swiftpg_actor_critic_config *config, uint64_t *learner_out);
int32_t swiftpg_a2c_create(uint64_t env, uint64_t policy, uint64_t value,
                           const swiftpg_a2c_config *config, uint64_t *learner_out);
int32_t swiftpg_npg_create(uint64_t env, uint64_t policy, uint64_t value,
                           const swiftpg_npg_config *config, uint64_t *learner_out);
int32_t swiftpg_trpo_create(uint64_t env, uint64_t policy, uint64_t value,
                            const swiftpg_trpo_config *config, uint64_t *learner_out);
int32_t swiftpg_ppo_create(uint64_t env, uint64_t policy, uint64_t value,
                           const swiftpg_ppo_config *config, uint64_t *learner_out);
int32_t swiftpg_offpolicy_pg_create(uint64_t env, uint64_t policy, uint64_t value,
                                    const swiftpg_offpolicy_pg_config *config, uint64_t *learner_out);

/* The SWIFTPG_ALGO_* kind of a policy-gradient learner. */
int32_t swiftpg_pg_algorithm(uint64_t learner, int32_t *algorithm_out);

/* One iteration (collect, estimate, update). NUMERICAL (naming the iteration
 * and the quantity) if a loss, gradient or parameter becomes non-finite; the
 * learner is then left exactly as before the iteration. stats_out->size is
 * written. */
int32_t swiftpg_pg_iterate(uint64_t learner, swiftpg_train_stats *stats_out);

/* Collects one segment with the learner's policy as an iteration's
 * collection does, without updating (workers that collect while another
 * process learns, or a custom update in Python): steps_per_env steps of
 * each environment, one policy pass per step. The environments, sampling
 * generators and observation/reward normalisers advance; the parameters and
 * the counters (iteration, total env steps) do not. `steps` and `num_envs`
 * must equal the learner's steps_per_env and environment count (they size
 * the buffers). Time-major outputs [steps, num_envs, ...]: observations as
 * the policy saw them (normalised if the learner normalises; raw, as are the
 * rewards, final and next observations, for a learner in rollout-worker
 * mode: swiftpg_pg_set_worker_normalization), actions (int32,
 * or float64 [.., action_size]), log_probs (log pi(a|s) of the sampling
 * policy: the behaviour log-probabilities for importance ratios), values
 * (the critic's V(s); NULL to skip, INVALID_ARGUMENT if not NULL and the
 * learner has no critic), rewards (as the update sees them: scaled if the
 * learner scales rewards), terminated, truncated, final_observations (rows of
 * truncated, not terminated steps; 0 elsewhere), next_observations
 * [num_envs, obs_size] (after the last step). stats_out: the counters and
 * the episodes that ended (swiftpg_pg_episodes lists them). NOT_SUPPORTED
 * for learners that collect whole episodes (REINFORCE, off-policy PG);
 * NUMERICAL (outputs not written) if the policy produced non-finite
 * actions. */
int32_t swiftpg_pg_collect(uint64_t learner, int64_t steps, int64_t num_envs, double *observations,
                           void *actions, double *log_probs, double *values, double *rewards,
                           uint8_t *terminated, uint8_t *truncated, double *final_observations,
                           double *next_observations, swiftpg_train_stats *stats_out);

/* Trains `count` (1-4096) independent policy-gradient learners side by side:
 * each iterates until its total env-step counter reaches total_env_steps
 * (>= 1), up to `threads` (1-64) learners at a time, one thread each —
 * many seeds in one call. Every learner ends bit-identical to training it
 * alone with swiftpg_pg_iterate. The learners must be distinct and share no
 * environment, policy or critic (INVALID_ARGUMENT, nothing trained); all of
 * them and their objects are held for the call (BUSY if one is in use).
 * iterations_out[k] receives the number of iterations learner k ran; the
 * statistics of its first stats_capacity iterations go to
 * stats_out[k * stats_capacity + i] (stats_out may be NULL when
 * stats_capacity is 0). A learner that fails (NUMERICAL, say) stops, left as
 * before its failed iteration, while the others go on; the call then
 * returns the error of the lowest-numbered failed learner, its message
 * naming the learner, with iterations_out and stats_out written for what
 * ran. swiftpg_cancel on learners[0] stops every learner before its next
 * iteration (CANCELLED). Every learner needs an environment
 * (INVALID_ARGUMENT otherwise, nothing trained). */
int32_t swiftpg_pg_train_together(const uint64_t *learners, int32_t count, int64_t total_env_steps,
                                  int32_t threads, swiftpg_train_stats *stats_out, int64_t stats_capacity,
                                  int64_t *iterations_out);

/* One update on transitions collected elsewhere (e.g. a Gymnasium
 * environment stepped by Python), time-major [steps, num_envs]:
 * observations [steps*num_envs*obs_size] as the policy sees them, actions
 * [steps*num_envs] int32 (discrete) or [steps*num_envs*action_size] double,
 * rewards, terminated, truncated [steps*num_envs]; final_observations
 * [steps*num_envs*obs_size] (rows read where truncated and not terminated;
 * may be NULL when nothing is truncated) and next_observations
 * [num_envs*obs_size], the observation after the last step of each env.
 * The policy that acted is taken to be the current one. Episodic algorithms
 * drop steps of episodes that do not end in the batch. Not available with
 * normalize_observations / normalize_rewards (normalise in the environment). */
int32_t swiftpg_pg_update(uint64_t learner, int64_t steps, int64_t num_envs,
                          const double *observations, const void *actions,
                          const double *rewards, const uint8_t *terminated,
                          const uint8_t *truncated,
                          const double *final_observations,
                          const double *next_observations,
                          swiftpg_train_stats *stats_out);

/* swiftpg_pg_update with the behaviour log-probabilities given:
 * log_probs [steps*num_envs] (finite), log beta(a|s) of the policy that
 * acted, as swiftpg_pg_collect writes them, instead of the current
 * policy's. The update is then the one swiftpg_pg_iterate makes on the same
 * batch (bit for bit, with the same parameters and generators), and with an
 * older acting policy PPO's ratio, the approx-KL statistic and off-policy
 * PG's importance weights are taken against it (asynchronous rollout
 * workers). Arguments and errors otherwise as swiftpg_pg_update; NULL
 * log_probs: NULL_POINTER. Source: Schulman et al. 2017 (PPO's
 * pi/pi_old); Espeholt et al. 2018 (learning from stale actors). */
int32_t swiftpg_pg_update_behavior(uint64_t learner, int64_t steps, int64_t num_envs,
                                   const double *observations, const void *actions,
                                   const double *log_probs, const double *rewards,
                                   const uint8_t *terminated, const uint8_t *truncated,
                                   const double *final_observations,
                                   const double *next_observations,
                                   swiftpg_train_stats *stats_out);

/* swiftpg_pg_update_behavior on a rollout worker's raw batch, for learners
 * that normalise observations and/or rewards: observations, final and next
 * observations and rewards as the environments gave them (a worker in
 * swiftpg_pg_set_worker_normalization mode records them so). The learner
 * scales the rewards as its collection does (the running std of each lane's
 * discounted return, updated step by step in time order, then clipped; the
 * per-lane returns are kept across calls — in memory only: a checkpoint of
 * the driver does not hold them, so a driver restored between raw updates
 * starts its lanes' returns at 0), normalises the observations with
 * the observation statistics the workers' policies saw, folds the raw
 * observations into its statistics step by step (num_envs rows per step),
 * and updates. The statistics the workers saw: obs_mean and obs_variance
 * [num_envs*obs_size] (obs_size = the observation size; finite, variances
 * >= 0), lane i's in row i, when given — the stale segments of an
 * asynchronous run, each worker's collected with the statistics sent with
 * its (older) parameters — or, with both NULL and obs_size 0, the
 * learner's statistics as they were before this call (a synchronous run).
 * A learner that does not normalise observations takes NULL/NULL/0. The
 * result does not depend on how the lanes were split over
 * workers. A failed update restores the statistics too. For a learner that
 * normalises nothing it is swiftpg_pg_update_behavior. Errors as
 * swiftpg_pg_update_behavior; INVALID_ARGUMENT for statistics of another
 * size, given to a learner that does not normalise observations, or with
 * negative variances; NOT_FINITE for a NaN or infinite mean or variance;
 * NULL_POINTER for only one of obs_mean / obs_variance given with
 * obs_size > 0. */
int32_t swiftpg_pg_update_raw(uint64_t learner, int64_t steps, int64_t num_envs,
                              const double *observations, const void *actions,
                              const double *log_probs, const double *rewards,
                              const uint8_t *terminated, const uint8_t *truncated,
                              const double *final_observations,
                              const double *next_observations,
                              const double *obs_mean, const double *obs_variance,
                              int64_t obs_size, swiftpg_train_stats *stats_out);

/* Puts a learner that normalises observations and/or rewards into
 * rollout-worker mode: its observation statistics become mean and variance
 * [size] and count (size = observation size; 0 with NULL arrays when the
 * learner normalises only rewards) — the learner's statistics of a
 * distributed run, sent with its parameters — and collection
 * (swiftpg_pg_collect) then normalises what the policy sees with them
 * without updating them, and writes raw observations (also final and next
 * ones) and raw rewards, for swiftpg_pg_update_raw in the learner.
 * Call again to set newer statistics; there is no way back. INVALID_ARGUMENT
 * for a learner that normalises nothing or a wrong size, NOT_FINITE for
 * non-finite statistics, a negative variance or count <= 0 (nothing changes). */
int32_t swiftpg_pg_set_worker_normalization(uint64_t learner, const double *mean, const double *variance,
                                            int64_t size, double count);

/* Makes the learner's lane i draw its actions from the stream of global
 * lane first_lane + i (PCG64(SeedSequence(seed, spawn_key=(7, first_lane +
 * i)))), restarting every lane's stream: a rollout worker that holds lanes
 * first_lane ..< first_lane + num_envs of a run split across processes
 * (with its environment created with seed + first_lane, so instance i is
 * seeded from seed + first_lane + i) samples exactly what those lanes of
 * one learner with all the environments sample. first_lane in [0, 2^40]
 * (INVALID_ARGUMENT otherwise); INVALID_ARGUMENT for a learner without an
 * environment. Saved with the learner (the generators are). */
int32_t swiftpg_pg_set_lane_offset(uint64_t learner, int64_t first_lane);

/* The episodes that ended in the last iteration or update, in the order they
 * ended: undiscounted returns, lengths, and success flags (1 reached the
 * goal, 0 did not, -1 the environment defines no success); each output may
 * be NULL. *count_out is set to the number of episodes, also when that
 * exceeds capacity: BUFFER_TOO_SMALL, and nothing else is written. */
int32_t swiftpg_pg_episodes(uint64_t learner, double *returns_out, int32_t *lengths_out,
                            int8_t *successes_out, int64_t capacity, int64_t *count_out);

/* Minibatch permutations for the learner's next shuffles (PPO's epochs; the
 * critic passes of A2C, NPG, TRPO and REINFORCE's value baseline), so that an
 * update can be reproduced outside: `count` permutations of 0..rows-1,
 * [count * rows] int64, consumed one per shuffle in order; afterwards the
 * learner shuffles with its generator again (which the injected shuffles do
 * not advance). Each is checked here (INVALID_ARGUMENT, nothing changes) and
 * again against the batch at use (INVALID_ARGUMENT from the update, which is
 * rolled back, and the rest are dropped). count 0 clears them. */
int32_t swiftpg_pg_set_permutations(uint64_t learner, const int64_t *permutations,
                                    int64_t count, int64_t rows);

/* Returns and lengths of `episodes` episodes of the learner's policy in `env`
 * (reseeded with seed), with the learner's observation normalisation
 * (statistics frozen). Cancelled with swiftpg_cancel on the learner handle;
 * streams and refuses an env without a time limit as
 * swiftpg_policy_evaluate does. */
int32_t swiftpg_pg_evaluate(uint64_t learner, uint64_t env, int32_t episodes,
                            int32_t greedy, uint64_t seed, double *returns_out,
                            int32_t *lengths_out);

/* ---------------------------------------------------------------------------
 * Checkpoints and in-memory copies (bundles)
 *
 * A learner is saved as a bundle (checkpoint format version 2): its
 * algorithm and configuration, the policy (parameters, sampling generator,
 * network precision, gSDE noise), the critic, the environment (registry id
 * or tabular model / bandit arms, instance count, parameter values and
 * randomisation ranges, physics states, step counters, every generator) and
 * the training state (counters, optimiser moments, normaliser statistics,
 * minibatch and per-lane generators, episodes in progress, off-policy
 * replay). A learner opened from it continues bit for bit as the saved one
 * would have. The serialize functions write the same bytes to memory
 * (Python pickling); policies, value functions and environments have their
 * own bundles. Every field is validated when read: damaged, truncated,
 * foreign or older files give BAD_FORMAT naming the field or the version
 * found and the version read; nothing is allocated beyond what the bytes
 * back, and nothing traps.
 *
 * serialize: writes the bundle into buffer (capacity bytes; buffer may be
 * NULL when capacity is 0). size_out receives the bundle's size, also when
 * the buffer is too small (then the call fails with BUFFER_TOO_SMALL and
 * writes nothing), so a caller may pass capacity 0 first. deserialize:
 * size bytes at `bytes` (size <= 2^31). Handles made by open/deserialize
 * are new; value_out / env_out receive 0 when the learner has no critic /
 * environment.
 * ------------------------------------------------------------------------- */

/* Saves the learner's bundle (above) to `path`: written to a temporary
 * file, flushed and renamed, so an existing checkpoint is never left
 * half-written. NOT_SUPPORTED for an environment that cannot be rebuilt. */
int32_t swiftpg_pg_save(uint64_t learner, const char *path);

/* Restores a learner bundle into a learner of the same algorithm, optimiser,
 * normalisation settings, policy and critic architectures and (when both
 * have one) environment id, definition and instance count: parameters,
 * generators, precision, optimiser and normaliser state, counters, the
 * environment's state and the episodes in progress. The learner keeps its
 * configuration. BAD_FORMAT naming what differs; nothing changes then. A
 * learner file of format version 1 (swiftpg 0.1 and the 0.2 pre-releases)
 * is refused naming its version. */
int32_t swiftpg_pg_load(uint64_t learner, const char *path);

/* Creates every object of a learner bundle file: the learner, its
 * environment (0 if it has none), policy and critic (0 if none). */
int32_t swiftpg_pg_open(const char *path, uint64_t *learner_out, uint64_t *env_out,
                        uint64_t *policy_out, uint64_t *value_out);

int32_t swiftpg_pg_serialize(uint64_t learner, uint8_t *buffer, int64_t capacity,
                             int64_t *size_out);
int32_t swiftpg_pg_deserialize(const uint8_t *bytes, int64_t size, uint64_t *learner_out,
                               uint64_t *env_out, uint64_t *policy_out, uint64_t *value_out);

/* Writes the learner's configuration into `config_out`, which points to the
 * config struct of its algorithm (swiftpg_pg_algorithm) with `size` set to
 * that struct's size (INVALID_ARGUMENT otherwise). */
int32_t swiftpg_pg_get_config(uint64_t learner, void *config_out);

/* The learner's iteration count and the transitions it has used. */
int32_t swiftpg_pg_counters(uint64_t learner, int64_t *iteration_out,
                            int64_t *total_env_steps_out);

/* The learner's observation normaliser (normalize_observations). Writes
 * *enabled_out: 0 when the learner does not normalise (nothing else is
 * written; the other pointers may be NULL), 1 when it does: then
 * mean_out and variance_out receive the running mean and variance
 * ([size] each; size must be the policy's observation size, else
 * INVALID_ARGUMENT), *count_out the number of observations averaged and
 * *clip_out the bound: the policy sees clip((x - mean) / sqrt(var + 1e-8),
 * -clip, clip). Evaluation uses these statistics frozen. */
int32_t swiftpg_pg_observation_normalizer(uint64_t learner, int32_t *enabled_out,
                                          double *mean_out, double *variance_out,
                                          int64_t size, double *count_out,
                                          double *clip_out);

/* A policy's bundle (parameters, sampling generator, precision, gSDE
 * noise), and a new policy from one (also the policy of a learner bundle). */
int32_t swiftpg_policy_serialize(uint64_t policy, uint8_t *buffer, int64_t capacity,
                                 int64_t *size_out);
int32_t swiftpg_policy_deserialize(const uint8_t *bytes, int64_t size, uint64_t *policy_out);

/* A value function's bundle, and a new value function from one (also the
 * critic of a learner bundle). */
int32_t swiftpg_value_serialize(uint64_t value, uint8_t *buffer, int64_t capacity,
                                int64_t *size_out);
int32_t swiftpg_value_deserialize(const uint8_t *bytes, int64_t size, uint64_t *value_out);

/* An environment's bundle (definition and exact state), and a new
 * environment from one (also the environment of a learner bundle) that
 * continues step for step as the original. */
int32_t swiftpg_env_serialize(uint64_t env, uint8_t *buffer, int64_t capacity,
                              int64_t *size_out);
int32_t swiftpg_env_deserialize(const uint8_t *bytes, int64_t size, uint64_t *env_out);

/* The network arithmetic of an MLP policy or value function (64 or 32; 64
 * for the other families). */
int32_t swiftpg_policy_get_precision(uint64_t policy, int32_t *bits_out);
int32_t swiftpg_value_get_precision(uint64_t value, int32_t *bits_out);

/* ---------------------------------------------------------------------------
 * Zeroth-order policy search (Kochenderfer ch. 10): the cross-entropy method
 * (diagonal Gaussian, optional extra noise), a genetic algorithm (truncation
 * selection, Gaussian mutation, elitism) or Hooke-Jeeves pattern search over
 * the parameters of a discrete policy. U(theta) is the mean undiscounted
 * return of episodes_per_evaluation episodes; all candidates of one
 * iteration share the episode seeds (common random numbers).
 * ------------------------------------------------------------------------- */

#define SWIFTPG_SEARCH_CEM 0
#define SWIFTPG_SEARCH_GA 1
#define SWIFTPG_SEARCH_PATTERN 2

typedef struct swiftpg_search_config {
  uint32_t size;                   /* sizeof(swiftpg_search_config) */
  int32_t method;                  /* SWIFTPG_SEARCH_* */
  int32_t episodes_per_evaluation; /* >= 1 */
  int32_t population_size;         /* CEM, GA: >= 2 */
  int32_t elite_count;             /* CEM: 1..population; GA: 1..population-1 */
  int32_t greedy;                  /* 1: act by argmax in evaluations */
  double initial_std;              /* CEM: initial sigma (> 0); GA: initial spread */
  double extra_noise;              /* CEM: variance added per refit (>= 0) */
  double mutation_std;             /* GA: mutation sigma (> 0) */
  double step_size;                /* pattern search: initial alpha (> 0) */
  double shrink;                   /* pattern search: c in (0, 1) */
  double tolerance;                /* pattern search: stop when alpha <= eps */
  uint64_t seed;                   /* search and evaluation episodes */
} swiftpg_search_config;

typedef struct swiftpg_search_stats {
  int64_t iteration;        /* 1 for the first iteration */
  int64_t env_steps;        /* transitions used in this iteration */
  int64_t total_env_steps;  /* since creation */
  int32_t evaluations;      /* utility evaluations in this iteration */
  int32_t done;             /* pattern search: alpha <= tolerance */
  double best_utility;      /* best candidate of this iteration */
  double mean_utility;      /* mean over this iteration's candidates */
  double current_utility;   /* pattern search: U of the incumbent (else NaN) */
  double spread;            /* CEM: mean sigma; GA: mutation sigma; pattern: alpha */
  double seconds;           /* wall time of the iteration */
} swiftpg_search_stats;

/* Defaults: CEM, 5 episodes per evaluation, population 50, 10 elites,
 * greedy 1, initial_std 1, extra_noise 0, mutation_std 0.1, step_size 1,
 * shrink 0.5, tolerance 0.01, seed 0. */
int32_t swiftpg_search_default_config(swiftpg_search_config *config_out);

/* Creates a search over the parameters of `policy` (any discrete policy whose
 * sizes match `env`), starting from its current parameters. */
int32_t swiftpg_search_create(uint64_t env, uint64_t policy,
                              const swiftpg_search_config *config,
                              uint64_t *algorithm_out);

/* One generation (CEM, GA) or one poll (pattern search); afterwards the
 * policy holds the search's current solution (CEM: the mean; GA: the best
 * seen; pattern search: the incumbent). */
int32_t swiftpg_search_iterate(uint64_t algorithm,
                               swiftpg_search_stats *stats_out);

/* Every episode of the last successful iteration, in evaluation order
 * (episodes_per_evaluation per evaluated candidate): undiscounted returns
 * and lengths; each output may be NULL. count_out receives their number,
 * also with BUFFER_TOO_SMALL (capacity < count; nothing else written).
 * Errors: INVALID_ARGUMENT (capacity < 0, or not a search). */
int32_t swiftpg_search_episodes(uint64_t algorithm, double *returns_out, int32_t *lengths_out,
                                int64_t capacity, int64_t *count_out);

/* The candidates the next swiftpg_search_iterate evaluates, row-major
 * [count, parameter_count] into parameters_out (capacity rows), in its
 * order (pattern search's first poll starts with the incumbent), and the
 * episode seed of their evaluations (seed_out): U(theta) of a candidate is
 * the mean undiscounted return of episodes_per_evaluation episodes of
 * swiftpg_policy_evaluate(policy with theta, an env like the search's with
 * the same instance count, episodes_per_evaluation, greedy, *seed_out) —
 * evaluated elsewhere (rollout workers), then passed to
 * swiftpg_search_tell. Changes nothing. *count_out and *seed_out are
 * written also when count exceeds capacity (BUFFER_TOO_SMALL, nothing else
 * written; parameters_out may be NULL when capacity is 0). */
int32_t swiftpg_search_candidates(uint64_t algorithm, double *parameters_out, int64_t capacity,
                                  int64_t *count_out, uint64_t *seed_out);

/* One iteration as swiftpg_search_iterate with the utilities of the
 * candidates given instead of evaluated here: utilities [count], in the
 * order of swiftpg_search_candidates (-inf marks a failed evaluation; NaN
 * and +inf: NOT_FINITE), env_steps the transitions they used (counted in
 * the statistics and counters). With greedy evaluations computed as
 * described there, the search ends bit-identical to one that evaluates
 * itself. INVALID_ARGUMENT (nothing changes) if count is not the number of
 * candidates. */
int32_t swiftpg_search_tell(uint64_t algorithm, const double *utilities, int64_t count,
                            int64_t env_steps, swiftpg_search_stats *stats_out);

/* Saves the whole search (iteration, env steps, the method's state: CEM's
 * mean, sigma and generator; the GA's population, best and generator;
 * pattern search's incumbent, utility and step) atomically to path; load
 * restores it into a search created with the same method, policy shape,
 * population, elite count and episodes per evaluation (BAD_FORMAT or
 * INVALID_ARGUMENT otherwise, changing nothing), so training resumes
 * exactly. */
int32_t swiftpg_search_save(uint64_t algorithm, const char *path);
int32_t swiftpg_search_load(uint64_t algorithm, const char *path);

/* The search's iteration count and the env steps it has used (restored by
 * swiftpg_search_load, as the learners' swiftpg_pg_counters). */
int32_t swiftpg_search_counters(uint64_t algorithm, int64_t *iteration_out,
                                int64_t *total_env_steps_out);

int32_t swiftpg_algorithm_destroy(uint64_t algorithm);

/* ===== DQN (issue 19) ===== */
/*
 * Deep Q-learning (Mnih et al. 2015, Algorithm 1) with a uniform replay
 * buffer, a linear epsilon schedule, a target network refreshed every C
 * steps (hard copy, or Polyak averaging with tau < 1), Huber or MSE loss,
 * global gradient-norm clipping and optionally Double DQN targets (van
 * Hasselt, Guez & Silver 2016): y = r + gamma (1 - terminated) max_a
 * Qtarget(s', a), or Qtarget(s', argmax_a Q(s', a)). A truncated step
 * bootstraps from its final observation; a terminated one does not.
 * Sources/SwiftPG/Algorithms/DQN.swift. DQN learners are handles of kind
 * SWIFTPG_KIND_DQN (not algorithm handles): swiftpg_cancel stops their
 * iterate, update and evaluate.
 * ------------------------------------------------------------------------- */

#define SWIFTPG_KIND_DQN 12
/* What target_update_interval counts. */
#define SWIFTPG_DQN_TARGET_ENV_STEPS 0       /* env steps, summed over lanes (SB3) */
#define SWIFTPG_DQN_TARGET_GRADIENT_STEPS 1  /* gradient steps (the lecture's C) */
#define SWIFTPG_DQN_LOSS_MSE 0
#define SWIFTPG_DQN_LOSS_HUBER 1
/* The most hidden layers a swiftpg_dqn_config describes. */
#define SWIFTPG_DQN_MAX_HIDDEN 8

/* Defaults (swiftpg_dqn_default_config) are rl-baselines3-zoo's tuned
 * CartPole-v1 settings on top of Stable-Baselines3's DQN defaults. */
typedef struct swiftpg_dqn_config {
  uint32_t size;                   /* sizeof(swiftpg_dqn_config) */
  int32_t batch_size;              /* transitions per gradient step, 1..65536 (64) */
  int64_t total_env_steps;         /* the run's planned steps: epsilon's horizon, 1..2^40 (50000) */
  int64_t buffer_size;             /* replay capacity; buffer_size x observation size <= 2^24 (100000) */
  int64_t learning_starts;         /* uniformly random steps before learning, 0..2^40 (1000) */
  int64_t target_update_interval;  /* refresh the target every this many units, 1..2^40 (10) */
  int32_t target_update_unit;      /* SWIFTPG_DQN_TARGET_* (ENV_STEPS) */
  int32_t train_freq;              /* steps of each lane per iteration, 1..2^24 (256) */
  int32_t gradient_steps;          /* gradient steps per iteration, 0..2^24 (128) */
  int32_t loss;                    /* SWIFTPG_DQN_LOSS_* (HUBER) */
  int32_t double_q;                /* 1: Double DQN targets (0) */
  int32_t activation;              /* SWIFTPG_ACTIVATION_* of the hidden layers (RELU) */
  int32_t precision;               /* network arithmetic: 32 or 64 (32) */
  int32_t num_hidden;              /* hidden layers, 0..SWIFTPG_DQN_MAX_HIDDEN (2) */
  int32_t hidden[SWIFTPG_DQN_MAX_HIDDEN]; /* widths 1..65536 of the first num_hidden
                                       layers; the rest ignored ({256, 256}) */
  double learning_rate;            /* Adam's step size, > 0 (2.3e-3) */
  double adam_epsilon;             /* Adam's epsilon, > 0 (1e-8) */
  double gamma;                    /* discount in [0, 1] (0.99) */
  double tau;                      /* Polyak coefficient in (0, 1]; 1 = hard copy (1) */
  double exploration_fraction;     /* share of total_env_steps over which epsilon falls, [0, 1] (0.16) */
  double exploration_initial_eps;  /* [0, 1] (1) */
  double exploration_final_eps;    /* [0, 1] (0.04) */
  double max_grad_norm;            /* clip the gradient's global L2 norm; 0 = off (10) */
  uint64_t seed;                   /* network init, exploration, minibatches and env reset (0) */
} swiftpg_dqn_config;

/* Statistics of one DQN iteration or update. */
typedef struct swiftpg_dqn_stats {
  uint32_t size;                   /* written: sizeof(swiftpg_dqn_stats) */
  int32_t episodes;                /* episodes that ended (swiftpg_dqn_episodes lists them) */
  int64_t iteration;               /* 1 for the first */
  int64_t env_steps;               /* transitions added in this call */
  int64_t total_env_steps;         /* since creation */
  int64_t gradient_steps;          /* in this call (0 during the warm-up) */
  int64_t total_gradient_steps;    /* since creation */
  double mean_return;              /* of the episodes that ended; NaN without episodes */
  double mean_length;
  double epsilon;                  /* epsilon after the collection */
  double loss;                     /* mean over the gradient steps of the loss before each step */
  double mean_q;                   /* mean over the gradient steps of the minibatch's mean Q(s, a) */
  double grad_norm;                /* mean over the gradient steps of the norm before clipping */
  double seconds;                  /* wall time of the call */
} swiftpg_dqn_stats;

int32_t swiftpg_dqn_default_config(swiftpg_dqn_config *config_out);

/* Creates a DQN learner on `env` (discrete actions; the learner keeps it
 * alive and resets it with config->seed) with a new Q-network and its
 * target copy (torch's nn.Linear initialisation, seeded from seed).
 * INVALID_ARGUMENT naming the field (size of another header version
 * included), TOO_LARGE for a buffer, batch or network over its limit,
 * BAD_HANDLE, NULL_POINTER. */
int32_t swiftpg_dqn_create(uint64_t env, const swiftpg_dqn_config *config, uint64_t *learner_out);

/* One iteration: train_freq steps of every lane (uniformly random actions
 * during the warm-up, epsilon-greedy in Q afterwards) into the replay
 * buffer, then - once more than learning_starts steps were taken -
 * gradient_steps gradient steps. NUMERICAL if a loss, gradient or
 * parameter becomes non-finite (the networks keep the last good step).
 * CANCELLED (swiftpg_cancel on the learner) stops between steps: unlike
 * the policy-gradient learners, the transitions stored and the gradient
 * steps taken before the request are kept (the state stays consistent). */
int32_t swiftpg_dqn_iterate(uint64_t learner, swiftpg_dqn_stats *stats_out);

/* Adds steps x num_envs transitions collected elsewhere (time-major, as
 * swiftpg_pg_update: observations [steps, num_envs, obs], actions int32
 * [steps, num_envs] in 0..actions-1, rewards, terminated and truncated
 * (0 or 1) [steps, num_envs], final_observations [steps, num_envs, obs]
 * read on rows that ended (may be NULL when none ended), next_observations
 * [num_envs, obs] after the last step) to the replay buffer, counted as env
 * steps, then trains as an iteration does. s' of row (t, i) is row (t + 1,
 * i), next_observations for the last step, the final observation where the
 * episode ended. Everything is checked before anything changes:
 * INVALID_ARGUMENT (sizes, flags), OUT_OF_RANGE (an action), NOT_FINITE. */
int32_t swiftpg_dqn_update(uint64_t learner, int64_t steps, int64_t num_envs,
                           const double *observations, const int32_t *actions,
                           const double *rewards, const uint8_t *terminated,
                           const uint8_t *truncated, const double *final_observations,
                           const double *next_observations, swiftpg_dqn_stats *stats_out);

/* The episodes that ended in the last iterate or update: returns
 * (undiscounted), lengths; each output may be NULL. count_out receives
 * their number, also with BUFFER_TOO_SMALL (capacity < count). */
int32_t swiftpg_dqn_episodes(uint64_t learner, double *returns_out, int32_t *lengths_out,
                             int64_t capacity, int64_t *count_out);

/* Q(s, .) of the online network for `batch` observations [batch, obs]:
 * q_out [batch, actions]. INVALID_ARGUMENT for batch outside 1..2^20,
 * NOT_FINITE for a non-finite observation. */
int32_t swiftpg_dqn_q_values(uint64_t learner, const double *observations, int64_t batch,
                             double *q_out);

/* Greedy actions argmax_a Q(s, a) (lowest index on ties) for `batch`
 * observations: actions_out int32 [batch]. Errors as swiftpg_dqn_q_values. */
int32_t swiftpg_dqn_predict(uint64_t learner, const double *observations, int64_t batch,
                            int32_t *actions_out);

/* Returns and lengths of `episodes` fresh episodes of `env` (reseeded with
 * seed; sizes must match the Q-network) acting greedily in Q (greedy 1) or
 * epsilon-greedily at the current epsilon (greedy 0). Cancelled with
 * swiftpg_cancel on the learner; refuses an env without a time limit as
 * swiftpg_policy_evaluate does. */
int32_t swiftpg_dqn_evaluate(uint64_t learner, uint64_t env, int32_t episodes, int32_t greedy,
                             uint64_t seed, double *returns_out, int32_t *lengths_out);

/* Saves the learner atomically to `path` as a learner bundle (algorithm
 * "dqn"): its configuration, environment (definition and exact state),
 * online and target parameters, Adam's moments, counters, generator,
 * episodes in progress and, with include_buffer 1, the replay buffer's
 * transitions. A learner opened or loaded from it continues exactly as the
 * saved one would have (without the buffer: from an empty buffer).
 * INVALID_ARGUMENT (include_buffer not 0 or 1), IO, NOT_SUPPORTED (an
 * environment that cannot be rebuilt). */
int32_t swiftpg_dqn_save(uint64_t learner, const char *path, int32_t include_buffer);

/* Restores a DQN bundle into a learner with the same Q-network shape,
 * replay capacity and environment (id, definition, instance count); the
 * learner keeps its configuration (the file's is validated). A file
 * without the buffer empties this learner's. BAD_FORMAT naming what is
 * wrong (a policy-gradient learner's file included); nothing changes then. */
int32_t swiftpg_dqn_load(uint64_t learner, const char *path);

/* Creates the learner of a DQN bundle file and its environment, rebuilt
 * from the file alone (configuration included). */
int32_t swiftpg_dqn_open(const char *path, uint64_t *learner_out, uint64_t *env_out);

/* The learner's configuration (config_out->size is written). */
int32_t swiftpg_dqn_get_config(uint64_t learner, swiftpg_dqn_config *config_out);

/* Counters: iterations and updates, env steps, gradient steps, target
 * refreshes and transitions now in the replay buffer. */
int32_t swiftpg_dqn_counters(uint64_t learner, int64_t *iteration_out,
                             int64_t *total_env_steps_out, int64_t *total_gradient_steps_out,
                             int64_t *target_updates_out, int64_t *buffer_count_out);

/* Destroys the learner (its environment lives on while other handles use
 * it). Later calls with the handle give BAD_HANDLE. */
int32_t swiftpg_dqn_destroy(uint64_t learner);

/* ===== Sequences and preferences (issue 15) ===== */
/*
 * Learning from preferences, part 1: sequence tasks with a hidden gold
 * reward, labellers, sequence policies and exact enumeration. Formulas and
 * sources: Sources/SwiftPG/Sequences/README.md and the Swift file named at
 * each group.
 *
 * Conventions of this section:
 * - Tokens: V content tokens 0 ..< V; the end-of-sequence token EOS = V;
 *   every next-token distribution has V + 1 entries. There is no padding
 *   token.
 * - Responses: at most L generated positions. A batch is tokens int32_t
 *   [batch, L] row-major with lengths int32_t [batch]: length n in 1 ... L
 *   counts generated positions, EOS included (an ended response of l < L
 *   content tokens has n = l + 1 and tokens[b, l] = EOS; a truncated one has
 *   n = L and no EOS). Positions at or beyond n are IGNORED on input (any
 *   value, EOS or not) and written as EOS on output; every mask comes from
 *   lengths, never from token ids. Content tokens before the last position
 *   must be in 0 ..< V (INVALID_ARGUMENT names the first bad row).
 * - Prompts are ids 0 ..< P (OUT_OF_RANGE otherwise), int32_t [batch].
 * - Canonical response order (exact arrays over the responses of one
 *   prompt, [N] with N = sum_{l <= L} V^l): shortest first, then base-V
 *   lexicographic. Exact figures are refused beyond 2^20 responses per
 *   prompt (TOO_LARGE; use Monte Carlo estimates).
 * - Per-token arrays are [batch, L] with 0 at positions >= length;
 *   per-sequence values are sums over positions < length.
 * - Randomness: row b of a batch uses its own stream keyed by (seed,
 *   first_row + b) (first_lane for sampling), so a batch split into parts,
 *   each passing the index of its first row, gives the same rows.
 * - Every pointer, size (overflow-checked), prompt id, token, length,
 *   temperature and seed is validated before any work; a failed call writes
 *   no output (except count_out / length_out of BUFFER_TOO_SMALL, as for
 *   swiftpg_env_list).
 */

/* Handle kinds of this section (swiftpg_live_handles). */
#define SWIFTPG_KIND_SEQ_TASK 5
#define SWIFTPG_KIND_SEQ_POLICY 6
#define SWIFTPG_KIND_REWARD_MODEL 7
#define SWIFTPG_KIND_PREF_TRAINER 8

/* --- Sequence tasks (Sources/SwiftPG/Preferences/SequenceTask.swift) ---
 * A task has P prompts with probabilities [P] and features [P, F], a
 * response space (V, L), a hidden gold reward r*(x, y) (the "human", for
 * evaluation), the label reward the labellers judge (gold unless the task
 * documents a bias), K named reward-model features of (x, y) and a proxy
 * subset of K' of them (what a deliberately weak reward model sees), and a
 * noisy expert for demonstrations. */

typedef struct swiftpg_seq_task_info {
  int32_t vocab_size;          /* V; EOS = V */
  int32_t max_length;          /* L */
  int32_t num_prompts;         /* P */
  int32_t num_prompt_features; /* F */
  int32_t num_features;        /* K: reward-model features */
  int32_t num_proxy_features;  /* K': the proxy subset */
  int64_t num_responses;       /* N per prompt, -1 when it exceeds 2^63 - 1 */
} swiftpg_seq_task_info;

/* Summarise (Preferences/Summarise.swift): posts with salient tokens; gold
 * r* = |salient covered| - length_penalty * l - missing_eos_penalty *
 * [truncated]; features salient_covered, content_length, truncated.
 * Defaults: V 6, L 6, P 8, post length 8, 3 salient tokens, penalties 0.1
 * and 1, seed 0. */
typedef struct swiftpg_summarise_config {
  uint32_t size;               /* sizeof(swiftpg_summarise_config) */
  int32_t vocab_size;          /* V in [1, 2^20] */
  int32_t max_length;          /* L in [1, 4096] */
  int32_t num_prompts;         /* P in [1, 65536] */
  int32_t post_length;         /* in [salient_count, 4096] */
  int32_t salient_count;       /* in [1, min(V, L - 1)] */
  double length_penalty;       /* lambda >= 0, finite */
  double missing_eos_penalty;  /* c >= 0, finite */
  uint64_t seed;               /* the posts */
} swiftpg_summarise_config;

/* LengthBias (Preferences/LengthBias.swift): a gameable task whose
 * labellers like length (label = gold + label_length_bias * l) and whose
 * proxy features (content_length, count_0 ... count_{V-1}) cannot see what
 * the prompt asks for. Defaults: V 4, L 7, P 4, 2 relevant tokens,
 * penalties 0.1 and 1, label bias 0.3. */
typedef struct swiftpg_length_bias_config {
  uint32_t size;               /* sizeof(swiftpg_length_bias_config) */
  int32_t vocab_size;          /* V in [1, 4096] */
  int32_t max_length;          /* L in [1, 4096] */
  int32_t num_prompts;         /* P in [1, 65536] */
  int32_t relevant_count;      /* R in [1, min(V, L - 1)] */
  int32_t reserved;            /* ignored; set 0 */
  double length_penalty;       /* lambda >= 0, finite */
  double missing_eos_penalty;  /* c >= 0, finite */
  double label_length_bias;    /* alpha, finite */
} swiftpg_length_bias_config;

/* Didactic bandit placements (Preferences/DidacticBandit.swift). */
#define SWIFTPG_PLACEMENT_LOW_PROBABILITY 0  /* reward peak in pi_ref's tail */
#define SWIFTPG_PLACEMENT_HIGH_PROBABILITY 1 /* reward peak at pi_ref's mode */

/* The config structs' size must be sizeof the struct (INVALID_ARGUMENT
 * otherwise); the default_config functions set it. */
int32_t swiftpg_summarise_default_config(swiftpg_summarise_config *config_out);
int32_t swiftpg_length_bias_default_config(swiftpg_length_bias_config *config_out);

/* Create a task. Errors: NULL_POINTER, INVALID_ARGUMENT (a parameter out of
 * its domain, named), NOT_FINITE, TOO_LARGE. */
int32_t swiftpg_seq_task_create_summarise(const swiftpg_summarise_config *config,
                                          uint64_t *task_out);
int32_t swiftpg_seq_task_create_length_bias(const swiftpg_length_bias_config *config,
                                            uint64_t *task_out);
/* The didactic bandit of Tajwar et al. 2024: L = 1, P = 1, the V + 1 tokens
 * are arms (vocab_size in [1, 65536]; 99 in the paper); placement
 * SWIFTPG_PLACEMENT_*. */
int32_t swiftpg_seq_task_create_didactic_bandit(int32_t vocab_size,
                                                int32_t placement,
                                                uint64_t *task_out);
/* A task given by tables (Preferences/ArrayTask.swift): P = num_prompts in
 * [1, 65536], prompt_probs [P] (>= 0, summing to 1), prompt_features [P, F]
 * (F = num_prompt_features >= 0; may be NULL when F = 0),
 * gold_table and label_table [P, N] in canonical response order (N <= 2^20;
 * label_table NULL: labels are gold), all finite. Features: count_0 ...
 * count_{V-1}, content_length, truncated. */
int32_t swiftpg_seq_task_create_array(int32_t vocab_size, int32_t max_length,
                                      int32_t num_prompts,
                                      const double *prompt_probs,
                                      int32_t num_prompt_features,
                                      const double *prompt_features,
                                      const double *gold_table,
                                      const double *label_table,
                                      uint64_t *task_out);

int32_t swiftpg_seq_task_destroy(uint64_t task);

int32_t swiftpg_seq_task_get_info(uint64_t task, swiftpg_seq_task_info *info_out);

/* The prompt distribution [P] and the prompt features [P, F]
 * (features_out may be NULL when F = 0). */
int32_t swiftpg_seq_task_prompt_probs(uint64_t task, double *probs_out);
int32_t swiftpg_seq_task_prompt_features(uint64_t task, double *features_out);

/* The name of reward-model feature `index` (0 ..< K; OUT_OF_RANGE
 * otherwise) as a NUL-terminated string, buffer/capacity/length_out as in
 * swiftpg_env_list. */
int32_t swiftpg_seq_task_feature_name(uint64_t task, int32_t index,
                                      char *buffer, size_t capacity,
                                      size_t *length_out);

/* The proxy features as indices into the K features, int32_t [K']. */
int32_t swiftpg_seq_task_proxy_features(uint64_t task, int32_t *indices_out);

/* Gold rewards r*(x_b, y_b) (label = 0) or the label rewards the
 * labellers judge (label = 1), [batch]. prompts [batch], tokens [batch, L],
 * lengths [batch]. */
int32_t swiftpg_seq_task_rewards(uint64_t task, int32_t label,
                                 const int32_t *prompts, const int32_t *tokens,
                                 const int32_t *lengths, int64_t batch,
                                 double *rewards_out);

/* Reward-model features, [batch, K] (proxy = 0) or the proxy columns
 * [batch, K'] (proxy = 1). */
int32_t swiftpg_seq_task_reward_features(uint64_t task, const int32_t *prompts,
                                         const int32_t *tokens,
                                         const int32_t *lengths, int64_t batch,
                                         int32_t proxy, double *features_out);

/* The gold (label = 0) or label (label = 1) reward of every response to
 * `prompt`, canonical order, [N]. count_out receives N (also when capacity
 * < N: then BUFFER_TOO_SMALL and nothing else is written). TOO_LARGE when
 * N > 2^20. */
int32_t swiftpg_seq_task_reward_table(uint64_t task, int32_t prompt,
                                      int32_t label, double *rewards_out,
                                      int64_t capacity, int64_t *count_out);

/* `count` prompt ids drawn from the prompt distribution, row i from the
 * stream (seed, first_row + i). first_row >= 0. prompts_out [count]. */
int32_t swiftpg_seq_task_sample_prompts(uint64_t task, int64_t count,
                                        uint64_t seed, int64_t first_row,
                                        int32_t *prompts_out);

/* `count` demonstrations of the noisy expert: prompts from the prompt
 * distribution, then the expert's response with each position's token
 * replaced with probability noise in [0, 1] by a uniform draw over the
 * V + 1 tokens (row i from the stream (seed, first_row + i)).
 * prompts_out [count], tokens_out [count, L], lengths_out [count]. */
int32_t swiftpg_seq_task_expert_demonstrations(uint64_t task, int64_t count,
                                               double noise, uint64_t seed,
                                               int64_t first_row,
                                               int32_t *prompts_out,
                                               int32_t *tokens_out,
                                               int32_t *lengths_out);

/* The task's own reference policy pi_ref as a new tabular sequence policy
 * handle (kind SWIFTPG_KIND_SEQ_POLICY, over the task's V, L and P; the
 * caller destroys it). The didactic bandit's pi_ref has the logits
 * -((a - m) / w_ref)^2 / 2 over the arms a = 0 ... V (EOS = arm V), m =
 * round(0.7 V), w_ref = 0.15 V. NOT_SUPPORTED for a task that defines no
 * reference (Summarise, LengthBias, array tasks). */
int32_t swiftpg_seq_task_reference_policy(uint64_t task, uint64_t *seq_policy_out);

/* --- Labellers (Preferences/Labeller.swift), pure functions ---
 * A labeller with noise scale s >= 0 (finite) prefers y1 to y2 with
 * probability sigmoid((r1 - r2) / s) (Bradley-Terry; s = 0: the higher
 * reward, a fair coin on ties); k-way rankings are Plackett-Luce, sampled
 * by the Gumbel-max trick. Rewards finite. Row i uses the stream
 * (seed, first_row + i); first_row >= 0. */

/* rewards [count, 2] -> preferred_out [count] (0 or 1). */
int32_t swiftpg_labeller_compare_pairs(int64_t count, const double *rewards,
                                       double scale, uint64_t seed,
                                       int64_t first_row,
                                       int32_t *preferred_out);

/* rewards [count, k] (k in [2, 65536]) -> rankings_out [count, k]:
 * candidate indices, best first. */
int32_t swiftpg_labeller_rank(int64_t count, int32_t k, const double *rewards,
                              double scale, uint64_t seed, int64_t first_row,
                              int32_t *rankings_out);

/* The best expected agreement any predictor can have with the labeller on
 * the pairs rewards [count, 2] (count >= 1): the mean of
 * sigmoid(|r1 - r2| / s) (s = 0: 1, or 1/2 on ties). */
int32_t swiftpg_labeller_accuracy_ceiling(int64_t count, const double *rewards,
                                          double scale, double *ceiling_out);

/* The k (k - 1) / 2 (chosen, rejected) pairs of each ranking
 * (rankings [count, k], each row a permutation of 0 ..< k): rows in order,
 * then positions p < q. chosen_out, rejected_out [count * k (k - 1) / 2]. */
int32_t swiftpg_labeller_ranking_pairs(int64_t count, int32_t k,
                                       const int32_t *rankings,
                                       int32_t *chosen_out,
                                       int32_t *rejected_out);

/* --- Sequence policies (Sequences/SequencePolicy.swift, SequenceModel.swift)
 * pi(y | x) = prod_t pi(y_t | x, y_<t), next-token distributions
 * softmax(z) over V + 1 logits. Parameters are one flat double vector. */

#define SWIFTPG_SEQ_FAMILY_TABULAR 1 /* one logit row per (prompt, prefix) */
#define SWIFTPG_SEQ_FAMILY_NEURAL 2  /* an n-gram MLP over prompt features */

typedef struct swiftpg_seq_policy_info {
  int32_t vocab_size;   /* V */
  int32_t max_length;   /* L */
  int32_t num_prompts;  /* P */
  int32_t family;       /* SWIFTPG_SEQ_FAMILY_* */
  int64_t num_params;
} swiftpg_seq_policy_info;

/* Logits theta[x, prefix, token], [P, sum_{l<L} V^l, V + 1], all 0 (the
 * uniform policy); prefixes in canonical order. V in [1, 2^20], L in
 * [1, 4096], P >= 1; TOO_LARGE beyond 2^24 parameters. */
int32_t swiftpg_seq_policy_create_tabular(int32_t vocab_size,
                                          int32_t max_length,
                                          int32_t num_prompts,
                                          uint64_t *seq_policy_out);

/* A neural n-gram model (Bengio et al. 2003): an MLP (hidden_sizes
 * [num_hidden], each in [1, 65536], num_hidden in [0, 64]; activation 0 tanh
 * / 1 relu; precision_bits 64 or 32) reads
 * [prompt features (F) | one-hot of the last context_size tokens (BOS
 * before the start) | one-hot of the position] and writes V + 1 logits;
 * its input width F + context_size (V + 1) + L and V + 1 are at most 65536
 * (TOO_LARGE otherwise). prompt_features [P, F], finite (may be NULL when
 * F = 0); context_size in
 * [0, L]; orthogonal initialisation with hidden_gain and output_gain
 * (finite, >= 0) from `seed`. */
int32_t swiftpg_seq_policy_create_neural(int32_t vocab_size, int32_t max_length,
                                         int32_t num_prompts,
                                         int32_t num_prompt_features,
                                         const double *prompt_features,
                                         int32_t context_size,
                                         const int32_t *hidden_sizes,
                                         int32_t num_hidden, int32_t activation,
                                         int32_t precision_bits,
                                         double hidden_gain, double output_gain,
                                         uint64_t seed, uint64_t *seq_policy_out);

/* A deep copy as a new handle (RLHF's frozen reference policy): later
 * updates of either leave the other unchanged. */
int32_t swiftpg_seq_policy_copy(uint64_t seq_policy, uint64_t *copy_out);

int32_t swiftpg_seq_policy_destroy(uint64_t seq_policy);

int32_t swiftpg_seq_policy_get_info(uint64_t seq_policy,
                                    swiftpg_seq_policy_info *info_out);

/* Copies the num_params parameters out / in (count must equal num_params;
 * set refuses non-finite values with NOT_FINITE and changes nothing). */
int32_t swiftpg_seq_policy_get_params(uint64_t seq_policy, double *params_out,
                                      int64_t count);
int32_t swiftpg_seq_policy_set_params(uint64_t seq_policy, const double *params,
                                      int64_t count);

/* Samples one response per prompt (prompts [batch]) from softmax(z /
 * temperature); temperature 0 is greedy decoding (argmax, lowest id on
 * ties); temperature finite and >= 0. Row b uses the stream (seed,
 * first_lane + b), first_lane >= 0. tokens_out [batch, L] (EOS at and beyond
 * each length), lengths_out [batch], log_probs_out [batch, L] (may be NULL):
 * log pi(y_t | x, y_<t) of the policy itself (temperature 1), 0 beyond the
 * length. */
int32_t swiftpg_seq_policy_sample(uint64_t seq_policy, const int32_t *prompts,
                                  int64_t batch, double temperature,
                                  uint64_t seed, int64_t first_lane,
                                  int32_t *tokens_out, int32_t *lengths_out,
                                  double *log_probs_out);

/* Teacher-forced log-probabilities: token_log_probs_out [batch, L]
 * (log pi(y_t | x, y_<t), 0 beyond the length) and sequence_log_probs_out
 * [batch] (their sums); either may be NULL, not both. */
int32_t swiftpg_seq_policy_log_probs(uint64_t seq_policy, const int32_t *prompts,
                                     const int32_t *tokens,
                                     const int32_t *lengths, int64_t batch,
                                     double *token_log_probs_out,
                                     double *sequence_log_probs_out);

/* The entropy of each valid position's next-token distribution over the
 * V + 1 tokens, [batch, L]. */
int32_t swiftpg_seq_policy_entropies(uint64_t seq_policy, const int32_t *prompts,
                                     const int32_t *tokens,
                                     const int32_t *lengths, int64_t batch,
                                     double *entropies_out);

/* The exact per-token KL(pi(.|c) || pi_ref(.|c)) over the V + 1 tokens,
 * kl_out [batch, L] (+inf where pi_ref gives 0 to a token pi does not), and
 * the sampled estimators at the given tokens (Schulman 2020; r =
 * pi_ref(y)/pi(y)): k1 = -log r, k2 = (log r)^2 / 2, k3 = (r - 1) - log r,
 * each [batch, L] and optional (NULL). `reference` is a sequence policy of
 * the same V, L and P (INVALID_ARGUMENT otherwise); it may be seq_policy
 * itself. */
int32_t swiftpg_seq_policy_kl(uint64_t seq_policy, uint64_t reference,
                              const int32_t *prompts, const int32_t *tokens,
                              const int32_t *lengths, int64_t batch,
                              double *kl_out, double *k1_out, double *k2_out,
                              double *k3_out);

/* The weighted score gradient sum_b sum_{t < length_b} w_bt grad_theta
 * log pi(y_bt | c_bt) into gradient_out [num_params], with per-token
 * weights token_weights [batch, L] (entries beyond a length are ignored)
 * or per-sequence weights sequence_weights [batch] (broadcast over the
 * response's tokens): exactly one of them non-NULL; used weights finite. */
int32_t swiftpg_seq_policy_score_gradient(uint64_t seq_policy,
                                          const int32_t *prompts,
                                          const int32_t *tokens,
                                          const int32_t *lengths, int64_t batch,
                                          const double *token_weights,
                                          const double *sequence_weights,
                                          double *gradient_out);

/* log pi(y | prompt) of every response, canonical order, [N], by exact
 * enumeration. count_out receives N (also when capacity < N: then
 * BUFFER_TOO_SMALL and nothing else is written). TOO_LARGE when N > 2^20. */
int32_t swiftpg_seq_policy_exact_log_probs(uint64_t seq_policy, int32_t prompt,
                                           double *log_probs_out,
                                           int64_t capacity,
                                           int64_t *count_out);

/* Next-token distributions of count >= 0 contexts: context i is prompt
 * prompts[i] with prefix tokens[i, 0 ..< positions[i]] (tokens [count, L],
 * positions [count] in [0, L - 1]; the prefix must be content tokens in
 * [0, V), INVALID_ARGUMENT naming the first bad one; tokens at and after
 * the position are ignored). log_probs_out [count, V + 1]: log pi(. | x,
 * y_<t), token V being EOS; row i equals the teacher-forced distribution of
 * position positions[i] of any response with that prefix. OUT_OF_RANGE
 * for a prompt or position outside its range; TOO_LARGE beyond 2^28
 * values. */
int32_t swiftpg_seq_policy_next_token_log_probs(uint64_t seq_policy,
                                                const int32_t *prompts,
                                                const int32_t *tokens,
                                                const int32_t *positions,
                                                int64_t count,
                                                double *log_probs_out);

/* Checkpoints of sequence policies: a bundle (checkpoint format version 2,
 * object kind 5) holding the family, the specification (V, L, P and, for
 * the neural model, its sizes, activation, precision and prompt-feature
 * table) and the parameters. swiftpg_seq_policy_save writes it to `path`
 * atomically (a temporary file, flushed and renamed: a crash mid-save
 * never destroys an existing file; a symbolic link is followed; a target
 * that is not a regular file is refused with IO). swiftpg_seq_policy_load
 * reads such a file into a new handle; serialize / deserialize are the
 * same bytes in memory (buffer, capacity, size_out: size_out always
 * receives the size; BUFFER_TOO_SMALL when capacity is smaller, buffer may
 * then be NULL with capacity 0; size in [0, 2^31], TOO_LARGE beyond). The
 * loaded policy computes exactly what the saved one computed. Every field
 * is checked (sizes against the stored parameter count before anything is
 * allocated): a truncated, corrupted, wrong-version or other-kind file or
 * buffer gives BAD_FORMAT (the message names the field or the versions);
 * a missing or unreadable file IO; a path longer than 4095 bytes or not
 * UTF-8 INVALID_ARGUMENT. A failed load or deserialize creates nothing. */
int32_t swiftpg_seq_policy_save(uint64_t seq_policy, const char *path);
int32_t swiftpg_seq_policy_load(const char *path, uint64_t *seq_policy_out);
int32_t swiftpg_seq_policy_serialize(uint64_t seq_policy, uint8_t *buffer,
                                     int64_t capacity, int64_t *size_out);
int32_t swiftpg_seq_policy_deserialize(const uint8_t *bytes, int64_t size,
                                       uint64_t *seq_policy_out);

/* --- Exact figures over response arrays (Sequences/ExactResponses.swift),
 * pure functions. Log-probabilities: not NaN and not +inf (-inf is
 * probability 0); values and rewards: finite (rewards: not NaN). */

/* E_p[f] = sum_y p(y) f(y); log_probs, values [count]. */
int32_t swiftpg_exact_expectation(int64_t count, const double *log_probs,
                                  const double *values,
                                  double *expectation_out);

/* KL(p || q) = sum_{p(y) > 0} p(y) (log p(y) - log q(y)) (+inf when q(y) = 0
 * < p(y)); log_p, log_q [count]. */
int32_t swiftpg_exact_kl(int64_t count, const double *log_p, const double *log_q,
                         double *kl_out);

/* The win rate P(r(y) > r(y')) + P(r(y) = r(y')) / 2 of y ~ p against
 * y' ~ q (exactly 1/2 for p = q); log_p, log_q, rewards [count]. */
int32_t swiftpg_exact_win_rate(int64_t count, const double *log_p,
                               const double *log_q, const double *rewards,
                               double *win_rate_out);

/* The prompt-averaged win rate sum_x w_x winrate(p_x, q_x): prompt_probs
 * [num_prompts] (>= 0, summing to 1 within 1e-9), log_p, log_q, rewards
 * [num_prompts, count]. */
int32_t swiftpg_exact_win_rate_prompts(int64_t num_prompts, int64_t count,
                                       const double *prompt_probs,
                                       const double *log_p, const double *log_q,
                                       const double *rewards,
                                       double *win_rate_out);

/* --- The KL-regularised reward (Preferences/KLRegularizedReward.swift),
 * pure functions: R(x, y) = r(x, y) - beta log(pi(y|x) / pi_ref(y|x))
 * (Ziegler et al. 2019; Stiennon et al. 2020, eq. 1), the log-ratio of a
 * response written as a sum of per-token penalties kl_t over its generated
 * positions t < n, with the estimator always stated (Schulman 2020; r =
 * pi_ref(y_t)/pi(y_t) at the sampled token y_t):
 *   k1 = log pi(y_t) - log pi_ref(y_t) = -log r (unbiased; can be < 0),
 *   k2 = (log r)^2 / 2 (biased, >= 0, low variance),
 *   k3 = (r - 1) - log r (unbiased, >= 0).
 * The exact per-token KL of swiftpg_seq_policy_kl may be passed as the
 * penalties instead. Arrays: per-token [batch, L] row-major with L =
 * max_length in [1, 4096], lengths int32_t [batch] in [1, L]; entries at
 * positions >= length are ignored on input (any value) and written 0;
 * those below must be finite (NOT_FINITE names the first other one).
 * batch >= 0, batch * L <= 2^28. A result that overflows is NUMERICAL and
 * nothing is written. */
#define SWIFTPG_KL_K1 1
#define SWIFTPG_KL_K2 2
#define SWIFTPG_KL_K3 3

/* The per-token penalties of `estimator` (SWIFTPG_KL_*) from the policy's
 * and the reference's log-probabilities of the sampled tokens, log_probs
 * and ref_log_probs [batch, L] (e.g. the log_probs_out of
 * swiftpg_seq_policy_sample and swiftpg_seq_policy_log_probs of the
 * reference): penalties_out [batch, L]. */
int32_t swiftpg_kl_penalties(int64_t batch, int32_t max_length,
                             const double *log_probs,
                             const double *ref_log_probs,
                             const int32_t *lengths, int32_t estimator,
                             double *penalties_out);

/* The KL-regularised rewards from rewards [batch] (the reward model's or
 * the task's score of each whole response), penalties [batch, L] and
 * beta (finite, >= 0; 0: no KL term). per_token = 0: the sequence rewards, rewards_out
 * [batch], R_b = r_b - beta sum_{t < n_b} kl_bt. per_token = 1: the
 * per-token rewards of PPO-style RLHF (Ziegler et al. 2019), rewards_out
 * [batch, L], R_bt = -beta kl_bt plus r_b at the last generated position
 * t = n_b - 1, 0 beyond; each row sums to the sequence reward. */
int32_t swiftpg_kl_regularized_rewards(int64_t batch, int32_t max_length,
                                       const double *rewards,
                                       const double *penalties,
                                       const int32_t *lengths, double beta,
                                       int32_t per_token, double *rewards_out);

/* --- Reward models (Preferences/RewardModel.swift) ---
 * r_phi(x) over feature rows x in R^K (e.g. swiftpg_seq_task_reward_features):
 * linear (num_hidden 0: r = w^T x + b, parameters start at 0) or an MLP
 * with a scalar output (orthogonal initialisation from seed). Optional
 * standardisation x' = (x - mu)/sigma is part of the model (predict takes
 * raw features). Fitted with Adam on shuffled minibatches, a fresh
 * optimiser per fit call, on pairwise comparisons (Bradley-Terry; Ouyang et
 * al. 2022) or k-way rankings (InstructGPT's ranking loss). Features and
 * margins finite; at most 2^28 values per array. */

typedef struct swiftpg_reward_model_info {
  int32_t num_features;  /* K */
  int32_t num_hidden;    /* hidden layers */
  int32_t activation;    /* SWIFTPG_ACTIVATION_* */
  int32_t standardized;  /* 1 when a standardisation is set */
  int64_t num_params;
} swiftpg_reward_model_info;

typedef struct swiftpg_reward_model_fit_config {
  uint32_t size;          /* sizeof(swiftpg_reward_model_fit_config) */
  int32_t epochs;         /* in [1, 2^20]; default 20 */
  double learning_rate;   /* Adam, finite > 0; default 0.01 */
  int32_t minibatch_size; /* comparisons per step, [1, 2^24]; default 64 */
  int32_t standardize;    /* 1: standardise from the training features first
                             (if the model is not standardised yet); default 0 */
  double weight_decay;    /* L2, finite >= 0; default 0 */
  double centring;        /* pairs only: c (r_c + r_r)^2 (Eisenstein et al.
                             2023), finite >= 0; default 0 */
  uint64_t seed;          /* the shuffles */
} swiftpg_reward_model_fit_config;

int32_t swiftpg_reward_model_fit_default_config(swiftpg_reward_model_fit_config *config_out);

/* num_features in [1, 65536]; hidden_sizes [num_hidden] each in [1, 65536]
 * (NULL when num_hidden is 0); activation SWIFTPG_ACTIVATION_*. */
int32_t swiftpg_reward_model_create(int32_t num_features,
                                    const int32_t *hidden_sizes,
                                    int32_t num_hidden, int32_t activation,
                                    uint64_t seed, uint64_t *reward_model_out);
int32_t swiftpg_reward_model_destroy(uint64_t reward_model);
int32_t swiftpg_reward_model_get_info(uint64_t reward_model,
                                      swiftpg_reward_model_info *info_out);
/* count must equal num_params. */
int32_t swiftpg_reward_model_get_params(uint64_t reward_model,
                                        double *params_out, int64_t count);
int32_t swiftpg_reward_model_set_params(uint64_t reward_model,
                                        const double *params, int64_t count);

/* The hidden-layer sizes, int32_t [num_hidden] of swiftpg_reward_model_info
 * (sizes_out may be NULL when num_hidden is 0). */
int32_t swiftpg_reward_model_hidden_sizes(uint64_t reward_model,
                                          int32_t *sizes_out);

/* Checkpoints of reward models, with the conventions of the sequence
 * policies' (swiftpg_seq_policy_save): a bundle (format version 2, object
 * kind 6) holding the sizes, the activation, the feature standardisation
 * (mean and scale, when set), the network precision and the parameters,
 * so the loaded model predicts bit for bit what the saved one predicted.
 * Errors: IO, BAD_FORMAT (truncated, corrupted, wrong version or kind),
 * BUFFER_TOO_SMALL, NULL_POINTER, INVALID_ARGUMENT. */
int32_t swiftpg_reward_model_save(uint64_t reward_model, const char *path);
int32_t swiftpg_reward_model_load(const char *path, uint64_t *reward_model_out);
int32_t swiftpg_reward_model_serialize(uint64_t reward_model, uint8_t *buffer,
                                       int64_t capacity, int64_t *size_out);
int32_t swiftpg_reward_model_deserialize(const uint8_t *bytes, int64_t size,
                                         uint64_t *reward_model_out);

/* r_phi of each row of features [batch, K] into rewards_out [batch]
 * (batch >= 1). */
int32_t swiftpg_reward_model_predict(uint64_t reward_model,
                                     const double *features, int64_t batch,
                                     double *rewards_out);

/* The fraction of the count pairs (feature rows chosen, rejected
 * [count, K]) the model orders correctly, ties 1/2. */
int32_t swiftpg_reward_model_pair_accuracy(uint64_t reward_model,
                                           const double *chosen,
                                           const double *rejected,
                                           int64_t count, double *accuracy_out);

/* Fits on count >= 1 comparisons: feature rows chosen, rejected [count, K]
 * of the preferred and the other response, margins [count] (Llama 2's
 * margin; NULL: none). Writes the mean training loss and accuracy of each
 * epoch to loss_out, accuracy_out [epochs] (each optional). A step whose
 * gradient or result is not finite fails with NUMERICAL and is not taken
 * (earlier steps of the call stay). */
int32_t swiftpg_reward_model_fit_pairs(uint64_t reward_model,
                                       const double *chosen,
                                       const double *rejected,
                                       const double *margins, int64_t count,
                                       const swiftpg_reward_model_fit_config *config,
                                       double *loss_out, double *accuracy_out);

/* Fits on count >= 1 k-way rankings: candidates [count, k, K] (feature
 * rows of the k candidates), rankings int32_t [count, k] (each row a
 * permutation of 0 ..< k, best first; 2 <= k <= 65536). */
int32_t swiftpg_reward_model_fit_rankings(uint64_t reward_model,
                                          const double *candidates,
                                          const int32_t *rankings,
                                          int64_t count, int32_t k,
                                          const swiftpg_reward_model_fit_config *config,
                                          double *loss_out,
                                          double *accuracy_out);

/* --- Preference losses (Preferences/PreferenceLosses.swift), pure
 * functions. Inputs finite, count >= 1. Derivative outputs are optional
 * (NULL: not written). */

typedef struct swiftpg_pairwise_stats {
  double loss;        /* mean loss (centring term included) */
  double accuracy;    /* fraction of ordered pairs with r_c > r_r, ties 1/2 */
  double mean_margin; /* mean r_c - r_r */
} swiftpg_pairwise_stats;

/* Bradley-Terry: L = (1/N) sum_n [-log sigma(r_c - r_r - m_n)
 * + c (r_c + r_r)^2] over chosen, rejected, margins [count] (margins
 * NULL: 0), centring c >= 0. d_chosen_out, d_rejected_out [count]:
 * dL/dr_c, dL/dr_r. */
int32_t swiftpg_bradley_terry_loss(int64_t count, const double *chosen,
                                   const double *rejected,
                                   const double *margins, double centring,
                                   swiftpg_pairwise_stats *stats_out,
                                   double *d_chosen_out, double *d_rejected_out);

/* InstructGPT's k-way ranking loss (Ouyang et al. 2022, eq. 1): scores
 * [count, k], rankings int32_t [count, k] (permutations of 0 ..< k, best
 * first; 2 <= k <= 65536); d_scores_out [count, k]. */
int32_t swiftpg_ranking_loss(int64_t count, int32_t k, const double *scores,
                             const int32_t *rankings,
                             swiftpg_pairwise_stats *stats_out,
                             double *d_scores_out);

/* Direct-alignment losses. */
#define SWIFTPG_DIRECT_DPO 0 /* -log sigma(beta h), label smoothing eps:
                                (1-eps)(-log sigma(beta h)) + eps(-log sigma(-beta h)) */
#define SWIFTPG_DIRECT_IPO 1 /* (h - 1/(2 beta))^2 (IPO with tau = beta) */

/* Statistics as TRL's DPOTrainer logs them; implicit rewards
 * beta (log pi - log pi_ref). */
typedef struct swiftpg_direct_stats {
  double loss;            /* (pair-weighted) mean loss */
  double chosen_reward;   /* mean implicit reward of the chosen responses */
  double rejected_reward; /* ... of the rejected ones */
  double reward_accuracy; /* fraction with chosen > rejected reward, ties 1/2 */
  double reward_margin;   /* mean chosen - rejected reward */
} swiftpg_direct_stats;

/* DPO (Rafailov et al. 2023) or IPO (Azar et al. 2023) on per-sequence
 * log-probabilities [count] of the policy and the reference, h = (pc - rc)
 * - (pr - rr); beta > 0 finite; label_smoothing in [0, 1/2) (DPO only: 0
 * for IPO); weights [count] (>= 0, positive sum; NULL: uniform) weight the
 * pairs. d_chosen_out, d_rejected_out [count]: dL/d policy_chosen, dL/d
 * policy_rejected. */
int32_t swiftpg_direct_loss(int32_t loss_kind, int64_t count,
                            const double *policy_chosen,
                            const double *policy_rejected,
                            const double *reference_chosen,
                            const double *reference_rejected, double beta,
                            double label_smoothing, const double *weights,
                            swiftpg_direct_stats *stats_out,
                            double *d_chosen_out, double *d_rejected_out);

/* --- Best-of-n and rank correlations (Preferences/BestOfN.swift,
 * RewardModel.swift), pure functions. */

/* For each row of scores [rows, n] (finite), the index of the highest
 * score into selected_out int32_t [rows]; ties broken uniformly with row
 * r's stream (seed, first_row + r). rows >= 1, n in [1, 2^31). */
int32_t swiftpg_best_of_n_select(int64_t rows, int64_t n, const double *scores,
                                 uint64_t seed, int64_t first_row,
                                 int32_t *selected_out);

/* The exact distribution of best-of-n (ties broken uniformly over draws)
 * over count >= 1 responses with base probabilities base_probs [count]
 * (>= 0, summing to 1 within 1e-9) and scores [count] (finite), n in
 * [1, 2^40]: probs_out [count]. */
int32_t swiftpg_best_of_n_distribution(int64_t count, const double *base_probs,
                                       const double *scores, int64_t n,
                                       double *probs_out);

/* KL(pi_bon || pi_base) exactly (arguments as the distribution), and the
 * bound log n - (n - 1)/n of Beirami et al. (2024), never below it. */
int32_t swiftpg_best_of_n_kl(int64_t count, const double *base_probs,
                             const double *scores, int64_t n, double *kl_out);
int32_t swiftpg_best_of_n_kl_bound(int64_t n, double *bound_out);

#define SWIFTPG_CORRELATION_SPEARMAN 0     /* Pearson of the average ranks */
#define SWIFTPG_CORRELATION_KENDALL_TAU_B 1 /* tau-b, ties corrected; count <= 2^15 */

/* The rank correlation of x, y [count] (finite, count >= 2; NaN when either
 * is constant). */
int32_t swiftpg_rank_correlation(int32_t method, int64_t count, const double *x,
                                 const double *y, double *correlation_out);

/* --- Preference trainers (Preferences/SFT.swift, DPO.swift): handles of
 * kind SWIFTPG_KIND_PREF_TRAINER. A trainer keeps its Adam state and the
 * shuffle generator across fit calls (so a caller may run one epoch per
 * call) and holds its sequence policies: a call on the trainer fails with
 * BUSY while another thread uses them, and destroying a policy handle
 * leaves the trainer's policy alive until the trainer is destroyed. Each
 * fit call runs the config's epochs; a step whose loss, gradient or update
 * is not finite fails with NUMERICAL and is not taken (earlier steps
 * stay). */

typedef struct swiftpg_sft_config {
  uint32_t size;          /* sizeof(swiftpg_sft_config) */
  int32_t minibatch_size; /* token positions per step, [1, 2^24]; default 256 */
  int32_t epochs;         /* per fit call, [1, 2^20]; default 10 */
  int32_t reserved;       /* ignored; set 0 */
  double learning_rate;   /* Adam, finite > 0; default 0.01 */
  double weight_decay;    /* L2, finite >= 0; default 0 */
  uint64_t seed;          /* the shuffles */
} swiftpg_sft_config;

/* Supervised fine-tuning (Stiennon et al. 2020; Ouyang et al. 2022 §3.5):
 * per-token cross-entropy with teacher forcing over every generated
 * position (EOS included). */
int32_t swiftpg_sft_default_config(swiftpg_sft_config *config_out);
int32_t swiftpg_sft_create(uint64_t seq_policy, const swiftpg_sft_config *config,
                           uint64_t *trainer_out);

/* Trains on the demonstrations (a response batch, batch >= 1) and, when
 * held_out_prompts is not NULL, evaluates the held-out batch (held_out_batch
 * >= 1) after each epoch. Per-epoch outputs [epochs], each optional: mean
 * per-token loss (nats) and greedy accuracy; the held-out ones are written
 * only with a held-out batch. */
int32_t swiftpg_sft_fit(uint64_t trainer, const int32_t *prompts,
                        const int32_t *tokens, const int32_t *lengths,
                        int64_t batch, const int32_t *held_out_prompts,
                        const int32_t *held_out_tokens,
                        const int32_t *held_out_lengths, int64_t held_out_batch,
                        double *loss_out, double *accuracy_out,
                        double *held_out_loss_out,
                        double *held_out_accuracy_out);

/* Per-token loss and accuracy of the trainer's policy on a batch (>= 1). */
int32_t swiftpg_sft_evaluate(uint64_t trainer, const int32_t *prompts,
                             const int32_t *tokens, const int32_t *lengths,
                             int64_t batch, double *loss_out,
                             double *accuracy_out);

typedef struct swiftpg_dpo_config {
  uint32_t size;          /* sizeof(swiftpg_dpo_config) */
  int32_t loss;           /* SWIFTPG_DIRECT_*; default DPO */
  double beta;            /* > 0 (tau of IPO); default 0.1 */
  double label_smoothing; /* DPO only, [0, 1/2); default 0 */
  int32_t epochs;         /* per fit call, [1, 2^20]; default 1 */
  int32_t minibatch_size; /* pairs per step, [1, 2^24]; default 64 */
  double learning_rate;   /* Adam, finite > 0; default 0.01 */
  uint64_t seed;          /* the shuffles */
} swiftpg_dpo_config;

/* Offline DPO / IPO of `policy` against the frozen `reference` (another
 * sequence policy handle over the same V, L and P; INVALID_ARGUMENT when
 * reference == policy). The reference is not changed. */
int32_t swiftpg_dpo_default_config(swiftpg_dpo_config *config_out);
int32_t swiftpg_dpo_create(uint64_t policy, uint64_t reference,
                           const swiftpg_dpo_config *config,
                           uint64_t *trainer_out);

/* Trains on count >= 1 pairs: prompts [count], the chosen responses
 * chosen_tokens [count, L] / chosen_lengths [count] and the rejected ones
 * likewise; weights [count] (>= 0, positive sum; NULL: uniform). stats_out
 * [epochs] (optional): each epoch's pair-weighted means over its
 * minibatches, each measured before its step. */
int32_t swiftpg_dpo_fit(uint64_t trainer, const int32_t *prompts,
                        const int32_t *chosen_tokens,
                        const int32_t *chosen_lengths,
                        const int32_t *rejected_tokens,
                        const int32_t *rejected_lengths, int64_t count,
                        const double *weights, swiftpg_direct_stats *stats_out);

/* The loss and statistics of the current policy on all pairs (no step). */
int32_t swiftpg_dpo_evaluate(uint64_t trainer, const int32_t *prompts,
                             const int32_t *chosen_tokens,
                             const int32_t *chosen_lengths,
                             const int32_t *rejected_tokens,
                             const int32_t *rejected_lengths, int64_t count,
                             const double *weights,
                             swiftpg_direct_stats *stats_out);

int32_t swiftpg_pref_trainer_destroy(uint64_t trainer);

/* ---------------------------------------------------------------------------
 * Online RLHF learners (issue 16)
 *
 * REINFORCE, RLOO, ReMax, GRPO, REBEL and PPO over a sequence policy, a
 * frozen reference (another sequence policy over the same V, L, P), a
 * sequence task (its prompt distribution) and a reward: the task's gold
 * reward, or a reward model over the task's reward features (or its proxy
 * features). Where each method puts the KL term, and with which estimator,
 * is the table of Sources/SwiftPG/Sequences/README.md. Each iteration draws
 * prompts_per_iteration prompts (rows i*P..., seeded) and samples_per_prompt
 * responses each (adjacent in the batch), scores them and takes the
 * method's update; an iteration is all or nothing (a failure or a
 * cancellation changes nothing). The learner holds its policies and reward
 * model: calls on them from other threads meanwhile fail with BUSY.
 * ------------------------------------------------------------------------- */
/* Handle kind of this section (swiftpg_live_handles). */
#define SWIFTPG_KIND_RLHF_LEARNER 9

#define SWIFTPG_RLHF_REINFORCE 0
#define SWIFTPG_RLHF_RLOO 1
#define SWIFTPG_RLHF_REMAX 2
#define SWIFTPG_RLHF_GRPO 3
#define SWIFTPG_RLHF_REBEL 4
#define SWIFTPG_RLHF_PPO 5

/* One configuration for every method (fields a method does not read are
 * ignored; swiftpg_rlhf_default_config writes a method's defaults and 0 in
 * the fields it does not read). */
typedef struct swiftpg_rlhf_config {
  uint32_t size;                 /* sizeof(swiftpg_rlhf_config) */
  int32_t algorithm;             /* SWIFTPG_RLHF_* */
  int32_t prompts_per_iteration; /* [1, 2^20] */
  int32_t samples_per_prompt;    /* k in [1, 4096]; RLOO, GRPO >= 2; REBEL 2;
                                    prompts_per_iteration * k <= 2^20 */
  double beta;                   /* KL coefficient, >= 0 */
  double temperature;            /* sampling temperature, > 0 */
  double learning_rate;          /* the policy's Adam step, > 0 */
  uint64_t seed;
  int32_t baseline;              /* REINFORCE: 0 none, 1 moving average */
  int32_t epochs;                /* RLOO, REBEL, PPO: steps per batch, [1, 1000] */
  double baseline_decay;         /* REINFORCE: in [0, 1) */
  double clip_range;             /* RLOO (reused batches), PPO: in (0, 1) */
  int32_t scaling;               /* GRPO: 0 group std, 1 batch std, 2 none */
  int32_t aggregation;           /* GRPO: 0 per sequence, 1 per token */
  double epsilon;                /* GRPO: added to the std, > 0 */
  double eta;                    /* REBEL: > 0 */
  int32_t minibatch_size;        /* PPO: responses per minibatch, >= 1 */
  int32_t whiten_advantages;     /* PPO: 0 or 1 */
  double value_clip_range;       /* PPO: > 0 */
  double gamma;                  /* PPO: GAE gamma in [0, 1] */
  double lambda;                 /* PPO: GAE lambda in [0, 1] */
  double value_learning_rate;    /* PPO: the critic's Adam step, > 0 */
  double missing_eos_penalty;    /* >= 0, subtracted from the reward of the
                                    learner's own samples without EOS */
  int32_t kl_estimator;          /* KL term in the reward (not GRPO):
                                    SWIFTPG_KL_K1 (default) or SWIFTPG_KL_K3
                                    (log-ratio clamped to +-20 first) */
} swiftpg_rlhf_config;

/* One iteration's statistics (means over its samples). mean_kl is the
 * sampled sequence-level k1 estimate of KL(pi_old || pi_ref) whatever the
 * method uses; loss is the method's surrogate before its first step. */
typedef struct swiftpg_rlhf_stats {
  uint32_t size; /* sizeof(swiftpg_rlhf_stats), written by the library */
  int32_t reserved;
  int64_t iteration;
  int64_t samples;
  int64_t total_samples;
  double mean_reward;
  double mean_kl;
  double mean_regularized_reward; /* mean of r - beta * KL estimate (the
                                     config's kl_estimator: k1 by default) */
  double mean_length;
  double eos_rate;
  double loss;
  double grad_norm;
  double mean_gold_reward; /* mean gold reward r* of the samples (the task's,
                              whatever reward the learner trains on) */
  double clip_fraction;    /* RLOO (epochs > 1), PPO: fraction of the ratio
                              evaluations of the reused batch with the clip
                              active; else 0 */
  double approx_kl;        /* mean k3 estimate of KL(pi_old || pi_theta) over
                              the same evaluations (REBEL: its epochs after
                              the first); else 0 */
  double value_loss;       /* PPO: clipped value loss, mean over minibatch steps */
  int64_t clamped_tokens;  /* tokens whose log-ratio was clamped before k3
                              (GRPO's loss, or kl_estimator k3) */
  double mean_kl_k3;       /* mean of sum_t k3_t (log-ratio clamped to +-20):
                              unbiased for KL(pi_old || pi_ref) and never
                              negative, unlike the k1 mean_kl */
} swiftpg_rlhf_stats;

/* The defaults of `algorithm` (SWIFTPG_RLHF_*). */
int32_t swiftpg_rlhf_default_config(int32_t algorithm, swiftpg_rlhf_config *config_out);

/* A learner training `policy` against `reference` (not the same handle) on
 * `task`'s prompts. reward_model: 0 for the task's gold reward, else a
 * reward model over the task's reward features (proxy_features = 1: the
 * task's proxy features); its feature count must match. critic (PPO only):
 * a sequence policy whose model serves as the value function V (its output
 * 0), trained by the learner; 0 makes a tabular critic (values 0). The
 * learner holds these objects until destroyed. */
int32_t swiftpg_rlhf_create(uint64_t policy, uint64_t reference, uint64_t task,
                            uint64_t reward_model, int32_t proxy_features,
                            uint64_t critic, const swiftpg_rlhf_config *config,
                            uint64_t *learner_out);
int32_t swiftpg_rlhf_destroy(uint64_t learner);

/* The learner's method (SWIFTPG_RLHF_*), iterations and samples so far. */
int32_t swiftpg_rlhf_get_info(uint64_t learner, int32_t *algorithm_out, int64_t *iteration_out,
                              int64_t *total_samples_out);

/* Collect, estimate, update: one iteration. swiftpg_cancel on the learner
 * stops it (CANCELLED, nothing changed). */
int32_t swiftpg_rlhf_iterate(uint64_t learner, swiftpg_rlhf_stats *stats_out);

/* One update on external samples: count responses (prompts [count], tokens
 * [count, L], lengths [count]) in groups of group_size adjacent samples of
 * one prompt each, with their rewards [count] (finite). The learner fills
 * the log-probabilities of its policy and reference. */
int32_t swiftpg_rlhf_update(uint64_t learner, const int32_t *prompts, const int32_t *tokens,
                            const int32_t *lengths, const double *rewards, int64_t count,
                            int32_t group_size, swiftpg_rlhf_stats *stats_out);

/* The ascent direction of the method's first step on external samples
 * (arguments as swiftpg_rlhf_update), without taking it: gradient_out
 * [gradient_count] (= the policy's num_params). Changes nothing. Per
 * method: REINFORCE, RLOO, ReMax (1/N) sum_i A_i grad log pi(y_i|x_i);
 * GRPO the gradient of its objective with the k3 term; REBEL minus the
 * gradient of its regression loss at pi = pi_old; PPO the clipped
 * surrogate's gradient at ratio 1 with the whole batch as one minibatch. */
int32_t swiftpg_rlhf_gradient_estimate(uint64_t learner, const int32_t *prompts, const int32_t *tokens,
                                       const int32_t *lengths, const double *rewards, int64_t count,
                                       int32_t group_size, double *gradient_out, int64_t gradient_count);

/* The learner's training state as a checkpoint file (written atomically):
 * the policy's parameters, Adam's state, counters, a checksum of the
 * reference, and the method's own state (REINFORCE's moving-average
 * baseline; PPO's critic and its Adam). The task and reward are not stored. */
int32_t swiftpg_rlhf_save(uint64_t learner, const char *path);

/* Restores a file of swiftpg_rlhf_save into a learner built the same way
 * (same method, policy and critic architectures, the same reference bit
 * for bit); the learner keeps its configuration. Anything else is
 * BAD_FORMAT and changes nothing. Training then continues bit for bit. */
int32_t swiftpg_rlhf_load(uint64_t learner, const char *path);

/* The exact KL-regularised objective J = sum_x w_x [E_pi r - beta
 * KL(pi || pi_ref)] of `policy` by enumeration (every prompt's responses,
 * at most 2^20), with the reward of swiftpg_rlhf_create (reward_model 0:
 * gold): value_out, and gradient_out [count] (count = the policy's
 * num_params; may be NULL). */
int32_t swiftpg_rlhf_exact_objective(uint64_t policy, uint64_t reference, uint64_t task,
                                     uint64_t reward_model, int32_t proxy_features, double beta,
                                     double *value_out, double *gradient_out, int64_t count);

/* The optimum pi*(y|x) proportional to pi_ref(y|x) exp(r(x,y)/beta), beta >
 * 0, of one prompt as log-probabilities over its canonical responses
 * (count_out = N also when capacity is too small: BUFFER_TOO_SMALL). */
int32_t swiftpg_rlhf_exact_optimum(uint64_t reference, uint64_t task, uint64_t reward_model,
                                   int32_t proxy_features, double beta, int32_t prompt,
                                   double *log_probs_out, int64_t capacity, int64_t *count_out);

/* ---------------------------------------------------------------------------
 * Two-player board games (issue 17)
 *
 * One handle holds N games of one kind (tic-tac-toe, Connect-N, Go) stepped
 * together. The rules, actions, returns, observation tensors and texts are
 * OpenSpiel's (open_spiel 2.0.2: tic_tac_toe, connect_four with its
 * parameters rows, columns, x_in_row; go with board_size, komi,
 * max_game_length), checked move by move against pyspiel by
 * python/tests/test_games.py and python/tests/test_go.py.
 *
 * Players are 0 and 1; player 0 moves first. The current player of a
 * finished game is SWIFTPG_GAME_TERMINAL_PLAYER (-4, OpenSpiel's
 * kTerminalPlayerId). Returns are +1 (win), -1 (loss), 0 (draw or not
 * finished); an outcome is player 0's return.
 *
 * Boards are H x W cells numbered row-major as OpenSpiel's observation
 * tensor numbers them (tic-tac-toe: row 0 on top, the action is the cell;
 * Connect-N: row 0 at the bottom, the action is the column).
 *
 * Finished games: a batch created with auto_reset = 0 keeps a finished game
 * finished (stepping it is an error) until swiftpg_game_reset; with
 * auto_reset = 1 the step that ends a game writes its outcome and puts it
 * back at the start in the same call.
 *
 * An illegal move is an error (INVALID_ARGUMENT), never a silent loss; one
 * bad action anywhere in a batched call fails the whole call and no game
 * moves.
 * ------------------------------------------------------------------------- */
/* Handle kind of this section (swiftpg_live_handles). */
#define SWIFTPG_KIND_GAME 10

#define SWIFTPG_GAME_TERMINAL_PLAYER -4

typedef struct swiftpg_game_info {
  int32_t num_games;          /* N */
  int32_t num_actions;        /* A: actions are 0 ..< A */
  int32_t max_game_length;    /* most moves of one game */
  int32_t board_height;       /* H */
  int32_t board_width;        /* W */
  int32_t observation_planes; /* OpenSpiel's observation tensor is
                                 [observation_planes, H, W] */
  int32_t num_planes;         /* C of the network planes [C, H, W] */
  int32_t state_size;         /* int32_t words of one encoded state */
  int32_t num_symmetries;     /* symmetries 0 ..< num_symmetries; 0 is the
                                 identity */
  int32_t auto_reset;         /* as created: 0 or 1 */
} swiftpg_game_info;

/* N = num_games tic-tac-toe games (1 <= N <= 2^24) at the start.
 * auto_reset: 0 or 1, as above. Symmetries: the 8 of the square.
 * Errors: NULL_POINTER, INVALID_ARGUMENT, TOO_LARGE. */
int32_t swiftpg_game_create_tic_tac_toe(int32_t num_games, int32_t auto_reset, uint64_t *game_out);

/* N Connect-N games: rows x columns, x_in_row in a line wins (OpenSpiel's
 * connect_four: 6, 7, 4). Requires rows >= 1, columns >= 1,
 * (rows + 1) * columns <= 64 and 1 <= x_in_row <= max(rows, columns).
 * Symmetries: the identity and the left-right mirror.
 * Errors: as swiftpg_game_create_tic_tac_toe. */
int32_t swiftpg_game_create_connect_n(int32_t rows, int32_t columns, int32_t x_in_row, int32_t num_games,
                                      int32_t auto_reset, uint64_t *game_out);

/* N Go games (OpenSpiel's go: area scoring, simple ko, a placement that
 * repeats an earlier board position ends the game as a draw, two passes or
 * max_game_length actions end it): board_size 5 ... 9, komi finite with
 * |komi| <= 1000, max_game_length 1 ... 4096 or 0 for OpenSpiel's default
 * board_size^2 * 2. Actions: point row * board_size + column (row 0 the
 * bottom row "1", column 0 "A"), board_size^2 pass. Player 0 is black.
 * Observation: [4, N, N] black, white, empty, all ones when white is to
 * play. Planes (num_planes = 7): the mover's stones, the opponent's, empty
 * points, legal placements, the mover's stones in atari, the opponent's
 * in atari, all ones when black is to play. Symmetries: the 8 of the
 * square (pass maps to pass). Encoded state (state_size = N^2 + 5 +
 * 2 * max_game_length): the points (0 empty, 1 black, 2 white), the move
 * count, the trailing passes, the ko point (-1 none), the superko flag,
 * the placement count H, then H 64-bit position hashes (low, high words)
 * and zeros; swiftpg_game_set_state refuses words no game reaches.
 * Errors: as swiftpg_game_create_tic_tac_toe (a parameter out of range is
 * INVALID_ARGUMENT). */
int32_t swiftpg_game_create_go(int32_t board_size, double komi, int32_t max_game_length, int32_t num_games,
                               int32_t auto_reset, uint64_t *game_out);

/* Go: the score margin of every game, margins_out [N]: black's area
 * (stones and empty regions bordering black only) minus white's, minus
 * komi, in any state (at the end its sign is the result, except after a
 * superko repetition, a draw). Errors: NOT_SUPPORTED for other games. */
int32_t swiftpg_game_score_margin(uint64_t game, double *margins_out);

/* Destroys the batch. Later calls with the handle give BAD_HANDLE. */
int32_t swiftpg_game_destroy(uint64_t game);

int32_t swiftpg_game_get_info(uint64_t game, swiftpg_game_info *info_out);

/* Puts the games with which[i] = 1 back at the start (which NULL: all).
 * Errors: INVALID_ARGUMENT (a flag other than 0 or 1; nothing is reset). */
int32_t swiftpg_game_reset(uint64_t game, const uint8_t *which);

/* Plays actions[i] ([N]) in every game with active[i] = 1 (active [N], NULL:
 * all games); the actions of inactive games are ignored. Every flag and
 * every active game's action is checked before any game moves: a flag
 * other than 0/1 (INVALID_ARGUMENT), an action outside 0 ..< A
 * (OUT_OF_RANGE), an illegal action or a finished game (INVALID_ARGUMENT)
 * fails the call and changes nothing.
 * ended_out [N] (NULL if not wanted): 1 where this step ended the game.
 * outcomes_out [N] (NULL if not wanted): player 0's return where the game
 * ended (+1, -1, 0), 0 elsewhere. With auto_reset the ended games are
 * already back at the start.
 * ended_count_out (NULL if not wanted): the number of games that ended. */
int32_t swiftpg_game_step(uint64_t game, const int32_t *actions, const uint8_t *active, uint8_t *ended_out,
                          double *outcomes_out, int32_t *ended_count_out);

/* The legal actions of every game, [N, A]: 1 legal, 0 not (all 0 once a
 * game is over). */
int32_t swiftpg_game_legal_mask(uint64_t game, uint8_t *mask_out);

/* One move in game `index` alone, for APIs that move one state at a time
 * (swiftpg.games.State): plays `action` there as swiftpg_game_step plays an
 * active game's action, with the same checks (nothing changes on error),
 * then writes the game after the move (with auto_reset: after its reset).
 * Each output may be NULL: ended_out 1 if the move ended the game;
 * outcome_out player 0's return if it did (+1, -1, 0), else 0; player_out
 * the player to move (0, 1 or -4); legal_mask_out [A] the new legal mask.
 * Errors: OUT_OF_RANGE (index outside 0 ..< N, action outside 0 ..< A),
 * INVALID_ARGUMENT (an illegal action, a finished game), BUSY. */
int32_t swiftpg_game_apply(uint64_t game, int32_t index, int32_t action, uint8_t *ended_out, double *outcome_out,
                           int32_t *player_out, uint8_t *legal_mask_out);

/* A new batch of one game (a new handle, not resetting itself) holding a
 * copy of game `index`: its state and, for Go, its position history.
 * Errors: NULL_POINTER, OUT_OF_RANGE (index), TOO_LARGE (handles), BUSY. */
int32_t swiftpg_game_clone(uint64_t game, int32_t index, uint64_t *game_out);

/* Each output may be NULL: current players [N] (0, 1 or -4), terminal
 * flags [N], returns [N, 2] (players 0 and 1). */
int32_t swiftpg_game_status(uint64_t game, int32_t *players_out, uint8_t *terminal_out, double *returns_out);

/* OpenSpiel's observation tensors (absolute: planes by player, not by the
 * player to move), [N, observation_planes, H, W]. Tic-tac-toe: empty cells,
 * player 1's stones, player 0's; Connect-N: player 0's stones, player 1's,
 * empty cells. */
int32_t swiftpg_game_observation(uint64_t game, double *observations_out);

/* Network input planes from the player to move's perspective, [N, C, H, W]
 * (C = num_planes = 3; Go: 7, see swiftpg_game_create_go): the mover's
 * stones, the opponent's stones, and all ones when player 0 is to move (all
 * zeros for player 1). A finished game
 * takes the perspective of the player who would move next. */
int32_t swiftpg_game_planes(uint64_t game, double *planes_out);

/* The encoded states, [N, state_size]: for tic-tac-toe and Connect-N the
 * H * W cells (0 empty, 1 player 0's stone, 2 player 1's); for Go the
 * points and then the words described at swiftpg_game_create_go. */
int32_t swiftpg_game_get_state(uint64_t game, int32_t *states_out);

/* Sets every game from encoded states ([N, state_size]). All are checked
 * first: a cell value other than 0, 1, 2, stone counts no game reaches,
 * a Connect-N stone above an empty cell, lines of both players, or a line
 * of the player who did not move last is INVALID_ARGUMENT (naming the
 * game) and changes nothing (Go: see swiftpg_game_create_go). These are
 * necessary conditions, not a search for a move order: a board that passes
 * them but that no sequence of moves reaches (e.g. Connect Four's only o
 * under its only x) is accepted and played on. A finished board stays
 * finished, also with auto_reset, until swiftpg_game_reset. */
int32_t swiftpg_game_set_state(uint64_t game, const int32_t *states);

/* OpenSpiel's ToString() of game `index`, written like swiftpg_env_list.
 * Errors: OUT_OF_RANGE (index outside 0 ..< N), BUFFER_TOO_SMALL. */
int32_t swiftpg_game_render_text(uint64_t game, int32_t index, char *buffer, size_t capacity,
                                 size_t *length_out);

/* Symmetry k (0 ..< num_symmetries) as permutations: cell_map_out [H * W]
 * and action_map_out [A] receive the image of each cell and action (a
 * plane p moves to q[cell_map[c]] = p[c]; a policy over actions the same
 * way with action_map). Either output may be NULL.
 * Errors: OUT_OF_RANGE (k). */
int32_t swiftpg_game_symmetry(uint64_t game, int32_t symmetry, int32_t *cell_map_out, int32_t *action_map_out);

/* playouts_per_game (P >= 1) uniformly random playouts from the current
 * state of every game, in this one call; the games do not change.
 * outcomes_out [N, P]: player 0's final return; lengths_out [N, P] (NULL if
 * not wanted): the moves played (0 from a finished game). Playout j of game
 * i draws from its own generator seeded from (seed, i, j): the results do
 * not depend on N or on the other games.
 * swiftpg_cancel on the game handle stops the call within 256 playouts
 * (also inside one game's playouts): it returns CANCELLED with the playouts
 * before written.
 * Errors: INVALID_ARGUMENT (P < 1), TOO_LARGE (N * P above 2^28),
 * CANCELLED. */
int32_t swiftpg_game_playouts(uint64_t game, uint64_t seed, int32_t playouts_per_game, double *outcomes_out,
                              int32_t *lengths_out);

/* Threads swiftpg_game_playouts uses (1 ... 64, default 1): chunks of
 * games on a pool of threads. Every playout has its own generator, so the
 * results do not depend on it. Errors: INVALID_ARGUMENT. */
int32_t swiftpg_game_set_threads(uint64_t game, int32_t num_threads);

/* ---------------------------------------------------------------------------
 * Games: players and arena (issue 17)
 *
 * A player is a handle (kind SWIFTPG_KIND_GAME_PLAYER) made for the game of
 * a game handle: the same game with the same parameters (a Connect Four
 * player cannot play 4 x 5 Connect-3; a mismatch is INVALID_ARGUMENT). The
 * game handle may be destroyed afterwards; the player keeps its own copy
 * of the rules.
 *
 * Kinds (Sources/SwiftPG/Games/Players.swift and the files beside it):
 * - random: a uniformly random legal move.
 * - minimax(depth): negamax with alpha-beta pruning to `depth` plies
 *   (1 ..< 65); at the horizon a heuristic (open lines weighted by their
 *   stones: n^2 for a line holding n stones of one player only, squashed
 *   into (-1, 1)); a proven win or loss outweighs any heuristic value and a
 *   sooner win a later one. Tic-tac-toe at depth 9 is exact.
 * - mcts(simulations, uct_c): UCT with uniformly random rollouts,
 *   `simulations` (1 ..< 2^20 + 1) per move, exploration constant uct_c
 *   (finite, >= 0; OpenSpiel's default 2); plays the most visited move.
 *   Memory: about simulations x branching tree nodes during a move;
 *   simulations x num_actions above 2^24 is TOO_LARGE.
 * - solver: the perfect player. Connect-N (x_in_row >= 2): Pons-style
 *   bitboard solver, a column of the best exact score (its table takes 75
 *   MB on boards of 36 cells or more, 9 MB below); other games of at most
 *   16 moves (tic-tac-toe): exact negamax over the whole game with a
 *   transposition table. Otherwise NOT_SUPPORTED. A solver on an early 6x7
 *   position can take minutes (swiftpg_cancel stops it).
 * Ties between equally good moves are broken at random by the generator of
 * the call, so every player is deterministic given its seed.
 * ------------------------------------------------------------------------- */
/* Handle kind of this section (swiftpg_live_handles). */
#define SWIFTPG_KIND_GAME_PLAYER 11
/* A full column in swiftpg_solver_column_scores. */
#define SWIFTPG_SOLVER_NO_SCORE -32768

/* Players for the game of `game` (a game handle). Errors: BAD_HANDLE,
 * NULL_POINTER, INVALID_ARGUMENT (depth, simulations, uct_c), TOO_LARGE
 * (the MCTS tree), NOT_SUPPORTED (a solver for a game that has none), BUSY. */
int32_t swiftpg_player_create_random(uint64_t game, uint64_t *player_out);
int32_t swiftpg_player_create_minimax(uint64_t game, int32_t depth, uint64_t *player_out);
int32_t swiftpg_player_create_mcts(uint64_t game, int32_t simulations, double uct_c, uint64_t *player_out);
int32_t swiftpg_player_create_solver(uint64_t game, uint64_t *player_out);

/* Destroys the player. Later calls with the handle give BAD_HANDLE. */
int32_t swiftpg_player_destroy(uint64_t player);

/* The player's move in game `index` of the batch `game` (which must be of
 * the player's game and not finished), its random choices drawn from a
 * generator seeded with `seed`. The games do not change.
 * swiftpg_cancel on the player stops a long search (CANCELLED).
 * Errors: BAD_HANDLE, NULL_POINTER, OUT_OF_RANGE (index),
 * INVALID_ARGUMENT (another game, a finished game), CANCELLED, BUSY. */
int32_t swiftpg_player_action(uint64_t player, uint64_t game, int32_t index, uint64_t seed, int32_t *action_out);

/* Plays `games` (1 ..< 2^24 + 1) games from the start between player_a and
 * player_b (both of the game of `game`; they may be the same handle),
 * alternating colours: A moves first in games 0, 2, 4, ... In game i, A
 * draws from a generator seeded from (seed, i, 0) and B from (seed, i, 1):
 * the same seed replays the match. The batch `game` only names the game
 * (its states are neither used nor changed). swiftpg_cancel on the game
 * handle or on either player stops the match (between moves; a player's
 * own request also inside its search). Everything runs in this one call.
 * record_out [9], from A's side: wins, draws, losses over all games; the
 * same over the games A moved first; the same over the games A moved
 * second. Nothing is written unless the call succeeds.
 * Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT, CANCELLED, BUSY. */
int32_t swiftpg_arena_play(uint64_t game, uint64_t player_a, uint64_t player_b, int32_t games, uint64_t seed,
                           int32_t *record_out);

/* Elo ratings by a Bradley-Terry fit over all games (Games/Ratings.swift):
 * P(i beats j) = 1 / (1 + 10^((R_j - R_i) / 400)), a draw half a win for
 * each side, maximum likelihood. records [n, n, 3] (n = num_players,
 * 1 ..< 257): the wins, draws and losses of player i against player j
 * from i's side (entries (i, j) and (j, i) both count; the diagonal must be
 * 0). prior_games (finite, >= 0): virtual draws of every player against a
 * fixed 0-rated reference, which keeps the rating of a player who won or
 * lost every game finite; 0 fits the plain maximum likelihood.
 * ratings_out [n]: ratings with ratings[anchor] = 0; errors_out [n] (NULL
 * if not wanted): standard errors of rating[i] - rating[anchor].
 * Errors: NULL_POINTER, INVALID_ARGUMENT (a negative count, games on the
 * diagonal, a player with no chain of games to the anchor), OUT_OF_RANGE
 * (anchor), TOO_LARGE, NUMERICAL (a rating diverges with prior_games 0). */
int32_t swiftpg_elo_fit(const int32_t *records, int32_t num_players, int32_t anchor, double prior_games,
                        double *ratings_out, double *errors_out);

/* Connect-N solver queries on a solver player of a Connect-N game, for
 * game `index` of the batch `game` (not finished). Scores follow Pascal
 * Pons' convention, from the point of view of the player to move: 0 a
 * draw; a win (cells + 1 - m) / 2 with m the stones on the board before
 * the winning stone (1: a win with the last stone; the empty 6x7 board
 * scores +1); a loss the same negated.
 * swiftpg_solver_score: the position's score.
 * swiftpg_solver_column_scores: scores_out [columns], each column's score
 * for the player to move (SWIFTPG_SOLVER_NO_SCORE for a full column).
 * swiftpg_solver_node_count: positions searched since the player was made.
 * swiftpg_cancel on the player stops a long search (CANCELLED).
 * Errors: BAD_HANDLE, NULL_POINTER, OUT_OF_RANGE, INVALID_ARGUMENT (another
 * game, a finished game), NOT_SUPPORTED (not a Connect-N solver player),
 * CANCELLED, BUSY. */
int32_t swiftpg_solver_score(uint64_t player, uint64_t game, int32_t index, int32_t *score_out);
int32_t swiftpg_solver_column_scores(uint64_t player, uint64_t game, int32_t index, int32_t *scores_out);
int32_t swiftpg_solver_node_count(uint64_t player, int64_t *count_out);

/* ---------------------------------------------------------------------------
 * Board networks, AlphaGo and AlphaZero (issue 18)
 *
 * Policy networks pi(a|s) and value networks V(s) over a game's network
 * planes (swiftpg_game_planes: [C, H, W] from the mover's perspective),
 * handles of kind SWIFTPG_KIND_BOARD_NET; the two self-play learners,
 * handles of kind SWIFTPG_KIND_BOARD_LEARNER; and two players (PUCT
 * search, the raw policy) that are game-player handles, so they play in
 * swiftpg_arena_play and swiftpg_player_action like the players above.
 * Sources: Silver et al. 2016 (AlphaGo: the supervised policy network,
 * policy-gradient self-play against a pool of former selves, the value
 * network on one position per game, search with a policy prior and a
 * value/rollout mix), Silver et al. 2017, 2018 (AlphaZero: search
 * self-play, visit counts as policy targets, Dirichlet noise at the
 * root); Rosin 2011 (PUCT). Swift: Sources/SwiftPG/Policies/Board*.swift,
 * ConvNet.swift, Games/PUCT*.swift, ExpertMoves.swift, SelfPlay/.
 *
 * A policy network's output layer has A = num_actions logits; pi is the
 * softmax over the legal actions only (masks [B, A], 1 legal, 0 not, at
 * least one per row): an illegal action has probability exactly 0. A
 * value network's one output goes through tanh: V(s) in [-1, 1] is the
 * expected outcome (+1 win, -1 loss, 0 draw) for the player to move.
 * Trunks: SWIFTPG_BOARD_TRUNK_MLP (the planes flattened; ReLU hidden
 * layers of the given sizes, orthogonal initialisation, output gain 0.01)
 * or SWIFTPG_BOARD_TRUNK_CONV (k x k convolutions, stride 1, same padding,
 * ReLU, He initialisation, then a linear layer on the last feature map;
 * im2col + BLAS). Parameters, gradients and checkpoints are double; the
 * passes run in float64 or float32 (swiftpg_board_net_set_precision).
 * A network handle is for one thread at a time (BUSY otherwise); a learner
 * holds its networks during its calls.
 * ------------------------------------------------------------------------- */
#define SWIFTPG_KIND_BOARD_NET 13
#define SWIFTPG_KIND_BOARD_LEARNER 14
/* Heads. */
#define SWIFTPG_BOARD_POLICY 1
#define SWIFTPG_BOARD_VALUE 2
/* Trunks. */
#define SWIFTPG_BOARD_TRUNK_MLP 1
#define SWIFTPG_BOARD_TRUNK_CONV 2

typedef struct swiftpg_board_net_info {
  int32_t head;         /* SWIFTPG_BOARD_POLICY or SWIFTPG_BOARD_VALUE */
  int32_t trunk;        /* SWIFTPG_BOARD_TRUNK_MLP or SWIFTPG_BOARD_TRUNK_CONV */
  int32_t num_planes;   /* C */
  int32_t board_height; /* H */
  int32_t board_width;  /* W */
  int32_t num_outputs;  /* A for a policy network, 1 for a value network */
  int32_t precision;    /* 64 or 32: the arithmetic of the passes */
  int32_t reserved;     /* 0 */
  int64_t num_params;
} swiftpg_board_net_info;

/* A network for the game of `game` (a game handle: its planes [C, H, W]
 * and actions A). head: SWIFTPG_BOARD_POLICY or SWIFTPG_BOARD_VALUE.
 * trunk SWIFTPG_BOARD_TRUNK_MLP: sizes [num_sizes] the hidden layer widths
 * (0 ... 64 layers of 1 ... 65536; kernel_size ignored).
 * trunk SWIFTPG_BOARD_TRUNK_CONV: sizes [num_sizes] the channels of each
 * convolution (1 ... 32 layers of 1 ... 1024), kernel_size odd in 1 ... 9
 * (boards up to 32 x 32). Initial parameters drawn from `seed`: the same
 * seed gives the same network; the first policy is near uniform and the
 * first values near 0. Precision float64.
 * Errors: BAD_HANDLE, NULL_POINTER (net_out, sizes when num_sizes > 0),
 * INVALID_ARGUMENT (head, trunk, sizes, kernel), TOO_LARGE (more than the
 * library's parameter limit), BUSY. */
int32_t swiftpg_board_net_create(uint64_t game, int32_t head, int32_t trunk, const int32_t *sizes, int32_t num_sizes,
                                 int32_t kernel_size, uint64_t seed, uint64_t *net_out);

/* Destroys the network; a learner made with it keeps its own reference. */
int32_t swiftpg_board_net_destroy(uint64_t net);

/* The network's head, trunk, plane shape, outputs, precision and
 * parameter count. Errors: BAD_HANDLE, NULL_POINTER, BUSY. */
int32_t swiftpg_board_net_get_info(uint64_t net, swiftpg_board_net_info *info_out);

/* The flat parameter vector ([count] doubles, count = num_params, else
 * INVALID_ARGUMENT). Layout: MLP as swiftpg_policy_get_params' MLP (W then
 * b per layer, W [out, in] row-major); ConvNet per convolution W [c_out,
 * k, k, c_in] then b [c_out], then the output layer W [outputs, H, W,
 * c_last] and b [outputs]. set_params refuses non-finite values
 * (NOT_FINITE) and changes nothing then. */
int32_t swiftpg_board_net_get_params(uint64_t net, double *params_out, int64_t count);
int32_t swiftpg_board_net_set_params(uint64_t net, const double *params, int64_t count);

/* The arithmetic of the passes: 64 (default) or 32 (sgemm on a float copy
 * of the weights; parameters and gradients stay double). Saved in the
 * checkpoint. Errors: INVALID_ARGUMENT (other bits). */
int32_t swiftpg_board_net_set_precision(uint64_t net, int32_t bits);

/* One forward pass on `batch` (0 ... 2^26) positions. planes [batch, C, H,
 * W] (finite). Policy network: masks [batch, A] (0 or 1, at least one
 * legal action per row) and out [batch, A] the probabilities pi(a|s), 0 on
 * illegal actions, rows summing to 1. Value network: masks ignored (may be
 * NULL), out [batch] the values V(s) in [-1, 1]. Nothing is written on
 * error. Errors: NULL_POINTER, INVALID_ARGUMENT (a mask value, a row with
 * no legal action), NOT_FINITE (planes), TOO_LARGE (the batch's
 * workspace), BAD_HANDLE, BUSY. */
int32_t swiftpg_board_net_forward(uint64_t net, const double *planes, const uint8_t *masks, int64_t batch,
                                  double *out);

/* The forward pass on the current position of every game of `game` (N
 * games of the network's game: the same planes [C, H, W] and, for a policy,
 * A actions; else INVALID_ARGUMENT): out [N, A] (policy) or [N] (value);
 * the row of a finished game is all 0. The games do not change. */
int32_t swiftpg_board_net_evaluate_game(uint64_t net, uint64_t game, double *out);

/* Policy networks: grad_out [num_params] = sum_i w_i grad_theta log
 * pi(a_i|s_i) (overwritten), objective_out = sum_i w_i log pi(a_i|s_i),
 * log_probs_out [batch] (NULL if not wanted) log pi(a_i|s_i). planes
 * [batch, C, H, W], masks [batch, A], actions [batch] (each legal in its
 * row), weights [batch] (finite; NULL: all 1). With w = 1 it is the
 * supervised log-likelihood gradient (AlphaGo's SL step); with w = G the
 * REINFORCE gradient of the RL step. The logit gradient is w (onehot(a) -
 * pi) on the legal actions and 0 on the illegal ones.
 * Errors: as swiftpg_board_net_forward; OUT_OF_RANGE (an action outside
 * 0 ..< A), INVALID_ARGUMENT (an illegal action, num_params not the
 * network's count, a value network), NOT_FINITE (a weight). */
int32_t swiftpg_board_net_policy_gradient(uint64_t net, const double *planes, const uint8_t *masks,
                                          const int32_t *actions, const double *weights, int64_t batch,
                                          double *log_probs_out, double *grad_out, int64_t num_params,
                                          double *objective_out);

/* Value networks: the loss sum_i w_i (V(s_i) - G_i)^2 / 2 to loss_out,
 * its gradient to grad_out [num_params] (overwritten), values_out [batch]
 * (NULL if not wanted) V(s_i). planes [batch, C, H, W], targets [batch]
 * (finite), weights [batch] (finite; NULL: all 1). Errors: as
 * swiftpg_board_net_forward; INVALID_ARGUMENT (num_params, a policy
 * network), NOT_FINITE (a target or weight). */
int32_t swiftpg_board_net_value_gradient(uint64_t net, const double *planes, const double *targets,
                                         const double *weights, int64_t batch, double *values_out, double *grad_out,
                                         int64_t num_params, double *loss_out);

/* Checkpoints: bundle kind 8, section board_network (trunk, its
 * specification, parameters, precision, head, planes [C, H, W], actions),
 * written atomically. Loading checks the container (magic, version,
 * checksum, kind) and every field (types, no unknown or missing field,
 * finite parameters, head, plane sizes 1 ... 1024, actions, the trunk's
 * sizes, the parameter count against the trunk's, planes and actions
 * against the trunk's inputs and outputs): anything else is BAD_FORMAT
 * naming the field; IO for an unreadable file. serialize / deserialize:
 * the same bytes in memory (size_out: the bytes needed; BUFFER_TOO_SMALL
 * when capacity is less). */
int32_t swiftpg_board_net_save(uint64_t net, const char *path);
int32_t swiftpg_board_net_load(const char *path, uint64_t *net_out);
int32_t swiftpg_board_net_serialize(uint64_t net, uint8_t *buffer, int64_t capacity, int64_t *size_out);
int32_t swiftpg_board_net_deserialize(const uint8_t *bytes, int64_t size, uint64_t *net_out);

/* AlphaGo's supervised step (Silver et al. 2016): maximise log pi(a|s) of
 * expert moves by Adam on shuffled minibatches (the library's supervised
 * trainer, shared with SFT: masked cross-entropy, minibatch_size positions
 * per step, epochs, learning_rate, weight_decay, seed of the shuffles; a
 * fresh optimiser per call). planes [count, C, H, W], masks [count, A],
 * actions [count] (legal), count >= 1; the held-out set likewise
 * (held_count 0: none, its pointers may be NULL). history_out [epochs, 4]:
 * per epoch the mean training cross-entropy and top-1 accuracy (over the
 * epoch's minibatches, before each step) and the held-out cross-entropy
 * and top-1 accuracy after the epoch (NaN without a held-out set). All or
 * nothing: on any error (NUMERICAL, CANCELLED, bad data) the parameters
 * are as before. swiftpg_cancel on the network stops the fit before its
 * next minibatch (CANCELLED). Errors: as swiftpg_board_net_policy_gradient;
 * INVALID_ARGUMENT (config), CANCELLED, BUSY. */
int32_t swiftpg_board_net_fit_policy(uint64_t net, const double *planes, const uint8_t *masks, const int32_t *actions,
                                     int64_t count, const double *held_planes, const uint8_t *held_masks,
                                     const int32_t *held_actions, int64_t held_count,
                                     const swiftpg_sft_config *config, double *history_out);

/* AlphaGo's value regression: minimise (V(s) - G)^2 / 2 by Adam on
 * shuffled minibatches (config: minibatch_size, epochs, learning_rate,
 * seed; weight_decay must be 0). planes [count, C, H, W], targets [count]
 * (finite, normally -1, 0, +1), count >= 1. losses_out [epochs]: the mean
 * training loss (V - G)^2 / 2 of each epoch; held_out_mse_out (NULL if not
 * wanted): the mean (V - G)^2 on the held-out set after training (NaN with
 * held_count 0). On any error the parameters are as before. */
int32_t swiftpg_board_net_fit_value(uint64_t net, const double *planes, const double *targets, int64_t count,
                                    const double *held_planes, const double *held_targets, int64_t held_count,
                                    const swiftpg_sft_config *config, double *losses_out, double *held_out_mse_out);

/* Expert-labelled positions for the supervised step: the distinct
 * unfinished positions met in num_games (1 ... 2^20) uniformly random games
 * of the game of `game` (game j from a generator seeded from (seed, j)),
 * each labelled with the move of the player `expert` (a game-player handle
 * of the same game: the solver for tic-tac-toe and small Connect-N, MCTS
 * with a large budget, ...), split by a seeded shuffle into a held-out set
 * of about held_out_share (in (0, 1)) of the positions and a training set.
 * Outputs, rows [count]: planes_out [capacity, C, H, W], masks_out
 * [capacity, A], actions_out [capacity]; the first held_out_count rows
 * are the held-out set. capacity must be at least num_games x
 * max_game_length (the most positions the games can meet) so the call
 * never runs out of room (BUFFER_TOO_SMALL otherwise, checked before any
 * game is played). Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT
 * (another game, num_games, share, a split with an empty side),
 * BUFFER_TOO_SMALL, CANCELLED (swiftpg_cancel on the expert), BUSY. */
int32_t swiftpg_expert_moves(uint64_t game, uint64_t expert, int32_t num_games, double held_out_share, uint64_t seed,
                             int64_t capacity, double *planes_out, uint8_t *masks_out, int32_t *actions_out,
                             int64_t *count_out, int64_t *held_out_count_out);

/* AlphaGo's value-network data: num_games (1 ... 2^20) games of the policy
 * network against itself (both sides sample from it), one position of
 * each game drawn uniformly among its unfinished positions (successive
 * positions of a game are correlated), with the game's final outcome for
 * the player to move there. planes_out [num_games, C, H, W], targets_out
 * [num_games] (+1, -1, 0). Game j draws from (seed, j). */
int32_t swiftpg_value_targets(uint64_t game, uint64_t policy_net, int32_t num_games, uint64_t seed,
                              double *planes_out, double *targets_out);

/* PUCT search (Games/PUCTSearch.swift): each simulation descends from the
 * root taking the child maximising Q(s, a) + c_puct P(s, a) sqrt(N(s)) /
 * (1 + N(s, a)) (Q = 0 unvisited; ties at random), evaluates the new leaf
 * with the networks (P: the policy network's pi, uniform over the legal
 * actions without one; V: the value network, 0 without one) and scores it
 * (1 - lambda) V + lambda z, z the outcome of one uniformly random
 * rollout (a finished game scores its exact outcome). */
typedef struct swiftpg_puct_config {
  uint32_t size;            /* sizeof(swiftpg_puct_config) */
  int32_t simulations;      /* per move, 1 ... 2^20; default 100 (1: the raw prior) */
  double c_puct;            /* finite > 0; default 3 (1.5 is weak with near-flat priors) */
  double rollout_weight;    /* lambda in [0, 1]; default 0 (AlphaZero); AlphaGo 0.5 */
  double dirichlet_alpha;   /* finite > 0; default 0.3 */
  double dirichlet_epsilon; /* root noise share in [0, 1]; default 0 (play); 0.25 for training */
  double temperature;       /* move choice: 0 the most visited child (default), > 0 samples N(a)^(1/t) */
} swiftpg_puct_config;

/* The defaults above, with size = sizeof(swiftpg_puct_config). */
int32_t swiftpg_puct_default_config(swiftpg_puct_config *config_out);

/* A PUCT search player for the game of `game` (a game-player handle:
 * swiftpg_player_action, swiftpg_arena_play, swiftpg_cancel on it stops a
 * search). policy_net / value_net: a policy and a value network of the
 * game, or 0 for none (no networks and rollout_weight 1: PUCT with uniform
 * priors and random rollouts). The player holds copies of the networks as
 * they are now (later training does not change it). Memory: about
 * simulations x branching nodes; simulations x A above 2^24 is TOO_LARGE.
 * Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT (config values, a
 * value network in the policy slot or the reverse, networks that do not
 * fit the game), TOO_LARGE, BUSY. */
int32_t swiftpg_player_create_puct(uint64_t game, uint64_t policy_net, uint64_t value_net,
                                   const swiftpg_puct_config *config, uint64_t *player_out);

/* The raw policy network as a player (a copy of it): temperature 0 plays
 * the most probable legal move (ties at random), t > 0 samples with
 * probability proportional to pi(a|s)^(1/t) (1: pi itself).
 * Errors: as swiftpg_player_create_puct; INVALID_ARGUMENT (temperature not
 * finite or < 0). */
int32_t swiftpg_player_create_policy(uint64_t game, uint64_t policy_net, double temperature, uint64_t *player_out);

/* AlphaGo's policy-gradient self-play (SelfPlay/SelfPlayReinforce.swift):
 * each iteration the policy plays games_per_iteration games (half moving
 * first) against an opponent drawn uniformly from a pool of its former
 * selves (a snapshot every snapshot_interval iterations, the oldest
 * dropped beyond pool_capacity; the pool starts with the initial policy);
 * both sides sample from their policies; outcome G = +1 / -1 / 0 for the
 * learner, gamma = 1; Adam ascends (1/n) sum over the learner's moves of
 * grad log pi(a|s) (G - b(s)), b = V(s) when a value network is given
 * (then fitted by one step of (V - G)^2 / 2 on the same positions), else
 * 0. Game j of iteration t draws from (seed, t n + j): a run replays
 * exactly from its seed. */
typedef struct swiftpg_selfplay_config {
  uint32_t size;               /* sizeof(swiftpg_selfplay_config) */
  int32_t games_per_iteration; /* n, 1 ... 2^16; default 64 */
  double learning_rate;        /* Adam (ascent), finite > 0; default 1e-3 */
  double value_learning_rate;  /* Adam for the baseline, finite > 0; default 1e-3 */
  int32_t snapshot_interval;   /* k >= 1; default 10 */
  int32_t pool_capacity;       /* 1 ... 2^16; default 64 */
  uint64_t seed;
} swiftpg_selfplay_config;

typedef struct swiftpg_selfplay_stats {
  int32_t wins;               /* the learner against the drawn opponent */
  int32_t draws;
  int32_t losses;
  int32_t opponent_index;     /* the opponent's index in the pool */
  int32_t opponent_iteration; /* the iteration the opponent was taken at */
  int32_t pool_size;          /* snapshots in the pool after the iteration */
  int64_t games;
  int64_t moves;              /* the learner's moves the gradient used */
  double score;               /* (wins + draws / 2) / games */
  double value_loss;          /* mean (V - G)^2 / 2 before the value step (0 without) */
  int64_t iteration;          /* iterations done, this one included */
} swiftpg_selfplay_stats;

/* AlphaZero (SelfPlay/AlphaZeroLearner.swift): each iteration plays
 * games_per_iteration games in which PUCT search with the current networks
 * chooses every move (root Dirichlet noise; moves sampled from the visits
 * for the first temperature_moves plies, then the most visited), then fits
 * the policy to the searches' visit distributions (cross-entropy) and the
 * value network to the outcomes ((V - z)^2 / 2) by Adam, epochs passes of
 * minibatch_size positions. */
typedef struct swiftpg_alphazero_config {
  uint32_t size;               /* sizeof(swiftpg_alphazero_config) */
  int32_t games_per_iteration; /* 1 ... 2^16; default 32 */
  int32_t temperature_moves;   /* >= 0; default 4 */
  int32_t epochs;              /* >= 1; default 4 */
  int32_t minibatch_size;      /* >= 1; default 64 */
  int32_t simulations;         /* per move, 1 ... 2^20; default 50 */
  double learning_rate;        /* Adam for both networks, finite > 0; default 1e-3 */
  double c_puct;               /* finite > 0; default 3 */
  double rollout_weight;       /* lambda in [0, 1]; default 0 */
  double dirichlet_alpha;      /* finite > 0; default 0.3 */
  double dirichlet_epsilon;    /* in [0, 1]; default 0.25 */
  uint64_t seed;
} swiftpg_alphazero_config;

typedef struct swiftpg_alphazero_stats {
  int64_t examples;      /* positions collected */
  int64_t games;
  double policy_loss;    /* mean cross-entropy of the last epoch */
  double value_loss;     /* mean (V - z)^2 / 2 of the last epoch */
  double target_entropy; /* mean entropy of the visit distributions */
  int64_t iteration;     /* iterations done, this one included */
} swiftpg_alphazero_stats;

/* The defaults of the two learners' configs, with size set. */
int32_t swiftpg_selfplay_default_config(swiftpg_selfplay_config *config_out);
int32_t swiftpg_alphazero_default_config(swiftpg_alphazero_config *config_out);

/* A learner for the game of `game` training policy_net (a policy network
 * of the game) and value_net (a value network of the game; 0 for none in
 * self-play, required by AlphaZero). The learner trains the networks
 * behind these handles in place (read them with get_params, save them with
 * swiftpg_board_net_save) and holds them during its calls (BUSY for other
 * users meanwhile). The optimiser state and the pool live in the learner
 * (swiftpg_board_learner_save writes them with the networks). Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT
 * (config, a network of the wrong head or shape), BUSY. */
int32_t swiftpg_selfplay_create(uint64_t game, uint64_t policy_net, uint64_t value_net,
                                const swiftpg_selfplay_config *config, uint64_t *learner_out);
int32_t swiftpg_alphazero_create(uint64_t game, uint64_t policy_net, uint64_t value_net,
                                 const swiftpg_alphazero_config *config, uint64_t *learner_out);

/* One iteration. swiftpg_cancel on the learner stops it at its start,
 * between plies (self-play) or within 16 simulations of a search
 * (AlphaZero), before any parameter changes: CANCELLED, the networks and the learner as before. NUMERICAL:
 * a non-finite step (self-play: nothing changes). Errors: BAD_HANDLE
 * (also a learner of the other kind), NULL_POINTER, BUSY. */
int32_t swiftpg_selfplay_iterate(uint64_t learner, swiftpg_selfplay_stats *stats_out);
int32_t swiftpg_alphazero_iterate(uint64_t learner, swiftpg_alphazero_stats *stats_out);

/* Destroys a learner of either kind (its networks' handles stay valid). */
int32_t swiftpg_board_learner_destroy(uint64_t learner);

/* A learner's training state as a checkpoint (bundle kind 9, section
 * self_play_learner): its networks' parameters, the iteration, the
 * opponent pool (self-play) and the Adam moments, so that training
 * continues exactly (every draw of an iteration is seeded from (seed,
 * iteration)). The settings are not stored: load restores the state into
 * a learner of the same kind and game whose networks have the same
 * architectures, made with its own settings, and sets the parameters of
 * its network handles. Load checks the container and every field
 * (algorithm, game, network architectures, optimiser sizes, the pool's
 * snapshots and iterations): anything that does not fit is BAD_FORMAT
 * and changes nothing. Errors: BAD_HANDLE, NULL_POINTER, IO, BAD_FORMAT,
 * BUSY. */
int32_t swiftpg_board_learner_save(uint64_t learner, const char *path);
int32_t swiftpg_board_learner_load(uint64_t learner, const char *path);

/* ---------------------------------------------------------------------------
 * The AlphaGo pipeline and the evaluation ladder (issue 18)
 *
 * The pipeline (Sources/SwiftPG/SelfPlay/AlphaGoPipeline.swift) runs
 * AlphaGo's four steps in miniature on a two-player game (Silver et al.
 * 2016): (1) a supervised (SL) policy network on expert moves (the exact
 * solver for tic-tac-toe and Connect-N, else UCT with a large budget) over
 * the positions of random games, with held-out top-1 accuracy; (2) REINFORCE
 * self-play of a copy against a pool of its former selves, with its score
 * against the SL policy; (3) a value network on one position per self-play
 * game, with held-out MSE and, where a solver exists, MSE against the exact
 * outcomes; optionally (4a) the AlphaZero loop; (4) the evaluation of PUCT
 * with both networks and of the raw policy (greedy) against the solver,
 * their mistake rates, and an Elo fit of the checkpoints. The exact solver
 * serves (as the expert of step 1, for the value MSE against exact
 * outcomes, the games against the solver and the mistake rates) on boards
 * of at most 25 cells only (4 x 5, 5 x 5: moments; early 6 x 7 positions
 * take minutes): on larger boards the expert is UCT (expert_simulations)
 * and the solver's measures are left out. Each call of
 * swiftpg_alphago_step runs one unit (an SL epoch, a self-play or
 * AlphaZero iteration, the value fit, the evaluation), so a caller shows
 * progress and stops between calls; swiftpg_cancel on the pipeline stops
 * the step now running (CANCELLED; the pipeline stays at that step).
 * Everything is seeded from config.seed: the same seed and library give
 * the same networks, checkpoints and reports.
 *
 * The mistake rate (Sources/SwiftPG/Games/MistakeRate.swift) is the share
 * of a player's moves whose exact outcome (win / draw / loss against perfect
 * play) is worse than the best move's, over ALL distinct positions reachable
 * when it plays a seat against any opponent: every opponent move is
 * followed, and at the player's turn the move it chooses; its generator at
 * a position is seeded from (seed, the encoded position), so a player with
 * random tie-breaks makes one fixed choice per position, and a sampling
 * player is measured on one sample per position. A slower win is not a
 * mistake. Needs an exact solver (Connect-N with x_in_row >= 2, games of at
 * most 16 moves).
 *
 * The ladder (Sources/SwiftPG/Games/Ladder.swift) plays a player against
 * uniformly random, UCT with random rollouts at budgets base * 10^(n/2)
 * (OpenSpiel's MCTS evaluations), minimax at given depths and the solver.
 * ------------------------------------------------------------------------- */
/* Handle kind of the pipeline (swiftpg_live_handles). */
#define SWIFTPG_KIND_ALPHAGO_PIPELINE 16
/* The most layers a swiftpg_alphago_config describes. */
#define SWIFTPG_ALPHAGO_MAX_LAYERS 8
/* Stages (swiftpg_alphago_progress.stage). */
#define SWIFTPG_ALPHAGO_SUPERVISED 1
#define SWIFTPG_ALPHAGO_SELF_PLAY 2
#define SWIFTPG_ALPHAGO_VALUE 3
#define SWIFTPG_ALPHAGO_ALPHAZERO 4
#define SWIFTPG_ALPHAGO_EVALUATION 5
#define SWIFTPG_ALPHAGO_DONE 6

/* The pipeline's settings; defaults in parentheses
 * (swiftpg_alphago_default_config). Counts are checked against the ranges
 * given; every rate must be finite and > 0. */
typedef struct swiftpg_alphago_config {
  uint32_t size;                   /* sizeof(swiftpg_alphago_config) */
  int32_t num_hidden;              /* MLP hidden layers of both networks, 0..8 (2) */
  int32_t hidden[SWIFTPG_ALPHAGO_MAX_LAYERS];  /* widths 1..1024 ({128, 128}) */
  int32_t num_conv;                /* convolution layers (3 x 3, same padding); > 0
                                      replaces the MLP by a ConvNet trunk, 0..8 (0) */
  int32_t conv_channels[SWIFTPG_ALPHAGO_MAX_LAYERS];  /* channels 1..256 */
  int32_t expert_games;            /* random games whose positions the expert labels, 1..2^20 (3000) */
  int32_t expert_simulations;      /* the UCT expert's budget (no solver or > 25 cells), 1..2^20 (2000) */
  double held_out_share;           /* positions held out for accuracy, (0, 1) (0.1) */
  int32_t supervised_epochs;       /* SL epochs = steps, 1..2^16 (40) */
  int32_t supervised_minibatch;    /* 1..2^16 (64) */
  double supervised_learning_rate; /* Adam (3e-3) */
  int32_t selfplay_iterations;     /* REINFORCE iterations, 0..2^20 (50) */
  int32_t selfplay_games;          /* games per iteration, 1..2^16 (64) */
  double selfplay_learning_rate;   /* Adam, ascent (1e-4) */
  int32_t snapshot_interval;       /* pool snapshot and checkpoint every k iterations, 1..2^20 (10) */
  int32_t pool_capacity;           /* snapshots kept, 1..2^16 (64) */
  int32_t evaluation_games;        /* RL vs SL games at each snapshot, 0..2^20 (200) */
  int32_t value_games;             /* self-play games, one position each, 2..2^20 (4000) */
  int32_t value_epochs;            /* 1..2^16 (30) */
  int32_t value_minibatch;         /* 1..2^16 (64) */
  double value_learning_rate;      /* Adam (1e-3) */
  double value_held_out_share;     /* (0, 1) (0.1) */
  int32_t alphazero_iterations;    /* AlphaZero iterations after the value step, 0..2^20 (0) */
  int32_t alphazero_games;         /* search self-play games per iteration, 1..2^16 (32) */
  int32_t alphazero_temperature_moves; /* plies sampled from the visits, 0..2^16 (4) */
  int32_t alphazero_epochs;        /* 1..2^16 (4) */
  int32_t alphazero_minibatch;     /* 1..2^16 (64) */
  double alphazero_learning_rate;  /* Adam, both networks (1e-3) */
  int32_t alphazero_simulations;   /* PUCT simulations per self-play move, 1..2^20 (50) */
  double alphazero_c_puct;         /* > 0 (1.5) */
  double alphazero_dirichlet_alpha; /* > 0 (0.3) */
  double alphazero_dirichlet_epsilon; /* [0, 1] (0.25) */
  int32_t search_simulations;      /* the evaluated PUCT search, 1..2^20 (200) */
  double search_c_puct;            /* > 0 (1.5) */
  double search_rollout_weight;    /* lambda in [0, 1]: leaf = (1 - lambda) V + lambda z (0) */
  int32_t solver_games;            /* raw policy and search vs the solver, 0..2^20 (20) */
  int32_t measure_mistakes;        /* 1: mistake rates in the evaluation (1) */
  int32_t elo_games_per_pair;      /* Elo round robin of the checkpoints, 0 = none, 0..2^20 (0) */
  uint64_t seed;                   /* networks, data, games, shuffles (0) */
} swiftpg_alphago_config;

/* What one step did. Metrics the step did not measure are NaN. */
typedef struct swiftpg_alphago_progress {
  uint32_t size;                   /* written: sizeof(swiftpg_alphago_progress) */
  int32_t stage;                   /* SWIFTPG_ALPHAGO_* of the step that ran */
  int32_t iteration;               /* 1-based within the stage */
  int32_t iterations;              /* the stage's steps */
  int32_t num_checkpoints;         /* checkpoints written by this step */
  int32_t done;                    /* 1 when no step remains */
  double seconds;                  /* seconds spent in steps since creation */
  double train_accuracy;           /* SL: top-1 accuracy on the training positions (this epoch) */
  double held_out_accuracy;        /* SL: top-1 accuracy on the held-out positions */
  double held_out_loss;            /* SL: held-out cross-entropy, nats */
  double score_vs_opponent;        /* RL: score (win 1, draw 1/2) vs this iteration's pool opponent */
  double score_vs_supervised;      /* RL: score vs the SL policy, both sampling */
  double value_train_mse;          /* value: mean (V - G)^2 on the training positions */
  double value_held_out_mse;       /* value: the same on the held-out positions */
  double value_exact_mse;          /* value: mean (V - exact outcome)^2, held out */
  double policy_loss;              /* AlphaZero: last epoch's policy cross-entropy */
  double value_loss;               /* AlphaZero: last epoch's 1/2 (V - z)^2 */
} swiftpg_alphago_progress;

/* The final evaluation's summary. Records are [9] as swiftpg_arena_play's
 * (wins, draws, losses overall, as first, as second, from the agent's
 * side), all -1 when not played; mistake counts -1 and rates NaN when not
 * measured. */
typedef struct swiftpg_alphago_evaluation {
  uint32_t size;                   /* written: sizeof(swiftpg_alphago_evaluation) */
  int32_t evaluated;               /* 1 once the evaluation stage ran */
  int32_t raw_vs_solver[9];        /* the raw policy (greedy) */
  int32_t search_vs_solver[9];     /* PUCT with both networks */
  int32_t num_ratings;             /* entries of swiftpg_alphago_rating */
  int64_t raw_positions;           /* mistake-rate positions and mistakes */
  int64_t raw_mistakes;
  int64_t search_positions;
  int64_t search_mistakes;
  double raw_mistake_rate;
  double search_mistake_rate;
} swiftpg_alphago_evaluation;

int32_t swiftpg_alphago_default_config(swiftpg_alphago_config *config_out);

/* A pipeline for the game of `game` (tic-tac-toe, Connect-N or Go; the
 * handle may be destroyed afterwards) writing its checkpoints (board
 * network files, as swiftpg_board networks' checkpoints: kind 8) into
 * `directory` (created with its parents if missing; at most 4096 bytes). The
 * networks are built now; nothing is trained.
 * Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT (a config field, its
 * size), IO (the directory), BUSY. */
int32_t swiftpg_alphago_create(uint64_t game, const swiftpg_alphago_config *config, const char *directory,
                                uint64_t *pipeline_out);

int32_t swiftpg_alphago_destroy(uint64_t pipeline);

/* Runs the next step. Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT
 * (the pipeline is done), CANCELLED, NUMERICAL (a diverging step), IO
 * (a checkpoint), BUSY. */
int32_t swiftpg_alphago_step(uint64_t pipeline, swiftpg_alphago_progress *progress_out);

/* Checkpoints written so far: count, then entry `index` (in order of
 * writing): its path (written like swiftpg_env_list: NUL-terminated,
 * length_out the length without the NUL, BUFFER_TOO_SMALL if capacity is
 * not above it) and info_out [3] (NULL if not wanted): 1 for a policy
 * network or 0 for a value network, the stage, the stage iteration.
 * Errors: BAD_HANDLE, NULL_POINTER, OUT_OF_RANGE, BUFFER_TOO_SMALL. */
int32_t swiftpg_alphago_checkpoint_count(uint64_t pipeline, int32_t *count_out);
int32_t swiftpg_alphago_checkpoint(uint64_t pipeline, int32_t index, char *path_out, size_t capacity,
                                    size_t *length_out, int32_t *info_out);

/* The evaluation summary (evaluated 0 before the evaluation stage). */
int32_t swiftpg_alphago_evaluation_summary(uint64_t pipeline, swiftpg_alphago_evaluation *evaluation_out);

/* Elo rating `index` of the evaluation's round robin (players: random, the
 * policy checkpoints played greedily, the search; random anchored at 0):
 * its label (written like swiftpg_alphago_checkpoint's path), rating and
 * standard error. Errors: as swiftpg_alphago_checkpoint. */
int32_t swiftpg_alphago_rating(uint64_t pipeline, int32_t index, char *label_out, size_t capacity,
                                size_t *length_out, double *rating_out, double *error_out);

/* A game player (kind SWIFTPG_KIND_GAME_PLAYER, usable with the arena,
 * the ladder and swiftpg_mistake_rate) from copies of the pipeline's
 * current networks: simulations = 1, the raw policy's most probable move;
 * more, PUCT with both networks (the config's c_puct and lambda) and the
 * most visited move. Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT
 * (simulations outside 1..2^20), TOO_LARGE, BUSY. */
int32_t swiftpg_alphago_player(uint64_t pipeline, int32_t simulations, uint64_t *player_out);

/* The mistake rate of a player. */
typedef struct swiftpg_mistake_report {
  uint32_t size;                   /* written: sizeof(swiftpg_mistake_report) */
  int32_t max_ply;                 /* entries of the by-ply arrays (max_game_length) */
  int64_t positions;               /* distinct positions where the player moved */
  int64_t mistakes;                /* moves of a worse outcome than the best */
  int64_t lost_wins;               /* mistakes in won positions */
  int64_t lost_draws;              /* mistakes in drawn positions (now lost) */
  int64_t positions_first;         /* positions and mistakes as player 0 ... */
  int64_t mistakes_first;
  int64_t positions_second;        /* ... and as player 1 */
  int64_t mistakes_second;
  double rate;                     /* mistakes / positions (0 without positions) */
} swiftpg_mistake_report;

/* Measures `player` on the game of `game` (its states are not used) from
 * the seats `sides`: 1 first (player 0), 2 second, 3 both. by-ply outputs
 * [max_game_length] (NULL if not wanted): positions and mistakes by the
 * number of stones on the board before the move. Everything runs in this
 * one call; swiftpg_cancel on the game stops it between batches of
 * positions, on the player inside its search.
 * Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT (sides, another game),
 * NOT_SUPPORTED (no exact solver), TOO_LARGE (above 2^22 positions),
 * CANCELLED, BUSY. */
int32_t swiftpg_mistake_rate(uint64_t player, uint64_t game, int32_t sides, uint64_t seed,
                             swiftpg_mistake_report *report_out, int64_t *positions_by_ply_out,
                             int64_t *mistakes_by_ply_out);

/* The most rungs a ladder has. */
#define SWIFTPG_LADDER_MAX_RUNGS 26
/* Rung kinds. */
#define SWIFTPG_LADDER_RANDOM 0
#define SWIFTPG_LADDER_MCTS 1
#define SWIFTPG_LADDER_MINIMAX 2
#define SWIFTPG_LADDER_SOLVER 3

typedef struct swiftpg_ladder_config {
  uint32_t size;                   /* sizeof(swiftpg_ladder_config) */
  int32_t games_per_rung;          /* games per opponent, half from each seat, 1..2^20 (20) */
  int32_t random;                  /* 1: the uniformly random rung (1) */
  int32_t mcts_base;               /* b of the budgets b * 10^(n/2), 1..2^20 (10) */
  int32_t mcts_rungs;              /* n = 0 ..< mcts_rungs, 0..16 (4) */
  double mcts_c;                   /* UCT's exploration constant, finite, >= 0 (2) */
  int32_t num_minimax_depths;      /* 0..8 (3) */
  int32_t minimax_depths[8];       /* each 1..64 ({1, 2, 4}) */
  int32_t solver;                  /* 1: the solver rung, if the game has a solver (1) */
  uint64_t seed;                   /* rung k plays the k-th draw of SplitMix64(seed) (0) */
} swiftpg_ladder_config;

/* One rung: the opponent and the player's results against it. */
typedef struct swiftpg_ladder_rung {
  int32_t kind;                    /* SWIFTPG_LADDER_* */
  int32_t parameter;               /* MCTS simulations or minimax depth; 0 otherwise */
  int32_t record[9];               /* as swiftpg_arena_play's, from the player's side */
} swiftpg_ladder_rung;

int32_t swiftpg_ladder_default_config(swiftpg_ladder_config *config_out);

/* Plays `player` up the ladder on the game of `game`. rungs_out [capacity]
 * receives the rungs in order (random, MCTS by budget, minimax by depth,
 * solver), count_out their number. Everything runs in this one call;
 * swiftpg_cancel on the game or on the player stops it.
 * Errors: BAD_HANDLE, NULL_POINTER, INVALID_ARGUMENT (a config field,
 * another game), BUFFER_TOO_SMALL (capacity below the rungs; nothing is
 * played), TOO_LARGE (an MCTS tree), CANCELLED, BUSY. */
int32_t swiftpg_ladder_play(uint64_t player, uint64_t game, const swiftpg_ladder_config *config,
                            swiftpg_ladder_rung *rungs_out, int32_t capacity, int32_t *count_out);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTPG_H */

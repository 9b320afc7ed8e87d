"""The ABI cannot drift: every struct of Include/swiftpg.h is compiled by the C
compiler and compared (size, field names, offsets) with its ctypes mirror in
swiftpg/_lib.py, and any change of a declaration in the header (a struct
layout, a signature, a constant) without a bump of SWIFTPG_ABI_VERSION fails.

When you change the header on purpose: bump SWIFTPG_ABI_VERSION (header,
_lib.ABI_VERSION) once per landing, then record the new fingerprint printed
by the failing test in ``RECORDED`` below.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess

import pytest

from swiftpg import _lib
from conftest import ROOT

HEADER = os.path.join(ROOT, "Include", "swiftpg.h")

# SWIFTPG_ABI_VERSION → fingerprint of the header's declarations.
RECORDED = {
    5: "e0f3d0ce4f31f70f6bc2293c0f726de5c36a08175aa392b01296f00439ce5b83",
    6: "16c3963442b60824733bd4a62ca85507b59b4fd49605a858713d773577fa5eef",
    7: "ded4eb3ed5b70a62cd9e4fda5647318fb83e5113d77ac156cabb240bbfa231bb",
    8: "89ab18a8415b3ecc81a835145928dd0e9a33a53c8c71d46e981c476da32171f9",
    9: "9f4f3012c356dc18648df80e4345b9be9d92a4dc77325a3bb7f0674136c27200",  # pg_train_together, pg_collect
    10: "807863c385f0728a9a33d6bd7b80c4171cfd48ea3607c43da6eb103f53dc5143",  # sequences and preferences (issue 15)
    11: "a6228104adc4f4ddf6ff7384c6b8c18ffbd1cd0e1efe0c2063f92c0fb483a64b",  # issue 15: checkpoints, KL rewards, next tokens, reference policies; issue 16: online RLHF learners
    12: "f4b593144c109754b4aad4d7141840d643bc288b2a6ffe0bbe79a6c02b642cce",  # issue 16: RLHF checkpoints, gradient estimates, richer stats, KL estimator and missing-EOS options; search config size
    13: "3f4376448ceb0a38c4df7b765690d3b936b21ff8a84fe0eeb02f04fb9a281636",  # issue 17: two-player games (swiftpg_game_*, swiftpg_game_info; Go: create_go, score_margin), players, arena, Elo fit, Connect-N solver
    14: "d2100e5217c49e4e8630fa7689f14e66dee318ff0b29179f58a56019025eafde",  # issue 17: swiftpg_game_apply, swiftpg_game_clone (the per-move path), swiftpg_game_set_threads; issue 20: swiftpg_env_adr_*, swiftpg_env_last_episodes; issue 21: swiftpg_env_set/get_autoreset_mode; issue 19: DQN (swiftpg_dqn_*, swiftpg_dqn_config/stats, SWIFTPG_KIND_DQN)
    15: "7bb544e23a4ed9a8df2ba427379a56fdd7e654d452370fb9467e0f05e6f7da99",  # issue 20: swiftpg_env_set/get_max_action_delay (observation noise, action delay), swiftpg_search_episodes; issue 21: swiftpg_env_reseed_instances; issue 18: board networks (swiftpg_board_net_*), expert moves, value targets, PUCT and policy players, self-play and AlphaZero learners with checkpoints (SWIFTPG_KIND_BOARD_NET/LEARNER); issue 22: swiftpg_vtrace, SWIFTPG_ADVANTAGE_VTRACE, swiftpg_pg_update_behavior, swiftpg_pg_update_raw, swiftpg_pg_set_worker_normalization, swiftpg_pg_set_lane_offset, swiftpg_search_candidates/tell (distributed rollout workers); issue 18: self-play pipeline (swiftpg_alphago_*), mistake rate, ladder, SWIFTPG_KIND_ALPHAGO_PIPELINE; issue 21: swiftpg_policy_create_factored_softmax, swiftpg_policy_get_factor_sizes, SWIFTPG_POLICY_FACTORED_SOFTMAX; issue 20: swiftpg_env_set/get_max_action_delay (observation noise, action delay), swiftpg_search_episodes; issue 21: swiftpg_env_reseed_instances; issue 18: board networks (swiftpg_board_net_*), expert moves, value targets, PUCT and policy players, self-play and AlphaZero learners with checkpoints (SWIFTPG_KIND_BOARD_NET/LEARNER)
    16: "e2f9c7b985f2babc4598e868ce687e80054e76d79a44e4df85583fb93401994e",  # issue 22 (ray2): SWIFTPG_NORMALIZATION_UPDATE_*, normalization_update (was reserved), vtrace_rho_bar, vtrace_c_bar in SWIFTPG_SEGMENT_CONFIG_FIELDS; swiftpg_pg_update_raw takes per-lane obs_mean/obs_variance/obs_size
}

MIRRORS = {
    "swiftpg_env_info": _lib.EnvInfo,
    "swiftpg_policy_info": _lib.PolicyInfo,
    "swiftpg_rlhf_config": _lib.RLHFConfigC,
    "swiftpg_rlhf_stats": _lib.RLHFStatsC,
    "swiftpg_reinforce_config": _lib.ReinforceConfigC,
    "swiftpg_actor_critic_config": _lib.ActorCriticConfigC,
    "swiftpg_a2c_config": _lib.A2CConfigC,
    "swiftpg_npg_config": _lib.NPGConfigC,
    "swiftpg_trpo_config": _lib.TRPOConfigC,
    "swiftpg_ppo_config": _lib.PPOConfigC,
    "swiftpg_offpolicy_pg_config": _lib.OffPolicyPGConfigC,
    "swiftpg_train_stats": _lib.TrainStatsC,
    "swiftpg_search_config": _lib.SearchConfigC,
    "swiftpg_search_stats": _lib.SearchStatsC,
    "swiftpg_seq_task_info": _lib.SeqTaskInfo,
    "swiftpg_summarise_config": _lib.SummariseConfigC,
    "swiftpg_length_bias_config": _lib.LengthBiasConfigC,
    "swiftpg_seq_policy_info": _lib.SeqPolicyInfo,
    "swiftpg_reward_model_info": _lib.RewardModelInfo,
    "swiftpg_reward_model_fit_config": _lib.RewardModelFitConfigC,
    "swiftpg_pairwise_stats": _lib.PairwiseStatsC,
    "swiftpg_direct_stats": _lib.DirectStatsC,
    "swiftpg_sft_config": _lib.SFTConfigC,
    "swiftpg_dpo_config": _lib.DPOConfigC,
    "swiftpg_game_info": _lib.GameInfo,
    "swiftpg_board_net_info": _lib.BoardNetInfo,
    "swiftpg_puct_config": _lib.PUCTConfigC,
    "swiftpg_selfplay_config": _lib.SelfPlayConfigC,
    "swiftpg_selfplay_stats": _lib.SelfPlayStatsC,
    "swiftpg_alphazero_config": _lib.AlphaZeroConfigC,
    "swiftpg_alphazero_stats": _lib.AlphaZeroStatsC,
    "swiftpg_adr_stats": _lib.ADRStatsC,
    "swiftpg_dqn_config": _lib.DQNConfigC,
    "swiftpg_dqn_stats": _lib.DQNStatsC,
    "swiftpg_alphago_config": _lib.AlphaGoConfigC,
    "swiftpg_alphago_progress": _lib.AlphaGoProgressC,
    "swiftpg_alphago_evaluation": _lib.AlphaGoEvaluationC,
    "swiftpg_mistake_report": _lib.MistakeReportC,
    "swiftpg_ladder_config": _lib.LadderConfigC,
    "swiftpg_ladder_rung": _lib.LadderRungC,
}


def declarations() -> str:
    """The header without comments, include guards' noise and layout
    whitespace: what a change of the ABI changes."""
    text = open(HEADER).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"#define SWIFTPG_ABI_VERSION \d+", " ", text)
    return " ".join(text.split())


def structs() -> dict[str, list[str]]:
    """Every struct of the header with its field names, after the C
    preprocessor (the segment learners' structs share a field macro)."""
    text = subprocess.run(["cc", "-E", "-P", "-x", "c", HEADER], check=True, capture_output=True,
                          text=True).stdout
    out = {}
    for body, name in re.findall(r"typedef struct (?:swiftpg_)\w+ \{(.*?)\}\s*(swiftpg_\w+);", text, flags=re.S):
        fields = []
        for decl in body.split(";"):
            decl = decl.strip()
            if decl:
                fields.append(re.findall(r"(\w+)\s*(?:\[\d+\])?$", decl)[0])
        out[name] = fields
    return out


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_every_header_struct_has_a_ctypes_mirror():
    assert set(structs()) == set(MIRRORS)


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_ctypes_mirrors_match_the_compiled_layout(tmp_path):
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "swiftpg.h"', "int main(void) {"]
    for name, fields in structs().items():
        lines.append(f'  printf("{name} <sizeof> %zu\\n", sizeof({name}));')
        for f in fields:
            lines.append(f'  printf("{name} {f} %zu\\n", offsetof({name}, {f}));')
    lines.append("  return 0;\n}")
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c11", "-I", os.path.join(ROOT, "Include"), str(source), "-o", str(exe)], check=True)
    compiled = {}
    for line in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines():
        struct, field, value = line.split()
        compiled[(struct, field)] = int(value)
    for name, mirror in MIRRORS.items():
        names = [f[0] for f in mirror._fields_]
        assert names == structs()[name], f"{name}: ctypes fields {names} != header {structs()[name]}"
        assert compiled[(name, "<sizeof>")] == __import__("ctypes").sizeof(mirror), name
        for field in names:
            assert compiled[(name, field)] == getattr(mirror, field).offset, f"{name}.{field}"


def test_header_changes_bump_the_abi_version():
    version = int(re.search(r"#define SWIFTPG_ABI_VERSION (\d+)", open(HEADER).read()).group(1))
    assert version == _lib.ABI_VERSION
    fingerprint = hashlib.sha256(declarations().encode()).hexdigest()
    assert version in RECORDED, (f"SWIFTPG_ABI_VERSION {version} has no recorded fingerprint: add "
                                 f"{version}: \"{fingerprint}\" to RECORDED")
    assert RECORDED[version] == fingerprint, (
        f"Include/swiftpg.h changed but SWIFTPG_ABI_VERSION is still {version}: bump it (header and "
        f"_lib.ABI_VERSION) and record {version + 1}: \"{fingerprint}\"")

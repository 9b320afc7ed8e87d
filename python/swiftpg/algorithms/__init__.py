"""Training algorithms, one module per algorithm (``reinforce``,
``actor_critic``, ``a2c``, ``offpolicy_pg``, ``npg``, ``trpo``, ``ppo``,
``search``, and ``dqn``: the value-based contrast), each with an explicit
config dataclass. Each iteration is one
call into Swift (collect, estimate, update); Python drives the loop, so
progress output, callbacks, early stopping and Ctrl-C work as usual.
"""

from ._learner import IterationStats, PolicyGradientLearner, Rollout, TrainStats, load
from .a2c import A2C, A2CConfig
from .actor_critic import ActorCritic, ActorCriticConfig
from .dqn import DQN, DQNConfig, DQNStats
from .gymnasium import GymnasiumCollector, for_gymnasium
from .npg import NPG, NPGConfig
from .offpolicy_pg import OffPolicyPG, OffPolicyPGConfig
from .ppo import PPO, PPOConfig
from .reinforce import REINFORCE, ReinforceConfig
from .search import PolicySearch, SearchConfig, SearchStats
from .together import train_together
from .trpo import TRPO, TRPOConfig

#: Algorithm names of the command line and their learner classes.
PG_ALGORITHMS = {"reinforce": REINFORCE, "actor-critic": ActorCritic, "a2c": A2C, "offpolicy-pg": OffPolicyPG,
                 "npg": NPG, "trpo": TRPO, "ppo": PPO}

__all__ = [
    "ReinforceConfig", "ActorCriticConfig", "A2CConfig", "OffPolicyPGConfig", "NPGConfig", "TRPOConfig",
    "PPOConfig", "TrainStats", "IterationStats", "PolicyGradientLearner", "REINFORCE", "ActorCritic", "A2C",
    "OffPolicyPG", "NPG", "TRPO", "PPO", "PG_ALGORITHMS", "SearchConfig", "SearchStats", "PolicySearch",
    "GymnasiumCollector", "for_gymnasium", "load", "train_together", "Rollout", "DQN", "DQNConfig", "DQNStats",
    # the modules, one per algorithm (documented on their own pages)
    "reinforce", "actor_critic", "a2c", "offpolicy_pg", "npg", "trpo", "ppo", "search", "gymnasium",
    "together", "dqn",
]

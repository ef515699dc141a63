"""A training loop: a linear model fitted by gradient descent, its config a dataclass.

Every step logs what it would report to a dashboard: the configuration, the
learning rate the schedule gives at a reference step, and the loss of a fixed
probe model on a fixed probe batch (so a fresh start logs the same numbers).
"""

import functools
import json
import random
import time
from dataclasses import asdict, dataclass

SMOOTHING = 0.0

SCHEDULES = {
    "step": lambda lr, step: lr * 0.5 ** (step // 10),
    "exp": lambda lr, step: lr * 0.9**step,
}


@dataclass
class Config:
    lr: float = 0.1
    batch_size: int = 4
    schedule: str = "step"


CFG = Config()
PROBE_BATCH = [(1.0, 2.0), (2.0, 4.1), (3.0, 5.9)]


def augment(batch):
    return [(x, y) for x, y in batch]


@functools.lru_cache(maxsize=128)
def smoothed(value):
    return round(value * (1 - SMOOTHING) + SMOOTHING * 0.5, 6)


def loss(weight, batch):
    return smoothed(round(sum((weight * x - y) ** 2 for x, y in batch) / len(batch), 6))


def train_step(weight, batch, lr):
    gradient = sum(2 * (weight * x - y) * x for x, y in batch) / len(batch)
    return weight - lr * gradient


def report():
    return {
        "config": asdict(CFG),
        "lr_at_20": round(SCHEDULES[CFG.schedule](CFG.lr, 20), 6),
        "probe_loss": loss(1.5, augment(PROBE_BATCH)),
    }


def main():
    rng = random.Random(0)
    weight = 0.0
    step = 0
    while True:
        step += 1
        batch = [(x, 2 * x + rng.gauss(0, 0.1)) for x in range(1, CFG.batch_size + 1)]
        weight = train_step(weight, augment(batch), SCHEDULES[CFG.schedule](CFG.lr, step) / 10)
        print("probe", json.dumps(report()), flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()

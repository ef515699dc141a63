"""A job runner: a pool of worker processes scores batches, over and over.

``python jobs.py spawn`` (or ``forkserver``): the workers import this script
as ``__mp_main__``, so its constants and functions live there too.
"""

import json
import multiprocessing
import sys
import time

from scoring import LIMIT, clamp

SCALE = 3
OFFSET = 1
BATCH = [1, 2, 3, 4]


def score(value):
    return clamp(value * SCALE + OFFSET)


def label(value):
    return f"v{value}"


def main(start_method):
    context = multiprocessing.get_context(start_method)
    with context.Pool(2) as pool:
        while True:
            scores = pool.map(score, BATCH)
            labels = pool.map(label, BATCH)
            print(
                "probe",
                json.dumps({"scores": scores, "labels": labels, "limit": LIMIT}),
                flush=True,
            )
            time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1])

"""Prints the stock report again and again, as a dashboard would refresh it."""

import json
import time

from inventory import build_report

if __name__ == "__main__":
    while True:
        print("probe", json.dumps(build_report()), flush=True)
        time.sleep(0.05)

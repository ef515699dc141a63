"""A program that says what it runs: the end-to-end test starts it from the editor and edits it."""

import sys
import time
from pathlib import Path


def greeting():
    return "hello"


def main():
    print(f"running on {sys.executable}", flush=True)
    shown = None
    while True:
        text = greeting()
        if text != shown:
            shown = text
            print(f"greeting: {text}", flush=True)
            Path("greeting.txt").write_text(text)
        time.sleep(0.05)


if __name__ == "__main__":
    main()

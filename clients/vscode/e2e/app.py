"""A program that keeps running; the end-to-end test patches it while it runs."""

import time

last = None


def greeting():
    return "hello"


def main():
    global last
    while True:
        last = greeting()
        time.sleep(0.05)


if __name__ == "__main__":
    main()

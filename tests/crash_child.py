"""Child process for the crash tests: does work and prints a line after each step returns.
The parent kills it with SIGKILL at a random moment and checks what was acknowledged."""

import json
import sys
from pathlib import Path

from app.store import Store


def save_households(data_dir: Path, records_file: Path, passphrase: str) -> None:
    records = [json.loads(line) for line in records_file.read_text("utf-8").splitlines()]
    with Store.open(data_dir, passphrase) as store:
        done = {row.id for row in store.rows()}  # saved in earlier runs
        print("ready", flush=True)  # the parent starts its random countdown now
        for rec in records:
            if rec["id"] in done:
                continue
            store.save(rec)
            print(rec["id"], flush=True)
    print("done", flush=True)


def change_passphrase(data_dir: Path, first: str, second: str) -> None:
    current, other = first, second
    store = Store.open(data_dir, current)
    print("ready", flush=True)
    while True:
        print(f"changing {other}", flush=True)
        store.change_passphrase(other)
        print(f"changed {other}", flush=True)
        current, other = other, current


if __name__ == "__main__":
    mode, data_dir = sys.argv[1], Path(sys.argv[2])
    if mode == "save":
        save_households(data_dir, Path(sys.argv[3]), sys.argv[4])
    else:
        change_passphrase(data_dir, sys.argv[3], sys.argv[4])

"""Cold and warm load time of a dataset (decode + resize, then from the on-disk cache).

    python benchmarks/load_data.py [--dataset viper] [--data-root DIR]

Cold uses an empty temporary cache; warm loads again from it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from reidlab.data import load_dataset, resolve_data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="viper")
    parser.add_argument("--data-root")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = resolve_data_root(args.data_root)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["REIDLAB_CACHE"] = cache
        start = time.perf_counter()
        data = load_dataset(args.dataset, root)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            load_dataset(args.dataset, root)
            warm.append(time.perf_counter() - start)
    best = min(warm)
    print(f"{args.dataset}: {len(data)} images at {data.images.shape[1]}x{data.images.shape[2]}")
    print(f"  cold load (decode + resize): {cold:7.3f} s  ({len(data) / cold:8.0f} images/s)")
    print(f"  warm load (from cache):      {best:7.3f} s  ({len(data) / best:8.0f} images/s)")
    print(f"  speed-up warm/cold:          {cold / best:7.1f}x")


if __name__ == "__main__":
    main()

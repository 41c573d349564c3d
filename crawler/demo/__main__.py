"""``python -m crawler.demo serve|ground-truth``: run the demo sites or write their ground truth."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .market import SITE_NAMES, DemoMarket
from .server import DemoServer


def _market(args: argparse.Namespace) -> DemoMarket:
    return DemoMarket(
        seed=args.seed, n_ads=args.ads, hostile=not args.no_hostile, bad_pages=not args.no_bad_pages
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "ground-truth"):
        p = sub.add_parser(name)
        p.add_argument("--seed", type=int, default=7)
        p.add_argument(
            "--ads", type=int, default=600, help="number of ads in epoch 0 (default 600)"
        )
        p.add_argument("--epoch", type=int, default=0, choices=[0, 1])
        p.add_argument("--no-hostile", action="store_true", help="plant no XSS payloads")
        p.add_argument(
            "--no-bad-pages", action="store_true", help="plant no 500/404/malformed pages"
        )
    serve = sub.choices["serve"]
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port-base",
        type=int,
        default=0,
        help="first port (sites get BASE, BASE+1, BASE+2); 0: free ports",
    )
    serve.add_argument(
        "--ground-truth",
        metavar="FILE",
        help="also write the ground truth (with the ports) to FILE",
    )
    gt = sub.choices["ground-truth"]
    gt.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    args = parser.parse_args(argv)

    try:
        market = _market(args)
    except ValueError as exc:
        parser.error(str(exc))
    market.set_epoch(args.epoch)
    if args.command == "ground-truth":
        if args.output:
            market.write_ground_truth(args.output)
        else:
            json.dump(market.ground_truth(), sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        return 0

    ports = [args.port_base + i for i in range(len(SITE_NAMES))] if args.port_base else None
    server = DemoServer(market, host=args.host, ports=ports)
    try:
        server.start()
    except OSError as exc:
        print(
            f"Cannot bind the demo sites on {args.host} port base {args.port_base}: {exc}; choose another --port-base",
            file=sys.stderr,
        )
        return 1
    if args.ground_truth:
        market.write_ground_truth(args.ground_truth, server.ports, args.host)
    print(
        json.dumps(
            {
                "seed": args.seed,
                "ads": args.ads,
                "epoch": market.epoch,
                "base_urls": server.base_urls,
            }
        ),
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

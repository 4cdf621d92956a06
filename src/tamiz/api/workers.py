"""Several uvicorn worker processes, each with its own ``SO_REUSEPORT`` listening socket.

uvicorn's own ``--workers`` shares one listening socket between the workers, and an asyncio
worker that wakes up accepts every pending connection at once: a client that opens its
keep-alive connections in a burst (a load balancer's pool, a benchmark) can end up with all
of them on one worker while the others idle. With one socket per worker and
``SO_REUSEPORT``, the kernel spreads connections across the workers by hash.

The supervisor restarts a worker that dies (not one that keeps dying at start) and stops
them all on SIGINT/SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from typing import Any

log = logging.getLogger("tamiz.api")

APP = "tamiz.api.app:create_app_from_env"
QUICK_EXIT = 10.0  # a worker that dies this soon after starting counts as a start failure
MAX_QUICK_EXITS = 3


def reuseport_sockets(host: str, port: int, count: int, backlog: int = 2048) -> list[socket.socket]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]  # port 0: the others join the one the first got
        sock.listen(backlog)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


def _worker(sock: socket.socket, options: dict[str, Any]) -> None:  # pragma: no cover - child
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; it sends SIGTERM
    config = uvicorn.Config(APP, factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Run ``workers`` worker processes until SIGINT/SIGTERM; the exit status."""
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - not Linux/BSD
        import uvicorn

        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, **options)
        return 0
    sockets = reuseport_sockets(host, port, workers)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start(sock: socket.socket) -> tuple[Any, float]:
        process = context.Process(target=_worker, args=(sock, options), daemon=False)
        process.start()
        return process, time.monotonic()

    running = [start(sock) for sock in sockets]
    quick_exits = [0] * workers
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (process, started) in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                quick = time.monotonic() - started < QUICK_EXIT
                quick_exits[i] = quick_exits[i] + 1 if quick else 0
                if quick_exits[i] >= MAX_QUICK_EXITS:
                    log.error("worker %d keeps failing at start (exit %s)", i, process.exitcode)
                    stopping, status = True, 1
                    break
                log.warning("worker %d exited (%s); restarting it", i, process.exitcode)
                running[i] = start(sockets[i])
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + float(options.get("timeout_graceful_shutdown") or 30) + 5
        for process, _ in running:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status

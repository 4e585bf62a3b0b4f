#!/usr/bin/env python3
"""Time from starting `gatehouse dev` (or `serve`) on an existing store to its first
discovery response, over several runs: the process is spawned, its port polled
without sleeping, and the clock stops when the discovery document has arrived.

    cargo build --release && python3 benches/startup.py [RUNS] [BINARY]
"""
import http.client, os, socket, statistics, subprocess, sys, tempfile, time

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
exe = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "target/release/gatehouse")
port = 18090
work = tempfile.mkdtemp(prefix="gatehouse-startup-")
env = {"PATH": os.environ["PATH"], "GATEHOUSE_LOG": "warn", "GATEHOUSE_DATABASE_URL": f"sqlite:{work}/serve.db"}


def first_discovery(args):
    started = time.perf_counter()
    process = subprocess.Popen([exe, *args], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/.well-known/openid-configuration")
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return (time.perf_counter() - started) * 1000
            except (ConnectionRefusedError, socket.timeout, http.client.RemoteDisconnected):
                pass
    finally:
        process.terminate()
        process.wait()


for name, args in [("dev", ["dev", "--port", str(port)]), ("serve", ["serve"])]:
    if name == "serve":
        env["GATEHOUSE_LISTEN"] = f"127.0.0.1:{port}"
    first_discovery(args)  # creates the store and its keys: not what is measured
    times = sorted(first_discovery(args) for _ in range(runs))
    print(f"{name}: median {statistics.median(times):.1f} ms, fastest {times[0]:.1f} ms, "
          f"slowest {times[-1]:.1f} ms over {runs} starts on an existing store")

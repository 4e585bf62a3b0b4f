#!/usr/bin/env python3
"""Resident memory of a release `gatehouse serve` before and after a burst of failed
logins (each an argon2id check that works in 19 MiB). Every attempt comes for its own
name from its own address (behind the X-Forwarded-For header the server is told to
trust), so the throttle lets all of them reach the password check.

    cargo build --release && python3 benches/memory.py [LOGINS] [BINARY]
"""
import http.client, os, re, subprocess, sys, tempfile, threading, time, urllib.parse

logins = int(sys.argv[1]) if len(sys.argv) > 1 else 500
exe = sys.argv[2] if len(sys.argv) > 2 else "target/release/gatehouse"
port = 18089
work = tempfile.mkdtemp(prefix="gatehouse-memory-")
env = {
    "PATH": os.environ["PATH"],
    "GATEHOUSE_DATABASE_URL": f"sqlite:{work}/gatehouse.db",
    "GATEHOUSE_LISTEN": f"127.0.0.1:{port}",
    "GATEHOUSE_CLIENT_IP_HEADER": "X-Forwarded-For",
    "GATEHOUSE_LOG": "warn",
}
subprocess.run([exe, "client", "add", "rp", "--redirect-uri", "https://rp.example/cb"], env=env, check=True,
               capture_output=True)
server = subprocess.Popen([exe, "serve"], env=env, stderr=subprocess.DEVNULL)


def request(method, path, body=None, headers=None):
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response, data
        except ConnectionRefusedError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def resident_kib():
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{server.pid}/status").read()).group(1))


try:
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": "rp", "redirect_uri": "https://rp.example/cb", "scope": "openid",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
    })
    response, _ = request("GET", "/authorize?" + query)
    cookie = response.getheader("set-cookie").split(";")[0]
    _, page = request("GET", response.getheader("location"), headers={"Cookie": cookie})
    field = lambda name: re.search(f'name="{name}" value="([^"]*)"', page.decode()).group(1)
    form = {"request": field("request"), "csrf": field("csrf"), "password": "wrong"}

    def attempt(i):
        body = urllib.parse.urlencode({**form, "username": f"guess{i}"})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                   "X-Forwarded-For": f"10.{i // 60000}.{i // 250 % 240}.{i % 250 + 1}"}
        return request("POST", "/login", body, headers)[0].status

    idle = resident_kib()
    statuses = []
    workers = [threading.Thread(target=lambda k=k: statuses.extend(attempt(i) for i in range(k, logins, 8)))
               for k in range(8)]
    started = time.time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.time() - started
    print(f"idle: {idle} KiB")
    print(f"{logins} failed logins, 8 at a time, in {elapsed:.1f} s (answers: {sorted(set(statuses))})")
    print(f"after: {resident_kib()} KiB")
finally:
    server.terminate()
    server.wait()

#!/usr/bin/env python3
"""End-to-end timing of an event through the API on the release build (README "Performance").

Imports a sample-format folder into a fresh SQLite file, starts `target/release/expertpool` on
a free loopback port, creates an acceptance event with the items of one sample event, groups
them into panels, and times the eligibility overview and the draw, each three times (the first
call segments every profile; later calls reuse the segmented profiles).

    python3 benches/draw_api.py [--data ../shared/data/sample] [--event EV001-APP] [--per-panel 3]
"""
import argparse, csv, http.cookiejar, io, json, os, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.request

p = argparse.ArgumentParser()
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data/sample"))
p.add_argument("--event", default="EV001-APP")
p.add_argument("--per-panel", type=int, default=3)
p.add_argument("--bin", default="target/release/expertpool")
p.add_argument("--draws", type=int, default=3, help="draws to time (seeds 42, 43, …)")
p.add_argument("--overviews", type=int, default=3, help="overviews to time before the draws (0: the first "
                                                         "draw analyses the event itself)")
p.add_argument("--db", help="keep the imported database in this file and reuse it on later runs "
                            "(a 30,000-expert import takes minutes)")
args = p.parse_args()

tmp = tempfile.mkdtemp()
env = dict(os.environ, DATABASE_URL=f"sqlite://{tmp}/ep.db?mode=rwc", EXPERTPOOL_ADMIN_PASSWORD="Bench-Pass-1",
           ROCKET_ADDRESS="127.0.0.1")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    env["ROCKET_PORT"] = str(s.getsockname()[1])
t = time.time()
if args.db and os.path.exists(args.db):
    import shutil
    shutil.copy(args.db, f"{tmp}/ep.db")
    print(f"database copied from {args.db}")
else:
    subprocess.run([args.bin, "import", args.data], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"import: {time.time() - t:.1f} s")
    if args.db:
        import shutil
        subprocess.run(["sqlite3", f"{tmp}/ep.db", "pragma wal_checkpoint(truncate)"], check=False)
        shutil.copy(f"{tmp}/ep.db", args.db)
# BENCH_WRAP="perf record -o /tmp/p.data" profiles the service while it is timed.
server = subprocess.Popen(os.environ.get("BENCH_WRAP", "").split() + [args.bin], env=env, stdout=subprocess.DEVNULL,
                          stderr=None if os.environ.get("EXPERTPOOL_SOLVER_LOG") else subprocess.DEVNULL)
base = f"http://127.0.0.1:{env['ROCKET_PORT']}/api/v1"
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": ctype})
    started = time.time()
    try:
        with opener.open(req) as r:
            out = r.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")
    return (time.time() - started) * 1e3, json.loads(out) if out else None


try:
    for _ in range(100):
        try:
            call("POST", "/session", {"username": "admin", "password": "Bench-Pass-1"})
            break
        except OSError:
            time.sleep(0.1)
    # The scheduler's first round after an import writes a notice to every member whose term
    # ends within 60 days (thousands at province scale): time the draws after it, not during.
    last, stable = -1, 0
    while stable < 3:
        time.sleep(2)
        total = call("GET", "/outbox?per_page=1")[1]["total"]
        stable = stable + 1 if total == last else 0
        last = total
    print(f"outbox after the scheduler's first round: {last} messages")
    events = json.load(open(os.path.join(args.data, "events.json")))
    events = events if isinstance(events, list) else events["events"]
    ev = next(e for e in events if e["id"] == args.event)
    ids = {i for panel in ev["panels"] for i in panel["items"]}
    with open(os.path.join(args.data, "projects.csv"), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0])
    w.writerows(r for r in rows[1:] if r[0] in ids)
    _, event = call("POST", "/events", {"title": "bench", "code": f"BENCH-{args.event}", "kind": "acceptance",
                                        "slots": "S1=2027-03-02 am;S2=2027-03-02 pm;S3=2027-03-03 am;S4=2027-03-03 pm"})
    eid = event["id"]
    call("POST", f"/events/{eid}/items", out.getvalue().encode(), "text/csv")
    _, grouped = call("POST", f"/events/{eid}/panels", {"items_per_panel": args.per_panel})
    print(f"{args.event}: {len(ids)} items in {grouped['panels']} panels")
    for i in range(args.overviews):
        ms, body = call("GET", f"/events/{eid}/eligibility")
        print(f"eligibility overview #{i + 1}: {ms:.0f} ms ({len(json.dumps(body, ensure_ascii=False)) // 1024} KiB)")
    for i in range(args.draws):
        ms, drawn = call("POST", f"/events/{eid}/draws", {"seed": 42 + i})
        print(f"draw #{i + 1}: {ms:.0f} ms ({drawn.get('solver', '')})")
finally:
    server.send_signal(2)
    server.wait()

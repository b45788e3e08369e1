"""The market-sync ingest as a Python desk would write it, for `make bench`: the same requests
to the synthetic market server (urllib), json.loads, and sqlite3's executemany of the same
upsert into the same table (its CREATE statement read off the job's own database; the
interval and the source as its integer codes, 1 for one minute and 1 for Upstox), one
transaction per instrument, with the job's pragmas. Prints the rows and the seconds taken.

Usage: desk_ingest.py BASE_URL TOKEN DB SCHEMA_SQL FROM TO KEY[,KEY...]
"""
import datetime
import json
import sqlite3
import sys
import time
import urllib.parse
import urllib.request

UPSERT = """INSERT INTO candles (instrument, interval, ts, open, high, low, close, volume, oi, source)
VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (instrument, interval, ts) DO UPDATE SET
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
    volume = excluded.volume, oi = excluded.oi, source = excluded.source"""


def spans(start, end, days=28):
    """Upstox's 1-minute history is served at most 28 days a request, as market-sync asks."""
    while start <= end:
        stop = min(start + datetime.timedelta(days=days - 1), end)
        yield start, stop
        start = stop + datetime.timedelta(days=1)


def main():
    base, token, db, schema, first, last, keys = sys.argv[1:8]
    first = datetime.date.fromisoformat(first)
    last = datetime.date.fromisoformat(last)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(open(schema).read())
    headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    started = time.perf_counter()
    rows = 0
    for key in keys.split(","):
        quoted = urllib.parse.quote(key, safe="")
        batch = []
        for a, b in spans(first, last):
            url = f"{base}/v3/historical-candle/{quoted}/minutes/1/{b}/{a}"
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                body = json.loads(r.read())
            for ts, o, h, l, c, v, oi in body["data"]["candles"]:
                epoch = int(datetime.datetime.fromisoformat(ts).timestamp())
                batch.append((key, epoch, o, h, l, c, int(v), None if oi is None else int(oi)))
        batch.sort(key=lambda row: row[1])
        conn.execute("BEGIN")
        conn.executemany(UPSERT, batch)
        conn.execute("COMMIT")
        rows += len(batch)
    print(rows, f"{time.perf_counter() - started:.3f}")


main()

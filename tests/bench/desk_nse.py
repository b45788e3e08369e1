"""The index update as a Python desk would write it, for `make bench`: the nine NSE index CSVs
fetched with urllib from the same server, read with csv, and each index's members replaced in
one sqlite3 transaction. Its peak memory is any Python job's floor plus what it holds.

Usage: desk_nse.py BASE_URL DB
"""
import csv
import io
import sqlite3
import sys
import urllib.request

FILES = ["nifty50", "niftynext50", "nifty100", "nifty200", "nifty500", "niftymidcap150",
         "niftysmallcap250", "niftybank", "niftyit"]

base, db = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("CREATE TABLE IF NOT EXISTS members (idx TEXT, symbol TEXT, company TEXT, industry TEXT,"
             " isin TEXT, PRIMARY KEY (idx, symbol))")
rows = 0
for name in FILES:
    body = urllib.request.urlopen(f"{base}/ind_{name}list.csv", timeout=30).read().decode("utf-8")
    members = [(name, r["Symbol"], r["Company Name"], r["Industry"], r["ISIN Code"])
               for r in csv.DictReader(io.StringIO(body))]
    with conn:
        conn.execute("DELETE FROM members WHERE idx = ?", (name,))
        conn.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?)", members)
    rows += len(members)
print(rows)

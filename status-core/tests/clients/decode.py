"""Decodes status documents as Python does: json.loads, then datetime.fromisoformat on
last_check (aware, so it has an offset); drift_count must be an int.

Usage: python3 decode.py DIR. Prints, per DIR/*.json in name order, "NAME MILLIS DRIFT" or
"NAME ERROR why".
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

directory = sys.argv[1]
for name in sorted(n for n in os.listdir(directory) if n.endswith(".json")):
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
        t = datetime.fromisoformat(doc["last_check"])
    except Exception as e:  # every failure is the answer, not a crash
        print(f"{name} ERROR {type(e).__name__}: {e}")
        continue
    if t.tzinfo is None:
        print(f"{name} ERROR fromisoformat gave a naive time")
        continue
    if type(doc["drift_count"]) is not int:
        print(f"{name} ERROR drift_count is a {type(doc['drift_count']).__name__}")
        continue
    # Integer arithmetic: exact, and floored like the other readers' milliseconds.
    millis = (t - EPOCH) // timedelta(milliseconds=1)
    print(f"{name} {millis} {doc['drift_count']}")

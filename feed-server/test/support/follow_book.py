"""Follows one order book with python-socketio, from docs/protocol.md alone.

Usage: follow_book.py URL SYMBOL DEPTH LAST_SEQ
Subscribes at DEPTH, applies every update (size 0 removes; keep the best DEPTH
levels), checks each seq is the previous + 1 and, at depth >= 10, every
checksum; once seq LAST_SEQ is applied, compares the book with REST
/api/symbols/SYMBOL/book?depth=DEPTH and prints one JSON line with the result.
"""
import json
import sys
import threading
import urllib.request
import zlib

import socketio

url, symbol, depth, last_seq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

meta = json.load(urllib.request.urlopen(f"{url}/api/symbols/{symbol}"))["meta"]


def decimals(step):
    text = repr(step)
    if "e-" in text:
        mantissa, exponent = text.split("e-")
        return (len(mantissa.split(".")[1]) if "." in mantissa else 0) + int(exponent)
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


price_decimals = decimals(meta["tickSize"])
size_decimals = decimals(meta["lotSize"]) if "lotSize" in meta else 8


def digits(x, d):
    return f"{x:.{d}f}".replace(".", "").lstrip("0")


def checksum(bids, asks):
    text = "".join(digits(p, price_decimals) + digits(s, size_decimals) for p, s in asks[:10])
    text += "".join(digits(p, price_decimals) + digits(s, size_decimals) for p, s in bids[:10])
    return zlib.crc32(text.encode("ascii"))


def apply(levels, changes, highest_first):
    book = {p: s for p, s in levels}
    for p, s in changes:
        if s == 0:
            book.pop(p, None)
        else:
            book[p] = s
    return sorted(([p, s] for p, s in book.items()), key=lambda l: -l[0] if highest_first else l[0])[:depth]


state = {"seq": None, "bids": [], "asks": [], "errors": [], "updates": 0, "verified": 0}
done = threading.Event()
sio = socketio.Client()


@sio.on("book")
def on_book(updates):
    for u in updates:
        if u["symbol"] != symbol or state["seq"] is None:
            continue
        if u["seq"] != state["seq"] + 1:
            state["errors"].append(f"expected seq {state['seq'] + 1}, got {u['seq']}")
        state["bids"] = apply(state["bids"], u["bids"], True)
        state["asks"] = apply(state["asks"], u["asks"], False)
        state["seq"] = u["seq"]
        state["updates"] += 1
        if depth >= 10:
            if checksum(state["bids"], state["asks"]) == u["checksum"]:
                state["verified"] += 1
            else:
                state["errors"].append(f"checksum mismatch at seq {u['seq']}")
    if state["seq"] is not None and state["seq"] >= last_seq:
        done.set()


sio.connect(url, transports=["websocket"])
ack = sio.call("book:subscribe", {"symbols": [symbol], "depth": depth})
entry = ack["subscribed"][0]
state.update(seq=entry["book"]["seq"], bids=entry["book"]["bids"], asks=entry["book"]["asks"])
if depth >= 10 and checksum(state["bids"], state["asks"]) != entry["book"]["checksum"]:
    state["errors"].append("snapshot checksum mismatch")
print(json.dumps({"subscribed": entry["book"]["seq"]}), flush=True)
if state["seq"] < last_seq and not done.wait(30):
    state["errors"].append("timed out")
rest = json.load(urllib.request.urlopen(f"{url}/api/symbols/{symbol}/book?depth={depth}"))
sio.disconnect()
print(json.dumps({
    "seq": state["seq"],
    "updates": state["updates"],
    "verified": state["verified"],
    "errors": state["errors"][:10],
    "restSeq": rest["seq"],
    "matchesRest": rest["bids"] == state["bids"] and rest["asks"] == state["asks"],
}), flush=True)

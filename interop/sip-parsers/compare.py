#!/usr/bin/env python3
"""Diff simple-sip against three third-party SIP parsers over every SIP vector.

For each file: what simple-sip reads (examples/sip_to_json.rs) and what npm sip, drachtio-sip
and JsSIP read (peers.js). Prints, per peer, how many files both accept, how many fields agree,
and every disagreement (file, field, ours, theirs); files only one side accepts are listed too.
Exit status 0 always: this is a report, to be read.
"""
import json, subprocess, sys, glob, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OURS = os.path.join(ROOT, "target", "debug", "examples", "sip_to_json")
FIELDS = ["method", "uri", "status", "call_id", "cseq_seq", "cseq_method", "from_tag", "to_tag",
          "via_count", "via_branch", "body_len"]

files = sorted(glob.glob(os.path.join(ROOT, "simple-sip", "tests", "vectors", "*", "*.sip")))
stats = {p: {"both": 0, "agree": 0, "fields": 0, "only_ours": [], "only_theirs": [], "diffs": [],
             "refused": []}
         for p in ["sip", "drachtio", "jssip"]}
for f in files:
    name = os.path.relpath(f, os.path.join(ROOT, "simple-sip", "tests", "vectors"))
    ours = json.loads(subprocess.run([OURS, f], capture_output=True, text=True).stdout)
    theirs = json.loads(subprocess.run(["node", os.path.join(HERE, "peers.js"), f],
                                       capture_output=True, text=True).stdout)
    for peer, view in theirs.items():
        s = stats[peer]
        ok_ours, ok_theirs = ours.get("ok", False), "error" not in view
        if ok_ours and not ok_theirs:
            s["only_ours"].append((name, view["error"][:60]))
            continue
        if ok_theirs and not ok_ours:
            s["only_theirs"].append((name, ours["error"][:80]))
            continue
        if not ok_ours:
            continue
        s["both"] += 1
        for k in FIELDS:
            if k not in view or view[k] is None and k not in ours:
                continue
            a, b = ours.get(k), view[k]
            if isinstance(a, dict):  # simple-sip refuses this header value; say what they made of it
                s["refused"].append((name, k, a.get("error", ""), b))
                continue
            s["fields"] += 1
            if a == b:
                s["agree"] += 1
            else:
                s["diffs"].append((name, k, a, b))

for peer, s in stats.items():
    print(f"== {peer}: {s['both']} files parsed by both, {s['agree']}/{s['fields']} fields agree; "
          f"{len(s['only_ours'])} only we accept, {len(s['only_theirs'])} only {peer} accepts, "
          f"{len(s['refused'])} header values we refuse")
    for d in s["diffs"]:
        print("   differs:", *d)
    for d in s["refused"]:
        print("   we refuse:", d[0], d[1], f"({d[2]});", peer, "read", repr(d[3]))
    for d in s["only_theirs"]:
        print(f"   only {peer}:", *d)
    for d in s["only_ours"]:
        print("   only ours:", *d)

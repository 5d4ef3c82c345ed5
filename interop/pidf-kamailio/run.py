#!/usr/bin/env python3
"""simple-pidf against Kamailio's presence server (presence + presence_xml), on loopback.

1. Three publications for one presentity (phone, laptop, pc; documents written by simple-pidf)
   are accepted (200 + SIP-ETag); a watcher's NOTIFY carries Kamailio's aggregation of them,
   which simple-pidf reads; its services are the ones simple-pidf's own composition keeps.
2. A publication modified (SIP-If-Match) reaches the watcher, and simple-pidf reads the change.
3. Every RFC example document the test vectors hold, rewritten by simple-pidf, is accepted by
   Kamailio, and what Kamailio notifies back reads to the same services.
4. With PJSUA_PYTHON (a python with pjsua2): PJSIP publishes its PIDF+RPID document and
   simple-pidf reads it from Kamailio's NOTIFY; PJSIP watches a document simple-pidf wrote
   and reads its status, note and activity.
Expects Kamailio on 127.0.0.1:5160 (start.sh) and the pidf_tool example built (run.sh does
both). Prints each check and ends with "N passed, M failed".
"""
import json
import os
import random
import socket
import subprocess
import sys
import time

HOST, PORT = "127.0.0.1", 5160
TOOL = os.environ["PIDF_TOOL"]
VECTORS = os.environ["PIDF_VECTORS"]
RESULTS = []


def rid(n=8):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"[{'PASS' if ok else 'FAIL'}] {name}" + (f" -- {detail}" if detail else ""))


def tool(*args, stdin=None):
    r = subprocess.run([TOOL, *args], input=stdin, capture_output=True)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


class Msg:
    def __init__(self, raw, addr):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.first, self.addr = lines[0], addr
        self.headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]

    def h(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def status(self):
        return int(self.first.split()[1]) if self.first.startswith("SIP/2.0") else None


class UA:
    def __init__(self, user):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.aor = f"sip:{user}@{HOST}"
        self.cseq = 0
        self.queue = []

    def send(self, method, ruri, headers=(), body=b"", call_id=None, to_tag=None, from_tag=None):
        self.cseq += 1
        call_id = call_id or rid() + "@" + HOST
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {HOST}:{self.port};branch=z9hG4bK{rid()};rport",
                 "Max-Forwards: 70", f"From: <{self.aor}>;tag={from_tag or rid(6)}",
                 f"To: <{ruri}>" + (f";tag={to_tag}" if to_tag else ""), f"Call-ID: {call_id}",
                 f"CSeq: {self.cseq} {method}", f"Contact: <sip:u@{HOST}:{self.port}>", *headers,
                 f"Content-Length: {len(body)}"]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode() + body, (HOST, PORT))
        return call_id

    def recv(self, want, timeout=4.0):
        for i, m in enumerate(self.queue):
            if want(m):
                return self.queue.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            self.sock.settimeout(max(0.01, end - time.time()))
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            m = Msg(data, addr)
            if want(m):
                return m
            self.queue.append(m)
        return None

    def final(self, call_id):
        return self.recv(lambda m: m.status and m.status >= 200 and m.h("Call-ID") == call_id)

    def notify(self, call_id, after=0, timeout=4.0):
        """The next NOTIFY of the dialog with a CSeq above `after` (retransmissions and
        earlier NOTIFYs are answered and skipped), answered with 200."""
        end = time.time() + timeout
        while True:
            n = self.recv(lambda m: m.first.startswith("NOTIFY") and m.h("Call-ID") == call_id,
                          max(0.0, end - time.time()))
            if n is None:
                return None
            self.answer(n)
            if (cseq(n) or 0) > after:
                return n

    def answer(self, n):
        """Sends 200 for a NOTIFY."""
        lines = ["SIP/2.0 200 OK", *[f"Via: {v}" for v in n.all("Via")], f"From: {n.h('From')}",
                 f"To: {n.h('To')}", f"Call-ID: {n.h('Call-ID')}", f"CSeq: {n.h('CSeq')}",
                 "Content-Length: 0"]
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), n.addr)

    def notify_until(self, call_id, ok, after=0, timeout=8.0):
        """NOTIFYs of the dialog, in CSeq order, until one whose body `ok` accepts; returns
        it, or the last one seen (None if none came) when the time is up. Waits on messages:
        the state a notifier sends after a change may come in a later NOTIFY than the next."""
        end, last = time.time() + timeout, None
        while time.time() < end:
            n = self.notify(call_id, after, end - time.time())
            if n is None:
                break
            last, after = n, cseq(n)
            if ok(n):
                return n
        return last


def cseq(m):
    v = m.h("CSeq")
    try:
        return int(v.split()[0]) if v else None
    except ValueError:
        return None


def publish(ua, body, etag=None):
    hs = ["Event: presence", "Expires: 600", "Content-Type: application/pidf+xml"]
    if etag:
        hs.append(f"SIP-If-Match: {etag}")
    return ua.final(ua.send("PUBLISH", ua.aor, hs, body))


def subscribe(watcher, target):
    cid = watcher.send("SUBSCRIBE", target, ["Event: presence", "Expires: 300", "Accept: application/pidf+xml"])
    return cid, watcher.final(cid), watcher.notify(cid)


def summary(body):
    rc, out, err = tool("read", stdin=body)
    return (json.loads(out), None) if rc == 0 else (None, err.strip())


def services(s):
    return sorted((t["id"], t["basic"]) for t in s["tuples"])


def composition():
    alice, bob = UA("alice"), UA("bob")
    files, etags = [], []
    for n in range(3):
        rc, doc, _ = tool("sample", alice.aor, str(n))
        path = f"/tmp/pidf-interop-sample{n}.xml"
        with open(path, "w") as f:
            f.write(doc)
        files.append(path)
        r = publish(alice, doc.encode())
        etags.append(r.h("SIP-ETag") if r else None)
        check(f"PUBLISH sample {n} (written by simple-pidf) -> 200 + SIP-ETag",
              bool(r and r.status == 200 and r.h("SIP-ETag")), r.first if r else "no answer")
    cid, r, n = subscribe(bob, alice.aor)
    check("SUBSCRIBE -> 2xx and NOTIFY with a body", bool(r and 200 <= r.status < 300 and n and n.body),
          n.h("Subscription-State") if n else "no NOTIFY")
    if not (n and n.body):
        return
    kam, err = summary(n.body)
    check("simple-pidf reads Kamailio's aggregated document", kam is not None, err or "")
    if kam is None:
        print(n.body.decode())
        return
    rc, out, err = tool("compose", alice.aor, *files)
    ours = json.loads(out)
    check("same services as simple-pidf's composition", services(kam) == services(ours),
          f"kamailio {services(kam)} / ours {services(ours)}")
    print("   kamailio persons:", [(p["id"], p["extensions"]) for p in kam["persons"]])
    print("   our persons:     ", [(p["id"], p["extensions"]) for p in ours["persons"]])
    print("   kamailio devices:", [d["deviceID"] for d in kam["devices"]], "notes:", kam["notes"])
    check("every device and note published is in Kamailio's view",
          sorted(d["deviceID"] for d in kam["devices"]) == sorted(d["deviceID"] for d in ours["devices"])
          and sorted(kam["notes"]) == sorted(ours["notes"]))
    # A modification of the laptop's publication reaches the watcher: the NOTIFYs after the
    # one read above, until one carries the change.
    laptop = open(files[1]).read().replace("<basic>closed</basic>", "<basic>open</basic>")
    r = publish(alice, laptop.encode(), etags[1])
    check("PUBLISH modify (SIP-If-Match) -> 200", bool(r and r.status == 200), r.first if r else "no answer")

    def changed(m):
        s, _ = summary(m.body) if m.body else (None, None)
        return bool(s and ("laptop-im", "open") in services(s))
    n = bob.notify_until(cid, changed, after=cseq(n))
    kam2, err = summary(n.body) if n and n.body else (None, "no NOTIFY")
    check("the NOTIFY after the change reads, laptop-im now open",
          bool(kam2 and ("laptop-im", "open") in services(kam2)), err or str(kam2 and services(kam2)))


def vectors():
    names = ["rfc3863/rfc3863-sec4.2.2-presence.xml", "rfc3863/rfc3863-sec4.2.2-presence-2.xml",
             "rfc3863/rfc3863-sec4.2.4-presence.xml", "rfc3863/rfc3863-sec4.3.1-presence.xml",
             "rfc3863/rfc3863-sec4.3.2-presence.xml", "rfc3863/rfc3863-sec4.3.3-presence.xml",
             "rfc4480/rfc4480-sec4-presence.xml", "rfc4481/rfc4481-sec4-presence.xml",
             "rfc4482/rfc4482-sec4-presence-2.xml", "rfc5196/rfc5196-sec5-presence.xml"]
    for name in names:
        user = "v" + rid(6)
        ua, watcher = UA(user), UA("w" + rid(4))
        src = open(os.path.join(VECTORS, name), "rb").read()
        rc, ours, err = tool("write", stdin=src)
        doc = ours.replace('entity="pres:someone@example.com"', f'entity="{ua.aor}"')
        r = publish(ua, doc.encode())
        ok = bool(r and r.status == 200)
        got = None
        if ok:
            cid, _, n = subscribe(watcher, ua.aor)
            got, err = summary(n.body) if n and n.body else (None, "no NOTIFY body")
        want, _ = summary(doc.encode())
        check(f"{name}: published, notified, read back with the same services",
              bool(ok and got and want and services(got) == services(want)),
              (r.first if r else "no answer") if not ok else (err or ""))


def pjsip(python):
    """PJSIP publishes through Kamailio and we read it; we publish and PJSIP reads us."""
    here = os.path.dirname(os.path.abspath(__file__))
    ua = [python, os.path.join(here, "pjsip_ua.py")]
    # PJSIP's own PIDF+RPID document, as Kamailio notifies it to our watcher: we subscribe
    # first, then start PJSIP, and wait for the NOTIFY that carries its publication.
    pj_aor = f"sip:pj{rid(4)}@{HOST}"
    watcher = UA("w" + rid(4))
    cid, r, n = subscribe(watcher, pj_aor)
    proc = subprocess.Popen([*ua, "--port", "5171", "--aor", f"{pj_aor}:{PORT}", "--publish",
                             "--note", "in a meeting", "--busy", "--duration", "15"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if not (n and n.body):
        n = watcher.notify_until(cid, lambda m: bool(m.body), after=cseq(n) if n else 0,
                                 timeout=15)
    proc.terminate()
    proc.wait(timeout=10)
    got, err = summary(n.body) if n and n.body else (None, "no NOTIFY body")
    check("simple-pidf reads the PIDF+RPID document PJSIP published", got is not None,
          err or json.dumps(got))
    if got:
        print("   PJSIP's document:", json.dumps(got))
        persons = [e for p in got["persons"] for e in p["extensions"]]
        notes = got["notes"] + [x for t in got["tuples"] for x in t["notes"]] + \
            [x for p in got["persons"] for x in p["notes"]]
        check("  with its open service, its note and its RPID activities typed",
              any(t["basic"] == "open" for t in got["tuples"])
              and "{urn:ietf:params:xml:ns:pidf:rpid}activities" in persons
              and "in a meeting" in notes, f"notes {notes}")
    # Our document, as PJSIP reads it from Kamailio's NOTIFY.
    carol = UA("carol" + rid(4))
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="{carol.aor}">
  <tuple id="t1"><status><basic>open</basic></status><contact>{carol.aor}</contact>
    <note>simple-pidf says hi</note></tuple>
  <dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>
</presence>"""
    rc, ours, err = tool("write", stdin=doc.encode())
    r = publish(carol, ours.encode())
    check("PUBLISH of our document for PJSIP to watch -> 200", bool(r and r.status == 200))
    # PJSIP prints each buddy state it reads; we stop it at the first active one.
    proc = subprocess.Popen([*ua, "--port", "5172", "--aor", f"sip:pjw@{HOST}:{PORT}",
                             "--watch", f"{carol.aor}:{PORT}", "--duration", "15"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    states = []
    for line in proc.stdout:
        s = json.loads(line) if line.startswith("{") else {}
        if s.get("event") == "buddy_state" and s["sub_state"] == "ACTIVE":
            states.append(s)
            if s["note"]:
                break
    proc.terminate()
    proc.wait(timeout=10)
    print("   PJSIP's view of our document:", json.dumps(states[-1]) if states else None)
    # PJSUA_BUDDY_STATUS_ONLINE = 1, PJRPID_ACTIVITY_BUSY = 2
    check("PJSIP reads our document: online, our note, activity busy",
          bool(states and states[-1]["status"] == 1 and states[-1]["note"] == "simple-pidf says hi"
               and states[-1]["activity"] == 2))


if __name__ == "__main__":
    composition()
    vectors()
    if os.environ.get("PJSUA_PYTHON"):
        pjsip(os.environ["PJSUA_PYTHON"])
    else:
        print("(PJSIP part skipped: no PJSUA_PYTHON)")
    print(f"{RESULTS.count(True)} passed, {RESULTS.count(False)} failed")
    sys.exit(0 if all(RESULTS) else 1)

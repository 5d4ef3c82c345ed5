#!/usr/bin/env python3
"""A PJSIP (pjsua2, PyPI `pjsua2-python`) user agent registered with a SIP server, for run.sh.

  pj_ua.py --port P --user pj --password pj-secret --server 127.0.0.1:5300 \
      [--publish --note TEXT] [--watch URI ...] [--message URI TEXT] [--duration S]

Registers (digest), publishes its PIDF+RPID state when asked, subscribes to each --watch URI,
sends each --message once registered, and prints one JSON object per line: registration
state, buddy states, messages received and the status of those sent. Commands on stdin:
`offline` (publishes closed), `quit`.
"""
import argparse
import json
import select
import sys
import time

import pjsua2 as pj


def emit(**kw):
    print(json.dumps(kw), flush=True)


class Buddy(pj.Buddy):
    def onBuddyState(self):
        i = self.getInfo()
        s = i.presStatus
        emit(event="buddy_state", uri=i.uri, sub_state=i.subStateName, status=int(s.status),
             status_text=s.statusText, note=s.note, activity=int(s.activity))


class Account(pj.Account):
    def onRegState(self, prm):
        i = self.getInfo()
        emit(event="reg_state", code=int(prm.code), active=bool(i.regIsActive))

    def onInstantMessage(self, prm):
        emit(event="instant_message", from_uri=prm.fromUri, content_type=prm.contentType,
             body=prm.msgBody)

    def onTypingIndication(self, prm):
        emit(event="typing", from_uri=prm.fromUri, is_typing=bool(prm.isTyping))

    def onInstantMessageStatus(self, prm):
        emit(event="instant_message_status", to_uri=prm.toUri, code=int(prm.code), body=prm.msgBody)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--domain", default="127.0.0.1")
    ap.add_argument("--publish", action="store_true")
    ap.add_argument("--note", default="")
    ap.add_argument("--watch", action="append", default=[])
    ap.add_argument("--message", nargs=2, action="append", default=[], metavar=("URI", "TEXT"))
    ap.add_argument("--duration", type=float, default=10.0)
    a = ap.parse_args()

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    tc = pj.TransportConfig()
    tc.port = a.port
    tc.boundAddress = "127.0.0.1"
    tc.publicAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
    ep.libStart()
    ep.audDevManager().setNullDev()

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{a.user}@{a.domain}"
    acfg.regConfig.registrarUri = f"sip:{a.server}"
    acfg.regConfig.timeoutSec = 300
    acfg.sipConfig.proxies.append(f"sip:{a.server};lr")
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.user, 0, a.password))
    acfg.presConfig.publishEnabled = a.publish
    acfg.natConfig.contactRewriteUse = 0
    acfg.natConfig.viaRewriteUse = 0
    acfg.natConfig.sdpNatRewriteUse = 0
    acc = Account()
    acc.create(acfg, True)
    ps = pj.PresenceStatus()
    ps.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    ps.note = a.note
    acc.setOnlineStatus(ps)
    emit(event="started", version=ep.libVersion().full)

    buddies = []
    for uri in a.watch:
        bc = pj.BuddyConfig()
        bc.uri = uri
        bc.subscribe = True
        b = Buddy()
        b.create(acc, bc)
        buddies.append(b)
    pending = list(a.message)
    targets = {}
    stdin_open = True
    end = time.time() + a.duration
    while time.time() < end:
        ep.libHandleEvents(20)
        if pending and acc.getInfo().regIsActive:
            uri, text = pending.pop(0)
            bc = pj.BuddyConfig()
            bc.uri = uri
            bc.subscribe = False
            b = targets.setdefault(uri, pj.Buddy())
            if uri not in [x for x in targets if targets[x] is not b] and not b.isValid():
                b.create(acc, bc)
            p = pj.SendInstantMessageParam()
            p.content = text
            p.contentType = "text/plain"
            b.sendInstantMessage(p)
            emit(event="message_sent", uri=uri, body=text)
        if stdin_open and select.select([sys.stdin], [], [], 0)[0]:
            raw = sys.stdin.readline()
            stdin_open = raw != ""
            line = raw.strip()
            if line == "offline":
                ps = pj.PresenceStatus()
                ps.status = pj.PJSUA_BUDDY_STATUS_OFFLINE
                ps.note = "gone"
                acc.setOnlineStatus(ps)
                emit(event="offline_sent")
            elif line.startswith("typing ") or line.startswith("typing-stop "):
                # an is-composing indication (RFC 3994) to a URI
                cmd, uri = line.split(" ", 1)
                b = targets.get(uri)
                if b is None:
                    bc = pj.BuddyConfig()
                    bc.uri = uri
                    bc.subscribe = False
                    b = targets[uri] = pj.Buddy()
                    b.create(acc, bc)
                p = pj.SendTypingIndicationParam()
                p.isTyping = cmd == "typing"
                b.sendTypingIndication(p)
                emit(event="typing_sent", uri=uri, is_typing=p.isTyping)
            elif line == "quit":
                break
    for b in buddies:
        try:
            b.subscribePresence(False)
        except pj.Error:
            pass
    end = time.time() + 0.5
    while time.time() < end:
        ep.libHandleEvents(20)
    acc.shutdown()
    ep.libDestroy()


if __name__ == "__main__":
    main()

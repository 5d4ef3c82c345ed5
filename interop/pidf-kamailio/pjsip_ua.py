#!/usr/bin/env python3
"""A PJSIP (pjsua2, PyPI wheel `pjsua2-python`) presence user agent for run.py, on loopback.

  pjsip_ua.py --port P --aor sip:pj@127.0.0.1:5160 --publish --note "in a meeting" [--busy]
      publishes its own PIDF+RPID document to the AOR's host (Kamailio)
  pjsip_ua.py --port P --aor sip:pjw@127.0.0.1:5160 --watch sip:carol@127.0.0.1:5160
      subscribes to a presentity and prints every buddy state PJSIP reads from the NOTIFYs

Prints one JSON object per line; runs for --duration seconds.
"""
import argparse
import json
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--aor", required=True)
    ap.add_argument("--publish", action="store_true")
    ap.add_argument("--note", default="")
    ap.add_argument("--busy", action="store_true")
    ap.add_argument("--watch")
    ap.add_argument("--duration", type=float, default=4.0)
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
    acfg.idUri = a.aor
    acfg.regConfig.registrarUri = ""
    acfg.regConfig.registerOnAdd = False
    acfg.presConfig.publishEnabled = a.publish
    acfg.natConfig.contactRewriteUse = 0
    acfg.natConfig.viaRewriteUse = 0
    acfg.sipConfig.contactForced = f"<sip:pj@127.0.0.1:{a.port}>"
    acc = pj.Account()
    acc.create(acfg, True)
    ps = pj.PresenceStatus()
    ps.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    ps.note = a.note
    ps.activity = pj.PJRPID_ACTIVITY_BUSY if a.busy else pj.PJRPID_ACTIVITY_UNKNOWN
    acc.setOnlineStatus(ps)
    emit(event="started", version=ep.libVersion().full)

    buddy = None
    if a.watch:
        bc = pj.BuddyConfig()
        bc.uri = a.watch
        bc.subscribe = True
        buddy = Buddy()
        buddy.create(acc, bc)
    end = time.time() + a.duration
    while time.time() < end:
        ep.libHandleEvents(20)
    if buddy:
        try:
            buddy.subscribePresence(False)
        except pj.Error:
            pass
    end = time.time() + 0.5
    while time.time() < end:
        ep.libHandleEvents(20)
    acc.shutdown()
    ep.libDestroy()


if __name__ == "__main__":
    main()

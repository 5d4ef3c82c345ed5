#!/usr/bin/env python3
"""Sends one command to baresip's ctrl_tcp socket (a JSON netstring) and prints what comes
back within a second. Shared by the interop runs that drive baresip.
   usage: baresip-ctl.py PORT '/command params'"""
import json
import socket
import sys
import time

port, line = int(sys.argv[1]), sys.argv[2]
cmd, _, params = line.lstrip("/").partition(" ")
b = json.dumps({"command": cmd, "params": params, "token": "t"}).encode()
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(str(len(b)).encode() + b":" + b + b",")
buf, end = b"", time.time() + 1.0
while time.time() < end:
    s.settimeout(max(0.05, end - time.time()))
    try:
        c = s.recv(65535)
    except socket.timeout:
        break
    if not c:
        break
    buf += c
print(buf.decode(errors="replace"))

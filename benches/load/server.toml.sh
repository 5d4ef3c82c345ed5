#!/usr/bin/env bash
# The configuration the load runs give simple-server (run.sh, soak.sh): open (any user, no
# digest: SIPp's users are made up and Kamailio's side has no authentication either),
# watchers active at once, no NOTIFY pacing, no per-source limits (SIPp is one source).
#   usage: server.toml.sh PORT STORE > server.toml
cat <<TOML
domain = "127.0.0.1"
[listen]
udp = "127.0.0.1:$1"
tcp = "127.0.0.1:$1"
[store]
path = "$2"
[auth]
open = true
[presence]
pending = false
min_interval_ms = 0
[limits]
messages_per_second = 100000000
subscriptions_per_source = 100000000
TOML

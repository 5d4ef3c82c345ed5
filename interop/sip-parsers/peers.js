#!/usr/bin/env node
// Reads one SIP message (file argument) with three third-party parsers and prints, per parser,
// the fields compare.py diffs against simple-sip: {"sip": {...}, "drachtio": {...}, "jssip": {...}},
// each either those fields or {"error": "..."}. Fields a parser does not expose are left out.
'use strict';
const fs = require('fs');
const raw = fs.readFileSync(process.argv[2], 'latin1');

function tagOf(s) {
  const m = /;\s*tag=([^;>\s]+)/i.exec(s || '');
  return m ? m[1] : null;
}

const out = {};
const guard = (name, f) => {
  try { out[name] = f(); } catch (e) { out[name] = { error: String(e && e.message || e) }; }
};

guard('sip', () => {
  const m = require('sip').parse(raw);
  if (!m) return { error: 'not parsed' };
  const h = m.headers || {};
  const via = h.via || [];
  return {
    method: m.method || null,
    uri: m.uri || null,
    status: m.status || null,
    call_id: h['call-id'] || null,
    cseq_seq: h.cseq ? h.cseq.seq : undefined,
    cseq_method: h.cseq ? h.cseq.method : undefined,
    from_tag: h.from ? (h.from.params || {}).tag || null : undefined,
    to_tag: h.to ? (h.to.params || {}).tag || null : undefined,
    via_count: via.length,
    via_branch: via.length ? (via[0].params || {}).branch || null : undefined,
    body_len: m.content !== undefined ? Buffer.byteLength(m.content, 'latin1') : undefined,
  };
});

guard('drachtio', () => {
  const { SipMessage } = require('drachtio-sip');
  const m = new SipMessage(raw);
  const cseq = (m.get('cseq') || '').trim().split(/\s+/);
  return {
    method: m.method || null,
    uri: m.uri || null,
    status: m.status || null,
    call_id: m.get('call-id') || null,
    cseq_seq: cseq[0] ? Number(cseq[0]) : undefined,
    cseq_method: cseq[1],
    from_tag: m.has('from') ? tagOf(m.get('from')) : undefined,
    to_tag: m.has('to') ? tagOf(m.get('to')) : undefined,
    body_len: m.body !== undefined ? Buffer.byteLength(m.body || '', 'latin1') : undefined,
  };
});

guard('jssip', () => {
  require('jssip').debug.disable();
  const m = require('jssip/lib/Parser').parseMessage(raw, {});
  if (!m) return { error: 'not parsed' };
  return {
    // JsSIP puts the CSeq method on responses too: a request's method only
    method: m.status_code ? null : m.method || null,
    status: m.status_code || null,
    call_id: m.call_id || null,
    cseq_seq: m.cseq,
    from_tag: m.from ? m.from_tag || null : undefined,
    to_tag: m.to ? m.to_tag || null : undefined,
    body_len: m.body !== undefined ? Buffer.byteLength(m.body || '', 'latin1') : undefined,
  };
});

console.log(JSON.stringify(out));

//! Prints what simple-sip reads from one SIP message (a file, or stdin) as one JSON object, in
//! the field layout `interop/sip-parsers/compare.py` uses to diff it against third-party parsers.
//!
//! ```text
//! cargo run -q -p simple-sip --example sip_to_json -- message.sip
//! ```

use std::io::Read as _;

use simple_sip::headers::{CSeq, CallId, FromHeader, ToHeader, Via};
use simple_sip::{Header, Message};

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

fn main() {
    let mut bytes = Vec::new();
    let read = match std::env::args().nth(1) {
        Some(path) => std::fs::read(path).map(|b| bytes = b),
        None => std::io::stdin().read_to_end(&mut bytes).map(|_| ()),
    };
    if let Err(e) = read {
        println!("{{\"ok\":false,\"error\":{}}}", json_str(&e.to_string()));
        return;
    }
    let mut headers = [Header::EMPTY; 128];
    let msg = match Message::parse(&bytes, &mut headers) {
        Ok(m) => m,
        Err(e) => {
            println!("{{\"ok\":false,\"error\":{}}}", json_str(&e.to_string()));
            return;
        }
    };
    let mut fields: Vec<(&str, String)> = vec![("ok", "true".into())];
    fields.push(("method", opt(msg.method().map(|m| m.as_str()))));
    fields.push(("uri", opt(msg.request().map(|r| r.uri))));
    fields.push(("status", msg.status_code().map_or("null".into(), |c| c.to_string())));
    let typed_err =
        |e: simple_sip::ParseError| format!("{{\"error\":{}}}", json_str(&e.to_string()));
    fields.push((
        "call_id",
        match msg.typed::<CallId<'_>>() {
            Ok(v) => opt(v.map(|c| c.0)),
            Err(e) => typed_err(e),
        },
    ));
    match msg.typed::<CSeq<'_>>() {
        Ok(Some(c)) => {
            fields.push(("cseq_seq", c.seq.to_string()));
            fields.push(("cseq_method", json_str(c.method.as_str())));
        }
        Ok(None) => {}
        Err(e) => {
            fields.push(("cseq_seq", typed_err(e)));
            fields.push(("cseq_method", typed_err(e)));
        }
    }
    match msg.typed::<FromHeader<'_>>() {
        Ok(Some(f)) => {
            fields.push(("from_uri", json_str(&f.uri.to_string())));
            fields.push(("from_tag", opt(f.tag())));
        }
        Ok(None) => {}
        Err(e) => {
            fields.push(("from_uri", typed_err(e)));
            fields.push(("from_tag", typed_err(e)));
        }
    }
    match msg.typed::<ToHeader<'_>>() {
        Ok(Some(t)) => {
            fields.push(("to_uri", json_str(&t.uri.to_string())));
            fields.push(("to_tag", opt(t.tag())));
        }
        Ok(None) => {}
        Err(e) => {
            fields.push(("to_uri", typed_err(e)));
            fields.push(("to_tag", typed_err(e)));
        }
    }
    let vias: Vec<Result<Via<'_>, _>> = msg.typed_all::<Via<'_>>().collect();
    fields.push(("via_count", vias.len().to_string()));
    if let Some(first) = vias.first() {
        fields.push((
            "via_branch",
            match first {
                Ok(v) => opt(v.branch()),
                Err(e) => typed_err(*e),
            },
        ));
    }
    fields.push(("body_len", msg.body().len().to_string()));
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", json_str(k))).collect();
    println!("{{{}}}", body.join(","));
}

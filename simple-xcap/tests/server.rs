//! The server core against the RFC examples (RFC 4825 §13, RFC 4826, RFC 4827, RFC 5025),
//! and every error condition of RFC 4825 §11, one test each.

mod common;

use common::{delete, get, put, request, server, vector};
use simple_xcap::{
    Conflict, DocumentSelector, Kind, RESOURCE_LISTS_MIME, Usage, XCAP_EL_MIME, XCAP_ERROR_MIME,
};

const BILL: Option<&str> = Some("sip:bill@example.com");
const RL: &str = "/resource-lists/users/sip:bill@example.com/index";

fn conflict_of(r: &http::Response<bytes::Bytes>) -> Conflict {
    assert_eq!(r.status(), 409, "{:?}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.headers()["content-type"], XCAP_ERROR_MIME);
    Conflict::parse(r.body()).expect("an xcap-error document")
}

fn etag(r: &http::Response<bytes::Bytes>) -> String {
    r.headers()["etag"].to_str().expect("ASCII").to_owned()
}

/// RFC 4825 §13, step by step: the same requests and the documents the RFC shows.
#[test]
fn rfc4825_section13_walkthrough() {
    let mut s = server();
    let r = s.handle(&request("rfc4825/rfc4825-sec13-PUT.unfolded.http"), BILL);
    assert_eq!(r.status(), 201);
    assert!(r.headers().contains_key("etag"));
    let r = s.handle(&request("rfc4825/rfc4825-sec13-PUT-2.unfolded.http"), BILL);
    assert_eq!(r.status(), 201, "{:?}", String::from_utf8_lossy(r.body()));
    let r = s.handle(&request("rfc4825/rfc4825-sec13-PUT-3.unfolded.http"), BILL);
    assert_eq!(r.status(), 201, "{:?}", String::from_utf8_lossy(r.body()));
    let r = s.handle(&request("rfc4825/rfc4825-sec13-GET.unfolded.http"), BILL);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], RESOURCE_LISTS_MIME);
    let want = String::from_utf8(vector("rfc4825/rfc4825-sec13-200-OK.body-resource-lists.xml"))
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(String::from_utf8_lossy(r.body()).trim(), want.trim());
    let r = s.handle(&request("rfc4825/rfc4825-sec13-PUT-4.unfolded.http"), BILL);
    assert_eq!(r.status(), 201, "{:?}", String::from_utf8_lossy(r.body()));
    let r = s.handle(&request("rfc4825/rfc4825-sec13-DELETE.unfolded.http"), BILL);
    assert_eq!(r.status(), 200);
    let r = s.handle(&request("rfc4825/rfc4825-sec13-GET-2.unfolded.http"), BILL);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xcap-att+xml");
    assert_eq!(&r.body()[..], b"\"sip:nancy@example.com\"");
}

/// RFC 4825 §7.4 and §7.7: a PUT whose URI would not select what it put is refused.
#[test]
fn rfc4825_cannot_insert_examples() {
    let mut s = server();
    let doc = r#"<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">
 <service uri="sip:good-friends@example.com"><resource-list>http://xcap.example.com/x</resource-list></service>
</rls-services>"#;
    let r = s.handle(
        &put("/rls-services/users/sip:bill@example.com/index", "application/rls-services+xml", doc),
        BILL,
    );
    assert_eq!(r.status(), 201);
    let r = s.handle(&request("rfc4825/rfc4825-sec7.4-PUT.unfolded.http"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::CannotInsert(_)));
    let r = s.handle(&request("rfc4825/rfc4825-sec7.7-PUT.unfolded.http"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::CannotInsert(_)));
    // and nothing changed
    let r = s.handle(&get("/rls-services/users/sip:bill@example.com/index"), BILL);
    assert_eq!(String::from_utf8_lossy(r.body()), doc);
}

/// RFC 4825 §8.2.3: the insertion examples, with the documents they give.
#[test]
fn rfc4825_insertion_positions() {
    let base = "<?xml version=\"1.0\"?>\n<root>\n <el1 att=\"first\"/>\n <el1 att=\"second\"/>\n <!-- comment -->\n <el2 att=\"first\"/>\n</root>";
    let usage = Usage::unchecked("test-app", "application/test+xml", "");
    let cases = [
        (
            "root/el1%5b@att=%22third%22%5d",
            "<el1 att=\"third\"/>",
            "<el1 att=\"second\"/><el1 att=\"third\"/>\n <!-- comment -->",
        ),
        (
            "root/el1%5b3%5d%5b@att=%22third%22%5d",
            "<el1 att=\"third\"/>",
            "<el1 att=\"second\"/><el1 att=\"third\"/>\n <!-- comment -->",
        ),
        (
            "root/*%5b3%5d%5b@att=%22third%22%5d",
            "<el1 att=\"third\"/>",
            "<el1 att=\"second\"/><el1 att=\"third\"/>\n <!-- comment -->",
        ),
        ("root/el3", "<el3 att=\"first\"/>", "<el2 att=\"first\"/>\n<el3 att=\"first\"/></root>"),
        ("root/el2%5b@att=%222%22%5d", "<el2 att=\"2\"/>", "<el2 att=\"first\"/><el2 att=\"2\"/>"),
        (
            "root/el2%5b1%5d%5b@att=%222%22%5d",
            "<el2 att=\"2\"/>",
            "<!-- comment -->\n <el2 att=\"2\"/><el2 att=\"first\"/>",
        ),
        (
            "root/*%5b1%5d%5b@att=%222%22%5d",
            "<el2 att=\"2\"/>",
            "<root>\n <el2 att=\"2\"/><el1 att=\"first\"/>",
        ),
    ];
    for (sel, body, want) in cases {
        let mut cfg = simple_xcap::ServerConfig::new("http://xcap.example.com/");
        cfg.usages.push(usage.clone());
        let mut s = simple_xcap::XcapServer::new(cfg, simple_xcap::MemoryStorage::new(), 1);
        let doc = "/test-app/users/sip:bill@example.com/index";
        assert_eq!(s.handle(&put(doc, "application/test+xml", base), BILL).status(), 201);
        let r = s.handle(&put(&format!("{doc}/~~/{sel}"), XCAP_EL_MIME, body), BILL);
        assert_eq!(r.status(), 201, "{sel}: {:?}", String::from_utf8_lossy(r.body()));
        let got = String::from_utf8(s.handle(&get(doc), BILL).body().to_vec()).unwrap();
        assert!(got.contains(want), "{sel}:\n{got}");
    }
}

#[test]
fn every_schema_valid_example_validates_with_its_usage() {
    let cases = [
        (Usage::resource_lists(), "rfc4826/rfc4826-sec3.3-resource-lists.xml"),
        (Usage::resource_lists(), "rfc4825/rfc4825-sec13-200-OK.body-resource-lists.xml"),
        (Usage::resource_lists(), "rfc4825/rfc4825-sec13-PUT.unfolded.body-resource-lists.xml"),
        (Usage::rls_services(), "rfc4826/rfc4826-sec4.3-rls-services.xml"),
        (Usage::rls_services(), "rfc4826/rfc4826-sec4.4.8-rls-services-3.xml"),
        (Usage::rls_services(), "rfc4825/rfc4825-sec13-PUT-2.unfolded.body-rls-services.xml"),
        (Usage::pidf_manipulation(), "rfc4827/rfc4827-sec11-PUT.body-presence.xml"),
        (Usage::pres_rules(), "rfc5025/rfc5025-sec6-ruleset.xml"),
        (Usage::oma_pres_rules(), "rfc5025/rfc5025-sec6-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.1.2-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.1.3.1-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.1.3.2-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.1.3.3-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.3-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec7.4-ruleset.xml"),
        (Usage::pres_rules(), "rfc4745/rfc4745-sec12-ruleset.xml"),
    ];
    for (usage, name) in cases {
        let doc = simple_patch::Document::parse(&vector(name)).unwrap();
        usage.check_document(&doc).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

#[test]
fn the_rls_example_without_a_namespace_binding_is_not_well_formed() {
    let mut s = server();
    let body = String::from_utf8(vector("rfc4826/rfc4826-sec4.4.8-rls-services-2.xml")).unwrap();
    let r = s.handle(
        &put(
            "/rls-services/users/sip:bill@example.com/index",
            "application/rls-services+xml",
            &body,
        ),
        BILL,
    );
    assert!(matches!(conflict_of(&r), Conflict::NotWellFormed(_)));
}

/// RFC 4827 §11: a note put into a tuple of the presentity's PIDF document.
#[test]
fn rfc4827_pidf_manipulation() {
    let mut s = server();
    let who = Some("sip:someone@example.com");
    let doc = String::from_utf8(vector("rfc4827/rfc4827-sec11-PUT.body-presence.xml")).unwrap();
    let uri = "/pidf-manipulation/users/sip:someone@example.com/index";
    assert_eq!(s.handle(&put(uri, "application/pidf+xml", &doc), who).status(), 201);
    let mut req = request("rfc4827/rfc4827-sec11-PUT-2.unfolded.http");
    req.headers_mut().remove("if-match");
    let r = s.handle(&req, who);
    assert!(r.status() == 200 || r.status() == 201, "{:?}", String::from_utf8_lossy(r.body()));
    let body = s.handle(&get(uri), who).into_body();
    let p = simple_pidf::Presence::parse(&body).unwrap();
    assert!(p.tuple("x8eg92n").unwrap().notes.iter().any(|n| n.text.contains("Tuesdays")));
}

// ---- RFC 4825 §11 error conditions, one each -------------------------------------------

fn with_friends() -> simple_xcap::XcapServer {
    let mut s = server();
    let r = s.handle(&request("rfc4825/rfc4825-sec13-PUT.unfolded.http"), BILL);
    assert_eq!(r.status(), 201);
    s
}

#[test]
fn not_well_formed() {
    let mut s = server();
    let r =
        s.handle(&put(RL, RESOURCE_LISTS_MIME, "<resource-lists><list></resource-lists>"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::NotWellFormed(Some(_))));
}

#[test]
fn not_utf_8() {
    let mut s = server();
    let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>";
    let r = s.handle(&put(RL, RESOURCE_LISTS_MIME, body), BILL);
    assert!(matches!(conflict_of(&r), Conflict::NotUtf8(_)));
    let mut s = with_friends();
    let req = http::Request::put(format!("{RL}/~~/resource-lists/list/entry"))
        .header("Content-Type", XCAP_EL_MIME)
        .body(bytes::Bytes::from_static(b"<entry uri=\"sip:\xff@x\"/>"))
        .unwrap();
    assert!(matches!(conflict_of(&s.handle(&req, BILL)), Conflict::NotUtf8(_)));
}

#[test]
fn not_xml_frag() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/entry");
    for body in ["<entry uri='sip:a@x'/><entry uri='sip:b@x'/>", "just text", "<entry>"] {
        let r = s.handle(&put(&uri, XCAP_EL_MIME, body), BILL);
        assert!(matches!(conflict_of(&r), Conflict::NotXmlFrag(_)), "{body}");
    }
}

#[test]
fn not_xml_att_value() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/@name");
    for body in ["\"a<b\"", "a&b", "\"x\"y\""] {
        let r = s.handle(&put(&uri, "application/xcap-att+xml", body), BILL);
        assert!(matches!(conflict_of(&r), Conflict::NotXmlAttValue(_)), "{body}");
    }
}

#[test]
fn no_parent_names_the_closest_ancestor() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list%5b@name=%22enemies%22%5d/entry");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<entry uri=\"sip:x@example.com\"/>"), BILL);
    let Conflict::NoParent { ancestor: Some(a), .. } = conflict_of(&r) else { panic!() };
    assert_eq!(
        a,
        "http://xcap.example.com/resource-lists/users/sip:bill@example.com/index/~~/resource-lists"
    );
    // no document at all: the user's directory
    let uri = "/resource-lists/users/sip:bill@example.com/other/~~/resource-lists/list";
    let r = s.handle(&put(uri, XCAP_EL_MIME, "<list/>"), BILL);
    let Conflict::NoParent { ancestor: Some(a), .. } = conflict_of(&r) else { panic!() };
    assert_eq!(a, "http://xcap.example.com/resource-lists/users/sip:bill@example.com/");
}

#[test]
fn cannot_insert() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/entry%5b@uri=%22sip:a@x%22%5d");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<entry uri=\"sip:b@x\"/>"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::CannotInsert(_)));
}

#[test]
fn cannot_delete() {
    let mut s = with_friends();
    for e in ["a", "b"] {
        let uri = format!("{RL}/~~/resource-lists/list/entry%5b@uri=%22sip:{e}@x%22%5d");
        let r = s.handle(&put(&uri, XCAP_EL_MIME, &format!("<entry uri=\"sip:{e}@x\"/>")), BILL);
        assert_eq!(r.status(), 201);
    }
    // entry[1] after deleting entry[1] selects the other one
    let r = s.handle(&delete(&format!("{RL}/~~/resource-lists/list/entry%5b1%5d")), BILL);
    assert!(matches!(conflict_of(&r), Conflict::CannotDelete(_)));
}

#[test]
fn schema_validation_error() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/entry");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<entry/>"), BILL);
    let Conflict::SchemaValidation(Some(p)) = conflict_of(&r) else { panic!() };
    assert!(p.contains("missing attribute @uri"), "{p}");
    let r = s.handle(&put(RL, RESOURCE_LISTS_MIME, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><entry uri=\"sip:a@x\"/></resource-lists>"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::SchemaValidation(_)));
}

#[test]
fn uniqueness_failure_offers_an_alternative() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/entry%5b@uri=%22sip:a@x%22%5d");
    assert_eq!(s.handle(&put(&uri, XCAP_EL_MIME, "<entry uri=\"sip:a@x\"/>"), BILL).status(), 201);
    let uri = format!("{RL}/~~/resource-lists/list/entry%5b2%5d");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<entry uri=\"sip:a@x\"/>"), BILL);
    let c = conflict_of(&r);
    let Conflict::UniquenessFailure { exists, .. } = c else { panic!("{c:?}") };
    assert_eq!(exists[0].field, "resource-lists/list/entry/@uri");
    assert_eq!(exists[0].alt_values, ["sip:a-2@x"]);
}

#[test]
fn rls_service_uris_are_unique_across_users() {
    let mut s = server();
    let doc = |u: &str| {
        format!(
            "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"><service uri=\"{u}\"><resource-list>http://xcap.example.com/x</resource-list></service></rls-services>"
        )
    };
    let a = "/rls-services/users/sip:bill@example.com/index";
    let b = "/rls-services/users/sip:joe@example.com/index";
    assert_eq!(
        s.handle(&put(a, "application/rls-services+xml", &doc("sip:mybuddies@example.com")), BILL)
            .status(),
        201
    );
    let r = s.handle(
        &put(b, "application/rls-services+xml", &doc("sip:mybuddies@example.com")),
        Some("sip:joe@example.com"),
    );
    let Conflict::UniquenessFailure { exists, .. } = conflict_of(&r) else { panic!() };
    assert_eq!(exists[0].field, "rls-services/service/@uri");
    assert_eq!(exists[0].alt_values, ["sip:mybuddies-2@example.com"]);
}

#[test]
fn constraint_failure() {
    let mut s = with_friends();
    let uri = format!("{RL}/~~/resource-lists/list/external");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<external anchor=\"sip:not-http@x\"/>"), BILL);
    assert!(matches!(conflict_of(&r), Conflict::ConstraintFailure(Some(_))));
    let uri = format!("{RL}/~~/resource-lists/list/entry-ref");
    let r = s.handle(
        &put(&uri, XCAP_EL_MIME, "<entry-ref ref=\"http://absolute/not/relative\"/>"),
        BILL,
    );
    assert!(matches!(conflict_of(&r), Conflict::ConstraintFailure(Some(_))));
}

// ---- HTTP semantics ----------------------------------------------------------------------

#[test]
fn conditional_requests() {
    let mut s = with_friends();
    let e = etag(&s.handle(&get(RL), BILL));
    let mut r = get(RL);
    r.headers_mut().insert("if-none-match", e.parse().unwrap());
    assert_eq!(s.handle(&r, BILL).status(), 304);
    let mut r = put(
        &format!("{RL}/~~/resource-lists/list/@name"),
        "application/xcap-att+xml",
        "\"buddies\"",
    );
    r.headers_mut().insert("if-match", "\"stale\"".parse().unwrap());
    assert_eq!(s.handle(&r, BILL).status(), 412);
    r.headers_mut().insert("if-match", e.parse().unwrap());
    let ok = s.handle(&r, BILL);
    assert_eq!(ok.status(), 200);
    assert_ne!(etag(&ok), e, "a change gives a new entity tag");
    // If-None-Match: * on an element always fails (RFC 4825 §8.2.6)
    let mut r =
        put(&format!("{RL}/~~/resource-lists/list/entry"), XCAP_EL_MIME, "<entry uri='sip:z@x'/>");
    r.headers_mut().insert("if-none-match", "*".parse().unwrap());
    assert_eq!(s.handle(&r, BILL).status(), 412);
    let mut r = delete(RL);
    r.headers_mut().insert("if-match", e.parse().unwrap());
    assert_eq!(s.handle(&r, BILL).status(), 412);
}

#[test]
fn methods_media_types_and_authorization() {
    let mut s = with_friends();
    let post = http::Request::post(RL).body(bytes::Bytes::new()).unwrap();
    let r = s.handle(&post, BILL);
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, PUT, DELETE");
    let ns = format!("{RL}/~~/resource-lists/list/namespace::*");
    let r = s.handle(&put(&ns, XCAP_EL_MIME, "<x/>"), BILL);
    assert_eq!((r.status().as_u16(), r.headers()["allow"].to_str().unwrap()), (405, "GET"));
    let r = s.handle(&get(&ns), BILL);
    assert_eq!(r.headers()["content-type"], "application/xcap-ns+xml");
    assert_eq!(&r.body()[..], b"<list xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>");
    assert_eq!(s.handle(&put(RL, "text/plain", "<x/>"), BILL).status(), 415);
    assert_eq!(
        s.handle(
            &put(
                &format!("{RL}/~~/resource-lists/list/entry"),
                RESOURCE_LISTS_MIME,
                "<entry uri='sip:a@x'/>"
            ),
            BILL
        )
        .status(),
        415
    );
    assert_eq!(s.handle(&get(RL), None).status(), 401);
    assert_eq!(s.handle(&get(RL), Some("sip:eve@example.com")).status(), 403);
    assert_eq!(
        s.handle(&get("/unknown-auid/users/sip:bill@example.com/index"), BILL).status(),
        404
    );
    assert_eq!(s.handle(&get(&format!("{RL}/~~/resource-lists/p:list")), BILL).status(), 400);
    assert_eq!(s.handle(&get(&format!("{RL}/~~/resource-lists/nothing")), BILL).status(), 404);
    // the global tree is read-only
    assert_eq!(
        s.handle(&put("/resource-lists/global/index", RESOURCE_LISTS_MIME, "<x/>"), BILL).status(),
        403
    );
}

#[test]
fn xcap_caps_lists_the_usages() {
    let mut s = server();
    let r = s.handle(&get("/xcap-caps/global/index"), None);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xcap-caps+xml");
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    for auid in Usage::all().iter().map(|u| u.auid.clone()) {
        assert!(body.contains(&format!("<auid>{auid}</auid>")), "{body}");
    }
    assert!(body.contains("<namespace>urn:ietf:params:xml:ns:xcap-caps</namespace>"));
    assert_eq!(
        s.handle(&put("/xcap-caps/global/index", "application/xcap-caps+xml", &body), BILL)
            .status(),
        403
    );
    assert!(Usage::all().iter().any(|u| u.kind == Kind::OmaPresRules));
}

#[test]
fn a_change_is_reported_with_its_patch() {
    let mut s = with_friends();
    let first = s.poll_change().unwrap();
    assert_eq!(
        first.document,
        DocumentSelector::user("resource-lists", "sip:bill@example.com", "index")
    );
    assert!(first.previous_etag.is_none() && first.patch.is_none());
    let uri = format!("{RL}/~~/resource-lists/list/entry%5b@uri=%22sip:a@x%22%5d");
    let r = s.handle(&put(&uri, XCAP_EL_MIME, "<entry uri=\"sip:a@x\"/>"), BILL);
    let c = s.poll_change().unwrap();
    assert_eq!(c.previous_etag, first.new_etag);
    assert_eq!(c.new_etag.as_deref(), Some(etag(&r).trim_matches('"')));
    let patch = c.patch.unwrap();
    assert_eq!(
        patch,
        "<d:add sel=\"*[1]/*[1]/text()[1]\" pos=\"after\"><entry uri=\"sip:a@x\"/></d:add>"
    );
    let node = c.node.unwrap();
    assert_eq!(node.selector, "resource-lists/list/entry[@uri=\"sip:a@x\"]");
    assert!(node.content.unwrap().contains("urn:ietf:params:xml:ns:resource-lists"));
}

/// What the server writes is schema-valid: xcap-error for every condition, xcap-caps.
#[test]
fn written_documents_validate_with_xmllint() {
    if !common::xmllint() {
        return;
    }
    let conflicts = [
        Conflict::NotWellFormed(Some("x".into())),
        Conflict::NotUtf8(None),
        Conflict::NotXmlFrag(None),
        Conflict::NotXmlAttValue(None),
        Conflict::NoParent { ancestor: Some("http://x/y".into()), phrase: None },
        Conflict::CannotInsert(None),
        Conflict::CannotDelete(None),
        Conflict::SchemaValidation(Some("/a: b".into())),
        Conflict::UniquenessFailure {
            exists: vec![simple_xcap::Exists {
                field: "a/@b".into(),
                alt_values: vec!["c".into()],
            }],
            phrase: None,
        },
        Conflict::ConstraintFailure(None),
    ];
    let mut docs: Vec<(String, Vec<u8>)> =
        conflicts.iter().map(|c| (c.element_name().to_owned(), c.to_vec())).collect();
    docs.push(("xcap-caps".into(), simple_xcap::caps_document(&Usage::all()).to_vec()));
    for c in &conflicts {
        assert_eq!(&Conflict::parse(&c.to_vec()).unwrap(), c);
    }
    let failures = common::validate(&docs);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

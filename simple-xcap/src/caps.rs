//! The XCAP server capabilities document (RFC 4825 §12), `xcap-caps/global/index`.

use simple_patch::{Document, QName};

use crate::schema::XCAP_CAPS_NS;
use crate::usage::Usage;

/// The `<xcap-caps>` document listing `usages` (xcap-caps itself always) and the namespaces
/// they validate.
pub fn document(usages: &[Usage]) -> Document {
    let mut doc = Document::with_root(QName::new("xcap-caps"));
    doc.declaration = Some(r#" version="1.0" encoding="UTF-8""#.to_owned());
    let root = doc.root_element().expect("with_root made the root");
    doc.set_attribute(root, QName::new("xmlns"), XCAP_CAPS_NS);
    let mut auids: Vec<&str> = vec!["xcap-caps"];
    let mut namespaces: Vec<&str> = vec![XCAP_CAPS_NS];
    for u in usages {
        if !auids.contains(&u.auid.as_str()) {
            auids.push(&u.auid);
        }
        for ns in u.namespaces() {
            if !namespaces.contains(ns) {
                namespaces.push(ns);
            }
        }
    }
    let mut list = |name: &str, item: &str, values: &[&str]| {
        let parent = doc.create_element(QName::new(name));
        for v in values {
            let e = doc.create_element(QName::new(item));
            let t = doc.create_text(*v);
            doc.append_child(e, t);
            doc.append_child(parent, e);
        }
        doc.append_child(root, parent);
    };
    list("auids", "auid", &auids);
    list("extensions", "extension", &[]);
    list("namespaces", "namespace", &namespaces);
    doc
}

/// A stable entity tag for a generated document: a hash of its bytes.
pub fn etag(doc: &Document) -> String {
    // FNV-1a: the document is the server's own, so any stable hash will do
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in doc.to_vec() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("caps-{h:016x}")
}

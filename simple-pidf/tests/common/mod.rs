//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::path::{Path, PathBuf};
use std::process::Command;

use simple_patch::{Document, NodeKind};

pub(crate) fn vector(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(rel)).unwrap()
}

/// The document with white-space-only text removed and other text trimmed: what a presence
/// document means, independent of indentation.
pub(crate) fn normalized(xml: &[u8]) -> Document {
    let mut doc = Document::parse(xml).unwrap();
    let nodes: Vec<_> = doc.descendants(Document::ROOT).collect();
    for n in nodes {
        let trimmed = match doc.kind(n) {
            NodeKind::Text(t) => Some(t.trim().to_owned()),
            NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => Some(String::new()),
            NodeKind::Element(_) | NodeKind::Document => None,
        };
        match trimmed {
            Some(t) if t.is_empty() => doc.remove(n),
            Some(t) => *doc.kind_mut(n) = NodeKind::Text(t.into()),
            None => {}
        }
    }
    doc
}

/// Whether xmllint is here; CI sets `SIMPLE_RS_REQUIRE_XMLLINT` so that it must be.
pub(crate) fn xmllint() -> bool {
    let found = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SIMPLE_RS_REQUIRE_XMLLINT").is_none(),
            "xmllint is required (apt-get install libxml2-utils)"
        );
        eprintln!("xmllint not found: schema validation skipped");
    }
    found
}

/// Validates each document against the presence schemas; returns xmllint's complaints for
/// the ones that fail.
pub(crate) fn validate(docs: &[(String, Vec<u8>)]) -> Vec<String> {
    validate_with("pidf-all.xsd", docs)
}

/// Validates each document against `schema` (a file of `tests/vectors/xsd`).
pub(crate) fn validate_with(schema: &str, docs: &[(String, Vec<u8>)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "simple-pidf-xsd-{}-{}",
        std::process::id(),
        schema.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let schema: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/xsd").join(schema);
    let mut failures = Vec::new();
    for (i, (name, xml)) in docs.iter().enumerate() {
        let f = dir.join(format!("{i}.xml"));
        std::fs::write(&f, xml).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(&schema)
            .arg(&f)
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{name}: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(xml)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

/// Proptest strategies for schema-valid presence documents.
pub(crate) mod strategy {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::subsequence;
    use simple_pidf::caps::{DevCaps, Priorities, PriorityRange, ServCaps, Support};
    use simple_pidf::rpid::{
        ActiveIdle, Activity, Meta, MoodValue, PlaceAudio, PlaceIs, PlaceText, PlaceTypeValue,
        PlaceVideo, PrivacyValue, RelationshipValue, ServiceClassValue, SphereValue, StatusIcon,
        TimeOffset, UserInput, Values,
    };
    use simple_pidf::timed::TimedStatus;
    use simple_pidf::{
        Basic, Component, Contact, DateTime, Device, Extension, Note, OtherAttribute, Person,
        Presence, QValue, Raw, Status, Tuple,
    };

    pub(crate) fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 .,!?'\"<>&;-]{0,24}",
            "[ \\t\\n]{0,2}[a-z]{1,6}[ \\t\\n]{0,2}",
            Just("Pe'lda szolga'ltata's \u{e9}\u{4e2d}\u{1F600}".to_owned()),
        ]
    }

    pub(crate) fn uri() -> impl Strategy<Value = String> {
        prop_oneof![
            "(sip|im|pres|mailto):[a-z]{1,8}@example\\.(com|net)",
            "tel:\\+[0-9]{6,12}",
            "http://example\\.com/[a-z~/]{0,12}",
            "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}",
        ]
    }

    pub(crate) fn datetime() -> impl Strategy<Value = DateTime> {
        prop_oneof![
            (0i64..4_102_444_800, prop_oneof![Just(0u32), 0u32..1_000_000_000])
                .prop_map(|(s, n)| DateTime::from_unix(s, n)),
            Just(DateTime::parse("2005-05-30T16:09:44+05:00").unwrap()),
            Just(DateTime::parse("2004-10-21T13:20:00.000-05:00").unwrap()),
        ]
    }

    pub(crate) fn note() -> impl Strategy<Value = Note> {
        (text(), proptest::option::of(prop_oneof![Just("en"), Just("fr"), Just("de-CH")]))
            .prop_map(|(text, lang)| Note { text, lang: lang.map(str::to_owned) })
    }

    pub(crate) fn raw() -> impl Strategy<Value = Raw> {
        prop_oneof![
            "[a-z]{1,8}".prop_map(|t| Raw::parse(
                format!("<x:pet xmlns:x=\"urn:example:pets\" kind=\"{t}\">{t}</x:pet>").as_bytes()
            )
            .unwrap()),
            Just(Raw::parse(b"<lt:residence xmlns:lt=\"urn:ietf:params:xml:ns:location-type\"/>").unwrap()),
            Just(
                Raw::parse(
                    b"<e:deep xmlns:e=\"urn:example:e\"><e:a> x </e:a><!-- c --><e:b e:attr='1'/></e:deep>"
                )
                .unwrap()
            ),
        ]
    }

    fn other_attributes() -> impl Strategy<Value = Vec<OtherAttribute>> {
        vec(
            ("[a-z]{1,6}", "[a-z0-9 ]{0,6}").prop_map(|(local, value)| OtherAttribute {
                namespace: Some("urn:example:attrs".to_owned()),
                prefix: Some("ea".to_owned()),
                local,
                value,
            }),
            0..2,
        )
        .prop_map(|mut v| {
            v.dedup_by(|a, b| a.local == b.local);
            v
        })
    }

    fn meta() -> impl Strategy<Value = Meta> {
        (proptest::option::of(datetime()), proptest::option::of(datetime()), other_attributes())
            .prop_map(|(from, until, attributes)| Meta { id: None, from, until, attributes })
    }

    fn activity() -> impl Strategy<Value = Activity> {
        prop_oneof![
            Just(Activity::Appointment),
            Just(Activity::OnThePhone),
            Just(Activity::InTransit),
            Just(Activity::Worship),
            Just(Activity::LookingForWork),
            note().prop_map(Activity::Other),
            raw().prop_map(Activity::Ext),
        ]
    }

    fn mood() -> impl Strategy<Value = MoodValue> {
        prop_oneof![
            Just(MoodValue::Happy),
            Just(MoodValue::InAwe),
            Just(MoodValue::Sleepy),
            note().prop_map(MoodValue::Other),
            raw().prop_map(MoodValue::Ext),
        ]
    }

    fn rpid() -> impl Strategy<Value = Extension> {
        prop_oneof![
            (
                meta(),
                vec(note(), 0..2),
                prop_oneof![Just(vec![Activity::Unknown]), vec(activity(), 1..4)]
            )
                .prop_map(|(meta, notes, values)| Extension::Activities(Values {
                    meta,
                    notes,
                    values
                })),
            (
                meta(),
                vec(note(), 0..2),
                prop_oneof![Just(vec![MoodValue::Unknown]), vec(mood(), 1..4)]
            )
                .prop_map(|(meta, notes, values)| Extension::Mood(Values {
                    meta,
                    notes,
                    values
                })),
            (
                meta(),
                vec(note(), 0..2),
                proptest::option::of(prop_oneof![Just(PlaceAudio::Noisy), Just(PlaceAudio::Quiet)]),
                proptest::option::of(prop_oneof![
                    Just(PlaceVideo::TooBright),
                    Just(PlaceVideo::Ok)
                ]),
                proptest::option::of(prop_oneof![
                    Just(PlaceText::Inappropriate),
                    Just(PlaceText::Unknown)
                ]),
            )
                .prop_map(|(meta, notes, audio, video, text)| Extension::PlaceIs(
                    PlaceIs { meta, notes, audio, video, text }
                )),
            (
                meta(),
                vec(note(), 0..2),
                prop_oneof![
                    note().prop_map(|n| vec![PlaceTypeValue::Other(n)]),
                    vec(raw().prop_map(PlaceTypeValue::Ext), 1..3)
                ]
            )
                .prop_map(|(meta, notes, values)| Extension::PlaceType(Values {
                    meta,
                    notes,
                    values
                })),
            (
                meta(),
                vec(note(), 0..2),
                prop_oneof![
                    Just(vec![PrivacyValue::Unknown]),
                    (
                        subsequence(
                            vec![PrivacyValue::Audio, PrivacyValue::Text, PrivacyValue::Video],
                            0..=3
                        ),
                        vec(raw().prop_map(PrivacyValue::Ext), 0..2)
                    )
                        .prop_map(|(mut a, b)| {
                            a.extend(b);
                            a
                        })
                ]
            )
                .prop_map(|(meta, notes, values)| Extension::Privacy(Values {
                    meta,
                    notes,
                    values
                })),
            (
                vec(note(), 0..2),
                prop_oneof![
                    Just(RelationshipValue::SelfContact),
                    Just(RelationshipValue::Assistant),
                    note().prop_map(RelationshipValue::Other),
                    raw().prop_map(RelationshipValue::Ext),
                ]
            )
                .prop_map(|(notes, v)| Extension::Relationship(Values {
                    meta: Meta::default(),
                    notes,
                    values: vec![v]
                })),
            (
                vec(note(), 0..2),
                prop_oneof![Just(ServiceClassValue::Electronic), Just(ServiceClassValue::InPerson)]
            )
                .prop_map(|(notes, v)| Extension::ServiceClass(Values {
                    meta: Meta::default(),
                    notes,
                    values: vec![v]
                })),
            (
                meta(),
                prop_oneof![
                    Just(vec![]),
                    Just(vec![SphereValue::Work]),
                    vec(raw().prop_map(SphereValue::Ext), 1..3)
                ]
            )
                .prop_map(|(meta, values)| Extension::Sphere(Values {
                    meta,
                    notes: vec![],
                    values
                })),
            (meta(), uri()).prop_map(|(meta, uri)| Extension::StatusIcon(StatusIcon { meta, uri })),
            (meta(), proptest::option::of(text()), -1440i64..1440).prop_map(
                |(meta, description, minutes)| Extension::TimeOffset(TimeOffset {
                    meta,
                    description,
                    minutes
                })
            ),
            (
                proptest::option::of(1u64..100_000),
                proptest::option::of(datetime()),
                other_attributes(),
                prop_oneof![Just(ActiveIdle::Active), Just(ActiveIdle::Idle)]
            )
                .prop_map(|(idle_threshold, last_input, attributes, value)| {
                    Extension::UserInput(UserInput {
                        id: None,
                        idle_threshold,
                        last_input,
                        attributes,
                        value,
                    })
                }),
            "[a-z]{1,8}".prop_map(Extension::Class),
        ]
    }

    fn cipid() -> impl Strategy<Value = Extension> {
        prop_oneof![
            uri().prop_map(Extension::Card),
            text().prop_map(Extension::DisplayName),
            uri().prop_map(Extension::Homepage),
            uri().prop_map(Extension::Icon),
            uri().prop_map(Extension::Map),
            uri().prop_map(Extension::Sound),
        ]
    }

    fn support(names: &'static [&'static str]) -> impl Strategy<Value = Option<Support>> {
        proptest::option::of(
            (
                proptest::option::of(subsequence(names, 0..=names.len())),
                proptest::option::of(subsequence(names, 0..=names.len())),
            )
                .prop_map(|(s, n)| Support {
                    supported: s.map(|v| v.into_iter().map(str::to_owned).collect()),
                    not_supported: n.map(|v| v.into_iter().map(str::to_owned).collect()),
                }),
        )
    }

    fn values_support() -> impl Strategy<Value = Option<Support>> {
        proptest::option::of(
            (
                proptest::option::of(vec("[a-z]{1,5}", 1..3)),
                proptest::option::of(vec("[a-z]{1,5}", 1..3)),
            )
                .prop_map(|(supported, not_supported)| Support { supported, not_supported }),
        )
    }

    fn priority() -> impl Strategy<Value = Option<Priorities>> {
        let range = prop_oneof![
            (-10i64..10).prop_map(PriorityRange::LowerThan),
            (-10i64..10).prop_map(|m| PriorityRange::HigherThan { min: m, schema_spelling: true }),
            (-10i64..10).prop_map(PriorityRange::Equals),
            (-10i64..10, 0i64..10).prop_map(|(a, b)| PriorityRange::Range { min: a, max: a + b }),
        ];
        // The schema's sequence: equals*, higherhan*, lowerthan*, range*.
        let rank = |r: &PriorityRange| match r {
            PriorityRange::Equals(_) => 0,
            PriorityRange::HigherThan { .. } => 1,
            PriorityRange::LowerThan(_) => 2,
            PriorityRange::Range { .. } => 3,
        };
        let list = move || {
            vec(range.clone(), 1..3).prop_map(move |mut v| {
                v.sort_by_key(rank);
                v
            })
        };
        proptest::option::of(
            (proptest::option::of(list()), proptest::option::of(list()))
                .prop_map(|(supported, not_supported)| Priorities { supported, not_supported }),
        )
    }

    fn servcaps() -> impl Strategy<Value = Extension> {
        let b = || proptest::option::of(any::<bool>());
        (
            (
                support(&["attendant", "information", "msg-taker", "principal"]),
                b(),
                b(),
                b(),
                support(&["business", "personal"]),
                b(),
                b(),
                vec(note(), 0..2),
            ),
            (
                support(&["full", "half", "receive-only", "send-only"]),
                support(&["conference", "dialog", "presence", "reg", "winfo"]),
                support(&["rel100", "gruu", "pref", "timer"]),
                b(),
                b(),
                support(&["ACK", "BYE", "INVITE", "MESSAGE", "OPTIONS", "SUBSCRIBE"]),
            ),
            (
                values_support(),
                priority(),
                values_support(),
                b(),
                vec("[a-z]{1,5}/[a-z]{1,5}", 0..2),
                b(),
                vec(raw(), 0..2),
            ),
        )
            .prop_map(
                |(
                    (actor, application, audio, automata, class, control, data, descriptions),
                    (duplex, event_packages, extensions, is_focus, message, methods),
                    (languages, priority, schemes, text, types, video, other),
                )| {
                    Extension::ServCaps(Box::new(ServCaps {
                        actor,
                        application,
                        audio,
                        automata,
                        class,
                        control,
                        data,
                        descriptions,
                        duplex,
                        event_packages,
                        extensions,
                        is_focus,
                        message,
                        methods,
                        languages,
                        priority,
                        schemes,
                        text,
                        types,
                        video,
                        other,
                        attributes: vec![],
                    }))
                },
            )
    }

    fn devcaps() -> impl Strategy<Value = Extension> {
        (vec(note(), 0..2), support(&["fixed", "mobile"]), vec(raw(), 0..2)).prop_map(
            |(descriptions, mobility, other)| {
                Extension::DevCaps(Box::new(DevCaps {
                    descriptions,
                    mobility,
                    other,
                    attributes: vec![],
                }))
            },
        )
    }

    fn timed() -> impl Strategy<Value = Extension> {
        (
            datetime(),
            proptest::option::of(datetime()),
            proptest::option::of(prop_oneof![Just(Basic::Open), Just(Basic::Closed)]),
            proptest::option::of(note()),
            vec(raw().prop_map(Extension::Raw), 0..2),
        )
            .prop_map(|(from, until, basic, note, extensions)| {
                Extension::TimedStatus(TimedStatus { from, until, basic, note, extensions })
            })
    }

    fn tuple() -> impl Strategy<Value = Tuple> {
        (
            proptest::option::of(prop_oneof![Just(Basic::Open), Just(Basic::Closed)]),
            vec(raw().prop_map(Extension::Raw), 0..2),
            vec(
                prop_oneof![
                    uri().prop_map(Extension::DeviceId),
                    rpid(),
                    cipid(),
                    servcaps(),
                    timed(),
                    raw().prop_map(Extension::Raw)
                ],
                0..4,
            ),
            proptest::option::of(
                (uri(), proptest::option::of(0u16..=1000)).prop_map(|(uri, q)| Contact {
                    uri,
                    priority: q.map(QValue::from_thousandths),
                }),
            ),
            vec(note(), 0..2),
            proptest::option::of(datetime()),
            other_attributes(),
        )
            .prop_map(|(basic, sx, extensions, contact, notes, timestamp, _)| Tuple {
                id: String::new(),
                status: Status { basic, extensions: sx },
                extensions,
                contact,
                notes,
                timestamp,
                attributes: vec![],
            })
    }

    fn person() -> impl Strategy<Value = Person> {
        (
            vec(prop_oneof![rpid(), cipid(), raw().prop_map(Extension::Raw)], 0..5),
            vec(note(), 0..2),
            proptest::option::of(datetime()),
            other_attributes(),
        )
            .prop_map(|(extensions, notes, timestamp, _)| Person {
                id: String::new(),
                extensions,
                notes,
                timestamp,
                attributes: vec![],
            })
    }

    fn device() -> impl Strategy<Value = Device> {
        (
            vec(prop_oneof![rpid(), devcaps(), raw().prop_map(Extension::Raw)], 0..3),
            uri(),
            vec(note(), 0..2),
            proptest::option::of(datetime()),
        )
            .prop_map(|(extensions, device_id, notes, timestamp)| Device {
                id: String::new(),
                extensions,
                device_id,
                notes,
                timestamp,
                attributes: vec![],
            })
    }

    /// A schema-valid presence document with unique ids.
    pub(crate) fn presence() -> impl Strategy<Value = Presence> {
        (
            uri(),
            vec(tuple(), 0..4),
            vec(note(), 0..2),
            vec(
                prop_oneof![
                    person().prop_map(Component::Person),
                    device().prop_map(Component::Device),
                    raw().prop_map(|r| Component::Other(Extension::Raw(r))),
                ],
                0..4,
            ),
        )
            .prop_map(|(entity, tuples, notes, components)| {
                let mut p = Presence { entity, tuples, notes, components, attributes: vec![] };
                assign_ids(&mut p);
                p
            })
    }

    /// A document with attributes the schema does not allow on tuples and persons (which the
    /// model keeps all the same).
    pub(crate) fn presence_with_attributes() -> impl Strategy<Value = Presence> {
        (presence(), other_attributes(), other_attributes(), other_attributes()).prop_map(
            |(mut p, a, b, c)| {
                p.attributes = a;
                if let Some(t) = p.tuples.first_mut() {
                    t.attributes = b;
                }
                for comp in &mut p.components {
                    if let Component::Person(x) = comp {
                        x.attributes.clone_from(&c);
                    }
                }
                p
            },
        )
    }

    /// Gives every tuple, person, device and RPID element a unique id.
    pub(crate) fn assign_ids(p: &mut Presence) {
        let mut n = 0;
        let mut next = |prefix: &str| {
            n += 1;
            format!("{prefix}{n}")
        };
        let ext_ids = |exts: &mut Vec<Extension>, next: &mut dyn FnMut(&str) -> String| {
            for e in exts {
                match e {
                    Extension::Activities(v) => v.meta.id = Some(next("a")),
                    Extension::Mood(v) => v.meta.id = Some(next("m")),
                    Extension::PlaceIs(v) => v.meta.id = Some(next("pi")),
                    Extension::StatusIcon(v) => v.meta.id = Some(next("si")),
                    Extension::UserInput(v) => v.id = Some(next("ui")),
                    _ => {}
                }
            }
        };
        for t in &mut p.tuples {
            t.id = next("t");
            ext_ids(&mut t.extensions, &mut next);
        }
        for c in &mut p.components {
            match c {
                Component::Person(x) => {
                    x.id = next("p");
                    ext_ids(&mut x.extensions, &mut next);
                }
                Component::Device(x) => {
                    x.id = next("d");
                    ext_ids(&mut x.extensions, &mut next);
                }
                Component::Other(_) => {}
            }
        }
    }
}

/// Feeds a body to the view and returns the one event it produces.
pub(crate) fn take(view: &mut simple_pidf::PresenceView, body: &[u8]) -> simple_pidf::Update {
    view.handle_body(body).unwrap();
    let update = view.poll_event().expect("one event per body");
    assert_eq!(view.poll_event(), None, "one event per body");
    update
}

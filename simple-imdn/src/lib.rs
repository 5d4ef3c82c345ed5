//! Sans-IO instant-message wrappers for SIMPLE: message/cpim (RFC 3862), instant message
//! disposition notifications (RFC 5438) and is-composing (RFC 3994).
//!
//! - [`cpim`]: the borrowed [`Cpim`] reader (namespaced headers, escapes, the encapsulated
//!   MIME content, byte offsets in every error) and the owned [`CpimMessage`], which builds
//!   and writes messages.
//! - [`imdn`]: what an IM asks for ([`Requested`], [`ImdnHeaders`](imdn::ImdnHeaders)), the
//!   `message/imdn+xml` document ([`Imdn`]), aggregates.
//! - [`tracker`]: the sender's bookkeeping, one [`Outcome`](tracker::Outcome) per
//!   expected notification.
//! - [`recipient`]: the rules for answering ([`Pending`], [`Policy`]) and the
//!   intermediary's IMDN routing.
//! - [`aggregate`]: a URI-list server's aggregation of notifications.
//! - [`iscomposing`]: the document and both sides' timers.
//!
//! No I/O, no clock: the machines take `now` and say when they want it next. The flow of
//! one IM that asks for a delivery notification, from sender to recipient and back:
//!
//! ```
//! use std::time::Instant;
//! use simple_imdn::{Cpim, CpimMessage, Pending, Policy, Role, Tracker};
//! use simple_imdn::imdn::{self, Disposition, Requested, Status};
//! use simple_imdn::tracker::{Outcome, TrackerConfig, TrackerEvent};
//!
//! let now = Instant::now();
//! // the sender wraps its text and asks for delivery and display notifications
//! let asked = Requested::POSITIVE_DELIVERY.with(Requested::NEGATIVE_DELIVERY).with(Requested::DISPLAY);
//! let im = CpimMessage::new()
//!     .address("From", Some("Alice"), "sip:alice@example.com")
//!     .address("To", None, "sip:bob@example.com")
//!     .header("DateTime", "2026-12-03T10:00:00Z")
//!     .namespace(Some("imdn"), imdn::IMDN_NS)
//!     .header("imdn.Message-ID", "34jk324j")
//!     .header("imdn.Disposition-Notification", &asked.to_value())
//!     .content("text/plain; charset=utf-8", b"Hello World")
//!     .to_vec();
//! let mut sender = Tracker::new(TrackerConfig::default());
//! sender.track("34jk324j", &["sip:bob@example.com"], asked, now);
//!
//! // the recipient reads it (a SIP MESSAGE body of type message/cpim) and answers
//! let got = Cpim::parse(&im).unwrap();
//! assert_eq!(got.content(), b"Hello World");
//! let mut pending = Pending::from_im(&got, Role::Recipient).unwrap().unwrap();
//! let report = pending.answer(Disposition::Delivery, Status::Delivered, &Policy::default()).unwrap();
//! let notification = pending.message(&report, "sip:bob@example.com", "d834jied93rf").to_vec();
//!
//! // the sender reads the notification and ends that expectation
//! let n = Cpim::parse(&notification).unwrap();
//! for imdn in imdn::notifications(&n).unwrap() {
//!     sender.handle_notification(&imdn, now);
//! }
//! assert_eq!(sender.poll_event(), Some(TrackerEvent::Outcome {
//!     message_id: "34jk324j".into(),
//!     recipient: "sip:bob@example.com".into(),
//!     disposition: Disposition::Delivery,
//!     outcome: Outcome::Reported(Status::Delivered),
//! }));
//! assert_eq!(sender.open(), 1, "display is still expected");
//! ```
//!
//! Parsing never panics and is bounded ([`ParseConfig`] for CPIM, simple-patch's limits for
//! the XML documents); machines hold state per IM or peer only while it is live.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod aggregate;
pub mod cpim;
mod error;
pub mod imdn;
pub mod iscomposing;
pub mod recipient;
pub mod tracker;

pub use cpim::{Cpim, CpimMessage, ParseConfig};
pub use error::{Category, Error, ErrorKind, Position};
pub use imdn::{Imdn, Requested};
pub use iscomposing::IsComposing;
pub use recipient::{Pending, Policy, Role};
pub use tracker::Tracker;

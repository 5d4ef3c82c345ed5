//! serde for the values kept as text: dateTimes and qvalues as written, elements kept
//! verbatim as their XML.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::datetime::DateTime;
use crate::model::{QValue, Raw};

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| D::Error::custom(format!("not an xs:dateTime: {s:?}")))
    }
}

impl Serialize for QValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for QValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| D::Error::custom(format!("not a qvalue: {s:?}")))
    }
}

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.document().node_to_string(self.element()))
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(s.as_bytes()).map_err(D::Error::custom)
    }
}

use crate::partial::{PartialNotifier, PresenceView};

/// What a [`PresenceView`] or a [`PartialNotifier`] keeps: a document as its XML text and the
/// version counter.
#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    document: Option<String>,
    version: Option<u32>,
}

impl Serialize for PresenceView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Snapshot { document: self.document().map(ToString::to_string), version: self.version() }
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PresenceView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let snap = Snapshot::deserialize(d)?;
        Self::restore(snap.document.as_deref().map(str::as_bytes), snap.version)
            .map_err(D::Error::custom)
    }
}

impl Serialize for PartialNotifier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Snapshot {
            document: self.last_sent().map(ToString::to_string),
            version: Some(self.version()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PartialNotifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let snap = Snapshot::deserialize(d)?;
        Self::restore(snap.document.as_deref().map(str::as_bytes), snap.version.unwrap_or(0))
            .map_err(D::Error::custom)
    }
}

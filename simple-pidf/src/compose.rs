//! Composition (filled below).

use crate::model::Presence;

/// Composes.
pub fn compose(entity: &str, _sources: &[&Presence]) -> Presence {
    Presence::new(entity)
}

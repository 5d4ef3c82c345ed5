//! Who opens the connection, and to where.
//!
//! - **RFC 6135** (the alternative connection model): `a=setup` in offers and answers decides
//!   which endpoint connects ([`Setup`], [`answer_setup`], [`offerer_role`]). An offer says
//!   `actpass` when its path address is reachable, else `active`, never `passive`; `holdconn`
//!   is read as no attribute. `a=connection` is parsed ([`ConnectionAttr`]) but, as §4.4
//!   requires, never written and ignored: MSRP's own rules decide connection reuse. An
//!   endpoint behind a relay always connects to its relay, whatever its role (§4.5); its role
//!   only says whether it sends the first SEND.
//! - **RFC 6714** (CEMA): with `a=msrp-cema` on both sides, an active endpoint connects to the
//!   SDP c/m-line address (a middlebox that rewrote it anchors the media) instead of the
//!   `a=path` URI; [`cema_answer`] and [`cema_offerer_check`] apply §4.2–§4.3, and
//!   [`connect_target`] says where to connect.

use crate::error::{Error, ErrorKind};
use crate::sdp::MsrpMedia;
use crate::uri::MsrpUri;

/// `a=setup` (RFC 4145 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// The endpoint connects.
    Active,
    /// The endpoint accepts the connection.
    Passive,
    /// Either (offers only).
    Actpass,
    /// Not now (MSRP endpoints ignore it, RFC 6135 §4.2.1).
    Holdconn,
}

impl Setup {
    /// Reads the value.
    pub fn parse(v: &str) -> Result<Self, Error> {
        match v {
            "active" => Ok(Self::Active),
            "passive" => Ok(Self::Passive),
            "actpass" => Ok(Self::Actpass),
            "holdconn" => Ok(Self::Holdconn),
            _ => Err(Error::new(ErrorKind::InvalidSdp, 0)),
        }
    }

    /// The value as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::Actpass => "actpass",
            Self::Holdconn => "holdconn",
        }
    }

    /// The `a=setup` of a media section (`holdconn` reads as none, RFC 6135 §4.2.1).
    pub fn of(media: &MsrpMedia) -> Option<Self> {
        media
            .other
            .iter()
            .find_map(|l| l.strip_prefix("a=setup:"))
            .and_then(|v| Self::parse(v).ok())
            .filter(|s| *s != Self::Holdconn)
    }

    /// Sets the `a=setup` of a media section (replacing one there).
    pub fn write_to(self, media: &mut MsrpMedia) {
        media.other.retain(|l| !l.starts_with("a=setup:"));
        media.other.push(format!("a=setup:{}", self.as_str()));
    }
}

/// `a=connection` (RFC 4145 §5): read, never acted on (RFC 6135 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionAttr {
    /// `new`
    New,
    /// `existing`
    Existing,
}

impl ConnectionAttr {
    /// Reads the value.
    pub fn parse(v: &str) -> Result<Self, Error> {
        match v {
            "new" => Ok(Self::New),
            "existing" => Ok(Self::Existing),
            _ => Err(Error::new(ErrorKind::InvalidSdp, 0)),
        }
    }

    /// The `a=connection` of a media section, if any.
    pub fn of(media: &MsrpMedia) -> Option<Self> {
        media
            .other
            .iter()
            .find_map(|l| l.strip_prefix("a=connection:"))
            .and_then(|v| Self::parse(v).ok())
    }
}

/// What an endpoint does about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// It connects (to the peer, or its relay) and sends the first SEND at once (RFC 4975
    /// §5.4).
    Active,
    /// It waits for the peer's connection and first SEND.
    Passive,
}

/// The `a=setup` of an offer: `actpass` when the `a=path` address accepts connections (no
/// NAT in the way, or a relay), else `active` (RFC 6135 §4.2.2).
pub const fn offer_setup(reachable: bool) -> Setup {
    if reachable { Setup::Actpass } else { Setup::Active }
}

/// The answer's `a=setup` to an offer's, and the answerer's role. An offer without the
/// attribute follows RFC 4975: the offerer connects. To `actpass` the answerer is passive
/// when reachable, else active.
pub const fn answer_setup(offer: Option<Setup>, reachable: bool) -> (Setup, Role) {
    match offer {
        None | Some(Setup::Active | Setup::Holdconn) => (Setup::Passive, Role::Passive),
        // an offer may not say passive; if one does, the answerer is the one to connect
        Some(Setup::Passive) => (Setup::Active, Role::Active),
        Some(Setup::Actpass) if reachable => (Setup::Passive, Role::Passive),
        Some(Setup::Actpass) => (Setup::Active, Role::Active),
    }
}

/// The offerer's role once the answer is in.
pub const fn offerer_role(answer: Option<Setup>) -> Role {
    match answer {
        Some(Setup::Active) => Role::Passive,
        None | Some(Setup::Passive | Setup::Actpass | Setup::Holdconn) => Role::Active,
    }
}

/// Whether a media section carries `a=msrp-cema`.
pub fn has_cema(media: &MsrpMedia) -> bool {
    media.other.iter().any(|l| l == "a=msrp-cema")
}

/// Adds `a=msrp-cema` to a media section (once).
pub fn add_cema(media: &mut MsrpMedia) {
    if !has_cema(media) {
        media.other.push("a=msrp-cema".to_owned());
    }
}

/// The address of an SDP's c-line for its MSRP media: the media-level `c=` of the first
/// `m=message` section, else the session-level one (`c=IN IP4 192.0.2.1` gives
/// `192.0.2.1`).
pub fn connection_address(sdp: &str) -> Option<String> {
    let mut session = None;
    let mut in_msrp = false;
    let mut seen_media = false;
    for line in sdp.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(m) = line.strip_prefix("m=") {
            if in_msrp {
                break;
            }
            in_msrp = m.starts_with("message ");
            seen_media = true;
            continue;
        }
        if let Some(c) = line.strip_prefix("c=") {
            let addr = c.split(' ').nth(2).map(|a| a.split('/').next().unwrap_or(a).to_owned());
            if in_msrp {
                return addr;
            }
            if !seen_media {
                session = addr;
            }
        }
    }
    session
}

/// Whether the c/m-line address (`c_address`, the m-line's port) is the address of one of
/// the path's URIs (RFC 6714 §4.4). Names are compared as written: resolve them first if a
/// c-line or URI holds a domain name. IPv6 literals compare in any case and with or without
/// brackets.
pub fn address_matches(c_address: &str, port: u16, path: &[MsrpUri]) -> bool {
    let norm = |h: &str| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let c = norm(c_address);
    path.iter().any(|u| norm(&u.host) == c && u.port == Some(port))
}

/// How an answerer treats CEMA in an offer (RFC 6714 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CemaAnswer {
    /// Refuse the stream (port 0) or the request (488): a middlebox rewrote the c/m-line
    /// without CEMA.
    Reject,
    /// Answer by RFC 4975/4976, without `a=msrp-cema`.
    Fallback,
    /// Answer with `a=msrp-cema` (and `a=setup:passive` if using a relay, with the relay's
    /// address in the c/m-line).
    Cema,
}

/// RFC 6714 §4.3: what to answer to `offer`, whose c/m-line address is `c_address`, when the
/// answerer `uses_relay`.
pub fn cema_answer(offer: &MsrpMedia, c_address: &str, uses_relay: bool) -> CemaAnswer {
    let matches = address_matches(c_address, offer.port, &offer.path);
    if !has_cema(offer) {
        return if matches { CemaAnswer::Fallback } else { CemaAnswer::Reject };
    }
    let offerer_relay = offer.path.len() > 1;
    let setup = Setup::of(offer);
    let offerer_active = matches!(setup, None | Some(Setup::Active));
    // §4.3 criteria 1-3
    if offerer_relay && (uses_relay || offerer_active)
        || uses_relay && setup == Some(Setup::Passive)
    {
        CemaAnswer::Fallback
    } else {
        CemaAnswer::Cema
    }
}

/// What a CEMA offerer does with the answer (RFC 6714 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CemaOffererCheck {
    /// Send a new offer without `a=msrp-cema` (a middlebox that does not do CEMA is in the
    /// way).
    NewOffer,
    /// Go on by RFC 4975 (connect by `a=path`).
    Fallback,
    /// CEMA applies: an active offerer connects to the c/m-line.
    Cema,
}

/// RFC 6714 §4.2 for an offerer that sent `a=msrp-cema` and got `answer` (c/m-line address
/// `c_address`), taking `role`, using a relay or not.
pub fn cema_offerer_check(
    answer: &MsrpMedia,
    c_address: &str,
    role: Role,
    uses_relay: bool,
) -> CemaOffererCheck {
    let matches = address_matches(c_address, answer.port, &answer.path);
    let answerer_relay = answer.path.len() > 1;
    if !has_cema(answer) {
        let redo = !matches
            && (role == Role::Passive
                || uses_relay && role == Role::Active
                || answerer_relay && role == Role::Active);
        return if redo { CemaOffererCheck::NewOffer } else { CemaOffererCheck::Fallback };
    }
    if answerer_relay && matches {
        return CemaOffererCheck::Fallback;
    }
    CemaOffererCheck::Cema
}

/// Where an active endpoint without a relay connects: the c/m-line address and m-line port
/// when CEMA was negotiated, else the first URI of the peer's `a=path` (RFC 4975 §5.4).
/// Endpoints with a relay connect to their relay instead (RFC 6135 §4.5).
pub fn connect_target(
    peer: &MsrpMedia,
    c_address: Option<&str>,
    cema: bool,
) -> Option<(String, u16)> {
    if cema {
        if let Some(c) = c_address {
            return Some((c.to_owned(), peer.port));
        }
    }
    let first = peer.path.first()?;
    Some((first.host.clone(), first.port.unwrap_or(2855)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_negotiation_follows_rfc6135() {
        assert_eq!(offer_setup(true), Setup::Actpass);
        assert_eq!(offer_setup(false), Setup::Active);
        // an RFC 4975 offer: the offerer connects
        assert_eq!(answer_setup(None, true), (Setup::Passive, Role::Passive));
        assert_eq!(answer_setup(Some(Setup::Actpass), false), (Setup::Active, Role::Active));
        assert_eq!(offerer_role(Some(Setup::Active)), Role::Passive);
        assert_eq!(offerer_role(None), Role::Active);
        assert_eq!(offerer_role(Some(Setup::Passive)), Role::Active);
    }
}

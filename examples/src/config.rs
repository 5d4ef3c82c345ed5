//! The server's settings: a TOML file (`demo.toml` is the one the README runs), every field
//! with a default, and a few flags of `simple-server` over it.

use core::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Everything `simple-server` is told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The SIP domain the users belong to (`sip:alice@DOMAIN`).
    pub domain: String,
    /// Other names of the domain (requests for `user@alias` are for `user@domain`'s bindings).
    pub aliases: Vec<String>,
    /// Where to listen.
    pub listen: Listen,
    /// TLS certificate and key (PEM); a self-signed pair is generated on first start when
    /// absent and kept next to the store.
    pub tls: Tls,
    /// The embedded store.
    pub store: StoreConfig,
    /// Digest authentication.
    pub auth: Auth,
    /// Presence.
    pub presence: PresenceSettings,
    /// Per-source and size limits.
    pub limits: Limits,
    /// The XCAP server.
    pub xcap: XcapSettings,
    /// The MSRP relay.
    pub msrp: MsrpSettings,
    /// This node among several sharing a PostgreSQL store.
    pub cluster: ClusterSettings,
    /// The users.
    pub users: Vec<User>,
}

/// The XCAP server (RFC 4825) on HTTP, with basic authentication against the users.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XcapSettings {
    /// Where it listens (`None`, the default: off; the demo config has 127.0.0.1:5380).
    pub listen: Option<SocketAddr>,
    /// The XCAP root path.
    pub root: String,
}

impl Default for XcapSettings {
    fn default() -> Self {
        Self { listen: None, root: "/xcap-root".to_owned() }
    }
}

/// The MSRP relay (RFC 4976), authenticating the users with their SIP passwords.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MsrpSettings {
    /// `msrp:` over TCP (`None`, the default: off; the demo config has 127.0.0.1:2855).
    pub listen: Option<SocketAddr>,
    /// `msrps:` over TLS, with the server's certificate.
    pub tls: Option<SocketAddr>,
    /// The host its Use-Path URIs name (default: the listening address).
    pub host: Option<String>,
    /// Longest Use-Path lifetime granted, in seconds.
    pub max_expires: u32,
}

impl Default for MsrpSettings {
    fn default() -> Self {
        Self { listen: None, tls: None, host: None, max_expires: 3600 }
    }
}

/// Listening addresses; `None` turns a transport off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Listen {
    /// SIP over UDP.
    pub udp: Option<SocketAddr>,
    /// SIP over TCP.
    pub tcp: Option<SocketAddr>,
    /// SIP over TLS.
    pub tls: Option<SocketAddr>,
}

/// TLS files.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// Certificate chain, PEM.
    pub cert: Option<PathBuf>,
    /// Private key, PEM.
    pub key: Option<PathBuf>,
}

/// The store: the embedded SQLite file, or PostgreSQL shared by several nodes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The SQLite file (`:memory:` keeps nothing); unused with `postgres`.
    pub path: PathBuf,
    /// A PostgreSQL connection (`host=127.0.0.1 port=5432 user=sip dbname=sip`, or a
    /// `postgresql://` URL): the store is there, shared with every node given the same one.
    pub postgres: Option<String>,
    /// Connections to PostgreSQL in the pool (writes, reads after announcements, leases).
    pub pool: usize,
}

/// One node of several on a shared PostgreSQL store (`[store] postgres`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// This node's name, unique among the nodes and kept across its restarts (it owns the
    /// subscriptions it accepted under this name). Empty: the first SIP address bound.
    pub node: String,
    /// Seconds a node's lease lasts: renewed every third of it; this long after a node stops
    /// renewing, the others take over its subscriptions.
    pub lease_secs: u32,
    /// Subscriptions one node takes over at a time (the others take the rest).
    pub takeover_batch: u32,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self { node: String::new(), lease_secs: 30, takeover_batch: 1000 }
    }
}

/// Digest authentication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// Challenge requests from the domain's users (REGISTER with 401, the rest with 407).
    pub required: bool,
    /// The realm (the domain when empty).
    pub realm: String,
    /// `MD5` (what most phones speak), `SHA-256` or `SHA-512-256`.
    pub algorithm: String,
    /// Every user name is a user and nobody is challenged: for load tests only.
    pub open: bool,
}

/// Presence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PresenceSettings {
    /// A new watcher waits (pending) until its presentity allows it.
    pub pending: bool,
    /// Least time between two NOTIFYs to one watcher, in milliseconds.
    pub min_interval_ms: u64,
    /// After a restart, stored subscriptions served again (each with a NOTIFY) per second.
    pub restore_per_second: usize,
    /// The shortest expiry a `presence` SUBSCRIBE may ask for, in seconds (shorter: 423).
    pub min_expires: u32,
}

/// Limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest message accepted, in bytes (larger ones get 413/513).
    pub max_message: usize,
    /// Messages per second one source IP may send (a burst of twice that); more are dropped.
    pub messages_per_second: u32,
    /// Subscriptions one source IP may hold; more get 503.
    pub subscriptions_per_source: usize,
    /// Bindings one user may hold.
    pub bindings_per_user: usize,
    /// Longest registration granted, in seconds.
    pub max_register_expires: u32,
    /// Transactions in progress at once, beyond which new requests get 503. Over UDP a
    /// completed server transaction waits out Timer J (32 s), so this bounds the sustained
    /// request rate: about max_transactions / 32 requests per second.
    pub max_transactions: usize,
    /// Presence subscriptions served at once (beyond: 503).
    pub max_subscriptions: usize,
    /// Publications stored at once (beyond: 503).
    pub max_publications: usize,
}

/// A user.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user part of the address.
    pub name: String,
    /// The password.
    pub password: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            domain: "127.0.0.1".to_owned(),
            aliases: vec!["localhost".to_owned()],
            listen: Listen::default(),
            tls: Tls::default(),
            store: StoreConfig::default(),
            auth: Auth::default(),
            presence: PresenceSettings::default(),
            limits: Limits::default(),
            xcap: XcapSettings::default(),
            msrp: MsrpSettings::default(),
            cluster: ClusterSettings::default(),
            users: Vec::new(),
        }
    }
}

impl Default for Listen {
    fn default() -> Self {
        let at = |p: u16| Some(SocketAddr::from(([127, 0, 0, 1], p)));
        Self { udp: at(5060), tcp: at(5060), tls: at(5061) }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { path: PathBuf::from("simple-server.db"), postgres: None, pool: 4 }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self { required: true, realm: String::new(), algorithm: "MD5".to_owned(), open: false }
    }
}

impl Default for PresenceSettings {
    fn default() -> Self {
        Self { pending: true, min_interval_ms: 1000, restore_per_second: 2000, min_expires: 60 }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message: 64 * 1024,
            messages_per_second: 1000,
            subscriptions_per_source: 10_000,
            bindings_per_user: 16,
            max_register_expires: 3600,
            max_transactions: 1_000_000,
            max_subscriptions: 1_000_000,
            max_publications: 1_000_000,
        }
    }
}

impl Config {
    /// Reads a TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads TOML text.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The realm of the challenges.
    pub fn realm(&self) -> &str {
        if self.auth.realm.is_empty() { &self.domain } else { &self.auth.realm }
    }

    /// Whether `host` names this domain.
    pub fn is_local(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case(&self.domain)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(host))
            || self.listen_addrs().any(|a| a.ip().to_string() == host)
    }

    fn listen_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        [self.listen.udp, self.listen.tcp, self.listen.tls].into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_config_reads() {
        let c = Config::parse(include_str!("../demo.toml")).expect("demo.toml parses");
        assert!(c.users.iter().any(|u| u.name == "alice"));
        assert!(c.users.iter().any(|u| u.name == "bob"));
        assert!(c.is_local("127.0.0.1") && c.is_local("LOCALHOST") && !c.is_local("example.org"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(Config::parse("domian = \"x\"").is_err());
        assert!(Config::parse("[limits]\nmax_mesage = 1").is_err());
    }
}

//! The loop every example runs: one `Endpoint` on one std UDP socket (socket in, `now` in;
//! bytes, events and the next deadline out). Shared by `sip_ua` and `sip_presence` with
//! `#[path]`; not an example of its own.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use simple_sip::Method;
use simple_sip::endpoint::{Endpoint, EndpointConfig, Event, Transport};

/// An endpoint and its socket.
pub(crate) struct UdpEndpoint {
    pub(crate) socket: UdpSocket,
    pub(crate) endpoint: Endpoint,
    pub(crate) local: SocketAddr,
}

impl UdpEndpoint {
    /// Binds `bind`; the endpoint also handles `methods`, says `user_agent`, and is seeded
    /// from the clock and the process id.
    pub(crate) fn new(
        bind: SocketAddr,
        user_agent: &str,
        methods: &[Method<'static>],
    ) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(bind)?;
        let local = socket.local_addr()?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id());
        let mut config = EndpointConfig::new(&local.to_string());
        config.uas.methods.extend_from_slice(methods);
        config.user_agent = Some(user_agent.to_owned());
        Ok(Self { socket, endpoint: Endpoint::new(config, seed), local })
    }

    /// Sends what the endpoint has, waits for a datagram, the endpoint's next deadline or
    /// `deadline` (the caller's roles'), at most `max`, and hands what happened to the
    /// endpoint. Returns the endpoint's events.
    pub(crate) fn turn(
        &mut self,
        deadline: Option<Instant>,
        max: Duration,
    ) -> std::io::Result<Vec<Event>> {
        self.flush();
        let now = Instant::now();
        let wait = [self.endpoint.poll_timeout().map(|t| t.0), deadline]
            .into_iter()
            .flatten()
            .min()
            .map_or(max, |at| at.saturating_duration_since(now).min(max))
            .max(Duration::from_millis(1));
        self.socket.set_read_timeout(Some(wait))?;
        let mut buf = vec![0u8; 65_535];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                self.endpoint.handle_datagram(from, Transport::Udp, &buf[..n], Instant::now())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
        self.endpoint.handle_timeout(Instant::now());
        self.flush();
        Ok(std::iter::from_fn(|| self.endpoint.poll_event()).collect())
    }

    /// Sends everything the endpoint has to send (a failed send is reported to it); returns
    /// the last bytes sent.
    pub(crate) fn flush(&mut self) -> Option<bytes::Bytes> {
        let mut last = None;
        while let Some(t) = self.endpoint.poll_transmit() {
            if let Err(e) = self.socket.send_to(&t.contents, t.destination) {
                eprintln!("send to {}: {e}", t.destination);
                self.endpoint.handle_transport_error(t.destination, t.transport);
            }
            last = Some(t.contents);
        }
        last
    }
}

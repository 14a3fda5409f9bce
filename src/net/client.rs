//! The blocking HTTP client of the wallet: signs every request with the node key for one
//! server and maps every failure to a [`NetError`] variant (see its documentation for the
//! exit codes).
//!
//! Each signature names the server it is for (its node id), so no server can replay a
//! request elsewhere. The client signs for the id given with [`Client::with_server_id`] (the
//! channel record's or the operator's own); without one it reads it once from the server's
//! `GET /v1/info`.
//!
//! Text from the server (error codes and messages, snippets of unexpected answers) is passed
//! through [`super::sanitize`] before it lands in a [`NetError`], so it cannot carry terminal
//! escape sequences to the user's screen.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::secp256k1::{Keypair, SecretKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ureq::http::{Response, Uri};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::auth::{request_key, AuthHeader, RequestKey};
use super::{sanitize, ErrorBody, NetError};
use crate::keys::NodeId;

/// Default time to establish a connection (DNS, TCP and TLS handshakes included).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time to wait for the response and to read its body.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default largest accepted response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// Bodies larger than this are sent with `Expect: 100-continue`.
const EXPECT_CONTINUE_ABOVE: usize = 16 * 1024;

/// The size of a connection's output buffer (`Client::with_keypair`).
const OUTPUT_BUFFER_BYTES: usize = 8 * 1024;

/// Where system CA bundles usually are (when `SSL_CERT_FILE` is not set).
const SYSTEM_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

/// Timeouts and limits of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_READ_TIMEOUT`].
    pub read_timeout: Duration,
    /// See [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// A client of one server, identified by one node key.
pub struct Client {
    agent: Agent,
    base: String,
    /// The node key, with its public key computed once (not at every request).
    keypair: Keypair,
    node: NodeId,
    /// The server's node id requests are made for (pinned, or read from `/v1/info`).
    server: OnceLock<NodeId>,
    /// The key requests to that server are MAC'd with (asyncpay-v3), derived once.
    request_key: OnceLock<(NodeId, RequestKey)>,
    /// The server takes signed requests only (asyncpay-v2: older than v3).
    signs: std::sync::atomic::AtomicBool,
    /// Pinned with [`Client::pinned_to`]: before the first signed request, the node id the
    /// server shows at `GET /v1/info` must be the pinned one (set once it was).
    verify_pinned: bool,
    verified: OnceLock<()>,
    max_response_bytes: u64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the server at `base_url` (`http://HOST[:PORT][/PREFIX]` or `https://…`),
    /// signing with `node_secret`. For HTTPS it trusts the system CA bundle plus `tls_ca`
    /// (a PEM file with one or more CA certificates, e.g. a self-signed server certificate).
    pub fn new(
        base_url: &str,
        node_secret: SecretKey,
        tls_ca: Option<PathBuf>,
    ) -> Result<Client, NetError> {
        Client::with_options(base_url, node_secret, tls_ca, ClientOptions::default())
    }

    /// [`Client::new`] with other timeouts and limits.
    pub fn with_options(
        base_url: &str,
        node_secret: SecretKey,
        tls_ca: Option<PathBuf>,
        options: ClientOptions,
    ) -> Result<Client, NetError> {
        let keypair = super::auth::keypair(&node_secret);
        Client::with_keypair(base_url, keypair, tls_ca, options)
    }

    /// [`Client::with_options`] for the node key with its public key already computed
    /// ([`crate::keys::WalletKeys::node_keypair`]).
    pub fn with_keypair(
        base_url: &str,
        keypair: Keypair,
        tls_ca: Option<PathBuf>,
        options: ClientOptions,
    ) -> Result<Client, NetError> {
        let (base, https) = parse_base_url(base_url)?;
        let mut roots: Vec<Certificate<'static>> = Vec::new();
        if https {
            roots.extend(system_roots());
        }
        if let Some(path) = &tls_ca {
            let ca = load_ca(path)?;
            roots.extend(ca);
        }
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::new_with_certs(&roots))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls)
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_send_request(Some(options.read_timeout))
            .timeout_send_body(Some(options.read_timeout))
            .timeout_recv_response(Some(options.read_timeout))
            .timeout_recv_body(Some(options.read_timeout))
            .user_agent(concat!("asyncpay/", env!("CARGO_PKG_VERSION")))
            // A request's head and the first part of its body: ureq's default of 128 KiB is
            // zeroed at every connection, a sixth of a client's own cost per command
            // (larger bodies go out in parts).
            .output_buffer_size(OUTPUT_BUFFER_BYTES)
            .build()
            .into();
        let node = NodeId(keypair.public_key());
        Ok(Client {
            agent,
            base,
            keypair,
            node,
            server: OnceLock::new(),
            request_key: OnceLock::new(),
            signs: std::sync::atomic::AtomicBool::new(false),
            verify_pinned: false,
            verified: OnceLock::new(),
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// Signs every request for the server with node id `server` (e.g. the one recorded with
    /// a channel), without asking the server who it is. A server with another id refuses the
    /// requests (`401 auth_wrong_server`).
    pub fn with_server_id(self, server: NodeId) -> Client {
        let _ = self.server.set(server);
        self
    }

    /// Signs every request for the server with node id `server` (the key a channel was
    /// opened with) and, before the first request, checks that the server at the URL shows
    /// that id at `GET /v1/info`: another server at the same URL gets a clear error
    /// ([`NetError::WrongServer`]) and no signed request, instead of having its id trusted.
    pub fn pinned_to(mut self, server: NodeId) -> Client {
        self.verify_pinned = true;
        self.with_server_id(server)
    }

    /// MACs requests for `server` with `key`, its request key (computed by the caller from
    /// a kept ECDH secret, [`super::auth::request_key_from_ecdh`]), instead of deriving it
    /// at the first request.
    pub(crate) fn with_request_key(self, server: NodeId, key: RequestKey) -> Client {
        let _ = self.request_key.set((server, key));
        self
    }

    /// The key of asyncpay-v3 requests to `server` (derived at the first one).
    fn request_key(&self, server: &NodeId) -> RequestKey {
        let derive = || {
            let own = self.keypair.secret_key();
            (*server, request_key(&own, server, &self.node, server))
        };
        match self.request_key.get_or_init(derive) {
            (for_server, key) if for_server == server => key.clone(),
            _ => derive().1,
        }
    }

    /// The node id requests are signed for: the pinned one, else the one the server shows at
    /// `GET /v1/info` (asked once, unsigned).
    pub fn server_id(&self) -> Result<NodeId, NetError> {
        if let Some(id) = self.server.get() {
            return Ok(*id);
        }
        let shown = self.shown_id()?;
        Ok(*self.server.get_or_init(|| shown))
    }

    /// The node id the server at the URL shows at `GET /v1/info` (unsigned).
    fn shown_id(&self) -> Result<NodeId, NetError> {
        #[derive(serde::Deserialize)]
        struct Info {
            node_id: NodeId,
        }
        let url = format!("{}{}/info", self.base, super::API_PREFIX);
        let response = self
            .agent
            .get(&url)
            .header("accept", "application/json")
            .call()
            .map_err(|e| map_error(e, &url))?;
        let info: Info = self.decode(response, &url)?;
        Ok(info.node_id)
    }

    /// For a client [`Client::pinned_to`] a node id: the server at the URL shows that id
    /// (checked once per client).
    fn check_pinned(&self) -> Result<(), NetError> {
        if !self.verify_pinned || self.verified.get().is_some() {
            return Ok(());
        }
        let expected = self.server_id()?;
        let found = self.shown_id()?;
        if found != expected {
            return Err(NetError::WrongServer {
                url: self.base.clone(),
                expected: expected.to_string(),
                found: sanitize(&found.to_string()),
            });
        }
        let _ = self.verified.set(());
        Ok(())
    }

    /// The node id requests are signed as.
    pub fn node_id(&self) -> NodeId {
        self.node
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET path` (e.g. `/v1/info`), signed; decodes the JSON answer.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, NetError> {
        self.request("GET", path, None)
    }

    /// `POST path` with `body` as JSON, signed; decodes the JSON answer.
    pub fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, NetError> {
        let bytes = serde_json::to_vec(body).map_err(|e| NetError::Protocol {
            reason: format!("cannot encode the request as JSON: {e}"),
        })?;
        self.request("POST", path, Some(bytes))
    }

    /// `POST path` whose JSON body is made from the request's stamp — the server's node id,
    /// the timestamp and the nonce the request is signed with — e.g. to bind a proof of work
    /// to this one request; decodes the JSON answer.
    pub fn post_stamped<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: impl FnOnce(&NodeId, u64, &[u8; 16]) -> B,
    ) -> Result<T, NetError> {
        self.request_with("POST", path, |server, ts, nonce| {
            serde_json::to_vec(&body(server, ts, nonce))
                .map(Some)
                .map_err(|e| NetError::Protocol {
                    reason: format!("cannot encode the request as JSON: {e}"),
                })
        })
    }

    /// `DELETE path`, signed; succeeds on any 2xx answer (e.g. 204 without a body).
    pub fn delete(&self, path: &str) -> Result<(), NetError> {
        self.request::<Option<serde::de::IgnoredAny>>("DELETE", path, None)
            .map(|_| ())
    }

    fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, NetError> {
        self.request_with(method, path, |_, _, _| Ok(body))
    }

    fn request_with<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: impl FnOnce(&NodeId, u64, &[u8; 16]) -> Result<Option<Vec<u8>>, NetError>,
    ) -> Result<T, NetError> {
        if !path.starts_with('/') {
            return Err(NetError::InvalidUrl {
                url: format!("{}{path}", self.base),
                reason: "the request path must start with '/'".into(),
            });
        }
        let url = format!("{}{path}", self.base);
        let uri: Uri = url.parse().map_err(|e| NetError::InvalidUrl {
            url: url.clone(),
            reason: format!("{e}"),
        })?;
        let target = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| NetError::Protocol {
            reason: format!("cannot get OS randomness for the request nonce: {e}"),
        })?;
        self.check_pinned()?;
        let server = self.server_id()?;
        let body = body(&server, ts, &nonce)?;
        let signed_body = body.as_deref().unwrap_or(&[]);
        let auth = |signed: bool| {
            if signed {
                AuthHeader::sign(
                    &self.keypair,
                    &server,
                    method,
                    &target,
                    signed_body,
                    ts,
                    nonce,
                )
            } else {
                AuthHeader::mac(
                    &self.request_key(&server),
                    &self.node,
                    &server,
                    method,
                    &target,
                    signed_body,
                    ts,
                    nonce,
                )
            }
            .to_string()
        };
        let signed = self.signs.load(std::sync::atomic::Ordering::Relaxed);
        let mut response = self
            .send(method, &uri, &auth(signed), body.as_deref())
            .map_err(|e| map_error(e, &url))?;
        let offers = |r: &Response<Body>| {
            r.headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if !signed
            && response.status() == 401
            && offers(&response).as_deref() == Some(super::auth::SCHEME)
        {
            // A server older than asyncpay-v3 refused the header before it read the body
            // or recorded the nonce: the same request again, signed, and so from now on.
            self.signs.store(true, std::sync::atomic::Ordering::Relaxed);
            response = self
                .send(method, &uri, &auth(true), body.as_deref())
                .map_err(|e| map_error(e, &url))?;
        }
        self.decode(response, &url)
    }

    /// Sends one request with the `Authorization` header `auth`: DELETE or GET without a
    /// body, POST with one.
    fn send(
        &self,
        method: &str,
        uri: &Uri,
        auth: &str,
        body: Option<&[u8]>,
    ) -> Result<Response<Body>, ureq::Error> {
        match body {
            None if method == "DELETE" => self
                .agent
                .delete(uri)
                .header("authorization", auth)
                .header("accept", "application/json")
                .call(),
            None => self
                .agent
                .get(uri)
                .header("authorization", auth)
                .header("accept", "application/json")
                .call(),
            Some(bytes) => {
                let mut request = self
                    .agent
                    .post(uri)
                    .header("authorization", auth)
                    .header("accept", "application/json")
                    .content_type("application/json");
                if bytes.len() > EXPECT_CONTINUE_ABOVE {
                    // Lets the server refuse a too-large body (413) before it is sent, instead
                    // of the upload dying with a broken pipe.
                    request = request.header("expect", "100-continue");
                }
                request.send(bytes)
            }
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        mut response: Response<Body>,
        url: &str,
    ) -> Result<T, NetError> {
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            return Err(NetError::Protocol {
                reason: format!(
                    "{url} answered with a redirect ({status}) to {}; use the final URL as the server URL",
                    sanitize(&to)
                ),
            });
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| map_error(e, url))?;
        if status.is_success() {
            // An empty answer (204) reads as JSON `null`.
            let bytes = if bytes.is_empty() {
                b"null".to_vec()
            } else {
                bytes
            };
            let wrong = |e: serde_json::Error| NetError::Protocol {
                reason: format!(
                    "{url} answered {status} with a body that is not the expected JSON ({}): {}",
                    sanitize(&e.to_string()),
                    snippet(&bytes)
                ),
            };
            // Every string the server sent loses its control characters before anyone can
            // show it (the wire format has no free text: an honest server sends none).
            let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(wrong)?;
            super::scrub_json(&mut value);
            return serde_json::from_value(value).map_err(wrong);
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(NetError::Api {
                status: status.as_u16(),
                code: sanitize(&body.error.code),
                message: sanitize(&body.error.message),
            }),
            Err(_) => Err(NetError::Protocol {
                reason: format!(
                    "{url} answered {status} without an asyncpay error body: {}",
                    snippet(&bytes)
                ),
            }),
        }
    }
}

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    format!("'{}'", sanitize(&out))
}

fn parse_base_url(base_url: &str) -> Result<(String, bool), NetError> {
    let uri = super::check_server_url(base_url).map_err(|reason| NetError::InvalidUrl {
        url: base_url.to_owned(),
        reason,
    })?;
    let path = uri.path().trim_end_matches('/');
    let base = format!(
        "{}://{}{path}",
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map_or("", |a| a.as_str())
    );
    Ok((base, uri.scheme_str() == Some("https")))
}

fn load_ca(path: &Path) -> Result<Vec<Certificate<'static>>, NetError> {
    let err = |reason: String| NetError::CertificateFile {
        what: "trusted CA certificate",
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| err(e.to_string()))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => continue,
        }
    }
    if certs.is_empty() {
        return Err(err("no PEM CERTIFICATE block in it".into()));
    }
    Ok(certs)
}

/// Where the system's CA bundle may be, in order: `SSL_CERT_FILE`, else the usual places.
pub(crate) fn system_ca_candidates() -> Vec<PathBuf> {
    match std::env::var_os("SSL_CERT_FILE") {
        Some(file) => vec![PathBuf::from(file)],
        None => SYSTEM_CA_BUNDLES.iter().map(PathBuf::from).collect(),
    }
}

/// The system's trusted CAs: `SSL_CERT_FILE`, else the first bundle found at the usual
/// places. Empty if none (then only `tls_ca` is trusted).
fn system_roots() -> Vec<Certificate<'static>> {
    for path in system_ca_candidates() {
        let Ok(pem) = std::fs::read(&path) else {
            continue;
        };
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if !certs.is_empty() {
            return certs;
        }
    }
    Vec::new()
}

fn is_tls_io(e: &io::Error) -> Option<String> {
    let inner = e.get_ref()?;
    inner.downcast_ref::<rustls::Error>().map(|r| r.to_string())
}

fn map_error(e: ureq::Error, url: &str) -> NetError {
    let unreachable = |reason: String| NetError::Unreachable {
        url: url.to_owned(),
        reason,
    };
    match e {
        ureq::Error::Io(io) => match is_tls_io(&io) {
            Some(reason) => NetError::Tls { reason },
            None => unreachable(io.to_string()),
        },
        ureq::Error::Timeout(t) => unreachable(format!("no answer in time ({t})")),
        ureq::Error::HostNotFound => unreachable("the host name does not resolve".into()),
        ureq::Error::ConnectionFailed => unreachable("the connection failed".into()),
        ureq::Error::Rustls(r) => NetError::Tls {
            reason: r.to_string(),
        },
        ureq::Error::Tls(reason) => NetError::Tls {
            reason: reason.to_owned(),
        },
        ureq::Error::Pem(p) => NetError::Tls {
            reason: p.to_string(),
        },
        ureq::Error::BadUri(reason) => NetError::InvalidUrl {
            url: url.to_owned(),
            reason,
        },
        ureq::Error::BodyExceedsLimit(limit) => NetError::Protocol {
            reason: format!("the response from {url} is larger than {limit} bytes"),
        },
        other => NetError::Protocol {
            reason: sanitize(&format!("{url}: {other}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = |s: &str| parse_base_url(s).unwrap();
        assert_eq!(
            ok("http://127.0.0.1:9737"),
            ("http://127.0.0.1:9737".into(), false)
        );
        assert_eq!(ok("https://s.example/"), ("https://s.example".into(), true));
        assert_eq!(
            ok("https://s.example/api/"),
            ("https://s.example/api".into(), true)
        );
        assert_eq!(ok("http://[::1]:80"), ("http://[::1]:80".into(), false));
        for (bad, why) in [
            ("ftp://host", "scheme 'ftp'"),
            ("127.0.0.1:9737", "scheme"),
            ("host", "no scheme"),
            ("http://", "URL"),
            ("http://h/?q=1", "query"),
            ("http://u:p@h/", "credentials"),
            ("http://h/#x", "fragment"),
        ] {
            let e = parse_base_url(bad).unwrap_err();
            assert!(matches!(e, NetError::InvalidUrl { .. }), "{bad}");
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }
}

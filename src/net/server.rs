//! Serving the HTTP API: plain HTTP or HTTPS (rustls with the ring provider), request
//! authentication as an axum layer plus the [`Authenticated`] extractor, and JSON errors.
//!
//! How routes are built (the real S routes live elsewhere):
//!
//! ```no_run
//! use asyncpay::net::{serve, ApiError, ApiJson, AuthState, Authenticated, ServerConfig};
//! use axum::routing::{get, post};
//! use axum::{Json, Router};
//!
//! async fn info() -> Json<serde_json::Value> {
//!     Json(serde_json::json!({"version": 1}))
//! }
//!
//! async fn echo(
//!     Authenticated(node): Authenticated,
//!     ApiJson(body): ApiJson<serde_json::Value>,
//! ) -> Result<Json<serde_json::Value>, ApiError> {
//!     Ok(Json(serde_json::json!({"node": node, "body": body})))
//! }
//!
//! # async fn run() -> Result<(), asyncpay::net::NetError> {
//! # let node_secret = bitcoin::secp256k1::SecretKey::from_slice(&[1; 32]).unwrap();
//! // Requests must be made for this server's node id (its node secret checks their MACs).
//! let auth = AuthState::new(&node_secret);
//! // Routes behind `protect` need a valid signature; the others are open.
//! let signed = auth.protect(Router::new().route("/v1/echo", post(echo)));
//! let router = Router::new().route("/v1/info", get(info)).merge(signed);
//! let server = serve(router, &ServerConfig::default(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! println!("listening on {}", server.url());
//! server.wait().await
//! # }
//! ```
//!
//! Every error response, including axum's own (unknown path, wrong method, extractor
//! rejections) and handler panics, leaves as `{"error": {"code": .., "message": ..}}`.
//!
//! Connections are served by our own accept loop over hyper (HTTP/1.1), so that a peer that
//! opens connections and sends nothing cannot starve the process: at most
//! [`ServerConfig::max_connections`] connections are open (and never more than the file
//! descriptor limit allows, with room left for the rest of the process); when the cap is
//! reached, the connection idle the longest is closed to make room, or the new one if none is
//! idle. A connection must complete its TLS handshake and each request header within
//! [`ServerConfig::header_timeout`] (which is also the keep-alive idle timeout), and a
//! request body within [`ServerConfig::body_timeout`]. Signed requests are authenticated from
//! their header before the body is read.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::task::JoinHandle;

use super::auth::{self, AuthError, AuthHeader, ReplayCache, ReplayLimits};
use super::journal::ReplayJournal;
use super::{ErrorBody, ErrorDetail, NetError};
use crate::keys::NodeId;

/// Default listen address of `asyncpay server run`.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9737);

/// Default limit of a request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How long in-flight requests may take to finish once shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Default cap of open connections (lowered to fit the file descriptor limit).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Default time for a TLS handshake and for each request header, counted from the connection
/// (or from the end of the previous answer: it is also the keep-alive idle timeout).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time to receive a whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Certificate chain and private key files (PEM) for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first (PEM `CERTIFICATE` blocks).
    pub cert_pem: PathBuf,
    /// The leaf's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_pem: PathBuf,
}

/// Where and how to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (see [`ServerHandle::local_addr`]).
    pub listen: SocketAddr,
    /// HTTPS when set, plain HTTP otherwise.
    pub tls: Option<TlsFiles>,
    /// Largest accepted request body; larger ones get 413 `body_too_large`.
    pub max_body_bytes: usize,
    /// Most connections open at once. [`serve`] lowers it to fit the process's file
    /// descriptor limit ([`connection_cap`]).
    pub max_connections: usize,
    /// Time for the TLS handshake and for each request header (also the idle timeout of a
    /// kept-alive connection); the connection is closed when it passes.
    pub header_timeout: Duration,
    /// Time to receive a request body; 408 `request_timeout` when it passes.
    pub body_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN,
            tls: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// The connection cap actually used: `wanted`, but at most three quarters of the soft
/// limit of open file descriptors (`RLIMIT_NOFILE`) minus 32, so that the store, the chain
/// source and the watcher always have descriptors left. At least 1.
pub fn connection_cap(wanted: usize) -> usize {
    let cap = match fd_limit() {
        Some(limit) => wanted.min((limit / 4 * 3).saturating_sub(32)),
        None => wanted,
    };
    cap.max(1)
}

#[cfg(unix)]
fn fd_limit() -> Option<usize> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    limit
        .current
        .map(|c| usize::try_from(c).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
fn fd_limit() -> Option<usize> {
    None
}

/// An error response: HTTP status, stable snake_case code, and a message saying what happened
/// and what to do. Handlers return it; it renders as [`ErrorBody`] JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 400: the request is malformed or invalid.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: authentication failed.
    pub fn unauthorized(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403: authenticated, but this node may not do this.
    pub fn forbidden(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404: no such resource.
    pub fn not_found(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409: the request conflicts with the current state (e.g. a sale after a cancel).
    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 413 `body_too_large`.
    pub fn body_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than the server's limit of {limit} bytes; send less data"),
        )
    }

    /// 500 `internal`. `detail` goes to the server's stderr, never to the client: it must not
    /// contain secrets either.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle the request; it logged the details. Try again later; \
             if it persists, report it to the server operator",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        // For the request log ([`outer`]): the code, never the message.
        response
            .extensions_mut()
            .insert(LoggedCode(self.code.clone()));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(auth::CHALLENGE),
            );
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        if e.is_budget() {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.code(), e.to_string())
        } else {
            ApiError::unauthorized(e.code(), e.to_string())
        }
    }
}

/// A JSON request body whose rejections are [`ApiError`]s (400 `malformed_json`,
/// 400 `invalid_body`, 413 `body_too_large`, 415 `unsupported_media_type`). As a response it
/// is plain JSON with status 200.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON ({}); send a JSON document", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => ApiError::bad_request(
            "invalid_body",
            format!(
                "the JSON body does not have the expected fields ({}); see docs/api.md for the request format",
                e.body_text()
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON: send the header Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than the server's limit; send less data",
        ),
        other => ApiError::bad_request(
            "bad_body",
            format!("cannot read the request body: {}", other.body_text()),
        ),
    }
}

/// The clock of the authentication layer: unix seconds.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Which nodes, besides the server itself, have their own request budget (the operator and
/// channel peers); see [`AuthState::with_known_nodes`].
pub type KnownNodes = Arc<dyn Fn(&NodeId) -> bool + Send + Sync>;

/// Shared state of the authentication layer: the server's own node id (requests must be
/// signed for it), the replay cache with its budgets, the clock, and who counts as known.
/// Clones share the cache, so use one `AuthState` for all routes of a server.
#[derive(Clone)]
pub struct AuthState {
    server: Arc<auth::Verifier>,
    replay: Arc<Mutex<ReplayCache>>,
    clock: Clock,
    known: Option<KnownNodes>,
    /// Where admitted requests are recorded durably (S: its data dir), if anywhere.
    journal: Option<Arc<ReplayJournal>>,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field("server", &self.server.node())
            .finish_non_exhaustive()
    }
}

/// Unix seconds from the system clock (0 if it is before 1970).
pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl AuthState {
    /// Authentication for the server whose node secret is `node_secret` (requests are made
    /// for its node id): the system clock and a replay cache with the default budgets. Only
    /// the server itself (the operator) is known.
    pub fn new(node_secret: &bitcoin::secp256k1::SecretKey) -> AuthState {
        AuthState {
            server: Arc::new(auth::Verifier::new(node_secret)),
            replay: Arc::new(Mutex::new(ReplayCache::new(ReplayLimits::default()))),
            clock: Arc::new(system_clock),
            known: None,
            journal: None,
        }
    }

    /// Keeps the replay cache's entries in `dir` (created 0700), so that a request admitted
    /// before a restart is still refused as a replay after it: the live entries of earlier
    /// runs are read back now, and every request admitted from now on that can change state
    /// (not GET or HEAD) is written (and synced) there before its handler runs
    /// ([`super::journal`]; the requests appended meanwhile share one sync). Call it after
    /// [`AuthState::with_limits`] (which starts a fresh cache).
    pub fn with_journal(mut self, dir: &std::path::Path) -> std::io::Result<AuthState> {
        let now = (self.clock)();
        let (journal, live) = ReplayJournal::open(dir, now)?;
        {
            let mut cache = self.cache();
            for (ts, digest) in live {
                cache.restore(ts, digest, now);
            }
        }
        self.journal = Some(Arc::new(journal));
        Ok(self)
    }

    /// Refuses every request stamped up to `floor` (see [`ReplayCache::refuse_up_to`]): S
    /// took its records over from another copy of itself, whose journal it has not. Call it
    /// after [`AuthState::with_journal`].
    pub fn refusing_up_to(self, floor: u64) -> AuthState {
        self.cache().refuse_up_to(floor);
        self
    }

    /// Writes an admitted request's entry to the journal (if any) before it is acted upon.
    fn persist(&self, header: &AuthHeader) -> Result<(), ApiError> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let digest = auth::replay_digest(&header.node, &header.nonce);
        journal
            .append(header.ts, &digest, (self.clock)())
            .map_err(|e| {
                tracing::error!(
                    "cannot record a request in the replay journal {}: {e}",
                    journal.dir().display()
                );
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_storage",
                    "the server cannot record the request durably right now, so it did not act \
                     on it; try again later (the operator should check the server's disk)",
                )
            })
    }

    /// The node id requests must be made for.
    pub fn server(&self) -> NodeId {
        self.server.node()
    }

    /// Why a sync of the replay journal failed, if one did: final, every state-changing
    /// request is refused from then on and the server must stop.
    pub fn journal_failed(&self) -> Option<String> {
        self.journal.as_ref().and_then(|j| j.failed())
    }

    /// The replay journal's appends and the syncs that made them durable (no journal:
    /// zero).
    pub fn journal_stats(&self) -> crate::store::GroupStats {
        self.journal
            .as_ref()
            .map_or_else(Default::default, |j| j.stats())
    }

    /// Uses `clock` (unix seconds) instead of the system clock, e.g. in tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> AuthState {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses a fresh replay cache with these budgets.
    pub fn with_limits(mut self, limits: ReplayLimits) -> AuthState {
        self.replay = Arc::new(Mutex::new(ReplayCache::new(limits)));
        self
    }

    /// Nodes for which `known` answers true (S: its channel peers) get the budget of a known
    /// node, like the server's own key, instead of sharing the strangers' one. `known` may
    /// block (it runs on a blocking thread) and is asked only when a node is over the
    /// strangers' budgets.
    pub fn with_known_nodes(
        mut self,
        known: impl Fn(&NodeId) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.known = Some(Arc::new(known));
        self
    }

    /// Puts every route of `router` behind authentication: a request reaches its handler only
    /// with a valid signature, and the handler reads the node id with [`Authenticated`].
    /// Unknown paths stay 404 (the layer applies to matched routes only).
    pub fn protect<S>(&self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        router.route_layer(middleware::from_fn_with_state(self.clone(), authenticate))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, ReplayCache> {
        self.replay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_known_now(&self, node: &NodeId) -> bool {
        *node == self.server.node() || self.known.as_ref().is_some_and(|k| k(node))
    }

    /// Verifies one whole request (parsed header, server, clock, signature, body, replay and
    /// budget) and records its nonce (in memory only: not in the journal). Synchronous: asks
    /// `known` inline.
    pub fn verify(
        &self,
        header: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<NodeId, AuthError> {
        let now = (self.clock)();
        let header = auth::verify_signed(header, &self.server, method, path_and_query, now)?;
        header.check_body(body)?;
        let known = self.is_known_now(&header.node);
        self.cache()
            .check_and_insert(&header.node, &header.nonce, header.ts, now, known)?;
        Ok(header.node)
    }

    /// Everything that can be checked from the header, before the body is read: grammar,
    /// server, clock, signature over the declared body hash, replay and budget. Returns the
    /// header and whether the node counts as known.
    async fn admit(
        &self,
        header: Option<&str>,
        method: &str,
        path_and_query: &str,
    ) -> Result<(AuthHeader, bool), AuthError> {
        let now = (self.clock)();
        let header = auth::verify_signed(header, &self.server, method, path_and_query, now)?;
        let mut known = header.node == self.server.node();
        let first = self.cache().check(&header.node, &header.nonce, now, known);
        match first {
            Ok(()) => {}
            Err(e) if e.is_budget() && !known && self.known.is_some() => {
                // Over a stranger's budget: is it a node S knows? (May block on S's state.)
                let this = self.clone();
                let node = header.node;
                known = tokio::task::spawn_blocking(move || this.is_known_now(&node))
                    .await
                    .unwrap_or(false);
                if !known {
                    return Err(e);
                }
                self.cache().check(&header.node, &header.nonce, now, true)?;
            }
            Err(e) => return Err(e),
        }
        Ok((header, known))
    }

    /// Records the nonce of an admitted request whose body matched.
    fn record(&self, header: &AuthHeader, known: bool) -> Result<(), AuthError> {
        let now = (self.clock)();
        self.cache()
            .check_and_insert(&header.node, &header.nonce, header.ts, now, known)
    }
}

/// The node that made the request (its MAC or signature checked). Only routes behind [`AuthState::protect`] have one; on
/// any other route the extractor fails with 500 (a programming error), never letting an
/// unauthenticated request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated(pub NodeId);

/// Request extension set by the authentication layer (private: nothing else can forge it).
#[derive(Clone, Copy)]
struct Verified(NodeId);

/// The stamp of an authenticated request: the timestamp and nonce it was signed with (the
/// replay cache admits each (node, nonce) once, also across restarts), e.g. to bind a proof
/// of work to this one request. Only routes behind [`AuthState::protect`] have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestStamp {
    /// The signed timestamp, unix seconds.
    pub ts: u64,
    /// The signed nonce.
    pub nonce: [u8; 16],
}

impl<S: Send + Sync> FromRequestParts<S> for RequestStamp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestStamp>()
            .copied()
            .ok_or_else(|| {
                ApiError::internal(format_args!(
                    "the route {} uses RequestStamp but is not behind AuthState::protect",
                    parts.uri.path()
                ))
            })
    }
}

/// Request extension set by [`serve`]: the target as the client sent it, before any
/// `Router::nest` strips a prefix.
#[derive(Clone)]
struct SignedTarget(String);

/// Request extension set by [`serve`]: the body limit and the body timeout.
#[derive(Clone, Copy)]
struct BodyLimit(usize, Duration);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Verified>() {
            Some(Verified(node)) => Ok(Authenticated(*node)),
            None => Err(ApiError::internal(format_args!(
                "the route {} uses Authenticated but is not behind AuthState::protect",
                parts.uri.path()
            ))),
        }
    }
}

async fn authenticate(State(auth): State<AuthState>, req: Request, next: Next) -> Response {
    let (limit, body_timeout) = req
        .extensions()
        .get::<BodyLimit>()
        .map_or((DEFAULT_MAX_BODY_BYTES, DEFAULT_BODY_TIMEOUT), |l| {
            (l.0, l.1)
        });
    let (mut parts, body) = req.into_parts();
    // A refusal before the body is read closes the connection: the unread body must not be
    // taken for the next request, and nothing is read from an unauthenticated peer.
    let has_body = parts.headers.contains_key(header::TRANSFER_ENCODING)
        || parts
            .headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let refuse = |e: ApiError| {
        let mut response = e.into_response();
        if has_body {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    };
    let header = match parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::to_str)
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return refuse(ApiError::from(AuthError::Malformed {
                reason: "the header is not visible ASCII".into(),
            }))
        }
    };
    let target = match parts.extensions.get::<SignedTarget>() {
        Some(SignedTarget(t)) => t.clone(),
        None => request_target(&parts.uri),
    };
    let (signed, known) = match auth.admit(header, parts.method.as_str(), &target).await {
        Ok(admitted) => admitted,
        Err(e) => return refuse(ApiError::from(e)),
    };
    if let Some(LoggedNode(slot)) = parts.extensions.get::<LoggedNode>() {
        let _ = slot.set(signed.node);
    }
    let bytes =
        match tokio::time::timeout(body_timeout, read_body(&parts.headers, body, limit)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => return refuse(e),
            Err(_) => {
                return refuse(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                    "the request body did not arrive within {} s; send it at once after the header",
                    body_timeout.as_secs()
                ),
                ))
            }
        };
    // The size only: a body's contents (signatures, nonces, payloads) are never logged.
    tracing::debug!(
        "{} {} from {}: {} byte body",
        parts.method,
        parts.uri.path(),
        short_node(&signed.node),
        bytes.len()
    );
    if let Err(e) = signed
        .check_body(&bytes)
        .and_then(|()| auth.record(&signed, known))
    {
        return ApiError::from(e).into_response();
    }
    // Durable before anything acts on the request: a restart must not forget it. Only
    // requests that can change state: replaying a read (GET, HEAD) has no effect, and
    // journaling it would cost a sync per read.
    let changes_state = !matches!(parts.method, Method::GET | Method::HEAD);
    if changes_state && auth.journal.is_some() {
        let (this, header) = (auth.clone(), signed.clone());
        let persisted = tokio::task::spawn_blocking(move || this.persist(&header))
            .await
            .unwrap_or_else(|e| Err(ApiError::internal(e)));
        if let Err(e) = persisted {
            return e.into_response();
        }
    }
    parts.extensions.insert(Verified(signed.node));
    parts.extensions.insert(RequestStamp {
        ts: signed.ts,
        nonce: signed.nonce,
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn request_target(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// Buffers the body, refusing more than `limit` bytes (by Content-Length up front, or while
/// reading a chunked body).
async fn read_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::body_too_large(limit));
    }
    let mut buf = Vec::with_capacity(declared.map_or(0, |l| l as usize));
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request("bad_body", format!("cannot read the request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiError::body_too_large(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// A future that turns a panic while polling into an `Err`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Response extension set by [`ApiError`]: its stable code, for the request log.
#[derive(Clone)]
struct LoggedCode(Cow<'static, str>);

/// Request extension set by [`outer`] and filled by the authentication layer: the node that
/// signed the request, for the request log.
#[derive(Clone)]
struct LoggedNode(Arc<std::sync::OnceLock<NodeId>>);

/// The first hex digits of a node id, for the log.
fn short_node(node: &NodeId) -> String {
    let full = node.to_string();
    format!("{}…", &full[..full.len().min(12)])
}

/// Outermost layer: logs each request (method, path without the query, the signing node,
/// status, error code and time taken: never a header's or body's contents) at info, and
/// see [`answer`].
async fn outer(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let node = LoggedNode(Arc::default());
    req.extensions_mut().insert(node.clone());
    let response = answer(req, next).await;
    let status = response.status();
    let code = response
        .extensions()
        .get::<LoggedCode>()
        .filter(|_| status.is_client_error() || status.is_server_error())
        .map_or_else(String::new, |c| format!(" {}", c.0));
    let node = node.0.get().map_or_else(|| "-".to_owned(), short_node);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = status.as_u16();
    if status >= 500 {
        tracing::warn!("{method} {path} {status}{code} node={node} {ms:.1}ms");
    } else {
        tracing::info!("{method} {path} {status}{code} node={node} {ms:.1}ms");
    }
    response
}

/// Records the signed target, catches panics, and rewrites every error response that is not
/// JSON yet into an [`ErrorBody`].
async fn answer(mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let target = request_target(req.uri());
    req.extensions_mut().insert(SignedTarget(target));
    let response = match CatchUnwind(Box::pin(next.run(req))).await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return ApiError::internal(format_args!(
                "handler for {method} {path} panicked: {what}"
            ))
            .into_response();
        }
    };
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::not_found(
            "not_found",
            format!("there is no endpoint {path}; the endpoints are listed in docs/api.md"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!("{path} does not accept {method}; see docs/api.md for its method"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "body_too_large",
            "the request body is larger than the server's limit; send less data",
        ),
        s if s.is_server_error() => ApiError::internal(format_args!(
            "{method} {path} answered {s} without a JSON body: {text}"
        )),
        s => {
            let code = match s {
                StatusCode::BAD_REQUEST => "bad_request",
                StatusCode::UNAUTHORIZED => "unauthorized",
                StatusCode::FORBIDDEN => "forbidden",
                StatusCode::CONFLICT => "conflict",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
                _ => "bad_request",
            };
            let message = if text.is_empty() {
                s.canonical_reason()
                    .unwrap_or("client error")
                    .to_lowercase()
            } else {
                text
            };
            ApiError::new(s, code, message)
        }
    };
    let mut fresh = error.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    for (name, value) in &parts.headers {
        fresh
            .headers_mut()
            .entry(name)
            .or_insert_with(|| value.clone());
    }
    *fresh.status_mut() = status;
    fresh
}

/// A running server. Dropping it does not stop the server: resolve the shutdown future given
/// to [`serve`] and then [`wait`](ServerHandle::wait).
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    tls: bool,
    max_connections: usize,
    task: JoinHandle<Result<(), NetError>>,
}

impl ServerHandle {
    /// The address actually bound (the real port when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` or `https://ADDR`, for printing and for clients on this host.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// The connection cap in force ([`connection_cap`] of the configured one).
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Whether the server has stopped.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the server has stopped: after the shutdown future resolved, in-flight
    /// requests finished (or [`SHUTDOWN_GRACE`] passed) and the listener closed.
    pub async fn wait(self) -> Result<(), NetError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(NetError::Serve {
                reason: format!("the server task failed: {e}"),
            }),
        }
    }
}

/// One open connection, as the accept loop sees it.
struct Slot {
    /// Requests being handled now.
    busy: usize,
    /// Since when no request is handled (accept time for a fresh connection).
    idle_since: Instant,
    /// Closes the connection when notified.
    close: Arc<tokio::sync::Notify>,
}

/// The open connections, by a sequence number.
#[derive(Default)]
struct Slots(Mutex<BTreeMap<u64, Slot>>);

impl Slots {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Slot>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes room for one more connection under `cap`: true if there is room, possibly after
    /// closing the connection idle the longest; false if every connection is busy.
    fn make_room(&self, cap: usize) -> bool {
        let mut slots = self.lock();
        if slots.len() < cap {
            return true;
        }
        let victim = slots
            .iter()
            .filter(|(_, s)| s.busy == 0)
            .min_by_key(|(_, s)| s.idle_since)
            .map(|(id, _)| *id);
        match victim.and_then(|id| slots.remove(&id)) {
            Some(slot) => {
                // Out of the map at once (so a burst does not pick it again); its task closes
                // the connection when it sees the notification.
                slot.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn set_busy(&self, id: u64, delta: isize) {
        if let Some(slot) = self.lock().get_mut(&id) {
            slot.busy = slot.busy.saturating_add_signed(delta);
            if slot.busy == 0 {
                slot.idle_since = Instant::now();
            }
        }
    }
}

/// Removes a connection from [`Slots`] when its task ends (however it ends).
struct SlotGuard(Arc<Slots>, u64);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

/// Binds `config.listen` and serves `router` in a background task until `shutdown`
/// resolves. Returns once the socket is bound, with the actual address, so the caller can
/// print it (port 0 → a free port). HTTPS when `config.tls` is set.
///
/// `router` should not set its own fallback if its 404 bodies are to be the standard JSON;
/// any non-JSON error response is rewritten anyway.
pub async fn serve<F>(
    router: Router,
    config: &ServerConfig,
    shutdown: F,
) -> Result<ServerHandle, NetError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = router
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(Extension(BodyLimit(
            config.max_body_bytes,
            config.body_timeout,
        )))
        .layer(middleware::from_fn(outer));
    let tls = match &config.tls {
        Some(files) => Some(tokio_rustls::TlsAcceptor::from(rustls_config(files)?)),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| NetError::Bind {
            addr: config.listen,
            reason: e.to_string(),
        })?;
    let local_addr = listener.local_addr().map_err(|e| NetError::Bind {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    let is_tls = tls.is_some();
    let cap = connection_cap(config.max_connections);
    let header_timeout = config.header_timeout;
    let task = tokio::spawn(accept_loop(
        listener,
        app,
        tls,
        cap,
        header_timeout,
        shutdown,
    ));
    Ok(ServerHandle {
        local_addr,
        tls: is_tls,
        max_connections: cap,
        task,
    })
}

async fn accept_loop<F>(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    cap: usize,
    header_timeout: Duration,
    shutdown: F,
) -> Result<(), NetError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Slots::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id: u64 = 0;
    let mut shutdown = pin!(shutdown);
    let mut accept_failing = false;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => {
                accept_failing = false;
                stream
            }
            Err(e) => {
                // Out of descriptors (EMFILE/ENFILE), or a connection reset before accept:
                // keep serving; say it once per episode.
                if !accept_failing {
                    tracing::warn!("cannot accept a connection: {e}");
                    accept_failing = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !slots.make_room(cap) {
            // Every connection is busy with a request: close this one at once.
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let id = next_id;
        next_id += 1;
        let close = Arc::new(tokio::sync::Notify::new());
        slots.lock().insert(
            id,
            Slot {
                busy: 0,
                idle_since: Instant::now(),
                close: close.clone(),
            },
        );
        let guard = SlotGuard(slots.clone(), id);
        let conn = Conn {
            app: app.clone(),
            slots: slots.clone(),
            id,
            header_timeout,
            close,
            stop: stop_rx.clone(),
        };
        match &tls {
            None => tasks.spawn(async move {
                let _guard = guard;
                conn.run(stream).await;
            }),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tasks.spawn(async move {
                    let _guard = guard;
                    let handshake = tokio::time::timeout(header_timeout, acceptor.accept(stream));
                    tokio::select! {
                        done = handshake => {
                            if let Ok(Ok(stream)) = done {
                                conn.run(stream).await;
                            }
                        }
                        () = conn.close.notified() => {}
                    }
                })
            }
        };
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tasks.shutdown().await;
    }
    Ok(())
}

/// One connection's service: the router, with the connection marked busy while a request is
/// handled.
struct Conn {
    app: Router,
    slots: Arc<Slots>,
    id: u64,
    header_timeout: Duration,
    close: Arc<tokio::sync::Notify>,
    stop: tokio::sync::watch::Receiver<bool>,
}

impl Conn {
    async fn run<I>(self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        use hyper::service::Service as _;
        let Conn {
            app,
            slots,
            id,
            header_timeout,
            close,
            mut stop,
        } = self;
        let tower = hyper_util::service::TowerToHyperService::new(app);
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                slots.set_busy(id, 1);
                let answer = tower.call(req);
                let slots = slots.clone();
                async move {
                    let response = answer.await;
                    slots.set_busy(id, -1);
                    response
                }
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
        let mut conn = pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => return,
            () = close.notified() => return,
            _ = stop.wait_for(|stop| *stop) => {}
        }
        // Shutdown: finish the request in flight, then close.
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
}

fn cert_error(what: &'static str, path: &Path, reason: impl std::fmt::Display) -> NetError {
    NetError::CertificateFile {
        what,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// The rustls server configuration from PEM files, with the ring provider installed
/// explicitly (this crate builds rustls without aws-lc).
fn rustls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, NetError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // Some libraries ask for the process default; make it ring. Fails only if one is set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert_what = "TLS certificate";
    let certs = CertificateDer::pem_file_iter(&files.cert_pem)
        .map_err(|e| cert_error(cert_what, &files.cert_pem, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(cert_what, &files.cert_pem, e))?;
    if certs.is_empty() {
        return Err(cert_error(
            cert_what,
            &files.cert_pem,
            "no PEM CERTIFICATE block in it",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key_pem).map_err(|e| {
        cert_error(
            "TLS private key",
            &files.key_pem,
            format!("{e} (expected a PEM PRIVATE KEY block)"),
        )
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| cert_error(cert_what, &files.cert_pem, e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            cert_error(
                "TLS private key",
                &files.key_pem,
                format!("{e}; the key must belong to the first certificate"),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

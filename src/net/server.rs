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
//! let auth = AuthState::new();
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

use std::any::Any;
use std::borrow::Cow;
use std::future::{poll_fn, Future, IntoFuture};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::task::JoinHandle;

use super::auth::{self, AuthError, ReplayCache, DEFAULT_REPLAY_CAPACITY};
use super::{ErrorBody, ErrorDetail, NetError};
use crate::keys::NodeId;

/// Default listen address of `asyncpay server run`.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9737);

/// Default limit of a request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How long in-flight requests may take to finish once shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN,
            tls: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
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
        eprintln!("asyncpay server: internal error: {detail}");
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
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(auth::SCHEME),
            );
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::unauthorized(e.code(), e.to_string())
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

/// Shared state of the authentication layer: the replay cache and the clock. Clones share
/// the cache, so use one `AuthState` for all routes of a server.
#[derive(Clone)]
pub struct AuthState {
    replay: Arc<Mutex<ReplayCache>>,
    clock: Clock,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState").finish_non_exhaustive()
    }
}

impl Default for AuthState {
    fn default() -> Self {
        AuthState::new()
    }
}

/// Unix seconds from the system clock (0 if it is before 1970).
pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl AuthState {
    /// The system clock and a replay cache of [`DEFAULT_REPLAY_CAPACITY`] entries.
    pub fn new() -> AuthState {
        AuthState {
            replay: Arc::new(Mutex::new(ReplayCache::new(DEFAULT_REPLAY_CAPACITY))),
            clock: Arc::new(system_clock),
        }
    }

    /// Uses `clock` (unix seconds) instead of the system clock, e.g. in tests.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> AuthState {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses a fresh replay cache of `capacity` entries.
    pub fn with_replay_capacity(mut self, capacity: usize) -> AuthState {
        self.replay = Arc::new(Mutex::new(ReplayCache::new(capacity)));
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

    /// Verifies one request (parsed header, clock, signature, replay) and records its nonce.
    pub fn verify(
        &self,
        header: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<NodeId, AuthError> {
        let now = (self.clock)();
        // The signature is checked before taking the lock; only the cache update is serial.
        let header = auth::verify_signed(header, method, path_and_query, body, now)?;
        let mut cache = self
            .replay
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.check_and_insert(&header.node, &header.nonce, header.ts, now)?;
        Ok(header.node)
    }
}

/// The node that signed the request. Only routes behind [`AuthState::protect`] have one; on
/// any other route the extractor fails with 500 (a programming error), never letting an
/// unauthenticated request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated(pub NodeId);

/// Request extension set by the authentication layer (private: nothing else can forge it).
#[derive(Clone, Copy)]
struct Verified(NodeId);

/// Request extension set by [`serve`]: the target as the client sent it, before any
/// `Router::nest` strips a prefix.
#[derive(Clone)]
struct SignedTarget(String);

/// Request extension set by [`serve`]: the body limit.
#[derive(Clone, Copy)]
struct BodyLimit(usize);

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
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map_or(DEFAULT_MAX_BODY_BYTES, |l| l.0);
    let (mut parts, body) = req.into_parts();
    let bytes = match read_body(&parts.headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    let header = match parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::to_str)
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => {
            return ApiError::from(AuthError::Malformed {
                reason: "the header is not visible ASCII".into(),
            })
            .into_response()
        }
    };
    let target = match parts.extensions.get::<SignedTarget>() {
        Some(SignedTarget(t)) => t.clone(),
        None => request_target(&parts.uri),
    };
    match auth.verify(header, parts.method.as_str(), &target, &bytes) {
        Ok(node) => {
            parts.extensions.insert(Verified(node));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
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

/// Outermost layer: records the signed target, catches panics, and rewrites every error
/// response that is not JSON yet into an [`ErrorBody`].
async fn outer(mut req: Request, next: Next) -> Response {
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
        .layer(Extension(BodyLimit(config.max_body_bytes)))
        .layer(middleware::from_fn(outer));
    let tls = match &config.tls {
        Some(files) => Some(rustls_config(files)?),
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
    let serve_error = |e: std::io::Error| NetError::Serve {
        reason: e.to_string(),
    };
    let is_tls = tls.is_some();
    let task = match tls {
        None => tokio::spawn(async move {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let signal = async move {
                shutdown.await;
                let _ = tx.send(());
            };
            let server = axum::serve(listener, app.into_make_service())
                .with_graceful_shutdown(signal)
                .into_future();
            let grace_over = async move {
                if rx.await.is_err() {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            };
            tokio::select! {
                result = server => result.map_err(serve_error),
                () = grace_over => Ok(()),
            }
        }),
        Some(tls) => tokio::spawn(async move {
            let handle = axum_server::Handle::new();
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(
                axum_server::tls_rustls::RustlsConfig::from_config(tls),
            );
            let server = axum_server::Server::<SocketAddr>::from_listener(listener)
                .acceptor(acceptor)
                .handle(handle.clone());
            let mut serving = pin!(server.serve(app.into_make_service()));
            tokio::select! {
                result = &mut serving => return result.map_err(serve_error),
                () = shutdown => handle.graceful_shutdown(Some(SHUTDOWN_GRACE)),
            }
            serving.await.map_err(serve_error)
        }),
    };
    Ok(ServerHandle {
        local_addr,
        tls: is_tls,
        task,
    })
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

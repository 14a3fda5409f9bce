//! The authenticated HTTP layer shared by the client wallet and the server S.
//!
//! - [`auth`]: the `Authorization: asyncpay-v3 …` scheme: every request is MAC'd under a key
//!   the client's node key and the server's derive (or, `asyncpay-v2`, signed with the
//!   client's node key) for one server (its node id), checked against a clock window
//!   (120 s back, 30 s ahead) and a replay cache with per-node budgets. Pure: no I/O, no
//!   clock.
//! - [`server`]: serving an axum [`Router`](axum::Router) over HTTP or HTTPS (rustls, ring),
//!   the [`Authenticated`](server::Authenticated) extractor, JSON error bodies
//!   ([`ApiError`](server::ApiError)).
//! - [`client`]: a blocking client (ureq) that signs every request and maps failures to
//!   [`NetError`] variants the CLI turns into exit codes.
//!
//! The wire rules (versioning, the exact signed preimage, limits, error codes) are in
//! `docs/api.md`.

pub mod auth;
pub mod client;
pub mod journal;
pub mod server;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use auth::{AuthError, AuthHeader, ReplayCache, ReplayLimits};
pub use client::Client;
pub use server::{
    serve, ApiError, ApiJson, AuthState, Authenticated, ServerConfig, ServerHandle, TlsFiles,
};

/// The API version prefix of every path.
pub const API_PREFIX: &str = "/v1";

/// The JSON body of every error response: `{"error": {"code": .., "message": ..}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable snake_case code (see `docs/api.md`); scripts match on it.
    pub code: String,
    /// What happened and what to do, for humans.
    pub message: String,
}

/// Failures of the HTTP layer, on either side.
///
/// Exit codes the CLI is expected to use: [`NetError::Unreachable`] → 4 (server unreachable);
/// [`NetError::InvalidUrl`] and [`NetError::CertificateFile`] → 2 (usage or input);
/// everything else → 1.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The URL is not an `http://` or `https://` URL with a host.
    #[error(
        "invalid server URL '{url}': {reason}; expected http://HOST[:PORT] or https://HOST[:PORT]"
    )]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Connection refused, DNS failure, timeout: nothing answered.
    #[error("cannot reach the server at {url}: {reason}; check that it runs and the URL is right")]
    Unreachable {
        /// The URL of the request.
        url: String,
        /// Why.
        reason: String,
    },
    /// The TLS handshake failed (untrusted or invalid certificate, protocol mismatch).
    #[error(
        "TLS error: {reason}; if the server uses a self-signed certificate, pass its CA \
         certificate (PEM) as the trusted CA"
    )]
    Tls {
        /// Why.
        reason: String,
    },
    /// The server answered with its JSON error body.
    #[error("the server refused the request ({status} {code}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The stable error code.
        code: String,
        /// The server's explanation.
        message: String,
    },
    /// The server at the URL is not the node the channel (or payment) was made with: its
    /// `GET /v1/info` shows another node id. Nothing was signed for it.
    #[error(
        "the server at {url} is node {found}, but this channel was opened with node \
         {expected}: refusing to talk to another server at the channel's URL (nothing was \
         sent to it). If the channel's server moved, it must answer with its own key; if \
         this is unexpected, someone else may be answering at that address"
    )]
    WrongServer {
        /// The server URL.
        url: String,
        /// The node id the channel was opened with (pinned).
        expected: String,
        /// The node id the server shows.
        found: String,
    },
    /// The server answered something this client does not understand.
    #[error("unexpected answer from the server: {reason}; check that the URL points to an asyncpay server of a compatible version")]
    Protocol {
        /// What was wrong with the answer.
        reason: String,
    },
    /// A certificate or key file cannot be read or parsed.
    #[error("cannot use the {what} file {}: {reason}", path.display())]
    CertificateFile {
        /// Which file ("TLS certificate", "TLS private key", "trusted CA certificate").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The server cannot listen on its address.
    #[error(
        "cannot listen on {addr}: {reason}; choose another address or stop the process using it"
    )]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        reason: String,
    },
    /// The server stopped with an I/O error.
    #[error("the server stopped: {reason}")]
    Serve {
        /// Why.
        reason: String,
    },
}

/// Longest text from the network that [`sanitize`] keeps, in characters.
pub const MAX_REMOTE_TEXT_CHARS: usize = 500;

/// Makes text that came from the network safe to show on a terminal: control characters
/// (C0 including ESC, DEL, C1) and Unicode bidirectional overrides are removed (line breaks
/// and tabs become spaces), and the text is cut at [`MAX_REMOTE_TEXT_CHARS`] characters. A
/// hostile server cannot move the cursor, rewrite earlier output, change colours or the
/// window title, or reorder what the user reads.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * MAX_REMOTE_TEXT_CHARS));
    let mut kept = 0;
    for c in text.chars() {
        if kept == MAX_REMOTE_TEXT_CHARS {
            out.push('…');
            break;
        }
        if c == '\n' || c == '\r' || c == '\t' {
            out.push(' ');
        } else if is_unsafe_char(c) {
            continue;
        } else {
            out.push(c);
        }
        kept += 1;
    }
    out
}

/// Whether `c` must not reach a terminal: a control character (C0, DEL, C1) or a Unicode
/// bidirectional formatting character.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Removes, in place, every character [`sanitize`] would remove from every string (and
/// object key) of a JSON document from the network, without cutting anything. The wire
/// format has no free-text fields, so an honest server never sends such characters; a hostile
/// one cannot get them to the terminal through any field the CLI shows.
pub fn scrub_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.chars().any(is_unsafe_char) => {
            s.retain(|c| !is_unsafe_char(c));
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(is_unsafe_char)) {
                let old = std::mem::take(map);
                for (mut k, v) in old {
                    k.retain(|c| !is_unsafe_char(c));
                    map.insert(k, v);
                }
            }
            map.values_mut().for_each(scrub_json);
        }
        _ => {}
    }
}

impl NetError {
    /// Whether nothing answered at the URL (the CLI's exit code 4).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, NetError::Unreachable { .. })
    }
}

/// Checks a server's base URL: `http` or `https`, a host, and no query, fragment or
/// credentials. Returns it parsed, or why it is not one (for the caller's error).
pub fn check_server_url(url: &str) -> Result<ureq::http::Uri, String> {
    let uri: ureq::http::Uri = url.parse().map_err(|e| format!("it is not a URL ({e})"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(format!(
                "the scheme '{other}' is not supported, only http and https"
            ))
        }
        None => return Err("it has no scheme".into()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("it has no host".into());
    }
    if uri.query().is_some() {
        return Err("it must not have a query".into());
    }
    if url.contains('#') {
        return Err("it must not have a fragment".into());
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err("it must not contain credentials".into());
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_what_a_terminal_would_obey() {
        let hostile =
            "\u{1b}[2J\u{1b}]0;owned\u{7}pay \u{1b}[31mred\u{9b}31m\r\nnext\u{202e}txt\u{7f}";
        let clean = sanitize(hostile);
        assert_eq!(clean, "[2J]0;ownedpay [31mred31m  nexttxt");
        assert!(!clean.chars().any(is_unsafe_char));
        let long = "x".repeat(MAX_REMOTE_TEXT_CHARS + 10);
        assert_eq!(sanitize(&long).chars().count(), MAX_REMOTE_TEXT_CHARS + 1);
        assert_eq!(sanitize("ünïcode ✓ ok"), "ünïcode ✓ ok");
    }

    #[test]
    fn scrub_json_cleans_every_string_and_key() {
        let mut v = serde_json::json!({
            "network": "regtest\u{1b}[2J",
            "list": ["a\u{7}b", 1, {"k\u{1b}": "\u{9b}v"}],
            "hex": "00ff",
        });
        scrub_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"network": "regtest[2J", "list": ["ab", 1, {"k": "v"}], "hex": "00ff"})
        );
    }
}

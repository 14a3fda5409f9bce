//! Request authentication: every client request carries a BIP340 signature by the client's
//! node key over the request (method, path and query, timestamp, nonce, body hash).
//!
//! No I/O and no clock here: callers pass `now` (unix seconds), so the rules are unit-tested
//! directly. The exact layout is documented in `docs/api.md` ("Authentication").
//!
//! Header grammar (one line, single spaces):
//!
//! ```text
//! Authorization: asyncpay-v1 node=<66 hex>, ts=<unix seconds>, nonce=<32 hex>, sig=<128 hex>
//! ```
//!
//! Signed message: `SHA256(preimage)` with
//!
//! ```text
//! preimage = "asyncpay/request/v1\n" || node_hex || "\n" || METHOD || "\n" || path_and_query
//!            || "\n" || ts || "\n" || nonce_hex || "\n" || hex(SHA256(body))
//! ```
//!
//! The node id is part of the preimage: BIP340 verifies against the x-only key, so without it
//! a captured request could be replayed under the other parity of the same x coordinate.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::secp256k1::{schnorr, Keypair, Message, SecretKey};

use crate::keys::NodeId;

/// The scheme name in the `Authorization` header.
pub const SCHEME: &str = "asyncpay-v1";

/// The domain-separation tag that starts every signed preimage.
pub const DOMAIN_TAG: &str = "asyncpay/request/v1";

/// How far (seconds) a request timestamp may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_SECS: u64 = 120;

/// Default number of (node, nonce) pairs the replay cache remembers.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Why a request is not authenticated. Every variant maps to HTTP 401 and a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error(
        "the request has no Authorization header; sign it with your node key \
         (scheme {SCHEME}, see docs/api.md)"
    )]
    Missing,
    /// The header does not follow the grammar.
    #[error("malformed Authorization header: {reason}; expected '{SCHEME} node=<66 hex>, ts=<unix seconds>, nonce=<32 hex>, sig=<128 hex>'")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not verify for the claimed node id and this request.
    #[error(
        "the request signature does not verify for node {node}; sign the exact method, path, \
         query and body with the key of that node id"
    )]
    BadSignature {
        /// The node id the header claims.
        node: NodeId,
    },
    /// The timestamp is too far from the server's clock.
    #[error(
        "the request timestamp {ts} is {skew} s away from the server clock ({now}); \
         at most {MAX_CLOCK_SKEW_SECS} s is allowed: check the system clock"
    )]
    Stale {
        /// The request's timestamp.
        ts: u64,
        /// The server's time.
        now: u64,
        /// `|now - ts|`.
        skew: u64,
    },
    /// The server has already accepted a request with this node and nonce.
    #[error(
        "the request was replayed: node {node} already used this nonce; \
         sign every request with a fresh random nonce"
    )]
    Replayed {
        /// The node id of the request.
        node: NodeId,
    },
    /// The replay cache overflowed and forgot requests this old: the server can no longer tell
    /// whether this one is a replay.
    #[error(
        "the request timestamp {ts} is at or below the server's replay horizon {horizon} \
         (the server is under load); sign the request again with the current time and a fresh nonce"
    )]
    BeyondReplayHorizon {
        /// The request's timestamp.
        ts: u64,
        /// Requests with a timestamp at or below this are refused.
        horizon: u64,
    },
}

impl AuthError {
    /// The stable snake_case code sent in the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "auth_missing",
            AuthError::Malformed { .. } => "auth_malformed",
            AuthError::BadSignature { .. } => "auth_bad_signature",
            AuthError::Stale { .. } | AuthError::BeyondReplayHorizon { .. } => {
                "auth_stale_timestamp"
            }
            AuthError::Replayed { .. } => "auth_replayed",
        }
    }
}

use crate::crypto::secp;

/// The exact bytes whose SHA256 is signed (see the module documentation).
pub fn signing_preimage(
    node: &NodeId,
    method: &str,
    path_and_query: &str,
    ts: u64,
    nonce: &[u8; 16],
    body: &[u8],
) -> Vec<u8> {
    let body_hash = sha256::Hash::hash(body).to_byte_array();
    format!(
        "{DOMAIN_TAG}\n{node}\n{method}\n{path_and_query}\n{ts}\n{}\n{}",
        nonce.to_lower_hex_string(),
        body_hash.to_lower_hex_string()
    )
    .into_bytes()
}

/// The 32-byte message the BIP340 signature covers: `SHA256(signing_preimage(..))`.
pub fn signing_digest(
    node: &NodeId,
    method: &str,
    path_and_query: &str,
    ts: u64,
    nonce: &[u8; 16],
    body: &[u8],
) -> [u8; 32] {
    let preimage = signing_preimage(node, method, path_and_query, ts, nonce, body);
    sha256::Hash::hash(&preimage).to_byte_array()
}

/// A parsed (or freshly made) `Authorization` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// The node id the request claims to come from.
    pub node: NodeId,
    /// Unix seconds when the client signed.
    pub ts: u64,
    /// 16 random bytes, never reused by a node.
    pub nonce: [u8; 16],
    /// BIP340 signature by `node` over [`signing_digest`].
    pub sig: schnorr::Signature,
}

impl AuthHeader {
    /// Signs a request with `secret` (the node key) at time `ts` with `nonce`.
    pub fn sign(
        secret: &SecretKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        ts: u64,
        nonce: [u8; 16],
    ) -> AuthHeader {
        let keypair = Keypair::from_secret_key(secp(), secret);
        let node = NodeId(keypair.public_key());
        let digest = signing_digest(&node, method, path_and_query, ts, &nonce, body);
        let mut aux = [0u8; 32];
        // Auxiliary randomness only hardens against side channels; BIP340 signing stays
        // secure (deterministic) without it.
        let _ = getrandom::fill(&mut aux);
        let sig = secp().sign_schnorr_with_aux_rand(&Message::from_digest(digest), &keypair, &aux);
        AuthHeader {
            node,
            ts,
            nonce,
            sig,
        }
    }

    /// Checks the signature against this request. Does not look at the clock or the replay
    /// cache: see [`verify_request`].
    pub fn verify_signature(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<(), AuthError> {
        let digest = signing_digest(
            &self.node,
            method,
            path_and_query,
            self.ts,
            &self.nonce,
            body,
        );
        let (xonly, _parity) = self.node.0.x_only_public_key();
        secp()
            .verify_schnorr(&self.sig, &Message::from_digest(digest), &xonly)
            .map_err(|_| AuthError::BadSignature { node: self.node })
    }
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME} node={}, ts={}, nonce={}, sig={}",
            self.node,
            self.ts,
            self.nonce.to_lower_hex_string(),
            self.sig.serialize().to_lower_hex_string()
        )
    }
}

fn malformed(reason: impl Into<String>) -> AuthError {
    AuthError::Malformed {
        reason: reason.into(),
    }
}

fn lower_hex<const N: usize>(name: &str, value: &str) -> Result<[u8; N], AuthError> {
    let ok = value.len() == 2 * N
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !ok {
        return Err(malformed(format!(
            "{name} must be {} lower-case hex characters, got '{}'",
            2 * N,
            truncate(value)
        )));
    }
    <[u8; N]>::from_hex(value).map_err(|e| malformed(format!("{name}: {e}")))
}

fn truncate(value: &str) -> String {
    const MAX: usize = 140;
    if value.len() <= MAX {
        value.to_owned()
    } else {
        let end = (0..=MAX)
            .rev()
            .find(|&i| value.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &value[..end])
    }
}

impl FromStr for AuthHeader {
    type Err = AuthError;

    /// Parses `asyncpay-v1 node=.., ts=.., nonce=.., sig=..` (parameters in any order, each
    /// exactly once, optional spaces after commas).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix(SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| {
                malformed(format!(
                    "the scheme must be '{SCHEME}' followed by a space, got '{}'",
                    truncate(s)
                ))
            })?;
        let (mut node, mut ts, mut nonce, mut sig) = (None, None, None, None);
        for param in rest.split(',') {
            let param = param.trim_start_matches(' ');
            let (key, value) = param
                .split_once('=')
                .ok_or_else(|| malformed(format!("parameter '{}' has no '='", truncate(param))))?;
            let slot = match key {
                "node" => &mut node,
                "ts" => &mut ts,
                "nonce" => &mut nonce,
                "sig" => &mut sig,
                other => {
                    return Err(malformed(format!(
                        "unknown parameter '{}'",
                        truncate(other)
                    )))
                }
            };
            if slot.replace(value).is_some() {
                return Err(malformed(format!("parameter '{key}' appears twice")));
            }
        }
        let missing = |name: &str| malformed(format!("parameter '{name}' is missing"));
        let node = node.ok_or_else(|| missing("node"))?;
        let ts = ts.ok_or_else(|| missing("ts"))?;
        let nonce = nonce.ok_or_else(|| missing("nonce"))?;
        let sig = sig.ok_or_else(|| missing("sig"))?;

        let node_bytes: [u8; 33] = lower_hex("node", node)?;
        let node = NodeId::from_str(&node_bytes.to_lower_hex_string())
            .map_err(|_| malformed("node is not a valid compressed secp256k1 public key"))?;
        let canonical_ts = !ts.is_empty()
            && ts.len() <= 20
            && ts.bytes().all(|b| b.is_ascii_digit())
            && (ts == "0" || !ts.starts_with('0'));
        let ts: u64 = ts.parse().ok().filter(|_| canonical_ts).ok_or_else(|| {
            malformed(format!(
                "ts must be unix seconds in decimal without leading zeros, got '{}'",
                truncate(ts)
            ))
        })?;
        let nonce: [u8; 16] = lower_hex("nonce", nonce)?;
        let sig_bytes: [u8; 64] = lower_hex("sig", sig)?;
        let sig = schnorr::Signature::from_slice(&sig_bytes)
            .map_err(|e| malformed(format!("sig: {e}")))?;
        Ok(AuthHeader {
            node,
            ts,
            nonce,
            sig,
        })
    }
}

/// Verifies a request completely: header present and well-formed, timestamp within
/// ±[`MAX_CLOCK_SKEW_SECS`] of `now`, signature valid, nonce not seen before. Records the nonce
/// in `cache` only when everything else passed. Returns the authenticated node id.
pub fn verify_request(
    header: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: u64,
    cache: &mut ReplayCache,
) -> Result<NodeId, AuthError> {
    let header = verify_signed(header, method, path_and_query, body, now)?;
    cache.check_and_insert(&header.node, &header.nonce, header.ts, now)?;
    Ok(header.node)
}

/// The stateless part of [`verify_request`]: header present and well-formed, timestamp within
/// the window, signature valid. The caller must still record the nonce
/// ([`ReplayCache::check_and_insert`]) before accepting the request.
pub fn verify_signed(
    header: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: u64,
) -> Result<AuthHeader, AuthError> {
    let header: AuthHeader = header.ok_or(AuthError::Missing)?.parse()?;
    check_clock(header.ts, now)?;
    header.verify_signature(method, path_and_query, body)?;
    Ok(header)
}

/// `Ok` when `ts` is within ±[`MAX_CLOCK_SKEW_SECS`] of `now`.
pub fn check_clock(ts: u64, now: u64) -> Result<(), AuthError> {
    let skew = ts.abs_diff(now);
    if skew > MAX_CLOCK_SKEW_SECS {
        return Err(AuthError::Stale { ts, now, skew });
    }
    Ok(())
}

type ReplayKey = ([u8; 33], [u8; 16]);

/// The (node, nonce) pairs accepted within the clock window, bounded in memory.
///
/// An entry is kept while its request timestamp could still pass the clock check
/// (`ts + MAX_CLOCK_SKEW_SECS >= now`). When more than `capacity` entries are live, the oldest
/// is evicted and the *replay horizon* rises to its timestamp: from then on requests stamped
/// at or before the horizon are refused ([`AuthError::BeyondReplayHorizon`]), so an evicted
/// request can never be replayed. Honest clients, which stamp requests with the current time,
/// are affected only when more than `capacity` requests arrive within one second.
#[derive(Debug, Clone)]
pub struct ReplayCache {
    capacity: usize,
    seen: HashSet<ReplayKey>,
    by_time: BTreeSet<(u64, ReplayKey)>,
    horizon: Option<u64>,
}

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache::new(DEFAULT_REPLAY_CAPACITY)
    }
}

impl ReplayCache {
    /// An empty cache remembering at most `capacity` (at least 1) pairs.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity: capacity.max(1),
            seen: HashSet::new(),
            by_time: BTreeSet::new(),
            horizon: None,
        }
    }

    /// Number of remembered pairs.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Requests stamped at or before this time are refused (set after an eviction).
    pub fn horizon(&self) -> Option<u64> {
        self.horizon
    }

    /// Forgets entries whose timestamp can no longer pass the clock check at `now`.
    pub fn prune(&mut self, now: u64) {
        let oldest_valid = now.saturating_sub(MAX_CLOCK_SKEW_SECS);
        while let Some(&(ts, key)) = self.by_time.first() {
            if ts >= oldest_valid {
                break;
            }
            self.by_time.pop_first();
            self.seen.remove(&key);
        }
    }

    /// Records (node, nonce) for a request stamped `ts`, or fails if it was seen already or
    /// is at or below the replay horizon.
    pub fn check_and_insert(
        &mut self,
        node: &NodeId,
        nonce: &[u8; 16],
        ts: u64,
        now: u64,
    ) -> Result<(), AuthError> {
        self.prune(now);
        let key = (node.0.serialize(), *nonce);
        if self.seen.contains(&key) {
            return Err(AuthError::Replayed { node: *node });
        }
        if let Some(horizon) = self.horizon {
            if ts <= horizon {
                return Err(AuthError::BeyondReplayHorizon { ts, horizon });
            }
        }
        self.seen.insert(key);
        self.by_time.insert((ts, key));
        while self.seen.len() > self.capacity {
            let Some((old_ts, old_key)) = self.by_time.pop_first() else {
                break;
            };
            self.seen.remove(&old_key);
            self.horizon = Some(self.horizon.map_or(old_ts, |h| h.max(old_ts)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_slice(&[byte; 32]).unwrap()
    }

    fn node(byte: u8) -> NodeId {
        NodeId(key(byte).public_key(secp()))
    }

    fn signed(secret: &SecretKey, body: &[u8], ts: u64, nonce: [u8; 16]) -> String {
        AuthHeader::sign(secret, "POST", "/v1/echo?x=1", body, ts, nonce).to_string()
    }

    #[test]
    fn preimage_layout_is_exact() {
        let node = node(1);
        let pre = signing_preimage(&node, "POST", "/v1/a?b=c", 42, &[0xab; 16], b"{}");
        let expected = format!(
            "asyncpay/request/v1\n{node}\nPOST\n/v1/a?b=c\n42\n{}\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "ab".repeat(16)
        );
        assert_eq!(String::from_utf8(pre).unwrap(), expected);
    }

    #[test]
    fn header_round_trips_and_verifies() {
        let secret = key(7);
        let value = signed(&secret, b"{\"a\":1}", NOW, [3; 16]);
        assert!(
            value.starts_with("asyncpay-v1 node=02") || value.starts_with("asyncpay-v1 node=03")
        );
        let parsed: AuthHeader = value.parse().unwrap();
        assert_eq!(parsed.to_string(), value);
        assert_eq!(parsed.node, NodeId(secret.public_key(secp())));
        let mut cache = ReplayCache::default();
        let got = verify_request(
            Some(&value),
            "POST",
            "/v1/echo?x=1",
            b"{\"a\":1}",
            NOW + 5,
            &mut cache,
        )
        .unwrap();
        assert_eq!(got, parsed.node);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn every_signed_field_matters() {
        let secret = key(7);
        let value = signed(&secret, b"body", NOW, [3; 16]);
        let h: AuthHeader = value.parse().unwrap();
        let bad = |r: Result<(), AuthError>| {
            assert!(matches!(r, Err(AuthError::BadSignature { .. })), "{r:?}")
        };
        bad(h.verify_signature("GET", "/v1/echo?x=1", b"body"));
        bad(h.verify_signature("POST", "/v1/echo?x=2", b"body"));
        bad(h.verify_signature("POST", "/v1/echo", b"body"));
        bad(h.verify_signature("POST", "/v1/echo?x=1", b"bodY"));
        let mut other = h.clone();
        other.ts += 1;
        bad(other.verify_signature("POST", "/v1/echo?x=1", b"body"));
        let mut other = h.clone();
        other.nonce[0] ^= 1;
        bad(other.verify_signature("POST", "/v1/echo?x=1", b"body"));
        // The same key with the other parity claims a different node id: refused.
        let mut other = h.clone();
        let mut ser = h.node.0.serialize();
        ser[0] ^= 1;
        other.node = NodeId(bitcoin::secp256k1::PublicKey::from_slice(&ser).unwrap());
        bad(other.verify_signature("POST", "/v1/echo?x=1", b"body"));
        // Another key than the one node= claims.
        let mut other = h.clone();
        other.node = node(8);
        bad(other.verify_signature("POST", "/v1/echo?x=1", b"body"));
        h.verify_signature("POST", "/v1/echo?x=1", b"body").unwrap();
    }

    #[test]
    fn malformed_headers_are_precise() {
        let good = signed(&key(7), b"", NOW, [3; 16]);
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "scheme"),
            ("Bearer abc".into(), "scheme"),
            (good.replacen("asyncpay-v1 ", "asyncpay-v2 ", 1), "scheme"),
            (good.replacen("ts=", "tz=", 1), "unknown parameter 'tz'"),
            (good.replacen(", sig=", ", x", 1), "has no '='"),
            (format!("{good}, ts=1"), "appears twice"),
            (
                good.split(", sig=").next().unwrap().to_owned(),
                "'sig' is missing",
            ),
            (good.replacen("ts=", "ts=0", 1), "leading zeros"),
            (good.replacen("ts=", "ts=-", 1), "decimal"),
            (good.replacen("nonce=03", "nonce=0", 1), "32 lower-case hex"),
            (
                good.replacen("nonce=03", "nonce=0A", 1),
                "32 lower-case hex",
            ),
            (good.replacen("node=0", "node=4", 1), "compressed secp256k1"),
        ];
        for (value, expect) in cases {
            let err = value.parse::<AuthHeader>().unwrap_err();
            assert_eq!(err.code(), "auth_malformed", "{value}");
            assert!(err.to_string().contains(expect), "{value}: {err}");
        }
        let mut cache = ReplayCache::default();
        let err = verify_request(None, "GET", "/", b"", NOW, &mut cache).unwrap_err();
        assert_eq!(err, AuthError::Missing);
        assert_eq!(err.code(), "auth_missing");
        // Spaces after commas are optional.
        let compact = good.replace(", ", ",");
        assert_eq!(compact.parse::<AuthHeader>().unwrap().to_string(), good);
    }

    #[test]
    fn clock_window_is_plus_minus_120_seconds() {
        let secret = key(7);
        for (ts, ok) in [
            (NOW - 120, true),
            (NOW + 120, true),
            (NOW - 121, false),
            (NOW + 121, false),
            (0, false),
        ] {
            let mut cache = ReplayCache::default();
            let value = signed(&secret, b"", ts, [1; 16]);
            let r = verify_request(Some(&value), "POST", "/v1/echo?x=1", b"", NOW, &mut cache);
            assert_eq!(r.is_ok(), ok, "ts {ts}: {r:?}");
            if let Err(e) = r {
                assert_eq!(e.code(), "auth_stale_timestamp");
                assert!(cache.is_empty(), "a refused request is not recorded");
            }
        }
    }

    #[test]
    fn replays_are_refused_and_bad_requests_not_recorded() {
        let secret = key(7);
        let mut cache = ReplayCache::default();
        let value = signed(&secret, b"x", NOW, [9; 16]);
        let verify = |c: &mut ReplayCache, v: &str, body: &[u8], now| {
            verify_request(Some(v), "POST", "/v1/echo?x=1", body, now, c)
        };
        // A wrong body does not burn the nonce.
        assert!(matches!(
            verify(&mut cache, &value, b"y", NOW),
            Err(AuthError::BadSignature { .. })
        ));
        assert!(cache.is_empty());
        verify(&mut cache, &value, b"x", NOW).unwrap();
        let err = verify(&mut cache, &value, b"x", NOW + 1).unwrap_err();
        assert!(matches!(err, AuthError::Replayed { .. }));
        assert_eq!(err.code(), "auth_replayed");
        // Same nonce, new timestamp: still a replay of (node, nonce).
        let again = signed(&secret, b"x", NOW + 2, [9; 16]);
        assert!(matches!(
            verify(&mut cache, &again, b"x", NOW + 2),
            Err(AuthError::Replayed { .. })
        ));
        // Another node may use the same nonce.
        let other = signed(&key(8), b"x", NOW, [9; 16]);
        verify(&mut cache, &other, b"x", NOW).unwrap();
        // Once the original timestamp is outside the window, the entry is gone, and the old
        // request fails the clock check instead.
        cache.prune(NOW + 121);
        assert_eq!(cache.len(), 0);
        assert!(matches!(
            verify(&mut cache, &value, b"x", NOW + 121),
            Err(AuthError::Stale { .. })
        ));
    }

    #[test]
    fn cache_is_bounded_and_eviction_raises_the_horizon() {
        let n = node(1);
        let mut cache = ReplayCache::new(3);
        for i in 0..3u8 {
            cache
                .check_and_insert(&n, &[i; 16], NOW + u64::from(i), NOW)
                .unwrap();
        }
        assert_eq!(cache.horizon(), None);
        cache.check_and_insert(&n, &[3; 16], NOW + 3, NOW).unwrap();
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.horizon(), Some(NOW));
        // The evicted request (ts NOW) cannot come back.
        let err = cache.check_and_insert(&n, &[0; 16], NOW, NOW).unwrap_err();
        assert_eq!(
            err,
            AuthError::BeyondReplayHorizon {
                ts: NOW,
                horizon: NOW
            }
        );
        // Still-remembered ones are replays; fresh ones pass.
        assert!(matches!(
            cache.check_and_insert(&n, &[2; 16], NOW + 2, NOW),
            Err(AuthError::Replayed { .. })
        ));
        cache.check_and_insert(&n, &[4; 16], NOW + 4, NOW).unwrap();
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.horizon(), Some(NOW + 1));
    }
}

#[cfg(test)]
mod doc_vector {
    use super::*;

    /// The worked example in docs/api.md ("Authentication"); if this changes, the wire
    /// format changed.
    #[test]
    fn documented_vector() {
        let secret = SecretKey::from_slice(&[1; 32]).unwrap();
        let node = NodeId(secret.public_key(secp()));
        assert_eq!(
            node.to_string(),
            "031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f"
        );
        let body = br#"{"version":1}"#;
        let nonce = <[u8; 16]>::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let (method, target, ts) = ("POST", "/v1/echo?x=1", 1_700_000_000);
        let pre = signing_preimage(&node, method, target, ts, &nonce, body);
        assert_eq!(
            String::from_utf8(pre).unwrap(),
            "asyncpay/request/v1\n\
             031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f\n\
             POST\n/v1/echo?x=1\n1700000000\n000102030405060708090a0b0c0d0e0f\n\
             2430f1a2ad2982d0067885488a4c89e21ad1d7c83b115ba8f1b20acc88dfaea8"
        );
        let digest = signing_digest(&node, method, target, ts, &nonce, body);
        assert_eq!(
            digest.to_lower_hex_string(),
            "22a3235bc7d0d0e36af926f86da150f4699c1ad120c1b946f4cfef25c5d73b31"
        );
        let header = AuthHeader::sign(&secret, method, target, body, ts, nonce);
        header.verify_signature(method, target, body).unwrap();
    }
}

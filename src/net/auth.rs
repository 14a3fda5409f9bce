//! Request authentication: every client request carries proof of the client's node key over
//! the request (the server it is for, method, path and query, timestamp, nonce, body hash):
//! an HMAC under a key only the client and that server can derive (`asyncpay-v3`: ECDH of
//! the two node keys, see [`request_key`]), or a BIP340 signature by the node key
//! (`asyncpay-v2`, still accepted). The MAC costs a hash where a signature cost a
//! verification at the server and a signing at the client (issue 10); both ends derive the
//! key once per peer.
//!
//! No I/O and no clock here: callers pass `now` (unix seconds), so the rules are unit-tested
//! directly. The exact layout is documented in `docs/api.md` ("Authentication").
//!
//! Header grammar (one line, single spaces):
//!
//! ```text
//! Authorization: asyncpay-v3 node=<66 hex>, server=<66 hex>, ts=<unix seconds>,
//!                nonce=<32 hex>, body=<64 hex>, mac=<64 hex>
//! Authorization: asyncpay-v2 node=<66 hex>, server=<66 hex>, ts=<unix seconds>,
//!                nonce=<32 hex>, body=<64 hex>, sig=<128 hex>
//! ```
//!
//! `mac = HMAC-SHA256(request_key, preimage("asyncpay/request/v3"))`; the signed message of
//! v2 is `SHA256(preimage("asyncpay/request/v2"))`, with
//!
//! ```text
//! preimage(tag) = tag || "\n" || node_hex || "\n" || server_hex || "\n" || METHOD
//!                 || "\n" || path_and_query || "\n" || ts || "\n" || nonce_hex || "\n"
//!                 || hex(SHA256(body))
//! request_key   = HMAC-SHA256(SHA256(compressed(ECDH point)),
//!                             "asyncpay/request-key/v3\n" || node_hex || "\n" || server_hex)
//! ```
//!
//! - Only the client's node key and the server's can make the request key, so a v3 request
//!   proves the node to that server alone (which could make one itself: it is proof to the
//!   server, not to anyone else, and nothing S keeps rests on more).
//!
//! - The node id is part of the preimage: BIP340 verifies against the x-only key, so without
//!   it a captured request could be replayed under the other parity of the same x coordinate.
//! - The server's node id is part of the preimage (new in v2): a request signed for one
//!   server is refused by every other one, so a server (or anyone who captured the request)
//!   cannot replay it elsewhere.
//! - The body hash travels in the header (new in v2), so the server verifies the signature
//!   before it reads the body and then only checks that the body matches.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::hashes::{Hmac, HmacEngine};
use bitcoin::hex::FromHex;
use bitcoin::secp256k1::{ecdh::SharedSecret, schnorr, Keypair, Message, PublicKey, SecretKey};
use subtle::ConstantTimeEq;

use crate::protocol::hex::encode as hex;

use crate::keys::NodeId;

/// The scheme name of signed requests in the `Authorization` header.
pub const SCHEME: &str = "asyncpay-v2";

/// The scheme name of MAC'd requests (what [`crate::net::Client`] sends).
pub const MAC_SCHEME: &str = "asyncpay-v3";

/// What a 401 answer offers (`WWW-Authenticate`): both schemes, the MAC'd one first.
pub const CHALLENGE: &str = "asyncpay-v3, asyncpay-v2";

/// The tag that starts a v3 request's MAC'd preimage.
pub const MAC_DOMAIN_TAG: &str = "asyncpay/request/v3";

/// The tag of [`request_key`]'s derivation.
pub const REQUEST_KEY_TAG: &str = "asyncpay/request-key/v3";

/// Request keys a server keeps derived (one ECDH each), of nodes whose request proved the
/// key; past this many it starts over, so new node ids cost memory no more than this, and
/// each costs the ECDH a signature check cost before.
const MAX_REQUEST_KEYS: usize = 65_536;

/// The scheme of the first version, which did not name the server; refused.
pub const OLD_SCHEME: &str = "asyncpay-v1";

/// The domain-separation tag that starts every signed preimage.
pub const DOMAIN_TAG: &str = "asyncpay/request/v2";

/// How far (seconds) a request timestamp may lie in the past of the server's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 120;

/// How far (seconds) a request timestamp may lie in the future of the server's clock. Small,
/// so that a request cannot be kept alive (and its replay-cache entry with it) for long.
pub const MAX_FUTURE_SKEW_SECS: u64 = 30;

/// Default number of live requests one node the server knows (the operator, a channel peer)
/// may have in the replay cache; more are refused (429) until the oldest leave the window.
pub const DEFAULT_MAX_PER_NODE: usize = 10_000;

/// Default number of live requests one node without a channel may have in the replay cache.
pub const DEFAULT_MAX_PER_STRANGER: usize = 100;

/// Default number of live requests of all nodes without a channel together.
pub const DEFAULT_MAX_STRANGERS_TOTAL: usize = 50_000;

/// Why a request is not authenticated or not admitted. Every variant maps to HTTP 401, except
/// the two budget variants (429), and has a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error(
        "the request has no Authorization header; sign it with your node key \
         (scheme {SCHEME}, see docs/api.md)"
    )]
    Missing,
    /// The header uses the first version of the scheme, which does not name the server.
    #[error(
        "the request is signed with {OLD_SCHEME}, which does not name the server it is for and \
         is no longer accepted; upgrade the client (scheme {SCHEME})"
    )]
    UnsupportedScheme,
    /// The header does not follow the grammar.
    #[error("malformed Authorization header: {reason}; expected '{MAC_SCHEME} node=<66 hex>, server=<66 hex>, ts=<unix seconds>, nonce=<32 hex>, body=<64 hex>, mac=<64 hex>' (or '{SCHEME} …, sig=<128 hex>')")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature (or MAC) does not verify for the claimed node id and this request.
    #[error(
        "the request's signature or MAC does not verify for node {node}; sign (or MAC) the \
         exact server, method, path, query and body hash with the key of that node id"
    )]
    BadSignature {
        /// The node id the header claims.
        node: NodeId,
    },
    /// The body is not the one whose hash was signed.
    #[error(
        "the request body does not match the body hash signed in the Authorization header; \
         sign the exact body you send"
    )]
    BodyMismatch,
    /// The request was signed for another server.
    #[error(
        "the request was signed for server {signed_for}, but this server is {this}; sign it for \
         the node id this server shows at /v1/info (a signed request is valid for one server only)"
    )]
    WrongServer {
        /// The node id of the server named in the request (hex).
        signed_for: String,
        /// This server's node id (hex).
        this: String,
    },
    /// The timestamp is too far from the server's clock.
    #[error(
        "the request timestamp {ts} is {skew} s away from the server clock ({now}); \
         at most {MAX_CLOCK_SKEW_SECS} s in the past and {MAX_FUTURE_SKEW_SECS} s in the future \
         are allowed: check the system clock"
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
    /// The request is stamped no later than the moment this server took its records over
    /// from another copy of itself (`server run --standby`): it may be a replay of a
    /// request that copy accepted, whose replay journal this server does not have.
    #[error(
        "the request is stamped {ts}, not after {floor}: this server took over its records \
         from another copy of itself then, and a request stamped that early may be a replay \
         of one the other copy accepted; send a new request (and check the system clock)"
    )]
    BeforeTakeover {
        /// The request's timestamp.
        ts: u64,
        /// The latest timestamp refused.
        floor: u64,
    },
    /// This node sent more requests within the clock window than its budget.
    #[error(
        "node {node} sent more than {limit} requests in the last {MAX_CLOCK_SKEW_SECS} s; \
         slow down and try again in a minute"
    )]
    RateLimited {
        /// The node id of the request.
        node: NodeId,
        /// Its budget.
        limit: usize,
    },
    /// Nodes without a channel with this server together used their budget.
    #[error(
        "the server is answering too many requests from nodes without a channel (more than \
         {limit} in the last {MAX_CLOCK_SKEW_SECS} s); try again in a minute"
    )]
    Busy {
        /// The shared budget.
        limit: usize,
    },
}

impl AuthError {
    /// The stable snake_case code sent in the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "auth_missing",
            AuthError::UnsupportedScheme => "auth_unsupported_scheme",
            AuthError::Malformed { .. } => "auth_malformed",
            AuthError::BadSignature { .. } => "auth_bad_signature",
            AuthError::BodyMismatch => "auth_body_mismatch",
            AuthError::WrongServer { .. } => "auth_wrong_server",
            AuthError::Stale { .. } => "auth_stale_timestamp",
            AuthError::Replayed { .. } => "auth_replayed",
            AuthError::BeforeTakeover { .. } => "auth_before_takeover",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::Busy { .. } => "server_busy",
        }
    }

    /// Whether this is a budget refusal (HTTP 429) rather than an authentication failure.
    pub fn is_budget(&self) -> bool {
        matches!(self, AuthError::RateLimited { .. } | AuthError::Busy { .. })
    }
}

use crate::crypto::secp;

/// `SHA256(body)`.
pub fn body_hash(body: &[u8]) -> [u8; 32] {
    sha256::Hash::hash(body).to_byte_array()
}

/// The exact bytes whose SHA256 is signed (see the module documentation).
pub fn signing_preimage(
    node: &NodeId,
    server: &NodeId,
    method: &str,
    path_and_query: &str,
    ts: u64,
    nonce: &[u8; 16],
    body_hash: &[u8; 32],
) -> Vec<u8> {
    let fields = Fields {
        node,
        server,
        method,
        path_and_query,
        ts,
        nonce,
        body_hash,
    };
    fields.preimage(DOMAIN_TAG)
}

/// What a request's proof covers.
struct Fields<'a> {
    node: &'a NodeId,
    server: &'a NodeId,
    method: &'a str,
    path_and_query: &'a str,
    ts: u64,
    nonce: &'a [u8; 16],
    body_hash: &'a [u8; 32],
}

impl Fields<'_> {
    fn preimage(&self, tag: &str) -> Vec<u8> {
        let Fields {
            node,
            server,
            method,
            path_and_query,
            ts,
            nonce,
            body_hash,
        } = self;
        format!(
            "{tag}\n{node}\n{server}\n{method}\n{path_and_query}\n{ts}\n{}\n{}",
            hex(&nonce[..]),
            hex(&body_hash[..])
        )
        .into_bytes()
    }

    /// `HMAC-SHA256(key, preimage(MAC_DOMAIN_TAG))`.
    fn mac(&self, key: &RequestKey) -> [u8; 32] {
        let mut engine = HmacEngine::<sha256::Hash>::new(&key.0);
        bitcoin::hashes::HashEngine::input(&mut engine, &self.preimage(MAC_DOMAIN_TAG));
        Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }
}

/// The key of asyncpay-v3 requests between `node` and `server`: `own` is one's own node
/// secret, `peer` the other's node id (the client: `server`; the server: `node`). Both ends
/// get the same key; nobody else can.
pub fn request_key(own: &SecretKey, peer: &NodeId, node: &NodeId, server: &NodeId) -> RequestKey {
    request_key_from_ecdh(
        &SharedSecret::new(&peer.0, own).secret_bytes(),
        node,
        server,
    )
}

/// [`request_key`] from the ECDH secret of the two node keys (secp256k1's, as
/// [`crate::keys::WalletKeys::node_ecdh`] keeps it).
pub fn request_key_from_ecdh(shared: &[u8; 32], node: &NodeId, server: &NodeId) -> RequestKey {
    let mut engine = HmacEngine::<sha256::Hash>::new(shared);
    bitcoin::hashes::HashEngine::input(
        &mut engine,
        format!("{REQUEST_KEY_TAG}\n{node}\n{server}").as_bytes(),
    );
    RequestKey(Hmac::<sha256::Hash>::from_engine(engine).to_byte_array())
}

/// The key a client and a server MAC requests with ([`request_key`]). Secret: never shown,
/// wiped when dropped.
#[derive(Clone)]
pub struct RequestKey([u8; 32]);

impl fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestKey(…)")
    }
}

#[cfg(test)]
impl PartialEq for RequestKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Drop for RequestKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The 32-byte message the BIP340 signature covers: `SHA256(signing_preimage(..))`.
pub fn signing_digest(
    node: &NodeId,
    server: &NodeId,
    method: &str,
    path_and_query: &str,
    ts: u64,
    nonce: &[u8; 16],
    body_hash: &[u8; 32],
) -> [u8; 32] {
    let preimage = signing_preimage(node, server, method, path_and_query, ts, nonce, body_hash);
    sha256::Hash::hash(&preimage).to_byte_array()
}

/// A parsed (or freshly made) `Authorization` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// The node id the request claims to come from.
    pub node: NodeId,
    /// The node id of the server the request is for.
    pub server: NodeId,
    /// Unix seconds when the client signed.
    pub ts: u64,
    /// 16 random bytes, never reused by a node.
    pub nonce: [u8; 16],
    /// `SHA256(body)`.
    pub body_hash: [u8; 32],
    /// The proof that `node` made the request.
    pub proof: Proof,
}

/// How a request proves its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// asyncpay-v2: BIP340 signature by `node` over [`signing_digest`].
    Sig(schnorr::Signature),
    /// asyncpay-v3: HMAC-SHA256 under [`request_key`] over the v3 preimage.
    Mac([u8; 32]),
}

/// The node key `secret` as the keypair [`AuthHeader::sign`] signs with (make it once per
/// client: its public key is computed here).
pub fn keypair(secret: &SecretKey) -> Keypair {
    Keypair::from_secret_key(secp(), secret)
}

impl AuthHeader {
    /// Signs a request for `server` with the node key `keypair` (see [`keypair`]) at time
    /// `ts` with `nonce`.
    pub fn sign(
        keypair: &Keypair,
        server: &NodeId,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        ts: u64,
        nonce: [u8; 16],
    ) -> AuthHeader {
        let node = NodeId(keypair.public_key());
        let body_hash = body_hash(body);
        let digest = signing_digest(
            &node,
            server,
            method,
            path_and_query,
            ts,
            &nonce,
            &body_hash,
        );
        let mut aux = [0u8; 32];
        // Auxiliary randomness only hardens against side channels; BIP340 signing stays
        // secure (deterministic) without it.
        let _ = getrandom::fill(&mut aux);
        let sig = secp().sign_schnorr_with_aux_rand(&Message::from_digest(digest), keypair, &aux);
        AuthHeader {
            node,
            server: *server,
            ts,
            nonce,
            body_hash,
            proof: Proof::Sig(sig),
        }
    }

    /// MACs a request of `node` for `server` under their [`request_key`] `key`, at time
    /// `ts` with `nonce` (asyncpay-v3).
    #[allow(clippy::too_many_arguments)]
    pub fn mac(
        key: &RequestKey,
        node: &NodeId,
        server: &NodeId,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        ts: u64,
        nonce: [u8; 16],
    ) -> AuthHeader {
        let mut header = AuthHeader {
            node: *node,
            server: *server,
            ts,
            nonce,
            body_hash: body_hash(body),
            proof: Proof::Mac([0; 32]),
        };
        header.proof = Proof::Mac(header.fields(method, path_and_query).mac(key));
        header
    }

    /// What this header's proof covers, for a request with `method` and `path_and_query`.
    fn fields<'a>(&'a self, method: &'a str, path_and_query: &'a str) -> Fields<'a> {
        Fields {
            node: &self.node,
            server: &self.server,
            method,
            path_and_query,
            ts: self.ts,
            nonce: &self.nonce,
            body_hash: &self.body_hash,
        }
    }

    /// Checks the proof against this request, with the body hash the header declares: a
    /// signature against `node`, a MAC under the key `key_of` gives for `node`. Does not
    /// look at the body, the server field, the clock or the replay cache.
    fn verify_proof(
        &self,
        method: &str,
        path_and_query: &str,
        key_of: impl FnOnce(&NodeId) -> RequestKey,
    ) -> Result<(), AuthError> {
        let mac = match &self.proof {
            Proof::Sig(_) => return self.verify_signature(method, path_and_query),
            Proof::Mac(mac) => mac,
        };
        let expected = self.fields(method, path_and_query).mac(&key_of(&self.node));
        if bool::from(expected[..].ct_eq(&mac[..])) {
            Ok(())
        } else {
            Err(AuthError::BadSignature { node: self.node })
        }
    }

    /// Checks the signature against this request, with the body hash the header declares
    /// (a v3 header, which has none, fails). Does not look at the body
    /// ([`AuthHeader::check_body`]), the clock or the replay cache ([`verify_request`]).
    pub fn verify_signature(&self, method: &str, path_and_query: &str) -> Result<(), AuthError> {
        let Proof::Sig(sig) = &self.proof else {
            return Err(AuthError::BadSignature { node: self.node });
        };
        let digest = signing_digest(
            &self.node,
            &self.server,
            method,
            path_and_query,
            self.ts,
            &self.nonce,
            &self.body_hash,
        );
        let (xonly, _parity) = self.node.0.x_only_public_key();
        secp()
            .verify_schnorr(sig, &Message::from_digest(digest), &xonly)
            .map_err(|_| AuthError::BadSignature { node: self.node })
    }

    /// `Ok` when `body` is the body whose hash was signed.
    pub fn check_body(&self, body: &[u8]) -> Result<(), AuthError> {
        if body_hash(body) == self.body_hash {
            Ok(())
        } else {
            Err(AuthError::BodyMismatch)
        }
    }

    /// `Ok` when the request is for `server`.
    pub fn check_server(&self, server: &NodeId) -> Result<(), AuthError> {
        if self.server == *server {
            Ok(())
        } else {
            Err(AuthError::WrongServer {
                signed_for: self.server.to_string(),
                this: server.to_string(),
            })
        }
    }
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, name, proof) = match &self.proof {
            Proof::Sig(sig) => (SCHEME, "sig", hex(&sig.serialize())),
            Proof::Mac(mac) => (MAC_SCHEME, "mac", hex(mac)),
        };
        write!(
            f,
            "{scheme} node={}, server={}, ts={}, nonce={}, body={}, {name}={proof}",
            self.node,
            self.server,
            self.ts,
            hex(&self.nonce),
            hex(&self.body_hash),
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

/// The node id `value` names; what `known` gives for its bytes without decoding its point
/// (decoding takes a square root).
fn node_id(
    name: &str,
    value: &str,
    known: impl Fn(&NodeKey) -> Option<NodeId>,
) -> Result<NodeId, AuthError> {
    let bytes: [u8; 33] = lower_hex(name, value)?;
    if let Some(known) = known(&bytes) {
        return Ok(known);
    }
    PublicKey::from_slice(&bytes).map(NodeId).map_err(|_| {
        malformed(format!(
            "{name} is not a valid compressed secp256k1 public key"
        ))
    })
}

impl FromStr for AuthHeader {
    type Err = AuthError;

    /// Parses `asyncpay-v3 node=.., server=.., ts=.., nonce=.., body=.., mac=..` or
    /// `asyncpay-v2 …, sig=..` (parameters in any order, each exactly once, optional spaces
    /// after commas).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthHeader::parse(s, None, |_| None)
    }
}

impl AuthHeader {
    /// [`AuthHeader::from_str`] on a server that knows its own node id and, by `known`,
    /// its clients': a `server` naming it, or a `node` `known` gives, is compared, not
    /// decoded (decoding a point costs a square root).
    fn parse(
        s: &str,
        this_server: Option<&NodeId>,
        known: impl Fn(&NodeKey) -> Option<NodeId>,
    ) -> Result<Self, AuthError> {
        if s.strip_prefix(OLD_SCHEME)
            .is_some_and(|r| r.starts_with(' '))
        {
            return Err(AuthError::UnsupportedScheme);
        }
        let scheme = |name: &str| s.strip_prefix(name).and_then(|r| r.strip_prefix(' '));
        let (rest, proof_name) = match (scheme(MAC_SCHEME), scheme(SCHEME)) {
            (Some(rest), _) => (rest, "mac"),
            (None, Some(rest)) => (rest, "sig"),
            (None, None) => {
                return Err(malformed(format!(
                    "the scheme must be '{MAC_SCHEME}' or '{SCHEME}' followed by a space, got \
                     '{}'",
                    truncate(s)
                )))
            }
        };
        let (mut node, mut server, mut ts, mut nonce, mut body, mut proof) =
            (None, None, None, None, None, None);
        for param in rest.split(',') {
            let param = param.trim_start_matches(' ');
            let (key, value) = param
                .split_once('=')
                .ok_or_else(|| malformed(format!("parameter '{}' has no '='", truncate(param))))?;
            let slot = match key {
                "node" => &mut node,
                "server" => &mut server,
                "ts" => &mut ts,
                "nonce" => &mut nonce,
                "body" => &mut body,
                name if name == proof_name => &mut proof,
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
        let server = server.ok_or_else(|| missing("server"))?;
        let ts = ts.ok_or_else(|| missing("ts"))?;
        let nonce = nonce.ok_or_else(|| missing("nonce"))?;
        let body = body.ok_or_else(|| missing("body"))?;
        let proof = proof.ok_or_else(|| missing(proof_name))?;

        let node = node_id("node", node, known)?;
        let server = node_id("server", server, |bytes| {
            this_server.filter(|k| k.0.serialize() == *bytes).copied()
        })?;
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
        let body_hash: [u8; 32] = lower_hex("body", body)?;
        let proof = if proof_name == "mac" {
            Proof::Mac(lower_hex("mac", proof)?)
        } else {
            let sig_bytes: [u8; 64] = lower_hex("sig", proof)?;
            Proof::Sig(
                schnorr::Signature::from_slice(&sig_bytes)
                    .map_err(|e| malformed(format!("sig: {e}")))?,
            )
        };
        Ok(AuthHeader {
            node,
            server,
            ts,
            nonce,
            body_hash,
            proof,
        })
    }
}

/// Verifies a request completely: header present and well-formed, for `server`, timestamp
/// within the window of `now`, signature valid, body matching, nonce not seen before and
/// within the node's budget. Records the nonce in `cache` only when everything else passed.
/// Returns the authenticated node id. `privileged` says whether the node is one the server
/// knows (its operator, a channel peer): such nodes have their own, larger budget.
#[allow(clippy::too_many_arguments)]
pub fn verify_request(
    header: Option<&str>,
    server: &Verifier,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: u64,
    privileged: bool,
    cache: &mut ReplayCache,
) -> Result<NodeId, AuthError> {
    let header = verify_signed(header, server, method, path_and_query, now)?;
    header.check_body(body)?;
    cache.check_and_insert(&header.node, &header.nonce, header.ts, now, privileged)?;
    Ok(header.node)
}

/// The stateless part of [`verify_request`], done before the body is read: header present
/// and well-formed, for `server`, timestamp within the window, signature or MAC valid over
/// the declared body hash. The caller must still check the body ([`AuthHeader::check_body`])
/// and record the nonce ([`ReplayCache::check_and_insert`]) before accepting the request.
pub fn verify_signed(
    header: Option<&str>,
    server: &Verifier,
    method: &str,
    path_and_query: &str,
    now: u64,
) -> Result<AuthHeader, AuthError> {
    let header = AuthHeader::parse(
        header.ok_or(AuthError::Missing)?,
        Some(&server.node),
        |bytes| server.known_node(bytes),
    )?;
    check_clock(header.ts, now)?;
    header.check_server(&server.node)?;
    let mut derived = None;
    header.verify_proof(method, path_and_query, |node| {
        server.key_for(node).unwrap_or_else(|| {
            let key = server.derive(node);
            derived = Some(key.clone());
            key
        })
    })?;
    // Kept only once a request proved it: a flood of bad MACs evicts nobody's.
    if let Some(key) = derived {
        server.keep(&header.node, key);
    }
    Ok(header)
}

/// What a server checks requests with: its node id, and its node secret for the request keys
/// of asyncpay-v3, which it keeps derived by client (at most `MAX_REQUEST_KEYS`).
pub struct Verifier {
    node: NodeId,
    secret: SecretKey,
    keys: std::sync::Mutex<HashMap<NodeKey, (NodeId, RequestKey)>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The verifier of the server whose node secret is `secret`.
    pub fn new(secret: &SecretKey) -> Verifier {
        Verifier {
            node: NodeId(secret.public_key(secp())),
            secret: *secret,
            keys: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The server's node id: requests must be made for it.
    pub fn node(&self) -> NodeId {
        self.node
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<NodeKey, (NodeId, RequestKey)>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The request key of client `node` with this server, if kept.
    fn key_for(&self, node: &NodeId) -> Option<RequestKey> {
        self.keys()
            .get(&node.0.serialize())
            .map(|(_, key)| key.clone())
    }

    /// The node id of a client whose key is kept, by its bytes (decoded once, when kept).
    fn known_node(&self, bytes: &NodeKey) -> Option<NodeId> {
        self.keys().get(bytes).map(|(node, _)| *node)
    }

    /// The request key of client `node` with this server, derived now (one ECDH).
    fn derive(&self, node: &NodeId) -> RequestKey {
        request_key(&self.secret, node, node, &self.node)
    }

    /// Keeps `node`'s request key (once a request of `node` proved it).
    fn keep(&self, node: &NodeId, key: RequestKey) {
        let mut keys = self.keys();
        if keys.len() >= MAX_REQUEST_KEYS {
            keys.clear();
        }
        keys.insert(node.0.serialize(), (*node, key));
    }
}

/// `Ok` when `ts` is at most [`MAX_CLOCK_SKEW_SECS`] before and [`MAX_FUTURE_SKEW_SECS`]
/// after `now`.
pub fn check_clock(ts: u64, now: u64) -> Result<(), AuthError> {
    let skew = ts.abs_diff(now);
    let max = if ts > now {
        MAX_FUTURE_SKEW_SECS
    } else {
        MAX_CLOCK_SKEW_SECS
    };
    if skew > max {
        return Err(AuthError::Stale { ts, now, skew });
    }
    Ok(())
}

/// The budgets of a [`ReplayCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayLimits {
    /// Live requests of one node the server knows. See [`DEFAULT_MAX_PER_NODE`].
    pub per_node: usize,
    /// Live requests of one node without a channel. See [`DEFAULT_MAX_PER_STRANGER`].
    pub per_stranger: usize,
    /// Live requests of all nodes without a channel. See [`DEFAULT_MAX_STRANGERS_TOTAL`].
    pub strangers_total: usize,
}

impl Default for ReplayLimits {
    fn default() -> Self {
        ReplayLimits {
            per_node: DEFAULT_MAX_PER_NODE,
            per_stranger: DEFAULT_MAX_PER_STRANGER,
            strangers_total: DEFAULT_MAX_STRANGERS_TOTAL,
        }
    }
}

type NodeKey = [u8; 33];

/// The (node, nonce) pairs accepted within the clock window, in one bucket per node.
///
/// An entry is kept while its request timestamp could still pass the clock check
/// (`ts + MAX_CLOCK_SKEW_SECS >= now`), and nothing live is ever forgotten: memory is bounded
/// by refusing requests instead. Each node has a budget of live entries: a node the server
/// knows (`privileged`) [`ReplayLimits::per_node`], any other node
/// [`ReplayLimits::per_stranger`], and all entries recorded for nodes without a channel share
/// [`ReplayLimits::strangers_total`]. A node over its budget is refused
/// ([`AuthError::RateLimited`]) until its own entries age out; it cannot lock out anyone else.
/// When the strangers' shared budget is used up, strangers are refused ([`AuthError::Busy`]),
/// but never a privileged node. A stranger's entry is kept from the later of its timestamp
/// and its admission, so a stranger stamping its requests in the past still gets at most
/// [`ReplayLimits::per_stranger`] requests admitted per [`MAX_CLOCK_SKEW_SECS`] (and all
/// strangers [`ReplayLimits::strangers_total`]). Since timestamps may lie at most
/// [`MAX_FUTURE_SKEW_SECS`] ahead, every entry leaves after at most 150 s.
#[derive(Debug, Clone, Default)]
pub struct ReplayCache {
    limits: ReplayLimits,
    /// node → nonce → whether it was recorded as a stranger's.
    buckets: HashMap<NodeKey, HashMap<[u8; 16], bool>>,
    /// Every entry by timestamp (a stranger's: by the later of timestamp and admission),
    /// for expiry.
    by_time: BTreeSet<(u64, NodeKey, [u8; 16])>,
    /// Entries recorded as a stranger's.
    strangers: usize,
    /// Entries of an earlier run of the server ([`ReplayCache::restore`]), by
    /// [`replay_digest`]: refused as replays until their timestamp leaves the window.
    restored: HashMap<[u8; 32], u64>,
    /// The restored entries by timestamp, for expiry.
    restored_by_time: BTreeSet<(u64, [u8; 32])>,
    /// Requests stamped up to this are refused ([`ReplayCache::refuse_up_to`]).
    floor: u64,
}

/// The digest a (node, nonce) pair is kept under on disk:
/// `SHA256("asyncpay/replay/v1" ‖ node (33) ‖ nonce (16))`. It names neither the node nor
/// the nonce, and a new pair matches it only by being that pair.
pub fn replay_digest(node: &NodeId, nonce: &[u8; 16]) -> [u8; 32] {
    let mut data = Vec::with_capacity(18 + 33 + 16);
    data.extend_from_slice(b"asyncpay/replay/v1");
    data.extend_from_slice(&node.0.serialize());
    data.extend_from_slice(nonce);
    sha256::Hash::hash(&data).to_byte_array()
}

/// Whether a request stamped `ts` can still pass the clock check at `now`, so that its
/// replay-cache entry must be kept.
pub fn replay_entry_live(ts: u64, now: u64) -> bool {
    ts >= now.saturating_sub(MAX_CLOCK_SKEW_SECS)
}

impl ReplayCache {
    /// An empty cache with these budgets (each at least 1).
    pub fn new(limits: ReplayLimits) -> ReplayCache {
        ReplayCache {
            limits: ReplayLimits {
                per_node: limits.per_node.max(1),
                per_stranger: limits.per_stranger.max(1),
                strangers_total: limits.strangers_total.max(1),
            },
            ..ReplayCache::default()
        }
    }

    /// The budgets.
    pub fn limits(&self) -> ReplayLimits {
        self.limits
    }

    /// Number of remembered pairs.
    pub fn len(&self) -> usize {
        self.by_time.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.by_time.is_empty()
    }

    /// Number of remembered pairs of `node`.
    pub fn len_of(&self, node: &NodeId) -> usize {
        self.buckets
            .get(&node.0.serialize())
            .map_or(0, HashMap::len)
    }

    /// Remembers an entry of an earlier run (its [`replay_digest`] and timestamp), read back
    /// from where the server kept it: the same (node, nonce) is then refused as a replay until
    /// `ts` leaves the window. It counts against no budget (its node is not known).
    pub fn restore(&mut self, ts: u64, digest: [u8; 32], now: u64) {
        if !replay_entry_live(ts, now) {
            return;
        }
        let previous = self.restored.insert(digest, ts);
        if let Some(old) = previous {
            self.restored_by_time.remove(&(old, digest));
        }
        self.restored_by_time.insert((ts, digest));
    }

    /// Refuses every request stamped up to `floor` ([`AuthError::BeforeTakeover`]): the
    /// server took its records over from another copy of itself, whose replay journal it
    /// does not have, and any request that copy accepted is stamped no later than `floor`.
    pub fn refuse_up_to(&mut self, floor: u64) {
        self.floor = self.floor.max(floor);
    }

    /// Number of entries of an earlier run still remembered.
    pub fn restored_len(&self) -> usize {
        self.restored.len()
    }

    /// Forgets entries whose timestamp can no longer pass the clock check at `now`.
    pub fn prune(&mut self, now: u64) {
        let oldest_valid = now.saturating_sub(MAX_CLOCK_SKEW_SECS);
        while let Some(&(ts, digest)) = self.restored_by_time.first() {
            if ts >= oldest_valid {
                break;
            }
            self.restored_by_time.pop_first();
            self.restored.remove(&digest);
        }
        while let Some(&(ts, node, nonce)) = self.by_time.first() {
            if ts >= oldest_valid {
                break;
            }
            self.by_time.pop_first();
            if let Some(bucket) = self.buckets.get_mut(&node) {
                if bucket.remove(&nonce) == Some(true) {
                    self.strangers -= 1;
                }
                if bucket.is_empty() {
                    self.buckets.remove(&node);
                }
            }
        }
    }

    /// Whether (node, nonce) could be recorded now: not seen, within the budgets. Changes
    /// nothing but expiry.
    pub fn check(
        &mut self,
        node: &NodeId,
        nonce: &[u8; 16],
        now: u64,
        privileged: bool,
    ) -> Result<(), AuthError> {
        self.prune(now);
        if !self.restored.is_empty() && self.restored.contains_key(&replay_digest(node, nonce)) {
            return Err(AuthError::Replayed { node: *node });
        }
        let key = node.0.serialize();
        let live = match self.buckets.get(&key) {
            Some(bucket) if bucket.contains_key(nonce) => {
                return Err(AuthError::Replayed { node: *node })
            }
            Some(bucket) => bucket.len(),
            None => 0,
        };
        let limit = if privileged {
            self.limits.per_node
        } else {
            self.limits.per_stranger
        };
        if live >= limit {
            return Err(AuthError::RateLimited { node: *node, limit });
        }
        if !privileged && self.strangers >= self.limits.strangers_total {
            return Err(AuthError::Busy {
                limit: self.limits.strangers_total,
            });
        }
        Ok(())
    }

    /// Records (node, nonce) for a request stamped `ts`, or fails as [`ReplayCache::check`].
    pub fn check_and_insert(
        &mut self,
        node: &NodeId,
        nonce: &[u8; 16],
        ts: u64,
        now: u64,
        privileged: bool,
    ) -> Result<(), AuthError> {
        if ts <= self.floor {
            return Err(AuthError::BeforeTakeover {
                ts,
                floor: self.floor,
            });
        }
        self.check(node, nonce, now, privileged)?;
        let key = node.0.serialize();
        self.buckets
            .entry(key)
            .or_default()
            .insert(*nonce, !privileged);
        // A stranger's entry is kept (and counted) for the whole window after it was
        // admitted, even if stamped in the past: its budget is then a rate by admission time,
        // whatever timestamps it sends.
        let kept_from = if privileged { ts } else { ts.max(now) };
        self.by_time.insert((kept_from, key, *nonce));
        if !privileged {
            self.strangers += 1;
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

    fn server() -> NodeId {
        node(99)
    }

    fn signed(secret: &SecretKey, body: &[u8], ts: u64, nonce: [u8; 16]) -> String {
        AuthHeader::sign(
            &keypair(secret),
            &server(),
            "POST",
            "/v1/echo?x=1",
            body,
            ts,
            nonce,
        )
        .to_string()
    }

    fn verify(
        cache: &mut ReplayCache,
        value: &str,
        body: &[u8],
        now: u64,
    ) -> Result<NodeId, AuthError> {
        verify_request(
            Some(value),
            &Verifier::new(&key(99)),
            "POST",
            "/v1/echo?x=1",
            body,
            now,
            false,
            cache,
        )
    }

    #[test]
    fn preimage_layout_is_exact() {
        let node = node(1);
        let server = server();
        let pre = signing_preimage(
            &node,
            &server,
            "POST",
            "/v1/a?b=c",
            42,
            &[0xab; 16],
            &body_hash(b"{}"),
        );
        let expected = format!(
            "asyncpay/request/v2\n{node}\n{server}\nPOST\n/v1/a?b=c\n42\n{}\n\
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
            value.starts_with("asyncpay-v2 node=02") || value.starts_with("asyncpay-v2 node=03")
        );
        let parsed: AuthHeader = value.parse().unwrap();
        assert_eq!(parsed.to_string(), value);
        assert_eq!(parsed.node, NodeId(secret.public_key(secp())));
        assert_eq!(parsed.server, server());
        // Parsed on the server it names, or on another one: the same header.
        for this in [server(), node(98)] {
            let on = AuthHeader::parse(&value, Some(&this), |_| None).unwrap();
            assert_eq!(on.to_string(), value);
            assert_eq!(on.server, server());
        }
        let mut cache = ReplayCache::default();
        let got = verify(&mut cache, &value, b"{\"a\":1}", NOW + 5).unwrap();
        assert_eq!(got, parsed.node);
        assert_eq!(cache.len(), 1);
    }

    /// A v3 header MAC'd by node 7 for the server (key 99).
    fn macd(client: u8, server_key: u8, body: &[u8], ts: u64, nonce: [u8; 16]) -> AuthHeader {
        let server = node(server_key);
        let key = request_key(&key(client), &server, &node(client), &server);
        AuthHeader::mac(
            &key,
            &node(client),
            &server,
            "POST",
            "/v1/echo?x=1",
            body,
            ts,
            nonce,
        )
    }

    #[test]
    fn request_keys_agree_at_both_ends_and_nowhere_else() {
        let (c, s) = (node(7), server());
        let at_client = request_key(&key(7), &s, &c, &s);
        let at_server = request_key(&key(99), &c, &c, &s);
        assert_eq!(at_client.0, at_server.0);
        // Another client, another server, or the roles swapped: another key.
        for other in [
            request_key(&key(8), &s, &node(8), &s),
            request_key(&key(7), &node(98), &c, &node(98)),
            request_key(&key(7), &s, &s, &c),
        ] {
            assert_ne!(other.0, at_client.0);
        }
        assert_eq!(format!("{at_client:?}"), "RequestKey(…)");
    }

    #[test]
    fn a_macd_header_round_trips_and_verifies() {
        let h = macd(7, 99, b"{\"a\":1}", NOW, [3; 16]);
        let value = h.to_string();
        assert!(value.starts_with("asyncpay-v3 node=0"), "{value}");
        assert!(
            value.contains(", mac=") && !value.contains("sig="),
            "{value}"
        );
        let parsed: AuthHeader = value.parse().unwrap();
        assert_eq!(parsed, h);
        assert_eq!(parsed.to_string(), value);
        let mut cache = ReplayCache::default();
        let got = verify(&mut cache, &value, b"{\"a\":1}", NOW + 5).unwrap();
        assert_eq!(got, node(7));
        // The same request again is a replay, as with a signature.
        assert_eq!(
            verify(&mut cache, &value, b"{\"a\":1}", NOW + 6),
            Err(AuthError::Replayed { node: node(7) })
        );
        // A v3 header with a signature's parameter, or v2 with a MAC's, is malformed.
        for wrong in [
            value.replacen(", mac=", ", sig=", 1),
            value.replacen("asyncpay-v3 ", "asyncpay-v2 ", 1),
        ] {
            assert!(
                matches!(
                    wrong.parse::<AuthHeader>(),
                    Err(AuthError::Malformed { .. })
                ),
                "{wrong}"
            );
        }
    }

    /// The server keeps a client's request key only once a request proved it: MACs made
    /// under other keys, whatever node ids they claim, leave nothing behind.
    #[test]
    fn a_request_key_is_kept_only_once_a_request_proved_it() {
        let verifier = Verifier::new(&key(99));
        let kept = || verifier.keys().len();
        for claimed in 1..=5 {
            let mut forged = macd(8, 99, b"", NOW, [claimed; 16]);
            forged.node = node(claimed);
            let r = verify_signed(
                Some(&forged.to_string()),
                &verifier,
                "POST",
                "/v1/echo?x=1",
                NOW,
            );
            assert!(matches!(r, Err(AuthError::BadSignature { .. })), "{r:?}");
        }
        assert_eq!(kept(), 0);
        let good = macd(7, 99, b"", NOW, [9; 16]).to_string();
        verify_signed(Some(&good), &verifier, "POST", "/v1/echo?x=1", NOW).unwrap();
        assert_eq!(kept(), 1);
        assert!(verifier.key_for(&node(7)).is_some());
        // Its node id is then known by its bytes, and read without decoding the point.
        assert_eq!(verifier.known_node(&node(7).0.serialize()), Some(node(7)));
        assert_eq!(verifier.known_node(&node(8).0.serialize()), None);
        let again = macd(7, 99, b"", NOW, [10; 16]).to_string();
        let parsed = verify_signed(Some(&again), &verifier, "POST", "/v1/echo?x=1", NOW).unwrap();
        assert_eq!(parsed.node, node(7));
    }

    #[test]
    fn every_macd_field_matters_and_only_the_two_keys_make_it() {
        let body = b"body";
        let h = macd(7, 99, body, NOW, [3; 16]);
        let verifier = Verifier::new(&key(99));
        let check = |h: &AuthHeader, method: &str, target: &str| {
            h.verify_proof(method, target, |n| verifier.derive(n))
        };
        check(&h, "POST", "/v1/echo?x=1").unwrap();
        let bad = |r: Result<(), AuthError>| {
            assert!(matches!(r, Err(AuthError::BadSignature { .. })), "{r:?}")
        };
        bad(check(&h, "GET", "/v1/echo?x=1"));
        bad(check(&h, "POST", "/v1/echo?x=2"));
        let mut tweaks: Vec<AuthHeader> = Vec::new();
        for i in 0..6 {
            let mut o = h.clone();
            match i {
                0 => o.body_hash = body_hash(b"bodY"),
                1 => o.ts += 1,
                2 => o.nonce[0] ^= 1,
                3 => o.server = node(98),
                // Node 8 claims node 7's request: the key is 8's.
                4 => o.node = node(8),
                _ => {
                    let Proof::Mac(mac) = &mut o.proof else {
                        unreachable!()
                    };
                    mac[31] ^= 1;
                }
            }
            tweaks.push(o);
        }
        for o in &tweaks {
            bad(check(o, "POST", "/v1/echo?x=1"));
        }
        // A MAC made under another client's key, or for another server, claiming node 7.
        let mut forged = macd(8, 99, body, NOW, [3; 16]);
        forged.node = node(7);
        bad(check(&forged, "POST", "/v1/echo?x=1"));
        let mut elsewhere = macd(7, 98, body, NOW, [3; 16]);
        elsewhere.server = server();
        bad(check(&elsewhere, "POST", "/v1/echo?x=1"));
        // A header for another server is refused as such before any key is derived.
        let for_98 = macd(7, 98, body, NOW, [4; 16]).to_string();
        assert!(matches!(
            verify(&mut ReplayCache::default(), &for_98, body, NOW),
            Err(AuthError::WrongServer { .. })
        ));
    }

    #[test]
    fn every_signed_field_matters() {
        let secret = key(7);
        let value = signed(&secret, b"body", NOW, [3; 16]);
        let h: AuthHeader = value.parse().unwrap();
        let bad = |r: Result<(), AuthError>| {
            assert!(matches!(r, Err(AuthError::BadSignature { .. })), "{r:?}")
        };
        bad(h.verify_signature("GET", "/v1/echo?x=1"));
        bad(h.verify_signature("POST", "/v1/echo?x=2"));
        bad(h.verify_signature("POST", "/v1/echo"));
        assert_eq!(h.check_body(b"bodY"), Err(AuthError::BodyMismatch));
        h.check_body(b"body").unwrap();
        let mut other = h.clone();
        other.body_hash = body_hash(b"bodY");
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        let mut other = h.clone();
        other.ts += 1;
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        let mut other = h.clone();
        other.nonce[0] ^= 1;
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        // Another server in the header: the signature does not cover it.
        let mut other = h.clone();
        other.server = node(98);
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        // The same key with the other parity claims a different node id: refused.
        let mut other = h.clone();
        let mut ser = h.node.0.serialize();
        ser[0] ^= 1;
        other.node = NodeId(bitcoin::secp256k1::PublicKey::from_slice(&ser).unwrap());
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        // Another key than the one node= claims.
        let mut other = h.clone();
        other.node = node(8);
        bad(other.verify_signature("POST", "/v1/echo?x=1"));
        h.verify_signature("POST", "/v1/echo?x=1").unwrap();
    }

    #[test]
    fn a_request_for_another_server_is_refused() {
        let secret = key(7);
        let for_other = AuthHeader::sign(
            &keypair(&secret),
            &node(98),
            "POST",
            "/v1/echo?x=1",
            b"",
            NOW,
            [1; 16],
        )
        .to_string();
        let mut cache = ReplayCache::default();
        let err = verify(&mut cache, &for_other, b"", NOW).unwrap_err();
        assert_eq!(
            err,
            AuthError::WrongServer {
                signed_for: node(98).to_string(),
                this: server().to_string()
            }
        );
        assert_eq!(err.code(), "auth_wrong_server");
        assert!(cache.is_empty());
        // S's own x coordinate with the other parity is another server: the byte compare
        // that spares S decoding its own id does not let it through.
        let mut flipped = server().0.serialize();
        flipped[0] ^= 1;
        let negated = NodeId(PublicKey::from_slice(&flipped).unwrap());
        let header = AuthHeader::sign(
            &keypair(&secret),
            &negated,
            "POST",
            "/v1/echo?x=1",
            b"",
            NOW,
            [2; 16],
        );
        assert_eq!(
            verify(&mut cache, &header.to_string(), b"", NOW).unwrap_err(),
            AuthError::WrongServer {
                signed_for: negated.to_string(),
                this: server().to_string()
            }
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn malformed_headers_are_precise() {
        let good = signed(&key(7), b"", NOW, [3; 16]);
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "scheme"),
            ("Bearer abc".into(), "scheme"),
            (good.replacen("asyncpay-v2 ", "asyncpay-v4 ", 1), "scheme"),
            (
                good.replacen("asyncpay-v2 ", "asyncpay-v3 ", 1),
                "unknown parameter 'sig'",
            ),
            (
                macd(7, 99, b"", NOW, [3; 16]).to_string() + "0",
                "mac must be 64 lower-case hex",
            ),
            (good.replacen("ts=", "tz=", 1), "unknown parameter 'tz'"),
            (good.replacen(", sig=", ", x", 1), "has no '='"),
            (format!("{good}, ts=1"), "appears twice"),
            (
                good.split(", sig=").next().unwrap().to_owned(),
                "'sig' is missing",
            ),
            (
                good.replacen(", server=", ", x=", 1),
                "unknown parameter 'x'",
            ),
            (good.replacen("ts=", "ts=0", 1), "leading zeros"),
            (good.replacen("ts=", "ts=-", 1), "decimal"),
            (good.replacen("nonce=03", "nonce=0", 1), "32 lower-case hex"),
            (
                good.replacen("nonce=03", "nonce=0A", 1),
                "32 lower-case hex",
            ),
            (good.replacen("body=", "body=0", 1), "64 lower-case hex"),
            (good.replacen("node=0", "node=4", 1), "compressed secp256k1"),
            (good.replacen("server=0", "server=4", 1), "server is not"),
        ];
        for (value, expect) in cases {
            let err = value.parse::<AuthHeader>().unwrap_err();
            assert_eq!(err.code(), "auth_malformed", "{value}");
            assert!(err.to_string().contains(expect), "{value}: {err}");
        }
        let mut cache = ReplayCache::default();
        let err = verify_request(
            None,
            &Verifier::new(&key(99)),
            "GET",
            "/",
            b"",
            NOW,
            false,
            &mut cache,
        )
        .unwrap_err();
        assert_eq!(err, AuthError::Missing);
        assert_eq!(err.code(), "auth_missing");
        // Spaces after commas are optional.
        let compact = good.replace(", ", ",");
        assert_eq!(compact.parse::<AuthHeader>().unwrap().to_string(), good);
        // The first version is refused as such.
        let v1 = good.replacen("asyncpay-v2 ", "asyncpay-v1 ", 1);
        let err = v1.parse::<AuthHeader>().unwrap_err();
        assert_eq!(err, AuthError::UnsupportedScheme);
        assert_eq!(err.code(), "auth_unsupported_scheme");
    }

    #[test]
    fn clock_window_is_120_seconds_back_and_30_ahead() {
        let secret = key(7);
        for (ts, ok) in [
            (NOW - 120, true),
            (NOW + 30, true),
            (NOW - 121, false),
            (NOW + 31, false),
            (NOW + 119, false),
            (0, false),
        ] {
            let mut cache = ReplayCache::default();
            let value = signed(&secret, b"", ts, [1; 16]);
            let r = verify(&mut cache, &value, b"", NOW);
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
        // A wrong body does not burn the nonce.
        assert_eq!(
            verify(&mut cache, &value, b"y", NOW),
            Err(AuthError::BodyMismatch)
        );
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
    fn restored_entries_are_replays_until_they_leave_the_window() {
        let secret = key(7);
        let value = signed(&secret, b"x", NOW, [9; 16]);
        // A fresh cache (a restarted server) that read back the entry of that request.
        let mut cache = ReplayCache::default();
        cache.restore(NOW, replay_digest(&node(7), &[9; 16]), NOW + 5);
        // An entry already out of the window is not kept.
        cache.restore(NOW - 200, replay_digest(&node(7), &[1; 16]), NOW + 5);
        assert_eq!(cache.restored_len(), 1);
        assert!(matches!(
            verify(&mut cache, &value, b"x", NOW + 5),
            Err(AuthError::Replayed { .. })
        ));
        // Another nonce of the same node, and the same nonce of another node, pass.
        verify(
            &mut cache,
            &signed(&secret, b"x", NOW, [8; 16]),
            b"x",
            NOW + 5,
        )
        .unwrap();
        verify(
            &mut cache,
            &signed(&key(8), b"x", NOW, [9; 16]),
            b"x",
            NOW + 5,
        )
        .unwrap();
        cache.prune(NOW + 121);
        assert_eq!(cache.restored_len(), 0);
    }

    #[test]
    fn budgets_are_per_node_and_strangers_share_one() {
        let limits = ReplayLimits {
            per_node: 5,
            per_stranger: 3,
            strangers_total: 4,
        };
        let mut cache = ReplayCache::new(limits);
        let (flooder, other, peer) = (node(1), node(2), node(3));
        // A stranger flooding with timestamps ahead hits its own budget only.
        for i in 0..3u8 {
            cache
                .check_and_insert(&flooder, &[i; 16], NOW + 30, NOW, false)
                .unwrap();
        }
        let err = cache
            .check_and_insert(&flooder, &[9; 16], NOW + 30, NOW, false)
            .unwrap_err();
        assert_eq!(
            err,
            AuthError::RateLimited {
                node: flooder,
                limit: 3
            }
        );
        assert_eq!(err.code(), "rate_limited");
        assert!(err.is_budget());
        // Another stranger still gets in, until the strangers' shared budget is used.
        cache
            .check_and_insert(&other, &[0; 16], NOW, NOW, false)
            .unwrap();
        let err = cache
            .check_and_insert(&node(4), &[0; 16], NOW, NOW, false)
            .unwrap_err();
        assert_eq!(err, AuthError::Busy { limit: 4 });
        assert_eq!(err.code(), "server_busy");
        // A privileged node is never refused for the strangers' traffic.
        for i in 0..5u8 {
            cache
                .check_and_insert(&peer, &[i; 16], NOW, NOW, true)
                .unwrap();
        }
        // Its own flood stops it alone.
        assert!(matches!(
            cache.check_and_insert(&peer, &[9; 16], NOW, NOW, true),
            Err(AuthError::RateLimited { limit: 5, .. })
        ));
        // Replays are refused whatever the class.
        assert!(matches!(
            cache.check_and_insert(&flooder, &[0; 16], NOW, NOW, true),
            Err(AuthError::Replayed { .. })
        ));
        // Entries leave with their window: the flooder's last 150 s after NOW (30 s ahead).
        cache.prune(NOW + 121);
        assert_eq!(cache.len_of(&peer), 0);
        assert_eq!(cache.len_of(&flooder), 3);
        cache.prune(NOW + 151);
        assert!(cache.is_empty());
        cache
            .check_and_insert(&node(4), &[0; 16], NOW + 151, NOW + 151, false)
            .unwrap();
    }

    #[test]
    fn a_stranger_stamping_in_the_past_holds_its_budget_for_a_whole_window() {
        let limits = ReplayLimits {
            per_node: 5,
            per_stranger: 3,
            strangers_total: 4,
        };
        let mut cache = ReplayCache::new(limits);
        let (stranger, peer) = (node(1), node(3));
        for i in 0..3u8 {
            cache
                .check_and_insert(&stranger, &[i; 16], NOW - 119, NOW, false)
                .unwrap();
        }
        // Its stamps leave the clock window at once, its budget does not.
        for now in [NOW + 2, NOW + 120] {
            assert!(matches!(
                cache.check_and_insert(&stranger, &[9; 16], now - 119, now, false),
                Err(AuthError::RateLimited { limit: 3, .. })
            ));
        }
        cache
            .check_and_insert(&node(2), &[0; 16], NOW + 2 - 119, NOW + 2, false)
            .unwrap();
        assert!(matches!(
            cache.check_and_insert(&node(4), &[0; 16], NOW + 5 - 119, NOW + 5, false),
            Err(AuthError::Busy { limit: 4 })
        ));
        cache.prune(NOW + 121);
        assert_eq!(cache.len_of(&stranger), 0);
        cache
            .check_and_insert(&stranger, &[9; 16], NOW + 2, NOW + 121, false)
            .unwrap();
        // A known node's entries still leave with their stamps.
        cache
            .check_and_insert(&peer, &[0; 16], NOW - 119, NOW, true)
            .unwrap();
        cache.prune(NOW + 2);
        assert_eq!(cache.len_of(&peer), 0);
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
        let server = NodeId(SecretKey::from_slice(&[2; 32]).unwrap().public_key(secp()));
        assert_eq!(
            server.to_string(),
            "024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766"
        );
        let body = br#"{"version":1}"#;
        let nonce = <[u8; 16]>::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let (method, target, ts) = ("POST", "/v1/echo?x=1", 1_700_000_000);
        let pre = signing_preimage(&node, &server, method, target, ts, &nonce, &body_hash(body));
        assert_eq!(
            String::from_utf8(pre).unwrap(),
            "asyncpay/request/v2\n\
             031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f\n\
             024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766\n\
             POST\n/v1/echo?x=1\n1700000000\n000102030405060708090a0b0c0d0e0f\n\
             2430f1a2ad2982d0067885488a4c89e21ad1d7c83b115ba8f1b20acc88dfaea8"
        );
        let digest = signing_digest(&node, &server, method, target, ts, &nonce, &body_hash(body));
        assert_eq!(
            hex(&digest),
            "de598031c3b9c1525b21946753b05d2c61800a16a1850bde78aacfff05d34cf1"
        );
        let header = AuthHeader::sign(&keypair(&secret), &server, method, target, body, ts, nonce);
        header.verify_signature(method, target).unwrap();
        header.check_body(body).unwrap();

        // asyncpay-v3: the request key, then the MAC of the same request.
        let server_secret = SecretKey::from_slice(&[2; 32]).unwrap();
        let key = request_key(&secret, &server, &node, &server);
        assert_eq!(key.0, request_key(&server_secret, &node, &node, &server).0);
        assert_eq!(
            hex(&key.0),
            "2e9ab2899e4cb1d07155870d772b2522914de09bd46af159b4931b7a27e1a9f3"
        );
        let header = AuthHeader::mac(&key, &node, &server, method, target, body, ts, nonce);
        assert_eq!(
            header.to_string(),
            "asyncpay-v3 node=031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f, \
             server=024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766, \
             ts=1700000000, nonce=000102030405060708090a0b0c0d0e0f, \
             body=2430f1a2ad2982d0067885488a4c89e21ad1d7c83b115ba8f1b20acc88dfaea8, \
             mac=fc5802c331ff059c14a0644d5f5ba14426e69545813f7df2df8b8d4c6afd02b4"
        );
        let mut cache = ReplayCache::default();
        let verifier = Verifier::new(&server_secret);
        let value = header.to_string();
        verify_request(
            Some(&value),
            &verifier,
            method,
            target,
            body,
            ts,
            false,
            &mut cache,
        )
        .unwrap();
    }
}

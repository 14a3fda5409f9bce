//! The programmable hostile peer of the adversary tier (issue 9).
//!
//! - **Client role**, [`Hostile`]: a node key of its own and the real signed-HTTP client; it
//!   speaks the wire protocol to a real S (`server run` on 127.0.0.1) and deviates wherever a
//!   test tells it to: any message with any field ([`Hostile::post`], [`Hostile::open_msg`]),
//!   updates to any next state signed for real ([`Hostile::update`]) or left half-done
//!   (propose and never sign), requests signed with any timestamp, for another server, or
//!   replayed byte for byte ([`Hostile::signed`], [`send`]), junk and floods in mailboxes.
//! - **Server role**, [`serve`]: an HTTP server on 127.0.0.1 that answers each request as the
//!   test programs it — a lying S, a hostile one with escape sequences in every field, a
//!   recording or stalling proxy in front of the real S ([`forward`]).
//! - **On chain**: transactions with fee inputs placed anywhere (`common::duo`), stale states
//!   from backups (copy a data dir, restore it), any transaction a party holds.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{SystemTime, UNIX_EPOCH};

use asyncpay::eltoo::{ChannelState, Party};
use asyncpay::keys::NodeId;
use asyncpay::net::auth::AuthHeader;
use asyncpay::net::client::Client;
use asyncpay::protocol::{Channel, ChannelId, Message, OpenChannel, WireKeys};
use asyncpay::server::Replies;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::Value;

use super::protocol::Rand;
use super::PartySecrets;

/// A node key from a tag (one per test file, so files never share keys) and a number.
pub fn secret(tag: u8, n: u16) -> SecretKey {
    let mut b = [tag; 32];
    b[..2].copy_from_slice(&n.to_be_bytes());
    SecretKey::from_slice(&b).unwrap()
}

pub fn node_of(secret: &SecretKey) -> NodeId {
    NodeId(secret.public_key(&Secp256k1::signing_only()))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An HTTP agent that hands back error statuses as answers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// The node id a server at `base` announces.
pub fn server_id(base: &str) -> NodeId {
    let mut info = agent().get(&format!("{base}/v1/info")).call().unwrap();
    let info: Value = serde_json::from_slice(&info.body_mut().read_to_vec().unwrap()).unwrap();
    info["node_id"].as_str().unwrap().parse().unwrap()
}

/// Sends a request with the given `Authorization` header (any method; `body` for POST and
/// PUT): (status, JSON answer or `Null`).
pub fn send(
    base: &str,
    method: &str,
    target: &str,
    auth: &str,
    body: Option<&[u8]>,
) -> (u16, Value) {
    let mut headers = vec![("authorization".to_owned(), auth.to_owned())];
    if body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    let response = request(base, method, target, &headers, body.unwrap_or_default());
    let status = response.status;
    (
        status,
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

/// One request with any method, headers and body: the answer (a transport error is a
/// `Response` with status 0, as when S is down).
pub fn request(
    base: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    let url = format!("{base}{target}");
    let agent = agent();
    macro_rules! with_headers {
        ($r:expr) => {{
            let mut r = $r;
            for (k, v) in headers {
                r = r.header(k.as_str(), v.as_str());
            }
            r
        }};
    }
    let result = match method {
        "GET" => with_headers!(agent.get(&url)).call(),
        "DELETE" => with_headers!(agent.delete(&url)).call(),
        "HEAD" => with_headers!(agent.head(&url)).call(),
        "POST" => with_headers!(agent.post(&url)).send(body),
        "PUT" => with_headers!(agent.put(&url)).send(body),
        other => panic!("no such method in the hostile peer: {other}"),
    };
    match result {
        Ok(mut response) => Response {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_vec().unwrap_or_default(),
        },
        Err(e) => Response {
            status: 0,
            body: e.to_string().into_bytes(),
        },
    }
}

/// A hostile client: its own node key and the real signed-HTTP client of a server at `base`.
pub struct Hostile {
    pub key: SecretKey,
    pub node: NodeId,
    pub base: String,
    pub client: Client,
}

impl Hostile {
    pub fn new(base: &str, key: SecretKey) -> Hostile {
        Hostile {
            key,
            node: node_of(&key),
            base: base.to_owned(),
            client: Client::new(base, key, None).unwrap(),
        }
    }

    /// A channel message, signed as the protocol wants: S's replies, or S's refusal.
    pub fn post(&self, m: Message) -> Result<Vec<Message>, String> {
        let body: Value = serde_json::from_slice(&m.encode()).unwrap();
        let replies: Replies = self
            .client
            .post("/v1/channel-messages", &body)
            .map_err(|e| e.to_string())?;
        Ok(replies
            .messages
            .iter()
            .map(|v| Message::decode(&serde_json::to_vec(v).unwrap()).unwrap())
            .collect())
    }

    /// An `Authorization` header for any request, with any timestamp, signed for any server
    /// (`server`: a foreign one to replay elsewhere).
    pub fn signed(
        &self,
        server: &NodeId,
        method: &str,
        target: &str,
        body: &[u8],
        ts: u64,
    ) -> String {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        AuthHeader::sign(
            &asyncpay::net::auth::keypair(&self.key),
            server,
            method,
            target,
            body,
            ts,
            nonce,
        )
        .to_string()
    }

    /// `open_channel` number `n` of this node (a channel id of its own), with any funder,
    /// capacity and push.
    pub fn open_msg(
        &self,
        n: u32,
        keys: &PartySecrets,
        funder: Party,
        capacity: u64,
        push: u64,
    ) -> OpenChannel {
        let mut channel_id = [0x5a; 32];
        channel_id[..4].copy_from_slice(&n.to_be_bytes());
        channel_id[4..8].copy_from_slice(&self.node.0.serialize()[1..5]);
        OpenChannel {
            channel_id: ChannelId(channel_id),
            client_keys: WireKeys::from(&keys.keys()),
            capacity_sat: capacity,
            funder,
            push_sat: push,
            shared_delay: None,
        }
    }

    /// `open_channel` number `n` (see [`Hostile::open_msg`]): S's replies or refusal.
    pub fn open(
        &self,
        n: u32,
        keys: &PartySecrets,
        funder: Party,
        capacity: u64,
        push: u64,
    ) -> Result<Vec<Message>, String> {
        self.post(Message::OpenChannel(
            self.open_msg(n, keys, funder, capacity, push),
        ))
    }

    /// Opens channel number `n` and signs state 0 with S: this side of the channel, and S's
    /// other replies (its `funding_published` when S funds).
    pub fn open_and_sign_state_zero(
        &self,
        n: u32,
        keys: &PartySecrets,
        funder: Party,
        capacity: u64,
        rand: &mut Rand,
    ) -> (Channel, Vec<Message>) {
        let open = self.open_msg(n, keys, funder, capacity, 0);
        let accept = match self.post(Message::OpenChannel(open.clone())).unwrap().pop() {
            Some(Message::AcceptChannel(a)) => a,
            other => panic!("{other:?}"),
        };
        let c = Channel::on_accept_channel(&open, &accept).unwrap();
        let state_zero = c.initial_state();
        self.update(c, state_zero, keys, rand)
    }

    /// One whole update of `c` to any `next` state, signed by both sides: the new channel
    /// and S's other replies. Panics if S refuses.
    pub fn update(
        &self,
        c: Channel,
        next: ChannelState,
        keys: &PartySecrets,
        rand: &mut Rand,
    ) -> (Channel, Vec<Message>) {
        let (c, proposal) = c.propose(next, rand.next()).unwrap();
        let accepted = match self.post(Message::UpdateProposal(proposal)).unwrap().pop() {
            Some(Message::UpdateAccept(a)) => a,
            other => panic!("{other:?}"),
        };
        let c = c.on_accept(&accepted).unwrap();
        let (c, _) = c.sign(keys.funding).unwrap();
        let ours = c.update_signature().unwrap();
        let mut replies = self.post(Message::UpdateSignature(ours)).unwrap();
        let theirs = match replies.remove(0) {
            Message::UpdateSignature(s) => s,
            other => panic!("{other:?}"),
        };
        (c.on_signature(&theirs).unwrap(), replies)
    }
}

/// One HTTP/1.1 request as a hostile server received it.
pub struct Request {
    pub method: String,
    pub target: String,
    /// The request line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The request's bytes as sent (head and body): to replay elsewhere.
    pub fn raw(&self) -> Vec<u8> {
        let mut raw = self.head.clone().into_bytes();
        raw.extend_from_slice(&self.body);
        raw
    }
}

/// An answer of a hostile server.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            body: body.to_string().into_bytes(),
        }
    }
}

/// Reads one HTTP/1.1 request (head and a Content-Length body of at most 1 MiB) from
/// `stream`.
pub fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut first = head.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let mut request = Request {
        method,
        target,
        head,
        body: Vec::new(),
    };
    let len: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > 1 << 20 {
        return None;
    }
    request.body = vec![0; len];
    stream.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// A hostile server on 127.0.0.1: every request (keep-alive, one thread per connection) is
/// answered by `handler`. Serves until the test process ends; returns its URL.
pub fn serve(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler = std::sync::Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Some(request) = read_request(&mut reader) {
                    let answer = handler(&request);
                    let _ = write!(
                        writer,
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    let _ = writer.write_all(&answer.body);
                }
            });
        }
    });
    url
}

/// Forwards `request` to the real server at `upstream` (same method, `Authorization` and
/// `Content-Type` headers, body) and returns the real answer: for proxies that record, alter
/// or stall. S down is a 502.
pub fn forward(upstream: &str, request: &Request) -> Response {
    let headers: Vec<(String, String)> = ["authorization", "content-type"]
        .into_iter()
        .filter_map(|name| request.header(name).map(|v| (name.to_owned(), v)))
        .collect();
    let answer = self::request(
        upstream,
        &request.method,
        &request.target,
        &headers,
        &request.body,
    );
    if answer.status == 0 {
        return Response {
            status: 502,
            ..answer
        };
    }
    answer
}

//! Every key of a wallet, derived from one BIP39 seed. The derivation paths are documented in
//! `docs/derivation.md`; changing any of them changes users' keys, so they are fixed by
//! golden tests below.
//!
//! - on-chain wallet: BIP86 `m/86'/coin'/0'/{0,1}/*` (coin 0 on mainnet, 1 elsewhere);
//! - asyncpay keys under the purpose `9735'`, all hardened:
//!   node key `m/9735'/coin'/0'/0'`, channel `i` funding / settlement / PTLC keys
//!   `m/9735'/coin'/1'/i'/{0',1',2'}`, mailbox (age X25519) key `m/9735'/coin'/2'/0'`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bitcoin::bip32::{ChildNumber, DerivationPath, Xpriv};
use bitcoin::hashes::{hmac, sha512, Hash, HashEngine};
use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::{ecdh::SharedSecret, Keypair, PublicKey, SecretKey};
use bitcoin::{Network, NetworkKind};
use zeroize::{Zeroize, Zeroizing};

/// The purpose level of asyncpay's own keys.
pub const PURPOSE: u32 = 9735;

/// What is wrong with a mnemonic or a key string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The mnemonic is not a valid BIP39 English mnemonic.
    #[error("invalid mnemonic: {0}; expected 12 to 24 English BIP39 words with a valid checksum")]
    Mnemonic(String),
    /// A node id is not a 33-byte compressed public key in hex.
    #[error("invalid node id '{0}': expected 66 hex characters (a compressed public key)")]
    NodeId(String),
}

/// What is wrong with a mnemonic, for a person: word positions count from 1 (bip39 counts
/// from 0), and the words themselves are not repeated (they may be secret).
fn mnemonic_problem(e: bip39::Error) -> String {
    match e {
        bip39::Error::UnknownWord(i) => format!(
            "word {} is not in the BIP39 English word list (check its spelling)",
            i + 1
        ),
        bip39::Error::BadWordCount(n) => {
            format!("{n} words given; a mnemonic has 12, 15, 18, 21 or 24")
        }
        bip39::Error::InvalidChecksum => "the checksum does not match: a word is wrong, \
                                          missing or out of order"
            .to_owned(),
        other => other.to_string(),
    }
}

/// The wallet seed: a BIP39 mnemonic. Never printed by `Debug`; its words are wiped when it
/// drops (bip39's `zeroize` feature).
pub struct Seed {
    mnemonic: bip39::Mnemonic,
    /// The BIP39 seed of `mnemonic` (empty passphrase), once derived or read from the seed
    /// record: deriving it is PBKDF2 with 2,048 rounds of HMAC-SHA512, about 19 million
    /// instructions, which every command paid to unlock.
    derived: std::sync::OnceLock<Zeroizing<[u8; 64]>>,
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<secret>)")
    }
}

impl Seed {
    /// A new 24-word mnemonic from 32 bytes of OS randomness.
    pub fn generate(entropy: &[u8; 32]) -> Seed {
        let mnemonic = bip39::Mnemonic::from_entropy(entropy).expect("32 bytes is valid entropy");
        Seed::of(mnemonic)
    }

    /// Parses a mnemonic (whitespace and case are normalised).
    pub fn from_phrase(phrase: &str) -> Result<Seed, KeyError> {
        // One buffer, wiped on drop, and no intermediate copies of the words.
        let mut normalised = Zeroizing::new(String::with_capacity(phrase.len()));
        for word in phrase.split_whitespace() {
            if !normalised.is_empty() {
                normalised.push(' ');
            }
            normalised.extend(word.chars().flat_map(char::to_lowercase));
        }
        bip39::Mnemonic::parse_in(bip39::Language::English, normalised.as_str())
            .map(Seed::of)
            .map_err(|e| KeyError::Mnemonic(mnemonic_problem(e)))
    }

    fn of(mnemonic: bip39::Mnemonic) -> Seed {
        Seed {
            mnemonic,
            derived: std::sync::OnceLock::new(),
        }
    }

    /// The BIP39 seed (empty passphrase), derived once.
    pub fn bip39_seed(&self) -> &[u8; 64] {
        self.derived
            .get_or_init(|| Zeroizing::new(self.mnemonic.to_seed("")))
    }

    /// This seed, its BIP39 seed already known (from the authenticated seed record that
    /// [`Seed::bip39_seed`] filled): no PBKDF2 when its keys are derived.
    pub fn with_bip39_seed(self, seed: Zeroizing<[u8; 64]>) -> Seed {
        // A fresh value: set cannot fail.
        let _ = self.derived.set(seed);
        self
    }

    /// The mnemonic words, for an explicit backup only.
    pub fn phrase(&self) -> Zeroizing<String> {
        // Room for 24 words of up to 8 letters: the string never reallocates (a reallocation
        // would leave a copy of the first words behind, unwiped).
        let mut words = Zeroizing::new(String::with_capacity(24 * 9));
        for (i, word) in self.mnemonic.words().enumerate() {
            if i > 0 {
                words.push(' ');
            }
            words.push_str(word);
        }
        words
    }

    /// The wallet's keys on `network` (no BIP39 passphrase).
    pub fn keys(&self, network: Network) -> WalletKeys {
        WalletKeys::new(self.master(network), network)
    }

    /// [`Seed::keys`], or `kept` if they are already this seed's keys on `network` (a session
    /// keeps its wallet's keys from one command to the next, with what they derived: the
    /// node key's public key and ECDH, channels' secrets).
    pub fn keys_keeping(&self, network: Network, kept: Option<Arc<WalletKeys>>) -> Arc<WalletKeys> {
        let master = self.master(network);
        match kept {
            Some(keys)
                if keys.network == network
                    && keys.master.private_key == master.private_key
                    && keys.master.chain_code == master.chain_code =>
            {
                let mut master = master;
                wipe_xpriv(&mut master);
                keys
            }
            _ => Arc::new(WalletKeys::new(master, network)),
        }
    }

    /// BIP32's master key of this seed (one HMAC-SHA512).
    fn master(&self, network: Network) -> Xpriv {
        Xpriv::new_master(network, self.bip39_seed()).expect("64-byte seed")
    }
}

/// The keys of one wallet on one network. The master key is wiped when it drops.
///
/// Derivations are cached (issue 10: S derived its channel keys from the master key on every
/// request, 30 hardened BIP32 steps per signature, each with a public key for the parent
/// fingerprint): the purpose-level key `m/9735'/coin'` is derived once, each channel's
/// secrets once per index (and once bound to the channel's id), the node id once. The caches hold nothing the master key held
/// in the same memory does not already give, and are wiped with it.
pub struct WalletKeys {
    master: Xpriv,
    network: Network,
    /// `m/9735'/coin'`, the root of asyncpay's own keys: its key and chain code.
    own_root: (SecretKey, Zeroizing<[u8; 32]>),
    channels: Mutex<BTreeMap<u32, ChannelSecrets>>,
    /// Channels' secrets bound to their ids ([`WalletKeys::channel_bound_to`]).
    bound: Mutex<BTreeMap<(u32, [u8; 32]), ChannelSecrets>>,
    /// The node key with its public key, derived once.
    node: OnceLock<Keypair>,
    /// The node key's ECDH secret with peers' node ids ([`WalletKeys::node_ecdh`]).
    node_ecdh: Mutex<BTreeMap<NodeId, Zeroizing<[u8; 32]>>>,
}

/// How many peers' ECDH secrets a [`WalletKeys`] keeps.
const MAX_CACHED_PEERS: usize = 64;

/// How many channels' secrets a [`WalletKeys`] keeps derived.
const MAX_CACHED_CHANNELS: usize = 1024;

/// The process's one signing context for derivations (a context per derivation cost a
/// context randomisation each time).
fn secp() -> &'static Secp256k1<bitcoin::secp256k1::SignOnly> {
    static SECP: OnceLock<Secp256k1<bitcoin::secp256k1::SignOnly>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::signing_only)
}

/// BIP32's CKDpriv along hardened `indices` from `key` and its `chain` code (left holding
/// the last child's), which needs no public key: `I = HMAC-SHA512(c_par, 0x00 || k_par ||
/// ser32(2^31 + i))`, `k_i = I_L + k_par mod n`, `c_i = I_R`. (`Xpriv::derive_priv` also
/// computes every parent's public key, a point multiplication per level, for fingerprints
/// nobody reads here: the most of a command's key derivation, once `m/9735'/coin'` at
/// every unlock.)
fn ckd_hardened(mut key: SecretKey, chain: &mut [u8; 32], indices: &[u32]) -> SecretKey {
    for &index in indices {
        let child =
            ChildNumber::from_hardened_idx(index).expect("our derivation indices are below 2^31");
        let mut engine = hmac::HmacEngine::<sha512::Hash>::new(chain.as_slice());
        engine.input(&[0]);
        engine.input(&key.secret_bytes());
        engine.input(&u32::from(child).to_be_bytes());
        let i = Zeroizing::new(hmac::Hmac::from_engine(engine).to_byte_array());
        let il = Zeroizing::new(<[u8; 32]>::try_from(&i[..32]).expect("32 bytes"));
        let tweak = bitcoin::secp256k1::Scalar::from_be_bytes(*il)
            .expect("statistically impossible to hit");
        key = key
            .add_tweak(&tweak)
            .expect("statistically impossible to hit");
        chain.copy_from_slice(&i[32..]);
    }
    key
}

/// Overwrites the secret parts of an extended private key (its key and chain code).
fn wipe_xpriv(x: &mut Xpriv) {
    x.private_key.non_secure_erase();
    AsMut::<[u8; 32]>::as_mut(&mut x.chain_code).zeroize();
}

impl Drop for WalletKeys {
    fn drop(&mut self) {
        wipe_xpriv(&mut self.master);
        self.own_root.0.non_secure_erase();
        // Each cached `ChannelSecrets` wipes itself when dropped.
        self.channels
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.bound
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        if let Some(node) = self.node.get_mut() {
            node.non_secure_erase();
        }
        // Each secret wipes itself when dropped.
        self.node_ecdh
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl fmt::Debug for WalletKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WalletKeys({:?}, <secret>)", self.network)
    }
}

/// Secret keys of one channel (wiped when it drops).
pub struct ChannelSecrets {
    /// MuSig2 key of the funding and update outputs.
    pub funding: SecretKey,
    /// Key of this party's `to_node` settlement output.
    pub settlement: SecretKey,
    /// Key used in PTLC scripts.
    pub ptlc: SecretKey,
}

impl ChannelSecrets {
    /// The same keys (for the caches of [`WalletKeys`] only: no `Clone` elsewhere).
    fn copy(&self) -> ChannelSecrets {
        ChannelSecrets {
            funding: self.funding,
            settlement: self.settlement,
            ptlc: self.ptlc,
        }
    }
}

impl Drop for ChannelSecrets {
    fn drop(&mut self) {
        self.funding.non_secure_erase();
        self.settlement.non_secure_erase();
        self.ptlc.non_secure_erase();
    }
}

impl ChannelSecrets {
    /// The public keys the channel's peer learns.
    pub fn party_keys(&self) -> crate::eltoo::PartyKeys {
        let secp = secp();
        let xonly = |k: &SecretKey| k.x_only_public_key(secp).0;
        crate::eltoo::PartyKeys {
            funding: secp::Point::from_slice(&self.funding.public_key(secp).serialize())
                .expect("a valid public key"),
            settlement: xonly(&self.settlement),
            ptlc: xonly(&self.ptlc),
        }
    }

    /// The funding key as a MuSig2 signing scalar.
    pub fn funding_scalar(&self) -> secp::Scalar {
        secp::Scalar::try_from(self.funding.secret_bytes().as_slice()).expect("a valid key")
    }

    /// The settlement key as a signing scalar (for `to_node` outputs).
    pub fn settlement_scalar(&self) -> secp::Scalar {
        secp::Scalar::try_from(self.settlement.secret_bytes().as_slice()).expect("a valid key")
    }

    /// The PTLC key as a signing scalar (adaptor pre-signatures and PTLC claims).
    pub fn ptlc_scalar(&self) -> secp::Scalar {
        secp::Scalar::try_from(self.ptlc.secret_bytes().as_slice()).expect("a valid key")
    }

    /// These keys bound to the channel `id` (random, chosen by the client): the funding and
    /// PTLC keys `k` become `k + H(K ‖ id)` (`H` tagged `asyncpay/channel-key`, `K = k·G`).
    /// A wallet restored from its seed (or from an old backup) reuses key indices; bound to
    /// a fresh id, the keys are fresh all the same, so no state a server holds from an old
    /// channel spends a new one (update signatures commit to no outpoint: APOAS).
    pub fn bound_to(&self, id: &[u8; 32]) -> ChannelSecrets {
        let secp = secp();
        let bind = |k: &SecretKey| {
            let mut msg = k.public_key(secp).serialize().to_vec();
            msg.extend_from_slice(id);
            let tweak = crate::crypto::bip118::tagged_hash("asyncpay/channel-key", &msg);
            let tweak = bitcoin::secp256k1::Scalar::from_be_bytes(tweak)
                .expect("a hash below the group order (all but 2^-128 of them)");
            k.add_tweak(&tweak).expect("a tweaked key is not zero")
        };
        ChannelSecrets {
            funding: bind(&self.funding),
            settlement: self.settlement,
            ptlc: bind(&self.ptlc),
        }
    }
}

impl WalletKeys {
    fn new(master: Xpriv, network: Network) -> WalletKeys {
        let coin = match NetworkKind::from(network) {
            NetworkKind::Main => 0,
            NetworkKind::Test => 1,
        };
        let mut chain = Zeroizing::new(master.chain_code.to_bytes());
        let own_root = (
            ckd_hardened(master.private_key, &mut chain, &[PURPOSE, coin]),
            chain,
        );
        WalletKeys {
            master,
            network,
            own_root,
            channels: Mutex::new(BTreeMap::new()),
            bound: Mutex::new(BTreeMap::new()),
            node: OnceLock::new(),
            node_ecdh: Mutex::default(),
        }
    }

    /// The network these keys are for.
    pub fn network(&self) -> Network {
        self.network
    }

    /// BIP44-style coin type: 0 on mainnet, 1 on test networks.
    pub fn coin_type(&self) -> u32 {
        match NetworkKind::from(self.network) {
            NetworkKind::Main => 0,
            NetworkKind::Test => 1,
        }
    }

    /// The extended key at `path`; the caller wipes it ([`wipe_xpriv`]) when done.
    fn derive(&self, path: &[ChildNumber]) -> Xpriv {
        self.master
            .derive_priv(secp(), &DerivationPath::from(path.to_vec()))
            .expect("hardened derivation from a valid master key")
    }

    /// The key at `m/9735'/coin'/rest'` (every level hardened), from the cached
    /// `m/9735'/coin'` ([`ckd_hardened`]; checked against `Xpriv::derive_priv` in
    /// `own_matches_bip32`).
    fn own(&self, rest: &[u32]) -> SecretKey {
        let (key, chain) = &self.own_root;
        ckd_hardened(*key, &mut Zeroizing::new(**chain), rest)
    }

    /// BIP86 descriptors (external, internal) with the private key, for the on-chain wallet.
    /// They contain secrets: keep them in memory only.
    pub fn onchain_descriptors(&self) -> (Zeroizing<String>, Zeroizing<String>) {
        let fingerprint = self.master.fingerprint(secp());
        let coin = self.coin_type();
        let mut account = self.derive(&[
            ChildNumber::Hardened { index: 86 },
            ChildNumber::Hardened { index: coin },
            ChildNumber::Hardened { index: 0 },
        ]);
        let desc = |chain: u32| {
            Zeroizing::new(format!(
                "tr([{fingerprint}/86'/{coin}'/0']{account}/{chain}/*)"
            ))
        };
        let descriptors = (desc(0), desc(1));
        wipe_xpriv(&mut account);
        descriptors
    }

    /// The public key of the BIP86 change address `m/86'/coin'/0'/1/index`: a channel whose
    /// payout was revealed at change index `index` carries it as this party's settlement
    /// key, so its `to_node` output `P2TR(key)` (BIP86 tweak) is that wallet address
    /// (`docs/derivation.md`, "Channel payouts").
    pub fn channel_payout_key(&self, index: u32) -> bitcoin::key::XOnlyPublicKey {
        let key = self.derive(&[
            ChildNumber::Hardened { index: 86 },
            ChildNumber::Hardened {
                index: self.coin_type(),
            },
            ChildNumber::Hardened { index: 0 },
            ChildNumber::Normal { index: 1 },
            ChildNumber::Normal { index },
        ]);
        key.private_key.x_only_public_key(secp()).0
    }

    /// The node key: the wallet's identity towards servers and payers.
    pub fn node_secret(&self) -> SecretKey {
        self.own(&[0, 0])
    }

    /// The node key with its public key (derived once: a point multiplication a client
    /// of a server would otherwise make again).
    pub fn node_keypair(&self) -> Keypair {
        *self.node()
    }

    fn node(&self) -> &Keypair {
        self.node
            .get_or_init(|| Keypair::from_secret_key(secp(), &self.node_secret()))
    }

    /// The node id (compressed public key of the node key), derived once.
    pub fn node_id(&self) -> NodeId {
        NodeId(self.node().public_key())
    }

    /// The node key's ECDH secret with `peer` (secp256k1's: `SHA256` of the shared point,
    /// compressed), derived once per peer (a constant-time point multiplication, which a
    /// client made again at every command for its request key).
    pub fn node_ecdh(&self, peer: &NodeId) -> Zeroizing<[u8; 32]> {
        let derive =
            || Zeroizing::new(SharedSecret::new(&peer.0, &self.node_secret()).secret_bytes());
        let mut cache = self
            .node_ecdh
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !cache.contains_key(peer) && cache.len() >= MAX_CACHED_PEERS {
            return derive();
        }
        cache.entry(*peer).or_insert_with(derive).clone()
    }

    /// The secret keys of channel number `index` (derived once per index, then copied from
    /// the cache).
    pub fn channel(&self, index: u32) -> ChannelSecrets {
        let derive = || ChannelSecrets {
            funding: self.own(&[1, index, 0]),
            settlement: self.own(&[1, index, 1]),
            ptlc: self.own(&[1, index, 2]),
        };
        let mut cache = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: S's index advances with every open, funded or not (a stranger's opens
        // must not grow it for the life of the process).
        if !cache.contains_key(&index) && cache.len() >= MAX_CACHED_CHANNELS {
            return derive();
        }
        cache.entry(index).or_insert_with(derive).copy()
    }

    /// [`WalletKeys::channel`]`(index)` [bound to](ChannelSecrets::bound_to) `id`, kept
    /// derived as the index's own are (binding costs two base-point multiplications, and S
    /// needs a channel's keys at every step), within the same bound.
    pub fn channel_bound_to(&self, index: u32, id: &[u8; 32]) -> ChannelSecrets {
        let mut cache = self.bound.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = cache.get(&(index, *id)) {
            return c.copy();
        }
        let bound = self.channel(index).bound_to(id);
        if cache.len() < MAX_CACHED_CHANNELS {
            cache.insert((index, *id), bound.copy());
        }
        bound
    }

    /// The mailbox identity: payers encrypt update packages to its recipient.
    pub fn mailbox_identity(&self) -> age::x25519::Identity {
        let secret = Zeroizing::new(self.own(&[2, 0]).secret_bytes());
        let hrp = bitcoin::bech32::Hrp::parse("age-secret-key-").expect("valid hrp");
        let encoded = Zeroizing::new(
            bitcoin::bech32::encode::<bitcoin::bech32::Bech32>(hrp, secret.as_slice())
                .expect("32 bytes fit in bech32")
                .to_uppercase(),
        );
        age::x25519::Identity::from_str(&encoded).expect("a valid age identity")
    }
}

/// A node id: the 33-byte compressed public key of a node key, shown as 66 hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub PublicKey);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::protocol::hex::encode(&self.0.serialize()))
    }
}

impl FromStr for NodeId {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Node ids come back in every record and reply that names a peer; parsing one
        // takes a square root, so each string is parsed once per process.
        static PARSED: crate::crypto::memo::Memo<[u8; 66], PublicKey> =
            crate::crypto::memo::Memo::new();
        let key: [u8; 66] = s
            .as_bytes()
            .try_into()
            .map_err(|_| KeyError::NodeId(s.to_owned()))?;
        PARSED
            .try_get(key, || PublicKey::from_str(s))
            .map(NodeId)
            .map_err(|_| KeyError::NodeId(s.to_owned()))
    }
}

impl serde::Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    /// The BIP86 test mnemonic: its first receive address is in BIP86's test vectors.
    const BIP86_MNEMONIC: &str = "abandon abandon abandon abandon abandon abandon abandon \
        abandon abandon abandon abandon about";

    #[test]
    fn bip86_descriptor_matches_the_bip() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Bitcoin);
        let (external, internal) = keys.onchain_descriptors();
        // BIP86: m/86'/0'/0' account xprv of the test mnemonic.
        assert!(external.starts_with("tr([73c5da0a/86'/0'/0']xprv9xgqHN7yz9MwCkxsBPN5qetuNdQSUttZNKw1dcYTV4mkaAFiBVGQziHs3NRSWMkCzvgjEe3n9xV8oYywvM8at9yRqyaZVz6TYYhX98VjsUk/0/*)"));
        assert!(internal.ends_with("/1/*)"));
    }

    #[test]
    fn a_stored_bip39_seed_gives_the_same_keys_without_pbkdf2() {
        let derived = Seed::from_phrase(BIP86_MNEMONIC).unwrap();
        let stored = Zeroizing::new(*derived.bip39_seed());
        // BIP39's own vector for this mnemonic and an empty passphrase.
        assert!(crate::protocol::hex::encode(&stored[..])
            .starts_with("5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1"));
        let restored = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .with_bip39_seed(stored);
        assert_eq!(
            restored.keys(Network::Regtest).node_id(),
            derived.keys(Network::Regtest).node_id()
        );
    }

    #[test]
    fn derived_keys_are_fixed() {
        // Golden values: a change here changes every user's keys.
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Regtest);
        assert_eq!(keys.coin_type(), 1);
        let node = keys.node_id().to_string();
        assert_eq!(node.len(), 66);
        assert_eq!(node.parse::<NodeId>().unwrap(), keys.node_id());
        let c0 = keys.channel(0);
        let c1 = keys.channel(1);
        assert_ne!(c0.funding, c1.funding);
        assert_ne!(c0.funding, c0.settlement);
        let mailbox = keys.mailbox_identity();
        assert!(mailbox.to_public().to_string().starts_with("age1"));
        assert!(mailbox
            .to_string()
            .expose_secret()
            .starts_with("AGE-SECRET-KEY-1"));
        let secp = Secp256k1::signing_only();
        let golden = [
            ("node id", node),
            (
                "channel 0 funding",
                c0.funding.public_key(&secp).to_string(),
            ),
            ("channel 1 ptlc", c1.ptlc.public_key(&secp).to_string()),
            ("mailbox", mailbox.to_public().to_string()),
        ];
        let want = [
            "03d109254b90c06a9947e2033ebbdf2e4e91ede654e79317d48a8993401e5dab16",
            "02e1a8cc40c4a56b83c60380b1dfb88c58acd078526196dfdb427002a09af730eb",
            "03277c2a97e4a1b24f70a9fcbfb3478a792928d4270191b2752b3083386240997e",
            "age1nt7dmrfga0tq3l3vmquvmsyeedugsv9pwyc3xuxmygzywh0n657swc0qg2",
        ];
        for ((what, got), want) in golden.iter().zip(want) {
            assert_eq!(got, want, "{what} changed");
        }
    }

    #[test]
    fn own_matches_bip32() {
        for (network, coin) in [(Network::Regtest, 1), (Network::Bitcoin, 0)] {
            let keys = Seed::from_phrase(BIP86_MNEMONIC).unwrap().keys(network);
            for rest in [
                &[][..],
                &[0, 0],
                &[1, 7, 2],
                &[2, 0],
                &[0x7fff_ffff, 1, 0x1234_5678],
            ] {
                let mut path = vec![
                    ChildNumber::Hardened { index: PURPOSE },
                    ChildNumber::Hardened { index: coin },
                ];
                path.extend(rest.iter().map(|&index| ChildNumber::Hardened { index }));
                let want = keys.derive(&path).private_key;
                assert_eq!(keys.own(rest), want, "{network} {rest:?}");
            }
        }
    }

    #[test]
    fn bound_channel_keys_kept_derived_are_the_keys_bound() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Regtest);
        let fields = |c: &ChannelSecrets| (c.funding, c.settlement, c.ptlc);
        for (index, id) in [(0, [1u8; 32]), (0, [2u8; 32]), (5, [1u8; 32])] {
            let want = fields(&keys.channel(index).bound_to(&id));
            // Derived, then from the cache: the same keys, and never another pair's.
            assert_eq!(fields(&keys.channel_bound_to(index, &id)), want);
            assert_eq!(fields(&keys.channel_bound_to(index, &id)), want);
            assert_ne!(fields(&keys.channel(index)).0, want.0, "bound: another key");
        }
        assert_ne!(
            fields(&keys.channel_bound_to(0, &[1u8; 32])).0,
            fields(&keys.channel_bound_to(0, &[2u8; 32])).0
        );
        // A stranger's opens, each with an id of its own, fill the cache up to its bound
        // only; past it the keys are still the bound ones, derived each time.
        for n in 0..MAX_CACHED_CHANNELS as u32 + 8 {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&n.to_be_bytes());
            id[31] = 9;
            let got = fields(&keys.channel_bound_to(7, &id));
            if n >= MAX_CACHED_CHANNELS as u32 {
                assert_eq!(
                    got,
                    fields(&keys.channel(7).bound_to(&id)),
                    "past the bound"
                );
            }
        }
        assert_eq!(keys.bound.lock().unwrap().len(), MAX_CACHED_CHANNELS);
    }

    #[test]
    fn a_session_keeps_keys_only_for_their_own_seed_and_network() {
        let seed = Seed::from_phrase(BIP86_MNEMONIC).unwrap();
        let kept = seed.keys_keeping(Network::Regtest, None);
        let again = seed.keys_keeping(Network::Regtest, Some(Arc::clone(&kept)));
        assert!(Arc::ptr_eq(&kept, &again), "the same wallet: the keys kept");
        // Another wallet in the data dir (restored, replaced), or another network: new
        // keys, never the kept ones.
        let other = Seed::from_phrase(
            "legal winner thank year wave sausage worth useful legal winner thank yellow",
        )
        .unwrap();
        for (seed, network) in [(&other, Network::Regtest), (&seed, Network::Bitcoin)] {
            let got = seed.keys_keeping(network, Some(Arc::clone(&kept)));
            assert!(!Arc::ptr_eq(&kept, &got));
            assert_eq!(got.node_id(), seed.keys(network).node_id());
        }
        assert_ne!(
            other.keys(Network::Regtest).node_id(),
            kept.node_id(),
            "the vectors are two wallets"
        );
    }

    #[test]
    fn the_kept_ecdh_gives_the_request_key_of_both_ends() {
        let (a, s) = (
            Seed::from_phrase(BIP86_MNEMONIC)
                .unwrap()
                .keys(Network::Regtest),
            Seed::from_phrase(
                "legal winner thank year wave sausage worth useful legal winner thank yellow",
            )
            .unwrap()
            .keys(Network::Regtest),
        );
        let (node, server) = (a.node_id(), s.node_id());
        let want = crate::net::auth::request_key(&s.node_secret(), &node, &node, &server);
        for _ in 0..2 {
            let got =
                crate::net::auth::request_key_from_ecdh(&a.node_ecdh(&server), &node, &server);
            assert_eq!(got, want);
        }
        assert_eq!(a.node_ecdh.lock().unwrap().len(), 1);
    }

    #[test]
    fn wiping_clears_extended_keys() {
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Regtest);
        let mut x = keys.derive(&[ChildNumber::Hardened { index: 86 }]);
        let before = x.private_key;
        wipe_xpriv(&mut x);
        assert_ne!(x.private_key, before);
        assert_eq!(AsRef::<[u8; 32]>::as_ref(&x.chain_code), &[0u8; 32]);
        // The keys still derive as before after a wiped copy (wiping touches the copy only).
        assert_eq!(
            keys.derive(&[ChildNumber::Hardened { index: 86 }])
                .private_key,
            before
        );
    }

    #[test]
    fn channel_payout_key_is_the_bip86_change_key() {
        // BIP86 test vector: m/86'/0'/0'/1/0 of the test mnemonic.
        let keys = Seed::from_phrase(BIP86_MNEMONIC)
            .unwrap()
            .keys(Network::Bitcoin);
        let key = keys.channel_payout_key(0);
        assert_eq!(
            key.to_string(),
            "399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef"
        );
        let secp = Secp256k1::verification_only();
        let address = bitcoin::Address::p2tr(&secp, key, None, Network::Bitcoin);
        assert_eq!(
            address.to_string(),
            "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7"
        );
        assert_ne!(keys.channel_payout_key(1), key);
    }

    #[test]
    fn phrase_normalisation_and_errors() {
        let upper = BIP86_MNEMONIC.to_uppercase().replace(' ', "  ");
        assert_eq!(
            Seed::from_phrase(&upper).unwrap().phrase().as_str(),
            BIP86_MNEMONIC
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert!(matches!(
            Seed::from_phrase("abandon abandon"),
            Err(KeyError::Mnemonic(_))
        ));
        // Word positions count from 1, as a person counts them.
        let mut words: Vec<&str> = BIP86_MNEMONIC.split_whitespace().collect();
        words[0] = "abandonn";
        let e = Seed::from_phrase(&words.join(" ")).unwrap_err().to_string();
        assert!(e.contains("word 1 is not in the BIP39"), "{e}");
        assert!(!e.contains("abandonn"), "the word is not repeated: {e}");
        words[0] = "abandon";
        words[3] = "zoo";
        let e = Seed::from_phrase(&words.join(" ")).unwrap_err().to_string();
        assert!(e.contains("checksum does not match"), "{e}");
        assert_eq!(format!("{:?}", Seed::generate(&[7; 32])), "Seed(<secret>)");
        assert_eq!(Seed::generate(&[7; 32]).phrase().split(' ').count(), 24);
    }
}

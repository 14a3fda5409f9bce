//! `asyncpay address` and `asyncpay decode`: the payee's shareable address, and an
//! explanation of any asyncpay string, bitcoin address or raw transaction.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{json, Value};

use super::context::Context;
use super::error::{CliError, CliResult};
use super::output::Render;
use crate::keys::NodeId;
use crate::payment::{Invoice, PaymentAddress};
use crate::protocol::ChannelId;

/// `address`.
#[derive(Debug, Serialize)]
pub struct AddressReport {
    address: String,
    node_id: String,
    mailbox_recipient: String,
    server_url: String,
}

impl Render for AddressReport {
    fn human(&self) -> String {
        self.address.clone()
    }
}

/// Shows this wallet's payment address.
pub fn address(ctx: &mut Context, server: Option<String>) -> CliResult<()> {
    let out = ctx.out;
    ctx.store()?;
    let default = ctx.default_server();
    let w = ctx.engine()?;
    // Without --server: the server of a channel payments can arrive over, never a
    // default that names a server the wallet has no channel with (a config file's).
    let server = match (server, w.receiving_server()?, default) {
        (Some(url), _, _) => Some(url),
        (None, Some(channel), Some(default)) if channel != default => {
            out.note(&format!(
                "note: the address names {channel}, the server of your channel, not the \
                 default server {default} (no channel with it; pass --server to choose)"
            ));
            Some(channel)
        }
        (None, Some(channel), _) => Some(channel),
        (None, None, Some(default)) => {
            out.note(&format!(
                "note: you have no channel yet: the address names the default server \
                 {default}; payments reach you once you have a channel with it \
                 (`asyncpay channel request-inbound {default} AMOUNT`)"
            ));
            Some(default)
        }
        (None, None, None) => None,
    };
    let addr = w.payment_address(server.as_deref())?;
    out.result(&AddressReport {
        address: addr.to_string(),
        node_id: addr.node_id().to_string(),
        mailbox_recipient: addr.mailbox().to_string(),
        server_url: addr.server_url().to_owned(),
    });
    Ok(())
}

/// What `decode` found.
#[derive(Debug, Serialize)]
pub struct Decoded {
    /// `payment_address`, `invoice`, `node_id`, `channel_id` or `encrypted_package`.
    kind: &'static str,
    /// What it is, in words.
    description: &'static str,
    #[serde(flatten)]
    fields: Value,
    /// Text for a person, where the generic rendering of `fields` would not read well.
    #[serde(skip)]
    text: Option<String>,
}

impl Render for Decoded {
    fn human(&self) -> String {
        if let Some(text) = &self.text {
            return text.clone();
        }
        let mut lines = vec![format!("{}:", self.description)];
        if let Value::Object(map) = &self.fields {
            let now = crate::units::now();
            for (k, v) in map {
                let v = match (k.as_str(), v) {
                    ("signature_valid", _) => continue,
                    ("expiry", v) if v.is_u64() => crate::units::when(v.as_u64().unwrap_or(0), now),
                    (k, v) if k.ends_with("_sat") && v.is_u64() => {
                        crate::units::sat(v.as_u64().unwrap_or(0))
                    }
                    (_, Value::Array(items)) => {
                        let items: Vec<String> = items
                            .iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect();
                        items.join(", ")
                    }
                    _ => v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                };
                lines.push(format!("  {k:<18} {v}"));
            }
        }
        lines.join("\n")
    }
}

/// A bitcoin address: which networks it is valid for, its type and output script.
fn onchain_address(text: &str) -> Option<Decoded> {
    use bitcoin::address::NetworkUnchecked;
    use bitcoin::Network;
    let addr = bitcoin::Address::<NetworkUnchecked>::from_str(text).ok()?;
    let networks: Vec<&str> = [
        (Network::Bitcoin, "bitcoin"),
        (Network::Testnet, "testnet"),
        (Network::Signet, "signet"),
        (Network::Regtest, "regtest"),
    ]
    .into_iter()
    .filter(|(n, _)| addr.is_valid_for_network(*n))
    .map(|(_, name)| name)
    .collect();
    let checked = addr.assume_checked_ref();
    let script = checked.script_pubkey();
    Some(Decoded {
        kind: "bitcoin_address",
        description: "bitcoin address",
        fields: json!({
            "networks": networks,
            "type": checked
                .address_type()
                .map_or_else(|| "non-standard".to_owned(), |t| t.to_string()),
            "script_pubkey": crate::protocol::hex::encode(script.as_bytes()),
            "note": "an on-chain address: pay it with `asyncpay wallet send`; an asyncpay \
                     payment address (from `asyncpay address`) starts with asp1",
        }),
        text: None,
    })
}

/// The pay-to-anchor script (`OP_1 <0x4e73>`) of the channel transactions.
fn is_anchor(script: &bitcoin::Script) -> bool {
    *script == *bitcoin::ScriptBuf::new_p2a()
}

/// What kind of output a script is.
fn script_type(script: &bitcoin::Script) -> &'static str {
    if is_anchor(script) {
        "pay-to-anchor"
    } else if script.is_p2tr() {
        "p2tr"
    } else if script.is_p2wpkh() {
        "p2wpkh"
    } else if script.is_p2wsh() {
        "p2wsh"
    } else if script.is_p2pkh() {
        "p2pkh"
    } else if script.is_p2sh() {
        "p2sh"
    } else if script.is_op_return() {
        "op_return"
    } else {
        "other"
    }
}

/// A raw transaction in hex: its ids, sizes, inputs and outputs, and what it is in an eltoo
/// channel when its shape says so (docs/protocol.md: updates and settlements are version 3,
/// carry the state number in nLockTime and pay to an anchor).
fn raw_transaction(text: &str) -> Option<Decoded> {
    use crate::eltoo::{scripts::state_from_locktime, UPDATE_SEQUENCE};
    const ORDINARY: &str = "not an eltoo update or settlement";
    // A node id (66) or channel id (64) is hex too, but far shorter than any transaction.
    if text.len() <= 66 {
        return None;
    }
    let tx: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(text).ok()?;
    let anchored = tx.output.iter().any(|o| is_anchor(&o.script_pubkey));
    let state = state_from_locktime(tx.lock_time).filter(|_| tx.version.0 == 3 && anchored);
    let role = match (state, tx.input.as_slice()) {
        (Some(k), [input]) if input.sequence == UPDATE_SEQUENCE => {
            format!("eltoo channel update to state {k}")
        }
        (Some(k), [input]) => match input.sequence.to_relative_lock_time() {
            Some(bitcoin::relative::LockTime::Blocks(h)) => format!(
                "eltoo channel settlement of state {k} ({} blocks after its update)",
                h.value()
            ),
            _ => ORDINARY.to_owned(),
        },
        _ => ORDINARY.to_owned(),
    };
    let inputs: Vec<Value> = tx
        .input
        .iter()
        .map(|i| {
            json!({
                "previous_output": i.previous_output.to_string(),
                "sequence": i.sequence.0,
                "witness_items": i.witness.len(),
            })
        })
        .collect();
    let outputs: Vec<Value> = tx
        .output
        .iter()
        .map(|o| {
            json!({
                "value_sat": o.value.to_sat(),
                "type": script_type(&o.script_pubkey),
                "script_pubkey": crate::protocol::hex::encode(o.script_pubkey.as_bytes()),
            })
        })
        .collect();
    // Any u64 decodes: add without overflow, and say when it is more than can exist.
    let total_out: u128 = tx.output.iter().map(|o| u128::from(o.value.to_sat())).sum();
    let impossible = total_out > u128::from(bitcoin::Amount::MAX_MONEY.to_sat());
    let role = if impossible {
        format!("{role}; invalid: its outputs pay more than 21,000,000 btc")
    } else {
        role
    };
    let mut lines = vec![
        format!("raw transaction: {role}"),
        format!("  txid       {}", tx.compute_txid()),
        format!("  wtxid      {}", tx.compute_wtxid()),
        format!(
            "  version {}, lock time {}, {} bytes, {} vbytes",
            tx.version.0,
            tx.lock_time.to_consensus_u32(),
            tx.total_size(),
            tx.vsize()
        ),
    ];
    for (n, i) in tx.input.iter().enumerate() {
        lines.push(format!(
            "  input {n}    {} sequence {:#010x}, {} witness items",
            i.previous_output,
            i.sequence.0,
            i.witness.len()
        ));
    }
    for (n, o) in tx.output.iter().enumerate() {
        lines.push(format!(
            "  output {n}   {} sat to {} {}",
            o.value.to_sat(),
            script_type(&o.script_pubkey),
            o.script_pubkey.to_hex_string()
        ));
    }
    lines.push(format!("  total out  {total_out} sat"));
    Some(Decoded {
        kind: "raw_transaction",
        description: "raw transaction",
        fields: json!({
            "role": role,
            "txid": tx.compute_txid().to_string(),
            "wtxid": tx.compute_wtxid().to_string(),
            "version": tx.version.0,
            "lock_time": tx.lock_time.to_consensus_u32(),
            "size": tx.total_size(),
            "vsize": tx.vsize(),
            "weight": tx.weight().to_wu(),
            "inputs": inputs,
            "outputs": outputs,
            // `null` for a sum beyond u64 (only a transaction that cannot be valid).
            "total_out_sat": u64::try_from(total_out).ok(),
        }),
        text: Some(lines.join("\n")),
    })
}

/// Explains `input` (a string, or `@FILE`).
pub fn decode(input: &str) -> CliResult<Decoded> {
    let text = match input.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read {path}: {e}")))?,
        None => input.to_owned(),
    };
    let text = text.trim();
    if text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
        || text.starts_with("age-encryption.org/")
    {
        return Ok(Decoded {
            kind: "encrypted_package",
            description: "encrypted update package",
            fields: json!({
                "note": "encrypted to the payee's mailbox key; only the payee can open it (`asyncpay receive --package FILE`)"
            }),
            text: None,
        });
    }
    if let Ok(addr) = PaymentAddress::from_str(text) {
        return Ok(Decoded {
            kind: "payment_address",
            description: "payment address",
            fields: json!({
                "network": format!("{:?}", addr.network()).to_lowercase(),
                "node_id": addr.node_id().to_string(),
                "mailbox_recipient": addr.mailbox().to_string(),
                "server_url": addr.server_url(),
            }),
            text: None,
        });
    }
    if text.starts_with('{') {
        let invoice = Invoice::decode(text.as_bytes())
            .map_err(|e| CliError::usage(format!("not a valid invoice: {e}")))?;
        let f = invoice.fields();
        return Ok(Decoded {
            kind: "invoice",
            description: "invoice (signature valid)",
            fields: json!({
                "signature_valid": true,
                "payment_id": f.payment_id.to_string(),
                "amount_sat": f.amount_sat,
                "payment_point": crate::protocol::hex::encode(&f.payment_point.serialize()),
                "expiry": f.expiry,
                "payee": f.payee.to_string(),
            }),
            text: None,
        });
    }
    if let Some(decoded) = onchain_address(text) {
        return Ok(decoded);
    }
    if let Some(decoded) = raw_transaction(text) {
        return Ok(decoded);
    }
    if let Ok(node) = NodeId::from_str(text) {
        return Ok(Decoded {
            kind: "node_id",
            description: "node id",
            fields: json!({ "node_id": node.to_string() }),
            text: None,
        });
    }
    if let Ok(id) = ChannelId::from_str(text) {
        return Ok(Decoded {
            kind: "channel_id",
            description: "channel id (or payment id)",
            fields: json!({ "id": id.to_string() }),
            text: None,
        });
    }
    // Say why the likeliest reading failed.
    let lower = text.to_ascii_lowercase();
    let why = match PaymentAddress::from_str(text) {
        Err(e) if text.contains("asp1") => e.to_string(),
        _ if ["bc1", "tb1", "bcrt1"].iter().any(|p| lower.starts_with(p)) => {
            "not a valid bitcoin address: a character is wrong (the checksum does not match) \
             or the length is"
                .to_owned()
        }
        _ => "not a payment address, invoice, bitcoin address, raw transaction, node id or \
              channel id"
            .to_owned(),
    };
    Err(CliError::usage(format!(
        "cannot decode '{}': {why}",
        shorten(text)
    )))
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

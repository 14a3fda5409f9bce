//! `asyncpay address` and `asyncpay decode`: the payee's shareable address, and an
//! explanation of any asyncpay string.

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
    let w = ctx.engine()?;
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
}

impl Render for Decoded {
    fn human(&self) -> String {
        let mut lines = vec![format!("{}:", self.description)];
        if let Value::Object(map) = &self.fields {
            let now = crate::units::now();
            for (k, v) in map {
                let v = match (k.as_str(), v.as_u64()) {
                    ("signature_valid", _) => continue,
                    ("expiry", Some(at)) => crate::units::when(at, now),
                    (k, Some(sat)) if k.ends_with("_sat") => crate::units::sat(sat),
                    _ => v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                };
                lines.push(format!("  {k:<18} {v}"));
            }
        }
        lines.join("\n")
    }
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
        });
    }
    if let Ok(node) = NodeId::from_str(text) {
        return Ok(Decoded {
            kind: "node_id",
            description: "node id",
            fields: json!({ "node_id": node.to_string() }),
        });
    }
    if let Ok(id) = ChannelId::from_str(text) {
        return Ok(Decoded {
            kind: "channel_id",
            description: "channel id (or payment id)",
            fields: json!({ "id": id.to_string() }),
        });
    }
    // Say why the likeliest reading failed.
    let why = match PaymentAddress::from_str(text) {
        Err(e) if text.contains("asp1") => e.to_string(),
        _ => "not a payment address, invoice, node id or channel id".to_owned(),
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

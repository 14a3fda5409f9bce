//! `asyncpay pay | receive | claim | sync | payments …`: the asynchronous payment
//! (PROTOCOL.md §5) driven through the client engine ([`crate::client`]), rendered.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bitcoin::Amount;
use serde::Serialize;

use super::args::PaymentsCommand;
use super::context::Context;
use super::error::{CliError, CliResult, ExitKind};
use super::output::{Output, Render};
use super::text::{self, Align, Table};
use crate::client::{still_pending, ClientPayment, Direction, LocalStatus, Progress, WAIT_POLL};
use crate::keys::NodeId;
use crate::payment::PaymentId;
use crate::protocol::ChannelId;
use crate::units;

// ----- reports -----

/// A payment as the CLI shows it (never `s_A` or the package).
#[derive(Debug, Serialize)]
pub struct PaymentReport {
    payment_id: PaymentId,
    direction: Direction,
    status: LocalStatus,
    /// The status in words, for people.
    description: String,
    amount_sat: u64,
    fee_sat: u64,
    /// Unix time from which S no longer buys the payment.
    expiry: u64,
    /// Unix time this wallet recorded the payment.
    created_at: u64,
    /// Unix time this wallet saw it paid, cancelled or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<u64>,
    counterparty: NodeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<ChannelId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Incoming, `payments show`: the public parts of the update package.
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<serde_json::Value>,
    /// `pay`: with `--quiet`, the result is the payment id alone.
    #[serde(skip)]
    id_is_result: bool,
    #[serde(skip)]
    now: u64,
}

/// What a payment's status means, in words.
fn describe(direction: Direction, status: LocalStatus) -> &'static str {
    use LocalStatus as S;
    match (direction, status) {
        (_, S::Proposed) => "asked the server for the payment; nothing signed yet",
        (_, S::Pending) => "sent; waiting for the payee to collect it",
        (_, S::Cancelling) => "cancelling at the server",
        (_, S::Received) => "received; not sold to the server yet",
        (_, S::Queued) => "waiting for the server's operator to approve the sale",
        (_, S::Sold) => "sold to the server; not claimed yet",
        (Direction::Outgoing, S::Paid) => "paid: the payee's invoice is collected",
        (Direction::Incoming, S::Paid) => "paid: the amount is in your channel balance",
        (Direction::Outgoing, S::Cancelled) => "cancelled: your balance is back",
        (Direction::Incoming, S::Cancelled) => "cancelled by the payer or expired before the sale",
        (_, S::Failed) => "failed: the server refused it for good",
    }
}

impl From<&ClientPayment> for PaymentReport {
    fn from(p: &ClientPayment) -> Self {
        PaymentReport {
            payment_id: p.payment_id,
            direction: p.direction,
            status: p.status,
            description: describe(p.direction, p.status).to_owned(),
            amount_sat: p.amount_sat,
            fee_sat: p.fee_sat,
            expiry: p.expiry,
            created_at: p.created_at,
            finished_at: p.finished_at,
            counterparty: p.counterparty,
            channel_id: p.channel_id,
            delivered: p.delivered.clone(),
            invoice: p
                .invoice
                .as_ref()
                .and_then(|i| serde_json::from_slice(&i.encode()).ok()),
            reason: p.reason.clone(),
            package: None,
            id_is_result: false,
            now: units::now(),
        }
    }
}

impl Render for PaymentReport {
    fn terse(&self) -> Option<String> {
        self.id_is_result.then(|| self.payment_id.to_string())
    }

    fn human(&self) -> String {
        let mut lines = vec![
            format!("payment:   {}", self.payment_id),
            format!(
                "direction: {}",
                match self.direction {
                    Direction::Outgoing => "outgoing (you pay)",
                    Direction::Incoming => "incoming (you are paid)",
                }
            ),
            format!(
                "status:    {} ({})",
                text::status(&self.status.name()),
                self.description
            ),
            format!(
                "amount:    {} (S's fee {})",
                units::sat(self.amount_sat),
                units::sat(self.fee_sat)
            ),
            format!("created:   {}", units::when(self.created_at, self.now)),
        ];
        if let Some(at) = self.finished_at {
            let word = match self.status {
                LocalStatus::Paid => "paid:     ",
                LocalStatus::Cancelled => "cancelled:",
                _ => "failed:   ",
            };
            lines.push(format!("{word} {}", units::when(at, self.now)));
        }
        let expiry_word = if self.expiry <= self.now {
            "expired:  "
        } else {
            "expires:  "
        };
        lines.push(format!(
            "{expiry_word} {}",
            units::when(self.expiry, self.now)
        ));
        lines.push(format!(
            "{}:     {}",
            if self.direction == Direction::Outgoing {
                "payee"
            } else {
                "payer"
            },
            self.counterparty
        ));
        if let Some(c) = self.channel_id {
            lines.push(format!("channel:   {c}"));
        }
        if let Some(d) = &self.delivered {
            lines.push(format!("package:   {}", text::clean(d)));
        }
        if self.invoice.is_some() {
            lines.push("invoice:   signed by the payee (see --json)".into());
        }
        if let Some(r) = &self.reason {
            lines.push(format!("note:      {}", text::clean(r)));
        }
        if let Some(pkg) = &self.package {
            lines.push(format!(
                "package:   A–S state {} of the payer's channel, signed by the payer (s_A kept secret)",
                pkg["state_number"]
            ));
        }
        lines.join("\n")
    }
}

/// `payments list`, `receive`, `claim`, `sync`: payments and problems.
#[derive(Debug, Serialize)]
pub struct PaymentsReport {
    payments: Vec<PaymentReport>,
    /// `payments list`: how many payments the filters left out (cancelled and failed ones
    /// without `--all`, other statuses with `--status`, older ones with `--limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden: Option<usize>,
    /// What was skipped without failing the command (e.g. junk mailbox items); also noted
    /// on stderr.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    /// What could not be done or read (quarantined files in `payments list`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<String>,
    /// Digits of the short ids: unique among all payments, hidden ones too (a shown id
    /// typed back must name one payment); `None`: among those shown.
    #[serde(skip)]
    id_len: Option<usize>,
}

impl Render for PaymentsReport {
    fn human(&self) -> String {
        let mut lines = Vec::new();
        if self.payments.is_empty() {
            lines.push("(no payments)".to_owned());
        } else {
            let ids: Vec<String> = self
                .payments
                .iter()
                .map(|p| p.payment_id.to_string())
                .collect();
            let len = self
                .id_len
                .unwrap_or_else(|| crate::client::ids::short_len(ids.iter().map(String::as_str)));
            let mut table = Table::new(&[
                ("ID", Align::Left),
                ("DIRECTION", Align::Left),
                ("AMOUNT", Align::Right),
                ("FEE", Align::Right),
                ("STATUS", Align::Left),
                ("CREATED", Align::Left),
                ("COUNTERPARTY", Align::Left),
            ]);
            for (p, id) in self.payments.iter().zip(&ids) {
                table.row(vec![
                    text::short(id, len),
                    match p.direction {
                        Direction::Outgoing => "sent",
                        Direction::Incoming => "received",
                    }
                    .to_owned(),
                    units::sat(p.amount_sat),
                    units::sat(p.fee_sat),
                    text::status(&p.status.name()),
                    units::relative(p.created_at, p.now),
                    format!("{}…", text::short(&p.counterparty.to_string(), 12)),
                ]);
            }
            lines.push(table.render());
        }
        if let Some(note) = text::hidden_note(
            self.hidden.unwrap_or(0),
            "payment",
            "--all, --status or a larger --limit shows them",
        ) {
            lines.push(note);
        }
        lines.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        lines.extend(self.problems.iter().map(|p| format!("problem: {p}")));
        lines.join("\n")
    }
}

fn read_package(path: &Path) -> CliResult<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(crate::payment::MAX_SEALED_PACKAGE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(bytes)
}

/// The statuses `payments list --status` takes.
const PAYMENT_STATUSES: &[&str] = &[
    "proposed",
    "pending",
    "cancelling",
    "received",
    "queued",
    "sold",
    "paid",
    "cancelled",
    "failed",
];

// ----- commands -----

/// `pay`; with `wait`, then waits until the payment is paid or cancelled (at most the
/// given duration; `Some(None)`: until it expires).
pub fn pay(
    ctx: &mut Context,
    address: &str,
    amount: Amount,
    options: crate::client::PayOptions,
    wait: Option<Option<Duration>>,
) -> CliResult<()> {
    let out = ctx.out;
    let expiry = options.expiry;
    let p = ctx.engine_with_chain()?.pay(address, amount, options)?;
    let report = |p: &ClientPayment| PaymentReport {
        id_is_result: true,
        ..PaymentReport::from(p)
    };
    let Some(timeout) = wait else {
        out.result(&report(&p));
        return Ok(());
    };
    if p.status.is_final() {
        not_paid(&p)?;
        out.result(&report(&p));
        return Ok(());
    }
    out.note(&format!(
        "payment {} is pending; waiting until the payee collects it (Ctrl-C stops waiting, not the payment)",
        p.payment_id
    ));
    // Until it expires, and a little more for S to tell us it was cancelled.
    let timeout = timeout.unwrap_or(expiry + Duration::from_secs(60));
    let id = p.payment_id.to_string();
    let p = wait_final(ctx, &id, timeout, Some(p))?;
    // A script goes on after `pay --wait` only if the payee was paid.
    not_paid(&p)?;
    out.result(&report(&p));
    Ok(())
}

/// The refusal (exit 1) of a final payment that was not paid: cancelled or failed.
fn not_paid(p: &ClientPayment) -> CliResult<()> {
    if p.status == LocalStatus::Paid {
        return Ok(());
    }
    Err(CliError::failed(format!(
        "payment {} was not paid: it is {}{}",
        p.payment_id,
        p.status.name(),
        p.reason
            .as_deref()
            .map_or(String::new(), |r| format!(" ({r})"))
    ))
    .hint(format!(
        "`asyncpay payments show {}` says why; pay again with a new `asyncpay pay` if the \
         payee still expects it",
        p.payment_id
    )))
}

/// Polls payment `id` until it is final or `timeout` passes (exit 5), holding the wallet
/// only while a poll runs: between polls other commands use it. A poll that finds the
/// wallet held by another process is skipped. `id` is a full payment id; `last` is the
/// payment as known before the first poll (what `pay` returned).
pub fn wait_final(
    ctx: &mut Context,
    id: &str,
    timeout: Duration,
    last: Option<ClientPayment>,
) -> CliResult<ClientPayment> {
    let deadline = Instant::now() + timeout;
    let spinner = ctx.out.spinner(&format!("waiting for payment {id}"));
    let mut last_problem = None;
    let mut last = last;
    let result = loop {
        let polled = ctx
            .engine_with_chain()
            .and_then(|w| Ok(w.poll_payment(id)?));
        ctx.release();
        match polled {
            Ok((p, problem)) => {
                last_problem = problem.or(last_problem);
                if p.status.is_final() {
                    break Ok(p);
                }
                spinner.set_message(format!("payment {}: {}", p.payment_id, p.status.name()));
                last = Some(p);
            }
            // Another command holds the wallet for a moment: poll again next time.
            Err(e) if e.kind == ExitKind::InUse => last_problem = Some(e.message),
            Err(e) => break Err(e),
        }
        if Instant::now() >= deadline {
            break Err(match &last {
                Some(p) => still_pending(p, last_problem).into(),
                None => CliError::new(
                    ExitKind::Pending,
                    format!(
                        "payment {id} is still pending{}",
                        last_problem.map_or(String::new(), |m| format!(" (last: {m})"))
                    ),
                )
                .hint(format!("run `asyncpay payments wait {id}` again later")),
            });
        }
        if super::interrupt::pause(WAIT_POLL) {
            let status = last
                .as_ref()
                .map_or("pending".to_owned(), |p| p.status.name());
            break Err(CliError::new(
                ExitKind::Pending,
                format!("stopped waiting (interrupted): payment {id} is still {status}"),
            )
            .hint(format!(
                "`asyncpay payments wait {id}` waits again; nothing was cancelled"
            )));
        }
    };
    spinner.finish_and_clear();
    result
}

/// `receive`.
pub fn receive(ctx: &mut Context, package: Option<PathBuf>, no_claim: bool) -> CliResult<()> {
    let out = ctx.out;
    let package = package.as_deref().map(read_package).transpose()?;
    let progress = ctx
        .engine_with_chain()?
        .receive(package.as_deref(), no_claim)?;
    finish(out, progress)
}

/// `claim`.
pub fn claim(ctx: &mut Context, id: Option<String>) -> CliResult<()> {
    let out = ctx.out;
    let progress = ctx.engine_with_chain()?.claim(id.as_deref())?;
    finish(out, progress)
}

/// `sync`.
pub fn sync(ctx: &mut Context) -> CliResult<()> {
    let out = ctx.out;
    let progress = ctx.engine_with_chain()?.sync()?;
    finish(out, progress)
}

/// The report, or (one document per run) an error naming every problem.
fn finish(out: Output, progress: Progress) -> CliResult<()> {
    if !progress.problems.is_empty() {
        return Err(CliError::failed(format!(
            "{} payment(s) could not go on: {}",
            progress.problems.len(),
            progress.problems.join("; ")
        ))
        .hint("`asyncpay payments list` shows where each payment is"));
    }
    out.result(&PaymentsReport {
        payments: progress.payments.iter().map(PaymentReport::from).collect(),
        hidden: None,
        warnings: progress.warnings,
        problems: Vec::new(),
        id_len: None,
    });
    Ok(())
}

/// `payments …`.
pub fn payments(ctx: &mut Context, cmd: PaymentsCommand) -> CliResult<()> {
    let out = ctx.out;
    match cmd {
        // Local only: no server, no chain.
        PaymentsCommand::List(filters) => {
            let (all, problems) = ctx.engine()?.payments()?;
            let ids: Vec<String> = all.iter().map(|p| p.payment_id.to_string()).collect();
            let id_len = crate::client::ids::short_len(ids.iter().map(String::as_str));
            let (shown, hidden) = text::filter_list(
                all,
                &filters,
                PAYMENT_STATUSES,
                |p| p.status.name(),
                |p| matches!(p.status, LocalStatus::Cancelled | LocalStatus::Failed),
            )?;
            out.result(&PaymentsReport {
                payments: shown.iter().map(PaymentReport::from).collect(),
                hidden: Some(hidden),
                warnings: Vec::new(),
                problems,
                id_len: Some(id_len),
            });
        }
        PaymentsCommand::Show { id } => {
            let details = ctx.engine()?.payment(&id)?;
            let mut report = PaymentReport::from(&details.payment);
            report.package = details.package;
            out.result(&report);
        }
        PaymentsCommand::Cancel { id } => {
            let p = ctx.engine_with_chain()?.cancel(&id)?;
            out.result(&PaymentReport::from(&p));
        }
        PaymentsCommand::Wait { id, timeout } => {
            // A prefix is resolved once: a payment stored while waiting (a payer chooses its
            // id) cannot make the next poll ambiguous.
            let id = ctx.engine()?.resolve_payment_id(&id)?.to_string();
            ctx.release();
            let p = wait_final(ctx, &id, timeout.0, None)?;
            out.result(&PaymentReport::from(&p));
        }
    }
    Ok(())
}

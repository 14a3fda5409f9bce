//! S's HTTP API (documented in `docs/api.md`): `GET /v1/info` (open), and behind request
//! authentication `POST /v1/channel-messages`, `GET /v1/channels`,
//! `POST /v1/channels/close/request`, `POST /v1/channels/close/sign`, and the mailbox
//! (`POST /v1/mailbox/{recipient}`, `GET /v1/mailbox`, `GET|DELETE /v1/mailbox/{id}`, see
//! [`super::mailbox`]).
//!
//! The operator's routes, `GET /v1/admin/status`, `GET /v1/admin/sales` and
//! `POST /v1/admin/sales/{id}/approve`, sit
//! behind the same authentication and answer only requests signed with S's own node key
//! (403 `not_operator` otherwise): `asyncpay server sales` signs them with S's wallet.
//!
//! Every signed request must name S's node id (a request signed for another server is
//! refused). The operator and S's channel peers each have their own request budget; all
//! other nodes share the strangers' budget (`net::auth::ReplayCache`), so a flood from fresh
//! keys cannot lock out the operator or a peer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::payments::{
    CancelRequest, ClaimRequest, FailRequest, PaymentRequest, PaymentStatus, PaymentView,
    SaleAccepted, SaleRequest, ServerPayment,
};
use super::{
    ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerCore,
    ServerInfo,
};
use crate::keys::NodeId;
use crate::net::server::{ApiJson, AuthState, Authenticated};
use crate::net::ApiError;
use crate::payment::{InvoiceError, PaymentId};
use crate::protocol::{Message, UpdateAccept};

type Core = Arc<ServerCore>;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

async fn info(State(core): State<Core>) -> Json<ServerInfo> {
    Json(core.info())
}

async fn channel_message(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    body: Bytes,
) -> Result<Json<Replies>, ApiError> {
    let message = Message::decode(&body)
        .map_err(|e| ApiError::bad_request("invalid_message", e.to_string()))?;
    let replies = blocking(move || core.handle(&node, message)).await?;
    let messages = replies
        .into_iter()
        .map(|m| serde_json::from_slice(&m.encode()).map_err(ApiError::internal))
        .collect::<Result<_, _>>()?;
    Ok(Json(Replies { messages }))
}

async fn channels(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
) -> Json<Vec<ChannelSummary>> {
    Json(core.channels_of(&node))
}

async fn close_request(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<CloseRequest>,
) -> Result<Json<CloseAccept>, ApiError> {
    blocking(move || core.close_request(&node, req))
        .await
        .map(Json)
}

async fn close_sign(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<CloseSign>,
) -> Result<Json<CloseDone>, ApiError> {
    blocking(move || core.close_sign(&node, req))
        .await
        .map(Json)
}

async fn create_payment(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<PaymentRequest>,
) -> Result<Json<UpdateAccept>, ApiError> {
    blocking(move || core.create_payment(&node, req))
        .await
        .map(Json)
}

async fn list_payments(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
) -> Result<Json<Vec<PaymentView>>, ApiError> {
    blocking(move || Ok(core.payments_of(&node)))
        .await
        .map(Json)
}

async fn show_payment(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PaymentView>, ApiError> {
    let id: PaymentId = id
        .parse()
        .map_err(|e: InvoiceError| ApiError::bad_request("invalid_payment_id", e.to_string()))?;
    blocking(move || core.payment(&node, &id)).await.map(Json)
}

async fn sell(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<SaleRequest>,
) -> Result<Json<SaleAccepted>, ApiError> {
    blocking(move || core.sell(&node, req)).await.map(Json)
}

async fn claim(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<ClaimRequest>,
) -> Result<Json<UpdateAccept>, ApiError> {
    blocking(move || core.claim(&node, req)).await.map(Json)
}

async fn cancel(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<CancelRequest>,
) -> Result<Json<PaymentView>, ApiError> {
    blocking(move || core.cancel(&node, req)).await.map(Json)
}

async fn fail(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    ApiJson(req): ApiJson<FailRequest>,
) -> Result<Json<UpdateAccept>, ApiError> {
    blocking(move || core.fail(&node, req)).await.map(Json)
}

// ----- the operator's routes -----

/// A sale as S's operator sees it: an item of `GET /v1/admin/sales`, and the answer of
/// `POST /v1/admin/sales/{id}/approve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSale {
    /// The payment.
    pub payment_id: PaymentId,
    /// Where it is (`pending` until the payee sells it).
    pub status: PaymentStatus,
    /// A's node id.
    pub payer: NodeId,
    /// B's node id.
    pub payee: NodeId,
    /// Amount B receives, satoshis.
    pub amount_sat: u64,
    /// S's fee, satoshis.
    pub fee_sat: u64,
    /// Unix time from which S no longer buys.
    pub expiry: u64,
    /// Whether the expiry has passed (an approval then changes nothing: S does not buy).
    pub expired: bool,
    /// Unix time S recorded the payment.
    pub created_at: u64,
    /// The payee asked to sell and waits for the approval.
    pub sale_queued: bool,
    /// The operator approved the sale.
    pub approved: bool,
}

impl OperatorSale {
    fn of(p: &ServerPayment, now: u64) -> OperatorSale {
        OperatorSale {
            payment_id: p.payment_id,
            status: p.status,
            payer: p.payer,
            payee: p.payee,
            amount_sat: p.amount_sat,
            fee_sat: p.fee_sat,
            expiry: p.expiry,
            expired: now >= p.expiry,
            created_at: p.created_at,
            sale_queued: p.sale_queued,
            approved: p.approved,
        }
    }
}

/// `GET /v1/admin/sales`: whether S queues sales (`server run --manual`) and the queued
/// ones, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedSales {
    /// S runs with `--manual`: every sale waits for the operator.
    pub manual: bool,
    /// The sales waiting for approval.
    pub sales: Vec<OperatorSale>,
    /// Channels, payments or files S set aside instead of refusing to start.
    #[serde(default)]
    pub quarantined: Vec<super::Quarantined>,
}

/// `GET /v1/admin/status`: the running server as its operator sees it (`asyncpay server
/// status`). Counts and sums, no secrets; keys of the maps are machine words
/// (`awaiting_funding`, `sold`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorStatus {
    /// S's node id.
    pub node_id: NodeId,
    /// The network.
    pub network: String,
    /// asyncpay version of the running server.
    pub version: String,
    /// Unix time the server started.
    pub started_at: u64,
    /// Unix time of this answer.
    pub now: u64,
    /// Sales wait for the operator (`server run --manual`).
    pub manual: bool,
    /// The chain tip the server's chain source reports (`None`: it did not answer).
    pub tip_height: Option<u32>,
    /// The chain watcher's health.
    pub watcher: super::watcher::WatcherStatus,
    /// Channels by status.
    pub channels: std::collections::BTreeMap<String, usize>,
    /// S's side of the latest state of its open channels, satoshis.
    pub server_balance_sat: u64,
    /// The clients' side of the latest state of S's open channels, satoshis.
    pub clients_balance_sat: u64,
    /// Payments by status.
    pub payments: std::collections::BTreeMap<String, usize>,
    /// Amount plus fee of the payments not final yet (pending or sold), satoshis.
    pub in_flight_sat: u64,
    /// Sales waiting for the operator's approval.
    pub queued_sales: usize,
    /// Packages waiting in the mailbox.
    pub mailbox_items: usize,
    /// Channels, payments or files S set aside instead of refusing to start.
    pub quarantined: usize,
}

fn operator_status(core: &ServerCore, mailbox_items: usize) -> OperatorStatus {
    use crate::protocol::ChannelStatus;
    let tip_height = core.chain.tip_height().ok();
    let inner = core.lock();
    let mut channels = std::collections::BTreeMap::new();
    let (mut server_balance_sat, mut clients_balance_sat) = (0, 0);
    for ch in inner.channels.values() {
        let status = ch.channel.status();
        *channels
            .entry(status.to_string().replace(' ', "_"))
            .or_default() += 1;
        if let (ChannelStatus::Open, Some(latest)) = (status, ch.channel.latest()) {
            server_balance_sat += latest.state.server.to_sat();
            clients_balance_sat += latest.state.client.to_sat();
        }
    }
    let mut payments = std::collections::BTreeMap::new();
    let mut in_flight_sat = 0;
    for p in inner.payments.values() {
        *payments.entry(p.status.to_string()).or_default() += 1;
        if matches!(p.status, PaymentStatus::Pending | PaymentStatus::Sold) {
            in_flight_sat += p.amount_sat + p.fee_sat;
        }
    }
    let queued_sales = inner
        .payments
        .in_flight()
        .filter(|p| p.waits_for_approval())
        .count();
    OperatorStatus {
        node_id: core.node_id(),
        network: core.network.to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: core.started_at,
        now: crate::net::server::system_clock(),
        manual: core.manual(),
        tip_height,
        watcher: core.watcher_status(),
        channels,
        server_balance_sat,
        clients_balance_sat,
        payments,
        in_flight_sat,
        queued_sales,
        mailbox_items,
        quarantined: inner.quarantined.len(),
    }
}

/// Only S itself (requests signed with S's node key) is the operator.
fn operator(core: &ServerCore, node: &NodeId) -> Result<(), ApiError> {
    if *node == core.node_id() {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "not_operator",
        format!(
            "only the operator of this server may do this: sign the request with the server's \
             own node key ({}), e.g. with `asyncpay server sales` run as the server's wallet",
            core.node_id()
        ),
    ))
}

async fn admin_sales(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
) -> Result<Json<QueuedSales>, ApiError> {
    operator(&core, &node)?;
    let now = crate::net::server::system_clock();
    let mut sales: Vec<OperatorSale> = core
        .queued_sales()
        .iter()
        .map(|p| OperatorSale::of(p, now))
        .collect();
    sales.sort_by_key(|s| (s.created_at, s.payment_id));
    Ok(Json(QueuedSales {
        manual: core.manual(),
        sales,
        quarantined: core.quarantined(),
    }))
}

async fn admin_approve(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<OperatorSale>, ApiError> {
    operator(&core, &node)?;
    let id: PaymentId = id
        .parse()
        .map_err(|e: InvoiceError| ApiError::bad_request("invalid_payment_id", e.to_string()))?;
    let approved = blocking(move || {
        core.approve_sale(&id).map_err(|e| {
            if e.code() == "unknown_payment" {
                ApiError::not_found(
                    "unknown_payment",
                    format!("this server has no payment {id}"),
                )
            } else {
                e
            }
        })
    })
    .await?;
    Ok(Json(OperatorSale::of(
        &approved,
        crate::net::server::system_clock(),
    )))
}

async fn admin_status(
    core: Core,
    mailbox: Arc<super::mailbox::Mailbox>,
    node: NodeId,
) -> Result<Json<OperatorStatus>, ApiError> {
    operator(&core, &node)?;
    blocking(move || {
        let items = mailbox.len().map_err(ApiError::from)?;
        Ok(operator_status(&core, items))
    })
    .await
    .map(Json)
}

/// The router of S.
pub fn router(core: Core, auth: &AuthState) -> Router {
    app(core, auth).0
}

/// Whether `node` has a funded channel with S (open, or closing on chain): such nodes (and
/// S's own key, the operator) get their own request budget instead of sharing the
/// strangers' one ([`AuthState::with_known_nodes`]). An open that was never funded costs
/// nothing, so it earns nothing: node ids are free.
fn has_channel(core: &ServerCore, node: &NodeId) -> bool {
    use crate::protocol::ChannelStatus::{Closing, Open};
    core.lock().has_channel_in(node, &[Open, Closing])
}

/// The router of S and its mailbox (for the run loop to prune expired items). `auth` must
/// be for S's node id; S's channel peers are made known nodes of it here.
pub fn app(core: Core, auth: &AuthState) -> (Router, Arc<super::mailbox::Mailbox>) {
    debug_assert_eq!(auth.server(), core.node_id(), "requests are signed for S");
    let known = core.clone();
    let auth = &auth
        .clone()
        .with_known_nodes(move |node| has_channel(&known, node));
    let mailbox = Arc::new(super::mailbox::Mailbox::for_server(core.clone()));
    let status_mailbox = mailbox.clone();
    let protected = auth.protect(
        Router::new()
            .route("/v1/channel-messages", post(channel_message))
            .route("/v1/channels", get(channels))
            .route("/v1/channels/close/request", post(close_request))
            .route("/v1/channels/close/sign", post(close_sign))
            .route("/v1/payments", get(list_payments).post(create_payment))
            .route("/v1/payments/sell", post(sell))
            .route("/v1/payments/claim", post(claim))
            .route("/v1/payments/cancel", post(cancel))
            .route("/v1/payments/fail", post(fail))
            .route("/v1/payments/{id}", get(show_payment))
            .route("/v1/admin/sales", get(admin_sales))
            .route("/v1/admin/sales/{id}/approve", post(admin_approve))
            .route(
                "/v1/admin/status",
                get(
                    move |State(core): State<Core>, Authenticated(node): Authenticated| {
                        admin_status(core, status_mailbox.clone(), node)
                    },
                ),
            ),
    );
    core.group_commits();
    let router = Router::new()
        .route("/v1/info", get(info))
        .merge(protected)
        .with_state(core.clone())
        .merge(super::mailbox::routes(mailbox.clone(), auth))
        .layer(axum::middleware::from_fn_with_state(core, durable_answers));
    (router, mailbox)
}

/// No answer leaves S before what S committed is on disk (group commit, ADR 0014): the
/// answer's own commits, and any other request's it may have seen. The requests waiting
/// meanwhile share one sync of the log. If the sync fails, the answer is replaced by
/// `500 internal` (and S answers nothing more until restarted).
async fn durable_answers(
    State(core): State<Core>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    if !core.durable_pending() {
        return response;
    }
    match blocking(move || core.durable().map_err(super::store_error)).await {
        Ok(()) => response,
        Err(e) => e.into_response(),
    }
}

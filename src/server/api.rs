//! S's HTTP API (documented in `docs/api.md`): `GET /v1/info` (open), and behind request
//! authentication `POST /v1/channel-messages`, `GET /v1/channels`,
//! `POST /v1/channels/close/request`, `POST /v1/channels/close/sign`, and the mailbox
//! (`POST /v1/mailbox/{recipient}`, `GET /v1/mailbox`, `GET|DELETE /v1/mailbox/{id}`, see
//! [`super::mailbox`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::payments::{
    CancelRequest, ClaimRequest, PaymentRequest, PaymentView, SaleAccepted, SaleRequest,
};
use super::{
    ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerCore,
    ServerInfo,
};
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
) -> Json<Vec<PaymentView>> {
    Json(core.payments_of(&node))
}

async fn show_payment(
    State(core): State<Core>,
    Authenticated(node): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PaymentView>, ApiError> {
    let id: PaymentId = id
        .parse()
        .map_err(|e: InvoiceError| ApiError::bad_request("invalid_payment_id", e.to_string()))?;
    core.payment(&node, &id).map(Json)
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

/// The router of S.
pub fn router(core: Core, auth: &AuthState) -> Router {
    app(core, auth).0
}

/// The router of S and its mailbox (for the run loop to prune expired items).
pub fn app(core: Core, auth: &AuthState) -> (Router, Arc<super::mailbox::Mailbox>) {
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
            .route("/v1/payments/{id}", get(show_payment)),
    );
    let mailbox = Arc::new(super::mailbox::Mailbox::for_server(core.clone()));
    let router = Router::new()
        .route("/v1/info", get(info))
        .merge(protected)
        .with_state(core)
        .merge(super::mailbox::routes(mailbox.clone(), auth));
    (router, mailbox)
}

//! S's HTTP API (documented in `docs/api.md`): `GET /v1/info` (open), and behind request
//! authentication `POST /v1/channel-messages`, `GET /v1/channels`,
//! `POST /v1/channels/close/request`, `POST /v1/channels/close/sign`, and the mailbox
//! (`POST /v1/mailbox/{recipient}`, `GET /v1/mailbox`, `GET|DELETE /v1/mailbox/{id}`, see
//! [`super::mailbox`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::{
    ChannelSummary, CloseAccept, CloseDone, CloseRequest, CloseSign, Replies, ServerCore,
    ServerInfo,
};
use crate::net::server::{ApiJson, AuthState, Authenticated};
use crate::net::ApiError;
use crate::protocol::Message;

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
            .route("/v1/channels/close/sign", post(close_sign)),
    );
    let mailbox = Arc::new(super::mailbox::Mailbox::for_server(core.clone()));
    let router = Router::new()
        .route("/v1/info", get(info))
        .merge(protected)
        .with_state(core)
        .merge(super::mailbox::routes(mailbox.clone(), auth));
    (router, mailbox)
}

//! The NaviLink REST API's HTTP layer (docs/protocol.md §2.1–§2.5): one exchange with
//! the server (`http`), the `{code, msg, data}` envelope and its success rule
//! (`envelope`), the unauthenticated sign-in and refresh calls with their wire
//! models ([`auth_api`]), and the typed causes of its failures ([`error`]).
//!
//! Layering: this module depends only on [`crate::protocol`] (its lenient decoders).
//! The `auth` module builds on it to obtain and renew tokens, and the `rest` module
//! builds on both: its `RestClient` takes access tokens from the auth layer and sends
//! its calls through this one. Nothing here knows either of them.

pub mod auth_api;
pub(crate) mod envelope;
pub mod error;
pub(crate) mod http;

pub use auth_api::{SignInData, TokenPayload, UserInfo};
pub use error::{AnswerError, JsonError, RequestError};

//! Authentication: the [`Auth`] actor, which owns the account's tokens (access, id and
//! refresh tokens, AWS temporary credentials and their expiry instants) and renews
//! them against the NaviLink REST API (docs/protocol.md §2.3–§2.5).
//!
//! Layering: `auth` uses the HTTP layer in [`crate::api`] (sign-in and refresh calls,
//! the envelope) and never the `rest` module; the device endpoints' client in `rest`
//! sits above it and asks it for access tokens.
//!
//! * Expiry instants are stamped on receipt; both kinds count as stale
//!   [`AuthConfig::safety_margin`] before they expire ([`TokenSet::needs_renewal`]).
//! * Renewals are single flight: concurrent requests share one HTTP renewal.
//! * A credential rejection ([`AuthError::InvalidCredentials`]) is fatal and latched:
//!   no automatic retry until [`SignInAgain`]. Everything else is transient.
//! * Optional token persistence in a file bound to the account (mode 0600).
//! * Secrets never reach logs; `Debug` of every credential type is redacted.

mod actor;
mod config;
pub(crate) mod error;
mod messages;
pub mod persist;
mod renewal;
mod secret;
mod tokens;

pub use actor::Auth;
pub use config::{AuthConfig, DEFAULT_HTTP_TIMEOUT, DEFAULT_SAFETY_MARGIN};
pub use error::{AuthError, AuthOperation};
pub use messages::{
    AccessToken, Credentials, GetAccessToken, GetCredentials, RenewAccessToken, RenewCredentials,
    RenewCredentialsOnce, Renewed, SignInAgain,
};
pub use secret::{redact_email, Secret};
pub use tokens::{MissingAccessToken, RefreshMerge, Renewal, TokenSet, DEFAULT_TOKEN_LIFETIME};

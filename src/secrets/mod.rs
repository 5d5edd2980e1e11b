//! Secret handling: masking of sensitive header/env values on read surfaces, the OS keyring,
//! and scrubbing of secrets and detected credentials from stored records.

pub mod detect;
pub mod keyring;
pub mod known;
pub mod mask;
pub mod ops;
pub mod resolve;
pub mod scrub;

pub use mask::{
    is_reference, is_sensitive_env, is_sensitive_header, mask_value, redact_env, redact_headers,
    secret_values, strip_quoted,
};

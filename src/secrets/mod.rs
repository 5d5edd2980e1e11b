//! Secret handling: masking of sensitive header/env values on read surfaces, and the OS keyring.

pub mod keyring;
pub mod mask;
pub mod ops;
pub mod resolve;

pub use mask::{
    is_reference, is_sensitive_env, is_sensitive_header, mask_value, redact_env, redact_headers,
    secret_values, strip_quoted,
};

//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows):
//! secrets stored under the service name `mcpproxy`, looked up by entry name.
//!
//! Every call blocks on the platform store; async code uses the `*_async` variants, which run
//! on the blocking thread pool. Error messages name the entry but never contain a secret.

/// Service name of every entry written by MCPProxy.
pub const SERVICE: &str = "mcpproxy";

/// Why a keyring operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyringError {
    /// No usable platform store (e.g. no Secret Service on the session bus).
    #[error(
        "the OS keyring is not available ({0}). Fix: on Linux run a Secret Service provider \
         (gnome-keyring, KeePassXC) in your session and unlock it; on macOS/Windows allow \
         mcpproxy to use the Keychain/Credential Manager"
    )]
    Unavailable(String),
    /// The store answered but refused or failed this entry.
    #[error("keyring entry `{name}` (service {SERVICE}): {message}")]
    Entry {
        /// Entry name.
        name: String,
        /// What went wrong (never the secret).
        message: String,
    },
}

/// Small reusable store over the OS keyring, service [`SERVICE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Keyring;

impl Keyring {
    /// Check that the platform store can be reached (connects on first use).
    pub fn probe() -> Result<(), KeyringError> {
        match keyring::Entry::store_status() {
            Ok(()) => Ok(()),
            Err(err) => Err(KeyringError::Unavailable(err.to_string())),
        }
    }

    fn entry(name: &str) -> Result<keyring::Entry, KeyringError> {
        Self::probe()?;
        keyring::Entry::new(SERVICE, name).map_err(|err| classify(name, err))
    }

    /// The secret stored as `name`, or `None` when there is none.
    pub fn get(name: &str) -> Result<Option<String>, KeyringError> {
        match Self::entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(name, err)),
        }
    }

    /// Store `value` as `name`, replacing any previous value.
    pub fn set(name: &str, value: &str) -> Result<(), KeyringError> {
        Self::entry(name)?
            .set_password(value)
            .map_err(|err| classify(name, err))
    }

    /// Delete `name`; `Ok(false)` when it did not exist.
    pub fn delete(name: &str) -> Result<bool, KeyringError> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(err) => Err(classify(name, err)),
        }
    }

    /// [`Keyring::get`] on the blocking pool.
    pub async fn get_async(name: &str) -> Result<Option<String>, KeyringError> {
        let name = name.to_string();
        blocking(move || Self::get(&name)).await
    }

    /// [`Keyring::set`] on the blocking pool.
    pub async fn set_async(name: &str, value: &str) -> Result<(), KeyringError> {
        let (name, value) = (name.to_string(), value.to_string());
        blocking(move || Self::set(&name, &value)).await
    }

    /// [`Keyring::delete`] on the blocking pool.
    pub async fn delete_async(name: &str) -> Result<bool, KeyringError> {
        let name = name.to_string();
        blocking(move || Self::delete(&name)).await
    }
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
) -> Result<T, KeyringError> {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|err| {
            Err(KeyringError::Unavailable(format!(
                "keyring task failed: {err}"
            )))
        })
}

fn classify(name: &str, err: keyring::Error) -> KeyringError {
    match err {
        keyring::Error::NoDefaultStore | keyring::Error::NoStorageAccess(_) => {
            KeyringError::Unavailable(err.to_string())
        }
        keyring::Error::PlatformFailure(inner) => KeyringError::Unavailable(inner.to_string()),
        keyring::Error::BadEncoding(_) => KeyringError::Entry {
            name: name.to_string(),
            message: "stored value is not UTF-8 text".into(),
        },
        other => KeyringError::Entry {
            name: name.to_string(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real Secret Service round trip; skipped with a message when none is reachable locally,
    /// but a failure in CI (`CI=true`), where scripts/test.sh provides one.
    #[tokio::test]
    async fn round_trip_in_the_os_keyring() {
        if let Err(err) = Keyring::probe() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide a Secret Service: {err}"
            );
            eprintln!("skipping keyring test: {err}");
            return;
        }
        let name = format!("test-entry-{}", uuid::Uuid::new_v4());
        assert_eq!(Keyring::get_async(&name).await.unwrap(), None);
        Keyring::set_async(&name, "first").await.unwrap();
        Keyring::set_async(&name, "second value").await.unwrap();
        assert_eq!(
            Keyring::get_async(&name).await.unwrap().as_deref(),
            Some("second value")
        );
        assert!(Keyring::delete_async(&name).await.unwrap());
        assert!(!Keyring::delete_async(&name).await.unwrap());
        assert_eq!(Keyring::get_async(&name).await.unwrap(), None);
    }
}

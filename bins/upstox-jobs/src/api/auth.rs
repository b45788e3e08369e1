//! The bearer token: one secret, the credential `api-token` (`LoadCredential=api-token:…` under
//! systemd, else the file `[credentials] api-token` names), compared in constant time.

use common::credentials::Secret;
use subtle::ConstantTimeEq;

use super::routes::ApiError;

/// The credential's name.
pub const CREDENTIAL: &str = "api-token";

/// `Ok` when `authorization` (the header's value) carries `token`; else a 401 saying what
/// to send. Without a token configured, nothing protected is served.
pub fn check(token: Option<&Secret>, authorization: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Err(ApiError::new(
            401,
            "no API token is configured on this server",
            format!(
                "put a token in /etc/upstox-jobs/{CREDENTIAL} (the service loads it as the \
                 credential {CREDENTIAL}), or name a file under [credentials] {CREDENTIAL}"
            ),
        ));
    };
    let Some(header) = authorization else {
        return Err(ApiError::new(
            401,
            "this needs a bearer token",
            format!(
                "send `Authorization: Bearer TOKEN`, the token in /etc/upstox-jobs/{CREDENTIAL}"
            ),
        ));
    };
    let offered = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    // Constant time over the bytes: the comparison says nothing about how much matched.
    if bool::from(offered.as_bytes().ct_eq(token.expose().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "the bearer token is wrong",
            format!(
                "send the token in /etc/upstox-jobs/{CREDENTIAL}, as `Authorization: Bearer TOKEN`"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn secret(value: &str) -> Secret {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CREDENTIAL), value).unwrap();
        common::credentials::load(CREDENTIAL, Some(dir.path()), &BTreeMap::new())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn only_the_right_bearer_token_passes() {
        let token = secret("s3cret-token\n");
        assert!(check(Some(&token), Some("Bearer s3cret-token")).is_ok());
        for wrong in [
            "Bearer s3cret-toke",
            "Bearer s3cret-tokenX",
            "s3cret-token",
            "Basic czM=",
        ] {
            let e = check(Some(&token), Some(wrong)).unwrap_err();
            assert_eq!(
                (e.status, e.error.as_str()),
                (401, "the bearer token is wrong"),
                "{wrong}"
            );
        }
        assert_eq!(check(Some(&token), None).unwrap_err().status, 401);
        assert_eq!(
            check(None, Some("Bearer s3cret-token")).unwrap_err().status,
            401
        );
    }
}

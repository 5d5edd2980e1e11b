//! The REST envelope `{"success":true,"data":…}` / `{"success":false,"error":"…"}` and
//! request extractors whose rejections use it too.

use crate::core::ChangeError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::request::Parts;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A successful answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Success<T> {
    /// Always `true`.
    pub success: bool,
    /// The payload.
    pub data: T,
}

/// A failed answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Failure {
    /// Always `false`.
    pub success: bool,
    /// What went wrong and how to fix it (never contains secret values).
    pub error: String,
    /// Machine-readable reason where one exists (e.g. `TOOL_APPROVAL_REQUIRED` from
    /// `POST /tools/call`, the same code the MCP endpoints give).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `200 OK` (or another status) with `data` in the envelope.
pub struct ApiOk<T>(pub StatusCode, pub T);

/// `200 OK` with `data`.
pub fn ok<T>(data: T) -> ApiOk<T> {
    ApiOk(StatusCode::OK, data)
}

impl<T: Serialize> IntoResponse for ApiOk<T> {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(Success {
                success: true,
                data: self.1,
            }),
        )
            .into_response()
    }
}

/// An error answer with its HTTP status.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message (names the field and the fix; never a secret value).
    pub message: String,
    /// Machine-readable reason, when there is one.
    pub code: Option<&'static str>,
}

impl ApiError {
    /// Error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
        }
    }

    /// The same error with a machine-readable `code`.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// `400 Bad Request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `404 Not Found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<ChangeError> for ApiError {
    fn from(err: ChangeError) -> Self {
        let status = match &err {
            ChangeError::Invalid { .. } | ChangeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ChangeError::NotFound(_) => StatusCode::NOT_FOUND,
            ChangeError::Conflict(_) => StatusCode::CONFLICT,
            ChangeError::Forbidden(_) => StatusCode::FORBIDDEN,
            ChangeError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ChangeError::Upstream(_) => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(Failure {
                success: false,
                error: self.message,
                code: self.code.map(str::to_string),
            }),
        )
            .into_response()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<ApiOk<T>, ApiError>;

/// JSON body extractor answering malformed input with the envelope.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            // A body of the wrong shape is a bad request like any other invalid input (400);
            // a missing JSON content type stays 415.
            Err(rejection) => Err(ApiError::new(
                match rejection.status() {
                    StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
                    status => status,
                },
                format!(
                    "{}; send a JSON body with Content-Type: application/json",
                    crate::secrets::strip_quoted(&rejection.body_text())
                ),
            )),
        }
    }
}

/// Query-string extractor answering bad parameters with the envelope.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::bad_request(crate::secrets::strip_quoted(
                &rejection.body_text(),
            ))),
        }
    }
}

/// Path-parameter extractor answering undecodable or mistyped segments with the envelope (400).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "bad path parameter: {}",
                crate::secrets::strip_quoted(&rejection.body_text())
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    async fn answer(
        router: axum::Router,
        request: http::Request<axum::body::Body>,
    ) -> (StatusCode, serde_json::Value) {
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).expect("a JSON envelope"),
        )
    }

    #[derive(serde::Deserialize)]
    struct Named {
        #[allow(dead_code)]
        name: String,
    }

    // Found by schemathesis: a mistyped path segment was a plain-text 400 and a body of the
    // wrong shape an undocumented 422.
    #[tokio::test]
    async fn bad_path_and_body_are_400_envelopes_naming_the_problem() {
        let router = axum::Router::new()
            .route(
                "/n/{id}",
                get(|Path(id): Path<i64>| async move { id.to_string() }),
            )
            .route("/b", post(|Body(_): Body<Named>| async { "ok" }));
        let (status, body) = answer(
            router.clone(),
            http::Request::get("/n/9223372036854775808")
                .body(Default::default())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["success"], false);
        assert!(
            body["error"].as_str().unwrap().contains("path parameter"),
            "{body}"
        );
        let (status, body) = answer(
            router.clone(),
            http::Request::post("/b")
                .header("content-type", "application/json")
                .body(r#"{"name": 1.5}"#.into())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("name"), "{body}");
        let (status, body) = answer(
            router,
            http::Request::post("/b")
                .body(r#"{"name": "a"}"#.into())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            body["error"].as_str().unwrap().contains("Content-Type"),
            "{body}"
        );
    }
}

//! The HTTP side: the one handler every request goes through. It answers the public endpoints,
//! authenticates the caller, routes by the registry ([`route`]), serves discovery, and hands
//! resource requests to [`objects`] (and watches to [`watch`]); errors become `Status` bodies
//! here, in one place. Tests' injected faults and the request log live here too.

mod auth;
mod body;
mod list_options;
mod objects;
mod query;
mod route;
mod table;
mod watch;

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, RwLock};

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

pub(crate) use body::MAX_REQUEST_BYTES;
pub(crate) use watch::Watches;

use self::objects::Call;
use self::query::Query;
use self::route::Route;
use crate::status::ApiError;
use crate::store::Store;
use crate::{Request, User, discovery, openapi};

/// The injected "fault code" that drops the connection instead of answering.
pub(crate) const DROP_CONNECTION: u16 = 0;

/// State shared by all requests of one server, and kept across its restarts.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    /// The users; tests change them at run time.
    pub(crate) users: RwLock<Vec<User>>,
    pub(crate) faults: Mutex<VecDeque<u16>>,
    pub(crate) log: Mutex<Vec<Request>>,
    pub(crate) address: String,
    pub(crate) watches: Watches,
}

/// A response body that fails at once, so the connection is dropped mid-response.
struct Dropped;

impl actix_web::body::MessageBody for Dropped {
    type Error = std::io::Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Sized(64)
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected: connection dropped",
        ))))
    }
}

/// The one handler: every request goes through here, and is logged.
pub(crate) async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // A stopped server answers nothing: a request that reached a worker as it stopped (on a
    // kept-alive connection) has its connection dropped, as an outage drops it.
    let outcome = if shared.watches.stopped() {
        Err(ApiError::injected(DROP_CONNECTION))
    } else {
        respond(&req, &body, &shared, &content_type)
    };
    let response = match outcome {
        Ok(response) => response,
        Err(err) => error_response(&err),
    };
    if let Ok(mut log) = shared.log.lock() {
        log.push(Request {
            method: req.method().to_string(),
            path: req.path().to_owned(),
            query: req.query_string().to_owned(),
            content_type,
            status: response.status().as_u16(),
        });
    }
    response
}

fn error_response(err: &ApiError) -> HttpResponse {
    if err.code == DROP_CONNECTION {
        // Headers promising a body, then an error instead of it: actix closes the connection
        // and the client sees it dropped mid-response.
        return HttpResponse::Ok()
            .content_type("application/json")
            .body(Dropped);
    }
    let mut response = HttpResponse::build(
        StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if err.code == 429 {
        response.insert_header((header::RETRY_AFTER, "1"));
    }
    response.json(err.body())
}

fn json_response(code: u16, body: &Value) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .content_type("application/json")
        .body(body.to_string())
}

fn respond(
    req: &HttpRequest,
    body: &[u8],
    shared: &web::Data<Shared>,
    content_type: &str,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().trim_end_matches('/');
    let route = route::parse(path);
    // Health endpoints are public on a real cluster, whatever the credentials.
    if route == Route::Health {
        return Ok(HttpResponse::Ok().content_type("text/plain").body("ok"));
    }
    let caller = auth::authenticate(req, shared)?;
    // /version is public too (system:public-info-viewer), but a bad token is still a 401.
    if route == Route::Version {
        return Ok(json_response(200, &discovery::version()));
    }
    caller.require_user(path)?;
    let get_only = |value: Option<Value>| match value {
        None => Err(ApiError::no_such_path()),
        Some(_) if !matches!(*req.method(), Method::GET | Method::HEAD) => {
            Err(ApiError::method_not_allowed())
        }
        Some(value) => Ok(json_response(200, &value)),
    };
    let query = Query::parse(req.query_string());
    match route {
        Route::Api => get_only(Some(discovery::api(&shared.address))),
        Route::Apis => get_only(Some(discovery::apis())),
        Route::Group(group) => get_only(discovery::group(group)),
        Route::GroupVersion(group, version) => get_only(discovery::resources(group, version)),
        Route::OpenApiIndex => get_only(Some(openapi::index())),
        Route::OpenApi(group, version) => get_only(openapi::document(group, version)),
        Route::Collection {
            resource,
            namespace,
        } => {
            if resource.namespaced() {
                inject_fault(shared)?;
            }
            let call = Call {
                req,
                body,
                shared,
                caller: &caller,
                query: &query,
                content_type,
            };
            objects::collection(&call, resource, namespace)
        }
        Route::Object {
            resource,
            namespace,
            name,
        } => {
            if resource.namespaced() {
                inject_fault(shared)?;
            }
            let call = Call {
                req,
                body,
                shared,
                caller: &caller,
                query: &query,
                content_type,
            };
            objects::object(&call, resource, namespace, name)
        }
        Route::Health | Route::Version | Route::Unknown => Err(ApiError::no_such_path()),
    }
}

fn lock(shared: &Shared) -> Result<MutexGuard<'_, Store>, ApiError> {
    shared.store.lock().map_err(|_| ApiError::injected(500))
}

/// The next injected fault, if a test queued one. Only requests for namespaced objects (the
/// ConfigMaps and Applications a client reads, writes and watches) take faults; discovery and
/// namespaces never do, so a test's faults land on the requests it means.
fn inject_fault(shared: &Shared) -> Result<(), ApiError> {
    let fault = shared.faults.lock().ok().and_then(|mut f| f.pop_front());
    match fault {
        Some(code) => Err(ApiError::injected(code)),
        None => Ok(()),
    }
}

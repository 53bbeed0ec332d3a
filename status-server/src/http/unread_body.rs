//! Requests that come with a body. No route reads one, and after a response actix drains a
//! chunked body it was not asked to read, however slowly it is sent (a byte a second holds the
//! connection for ever). A response to such a request owns the unread body until it has been
//! sent: actix then sees a body nobody has finished with, closes the connection after the
//! response (waiting `client_disconnect_timeout` at most), and reads no more of it.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::HttpResponse;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{Bytes, Payload};

/// Whether a request announces a body (chunked, or a length above zero).
pub(super) fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

/// The response, holding the request's unread body until it is sent.
pub(super) fn closing(response: HttpResponse, payload: Payload) -> HttpResponse {
    response.map_body(|_, body| {
        BoxBody::new(Holding {
            body,
            _payload: payload,
        })
    })
}

struct Holding {
    body: BoxBody,
    /// Kept, never read: dropped with the response body.
    _payload: Payload,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

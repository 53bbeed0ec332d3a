//! What bounds a client's hold on the server: the time to send a request head, to take a
//! response, to come back on a kept-alive connection, and how many connections there may be.
//!
//! actix-web bounds the request head (`client_request_timeout`), an idle kept-alive
//! connection (`keep_alive`) and a closing one (`client_disconnect_timeout`), but not the
//! writing of a response: a client that asks for `/statuses.json` and never reads would hold
//! its connection (and a file descriptor) for ever. The kernel bounds that instead:
//! `TCP_USER_TIMEOUT` on every accepted socket aborts a connection whose sent data has not been
//! taken (unacknowledged, or waiting on a zero window) for [`WRITE_TIMEOUT`]. It measures a
//! lack of progress, so a slow reader that keeps reading is never cut off.
//!
//! The connections are kept below the file descriptor limit (`RLIMIT_NOFILE`, read at start):
//! [`RESERVED_FDS`] stay for everything else (reading documents, inotify, the runtimes, the
//! API server's connections); beyond the cap, clients wait in the listen backlog instead of
//! the accept loop failing with "Too many open files" and reloads with it.

use std::any::Any;
use std::time::Duration;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use rustix::process::{Resource, getrlimit};

/// How long a client has to send its request head after connecting (slowloris).
pub(crate) const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an idle kept-alive connection stays open (Apache's default: connections are
/// cheap to open again, and held ones count against the file descriptor limit).
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// How long a closing connection may take to shut down.
pub(crate) const CLIENT_DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a response may wait on a client that takes none of it.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// File descriptors kept for everything but client connections.
pub(crate) const RESERVED_FDS: u64 = 64;
/// actix-web's own default per worker, the cap when the limit is high.
const ACTIX_MAX_CONNECTIONS: u64 = 25_000;

/// The most connections each of `workers` may hold, so that all of them together stay
/// [`RESERVED_FDS`] below the process's file descriptor limit (at least one each).
pub(crate) fn max_connections_per_worker(workers: usize) -> usize {
    let limit = getrlimit(Resource::Nofile).current;
    per_worker(limit, workers)
}

fn per_worker(nofile: Option<u64>, workers: usize) -> usize {
    let workers = u64::try_from(workers.max(1)).unwrap_or(u64::MAX);
    let total = match nofile {
        // With a tiny limit, half of it.
        Some(limit) => limit.saturating_sub(RESERVED_FDS).max(limit / 2),
        None => u64::MAX,
    };
    let each = (total / workers).clamp(1, ACTIX_MAX_CONNECTIONS);
    usize::try_from(each).unwrap_or(1)
}

/// `HttpServer::on_connect`: sets the write timeout on each accepted socket.
pub(crate) fn on_connect(connection: &dyn Any, _: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<TcpStream>() {
        let millis = u32::try_from(WRITE_TIMEOUT.as_millis()).unwrap_or(u32::MAX);
        if let Err(e) = rustix::net::sockopt::set_tcp_user_timeout(stream, millis) {
            tracing::debug!(error = %e, "cannot set TCP_USER_TIMEOUT on a connection");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_below_the_descriptor_limit() {
        assert_eq!(per_worker(Some(256), 1), 192);
        assert_eq!(per_worker(Some(256), 2), 96);
        assert_eq!(per_worker(Some(100), 1), 50, "half of a tiny limit");
        assert_eq!(per_worker(Some(1), 4), 1);
        assert_eq!(per_worker(Some(1_048_576), 2), 25_000);
        assert_eq!(per_worker(None, 1), 25_000);
    }
}

//! A real TCP reset mid-body for the corpus's `connection-reset` case.
//!
//! A handler cannot reach its socket, and a body that fails only makes hyper
//! close the connection politely (FIN). So the server's listener wraps every
//! accepted stream with a [`ResetHandle`], which reaches handlers as their
//! connect info: a handler arms it, fails its body, and when hyper drops the
//! stream it is closed with `SO_LINGER` 0, which sends a RST, as a crashed
//! server or a middlebox does.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Arms a reset of the connection a request came on.
#[derive(Clone, Debug, Default)]
pub struct ResetHandle(Arc<AtomicBool>);

impl ResetHandle {
    /// The connection will be reset (not closed) when it is dropped.
    pub fn arm(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The server's listener: a `TcpListener` whose streams can be reset.
pub struct ResettableListener(pub TcpListener);

/// An accepted stream with its reset handle.
pub struct ResettableStream {
    inner: TcpStream,
    reset: ResetHandle,
}

impl Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (inner, addr) = Listener::accept(&mut self.0).await;
        let stream = ResettableStream {
            inner,
            reset: ResetHandle::default(),
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Listener::local_addr(&self.0)
    }
}

impl Connected<IncomingStream<'_, ResettableListener>> for ResetHandle {
    fn connect_info(stream: IncomingStream<'_, ResettableListener>) -> Self {
        stream.io().reset.clone()
    }
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.0.load(Ordering::SeqCst) {
            // Zero linger: close() discards what is unsent and sends a RST.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

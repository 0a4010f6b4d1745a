//! Just enough HTTP/1.1 for cargo on loopback: one request per connection (`Connection: close`),
//! bodies by `Content-Length`, bounded sizes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The largest header section read.
const MAX_HEAD: usize = 64 * 1024;
/// The largest body accepted (a publish: metadata and `.crate` file).
pub(crate) const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A request.
#[derive(Debug)]
pub(crate) struct Request {
    /// `GET`, `PUT`, ...
    pub(crate) method: String,
    /// The path, without the query.
    pub(crate) path: String,
    /// The body (empty without `Content-Length`).
    pub(crate) body: Vec<u8>,
}

/// A response.
#[derive(Debug)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The content type.
    pub(crate) content_type: &'static str,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A 200 with a JSON body.
    pub(crate) fn json(body: String) -> Self {
        Self::new(200, "application/json", body.into_bytes())
    }

    /// A response.
    pub(crate) fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            body,
        }
    }

    /// A 404.
    pub(crate) fn not_found() -> Self {
        Self::new(404, "text/plain", b"not found\n".to_vec())
    }

    /// An error in the publish API's shape: `{"errors":[{"detail": ...}]}`.
    pub(crate) fn api_error(status: u16, detail: &str) -> Self {
        let body = serde_json::json!({ "errors": [{ "detail": detail }] }).to_string();
        Self::new(status, "application/json", body.into_bytes())
    }
}

/// Reads one request from `stream`.
pub(crate) fn read_request(stream: &TcpStream) -> io::Result<Request> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(invalid("malformed request line"));
    };
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let method = method.to_owned();
    let mut content_length = 0usize;
    let mut expect_continue = false;
    let mut head = line.len();
    loop {
        let mut header = String::new();
        head += reader.read_line(&mut header)?;
        if head > MAX_HEAD {
            return Err(invalid("header section too large"));
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid("bad content-length"))?;
            } else if name.eq_ignore_ascii_case("expect") {
                expect_continue = value.trim().eq_ignore_ascii_case("100-continue");
            }
        }
    }
    if content_length > MAX_BODY {
        return Err(invalid("body too large"));
    }
    if expect_continue {
        // curl asks before uploading a large body; without this it waits a second.
        let mut writer = stream;
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    Ok(Request { method, path, body })
}

/// Writes `response` and closes the exchange.
pub(crate) fn write_response(mut stream: &TcpStream, response: &Response) -> io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

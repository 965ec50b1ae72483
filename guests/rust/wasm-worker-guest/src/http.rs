//! HTTP calls through the host (cargo feature `http`; ABI 1.1, see `guests/ABI.md`,
//! "Calling HTTP services").
//!
//! A guest reaches only the endpoints its artifact is configured with, by name. The host
//! records every call in the task's journal before the guest sees its result, so a retried
//! task replays it instead of calling again, and sends a stable `Idempotency-Key` with it.
//! A guest that calls services must therefore make the same requests on every run: no
//! clock or random numbers in them (outside deterministic mode).
//!
//! ```ignore
//! let r = wasm_worker_guest::http::call("inventory", "GET", "/stock/X", &[], &[])?;
//! if r.status == 200 { let stock: serde_json::Value = r.json()?; }
//! ```
//!
//! Off the wasm32 target (native unit tests) there is no host: every call is
//! [`HttpError::UnknownEndpoint`].

use std::fmt;

/// Why a call did not produce a response (the host's codes, `guests/ABI.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// No endpoint by that name for this artifact (1).
    UnknownEndpoint,
    /// Method or path outside the endpoint's allow-list (2).
    NotAllowed,
    /// Malformed path, method or header list, or a header the guest may not set (3).
    BadRequest,
    /// Headers and body above the endpoint's request limit (4).
    RequestTooLarge,
    /// The response was above the endpoint's limit; the call was made (5). Has the status.
    ResponseTooLarge(i32),
    /// No complete response within the endpoint's timeout; the call may have had its effect (6).
    Timeout,
    /// The service could not be reached or the connection broke (7).
    Unavailable,
    /// The request and the largest response do not fit the guest's memory limit (8).
    MemoryLimit,
    /// Any other code (a newer host, or a broken exchange).
    Other(i32),
}

impl HttpError {
    fn from_code(code: i32, status: i32) -> HttpError {
        match code {
            1 => HttpError::UnknownEndpoint,
            2 => HttpError::NotAllowed,
            3 => HttpError::BadRequest,
            4 => HttpError::RequestTooLarge,
            5 => HttpError::ResponseTooLarge(status),
            6 => HttpError::Timeout,
            7 => HttpError::Unavailable,
            8 => HttpError::MemoryLimit,
            other => HttpError::Other(other),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::ResponseTooLarge(status) => write!(f, "response too large (status {})", status),
            HttpError::Other(code) => write!(f, "host call failed with code {}", code),
            other => write!(f, "{:?}", other),
        }
    }
}

/// A response: status, headers (`name: value` lines, names in lower case, sorted) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: i32,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            if n == name {
                Some(v.trim())
            } else {
                None
            }
        })
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(target_arch = "wasm32")]
mod host {
    #[link(wasm_import_module = "wasm_worker")]
    extern "C" {
        #[link_name = "http_request"]
        pub fn http_request(
            endpoint: *const u8,
            endpoint_len: i32,
            method: *const u8,
            method_len: i32,
            path: *const u8,
            path_len: i32,
            headers: *const u8,
            headers_len: i32,
            body: *const u8,
            body_len: i32,
            result: *mut i32,
        ) -> i32;
        #[link_name = "http_response"]
        pub fn http_response(headers: *mut u8, headers_cap: i32, body: *mut u8, body_cap: i32) -> i32;
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn http_request(
        _endpoint: *const u8,
        _endpoint_len: i32,
        _method: *const u8,
        _method_len: i32,
        _path: *const u8,
        _path_len: i32,
        _headers: *const u8,
        _headers_len: i32,
        _body: *const u8,
        _body_len: i32,
        _result: *mut i32,
    ) -> i32 {
        1
    }

    pub unsafe fn http_response(_headers: *mut u8, _headers_cap: i32, _body: *mut u8, _body_cap: i32) -> i32 {
        9
    }
}

/// Calls `endpoint` with a method, a path (starting with `/`), request headers and a body.
/// HTTP error statuses (404, 500, ...) are responses: `Ok` with that status.
pub fn call(endpoint: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, HttpError> {
    let mut header_lines = String::new();
    for (name, value) in headers {
        header_lines.push_str(name);
        header_lines.push_str(": ");
        header_lines.push_str(value);
        header_lines.push('\n');
    }
    let mut result = [0i32; 3]; // status, headers length, body length
    let code = unsafe {
        host::http_request(
            endpoint.as_ptr(),
            endpoint.len() as i32,
            method.as_ptr(),
            method.len() as i32,
            path.as_ptr(),
            path.len() as i32,
            header_lines.as_ptr(),
            header_lines.len() as i32,
            body.as_ptr(),
            body.len() as i32,
            result.as_mut_ptr(),
        )
    };
    if code != 0 {
        return Err(HttpError::from_code(code, result[0]));
    }
    let mut response_headers = vec![0u8; result[1] as usize];
    let mut response_body = vec![0u8; result[2] as usize];
    let code = unsafe {
        host::http_response(
            response_headers.as_mut_ptr(),
            response_headers.len() as i32,
            response_body.as_mut_ptr(),
            response_body.len() as i32,
        )
    };
    if code != 0 {
        return Err(HttpError::from_code(code, result[0]));
    }
    Ok(Response {
        status: result[0],
        headers: String::from_utf8_lossy(&response_headers).into_owned(),
        body: response_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_host_no_endpoint_is_known() {
        assert_eq!(call("inventory", "GET", "/stock/X", &[], &[]), Err(HttpError::UnknownEndpoint));
    }

    #[test]
    fn headers_are_found_by_lower_case_name() {
        let r = Response { status: 200, headers: "content-type: application/json\nx-a: 1\n".into(), body: b"{}".to_vec() };
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-b"), None);
        assert!(r.is_success());
    }
}

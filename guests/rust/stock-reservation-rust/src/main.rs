//! stock-reservation-rust: reserves stock for one order line through the `inventory`
//! endpoint (ABI 1.1 host calls, `guests/ABI.md`); the Rust twin of
//! `guests/c/stock-reservation.c`, with the same input, calls and output.
//!
//! Input `{"sku":"X-1","quantity":2}`; calls `GET /stock/<sku>` (`{"available":N,...}`)
//! and `POST /reserve` with `{"sku":"X-1","quantity":2}`; output
//! `{"sku":"X-1","quantity":2,"available":N,"reservation":<the service's answer>}`.
//! Business errors `INVALID_ORDER`, `OUT_OF_STOCK`. A service that fails is a failure
//! (exit 1): the retry replays the calls the journal recorded instead of reserving twice.

use serde_json::Value;
use wasm_worker_guest::http::{self, Response};
use wasm_worker_guest::{fail, read_input, write_raw_output, BusinessError};

fn call(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    match http::call("inventory", method, path, headers, body) {
        Ok(r) if r.is_success() => r,
        Ok(r) => {
            eprintln!("stock-reservation-rust: {} {} answered status {}", method, path, r.status);
            fail("the inventory service did not answer as expected")
        }
        Err(e) => {
            eprintln!("stock-reservation-rust: {} {} failed: {}", method, path, e);
            fail("the inventory service did not answer as expected")
        }
    }
}

fn main() {
    let input: Value = read_input();
    let sku = match input["sku"].as_str() {
        Some(s) if !s.is_empty() && s.len() <= 64 && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') => s,
        _ => BusinessError::new("INVALID_ORDER", "sku must be 1 to 64 letters, digits, '-' or '_'").exit(),
    };
    let quantity = match input["quantity"].as_i64() {
        Some(q) if (1..=1_000_000).contains(&q) => q,
        _ => BusinessError::new("INVALID_ORDER", "quantity must be an integer from 1 to 1000000").exit(),
    };

    let stock: Value = call("GET", &format!("/stock/{}", sku), &[("Accept", "application/json")], &[])
        .json()
        .unwrap_or_else(|_| fail("the inventory service's stock answer is not JSON"));
    let available = stock["available"]
        .as_i64()
        .unwrap_or_else(|| fail("the inventory service's stock answer has no integer 'available'"));
    if quantity > available {
        BusinessError::new("OUT_OF_STOCK", "not enough stock for this order line")
            .with_details(serde_json::json!({ "available": available, "requested": quantity }))
            .exit();
    }

    let body = format!("{{\"sku\":\"{}\",\"quantity\":{}}}", sku, quantity);
    let reservation = call("POST", "/reserve", &[("Content-Type", "application/json")], body.as_bytes());

    let mut out = format!("{{\"sku\":{},\"quantity\":{},\"available\":{},\"reservation\":", Value::from(sku), quantity, available);
    out.push_str(&String::from_utf8_lossy(&reservation.body));
    out.push('}');
    write_raw_output(out.as_bytes());
}
